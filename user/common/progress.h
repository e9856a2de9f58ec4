/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Progress lines: the "[PERF] ..." lines a job prints, in the shapes the motivating job has
 * used (see progress.c), with a fallback for any other shape. Never reads past @len.
 */
#ifndef CONTRACE_PROGRESS_H
#define CONTRACE_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CT_PERF_TAG "[PERF] "

enum ct_prog_shape {
	CT_PROG_NONE,	   /* not a progress line */
	CT_PROG_RELATIVE,  /* "76255/270798 (28.2% relative) processed. Avg: ..." */
	CT_PROG_EARLY,	   /* "Processed 250 elements. Avg per element: ..." */
	CT_PROG_COUNTER,   /* "Processed:37775/403746(abs_total) [9.36%] Remaining:..." */
	CT_PROG_TOTAL,	   /* "Total time: 3427.55 s. Average per asset: 0.129 s" */
	CT_PROG_FALLBACK,  /* a [PERF] line of another shape: first N/M and durations */
};

/* Unknown counts are -1, unknown durations and percentages NAN. */
struct ct_progress {
	enum ct_prog_shape shape;
	int64_t done;		/* processed in this run */
	int64_t total;		/* to process in this run */
	int64_t abs_done;	/* processed counting earlier runs */
	int64_t abs_total;	/* whole collection */
	int64_t skipped;
	double pct;		/* as printed */
	double avg_s;		/* seconds per unit */
	double elapsed_s;
	double remaining_s;	/* ETA */
	double est_total_s;	/* elapsed + remaining, as printed */
	double total_s;		/* closing line's total time */
};

extern const char *const ct_prog_shape_names[];

/*
 * Parse one line (without or with its newline). Returns the shape; CT_PROG_NONE when the line
 * has no "[PERF] " tag (the tag may follow a logging prefix).
 */
enum ct_prog_shape progress__parse(const char *line, size_t len, struct ct_progress *p);
/* Does the line carry the "[PERF] " tag? */
bool progress__is_perf(const char *line, size_t len);
/* Parse a duration "0.150 s", "3.2 h", "14.2h", "2.5min", "32.8s", "120 ms"; NAN for "?". */
const char *progress__duration(const char *s, const char *end, double *out);
/* JSON form: known fields only, with "shape". */
json_t *progress__to_json(const struct ct_progress *p);
/* Back from the JSON form; unknown or malformed fields stay unknown. */
void progress__from_json(const json_t *o, struct ct_progress *p);

#endif /* CONTRACE_PROGRESS_H */
