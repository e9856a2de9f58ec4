// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * make bench's per-task floor: the least any tracer that accounts per task does at a switch.
 * The floor's empty programs, plus, at each switch-out, the task's own state in task storage
 * (what contrace keeps per task in, created at the task's first switch-out) and its on-CPU and
 * run-queue time since the last one, from the scheduler's counters, added to a per-CPU total.
 * No job, no reason, no histogram: what contrace costs above this is what it does with them.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct pt_task {
	__u64 exec, delay;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pt_task);
} pt_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pt_total SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(pertask_sched_switch, bool preempt, struct task_struct *prev)
{
	__u64 exec = prev->se.sum_exec_runtime, delay = prev->sched_info.run_delay, *tot;
	__u32 zero = 0;
	struct pt_task *p;

	if (!prev->pid)
		return 0;
	p = bpf_task_storage_get(&pt_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
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
