// SPDX-License-Identifier: GPL-2.0
/*
 * btwmem: how full the send buffers (sk_wmem_alloc against sk_sndbuf) of
 * L2CAP, SCO and ISO sockets are at each send, as histograms per protocol,
 * process or socket, or as a terminal heatmap over time; plus the sends
 * that blocked for buffer space (and how long) or failed with EAGAIN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "btwmem.h"
#include "btwmem.skel.h"
#include "cgroup.h"
#include "cli.h"
#include "hist.h"
#include "json.h"
#include "maps.h"
#include "names.h"
#include "openmetrics.h"
#include "probes.h"
#include "tool.h"
#include "trace.h"

#define TRACED_MODULE "bluetooth"

static struct env {
	__u32 pid;
	bool per_pid;
	bool per_sock;
	bool per_cgroup;
	bool percent;
	bool wait;
	bool heatmap;
} env;

const char argp_program_doc[] =
"Show how full the send buffers of Bluetooth L2CAP, SCO and ISO sockets are.\n"
"\n"
"USAGE: btwmem [-h] [-T] [-j] [-P | -S | -G] [-%] [-w] [-p PID] [--cgroup PATH]\n"
"              [--heatmap] [--openmetrics PATH [-q]] [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    btwmem                # wmem bytes per protocol, print on Ctrl-C\n"
"    btwmem 1 10           # ... every second, ten times\n"
"    btwmem -%             # wmem as a percentage of sndbuf\n"
"    btwmem -P             # one histogram per process\n"
"    btwmem -S             # one histogram per socket, with the peer address\n"
"    btwmem -G             # one histogram per cgroup v2 (service, container)\n"
"    btwmem -w             # add the time blocked senders waited for space\n"
"    btwmem -p 1234        # only PID 1234\n"
"    btwmem --cgroup /sys/fs/cgroup/user.slice   # only processes of that cgroup v2\n"
"    btwmem --heatmap 1    # one heatmap row per second\n"
"    btwmem -w -q --openmetrics /var/lib/prometheus/node-exporter/btwmem.prom\n"
"                          # Prometheus metrics every 15 s, nothing on stdout\n";

enum { OPT_HEATMAP = 256 };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only", 0 },
	{ "per-process", 'P', NULL, 0, "One histogram per process (PID COMM)", 0 },
	{ "per-socket", 'S', NULL, 0, "One histogram per socket, with its peer address", 0 },
	{ "percent", '%', NULL, 0, "Histogram of wmem as a percentage of sndbuf (10% buckets)", 0 },
	{ "wait", 'w', NULL, 0, "Add a histogram of the time blocked senders waited for buffer space", 0 },
	{ "heatmap", OPT_HEATMAP, NULL, 0, "One line per interval, one shaded cell per bucket", 0 },
	CLI_OPTION_CGROUP,
	CLI_OPTION_PER_CGROUP,
	CLI_OPTION_OPENMETRICS,
	CLI_OPTION_QUIET,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		env.pid = cli__parse_long(state, arg, "PID", 1, 4194304);
		break;
	case 'P':
		env.per_pid = true;
		break;
	case 'S':
		env.per_sock = true;
		break;
	case 'G':
		env.per_cgroup = true;
		break;
	case '%':
		env.percent = true;
		break;
	case 'w':
		env.wait = true;
		break;
	case OPT_HEATMAP:
		env.heatmap = true;
		break;
	case OPT_CGROUP:
		return cgroup__parse_arg(key, arg, state);
	case ARGP_KEY_END:
		if (env.per_pid + env.per_sock + env.per_cgroup > 1)
			argp_error(state, "-P, -S and -G are exclusive");
		if (env.heatmap && (env.per_pid || env.per_sock || env.per_cgroup || env.wait))
			argp_error(state, "--heatmap shows one row per protocol: not with -P, -S, -G or -w");
		/* a heatmap is a time axis: one row per second unless told */
		if (env.heatmap && !hist_env.ia.interval)
			hist_env.ia.interval = 1;
		break;
	default:
		return cli__parse_hist_arg(key, arg, state);
	}
	return 0;
}

