/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every kernel difference contrace's BPF code meets, handled with CO-RE checks. */
#ifndef CONTRACE_CORE_FIXES_BPF_H
#define CONTRACE_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/* 5.14 renamed task_struct::state to __state (commit 2f064a59a11f). */
struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

/* Direct loads through BTF pointers: no helper call, as the hot path needs. */
static __always_inline unsigned int ct_task_state(struct task_struct *t)
{
	struct task_struct___o *old = (void *)t;

	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return old->state;
}

#endif /* CONTRACE_CORE_FIXES_BPF_H */
