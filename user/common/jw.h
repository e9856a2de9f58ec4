/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A JSON text writer: objects, arrays and values appended to a ct_buf as they come, with no
 * tree in between. The recorder writes every window through it: building a jansson tree for
 * each window and printing it was half of the recorder's CPU with 100 jobs (docs/ARCHITECTURE.md,
 * "Cost"). Readers still parse with jansson.
 *
 * @key is the member's name inside an object and NULL inside an array. Strings are written as
 * UTF-8; a byte that is not part of valid UTF-8 becomes U+FFFD, so every line stays JSON a
 * strict parser loads. Nesting deeper than JW_DEPTH is a programming error (abort).
 */
#ifndef CONTRACE_JW_H
#define CONTRACE_JW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "util.h"

#define JW_DEPTH 16

struct jw {
	struct ct_buf *b;
	int depth;
	bool more[JW_DEPTH + 1];	/* a value was written at this depth: the next needs a comma */
};

/* Start writing into @b at its end. */
void jw_init(struct jw *w, struct ct_buf *b);
void jw_obj(struct jw *w, const char *key);
void jw_arr(struct jw *w, const char *key);
/* Close the innermost object or array. */
void jw_end_obj(struct jw *w);
void jw_end_arr(struct jw *w);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* A real as jansson prints one: %.17g, with ".0" added when that reads as an integer. */
void jw_real(struct jw *w, const char *key, double v);
/* A jansson value, printed compact; null when it cannot be printed. */
void jw_json(struct jw *w, const char *key, const json_t *v);

#endif /* CONTRACE_JW_H */
