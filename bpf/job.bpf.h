/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which job a task belongs to. With maps.bpf.h (the shared maps), counters.bpf.h (where a job's
 * counters live) and sock.bpf.h (a socket's endpoint), which it includes for every BPF file.
 *
 * Resolution is cached per task (task storage) and keyed by the task's css_set: any change of
 * cgroup, in any hierarchy, gives the task a new css_set and so a re-resolution. User space
 * bumps ct_job_gen whenever the set of job cgroups changes, which invalidates every cache.
 */
#ifndef CONTRACE_JOB_BPF_H
#define CONTRACE_JOB_BPF_H

#include "maps.bpf.h"

#define CT_SUBSYS_MASK 15	/* css_set.subsys[] has CGROUP_SUBSYS_COUNT (<= 16) entries */

/*
 * Per-task state (struct ct_task) is an entry of ct_tslots, an array by the task's address
 * (see ct_tslot_of()), owned by one task at a time: taken at the task's first lookup, given
 * back when it is freed (sched_process_free). An array lookup is inlined and lands on the entry; task
 * storage is a helper call and two dependent loads before it, cache misses with hundreds of
 * tasks (docs/ARCHITECTURE.md, "Cost"). A task whose entry another task owns keeps its state
 * in task storage (ct_tasks) instead, and ct_tslot_fall counts such tasks per entry: a lookup
 * that does not find its task in the entry looks in task storage only when that count says
 * it may be there, and takes a free entry only when it is 0, so that a task never has state
 * in both places.
 *
 * The owner's tag is the task's address, as a number: the verifier lets a program subtract one
 * pointer from another (privileged programs get the difference) and do nothing else with it.
 * An address, unlike a thread id, stays the task's for its whole life (a thread that execs
 * takes its leader's id and start time).
 */
static __always_inline __u64 ct_task_tag(struct task_struct *t)
{
	return (__u64)t - (__u64)&ct_drops;
}

/*
 * The entry of the task with tag @tag: its address in 4 KiB units. task_structs are 5.9 KiB
 * here, so neighbours in a slab never share an entry, and tasks made together, whose
 * task_structs are near one another, get entries near one another: few pages of the array for
 * a job's tasks. A hash spread them over as many pages as tasks, and measured no better than
 * task storage (docs/ARCHITECTURE.md, "Cost").
 */
static __always_inline __u32 ct_tslot_of(__u64 tag)
{
	return (__u32)(tag >> 12) & targ_tslot_mask & (CT_TSLOTS - 1);
}

/* @t's state, NULL if it has none. */
static __always_inline struct ct_task *ct_task_find(struct task_struct *t)
{
	__u64 tag = ct_task_tag(t);
	__u32 i = ct_tslot_of(tag);
	struct ct_task *e = bpf_map_lookup_elem(&ct_tslots, &i);

	if (e && e->owner == tag)
		return e;
	if (ct_tslot_fall[i & (CT_TSLOTS - 1)])
		return bpf_task_storage_get(&ct_tasks, t, 0, 0);
	return NULL;
}

/* @t's state, made (zeroed) if it has none; NULL (counted in ct_drops) if none can be. */
static __always_inline struct ct_task *ct_task_get(struct task_struct *t)
{
	__u64 tag = ct_task_tag(t);
	__u32 i = ct_tslot_of(tag);
	struct ct_task *e = bpf_map_lookup_elem(&ct_tslots, &i), *c;

	if (e && e->owner == tag)
		return e;
	/* a free entry, when no task of this entry is in task storage: zeroed when given back */
	if (e && !ct_tslot_fall[i & (CT_TSLOTS - 1)] &&
	    __sync_val_compare_and_swap(&e->owner, 0, tag) == 0)
		return e;
	c = bpf_task_storage_get(&ct_tasks, t, 0, 0);
	if (c)
		return c;
	c = bpf_task_storage_get(&ct_tasks, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c)
		/* the index masked again: the verifier forgets its bounds across the calls */
		__sync_fetch_and_add(&ct_tslot_fall[i & (CT_TSLOTS - 1)], 1);
	else
		__sync_fetch_and_add(&ct_drops, 1);
	return c;
}

/* @t is freed: its entry, zeroed, is free again; or one task fewer of it in task storage. */
static __always_inline void ct_task_put(struct task_struct *t)
{
	__u64 tag = ct_task_tag(t);
	__u32 i = ct_tslot_of(tag);
	struct ct_task *e = bpf_map_lookup_elem(&ct_tslots, &i);

	if (e && e->owner == tag) {
		__builtin_memset((char *)e + sizeof(e->owner), 0, sizeof(*e) - sizeof(e->owner));
		barrier();
		__sync_fetch_and_and(&e->owner, 0);
	} else if (ct_tslot_fall[i & (CT_TSLOTS - 1)] && bpf_task_storage_get(&ct_tasks, t, 0, 0)) {
		__sync_fetch_and_add(&ct_tslot_fall[i & (CT_TSLOTS - 1)], -1);
	}
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
			/* masked: the verifier wants the index bounded; CGROUP_SUBSYS_COUNT <= 16 */
			css = BPF_CORE_READ(cs, subsys[hier & CT_SUBSYS_MASK]);
		slot = ct_cgroup_job(css, hier);
		if (slot != CT_SLOT_OTHER)
			return slot;
	}
	return CT_SLOT_OTHER;
}

