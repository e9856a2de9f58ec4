// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* analysis/report.md, analysis/report.json and the SVG charts they link. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pstats.h"
#include "report.h"
#include "span.h"
#include "schema.h"
#include "svg.h"


#define D(ns) ct_fmt_ns((ns), (char[32]){ 0 }, 32)

static const char *pct(double a, double b, char *buf, size_t len)
{
	double p = rpt_pct(a, b);

	if (isfinite(p))
		snprintf(buf, len, "%+.0f%%", p);
	else
		snprintf(buf, len, "-");
	return buf;
}

#define P(a, b) pct((a), (b), (char[32]){ 0 }, 32)

static double pu(const json_t *span, const char *key)
{
	const json_t *p = json_object_get(span, "per_unit");

	return json_is_object(p) ? ct_json_num(p, key, NAN) : NAN;
}

static double pu_off(const json_t *span, const char *reason)
{
	const json_t *p = json_object_get(json_object_get(span, "per_unit"), "offcpu_ns");

	return json_is_object(p) ? ct_json_num(p, reason, NAN) : NAN;
}

static const json_t *meta(const struct rsnap *s)
{
	return json_object_get(s->c, "snapshot_meta");
}

static void summary(const struct report *r, struct ct_buf *b)
{
	size_t i;
	json_t *v;

	ct_buf_printf(b, "## Executive summary\n\n");
	if (json_is_string(json_object_get(r->facts, "cause"))) {
		json_array_foreach(r->verdicts, i, v) {
			size_t k;
			json_t *e;

			if (!json_is_true(json_object_get(v, "main_cause")))
				continue;
			ct_buf_printf(b, "**Main cause of the slowdown: %s.**",
				      json_string_value(json_object_get(r->facts, "cause")));
			/* The chain first, when there is one: where the time goes in the end. */
			json_array_foreach(json_object_get(v, "evidence"), k, e) {
				const char *t = json_string_value(e) ?: "";

				if (!strncmp(t, "the chain: ", 11))
					ct_buf_printf(b, " **%s.**", t + 11);
			}
			/* The figure, the endpoint per request, and who serves it. */
			json_array_foreach(json_object_get(v, "evidence"), k, e) {
				const char *t = json_string_value(e) ?: "";

				if (k == 0 || strstr(t, "likely shared server") ||
				    !strncmp(t, "per request, ", 13) || strstr(t, " share ") ||
				    !strncmp(t, "no job on this node serves", 26) ||
				    strstr(t, "it is the shared server"))
					ct_buf_printf(b, " %s.", t);
			}
			ct_buf_printf(b, "\n\n");
		}
	}
	json_array_foreach(r->verdicts, i, v)
		ct_buf_printf(b, "- **%s** %s (confidence: %s). %s\n",
			      json_string_value(json_object_get(v, "question")),
			      json_string_value(json_object_get(v, "answer")),
			      json_string_value(json_object_get(v, "confidence")),
			      json_string_value(json_array_get(json_object_get(v, "evidence"), 0)) ?: "");
}

