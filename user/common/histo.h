/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Percentiles and JSON form of the log-linear histograms of include/hist.h. */
#ifndef CONTRACE_HISTO_H
#define CONTRACE_HISTO_H

#include <jansson.h>
#include <stdint.h>
#include "hist.h"
#include "jw.h"

uint64_t histo__count(const uint64_t *b);
/*
 * Value at percentile @p (0 < p <= 100): the midpoint of the bucket holding that rank,
 * clamped to @max when @max is known (non-zero). 0 for an empty histogram.
 */
uint64_t histo__percentile(const uint64_t *b, double p, uint64_t max);
/* Sparse JSON form: [[bucket, count], ...] for non-empty buckets. */
json_t *histo__to_json(const uint64_t *b);
/* The same written as member @key (NULL in an array) by @w. */
void histo__write(struct jw *w, const char *key, const uint64_t *b);
/* Add a sparse JSON form into @b; -EINVAL on a malformed one (nothing added then). */
int histo__add_json(uint64_t *b, const json_t *sparse);

#endif /* CONTRACE_HISTO_H */