static const char *proto_name(int proto)
{
	return bt__proto_name(proto);
}

/* ---- collecting one interval ---- */

struct row {
	struct wmem_key key;
	struct wmem_val val;
};

static int row_cmp(const void *a, const void *b)
{
	const struct wmem_key *x = &((const struct row *)a)->key;
	const struct wmem_key *y = &((const struct row *)b)->key;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->cgroup != y->cgroup)
		return x->cgroup < y->cgroup ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->sk < y->sk ? -1 : x->sk > y->sk;
}

/* Moves every entry of the BPF map into rows (so each interval starts
 * from zero), sorted by protocol, then cgroup, PID, socket. */
static int drain(int fd, struct row *rows)
{
	int n = map__drain_rows(fd, rows, WMEM_MAX_KEYS);

	qsort(rows, n, sizeof(rows[0]), row_cmp);
	return n;
}

/* ---- histogram output ---- */

static void print_label(const struct row *r)
{
	char peer[18], cg[24];

	printf("proto = %s", proto_name(r->key.proto));
	if (env.per_cgroup)
		printf(", cgroup = %s", cgroup__path(r->key.cgroup, cg));
	if (env.per_pid)
		printf(", pid = %u, comm = %.*s", r->key.pid, TASK_COMM_LEN, r->val.comm);
	if (env.per_sock) {
		printf(", sock = 0x%llx, peer = %s, pid = %u, comm = %.*s",
		       (unsigned long long)r->key.sk,
		       r->val.has_peer ? btaddr__format(r->val.peer, peer) : "-",
		       r->val.last_pid, TASK_COMM_LEN, r->val.comm);
	}
	printf("\n");
}

static void print_summary(const struct wmem_val *v)
{
	printf("  sends: %llu  wmem max: %llu B  sndbuf: ", (unsigned long long)v->samples,
	       (unsigned long long)v->wmem_max);
	if (v->sndbuf_min == v->sndbuf_max)
		printf("%u B", v->sndbuf_max);
	else
		printf("%u..%u B", v->sndbuf_min, v->sndbuf_max);
	printf("  allocs: %llu  blocked: %llu  EAGAIN: %llu\n", (unsigned long long)v->allocs,
	       (unsigned long long)v->blocked, (unsigned long long)v->eagain);
}

static void print_text(const struct row *r)
{
	const struct wmem_val *v = &r->val;

	print_label(r);
	if (env.percent) {
		hist__print_linear(stdout, v->slots, PCT_SLOTS, 0, PCT_STEP, "% of sndbuf");
		if (v->over)
			printf("  %llu sends at or above %d%% of sndbuf\n",
			       (unsigned long long)v->over, PCT_SLOTS * PCT_STEP);
	} else {
		hist__print_log2(stdout, v->slots, WMEM_SLOTS, "wmem bytes");
	}
	print_summary(v);
	if (env.wait && v->blocked) {
		printf("  blocked allocations: time waited for buffer space\n");
		hist__print_log2(stdout, v->wait_slots, WAIT_SLOTS, "usecs");
	}
	printf("\n");
}

