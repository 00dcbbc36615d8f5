// SPDX-License-Identifier: GPL-2.0
/*
 * btsnoop-sock: trace sendmsg/recvmsg on Bluetooth sockets (L2CAP, SCO,
 * HCI, RFCOMM, ISO): who, which socket and peer, bytes, errors; or count
 * them per process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "btsnoop-sock.h"
#include "btsnoop-sock.skel.h"
#include "cgroup.h"
#include "cli.h"
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
	unsigned int protos;	/* bit per BTPROTO_*; 0 = all */
	bool failed;
	bool count;
	bool per_cgroup;
	bool addr;
	bool latency;
	long interval;
	long duration;
} env;

/* indexed by BTPROTO_*, NULL where unnamed (common/names.c) */
static const char *const *const proto_names = bt_proto_names;

const char argp_program_doc[] =
"Trace sendmsg/recvmsg on Bluetooth sockets (L2CAP, SCO, HCI, RFCOMM, ISO).\n"
"\n"
"USAGE: btsnoop-sock [-h] [-T] [-j] [-a] [-L] [-x] [-p PID] [-P PROTO[,PROTO]]\n"
"                    [--cgroup PATH] [-c [-G] [-i SECONDS]\n"
"                    [--openmetrics PATH [-q]]] [-d SECONDS]\n"
"\n"
"EXAMPLES:\n"
"    btsnoop-sock              # trace every Bluetooth socket call\n"
"    btsnoop-sock -a           # add peer address, connection handle, PSM/CID\n"
"    btsnoop-sock -L           # add the time spent in the kernel (usecs)\n"
"    btsnoop-sock -P sco       # SCO sockets only (audio)\n"
"    btsnoop-sock -x           # only calls that failed (EAGAIN, ...)\n"
"    btsnoop-sock -p 1234      # only PID 1234\n"
"    btsnoop-sock --cgroup /sys/fs/cgroup/system.slice/bluetooth.service\n"
"                              # only the processes of that cgroup v2\n"
"    btsnoop-sock -c           # count calls/bytes/errors, print on Ctrl-C\n"
"    btsnoop-sock -c -i 5      # ... and every 5 seconds\n"
"    btsnoop-sock -c -G        # count per cgroup v2 (service, container)\n"
"    btsnoop-sock -j -d 10     # JSON lines for 10 seconds\n"
"    btsnoop-sock -c -q --openmetrics /var/lib/prometheus/node-exporter/btsnoop.prom\n"
"                              # Prometheus counters every 15 s, nothing on stdout\n";

enum { OPT_INTERVAL = 'i' };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only", 0 },
	{ "proto", 'P', "PROTO", 0, "Protocols, comma-separated: l2cap,sco,hci,rfcomm,iso", 0 },
	{ "failed", 'x', NULL, 0, "Only calls that returned an error", 0 },
	{ "count", 'c', NULL, 0, "Count calls, bytes and errors per process instead of tracing each", 0 },
	{ "interval", OPT_INTERVAL, "SECONDS", 0, "With -c: print and reset the counts every SECONDS", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "addr", 'a', NULL, 0, "Add peer address, connection handle and channel columns", 0 },
	{ "latency", 'L', NULL, 0, "Add the time the call spent in the kernel (usecs)", 0 },
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
		env.protos = cli__parse_protos(state, arg, ~0u, "l2cap, sco, hci, rfcomm, iso");
		break;
	case 'x':
		env.failed = true;
		break;
	case 'c':
		env.count = true;
		break;
	case 'G':
		env.per_cgroup = true;
		break;
	case OPT_INTERVAL:
		env.interval = cli__parse_long(state, arg, "interval", 1, 86400);
		break;
	case 'd':
		env.duration = cli__parse_long(state, arg, "duration", 1, 31536000);
		break;
	case 'a':
		env.addr = true;
		break;
	case 'L':
		env.latency = true;
		break;
	case OPT_CGROUP:
		return cgroup__parse_arg(key, arg, state);
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.per_cgroup && !env.count)
			argp_error(state, "-G/--per-cgroup needs -c/--count");
		if (env.interval && !env.count)
			argp_error(state, "-i/--interval needs -c/--count");
		if (env.count && (env.addr || env.latency))
			argp_error(state, "-a and -L print per-call columns: not with -c/--count");
		if (om_env.path && !env.count)
			argp_error(state, "--openmetrics needs -c/--count");
		break;
	default:
		return om__parse_arg(key, arg, state);
	}
	return 0;
}

