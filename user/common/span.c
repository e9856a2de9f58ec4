// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "safefile.h"
#include "schema.h"
#include "span.h"

json_t *ct_json_loadat(int dirfd, const char *name)
{
	struct stat st;
	json_error_t e;
	int fd = safe__open_input(dirfd, name, true, "file", &st);
	json_t *j;

	if (fd < 0)
		return NULL;
	j = json_loadfd(fd, 0, &e);
	if (!j)
		fprintf(stderr, "contrace: note: %s:%d: %s\n", name, e.line, e.text);
	close(fd);
	return j;
}

uint64_t ct_json_u64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) :
								 0;
}

double ct_json_num(const json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

uint64_t ct_ep_requests(const json_t *e)
{
	return ct_json_u64(e, json_object_get(e, "requests") ? "requests" : "count");
}

double ct_ep_request_ns(const json_t *e)
{
	return ct_json_num(e, json_object_get(e, "request_ns") ? "request_ns" : "mean_ns", NAN);
}

int span__scan(FILE *f, span_window_fn fn, void *arg, struct span_scan *st)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	while (!ret && (n = getline(&line, &cap, f)) > 0) {
		json_t *o = json_loadb(line, (size_t)n, JSON_DECODE_ANY, NULL);
		const char *type = json_string_value(json_object_get(o, "type"));

		st->lines++;
		if (type && json_integer_value(json_object_get(o, "v")) > CT_SCHEMA_VERSION &&
		    (!strcmp(type, "window") || !strcmp(type, "session"))) {
			/* its fields may mean other things now: no guessing */
			st->newer_v = (int)json_integer_value(json_object_get(o, "v"));
			st->newer_line = st->lines;
			ret = -EPROTONOSUPPORT;
		} else if (type && !strcmp(type, "window") &&
			   json_is_array(json_object_get(o, "jobs"))) {
			st->windows++;
			ret = fn ? fn(o, arg) : 0;
		} else if (type && !strcmp(type, "session")) {
			st->sessions++;
			json_decref(st->session);
			st->session = json_incref(o);
		} else if (n > 1 || line[0] != '\n') {
			if (!st->bad_lines++)
				st->first_bad_line = st->lines;
		}
		json_decref(o);
	}
	free(line);
	return ret;
}

int span__scan_path(const char *path, span_window_fn fn, void *arg, struct span_scan *st)
{
	struct stat sb;
	FILE *f = safe__fopen_input(AT_FDCWD, path, false, "recording", &sb);
	int ret;

	if (!f) {
		ret = -errno;
		memset(st, 0, sizeof(*st));
		return ret;
	}
	ret = span__scan(f, fn, arg, st);
	if (ret == -EPROTONOSUPPORT && st->newer_v)
		ct_err("%s:%d: written by a newer contrace (windows.jsonl v%d; this one reads v%d): "
		       "read it with that version", path, st->newer_line, st->newer_v,
		       CT_SCHEMA_VERSION);
	if (!ret && ferror(f)) {
		ret = -EIO;
		ct_err("cannot read %s: %s", path, strerror(EIO));
	}
	fclose(f);
	return ret;
}

void span__init(struct ct_span *s, const char *job)
{
	memset(s, 0, sizeof(*s));
	s->known = -1;
	s->unseen_units = -1;
	snprintf(s->job, sizeof(s->job), "%s", job);
	s->culprits = json_object();
	s->kernel = json_object();
	s->system = json_object();
}

void span__free(struct ct_span *s)
{
	json_decref(s->culprits);
	json_decref(s->kernel);
	json_decref(s->system);
	s->culprits = s->kernel = s->system = NULL;
	free(s->eps);
	free(s->disks);
	s->eps = NULL;
	s->disks = NULL;
	s->neps = s->ndisks = 0;
}

static const json_t *job_entry(const json_t *win, const char *job)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(win, "jobs"), i, j) {
		const char *name = json_string_value(json_object_get(j, "name"));

		if (name && !strcmp(name, job))
			return j;
	}
	return NULL;
}