static void print_json(const struct row *r, const char *time)
{
	const struct wmem_val *v = &r->val;
	char peer[18], cg[24];

	printf("{");
	if (time)
		printf("\"time\":\"%s\",", time);
	printf("\"proto\":\"%s\"", proto_name(r->key.proto));
	if (env.per_cgroup) {
		printf(",\"cgroup\":");
		json__string_n(stdout, cgroup__path(r->key.cgroup, cg), 4096);
		printf(",\"cgroup_id\":%llu", (unsigned long long)r->key.cgroup);
	}
	if (env.per_pid || env.per_sock) {
		printf(",\"pid\":%u,\"comm\":", env.per_pid ? r->key.pid : v->last_pid);
		json__string_n(stdout, v->comm, TASK_COMM_LEN);
	}
	if (env.per_sock) {
		printf(",\"sock\":\"0x%llx\"", (unsigned long long)r->key.sk);
		if (v->has_peer)
			printf(",\"peer\":\"%s\"", btaddr__format(v->peer, peer));
	}
	printf(",\"sends\":%llu,\"wmem_max\":%llu,\"sndbuf_min\":%u,\"sndbuf_max\":%u,"
	       "\"allocs\":%llu,\"blocked\":%llu,\"eagain\":%llu,",
	       (unsigned long long)v->samples, (unsigned long long)v->wmem_max, v->sndbuf_min,
	       v->sndbuf_max, (unsigned long long)v->allocs, (unsigned long long)v->blocked,
	       (unsigned long long)v->eagain);
	if (env.percent) {
		printf("\"over\":%llu,\"percent\":", (unsigned long long)v->over);
		hist__json_linear(stdout, v->slots, PCT_SLOTS, 0, PCT_STEP, "percent");
	} else {
		printf("\"wmem\":");
		hist__json_log2(stdout, v->slots, WMEM_SLOTS, "bytes");
	}
	if (env.wait) {
		printf(",\"wait\":");
		hist__json_log2(stdout, v->wait_slots, WAIT_SLOTS, "usecs");
	}
	printf("}\n");
}

static void print_hists(const struct row *rows, int n)
{
	char ts[16];
	const char *time = common_env.timestamp ? trace__time_now(ts) : NULL;
	int i;

	if (time && !common_env.json)
		printf("%s\n", time);
	for (i = 0; i < n; i++) {
		if (common_env.json)
			print_json(&rows[i], time);
		else
			print_text(&rows[i]);
	}
}

/* ---- heatmap output ---- */

/* log2 columns up to 16 MiB (the last one holds everything above);
 * percent columns are the PCT_SLOTS buckets plus one for "over". */
#define HEAT_LOG2_COLS	24
#define HEAT_MAX_COLS	32

static const char shades[] = " .:-=+*#%@";

static int heat_cols(void)
{
	return env.percent ? PCT_SLOTS + 1 : HEAT_LOG2_COLS;
}

/* The row's cell counts, in column order. */
static void heat_cells(const struct wmem_val *v, __u64 *cells)
{
	int i, ncols = heat_cols();

	memset(cells, 0, HEAT_MAX_COLS * sizeof(*cells));
	if (env.percent) {
		memcpy(cells, v->slots, PCT_SLOTS * sizeof(*cells));
		cells[PCT_SLOTS] = v->over;
		return;
	}
	for (i = 0; i < WMEM_SLOTS; i++)
		cells[i < ncols ? i : ncols - 1] += v->slots[i];
}

/* Shade by the share of the row's busiest cell: any sample shows as at
 * least '.', the busiest cell as '@'. */
static char shade(__u64 count, __u64 max)
{
	int levels = sizeof(shades) - 2;

	if (!count || !max)
		return ' ';
	return shades[1 + (int)(count * (levels - 1) / max)];
}

/* Column labels above the cells: every 4th log2 bucket, every 5th %. */
static void print_heat_header(void)
{
	static const char *const log2_labels[] = { "0", "16", "256", "4K", "64K", "1M" };
	static const char *const pct_labels[] = { "0%", "50%", "100%", "150%", ">" };
	char ruler[HEAT_MAX_COLS + 1];
	int i, ncols = heat_cols(), every = env.percent ? 5 : 4;
	int nlabels = env.percent ? 5 : 6;

	memset(ruler, ' ', sizeof(ruler));
	ruler[ncols] = '\0';
	for (i = 0; i < nlabels; i++) {
		const char *l = env.percent ? pct_labels[i] : log2_labels[i];

		memcpy(ruler + i * every, l, strlen(l));
	}
	printf("%-8s %-5s |%s| %s\n", "TIME", "PROTO", ruler, "SENDS");
}