static bool want_proto(int proto)
{
	return !env.protos || (env.protos & (1u << proto));
}

/* ---- event mode ---- */

static void print_header(void)
{
	if (common_env.json)
		return;
	if (common_env.timestamp)
		printf("%-8s ", "TIME");
	printf("%-7s %-16s %-6s %s %7s %-7s", "PID", "COMM", "PROTO", "D", "BYTES", "RET");
	if (env.latency)
		printf(" %9s", "LAT(us)");
	if (env.addr)
		printf(" %-17s %-6s %s", "PEER", "HANDLE", "CHAN");
	printf("\n");
}

/* "[krfcommd]" for kernel threads, as ps shows them */
static const char *comm_label(const struct sock_event *e, char *buf, size_t len)
{
	if (e->flags & EV_KTHREAD)
		snprintf(buf, len, "[%.*s]", TASK_COMM_LEN, e->comm);
	else
		snprintf(buf, len, "%.*s", TASK_COMM_LEN, e->comm);
	return buf;
}

static void chan_text(const struct sock_event *e, char *buf, size_t len)
{
	if (e->proto == BTPROTO_L2CAP && (e->flags & EV_HAS_PEER))
		snprintf(buf, len, "psm=0x%04x cid=0x%04x", e->psm, e->cid);
	else if (e->proto == BTPROTO_RFCOMM && (e->flags & EV_HAS_PEER))
		snprintf(buf, len, "ch=%u", e->cid);
	else
		snprintf(buf, len, "-");
}

static void print_event_text(const struct sock_event *e)
{
	char ts[16], comm[TASK_COMM_LEN + 3], ret[24], peer[18], handle[8], chan[32], eb[16];

	if (common_env.timestamp)
		printf("%-8s ", trace__time_of(e->ts_ns, ts));
	if (e->ret >= 0)
		snprintf(ret, sizeof(ret), "%lld", (long long)e->ret);
	else
		snprintf(ret, sizeof(ret), "%s", errno__name(-e->ret, eb));
	printf("%-7u %-16s %-6s %s %7lld %-7s", e->pid, comm_label(e, comm, sizeof(comm)),
	       proto_names[e->proto], e->dir == DIR_SEND ? "W" : "R",
	       e->ret > 0 ? (long long)e->ret : 0LL, ret);
	if (env.latency)
		printf(" %9.1f", e->lat_ns / 1000.0);
	if (env.addr) {
		if (e->flags & EV_HAS_PEER)
			btaddr__format(e->peer, peer);
		else if (e->flags & EV_HAS_DEV)
			hci__name(e->dev, peer);
		else
			strcpy(peer, "-");
		if (e->flags & EV_HAS_HANDLE)
			snprintf(handle, sizeof(handle), "%u", e->handle);
		else
			strcpy(handle, "-");
		chan_text(e, chan, sizeof(chan));
		printf(" %-17s %-6s %s", peer, handle, chan);
	}
	printf("\n");
}

static void print_event_json(const struct sock_event *e)
{
	char buf[24], eb[16];

	printf("{\"ts_ns\":%llu", (unsigned long long)e->ts_ns);
	if (common_env.timestamp)
		printf(",\"time\":\"%s\"", trace__time_of(e->ts_ns, buf));
	printf(",\"pid\":%u,\"tid\":%u,\"comm\":", e->pid, e->tid);
	json__string_n(stdout, e->comm, TASK_COMM_LEN);
	printf(",\"kthread\":%s,\"proto\":\"%s\",\"dir\":\"%s\",\"bytes\":%lld,\"ret\":%lld",
	       e->flags & EV_KTHREAD ? "true" : "false", proto_names[e->proto],
	       e->dir == DIR_SEND ? "W" : "R", e->ret > 0 ? (long long)e->ret : 0LL,
	       (long long)e->ret);
	if (e->ret < 0)
		printf(",\"errno\":\"%s\"", errno__name(-e->ret, eb));
	printf(",\"len\":%llu,\"lat_us\":%.1f", (unsigned long long)e->len, e->lat_ns / 1000.0);
	if (e->flags & EV_HAS_PEER)
		printf(",\"peer\":\"%s\"", btaddr__format(e->peer, buf));
	if (e->flags & EV_HAS_DEV)
		printf(",\"dev\":\"%s\"", hci__name(e->dev, buf));
	if (e->flags & EV_HAS_HANDLE)
		printf(",\"handle\":%u", e->handle);
	if (e->proto == BTPROTO_L2CAP && (e->flags & EV_HAS_PEER))
		printf(",\"psm\":%u,\"cid\":%u", e->psm, e->cid);
	if (e->proto == BTPROTO_RFCOMM && (e->flags & EV_HAS_PEER))
		printf(",\"channel\":%u", e->cid);
	printf("}\n");
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct sock_event *e = data;

	if (size < sizeof(*e) || e->proto >= BTPROTO_MAX || !proto_names[e->proto])
		return 0;
	if (common_env.json)
		print_event_json(e);
	else
		print_event_text(e);
	return 0;
}