#define CT_PJ_SLOT	0xffff
#define CT_PJ_ENV_BIT	0x10000

/*
 * A thread of a process job found at start (ct_pid_jobs), if @t is that very thread: same id
 * and same start time, as /proc counts it (clock ticks since boot). The slot, with
 * CT_PJ_ENV_BIT when it is an environment job's.
 */
static __noinline __u32 ct_pid_job(struct task_struct *t)
{
	__u32 tid = BPF_CORE_READ(t, pid);
	struct ct_pid_job *pj = bpf_map_lookup_elem(&ct_pid_jobs, &tid);

	if (!pj || BPF_CORE_READ(t, start_boottime) / (1000000000ULL / CT_USER_HZ) != pj->start_ticks)
		return 0;
	return (pj->slot & CT_PJ_SLOT) | (pj->flags & CT_PJ_ENV ? CT_PJ_ENV_BIT : 0);
}

/* Tasks in environment job @slot: one more (@d 1) or one fewer (-1). */
static __always_inline void ct_live_add(__u32 slot, __s32 d)
{
	if (slot < CT_MAX_JOBS_LIMIT)
		__sync_fetch_and_add(&ct_live[slot], d);
}

/*
 * @t is a thread found at start (ct_pid_jobs): it takes its process job now, for good. An
 * environment job's entry is used up here and the thread counted in ct_live.
 */
static __noinline bool ct_pid_take(struct task_struct *t, struct ct_task *c)
{
	__u32 pj = ct_pid_job(t), tid;

	if (!pj || !c)
		return false;
	c->pslot = pj & CT_PJ_SLOT;
	c->penv = !!(pj & CT_PJ_ENV_BIT);
	if (c->penv) {
		ct_live_add(c->pslot, 1);
		tid = BPF_CORE_READ(t, pid);
		bpf_map_delete_elem(&ct_pid_jobs, &tid);
	}
	return true;
}

/*
 * @t's job: a process job's (--job NAME=pid:PID or --jobs-by-env, followed through forks)
 * before any cgroup's, else the deepest job cgroup it is in.
 */
static __always_inline __u32 ct_job_of(struct task_struct *t, struct ct_task *c)
{
	struct css_set *cs = t->cgroups;	/* compared, never dereferenced here */
	__u32 gen = ct_job_gen;

	if (c->pslot)
		return c->pslot;
	if (c->cset != (__u64)cs || c->gen != gen) {
		if (ct_pid_take(t, c))
			return c->pslot;
		c->job = ct_resolve(t, cs);
		c->cset = (__u64)cs;
		c->gen = gen;
	}
	return c->job;
}

#include "counters.bpf.h"
#include "sock.bpf.h"

#endif /* CONTRACE_JOB_BPF_H */
