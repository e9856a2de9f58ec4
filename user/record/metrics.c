// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "histo.h"
#include "metrics.h"
#include "schema.h"
#include "span.h"

const double ct_metrics_le[CT_METRICS_LE] = {
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
	5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* A histogram of waits under one key (an endpoint). */
struct mhist {
	char key[80];
	double ns, cnt, req;	/* req: the waits that began a request */
	double le[CT_METRICS_LE];
};

struct mdisk {
	char device[32], op[16];
	double requests, queue_ns, dev_ns;
};

struct mjob {
	char name[CT_NAME_MAX], kind[16];
	double cpu_ns, runq_ns, runq_cnt, reclaim_ns, units;
	double le[CT_METRICS_LE];	/* run-queue waits at or below each bound, cumulative */
	double off_ns[CT_OFF_NR];
	json_t *culprits;		/* {culprit: ns} */
	struct mhist eps[CT_METRICS_EPS];	/* socket wait by endpoint; the last is "other" */
	int neps;
	struct mdisk disk[CT_METRICS_DISKS];
	int ndisk;
	int64_t last_done;		/* its count in the last window with one (-1: none) */
	uint64_t seen_ns;		/* monotonic time of the last window it was in */
};

struct metrics_state {
	struct mjob *v;
	int n;
	double lost[CT_LK_NR];
	double windows, dropped_jobs, dropped_disk;
	struct ct_prog_stat progs[64];
	int nprogs;
};

struct metrics {
	struct metrics_state *st;
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	struct ct_buf text, om;	/* the last rendering of each format */
};

struct metrics_state *metrics_state__new(void)
{
	return calloc(1, sizeof(struct metrics_state));
}

void metrics_state__free(struct metrics_state *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		json_decref(s->v[i].culprits);
	free(s->v);
	free(s);
}

static struct mjob *job_get(struct metrics_state *s, const char *name)
{
	struct mjob *v;

	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	if (s->n >= CT_METRICS_JOBS) {
		s->dropped_jobs++;
		return NULL;
	}
	v = realloc(s->v, (size_t)(s->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->v = v;
	memset(&v[s->n], 0, sizeof(v[0]));
	snprintf(v[s->n].name, sizeof(v[0].name), "%s", name);
	v[s->n].culprits = json_object();
	v[s->n].last_done = -1;
	return &v[s->n++];
}

/* A window's histogram (sparse JSON) into cumulative "at or below" counts of the bounds. */
static void add_le(double *le, const json_t *hist)
{
	uint64_t b[CT_HIST_NBUCKETS] = { 0 };

	if (histo__add_json(b, hist))
		return;
	for (uint32_t k = 0; k < CT_HIST_NBUCKETS; k++) {
		/* a log-linear bucket counts at a bound when all of it lies at or below it */
		double top = k + 1 < CT_HIST_NBUCKETS ? (double)(ct_hist_lower(k + 1) - 1) / 1e9 :
							INFINITY;

		if (!b[k])
			continue;
		for (int l = 0; l < CT_METRICS_LE; l++)
			if (top <= ct_metrics_le[l])
				le[l] += (double)b[k];
	}
}

/*
 * Endpoint @name's socket waits: the first CT_METRICS_EPS - 1 endpoints a job waits on keep
 * series of their own for good (a series never moves into "other", which would read as a
 * counter reset); later ones add to "other".
 */
static void add_ep(struct mjob *m, const char *name, const json_t *e)
{
	struct mhist *h = NULL;

	for (int i = 0; i < m->neps && !h; i++)
		if (!strcmp(m->eps[i].key, name))
			h = &m->eps[i];
	if (!h && m->neps < CT_METRICS_EPS - 1) {
		h = &m->eps[m->neps++];
		snprintf(h->key, sizeof(h->key), "%s", name);
	}
	if (!h) {
		h = &m->eps[CT_METRICS_EPS - 1];
		snprintf(h->key, sizeof(h->key), "other");
	}
	h->ns += (double)ct_json_u64(e, "ns");
	h->cnt += (double)ct_json_u64(e, "count");
	h->req += (double)ct_ep_requests(e);
	add_le(h->le, json_object_get(e, "hist"));
}

static void add_disk(struct metrics_state *s, struct mjob *m, const json_t *d)
{
	const char *dev = json_string_value(json_object_get(d, "device")) ?: "?";
	const char *op = json_string_value(json_object_get(d, "op")) ?: "?";
	struct mdisk *x = NULL;

	for (int i = 0; i < m->ndisk && !x; i++)
		if (!strcmp(m->disk[i].device, dev) && !strcmp(m->disk[i].op, op))
			x = &m->disk[i];
	if (!x && m->ndisk < CT_METRICS_DISKS) {
		x = &m->disk[m->ndisk++];
		snprintf(x->device, sizeof(x->device), "%s", dev);
		snprintf(x->op, sizeof(x->op), "%s", op);
	}
	if (!x) {
		s->dropped_disk++;
		return;
	}
	x->requests += (double)ct_json_u64(d, "count");
	x->queue_ns += (double)ct_json_u64(json_object_get(d, "queue"), "ns");
	x->dev_ns += (double)ct_json_u64(json_object_get(d, "device_time"), "ns");
}

void metrics_state__progs(struct metrics_state *s, const struct ct_prog_stat *ps, int n)
{
	s->nprogs = n < 64 ? n : 64;
	memcpy(s->progs, ps, (size_t)s->nprogs * sizeof(*ps));
}

void metrics_state__add(struct metrics_state *s, const json_t *win, uint64_t now_ns)
{
	const json_t *j, *lost = json_object_get(win, "lost"), *c;
	size_t i, k;

	s->windows++;
	for (int l = 0; l < CT_LK_FIRST_JOB; l++)
		s->lost[l] += (double)ct_json_u64(lost, ct_lost_keys[l]);
	json_array_foreach(json_object_get(win, "jobs"), i, j) {
		const char *name = json_string_value(json_object_get(j, "name"));
		const json_t *runq = json_object_get(j, "runq"), *off = json_object_get(j, "offcpu");
		const json_t *prog = json_object_get(j, "progress");
		struct mjob *m;

		if (!name || !(m = job_get(s, name)))
			continue;
		snprintf(m->kind, sizeof(m->kind), "%s",
			 json_string_value(json_object_get(j, "kind")) ?: "");
		m->seen_ns = now_ns;
		m->cpu_ns += (double)ct_json_u64(json_object_get(j, "cpu"), "oncpu_ns");
		m->runq_ns += (double)ct_json_u64(runq, "ns");
		m->runq_cnt += (double)ct_json_u64(runq, "count");
		add_le(m->le, json_object_get(runq, "hist"));
		json_array_foreach(json_object_get(json_object_get(j, "net"), "endpoints"), k, c) {
			const char *ep = json_string_value(json_object_get(c, "endpoint"));
			const char *side = json_string_value(json_object_get(c, "side"));

			if (ep && side && !strcmp(side, "remote") && ct_json_u64(c, "count"))
				add_ep(m, ep, c);
		}
		json_array_foreach(json_object_get(j, "disk"), k, c)
			add_disk(s, m, c);
		for (int r = 0; r < CT_OFF_NR; r++)
			m->off_ns[r] += (double)ct_json_u64(json_object_get(off, ct_off_names[r]), "ns");
		m->reclaim_ns += (double)ct_json_u64(json_object_get(j, "memory"), "reclaim_ns");
		for (int l = CT_LK_FIRST_JOB; l < CT_LK_NR; l++)
			s->lost[l] += (double)ct_json_u64(json_object_get(j, "lost"), ct_lost_keys[l]);
		json_array_foreach(json_object_get(j, "culprits"), k, c) {
			const char *who = json_string_value(json_object_get(c, "job"));

			if (who)
				json_object_set_new(m->culprits, who, json_real(
					json_number_value(json_object_get(m->culprits, who)) +
					(double)ct_json_u64(c, "runq_ns")));
		}
		if (json_is_integer(json_object_get(prog, "done"))) {
			int64_t done = json_integer_value(json_object_get(prog, "done"));

			if (m->last_done >= 0 && done > m->last_done)
				m->units += (double)(done - m->last_done);
			m->last_done = done;
		}
	}
	/* jobs ended CT_METRICS_KEEP_S ago: their series go */
	for (int i2 = 0; i2 < s->n;) {
		if (now_ns - s->v[i2].seen_ns > CT_METRICS_KEEP_S * 1000000000ULL) {
			json_decref(s->v[i2].culprits);
			s->v[i2] = s->v[--s->n];
		} else {
			i2++;
		}
	}
}

/* A label value, escaped as the exposition formats want. */
static void label(struct ct_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ct_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			ct_buf_printf(b, "\\n");
		else
			ct_buf_add(b, v, 1);
	}
}

/* "# HELP" and "# TYPE" of family @name (a counter's without _total in OpenMetrics). */
static void family(struct ct_buf *b, bool om, const char *name, const char *type,
		   const char *help)
{
	size_t n = strlen(name);
	int fam = om && !strcmp(type, "counter") && n > 6 ? (int)(n - 6) : (int)n;

	ct_buf_printf(b, "# HELP %.*s %s\n# TYPE %.*s %s\n", fam, name, help, fam, name, type);
}

static void job_labels(struct ct_buf *b, const struct mjob *j)
{
	ct_buf_printf(b, "{ci_job=\"");
	label(b, j->name);
	ct_buf_printf(b, "\",kind=\"");
	label(b, j->kind);
	ct_buf_printf(b, "\"");
}

/* @metric{job's labels,endpoint="@key" (the closing brace is the caller's) */
static void ep_series(struct ct_buf *b, const char *metric, const struct mjob *j, const char *key)
{
	ct_buf_printf(b, "%s", metric);
	job_labels(b, j);
	ct_buf_printf(b, ",endpoint=\"");
	label(b, key);
	ct_buf_printf(b, "\"");
}

void metrics_state__render(const struct metrics_state *s, bool om, struct ct_buf *b)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "contrace_job_cpu_seconds_total", "Time the job's threads ran on a CPU",
		  offsetof(struct mjob, cpu_ns) },
		{ "contrace_job_reclaim_seconds_total",
		  "Time the job's threads stalled in memory reclaim (direct and cgroup limit)",
		  offsetof(struct mjob, reclaim_ns) },
	};

	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		family(b, om, counters[c].name, "counter", counters[c].help);
		for (int i = 0; i < s->n; i++) {
			ct_buf_printf(b, "%s", counters[c].name);
			job_labels(b, &s->v[i]);
			ct_buf_printf(b, "} %.9g\n",
				      *(const double *)((const char *)&s->v[i] + counters[c].off) / 1e9);
		}
	}
	family(b, om, "contrace_job_units_total", "counter",
	       "Units of work the job's log reported done ([PERF] lines, record --log)");
	for (int i = 0; i < s->n; i++)
		if (s->v[i].last_done >= 0) {
			ct_buf_printf(b, "contrace_job_units_total");
			job_labels(b, &s->v[i]);
			ct_buf_printf(b, "} %.0f\n", s->v[i].units);
		}
	family(b, om, "contrace_job_runqueue_wait_seconds", "histogram",
	       "Waits of the job's threads for a CPU (run-queue delay), one per time queued");
	for (int i = 0; i < s->n; i++) {
		const struct mjob *j = &s->v[i];

		for (int l = 0; l < CT_METRICS_LE; l++) {
			ct_buf_printf(b, "contrace_job_runqueue_wait_seconds_bucket");
			job_labels(b, j);
			ct_buf_printf(b, ",le=\"%g\"} %.0f\n", ct_metrics_le[l], j->le[l]);
		}
		ct_buf_printf(b, "contrace_job_runqueue_wait_seconds_bucket");
		job_labels(b, j);
		ct_buf_printf(b, ",le=\"+Inf\"} %.0f\n", j->runq_cnt);
		ct_buf_printf(b, "contrace_job_runqueue_wait_seconds_count");
		job_labels(b, j);
		ct_buf_printf(b, "} %.0f\n", j->runq_cnt);
		ct_buf_printf(b, "contrace_job_runqueue_wait_seconds_sum");
		job_labels(b, j);
		ct_buf_printf(b, "} %.9g\n", j->runq_ns / 1e9);
	}
	family(b, om, "contrace_job_socket_wait_seconds", "histogram",
	       "Waits of the job's threads on a peer (socket wait), by endpoint: its first 4, "
	       "then other");
	for (int i = 0; i < s->n; i++) {
		for (int e = 0; e < CT_METRICS_EPS; e++) {
			const struct mhist *h = &s->v[i].eps[e];

			if (!h->key[0])
				continue;
			for (int l = 0; l <= CT_METRICS_LE; l++) {
				ep_series(b, "contrace_job_socket_wait_seconds_bucket", &s->v[i], h->key);
				if (l < CT_METRICS_LE)
					ct_buf_printf(b, ",le=\"%g\"} %.0f\n", ct_metrics_le[l], h->le[l]);
				else
					ct_buf_printf(b, ",le=\"+Inf\"} %.0f\n", h->cnt);
			}
			ep_series(b, "contrace_job_socket_wait_seconds_count", &s->v[i], h->key);
			ct_buf_printf(b, "} %.0f\n", h->cnt);
			ep_series(b, "contrace_job_socket_wait_seconds_sum", &s->v[i], h->key);
			ct_buf_printf(b, "} %.9g\n", h->ns / 1e9);
		}
	}
	family(b, om, "contrace_job_socket_requests_total", "counter",
	       "Requests among the job's socket waits, by endpoint: an answer that came in pieces is "
	       "waited for more than once but is one request");
	for (int i = 0; i < s->n; i++) {
		for (int e = 0; e < CT_METRICS_EPS; e++) {
			const struct mhist *h = &s->v[i].eps[e];

			if (h->key[0]) {
				ep_series(b, "contrace_job_socket_requests_total", &s->v[i], h->key);
				ct_buf_printf(b, "} %.0f\n", h->req);
			}
		}
	}
	{
		static const struct {
			const char *name, *help;
			size_t off;
			double scale;
		} dk[] = {
			{ "contrace_job_disk_requests_total", "Block requests of the job completed",
			  offsetof(struct mdisk, requests), 1 },
			{ "contrace_job_disk_queue_seconds_total",
			  "Time the job's block requests spent queued before the device had them",
			  offsetof(struct mdisk, queue_ns), 1e-9 },
			{ "contrace_job_disk_device_seconds_total",
			  "Time the job's block requests spent at the device",
			  offsetof(struct mdisk, dev_ns), 1e-9 },
		};

		for (size_t f = 0; f < sizeof(dk) / sizeof(dk[0]); f++) {
			family(b, om, dk[f].name, "counter", dk[f].help);
			for (int i = 0; i < s->n; i++)
				for (int d = 0; d < s->v[i].ndisk; d++) {
					const struct mdisk *x = &s->v[i].disk[d];

					ct_buf_printf(b, "%s", dk[f].name);
					job_labels(b, &s->v[i]);
					ct_buf_printf(b, ",device=\"");
					label(b, x->device);
					ct_buf_printf(b, "\",op=\"");
					label(b, x->op);
					ct_buf_printf(b, "\"} %.9g\n", *(const double *)((const char *)x +
										dk[f].off) * dk[f].scale);
				}
		}
	}
	family(b, om, "contrace_job_offcpu_seconds_total", "counter",
	       "Time the job's threads were blocked, by the reason contrace gave the block");
	for (int i = 0; i < s->n; i++)
		for (int r = 0; r < CT_OFF_NR; r++) {
			ct_buf_printf(b, "contrace_job_offcpu_seconds_total");
			job_labels(b, &s->v[i]);
			ct_buf_printf(b, ",reason=\"%s\"} %.9g\n", ct_off_names[r],
				      s->v[i].off_ns[r] / 1e9);
		}
	family(b, om, "contrace_job_culprit_seconds_total", "counter",
	       "Run-queue delay of the job (victim) while another job (culprit) held the CPU");
	for (int i = 0; i < s->n; i++) {
		const char *who;
		json_t *v;

		json_object_foreach(s->v[i].culprits, who, v) {
			ct_buf_printf(b, "contrace_job_culprit_seconds_total");
			job_labels(b, &s->v[i]);
			ct_buf_printf(b, ",culprit=\"");
			label(b, who);
			ct_buf_printf(b, "\"} %.9g\n", json_number_value(v) / 1e9);
		}
	}
	family(b, om, "contrace_lost_events_total", "counter",
	       "Events the tracer could not see or had to repair, by kind (docs/windows.md, lost)");
	for (int l = 0; l < CT_LK_NR; l++)
		ct_buf_printf(b, "contrace_lost_events_total{kind=\"%s\"} %.0f\n", ct_lost_keys[l],
			      s->lost[l]);
	family(b, om, "contrace_bpf_run_seconds_total", "counter",
	       "Time contrace's BPF programs ran, by program (0 unless kernel.bpf_stats_enabled=1)");
	for (int p = 0; p < s->nprogs; p++)
		ct_buf_printf(b, "contrace_bpf_run_seconds_total{program=\"%s\"} %.9g\n",
			      s->progs[p].name, (double)s->progs[p].run_ns / 1e9);
	family(b, om, "contrace_bpf_runs_total", "counter",
	       "Runs of contrace's BPF programs, by program (0 unless kernel.bpf_stats_enabled=1)");
	for (int p = 0; p < s->nprogs; p++)
		ct_buf_printf(b, "contrace_bpf_runs_total{program=\"%s\"} %llu\n", s->progs[p].name,
			      (unsigned long long)s->progs[p].runs);
	family(b, om, "contrace_windows_total", "counter", "Windows written to windows.jsonl");
	ct_buf_printf(b, "contrace_windows_total %.0f\n", s->windows);
	family(b, om, "contrace_jobs_unshown_total", "counter",
	       "Job entries left out for want of room (more than 256 jobs with series at once)");
	ct_buf_printf(b, "contrace_jobs_unshown_total %.0f\n", s->dropped_jobs);
	family(b, om, "contrace_disk_unshown_total", "counter",
	       "Disk lines left out for want of room (a job on more than 8 device x operation)");
	ct_buf_printf(b, "contrace_disk_unshown_total %.0f\n", s->dropped_disk);
	if (om)
		ct_buf_printf(b, "# EOF\n");
}

