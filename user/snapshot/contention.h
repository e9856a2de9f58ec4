/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A snapshot's contention file (NAME_TAG_contention.json) in words: NAME_TAG_contention.txt. */
#ifndef CONTRACE_CONTENTION_H
#define CONTRACE_CONTENTION_H

#include <jansson.h>
#include "util.h"

void contention__text(const json_t *c, struct ct_buf *b);

#endif /* CONTRACE_CONTENTION_H */
