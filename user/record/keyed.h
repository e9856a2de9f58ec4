/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Snapshots of the keyed BPF maps (disk: job x device x operation; network: job x endpoint).
 * Their values are structs of cumulative u64 counters; a window is the difference of two
 * snapshots, entry by entry, matched by key.
 */
#ifndef CONTRACE_KEYED_H
#define CONTRACE_KEYED_H

#include <stddef.h>
#include <stdint.h>

struct keyed {
	size_t ksz, vsz;	/* key and value sizes; the value is vsz / 8 u64 counters */
	size_t n, cap;
	unsigned char *rec;	/* n records of ksz + vsz bytes, sorted by key after keyed__sort */
};

void keyed__init(struct keyed *s, size_t ksz, size_t vsz);
void keyed__free(struct keyed *s);
void keyed__clear(struct keyed *s);
/* Append one record (unsorted until keyed__sort); -ENOMEM on failure. */
int keyed__add(struct keyed *s, const void *key, const void *val);
void keyed__sort(struct keyed *s);
/* Replace @s's records with every entry of the BPF hash map @fd, sorted; -errno on failure. */
int keyed__read(struct keyed *s, int fd);

static inline const void *keyed__key(const struct keyed *s, size_t i)
{
	return s->rec + i * (s->ksz + s->vsz);
}

static inline const void *keyed__val(const struct keyed *s, size_t i)
{
	return s->rec + i * (s->ksz + s->vsz) + s->ksz;
}

/* Value of @key in a sorted snapshot, NULL when absent. */
const void *keyed__find(const struct keyed *s, const void *key);
/* @out = record @i of @cur minus the same key's value in @base (all of it when absent). */
void keyed__delta(const struct keyed *cur, size_t i, const struct keyed *base, void *out);
/* Exchange two snapshots (after a window: what was read becomes the base). */
void keyed__swap(struct keyed *a, struct keyed *b);

#endif /* CONTRACE_KEYED_H */
