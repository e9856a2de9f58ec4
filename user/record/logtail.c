// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "logtail.h"

/* A "line" longer than this is not a progress line; it is dropped in pieces. */
#define LINE_MAX_BYTES (1 << 20)
/* Per poll; the rest is read at the next window. */
#define POLL_MAX_BYTES (64 << 20)

int logtail__init(struct logtail *t, const char *spec)
{
	const char *eq = strchr(spec, '=');

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof(t->job)) {
		ct_err("--log '%s': expected NAME=FILE", spec);
		return -EINVAL;
	}
	memcpy(t->job, spec, (size_t)(eq - spec));
	if (!ct_name_valid(t->job)) {
		ct_err("--log '%s': the job name may only hold letters, digits and _ . @ + -", spec);
		return -EINVAL;
	}
	t->path = eq + 1;
	return 0;
}

static void line(struct logtail *t, const char *s, size_t n)
{
	struct ct_progress p;

	t->lines++;
	if (progress__parse(s, n, &p) == CT_PROG_NONE)
		return;
	t->perf_lines++;
	if (p.done >= 0) {
		t->last = p;
		t->have = true;
	}
}

void logtail__feed(struct logtail *t, const char *data, size_t len)
{
	const char *end = data + len, *nl;

	while (data < end && (nl = memchr(data, '\n', (size_t)(end - data)))) {
		if (t->part.len) {
			ct_buf_add(&t->part, data, (size_t)(nl - data));
			line(t, t->part.p, t->part.len);
			t->part.len = 0;
		} else {
			line(t, data, (size_t)(nl - data));
		}
		data = nl + 1;
	}
	if (data < end) {
		if (t->part.len + (size_t)(end - data) > LINE_MAX_BYTES)
			t->part.len = 0;
		else
			ct_buf_add(&t->part, data, (size_t)(end - data));
	}
}

/*
 * The log stays open between polls, as tail -F does: while it is held, a new file at the same
 * path cannot reuse its inode number, so a replaced log is always seen as new.
 */
static int reopen(struct logtail *t)
{
	struct stat path_st, fd_st;

	if (stat(t->path, &path_st))
		return errno == ENOENT ? 0 : -errno;
	/* Only a regular file is followed: a FIFO would block the window loop. */
	if (!S_ISREG(path_st.st_mode))
		return -EINVAL;
	if (t->fd >= 0 && !fstat(t->fd, &fd_st) && fd_st.st_dev == path_st.st_dev &&
	    fd_st.st_ino == path_st.st_ino) {
		if (fd_st.st_size < t->off) {	/* truncated */
			t->off = 0;
			t->part.len = 0;
		}
		return 0;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->off = 0;
	t->part.len = 0;
	t->fd = open(t->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->fd >= 0 && (fstat(t->fd, &fd_st) || !S_ISREG(fd_st.st_mode))) {
		close(t->fd);
		t->fd = -1;
		return -EINVAL;
	}
	return t->fd < 0 ? (errno == ENOENT ? 0 : -errno) : 0;
}

int logtail__poll(struct logtail *t)
{
	char buf[1 << 16];
	off_t done = 0;
	int err = reopen(t);
	ssize_t n;

	if (err || t->fd < 0)
		return err;
	while (done < POLL_MAX_BYTES && (n = pread(t->fd, buf, sizeof(buf), t->off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		logtail__feed(t, buf, (size_t)n);
		t->off += n;
		done += n;
	}
	return 0;
}

void logtail__free(struct logtail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	ct_buf_free(&t->part);
}
