// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading windows.jsonl back: sums over a span, merged histograms, units of work, bad lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "span.h"
#include "ut.h"

/* A window line with one job A (and B in some) whose figures are derived from @seq. */
static void window_line(FILE *f, int seq, bool with_b, long done)
{
	fprintf(f,
		"{\"type\":\"window\",\"v\":1,\"seq\":%d,\"start_ns\":%lld,\"end_ns\":%lld,"
		"\"dur_s\":1.0,\"lost\":{\"storage_full\":0,\"recursion\":1,\"disk_full\":2},"
		"\"system\":{\"cpu.pressure\":{\"some_total_us\":100,\"full_total_us\":0}},"
		"\"jobs\":[{\"name\":\"A\",\"cpu\":{\"oncpu_ns\":%d,\"nvcsw\":3,\"nivcsw\":1},"
		"\"runq\":{\"ns\":1000,\"count\":2,\"max_ns\":%d,\"hist\":[[%d,2]]},"
		"\"offcpu\":{\"socket\":{\"ns\":5000000,\"count\":10},\"disk\":{\"ns\":7,\"count\":1}},"
		"\"socket_wait\":{\"hist\":[[300,10]]},"
		"\"culprits\":[{\"job\":\"B\",\"runq_ns\":600,\"count\":1,\"preempts\":1},"
		"{\"job\":\"idle\",\"runq_ns\":400,\"count\":1,\"preempts\":0}],"
		"\"kernel\":{\"cpu.stat\":{\"usage_usec\":%d}},"
		"\"lost\":{\"repaired\":3,\"repaired_ns\":5,\"unsplit\":1}",
		seq, seq * 1000000000LL, (seq + 1) * 1000000000LL, 1000 * (seq + 1), 600 + seq, 100 + seq, 10 * (seq + 1));
	if (done >= 0)
		fprintf(f, ",\"progress\":{\"shape\":\"relative\",\"done\":%ld,\"total\":1000}", done);
	fprintf(f, "}%s]}\n", with_b ? ",{\"name\":\"B\",\"cpu\":{\"oncpu_ns\":5}}" : "");
}

struct collect {
	struct ct_span a;
	uint64_t from, to;
};

static int collect(const json_t *win, void *arg)
{
	struct collect *c = arg;
	uint64_t end = ct_json_u64(win, "end_ns");

	if (end <= c->from)
		span__see_before(&c->a, win);
	else if (end <= c->to)
		span__add_window(&c->a, win);
	return 0;
}

static FILE *sample(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	fprintf(f, "{\"type\":\"session\",\"v\":1,\"session\":\"1-2\",\"jobs\":[]}\n");
	for (int i = 0; i < 6; i++)
		window_line(f, i, i >= 3, i >= 1 ? 100L * i : -1);
	fprintf(f, "this line is not json\n\n{\"type\":\"future\",\"x\":1}\n");
	window_line(f, 6, true, 600);
	fprintf(f, "{\"type\":\"window\",\"jobs\":[{\"name\":\"A\",\"cpu\":{\"oncpu");
	fclose(f);
	return fmemopen(*buf, *len, "r");
}