/* ---- the server ---- */

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *data,
			     size_t *size, void **ctx)
{
	struct metrics *m = cls;
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	bool om = accept && strstr(accept, "application/openmetrics-text");
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *body;
	size_t len;

	(void)version;
	(void)data;
	(void)size;
	(void)ctx;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("only GET\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		body = strdup("contrace serves /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	} else {
		pthread_mutex_lock(&m->lock);
		len = om ? m->om.len : m->text.len;
		body = malloc(len + 1);
		if (body)
			memcpy(body, om ? m->om.p : m->text.p, len);
		pthread_mutex_unlock(&m->lock);
		if (body)
			body[len] = '\0';
	}
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				status != MHD_HTTP_OK ? "text/plain; charset=utf-8" :
				om ? "application/openmetrics-text; version=1.0.0; charset=utf-8" :
				     "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int metrics__start(struct metrics **out, const char *spec)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char addr[64] = "127.0.0.1";
	const char *colon = strrchr(spec, ':');
	struct metrics *m;
	long port;
	char *end;

	if (colon) {
		if ((size_t)(colon - spec) >= sizeof(addr) || colon == spec) {
			ct_err("--listen '%s': expected ADDR:PORT, ADDR an IPv4 address", spec);
			return -EINVAL;
		}
		memcpy(addr, spec, (size_t)(colon - spec));
		addr[colon - spec] = '\0';
	}
	port = strtol(colon ? colon + 1 : spec, &end, 10);
	if (end == (colon ? colon + 1 : spec) || *end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		ct_err("--listen '%s': expected ADDR:PORT (or PORT, on 127.0.0.1), ADDR an IPv4 "
		       "address and PORT 1-65535", spec);
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	m = calloc(1, sizeof(*m));
	if (!m || !(m->st = metrics_state__new())) {
		free(m);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	metrics_state__render(m->st, false, &m->text);
	metrics_state__render(m->st, true, &m->om);
	/*
	 * One thread of its own polls every connection; a client that sends nothing is dropped
	 * after 10 s, and at most 64 are open at once: none of it touches the window loop.
	 */
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				serve, m, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!m->d) {
		ct_err("--listen %s:%ld: cannot serve there (address in use, or not this host's?)",
		       addr, port);
		metrics__stop(m);
		return -EADDRINUSE;
	}
	*out = m;
	return 0;
}

void metrics__stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);
	metrics_state__free(m->st);
	ct_buf_free(&m->text);
	ct_buf_free(&m->om);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics__window(struct metrics *m, const json_t *win, uint64_t now_ns,
		     const struct ct_prog_stat *ps, int nps)
{
	struct ct_buf text = { 0 }, om = { 0 }, old_t, old_o;

	if (!m)
		return;
	metrics_state__add(m->st, win, now_ns);
	metrics_state__progs(m->st, ps, nps);
	metrics_state__render(m->st, false, &text);
	metrics_state__render(m->st, true, &om);
	pthread_mutex_lock(&m->lock);
	old_t = m->text;
	old_o = m->om;
	m->text = text;
	m->om = om;
	pthread_mutex_unlock(&m->lock);
	ct_buf_free(&old_t);
	ct_buf_free(&old_o);
}
