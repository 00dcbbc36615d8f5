// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "names.h"
#include "openmetrics.h"
#include "trace.h"

struct om_env om_env;

/* The directory PATH will be renamed into must exist and take new files:
 * the temporary file is created there. */
static void check_path(struct argp_state *state, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	errno = 0;
	if (!*path || (slash && !slash[1])) {
		fprintf(stderr, "%s: --openmetrics: '%s' is not a file name\n", state->name, path);
		exit(1);
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (!stat(dir, &st) && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	if (errno || access(dir, W_OK | X_OK)) {
		fprintf(stderr, "%s: --openmetrics: cannot write into directory '%s': %s\n",
			state->name, dir, strerror(errno));
		exit(1);
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: --openmetrics: '%s' is a directory\n", state->name, path);
		exit(1);
	}
}

error_t om__parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_OPENMETRICS:
		check_path(state, arg);
		om_env.path = arg;
		break;
	case 'q':
		om_env.quiet = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

long om__interval(long user_interval)
{
	if (user_interval || !om_env.path)
		return user_interval;
	return OM_DEFAULT_INTERVAL;
}

bool om__due(long tick_s, bool user_interval, bool final)
{
	static long since_write;

	since_write += tick_s;
	if (!user_interval && !final && since_write < OM_DEFAULT_INTERVAL)
		return false;
	since_write = 0;
	return true;
}

int om__write(void (*write_fn)(FILE *f, void *ctx), void *ctx)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd;

	/* not *.prom: the textfile collector skips it until the rename */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", om_env.path);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	/* node_exporter usually runs as another user than ours (root) */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w")))
		goto fail;
	write_fn(f, ctx);
	if (fflush(f) || ferror(f) || fsync(fd))
		goto fail;
	fclose(f);
	f = NULL;
	fd = -1;
	if (rename(tmp, om_env.path))
		goto fail;
	return 0;
fail:
	warnx_tool("cannot write %s: %s", om_env.path, strerror(errno));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

void om__family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void om__label(struct om_labels *l, const char *name, const char *value)
{
	size_t len = strlen(l->buf), room = sizeof(l->buf) - 1;
	const char *s;

	len += snprintf(l->buf + len, sizeof(l->buf) - len, "%s%s=\"", len ? "," : "", name);
	for (s = value; *s && len + 3 < room; s++) {
		/* the format's three escapes */
		if (*s == '\\' || *s == '"' || *s == '\n') {
			l->buf[len++] = '\\';
			l->buf[len++] = *s == '\n' ? 'n' : *s;
		} else {
			l->buf[len++] = *s;
		}
	}
	if (len < room)
		l->buf[len++] = '"';
	l->buf[len] = '\0';
}

static void open_labels(FILE *f, const char *name, const char *suffix, const struct om_labels *l)
{
	fprintf(f, "%s%s", name, suffix);
	if (l && l->buf[0])
		fprintf(f, "{%s}", l->buf);
}

void om__sample(FILE *f, const char *name, const struct om_labels *l, __u64 value)
{
	open_labels(f, name, "", l);
	fprintf(f, " %llu\n", (unsigned long long)value);
}

static void bucket(FILE *f, const char *name, const struct om_labels *l, const char *le,
		   __u64 cumulative)
{
	fprintf(f, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, l && l->buf[0] ? l->buf : "",
		l && l->buf[0] ? "," : "", le, (unsigned long long)cumulative);
}

/* Bucket i's upper bound and midpoint, in the histogram's units. */
struct bounds {
	double (*upper)(int i, const struct bounds *b);
	double (*mid)(int i, const struct bounds *b);
	long base, step;
};

static double log2_upper(int i, const struct bounds *b)
{
	return (double)(1ULL << (i + 1));
}

static double log2_mid(int i, const struct bounds *b)
{
	return i == 0 ? 1.0 : 1.5 * (double)(1ULL << i);
}

static double lin_upper(int i, const struct bounds *b)
{
	return b->base + (double)(i + 1) * b->step;
}

