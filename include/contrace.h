/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the BPF programs and the user-space recorder. */
#ifndef CONTRACE_H
#define CONTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CT_MAX_HIER		4	/* cgroup hierarchies (v2 + v1 controllers) followed */
#define CT_MAX_DEPTH		32	/* cgroup ancestors walked on a cache miss */
#define CT_MAX_CGROUPS		4096	/* cgroups registered as job roots */
#define CT_MAX_JOBS_DEFAULT	64	/* job slots, including the reserved ones below */
#define CT_HIER_V2		0xffffffffu	/* hierarchy id of cgroup v2 (else a v1 subsys id) */

/* Job slots. A slot indexes every per-job array; user jobs start at CT_SLOT_FIRST_JOB. */
enum ct_slot {
	CT_SLOT_IDLE = 0,	/* only ever a culprit: the CPU was idle (wakeup latency) */
	CT_SLOT_OTHER = 1,	/* tasks outside every job */
	CT_SLOT_KERNEL = 2,	/* kernel threads */
	CT_SLOT_FIRST_JOB = 3,
};

/* Why a task was off CPU, decided when it blocked. Order is the report's column order. */
enum ct_off_reason {
	CT_OFF_DISK,		/* D state, in_iowait */
	CT_OFF_DSTATE,		/* other uninterruptible sleep */
	CT_OFF_SOCKET,		/* socket syscall, or read/write/poll on one socket */
	CT_OFF_POLL,		/* poll/select/epoll on several fds or non-sockets */
	CT_OFF_LOCK,		/* futex */
	CT_OFF_SLEEP,		/* nanosleep, clock_nanosleep */
	CT_OFF_CHILD,		/* wait4, waitid */
	CT_OFF_PIPE,		/* read/write on a pipe or FIFO */
	CT_OFF_OTHER,
	CT_OFF_NR,
};

/* Histograms kept per job. */
enum ct_hist_kind {
	CT_HIST_RUNQ,		/* run-queue delay per wait */
	CT_HIST_SOCKET,		/* off-CPU time per socket wait */
	CT_HIST_NR,
};

/* Cumulative per-CPU counters of one job slot: user space sums CPUs and takes deltas. */
struct ct_job_stats {
	__u64 oncpu_ns;
	__u64 runq_ns;
	__u64 runq_cnt;
	__u64 runq_max_ns;	/* not cumulative: user space swaps it to 0 each window */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 off_ns[CT_OFF_NR];
	__u64 off_cnt[CT_OFF_NR];
};

/* One cell of the victim x culprit matrix (per CPU). */
struct ct_pair_stats {
	__u64 delay_ns;		/* victim's run-queue delay while the culprit held the CPU */
	__u64 delay_cnt;	/* victim's waits during which the culprit ran */
	__u64 preempts;		/* victim preempted by the culprit */
};

/*
 * The last CT_RING slices run on one CPU: slice i ran from end[i-1] to end[i] for job slot[i].
 * A waiting task's delay is split among the slices that overlap its wait.
 */
#define CT_RING 16
struct ct_ring {
	__u64 end[CT_RING];
	__u32 slot[CT_RING];
	__u64 head;		/* slices pushed so far; the next goes to head % CT_RING */
};

/* Key of the cgroup -> job map. */
struct ct_cgkey {
	__u64 cgid;
	__u32 hier;		/* CT_HIER_V2 or a v1 cgroup_subsys_id */
	__u32 pad;
};

#endif /* CONTRACE_H */
