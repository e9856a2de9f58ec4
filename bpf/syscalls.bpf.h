/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscall numbers and the saved-register accessors that off-CPU classification needs. */
#ifndef CONTRACE_SYSCALLS_BPF_H
#define CONTRACE_SYSCALLS_BPF_H

#if defined(__TARGET_ARCH_x86)
#define CT_NR_read		0
#define CT_NR_write		1
#define CT_NR_poll		7
#define CT_NR_pread64		17
#define CT_NR_pwrite64		18
#define CT_NR_readv		19
#define CT_NR_writev		20
#define CT_NR_select		23
#define CT_NR_nanosleep		35
#define CT_NR_connect		42
#define CT_NR_accept		43
#define CT_NR_sendto		44
#define CT_NR_recvfrom		45
#define CT_NR_sendmsg		46
#define CT_NR_recvmsg		47
#define CT_NR_wait4		61
#define CT_NR_futex		202
#define CT_NR_clock_nanosleep	230
#define CT_NR_epoll_wait	232
#define CT_NR_waitid		247
#define CT_NR_pselect6		270
#define CT_NR_ppoll		271
#define CT_NR_epoll_pwait	281
#define CT_NR_accept4		288
#define CT_NR_recvmmsg		299
#define CT_NR_sendmmsg		307
#define CT_NR_epoll_pwait2	441
#define CT_NR_futex_waitv	449
#define CT_REGS_NR(r)		((r)->orig_ax)
#define CT_REGS_ARG1(r)		((r)->di)
#define CT_REGS_ARG2(r)		((r)->si)
#else
#error "contrace: syscall numbers for this architecture are not written yet (bpf/syscalls.bpf.h)"
#endif

static __always_inline bool ct_nr_epoll(long nr)
{
	return nr == CT_NR_epoll_wait || nr == CT_NR_epoll_pwait || nr == CT_NR_epoll_pwait2;
}

#endif /* CONTRACE_SYSCALLS_BPF_H */
