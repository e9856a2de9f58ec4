/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal unit-test harness. Each TEST is one result line, "ok - name" or "not ok - name",
 * which tests/run.sh counts; every failed CHECK says where and why.
 */
#ifndef CONTRACE_UT_H
#define CONTRACE_UT_H

#include <stdio.h>

static int ut_failed_checks, ut_failed_tests;

#define CHECK(cond, ...)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			ut_failed_checks++;                                            \
			printf("#   %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                           \
			printf("\n");                                                  \
		}                                                                      \
	} while (0)

#define RUN(fn)                                                                        \
	do {                                                                           \
		int before_ = ut_failed_checks;                                        \
		fn();                                                                  \
		if (ut_failed_checks != before_)                                       \
			ut_failed_tests++;                                             \
		printf("%s - %s\n", ut_failed_checks == before_ ? "ok" : "not ok", #fn); \
	} while (0)

#define UT_EXIT() (ut_failed_tests ? 1 : 0)

#endif /* CONTRACE_UT_H */