/* dst[k][kk] += src[k][kk] for the integer leaves of a two-level object. */
static void sum2(json_t *dst, const json_t *src)
{
	const char *k, *kk;
	json_t *inner, *v;

	json_object_foreach((json_t *)src, k, inner) {
		json_t *d = json_object_get(dst, k);

		if (!json_is_object(inner))
			continue;
		if (!d) {
			d = json_object();
			json_object_set_new(dst, k, d);
		}
		json_object_foreach(inner, kk, v) {
			if (json_is_integer(v) && json_integer_value(v) >= 0)
				json_object_set_new(d, kk,
						    json_integer((json_int_t)(ct_json_u64(d, kk) +
									      ct_json_u64(inner, kk))));
		}
	}
}

static void add_culprits(json_t *dst, const json_t *arr)
{
	size_t i;
	json_t *c;

	json_array_foreach(arr, i, c) {
		const char *name = json_string_value(json_object_get(c, "job"));
		json_t *one;

		if (!name)
			continue;
		one = json_pack("{s{sOsOsO}}", name, "runq_ns", json_object_get(c, "runq_ns"),
				"count", json_object_get(c, "count"), "preempts",
				json_object_get(c, "preempts"));
		if (one)
			sum2(dst, one);
		json_decref(one);
	}
}

static bool read_progress(const json_t *job, struct ct_progress *p)
{
	const json_t *o = json_object_get(job, "progress");

	if (!json_is_object(o))
		return false;
	progress__from_json(o, p);
	return true;
}

/* A job entry without @field, or with it in another form: counted, the first one named. */
static void missed(struct ct_span *s, const char *field)
{
	if (!s->missing)
		s->missing = field;
	s->bad++;
}

/* A histogram absent is empty; one present but malformed is counted as bad. */
static void add_hist(struct ct_span *s, uint64_t *h, const json_t *sparse)
{
	if (sparse && histo__add_json(h, sparse))
		missed(s, "a histogram in its form (docs/windows.md)");
}

/* The summed entry for endpoint @name on @local's side, added if new; NULL when out of memory. */
static struct ct_span_ep *span_ep(struct ct_span *s, const char *name, bool local)
{
	struct ct_span_ep *e;

	for (int i = 0; i < s->neps; i++)
		if (s->eps[i].local == local && !strcmp(s->eps[i].name, name))
			return &s->eps[i];
	e = realloc(s->eps, (size_t)(s->neps + 1) * sizeof(*e));
	if (!e)
		return NULL;
	s->eps = e;
	e = &s->eps[s->neps++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->local = local;
	return e;
}

static void add_ep(struct ct_span *s, const json_t *o, const char *name, bool local)
{
	struct ct_span_ep *e;
	const json_t *srtt = json_object_get(o, "srtt_us");

	if (!json_is_object(o) || !(e = span_ep(s, name, local)))
		return;
	e->ns += ct_json_u64(o, "ns");
	e->count += ct_json_u64(o, "count");
	e->requests += ct_ep_requests(o);
	e->connects += ct_json_u64(o, "connects");
	e->connect_ns += ct_json_u64(o, "connect_ns");
	e->connect_fail += ct_json_u64(o, "connect_fail");
	e->retrans += ct_json_u64(o, "retrans");
	e->tx += ct_json_u64(o, "tx_bytes");
	e->rx += ct_json_u64(o, "rx_bytes");
	if (json_is_number(srtt) && json_number_value(srtt) > 0) {
		e->srtt_sum += json_number_value(srtt);
		e->srtt_n++;
	}
	add_hist(s, e->hist, json_object_get(o, "hist"));
}

static void add_net(struct ct_span *s, const json_t *net)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(net, "endpoints"), i, e) {
		const char *name = json_string_value(json_object_get(e, "endpoint"));
		const char *side = json_string_value(json_object_get(e, "side"));

		if (name)
			add_ep(s, e, name, side && !strcmp(side, "local"));
		else
			missed(s, "net.endpoints[].endpoint");
	}
	if (json_object_get(net, "rest"))
		add_ep(s, json_object_get(net, "rest"), "others", false);
}

