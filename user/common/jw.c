// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "jw.h"

static void put(struct jw *w, const char *s, size_t n)
{
	ct_buf_add(w->b, s, n);
}

static void putc_(struct jw *w, char c)
{
	ct_buf_add(w->b, &c, 1);
}

/* Bytes of the valid UTF-8 sequence at @s (at most @n bytes), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* a continuation byte, an overlong lead (C0, C1) or past U+10FFFF */
	if (len > n)
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void put_string(struct jw *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), run = 0;

	putc_(w, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c >= 0x20 && c != '"' && c != '\\' ? utf8_len(s + i, n - i) : 0;
		char esc[6];

		if (len) {
			i += len;
			run += len;
			continue;
		}
		put(w, (const char *)s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c < 0x20) {
			const char *shortform = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" :
						c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;

			if (shortform) {
				put(w, shortform, 2);
			} else {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				put(w, esc, 6);
			}
		} else {
			put(w, "\xef\xbf\xbd", 3);	/* not UTF-8: U+FFFD, one per byte */
		}
		i++;
	}
	put(w, (const char *)s + n - run, run);
	putc_(w, '"');
}

/* The comma before a value (unless it is the first at its depth) and its key in an object. */
static void member(struct jw *w, const char *key)
{
	if (w->more[w->depth])
		putc_(w, ',');
	w->more[w->depth] = true;
	if (key) {
		put_string(w, key);
		putc_(w, ':');
	}
}

void jw_init(struct jw *w, struct ct_buf *b)
{
	*w = (struct jw){ .b = b };
}

static void open_(struct jw *w, const char *key, char c)
{
	member(w, key);
	if (w->depth == JW_DEPTH)
		abort();
	putc_(w, c);
	w->more[++w->depth] = false;
}

static void close_(struct jw *w, char c)
{
	if (w->depth == 0)
		abort();
	w->depth--;
	putc_(w, c);
}

void jw_obj(struct jw *w, const char *key)
{
	open_(w, key, '{');
}

void jw_arr(struct jw *w, const char *key)
{
	open_(w, key, '[');
}

void jw_end_obj(struct jw *w)
{
	close_(w, '}');
}

void jw_end_arr(struct jw *w)
{
	close_(w, ']');
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	member(w, key);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	member(w, key);
	put_string(w, s);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	member(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	put(w, "null", 4);
}

void jw_real(struct jw *w, const char *key, double v)
{
	char buf[40];
	int n;

	if (!isfinite(v)) {
		jw_null(w, key);
		return;
	}
	member(w, key);
	n = snprintf(buf, sizeof(buf) - 2, "%.17g", v);
	/* "C" locale assumed, as the rest of the recorder's output */
	if (!strpbrk(buf, ".e")) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	put(w, buf, (size_t)n);
}

void jw_json(struct jw *w, const char *key, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (!s) {
		jw_null(w, key);
		return;
	}
	member(w, key);
	put(w, s, strlen(s));
	free(s);
}
