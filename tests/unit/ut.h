/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal unit-test harness. Each TEST is one result line, "ok - name" or "not ok - name",
 * which tests/run.sh counts; every failed CHECK says where and why.
 */
#ifndef CONTRACE_UT_H
#define CONTRACE_UT_H

#include <stdint.h>
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

/* A fixed-seed xorshift64 stream: random inputs, the same in every run. A test may reseed. */
static uint64_t ut_rng = 88172645463325252ULL;

static inline uint64_t xorshift(void)
{
	ut_rng ^= ut_rng << 13;
	ut_rng ^= ut_rng >> 7;
	ut_rng ^= ut_rng << 17;
	return ut_rng;
}

#define UT_EXIT() (ut_failed_tests ? 1 : 0)

#endif /* CONTRACE_UT_H */