static void eta(const struct report *r, struct ct_buf *b)
{
	ct_buf_printf(b, "\n## ETA\n\n| job | snapshot | at (UTC) | processed | of | printed ETA "
			 "(remaining / total) | measured wall per unit in its span | units/s |\n"
			 "|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];

		for (int k = 0; k < j->nsnap; k++) {
			const json_t *m = meta(&j->snap[k]), *p = json_object_get(m, "progress");
			double w = pu(j->snap[k].span, "wall_ns");
			char done[32] = "-", total[32] = "-", rate[32] = "-";

			if (json_is_integer(json_object_get(m, "processed_count_at_snapshot")))
				snprintf(done, sizeof(done), "%lld", (long long)json_integer_value(
						 json_object_get(m, "processed_count_at_snapshot")));
			if (json_is_integer(json_object_get(m, "total_assets")))
				snprintf(total, sizeof(total), "%lld", (long long)json_integer_value(
						 json_object_get(m, "total_assets")));
			if (isfinite(w) && w > 0)
				snprintf(rate, sizeof(rate), "%.2f", 1e9 / w);
			ct_buf_printf(b, "| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n", j->name,
				      j->snap[k].tag,
				      json_string_value(json_object_get(j->snap[k].c, "snapshot")) ?: "?",
				      done, total, D(ct_json_num(p, "remaining_s", NAN) * 1e9),
				      D(ct_json_num(p, "est_total_s", NAN) * 1e9), D(w), rate);
		}
	}
	if (r->a >= 0 && r->jobs[r->a].nsnap >= 2) {
		const struct rjob *a = &r->jobs[r->a];
		double w0 = pu(a->snap[0].span, "wall_ns"), w1 = pu(a->snap[1].span, "wall_ns");
		const json_t *p0 = json_object_get(meta(&a->snap[0]), "progress");
		const json_t *p1 = json_object_get(meta(&a->snap[1]), "progress");
		double r0 = ct_json_num(p0, "remaining_s", NAN), r1 = ct_json_num(p1, "remaining_s", NAN);
		double e0 = ct_json_num(p0, "est_total_s", NAN), e1 = ct_json_num(p1, "est_total_s", NAN);

		ct_buf_printf(b, "\n%s from %s to %s: wall time per unit %s -> %s (%s, %s per unit)",
			      a->name, a->snap[0].tag, a->snap[1].tag, D(w0), D(w1), P(w0, w1),
			      D(w1 - w0));
		if (isfinite(r0) && isfinite(r1))
			ct_buf_printf(b, "; printed remaining time %s -> %s (%s)", D(r0 * 1e9),
				      D(r1 * 1e9), P(r0, r1));
		if (isfinite(e0) && isfinite(e1))
			ct_buf_printf(b, "; printed total estimate %s -> %s (%s, %s)", D(e0 * 1e9),
				      D(e1 * 1e9), P(e0, e1), D((e1 - e0) * 1e9));
		ct_buf_printf(b, ".\n");
	}
	ct_buf_printf(b, "\n![Rate per window](rate.svg)\n");
	if (json_array_size(json_object_get(json_object_get(r->facts, "capacity"), "curve")) >= 2)
		ct_buf_printf(b, "\n![Work done by the number of jobs running together]"
				 "(capacity.svg)\n");
}

struct metric {
	const char *label;
	double (*get)(const json_t *span, const char *key);
	const char *key;
};

static const struct metric metrics[] = {
	{ "wall time", pu, "wall_ns" },
	{ "on CPU", pu, "oncpu_ns" },
	{ "run-queue delay (CPU contention)", pu, "runq_ns" },
	{ "socket wait (network / server)", pu, "socket_wait_ns" },
	{ "disk wait", pu_off, "disk" },
	{ "other uninterruptible wait", pu_off, "uninterruptible" },
	{ "lock (futex) wait", pu_off, "lock" },
	{ "poll/select wait", pu_off, "poll" },
	{ "sleep", pu_off, "sleep" },
	{ "pipe wait", pu_off, "pipe" },
};

