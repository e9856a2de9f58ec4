// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The JSON text writer, checked against jansson (the parser every reader of windows.jsonl
 * uses): what it writes must load, and load as the same values as jansson's own tree.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "jw.h"
#include "ut.h"

static json_t *load(const struct ct_buf *b)
{
	json_error_t err;
	json_t *v = json_loadb(b->p, b->len, JSON_DECODE_ANY, &err);

	CHECK(v, "jansson cannot load '%.*s': %s at %d", (int)b->len, b->p, err.text,
	      err.position);
	return v;
}

/* Write jansson value @v through the writer, as member @key. */
static void write_tree(struct jw *w, const char *key, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jw_obj(w, key);
		json_object_foreach((json_t *)v, k, x)
			write_tree(w, k, x);
		jw_end_obj(w);
		break;
	case JSON_ARRAY:
		jw_arr(w, key);
		json_array_foreach(v, i, x)
			write_tree(w, NULL, x);
		jw_end_arr(w);
		break;
	case JSON_STRING:
		jw_str(w, key, json_string_value(v));
		break;
	case JSON_INTEGER:
		jw_int(w, key, json_integer_value(v));
		break;
	case JSON_REAL:
		jw_real(w, key, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jw_bool(w, key, json_is_true(v));
		break;
	case JSON_NULL:
		jw_null(w, key);
		break;
	}
}

