/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Redaction of logs: credentials, e-mail addresses and logins, home folders' user names, ids,
 * URLs, IP and MAC addresses and host names become stable tokens (SECRET_1, USER_1, ID_1, URL_1,
 * IP_1, MAC_1, HOST_1): within one experiment the same value always gets the same token.
 * The state kept between runs holds salted 64-bit hashes of the values, never the values.
 */
#ifndef CONTRACE_REDACT_H
#define CONTRACE_REDACT_H

#include <stddef.h>
#include <stdint.h>
#include "safefile.h"
#include "util.h"

/* Numbers are stored in the redaction state: new kinds go at the end. */
enum ct_redact_kind {
	CT_RED_URL, CT_RED_EMAIL, CT_RED_ID, CT_RED_IP, CT_RED_SECRET, CT_RED_HOST, CT_RED_MAC,
	CT_RED_NR
};

extern const char *const ct_redact_tokens[CT_RED_NR]; /* "URL", "USER", "ID", "IP", "SECRET", ... */

struct redactor;

/* An empty redactor with a fresh random salt. */
struct redactor *redact__new(void);
void redact__free(struct redactor *r);
/*
 * Load the state saved by redact__save: @name relative to @dirfd (AT_FDCWD: a path), never
 * through a link; -ENOENT when there is none, -EINVAL (with a message naming @name) when it is
 * malformed or not a regular file.
 */
int redact__load(struct redactor *r, int dirfd, const char *name);
/* Save it as @name in folder @d (mode 0600: salted hashes only, still nobody else's business). */
int redact__save(const struct redactor *r, const struct safedir *d, const char *name);
/* Append @line (len bytes, any content) to @out with every match replaced by its token. */
void redact__line(struct redactor *r, const char *line, size_t len, struct ct_buf *out);
/* Tokens written since the redactor was made or loaded, per kind. */
uint64_t redact__written(const struct redactor *r, enum ct_redact_kind k);
/* Distinct values known (tokens handed out over the whole experiment), per kind. */
uint64_t redact__distinct(const struct redactor *r, enum ct_redact_kind k);

#endif /* CONTRACE_REDACT_H */
