// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for a job's log as a snapshot copies it: the input is the whole log (any
 * bytes, any line lengths). Under a tiny --max-log the copy must stay within what the kept
 * lines' shares allow; untrimmed and unredacted it must be the input, line for line. The
 * first byte picks the variant: 'R' redacts, 'U' never trims, 'S' also reads the rest as a
 * redaction state file (redact__load).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "logcopy.h"

static char state[] = "/tmp/contrace-fuzz-state-XXXXXX";

static void state_unlink(void)
{
	unlink(state);
}

static void state_load(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct redactor *r = redact__new();

	if (fd < 0) {
		if ((fd = mkstemp(state)) < 0)
			abort();
		atexit(state_unlink);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	redact__load(r, AT_FDCWD, state);
	redact__free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logcopy_opts o = { .max_bytes = 512, .head_lines = 3, .tail_lines = 3 };
	char *in_buf = malloc(size + 1), *log_buf = NULL, *perf_buf = NULL;
	size_t log_len = 0, perf_len = 0;
	struct logcopy_stats st;
	FILE *in, *log, *perf;

	if (!size) { /* fmemopen needs a size */
		free(in_buf);
		return 0;
	}
	memcpy(in_buf, data, size);
	if (data[0] == 'R')
		o.red = redact__new();
	if (data[0] == 'U')
		o.max_bytes = 0;
	in = fmemopen(in_buf, size, "r");
	log = open_memstream(&log_buf, &log_len);
	perf = open_memstream(&perf_buf, &perf_len);
	if (logcopy__run(in, log, perf, &o, &st))
		abort();
	fclose(log);
	fclose(perf);
	if (st.lines_out > st.lines_in || st.perf_lines > st.lines_out)
		abort();
	/* Untrimmed, unredacted, every line ending in a newline: the copy is the log. */
	if (!o.red && !st.trimmed && data[size - 1] == '\n' &&
	    (log_len != size || memcmp(log_buf, data, size)))
		abort();
	/* Trimmed: kept lines are cut to max(256, 512 / 6) bytes and say so in under 64. */
	if (st.trimmed && !o.red && log_len > (st.lines_out + 1) * (256 + 64 + 1) + 64)
		abort();
	if (data[0] == 'S' && size > 1) /* a file write per try: only when asked */
		state_load(data + 1, size - 1);
	logcopy__stats_free(&st);
	redact__free(o.red);
	fclose(in);
	free(in_buf);
	free(log_buf);
	free(perf_buf);
	return 0;
}
