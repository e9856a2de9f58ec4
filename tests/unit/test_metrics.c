// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* record --listen's totals and exposition: bucket bounds, counters over windows, formats. */
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "metrics.h"
#include "ut.h"

/* A window with one job whose run-queue waits are @n values (ns), @cpu_ns on CPU. */
static json_t *window(const char *job, const uint64_t *v, int n, uint64_t cpu_ns, int done)
{
	uint64_t b[CT_HIST_NBUCKETS] = { 0 }, sum = 0;

	for (int i = 0; i < n; i++) {
		b[ct_hist_bucket(v[i])]++;
		sum += v[i];
	}
	return json_pack("{ss s{sI} s[{ss ss s{sI} s{sI sI so} s{s{sI sI}} s[{ss sI}] s{si}}]}",
			 "type", "window", "lost", "storage_full", (json_int_t)1, "jobs", "name",
			 job, "kind", "env", "cpu", "oncpu_ns", (json_int_t)cpu_ns, "runq", "ns",
			 (json_int_t)sum, "count", (json_int_t)n, "hist", histo__to_json(b),
			 "offcpu", "sleep", "ns", (json_int_t)2000000000, "count", (json_int_t)1,
			 "culprits", "job", "hog", "runq_ns", (json_int_t)1500000, "progress", "done",
			 done);
}

static const char *line(const char *text, const char *start)
{
	const char *p = strstr(text, start);

	return p && (p == text || p[-1] == '\n') ? p + strlen(start) : NULL;
}

static void test_metrics(void)
{
	static const uint64_t v1[] = { 500, 3000, 2000000, 20000000000ULL };
	static const uint64_t v2[] = { 900 };
	struct metrics_state *s = metrics_state__new();
	struct ct_buf t = { 0 }, om = { 0 };
	json_t *w;
	const char *p;

	w = window("jenkins-app-1", v1, 4, 1500000000, 100);
	metrics_state__add(s, w, 1000000000ULL);
	json_decref(w);
	w = window("jenkins-app-1", v2, 1, 500000000, 125);
	metrics_state__add(s, w, 2000000000ULL);
	json_decref(w);
	metrics_state__render(s, false, &t);
	metrics_state__render(s, true, &om);
#define JL "{ci_job=\"jenkins-app-1\",kind=\"env\""
	p = line(t.p, "contrace_job_cpu_seconds_total" JL "} ");
	CHECK(p && atof(p) == 2.0, "on-CPU seconds summed over windows: %s", p ? p : "none");
	/* 500 ns and 900 ns at or below 1 us; 3 us by 5 us; 2 ms by 2.5 ms; 20 s only in +Inf */
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"1e-06\"} ");
	CHECK(p && atoi(p) == 2, "le 1us: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"2.5e-06\"} ");
	CHECK(p && atoi(p) == 2, "le 2.5us: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"5e-06\"} ");
	CHECK(p && atoi(p) == 3, "le 5us: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"0.001\"} ");
	CHECK(p && atoi(p) == 3, "le 1ms: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"0.0025\"} ");
	CHECK(p && atoi(p) == 4, "le 2.5ms: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"10\"} ");
	CHECK(p && atoi(p) == 4, "le 10s: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_bucket" JL ",le=\"+Inf\"} ");
	CHECK(p && atoi(p) == 5, "+Inf is every wait: %s", p ? p : "none");
	p = line(t.p, "contrace_job_runqueue_wait_seconds_sum" JL "} ");
	CHECK(p && atof(p) > 20.0020 && atof(p) < 20.0021, "sum in seconds: %s", p ? p : "none");
	p = line(t.p, "contrace_job_units_total" JL "} ");
	CHECK(p && atoi(p) == 25, "units: the count's growth after the first: %s", p ? p : "none");
	p = line(t.p, "contrace_job_offcpu_seconds_total" JL ",reason=\"sleep\"} ");
	CHECK(p && atof(p) == 4.0, "off-CPU by reason: %s", p ? p : "none");
	p = line(t.p, "contrace_job_culprit_seconds_total" JL ",culprit=\"hog\"} ");
	CHECK(p && atof(p) == 0.003, "culprit seconds: %s", p ? p : "none");
	p = line(t.p, "contrace_lost_events_total{kind=\"storage_full\"} ");
	CHECK(p && atoi(p) == 2, "lost, summed: %s", p ? p : "none");
	CHECK(line(t.p, "# TYPE contrace_job_cpu_seconds_total counter") &&
		      !strstr(t.p, "# EOF"), "text format: counters' families end in _total, no EOF");
	CHECK(line(om.p, "# TYPE contrace_job_cpu_seconds counter") &&
		      !strcmp(om.p + om.len - 6, "# EOF\n"), "OpenMetrics: families without _total, # EOF");
	/* an ended job's series stay CT_METRICS_KEEP_S, then go */
	w = json_pack("{ss s{} s[]}", "type", "window", "lost", "jobs");
	metrics_state__add(s, w, 2000000000ULL + (CT_METRICS_KEEP_S - 1) * 1000000000ULL);
	ct_buf_free(&t);
	metrics_state__render(s, false, &t);
	CHECK(strstr(t.p, "jenkins-app-1"), "kept for %d s", CT_METRICS_KEEP_S);
	metrics_state__add(s, w, 2000000000ULL + (CT_METRICS_KEEP_S + 1) * 1000000000ULL);
	ct_buf_free(&t);
	metrics_state__render(s, false, &t);
	CHECK(!strstr(t.p, "jenkins-app-1"), "gone after %d s", CT_METRICS_KEEP_S);
	json_decref(w);
	ct_buf_free(&t);
	ct_buf_free(&om);
	metrics_state__free(s);
}

