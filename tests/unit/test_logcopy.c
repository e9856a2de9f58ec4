// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Snapshot log copies: trimming keeps header, progress lines, tracebacks, tail; redaction. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "logcopy.h"
#include "ut.h"

static const char *const traceback[] = {
	"Traceback (most recent call last):",
	"  File \"/app/tagger.py\", line 88, in fetch",
	"    r = self.session.get(url, timeout=30)",
	"  File \"/usr/lib/python3/dist-packages/requests/sessions.py\", line 602, in get",
	"    return self.request(\"GET\", url, **kwargs)",
	"TimeoutError: timed out",
	"",
	"During handling of the above exception, another exception occurred:",
	"",
	"Traceback (most recent call last):",
	"  File \"/app/tagger.py\", line 91, in fetch",
	"    raise FetchError(asset_id)",
	"tagger.FetchError: asset failed",
};
#define TB_LINES (sizeof(traceback) / sizeof(traceback[0]))

/* 5000 lines: header, noise with addresses, a progress line every 100, one traceback. */
static FILE *make_log(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	fprintf(f, "job start 2026-11-24T10:00:00Z\ncommit: 1a2b3c4d5e6f\nbranch: feature/tags\n");
	for (int i = 3; i < 5000; i++) {
		if (i == 2500)
			for (size_t t = 0; t < TB_LINES; t++)
				fprintf(f, "%s\n", traceback[t]);
		else if (i % 100 == 0)
			fprintf(f, "[PERF] %d/270798 (%.1f%% relative) processed. Avg: 0.150 s. "
				   "Elapsed: 3.2 h. Est. remaining: 8.1 h/11.3 h\n",
				i, i * 100.0 / 270798);
		else
			fprintf(f, "INFO tagging asset %08x-7b4d-4e5f-9a0b-1c2d3e4f5a6b for "
				   "user%d@example.com via http://10.0.0.5:2283/api\n",
				i, i % 7);
	}
	fclose(f);
	return fmemopen(*buf, *len, "r");
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_trimmed(void)
{
	struct logcopy_opts o = { .max_bytes = 4096, .head_lines = 20, .tail_lines = 10 };
	char *in_buf, *log_buf, *perf_buf, *tb_all = NULL;
	size_t in_len, log_len, perf_len, tb_len;
	FILE *in = make_log(&in_buf, &in_len), *log, *perf, *tb;
	struct logcopy_stats st;

	o.red = redact__new();
	log = open_memstream(&log_buf, &log_len);
	perf = open_memstream(&perf_buf, &perf_len);
	CHECK(!logcopy__run(in, log, perf, &o, &st), "run");
	fclose(log);
	fclose(perf);
	CHECK(st.trimmed && st.lines_in == 5000 + TB_LINES - 1, "lines in %lu",
	      (unsigned long)st.lines_in);
	/* Every 100th line of 3..4999 but line 2500, where the traceback is. */
	CHECK(st.perf_lines == 48 && count_lines(perf_buf, "[PERF]") == 48 &&
		      count_lines(log_buf, "[PERF]") == 48,
	      "every progress line: %lu", (unsigned long)st.perf_lines);
	CHECK(count_lines(perf_buf, "\n") == 48, "perf_lines holds nothing else");
	/* The whole traceback, both chained parts, in order. */
	tb = open_memstream(&tb_all, &tb_len);
	for (size_t t = 0; t < TB_LINES; t++)
		fprintf(tb, "%s\n", traceback[t]);
	fclose(tb);
	CHECK(strstr(log_buf, tb_all) != NULL, "complete traceback kept");
	CHECK(st.tracebacks == 1, "one traceback (chained): %lu", (unsigned long)st.tracebacks);
	CHECK(strstr(log_buf, "job start") && strstr(log_buf, "branch: feature/tags"), "header");
	CHECK(st.commit && !strcmp(st.commit, "1a2b3c4d5e6f") && st.branch &&
		      !strcmp(st.branch, "feature/tags"),
	      "commit %s branch %s", st.commit, st.branch);
	CHECK(strstr(log_buf, "[contrace: ") && strstr(log_buf, " lines omitted]"), "gaps marked");
	CHECK(st.lines_out == 20 + 48 + TB_LINES + 10, "lines out %lu",
	      (unsigned long)st.lines_out);
	CHECK(!strstr(log_buf, "example.com") && !strstr(log_buf, "10.0.0.5") &&
		      !strstr(log_buf, "-7b4d-"),
	      "nothing leaked");
	CHECK(strstr(log_buf, "USER_") && strstr(log_buf, "ID_") && strstr(log_buf, "URL_"),
	      "tokens written");
	CHECK(st.have_progress && st.last_progress.done == 4900 && st.last_perf_line &&
		      !strncmp(st.last_perf_line, "[PERF] 4900/270798 (1.8% relative)", 34),
	      "last progress line: %s", st.last_perf_line);
	logcopy__stats_free(&st);
	redact__free(o.red);
	fclose(in);
	free(in_buf);
	free(log_buf);
	free(perf_buf);
	free(tb_all);
}

static void test_small_untouched(void)
{
	struct logcopy_opts o = { .max_bytes = 1 << 30, .head_lines = 20, .tail_lines = 10 };
	char *in_buf, *log_buf;
	size_t in_len, log_len;
	FILE *in = make_log(&in_buf, &in_len), *log;
	struct logcopy_stats st;

	log = open_memstream(&log_buf, &log_len);
	CHECK(!logcopy__run(in, log, NULL, &o, &st), "run");
	fclose(log);
	CHECK(!st.trimmed && log_len == in_len && !memcmp(log_buf, in_buf, in_len),
	      "under the limit and without redaction: byte for byte");
	logcopy__stats_free(&st);
	fclose(in);
	free(in_buf);
	free(log_buf);
}

static void test_no_final_newline(void)
{
	const char *text = "a\n[PERF] 5/10 (50% relative) processed.";
	FILE *in = fmemopen((void *)text, strlen(text), "r"), *log;
	struct logcopy_opts o = { 0 };
	struct logcopy_stats st;
	char *buf;
	size_t len;

	log = open_memstream(&buf, &len);
	CHECK(!logcopy__run(in, log, NULL, &o, &st), "run");
	fclose(log);
	CHECK(st.have_progress && st.last_progress.done == 5 && len == strlen(text) + 1,
	      "a last line without newline is kept and ended");
	logcopy__stats_free(&st);
	fclose(in);
	free(buf);
}

/*
 * One 6 MB line without a newline (a binary dump, a minified file) and --max-log 64 KiB: the
 * copy keeps the line's first bytes and says how many it left out, instead of 6 MB.
 */
static void test_huge_line(void)
{
	struct logcopy_opts o = { .max_bytes = 65536, .head_lines = 2, .tail_lines = 2,
				  .red = redact__new() };
	size_t big = 6u << 20, log_len, in_len;
	char *in_buf = malloc(big + 64), *log_buf, want[96];
	FILE *in, *log;
	struct logcopy_stats st;

	in_len = (size_t)sprintf(in_buf, "start\n");
	memset(in_buf + in_len, 'x', big);
	in_len += big;
	in = fmemopen(in_buf, in_len, "r");
	log = open_memstream(&log_buf, &log_len);
	CHECK(!logcopy__run(in, log, NULL, &o, &st), "run");
	fclose(log);
	CHECK(st.trimmed && st.lines_in == 2 && st.cut_lines == 1, "trimmed, one line cut: %lu",
	      (unsigned long)st.cut_lines);
	/* two kept lines of 64 KiB / 4 = 16 KiB each at most, plus the notes */
	CHECK(log_len < 16384 + 200, "the copy is %zu bytes, not 6 MB", log_len);
	snprintf(want, sizeof(want), " [contrace: %zu bytes of this line omitted]\n", big - 16384);
	CHECK(log_len > strlen(want) && !strcmp(log_buf + log_len - strlen(want), want),
	      "it says what it left out: %s", log_buf + (log_len > 80 ? log_len - 80 : 0));
	logcopy__stats_free(&st);
	redact__free(o.red);
	fclose(in);
	free(in_buf);
	free(log_buf);
}

int main(void)
{
	RUN(test_trimmed);
	RUN(test_small_untouched);
	RUN(test_no_final_newline);
	RUN(test_huge_line);
	return UT_EXIT();
}
