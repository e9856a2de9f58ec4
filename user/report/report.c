// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report's model and verdicts. Job A is the job snapshotted at two moments that ran
 * first; t0 is its first snapshot ("A alone": the span since A started), t1 its second ("A
 * with B": the span since t0). Every comparison is per unit of work, so a job that simply
 * processed fewer items in the second span is not mistaken for a slower one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report.h"
#include "schema.h"
#include "span.h"

/* Thresholds of the verdicts (docs/report.md explains them). */
#define DEGRADED_PCT 20.0	/* wall time per unit up by this much: degraded */
#define STEADY_PCT 10.0		/* within this: unchanged */
#define UNITS_HIGH 100		/* units per span for high confidence */
#define UNITS_MIN 20		/* below this per span: not enough data */
#define WINDOWS_HIGH 5
#define SHARE_MIN 0.10		/* a resource explains at least this share of the slowdown */

double rpt_pct(double a, double b)
{
	return a > 0 && isfinite(a) && isfinite(b) ? 100.0 * (b - a) / a : NAN;
}

static struct rjob *job_get(struct report *r, const char *name, bool create)
{
	for (int i = 0; i < r->njobs; i++)
		if (!strcmp(r->jobs[i].name, name))
			return &r->jobs[i];
	if (!create || r->njobs == RPT_MAX_JOBS)
		return NULL;
	snprintf(r->jobs[r->njobs].name, CT_NAME_MAX, "%s", name);
	return &r->jobs[r->njobs++];
}

static void add_snapshot(struct report *r, json_t *c)
{
	const char *job = json_string_value(json_object_get(c, "job"));
	const char *tag = json_string_value(json_object_get(c, "tag"));
	struct rjob *j;
	struct rsnap *s;
	int i;

	if (!job || !tag || !json_is_object(json_object_get(c, "span")) ||
	    !(j = job_get(r, job, true)) || j->nsnap == RPT_MAX_SNAPS) {
		json_decref(c);
		return;
	}
	/* Keep them ordered by time. */
	for (i = j->nsnap; i > 0 && j->snap[i - 1].t_ns > ct_json_u64(c, "snapshot_ns"); i--)
		j->snap[i] = j->snap[i - 1];
	s = &j->snap[i];
	memset(s, 0, sizeof(*s));
	snprintf(s->tag, sizeof(s->tag), "%s", tag);
	s->t_ns = ct_json_u64(c, "snapshot_ns");
	s->c = c;
	s->span = json_object_get(c, "span");
	j->nsnap++;
	for (const char *ext = ".stats"; ext; ext = strcmp(ext, ".stats") ? NULL : ".stats.gz") {
		snprintf(s->profile, sizeof(s->profile), "%s_%s_profile%s", job, tag, ext);
		if (!faccessat(r->snaps.fd, s->profile, R_OK, AT_SYMLINK_NOFOLLOW))
			break;
		s->profile[0] = '\0';
	}
	if (!r->windows[0] && json_is_string(json_object_get(c, "source")))
		snprintf(r->windows, sizeof(r->windows), "%s",
			 json_string_value(json_object_get(c, "source")));
}

static int load_snapshots(struct report *r)
{
	struct dirent *e;
	DIR *d = NULL;
	int fd;

	if (!access(r->dir, F_OK) && safedir__open(&r->top, r->dir))
		return -ENOENT;
	if (r->top.fd < 0 || faccessat(r->top.fd, "snapshots", F_OK, AT_SYMLINK_NOFOLLOW)) {
		ct_err("cannot read %s/snapshots: %s (is %s an experiment folder? see contrace init)",
		       r->dir, strerror(errno), r->dir);
		return -ENOENT;
	}
	if (safedir__sub(&r->snaps, &r->top, "snapshots"))
		return -ENOENT;
	fd = dup(r->snaps.fd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		ct_err("cannot read %s/snapshots: %s", r->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		json_t *c;

		if (n < 16 || strcmp(e->d_name + n - 16, "_contention.json"))
			continue;
		c = ct_json_loadat(r->snaps.fd, e->d_name);
		if (!c) {
			fprintf(stderr, "contrace: note: %s/snapshots/%s is left out\n", r->dir,
				e->d_name);
			continue;
		}
		add_snapshot(r, c);
	}
	closedir(d);
	return 0;
}

static void series_push(struct rseries *s, double t, double runq, double sock, double disk,
			double rate, double smooth, double cpus, double lock)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->t = realloc(s->t, s->cap * sizeof(double));
		s->runq_ms = realloc(s->runq_ms, s->cap * sizeof(double));
		s->sock_ms = realloc(s->sock_ms, s->cap * sizeof(double));
		s->disk_ms_s = realloc(s->disk_ms_s, s->cap * sizeof(double));
		s->rate = realloc(s->rate, s->cap * sizeof(double));
		s->rate_smooth = realloc(s->rate_smooth, s->cap * sizeof(double));
		s->cpus = realloc(s->cpus, s->cap * sizeof(double));
		s->lock_ms_s = realloc(s->lock_ms_s, s->cap * sizeof(double));
		if (!s->t || !s->runq_ms || !s->sock_ms || !s->disk_ms_s || !s->rate || !s->cpus ||
		    !s->lock_ms_s || !s->rate_smooth)
			abort();
	}
	s->t[s->n] = t;
	s->runq_ms[s->n] = runq;
	s->sock_ms[s->n] = sock;
	s->disk_ms_s[s->n] = disk;
	s->rate[s->n] = rate;
	s->rate_smooth[s->n] = smooth;
	s->cpus[s->n] = cpus;
	s->lock_ms_s[s->n] = lock;
	s->n++;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

static void window_job(struct report *r, const json_t *win, const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const json_t *runq = json_object_get(j, "runq"), *off = json_object_get(j, "offcpu");
	const json_t *prog = json_object_get(j, "progress");
	double dur = ct_json_num(win, "dur_s", 0), rate = NAN, smooth = NAN, disk;
	double oncpu = (double)ct_json_u64(json_object_get(j, "cpu"), "oncpu_ns");
	uint64_t start = ct_json_u64(win, "start_ns"), end = ct_json_u64(win, "end_ns");
	const char *missing;
	struct rjob *rj;

	if (!name || (kind && (!strcmp(kind, "other") || !strcmp(kind, "kernel") ||
			       !strcmp(kind, "writeback"))) ||
	    !(rj = job_get(r, name, true)))
		return;
	if (!rj->s.n)
		rj->s.last_done = -1;
	/* the fields the series are drawn from: one missing is named, never drawn as zero */
	if (schema__job_missing(j, &missing)) {
		if (!r->missing)
			r->missing = missing;
		r->bad_entries++;
		return;
	}
	{
		const json_t *e;
		size_t i;

		json_array_foreach(json_object_get(json_object_get(j, "net"), "endpoints"), i, e) {
			const char *ep = json_string_value(json_object_get(e, "endpoint"));
			const char *side = json_string_value(json_object_get(e, "side"));

			if (!ep || !side || strcmp(side, "local"))
				continue;
			if (!rj->served)
				rj->served = json_object();
			json_object_set_new(rj->served, ep,
					    json_integer(json_integer_value(json_object_get(rj->served,
											     ep)) +
							 (json_int_t)ct_json_u64(e, "count")));
		}
	}
	if (oncpu > 0 && !rj->first_ran_ns)
		rj->first_ran_ns = start;
	if (json_is_object(prog)) {
		int64_t done = json_integer_value(json_object_get(prog, "done"));

		if (json_is_integer(json_object_get(prog, "done")) && rj->s.last_done >= 0 &&
		    done >= rj->s.last_done && dur > 0)
			rate = (double)(done - rj->s.last_done) / dur;
		if (json_is_integer(json_object_get(prog, "done")))
			rj->s.last_done = done;
		/*
		 * A job prints its count every so many units: per window the rate zig-zags with
		 * the sampling. Over its last RPT_SMOOTH - 1 changes of the count it is the job's.
		 */
		if (json_is_integer(json_object_get(prog, "done")) &&
		    (!rj->s.nchg || done != rj->s.chg_done[(rj->s.nchg - 1) % RPT_SMOOTH])) {
			double t = (double)(end - r->t0_ns) / 1e9;
			int last = rj->s.nchg - 1, first = rj->s.nchg - (RPT_SMOOTH - 1);

			if (last >= 0 && done < rj->s.chg_done[last % RPT_SMOOTH])
				rj->s.nchg = 0;	/* a new count (a restarted job): start over */
			first = first > 0 ? first : 0;
			if (rj->s.nchg && t > rj->s.chg_t[first % RPT_SMOOTH])
				smooth = (double)(done - rj->s.chg_done[first % RPT_SMOOTH]) /
					 (t - rj->s.chg_t[first % RPT_SMOOTH]);
			rj->s.chg_done[rj->s.nchg % RPT_SMOOTH] = done;
			rj->s.chg_t[rj->s.nchg % RPT_SMOOTH] = t;
			rj->s.nchg++;
		}
	}
	disk = (double)ct_json_u64(json_object_get(off, "disk"), "ns") +
	       (double)ct_json_u64(json_object_get(off, "uninterruptible"), "ns");
	series_push(&rj->s, (double)(end - r->t0_ns) / 1e9,
		    ratio((double)ct_json_u64(runq, "ns"), (double)ct_json_u64(runq, "count")) / 1e6,
		    ratio((double)ct_json_u64(json_object_get(off, "socket"), "ns"),
			  (double)ct_json_u64(json_object_get(off, "socket"), "count")) / 1e6,
		    ratio(disk, dur) / 1e6, rate, smooth, ratio(oncpu, dur) / 1e9,
		    ratio((double)ct_json_u64(json_object_get(off, "lock"), "ns"), dur) / 1e6);
}

static int scan(const json_t *win, void *arg)
{
	struct report *r = arg;
	size_t i;
	json_t *j;

	if (!r->t0_ns)
		r->t0_ns = ct_json_u64(win, "start_ns");
	r->windows_read++;
	json_array_foreach(json_object_get(win, "jobs"), i, j)
		window_job(r, win, j);
	return 0;
}

/* Job A: snapshotted twice, ran first. Job B: another snapshotted job, the first to start. */
static void pick_jobs(struct report *r)
{
	r->a = r->b = -1;
	for (int i = 0; i < r->njobs; i++) {
		struct rjob *j = &r->jobs[i];

		if (j->nsnap >= 2 && (r->a < 0 || j->first_ran_ns < r->jobs[r->a].first_ran_ns))
			r->a = i;
	}
	for (int i = 0; r->a < 0 && i < r->njobs; i++)
		if (r->jobs[i].nsnap && (r->a < 0 || r->jobs[i].snap[0].t_ns <
							     r->jobs[r->a].snap[0].t_ns))
			r->a = i;
	for (int i = 0; i < r->njobs; i++) {
		struct rjob *j = &r->jobs[i];

		if (i == r->a || !j->nsnap)
			continue;
		if (r->b < 0 || j->first_ran_ns < r->jobs[r->b].first_ran_ns)
			r->b = i;
	}
}

int report__load(struct report *r, const char *dir, const char *windows)
{
	struct span_scan st;
	int err;

	memset(r, 0, sizeof(*r));
	r->a = r->b = -1;
	r->top.fd = r->snaps.fd = -1;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	if (windows)
		snprintf(r->windows, sizeof(r->windows), "%s", windows);
	if ((err = load_snapshots(r)))
		return err;
	if (!r->njobs) {
		ct_err("%s/snapshots holds no contention snapshot: take them with contrace snapshot "
		       "--from (the recorder's output)", dir);
		return -ENOENT;
	}
	if (r->windows[0]) {
		err = span__scan_path(r->windows, scan, r, &st);
		r->bad_lines = st.bad_lines;
		json_decref(st.session);
		if (err)
			return err;
		if (r->bad_entries) {
			ct_err("%s: %d job entries lack %s: a recording of another contrace version, "
			       "or damaged; not drawn as zeros", r->windows, r->bad_entries,
			       r->missing);
			return -EINVAL;
		}
	}
	pick_jobs(r);
	return 0;
}

void report__free(struct report *r)
{
	safedir__close(&r->snaps);
	safedir__close(&r->top);
	for (int i = 0; i < r->njobs; i++) {
		struct rjob *j = &r->jobs[i];

		for (int k = 0; k < j->nsnap; k++)
			json_decref(j->snap[k].c);
		free(j->s.t);
		free(j->s.runq_ms);
		free(j->s.sock_ms);
		free(j->s.disk_ms_s);
		free(j->s.rate);
		free(j->s.rate_smooth);
		free(j->s.cpus);
		free(j->s.lock_ms_s);
		json_decref(j->served);
	}
	json_decref(r->verdicts);
	json_decref(r->facts);
}

/* ---- verdicts ---- */

/* A per-unit figure of a span (ns), NAN when units are unknown. */
static double per_unit(const json_t *span, const char *key)
{
	const json_t *pu = json_object_get(span, "per_unit");

	return json_is_object(pu) ? ct_json_num(pu, key, NAN) : NAN;
}

static double per_unit_off(const json_t *span, const char *reason)
{
	const json_t *pu = json_object_get(span, "per_unit");

	return json_is_object(pu) ? ct_json_num(json_object_get(pu, "offcpu_ns"), reason, NAN) : NAN;
}

static int64_t units(const json_t *span)
{
	const json_t *u = json_object_get(json_object_get(span, "progress"), "units");

	return json_is_integer(u) ? json_integer_value(u) : -1;
}

static double kernel_us_per_unit(const json_t *span, const char *file, const char *key)
{
	int64_t u = units(span);
	const json_t *f = json_object_get(json_object_get(span, "kernel"), file);

	if (u <= 0 || !json_is_object(f))
		return NAN;
	return (double)ct_json_u64(f, key) * 1e3 / (double)u;
}

static json_t *verdict(struct report *r, const char *q, const char *answer, const char *conf)
{
	json_t *v = json_pack("{ss ss ss s[]}", "question", q, "answer", answer, "confidence", conf,
			      "evidence");

	json_array_append_new(r->verdicts, v);
	return json_object_get(v, "evidence");
}

static void say(json_t *evidence, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(json_t *evidence, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	json_array_append_new(evidence, json_string(s));
	free(s);
}


static const char *confidence(int64_t u0, int64_t u1, int w0, int w1)
{
	if (u0 >= UNITS_HIGH && u1 >= UNITS_HIGH && w0 >= WINDOWS_HIGH && w1 >= WINDOWS_HIGH)
		return "high";
	if (u0 >= 2 * UNITS_MIN && u1 >= 2 * UNITS_MIN)
		return "medium";
	return "low";
}

struct cmp {
	const json_t *a0, *a1, *b1;
	int64_t u0, u1;
	int w0, w1;
	double wall0, wall1, dwall;
	bool ok;
	char why[300];
};

static void compare_setup(struct report *r, struct cmp *c)
{
	struct rjob *a = r->a >= 0 ? &r->jobs[r->a] : NULL;

	memset(c, 0, sizeof(*c));
	if (!a || a->nsnap < 2) {
		snprintf(c->why, sizeof(c->why), "Job A needs two snapshots (t0 alone, t1 with B); "
			 "%s has %d", a ? a->name : "no job", a ? a->nsnap : 0);
		return;
	}
	c->a0 = a->snap[0].span;
	c->a1 = a->snap[1].span;
	if (r->b >= 0) {
		struct rjob *b = &r->jobs[r->b];

		c->b1 = b->snap[b->nsnap - 1].span;
		for (int k = 0; k < b->nsnap; k++)
			if (!strcmp(b->snap[k].tag, a->snap[1].tag))
				c->b1 = b->snap[k].span;
	}
	c->u0 = units(c->a0);
	c->u1 = units(c->a1);
	c->w0 = (int)ct_json_u64(c->a0, "windows");
	c->w1 = (int)ct_json_u64(c->a1, "windows");
	c->wall0 = per_unit(c->a0, "wall_ns");
	c->wall1 = per_unit(c->a1, "wall_ns");
	c->dwall = c->wall1 - c->wall0;
	if (c->u0 < UNITS_MIN || c->u1 < UNITS_MIN) {
		snprintf(c->why, sizeof(c->why), "too few units of work to compare: %lld at %s and "
			 "%lld at %s (at least %d each; are [PERF] lines followed with record --log?)",
			 (long long)c->u0, a->snap[0].tag, (long long)c->u1, a->snap[1].tag,
			 UNITS_MIN);
		return;
	}
	c->ok = true;
}

/* The first two questions; the four resource questions are in `resources` below. */
static const char Q_ETA[] = "Is the ETA degradation between t0 and t1 confirmed?";
static const char Q_HOTSPOTS[] = "Do profile hotspots explain more CPU per unit?";

static void judge_eta(struct report *r, const struct cmp *c)
{
	struct rjob *a = &r->jobs[r->a];
	double ch = rpt_pct(c->wall0, c->wall1);
	const char *ans = ch >= DEGRADED_PCT ? "yes" : ch >= STEADY_PCT ? "slight" :
			  ch <= -STEADY_PCT ? "no: faster" : "no";
	char x[32], y[32];
	json_t *ev;

	ev = verdict(r, Q_ETA, ans,
		     confidence(c->u0, c->u1, c->w0, c->w1));
	say(ev, "%s's wall time per unit: %s at %s (%lld units in %d windows), %s at %s (%lld "
	    "units in %d windows): %+.0f%%", a->name, ct_fmt_ns(c->wall0, x, sizeof(x)), a->snap[0].tag,
	    (long long)c->u0, c->w0, ct_fmt_ns(c->wall1, y, sizeof(y)), a->snap[1].tag, (long long)c->u1,
	    c->w1, ch);
	for (int k = 0; k < 2; k++) {
		const json_t *p = json_object_get(json_object_get(a->snap[k].c, "snapshot_meta"),
						  "progress");
		double rem = ct_json_num(p, "remaining_s", NAN), tot = ct_json_num(p, "est_total_s", NAN);

		if (isfinite(rem))
			say(ev, "ETA printed by the job at %s: %s remaining, %s estimated in all",
			    a->snap[k].tag, ct_fmt_ns(rem * 1e9, x, sizeof(x)), ct_fmt_ns(tot * 1e9, y, sizeof(y)));
	}
	{
		double rate0 = 1e9 / c->wall0, rate1 = 1e9 / c->wall1;
		double u_total = ct_json_num(json_object_get(a->snap[1].c, "snapshot_meta"),
					     "total_assets", NAN);
		double done = ct_json_num(json_object_get(a->snap[1].c, "snapshot_meta"),
					  "processed_count_at_snapshot", NAN);

		if (isfinite(u_total) && isfinite(done) && u_total > done)
			say(ev, "remaining %.0f units at the %s rate take %s; at the %s rate %s "
				"(absolute change %s, %+.0f%%)",
			    u_total - done, a->snap[1].tag,
			    ct_fmt_ns((u_total - done) / rate1 * 1e9, x, sizeof(x)), a->snap[0].tag,
			    ct_fmt_ns((u_total - done) / rate0 * 1e9, y, sizeof(y)),
			    ct_fmt_ns((u_total - done) * (1 / rate1 - 1 / rate0) * 1e9, (char[32]){ 0 }, 32),
			    rpt_pct(1 / rate0, 1 / rate1));
	}
}

static void judge_cpu(struct report *r, const struct cmp *c)
{
	struct rjob *a = &r->jobs[r->a];
	double c0 = per_unit(c->a0, "oncpu_ns"), c1 = per_unit(c->a1, "oncpu_ns");
	double ch = rpt_pct(c0, c1), share = c->dwall > 0 ? (c1 - c0) / c->dwall : NAN;
	bool yes = ch >= DEGRADED_PCT && share >= 0.25;
	char x[32], y[32], z[32];
	json_t *ev;

	ev = verdict(r, Q_HOTSPOTS,
		     c->dwall <= 0 ? "no: nothing to explain" : yes ? "yes" : "no",
		     confidence(c->u0, c->u1, c->w0, c->w1));
	say(ev, "%s's CPU per unit (contrace's on-CPU time): %s at %s, %s at %s (%+.0f%%)", a->name,
	    ct_fmt_ns(c0, x, sizeof(x)), a->snap[0].tag, ct_fmt_ns(c1, y, sizeof(y)), a->snap[1].tag, ch);
	if (c->dwall > 0)
		say(ev, "extra CPU per unit (%s) is %.0f%% of the extra wall time per unit (%s)",
		    ct_fmt_ns(c1 - c0, x, sizeof(x)), 100 * share, ct_fmt_ns(c->dwall, z, sizeof(z)));
	if (!a->snap[0].profile[0] || !a->snap[1].profile[0])
		say(ev, "no profile at %s: hotspots are not compared, only contrace's on-CPU time",
		    !a->snap[0].profile[0] ? a->snap[0].tag : a->snap[1].tag);
}


/* Who caused A's run-queue delay in the t1 span. */
static void cpu_culprits(json_t *ev, const struct cmp *c, const char *victim)
{
	const json_t *cul = json_object_get(c->a1, "culprits");
	double total = (double)ct_json_u64(json_object_get(c->a1, "runq"), "ns");
	const char *name;
	json_t *v;
	char x[32];

	json_object_foreach((json_t *)cul, name, v) {
		double ns = (double)ct_json_u64(v, "runq_ns");

		if (total > 0 && ns / total >= 0.05)
			say(ev, "%s ran while %s waited for a CPU: %s, %.0f%% of %s's run-queue delay "
				"at t1%s", name, victim, ct_fmt_ns(ns, x, sizeof(x)), 100 * ns / total,
			    victim, !strcmp(name, victim) ? " (its own other threads)" : "");
	}
}

/* The entry of @span's endpoints named @name on @side's side, NULL when absent. */
static const json_t *span_ep(const json_t *span, const char *name, const char *side)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(span, "net"), "endpoints"), i, e) {
		const char *n = json_string_value(json_object_get(e, "endpoint"));
		const char *s = json_string_value(json_object_get(e, "side"));

		if (n && s && !strcmp(n, name) && !strcmp(s, side))
			return e;
	}
	return NULL;
}