static void per_unit_table(const struct report *r, struct ct_buf *b)
{
	const struct rjob *a = r->a >= 0 ? &r->jobs[r->a] : NULL;
	const struct rjob *bj = r->b >= 0 ? &r->jobs[r->b] : NULL;

	ct_buf_printf(b, "\n## Cost per unit of work\n\nTime per unit processed, in each "
			 "snapshot's span (t0: since the job started; later tags: since the previous "
			 "snapshot).\n\n| per unit |");
	for (int i = 0; i < r->njobs; i++)
		for (int k = 0; k < r->jobs[i].nsnap; k++)
			ct_buf_printf(b, " %s %s |", r->jobs[i].name, r->jobs[i].snap[k].tag);
	if (a && a->nsnap >= 2)
		ct_buf_printf(b, " %s %s -> %s |", a->name, a->snap[0].tag, a->snap[1].tag);
	ct_buf_printf(b, "\n|---|");
	for (int i = 0; i < r->njobs; i++)
		for (int k = 0; k < r->jobs[i].nsnap; k++)
			ct_buf_printf(b, "---|");
	ct_buf_printf(b, "%s\n", a && a->nsnap >= 2 ? "---|" : "");
	for (unsigned m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		ct_buf_printf(b, "| %s |", metrics[m].label);
		for (int i = 0; i < r->njobs; i++)
			for (int k = 0; k < r->jobs[i].nsnap; k++)
				ct_buf_printf(b, " %s |",
					      D(metrics[m].get(r->jobs[i].snap[k].span, metrics[m].key)));
		if (a && a->nsnap >= 2)
			ct_buf_printf(b, " %s |", P(metrics[m].get(a->snap[0].span, metrics[m].key),
						    metrics[m].get(a->snap[1].span, metrics[m].key)));
		ct_buf_printf(b, "\n");
	}
	ct_buf_printf(b, "| units in the span |");
	for (int i = 0; i < r->njobs; i++)
		for (int k = 0; k < r->jobs[i].nsnap; k++) {
			const json_t *u = json_object_get(json_object_get(r->jobs[i].snap[k].span,
									  "progress"), "units");

			if (json_is_integer(u))
				ct_buf_printf(b, " %lld |", (long long)json_integer_value(u));
			else
				ct_buf_printf(b, " - |");
		}
	ct_buf_printf(b, "%s\n", a && a->nsnap >= 2 ? " |" : "");
	if (bj)
		ct_buf_printf(b, "\nJob B here is %s.", bj->name);
	if (a && a->nsnap && json_is_object(json_object_get(a->snap[0].span, "per_unit")))
		ct_buf_printf(b, "\n\n![Where a unit of Job A's time goes](breakdown.svg)");
	ct_buf_printf(b, "\n\n![Run-queue delay per wait](runq.svg)\n\n![Socket wait per wait]"
			 "(socket.svg)\n\n![Disk wait](disk.svg)\n");
}

/* Each snapshot's busiest endpoints and disk lines: where the waiting happened. */
static void endpoints_table(const struct report *r, struct ct_buf *b)
{
	bool any = false;
	char x[32], y[32];

	for (int i = 0; i < r->njobs; i++) {
		for (int k = 0; k < r->jobs[i].nsnap; k++) {
			const json_t *span = r->jobs[i].snap[k].span, *e;
			size_t n;

			json_array_foreach(json_object_get(json_object_get(span, "net"), "endpoints"),
					   n, e) {
				if (n == 5)
					break;
				if (!any)
					ct_buf_printf(b, "\n## Endpoints\n\nSocket waits by the endpoint "
							 "waited on (the five busiest per snapshot; "
							 "`local`: the job's own port, a service it "
							 "provides, where the waits are for requests). A "
							 "wait per request runs from the moment the job "
							 "blocked for the peer, its request sent, to the "
							 "moment the peer's answer woke it, with the "
							 "waits for the rest of an answer that came in "
							 "pieces (on a TCP connection, the waits with "
							 "nothing written between them are one "
							 "request). p99: of single waits. Network RTT: the kernel's "
							 "smoothed TCP round trip, shown only for a peer "
							 "across a network (on loopback it measures the "
							 "peer's think time through delayed ACKs)."
							 "\n\n| job | snapshot | endpoint | "
							 "waits per unit | wait per request | p99 | "
							 "retransmits | network RTT |\n|---|---|---|---|"
							 "---|---|---|---|\n");
				any = true;
				ct_buf_printf(b, "| %s | %s | %s%s | %.2f | %s | %s | %llu | %s |\n",
					      r->jobs[i].name, r->jobs[i].snap[k].tag,
					      json_string_value(json_object_get(e, "endpoint")),
					      !strcmp(json_string_value(json_object_get(e, "side")) ?: "",
						      "local") ? " (local)" : "",
					      ct_json_num(json_object_get(e, "per_unit"), "waits", NAN),
					      ct_fmt_ns(ct_ep_request_ns(e), x, sizeof(x)),
					      ct_fmt_ns(ct_json_num(e, "p99_ns", NAN), y, sizeof(y)),
					      (unsigned long long)ct_json_u64(e, "retrans"),
					      json_is_number(json_object_get(e, "srtt_us")) ?
						      ct_fmt_ns(ct_json_num(e, "srtt_us", 0) * 1000,
								(char[32]){ 0 }, 32) :
						      "-");
			}
		}
	}
}

