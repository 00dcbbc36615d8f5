/* SPDX-License-Identifier: GPL-2.0 */
/* A very small unit-test harness: CHECK() counts, unit_done() reports. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do {							\
	if (cond) unit_pass++;							\
	else { unit_fail++;							\
	       fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (!strcmp(g_, w_)) unit_pass++;					\
	else { unit_fail++;							\
	       fprintf(stderr, "FAIL %s:%d: got \"%s\", want \"%s\"\n",	\
		       __FILE__, __LINE__, g_, w_); }				\
} while (0)

/* Runs fn with stdout captured into buf (a memstream). */
#define CAPTURE(buf, size, stmt) do {						\
	FILE *f_ = open_memstream(&(buf), &(size));				\
	FILE *out = f_;								\
	(void)out;								\
	stmt;									\
	fclose(f_);								\
} while (0)

/* One line for tests/unit/run.sh: "<test>: N passed, N failed" */
static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail != 0;
}

#endif
