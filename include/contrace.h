/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the BPF programs and the user-space recorder. */
#ifndef CONTRACE_H
#define CONTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hist.h"

#define CT_MAX_HIER		4	/* cgroup hierarchies (v2 + v1 controllers) followed */
#define CT_MAX_DEPTH		32	/* cgroup ancestors walked on a cache miss */
#define CT_MAX_CGROUPS		4096	/* cgroups registered as job roots */
#define CT_MAX_JOBS_DEFAULT	64	/* job slots, including the reserved ones below */
#define CT_MAX_JOBS_LIMIT	1024	/* the most --max-jobs allows */
#define CT_HIER_V2		0xffffffffu	/* hierarchy id of cgroup v2 (else a v1 subsys id) */

/* Job slots. A slot indexes every per-job array; user jobs start at CT_SLOT_FIRST_JOB. */
enum ct_slot {
	CT_SLOT_IDLE = 0,	/* only ever a culprit: the CPU was idle (wakeup latency) */
	CT_SLOT_OTHER = 1,	/* tasks outside every job */
	CT_SLOT_KERNEL = 2,	/* kernel threads */
	CT_SLOT_WRITEBACK = 3,	/* only in disk stats: I/O submitted by kernel threads (flushers) */
	CT_SLOT_FIRST_JOB = 4,
};

/* Why a task was off CPU, decided when it blocked. Order is the report's column order. */
enum ct_off_reason {
	CT_OFF_DISK,		/* D state, in_iowait */
	CT_OFF_DSTATE,		/* other uninterruptible sleep */
	CT_OFF_SOCKET,		/* on a socket's peer: recv/send/connect on it, or a poll,
				 * select or epoll wait that its data ended */
	CT_OFF_POLL,		/* poll/select/epoll ended by no socket: a timeout, an eventfd,
				 * a pipe, a signal */
	CT_OFF_LOCK,		/* futex */
	CT_OFF_SLEEP,		/* nanosleep, clock_nanosleep */
	CT_OFF_CHILD,		/* wait4, waitid */
	CT_OFF_PIPE,		/* read/write on a pipe or FIFO */
	CT_OFF_SERVE,		/* a server waiting for requests: the same waits on a socket it
				 * serves (listening, or accepted on a service port) */
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
	/*
	 * Time a task held a CPU that the scheduler does not count as its run time: the
	 * hypervisor's steal (PARAVIRT_TIME_ACCOUNTING) and interrupts (IRQ_TIME_ACCOUNTING).
	 */
	__u64 stolen_ns;
	__u64 runq_ns;
	__u64 runq_cnt;
	__u64 runq_max_ns;	/* not cumulative: user space swaps it to 0 each window */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 off_ns[CT_OFF_NR];
	__u64 off_cnt[CT_OFF_NR];
	__u64 reclaim_ns;	/* direct and cgroup-limit reclaim, in the job's own tasks */
	__u64 reclaim_cnt;
	__u64 majflt;		/* major faults (file read-in and swap-in) */
	__u64 swapout;		/* anonymous pages the job's reclaim wrote to swap */
	/*
	 * Intervals (switch-out to switch-out of a task) whose switch-in was not traced: their
	 * split comes from the scheduler's counters alone, and where they started on the CPU is
	 * estimated (for the culprits)...
	 */
	__u64 repaired;
	__u64 repaired_ns;
	/* ...and intervals holding several runs (a switch-out not traced): one reason for all. */
	__u64 unsplit;
	__u64 unsplit_ns;
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
	__u32 cur;		/* the slot the newest traced switch put on the CPU */
	__u64 head;		/* slices pushed so far; the next goes to head % CT_RING */
	__u64 cur_task;		/* the task it put there (a task_struct's address)... */
	__u64 cur_in;		/* ...and when */
};

/* Key of the cgroup -> job map. */
struct ct_cgkey {
	__u64 cgid;
	__u32 hier;		/* CT_HIER_V2 or a v1 cgroup_subsys_id */
	__u32 pad;
};

/* Disk: one entry per job slot x device x operation, cumulative. */
enum ct_disk_op {
	CT_DISK_READ,
	CT_DISK_WRITE,
	CT_DISK_FLUSH,
	CT_DISK_DISCARD,
	CT_DISK_OTHER,
	CT_DISK_NR,
};

