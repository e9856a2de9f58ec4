/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * contrace report's model: the experiment's snapshots (their contention files), per-window
 * series from the recording, and the verdicts on the experiment's questions, each with its
 * evidence and confidence. report_md.c writes it as analysis/report.md with charts.
 */
#ifndef CONTRACE_REPORT_H
#define CONTRACE_REPORT_H

#include <jansson.h>
#include "safefile.h"
#include <limits.h>
#include <stdint.h>
#include "util.h"

#define RPT_MAX_JOBS 16
#define RPT_MAX_SNAPS 8
#define RPT_SMOOTH 5	/* the smoothed rate spans the last 4 changes of a job's count */

struct rsnap {
	char tag[CT_NAME_MAX];
	uint64_t t_ns;
	json_t *c;		/* the contention file */
	const json_t *span;	/* c["span"] */
	char profile[PATH_MAX];	/* its name in snapshots/; "" when none was kept */
};

/* One job's per-window figures, for the charts and the rate over time. */
struct rseries {
	size_t n, cap;
	double *t;		/* window end, seconds from the recording's first window start */
	double *runq_ms;	/* mean run-queue delay per wait */
	double *sock_ms;	/* mean socket wait per wait */
	double *disk_ms_s;	/* ms of disk wait per second */
	double *rate;		/* units of work per second (NAN: unknown) */
	double *rate_smooth;	/* the same from one change of the count to the next (NAN between) */
	double *cpus;		/* CPUs busy: on-CPU time per second */
	double *lock_ms_s;	/* ms of lock (futex) wait per second */
	int64_t last_done;
	/* the count at its last RPT_SMOOTH changes, and when (a ring; nchg of them so far) */
	int64_t chg_done[RPT_SMOOTH];
	double chg_t[RPT_SMOOTH];
	int nchg;
};

struct rjob {
	char name[CT_NAME_MAX];
	struct rsnap snap[RPT_MAX_SNAPS];	/* by time */
	int nsnap;
	uint64_t first_ran_ns;
	double busy_first_s, busy_last_s;	/* for jobs without snapshots: is it a server? */
	struct rseries s;
	json_t *served;		/* {"ADDR:PORT": waits} of its local-side endpoints: what it serves */
};

struct report {
	char dir[2048], windows[PATH_MAX];
	struct safedir top, snaps;	/* DIR and DIR/snapshots: files are reached from these */
	struct rjob jobs[RPT_MAX_JOBS];
	int njobs;
	uint64_t t0_ns;		/* the recording's first window start */
	int windows_read, bad_lines;
	int bad_entries;		/* job entries without a field the charts need... */
	const char *missing;		/* ...the first such field */
	int a, b;		/* index of Job A (the one alone first) and Job B (-1: none) */
	json_t *verdicts;	/* [{"question", "answer", "confidence", "evidence": [...]}] */
	json_t *facts;		/* the numbers the verdicts rest on */
};

/* Load DIR's snapshots and the recording (@windows, or the one the snapshots name). */
int report__load(struct report *r, const char *dir, const char *windows);
/* Decide the verdicts from what was loaded. */
void report__judge(struct report *r);
/* analysis/report.md, report.json and the charts. */
int report__write(struct report *r);
void report__free(struct report *r);

/* Change from @a to @b in percent (NAN when @a is not positive). */
double rpt_pct(double a, double b);

#endif /* CONTRACE_REPORT_H */
