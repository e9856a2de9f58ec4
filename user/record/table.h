/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The live per-job table shown on a terminal, drawn from a window's JSON object. */
#ifndef CONTRACE_TABLE_H
#define CONTRACE_TABLE_H

#include <jansson.h>
#include <stdio.h>

void table__print(FILE *out, const json_t *window);

#endif /* CONTRACE_TABLE_H */
