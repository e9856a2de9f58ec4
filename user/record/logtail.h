/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Following a job's log while recording (--log NAME=FILE): each window, the lines the log
 * gained are scanned for progress lines and the last one is kept, so every window can carry
 * the job's processed count. A log that does not exist yet, is truncated or is replaced
 * (rotation) is followed from its new start.
 */
#ifndef CONTRACE_LOGTAIL_H
#define CONTRACE_LOGTAIL_H

#include <stdbool.h>
#include <sys/types.h>
#include "progress.h"
#include "util.h"

struct logtail {
	char job[CT_NAME_MAX];
	const char *path;
	int fd;				/* -1 until the log exists */
	off_t off;
	struct ct_buf part;		/* a line not complete yet */
	bool have;			/* a progress line with a count was seen */
	struct ct_progress last;
	uint64_t lines, perf_lines;
	int last_err;			/* the last poll's error, said once until it changes */
};

/* "NAME=FILE"; the message names the option on a bad one. */
int logtail__init(struct logtail *t, const char *spec);
/* Read what the log gained; 0, or -errno when it exists but cannot be read. */
int logtail__poll(struct logtail *t);
/* Feed bytes as if read from the log (the unit tests and logtail__poll use it). */
void logtail__feed(struct logtail *t, const char *data, size_t len);
void logtail__free(struct logtail *t);

#endif /* CONTRACE_LOGTAIL_H */