/* sum: the real sum in units, or NULL to add up the slots' midpoints */
static void histogram(FILE *f, const char *name, const struct om_labels *l, const __u64 *slots,
		      int nslots, const struct bounds *b, __u64 over, double unit,
		      const double *real_sum)
{
	__u64 count = 0;
	double sum = 0;
	char le[32];
	int i;

	for (i = 0; i < nslots; i++) {
		count += slots[i];
		if (b->mid)
			sum += slots[i] * b->mid(i, b) * unit;
		snprintf(le, sizeof(le), "%.10g", b->upper(i, b) * unit);
		bucket(f, name, l, le, count);
	}
	count += over;
	if (real_sum)
		sum = *real_sum * unit;
	bucket(f, name, l, "+Inf", count);
	open_labels(f, name, "_sum", l);
	fprintf(f, " %.15g\n", sum);
	open_labels(f, name, "_count", l);
	fprintf(f, " %llu\n", (unsigned long long)count);
}

void om__histogram_log2(FILE *f, const char *name, const struct om_labels *l,
			const __u64 *slots, int nslots, double unit)
{
	const struct bounds b = { log2_upper, log2_mid, 0, 0 };

	histogram(f, name, l, slots, nslots, &b, 0, unit, NULL);
}

void om__histogram_log2_sum(FILE *f, const char *name, const struct om_labels *l,
			    const __u64 *slots, int nslots, double unit, double sum)
{
	const struct bounds b = { log2_upper, NULL, 0, 0 };

	histogram(f, name, l, slots, nslots, &b, 0, unit, &sum);
}

void om__histogram_linear(FILE *f, const char *name, const struct om_labels *l,
			  const __u64 *slots, int nslots, long base, long step, __u64 over,
			  double unit, double sum)
{
	const struct bounds b = { lin_upper, NULL, base, step };

	histogram(f, name, l, slots, nslots, &b, over, unit, &sum);
}

static void add_counters(void *dst, const void *src, size_t val_sz)
{
	__u64 *d = dst;
	const __u64 *s = src;
	size_t i;

	for (i = 0; i < val_sz / sizeof(__u64); i++)
		d[i] += s[i];
}

int om__accumulate(void **acc, int *nacc, int *cap, const void *rows, int n, size_t row_sz,
		   size_t key_off, size_t key_sz, size_t val_off, size_t val_sz,
		   void (*merge)(void *acc_row, const void *row))
{
	int i, j;

	for (i = 0; i < n; i++) {
		const char *r = (const char *)rows + (size_t)i * row_sz;
		char *a = *acc;

		for (j = 0; j < *nacc; j++)
			if (!memcmp(a + (size_t)j * row_sz + key_off, r + key_off, key_sz))
				break;
		if (j == *nacc) {
			if (*nacc == *cap) {
				int grown = *cap ? *cap * 2 : 64;

				a = realloc(*acc, (size_t)grown * row_sz);
				if (!a) {
					warnx_tool("out of memory for the cumulative metrics");
					return -1;
				}
				*acc = a;
				*cap = grown;
			}
			memcpy(a + (size_t)j * row_sz, r, row_sz);
			(*nacc)++;
			continue;
		}
		add_counters(a + (size_t)j * row_sz + val_off, r + val_off, val_sz);
		if (merge)
			merge(a + (size_t)j * row_sz, r);
	}
	return 0;
}

void om__print_text(void *rows, int n, size_t row_sz, int (*cmp)(const void *, const void *),
		    void (*print_row)(const void *row, const char *unit), struct om_cumul *c,
		    bool final)
{
	if (hist_env.ia.interval) {
		qsort(rows, n, row_sz, cmp);
		hist__print_rows(rows, n, row_sz, print_row);
	} else if (final) {
		qsort(c->rows, c->n, row_sz, cmp);
		hist__print_rows(c->rows, c->n, row_sz, print_row);
	}
}

void om__run_counter(FILE *f, const char *name, const char *help, __u64 value)
{
	struct om_labels l = { "" };
	char dev[12];

	if (hist_env.dev >= 0)
		om__label(&l, "dev", hci__name(hist_env.dev, dev));
	om__family(f, name, "counter", help);
	om__sample(f, name, &l, value);
}
