// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the windows.jsonl reader: the input is a whole file. Every window is
 * added to the span of job "A" (or seen before it), and the span is turned into JSON, as
 * snapshot and report do. Any crash, leak or sanitizer report fails.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include "span.h"

static int add(const json_t *win, void *arg)
{
	struct ct_span *s = arg;

	if (ct_json_u64(win, "seq") % 3 == 1)
		span__see_before(s, win);
	else
		span__add_window(s, win);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	struct span_scan st;
	struct ct_span s;

	if (!f)
		return 0;
	span__init(&s, "A");
	span__scan(f, add, &s, &st);
	json_decref(span__to_json(&s));
	span__units(&s);
	span__free(&s);
	json_decref(st.session);
	fclose(f);
	return 0;
}
