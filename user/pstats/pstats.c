// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pstats.h"

#define MAX_DEPTH	64
#define MAX_FILE	(256u << 20)
#define FLAG_REF	0x80

/* The marshal values a pstats file holds; anything else is kept as MV_OTHER. */
enum mv_type { MV_NULL, MV_OTHER, MV_INT, MV_FLOAT, MV_STR, MV_SEQ, MV_DICT };

struct mv {
	enum mv_type t;
	int64_t i;
	double d;
	char *s;
	struct mv **v;	/* MV_SEQ items; MV_DICT keys and values interleaved */
	size_t n;
};

/* Every allocation of one parse, freed together. */
struct arena {
	struct arena *next;
	char data[];
};

struct reader {
	const uint8_t *p, *end, *start;
	struct arena **arena;
	struct mv **refs;
	size_t nrefs, caprefs;
	char *why;
	size_t whylen;
};

static void *arena_alloc(struct arena **a, size_t len)
{
	struct arena *blk = calloc(1, sizeof(*blk) + len);

	if (!blk)
		return NULL;
	blk->next = *a;
	*a = blk;
	return blk->data;
}

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;

		free(a);
		a = next;
	}
}

static struct mv *fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->why, r->whylen, "at byte %zu: ", (size_t)(r->p - r->start));
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->whylen)
		vsnprintf(r->why + n, r->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return NULL;
}

static bool need(struct reader *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n;
}

static int32_t rd_i32(struct reader *r)
{
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
		     (uint32_t)r->p[3] << 24;

	r->p += 4;
	return (int32_t)v;
}

static struct mv *new_mv(struct reader *r, enum mv_type t)
{
	struct mv *v = arena_alloc(r->arena, sizeof(*v));

	if (!v)
		return fail(r, "out of memory");
	v->t = t;
	return v;
}

static bool add_ref(struct reader *r, struct mv *v)
{
	if (r->nrefs == r->caprefs) {
		size_t cap = r->caprefs ? r->caprefs * 2 : 256;
		struct mv **refs = realloc(r->refs, cap * sizeof(*refs));

		if (!refs)
			return false;
		r->refs = refs;
		r->caprefs = cap;
	}
	r->refs[r->nrefs++] = v;
	return true;
}

static struct mv *read_obj(struct reader *r, int depth);

/* Python's long: a signed count of 15-bit digits; pstats counts fit in 60 bits. */
static struct mv *read_long(struct reader *r, struct mv *v)
{
	int32_t n;
	uint64_t mag = 0;

	if (!need(r, 4))
		return fail(r, "truncated long");
	n = rd_i32(r);
	if (n < -4 || n > 4)
		return fail(r, "integer of %d digits is too large", n);
	if (!need(r, (size_t)abs(n) * 2))
		return fail(r, "truncated long");
	for (int k = 0; k < abs(n); k++) {
		uint64_t digit = (uint64_t)(r->p[0] | r->p[1] << 8);

		if (digit > 0x7fff)
			return fail(r, "bad long digit");
		mag |= digit << (15 * k);
		r->p += 2;
	}
	v->t = MV_INT;
	v->i = n < 0 ? -(int64_t)mag : (int64_t)mag;
	return v;
}

static struct mv *read_str(struct reader *r, struct mv *v, size_t len)
{
	if (!need(r, len))
		return fail(r, "truncated string of %zu bytes", len);
	v->s = arena_alloc(r->arena, len + 1);
	if (!v->s)
		return fail(r, "out of memory");
	memcpy(v->s, r->p, len);
	v->n = len;
	r->p += len;
	return v;
}

static struct mv *read_seq(struct reader *r, struct mv *v, size_t n, int depth)
{
	if (n > (size_t)(r->end - r->p))	/* every item takes at least a byte */
		return fail(r, "sequence of %zu items in %zu bytes", n, (size_t)(r->end - r->p));
	v->v = arena_alloc(r->arena, (n ? n : 1) * sizeof(*v->v));
	if (!v->v)
		return fail(r, "out of memory");
	for (v->n = 0; v->n < n; v->n++) {
		v->v[v->n] = read_obj(r, depth + 1);
		if (!v->v[v->n] || v->v[v->n]->t == MV_NULL)
			return v->v[v->n] ? fail(r, "NULL inside a sequence") : NULL;
	}
	return v;
}

static struct mv *read_dict(struct reader *r, struct mv *v, int depth)
{
	size_t cap = 0;

