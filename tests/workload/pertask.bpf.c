// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * make bench's per-task floor: the least any tracer that accounts per task does at a switch.
 * The floor's empty programs, plus, at each switch-out, the task's own state and its on-CPU and
 * run-queue time since the last one, from the scheduler's counters, added to a per-CPU total.
 * The state is where contrace keeps it for most tasks: an entry of an array by the task's
 * address, whose owner is checked (job.bpf.h, ct_task_get()); a collision here simply takes
 * the entry over. No job, no reason, no histogram: what contrace costs above this is
 * what it does with them. PERTASK_STORAGE=1 at build time keeps the state in task storage
 * instead, the usual home of per-task state (and contrace's before the array).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct pt_task {
	__u64 owner, exec, delay;
};

#ifdef PERTASK_STORAGE
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pt_task);
} pt_tasks SEC(".maps");
#else
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pt_task);
} pt_tasks SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pt_total SEC(".maps");

__u64 pt_base;	/* what a task's address is taken from, to make it a number */

SEC("tp_btf/sched_switch")
int BPF_PROG(pertask_sched_switch, bool preempt, struct task_struct *prev)
{
	__u64 exec = prev->se.sum_exec_runtime, delay = prev->sched_info.run_delay, *tot;
	__u32 zero = 0;
	struct pt_task *p;

	if (!prev->pid)
		return 0;
#ifdef PERTASK_STORAGE
	p = bpf_task_storage_get(&pt_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
#else
	__u64 tag = (__u64)prev - (__u64)&pt_base;
	__u32 i = (tag >> 12) & 8191;

	p = bpf_map_lookup_elem(&pt_tasks, &i);
	if (p && p->owner != tag) {
		p->owner = tag;
		p->exec = exec;
		p->delay = delay;
	}
#endif
	tot = bpf_map_lookup_elem(&pt_total, &zero);
	if (!p || !tot)
		return 0;
	*tot += (exec - p->exec) + (delay - p->delay);
	p->exec = exec;
	p->delay = delay;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(pertask_sched_wakeup)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