/* ---- counting mode ---- */

struct count_row {
	struct count_key key;	/* err = 0 */
	char comm[TASK_COMM_LEN];
	__u64 calls, bytes;
	struct { __u16 err; __u64 n; } errs[8];
	int nerrs;
	__u64 other_errs;
};

static int row_cmp(const void *a, const void *b)
{
	const struct count_key *x = &((const struct count_row *)a)->key;
	const struct count_key *y = &((const struct count_row *)b)->key;

	if (x->cgroup != y->cgroup)
		return x->cgroup < y->cgroup ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return x->dir - y->dir;
}

static struct count_row *find_row(struct count_row *rows, int *n, const struct count_key *k)
{
	int i;

	for (i = 0; i < *n; i++)
		if (rows[i].key.pid == k->pid && rows[i].key.cgroup == k->cgroup &&
		    rows[i].key.proto == k->proto &&
		    rows[i].key.dir == k->dir && rows[i].key.kthread == k->kthread)
			return &rows[i];
	memset(&rows[*n], 0, sizeof(rows[*n]));
	rows[*n].key = *k;
	rows[*n].key.err = 0;
	return &rows[(*n)++];
}

static void add_err(struct count_row *r, __u16 err, __u64 n)
{
	int i;

	for (i = 0; i < r->nerrs; i++)
		if (r->errs[i].err == err) {
			r->errs[i].n += n;
			return;
		}
	if (r->nerrs == (int)(sizeof(r->errs) / sizeof(r->errs[0]))) {
		r->other_errs += n;
		return;
	}
	r->errs[r->nerrs].err = err;
	r->errs[r->nerrs++].n = n;
}

/* The error column: "EAGAIN:3,EPIPE:1", or "-" */
static void print_errs_text(const struct count_row *r)
{
	char eb[16];
	int j;

	for (j = 0; j < r->nerrs; j++)
		printf("%s%s:%llu", j ? "," : "", errno__name(r->errs[j].err, eb),
		       (unsigned long long)r->errs[j].n);
	if (r->other_errs)
		printf("%sother:%llu", r->nerrs ? "," : "", (unsigned long long)r->other_errs);
	if (!r->nerrs && !r->other_errs)
		printf("-");
}

static void print_row_json(const struct count_row *r)
{
	char eb[24];
	int j;

	json__begin_row(stdout);
	if (env.per_cgroup) {
		printf("\"cgroup\":");
		json__string_n(stdout, cgroup__path(r->key.cgroup, eb), 4096);
		printf(",\"cgroup_id\":%llu", (unsigned long long)r->key.cgroup);
	} else {
		printf("\"pid\":%u,\"comm\":", r->key.pid);
		json__string_n(stdout, r->comm, TASK_COMM_LEN);
		printf(",\"kthread\":%s", r->key.kthread ? "true" : "false");
	}
	printf(",\"proto\":\"%s\",\"dir\":\"%s\",\"calls\":%llu,\"bytes\":%llu,\"errors\":{",
	       proto_names[r->key.proto], r->key.dir == DIR_SEND ? "W" : "R",
	       (unsigned long long)r->calls, (unsigned long long)r->bytes);
	for (j = 0; j < r->nerrs; j++)
		printf("%s\"%s\":%llu", j ? "," : "", errno__name(r->errs[j].err, eb),
		       (unsigned long long)r->errs[j].n);
	if (r->other_errs)
		printf("%s\"other\":%llu", r->nerrs ? "," : "", (unsigned long long)r->other_errs);
	printf("}}\n");
}