static void add_disk(struct ct_span *s, const json_t *lines)
{
	const json_t *l;
	size_t i;

	json_array_foreach(lines, i, l) {
		const char *dev = json_string_value(json_object_get(l, "device"));
		const char *op = json_string_value(json_object_get(l, "op"));
		const json_t *q = json_object_get(l, "queue"), *d = json_object_get(l, "device_time");
		struct ct_span_disk *x = NULL;
		int k;

		if (!dev || !op) {
			missed(s, "disk[].device or disk[].op");
			continue;
		}
		for (k = 0; k < s->ndisks; k++)
			if (!strncmp(s->disks[k].device, dev, sizeof(x->device) - 1) &&
			    !strncmp(s->disks[k].op, op, sizeof(x->op) - 1))
				break;
		if (k == s->ndisks) {
			x = realloc(s->disks, (size_t)(s->ndisks + 1) * sizeof(*x));
			if (!x)
				return;
			s->disks = x;
			memset(&s->disks[k], 0, sizeof(*x));
			snprintf(s->disks[k].device, sizeof(x->device), "%s", dev);
			snprintf(s->disks[k].op, sizeof(x->op), "%s", op);
			s->ndisks++;
		}
		x = &s->disks[k];
		x->count += ct_json_u64(l, "count");
		x->bytes += ct_json_u64(l, "bytes");
		x->merged += ct_json_u64(l, "merged");
		x->no_start += ct_json_u64(l, "no_start");
		x->queue_ns += ct_json_u64(q, "ns");
		x->dev_ns += ct_json_u64(d, "ns");
		add_hist(s, x->qhist, json_object_get(q, "hist"));
		add_hist(s, x->dhist, json_object_get(d, "hist"));
	}
}

static void cov_add(struct ct_span_cov *to, const struct ct_span_cov *from)
{
	to->dur_s += from->dur_s;
	to->oncpu_ns += from->oncpu_ns;
	to->runq_ns += from->runq_ns;
	for (int r = 0; r < CT_OFF_NR; r++) {
		to->off_ns[r] += from->off_ns[r];
		to->off_cnt[r] += from->off_cnt[r];
	}
	to->reclaim_ns += from->reclaim_ns;
	to->majflt += from->majflt;
	to->swapout += from->swapout;
}

/* One window's figures of job entry @j, as per-unit figures divide them. */
static void cov_window(struct ct_span_cov *c, const json_t *win, const json_t *j)
{
	const json_t *off = json_object_get(j, "offcpu"), *mem = json_object_get(j, "memory");

	c->dur_s += ct_json_num(win, "dur_s", 0);
	c->oncpu_ns += ct_json_u64(json_object_get(j, "cpu"), "oncpu_ns");
	c->runq_ns += ct_json_u64(json_object_get(j, "runq"), "ns");
	for (int r = 0; r < CT_OFF_NR; r++) {
		c->off_ns[r] += ct_json_u64(json_object_get(off, ct_off_names[r]), "ns");
		c->off_cnt[r] += ct_json_u64(json_object_get(off, ct_off_names[r]), "count");
	}
	c->reclaim_ns += ct_json_u64(mem, "reclaim_ns");
	c->majflt += ct_json_u64(mem, "majflt");
	c->swapout += ct_json_u64(mem, "swapout");
}

/*
 * Follow what is known of the job's count of units through every window: before the span
 * (@wc NULL), or in it with @wc the window's figures. A window that does not start where the last one ended follows a
 * recording gap (a recorder stopped, killed or restarted): the count before it no longer says
 * what was done since. A job absent from a window has not started (count 0), and so has one in
 * a session's first window unless the recorder found it running (ran_before_recording).
 */
static void cover(struct ct_span *s, const json_t *win, const json_t *j,
		  const struct ct_span_cov *wc)
{
	bool in_span = wc != NULL;
	uint64_t start = ct_json_u64(win, "start_ns"), end = ct_json_u64(win, "end_ns");
	bool fresh = !s->have_last || start > s->last_end + 1000000 ||
		     start + 1000000 < s->last_end;
	struct ct_progress p;

	if (fresh) {
		if (s->have_last && in_span && s->nwin > 0) {
			if (s->ngaps < CT_SPAN_GAPS) {
				s->gap_from[s->ngaps] = s->last_end;
				s->gap_to[s->ngaps] = start;
			}
			s->ngaps++;
			s->gap_s += start > s->last_end ? (double)(start - s->last_end) / 1e9 : 0;
		}
		s->known = json_is_true(json_object_get(j, "ran_before_recording")) ? -1 : 0;
		memset(&s->pend, 0, sizeof(s->pend));
	}
	s->have_last = true;
	s->last_end = end;
	if (!j) {
		s->known = 0;
		memset(&s->pend, 0, sizeof(s->pend));
		return;
	}
	if (in_span)
		cov_add(&s->pend, wc);
	if (read_progress(j, &p) && p.done >= 0) {
		if (s->known >= 0 && p.done >= s->known && in_span) {
			cov_add(&s->cov, &s->pend);
			s->cov_units += p.done - s->known;
			s->cov_any = true;
		} else if (s->known < 0 && in_span && !s->ngaps && s->unseen_units < 0) {
			s->unseen_units = p.done;
		}
		s->known = p.done;
		memset(&s->pend, 0, sizeof(s->pend));
	}
}