static void test_label_escape(void)
{
	struct metrics_state *s = metrics_state__new();
	struct ct_buf t = { 0 };
	json_t *w = json_pack("{ss s{} s[{ss ss}]}", "type", "window", "lost", "jobs", "name",
			      "a\"b\\c\nd", "kind", "env");

	metrics_state__add(s, w, 1);
	metrics_state__render(s, false, &t);
	CHECK(strstr(t.p, "ci_job=\"a\\\"b\\\\c\\nd\""), "quote, backslash and newline escaped");
	json_decref(w);
	ct_buf_free(&t);
	metrics_state__free(s);
}

/* Six endpoints: the first four keep series, the last two add up in "other". */
static void test_endpoints(void)
{
	struct metrics_state *s = metrics_state__new();
	struct ct_buf t = { 0 };
	json_t *eps = json_array(), *w;
	const char *p;

	for (int i = 0; i < 6; i++) {
		char name[32];

		snprintf(name, sizeof(name), "10.0.0.%d:5432", i + 1);
		json_array_append_new(eps, json_pack("{ss ss sI sI s[]}", "endpoint", name, "side",
						     "remote", "ns", (json_int_t)1000000000, "count",
						     (json_int_t)2, "hist"));
		/* the first: 2 waits for 1 request; the others, older windows: a request each */
		if (!i)
			json_object_set_new(json_array_get(eps, 0), "requests", json_integer(1));
	}
	w = json_pack("{ss s{} s[{ss ss s{so} s[{ss ss sI s{sI} s{sI}}]}]}", "type", "window", "lost",
		      "jobs", "name", "c", "kind", "env", "net", "endpoints", eps, "disk", "device",
		      "vda", "op", "read", "count", (json_int_t)3, "queue", "ns", (json_int_t)2000,
		      "device_time", "ns", (json_int_t)5000000);
	metrics_state__add(s, w, 1);
	metrics_state__render(s, false, &t);
	p = line(t.p, "contrace_job_socket_wait_seconds_count{ci_job=\"c\",kind=\"env\",endpoint=\"10.0.0.4:5432\"} ");
	CHECK(p && atoi(p) == 2, "the fourth has its own: %s", p ? p : "none");
	CHECK(!strstr(t.p, "10.0.0.5:5432"), "the fifth has none");
	p = line(t.p, "contrace_job_socket_requests_total{ci_job=\"c\",kind=\"env\",endpoint=\"10.0.0.1:5432\"} ");
	CHECK(p && atoi(p) == 1, "requests, not waits: %s", p ? p : "none");
	p = line(t.p, "contrace_job_socket_requests_total{ci_job=\"c\",kind=\"env\",endpoint=\"other\"} ");
	CHECK(p && atoi(p) == 4, "older windows count a request per wait: %s", p ? p : "none");
	p = line(t.p, "contrace_job_socket_wait_seconds_sum{ci_job=\"c\",kind=\"env\",endpoint=\"other\"} ");
	CHECK(p && atof(p) == 2.0, "other holds the fifth and sixth: %s", p ? p : "none");
	p = line(t.p, "contrace_job_disk_device_seconds_total{ci_job=\"c\",kind=\"env\",device=\"vda\",op=\"read\"} ");
	CHECK(p && atof(p) == 0.005, "disk device time by device and operation: %s", p ? p : "none");
	json_decref(w);
	ct_buf_free(&t);
	metrics_state__free(s);
}

int main(void)
{
	RUN(test_endpoints);
	RUN(test_metrics);
	RUN(test_label_escape);
	return UT_EXIT();
}
