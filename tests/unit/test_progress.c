// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The [PERF] progress-line parser: both shapes of the motivating job, the fallback, bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include "logtail.h"
#include "progress.h"
#include "ut.h"

#define NEAR(a, b) (fabs((a) - (double)(b)) < 1e-9 * (fabs((double)(b)) + 1))

static enum ct_prog_shape parse(const char *s, struct ct_progress *p)
{
	return progress__parse(s, strlen(s), p);
}

static void test_relative(void)
{
	struct ct_progress p;

	CHECK(parse("[PERF] 76255/270798 (28.2% relative) processed. Avg: 0.150 s. Elapsed: 3.2 h. "
		    "Est. remaining: 8.1 h/11.3 h\n", &p) == CT_PROG_RELATIVE, "shape %d", p.shape);
	CHECK(p.done == 76255 && p.total == 270798, "%ld/%ld", (long)p.done, (long)p.total);
	CHECK(NEAR(p.pct, 28.2), "pct %g", p.pct);
	CHECK(NEAR(p.avg_s, 0.150), "avg %g", p.avg_s);
	CHECK(NEAR(p.elapsed_s, 3.2 * 3600), "elapsed %g", p.elapsed_s);
	CHECK(NEAR(p.remaining_s, 8.1 * 3600), "remaining %g", p.remaining_s);
	CHECK(NEAR(p.est_total_s, 11.3 * 3600), "est %g", p.est_total_s);
	CHECK(p.abs_done == -1 && p.abs_total == -1, "no absolute part");

	CHECK(parse("2026-11-24 10:00:01 INFO [PERF] 76255/270798 (28.2% relative, 80255/274798 "
		    "(29.2% absolute)) processed. Avg: 0.150 s. Elapsed: 45.5 min. Est. remaining: "
		    "8.1 h/11.3 h", &p) == CT_PROG_RELATIVE, "with a log prefix and absolute part");
	CHECK(p.done == 76255 && p.total == 270798, "relative pair");
	CHECK(p.abs_done == 80255 && p.abs_total == 274798, "abs %ld/%ld", (long)p.abs_done,
	      (long)p.abs_total);
	CHECK(NEAR(p.pct, 28.2), "pct is the relative one: %g", p.pct);
	CHECK(NEAR(p.elapsed_s, 45.5 * 60), "minutes: %g", p.elapsed_s);
}

static void test_early_and_total(void)
{
	struct ct_progress p;

	CHECK(parse("[PERF] Processed 250 elements. Avg per element: 0.131 s. Elapsed: 32.8 s", &p) ==
		      CT_PROG_EARLY, "early shape");
	CHECK(p.done == 250 && p.total == -1, "done %ld", (long)p.done);
	CHECK(NEAR(p.avg_s, 0.131) && NEAR(p.elapsed_s, 32.8), "avg %g elapsed %g", p.avg_s,
	      p.elapsed_s);
	CHECK(isnan(p.remaining_s), "no ETA in an early line");

	CHECK(parse("[PERF] Total time: 3427.55 s. Average per asset: 0.129 s", &p) == CT_PROG_TOTAL,
	      "total shape");
	CHECK(NEAR(p.total_s, 3427.55) && NEAR(p.avg_s, 0.129), "total %g avg %g", p.total_s,
	      p.avg_s);
	CHECK(p.done == -1, "no count in the closing line");
}

