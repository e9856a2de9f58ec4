/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A job's log as a snapshot keeps it: redacted, and when large trimmed, but always keeping the
 * header (its first lines: commit, branch, start time), every progress line, every complete
 * Python traceback and the last lines. Omitted stretches are marked where they were.
 */
#ifndef CONTRACE_LOGCOPY_H
#define CONTRACE_LOGCOPY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "progress.h"
#include "redact.h"

/* A line longer than this is cut even when nothing is trimmed (max_bytes 0). */
#define LOGCOPY_LINE_MAX (1u << 20)

struct logcopy_opts {
	uint64_t max_bytes;	/* trim when the log is larger (0: never trim) */
	unsigned head_lines;	/* kept at the start when trimming */
	unsigned tail_lines;	/* kept at the end when trimming */
	struct redactor *red;	/* NULL: no redaction */
};

struct logcopy_stats {
	uint64_t bytes_in, lines_in, lines_out, perf_lines, tracebacks;
	uint64_t cut_lines;	/* kept lines cut to their share of max_bytes */
	bool trimmed;
	bool have_progress;	/* last_progress holds the last progress line with a count */
	struct ct_progress last_progress;
	char *last_perf_line;	/* redacted, without newline; malloc'd or NULL */
	char *commit, *branch;	/* found in the header, or NULL */
};

/*
 * Copy @in (a regular file: it is read twice) to @log and its progress lines to @perf.
 * 0 or -errno (a write error: the caller discards both outputs).
 */
int logcopy__run(FILE *in, FILE *log, FILE *perf, const struct logcopy_opts *o,
		 struct logcopy_stats *st);
void logcopy__stats_free(struct logcopy_stats *st);

#endif /* CONTRACE_LOGCOPY_H */