/* A random valid UTF-8 string of up to 12 code points, some of them escapes. */
static void random_text(char *s, size_t cap)
{
	static const uint32_t picks[] = { 0x00, 0x01, 0x08, 0x0a, 0x1f, '"', '\\', '/', 'a', 0x7f,
					  0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff,
					  0x10000, 0x10ffff };
	size_t n = 0, len = xorshift() % 13;

	for (size_t i = 0; i < len && n + 5 < cap; i++) {
		uint32_t c = xorshift() % 3 ? picks[xorshift() % 19] : 0x20 + xorshift() % 0x5f;

		if (c == 0)	/* a C string cannot hold NUL */
			c = 'z';
		if (c < 0x80) {
			s[n++] = (char)c;
		} else if (c < 0x800) {
			s[n++] = (char)(0xc0 | c >> 6);
			s[n++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			s[n++] = (char)(0xe0 | c >> 12);
			s[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			s[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			s[n++] = (char)(0xf0 | c >> 18);
			s[n++] = (char)(0x80 | (c >> 12 & 0x3f));
			s[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			s[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	s[n] = '\0';
}

static json_t *random_value(int depth)
{
	static const int64_t ints[] = { 0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN,
					1000000007, -999999999999LL };
	static const double reals[] = { 0.0, 1.0, -2.0, 0.1, 1e300, -1e-300, 123456789.125,
					1.0000549650000001, 5e-324 };
	char text[80];
	json_t *v;
	int kind = (int)(xorshift() % (depth < 4 ? 7 : 5));

	switch (kind) {
	case 0:
		return json_integer(xorshift() % 2 ? ints[xorshift() % 10] : (json_int_t)xorshift());
	case 1:
		return json_real(reals[xorshift() % 9]);
	case 2:
		random_text(text, sizeof(text));
		return json_string(text);
	case 3:
		return xorshift() % 2 ? json_boolean(xorshift() % 2) : json_null();
	case 4:
		return json_array();
	case 5:
		v = json_array();
		for (int i = (int)(xorshift() % 5); i > 0; i--)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (int i = (int)(xorshift() % 5); i > 0; i--) {
			random_text(text, sizeof(text));
			json_object_set_new(v, text, random_value(depth + 1));
		}
		return v;
	}
}

/* Random trees of every value type: written by the writer, loaded by jansson, equal. */
static void test_random_trees_load_equal(void)
{
	for (int t = 0; t < 3000; t++) {
		json_t *tree = random_value(0), *back;
		struct ct_buf b = { 0 };
		struct jw w;

		jw_init(&w, &b);
		write_tree(&w, NULL, tree);
		CHECK(w.depth == 0, "tree %d: depth %d after writing", t, w.depth);
		back = load(&b);
		if (back && !json_equal(tree, back)) {
			char *want = json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY);

			CHECK(false, "tree %d: wrote %s, jansson writes %s", t, b.p, want);
			free(want);
		}
		json_decref(back);
		json_decref(tree);
		ct_buf_free(&b);
	}
}

/* Exact text for the cases readers see most: a window's separators, integers, reals. */
static void test_exact_text(void)
{
	struct ct_buf b = { 0 };
	struct jw w;

	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_int(&w, "a", INT64_MIN);
	jw_int(&w, "b", 0);
	jw_real(&w, "c", 1.0);
	jw_real(&w, "d", 1e22);
	jw_real(&w, "e", NAN);
	jw_arr(&w, "f");
	jw_arr(&w, NULL);
	jw_end_arr(&w);
	jw_obj(&w, NULL);
	jw_end_obj(&w);
	jw_bool(&w, NULL, false);
	jw_end_arr(&w);
	jw_str(&w, "g", "tab\there \"q\" \\ \x01 \x7f /");
	jw_end_obj(&w);
	CHECK(!strcmp(b.p, "{\"a\":-9223372036854775808,\"b\":0,\"c\":1.0,\"d\":1e+22,\"e\":null,"
			   "\"f\":[[],{},false],\"g\":\"tab\\there \\\"q\\\" \\\\ \\u0001 \x7f /\"}"),
	      "got %s", b.p);
	ct_buf_free(&b);
}

/* Bytes that are not UTF-8 become U+FFFD one by one; valid sequences around them stay. */
static void test_invalid_utf8_replaced(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong NUL */
		{ "\xe0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* a surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },		/* cut short */
		{ "\xc3\xa9\x80\xf0\x9f\x98\x80", "\xc3\xa9\xef\xbf\xbd\xf0\x9f\x98\x80" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ct_buf b = { 0 };
		struct jw w;
		json_t *v;

		jw_init(&w, &b);
		jw_str(&w, NULL, cases[i].in);
		v = load(&b);
		CHECK(v && json_is_string(v) && !strcmp(json_string_value(v), cases[i].want),
		      "case %zu: wrote %s", i, b.p);
		json_decref(v);
		ct_buf_free(&b);
	}
	/* Random bytes: always loads. */
	for (int t = 0; t < 20000; t++) {
		char s[16];
		size_t n = xorshift() % 15;
		struct ct_buf b = { 0 };
		struct jw w;
		json_t *v;

		for (size_t i = 0; i < n; i++)
			s[i] = (char)(1 + xorshift() % 255);
		s[n] = '\0';
		jw_init(&w, &b);
		jw_str(&w, NULL, s);
		v = load(&b);
		/* A valid string comes back byte for byte. */
		json_t *ref = json_string(s);

		if (ref && v)
			CHECK(json_equal(ref, v), "valid UTF-8 %s changed: %s", s, b.p);
		json_decref(ref);
		json_decref(v);
		ct_buf_free(&b);
	}
}

/* A histogram's sparse form written by the writer reads back through histo__add_json. */
static void test_histogram_round_trip(void)
{
	uint64_t h[CT_HIST_NBUCKETS] = { 0 }, back[CT_HIST_NBUCKETS] = { 0 };
	struct ct_buf b = { 0 };
	struct jw w;
	json_t *v;

	for (int i = 0; i < 200; i++)
		h[xorshift() % CT_HIST_NBUCKETS] += xorshift() % 1000000;
	jw_init(&w, &b);
	histo__write(&w, NULL, h);
	v = load(&b);
	CHECK(v && !histo__add_json(back, v), "sparse form rejected: %s", b.p);
	CHECK(!memcmp(h, back, sizeof(h)), "buckets differ after a round trip");
	json_decref(v);
	ct_buf_free(&b);
}

int main(void)
{
	ut_rng = 0x9e3779b97f4a7c15ULL;
	RUN(test_exact_text);
	RUN(test_random_trees_load_equal);
	RUN(test_invalid_utf8_replaced);
	RUN(test_histogram_round_trip);
	return UT_EXIT();
}