static void culprit_matrix(const struct report *r, struct ct_buf *b)
{
	json_t *cols = json_object();
	const char *name;
	json_t *v;

	ct_buf_printf(b, "\n## Who hurt whom\n\nRun-queue delay of each job (rows) while another "
			 "(columns) held the CPU, over each job's latest snapshot span; share of "
			 "the row's delay. `idle`: the CPU was idle (wakeup latency).\n\n| waited "
			 "\\ ran |");
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];

		if (!j->nsnap)
			continue;
		json_object_foreach(json_object_get(j->snap[j->nsnap - 1].span, "culprits"), name, v)
			json_object_set_new(cols, name, json_true());
	}
	json_object_foreach(cols, name, v)
		ct_buf_printf(b, " %s |", name);
	ct_buf_printf(b, "\n|---|");
	json_object_foreach(cols, name, v)
		ct_buf_printf(b, "---|");
	ct_buf_printf(b, "\n");
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];
		const json_t *span;
		double total;

		if (!j->nsnap)
			continue;
		span = j->snap[j->nsnap - 1].span;
		total = (double)ct_json_u64(json_object_get(span, "runq"), "ns");
		ct_buf_printf(b, "| %s (%s) |", j->name, j->snap[j->nsnap - 1].tag);
		json_object_foreach(cols, name, v) {
			double ns = (double)ct_json_u64(
				json_object_get(json_object_get(span, "culprits"), name), "runq_ns");

			ct_buf_printf(b, ns > 0 ? " %s (%.0f%%) |" : " - |", D(ns),
				      total > 0 ? 100 * ns / total : 0.0);
		}
		ct_buf_printf(b, "\n");
	}
	json_decref(cols);
}

static void kernel_checks(const struct report *r, struct ct_buf *b)
{
	ct_buf_printf(b, "\n## Kernel cross-checks\n\ncontrace's figures beside the kernel's own "
			 "for the job's cgroup, over the same span. cpu.stat usage should match "
			 "on-CPU time. PSI `some` is wall time during which at least one task of the "
			 "cgroup stalled, so it is at most the summed per-thread delay.\n\n| job | "
			 "snapshot | on CPU | cpu.stat usage | run-queue delay | cpu.pressure some | "
			 "disk wait | io.pressure some | memory.pressure some |\n"
			 "|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];

		for (int k = 0; k < j->nsnap; k++) {
			const json_t *s = j->snap[k].span, *kern = json_object_get(s, "kernel");
			const json_t *cs = json_object_get(kern, "cpu.stat");
			double usage = json_object_get(cs, "usage_usec") ?
					       (double)ct_json_u64(cs, "usage_usec") * 1e3 :
				       json_object_get(cs, "usage") ? (double)ct_json_u64(cs, "usage") :
								      NAN;
#define PSI(f) (json_object_get(kern, f) ? \
		(double)ct_json_u64(json_object_get(kern, f), "some_total_us") * 1e3 : NAN)

			ct_buf_printf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", j->name,
				      j->snap[k].tag,
				      D((double)ct_json_u64(json_object_get(s, "cpu"), "oncpu_ns")),
				      D(usage), D((double)ct_json_u64(json_object_get(s, "runq"), "ns")),
				      D(PSI("cpu.pressure")),
				      D((double)ct_json_u64(json_object_get(json_object_get(s, "offcpu"),
									    "disk"), "ns")),
				      D(PSI("io.pressure")), D(PSI("memory.pressure")));
#undef PSI
		}
	}
}

