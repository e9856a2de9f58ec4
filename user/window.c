// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "histo.h"
#include "window.h"

static const char *const job_kinds[] = {
	[CT_JOB_OTHER] = "other", [CT_JOB_KERNEL] = "kernel", [CT_JOB_CGROUP] = "cgroup",
	[CT_JOB_PARENT] = "parent", [CT_JOB_CHILD] = "child", [CT_JOB_CMD] = "command",
};

static const char *const sys_psi[3] = { "/proc/pressure/cpu", "/proc/pressure/io",
					"/proc/pressure/memory" };

void ct_delta(uint64_t *out, const uint64_t *cur, const uint64_t *prev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];
}

/* {"key": delta, ...} for keys present in both reads; NULL when either read failed. */
static json_t *kv_delta_json(const struct ct_kv *cur, bool cur_ok, const struct ct_kv *base,
			     bool base_ok)
{
	json_t *o;

	if (!cur_ok || !base_ok)
		return NULL;
	o = json_object();
	for (int i = 0; i < cur->n; i++) {
		uint64_t b, d;

		if (!kv__get(base, cur->key[i], &b))
			continue;
		ct_delta(&d, &cur->val[i], &b, 1);
		json_object_set_new(o, cur->key[i], json_integer((json_int_t)d));
	}
	return o;
}

json_t *window__session_json(const char *session, const struct jobs *js, double interval_s,
			     uint64_t start_real)
{
	json_t *jobs = json_array(), *reasons = json_array();
	char host[256] = "", start[40];
	struct utsname u;

	gethostname(host, sizeof(host) - 1);
	uname(&u);
	ct_fmt_utc(start_real, start, sizeof(start));
	for (int i = 0; i < CT_OFF_NR; i++)
		json_array_append_new(reasons, json_string(ct_off_names[i]));
	for (int i = 0; i < js->n; i++) {
		const struct ct_job *j = js->v[i];
		json_t *o = json_pack("{ss ss}", "name", j->name, "kind", job_kinds[j->kind]);

		if (j->kind >= CT_JOB_CGROUP)
			json_object_set_new(o, "cgroup", json_string(j->cg.path));
		json_array_append_new(jobs, o);
	}
	return json_pack("{ss si ss ss ss ss si sf s{ss si si ss} so so}", "type", "session",
			 "v", CT_SCHEMA_VERSION, "session", session, "host", host, "kernel",
			 u.release, "start", start, "ncpu", (int)sysconf(_SC_NPROCESSORS_ONLN),
			 "interval_s", interval_s, "hist", "scheme", "log-linear",
			 "sub_bucket_bits", CT_HIST_SUB_BITS, "max_log2", CT_HIST_MAX_LOG, "unit",
			 "ns", "offcpu_reasons", reasons, "jobs", jobs);
}

static void read_system(struct ct_kv *kv, bool *ok)
{
	for (int k = 0; k < 3; k++)
		ok[k] = ct_read_kv(sys_psi[k], true, &kv[k]);
}

void window__start(struct window *w, struct tracer *tr)
{
	memset(w, 0, sizeof(*w));
	w->start_real = ct_real_ns();
	w->start_mono = ct_mono_ns();
	read_system(w->sys_base, w->sys_base_ok);
	tracer__lost(tr, w->lost_base);
}

void window__read(struct window *w, struct jobs *js)
{
	w->end_real = ct_real_ns();
	w->end_mono = ct_mono_ns();
	for (int i = 0; i < js->n; i++)
		job__read(js, js->v[i], &js->v[i]->cur, js->v[i]->kcur, js->v[i]->kcur_ok);
	read_system(w->sys_cur, w->sys_cur_ok);
	tracer__lost(js->tr, w->lost_cur);
}

static json_t *pct_json(const uint64_t *h, uint64_t max, double p)
{
	return histo__count(h) ? json_integer((json_int_t)histo__percentile(h, p, max)) :
				 json_null();
}

static json_t *hist_summary(json_t *o, const uint64_t *h, uint64_t max)
{
	json_object_set_new(o, "p50_ns", pct_json(h, max, 50));
	json_object_set_new(o, "p90_ns", pct_json(h, max, 90));
	json_object_set_new(o, "p99_ns", pct_json(h, max, 99));
	json_object_set_new(o, "hist", histo__to_json(h));
	return o;
}

/* Culprits of @victim's run-queue delay, largest first, non-zero cells only. */
static json_t *culprits_json(const struct jobs *js, const struct ct_pair_stats *row)
{
	json_t *a = json_array();
	bool done[1024] = { false };

	for (;;) {
		uint32_t best = 0;
		bool found = false;

		for (uint32_t c = 0; c < js->max_jobs && c < 1024; c++) {
			if (done[c] || (!row[c].delay_ns && !row[c].preempts))
				continue;
			if (!found || row[c].delay_ns > row[best].delay_ns)
				best = c;
			found = true;
		}
		if (!found)
			return a;
		done[best] = true;
		json_array_append_new(a, json_pack("{ss sI sI sI}", "job",
						   jobs__slot_name(js, best), "runq_ns",
						   (json_int_t)row[best].delay_ns, "count",
						   (json_int_t)row[best].delay_cnt, "preempts",
						   (json_int_t)row[best].preempts));
	}
}