#define CT_DISK_ENTRIES	512

struct ct_disk_key {
	__u32 slot;
	__u32 dev;		/* kernel dev_t: major << 20 | minor */
	__u32 op;		/* enum ct_disk_op */
	__u32 pad;
};

struct ct_disk_stats {
	__u64 count;		/* requests completed */
	__u64 bytes;
	__u64 queue_ns;		/* entered the block layer -> issued to the driver */
	__u64 dev_ns;		/* issued -> completed */
	__u64 merged;		/* bios and requests merged into another request */
	__u64 no_start;		/* completed requests whose start was not seen (no queue time) */
	__u64 qhist[CT_HIST_NBUCKETS];
	__u64 dhist[CT_HIST_NBUCKETS];
};

/* Network: one entry per job slot x remote endpoint, cumulative. */
#define CT_EP_ENTRIES	1024
#define CT_EP_LOCAL	1	/* no remote (listening or unconnected): port is the local one */
#define CT_AF_INET	2
#define CT_AF_UNIX	1
#define CT_AF_INET6	10

struct ct_ep {
	__u16 family;		/* CT_AF_*, 0: not a socket contrace can name */
	__u16 port;		/* host order */
	__u32 flags;		/* CT_EP_LOCAL */
	__u8 addr[16];		/* IPv4 in the first 4 bytes */
};

/*
 * A thread of a process job found running at start: its slot, and its start time as /proc
 * shows it (clock ticks since boot), so that a reused thread id never inherits the job.
 */
#define CT_PID_JOBS	65536
#define CT_USER_HZ	100
#define CT_PJ_ENV	1	/* ct_pid_job.flags: an environment job's (--jobs-by-env), found at start */
struct ct_pid_job {
	__u64 start_ticks;
	__u32 slot;
	__u32 flags;
};

/*
 * --jobs-by-env VAR[,TIE]: a value of VAR in a process's environment names a job; a value of
 * TIE (optional) belongs to the job of the VAR it was first seen with. Keyed by ct_env_hash of
 * (variable index, value), shared by BPF (at exec) and user space (at start).
 */
#define CT_ENV_VARS	2
#define CT_ENV_VAR_MAX	64	/* "VAR=" at most this long */
#define CT_ENV_BUF	256	/* an environment string is read in pieces of this many bytes */
#define CT_ENV_VALUE	128	/* a value kept for user space to name the job */
#define CT_ENV_JOBS	4096	/* values and ties known at once */
#define CT_ENV_POOL	8	/* slots ready for new values, filled by user space */
#define CT_ENV_STRINGS	2048	/* environment pieces read at one exec */
#define CT_FNV_OFFSET	0xcbf29ce484222325ULL
#define CT_FNV_PRIME	0x100000001b3ULL

struct ct_env_job {
	__u32 slot;
	__u16 var;		/* index of the variable this value is of */
	__u16 len;		/* of value, without a NUL */
	char value[CT_ENV_VALUE];
};

/* A unix socket's name (a path, or an abstract one: a leading NUL), keyed by its hash. */
#define CT_UNIX_NAMES	1024
struct ct_unix_name {
	__u32 len;
	char name[128];		/* 108 used: a power of two lets BPF bound its read */
};

struct ct_ep_key {
	__u32 slot;
	struct ct_ep ep;
};

struct ct_ep_stats {
	__u64 wait_ns;		/* off CPU in a socket wait on this endpoint */
	__u64 wait_cnt;
	__u64 cont_cnt;		/* waits continuing a request, not beginning one (sched.bpf.c): the
				 * requests are wait_cnt - cont_cnt */
	__u64 conn_ns;		/* TCP connect: SYN sent -> established */
	__u64 conn_cnt;
	__u64 conn_fail;	/* SYN sent -> closed */
	__u64 retrans;		/* TCP segments retransmitted */
	__u64 srtt_us;		/* sum of smoothed RTT samples (one per receive)... */
	__u64 srtt_cnt;		/* ...and their number */
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u64 hist[CT_HIST_NBUCKETS];	/* socket wait */
};

#endif /* CONTRACE_H */