/* Top functions by own time per unit at each snapshot, and their change between two. */
static void hotspots(const struct report *r, struct ct_buf *b)
{
	bool any = false;

	ct_buf_printf(b, "\n## Profile hotspots\n\n");
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];
		struct pstats ps[RPT_MAX_SNAPS];
		bool ok[RPT_MAX_SNAPS] = { false };
		double units[RPT_MAX_SNAPS];
		char why[256];

		for (int k = 0; k < j->nsnap; k++) {
			units[k] = ct_json_num(meta(&j->snap[k]), "processed_count_at_snapshot", NAN);
			if (!j->snap[k].profile[0])
				continue;
			ok[k] = !pstats__loadat(r->snaps.fd, j->snap[k].profile, true, &ps[k], why,
						sizeof(why));
			if (!ok[k])
				ct_buf_printf(b, "%s %s: profile unreadable: %s\n\n", j->name,
					      j->snap[k].tag, why);
		}
		for (int k = 0; k < j->nsnap; k++) {
			size_t *idx;

			if (!ok[k])
				continue;
			any = true;
			idx = pstats__sorted(&ps[k], PSTATS_TOTTIME);
			ct_buf_printf(b, "### %s %s: own time per unit (%.0f units done at the snapshot; "
					 "profile total %.1f s)\n\n| function | calls per unit | own time "
					 "per unit | cumulative per unit |%s\n|---|---|---|---|%s\n",
				      j->name, j->snap[k].tag, units[k], ps[k].total_tt,
				      k && ok[k - 1] ? " own time per unit between the two snapshots "
						       "| change |" : "",
				      k && ok[k - 1] ? "---|---|" : "");
			for (size_t n = 0; n < ps[k].n && n < 10; n++) {
				const struct pstats_func *f = &ps[k].f[idx[n]];
				char name[512];

				pstats__name(f, name, sizeof(name));
				ct_buf_printf(b, "| `%s` | %.2f | %s | %s |", name,
					      (double)f->nc / units[k], D(f->tt * 1e9 / units[k]),
					      D(f->ct * 1e9 / units[k]));
				/*
				 * The same process profiled twice: its counts only grow, so the
				 * difference is what the span between the snapshots cost.
				 */
				if (k && ok[k - 1]) {
					double prev = 0, du = units[k] - units[k - 1], between;

					for (size_t m = 0; m < ps[k - 1].n; m++) {
						char other[512];

						pstats__name(&ps[k - 1].f[m], other, sizeof(other));
						if (!strcmp(other, name))
							prev = ps[k - 1].f[m].tt;
					}
					between = du > 0 && f->tt >= prev ? (f->tt - prev) * 1e9 / du : NAN;
					ct_buf_printf(b, " %s | %s |", D(between),
						      P(prev * 1e9 / units[k - 1], between));
				}
				ct_buf_printf(b, "\n");
			}
			ct_buf_printf(b, "\n");
			free(idx);
		}
		for (int k = 0; k < j->nsnap; k++)
			if (ok[k])
				pstats__free(&ps[k]);
	}
	if (!any)
		ct_buf_printf(b, "No profile was kept with the snapshots (snapshot --profile; "
				 "cProfile writes its file when the process exits).\n");
}

