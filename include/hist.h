/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Log-linear histogram buckets, shared by BPF and user space.
 *
 * Values below 16 have a bucket each. Above, every power-of-two range [2^k, 2^(k+1)) is split
 * into 16 equal sub-buckets, so a bucket is at most 1/16 of its lower bound wide and its
 * midpoint is within 1/32 (3.1 %) of any value in it. Values of 2^36 ns (68.7 s) and more share
 * the last bucket; the exact maximum is kept beside the histogram.
 */
#ifndef CONTRACE_HIST_H
#define CONTRACE_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CT_HIST_SUB_BITS	4
#define CT_HIST_SUB		(1u << CT_HIST_SUB_BITS)
#define CT_HIST_MAX_LOG		36
#define CT_HIST_NBUCKETS	((CT_HIST_MAX_LOG - CT_HIST_SUB_BITS + 1) * CT_HIST_SUB)

static inline __u32 ct_log2(__u64 v)
{
	__u32 r, s;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	s = (v > 0xffff) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xff) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xf) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	return r | (__u32)(v >> 1);
}

static inline __u32 ct_hist_bucket(__u64 v)
{
	__u32 k;

	if (v < CT_HIST_SUB)
		return (__u32)v;
	k = ct_log2(v);
	if (k >= CT_HIST_MAX_LOG)
		return CT_HIST_NBUCKETS - 1;
	return (k - CT_HIST_SUB_BITS + 1) * CT_HIST_SUB +
	       (__u32)((v >> (k - CT_HIST_SUB_BITS)) & (CT_HIST_SUB - 1));
}

/* Smallest value that falls in bucket @b. */
static inline __u64 ct_hist_lower(__u32 b)
{
	__u32 k;

	if (b < CT_HIST_SUB)
		return b;
	k = b / CT_HIST_SUB + CT_HIST_SUB_BITS - 1;
	return (__u64)(CT_HIST_SUB + b % CT_HIST_SUB) << (k - CT_HIST_SUB_BITS);
}

/* Width of bucket @b (the last bucket is open-ended; its nominal width is returned). */
static inline __u64 ct_hist_width(__u32 b)
{
	if (b < CT_HIST_SUB)
		return 1;
	return 1ULL << (b / CT_HIST_SUB - 1);
}

#endif /* CONTRACE_HIST_H */