static double ep_pu(const json_t *e, const char *key)
{
	return e ? ct_json_num(json_object_get(e, "per_unit"), key, NAN) : 0;
}

/*
 * What the endpoints prove: the one A's wait per unit rose most on, its wait per request
 * alone and with B, whether B waited on the very same endpoint, TCP's view of the path, and
 * the job that serves it. Returns the serving job's name (NULL: none seen).
 */
static const char *endpoint_evidence(struct report *r, json_t *ev, const struct cmp *c,
				     const char *a, const char *b)
{
	const json_t *best = NULL, *e, *e0, *bep;
	double best_d = -INFINITY;
	const char *name, *server = NULL;
	char x[32], y[32];
	size_t i;

	json_array_foreach(json_object_get(json_object_get(c->a1, "net"), "endpoints"), i, e) {
		const char *side = json_string_value(json_object_get(e, "side"));
		double d;

		name = json_string_value(json_object_get(e, "endpoint"));
		if (!name || !side || strcmp(side, "remote") || !strcmp(name, "others") ||
		    !ct_json_u64(e, "count"))
			continue;
		d = ep_pu(e, "ns") - ep_pu(span_ep(c->a0, name, "remote"), "ns");
		if (isfinite(d) && d > best_d) {
			best_d = d;
			best = e;
		}
	}
	if (!best) {
		say(ev, "%s waited on no socket endpoint at t1", a);
		return NULL;
	}
	name = json_string_value(json_object_get(best, "endpoint"));
	e0 = span_ep(c->a0, name, "remote");
	json_object_set_new(r->facts, "endpoint", json_string(name));
	if (e0 && ct_json_u64(e0, "count"))
		say(ev, "per request, %s waited %s on %s alone (t0: %.2f waits per unit) and %s "
			"with %s (t1: %.2f waits per unit)", a,
		    ct_fmt_ns(ct_ep_request_ns(e0), x, sizeof(x)), name, ep_pu(e0, "waits"),
		    ct_fmt_ns(ct_ep_request_ns(best), y, sizeof(y)), b ?: "B", ep_pu(best, "waits"));
	else
		say(ev, "%s waited on %s only at t1: %s per request, %.2f waits per unit", a, name,
		    ct_fmt_ns(ct_ep_request_ns(best), y, sizeof(y)), ep_pu(best, "waits"));
	if (ct_json_u64(e0, "retrans") || ct_json_u64(best, "retrans"))
		say(ev, "TCP retransmits to %s: %llu at t0, %llu at t1", name,
		    (unsigned long long)ct_json_u64(e0, "retrans"),
		    (unsigned long long)ct_json_u64(best, "retrans"));
	if (json_is_number(json_object_get(best, "srtt_us")))
		say(ev, "network round trip (TCP's smoothed RTT) to %s: %.0f us at t0, %.0f us at t1",
		    name,
		    ct_json_num(e0, "srtt_us", NAN), ct_json_num(best, "srtt_us", NAN));
	bep = c->b1 ? span_ep(c->b1, name, "remote") : NULL;
	if (b && bep && ct_json_u64(bep, "count")) {
		say(ev, "%s waited on the same endpoint %s at t1: %llu waits, %s per request: "
			"%s and %s share %s", b, name, (unsigned long long)ct_json_u64(bep, "count"),
		    ct_fmt_ns(ct_ep_request_ns(bep), x, sizeof(x)), a, b, name);
		json_object_set_new(r->facts, "shared_endpoint", json_string(name));
	} else if (b) {
		say(ev, "%s did not wait on %s", b, name);
	}
	for (int k = 0; k < r->njobs; k++) {
		if (r->jobs[k].served && json_object_get(r->jobs[k].served, name)) {
			server = r->jobs[k].name;
			say(ev, "job %s serves %s (the local side of its connections)%s", server,
			    name, json_object_get(r->facts, "shared_endpoint") ?
				  ": it is the shared server" : "");
			json_object_set_new(r->facts, "server", json_string(server));
			break;
		}
	}
	return server;
}

