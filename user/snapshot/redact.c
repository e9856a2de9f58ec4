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
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "redact.h"

const char *const ct_redact_tokens[CT_RED_NR] = {
	[CT_RED_URL] = "URL", [CT_RED_EMAIL] = "USER", [CT_RED_ID] = "ID", [CT_RED_IP] = "IP",
	[CT_RED_SECRET] = "SECRET", [CT_RED_HOST] = "HOST", [CT_RED_MAC] = "MAC",
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

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

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

/* Where a value that is not a quoted string ends: whitespace, quotes and list punctuation. */
static bool is_delim(char c)
{
	return (unsigned char)c <= ' ' || strchr("\"'`,;&<>)]}", c);
}

/* A run of characters up to a delimiter. */
static size_t run_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && !is_delim(*p))
		p++;
	return (size_t)(p - s);
}

/*
 * Ends trimmed back to the last letter or digit. Every replaced value ends in one, as every
 * token does (USER_3), so whether a match may start right after it is the same on redacted
 * text as on the original: that keeps redacting twice the same as redacting once.
 */
static const char *trim_to_alnum(const char *s, const char *p)
{
	while (p > s && !is_alnum(p[-1]))
		p--;
	return p;
}

/* A token this redactor writes: KIND_N with a known KIND. */
static bool is_token(const char *s, size_t n)
{
	for (int k = 0; k < CT_RED_NR; k++) {
		size_t kl = strlen(ct_redact_tokens[k]), i;

		if (n < kl + 2 || memcmp(s, ct_redact_tokens[k], kl) || s[kl] != '_')
			continue;
		for (i = kl + 1; i < n && is_digit(s[i]); i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static bool ieq(const char *s, const char *lit, size_t n)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

static bool ends_with_i(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && !strncasecmp(s + n - l, lit, l);
}

/* Top-level domains that mark a host name; words that end sentences or files are left out. */
static bool known_tld(const char *s, size_t n)
{
	static const char *const tld[] = {
		"com", "org", "net", "io", "dev", "app", "ai", "co", "uk", "de", "fr", "nl", "eu",
		"ca", "au", "jp", "cn", "ru", "ch", "se", "fi", "es", "pl", "cz", "dk", "local",
		"internal", "lan", "corp", "intranet", "localdomain", "cloud", "info", "biz", "xyz",
	};

	for (size_t i = 0; i < sizeof(tld) / sizeof(tld[0]); i++)
		if (strlen(tld[i]) == n && !memcmp(s, tld[i], n))
			return true;
	return false;
}

/*
 * What a match does: replace [vs, vs+vn) of its n characters by a token of @kind, or, when the
 * value is already a token (a line redacted before), keep all n as they are.
 */
#define KIND_KEEP (-1)
struct hit {
	size_t n, vs, vn;
	int kind;
};

/* The value v[0..vn) of a match from @base to @end becomes a token of @kind, unless it is one. */
static size_t hit_value(struct hit *h, const char *base, const char *v, size_t vn, const char *end,
			int kind)
{
	h->vs = (size_t)(v - base);
	h->vn = vn;
	h->n = (size_t)(end - base);
	h->kind = is_token(v, vn) ? KIND_KEEP : kind;
	return h->n;
}

/* Keys whose value is a credential: what a key ends with, in any letter case. */
static bool secret_key(const char *s, size_t n)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "token", "apikey", "api_key", "api-key",
		"access_key", "accesskey", "private_key", "privatekey", "credential",
		"credentials", "authorization", "cookie",
	};

	char last = (char)(s[n - 1] | 0x20);

	if (!strchr("dtnyles", last)) /* what the words end with: most keys end otherwise */
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ends_with_i(s, n, words[i]))
			return true;
	return false;
}

/*
 * KEY=VALUE, KEY: VALUE, "KEY": "VALUE" where KEY ends in a credential word (DB_PASSWORD=,
 * x-api-key:, Cookie:, Authorization: Bearer ...). The value goes; key and quotes stay.
 */
