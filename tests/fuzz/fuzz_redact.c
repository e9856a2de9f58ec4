// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for log redaction: the input is one line, not NUL-terminated. Redacting
 * the output again must find nothing more: whatever the first pass left is not an address,
 * an id or a URL by the redactor's own rules (no value slips through half-replaced).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"

static struct redactor *r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_buf once = { 0 }, twice = { 0 };
	uint64_t before = 0, after = 0;

	if (!r)
		r = redact__new();
	redact__line(r, (const char *)data, size, &once);
	for (int k = 0; k < CT_RED_NR; k++)
		before += redact__written(r, k);
	redact__line(r, once.p ? once.p : "", once.len, &twice);
	for (int k = 0; k < CT_RED_NR; k++)
		after += redact__written(r, k);
	if (after != before || twice.len != once.len || memcmp(twice.p, once.p, once.len))
		abort();
	ct_buf_free(&once);
	ct_buf_free(&twice);
	return 0;
}
