/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * windows.jsonl's version and the names that its writer (record/window.c) and its readers
 * (common/span.c, snapshot/, report/) must agree on. docs/windows.md describes each field.
 */
#ifndef CONTRACE_SCHEMA_H
#define CONTRACE_SCHEMA_H

#include <jansson.h>
#include "contrace.h"

/* "v" of every session and window line; a reader meeting a newer one says so. */
#define CT_SCHEMA_VERSION 1

/* The off-CPU reasons, in report order: keys of a job entry's "offcpu". */
extern const char *const ct_off_names[CT_OFF_NR];

/* Keys of "lost": the window's own (node-wide), then a job entry's. */
enum ct_lost_key {
	CT_LK_STORAGE_FULL,
	CT_LK_RECURSION,
	CT_LK_ENDPOINTS_FULL,
	CT_LK_DISK_FULL,
	CT_LK_ENDPOINTS_EVICTED,
	CT_LK_DISK_EVICTED,
	CT_LK_JOBS_FULL,
	CT_LK_REPAIRED,		/* from here on, a job entry's own (the window has sums) */
	CT_LK_REPAIRED_NS,
	CT_LK_UNSPLIT,
	CT_LK_UNSPLIT_NS,
	CT_LK_NR,
};
#define CT_LK_FIRST_JOB CT_LK_REPAIRED
extern const char *const ct_lost_keys[CT_LK_NR];

/*
 * How many of the fields that every reader needs and every recorder of this version writes
 * ("cpu.oncpu_ns", "runq.ns", "offcpu") a job entry of a window line lacks or has in another
 * form; *first names the first of them. Other fields are optional (absent reads as none).
 */
int schema__job_missing(const json_t *job, const char **first);

#endif /* CONTRACE_SCHEMA_H */