	for (;;) {
		struct mv *k = read_obj(r, depth + 1), *val;

		if (!k)
			return NULL;
		if (k->t == MV_NULL)
			return v;
		val = read_obj(r, depth + 1);
		if (!val)
			return NULL;
		if (val->t == MV_NULL)
			return fail(r, "dict key without a value");
		if (v->n + 2 > cap) {
			struct mv **items;

			cap = cap ? cap * 2 : 16;
			items = arena_alloc(r->arena, cap * sizeof(*items));
			if (!items)
				return fail(r, "out of memory");
			if (v->n)
				memcpy(items, v->v, v->n * sizeof(*items));
			v->v = items;
		}
		v->v[v->n++] = k;
		v->v[v->n++] = val;
	}
}

static struct mv *read_obj(struct reader *r, int depth)
{
	static struct mv null_mv = { .t = MV_NULL };
	struct mv *v;
	uint8_t code, type;
	bool flag;
	int32_t n;

	if (depth > MAX_DEPTH)
		return fail(r, "nested deeper than %d", MAX_DEPTH);
	if (!need(r, 1))
		return fail(r, "truncated");
	code = *r->p++;
	flag = code & FLAG_REF;
	type = code & (uint8_t)~FLAG_REF;
	if (type == '0')
		return &null_mv;
	if (type == 'r') {
		if (!need(r, 4))
			return fail(r, "truncated reference");
		n = rd_i32(r);
		if (n < 0 || (size_t)n >= r->nrefs)
			return fail(r, "reference %d to one of %zu objects", n, r->nrefs);
		return r->refs[n];
	}
	v = new_mv(r, MV_OTHER);
	/* Python reserves a referenced object's index before reading what it contains. */
	if (v && flag && !add_ref(r, v))
		return fail(r, "out of memory");
	if (!v)
		return NULL;
	switch (type) {
	case 'N': case 'F': case 'T': case 'S': case '.':
		return v;
	case 'i':
		if (!need(r, 4))
			return fail(r, "truncated int");
		v->t = MV_INT;
		v->i = rd_i32(r);
		return v;
	case 'l':
		return read_long(r, v);
	case 'g':
		if (!need(r, 8))
			return fail(r, "truncated float");
		v->t = MV_FLOAT;
		memcpy(&v->d, r->p, 8);	/* little-endian IEEE 754, as on every target here */
		r->p += 8;
		return v;
	case 'y':
		if (!need(r, 16))
			return fail(r, "truncated complex");
		r->p += 16;
		return v;
	case 's': case 't': case 'u': case 'a': case 'A':
		if (!need(r, 4))
			return fail(r, "truncated string length");
		n = rd_i32(r);
		if (n < 0)
			return fail(r, "negative string length");
		v->t = MV_STR;
		return read_str(r, v, (size_t)n);
	case 'z': case 'Z':
		if (!need(r, 1))
			return fail(r, "truncated string length");
		v->t = MV_STR;
		return read_str(r, v, *r->p++);
	case ')':
		if (!need(r, 1))
			return fail(r, "truncated tuple");
		v->t = MV_SEQ;
		return read_seq(r, v, *r->p++, depth);
	case '(': case '[': case '<': case '>':
		if (!need(r, 4))
			return fail(r, "truncated sequence length");
		n = rd_i32(r);
		if (n < 0)
			return fail(r, "negative sequence length");
		v->t = MV_SEQ;
		return read_seq(r, v, (size_t)n, depth);
	case '{':
		v->t = MV_DICT;
		return read_dict(r, v, depth);
	default:
		r->p--;
		return fail(r, "marshal type 0x%02x is not one a pstats file holds", type);
	}
}

static bool as_num(const struct mv *v, double *d)
{
	if (v->t == MV_FLOAT)
		*d = v->d;
	else if (v->t == MV_INT)
		*d = (double)v->i;
	else
		return false;
	return true;
}

/* One entry: (file, line, name) -> (cc, nc, tt, ct[, callers]). */
static int add_func(struct pstats *ps, const struct mv *k, const struct mv *val, size_t i,
		    char *why, size_t whylen)
{
	struct pstats_func *f = &ps->f[ps->n];

	if (k->t != MV_SEQ || k->n != 3 || k->v[0]->t != MV_STR || k->v[1]->t != MV_INT ||
	    k->v[2]->t != MV_STR) {
		snprintf(why, whylen, "entry %zu: key is not (file, line, function)", i);
		return -EINVAL;
	}
	if (val->t != MV_SEQ || val->n < 4 || val->v[0]->t != MV_INT || val->v[1]->t != MV_INT ||
	    !as_num(val->v[2], &f->tt) || !as_num(val->v[3], &f->ct)) {
		snprintf(why, whylen, "entry %zu (%s): value is not (calls, calls, time, time, ...)",
			 i, k->v[2]->s);
		return -EINVAL;
	}
	f->file = k->v[0]->s;
	f->line = k->v[1]->i;
	f->name = k->v[2]->s;
	f->cc = val->v[0]->i;
	f->nc = val->v[1]->i;
	/* Summed in file order, as pstats.Stats.get_top_level_stats does: same rounding. */
	ps->total_calls += f->nc;
	ps->prim_calls += f->cc;
	ps->total_tt += f->tt;
	ps->n++;
	return 0;
}