static void test_span_sums(void)
{
	struct collect c = { .from = 3000000000ULL, .to = 7000000000ULL };
	struct span_scan st;
	char *buf;
	size_t len;
	FILE *f = sample(&buf, &len);
	json_t *j;

	span__init(&c.a, "A");
	CHECK(!span__scan(f, collect, &c, &st), "scan");
	CHECK(st.windows == 7 && st.sessions == 1, "windows %d sessions %d", st.windows,
	      st.sessions);
	CHECK(st.bad_lines == 3 && st.first_bad_line == 8, "bad %d first %d", st.bad_lines,
	      st.first_bad_line);
	/* Windows ending at 4, 5, 6, 7 s: seq 3..6. */
	CHECK(c.a.nwin == 4, "nwin %d", c.a.nwin);
	CHECK(c.a.oncpu_ns == 4000 + 5000 + 6000 + 7000, "oncpu %lu", (unsigned long)c.a.oncpu_ns);
	CHECK(c.a.runq_ns == 4000 && c.a.runq_cnt == 8, "runq %lu", (unsigned long)c.a.runq_ns);
	CHECK(c.a.runq_max_ns == 606, "max %lu", (unsigned long)c.a.runq_max_ns);
	CHECK(histo__count(c.a.runq_hist) == 8 && c.a.runq_hist[103] == 2 && c.a.runq_hist[106] == 2,
	      "merged histogram");
	CHECK(c.a.off_ns[CT_OFF_SOCKET] == 20000000 && c.a.off_cnt[CT_OFF_SOCKET] == 40, "socket");
	CHECK(c.a.from_ns == 3000000000ULL && c.a.to_ns == 7000000000ULL && c.a.dur_s == 4.0,
	      "bounds");
	CHECK(ct_json_u64(json_object_get(c.a.culprits, "B"), "runq_ns") == 2400 &&
		      ct_json_u64(json_object_get(c.a.culprits, "B"), "preempts") == 4,
	      "culprits summed by name");
	CHECK(ct_json_u64(json_object_get(c.a.kernel, "cpu.stat"), "usage_usec") == 40 + 50 + 60 + 70,
	      "kernel counters summed");
	/* Node-wide losses from the window, the job's repaired intervals from its own entry. */
	CHECK(c.a.lost[CT_LK_RECURSION] == 4 && c.a.lost[CT_LK_DISK_FULL] == 8 &&
		      c.a.lost[CT_LK_REPAIRED] == 12 && c.a.lost[CT_LK_REPAIRED_NS] == 20 &&
		      c.a.lost[CT_LK_UNSPLIT] == 4 && c.a.lost[CT_LK_UNSPLIT_NS] == 0 &&
		      c.a.lost[CT_LK_JOBS_FULL] == 0,
	      "lost");
	/* Progress 200 before the span (seq 2), 600 at its end: 400 units. */
	CHECK(c.a.has_base && c.a.prog_base.done == 200 && c.a.prog_last.done == 600, "progress");
	CHECK(span__units(&c.a) == 400, "units %ld", (long)span__units(&c.a));
	j = span__to_json(&c.a);
	CHECK(ct_json_num(json_object_get(j, "per_unit"), "socket_wait_ns", 0) == 20000000.0 / 400,
	      "socket wait per unit");
	CHECK(json_integer_value(json_object_get(json_object_get(j, "socket_wait"), "p50_ns")) ==
		      (json_int_t)(ct_hist_lower(300) + ct_hist_width(300) / 2),
	      "socket p50 from the merged histogram");
	json_decref(j);
	span__free(&c.a);
	json_decref(st.session);
	fclose(f);
	free(buf);
}

static void test_units_from_start(void)
{
	struct collect c = { .from = 0, .to = 100000000000ULL };
	struct span_scan st;
	char *buf;
	size_t len;
	FILE *f = sample(&buf, &len);

	/* The whole file: the job started within the span, so its count started at 0. */
	span__init(&c.a, "A");
	span__scan(f, collect, &c, &st);
	CHECK(!c.a.seen_before && span__units(&c.a) == 600, "units %ld", (long)span__units(&c.a));
	span__free(&c.a);
	json_decref(st.session);
	fclose(f);

	span__init(&c.a, "B");
	f = fmemopen(buf, len, "r");
	span__scan(f, collect, &c, &st);
	CHECK(c.a.nwin == 4 && span__units(&c.a) == -1, "B printed no progress");
	span__free(&c.a);
	json_decref(st.session);
	fclose(f);
	free(buf);
}

static void test_bad_entries(void)
{
	const char *text = "{\"type\":\"window\",\"end_ns\":5,\"jobs\":[{\"name\":\"A\",\"runq\":{\"hist\":"
			   "[[99999,1]]},\"culprits\":[{\"job\":7},{\"runq_ns\":\"x\"}],\"cpu\":"
			   "{\"oncpu_ns\":-5},\"progress\":[1]}]}\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct collect c = { .from = 0, .to = 10 };
	struct span_scan st;
	json_t *j;

	span__init(&c.a, "A");
	span__scan(f, collect, &c, &st);
	/* the bad histogram, runq.ns and offcpu missing: counted, the first named */
	CHECK(c.a.nwin == 1 && c.a.bad == 3 && !strcmp(c.a.missing, "runq.ns"),
	      "bad entries counted: %d, first %s", c.a.bad, c.a.missing);
	CHECK(c.a.oncpu_ns == 0 && c.a.nprog == 0 && json_object_size(c.a.culprits) == 0,
	      "malformed values ignored");
	j = span__to_json(&c.a);
	CHECK(json_is_null(json_object_get(j, "per_unit")), "no per-unit figures without units");
	json_decref(j);
	span__free(&c.a);
	fclose(f);
	CHECK(span__scan_path("/nonexistent/windows.jsonl", NULL, NULL, &st) == -2, "missing file");
}

