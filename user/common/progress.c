// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The [PERF] progress lines of the motivating job. Shapes seen over its history:
 *   [PERF] 76255/270798 (28.2% relative) processed. Avg: 0.150 s. Elapsed: 3.2 h. Est. remaining: 8.1 h/11.3 h
 *   [PERF] 76255/270798 (28.2% relative, 80255/274798 (29.2% absolute)) processed. ...
 *   [PERF] Processed 250 elements. Avg per element: 0.131 s. Elapsed: 32.8 s
 *   [PERF] Processed:37775/403746(abs_total) [9.36%] Skip:3 Remaining:14.2h/3.0h(Elapsed)/17.3h(est_total_all) Average: 0.127s
 *   [PERF] Processed:1200/abs(38975)/end(403746)/5000(total_to_process) [24.00%] ...
 *   [PERF] Total time: 3427.55 s. Average per asset: 0.129 s
 * Fields are found by their keywords, so a reordered or extended line still yields what it has.
 * Every scan is bounded by the line's end; the line need not be NUL-terminated.
 */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include "progress.h"

const char *const ct_prog_shape_names[] = {
	[CT_PROG_NONE] = "none",	 [CT_PROG_RELATIVE] = "relative",
	[CT_PROG_EARLY] = "early",	 [CT_PROG_COUNTER] = "counter",
	[CT_PROG_TOTAL] = "total",	 [CT_PROG_FALLBACK] = "fallback",
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Pointer just past the first @kw in [s, end), or NULL. */
static const char *after(const char *s, const char *end, const char *kw)
{
	size_t n = strlen(kw);
	const char *p = s < end ? memmem(s, end - s, kw, n) : NULL;

	return p ? p + n : NULL;
}

/* Does [s, end) start with @kw? */
static bool starts(const char *s, const char *end, const char *kw)
{
	size_t n = strlen(kw);

	return (size_t)(end - s) >= n && !memcmp(s, kw, n);
}

/* Unsigned integer; NULL if none or if it overflows int64. */
static const char *uint_at(const char *s, const char *end, int64_t *out)
{
	int64_t v = 0;
	const char *p = s;

	for (; p < end && is_digit(*p); p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return NULL;
		v = v * 10 + (*p - '0');
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* Decimal number "12", "12.5", ".5"; no sign, no exponent. */
static const char *num_at(const char *s, const char *end, double *out)
{
	double v = 0, scale = 1;
	const char *p = s;
	int digits = 0;

	for (; p < end && is_digit(*p); p++, digits++)
		v = v * 10 + (*p - '0');
	if (p < end && *p == '.' && p + 1 < end && is_digit(p[1])) {
		for (p++; p < end && is_digit(*p); p++, digits++) {
			scale /= 10;
			v += (*p - '0') * scale;
		}
	}
	if (!digits)
		return NULL;
	*out = v;
	return p;
}

static const struct {
	const char *unit;
	double sec;
} units[] = {
	{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 }, { "ms", 1e-3 },
	{ "us", 1e-6 },	  { "min", 60 },   { "hours", 3600 }, { "hour", 3600 }, { "hrs", 3600 },
	{ "hr", 3600 },	  { "h", 3600 },   { "s", 1 },	      { "m", 60 },	{ "d", 86400 },
};

const char *progress__duration(const char *s, const char *end, double *out)
{
	const char *p;
	double v;

	s = skip_space(s, end);
	if (s < end && *s == '?') {
		*out = NAN;
		return s + 1;
	}
	p = num_at(s, end, &v);
	if (!p)
		return NULL;
	p = skip_space(p, end);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].unit);

		if (starts(p, end, units[i].unit) && (p + n == end || !is_alpha(p[n]))) {
			*out = v * units[i].sec;
			return p + n;
		}
	}
	return NULL;
}

/* The duration right after keyword @kw, if both are there. */
static const char *dur_after(const char *s, const char *end, const char *kw, double *out)
{
	const char *p = after(s, end, kw);

	return p ? progress__duration(p, end, out) : NULL;
}