void span__see_before(struct ct_span *s, const json_t *win)
{
	const json_t *j = job_entry(win, s->job);

	cover(s, win, j, NULL);
	if (!j)
		return;
	/* A job listed but idle (its cgroup made before it started) has not begun counting. */
	if (ct_json_u64(json_object_get(j, "cpu"), "oncpu_ns"))
		s->seen_before = true;
	if (read_progress(j, &s->prog_base))
		s->has_base = s->seen_before = true;
}

bool span__add_window(struct ct_span *s, const json_t *win)
{
	const json_t *j = job_entry(win, s->job), *cpu, *runq, *lost, *v;
	uint64_t start = ct_json_u64(win, "start_ns"), end = ct_json_u64(win, "end_ns");
	struct ct_span_cov wc = { 0 };
	struct ct_progress p;
	const char *miss;

	if (j)
		cov_window(&wc, win, j);
	cover(s, win, j, &wc);
	if (!j)
		return false;
	if (!s->nwin++ || start < s->from_ns)
		s->from_ns = start;
	if (end > s->to_ns)
		s->to_ns = end;
	s->dur_s += wc.dur_s;
	/* one missing is a recording of another version or a damaged one, never a zero */
	for (int n = schema__job_missing(j, &miss); n > 0; n--)
		missed(s, miss);
	cpu = json_object_get(j, "cpu");
	s->oncpu_ns += wc.oncpu_ns;
	s->stolen_ns += ct_json_u64(cpu, "stolen_ns");
	s->nvcsw += ct_json_u64(cpu, "nvcsw");
	s->nivcsw += ct_json_u64(cpu, "nivcsw");
	runq = json_object_get(j, "runq");
	s->runq_ns += wc.runq_ns;
	s->runq_cnt += ct_json_u64(runq, "count");
	if (ct_json_u64(runq, "max_ns") > s->runq_max_ns)
		s->runq_max_ns = ct_json_u64(runq, "max_ns");
	add_hist(s, s->runq_hist, json_object_get(runq, "hist"));
	add_hist(s, s->sock_hist, json_object_get(json_object_get(j, "socket_wait"), "hist"));
	for (int r = 0; r < CT_OFF_NR; r++) {
		s->off_ns[r] += wc.off_ns[r];
		s->off_cnt[r] += wc.off_cnt[r];
	}
	add_culprits(s->culprits, json_object_get(j, "culprits"));
	add_net(s, json_object_get(j, "net"));
	add_disk(s, json_object_get(j, "disk"));
	s->reclaim_ns += wc.reclaim_ns;
	s->reclaims += ct_json_u64(json_object_get(j, "memory"), "reclaims");
	s->majflt += wc.majflt;
	s->swapout += wc.swapout;
	if ((v = json_object_get(j, "unslotted"))) {
		s->unslotted_ns += ct_json_u64(v, "cpu_ns");
		if (ct_json_u64(v, "jobs") > s->unslotted_jobs)
			s->unslotted_jobs = ct_json_u64(v, "jobs");
	}
	sum2(s->kernel, json_object_get(j, "kernel"));
	sum2(s->system, json_object_get(win, "system"));
	lost = json_object_get(win, "lost");
	for (int k = 0; k < CT_LK_NR; k++)
		s->lost[k] += ct_json_u64(k < CT_LK_FIRST_JOB ? lost : json_object_get(j, "lost"),
					  ct_lost_keys[k]);
	if (json_is_true(json_object_get(j, "ended")))
		s->ended = true;
	if (read_progress(j, &p)) {
		if (!s->nprog++) {
			s->prog_first = p;
			s->prog_first_ns = end;
		}
		s->prog_last = p;
		s->prog_last_ns = end;
	}
	return true;
}

/* Start a new sentence of a note: "; " after the ones before. */
static void note_part(struct ct_buf *b)
{
	if (b->len)
		ct_buf_add(b, "; ", 2);
}

