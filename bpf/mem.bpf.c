// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory stalls per job: time in direct reclaim (the system is short of memory) and in cgroup
 * reclaim (the job is at its own memory limit), both spent by the job's own tasks; anonymous
 * pages its reclaim wrote to swap. Major faults are counted at switch-out (sched.bpf.c).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

#define CT_PAGE_MAPPING_ANON	0x1

static __always_inline void reclaim_begin(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ct_task *c = ct_task_get(t);

	if (c)
		c->reclaim_ts = bpf_ktime_get_ns();
}

static __always_inline void reclaim_end(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ct_task *c = ct_task_get(t);
	struct ct_job_stats *st;
	__u64 now = bpf_ktime_get_ns();

	if (!c || !c->reclaim_ts)
		return;
	st = ct_stats_of(bpf_get_smp_processor_id(), ct_job_of(t, c));
	if (st) {
		st->reclaim_ns += now - c->reclaim_ts;
		st->reclaim_cnt++;
	}
	c->reclaim_ts = 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(ct_direct_reclaim_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(ct_direct_reclaim_end)
{
	reclaim_end();
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(ct_memcg_reclaim_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(ct_memcg_reclaim_end)
{
	reclaim_end();
	return 0;
}

/*
 * Reclaim writes @folio out. Anonymous ones go to swap. Kernel threads (kswapd) are charged
 * as `kernel`: their reclaim serves everyone.
 */
SEC("tp_btf/mm_vmscan_write_folio")
int BPF_PROG(ct_vmscan_write_folio, struct folio *folio)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ct_job_stats *st;
	struct ct_task *c;
	__u32 slot = CT_SLOT_KERNEL;

	if (!((__u64)BPF_CORE_READ(folio, mapping) & CT_PAGE_MAPPING_ANON))
		return 0;
	if (!(t->flags & PF_KTHREAD)) {
		c = ct_task_get(t);
		slot = c ? ct_job_of(t, c) : CT_SLOT_OTHER;
	}
	st = ct_stats_of(bpf_get_smp_processor_id(), slot);
	if (st)
		st->swapout++;
	return 0;
}