/* "N/M" at @s. */
static const char *pair_at(const char *s, const char *end, int64_t *n, int64_t *m)
{
	int64_t a, b;
	const char *p = uint_at(s, end, &a);

	if (!p || p >= end || *p != '/' || !(p = uint_at(p + 1, end, &b)))
		return NULL;
	*n = a;
	*m = b;
	return p;
}

/* "12.5%" at @s (after spaces). */
static const char *pct_at(const char *s, const char *end, double *out)
{
	const char *p = num_at(skip_space(s, end), end, out);

	return p && p < end && *p == '%' ? p + 1 : NULL;
}

/* A COUNTER item after '/': "403746(abs_total)", "abs(38975)", "end(403746)", "5000(...)". */
static const char *counter_item(const char *s, const char *end, struct ct_progress *p)
{
	const char *q, *close;
	int64_t v;

	if ((q = uint_at(s, end, &v))) {
		if (q < end && *q == '(' && (close = memchr(q, ')', end - q))) {
			if (starts(q + 1, end, "total_to_process)"))
				p->total = v;
			else
				p->abs_total = v;
			return close + 1;
		}
		p->total = v;
		return q;
	}
	if (starts(s, end, "abs(") && (q = uint_at(s + 4, end, &v)) && q < end && *q == ')') {
		p->abs_done = v;
		return q + 1;
	}
	if (starts(s, end, "end(") && (q = uint_at(s + 4, end, &v)) && q < end && *q == ')') {
		p->abs_total = v;
		return q + 1;
	}
	return NULL;
}

static void parse_counter(const char *s, const char *end, struct ct_progress *p)
{
	const char *q = uint_at(skip_space(s, end), end, &p->done);

	while (q && q < end && *q == '/')
		q = counter_item(q + 1, end, p);
	if ((q = after(s, end, "[")))
		pct_at(q, end, &p->pct);
	if ((q = after(s, end, "Skip:")))
		uint_at(skip_space(q, end), end, &p->skipped);
	if ((q = dur_after(s, end, "Remaining:", &p->remaining_s)) && q < end && *q == '/' &&
	    (q = progress__duration(q + 1, end, &p->elapsed_s)) && (q = after(q, end, "/")))
		progress__duration(q, end, &p->est_total_s);
	dur_after(s, end, "Average:", &p->avg_s);
}

static void parse_relative(const char *s, const char *end, struct ct_progress *p)
{
	const char *q = pair_at(s, end, &p->done, &p->total);

	if (q && q + 1 < end && q[0] == ' ' && q[1] == '(')
		pct_at(q + 2, end, &p->pct);
	/* ", 80255/274798 (29.2% absolute)" inside the parentheses */
	if (q && (q = after(q, end, ", ")) && (q = pair_at(q, end, &p->abs_done, &p->abs_total)))
		if ((q = after(q, end, "(")))
			pct_at(q, end, &(double){ 0 });
	dur_after(s, end, "Avg:", &p->avg_s);
	dur_after(s, end, "Elapsed:", &p->elapsed_s);
	if ((q = dur_after(s, end, "remaining:", &p->remaining_s)) && q < end && *q == '/')
		progress__duration(q + 1, end, &p->est_total_s);
}

static void parse_fallback(const char *s, const char *end, struct ct_progress *p)
{
	for (const char *q = s; q < end; q++) {
		if (is_digit(*q) && (q == s || !is_digit(q[-1])) &&
		    pair_at(q, end, &p->done, &p->total))
			break;
	}
	if (!dur_after(s, end, "Avg:", &p->avg_s) && !dur_after(s, end, "Average:", &p->avg_s))
		dur_after(s, end, "Avg per element:", &p->avg_s);
	if (!dur_after(s, end, "Elapsed:", &p->elapsed_s))
		dur_after(s, end, "elapsed:", &p->elapsed_s);
	if (!dur_after(s, end, "Remaining:", &p->remaining_s))
		dur_after(s, end, "remaining:", &p->remaining_s);
}