static json_t *job_json(const struct jobs *js, const struct ct_job *j)
{
	struct ct_totals d = { .row = NULL };
	struct ct_pair_stats row[js->max_jobs];
	json_t *o, *off = json_object(), *kern = json_object(), *runq, *sock;
	const struct ct_job_stats *s = &d.s;

	d.row = row;
	ct_delta((uint64_t *)&d.s, (const uint64_t *)&j->cur.s, (const uint64_t *)&j->base.s,
		 sizeof(d.s) / 8);
	ct_delta(&d.hist[0][0], &j->cur.hist[0][0], &j->base.hist[0][0],
		 CT_HIST_NR * CT_HIST_NBUCKETS);
	ct_delta((uint64_t *)row, (const uint64_t *)j->cur.row, (const uint64_t *)j->base.row,
		 js->max_jobs * sizeof(*row) / 8);
	d.s.runq_max_ns = j->cur.s.runq_max_ns;

	for (int r = 0; r < CT_OFF_NR; r++)
		json_object_set_new(off, ct_off_names[r],
				    json_pack("{sI sI}", "ns", (json_int_t)s->off_ns[r], "count",
					      (json_int_t)s->off_cnt[r]));
	runq = json_pack("{sI sI sI}", "ns", (json_int_t)s->runq_ns, "count",
			 (json_int_t)s->runq_cnt, "max_ns", (json_int_t)s->runq_max_ns);
	hist_summary(runq, d.hist[CT_HIST_RUNQ], s->runq_max_ns);
	sock = json_pack("{sI sI}", "ns", (json_int_t)s->off_ns[CT_OFF_SOCKET], "count",
			 (json_int_t)s->off_cnt[CT_OFF_SOCKET]);
	hist_summary(sock, d.hist[CT_HIST_SOCKET], 0);
	for (int k = 0; k < CT_KFILES; k++) {
		json_t *kv = kv_delta_json(&j->kcur[k], j->kcur_ok[k], &j->kbase[k],
					   j->kbase_ok[k]);
		if (kv)
			json_object_set_new(kern, ct_kfile_names[k], kv);
	}
	o = json_pack("{ss ss}", "name", j->name, "kind", job_kinds[j->kind]);
	if (j->kind >= CT_JOB_CGROUP)
		json_object_set_new(o, "cgroup", json_string(j->cg.path));
	if (j->gone)
		json_object_set_new(o, "ended", json_true());
	json_object_set_new(o, "cpu", json_pack("{sI sI sI}", "oncpu_ns", (json_int_t)s->oncpu_ns,
						"nvcsw", (json_int_t)s->nvcsw, "nivcsw",
						(json_int_t)s->nivcsw));
	json_object_set_new(o, "runq", runq);
	json_object_set_new(o, "offcpu", off);
	json_object_set_new(o, "socket_wait", sock);
	json_object_set_new(o, "culprits", culprits_json(js, row));
	json_object_set_new(o, "kernel", kern);
	return o;
}

json_t *window__json(const struct window *w, const struct jobs *js, const char *session)
{
	json_t *jobs = json_array(), *sys = json_object(), *lost = json_object();
	uint64_t d[CT_LOST_NR];
	char start[40], end[40];

	ct_fmt_utc(w->start_real, start, sizeof(start));
	ct_fmt_utc(w->end_real, end, sizeof(end));
	for (int k = 0; k < 3; k++) {
		json_t *kv = kv_delta_json(&w->sys_cur[k], w->sys_cur_ok[k], &w->sys_base[k],
					   w->sys_base_ok[k]);
		if (kv)
			json_object_set_new(sys, ct_kfile_names[k], kv);
	}
	for (int i = 0; i < js->n; i++)
		json_array_append_new(jobs, job_json(js, js->v[i]));
	ct_delta(d, w->lost_cur, w->lost_base, CT_LOST_NR);
	for (int k = 0; k < CT_LOST_NR; k++)
		json_object_set_new(lost, ct_lost_names[k], json_integer((json_int_t)d[k]));
	return json_pack("{ss si ss sI ss ss sI sI sf sb so so so}", "type", "window", "v",
			 CT_SCHEMA_VERSION, "session", session, "seq", (json_int_t)w->seq,
			 "start", start, "end", end, "start_ns", (json_int_t)w->start_real,
			 "end_ns", (json_int_t)w->end_real,
			 "dur_s", (double)(w->end_mono - w->start_mono) / 1e9, "final", w->final,
			 "lost", lost, "system", sys, "jobs", jobs);
}

void window__commit(struct window *w, struct jobs *js)
{
	for (int i = 0; i < js->n; i++) {
		struct ct_job *j = js->v[i];
		struct ct_totals t = j->base;

		j->base = j->cur;
		j->cur = t;
		memcpy(j->kbase, j->kcur, sizeof(j->kbase));
		memcpy(j->kbase_ok, j->kcur_ok, sizeof(j->kbase_ok));
	}
	memcpy(w->sys_base, w->sys_cur, sizeof(w->sys_base));
	memcpy(w->sys_base_ok, w->sys_cur_ok, sizeof(w->sys_base_ok));
	memcpy(w->lost_base, w->lost_cur, sizeof(w->lost_base));
	w->seq++;
	w->start_real = w->end_real;
	w->start_mono = w->end_mono;
}