int pstats__parse(const uint8_t *buf, size_t len, struct pstats *ps, char *why, size_t whylen)
{
	struct arena *arena = NULL;
	struct reader r = { .p = buf, .end = buf + len, .start = buf, .arena = &arena,
			    .why = why, .whylen = whylen };
	struct mv *top;
	int err = 0;

	memset(ps, 0, sizeof(*ps));
	top = read_obj(&r, 0);
	free(r.refs);
	if (top && top->t != MV_DICT) {
		snprintf(why, whylen, "not a pstats file: the top object is not a dict");
		top = NULL;
	} else if (top && r.p != r.end) {
		snprintf(why, whylen, "%zu bytes of garbage after the stats", (size_t)(r.end - r.p));
		top = NULL;
	}
	if (!top) {
		arena_free(arena);
		return -EINVAL;
	}
	ps->f = calloc(top->n / 2 + 1, sizeof(*ps->f));
	if (!ps->f) {
		arena_free(arena);
		return -ENOMEM;
	}
	for (size_t i = 0; i + 1 < top->n && !err; i += 2)
		err = add_func(ps, top->v[i], top->v[i + 1], i / 2, why, whylen);
	ps->arena = arena;
	if (err)
		pstats__free(ps);
	return err;
}

int pstats__load(const char *path, struct pstats *ps, char *why, size_t whylen)
{
	return pstats__loadat(AT_FDCWD, path, false, ps, why, whylen);
}

int pstats__loadat(int dirfd, const char *path, bool nofollow, struct pstats *ps, char *why,
		   size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	gzFile gz;
	int n, err, fd;

	/* A FIFO would block gzopen forever: only a regular file is read. */
	fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = fd < 0 ? errno : EINVAL;
		snprintf(why, whylen, "%s", fd < 0 ? strerror(err) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	do {
		if (len + 65536 > cap) {
			uint8_t *b;

			cap = cap ? cap * 2 : 1 << 20;
			if (cap > MAX_FILE + 65536 || !(b = realloc(buf, cap))) {
				snprintf(why, whylen, "larger than %u MiB", MAX_FILE >> 20);
				free(buf);
				gzclose(gz);
				return -EFBIG;
			}
			buf = b;
		}
		n = gzread(gz, buf + len, 65536);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	if (n < 0) {
		snprintf(why, whylen, "cannot decompress: %s", gzerror(gz, &n));
		free(buf);
		gzclose(gz);
		return -EIO;
	}
	gzclose(gz);
	err = pstats__parse(buf, len, ps, why, whylen);
	free(buf);
	return err;
}

void pstats__free(struct pstats *ps)
{
	free(ps->f);
	arena_free(ps->arena);
	memset(ps, 0, sizeof(*ps));
}

static double sort_value(const struct pstats_func *f, enum pstats_key key)
{
	return key == PSTATS_CUMULATIVE ? f->ct : key == PSTATS_TOTTIME ? f->tt : (double)f->nc;
}

struct sort_ctx {
	const struct pstats *ps;
	enum pstats_key key;
};

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	double x = sort_value(&c->ps->f[i], c->key), y = sort_value(&c->ps->f[j], c->key);

	if (x != y)
		return x > y ? -1 : 1;
	return i < j ? -1 : i > j;	/* stable: file order */
}

size_t *pstats__sorted(const struct pstats *ps, enum pstats_key key)
{
	struct sort_ctx c = { ps, key };
	size_t *idx = malloc((ps->n ? ps->n : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < ps->n; i++)
		idx[i] = i;
	qsort_r(idx, ps->n, sizeof(*idx), cmp_idx, &c);
	return idx;
}

void pstats__name(const struct pstats_func *f, char *buf, size_t len)
{
	size_t n = strlen(f->name);

	if (!strcmp(f->file, "~") && f->line == 0) {
		if (n >= 2 && f->name[0] == '<' && f->name[n - 1] == '>')
			snprintf(buf, len, "{%.*s}", (int)(n - 2), f->name + 1);
		else
			snprintf(buf, len, "%s", f->name);
		return;
	}
	snprintf(buf, len, "%s:%lld(%s)", f->file, (long long)f->line, f->name);
}
