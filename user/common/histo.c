// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include "histo.h"

uint64_t histo__count(const uint64_t *b)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < CT_HIST_NBUCKETS; i++)
		n += b[i];
	return n;
}

uint64_t histo__percentile(const uint64_t *b, double p, uint64_t max)
{
	uint64_t total = histo__count(b), rank, seen = 0, v;

	if (!total)
		return 0;
	/* The smallest value with at least p % of the samples at or below it. */
	rank = (uint64_t)((p / 100.0) * (double)total + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	for (unsigned i = 0; i < CT_HIST_NBUCKETS; i++) {
		seen += b[i];
		if (seen < rank)
			continue;
		/* The last bucket is open-ended: the known maximum is the better answer. */
		if (i == CT_HIST_NBUCKETS - 1 && max)
			return max;
		v = ct_hist_lower(i) + ct_hist_width(i) / 2;
		return max && v > max ? max : v;
	}
	return max;
}

json_t *histo__to_json(const uint64_t *b)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < CT_HIST_NBUCKETS; i++)
		if (b[i])
			json_array_append_new(a, json_pack("[II]", (json_int_t)i, (json_int_t)b[i]));
	return a;
}

void histo__write(struct jw *w, const char *key, const uint64_t *b)
{
	jw_arr(w, key);
	for (unsigned i = 0; i < CT_HIST_NBUCKETS; i++)
		if (b[i]) {
			jw_arr(w, NULL);
			jw_int(w, NULL, (int64_t)i);
			jw_int(w, NULL, (int64_t)b[i]);
			jw_end_arr(w);
		}
	jw_end_arr(w);
}

int histo__add_json(uint64_t *b, const json_t *sparse)
{
	size_t i;
	json_t *pair;

	if (!json_is_array(sparse))
		return -EINVAL;
	json_array_foreach(sparse, i, pair) {
		json_t *k = json_array_get(pair, 0), *n = json_array_get(pair, 1);

		if (json_array_size(pair) != 2 || !json_is_integer(k) || !json_is_integer(n) ||
		    json_integer_value(k) < 0 || json_integer_value(k) >= CT_HIST_NBUCKETS ||
		    json_integer_value(n) < 0)
			return -EINVAL;
	}
	json_array_foreach(sparse, i, pair)
		b[json_integer_value(json_array_get(pair, 0))] +=
			(uint64_t)json_integer_value(json_array_get(pair, 1));
	return 0;
}
