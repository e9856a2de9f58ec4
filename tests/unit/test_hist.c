// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Log-linear histogram: bucket bounds, percentile error against exact percentiles, JSON form. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "ut.h"

static void bucket_covers_value(const char *what, uint64_t v)
{
	uint32_t b = ct_hist_bucket(v);

	CHECK(b < CT_HIST_NBUCKETS, "%s: bucket %u of %llu out of range", what, b,
	      (unsigned long long)v);
	if (v >= 1ULL << CT_HIST_MAX_LOG) {
		CHECK(b == CT_HIST_NBUCKETS - 1, "%s: %llu not in the last bucket", what,
		      (unsigned long long)v);
		return;
	}
	CHECK(ct_hist_lower(b) <= v && v < ct_hist_lower(b) + ct_hist_width(b),
	      "%s: %llu outside bucket %u [%llu, +%llu)", what, (unsigned long long)v, b,
	      (unsigned long long)ct_hist_lower(b), (unsigned long long)ct_hist_width(b));
}

static void test_buckets_cover_values(void)
{
	for (uint64_t v = 0; v < 70000; v++)
		bucket_covers_value("small", v);
	for (int k = 0; k < 64; k++) {
		bucket_covers_value("2^k", 1ULL << k);
		bucket_covers_value("2^k-1", (1ULL << k) - 1);
	}
	for (int i = 0; i < 200000; i++)
		bucket_covers_value("random", xorshift() >> (xorshift() % 64));
	bucket_covers_value("max", UINT64_MAX);
}

static void test_buckets_contiguous_and_narrow(void)
{
	for (uint32_t b = 0; b + 1 < CT_HIST_NBUCKETS; b++) {
		CHECK(ct_hist_lower(b) + ct_hist_width(b) == ct_hist_lower(b + 1),
		      "bucket %u does not end where %u starts", b, b + 1);
		/* The width bound that gives the percentile error bound below. */
		if (b >= CT_HIST_SUB)
			CHECK(ct_hist_width(b) * CT_HIST_SUB <= ct_hist_lower(b),
			      "bucket %u wider than 1/16 of its lower bound", b);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact percentile with the same rank rule as histo__percentile. */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return sorted[(rank ? rank : 1) - 1];
}

static void check_distribution(const char *name, uint64_t (*gen)(void))
{
	enum { N = 50000 };
	static uint64_t v[N], h[CT_HIST_NBUCKETS];
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	uint64_t max = 0;

	memset(h, 0, sizeof(h));
	for (int i = 0; i < N; i++) {
		v[i] = gen();
		h[ct_hist_bucket(v[i])]++;
		if (v[i] > max)
			max = v[i];
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	CHECK(histo__count(h) == N, "%s: count %llu", name, (unsigned long long)histo__count(h));
	for (unsigned i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact_pct(v, N, ps[i]), got = histo__percentile(h, ps[i], max);
		double err = want ? fabs((double)got - (double)want) / (double)want : (double)got;

		/* Midpoint of a bucket at most 1/16 wide: within 1/32 of any value in it. */
		CHECK(err <= 1.0 / 32 + 1e-9, "%s p%g: got %llu want %llu (%.2f%%)", name, ps[i],
		      (unsigned long long)got, (unsigned long long)want, err * 100);
	}
	CHECK(histo__percentile(h, 100, max) == max, "%s: p100 is not the max", name);
}

static uint64_t gen_uniform(void)
{
	return 1000 + xorshift() % 10000000;
}

static uint64_t gen_exponential(void)
{
	double u = (double)(xorshift() >> 11) / (double)(1ULL << 53);

	return (uint64_t)(-log(1 - u) * 2e6) + 1;
}

static uint64_t gen_bimodal(void)
{
	return xorshift() % 10 ? 20000 + xorshift() % 5000 : 1500000000 + xorshift() % 1000000;
}

static uint64_t gen_tiny(void)
{
	return xorshift() % 20;
}

static void test_percentile_error_bound(void)
{
	check_distribution("uniform", gen_uniform);
	check_distribution("exponential", gen_exponential);
	check_distribution("bimodal", gen_bimodal);
	check_distribution("tiny", gen_tiny);
}

static void test_percentile_edges(void)
{
	uint64_t h[CT_HIST_NBUCKETS] = { 0 };

	CHECK(histo__percentile(h, 50, 0) == 0, "empty histogram");
	h[ct_hist_bucket(1000)] = 1;
	CHECK(histo__percentile(h, 50, 1000) == 1000, "clamped to the max");
	CHECK(histo__percentile(h, 0.0001, 0) >= 992 && histo__percentile(h, 0.0001, 0) < 1024,
	      "tiny percentile of one sample");
	h[CT_HIST_NBUCKETS - 1] = 1;
	CHECK(histo__percentile(h, 100, 100000000000ULL) == 100000000000ULL,
	      "open last bucket reports the known max");
}

static void test_json_round_trip(void)
{
	uint64_t a[CT_HIST_NBUCKETS] = { 0 }, b[CT_HIST_NBUCKETS] = { 0 };
	json_t *j;

	a[0] = 3;
	a[17] = 5;
	a[CT_HIST_NBUCKETS - 1] = 1ULL << 40;
	j = histo__to_json(a);
	CHECK(json_array_size(j) == 3, "sparse form has %zu entries", json_array_size(j));
	CHECK(histo__add_json(b, j) == 0, "round trip rejected");
	CHECK(!memcmp(a, b, sizeof(a)), "round trip changed the histogram");
	CHECK(histo__add_json(b, j) == 0 && b[17] == 10, "adding twice sums");
	json_decref(j);
}

static void test_json_rejects_malformed(void)
{
	static const char *const bad[] = {
		"{}", "[[1]]", "[[1,2,3]]", "[[-1,2]]", "[[528,1]]", "[[1,-2]]", "[[\"1\",2]]",
		"[[1.5,2]]", "[[1,2],[3]]", "[5]",
	};
	uint64_t b[CT_HIST_NBUCKETS] = { 0 }, zero[CT_HIST_NBUCKETS] = { 0 };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		CHECK(histo__add_json(b, j) == -EINVAL, "accepted %s", bad[i]);
		json_decref(j);
	}
	CHECK(!memcmp(b, zero, sizeof(b)), "a rejected input still added counts");
}

int main(void)
{
	RUN(test_buckets_cover_values);
	RUN(test_buckets_contiguous_and_narrow);
	RUN(test_percentile_error_bound);
	RUN(test_percentile_edges);
	RUN(test_json_round_trip);
	RUN(test_json_rejects_malformed);
	return UT_EXIT();
}