static size_t key_value(const char *s, const char *end, struct hit *h, const char **dead)
{
	const char *p = s, *k, *v, *ve;
	char q = 0;
	size_t kn;

	if (*p == '"' || *p == '\'')
		q = *p++;
	else if (p < *dead)
		return 0;
	k = p;
	while (p < end && (is_alnum(*p) || *p == '_' || *p == '.' || *p == '-'))
		p++;
	kn = (size_t)(p - k);
	if (!kn || !is_alnum(*k))
		return 0;
	/*
	 * Every later start inside this run ends where it ends, with the same suffix and the same
	 * separator: when it fails for what stands at or after its end, they fail too. Skipping
	 * them keeps a line of dashed words linear.
	 */
	if (!q)
		*dead = p;
	if (!secret_key(k, kn))
		return 0;
	if (q && (p >= end || *p++ != q))
		return 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || (*p != '=' && *p != ':'))
		return 0;
	/* "==" and "::" are one separator (token == x, Token::Kind): what follows is the value */
	p += p + 1 < end && p[1] == *p ? 2 : 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));

		if (close && close > p + 1)
			return hit_value(h, s, p + 1, (size_t)(close - p - 1), close,
					 CT_RED_SECRET);
		p++;
	}
	/* An Authorization value starts with its scheme (Bearer, Basic): the scheme stays. */
	if (ends_with_i(k, kn, "authorization")) {
		const char *w = p;

		while (w < end && is_alpha(*w))
			w++;
		if (w > p && w < end && *w == ' ') {
			const char *x = w;

			while (x < end && *x == ' ')
				x++;
			if (x < end && !is_delim(*x))
				p = x;
		}
	}
	v = p;
	if (ends_with_i(k, kn, "cookie")) {
		/* a=b; c=d: the whole header, up to a quote or the line's end */
		for (ve = v; ve < end && *ve != '"' && *ve != '\'' && *ve != '`'; ve++)
			;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
			ve--;
	} else {
		ve = v + run_len(v, end);
	}
	return ve > v ? hit_value(h, s, v, (size_t)(ve - v), ve, CT_RED_SECRET) : 0;
}

/* "Bearer X" and "Basic X" outside a header: X is everything up to a delimiter. */
static size_t auth_scheme(const char *s, const char *end, struct hit *h)
{
	const char *p = s, *v;
	size_t vn;
	bool basic;

	while (p < end && is_alpha(*p))
		p++;
	basic = ieq(s, "basic", (size_t)(p - s));
	if (!(basic || ieq(s, "bearer", (size_t)(p - s))) || p >= end || *p != ' ')
		return 0;
	while (p < end && *p == ' ')
		p++;
	v = p;
	vn = run_len(v, end);
	if (!vn)
		return 0;
	/* "Basic X" only when X is base64 of a user:password, not a word ("Basic tests"). */
	if (basic && !is_token(v, vn)) {
		if (vn < 8 || vn % 4)
			return 0;
		for (size_t i = 0; i < vn; i++)
			if (!is_alnum(v[i]) && !strchr("+/=", v[i]))
				return 0;
	}
	return hit_value(h, s, v, vn, v + vn, CT_RED_SECRET);
}

/* Characters from @chars (plus letters and digits) starting at @p. */
static size_t span_of(const char *p, const char *end, const char *chars)
{
	const char *q = p;

	while (q < end && (is_alnum(*q) || (*q && strchr(chars, *q))))
		q++;
	return (size_t)(q - p);
}

/* Whether a token this redactor writes (URL_2) stands anywhere in s[0..n). */
static bool holds_token(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '_' && is_digit(s[i + 1]) && i > 0 && s[i - 1] >= 'A' && s[i - 1] <= 'Z')
			for (int k = 0; k < CT_RED_NR; k++) {
				size_t kl = strlen(ct_redact_tokens[k]);

				if (i >= kl && !memcmp(s + i - kl, ct_redact_tokens[k], kl))
					return true;
			}
	return false;
}

/*
 * PREFIX then at least @min characters of @chars (and letters and digits), ending in a letter
 * or digit. A run that holds a token is none: it was a shorter run around a value that went.
 */