static void disk_evidence(json_t *ev, const struct cmp *c, const char *a, const char *b)
{
	const json_t *d;
	char x[32], y[32];
	size_t i;

	json_array_foreach(json_object_get(c->a1, "disk"), i, d) {
		const char *dev = json_string_value(json_object_get(d, "device"));
		const char *op = json_string_value(json_object_get(d, "op"));
		const json_t *d0 = NULL, *bd = NULL, *o;
		size_t k;

		if (!dev || !op || !ct_json_u64(d, "count"))
			continue;
		json_array_foreach(json_object_get(c->a0, "disk"), k, o)
			if (json_equal(json_object_get(o, "device"), json_object_get(d, "device")) &&
			    json_equal(json_object_get(o, "op"), json_object_get(d, "op")))
				d0 = o;
		json_array_foreach(c->b1 ? json_object_get(c->b1, "disk") : NULL, k, o)
			if (json_equal(json_object_get(o, "device"), json_object_get(d, "device")))
				bd = o;
		say(ev, "%s's %s %ss: device time p99 %s at t0, %s at t1%s", a, dev, op,
		    ct_fmt_ns(d0 ? ct_json_num(json_object_get(d0, "device_time"), "p99_ns", NAN) :
				   NAN, x, sizeof(x)),
		    ct_fmt_ns(ct_json_num(json_object_get(d, "device_time"), "p99_ns", NAN), y,
			      sizeof(y)),
		    bd && b ? "; B used the same device at t1" : "");
	}
}

