// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the parsers of text the kernel hands us (cgroupfs cpu.stat, PSI files)
 * and of the histogram form in windows.jsonl. Any crash, leak or sanitizer report fails.
 * The first input byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "histo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h[CT_HIST_NBUCKETS] = { 0 }, v;
	struct ct_kv kv;
	char *text;
	json_t *j;

	if (size < 1)
		return 0;
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (!kv__parse_flat(text, &kv) && (kv.n < 1 || kv.n > CT_KV_MAX))
			abort();
		kv__get(&kv, "usage_usec", &v);
		break;
	case 1:
		if (!kv__parse_psi(text, &kv) && (kv.n < 1 || kv.n > CT_KV_MAX))
			abort();
		break;
	default:
		j = json_loads(text, JSON_DECODE_ANY, NULL);
		if (j && !histo__add_json(h, j))
			histo__percentile(h, 99, 0);
		json_decref(j);
	}
	free(text);
	return 0;
}
