// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the [PERF] progress-line parser: the input is one line, not
 * NUL-terminated (ASan catches any read past it). The JSON form must round-trip.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	struct ct_progress p, q;
	json_t *j;

	memcpy(line, data, size);
	if (progress__parse(line, size, &p) != CT_PROG_NONE) {
		if (p.done < -1 || (p.total != -1 && p.total < 0) || p.avg_s < 0)
			abort();
		j = progress__to_json(&p);
		progress__from_json(j, &q);
		if (q.shape != p.shape || q.done != p.done || q.total != p.total ||
		    (isfinite(p.avg_s) && q.avg_s != p.avg_s))
			abort();
		json_decref(j);
	}
	free(line);
	return 0;
}