static void verdicts(const struct report *r, struct ct_buf *b)
{
	size_t i, k;
	json_t *v, *e;

	ct_buf_printf(b, "\n## Verdicts\n");
	json_array_foreach(r->verdicts, i, v) {
		ct_buf_printf(b, "\n### %s\n\n**%s** (confidence: %s)\n\n",
			      json_string_value(json_object_get(v, "question")),
			      json_string_value(json_object_get(v, "answer")),
			      json_string_value(json_object_get(v, "confidence")));
		json_array_foreach(json_object_get(v, "evidence"), k, e)
			ct_buf_printf(b, "- %s\n", json_string_value(e));
	}
}

static void quality(const struct report *r, struct ct_buf *b)
{
	ct_buf_printf(b, "\n## Data\n\n- recording: `%s`, %d windows read%s\n", r->windows,
		      r->windows_read, r->bad_lines ? " (some lines were not windows: skipped)" : "");
	for (int i = 0; i < r->njobs; i++)
		for (int k = 0; k < r->jobs[i].nsnap; k++) {
			const json_t *l = json_object_get(r->jobs[i].snap[k].span, "lost");

			char note[1024];

			ct_buf_printf(b, "- %s %s: %lld windows, %s .. %s; events lost: %llu, "
					 "intervals rebuilt from the kernel's counters: %llu\n",
				      r->jobs[i].name,
				      r->jobs[i].snap[k].tag,
				      (long long)ct_json_u64(r->jobs[i].snap[k].span, "windows"),
				      json_string_value(json_object_get(r->jobs[i].snap[k].span, "from")),
				      json_string_value(json_object_get(r->jobs[i].snap[k].span, "to")),
				      (unsigned long long)(ct_json_u64(l, "storage_full") +
							   ct_json_u64(l, "recursion")),
				      (unsigned long long)ct_json_u64(l, "repaired"));
			if (span__gap_note(r->jobs[i].snap[k].span, note, sizeof(note)))
				ct_buf_printf(b, "  - **warning**: %s\n", note);
		}
	ct_buf_printf(b, "- thresholds: a change of 20 %% or more in a per-unit figure counts; "
			 "under 10 %% is no change; confidence is high with 100+ units and 5+ windows "
			 "in each span (docs/report.md)\n");
}

/*
 * A timeline chart of one series field (@off) per job; with @smooth (the rate chart), that
 * field is drawn as faint points and the field at @smooth as the job's line over them.
 */
static int chart(const struct report *r, const struct safedir *out, const char *file,
		 const char *title, const char *ylabel, size_t off, size_t smooth)
{
	struct svg_series s[2 * RPT_MAX_JOBS];
	struct svg_marker m[RPT_MAX_SNAPS + 2];
	struct svg_chart c = { .title = title, .ylabel = ylabel, .series = s, .markers = m };
	struct ct_buf b = { 0 };
	int err;

	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];

		const double *y = j->s.n ? *(double *const *)((const char *)&j->s + off) : NULL;
		bool any = false;

		for (size_t k = 0; k < j->s.n; k++)
			any |= isfinite(y[k]);
		if (!any)	/* a job with no such figure (no progress lines: no rate) */
			continue;
		if (smooth)
			s[c.nseries++] = (struct svg_series){ .name = j->name, .x = j->s.t, .y = y,
							      .n = j->s.n, .color = (size_t)i,
							      .dots = true };
		s[c.nseries++] = (struct svg_series){
			.name = j->name, .x = j->s.t, .n = j->s.n, .color = (size_t)i,
			.y = smooth ? *(double *const *)((const char *)&j->s + smooth) : y,
			.join = smooth != 0 };
		if (j->s.t[j->s.n - 1] > c.xmax)
			c.xmax = j->s.t[j->s.n - 1];
	}
	if (r->a >= 0)
		for (int k = 0; k < r->jobs[r->a].nsnap && c.nmarkers < RPT_MAX_SNAPS; k++)
			m[c.nmarkers++] = (struct svg_marker){
				.x = ((double)r->jobs[r->a].snap[k].t_ns - (double)r->t0_ns) / 1e9,
				.label = r->jobs[r->a].snap[k].tag };
	if (r->b >= 0 && r->jobs[r->b].first_ran_ns) {
		static char label[CT_NAME_MAX + 16];

		snprintf(label, sizeof(label), "%s starts", r->jobs[r->b].name);
		m[c.nmarkers++] = (struct svg_marker){
			.x = ((double)r->jobs[r->b].first_ran_ns - (double)r->t0_ns) / 1e9,
			.label = label };
	}
	svg__chart(&c, &b);
	err = safedir__write(out, file, b.p, b.len, 0644);
	ct_buf_free(&b);
	return err;
}