static void memory_evidence(json_t *ev, const struct cmp *c, const char *a)
{
	say(ev, "%s's major faults per unit: %.2f at t0, %.2f at t1; pages swapped out per "
		"unit: %.2f at t0, %.2f at t1", a, per_unit(c->a0, "majflt"),
	    per_unit(c->a1, "majflt"), per_unit(c->a0, "swapout"), per_unit(c->a1, "swapout"));
	if (isfinite(kernel_us_per_unit(c->a1, "memory.pressure", "some_total_us")))
		say(ev, "the kernel's memory pressure of %s's cgroup per unit: %.0f us at t0, "
			"%.0f us at t1", a,
		    kernel_us_per_unit(c->a0, "memory.pressure", "some_total_us"),
		    kernel_us_per_unit(c->a1, "memory.pressure", "some_total_us"));
}

/*
 * Jobs without snapshots that ran in both spans are candidate shared servers: one that got
 * busier, or whose threads queued on a lock more, when B joined is named as the likely cause.
 */
static void servers(struct report *r, json_t *ev, const struct cmp *c, const char *server)
{
	uint64_t f0 = ct_json_u64(c->a0, "from_ns"), t0 = ct_json_u64(c->a0, "to_ns");
	uint64_t f1 = ct_json_u64(c->a1, "from_ns"), t1 = ct_json_u64(c->a1, "to_ns");

	for (int i = 0; i < r->njobs; i++) {
		struct rjob *j = &r->jobs[i];
		double cpu[2] = { 0 }, lock[2] = { 0 }, n[2] = { 0 };

		/* With the server proven by its endpoint, only that job is described. */
		if (j->nsnap || i == r->a || i == r->b || (server && strcmp(server, j->name)))
			continue;
		for (size_t k = 0; k < j->s.n; k++) {
			uint64_t end = r->t0_ns + (uint64_t)(j->s.t[k] * 1e9);
			int w = end > f0 && end <= t0 ? 0 : end > f1 && end <= t1 ? 1 : -1;

			if (w < 0 || !isfinite(j->s.cpus[k]))
				continue;
			cpu[w] += j->s.cpus[k];
			lock[w] += isfinite(j->s.lock_ms_s[k]) ? j->s.lock_ms_s[k] : 0;
			n[w]++;
		}
		if (!n[0] || !n[1] || !(cpu[0] + cpu[1] > 0))
			continue;
		for (int w = 0; w < 2; w++) {
			cpu[w] /= n[w];
			lock[w] /= n[w];
		}
		{
			bool busier = rpt_pct(cpu[0], cpu[1]) >= DEGRADED_PCT;
			bool queued = lock[1] - lock[0] >= 1 && !(rpt_pct(lock[0], lock[1]) <
								    DEGRADED_PCT);

			say(ev, "job %s (not snapshotted: a server?) kept %.2f CPUs busy at t0 and "
				"%.2f at t1 (%+.0f%%); its threads waited on locks %.0f ms per second "
				"at t0, %.0f at t1%s%s%s%s",
			    j->name, cpu[0], cpu[1], rpt_pct(cpu[0], cpu[1]), lock[0], lock[1],
			    busier || queued ? ": while B ran it " : "", busier ? "worked more" : "",
			    busier && queued ? " and " : "",
			    queued ? "queued requests on a lock" : "");
			if ((busier || queued) && !server)
				say(ev, "%s is the likely shared server (from its behaviour; no "
					"endpoint shows it serving A)", j->name);
		}
		if (!server)
			json_object_set_new(r->facts, "server", json_string(j->name));
	}
}