/* The key columns: PID COMM, or with -G the cgroup path, as wide as the
 * longest one of this print (width). */
static void print_key_text(const struct count_row *r, int width)
{
	char comm[TASK_COMM_LEN + 3], cg[24];

	if (env.per_cgroup) {
		printf("%-*s ", width, cgroup__path(r->key.cgroup, cg));
		return;
	}
	if (r->key.kthread)
		snprintf(comm, sizeof(comm), "[%.*s]", TASK_COMM_LEN, r->comm);
	else
		snprintf(comm, sizeof(comm), "%.*s", TASK_COMM_LEN, r->comm);
	printf("%-7u %-16s ", r->key.pid, comm);
}

static int cgroup_width(const struct count_row *rows, int n)
{
	char cg[24];
	int w = strlen("CGROUP"), i, l;

	for (i = 0; i < n; i++) {
		l = strlen(cgroup__path(rows[i].key.cgroup, cg));
		if (l > w)
			w = l;
	}
	return w;
}

static void print_rows(struct count_row *rows, int n)
{
	int width = env.per_cgroup ? cgroup_width(rows, n) : 0, i;
	char ts[16];

	if (common_env.json) {
		for (i = 0; i < n; i++)
			print_row_json(&rows[i]);
		return;
	}
	if (common_env.timestamp)
		printf("%s\n", trace__time_now(ts));
	if (env.per_cgroup)
		printf("%-*s ", width, "CGROUP");
	else
		printf("%-7s %-16s ", "PID", "COMM");
	printf("%-6s %s %9s %11s %s\n", "PROTO", "D", "CALLS", "BYTES", "ERRORS");
	for (i = 0; i < n; i++) {
		const struct count_row *r = &rows[i];

		print_key_text(r, width);
		printf("%-6s %s %9llu %11llu ", proto_names[r->key.proto],
		       r->key.dir == DIR_SEND ? "W" : "R", (unsigned long long)r->calls,
		       (unsigned long long)r->bytes);
		print_errs_text(r);
		printf("\n");
	}
	printf("\n");
}

struct count_entry {
	struct count_key key;
	struct count_val val;
};

/* Prints entries as one row per (PID, PROTO, DIR). */
static void print_entries(const struct count_entry *counts, int n)
{
	struct count_row *rows = calloc(n ? n : 1, sizeof(*rows));
	int nrows = 0, i;

	if (!rows) {
		warnx_tool("out of memory for %d rows", n);
		return;
	}
	for (i = 0; i < n; i++) {
		struct count_row *r = find_row(rows, &nrows, &counts[i].key);

		memcpy(r->comm, counts[i].val.comm, sizeof(r->comm));
		r->calls += counts[i].val.calls;
		r->bytes += counts[i].val.bytes;
		if (counts[i].key.err)
			add_err(r, counts[i].key.err, counts[i].val.calls);
	}
	qsort(rows, nrows, sizeof(rows[0]), row_cmp);
	print_rows(rows, nrows);
	free(rows);
}

/* ---- --openmetrics ---- */

/* Since the start: the map's entries (for the text at the end when there
 * is no interval) and per (proto, direction, errno), with -G per cgroup
 * too, what the file has. */
static struct count_entry *cumul;
static int ncumul, cumul_cap;

struct om_row {
	struct { __u64 cgroup; __u8 proto, dir; __u16 err; __u32 pad; } key;
	struct { __u64 calls, bytes; } val;
};
static struct om_row *om_rows;
static int nom_rows, om_rows_cap;

static void accumulate(const struct count_entry *counts, int n)
{
	int i;

	/* calls and bytes add up; comm is kept from the first interval */
	om__accumulate((void **)&cumul, &ncumul, &cumul_cap, counts, n, sizeof(counts[0]),
		       offsetof(struct count_entry, key), sizeof(counts[0].key),
		       offsetof(struct count_entry, val), offsetof(struct count_val, comm), NULL);
	for (i = 0; i < n; i++) {
		struct om_row r = {
			.key = { counts[i].key.cgroup, counts[i].key.proto, counts[i].key.dir,
				 counts[i].key.err, 0 },
			.val = { counts[i].val.calls, counts[i].val.bytes },
		};

		om__accumulate_rows(&om_rows, &nom_rows, &om_rows_cap, &r, 1);
	}
}