static void test_counter(void)
{
	struct ct_progress p;

	CHECK(parse("[PERF] Processed:37775/403746(abs_total) [9.36%] Remaining:14.2h/3.0h(Elapsed)/"
		    "17.3h(est_total_all) Average: 0.127s", &p) == CT_PROG_COUNTER, "counter shape");
	CHECK(p.done == 37775 && p.abs_total == 403746 && p.total == -1, "%ld of abs %ld",
	      (long)p.done, (long)p.abs_total);
	CHECK(NEAR(p.pct, 9.36), "pct %g", p.pct);
	CHECK(NEAR(p.remaining_s, 14.2 * 3600) && NEAR(p.elapsed_s, 3.0 * 3600) &&
		      NEAR(p.est_total_s, 17.3 * 3600),
	      "times %g %g %g", p.remaining_s, p.elapsed_s, p.est_total_s);
	CHECK(NEAR(p.avg_s, 0.127), "avg %g", p.avg_s);

	CHECK(parse("[PERF] Processed:1200/abs(38975)/end(403746)/5000(total_to_process) [24.00%] "
		    "Skip:17 Remaining:?/2.5min(Elapsed)/?(est_total_all) Average: 0.127s", &p) ==
		      CT_PROG_COUNTER, "counter with abs, end, total_to_process");
	CHECK(p.done == 1200 && p.abs_done == 38975 && p.abs_total == 403746 && p.total == 5000,
	      "%ld abs %ld end %ld total %ld", (long)p.done, (long)p.abs_done, (long)p.abs_total,
	      (long)p.total);
	CHECK(p.skipped == 17, "skip %ld", (long)p.skipped);
	CHECK(isnan(p.remaining_s) && NEAR(p.elapsed_s, 150) && isnan(p.est_total_s),
	      "? is unknown: %g %g %g", p.remaining_s, p.elapsed_s, p.est_total_s);
	CHECK(parse("[PERF] Processed:10/100(abs_total) [10%] Remaining:90s/10s(Elapsed)/100s"
		    "(est_total_all) Average: 1s", &p) == CT_PROG_COUNTER && NEAR(p.remaining_s, 90) &&
		      NEAR(p.est_total_s, 100),
	      "seconds");
}

static void test_fallback(void)
{
	struct ct_progress p;

	CHECK(parse("[PERF] batch 3: 120/400 done, Avg: 2.5 ms, elapsed: 1.5 h", &p) ==
		      CT_PROG_FALLBACK, "other shape");
	CHECK(p.done == 120 && p.total == 400, "first pair %ld/%ld", (long)p.done, (long)p.total);
	CHECK(NEAR(p.avg_s, 0.0025) && NEAR(p.elapsed_s, 5400), "avg %g elapsed %g", p.avg_s,
	      p.elapsed_s);
	CHECK(parse("[PERF] something happened", &p) == CT_PROG_FALLBACK && p.done == -1 &&
		      isnan(p.avg_s),
	      "nothing to take");
	CHECK(parse("INFO processed 12/40 items", &p) == CT_PROG_NONE, "no tag");
	CHECK(parse("[PERF]12/40", &p) == CT_PROG_NONE, "tag needs its space");
}

static void test_malformed(void)
{
	struct ct_progress p;
	const char *trunc = "[PERF] 76255/270798 (28.2% relative) processed. Avg: 0.150 s. Elapsed: 3.2 h";
	size_t n = strlen(trunc);
	char *huge;

	/* Every prefix of a real line parses without reading past its end (ASan checks that). */
	for (size_t i = 0; i <= n; i++) {
		char *copy = malloc(i ? i : 1);

		memcpy(copy, trunc, i);
		progress__parse(copy, i, &p);
		free(copy);
	}
	CHECK(progress__parse(trunc, 40, &p) == CT_PROG_RELATIVE && p.done == 76255 &&
		      isnan(p.avg_s),
	      "truncated line keeps what it has");
	CHECK(parse("[PERF] 99999999999999999999999/3 (1% relative) processed.", &p) ==
		      CT_PROG_FALLBACK && p.done == -1,
	      "overflowing count is not taken");
	CHECK(parse("[PERF] Processed:/abs()/end(x) [%] Remaining:h/", &p) == CT_PROG_COUNTER &&
		      p.done == -1 && isnan(p.remaining_s),
	      "empty fields stay unknown");
	CHECK(parse("[PERF] Processed:5/7 Average: 1e9s Elapsed: -3 s", &p) == CT_PROG_COUNTER &&
		      p.total == 7 && isnan(p.avg_s) && isnan(p.elapsed_s),
	      "no exponent, no sign: avg %g elapsed %g", p.avg_s, p.elapsed_s);

	huge = malloc(1 << 20);
	memset(huge, '9', 1 << 20);
	memcpy(huge, "[PERF] Processed:", 17);
	CHECK(progress__parse(huge, 1 << 20, &p) == CT_PROG_COUNTER && p.done == -1,
	      "a 1 MiB run of digits");
	memset(huge, ' ', 1 << 20);
	memcpy(huge + (1 << 20) - 20, "[PERF] 1/2 relative", 19);
	CHECK(progress__parse(huge, (1 << 20) - 1, &p) == CT_PROG_RELATIVE && p.total == 2,
	      "tag at the end of a 1 MiB line");
	free(huge);
}

