// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target for the pstats (Python marshal) reader: any input, no crash, no leak. */
#include <stdint.h>
#include <stdlib.h>
#include "pstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pstats ps;
	char why[256];
	size_t *idx;

	if (pstats__parse(data, size, &ps, why, sizeof(why)))
		return 0;
	idx = pstats__sorted(&ps, PSTATS_CUMULATIVE);
	for (size_t i = 0; idx && i < ps.n && i < 3; i++)
		pstats__name(&ps.f[idx[i]], why, sizeof(why));
	free(idx);
	pstats__free(&ps);
	return 0;
}
