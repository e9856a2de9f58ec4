// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Files as root in folders other users own: see safefile.h for the rules. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "safefile.h"
#include "util.h"

/* A message for a refused link, or for another failure to open @name in @d. */
static int open_failed(const struct safedir *d, const char *name, const char *doing, int err)
{
	if (err == ELOOP || err == EMLINK)
		ct_err("%s/%s is a symbolic link: refused (contrace runs as root and follows no link "
		       "inside a folder)", d->path, name);
	else
		ct_err("cannot %s %s/%s: %s", doing, d->path, name, strerror(err));
	return -err;
}

static int fill_owner(struct safedir *d)
{
	struct stat st;

	if (fstat(d->fd, &st))
		return -errno;
	d->uid = st.st_uid;
	d->gid = st.st_gid;
	return 0;
}

int safedir__open(struct safedir *d, const char *path)
{
	struct stat ln, st, at;
	int err;

	snprintf(d->path, sizeof(d->path), "%s", path);
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0 && (errno == ELOOP || errno == ENOTDIR) && !lstat(path, &ln) &&
	    S_ISLNK(ln.st_mode)) {
		/* A link root made is followed; one a user planted is not. */
		if (ln.st_uid != 0) {
			ct_err("folder %s is a symbolic link owned by uid %u: refused (contrace runs "
			       "as root and follows only links that root owns); give the folder it "
			       "points to", path, (unsigned)ln.st_uid);
			return -ELOOP;
		}
		d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* ...and it must still be that link, to that folder. */
		if (d->fd >= 0 && (lstat(path, &at) || at.st_ino != ln.st_ino || at.st_uid != 0 ||
				   stat(path, &st) || fstat(d->fd, &at) || st.st_ino != at.st_ino ||
				   st.st_dev != at.st_dev)) {
			close(d->fd);
			ct_err("folder %s changed while it was opened: refused", path);
			return -EAGAIN;
		}
	}
	if (d->fd < 0) {
		err = -errno;
		ct_err("cannot open folder %s: %s", path, strerror(-err));
		return err;
	}
	return fill_owner(d);
}

int safedir__sub(struct safedir *d, const struct safedir *parent, const char *name)
{
	struct stat st;

	snprintf(d->path, sizeof(d->path), "%.3800s/%.255s", parent->path, name);
	d->fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		int err = errno;

		/* O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR on some kernels. */
		if (err == ENOTDIR && !fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode))
			err = ELOOP;
		return open_failed(parent, name, "open folder", err);
	}
	return fill_owner(d);
}

int safedir__mkdir(const struct safedir *parent, const char *name, mode_t mode)
{
	if (mkdirat(parent->fd, name, mode))
		return -errno;
	/* Never through a link: one planted since the mkdir gets only its own owner changed. */
	if (fchownat(parent->fd, name, parent->uid, parent->gid, AT_SYMLINK_NOFOLLOW))
		return open_failed(parent, name, "give the folder to its parent's owner:", errno);
	return 0;
}

