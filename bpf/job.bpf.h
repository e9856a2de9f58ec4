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

/* The scheduler's own per-task counters: exact whether or not a tracepoint fires. */
struct ct_sched_cnt {
	__u64 exec;		/* se.sum_exec_runtime: on-CPU ns */
	__u64 delay;		/* sched_info.run_delay: run-queue ns */
	__u64 runs;		/* sched_info.pcount: times it got a CPU */
	__u64 nvcsw, nivcsw;
};

struct ct_task {
	__u64 out_ts;		/* its last traced switch-out (0: none yet) */
	__u64 in_ts;		/* its last traced switch-in */
	struct ct_sched_cnt cnt;	/* the counters at out_ts */
	__u64 cset;		/* css_set the job was resolved from */
	__u64 file;		/* file last classified by its mode... */
	__u32 gen;		/* ct_job_gen at resolution */
	__u16 job;
	__u8 blocked;		/* it blocked at out_ts, for reason (else it was preempted) */
	__u8 reason;
	__u8 file_reason;	/* ...and what it was */
	__u8 ep_ok;		/* the current block is on the socket file, whose endpoint is ep */
	__u8 ep_tcp;		/* ...a TCP socket, whose smoothed RTT at the block is srtt_us */
	__u8 pad;
	__u32 srtt_us;
	struct ct_ep ep;
	__u64 sk;		/* the cached socket file's struct sock */
	__u64 majflt;		/* task's maj_flt + 1 when last seen (0: not seen yet) */
	__u64 reclaim_ts;	/* in reclaim since (0: not in reclaim) */
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

/*
 * Endpoint and disk tables drop their least recently used entry when full, so a job that
 * touched a thousand ports cannot lock the next job out; user space counts what vanished.
 */
struct ct_ep_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_EP_ENTRIES);
	__type(key, struct ct_ep_key);
	__type(value, struct ct_ep_stats);
};

struct ct_disk_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_DISK_ENTRIES);
	__type(key, struct ct_disk_key);
	__type(value, struct ct_disk_stats);
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
extern struct ct_ep_map ct_eps SEC(".maps");		/* (slot, endpoint) */
extern struct ct_disk_map ct_disk SEC(".maps");	/* (slot, device, operation) */

extern const volatile __u32 targ_max_jobs;
extern const volatile bool targ_switch_state_arg;
extern const volatile bool targ_retrans_err_arg;
extern const volatile __u32 targ_nhier;
extern const volatile __u32 targ_hier[CT_MAX_HIER];
extern volatile __u32 ct_job_gen;
extern const volatile __u64 targ_t0_ns;	/* tasks started since are counted from birth */
extern const volatile __u32 targ_drop_idle_pct;	/* tests: ignore this % of switches out of idle */
extern __u64 ct_drops;
extern __u64 ct_ep_full;	/* endpoint events lost: ct_eps full */
extern __u64 ct_disk_full;	/* disk events lost: ct_disk or the request table full */
extern __u64 ct_ep_created, ct_disk_created;	/* entries ever made in ct_eps, ct_disk */
extern const volatile __u16 targ_eph_lo, targ_eph_hi;	/* ephemeral port range */
extern struct ct_ep_stats ct_zero_ep;
extern struct ct_disk_stats ct_zero_disk;

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

/* @n values of @v each in @slot's histogram @kind on @cpu. */
static __always_inline void ct_hist_add(__u32 cpu, __u32 slot, __u32 kind, __u64 v, __u64 n)
{
	__u32 idx = (cpu * targ_max_jobs + slot) * CT_HIST_NR + kind;
	struct ct_hist *h = bpf_map_lookup_elem(&ct_hists, &idx);
	__u32 b = ct_hist_bucket(v);

	if (h && b < CT_HIST_NBUCKETS)
		h->b[b] += n;
}

static __always_inline struct ct_pair_stats *ct_pair_of(__u32 cpu, __u32 victim, __u32 culprit)
{
	__u32 idx = (cpu * targ_max_jobs + victim) * targ_max_jobs + culprit;

	return bpf_map_lookup_elem(&ct_pairs, &idx);
}

/*
 * The map entry for @key, created zeroed if absent (@created counts those made: user space
 * tells how many the table dropped by how many are left); NULL (and @full counted) if none.
 */
static __always_inline void *ct_keyed_get(void *map, const void *key, const void *zero,
					  __u64 *full, __u64 *created)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	if (!bpf_map_update_elem(map, key, zero, BPF_NOEXIST))
		__sync_fetch_and_add(created, 1);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		__sync_fetch_and_add(full, 1);
	return v;
}

static __always_inline struct ct_ep_stats *ct_ep_of(__u32 slot, const struct ct_ep *ep)
{
	struct ct_ep_key key = { .slot = slot, .ep = *ep };

	return ct_keyed_get(&ct_eps, &key, &ct_zero_ep, &ct_ep_full, &ct_ep_created);
}

/* The cumulative kernel-side histogram @h gains @v (shared entries: atomic). */
static __always_inline void ct_hist_add_atomic(__u64 *h, __u64 v)
{
	__u32 b = ct_hist_bucket(v);

	if (b < CT_HIST_NBUCKETS)
		__sync_fetch_and_add(&h[b], 1);
}

#define CT_IPPROTO_TCP 6
#define ntohs16(x) ((__u16)(((x) >> 8) | ((x) << 8)))

/*
 * Who @sk talks to. A connection whose local port is a listening one (outside the ephemeral
 * range) while its peer's is inside it is the served side: it is named by its local port, so
 * a server's thousand clients make one endpoint, not a thousand.
 */
static __always_inline void ct_sk_endpoint(struct sock *sk, struct ct_ep *ep)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family), dport, lport;
	bool served;
	__u32 a4;

	__builtin_memset(ep, 0, sizeof(*ep));
	if (fam != CT_AF_INET && fam != CT_AF_INET6) {
		ep->family = fam == CT_AF_UNIX ? CT_AF_UNIX : 0;
		return;
	}
	ep->family = fam;
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	dport = ntohs16(dport);
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	served = lport && (lport < targ_eph_lo || lport > targ_eph_hi) &&
		 dport >= targ_eph_lo && dport <= targ_eph_hi;
	if (!dport || served) {
		ep->flags = CT_EP_LOCAL;
		ep->port = lport;
		if (fam == CT_AF_INET) {
			/* READ_INTO reads sizeof(*dst): an IPv4 address goes through a u32. */
			a4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__builtin_memcpy(ep->addr, &a4, 4);
		} else {
			BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_rcv_saddr);
		}
		return;
	}
	ep->port = dport;
	if (fam == CT_AF_INET) {
		a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ep->addr, &a4, 4);
	} else {
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_daddr);
	}
}

#endif /* CONTRACE_JOB_BPF_H */