/* ---- the chain: from Job A's wait into the job that serves the endpoint ---- */

/* A job's figures over (from, to] of the recording, and every job's waits on an endpoint. */
struct chain_scan {
	struct ct_span sp;
	uint64_t from, to;
	const char *ep;
	uint64_t requests;	/* requests of every job on ep as a remote endpoint */
};

static int chain_window(const json_t *win, void *arg)
{
	struct chain_scan *cs = arg;
	uint64_t end = ct_json_u64(win, "end_ns");
	const json_t *j, *e;
	size_t i, k;

	if (end <= cs->from || end > cs->to)
		return 0;
	span__add_window(&cs->sp, win);
	json_array_foreach(json_object_get(win, "jobs"), i, j)
		json_array_foreach(json_object_get(json_object_get(j, "net"), "endpoints"), k, e)
			if (!strcmp(json_string_value(json_object_get(e, "endpoint")) ?: "", cs->ep) &&
			    !strcmp(json_string_value(json_object_get(e, "side")) ?: "", "remote"))
				cs->requests += ct_ep_requests(e);
	return 0;
}

/* What one request costs the server, by resource; NAN when it served none. */
struct chain_side {
	json_t *span;
	double requests, secs;
	double pr[4];		/* per request: run-queue, disk, lock, reclaim (ns) */
};

#define CHAIN_LOCK 2	/* index of lock waits below */
static const char *const chain_res[4] = { "CPU (run-queue delay)", "disk", "locks", "memory reclaim" };
static const char *const chain_waits[4] = { "wait %.1fx longer for CPU", "wait %.1fx longer on disk",
					    "wait %.1fx longer on locks",
					    "stall %.1fx longer in memory reclaim" };

static bool chain_side(struct report *r, const char *server, const char *ep, const json_t *aspan,
		       struct chain_side *out)
{
	struct chain_scan cs = { .from = ct_json_u64(aspan, "from_ns"),
				 .to = ct_json_u64(aspan, "to_ns"), .ep = ep };
	struct span_scan st = { 0 };
	const json_t *off;

	/* A's span runs from its first window's start: the windows that end after it */
	span__init(&cs.sp, server);
	if (span__scan_path(r->windows, chain_window, &cs, &st) || !cs.sp.nwin) {
		json_decref(st.session);
		span__free(&cs.sp);
		return false;
	}
	json_decref(st.session);
	out->span = span__to_json(&cs.sp);
	span__free(&cs.sp);
	out->requests = (double)cs.requests;
	out->secs = ct_json_num(out->span, "dur_s", 0);
	off = json_object_get(out->span, "offcpu");
	{
		double v[4] = {
			(double)ct_json_u64(json_object_get(out->span, "runq"), "ns"),
			(double)(ct_json_u64(json_object_get(off, "disk"), "ns") +
				 ct_json_u64(json_object_get(off, "uninterruptible"), "ns")),
			(double)ct_json_u64(json_object_get(off, "lock"), "ns"),
			(double)ct_json_u64(json_object_get(out->span, "memory"), "reclaim_ns"),
		};

		for (int k = 0; k < 4; k++)
			out->pr[k] = cs.requests ? v[k] / (double)cs.requests : NAN;
	}
	return true;
}

struct culprit {
	const char *name;
	double ns;
};

