// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Hand-written matchers rather than regex(3): one pass over each line, a match tried only
 * where a token can start, so a log of hundreds of MB goes through at disk speed.
 * Order matters: a URL is taken whole (with any address or id inside it) before the others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "redact.h"

const char *const ct_redact_tokens[CT_RED_NR] = {
	[CT_RED_URL] = "URL", [CT_RED_EMAIL] = "USER", [CT_RED_ID] = "ID", [CT_RED_IP] = "IP"
};

struct slot {
	uint64_t hash; /* 0: empty */
	uint32_t token;
	uint8_t kind;
};

struct redactor {
	uint64_t salt;
	struct slot *slots;
	size_t cap, used;
	uint32_t next[CT_RED_NR];
	uint64_t written[CT_RED_NR];
};

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * FNV-1a over salt, kind and value; never 0 (0 marks an empty slot). Ids, e-mail addresses and
 * IPv6 addresses are the same value in any letter case; URLs are not.
 */
static uint64_t hash_of(uint64_t salt, int kind, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 8; i++)
		h = (h ^ ((salt >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)kind) * 0x100000001b3ULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (kind != CT_RED_URL && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 0x100000001b3ULL;
	}
	return h ? h : 1;
}

static struct slot *lookup(struct redactor *r, uint64_t h)
{
	size_t i = h & (r->cap - 1);

	while (r->slots[i].hash && r->slots[i].hash != h)
		i = (i + 1) & (r->cap - 1);
	return &r->slots[i];
}

static void grow(struct redactor *r)
{
	struct slot *old = r->slots;
	size_t ocap = r->cap;

	r->cap = ocap ? ocap * 2 : 1024;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	if (!r->slots)
		abort();
	for (size_t i = 0; i < ocap; i++)
		if (old[i].hash)
			*lookup(r, old[i].hash) = old[i];
	free(old);
}

static void insert(struct redactor *r, uint64_t h, int kind, uint32_t token)
{
	struct slot *s;

	if ((r->used + 1) * 2 > r->cap)
		grow(r);
	s = lookup(r, h);
	if (!s->hash)
		r->used++;
	*s = (struct slot){ .hash = h, .token = token, .kind = (uint8_t)kind };
	if (token > r->next[kind])
		r->next[kind] = token;
}

struct redactor *redact__new(void)
{
	struct redactor *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	if (getrandom(&r->salt, sizeof(r->salt), 0) != sizeof(r->salt))
		r->salt = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	grow(r);
	return r;
}

void redact__free(struct redactor *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

int redact__load(struct redactor *r, int dirfd, const char *path)
{
	unsigned long long salt, h;
	unsigned kind, token;
	char line[128];
	int lineno = 1;
	struct stat st;
	FILE *f;

	if (faccessat(dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW))
		return -errno;
	f = safe__fopen_input(dirfd, path, true, "redaction state", &st);
	if (!f)
		return -EINVAL;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "contrace-redact v1 %llx", &salt) != 1)
		goto bad;
	r->salt = salt;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (sscanf(line, "%u %llx %u", &kind, &h, &token) != 3 || kind >= CT_RED_NR || !h ||
		    !token)
			goto bad;
		insert(r, h, (int)kind, token);
	}
	fclose(f);
	memset(r->written, 0, sizeof(r->written));
	return 0;
bad:
	fprintf(stderr, "contrace: %s:%d: not a redaction state line\n", path, lineno);
	fclose(f);
	return -EINVAL;
}

int redact__save(const struct redactor *r, const struct safedir *d, const char *path)
{
	struct ct_buf b = { 0 };
	int err;

	ct_buf_printf(&b, "contrace-redact v1 %016llx\n", (unsigned long long)r->salt);
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].hash)
			ct_buf_printf(&b, "%u %016llx %u\n", r->slots[i].kind,
				      (unsigned long long)r->slots[i].hash, r->slots[i].token);
	err = safedir__write(d, path, b.p, b.len, 0600);
	ct_buf_free(&b);
	return err;
}