void safedir__close(struct safedir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int safefile__create(struct safefile *sf, const struct safedir *d, const char *name, mode_t mode,
		     bool root_only)
{
	int fd = -1, err;

	memset(sf, 0, sizeof(*sf));
	sf->d = d;
	snprintf(sf->name, sizeof(sf->name), "%s", name);
	for (int i = 0; i < 100 && fd < 0; i++) {
		unsigned r = 0;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r ^= (unsigned)getpid() * 2654435761u + (unsigned)i;
		snprintf(sf->tmp, sizeof(sf->tmp), ".%s.tmp.%08x", name, r);
		fd = openat(d->fd, sf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    root_only ? 0600 : mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = errno;
		sf->tmp[0] = '\0';
		return open_failed(d, name, "create a temporary file for", err);
	}
	if (!root_only && fchown(fd, d->uid, d->gid)) {
		err = errno;
		close(fd);
		safefile__discard(sf);
		return open_failed(d, name, "give to the folder's owner", err);
	}
	sf->f = fdopen(fd, "w");
	if (!sf->f) {
		close(fd);
		safefile__discard(sf);
		return -ENOMEM;
	}
	return 0;
}

int safefile__close(struct safefile *sf)
{
	int err = 0;

	if (!sf->f)
		return 0;
	if (fflush(sf->f) || fsync(fileno(sf->f)))
		err = -errno;
	if (fclose(sf->f) && !err)
		err = -errno;
	sf->f = NULL;
	if (err)
		ct_err("cannot write %s/%s: %s", sf->d->path, sf->name, strerror(-err));
	else
		sf->done = true;
	return err;
}

int safefile__commit(struct safefile *sf)
{
	if (!sf->done)
		return 0;
	if (renameat(sf->d->fd, sf->tmp, sf->d->fd, sf->name))
		return open_failed(sf->d, sf->name, "put in place", errno);
	sf->tmp[0] = '\0';
	sf->done = false;
	return 0;
}

void safefile__discard(struct safefile *sf)
{
	if (sf->f)
		fclose(sf->f);
	sf->f = NULL;
	if (sf->d && sf->tmp[0])
		unlinkat(sf->d->fd, sf->tmp, 0);
	sf->tmp[0] = '\0';
	sf->done = false;
}

int safedir__write(const struct safedir *d, const char *name, const void *data, size_t len,
		   mode_t mode)
{
	struct safefile sf;
	int err = safefile__create(&sf, d, name, mode, false);

	if (err)
		return err;
	if (len && fwrite(data, 1, len, sf.f) != len)
		err = -EIO;
	err = safefile__close(&sf) ?: err;
	err = err ?: safefile__commit(&sf);
	if (err)
		safefile__discard(&sf);
	return err;
}

int safedir__append(const struct safedir *d, const char *name, mode_t mode, bool *created)
{
	struct stat st;
	int fd, err;

	*created = false;
	fd = openat(d->fd, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(d->fd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, mode);
		if (fd >= 0 && fchown(fd, d->uid, d->gid)) {
			err = errno;
			close(fd);
			return open_failed(d, name, "give to the folder's owner", err);
		}
		*created = fd >= 0;
	}
	if (fd < 0)
		return open_failed(d, name, "open for appending", errno);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != d->uid)) {
		ct_err("%s/%s: not a regular file with one link owned by root or by the folder's "
		       "owner: refused (contrace runs as root)", d->path, name);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int safe__open_input(int dirfd, const char *name, bool nofollow, const char *what,
		     struct stat *st)
{
	int fd, err, fl;

	/* Non-blocking, so that opening a FIFO returns at once and can be refused. */
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		err = errno;
		if (err == ELOOP)
			ct_err("%s %s is a symbolic link: refused (contrace runs as root and follows "
			       "no link inside a folder)", what, name);
		else
			ct_err("cannot read %s %s: %s", what, name, strerror(err));
		return -err;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		ct_err("%s %s is not a regular file (a FIFO, a device or a folder): refused", what,
		       name);
		close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

FILE *safe__fopen_input(int dirfd, const char *name, bool nofollow, const char *what,
			struct stat *st)
{
	int fd = safe__open_input(dirfd, name, nofollow, what, st);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

bool safe__can_read(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return true;
	if (st->st_uid == uid)
		return st->st_mode & S_IRUSR;
	/* Supplementary groups are not looked at: a doubt makes the copy root's. */
	if (st->st_gid == gid)
		return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

mode_t safe__copy_mode(const struct stat *src, gid_t gid)
{
	mode_t m = S_IRUSR | S_IWUSR;

	if ((src->st_gid == gid && (src->st_mode & S_IRGRP)) || (src->st_mode & S_IROTH))
		m |= S_IRGRP;
	if (src->st_mode & S_IROTH)
		m |= S_IROTH;
	return m;
}