bool span__gap_note(const json_t *job, char *buf, size_t len)
{
	const json_t *lost = json_object_get(job, "lost"), *off = json_object_get(job, "offcpu"), *v;
	uint64_t rep = ct_json_u64(lost, ct_lost_keys[CT_LK_REPAIRED]);
	uint64_t rep_ns = ct_json_u64(lost, ct_lost_keys[CT_LK_REPAIRED_NS]);
	uint64_t un = ct_json_u64(lost, ct_lost_keys[CT_LK_UNSPLIT]);
	uint64_t un_ns = ct_json_u64(lost, ct_lost_keys[CT_LK_UNSPLIT_NS]);
	uint64_t thread = ct_json_u64(json_object_get(job, "cpu"), "oncpu_ns") +
			  ct_json_u64(json_object_get(job, "runq"), "ns");
	const json_t *uns = json_object_get(job, "unslotted"), *gaps = json_object_get(job, "gaps");
	int64_t before = json_integer_value(json_object_get(json_object_get(job, "progress"),
							    "before_recording"));
	struct ct_buf b = { 0 };
	const char *k;
	char d[16];
	bool any;

	json_object_foreach((json_t *)off, k, v)
		thread += ct_json_u64(v, "ns");
	if (ct_json_u64(gaps, "count")) {
		const json_t *g;
		size_t i;

		ct_buf_printf(&b, "%llu recording gap%s (%.1f s in all:",
			      (unsigned long long)ct_json_u64(gaps, "count"),
			      ct_json_u64(gaps, "count") > 1 ? "s" : "", ct_json_num(gaps, "s", 0));
		json_array_foreach(json_object_get(gaps, "list"), i, g)
			ct_buf_printf(&b, "%s %s .. %s", i ? "," : "",
				      json_string_value(json_object_get(g, "from")),
				      json_string_value(json_object_get(g, "to")));
		ct_buf_printf(&b, "): per-unit figures count only units and time recorded on both "
			      "sides of a count");
	}
	if (before > 0) {
		note_part(&b);
		ct_buf_printf(&b, "the job was running when recording began: the %lld units of its "
			      "first count are left out", (long long)before);
	}
	if (ct_json_u64(uns, "jobs")) {
		note_part(&b);
		ct_fmt_dur(ct_json_u64(uns, "cpu_ns"), d, sizeof(d));
		ct_buf_printf(&b, "%llu jobs under it had no job slot (raise --max-jobs): %s of its "
			      "CPU time is theirs", (unsigned long long)ct_json_u64(uns, "jobs"), d);
	}
	if (thread && rep_ns * 100 >= thread) {
		note_part(&b);
		ct_buf_printf(&b, "%llu intervals (%.0f%% of its thread time) had no traced switch-in: "
			      "their totals come from the kernel's per-task counters, who held the CPU "
			      "while they waited is estimated",
			      (unsigned long long)rep, 100.0 * (double)rep_ns / (double)thread);
	}
	if (thread && un) {
		note_part(&b);
		ct_fmt_dur(un_ns, d, sizeof(d));
		ct_buf_printf(&b, "%llu intervals (%s) spanned untraced switch-outs: their off-CPU "
			      "time has one reason for all", (unsigned long long)un, d);
	}
	any = b.len > 0;
	snprintf(buf, len, "%.*s", (int)b.len, any ? b.p : "");
	ct_buf_free(&b);
	return any;
}

int64_t span__units(const struct ct_span *s)
{
	return s->cov_any ? s->cov_units : -1;
}

static json_t *hist_json(const uint64_t *h, uint64_t max, uint64_t ns)
{
	uint64_t n = histo__count(h);
	json_t *o = json_pack("{sIsI}", "ns", (json_int_t)ns, "count", (json_int_t)n);

	if (max)
		json_object_set_new(o, "max_ns", json_integer((json_int_t)max));
	json_object_set_new(o, "p50_ns", n ? json_integer((json_int_t)histo__percentile(h, 50, max)) :
					     json_null());
	json_object_set_new(o, "p90_ns", n ? json_integer((json_int_t)histo__percentile(h, 90, max)) :
					     json_null());
	json_object_set_new(o, "p99_ns", n ? json_integer((json_int_t)histo__percentile(h, 99, max)) :
					     json_null());
	json_object_set_new(o, "hist", histo__to_json(h));
	return o;
}