static void proto_label(struct om_labels *l, int proto)
{
	char lower[8];
	int i;

	for (i = 0; proto_names[proto][i] && i < 7; i++)
		lower[i] = proto_names[proto][i] | 0x20;
	lower[i] = '\0';
	om__label(l, "proto", lower);
}

/* proto, and with -G the cgroup's path (its id when it is gone) */
static void row_labels(struct om_labels *l, __u64 cgroup, int proto)
{
	char cg[24];

	proto_label(l, proto);
	if (env.per_cgroup)
		om__label(l, "cgroup", cgroup__path(cgroup, cg));
}

/* The distinct cgroups of om_rows (one 0 without -G), in first-seen
 * order; returns how many. */
static int om_cgroups(__u64 *ids)
{
	int n = 0, i, j;

	if (!env.per_cgroup) {
		ids[0] = 0;
		return 1;
	}
	for (i = 0; i < nom_rows; i++) {
		for (j = 0; j < n && ids[j] != om_rows[i].key.cgroup; j++)
			;
		if (j == n)
			ids[n++] = om_rows[i].key.cgroup;
	}
	return n;
}

/* sendmsg or recvmsg calls (all, failed ones too) or bytes, per protocol
 * (and with -G per cgroup seen): every traced protocol from the start, at
 * zero until used, so that a rate over the first interval counts them. */
static void write_totals(FILE *f, int dir, bool bytes)
{
	__u64 *cgs = calloc(nom_rows + 1, sizeof(*cgs));
	int ncgs, c, proto, i;
	char name[64];

	if (!cgs)
		return;
	ncgs = om_cgroups(cgs);
	snprintf(name, sizeof(name), "btbpf_sock_%s_%s_total", dir == DIR_SEND ? "sendmsg" : "recvmsg",
		 bytes ? "bytes" : "calls");
	om__family(f, name, "counter", bytes ? "Bytes sent or received (returned by the call)"
					     : "Calls, failed ones included");
	for (c = 0; c < ncgs; c++)
		for (proto = 0; proto < BTPROTO_MAX; proto++) {
			struct om_labels l = { "" };
			__u64 v = 0;

			if (!proto_names[proto] || !want_proto(proto))
				continue;
			for (i = 0; i < nom_rows; i++)
				if (om_rows[i].key.proto == proto && om_rows[i].key.dir == dir &&
				    om_rows[i].key.cgroup == cgs[c])
					v += bytes ? om_rows[i].val.bytes : om_rows[i].val.calls;
			row_labels(&l, cgs[c], proto);
			om__sample(f, name, &l, v);
		}
	free(cgs);
}

static void write_errors(FILE *f, int dir)
{
	char name[64], eb[16];
	int i;

	snprintf(name, sizeof(name), "btbpf_sock_%s_errors_total", dir == DIR_SEND ? "sendmsg" : "recvmsg");
	om__family(f, name, "counter", "Calls that returned an error, per errno");
	for (i = 0; i < nom_rows; i++) {
		struct om_labels l = { "" };

		if (om_rows[i].key.dir != dir || !om_rows[i].key.err)
			continue;
		row_labels(&l, om_rows[i].key.cgroup, om_rows[i].key.proto);
		om__label(&l, "errno", errno__name(om_rows[i].key.err, eb));
		om__sample(f, name, &l, om_rows[i].val.calls);
	}
}

static void write_metrics(FILE *f, void *ctx)
{
	struct btsnoop_sock_bpf *obj = ctx;
	int dir;

	for (dir = DIR_SEND; dir <= DIR_RECV; dir++) {
		write_totals(f, dir, false);
		write_totals(f, dir, true);
		write_errors(f, dir);
	}
	om__family(f, "btbpf_sock_uncounted_calls_total", "counter",
		   "Calls not counted: the BPF count table was full");
	om__sample(f, "btbpf_sock_uncounted_calls_total", NULL, obj->bss->count_overflow);
}

/* Drains the BPF counts map and prints it (each interval starts from zero);
 * with --openmetrics adds it to the totals and writes the file, and without
 * an interval (the ticks are the file's only) prints the totals at the end. */