/* Endpoints, disk lines and memory stalls are summed by name across windows. */
static void test_resources(void)
{
	const char *w[] = {
		"{\"type\":\"window\",\"start_ns\":0,\"end_ns\":1,\"dur_s\":1,\"jobs\":[{\"name\":\"A\","
		"\"net\":{\"endpoints\":[{\"endpoint\":\"10.0.0.5:2283\",\"side\":\"remote\",\"ns\":300,"
		"\"count\":3,\"requests\":1,\"retrans\":1,\"srtt_us\":100,\"tx_bytes\":10,\"hist\":[[200,3]]},"
		"{\"endpoint\":\"10.0.0.5:2283\",\"side\":\"local\",\"ns\":5,\"count\":1}],"
		"\"rest\":{\"ns\":7,\"count\":1,\"endpoints\":4}},"
		"\"disk\":[{\"device\":\"vda\",\"op\":\"read\",\"count\":2,\"bytes\":8192,"
		"\"queue\":{\"ns\":20,\"hist\":[[10,2]]},\"device_time\":{\"ns\":400,\"hist\":[[150,2]]}}],"
		"\"memory\":{\"reclaim_ns\":1000,\"reclaims\":2,\"majflt\":3,\"swapout\":4}}]}",
		"{\"type\":\"window\",\"start_ns\":1,\"end_ns\":2,\"dur_s\":1,\"jobs\":[{\"name\":\"A\","
		"\"net\":{\"endpoints\":[{\"endpoint\":\"10.0.0.5:2283\",\"side\":\"remote\",\"ns\":900,"
		"\"count\":3,\"srtt_us\":300,\"hist\":[[260,3]]}]},"
		"\"disk\":[{\"device\":\"vda\",\"op\":\"read\",\"count\":1,\"bytes\":4096,"
		"\"device_time\":{\"ns\":100,\"hist\":[[140,1]]}},{\"device\":7,\"op\":\"read\"}],"
		"\"memory\":{\"reclaim_ns\":500,\"majflt\":1}}]}",
	};
	struct ct_span a;
	const json_t *e;
	json_t *j;

	span__init(&a, "A");
	for (int i = 0; i < 2; i++) {
		json_t *o = json_loads(w[i], 0, NULL);

		CHECK(o && span__add_window(&a, o), "window %d", i);
		json_decref(o);
	}
	CHECK(a.neps == 3, "endpoints %d (remote, local and the summed rest)", a.neps);
	CHECK(a.eps[0].ns == 1200 && a.eps[0].count == 6 && a.eps[0].retrans == 1 &&
	      a.eps[0].tx == 10 && histo__count(a.eps[0].hist) == 6,
	      "remote: ns %lu count %lu", (unsigned long)a.eps[0].ns, (unsigned long)a.eps[0].count);
	/* 3 waits in 1 request, then a window of the older form: each of its 3 waits a request */
	CHECK(a.eps[0].requests == 4, "requests %lu", (unsigned long)a.eps[0].requests);
	CHECK(a.eps[1].local && a.eps[1].ns == 5, "the local side is its own endpoint");
	CHECK(!strcmp(a.eps[2].name, "others") && a.eps[2].ns == 7, "rest: %s", a.eps[2].name);
	CHECK(a.ndisks == 1 && a.disks[0].count == 3 && a.disks[0].bytes == 12288 &&
	      histo__count(a.disks[0].dhist) == 3 && histo__count(a.disks[0].qhist) == 2,
	      "disk lines %d", a.ndisks);
	/* two entries without cpu, runq or offcpu (3 each), and a disk line with a number for
	 * its device name */
	CHECK(a.bad == 7 && !strcmp(a.missing, "cpu.oncpu_ns"), "bad entries: %d, first %s",
	      a.bad, a.missing);
	CHECK(a.reclaim_ns == 1500 && a.reclaims == 2 && a.majflt == 4 && a.swapout == 4,
	      "memory");
	j = span__to_json(&a);
	e = json_array_get(json_object_get(json_object_get(j, "net"), "endpoints"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(e, "endpoint")), "10.0.0.5:2283") &&
	      ct_json_num(e, "mean_ns", 0) == 200 && ct_json_num(e, "srtt_us", 0) == 200,
	      "largest first, mean per wait, mean RTT over windows");
	CHECK(ct_json_u64(e, "requests") == 4 && ct_json_num(e, "request_ns", 0) == 300,
	      "wait per request %g", ct_json_num(e, "request_ns", 0));
	/* p50 of 3 waits in bucket 200 and 3 in 260: the third is in bucket 200. */
	CHECK(ct_json_u64(e, "p50_ns") == ct_hist_lower(200) + ct_hist_width(200) / 2,
	      "merged p50 %lu", (unsigned long)ct_json_u64(e, "p50_ns"));
	json_decref(j);
	span__free(&a);
}

