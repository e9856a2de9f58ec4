// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "keyed.h"
#include "util.h"

void keyed__init(struct keyed *s, size_t ksz, size_t vsz)
{
	memset(s, 0, sizeof(*s));
	s->ksz = ksz;
	s->vsz = vsz;
}

void keyed__free(struct keyed *s)
{
	free(s->rec);
	keyed__init(s, s->ksz, s->vsz);
}

void keyed__clear(struct keyed *s)
{
	s->n = 0;
}

int keyed__add(struct keyed *s, const void *key, const void *val)
{
	size_t rsz = s->ksz + s->vsz;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		unsigned char *p = realloc(s->rec, cap * rsz);

		if (!p)
			return -ENOMEM;
		s->rec = p;
		s->cap = cap;
	}
	memcpy(s->rec + s->n * rsz, key, s->ksz);
	memcpy(s->rec + s->n * rsz + s->ksz, val, s->vsz);
	s->n++;
	return 0;
}

static size_t sort_ksz;

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sort_ksz);
}

void keyed__sort(struct keyed *s)
{
	sort_ksz = s->ksz;
	if (s->n > 1)
		qsort(s->rec, s->n, s->ksz + s->vsz, cmp_key);
}

const void *keyed__find(const struct keyed *s, const void *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(keyed__key(s, mid), key, s->ksz);

		if (!c)
			return keyed__val(s, mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void keyed__delta(const struct keyed *cur, size_t i, const struct keyed *base, void *out)
{
	const void *b = keyed__find(base, keyed__key(cur, i));
	size_t n = cur->vsz / sizeof(uint64_t);

	if (b) {
		/* Values are not aligned in the record array: copy before subtracting. */
		uint64_t c[n], p[n];

		memcpy(c, keyed__val(cur, i), cur->vsz);
		memcpy(p, b, cur->vsz);
		ct_delta(c, c, p, n);
		memcpy(out, c, cur->vsz);
	} else {
		memcpy(out, keyed__val(cur, i), cur->vsz);
	}
}

void keyed__swap(struct keyed *a, struct keyed *b)
{
	struct keyed t = *a;

	*a = *b;
	*b = t;
}

int keyed__read(struct keyed *s, int fd)
{
	unsigned char key[s->ksz], next[s->ksz];
	void *val = malloc(s->vsz);
	void *prev = NULL;
	int err = 0;

	if (!val)
		return -ENOMEM;
	keyed__clear(s);
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, s->ksz);
		prev = key;
		/* An entry is never deleted by the BPF side; a miss is a race worth skipping. */
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		err = keyed__add(s, key, val);
		if (err)
			break;
	}
	free(val);
	keyed__sort(s);
	return err;
}
