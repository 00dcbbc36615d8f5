// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "cli.h"
#include "hist.h"
#include "trace.h"

#define BAR_WIDTH 40

static void print_bar(FILE *f, __u64 val, __u64 max, int width)
{
	int i, stars = max ? (int)(val * width / max) : 0;

	for (i = 0; i < width; i++)
		fputc(i < stars ? '*' : ' ', f);
}

static int last_used(const __u64 *slots, int nslots)
{
	int i, last = -1;

	for (i = 0; i < nslots; i++)
		if (slots[i])
			last = i;
	return last;
}

static __u64 max_of(const __u64 *slots, int n)
{
	__u64 m = 0;
	int i;

	for (i = 0; i < n; i++)
		if (slots[i] > m)
			m = slots[i];
	return m;
}

__u64 hist__total(const __u64 *slots, int nslots)
{
	__u64 t = 0;
	int i;

	for (i = 0; i < nslots; i++)
		t += slots[i];
	return t;
}

/* Common row printer: "lo -> hi : count |****   |" */
static void print_rows(FILE *f, const __u64 *slots, int last, const char *unit,
		       unsigned long long (*lo)(int, long, long),
		       unsigned long long (*hi)(int, long, long), long base, long step)
{
	int wide = lo(last, base, step) > 9999999999ULL;	/* values past 10 digits */
	int width = wide ? 20 : 10, bar = wide ? BAR_WIDTH / 2 : BAR_WIDTH;
	__u64 max = max_of(slots, last + 1);
	int i;

	fprintf(f, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, unit);
	for (i = 0; i <= last; i++) {
		fprintf(f, "%*llu -> %-*llu : %-8llu |", width, lo(i, base, step), width,
			hi(i, base, step), (unsigned long long)slots[i]);
		print_bar(f, slots[i], max, bar);
		fputs("|\n", f);
	}
}

static unsigned long long log2_lo(int i, long base, long step)
{
	return i == 0 ? 0 : 1ULL << i;
}

static unsigned long long log2_hi(int i, long base, long step)
{
	return i >= 63 ? ~0ULL : (1ULL << (i + 1)) - 1;
}

static unsigned long long lin_lo(int i, long base, long step)
{
	return base + (long long)i * step;
}

static unsigned long long lin_hi(int i, long base, long step)
{
	return base + (long long)(i + 1) * step - 1;
}

void hist__print_log2(FILE *f, const __u64 *slots, int nslots, const char *unit)
{
	int last = last_used(slots, nslots);

	if (last >= 0)
		print_rows(f, slots, last, unit, log2_lo, log2_hi, 0, 0);
}

void hist__print_linear(FILE *f, const __u64 *slots, int nslots, long base, long step,
			const char *unit)
{
	int last = last_used(slots, nslots);

	if (last >= 0)
		print_rows(f, slots, last, unit, lin_lo, lin_hi, base, step);
}

static void json_buckets(FILE *f, const __u64 *slots, int nslots, const char *unit,
			 unsigned long long (*lo)(int, long, long),
			 unsigned long long (*hi)(int, long, long), long base, long step)
{
	int i, first = 1;

	fprintf(f, "{\"unit\":\"%s\",\"total\":%llu,\"buckets\":[", unit,
		(unsigned long long)hist__total(slots, nslots));
	for (i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		fprintf(f, "%s{\"lo\":%llu,\"hi\":%llu,\"count\":%llu}", first ? "" : ",",
			lo(i, base, step), hi(i, base, step), (unsigned long long)slots[i]);
		first = 0;
	}
	fputs("]}", f);
}

void hist__json_log2(FILE *f, const __u64 *slots, int nslots, const char *unit)
{
	json_buckets(f, slots, nslots, unit, log2_lo, log2_hi, 0, 0);
}

void hist__json_linear(FILE *f, const __u64 *slots, int nslots, long base, long step,
		       const char *unit)
{
	json_buckets(f, slots, nslots, unit, lin_lo, lin_hi, base, step);
}

void hist__print_rows(const void *rows, int n, size_t row_sz,
		      void (*print_row)(const void *row, const char *unit))
{
	const char *unit = hist_env.millis ? "msecs" : "usecs";
	char ts[16];
	int i;

	if (!common_env.json) {
		printf("\n");
		if (common_env.timestamp)
			printf("%s\n", trace__time_now(ts));
	}
	for (i = 0; i < n; i++)
		print_row((const char *)rows + (size_t)i * row_sz, unit);
}