static size_t prefixed(const char *s, const char *end, const char *prefix, const char *chars,
		       size_t min)
{
	size_t pl = strlen(prefix), n;
	const char *e;

	if ((size_t)(end - s) <= pl || memcmp(s, prefix, pl))
		return 0;
	n = span_of(s + pl, end, chars);
	e = trim_to_alnum(s + pl, s + pl + n);
	/* glued to '_' it may be the front of a token (xoxb-x-SECRET_1) */
	if ((size_t)(e - s) < pl + min || holds_token(s + pl, n) ||
	    (s + pl + n < end && s[pl + n] == '_'))
		return 0;
	return (size_t)(e - s);
}

/* Tokens of well-known services by their shape: AWS key ids, GitHub, GitLab, Slack, JWTs. */
static size_t token_shape(const char *s, const char *end)
{
	size_t left = (size_t)(end - s), n;
	const char *p = s;

	if (*s != 'A' && *s != 'g' && *s != 'x' && *s != 'e')
		return 0;
	if (left >= 20 && (!memcmp(s, "AKIA", 4) || !memcmp(s, "ASIA", 4))) {
		for (n = 4; n < 20 && ((s[n] >= 'A' && s[n] <= 'Z') || is_digit(s[n])); n++)
			;
		return n == 20 && (left == 20 || !(is_alnum(s[20]) || s[20] == '_')) ? 20 : 0;
	}
	if (left > 4 && s[0] == 'g' && s[1] == 'h' && s[2] && strchr("pousr", s[2]) && s[3] == '_') {
		n = span_of(s + 4, end, "");
		return n >= 30 && (4 + n == left || s[4 + n] != '_') ? 4 + n : 0;
	}
	if ((n = prefixed(s, end, "github_pat_", "_", 22)) || (n = prefixed(s, end, "glpat-", "_-", 20)))
		return n;
	for (const char *x = "abprs"; *x; x++) {
		char pre[6] = { 'x', 'o', 'x', *x, '-', 0 };

		if ((n = prefixed(s, end, pre, "-", 10)))
			return n;
	}
	if (left <= 3 || memcmp(s, "eyJ", 3))
		return 0;
	/* a JWT: three base64url parts joined by dots */
	for (int part = 0; part < 3; part++) {
		n = span_of(p, end, "_-");
		if (n < (part < 2 ? 10u : 1u) || holds_token(p, n))
			return 0;
		p += n;
		if (part < 2 && (p >= end || *p++ != '.'))
			return 0;
	}
	return (size_t)(trim_to_alnum(s, p) - s);
}

/* scheme://rest, up to a space or quote; what ends it that is not a letter or digit is the sentence's. */
static size_t url_len(const char *s, const char *end)
{
	const char *p = s, *q;

	if (p >= end || !is_alpha(*p))
		return 0;
	while (p < end && p - s < 16 && (is_alnum(*p) || *p == '+' || *p == '-' || *p == '.'))
		p++;
	if (end - p < 4 || memcmp(p, "://", 3) || p[3] == ' ')
		return 0;
	for (q = p + 3; q < end && (unsigned char)*q > ' ' && !strchr("\"'<>`", *q); q++)
		;
	q = trim_to_alnum(p + 3, q);
	return q > p + 3 ? (size_t)(q - s) : 0;
}

static bool local_char(char c)
{
	return is_alnum(c) || (c && strchr("._%+-", c));
}

/*
 * label.label...: its length when the last label is two letters or more, else 0. Where the run
 * of labels stops goes to *@stop when @stop is not NULL.
 */
static size_t domain_scan(const char *p, const char *end, const char **stop)
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
	if (stop)
		*stop = q;
	if (labels < 2 || q - last < 2 || (q < end && *q == '_'))
		return 0;
	for (const char *c = last; c < q; c++)
		if (is_digit(*c))
			return 0;
	return (size_t)(q - p);
}

static size_t domain_len(const char *p, const char *end)
{
	return domain_scan(p, end, NULL);
}

/* A login's host without a domain: a name starting with a letter (user@buildhost), or IPv4. */
static size_t ipv4_len(const char *s, const char *end);
static size_t login_host_len(const char *p, const char *end)
{
	size_t n;

	/* not one glued to '_' (IP_1 is a token, not a host) */
	if (p < end && is_alpha(*p)) {
		n = span_of(p, end, "-");
		return p + n < end && p[n] == '_' ? 0 : n;
	}
	return ipv4_len(p, end);
}

