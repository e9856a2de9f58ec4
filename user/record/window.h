/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One window: deltas of every job's counters since the last window, as a line of JSON. */
#ifndef CONTRACE_WINDOW_H
#define CONTRACE_WINDOW_H

#include <jansson.h>
#include <stdint.h>
#include "jobs.h"
#include "keyed.h"
#include "jw.h"
#include "schema.h"

/* cgroupfs cross-check files per job: the pressure files come first. */
enum ct_kfile {
	CT_KF_PSI_CPU,
	CT_KF_PSI_IO,
	CT_KF_PSI_MEM,
	CT_KF_CPU_STAT,
	CT_KF_MEMORY_STAT,
	CT_KFILES,
};
#define CT_KF_LAST_PSI CT_KF_PSI_MEM
extern const char *const ct_kfile_names[CT_KFILES];

/* System-wide files: the three PSI totals, then /proc/vmstat's memory-stall counters. */
enum ct_sysfile { CT_SYS_PSI_CPU, CT_SYS_PSI_IO, CT_SYS_PSI_MEM, CT_SYS_VMSTAT, CT_SYS_NR };
#define CT_SYS_LAST_PSI CT_SYS_PSI_MEM

/* One job slot's cumulative counters: at the last written window, and read for this one. */
struct job_sample {
	struct ct_totals base, cur;	/* rows allocated when a job first takes the slot */
	struct ct_kv kbase[CT_KFILES], kcur[CT_KFILES];
	bool kbase_ok[CT_KFILES], kcur_ok[CT_KFILES];
	int kfd[CT_KFILES];	/* the files kept open, fd + 1 (0: not open) */
	uint8_t kretry[CT_KFILES];	/* samples until an absent file is looked for again */
};

/*
 * The sampler: every baseline (each job slot's, the system's, the keyed maps', the losses')
 * and the window they make. The job table only names jobs and gives out slots.
 */
struct window {
	struct tracer *tr;
	uint32_t max_jobs;
	struct job_sample *samples;	/* [max_jobs], by slot */
	int kfd_open, kfd_budget;	/* cgroup files kept open, and how many may be */
	uint64_t seq;
	uint64_t start_real, end_real;	/* CLOCK_REALTIME ns */
	uint64_t start_mono, end_mono;
	bool final;
	struct ct_kv sys_base[CT_SYS_NR], sys_cur[CT_SYS_NR];	/* by enum ct_sysfile */
	bool sys_base_ok[CT_SYS_NR], sys_cur_ok[CT_SYS_NR];
	struct keyed eps_base, eps_cur;		/* ct_ep_key -> ct_ep_stats */
	struct keyed disk_base, disk_cur;	/* ct_disk_key -> ct_disk_stats */
	uint64_t lost_base[CT_LOST_NR], lost_cur[CT_LOST_NR];
	uint64_t created_base[2], created_cur[2];	/* entries ever made: endpoints, disk */
};

/* Session header line, appended to @b: who, where, what is recorded, how histograms are bucketed. */
void window__session_write(struct ct_buf *b, const char *session, const struct jobs *js,
			   double interval_s, uint64_t start_real);
/*
 * Before jobs__attach: an empty sampler for @js's slots; each job takes its baseline when it
 * takes its slot (jobs.on_register).
 */
int window__init(struct window *w, struct jobs *js, struct tracer *tr);
/* Begin the first window now: system-wide baselines (jobs take theirs when registered). */
void window__start(struct window *w);
/* Read all counters (tracer and cgroupfs) for the window ending now. */
void window__read(struct window *w, struct jobs *js);
/* A job's "progress" member in a window: a new reference, or NULL for none. */
typedef json_t *(*window_progress_fn)(void *arg, const struct ct_job *j);
/*
 * Append the window object, from what window__read read, to @b as JSON text (no newline);
 * @session names the recorder run; @progress (may be NULL) gives each job's progress.
 */
void window__write(struct ct_buf *b, const struct window *w, const struct jobs *js,
		   const char *session, window_progress_fn progress, void *arg);
/* The window was written: what was read becomes the next baseline. */
void window__commit(struct window *w, struct jobs *js);
void window__free(struct window *w);

/* Endpoints listed one by one per job and window; the rest are summed into one entry. */
#define CT_TOP_ENDPOINTS 8
extern const char *const ct_disk_op_names[CT_DISK_NR];

#endif /* CONTRACE_WINDOW_H */
