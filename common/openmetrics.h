/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --openmetrics PATH: the tool's counts and histograms in Prometheus' text
 * exposition format, for node_exporter's textfile collector.  The file is
 * written whole into a temporary file of the same directory and renamed
 * over PATH, so a reader never sees half of it.  Every value is cumulative
 * since the tool started (the text histograms reset per interval: the tools
 * keep a copy, om__accumulate).
 */
#ifndef BTBPF_OPENMETRICS_H
#define BTBPF_OPENMETRICS_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "cli.h"
#include "hist.h"

/* Written every this many seconds when no interval is given. */
#define OM_DEFAULT_INTERVAL 15

struct om_env {
	const char *path;	/* --openmetrics PATH; NULL: off */
	bool quiet;		/* -q: nothing on stdout */
};
extern struct om_env om_env;

#define OPT_OPENMETRICS 0x4f4d	/* long option only */
#define CLI_OPTION_OPENMETRICS { "openmetrics", OPT_OPENMETRICS, "PATH", 0, \
	"Also write the counts as Prometheus metrics to PATH (atomically, every interval, default 15 s)", 0 }
#define CLI_OPTION_QUIET { "quiet", 'q', NULL, 0, "With --openmetrics: print nothing on stdout", 0 }

/* Parses --openmetrics and -q.  A directory that is missing or that we
 * cannot write into: one line on stderr, exit 1 (before anything runs). */
error_t om__parse_arg(int key, char *arg, struct argp_state *state);

/* The tick the main loop needs: the user's interval, else, with
 * --openmetrics, OM_DEFAULT_INTERVAL; 0 without either. */
long om__interval(long user_interval);

/* For a tool that ticks on its own without an interval (bthcicredits'
 * table, every second): whether this tick of tick_s seconds writes the
 * file: every tick of an interval the user gave, else once
 * OM_DEFAULT_INTERVAL seconds have passed since the last write, and the
 * final one. */
bool om__due(long tick_s, bool user_interval, bool final);

/* Writes PATH: write_fn writes the families into f.  Returns 0, or -1
 * after one line on stderr (the run goes on). */
int om__write(void (*write_fn)(FILE *f, void *ctx), void *ctx);

/* "# HELP name help" and "# TYPE name type" */
void om__family(FILE *f, const char *name, const char *type, const char *help);

/* Label sets: om__label appends name="value" (value escaped) to a buffer
 * that starts as "" . */
struct om_labels {
	char buf[256];
};
void om__label(struct om_labels *l, const char *name, const char *value);

/* name{labels} value */
void om__sample(FILE *f, const char *name, const struct om_labels *l, __u64 value);

/* A counter family of one sample for the whole run: label dev when -d
 * chose a controller (hist_env.dev), none otherwise. */
void om__run_counter(FILE *f, const char *name, const char *help, __u64 value);

/*
 * A log2 histogram (common/hist.h: slot i holds [2^i, 2^(i+1)) units, slot
 * 0 holds 0 and 1) as name_bucket{le=...} (cumulative; upper bounds
 * 2^(i+1) * unit, every slot and +Inf, so the series stay the same from
 * one write to the next), name_sum and name_count.  The sum is taken from
 * the slots' midpoints (1.5 * 2^i units, slot 0: 1 unit).
 */
void om__histogram_log2(FILE *f, const char *name, const struct om_labels *l,
			const __u64 *slots, int nslots, double unit);

/* Same, with the real sum (in the histogram's units) where the BPF side
 * adds the values up. */
void om__histogram_log2_sum(FILE *f, const char *name, const struct om_labels *l,
			    const __u64 *slots, int nslots, double unit, double sum);

/*
 * The cumulative copy: adds n rows (structs of row_sz bytes with a key of
 * key_sz bytes at key_off and val_sz bytes of __u64 counters at val_off)
 * into *acc, a growing array of the same structs (*nacc used, *cap
 * allocated), summing the counters of equal keys; merge, when not NULL,
 * then folds the rest of the row (maxima, last seen) into the older one.
 * Returns 0, or -1 when out of memory (after one line on stderr).
 */
int om__accumulate(void **acc, int *nacc, int *cap, const void *rows, int n, size_t row_sz,
		   size_t key_off, size_t key_sz, size_t val_off, size_t val_sz,
		   void (*merge)(void *acc_row, const void *row));

#define om__accumulate_rows(acc, nacc, cap, rows, n)				\
	om__accumulate((void **)(acc), nacc, cap, rows, n, sizeof((rows)[0]),	\
		       offsetof(__typeof__((rows)[0]), key), sizeof((rows)[0].key), \
		       offsetof(__typeof__((rows)[0]), val), sizeof((rows)[0].val), NULL)

/* Linear buckets: slot i holds [base + i*step, base + (i+1)*step) units,
 * over the samples above the last slot (only in +Inf); sum: the real sum
 * of the values, in units. */
void om__histogram_linear(FILE *f, const char *name, const struct om_labels *l,
			  const __u64 *slots, int nslots, long base, long step, __u64 over,
			  double unit, double sum);

/* A histogram tool's rows since the start. */
struct om_cumul {
	void *rows;
	int n, cap;
};

/* The text beside the file: the interval's rows (sorted), or without an
 * interval (the ticks are then the file's only) c's cumulative rows at the
 * end: the same text as without --openmetrics. */
void om__print_text(void *rows, int n, size_t row_sz, int (*cmp)(const void *, const void *),
		    void (*print_row)(const void *row, const char *unit), struct om_cumul *c,
		    bool final);

/*
 * hist__print_map with --openmetrics: the interval's rows (drained from the
 * map fd into rows, max of them) go into the cumulative copy c and the
 * file (write_fn(f, ctx) writes it from c).  The text shows the interval's
 * rows, or without an interval (the ticks are then the file's only) the
 * cumulative rows at the end: the same text as without --openmetrics.
 */
#define om__print_map(fd, rows, max, cmp, print_row, c, write_fn, ctx, final) do {	\
	int n_ = map__drain_rows(fd, rows, max);					\
										\
	om__accumulate_rows(&(c)->rows, &(c)->n, &(c)->cap, rows, n_);		\
	om__write(write_fn, ctx);						\
	om__print_text(rows, n_, sizeof((rows)[0]), cmp, print_row, c, final);	\
} while (0)

#endif
