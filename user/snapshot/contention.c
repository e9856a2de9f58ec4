// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The human form of a snapshot's contention file (NAME_TAG_contention.txt). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "contention.h"
#include "span.h"


/* One row: name, total, share of the job's thread time, per unit. */
static void row(struct ct_buf *b, const char *name, double ns, double thread_ns, int64_t units,
		const char *extra)
{
	char t[32], u[32];

	ct_buf_printf(b, "  %-22s %10s %6.1f%% %12s  %s\n", name, ct_fmt_ns(ns, t, sizeof(t)),
		      thread_ns > 0 ? 100.0 * ns / thread_ns : 0.0,
		      units > 0 ? ct_fmt_ns(ns / (double)units, u, sizeof(u)) : "-", extra ? extra : "");
}

static void pcts(const json_t *h, char *buf, size_t len)
{
	char a[32], b[32], c[32], d[32];
	json_t *p50 = json_object_get(h, "p50_ns");

	if (!json_is_integer(p50)) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "n=%llu p50 %s p90 %s p99 %s%s%s",
		 (unsigned long long)ct_json_u64(h, "count"),
		 ct_fmt_ns((double)ct_json_u64(h, "p50_ns"), a, sizeof(a)),
		 ct_fmt_ns((double)ct_json_u64(h, "p90_ns"), b, sizeof(b)),
		 ct_fmt_ns((double)ct_json_u64(h, "p99_ns"), c, sizeof(c)),
		 json_object_get(h, "max_ns") ? " max " : "",
		 json_object_get(h, "max_ns") ? ct_fmt_ns((double)ct_json_u64(h, "max_ns"), d, sizeof(d)) :
						"");
}

static void culprits(struct ct_buf *b, const json_t *span)
{
	const json_t *c = json_object_get(span, "culprits");
	double runq = (double)ct_json_u64(json_object_get(span, "runq"), "ns");
	const char *name;
	json_t *v;
	char t[32];

	ct_buf_printf(b, "\nWho held the CPU while %s waited in the run queue:\n",
		      json_string_value(json_object_get(span, "job")));
	if (!json_object_size(c))
		ct_buf_printf(b, "  (no run-queue delay)\n");
	json_object_foreach((json_t *)c, name, v)
		ct_buf_printf(b, "  %-22s %10s %6.1f%%   preempted it %llu times%s\n", name,
			      ct_fmt_ns((double)ct_json_u64(v, "runq_ns"), t, sizeof(t)),
			      runq > 0 ? 100.0 * (double)ct_json_u64(v, "runq_ns") / runq : 0.0,
			      (unsigned long long)ct_json_u64(v, "preempts"),
			      !strcmp(name, json_string_value(json_object_get(span, "job"))) ?
				      "   (its own other threads)" :
			      !strcmp(name, "idle") ? "   (CPU idle: wakeup latency)" :
						      "");
}

static void kernel(struct ct_buf *b, const json_t *span)
{
	const char *file, *key;
	json_t *kv, *v;

	ct_buf_printf(b, "\nKernel's own figures for the job's cgroup (deltas over the span):\n");
	if (!json_object_size(json_object_get(span, "kernel")))
		ct_buf_printf(b, "  (none read)\n");
	json_object_foreach(json_object_get(span, "kernel"), file, kv) {
		ct_buf_printf(b, "  %-16s", file);
		json_object_foreach(kv, key, v)
			ct_buf_printf(b, " %s=%lld", key, (long long)json_integer_value(v));
		ct_buf_printf(b, "\n");
	}
}