static void print_heat_row(const char *time, const char *proto, const struct wmem_val *v)
{
	__u64 cells[HEAT_MAX_COLS], max = 0;
	int i, ncols = heat_cols();

	heat_cells(v, cells);
	for (i = 0; i < ncols; i++)
		if (cells[i] > max)
			max = cells[i];
	if (common_env.json) {
		printf("{\"time\":\"%s\",\"proto\":\"%s\",\"sends\":%llu,\"cells\":[", time, proto,
		       (unsigned long long)v->samples);
		for (i = 0; i < ncols; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)cells[i]);
		printf("]}\n");
		return;
	}
	printf("%-8s %-5s |", time, proto);
	for (i = 0; i < ncols; i++)
		putchar(shade(cells[i], max));
	printf("| %llu\n", (unsigned long long)v->samples);
}

/* One row per protocol seen so far in the run (an idle one shows blank),
 * or a single blank "-" row before anything was seen: one line per
 * interval at least, so idle time shows on the time axis. */
static void print_heatmap(const struct row *rows, int n)
{
	static unsigned int seen;	/* bit per BTPROTO_* */
	static const struct wmem_val empty;
	char ts[16];
	int proto, i;

	trace__time_now(ts);
	for (i = 0; i < n; i++)
		seen |= 1u << rows[i].key.proto;
	if (!seen) {
		print_heat_row(ts, "-", &empty);
		return;
	}
	for (proto = 0; proto < BTPROTO_MAX; proto++) {
		const struct wmem_val *v = &empty;

		if (!(seen & (1u << proto)))
			continue;
		for (i = 0; i < n; i++)
			if (rows[i].key.proto == proto)
				v = &rows[i].val;	/* one key per proto here */
		print_heat_row(ts, proto_name(proto), v);
	}
}

/* ---- --openmetrics ---- */

/* The rows since the start (the map is drained every interval). */
static struct om_cumul cumul;

/* What is not a counter in a row: extremes, and the last sender. */
static void merge_row(void *acc_row, const void *row)
{
	struct wmem_val *a = &((struct row *)acc_row)->val;
	const struct wmem_val *v = &((const struct row *)row)->val;

	if (v->wmem_max > a->wmem_max)
		a->wmem_max = v->wmem_max;
	if (v->sndbuf_max && (!a->sndbuf_max || v->sndbuf_min < a->sndbuf_min))
		a->sndbuf_min = v->sndbuf_min;
	if (v->sndbuf_max > a->sndbuf_max)
		a->sndbuf_max = v->sndbuf_max;
	if (v->last_pid) {
		a->last_pid = v->last_pid;
		memcpy(a->comm, v->comm, sizeof(a->comm));
	}
	if (v->has_peer) {
		a->has_peer = 1;
		memcpy(a->peer, v->peer, sizeof(a->peer));
	}
}

static void accumulate(const struct row *rows, int n)
{
	om__accumulate(&cumul.rows, &cumul.n, &cumul.cap, rows, n, sizeof(rows[0]),
		       offsetof(struct row, key), sizeof(rows[0].key), offsetof(struct row, val),
		       offsetof(struct wmem_val, wmem_max), merge_row);
}

/* proto; with -P pid and comm; with -S the socket and its peer; with -G
 * the cgroup's path (its id when it is gone) */