bool progress__is_perf(const char *line, size_t len)
{
	return after(line, line + len, CT_PERF_TAG) != NULL;
}

enum ct_prog_shape progress__parse(const char *line, size_t len, struct ct_progress *p)
{
	const char *end = line + len, *s;

	*p = (struct ct_progress){ .done = -1, .total = -1, .abs_done = -1, .abs_total = -1,
				   .skipped = -1, .pct = NAN, .avg_s = NAN, .elapsed_s = NAN,
				   .remaining_s = NAN, .est_total_s = NAN, .total_s = NAN };
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	s = after(line, end, CT_PERF_TAG);
	if (!s)
		return p->shape = CT_PROG_NONE;
	s = skip_space(s, end);
	if (starts(s, end, "Processed:")) {
		p->shape = CT_PROG_COUNTER;
		parse_counter(s + 10, end, p);
	} else if (starts(s, end, "Processed ") && uint_at(s + 10, end, &p->done)) {
		p->shape = CT_PROG_EARLY;
		dur_after(s, end, "Avg per element:", &p->avg_s);
		dur_after(s, end, "Elapsed:", &p->elapsed_s);
	} else if (starts(s, end, "Total time:")) {
		p->shape = CT_PROG_TOTAL;
		dur_after(s, end, "Total time:", &p->total_s);
		if (!dur_after(s, end, "Average per asset:", &p->avg_s))
			dur_after(s, end, "Average:", &p->avg_s);
	} else if (pair_at(s, end, &(int64_t){ 0 }, &(int64_t){ 0 }) && after(s, end, "relative")) {
		p->shape = CT_PROG_RELATIVE;
		parse_relative(s, end, p);
	} else {
		p->shape = CT_PROG_FALLBACK;
		parse_fallback(s, end, p);
	}
	return p->shape;
}

static void set_int(json_t *o, const char *k, int64_t v)
{
	if (v >= 0)
		json_object_set_new(o, k, json_integer(v));
}

static void set_real(json_t *o, const char *k, double v)
{
	if (isfinite(v))
		json_object_set_new(o, k, json_real(v));
}

json_t *progress__to_json(const struct ct_progress *p)
{
	json_t *o = json_pack("{ss}", "shape", ct_prog_shape_names[p->shape]);

	set_int(o, "done", p->done);
	set_int(o, "total", p->total);
	set_int(o, "abs_done", p->abs_done);
	set_int(o, "abs_total", p->abs_total);
	set_int(o, "skipped", p->skipped);
	set_real(o, "pct", p->pct);
	set_real(o, "avg_s", p->avg_s);
	set_real(o, "elapsed_s", p->elapsed_s);
	set_real(o, "remaining_s", p->remaining_s);
	set_real(o, "est_total_s", p->est_total_s);
	set_real(o, "total_s", p->total_s);
	return o;
}

static int64_t get_int(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static double get_real(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

void progress__from_json(const json_t *o, struct ct_progress *p)
{
	const char *shape = json_string_value(json_object_get(o, "shape"));

	p->shape = CT_PROG_FALLBACK;
	for (int i = CT_PROG_RELATIVE; shape && i <= CT_PROG_FALLBACK; i++)
		if (!strcmp(shape, ct_prog_shape_names[i]))
			p->shape = i;
	p->done = get_int(o, "done");
	p->total = get_int(o, "total");
	p->abs_done = get_int(o, "abs_done");
	p->abs_total = get_int(o, "abs_total");
	p->skipped = get_int(o, "skipped");
	p->pct = get_real(o, "pct");
	p->avg_s = get_real(o, "avg_s");
	p->elapsed_s = get_real(o, "elapsed_s");
	p->remaining_s = get_real(o, "remaining_s");
	p->est_total_s = get_real(o, "est_total_s");
	p->total_s = get_real(o, "total_s");
}