/* A window of job A from @start_s to @end_s with its progress count @done (-1: none). */
static void gap_window(FILE *f, int start_s, int end_s, long done, bool ran_before)
{
	fprintf(f,
		"{\"type\":\"window\",\"start_ns\":%lld,\"end_ns\":%lld,\"dur_s\":%d.0,"
		"\"jobs\":[{\"name\":\"A\",\"cpu\":{\"oncpu_ns\":%d},%s"
		"\"offcpu\":{\"socket\":{\"ns\":%d,\"count\":1}}",
		start_s * 1000000000LL, end_s * 1000000000LL, end_s - start_s,
		1000000 * (end_s - start_s), ran_before ? "\"ran_before_recording\":true," : "",
		2000000 * (end_s - start_s));
	if (done >= 0)
		fprintf(f, ",\"progress\":{\"shape\":\"absolute\",\"done\":%ld}", done);
	fprintf(f, "}]}\n");
}

/*
 * A recorder killed at 4 s and restarted at 19 s: the 15 s between are in no window, but the
 * units done then are in the count. Per-unit figures take only units and time both covered,
 * and the gap is named.
 */
static void test_gap_between_sessions(void)
{
	struct collect c = { .from = 0, .to = 100000000000ULL };
	struct span_scan st;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	json_t *j, *g;

	for (int i = 0; i < 4; i++)
		gap_window(f, i, i + 1, 100L * (i + 1), false);
	for (int i = 0; i < 4; i++)
		gap_window(f, 19 + i, 20 + i, 550 + 100L * i, i == 0);
	fclose(f);
	f = fmemopen(buf, len, "r");
	span__init(&c.a, "A");
	span__scan(f, collect, &c, &st);
	/* 400 units in 4 s, then 300 in the 3 s after the first window of the new session */
	CHECK(span__units(&c.a) == 700, "units %ld, want 700 (not 850)", (long)span__units(&c.a));
	j = span__to_json(&c.a);
	CHECK(ct_json_num(json_object_get(j, "per_unit"), "wall_ns", 0) == 7e9 / 700,
	      "wall per unit %g, want %g", ct_json_num(json_object_get(j, "per_unit"), "wall_ns", 0),
	      7e9 / 700);
	CHECK(ct_json_num(json_object_get(j, "per_unit"), "oncpu_ns", 0) == 7e6 / 700,
	      "on-CPU per unit over the covered windows only");
	g = json_object_get(j, "gaps");
	CHECK(json_integer_value(json_object_get(g, "count")) == 1 &&
		      ct_json_num(g, "s", 0) == 15.0 &&
		      !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(g, "list"), 0), "from")),
			      "1970-01-01T00:00:04.000Z"),
	      "the gap is named: %s", json_dumps(g, JSON_COMPACT));
	{
		char note[400];

		CHECK(span__gap_note(j, note, sizeof(note)) && strstr(note, "recording gap"),
		      "the note names it: %s", note);
	}
	json_decref(j);
	span__free(&c.a);
	fclose(f);
	free(buf);
}

/* A recorder started after the job had done 2999 units: those are not the span's. */
static void test_units_before_recording(void)
{
	struct collect c = { .from = 0, .to = 100000000000ULL };
	struct span_scan st;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	json_t *j;

	for (int i = 0; i < 6; i++)
		gap_window(f, i, i + 1, 2999 + 10L * i, i == 0);
	fclose(f);
	f = fmemopen(buf, len, "r");
	span__init(&c.a, "A");
	span__scan(f, collect, &c, &st);
	CHECK(span__units(&c.a) == 50, "units %ld, want 50 (not 3049)", (long)span__units(&c.a));
	j = span__to_json(&c.a);
	CHECK(ct_json_num(json_object_get(j, "per_unit"), "wall_ns", 0) == 5e9 / 50, "wall per unit");
	CHECK(json_integer_value(json_object_get(json_object_get(j, "progress"), "before_recording")) == 2999,
	      "the count met at start is reported");
	json_decref(j);
	span__free(&c.a);
	fclose(f);
	free(buf);
}

/* A recording of a newer schema is refused at its first such line, never read as if v1. */
static void test_newer_schema(void)
{
	const char *text = "{\"type\":\"session\",\"v\":1}\n"
			   "{\"type\":\"window\",\"v\":1,\"start_ns\":1,\"end_ns\":2,\"jobs\":[]}\n"
			   "{\"type\":\"window\",\"v\":2,\"start_ns\":2,\"end_ns\":3,\"jobs\":[]}\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct span_scan st;

	CHECK(span__scan(f, NULL, NULL, &st) == -EPROTONOSUPPORT && st.newer_v == 2 &&
		      st.newer_line == 3 && st.windows == 1,
	      "refused at line %d (v%d), after %d windows", st.newer_line, st.newer_v, st.windows);
	json_decref(st.session);
	fclose(f);
}

int main(void)
{
	RUN(test_span_sums);
	RUN(test_resources);
	RUN(test_units_from_start);
	RUN(test_gap_between_sessions);
	RUN(test_units_before_recording);
	RUN(test_newer_schema);
	RUN(test_bad_entries);
	return UT_EXIT();
}
