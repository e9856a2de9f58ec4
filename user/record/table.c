// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "contrace.h"
#include "span.h"
#include "table.h"
#include "util.h"
#include "window.h"

static const char *const off_heads[CT_OFF_NR] = { "DISK", "D", "SOCK", "POLL", "LOCK",
						  "SLEEP", "CHILD", "PIPE", "SERVE", "OTHER" };

static uint64_t u64_at(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	o = json_object_get(o, path);
	return json_is_integer(o) ? (uint64_t)json_integer_value(o) : 0;
}

static void dur_col(FILE *out, uint64_t ns)
{
	char b[16] = "-";

	if (ns)
		ct_fmt_dur(ns, b, sizeof(b));
	fprintf(out, " %7s", b);
}

static void culprit_col(FILE *out, const json_t *job)
{
	const json_t *c = json_array_get(json_object_get(job, "culprits"), 0);
	uint64_t total = u64_at(job, "runq.ns"), d = u64_at(c, "runq_ns");

	if (!c || !total || !d) {
		fprintf(out, "  -\n");
		return;
	}
	fprintf(out, "  %s %.0f%%\n", json_string_value(json_object_get(c, "job")),
		100.0 * (double)d / (double)total);
}

static const char *dur_str(uint64_t ns, char *b, size_t len)
{
	if (ns)
		ct_fmt_dur(ns, b, len);
	else
		snprintf(b, len, "-");
	return b;
}

static const char *bytes_str(uint64_t v, char *b, size_t len)
{
	if (v >= 10ull << 30)
		snprintf(b, len, "%.1fGB", (double)v / (1 << 30));
	else if (v >= 10ull << 20)
		snprintf(b, len, "%.0fMB", (double)v / (1 << 20));
	else if (v >= 10ull << 10)
		snprintf(b, len, "%.0fkB", (double)v / (1 << 10));
	else
		snprintf(b, len, "%lluB", (unsigned long long)v);
	return b;
}

/* The job's busiest endpoint, its two busiest disk lines, its memory stalls: when it has any. */
static void detail_lines(FILE *out, const json_t *job)
{
	const json_t *eps = json_object_get(json_object_get(job, "net"), "endpoints");
	const json_t *e = json_array_get(eps, 0), *d;
	const json_t *rest = json_object_get(json_object_get(job, "net"), "rest");
	char a[16], b[16], c[16];
	size_t i;

	if (e && u64_at(e, "count") + u64_at(e, "retrans") + u64_at(e, "tx_bytes") +
			 u64_at(e, "connects") > 0) {
		uint64_t n = u64_at(e, "count");

		fprintf(out, "    net   %s%s: %llu waits, mean %s, p99 %s, retrans %llu",
			json_string_value(json_object_get(e, "endpoint")),
			strcmp(json_string_value(json_object_get(e, "side")) ?: "", "local") ?
				"" : " (local)",
			(unsigned long long)n, dur_str(n ? u64_at(e, "ns") / n : 0, a, sizeof(a)),
			dur_str(u64_at(e, "p99_ns"), b, sizeof(b)),
			(unsigned long long)u64_at(e, "retrans"));
		if (u64_at(e, "tx_bytes") + u64_at(e, "rx_bytes"))	/* --socket-bytes */
			fprintf(out, ", sent %s, received %s",
				bytes_str(u64_at(e, "tx_bytes"), c, sizeof(c)),
				bytes_str(u64_at(e, "rx_bytes"), a, sizeof(a)));
		if (json_array_size(eps) > 1 || rest)
			fprintf(out, "  (+%zu more)",
				json_array_size(eps) - 1 + (size_t)u64_at(rest, "endpoints"));
		fputc('\n', out);
	}
	json_array_foreach(json_object_get(job, "disk"), i, d) {
		if (i == 2)
			break;
		fprintf(out, "    disk  %s %s: %llu req, %s, queue p99 %s, device p99 %s\n",
			json_string_value(json_object_get(d, "device")),
			json_string_value(json_object_get(d, "op")),
			(unsigned long long)u64_at(d, "count"),
			bytes_str(u64_at(d, "bytes"), a, sizeof(a)),
			dur_str(u64_at(d, "queue.p99_ns"), b, sizeof(b)),
			dur_str(u64_at(d, "device_time.p99_ns"), c, sizeof(c)));
	}
	if (u64_at(job, "memory.reclaim_ns") + u64_at(job, "memory.majflt") +
	    u64_at(job, "memory.swapout"))
		fprintf(out, "    mem   reclaim %s, major faults %llu, swapped out %llu pages\n",
			dur_str(u64_at(job, "memory.reclaim_ns"), a, sizeof(a)),
			(unsigned long long)u64_at(job, "memory.majflt"),
			(unsigned long long)u64_at(job, "memory.swapout"));
}

void table__print(FILE *out, const json_t *w)
{
	double dur = json_real_value(json_object_get(w, "dur_s"));
	const char *end = json_string_value(json_object_get(w, "end"));
	size_t i;
	json_t *job;

	if (dur <= 0)
		dur = 1;
	fprintf(out, "\n%.8s UTC  window %lld  %.1fs\n", end ? end + 11 : "",
		(long long)json_integer_value(json_object_get(w, "seq")), dur);
	fprintf(out, "%-16s %7s %7s %7s %7s %7s", "JOB", "CPU%", "RUNQ", "RQ p99", "VCSW/s",
		"IVCSW/s");
	for (int r = 0; r < CT_OFF_NR; r++)
		fprintf(out, " %7s", off_heads[r]);
	fprintf(out, "  TOP CULPRIT\n");
	json_array_foreach(json_object_get(w, "jobs"), i, job) {
		char name[20], note[1024];

		snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(job, "name")));
		fprintf(out, "%-16s %6.1f%%", name,
			100.0 * (double)u64_at(job, "cpu.oncpu_ns") / (dur * 1e9));
		dur_col(out, u64_at(job, "runq.ns"));
		dur_col(out, u64_at(job, "runq.p99_ns"));
		fprintf(out, " %7.0f %7.0f", (double)u64_at(job, "cpu.nvcsw") / dur,
			(double)u64_at(job, "cpu.nivcsw") / dur);
		for (int r = 0; r < CT_OFF_NR; r++) {
			char key[48];

			snprintf(key, sizeof(key), "offcpu.%s.ns", ct_off_names[r]);
			dur_col(out, u64_at(job, key));
		}
		culprit_col(out, job);
		detail_lines(out, job);
		if (span__gap_note(job, note, sizeof(note)))
			fprintf(out, "    gaps  %s\n", note);
	}
	fflush(out);
}