uint64_t redact__written(const struct redactor *r, enum ct_redact_kind k)
{
	return r->written[k];
}

uint64_t redact__distinct(const struct redactor *r, enum ct_redact_kind k)
{
	return r->next[k];
}

/* scheme://rest, up to a space or quote; trailing punctuation is the sentence's. */
static size_t url_len(const char *s, const char *end)
{
	const char *p = s, *q;

	if (p >= end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while (p < end && p - s < 16 && (is_alnum(*p) || *p == '+' || *p == '-' || *p == '.'))
		p++;
	if (end - p < 4 || memcmp(p, "://", 3) || p[3] == ' ')
		return 0;
	for (q = p + 3; q < end && (unsigned char)*q > ' ' && !strchr("\"'<>`", *q); q++)
		;
	while (q > p + 3 && strchr(".,;:!?)]}", q[-1]))
		q--;
	return q > p + 3 ? (size_t)(q - s) : 0;
}

static bool local_char(char c)
{
	return is_alnum(c) || (c && strchr("._%+-", c));
}

/* label.label...: its length when the last label is two letters or more, else 0. */
static size_t domain_len(const char *p, const char *end)
{
	const char *last = NULL, *q;
	int labels = 0;

	for (q = p;;) {
		const char *l = q;

		while (q < end && (is_alnum(*q) || *q == '-'))
			q++;
		if (q == l)
			break;
		labels++;
		last = l;
		if (q + 1 < end && *q == '.' && is_alnum(q[1]))
			q++;
		else
			break;
	}
	if (labels < 2 || q - last < 2 || (q < end && *q == '_'))
		return 0;
	for (const char *c = last; c < q; c++)
		if (is_digit(*c))
			return 0;
	return (size_t)(q - p);
}

/*
 * local@domain. The run of address characters it starts ("a@b.org@c.org", "a@b.org.x@y")
 * is taken whole, so no part of it is left behind; a final '.' is the sentence's. *@run_end
 * is where the local part's run ends: a try from inside that run would fail the same way.
 */
static size_t email_len(const char *s, const char *end, const char **run_end)
{
	const char *p = s;

	while (p < end && local_char(*p))
		p++;
	*run_end = p;
	if (p == s || p >= end || *p != '@' || !domain_len(p + 1, end))
		return 0;
	while (p < end && (local_char(*p) || *p == '@'))
		p++;
	while (p[-1] == '.')
		p--;
	return (size_t)(p - s);
}

/* 8-4-4-4-12 hex digits. */
static size_t uuid_len(const char *s, const char *end)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	const char *p = s;

	if (end - s < 36)
		return 0;
	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, p++)
			if (!is_hex(*p))
				return 0;
		if (g < 4 && *p++ != '-')
			return 0;
	}
	return p < end && (is_alnum(*p) || *p == '-') ? 0 : 36;
}

/* Four decimal octets 0..255, not part of a longer dotted number. */
static size_t ipv4_len(const char *s, const char *end)
{
	const char *p = s;

	for (int o = 0; o < 4; o++) {
		int v = 0, d = 0;

		while (p < end && is_digit(*p) && d < 4) {
			v = v * 10 + (*p++ - '0');
			d++;
		}
		if (!d || d > 3 || v > 255)
			return 0;
		if (o < 3 && (p >= end || *p++ != '.'))
			return 0;
	}
	if (p < end && (is_alnum(*p) || (*p == '.' && p + 1 < end && is_digit(p[1]))))
		return 0;
	return (size_t)(p - s);
}