/*
 * Where a unit of Job A's time goes at each snapshot: thread time per unit by what its
 * threads did (stacked), with the wall time per unit marked. Bars above the mark are
 * several threads at once.
 */
static int breakdown_chart(const struct report *r, const struct safedir *out)
{
	static const char *const stacks[] = { "on CPU", "waiting for a CPU", "disk", "socket",
					      "lock", "sleep", "other waits" };
	enum { NS = sizeof(stacks) / sizeof(stacks[0]) };
	const char *cats[RPT_MAX_SNAPS];
	char labels[RPT_MAX_SNAPS][CT_NAME_MAX + 16];
	double v[RPT_MAX_SNAPS * NS], mark[RPT_MAX_SNAPS];
	struct svg_bars c = { .title = "Where a unit of work goes (Job A, thread time per unit)",
			      .ylabel = "ms per unit", .xlabel = "snapshot", .cats = cats,
			      .stacks = stacks, .nstacks = NS, .v = v, .mark = mark,
			      .mark_label = "wall time per unit" };
	const struct rjob *a;
	struct ct_buf b = { 0 };
	int err;

	if (r->a < 0)
		return 0;
	a = &r->jobs[r->a];
	for (int k = 0; k < a->nsnap; k++) {
		const json_t *sp = a->snap[k].span;
		double known = 0, *row = &v[c.ncats * NS];

		if (!json_is_object(json_object_get(sp, "per_unit")))
			continue;
		row[0] = pu(sp, "oncpu_ns") / 1e6;
		row[1] = pu(sp, "runq_ns") / 1e6;
		row[2] = (pu_off(sp, "disk") + pu_off(sp, "uninterruptible")) / 1e6;
		row[3] = pu_off(sp, "socket") / 1e6;
		row[4] = pu_off(sp, "lock") / 1e6;
		row[5] = pu_off(sp, "sleep") / 1e6;
		for (int i = 0; i < CT_OFF_NR; i++)
			known += pu_off(sp, ct_off_names[i]);
		row[6] = (known - pu_off(sp, "disk") - pu_off(sp, "uninterruptible") -
			  pu_off(sp, "socket") - pu_off(sp, "lock") - pu_off(sp, "sleep")) / 1e6;
		mark[c.ncats] = pu(sp, "wall_ns") / 1e6;
		snprintf(labels[c.ncats], sizeof(labels[0]), "%s%s", a->snap[k].tag,
			 k == 0 ? " (alone)" : "");
		cats[c.ncats] = labels[c.ncats];
		c.ncats++;
	}
	if (!c.ncats)
		return 0;
	svg__bars(&c, &b);
	err = safedir__write(out, "breakdown.svg", b.p, b.len, 0644);
	ct_buf_free(&b);
	return err;
}

