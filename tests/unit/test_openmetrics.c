// SPDX-License-Identifier: GPL-2.0
/*
 * The --openmetrics writer: label escaping, a log2 histogram as cumulative
 * buckets in seconds, the cumulative copy, and the file written whole
 * (mode 0644, no temporary file left), accepted by promtool when it is
 * installed (tests/deps.sh installs it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "openmetrics.h"
#include "unit.h"

static void test_labels(void)
{
	struct om_labels l = { "" };

	om__label(&l, "dev", "hci0");
	om__label(&l, "comm", "a\"b\\c\nd");
	CHECK_STR(l.buf, "dev=\"hci0\",comm=\"a\\\"b\\\\c\\nd\"");
}

static void test_histogram(void)
{
	__u64 slots[3] = { 1, 0, 2 };
	struct om_labels l = { "" };
	char *buf = NULL;
	size_t size = 0;

	om__label(&l, "dev", "hci0");
	CAPTURE(buf, size, om__histogram_log2(out, "x_seconds", &l, slots, 3, 1e-6));
	/* upper bounds 2, 4, 8 usecs; sum: 1 usec for slot 0, 2 * 6 for slot 2 */
	CHECK_STR(buf,
		  "x_seconds_bucket{dev=\"hci0\",le=\"2e-06\"} 1\n"
		  "x_seconds_bucket{dev=\"hci0\",le=\"4e-06\"} 1\n"
		  "x_seconds_bucket{dev=\"hci0\",le=\"8e-06\"} 3\n"
		  "x_seconds_bucket{dev=\"hci0\",le=\"+Inf\"} 3\n"
		  "x_seconds_sum{dev=\"hci0\"} 1.3e-05\n"
		  "x_seconds_count{dev=\"hci0\"} 3\n");
	free(buf);
	CAPTURE(buf, size, om__histogram_log2(out, "y_seconds", NULL, slots, 1, 1e-3));
	CHECK_STR(buf, "y_seconds_bucket{le=\"0.002\"} 1\ny_seconds_bucket{le=\"+Inf\"} 1\n"
		  "y_seconds_sum 0.001\ny_seconds_count 1\n");
	free(buf);
	/* linear, percent as a ratio: [0,10) [10,20) %, 4 above 20 % in +Inf
	 * only; the real sum, 123 %, as a ratio */
	slots[1] = 1;
	slots[0] = 2;
	CAPTURE(buf, size, om__histogram_linear(out, "r_ratio", NULL, slots, 2, 0, 10, 4, 0.01, 123));
	CHECK_STR(buf, "r_ratio_bucket{le=\"0.1\"} 2\nr_ratio_bucket{le=\"0.2\"} 3\n"
		  "r_ratio_bucket{le=\"+Inf\"} 7\nr_ratio_sum 1.23\nr_ratio_count 7\n");
	free(buf);
	/* log2 with the real sum: 1500 usecs */
	CAPTURE(buf, size, om__histogram_log2_sum(out, "s_seconds", NULL, slots, 1, 1e-6, 1500));
	CHECK_STR(buf, "s_seconds_bucket{le=\"2e-06\"} 2\ns_seconds_bucket{le=\"+Inf\"} 2\n"
		  "s_seconds_sum 0.0015\ns_seconds_count 2\n");
	free(buf);
}

struct row {
	struct { int a; } key;
	struct { __u64 n[2]; } val;
};

/* om__run_counter: the dev label only when -d chose a controller */
static void test_run_counter(void)
{
	char *buf = NULL;
	size_t size = 0;
	int dev = hist_env.dev;

	hist_env.dev = -1;
	CAPTURE(buf, size, om__run_counter(out, "c_total", "Help", 7));
	CHECK_STR(buf, "# HELP c_total Help\n# TYPE c_total counter\nc_total 7\n");
	free(buf);
	buf = NULL;
	hist_env.dev = 1;
	CAPTURE(buf, size, om__run_counter(out, "c_total", "Help", 7));
	CHECK_STR(buf, "# HELP c_total Help\n# TYPE c_total counter\nc_total{dev=\"hci1\"} 7\n");
	free(buf);
	hist_env.dev = dev;
}

static void test_accumulate(void)
{
	struct row first[2] = { { { 1 }, { { 1, 2 } } }, { { 2 }, { { 5, 5 } } } };
	struct row second[1] = { { { 1 }, { { 10, 20 } } } };
	struct row *acc = NULL;
	int n = 0, cap = 0, i;

	CHECK(om__accumulate_rows(&acc, &n, &cap, first, 2) == 0);
	CHECK(om__accumulate_rows(&acc, &n, &cap, second, 1) == 0);
	CHECK(n == 2);
	CHECK(acc[0].key.a == 1 && acc[0].val.n[0] == 11 && acc[0].val.n[1] == 22);
	CHECK(acc[1].key.a == 2 && acc[1].val.n[0] == 5);
	/* grows past its first allocation */
	for (i = 0; i < 200; i++) {
		struct row r = { { 100 + i }, { { 1, 1 } } };

		om__accumulate_rows(&acc, &n, &cap, &r, 1);
	}
	CHECK(n == 202 && acc[201].key.a == 299);
	free(acc);
}

static void write_some(FILE *f, void *ctx)
{
	__u64 slots[4] = { 0, 3, 1, 0 };

	om__family(f, "btbpf_test_total", "counter", "A test counter");
	om__sample(f, "btbpf_test_total", NULL, *(__u64 *)ctx);
	om__family(f, "btbpf_test_seconds", "histogram", "A test histogram");
	om__histogram_log2(f, "btbpf_test_seconds", NULL, slots, 4, 1e-6);
}

static void test_write(void)
{
	char dir[] = "/tmp/btbpf-om-unit-XXXXXX", path[64], cmd[160], line[128];
	__u64 v = 42;
	struct stat st;
	FILE *f;
	DIR *d;
	struct dirent *de;
	int n = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.prom", dir);
	om_env.path = path;
	CHECK(om__write(write_some, &v) == 0);
	v = 43;
	CHECK(om__write(write_some, &v) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	f = fopen(path, "r");
	CHECK(f && fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f) &&
	      fgets(line, sizeof(line), f));
	CHECK_STR(line, "btbpf_test_total 43\n");
	if (f)
		fclose(f);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(n == 1);	/* no temporary file left */
	if (!system("command -v promtool > /dev/null")) {
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
		CHECK(system(cmd) == 0);
	}
	unlink(path);
	rmdir(dir);
}

static void test_due(void)
{
	int i, writes = 0;

	/* 1 s ticks, no interval given: every 15th, and the final one */
	for (i = 1; i <= 31; i++)
		writes += om__due(1, false, false);
	CHECK(writes == 2);
	CHECK(om__due(1, false, true));
	CHECK(!om__due(1, false, false));
	/* an interval given: every tick */
	CHECK(om__due(2, true, false) && om__due(2, true, false));
	/* 15 s ticks (-e alone): every tick */
	CHECK(om__due(15, false, false) && om__due(15, false, false));
}

int main(void)
{
	test_labels();
	test_histogram();
	test_run_counter();
	test_accumulate();
	test_due();
	test_write();
	return unit_done("openmetrics");
}
