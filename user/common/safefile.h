/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Files as root in folders that other users own. contrace runs as root on experiment folders
 * and logs of CI users, so every file it writes or reads there goes through here:
 *  - a folder is opened once; what is inside it is reached relative to its fd, never through a
 *    symbolic link (O_NOFOLLOW), so a link planted in the folder leads nowhere;
 *  - a file is written under a new temporary name (O_CREAT | O_EXCL | O_NOFOLLOW) and renamed
 *    into place; a file appended to must be a regular file with one link, owned by root or by
 *    the folder's owner;
 *  - what contrace creates in a folder belongs to the folder's owner, as if they had made it;
 *  - a copy is never more readable than its source: one that the folder's owner could not
 *    read stays root's, mode 0600;
 *  - an input must be a regular file: a FIFO or a device is refused, never waited on.
 */
#ifndef CONTRACE_SAFEFILE_H
#define CONTRACE_SAFEFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

struct safedir {
	int fd;
	uid_t uid;		/* its owner: what is created in it is theirs */
	gid_t gid;
	char path[4096];	/* for messages */
};

/*
 * Open the folder @path named on the command line. If it is itself a symbolic link, it is
 * followed only when root owns the link (a link a user planted is refused).
 */
int safedir__open(struct safedir *d, const char *path);
/* Open the folder @name inside @parent, never through a link; it must exist. */
int safedir__sub(struct safedir *d, const struct safedir *parent, const char *name);
/* Create the folder @name inside @parent, owned by @parent's owner; -EEXIST if it is there. */
int safedir__mkdir(const struct safedir *parent, const char *name, mode_t mode);
void safedir__close(struct safedir *d);

/* A file being written under a temporary name in a folder; safefile__commit puts it in place. */
struct safefile {
	const struct safedir *d;
	char name[256], tmp[300];
	FILE *f;
	bool done;		/* closed, flushed to disk */
};

/*
 * Create @name's temporary file in @d with @mode, owned by @d's owner unless @root_only (then
 * root's, 0600: a copy of a file @d's owner could not read).
 */
int safefile__create(struct safefile *sf, const struct safedir *d, const char *name, mode_t mode,
		     bool root_only);
/* Flush it to disk and close it; the message names the file. */
int safefile__close(struct safefile *sf);
/* Rename a closed file into place (replacing what is there, link or not); no-op if not done. */
int safefile__commit(struct safefile *sf);
/* Remove the temporary file, if any. */
void safefile__discard(struct safefile *sf);
/* @name in @d becomes @len bytes of @data, atomically. */
int safedir__write(const struct safedir *d, const char *name, const void *data, size_t len,
		   mode_t mode);

/*
 * Open @name in @d for appending (and reading), creating it (owned by @d's owner) if absent. An existing one
 * must be a regular file with one link, owned by root or by @d's owner. *@created says which.
 */
int safedir__append(const struct safedir *d, const char *name, mode_t mode, bool *created);

/*
 * Open an input for reading: @name relative to @dirfd (AT_FDCWD: a path), following no link
 * when @nofollow. It must be a regular file; anything else gets a message naming @what and
 * the path, and -EINVAL (a FIFO would block forever). @st receives its status.
 */
int safe__open_input(int dirfd, const char *name, bool nofollow, const char *what,
		     struct stat *st);
FILE *safe__fopen_input(int dirfd, const char *name, bool nofollow, const char *what,
			struct stat *st);

/* Could user @uid (group @gid) read a file with status @st? */
bool safe__can_read(const struct stat *st, uid_t uid, gid_t gid);
/*
 * The mode of a copy of @src made in a folder of group @gid: its owner may read and write it;
 * its group and others may read it only where they could read @src.
 */
mode_t safe__copy_mode(const struct stat *src, gid_t gid);

#endif /* CONTRACE_SAFEFILE_H */