/* Work done per second by the number of jobs running together (the capacity verdict's curve). */
static int capacity_chart(const struct report *r, const struct safedir *out)
{
	static const char *const stacks[] = { "all jobs together" };
	const json_t *curve = json_object_get(json_object_get(r->facts, "capacity"), "curve"), *p;
	char labels[RPT_MAX_SNAPS][CT_NAME_MAX + 16];
	const char *cats[RPT_MAX_SNAPS];
	double v[RPT_MAX_SNAPS], mark[RPT_MAX_SNAPS], one = NAN;
	struct svg_bars c = { .title = "Work done by the number of jobs running together",
			      .ylabel = "units of work per second", .xlabel = "jobs running",
			      .cats = cats, .stacks = stacks, .nstacks = 1, .v = v, .mark = mark,
			      .mark_label = "n x one alone" };
	struct ct_buf b = { 0 };
	size_t i;
	int err;

	json_array_foreach(curve, i, p) {
		int n = (int)ct_json_u64(p, "jobs");

		if (c.ncats == RPT_MAX_SNAPS)
			break;
		v[c.ncats] = ct_json_num(p, "units_per_s", NAN);
		if (!c.ncats)
			one = v[0] / (n ? n : 1);
		mark[c.ncats] = one * n;
		snprintf(labels[c.ncats], sizeof(labels[0]), "%d (%s)", n,
			 json_string_value(json_object_get(p, "tag")) ?: "?");
		cats[c.ncats] = labels[c.ncats];
		c.ncats++;
	}
	if (c.ncats < 2)
		return 0;
	svg__bars(&c, &b);
	err = safedir__write(out, "capacity.svg", b.p, b.len, 0644);
	ct_buf_free(&b);
	return err;
}

int report__write(struct report *r)
{
	struct safedir out;
	struct ct_buf b = { 0 };
	json_t *rj;
	char *js;
	int err;

	ct_buf_printf(&b, "# Contention report: %s\n\n", r->dir);
	if (r->a >= 0)
		ct_buf_printf(&b, "Job A: **%s** (ran first, snapshotted at %d moments). Job B: "
				 "**%s**.\n\n", r->jobs[r->a].name, r->jobs[r->a].nsnap,
			      r->b >= 0 ? r->jobs[r->b].name : "none");
	summary(r, &b);
	eta(r, &b);
	per_unit_table(r, &b);
	endpoints_table(r, &b);
	culprit_matrix(r, &b);
	kernel_checks(r, &b);
	hotspots(r, &b);
	verdicts(r, &b);
	quality(r, &b);
	if (safedir__sub(&out, &r->top, "analysis")) {
		ct_buf_free(&b);
		return -ENOENT;
	}
	err = safedir__write(&out, "report.md", b.p, b.len, 0644);
	ct_buf_free(&b);
	rj = json_pack("{ss sO ss ss}", "type", "report", "verdicts", r->verdicts, "job_a",
			r->a >= 0 ? r->jobs[r->a].name : "", "job_b",
			r->b >= 0 ? r->jobs[r->b].name : "");
	/* throughput by number of concurrent jobs, for scripts and dashboards */
	if (json_object_get(r->facts, "capacity"))
		json_object_set(rj, "capacity", json_object_get(r->facts, "capacity"));
	/* the server A's wait leads into, and the resource its requests wait on more */
	if (json_object_get(r->facts, "chain"))
		json_object_set(rj, "chain", json_object_get(r->facts, "chain"));
	js = json_dumps(rj, JSON_INDENT(1));
	err = err ?: safedir__write(&out, "report.json", js, strlen(js), 0644);
	free(js);
	json_decref(rj);
	err = err ?: chart(r, &out, "runq.svg", "Run-queue delay per wait (CPU contention)", "ms",
			   offsetof(struct rseries, runq_ms), 0);
	err = err ?: chart(r, &out, "socket.svg", "Socket wait per wait (network / server)", "ms",
			   offsetof(struct rseries, sock_ms), 0);
	err = err ?: chart(r, &out, "disk.svg", "Disk wait", "ms per second", offsetof(struct rseries,
										    disk_ms_s), 0);
	err = err ?: chart(r, &out, "rate.svg", "Rate: units of work per second (line: over the last 4 "
			   "counts; points: each window)", "units/s",
			   offsetof(struct rseries, rate), offsetof(struct rseries, rate_smooth));
	err = err ?: breakdown_chart(r, &out);
	err = err ?: capacity_chart(r, &out);
	safedir__close(&out);
	return err;
}