/*
 * local@host: e-mail addresses and user@host logins. The run of address characters it starts
 * ("a@b.org@c.org", "a@b.org.x@y") is taken whole, so no part of it is left behind; what ends
 * it that is not a letter or digit is the sentence's. *@run_end is where the local part's run
 * ends: a try from inside that run would fail the same way.
 */
static size_t email_len(const char *s, const char *end, const char **run_end)
{
	const char *p = s;

	while (p < end && local_char(*p))
		p++;
	*run_end = p;
	if (p == s || p >= end || *p != '@')
		return 0;
	/* user@host without a domain: a login, so the user is a name that starts with a letter */
	if (!domain_len(p + 1, end) && (!login_host_len(p + 1, end) || !is_alpha(*s)))
		return 0;
	while (p < end && (local_char(*p) || *p == '@'))
		p++;
	return (size_t)(trim_to_alnum(s, p) - s);
}

/* /home/NAME and /Users/NAME: the user's name goes, the path stays. */
static size_t home_dir(const char *s, const char *end, struct hit *h)
{
	size_t pre = end - s > 6 && !memcmp(s, "/home/", 6) ? 6 :
		     end - s > 7 && !memcmp(s, "/Users/", 7) ? 7 : 0;
	const char *v = s + pre, *ve;

	if (!pre || !is_alnum(*v))
		return 0;
	/* a name that starts with a token was redacted already (/home/IP_1..: an address) */
	if (is_token(v, span_of(v, end, "_")))
		return 0;
	ve = trim_to_alnum(v, v + span_of(v, end, "._-"));
	return hit_value(h, s, v, (size_t)(ve - v), ve, CT_RED_EMAIL);
}

/* 8-4-4-4-12 hex digits, or 32 hex digits in a row. */
static size_t uuid_len(const char *s, const char *end)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	const char *p = s;
	size_t n = 0;

	while (s + n < end && n <= 32 && is_hex(s[n]))
		n++;
	if (n == 32)
		return s + n < end && (is_alnum(s[n]) || s[n] == '_' || s[n] == '-') ? 0 : 32;
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

/* Six hex pairs joined by ':' or by '-', not part of a longer run (an IPv6 address). */
static size_t mac_len(const char *s, const char *end)
{
	char sep;

	if (end - s < 17 || (s[2] != ':' && s[2] != '-'))
		return 0;
	sep = s[2];
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != sep : !is_hex(s[i]))
			return 0;
	if (end - s > 17 && (is_alnum(s[17]) || s[17] == '_' || s[17] == ':' || s[17] == '-'))
		return 0;
	return 17;
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

/*
 * A host name by its top-level domain (ci.example.com, immich.local). Followed by a path it is
 * a URL without a scheme (www.example.org/x?token=..., github.com/org/repo): *@url says so.
 */
