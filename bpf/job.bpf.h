/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which job a task belongs to, and where that job's counters live. Shared by every BPF file;
 * the maps and settings are defined once, in job.bpf.c.
 *
 * Resolution is cached per task (task storage) and keyed by the task's css_set: any change of
 * cgroup, in any hierarchy, gives the task a new css_set and so a re-resolution. User space
 * bumps ct_job_gen whenever the set of job cgroups changes, which invalidates every cache.
 */
#ifndef CONTRACE_JOB_BPF_H
#define CONTRACE_JOB_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "contrace.h"
#include "hist.h"

#define PF_KTHREAD 0x00200000

enum ct_task_state {
	CT_TS_UNKNOWN = 0,	/* first seen mid-state: nothing is charged until a transition */
	CT_TS_RUNNING,		/* on CPU since ts */
	CT_TS_QUEUED,		/* runnable, waiting for a CPU since ts */
	CT_TS_BLOCKED,		/* off CPU since ts, for reason */
};

struct ct_task {
	__u64 ts;
	__u64 cset;		/* css_set the job was resolved from */
	__u64 file;		/* file last classified by its mode... */
	__u32 gen;		/* ct_job_gen at resolution */
	__u16 job;
	__u8 state;
	__u8 reason;
	__u8 file_reason;	/* ...and what it was */
};

struct ct_task_map {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ct_task);
};

struct ct_cgroup_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_CGROUPS);
	__type(key, struct ct_cgkey);
	__type(value, __u32);
};

/* max_entries of the three arrays below are set by user space from the CPU count. */
struct ct_stats_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_job_stats);
};

struct ct_hist {
	__u64 b[CT_HIST_NBUCKETS];
};

struct ct_hist_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_hist);
};

struct ct_pair_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_pair_stats);
};

struct ct_ring_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);	/* one per CPU, set by user space */
	__type(key, __u32);
	__type(value, struct ct_ring);
};

extern struct ct_task_map ct_tasks SEC(".maps");
extern struct ct_ring_map ct_rings SEC(".maps");	/* [cpu] */
extern struct ct_cgroup_map ct_cgroups SEC(".maps");
extern struct ct_stats_map ct_stats SEC(".maps");	/* [cpu][slot] */
extern struct ct_hist_map ct_hists SEC(".maps");	/* [cpu][slot][kind] */
extern struct ct_pair_map ct_pairs SEC(".maps");	/* [cpu][victim][culprit] */

extern const volatile __u32 targ_max_jobs;
extern const volatile bool targ_switch_state_arg;
extern const volatile __u32 targ_nhier;
extern const volatile __u32 targ_hier[CT_MAX_HIER];
extern volatile __u32 ct_job_gen;
extern __u64 ct_drops;
extern __u64 ct_unseen;

static __always_inline struct ct_task *ct_task_get(struct task_struct *t)
{
	struct ct_task *c;

	c = bpf_task_storage_get(&ct_tasks, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		__sync_fetch_and_add(&ct_drops, 1);
	return c;
}

static __always_inline __u32 ct_cgroup_job(struct cgroup_subsys_state *css, __u32 hier)
{
	struct ct_cgkey key = { .hier = hier };
	__u32 *slot;

	for (int d = 0; d < CT_MAX_DEPTH && css; d++) {
		key.cgid = BPF_CORE_READ(css, cgroup, kn, id);
		slot = bpf_map_lookup_elem(&ct_cgroups, &key);
		if (slot)
			return *slot;
		css = BPF_CORE_READ(css, parent);
	}
	return CT_SLOT_OTHER;
}

/* The slow path: walk each followed hierarchy from the task's cgroup up; deepest match wins. */
static __noinline __u32 ct_resolve(struct task_struct *t, struct css_set *cs)
{
	struct cgroup_subsys_state *css;
	__u32 slot, hier;

	if (BPF_CORE_READ(t, flags) & PF_KTHREAD)
		return CT_SLOT_KERNEL;
	for (int h = 0; h < CT_MAX_HIER; h++) {
		if (h >= targ_nhier)
			break;
		hier = targ_hier[h];
		if (hier == CT_HIER_V2)
			css = &BPF_CORE_READ(cs, dfl_cgrp)->self;
		else
			css = BPF_CORE_READ(cs, subsys[hier & 15]);
		slot = ct_cgroup_job(css, hier);
		if (slot != CT_SLOT_OTHER)
			return slot;
	}
	return CT_SLOT_OTHER;
}

static __always_inline __u32 ct_job_of(struct task_struct *t, struct ct_task *c)
{
	struct css_set *cs = t->cgroups;	/* compared, never dereferenced here */
	__u32 gen = ct_job_gen;

	if (c->cset != (__u64)cs || c->gen != gen) {
		c->job = ct_resolve(t, cs);
		c->cset = (__u64)cs;
		c->gen = gen;
	}
	return c->job;
}

static __always_inline struct ct_job_stats *ct_stats_of(__u32 cpu, __u32 slot)
{
	__u32 idx = cpu * targ_max_jobs + slot;

	return bpf_map_lookup_elem(&ct_stats, &idx);
}

static __always_inline void ct_hist_add(__u32 cpu, __u32 slot, __u32 kind, __u64 v)
{
	__u32 idx = (cpu * targ_max_jobs + slot) * CT_HIST_NR + kind;
	struct ct_hist *h = bpf_map_lookup_elem(&ct_hists, &idx);
	__u32 b = ct_hist_bucket(v);

	if (h && b < CT_HIST_NBUCKETS)
		h->b[b]++;
}

static __always_inline struct ct_pair_stats *ct_pair_of(__u32 cpu, __u32 victim, __u32 culprit)
{
	__u32 idx = (cpu * targ_max_jobs + victim) * targ_max_jobs + culprit;

	return bpf_map_lookup_elem(&ct_pairs, &idx);
}

#endif /* CONTRACE_JOB_BPF_H */
