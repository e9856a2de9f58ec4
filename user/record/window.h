/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One window: deltas of every job's counters since the last window, as a JSON object. */
#ifndef CONTRACE_WINDOW_H
#define CONTRACE_WINDOW_H

#include <jansson.h>
#include <stdint.h>
#include "jobs.h"
#include "keyed.h"
#include "schema.h"

struct window {
	uint64_t seq;
	uint64_t start_real, end_real;	/* CLOCK_REALTIME ns */
	uint64_t start_mono, end_mono;
	bool final;
	struct ct_kv sys_base[4], sys_cur[4];	/* /proc/pressure/{cpu,io,memory}, /proc/vmstat */
	bool sys_base_ok[4], sys_cur_ok[4];
	struct keyed eps_base, eps_cur;		/* ct_ep_key -> ct_ep_stats */
	struct keyed disk_base, disk_cur;	/* ct_disk_key -> ct_disk_stats */
	uint64_t lost_base[CT_LOST_NR], lost_cur[CT_LOST_NR];
	uint64_t created_base[2], created_cur[2];	/* entries ever made: endpoints, disk */
};

/* Session header line: who, where, what is recorded, how histograms are bucketed. */
json_t *window__session_json(const char *session, const struct jobs *js, double interval_s,
			     uint64_t start_real);
/* Begin the first window now: system-wide baselines (jobs take theirs when registered). */
void window__start(struct window *w, struct tracer *tr);
/* Read all counters (tracer and cgroupfs) for the window ending now. */
void window__read(struct window *w, struct jobs *js);
/* Build the window object from what window__read read; @session names the recorder run. */
json_t *window__json(const struct window *w, const struct jobs *js, const char *session);
/* The window was written: what was read becomes the next baseline. */
void window__commit(struct window *w, struct jobs *js);
void window__free(struct window *w);

/* Endpoints listed one by one per job and window; the rest are summed into one entry. */
#define CT_TOP_ENDPOINTS 8
extern const char *const ct_disk_op_names[CT_DISK_NR];

#endif /* CONTRACE_WINDOW_H */