static size_t host_name(const char *s, const char *end, bool *url, const char **dead)
{
	bool www = end - s > 4 && !memcmp(s, "www.", 4);
	const char *last, *p;
	size_t n;

	*url = false;
	/* a label starts with a letter or digit: "-x.io" is '-' and then a host */
	if (!is_alnum(*s))
		return 0;
	/*
	 * A later start inside a run of labels ends where it ends, with the same last label and
	 * what follows: it fails as the first did (unless it says www.).
	 */
	if (s < *dead && !www)
		return 0;
	if (!(n = domain_scan(s, end, dead)))
		return 0;
	for (last = s + n; last > s && last[-1] != '.';)
		last--;
	if (!www && !known_tld(last, (size_t)(s + n - last)))
		return 0;
	p = s + n;
	if (p < end && (is_alnum(*p) || *p == '@' || *p == '-' || *p == '%' || *p == '+'))
		return 0;
	if (p + 1 < end && *p == ':' && is_digit(p[1])) {
		/* host:port stays a host, the port kept; host:port/path is a URL */
		p += 1 + span_of(p + 1, end, "");
		if (p >= end || *p != '/')
			return n;
	}
	if (p < end && (*p == '/' || *p == '?')) {
		const char *q = p;

		while (q < end && (unsigned char)*q > ' ' && !strchr("\"'<>`", *q))
			q++;
		q = trim_to_alnum(s, q);
		*url = true;
		return (size_t)(q - s);
	}
	return n;
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

/* Where tries from inside a run already seen would fail the same way: they are skipped. */
struct scan {
	const char *line, *end;
	const char *email_dead, *v6_dead, *key_dead, *host_dead;
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

/*
 * Whether address characters from @p run into an '@': a value there is the start of an e-mail
 * or a login ("3f2a...-1@host"), whose own rule decides; taken alone it would leave a token
 * that turns the rest into a login the next time round.
 */
static bool glued(const char *p, const char *end)
{
	for (; p < end && (local_char(*p) || *p == '@'); p++)
		if (*p == '@')
			return true;
	return false;
}

static size_t whole(struct hit *h, int kind, size_t n)
{
	*h = (struct hit){ .n = n, .vs = 0, .vn = n, .kind = kind };
	return n;
}

/*
 * The match starting at @p; 0 if none. Credentials come first (a password may look like an
 * address), then URLs taken whole with anything inside them, then the rest.
 */
static size_t match_at(struct scan *sc, const char *p, struct hit *h)
{
	char prev = p > sc->line ? p[-1] : ' ';
	const char *run_end;
	bool url;
	size_t n;

	/* A quoted key ("password": ...) is a key whatever stands before its quote. */
	if (*p == '"' || *p == '\'')
		return key_value(p, sc->end, h, &sc->key_dead);
	if (is_alnum(prev) || prev == '_')
		return 0;
	if (key_value(p, sc->end, h, &sc->key_dead) || auth_scheme(p, sc->end, h))
		return h->n;
	if ((n = token_shape(p, sc->end)) && !glued(p + n, sc->end))
		return whole(h, CT_RED_SECRET, n);
	if ((n = url_len(p, sc->end)))
		return whole(h, CT_RED_URL, n);
	if (p >= sc->email_dead) {
		if ((n = email_len(p, sc->end, &run_end)))
			return whole(h, CT_RED_EMAIL, n);
		sc->email_dead = run_end;
	}
	if (*p == '/')
		return home_dir(p, sc->end, h) && !glued(p + h->n, sc->end) ? h->n : 0;
	/* Neither inside a run of hex digits and colons: that run is an IPv6 address's or none's. */
	if (prev != ':' && (n = uuid_len(p, sc->end)) && !glued(p + n, sc->end) &&
	    (p + n >= sc->end || p[n] != ':'))
		return whole(h, CT_RED_ID, n);
	if (prev != ':' && (n = mac_len(p, sc->end)) && !glued(p + n, sc->end))
		return whole(h, CT_RED_MAC, n);
	if (!local_char(prev) && (n = try_ip(sc, p)))
		return whole(h, CT_RED_IP, n);
	/*
	 * A URL runs to the next space or quote, less the sentence's punctuation at its end: an
	 * '@' there ("...x@%") starts no e-mail once the URL is a token, so it does not stop one.
	 */
	if ((n = host_name(p, sc->end, &url, &sc->host_dead)) && (url || !glued(p + n, sc->end)))
		return whole(h, url ? CT_RED_URL : CT_RED_HOST, n);
	return 0;
}

void redact__line(struct redactor *r, const char *line, size_t len, struct ct_buf *out)
{
	const char *end = line + len, *p = line, *copied = line;
	struct scan sc = { .line = line, .end = end, .email_dead = line, .v6_dead = line,
			   .key_dead = line, .host_dead = line };

	while (p < end) {
		struct hit h = { 0 };

		if (!match_at(&sc, p, &h)) {
			p++;
			continue;
		}
		if (h.kind != KIND_KEEP) {
			ct_buf_add(out, copied, (size_t)(p + h.vs - copied));
			emit(r, h.kind, p + h.vs, h.vn, out);
			copied = p + h.vs + h.vn;
		}
		p += h.n;
	}
	ct_buf_add(out, copied, (size_t)(end - copied));
}