static bool print_counts(void *ctx, bool final)
{
	struct btsnoop_sock_bpf *obj = ctx;
	static struct count_entry counts[SNOOP_MAX_COUNTS];
	int n = map__drain_rows(bpf_map__fd(obj->maps.counts), counts, SNOOP_MAX_COUNTS);

	if (env.per_cgroup)
		cgroup__paths_refresh();	/* once for the file and the text */
	if (om_env.path) {
		accumulate(counts, n);
		om__write(write_metrics, obj);
	}
	if (om_env.path && !env.interval) {
		if (!final)
			return true;
		print_entries(cumul, ncumul);
	} else {
		print_entries(counts, n);
	}
	if (obj->bss->count_overflow)
		warnx_tool("%llu calls not counted: count table full",
			   (unsigned long long)obj->bss->count_overflow);
	return true;
}

/* ---- setup ---- */

/* A socket handler: traced when its protocol is; needed when -P named
 * it, else skipped when its module (rfcomm.ko) or kernel (ISO: 6.0+)
 * lacks it. */
static struct probe sock_probe(const char *func, int proto, const char *home)
{
	return (struct probe){ .func = func, .wanted = want_proto(proto),
			       .optional = !env.protos, .home = home };
}

static void print_banner(const struct probe *probes, int n)
{
	if (common_env.json)
		return;
	printf("Tracing Bluetooth socket calls (%s)", probes__mode_name(probes, n));
	if (env.duration)
		printf(" for %ld secs", env.duration);
	printf("... Hit Ctrl-C to end.\n");
	if (!env.count)
		print_header();
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .doc = argp_program_doc,
	};
	struct ring_buffer *rb = NULL;
	struct btsnoop_sock_bpf *obj;
	int err, n;

	err = tool__begin("btsnoop-sock", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;

	obj = tool__open(btsnoop_sock_bpf);
	if (!obj)
		return 1;
	obj->rodata->targ_tgid = env.pid;
	obj->rodata->targ_failed = env.failed;
	obj->rodata->targ_count = env.count;
	if (env.count)		/* -c counts in maps: no event lines */
		trace__ring_unused(obj->maps.events);
	obj->rodata->targ_cgroup = cgroup_fd >= 0;
	obj->rodata->targ_per_cgroup = env.per_cgroup;

	struct probe probes[] = {
		sock_probe("l2cap_sock_sendmsg", BTPROTO_L2CAP, NULL),
		sock_probe("l2cap_sock_recvmsg", BTPROTO_L2CAP, NULL),
		sock_probe("sco_sock_sendmsg", BTPROTO_SCO, NULL),
		sock_probe("sco_sock_recvmsg", BTPROTO_SCO, NULL),
		sock_probe("hci_sock_sendmsg", BTPROTO_HCI, NULL),
		sock_probe("hci_sock_recvmsg", BTPROTO_HCI, NULL),
		sock_probe("rfcomm_sock_sendmsg", BTPROTO_RFCOMM, "rfcomm"),
		sock_probe("rfcomm_sock_recvmsg", BTPROTO_RFCOMM, "rfcomm"),
		sock_probe("iso_sock_sendmsg", BTPROTO_ISO, NULL),
		sock_probe("iso_sock_recvmsg", BTPROTO_ISO, NULL),
	};
	n = sizeof(probes) / sizeof(probes[0]);
	err = probes__select(obj->obj, TRACED_MODULE, probes, n);
	if (err)
		goto cleanup;
	if (!probes__count_enabled(probes, n)) {
		warnx_tool("no Bluetooth socket functions found to trace");
		err = 1;
		goto cleanup;
	}

	err = tool__load_attach(obj->skeleton);
	if (!err)
		err = cgroup__apply(obj->maps.cgroup_map);
	if (err)
		goto cleanup;
	if (!env.count) {
		rb = trace__ring_buffer(obj->maps.events, handle_event, NULL);
		if (!rb) {
			err = 1;
			goto cleanup;
		}
	}

	print_banner(probes, n);
	if (om_env.path)	/* the file exists, at zero, once we are attached */
		om__write(write_metrics, obj);

	struct loop_opts lo = {
		.rb = rb,
		.interval_s = env.count ? om__interval(env.interval) : 0,
		.duration_s = env.duration,
		.lost = &obj->bss->lost_events,
		.on_tick = env.count ? print_counts : NULL,
		.ctx = obj,
	};
	err = trace__run(&lo);

cleanup:
	ring_buffer__free(rb);
	btsnoop_sock_bpf__destroy(obj);
	return err != 0;
}
