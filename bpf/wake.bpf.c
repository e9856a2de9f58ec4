// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which socket ended a wait in poll, select or epoll, told once per wakeup. When such a task
 * blocks, sched.bpf.c registers in its task storage what can tell: the epoll instance it waits
 * on, or the sockets among the fds it polls (poll_register()). When the task is woken, the
 * kernel traces sched_waking after whatever woke it has happened: a socket's data is queued,
 * and an epoll entry made ready is on its instance's ready list, newest last. So at that
 * wakeup, here, the newest ready epoll entry's file, or the first registered socket with
 * input waiting (data, a connection to accept, an error, the peer's shutdown), is the socket
 * that ended the wait. Its endpoint is noted in the task's storage for this block; at the
 * task's next switch-out sched.bpf.c turns its pending poll wait into a socket wait on it. A
 * wait ended by anything else (an eventfd, a pipe, a timer, a signal) stays poll.
 *
 * Every wakeup on the node passes here, but only a wakeup of a thread whose bit is set in
 * ct_pollers (it blocked in a registered poll, select or epoll) reads more than that bit. An
 * earlier version ran on sk_data_ready, once per message: on a socket-heavy storm that is
 * dozens of runs per context switch; a later one read the wakee's syscall number from its
 * saved registers, a cold line with hundreds of tasks.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"
#include "syscalls.bpf.h"

#define CT_TCP_LISTEN		10
#define CT_RCV_SHUTDOWN		1

/* Has socket @sk input waiting: data, a connection to accept, an error, an end of stream? */
static __always_inline bool sk_readable(struct sock *sk)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	__u16 fam;

	if (BPF_CORE_READ(sk, sk_receive_queue.qlen) || BPF_CORE_READ(sk, sk_err) ||
	    (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & CT_RCV_SHUTDOWN))
		return true;
	/* a TCP listener's connections wait in its accept queue; a unix one's in its queue */
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	return (fam == CT_AF_INET || fam == CT_AF_INET6) &&
	       BPF_CORE_READ(sk, __sk_common.skc_state) == CT_TCP_LISTEN &&
	       BPF_CORE_READ(icsk, icsk_accept_queue.rskq_accept_head);
}

/* The socket that is waking @c out of its registered poll, select or epoll block; 0: none. */
static __noinline __u64 waking_sock(struct ct_task *c)
{
	struct eventpoll *ep;
	struct list_head *last;
	struct epitem *epi;

	if (c->poll_epoll) {
		ep = (struct eventpoll *)c->poll_obj[0];
		last = BPF_CORE_READ(ep, rdllist.prev);
		if (!last || last == &ep->rdllist)
			return 0;
		epi = container_of(last, struct epitem, rdllink);
		return ct_file_sock(BPF_CORE_READ(epi, ffd.file));
	}
	for (__u32 i = 0; i < CT_POLL_SOCKS && i < c->poll_n; i++)
		if (sk_readable((struct sock *)c->poll_obj[i]))
			return c->poll_obj[i];
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(ct_sched_waking, struct task_struct *p)
{
	struct ct_task *c;
	struct sock *sk;

	if (!(*ct_poller_word(p->pid) & ct_poller_bit(p->pid)))
		return 0;
	c = ct_task_find(p);
	/* registered for the block it is in now, and not woken out of it yet */
	if (!c || !c->poll_n || c->poll_block != p->nvcsw || c->woke_block == c->poll_block)
		return 0;
	sk = (struct sock *)waking_sock(c);
	if (!sk)
		return 0;
	c->woke_kind = ct_sk_endpoint_kind(sk, &c->woke_ep);
	c->woke_srtt_us = c->woke_kind & CT_SK_RTT ? ct_sk_srtt_us(sk) : 0;
	/* still blocked: what it wrote on sk, it wrote before this wait */
	c->woke_sk = c->woke_kind & CT_SK_EXCHANGE ? (__u64)sk : 0;
	c->woke_seq = c->woke_sk ? ct_sk_write_seq(sk) : 0;
	barrier();
	c->woke_block = c->poll_block;
	return 0;
}
