/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where a job's counters live: per-CPU stats, histograms, culprit pairs, keyed entries. */
#ifndef CONTRACE_COUNTERS_BPF_H
#define CONTRACE_COUNTERS_BPF_H

#include "maps.bpf.h"

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

#endif /* CONTRACE_COUNTERS_BPF_H */
