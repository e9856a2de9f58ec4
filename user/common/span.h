/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading windows.jsonl back: every window line in order, and one job's figures summed over a
 * span of windows (deltas added up, histograms merged, culprits and kernel counters summed by
 * name). snapshot and report read the recorder's output this way, while it is still running.
 */
#ifndef CONTRACE_SPAN_H
#define CONTRACE_SPAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "contrace.h"
#include "hist.h"
#include "progress.h"
#include "schema.h"
#include "util.h"

/* One endpoint's socket waits and TCP figures, summed over the span's windows. */
struct ct_span_ep {
	char name[128];		/* "ADDR:PORT", "unix:PATH", "other", or "others" (the summed rest) */
	bool local;		/* named by the job's own port: a socket it listens on or serves */
	uint64_t ns, count, connects, connect_ns, connect_fail, retrans, tx, rx;
	uint64_t requests;	/* waits that began a request (a window without them: its count) */
	double srtt_sum;	/* sum of the windows' mean smoothed RTT (us)... */
	int srtt_n;		/* ...over this many windows */
	uint64_t hist[CT_HIST_NBUCKETS];
};

/* One device x operation line of the job's disk I/O, summed over the span's windows. */
struct ct_span_disk {
	char device[32], op[16];
	uint64_t count, bytes, merged, no_start, queue_ns, dev_ns;
	uint64_t qhist[CT_HIST_NBUCKETS], dhist[CT_HIST_NBUCKETS];
};

/* What per-unit figures divide: the job's figures over windows whose units of work are known. */
struct ct_span_cov {
	double dur_s;
	uint64_t oncpu_ns, runq_ns, off_ns[CT_OFF_NR], off_cnt[CT_OFF_NR];
	uint64_t reclaim_ns, majflt, swapout;
};

#define CT_SPAN_GAPS 8	/* recording gaps listed by time; more are only counted */

struct ct_span {
	char job[CT_NAME_MAX];
	int nwin;			/* windows in which the job appears */
	uint64_t from_ns, to_ns;	/* start of the first of them, end of the last */
	double dur_s;			/* their summed length */
	uint64_t oncpu_ns, stolen_ns, nvcsw, nivcsw;
	uint64_t runq_ns, runq_cnt, runq_max_ns;
	uint64_t runq_hist[CT_HIST_NBUCKETS];
	uint64_t off_ns[CT_OFF_NR], off_cnt[CT_OFF_NR];
	uint64_t sock_hist[CT_HIST_NBUCKETS];
	json_t *culprits;		/* {"B": {"runq_ns": n, "count": n, "preempts": n}, ...} */
	json_t *kernel;			/* {"cpu.pressure": {"some_total_us": n, ...}, ...} */
	json_t *system;			/* node PSI over the same windows */
	uint64_t lost[CT_LK_NR];	/* by enum ct_lost_key (schema.h) */
	struct ct_span_ep *eps;		/* [neps], in order of first appearance */
	int neps;
	struct ct_span_disk *disks;	/* [ndisks] */
	int ndisks;
	uint64_t reclaim_ns, reclaims, majflt, swapout;
	uint64_t unslotted_jobs, unslotted_ns;	/* children without a job slot: most, their CPU */
	int nprog;			/* windows that carried a progress line */
	struct ct_progress prog_first, prog_last;
	uint64_t prog_first_ns, prog_last_ns;	/* end of the windows that carried them */
	bool seen_before;		/* the job ran in a window before the span */
	bool has_base;			/* ... and printed progress there: */
	struct ct_progress prog_base;	/* the last progress line before the span */
	bool ended;
	int bad;			/* job entries that did not have the expected form */
	const char *missing;		/* the first field a job entry lacked (a static string) */
	/*
	 * Units of work are known between two progress counts with no recording gap between them
	 * (or from a job's birth while recording, when it counted 0). Per-unit figures use only
	 * those windows: time in a gap, or before a recorder that started after the job, has its
	 * units in the count but not its time.
	 */
	bool have_last;			/* a window was seen (before or in the span) */
	uint64_t last_end;		/* ...and this is where it ended */
	int64_t known;			/* the job's count at last_end; -1 unknown */
	struct ct_span_cov pend, cov;	/* since the last count; over known units */
	int64_t cov_units;		/* units over cov */
	bool cov_any;			/* some units are known (maybe 0) */
	int64_t unseen_units;		/* count at the first sight of a job already counting */
	int ngaps;			/* recording gaps between the span's windows */
	double gap_s;
	uint64_t gap_from[CT_SPAN_GAPS], gap_to[CT_SPAN_GAPS];
};

/* Called for each window line; a non-zero return stops the scan and is returned. */
typedef int (*span_window_fn)(const json_t *win, void *arg);

struct span_scan {
	int lines, windows, sessions;
	int bad_lines;		/* not JSON, or not an object with a known type */
	int first_bad_line;
	json_t *session;	/* the last session line seen (a new reference), or NULL */
	int newer_v, newer_line;	/* a line of a newer schema than CT_SCHEMA_VERSION */
};

/*
 * Every window line of @f in order. Lines that do not parse are counted and skipped (a torn
 * last line after a crash is normal). Returns 0, the callback's non-zero value, or
 * -EPROTONOSUPPORT at a session or window line of a newer schema (newer_v, newer_line).
 */
int span__scan(FILE *f, span_window_fn fn, void *arg, struct span_scan *st);
/* Open @path and scan it; -errno with a message naming @path when it cannot be read. */
int span__scan_path(const char *path, span_window_fn fn, void *arg, struct span_scan *st);

void span__init(struct ct_span *s, const char *job);
void span__free(struct ct_span *s);
/* Add @job's entry of window @win to @s; false when the window has no such job. */
bool span__add_window(struct ct_span *s, const json_t *win);
/* A window before the span: only the job's last progress line before it is kept. */
void span__see_before(struct ct_span *s, const json_t *win);
/* The span as JSON: totals, percentiles, per-unit figures when progress is known. */
json_t *span__to_json(const struct ct_span *s);
/* Units of work known done within the span (see struct ct_span), or -1 when unknown. */
int64_t span__units(const struct ct_span *s);

/*
 * When a job's figures (a window's job entry, or a span) rest on intervals this kernel did not
 * trace whole (repaired: 1 % of its thread time or more; unsplit: any), or hold the CPU time of
 * children that had no job slot, a sentence saying so, in @buf; else false.
 */
bool span__gap_note(const json_t *job, char *buf, size_t len);

/* JSON file @name in folder @dirfd, never through a link; NULL (with a note) when unreadable. */
json_t *ct_json_loadat(int dirfd, const char *name);

/* Small accessors of jansson values with defaults. */
uint64_t ct_json_u64(const json_t *o, const char *key);
double ct_json_num(const json_t *o, const char *key, double dflt);
/* A window's endpoint entry's requests; one recorded before requests were told apart: its waits. */
uint64_t ct_ep_requests(const json_t *e);
/* A span's endpoint's wait per request; one written before requests were: its mean per wait. */
double ct_ep_request_ns(const json_t *e);

#endif /* CONTRACE_SPAN_H */
