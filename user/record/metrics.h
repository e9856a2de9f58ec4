/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * record --listen: the recorder's counters for Prometheus. Each window written is added to
 * per-job cumulative totals (the window's deltas of the tracer's counters: no second
 * aggregation, no BPF work), rendered once per window, and served by libmicrohttpd's own
 * thread from that rendering: a slow or hostile client never holds up the window loop.
 */
#ifndef CONTRACE_METRICS_H
#define CONTRACE_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "tracer.h"
#include "util.h"

#define CT_METRICS_KEEP_S 300	/* an ended job's series stay this long, then disappear */
#define CT_METRICS_LE 22	/* histogram buckets, 1 us to 10 s */
#define CT_METRICS_JOBS 256	/* jobs with series at once (the rest are counted, not shown) */
#define CT_METRICS_EPS 5	/* socket wait series per job: its first 4 endpoints and "other" */
#define CT_METRICS_DISKS 8	/* device x operation lines per job */

struct metrics;

/* Parse ADDR:PORT (ADDR an IPv4 address; "PORT" alone is 127.0.0.1) and start serving. */
int metrics__start(struct metrics **out, const char *spec);
void metrics__stop(struct metrics *m);
/* Add window line @win (as written to windows.jsonl) at monotonic time @now_ns, re-render. */
void metrics__window(struct metrics *m, const json_t *win, uint64_t now_ns,
		     const struct ct_prog_stat *ps, int nps);

/* The state and its rendering, apart from the server (unit tests, fuzzing). */
struct metrics_state;
struct metrics_state *metrics_state__new(void);
void metrics_state__free(struct metrics_state *s);
void metrics_state__add(struct metrics_state *s, const json_t *win, uint64_t now_ns);
/* The BPF programs' cumulative run time and runs, as the kernel has them now. */
void metrics_state__progs(struct metrics_state *s, const struct ct_prog_stat *ps, int n);
/* The Prometheus text format, or OpenMetrics (@om: counters' families without _total, # EOF). */
void metrics_state__render(const struct metrics_state *s, bool om, struct ct_buf *out);
/* The histogram buckets' upper bounds, in seconds. */
extern const double ct_metrics_le[CT_METRICS_LE];

#endif /* CONTRACE_METRICS_H */