/* Hex groups and colons: eight groups, or fewer with one "::". Times (12:30:45) do not match. */
static size_t ipv6_len(const char *s, const char *end)
{
	const char *p = s;
	int groups = 0, colons = 0, dbl = 0, glen = 0;

	for (; p < end && (is_hex(*p) || *p == ':'); p++) {
		if (*p != ':') {
			if (++glen > 4)
				return 0;
			continue;
		}
		if (p > s && p[-1] == ':')
			dbl++;
		else if (glen)
			groups++;
		glen = 0;
		colons++;
	}
	if (glen)
		groups++;
	if (p < end && (is_alnum(*p) || (*p == '.' && p + 1 < end && is_alnum(p[1]))))
		return 0;
	if (colons < 2 || dbl > 1 || groups > 8 || !groups)
		return 0;
	if (!dbl && (groups != 8 || colons != 7))
		return 0;
	/* A single trailing colon is punctuation ("at fe80::1: refused"); "fe80::" keeps its pair. */
	if (p[-1] == ':' && p[-2] != ':')
		p--;
	return (size_t)(p - s);
}

static void emit(struct redactor *r, int kind, const char *s, size_t n, struct ct_buf *out)
{
	uint64_t h = hash_of(r->salt, kind, s, n);
	struct slot *sl = lookup(r, h);
	char tok[32];
	int len;

	if (!sl->hash) {
		insert(r, h, kind, r->next[kind] + 1);
		sl = lookup(r, h);
	}
	len = snprintf(tok, sizeof(tok), "%s_%u", ct_redact_tokens[kind], sl->token);
	ct_buf_add(out, tok, (size_t)len);
	r->written[kind]++;
}

/* The longest match starting at @p, and its kind; 0 if none. */
/* Where tries from inside a run already seen would fail the same way: they are skipped. */
struct scan {
	const char *line, *end;
	const char *email_dead, *v6_dead;
};

static size_t try_ip(struct scan *sc, const char *p)
{
	const char *q = p;
	size_t n;

	if (!(n = ipv4_len(p, sc->end)) && p >= sc->v6_dead) {
		while (q < sc->end && (is_hex(*q) || *q == ':'))
			q++;
		/* 39 characters is the longest address; a longer run holds none. */
		if (q - p > 39)
			sc->v6_dead = q;
		else
			n = ipv6_len(p, sc->end);
	}
	if (!n)
		return 0;
	/* An address glued to an e-mail's characters ("fe80::1-x@y.org") is not one. */
	if (p + n < sc->end && (p[n] != '.' || (p + n + 1 < sc->end && is_alnum(p[n + 1]))) &&
	    local_char(p[n]))
		return 0;
	for (q = p + n; q < sc->end && (local_char(*q) || *q == '@'); q++)
		if (*q == '@')
			return 0;
	return n;
}

/* The match starting at @p, and its kind; 0 if none. */
static size_t match_at(struct scan *sc, const char *p, int *kind)
{
	char prev = p > sc->line ? p[-1] : ' ';
	const char *run_end;
	size_t n;

	if (is_alnum(prev) || prev == '_')
		return 0;
	if ((n = url_len(p, sc->end))) {
		*kind = CT_RED_URL;
		return n;
	}
	if (p >= sc->email_dead) {
		if ((n = email_len(p, sc->end, &run_end))) {
			*kind = CT_RED_EMAIL;
			return n;
		}
		sc->email_dead = run_end;
	}
	if ((n = uuid_len(p, sc->end))) {
		*kind = CT_RED_ID;
		return n;
	}
	if (local_char(prev) || !(n = try_ip(sc, p)))
		return 0;
	*kind = CT_RED_IP;
	return n;
}

void redact__line(struct redactor *r, const char *line, size_t len, struct ct_buf *out)
{
	const char *end = line + len, *p = line, *copied = line;
	struct scan sc = { .line = line, .end = end, .email_dead = line, .v6_dead = line };

	while (p < end) {
		int kind = 0;
		size_t n = match_at(&sc, p, &kind);

		if (!n) {
			p++;
			continue;
		}
		ct_buf_add(out, copied, (size_t)(p - copied));
		emit(r, kind, p, n, out);
		p += n;
		copied = p;
	}
	ct_buf_add(out, copied, (size_t)(end - copied));
}