static void test_json_roundtrip(void)
{
	struct ct_progress p, q;
	json_t *j;

	parse("[PERF] Processed:1200/abs(38975)/end(403746)/5000(total_to_process) [24.00%] "
	      "Remaining:1h/2h(Elapsed)/3h(est_total_all) Average: 0.5s",
	      &p);
	j = progress__to_json(&p);
	progress__from_json(j, &q);
	CHECK(q.shape == p.shape && q.done == p.done && q.total == p.total &&
		      q.abs_done == p.abs_done && q.abs_total == p.abs_total && q.pct == p.pct &&
		      q.avg_s == p.avg_s && q.remaining_s == p.remaining_s &&
		      q.est_total_s == p.est_total_s && isnan(q.total_s),
	      "round trip");
	CHECK(!json_object_get(j, "total_s"), "unknown fields are left out");
	json_decref(j);
}

static void append(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	fputs(text, f);
	fclose(f);
}

static void test_logtail(void)
{
	char path[] = "/tmp/contrace-log-XXXXXX", spec[64];
	struct logtail t;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	snprintf(spec, sizeof(spec), "A=%s", path);
	CHECK(logtail__init(&t, "noequals") == -22 && logtail__init(&t, "a/b=x") == -22,
	      "bad specs");
	CHECK(!logtail__init(&t, spec) && !strcmp(t.job, "A"), "spec");
	CHECK(!logtail__poll(&t) && !t.have, "a log that does not exist yet is not an error");
	append(path, "w", "start\n[PERF] Processed 250 elements. Avg per element: 0.1 s. Elap");
	CHECK(!logtail__poll(&t) && !t.have, "a partial line waits for its end");
	append(path, "a", "sed: 25 s\n[PERF] 300/1000 (30% relative) processed.\n[PERF] Total "
			  "time: 9 s. Average per asset: 0.1 s\n");
	CHECK(!logtail__poll(&t) && t.have && t.last.done == 300 && t.perf_lines == 3,
	      "last counted line wins: %ld of %lu", (long)t.last.done,
	      (unsigned long)t.perf_lines);
	append(path, "w", "[PERF] 5/10 (50% relative) processed.\n");
	CHECK(!logtail__poll(&t) && t.last.done == 5, "a truncated log is read from its start");
	unlink(path);
	append(path, "w", "[PERF] 7/10 (70% relative) processed. padding padding padding\n");
	CHECK(!logtail__poll(&t) && t.last.done == 7, "a replaced (rotated) log is followed");
	logtail__feed(&t, "[PERF] 9/10 (90% relative)", 26);
	logtail__feed(&t, " processed.\n", 12);
	CHECK(t.last.done == 9, "a line split over two reads");
	logtail__free(&t);
	unlink(path);
}

int main(void)
{
	RUN(test_relative);
	RUN(test_early_and_total);
	RUN(test_counter);
	RUN(test_fallback);
	RUN(test_malformed);
	RUN(test_json_roundtrip);
	RUN(test_logtail);
	return UT_EXIT();
}