/* Figures per unit of work, in ns (or counts): only when units are known and non-zero. */
static json_t *per_unit_json(const struct ct_span *s, int64_t units)
{
	double u = (double)units;
	json_t *o, *off;

	if (units <= 0)
		return json_null();
	const struct ct_span_cov *c = &s->cov;

	off = json_object();
	for (int r = 0; r < CT_OFF_NR; r++)
		json_object_set_new(off, ct_off_names[r], json_real((double)c->off_ns[r] / u));
	o = json_pack("{sfsfsfsfsfso}", "wall_ns", c->dur_s * 1e9 / u, "oncpu_ns",
		      (double)c->oncpu_ns / u, "runq_ns", (double)c->runq_ns / u, "socket_wait_ns",
		      (double)c->off_ns[CT_OFF_SOCKET] / u, "socket_waits",
		      (double)c->off_cnt[CT_OFF_SOCKET] / u, "offcpu_ns", off);
	json_object_set_new(o, "reclaim_ns", json_real((double)c->reclaim_ns / u));
	json_object_set_new(o, "majflt", json_real((double)c->majflt / u));
	json_object_set_new(o, "swapout", json_real((double)c->swapout / u));
	json_object_set_new(o, "covered_s", json_real(c->dur_s));
	return o;
}

static int cmp_ep_ns(const void *a, const void *b)
{
	const struct ct_span_ep *x = *(struct ct_span_ep *const *)a;
	const struct ct_span_ep *y = *(struct ct_span_ep *const *)b;

	return x->ns != y->ns ? (x->ns < y->ns ? 1 : -1) : strcmp(x->name, y->name);
}

/* Endpoints by socket wait, largest first; per unit of work when units are known. */
static json_t *net_json(const struct ct_span *s, int64_t units)
{
	const struct ct_span_ep **v = calloc((size_t)s->neps + 1, sizeof(*v));
	json_t *a = json_array();

	if (!v)
		return a;
	for (int i = 0; i < s->neps; i++)
		v[i] = &s->eps[i];
	qsort(v, (size_t)s->neps, sizeof(*v), cmp_ep_ns);
	for (int i = 0; i < s->neps; i++) {
		const struct ct_span_ep *e = v[i];
		json_t *o = hist_json(e->hist, 0, e->ns);

		json_object_set_new(o, "count", json_integer((json_int_t)e->count));
		json_object_set_new(o, "endpoint", json_string(e->name));
		json_object_set_new(o, "side", json_string(e->local ? "local" : "remote"));
		json_object_set_new(o, "mean_ns", e->count ? json_real((double)e->ns /
									(double)e->count) :
							     json_null());
		json_object_set_new(o, "requests", json_integer((json_int_t)e->requests));
		json_object_set_new(o, "request_ns", e->requests ?
							json_real((double)e->ns / (double)e->requests) :
							json_null());
		json_object_set_new(o, "connects", json_integer((json_int_t)e->connects));
		json_object_set_new(o, "connect_ns", json_integer((json_int_t)e->connect_ns));
		json_object_set_new(o, "connect_fail", json_integer((json_int_t)e->connect_fail));
		json_object_set_new(o, "retrans", json_integer((json_int_t)e->retrans));
		json_object_set_new(o, "srtt_us", e->srtt_n ? json_real(e->srtt_sum / e->srtt_n) :
							      json_null());
		json_object_set_new(o, "tx_bytes", json_integer((json_int_t)e->tx));
		json_object_set_new(o, "rx_bytes", json_integer((json_int_t)e->rx));
		if (units > 0)
			json_object_set_new(o, "per_unit",
					    json_pack("{sfsfsf}", "waits",
						      (double)e->count / (double)units, "requests",
						      (double)e->requests / (double)units, "ns",
						      (double)e->ns / (double)units));
		json_array_append_new(a, o);
	}
	free(v);
	return a;
}

