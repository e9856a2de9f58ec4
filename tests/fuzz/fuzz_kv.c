// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the parsers of text the kernel hands us (cgroupfs cpu.stat, PSI files,
 * memory.stat through a key filter, sysfs uevent files, ip_local_port_range, a process's
 * environ) and of the histogram form in windows.jsonl. Any crash, leak or sanitizer report fails.
 * The first input byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "histo.h"
#include "names.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "pgmajfault", "pswpin", NULL };
	uint64_t h[CT_HIST_NBUCKETS] = { 0 }, v;
	char name[32];
	uint16_t lo, hi;
	struct ct_kv kv;
	char *text;
	json_t *j;

	if (size < 1)
		return 0;
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 7) {
	case 6: {
		/* /proc/PID/environ: bytes with NULs; a value found lies inside, after "VAR=" */
		const char *env = (const char *)data + 1, *v;
		size_t vlen;

		v = ct_env_find(env, size - 1, "BUILD_TAG", &vlen);
		if (v) {
			if (v < env + 10 || v + vlen > env + size - 1 || memcmp(v - 10, "BUILD_TAG=", 10) ||
			    memchr(v, '\0', vlen) || (v - 10 != env && v[-11] != '\0'))
				abort();
			ct_env_hash(0, 10, v, vlen);
		}
		break;
	}
	case 3:
		/* Only listed keys are kept (a repeated line is kept again: the text's own). */
		if (!kv__parse_flat_keys(text, keys, &kv)) {
			if (kv.n < 1 || kv.n > CT_KV_MAX)
				abort();
			for (int i = 0; i < kv.n; i++)
				if (strcmp(kv.key[i], "pgmajfault") && strcmp(kv.key[i], "pswpin"))
					abort();
		}
		break;
	case 4:
		/* A name found is non-empty, fits, and has no space or control character. */
		if (names__parse_uevent(text, name, sizeof(name))) {
			if (!name[0] || strlen(name) >= sizeof(name) || name[0] == '/')
				abort();
			for (char *p = name; *p; p++)
				if (*p <= ' ' || *p == 0x7f)
					abort();
		}
		break;
	case 5:
		if (names__parse_port_range(text, &lo, &hi) && (lo < 1 || lo > hi))
			abort();
		break;
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