/* Most run-queue delay first. */
static int culprit_cmp(const void *a, const void *b)
{
	double x = ((const struct culprit *)a)->ns, y = ((const struct culprit *)b)->ns;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Job A's wait rose on endpoint @ep, which job @server serves on this node: what a request
 * costs @server at t0 and at t1 (its own run-queue delay, disk, lock and reclaim, divided by
 * the requests every job made on @ep), which of them rose most, and who held the CPU while
 * @server waited for one. Says the chain in one line for the summary.
 */
static void chain_evidence(struct report *r, json_t *ev, const struct cmp *c, const char *a,
			   const char *server, const char *ep)
{
	struct chain_side s0 = { 0 }, s1 = { 0 };
	int top = -1;
	double top_ratio = 0;
	char x[32], y[32], q[160] = "";
	struct ct_buf who = { 0 };
	bool queued;

	if (!chain_side(r, server, ep, c->a0, &s0) || !chain_side(r, server, ep, c->a1, &s1) ||
	    !(s0.requests > 0) || !(s1.requests > 0))
		goto out;
	say(ev, "inside %s, per request on %s (every client's requests on it: %.0f at t0, %.0f at t1, "
		"%.1f and %.1f a second): run-queue delay %s and %s, disk %s and %s, locks %s and "
		"%s, memory reclaim %s and %s", server, ep, s0.requests, s1.requests,
	    s0.secs > 0 ? s0.requests / s0.secs : NAN, s1.secs > 0 ? s1.requests / s1.secs : NAN,
	    ct_fmt_ns(s0.pr[0], x, sizeof(x)), ct_fmt_ns(s1.pr[0], y, sizeof(y)),
	    ct_fmt_ns(s0.pr[1], (char[32]){ 0 }, 32), ct_fmt_ns(s1.pr[1], (char[32]){ 0 }, 32),
	    ct_fmt_ns(s0.pr[2], (char[32]){ 0 }, 32), ct_fmt_ns(s1.pr[2], (char[32]){ 0 }, 32),
	    ct_fmt_ns(s0.pr[3], (char[32]){ 0 }, 32), ct_fmt_ns(s1.pr[3], (char[32]){ 0 }, 32));
	/*
	 * The resource whose wait per request grew most, if it grew by the report's own bar.
	 * Lock waits are apart: in a server they are mostly requests queued behind the one being
	 * served, whose own slowness is what the other resources say.
	 */
	for (int k = 0; k < 4; k++) {
		double d = s1.pr[k] - s0.pr[k], ratio = s0.pr[k] > 0 ? s1.pr[k] / s0.pr[k] : INFINITY;

		if (k == CHAIN_LOCK || !isfinite(d) || d <= 0 ||
		    rpt_pct(s0.pr[k], s1.pr[k]) < DEGRADED_PCT)
			continue;
		if (top < 0 || d > s1.pr[top] - s0.pr[top]) {
			top = k;
			top_ratio = ratio;
		}
	}
	queued = s1.pr[CHAIN_LOCK] > s0.pr[CHAIN_LOCK] &&
		 rpt_pct(s0.pr[CHAIN_LOCK], s1.pr[CHAIN_LOCK]) >= DEGRADED_PCT;
	if (queued)
		snprintf(q, sizeof(q), "queue for each other on a lock (%s per request at t0, %s at "
			 "t1)%s", ct_fmt_ns(s0.pr[CHAIN_LOCK], x, sizeof(x)),
			 ct_fmt_ns(s1.pr[CHAIN_LOCK], y, sizeof(y)), top >= 0 ? " and " : "");
	if (top == 0) {
		const json_t *cul = json_object_get(s1.span, "culprits"), *v;
		double total = (double)ct_json_u64(json_object_get(s1.span, "runq"), "ns");
		struct culprit cs[RPT_MAX_JOBS];
		const char *name;
		int n = 0;

		json_object_foreach((json_t *)cul, name, v)
			if (n < RPT_MAX_JOBS && total > 0 &&
			    (double)ct_json_u64(v, "runq_ns") / total >= 0.05)
				cs[n++] = (struct culprit){ name, (double)ct_json_u64(v, "runq_ns") };
		qsort(cs, (size_t)n, sizeof(cs[0]), culprit_cmp);
		for (int i = 0; i < n; i++) {
			bool self = !strcmp(cs[i].name, server), idle = !strcmp(cs[i].name, "idle");

			say(ev, "%s ran while %s waited for a CPU at t1: %.0f%% of %s's run-queue "
				"delay%s", cs[i].name, server, 100 * cs[i].ns / total, server,
			    self ? " (its own other threads)" :
			    idle ? " (a CPU waking from idle: wakeup latency)" : "");
			ct_buf_printf(&who, "%s%s%s (%.0f%% of that wait)", i ? ", " : "",
				      self ? "its own other threads" :
				      idle ? "CPUs waking from idle" : cs[i].name,
				      self || idle ? "" : "'s work", 100 * cs[i].ns / total);
		}
	}
	if (top >= 0) {
		char what[64];

		snprintf(what, sizeof(what), chain_waits[top], top_ratio);
		say(ev, "the chain: %s waits on %s (%s); %s's requests %s%s (%s per request at t0, "
			"%s at t1)%s%.*s", a, server, ep, server, q, isfinite(top_ratio) ? what :
			"now wait", ct_fmt_ns(s0.pr[top], x, sizeof(x)),
		    ct_fmt_ns(s1.pr[top], y, sizeof(y)), who.len ? ", behind " : "",
		    (int)who.len, who.p ?: "");
		json_object_set_new(r->facts, "chain",
				    json_pack("{ss ss ss sf sb}", "server", server, "resource",
					      chain_res[top], "endpoint", ep, "ratio",
					      isfinite(top_ratio) ? top_ratio : -1, "queued", queued));
	} else {
		double more = s0.secs > 0 && s1.secs > 0 ?
				      (s1.requests / s1.secs) / (s0.requests / s0.secs) : NAN;

		if (queued)
			say(ev, "the chain: %s waits on %s (%s); %s's requests queue for each other on "
				"a lock (%s per request at t0, %s at t1) and spend no longer on any "
				"resource: its requests take turns, as in a server that serves one at a "
				"time",
			    a, server, ep, server, ct_fmt_ns(s0.pr[CHAIN_LOCK], x, sizeof(x)),
			    ct_fmt_ns(s1.pr[CHAIN_LOCK], y, sizeof(y)));
		else
			say(ev, "the chain: %s waits on %s (%s); %s's own waits per request did not "
				"rise, and it served %.1fx as many requests a second at t1%s", a, server,
			    ep, server, more, more < 1 + STEADY_PCT / 100 ?
				  ": it was at its capacity, and requests queued for it" :
				  ": its clients' requests waited for each other, not for a resource "
				  "contrace sees in it");
		if (queued)
			json_object_set_new(r->facts, "chain",
					    json_pack("{ss ss ss sb}", "server", server, "resource",
						      "queue", "endpoint", ep, "queued", true));
	}
out:
	ct_buf_free(&who);
	json_decref(s0.span);
	json_decref(s1.span);
}

/* An endpoint no job on this node serves: a remote server, or one in no job. */
static void remote_evidence(json_t *ev, const struct cmp *c, const char *a, const char *ep)
{
	const json_t *e0 = span_ep(c->a0, ep, "remote"), *e1 = span_ep(c->a1, ep, "remote");
	bool loop = !strncmp(ep, "127.", 4) || !strncmp(ep, "[::1]", 5) || !strncmp(ep, "unix:", 5);

	if (loop) {
		say(ev, "no job serves %s: its server runs on this node outside every job (record "
			"it as a job to follow the chain into it)", ep);
		return;
	}
	say(ev, "no job on this node serves %s: %s's longer wait is inside that server or on the "
		"network. The network's share shows in TCP's smoothed RTT and retransmits (%.0f us "
		"and %llu at t0, %.0f us and %llu at t1): a wait that rose while they stayed flat is "
		"the server's", ep, a, ct_json_num(e0, "srtt_us", NAN),
	    (unsigned long long)ct_json_u64(e0, "retrans"), ct_json_num(e1, "srtt_us", NAN),
	    (unsigned long long)ct_json_u64(e1, "retrans"));
}

static double pu_runq(const json_t *s)
{
	return per_unit(s, "runq_ns");
}

static double pu_disk(const json_t *s)
{
	return per_unit_off(s, "disk") + per_unit_off(s, "uninterruptible");
}

static double pu_reclaim(const json_t *s)
{
	return per_unit(s, "reclaim_ns");
}

static double pu_socket(const json_t *s)
{
	return per_unit(s, "socket_wait_ns");
}

static void ev_cpu(struct report *r, json_t *ev, const struct cmp *c, const char *a, const char *b)
{
	(void)r;
	(void)b;
	cpu_culprits(ev, c, a);
}

static void ev_disk(struct report *r, json_t *ev, const struct cmp *c, const char *a,
		    const char *b)
{
	(void)r;
	disk_evidence(ev, c, a, b);
}

static void ev_memory(struct report *r, json_t *ev, const struct cmp *c, const char *a,
		      const char *b)
{
	(void)r;
	(void)b;
	memory_evidence(ev, c, a);
}

static void ev_net(struct report *r, json_t *ev, const struct cmp *c, const char *a, const char *b)
{
	const char *server = endpoint_evidence(r, ev, c, a, b);
	const char *ep = json_string_value(json_object_get(r->facts, "endpoint"));

	if (server && ep)
		chain_evidence(r, ev, c, a, server, ep);
	else if (ep)
		remote_evidence(ev, c, a, ep);
	servers(r, ev, c, server);
}

/* The four resource questions: what each measures per unit of work, and its evidence. */
static const struct resource {
	const char *name, *question;
	double (*per_unit)(const json_t *span);	/* ns per unit */
	void (*evidence)(struct report *r, json_t *ev, const struct cmp *c, const char *a,
			 const char *b);
} resources[] = {
	{ "CPU (run-queue delay)", "Is there CPU contention caused by the concurrency?", pu_runq,
	  ev_cpu },
	{ "disk I/O", "Is there I/O contention caused by the concurrency?", pu_disk, ev_disk },
	{ "memory (reclaim stalls)", "Is there memory or swap contention caused by the concurrency?",
	  pu_reclaim, ev_memory },
	{ "network or a shared server (socket wait)",
	  "Is there network or shared-server contention caused by the concurrency?", pu_socket,
	  ev_net },
};
#define N_RESOURCES (sizeof(resources) / sizeof(resources[0]))

/*
 * Waits no resource question can place: poll/select/epoll ended by no socket (a timeout, an
 * eventfd, a pipe), and blocks of no known kind. Order: the one named first when both grew.
 */
static const struct {
	const char *reason, *what;
} unplaced[] = {
	{ "poll", "poll/select/epoll wait ended by no socket (a timeout, an eventfd or a pipe)" },
	{ "other", "off-CPU wait of no known kind" },
};
#define N_UNPLACED (sizeof(unplaced) / sizeof(unplaced[0]))

/*
 * The unplaced wait whose rise per unit is largest, if that rise exceeds @explained (the
 * largest rise a resource question explains, at least 0): its index, the rise in *rise.
 */
static int unplaced_rise(const struct cmp *c, double explained, double *rise)
{
	int best = -1;

	for (unsigned k = 0; k < N_UNPLACED; k++) {
		double d = per_unit_off(c->a1, unplaced[k].reason) -
			   per_unit_off(c->a0, unplaced[k].reason);

		if (isfinite(d) && d > (explained > 0 ? explained : 0) &&
		    (best < 0 || d > *rise)) {
			best = (int)k;
			*rise = d;
		}
	}
	return best;
}

/* How much all unplaced waits together rose per unit (0 when they fell). */
static double unplaced_total(const struct cmp *c)
{
	double t = 0;

	for (unsigned k = 0; k < N_UNPLACED; k++) {
		double d = per_unit_off(c->a1, unplaced[k].reason) -
			   per_unit_off(c->a0, unplaced[k].reason);

		t += isfinite(d) ? d : 0;
	}
	return t > 0 ? t : 0;
}

static void judge_resources(struct report *r, const struct cmp *c)
{
	struct rjob *a = &r->jobs[r->a], *b = r->b >= 0 ? &r->jobs[r->b] : NULL;
	double v0[N_RESOURCES], v1[N_RESOURCES], un_rise = 0;
	int main_res = -1, un;
	char x[32], y[32], z[32];

	for (unsigned k = 0; k < N_RESOURCES; k++) {
		double d;

		v0[k] = resources[k].per_unit(c->a0);
		v1[k] = resources[k].per_unit(c->a1);
		d = v1[k] - v0[k];
		if (isfinite(d) && (main_res < 0 || d > v1[main_res] - v0[main_res]))
			main_res = (int)k;
	}
	/* a wait no question can place that grew more than any explained one: no firm "no" */
	un = unplaced_rise(c, main_res >= 0 ? v1[main_res] - v0[main_res] : 0, &un_rise);
	if (un >= 0)
		json_object_set_new(r->facts, "unplaced", json_string(unplaced[un].reason));
	for (unsigned k = 0; k < N_RESOURCES; k++) {
		const struct resource *res = &resources[k];
		double d = v1[k] - v0[k], share = c->dwall > 0 ? d / c->dwall : NAN;
		double ch = rpt_pct(v0[k], v1[k]);
		bool rose = isfinite(d) && d > 0 && (ch >= DEGRADED_PCT || !(v0[k] > 0)) &&
			    share >= SHARE_MIN;
		const char *ans = !isfinite(d) ? "not enough data" : rose ? "yes" : "no";
		const char *conf = !isfinite(d) ? "none" : confidence(c->u0, c->u1, c->w0, c->w1);
		json_t *ev;

		if (!rose && isfinite(d) && un >= 0)
			conf = "low";
		/* a "yes" whose rise is matched by waits no question can place: less sure */
		if (rose && unplaced_total(c) >= 0.5 * d)
			conf = !strcmp(conf, "high") ? "medium" : "low";
		ev = verdict(r, res->question, ans, conf);

		json_object_set_new(json_array_get(r->verdicts, json_array_size(r->verdicts) - 1),
				    "main_cause", json_boolean(rose && (int)k == main_res));
		if (rose && (int)k == main_res)
			json_object_set_new(r->facts, "cause", json_string(res->name));
		if (!isfinite(d)) {
			say(ev, "%s is not measured for %s in both spans", res->name, a->name);
			continue;
		}
		{
			char chs[32] = "from zero", tail[160] = "";

			if (isfinite(ch))
				snprintf(chs, sizeof(chs), "%+.0f%%", ch);
			if (c->dwall > 0)
				snprintf(tail, sizeof(tail), ": %s of the %s rise in wall time per unit "
					 "(%.0f%%%s)", ct_fmt_ns(d, z, sizeof(z)),
					 ct_fmt_ns(c->dwall, (char[32]){ 0 }, 32), 100 * share,
					 share > 1 ? ": more than all of it, as several of its threads "
						     "waited at once" : "");
			say(ev, "%s per unit for %s (thread time: its threads' waits summed): %s at "
				"t0, %s at t1 (%s)%s", res->name, a->name,
			    ct_fmt_ns(v0[k], x, sizeof(x)), ct_fmt_ns(v1[k], y, sizeof(y)),
			    d == 0 ? "unchanged" : chs, tail);
		}
		if (rose && (int)k == main_res)
			say(ev, "this is the largest cause of %s's slowdown", a->name);
		if (!rose && un >= 0)
			say(ev, "confidence is low: %s per unit rose by %s, more than any resource "
				"explains, and contrace cannot tell which resource it waited for",
			    unplaced[un].what, ct_fmt_ns(un_rise, z, sizeof(z)));
		if (rose && unplaced_total(c) >= 0.5 * d)
			say(ev, "confidence lowered: waits contrace cannot place (poll ended by no "
				"socket, blocks of no known kind) rose by %s per unit, comparable to "
				"this rise", ct_fmt_ns(unplaced_total(c), z, sizeof(z)));
		res->evidence(r, ev, c, a->name, b ? b->name : NULL);
	}
}

/* ---- capacity: does running the jobs in parallel pay? ---- */

static const char Q_CAPACITY[] = "Does running the jobs in parallel pay?";

/*
 * Work done per second at Job A's snapshot @k: the sum over every job snapshotted with the same
 * tag of its units per second of covered time (the inverse of its wall time per unit). Jobs
 * counted in *n, their names in @names; remaining units (total less done, where the jobs
 * print both) in *left (NAN when any job does not).
 */
static double moment_throughput(struct report *r, int k, int *n, struct ct_buf *names,
				double *left)
{
	const char *tag = r->jobs[r->a].snap[k].tag;
	double thr = 0;

	*n = 0;
	*left = 0;
	for (int i = 0; i < r->njobs; i++) {
		const struct rjob *j = &r->jobs[i];

		for (int q = 0; q < j->nsnap; q++) {
			const json_t *m = json_object_get(j->snap[q].c, "snapshot_meta");
			double w = per_unit(j->snap[q].span, "wall_ns");
			double tot = ct_json_num(m, "total_assets", NAN);
			double done = ct_json_num(m, "processed_count_at_snapshot", NAN);

			if (strcmp(j->snap[q].tag, tag) || !(w > 0) || units(j->snap[q].span) < UNITS_MIN)
				continue;
			thr += 1e9 / w;
			ct_buf_printf(names, "%s%s", (*n)++ ? ", " : "", j->name);
			*left += isfinite(tot) && isfinite(done) && tot >= done ? tot - done : NAN;
		}
	}
	return *n ? thr : NAN;
}

static const char *times_word(int n)
{
	static const char *const w[] = { "no", "one", "two", "three", "four", "five", "six" };

	return n >= 0 && n < 7 ? w[n] : "several";
}

/*
 * Combined throughput of the jobs with progress lines, alone (t0: Job A) against together
 * (each later snapshot of A: the jobs snapshotted with its tag), and A's time per unit.
 */
static void judge_capacity(struct report *r, const struct cmp *c)
{
	struct rjob *a = &r->jobs[r->a];
	double thr[RPT_MAX_SNAPS], left[RPT_MAX_SNAPS], gain, slower = c->wall1 / c->wall0;
	int n[RPT_MAX_SNAPS], best = 0;
	struct ct_buf names[RPT_MAX_SNAPS] = { 0 };
	json_t *ev, *curve = json_array();
	const char *ans, *conf;
	char x[32], y[32];

	for (int k = 0; k < a->nsnap; k++)
		thr[k] = moment_throughput(r, k, &n[k], &names[k], &left[k]);
	if (!isfinite(thr[0]) || !isfinite(thr[1]) || n[0] != 1 || n[1] < 2) {
		say(verdict(r, Q_CAPACITY, "not enough data", "none"),
		    "needs Job A alone at %s and at least two jobs with progress lines at %s (%d and "
		    "%d had %d units or more)", a->snap[0].tag, a->snap[1].tag, n[0], n[1], UNITS_MIN);
		goto out;
	}
	gain = thr[1] / thr[0];
	ans = gain >= 1 + STEADY_PCT / 100 ? "yes" :
	      gain <= 1 - STEADY_PCT / 100 ? "no: together they do less work" : "no: no more work done";
	conf = confidence(c->u0, c->u1, c->w0, c->w1);
	ev = verdict(r, Q_CAPACITY, ans, conf);
	say(ev, "%s jobs together do %.2fx the work of one; each unit of %s takes %.2fx as long%s",
	    times_word(n[1]), gain, a->name, slower,
	    gain >= 1 + STEADY_PCT / 100 ? ": running them in parallel finishes sooner" :
	    gain <= 1 - STEADY_PCT / 100 ? ": running them one after another would finish sooner" :
					   ": one after another would finish about as soon");
	for (int k = 0; k < a->nsnap; k++) {
		if (!isfinite(thr[k]))
			continue;
		say(ev, "at %s, %d job%s (%.*s): %.1f units/s together, %.2fx one job alone", a->snap[k].tag,
		    n[k], n[k] > 1 ? "s" : "", (int)names[k].len, names[k].p ?: "", thr[k],
		    thr[k] / thr[0]);
		json_array_append_new(curve, json_pack("{ss si sf}", "tag", a->snap[k].tag, "jobs", n[k],
						       "units_per_s", thr[k]));
		if (thr[k] > thr[best] * (1 + STEADY_PCT / 100))
			best = k;
	}
	say(ev, "%s's wall time per unit: %s alone (%s), %s with %d job%s running (%s)", a->name,
	    ct_fmt_ns(c->wall0, x, sizeof(x)),
	    a->snap[0].tag, ct_fmt_ns(c->wall1, y, sizeof(y)), n[1], n[1] > 1 ? "s" : "",
	    a->snap[1].tag);
	if (a->nsnap > 2 && best < a->nsnap - 1)
		say(ev, "throughput stops rising at %d concurrent job%s (%s): more jobs than that add "
			"no work done by more than %.0f%%", n[best], n[best] > 1 ? "s" : "",
		    a->snap[best].tag, STEADY_PCT);
	else if (a->nsnap > 2)
		say(ev, "throughput still rose with the last job added: %d concurrent jobs (%s) did "
			"the most work; the point where it stops rising is beyond what was measured",
		    n[best], a->snap[best].tag);
	if (isfinite(left[1]) && left[1] > 0)
		say(ev, "the %.0f units the jobs had left at %s take %s at this rate together, %s one "
			"job after another at %s's rate alone (if the jobs' units cost alike)",
		    left[1], a->snap[1].tag, ct_fmt_ns(left[1] / thr[1] * 1e9, x, sizeof(x)),
		    ct_fmt_ns(left[1] / thr[0] * 1e9, y, sizeof(y)), a->name);
	json_object_set_new(r->facts, "capacity", json_pack("{sf so}", "gain", gain, "curve", curve));
	curve = NULL;
out:
	json_decref(curve);
	for (int k = 0; k < a->nsnap; k++)
		ct_buf_free(&names[k]);
}

void report__judge(struct report *r)
{
	struct cmp c;

	r->verdicts = json_array();
	r->facts = json_object();
	compare_setup(r, &c);
	if (!c.ok) {
		say(verdict(r, Q_ETA, "not enough data", "none"), "%s", c.why);
		say(verdict(r, Q_CAPACITY, "not enough data", "none"), "%s", c.why);
		say(verdict(r, Q_HOTSPOTS, "not enough data", "none"), "%s", c.why);
		for (unsigned k = 0; k < N_RESOURCES; k++)
			say(verdict(r, resources[k].question, "not enough data", "none"), "%s", c.why);
		return;
	}
	judge_eta(r, &c);
	judge_capacity(r, &c);
	judge_cpu(r, &c);
	judge_resources(r, &c);
}