/* Where the job waited and did I/O: endpoints, disk lines, memory stalls. */
static void resources(struct ct_buf *b, const json_t *span, int64_t units)
{
	const json_t *e, *d, *m = json_object_get(span, "memory");
	char x[32], y[32], z[32];
	size_t i;

	ct_buf_printf(b, "\nSocket wait by endpoint (busiest first):\n");
	if (!json_array_size(json_object_get(json_object_get(span, "net"), "endpoints")))
		ct_buf_printf(b, "  (none)\n");
	json_array_foreach(json_object_get(json_object_get(span, "net"), "endpoints"), i, e) {
		uint64_t n = ct_json_u64(e, "count");

		if (i == 8)
			break;
		ct_buf_printf(b, "  %-28s %s%6llu waits, %6llu requests, %9s per request, p99 %9s",
			      json_string_value(json_object_get(e, "endpoint")),
			      strcmp(json_string_value(json_object_get(e, "side")) ?: "", "local") ?
				      "       " : "(local)",
			      (unsigned long long)n, (unsigned long long)ct_json_u64(e, "requests"),
			      ct_fmt_ns(ct_json_num(e, "request_ns", NAN), x, sizeof(x)),
			      ct_fmt_ns(n ? ct_json_num(e, "p99_ns", NAN) : NAN, y, sizeof(y)));
		if (units > 0)
			ct_buf_printf(b, ", %.2f waits per unit",
				      ct_json_num(json_object_get(e, "per_unit"), "waits", 0));
		ct_buf_printf(b, ", retrans %llu, sent %llu B, received %llu B\n",
			      (unsigned long long)ct_json_u64(e, "retrans"),
			      (unsigned long long)ct_json_u64(e, "tx_bytes"),
			      (unsigned long long)ct_json_u64(e, "rx_bytes"));
	}
	ct_buf_printf(b, "\nDisk (requests the job submitted):\n");
	if (!json_array_size(json_object_get(span, "disk")))
		ct_buf_printf(b, "  (none)\n");
	json_array_foreach(json_object_get(span, "disk"), i, d) {
		const json_t *q = json_object_get(d, "queue"), *t = json_object_get(d, "device_time");

		ct_buf_printf(b, "  %-8s %-7s %7llu requests, %10llu bytes, queue p99 %9s, device "
			      "p50 %9s p99 %9s\n",
			      json_string_value(json_object_get(d, "device")),
			      json_string_value(json_object_get(d, "op")),
			      (unsigned long long)ct_json_u64(d, "count"),
			      (unsigned long long)ct_json_u64(d, "bytes"),
			      ct_fmt_ns(ct_json_num(q, "p99_ns", NAN), x, sizeof(x)),
			      ct_fmt_ns(ct_json_num(t, "p50_ns", NAN), y, sizeof(y)),
			      ct_fmt_ns(ct_json_num(t, "p99_ns", NAN), z, sizeof(z)));
	}
	ct_buf_printf(b, "\nMemory: reclaim stall %s in %llu episodes, %llu major faults, %llu pages "
		      "swapped out\n",
		      ct_fmt_ns((double)ct_json_u64(m, "reclaim_ns"), x, sizeof(x)),
		      (unsigned long long)ct_json_u64(m, "reclaims"),
		      (unsigned long long)ct_json_u64(m, "majflt"),
		      (unsigned long long)ct_json_u64(m, "swapout"));
}

