/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A reader for Python's cProfile output (pstats files: a marshal-format dict
 * (file, line, function) -> (primitive calls, calls, tottime, cumtime, callers)), plain or
 * gzipped. Totals and orderings agree exactly with Python's pstats module.
 */
#ifndef CONTRACE_PSTATS_H
#define CONTRACE_PSTATS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct pstats_func {
	const char *file;
	const char *name;
	int64_t line;
	int64_t cc;	/* primitive (non-recursive) calls */
	int64_t nc;	/* all calls */
	double tt;	/* time in the function itself */
	double ct;	/* time in it and what it called */
};

struct pstats {
	struct pstats_func *f;	/* in file order, as Python's dict */
	size_t n;
	int64_t total_calls, prim_calls;
	double total_tt;
	void *arena;		/* owns every string */
};

enum pstats_key { PSTATS_CUMULATIVE, PSTATS_TOTTIME, PSTATS_CALLS };

/* Parse a pstats image; on error @why says what is wrong and where. */
int pstats__parse(const uint8_t *buf, size_t len, struct pstats *ps, char *why, size_t whylen);
/* Read and parse @path (plain or gzip), at most 256 MiB. */
int pstats__load(const char *path, struct pstats *ps, char *why, size_t whylen);
/* The same for @path relative to @dirfd, following no link when @nofollow. */
int pstats__loadat(int dirfd, const char *path, bool nofollow, struct pstats *ps, char *why,
		   size_t whylen);
void pstats__free(struct pstats *ps);
/* Indices of the functions by @key, largest first, ties in file order (as pstats sorts). */
size_t *pstats__sorted(const struct pstats *ps, enum pstats_key key);
/* Python's func_std_string: "file:line(name)", or "{name}" / "name" for built-ins. */
void pstats__name(const struct pstats_func *f, char *buf, size_t len);

#endif /* CONTRACE_PSTATS_H */
