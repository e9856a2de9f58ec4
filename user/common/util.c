// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "contrace.h"
#include "util.h"

void ct_err(const char *fmt, ...)
{
	va_list ap;

	fputs("contrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ct_parse_double(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v)) {
		ct_err("%s '%s': not a number", opt, arg);
		return -EINVAL;
	}
	if (v < min || v > max) {
		ct_err("%s '%s': must be between %g and %g", opt, arg, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int ct_parse_long(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno == ERANGE || end == arg || *end) {
		ct_err("%s '%s': not a whole number", opt, arg);
		return -EINVAL;
	}
	if (v < min || v > max) {
		ct_err("%s '%s': must be between %ld and %ld", opt, arg, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t ct_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ct_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void ct_fmt_utc(uint64_t real_ns, char *buf, size_t len)
{
	time_t s = (time_t)(real_ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(real_ns / 1000000 % 1000));
}

void ct_fmt_dur(uint64_t ns, char *buf, size_t len)
{
	/* A unit is used while the value shows below @upto in it: 999 ms, then 1 s; 119 s, 2 min. */
	static const struct {
		const char *unit;
		double ns, upto;
	} units[] = { { "ns", 1, 999.5 },      { "us", 1e3, 999.5 },	  { "ms", 1e6, 999.5 },
		      { "s", 1e9, 119.95 },    { "min", 6e10, 119.95 }, { "h", 3.6e12, 1e300 } };
	unsigned i = 0;

	while ((double)ns / units[i].ns >= units[i].upto)
		i++;
	if (i == 0)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else
		snprintf(buf, len, "%.3g%s", (double)ns / units[i].ns, units[i].unit);
}

const char *ct_fmt_ns(double ns, char *buf, size_t len)
{
	if (!isfinite(ns)) {
		snprintf(buf, len, "-");
	} else if (ns < 0) {
		buf[0] = '-';
		ct_fmt_dur((uint64_t)(-ns + 0.5), buf + 1, len - 1);
	} else {
		ct_fmt_dur((uint64_t)(ns + 0.5), buf, len);
	}
	return buf;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_.@+-", c);
}

bool ct_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= CT_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(name[i]))
			return false;
	return true;
}

void ct_name_sanitize(const char *src, char *dst, size_t len)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = name_char_ok(src[i]) ? src[i] : '_';
	dst[i] = '\0';
	if (dst[0] == '.' || dst[0] == '\0')
		dst[0] = '_';
	if (i == 0 && len > 1)
		dst[1] = '\0';
}

const char *ct_env_find(const char *env, size_t len, const char *var, size_t *vlen)
{
	size_t vl = strlen(var);

	for (size_t i = 0; i < len;) {
		const char *s = env + i, *nul = memchr(s, '\0', len - i);
		size_t n = nul ? (size_t)(nul - s) : len - i;

		if (n > vl && s[vl] == '=' && !memcmp(s, var, vl)) {
			*vlen = n - vl - 1;
			return s + vl + 1;
		}
		i += n + 1;
	}
	return NULL;
}

uint64_t ct_env_hash(uint32_t var, size_t varlen, const char *value, size_t len)
{
	uint64_t h = (CT_FNV_OFFSET ^ (var + 1)) * CT_FNV_PRIME;

	/* the kernel reads a string in pieces of CT_ENV_BUF bytes, the last one its NUL */
	if (varlen + len > CT_ENV_BUF - 1)
		len = varlen < CT_ENV_BUF - 1 ? CT_ENV_BUF - 1 - varlen : 0;
	for (size_t i = 0; i < len && value[i]; i++)
		h = (h ^ (uint8_t)value[i]) * CT_FNV_PRIME;
	return h;
}

int ct_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t ct_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total + 1 < len) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

ssize_t ct_pread_file(int fd, char *buf, size_t len)
{
	ssize_t n, total = 0;

	while ((size_t)total + 1 < len) {
		n = pread(fd, buf + total, len - 1 - (size_t)total, total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	return total;
}

void ct_buf_add(struct ct_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void ct_buf_printf(struct ct_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	ct_buf_add(b, s, (size_t)n);
	free(s);
}

void ct_buf_free(struct ct_buf *b)
{
	free(b->p);
	*b = (struct ct_buf){ 0 };
}

int ct_copy(FILE *in, FILE *out)
{
	char buf[1 << 16];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return -EIO;
	return ferror(in) ? -EIO : 0;
}

int ct_gzip_copy(FILE *in, FILE *out)
{
	unsigned char ib[1 << 16], ob[1 << 16];
	z_stream z = { 0 };
	int flush, ret = 0;

	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	do {
		z.avail_in = (unsigned)fread(ib, 1, sizeof(ib), in);
		z.next_in = ib;
		if (ferror(in)) {
			ret = -EIO;
			break;
		}
		flush = feof(in) ? Z_FINISH : Z_NO_FLUSH;
		do {
			z.avail_out = sizeof(ob);
			z.next_out = ob;
			deflate(&z, flush);
			if (fwrite(ob, 1, sizeof(ob) - z.avail_out, out) != sizeof(ob) - z.avail_out)
				ret = -EIO;
		} while (!ret && z.avail_out == 0);
	} while (!ret && flush != Z_FINISH);
	deflateEnd(&z);
	return ret;
}

int ct_copy_buf(FILE *in, struct ct_buf *b)
{
	char buf[1 << 16];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ct_buf_add(b, buf, n);
	return ferror(in) ? -EIO : 0;
}

void ct_delta(uint64_t *out, const uint64_t *cur, const uint64_t *prev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];
}
