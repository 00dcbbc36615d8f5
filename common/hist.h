/* SPDX-License-Identifier: GPL-2.0 */
/* Histogram printing in bcc's format ("usecs : count distribution"). */
#ifndef BTBPF_HIST_H
#define BTBPF_HIST_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "maps.h"
#include <linux/types.h>

#define MAX_SLOTS 64

/* Slot i holds values in [2^i, 2^(i+1)), slot 0 holds 0 and 1.  Rows run
 * from slot 0 to the last non-empty one; nothing is printed when empty. */
void hist__print_log2(FILE *f, const __u64 *slots, int nslots, const char *unit);

/* Slot i holds values in [base + i*step, base + (i+1)*step). */
void hist__print_linear(FILE *f, const __u64 *slots, int nslots, long base, long step,
			const char *unit);

/* {"unit":"usecs","buckets":[{"lo":0,"hi":1,"count":3},...]} for -j */
void hist__json_log2(FILE *f, const __u64 *slots, int nslots, const char *unit);
void hist__json_linear(FILE *f, const __u64 *slots, int nslots, long base, long step,
		       const char *unit);

__u64 hist__total(const __u64 *slots, int nslots);

/* One interval of a histogram tool on stdout: in text, a blank line and,
 * with -T, the time; then print_row for each of the n rows (row_sz bytes
 * each, in order), with the unit -m chose ("msecs" or "usecs"). */
void hist__print_rows(const void *rows, int n, size_t row_sz,
		      void (*print_row)(const void *row, const char *unit));

/* An interval from the hash map fd: every entry taken out (map__drain_rows,
 * so the next interval starts at zero) into rows (an array of max structs
 * with members key and val), sorted with cmp, printed with print_row. */
#define hist__print_map(fd, rows, max, cmp, print_row) do {			\
	int n_ = map__drain_rows(fd, rows, max);				\
										\
	qsort(rows, n_, sizeof((rows)[0]), cmp);				\
	hist__print_rows(rows, n_, sizeof((rows)[0]), print_row);		\
} while (0)

#endif