void contention__text(const json_t *c, struct ct_buf *b)
{
	const json_t *span = json_object_get(c, "span"), *off = json_object_get(span, "offcpu");
	const json_t *prog = json_object_get(span, "progress"), *runq = json_object_get(span, "runq");
	const json_t *sock = json_object_get(span, "socket_wait");
	int64_t units = json_is_integer(json_object_get(prog, "units")) ?
				json_integer_value(json_object_get(prog, "units")) :
				-1;
	double oncpu = (double)ct_json_u64(json_object_get(span, "cpu"), "oncpu_ns");
	double rq = (double)ct_json_u64(runq, "ns"), thread = oncpu + rq, wall;
	const char *name;
	json_t *v;
	char extra[200], t[32];

	json_object_foreach((json_t *)off, name, v)
		thread += (double)ct_json_u64(v, "ns");
	wall = ct_json_num(span, "dur_s", 0) * 1e9;
	ct_buf_printf(b, "contrace contention: job %s, snapshot %s at %s\n",
		      json_string_value(json_object_get(c, "job")),
		      json_string_value(json_object_get(c, "tag")),
		      json_string_value(json_object_get(c, "snapshot")));
	ct_buf_printf(b, "span: %s .. %s (%s, %lld windows), %s%s\n",
		      json_string_value(json_object_get(span, "from")),
		      json_string_value(json_object_get(span, "to")), ct_fmt_ns(wall, t, sizeof(t)),
		      (long long)json_integer_value(json_object_get(span, "windows")),
		      json_is_string(json_object_get(c, "previous_tag")) ?
			      "since the previous snapshot " :
			      "since the job started",
		      json_string_value(json_object_get(c, "previous_tag")) ?: "");
	if (units > 0)
		ct_buf_printf(b, "units of work: %lld in the span ([PERF] lines): %.2f per second, "
			      "%s of wall time each\n",
			      (long long)units, (double)units / (wall / 1e9),
			      ct_fmt_ns(wall / (double)units, t, sizeof(t)));
	else
		ct_buf_printf(b, "units of work: unknown (no [PERF] progress in the recording: "
			      "record with --log NAME=FILE)\n");
	ct_buf_printf(b, "\n  %-22s %10s %7s %12s\n", "thread time by state", "total", "share",
		      "per unit");
	row(b, "on CPU", oncpu, thread, units, NULL);
	pcts(runq, extra, sizeof(extra));
	row(b, "run-queue delay", rq, thread, units, extra);
	json_object_foreach((json_t *)off, name, v) {
		char label[64];

		if (!ct_json_u64(v, "ns"))
			continue;
		snprintf(label, sizeof(label), "off-CPU %s", name);
		if (!strcmp(name, "socket"))
			pcts(sock, extra, sizeof(extra));
		else
			snprintf(extra, sizeof(extra), "n=%llu",
				 (unsigned long long)ct_json_u64(v, "count"));
		row(b, label, (double)ct_json_u64(v, "ns"), thread, units, extra);
	}
	culprits(b, span);
	resources(b, span, units);
	kernel(b, span);
	ct_buf_printf(b, "\nJobs that ran beside it (windows in which both ran): ");
	{
		const char *k;
		json_t *n;
		bool first = true;

		json_object_foreach(json_object_get(c, "concurrent_jobs"), k, n) {
			ct_buf_printf(b, "%s%s %lld", first ? "" : ", ", k,
				      (long long)json_integer_value(n));
			first = false;
		}
		ct_buf_printf(b, "%s\n", first ? "none" : "");
	}
	{
		const json_t *lost = json_object_get(span, "lost");

		char note[1024];

		ct_buf_printf(b, "Events lost: storage_full=%llu recursion=%llu endpoints_full=%llu "
			      "disk_full=%llu endpoints_evicted=%llu disk_evicted=%llu\n",
			      (unsigned long long)ct_json_u64(lost, "storage_full"),
			      (unsigned long long)ct_json_u64(lost, "recursion"),
			      (unsigned long long)ct_json_u64(lost, "endpoints_full"),
			      (unsigned long long)ct_json_u64(lost, "disk_full"),
			      (unsigned long long)ct_json_u64(lost, "endpoints_evicted"),
			      (unsigned long long)ct_json_u64(lost, "disk_evicted"));
		ct_buf_printf(b, "Intervals rebuilt from the kernel's counters: repaired=%llu "
			      "unsplit=%llu\n", (unsigned long long)ct_json_u64(lost, "repaired"),
			      (unsigned long long)ct_json_u64(lost, "unsplit"));
		if (span__gap_note(span, note, sizeof(note)))
			ct_buf_printf(b, "Warning: %s.\n", note);
	}
}