static void row_labels(struct om_labels *l, const struct row *r)
{
	char buf[24];
	int i;

	snprintf(buf, sizeof(buf), "%s", proto_name(r->key.proto));
	for (i = 0; buf[i]; i++)
		buf[i] |= 0x20;		/* lower case, as -P of btsnoop-sock takes */
	om__label(l, "proto", buf);
	if (env.per_cgroup)
		om__label(l, "cgroup", cgroup__path(r->key.cgroup, buf));
	if (env.per_pid) {
		snprintf(buf, sizeof(buf), "%u", r->key.pid);
		om__label(l, "pid", buf);
		snprintf(buf, sizeof(buf), "%.*s", TASK_COMM_LEN, r->val.comm);
		om__label(l, "comm", buf);
	}
	if (env.per_sock) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)r->key.sk);
		om__label(l, "sock", buf);
		om__label(l, "peer", r->val.has_peer ? btaddr__format(r->val.peer, buf) : "");
	}
}

static void write_histograms(FILE *f, const char *name, const char *help)
{
	bool wait = !strcmp(name, "btbpf_wmem_wait_seconds");
	int i;

	om__family(f, name, "histogram", help);
	for (i = 0; i < cumul.n; i++) {
		const struct row *r = (const struct row *)cumul.rows + i;
		struct om_labels l = { "" };

		row_labels(&l, r);
		if (wait)
			om__histogram_log2_sum(f, name, &l, r->val.wait_slots, WAIT_SLOTS, 1e-6,
					       r->val.wait_sum_ns / 1e3);
		else if (env.percent)
			om__histogram_linear(f, name, &l, r->val.slots, PCT_SLOTS, 0, PCT_STEP,
					     r->val.over, 0.01, r->val.wmem_sum);
		else
			om__histogram_log2_sum(f, name, &l, r->val.slots, WMEM_SLOTS, 1, r->val.wmem_sum);
	}
}

/* One counter family from the rows: the __u64 at offset off of wmem_val. */
static void write_counter(FILE *f, const char *name, const char *help, size_t off)
{
	int i;

	om__family(f, name, "counter", help);
	for (i = 0; i < cumul.n; i++) {
		const struct row *r = (const struct row *)cumul.rows + i;
		struct om_labels l = { "" };

		row_labels(&l, r);
		om__sample(f, name, &l, *(const __u64 *)((const char *)&r->val + off));
	}
}

static void write_metrics(FILE *f, void *ctx)
{
	struct btwmem_bpf *obj = ctx;

	if (env.percent)
		write_histograms(f, "btbpf_wmem_sndbuf_ratio", "sk_wmem_alloc / sk_sndbuf at each send");
	else
		write_histograms(f, "btbpf_wmem_bytes", "sk_wmem_alloc at each send");
	if (env.wait)
		write_histograms(f, "btbpf_wmem_wait_seconds", "Time blocked senders waited for buffer space");
	write_counter(f, "btbpf_wmem_sends_total", "Send calls sampled", offsetof(struct wmem_val, samples));
	write_counter(f, "btbpf_wmem_allocs_total", "sock_alloc_send_pskb calls", offsetof(struct wmem_val, allocs));
	write_counter(f, "btbpf_wmem_blocked_total", "Allocations that found the buffer full and waited",
		      offsetof(struct wmem_val, blocked));
	write_counter(f, "btbpf_wmem_eagain_total", "Allocations that failed with EAGAIN",
		      offsetof(struct wmem_val, eagain));
	om__family(f, "btbpf_wmem_uncounted_total", "counter", "Samples not counted: the BPF table was full");
	om__sample(f, "btbpf_wmem_uncounted_total", NULL, obj->bss->key_overflow);
}

static void print_rows(const struct row *rows, int n)
{
	if (env.heatmap)
		print_heatmap(rows, n);
	else
		print_hists(rows, n);
}

/* With --openmetrics the interval's rows go into the cumulative copy and
 * the file; the text shows the interval's rows, or without an interval
 * (the ticks are then the file's only) the cumulative rows at the end. */
