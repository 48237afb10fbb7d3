/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal unit-test harness: checks count, failures print file:line and
 * the expression, and ut_summary() prints "N passed, N failed" (the line
 * CI reads) and returns the exit status.
 */
#ifndef EP_UT_H
#define EP_UT_H

#include <stdio.h>

static unsigned int ut_pass, ut_fail;

#define UT_CHECK(cond)                                                                           \
	do {                                                                                     \
		if (cond) {                                                                      \
			ut_pass++;                                                               \
		} else {                                                                         \
			ut_fail++;                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define UT_CHECK_MSG(cond, ...)                                                                  \
	do {                                                                                     \
		if (cond) {                                                                      \
			ut_pass++;                                                               \
		} else {                                                                         \
			ut_fail++;                                                               \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                            \
			fputc('\n', stderr);                                                     \
		}                                                                                \
	} while (0)

static inline int
ut_summary(const char *suite)
{
	printf("%s: %u passed, %u failed\n", suite, ut_pass, ut_fail);
	return ut_fail == 0 && ut_pass > 0 ? 0 : 1;
}

#endif /* EP_UT_H */
