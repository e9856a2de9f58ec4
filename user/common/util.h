/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers: checked number parsing, time, formatting, whole-buffer writes. */
#ifndef CONTRACE_UTIL_H
#define CONTRACE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CT_NAME_MAX 64

/* Print "contrace: " + message to stderr. */
void ct_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a number for option @opt; on error print why (naming @opt and @arg), return -EINVAL. */
int ct_parse_double(const char *opt, const char *arg, double min, double max, double *out);
int ct_parse_long(const char *opt, const char *arg, long min, long max, long *out);

uint64_t ct_mono_ns(void);
uint64_t ct_real_ns(void);
/* ISO 8601 UTC with milliseconds: 2026-11-24T12:00:00.000Z */
void ct_fmt_utc(uint64_t real_ns, char *buf, size_t len);
/* Human duration: 812ns, 12.3us, 4.56ms, 1.23s, 2.5min, 1.2h */
void ct_fmt_dur(uint64_t ns, char *buf, size_t len);
/* The same for a computed figure: negative ones signed, "-" when not a number. Returns @buf. */
const char *ct_fmt_ns(double ns, char *buf, size_t len);

/* A job name is 1..CT_NAME_MAX-1 of [A-Za-z0-9_.@+-]; it becomes part of file names. */
bool ct_name_valid(const char *name);
/* Copy @src into @dst replacing characters a name may not hold by '_'. */
void ct_name_sanitize(const char *src, char *dst, size_t len);

/*
 * The value of variable @var in @env (@len bytes of NUL-separated NAME=VALUE strings, as in
 * /proc/PID/environ; the last may lack its NUL): a pointer into @env and its length in
 * *vlen, or NULL when absent. The first occurrence wins, as the kernel's scan at exec sees it.
 */
const char *ct_env_find(const char *env, size_t len, const char *var, size_t *vlen);
/*
 * A value as the kernel side keys it (bpf/env.bpf.c): FNV-1a of variable index @var and the
 * value's first bytes, as many as fit in a CT_ENV_BUF piece after "VAR=" (@varlen of them).
 */
uint64_t ct_env_hash(uint32_t var, size_t varlen, const char *value, size_t len);

/* write() all of @buf or fail with -errno. */
int ct_write_all(int fd, const void *buf, size_t len);
/* Read a small file (at most @len - 1 bytes) into @buf, NUL-terminated; bytes read or -errno. */
ssize_t ct_read_file(const char *path, char *buf, size_t len);
/* The same from an open file, read again from its start: a counter file kept open. */
ssize_t ct_pread_file(int fd, char *buf, size_t len);

/* A growable byte buffer; always NUL-terminated after the first add. Aborts on OOM. */
struct ct_buf {
	char *p;
	size_t len, cap;
};
void ct_buf_add(struct ct_buf *b, const void *data, size_t len);
void ct_buf_printf(struct ct_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ct_buf_free(struct ct_buf *b);


/* Copy @in to @out as it is, or gzipped (the format gzip and zcat read); 0 or -errno. */
int ct_copy(FILE *in, FILE *out);
int ct_gzip_copy(FILE *in, FILE *out);
/* Append all of @in to @b; 0 or -EIO. */
int ct_copy_buf(FILE *in, struct ct_buf *b);

/* Path buffers: a cgroup or file path (the kernel's PATH_MAX), and one with a name under it. */
#define CT_PATH_LEN 4096
#define CT_FILE_LEN (CT_PATH_LEN + 512)

/* Delta of cumulative counters; one that went backwards was reset, so all of it is new. */
void ct_delta(uint64_t *out, const uint64_t *cur, const uint64_t *prev, size_t n);

#endif /* CONTRACE_UTIL_H */