static void print_interval_om(struct btwmem_bpf *obj, const struct row *rows, int n, bool final)
{
	accumulate(rows, n);
	om__write(write_metrics, obj);
	if (hist_env.ia.interval) {
		print_rows(rows, n);
	} else if (final) {
		qsort(cumul.rows, cumul.n, sizeof(rows[0]), row_cmp);
		print_rows(cumul.rows, cumul.n);
	}
}

static bool print_interval(void *ctx, bool final)
{
	struct btwmem_bpf *obj = ctx;
	static struct row rows[WMEM_MAX_KEYS];
	int n = drain(bpf_map__fd(obj->maps.hists), rows);

	if (env.per_cgroup)
		cgroup__paths_refresh();	/* once for the file and the text */
	if (om_env.path) {
		print_interval_om(obj, rows, n, final);
		if (!hist_env.ia.interval && !final)
			return true;	/* a tick for the file only */
	} else {
		print_rows(rows, n);
	}
	if (obj->bss->key_overflow)
		warnx_tool("%llu samples not counted: table full",
			   (unsigned long long)obj->bss->key_overflow);
	return true;
}

/* ---- setup ---- */

#define P_SENDMSGS 3	/* l2cap, sco, iso_sock_sendmsg: the first probes */

static void print_banner(const struct probe *probes, int n)
{
	if (common_env.json)
		return;
	printf("Tracing Bluetooth socket send buffers (%s)", probes__mode_name(probes, n));
	if (hist_env.ia.interval)
		printf(", every %ld s", hist_env.ia.interval);
	printf("... Hit Ctrl-C to end.\n");
	if (env.heatmap)
		print_heat_header();
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .doc = argp_program_doc,
	};
	struct btwmem_bpf *obj;
	int err, n;

	err = tool__begin("btwmem", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;

	obj = tool__open(btwmem_bpf);
	if (!obj)
		return 1;
	obj->rodata->targ_tgid = env.pid;
	obj->rodata->targ_per_pid = env.per_pid;
	obj->rodata->targ_per_sock = env.per_sock;
	obj->rodata->targ_percent = env.percent;
	obj->rodata->targ_cgroup = cgroup_fd >= 0;
	obj->rodata->targ_per_cgroup = env.per_cgroup;
	if (!env.per_pid && !env.per_sock && !env.per_cgroup)	/* keyed by protocol alone */
		bpf_map__set_max_entries(obj->maps.hists, BTPROTO_MAX);

	/* SCO needs CONFIG_BT_BREDR and ISO 6.0+ with CONFIG_BT_LE: optional;
	 * the P_SENDMSGS sendmsg probes come first */
	struct probe probes[] = {
		{ .func = "l2cap_sock_sendmsg", .wanted = true },
		{ .func = "sco_sock_sendmsg", .wanted = true, .optional = true },
		{ .func = "iso_sock_sendmsg", .wanted = true, .optional = true },
		{ .func = "sock_alloc_send_pskb", .wanted = true, .home = "vmlinux" },
	};
	n = sizeof(probes) / sizeof(probes[0]);
	err = probes__select(obj->obj, TRACED_MODULE, probes, n);
	if (err)
		goto cleanup;
	/* a sendmsg kprobe's entry stashes the socket for its return in
	 * send_socks; fexit gets it as an argument */
	if (!probes__count_kprobes(probes, P_SENDMSGS))
		map__unused(obj->maps.send_socks);
	err = tool__load_attach(obj->skeleton);
	if (!err)
		err = cgroup__apply(obj->maps.cgroup_map);
	if (err)
		goto cleanup;
	print_banner(probes, n);
	trace__output_ok();	/* the banner now, not with the first interval */

	if (om_env.path)	/* the file exists once we are attached */
		om__write(write_metrics, obj);

	struct loop_opts lo = {
		.interval_s = om__interval(hist_env.ia.interval),
		.count = hist_env.ia.count,
		.on_tick = print_interval,
		.ctx = obj,
	};
	err = trace__run(&lo);

cleanup:
	btwmem_bpf__destroy(obj);
	return err != 0;
}