static json_t *disk_json(const struct ct_span *s)
{
	json_t *a = json_array();

	for (int i = 0; i < s->ndisks; i++) {
		const struct ct_span_disk *d = &s->disks[i];
		json_t *o = json_pack("{ss ss sI sI sI sI}", "device", d->device, "op", d->op,
				      "count", (json_int_t)d->count, "bytes", (json_int_t)d->bytes,
				      "merged", (json_int_t)d->merged, "no_start",
				      (json_int_t)d->no_start);

		json_object_set_new(o, "queue", hist_json(d->qhist, 0, d->queue_ns));
		json_object_set_new(o, "device_time", hist_json(d->dhist, 0, d->dev_ns));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *span__to_json(const struct ct_span *s)
{
	json_t *o, *off = json_object(), *lost = json_object(), *prog = json_object();
	int64_t units = span__units(s);
	char from[40] = "", to[40] = "";

	if (s->nwin) {
		ct_fmt_utc(s->from_ns, from, sizeof(from));
		ct_fmt_utc(s->to_ns, to, sizeof(to));
	}
	for (int r = 0; r < CT_OFF_NR; r++)
		json_object_set_new(off, ct_off_names[r],
				    json_pack("{sIsI}", "ns", (json_int_t)s->off_ns[r], "count",
					      (json_int_t)s->off_cnt[r]));
	for (int k = 0; k < CT_LK_NR; k++)
		json_object_set_new(lost, ct_lost_keys[k], json_integer((json_int_t)s->lost[k]));
	if (s->nprog) {
		json_object_set_new(prog, "first", progress__to_json(&s->prog_first));
		json_object_set_new(prog, "last", progress__to_json(&s->prog_last));
		if (s->has_base)
			json_object_set_new(prog, "before", progress__to_json(&s->prog_base));
	}
	json_object_set_new(prog, "units", units >= 0 ? json_integer(units) : json_null());
	if (s->unseen_units > 0)
		json_object_set_new(prog, "before_recording", json_integer(s->unseen_units));
	o = json_pack("{ss si ss ss sI sI sf sb}", "job", s->job, "windows", s->nwin, "from", from,
		      "to", to, "from_ns", (json_int_t)s->from_ns, "to_ns", (json_int_t)s->to_ns,
		      "dur_s", s->dur_s, "ended", s->ended);
	json_object_set_new(o, "cpu", json_pack("{sIsIsIsI}", "oncpu_ns", (json_int_t)s->oncpu_ns,
						"stolen_ns", (json_int_t)s->stolen_ns, "nvcsw",
						(json_int_t)s->nvcsw, "nivcsw", (json_int_t)s->nivcsw));
	json_object_set_new(o, "runq", hist_json(s->runq_hist, s->runq_max_ns, s->runq_ns));
	json_object_set_new(o, "offcpu", off);
	json_object_set_new(o, "socket_wait", hist_json(s->sock_hist, 0, s->off_ns[CT_OFF_SOCKET]));
	json_object_set_new(o, "net", json_pack("{so}", "endpoints", net_json(s, units)));
	json_object_set_new(o, "disk", disk_json(s));
	json_object_set_new(o, "memory", json_pack("{sIsIsIsI}", "reclaim_ns",
						   (json_int_t)s->reclaim_ns, "reclaims",
						   (json_int_t)s->reclaims, "majflt",
						   (json_int_t)s->majflt, "swapout",
						   (json_int_t)s->swapout));
	json_object_set_new(o, "culprits", json_deep_copy(s->culprits));
	json_object_set_new(o, "kernel", json_deep_copy(s->kernel));
	json_object_set_new(o, "system", json_deep_copy(s->system));
	json_object_set_new(o, "lost", lost);
	if (s->unslotted_jobs)
		json_object_set_new(o, "unslotted", json_pack("{sIsI}", "jobs",
							      (json_int_t)s->unslotted_jobs,
							      "cpu_ns", (json_int_t)s->unslotted_ns));
	json_object_set_new(o, "progress", prog);
	if (s->ngaps) {
		json_t *g = json_array();

		for (int i = 0; i < s->ngaps && i < CT_SPAN_GAPS; i++) {
			ct_fmt_utc(s->gap_from[i], from, sizeof(from));
			ct_fmt_utc(s->gap_to[i], to, sizeof(to));
			json_array_append_new(g, json_pack("{ss ss sf}", "from", from, "to", to, "s",
							   s->gap_to[i] > s->gap_from[i] ?
							   (double)(s->gap_to[i] - s->gap_from[i]) / 1e9 : 0.0));
		}
		json_object_set_new(o, "gaps", json_pack("{si sf so}", "count", s->ngaps, "s",
							 s->gap_s, "list", g));
	}
	json_object_set_new(o, "per_unit", per_unit_json(s, units));
	return o;
}
