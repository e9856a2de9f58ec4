/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The snapshot's sys.txt: top, vmstat, free, df, iostat, uptime, each under a heading. */
#ifndef CONTRACE_SYSINFO_H
#define CONTRACE_SYSINFO_H

#include "util.h"

/* Append the sections to @b; @missing counts tools not installed. 0 or -errno. */
int sysinfo__collect(struct ct_buf *b, const char *when, int *missing);

#endif /* CONTRACE_SYSINFO_H */
