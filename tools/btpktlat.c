// SPDX-License-Identifier: GPL-2.0
/*
 * btpktlat: one Bluetooth L2CAP, ISO or SCO send followed from the
 * application's sendmsg to the controller's acknowledgement (SCO: to the
 * driver), and which layer held it: the socket, the HCI queue, or the
 * controller.  With -r, one received
 * L2CAP frame from the driver to the application's recvmsg: the HCI RX
 * work, L2CAP, or the reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "btpktlat.h"
#include "btpktlat.skel.h"
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
	bool rx;		/* -r */
	bool per_conn;
	long pid;
	long min_ms;		/* -M, -1: histograms */
	unsigned int protos;	/* -P: bits of BTPROTO_* */
} env = { .min_ms = -1, .protos = PKT_PROTOS };

static const char *const send_stages[STAGE_MAX] = {
	[STAGE_SOCK] = "sock", [STAGE_QUEUE] = "queue", [STAGE_USB] = "usb",
	[STAGE_ACK] = "ack", [STAGE_TOTAL] = "total",
};

static const char *const rx_stages[STAGE_MAX] = {
	[RX_STAGE_RXWORK] = "rxwork", [RX_STAGE_SOCKQ] = "sockq",
	[RX_STAGE_READ] = "read", [RX_STAGE_TOTAL] = "total",
};

_Static_assert((int)RX_STAGE_TOTAL == (int)STAGE_TOTAL && STAGE_TOTAL == STAGE_MAX - 1,
	       "total is the last stage on both sides (slowest_stage)");

/* The side's stage names: -r's or the send side's; NULL for the receive
 * side's gap (btpktlat.h), which is never printed. */
static const char *stage_name(__u32 stage)
{
	return (env.rx ? rx_stages : send_stages)[stage % STAGE_MAX];
}

const char argp_program_doc[] =
"Follow Bluetooth L2CAP, ISO and SCO sends from sendmsg to the controller's ack\n"
"(SCO: to the driver): the time each layer held them (sock, queue, usb, ack)\n"
"and in all (total).  With -r, received frames from the driver to recvmsg\n"
"(rxwork, sockq, read, total).\n"
"\n"
"USAGE: btpktlat [-h] [-T] [-j] [-m] [-r] [-C] [-d hciN] [-p PID] [-P PROTO]\n"
"                [-M MS] [--openmetrics PATH [-q]] [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    btpktlat              # one histogram per stage in usecs, on Ctrl-C\n"
"    btpktlat 1 10         # print every second, 10 times\n"
"    btpktlat -m -C        # millisecond histograms per connection\n"
"    btpktlat -M 100       # one line per send that took 100 ms or more\n"
"    btpktlat -M 0 -p 181  # every send of PID 181, one line each\n"
"    btpktlat -P iso -C    # ISO sends only, per connection\n"
"    btpktlat -r -M 50     # one line per frame received that took 50 ms or more\n"
"    btpktlat -j -d hci0   # JSON lines, controller hci0 only\n"
"    btpktlat -q --openmetrics /var/lib/prometheus/node-exporter/btpktlat.prom\n";

enum { OPT_MIN = 'M' };

static const struct argp_option opts[] = {
	CLI_OPTION_MILLIS,
	{ "receive", 'r', NULL, 0, "The receive side: from the driver to recvmsg", 0 },
	{ "per-conn", 'C', NULL, 0, "One set of histograms per connection (controller, handle)", 0 },
	CLI_OPTION_DEVICE,
	{ "pid", 'p', "PID", 0, "Trace this process's sends (-r: reads) only", 0 },
	{ "min", OPT_MIN, "MS", 0, "One line per send (-r: read) whose total took MS ms or more", 0 },
	{ "proto", 'P', "PROTO", 0, "Protocols, comma-separated: l2cap,iso,sco (default: all)", 0 },
	CLI_OPTION_OPENMETRICS,
	CLI_OPTION_QUIET,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'r':
		env.rx = true;
		break;
	case 'C':
		env.per_conn = true;
		break;
	case 'p':
		env.pid = cli__parse_long(state, arg, "PID", 1, 4194304);
		break;
	case OPT_MIN:
		env.min_ms = cli__parse_long(state, arg, "MS", 0, 3600000);
		break;
	case 'P':
		env.protos = cli__parse_protos(state, arg, PKT_PROTOS, "l2cap, iso, sco");
		break;
	case ARGP_KEY_END:
		if (env.min_ms >= 0 && hist_env.ia.seen)
			argp_error(state, "-M prints one line per packet: no interval");
		if (env.min_ms >= 0 && (env.per_conn || hist_env.millis))
			argp_error(state, "-C and -m shape the histograms: not with -M");
		if (env.min_ms >= 0 && om_env.path)
			argp_error(state, "--openmetrics exports the histograms: not with -M");
		return cli__parse_hist_arg(key, arg, state);
	default:
		return cli__parse_hist_arg(key, arg, state);
	}
	return 0;
}

/* ---- histograms ---- */

struct row {
	struct hist_key key;
	struct hist_val val;
};

static int row_cmp(const void *a, const void *b)
{
	const struct hist_key *x = &((const struct row *)a)->key;
	const struct hist_key *y = &((const struct row *)b)->key;

	if (x->dev != y->dev)
		return x->dev - y->dev;
	if (x->handle != y->handle)
		return x->handle - y->handle;
	if (x->proto != y->proto)
		return (int)x->proto - (int)y->proto;
	return (int)x->stage - (int)y->stage;
}

/* The upper bound of the log2 bucket holding the p-th percentile sample:
 * percentiles come from the buckets, so they are powers of two minus one. */
static unsigned long long percentile(const __u64 *slots, __u64 total, int p)
{
	__u64 rank = (total * p + 99) / 100, seen = 0;
	int i;

	for (i = 0; i < PKT_SLOTS; i++) {
		seen += slots[i];
		if (seen >= rank && seen)
			return i == 0 ? 1 : (2ULL << i) - 1;
	}
	return 0;
}

struct stage_summary {
	unsigned long long count, avg, p50, p99, max;
};

static void summarize(const struct hist_val *v, struct stage_summary *s)
{
	__u64 div = hist_env.millis ? 1000000 : 1000;

	s->count = hist__total(v->slots, PKT_SLOTS);
	s->avg = s->count ? v->sum_ns / s->count / div : 0;
	s->p50 = percentile(v->slots, s->count, 50);
	s->p99 = percentile(v->slots, s->count, 99);
	s->max = v->max_ns / div;
}

static void print_row_text(const struct row *r, const char *unit)
{
	const char *stage = stage_name(r->key.stage);
	struct stage_summary s;
	char dev[12];

	summarize(&r->val, &s);
	printf("\nstage = %s", stage);
	if (r->key.proto != BTPROTO_L2CAP)	/* L2CAP's keep their pre-ISO/SCO header */
		printf(" proto = %s", bt__proto_name(r->key.proto));
	if (env.per_conn)
		printf(" dev = %s handle = %u", hci__name(r->key.dev, dev), r->key.handle);
	printf("\n");
	hist__print_log2(stdout, r->val.slots, PKT_SLOTS, unit);
	printf("%s: count %llu, avg %llu, p50 %llu, p99 %llu, max %llu %s\n", stage, s.count,
	       s.avg, s.p50, s.p99, s.max, unit);
}

static void print_row_json(const struct row *r, const char *unit)
{
	struct stage_summary s;
	char dev[12];

	summarize(&r->val, &s);
	json__begin_row(stdout);
	printf("\"stage\":\"%s\",\"proto\":\"%s\",", stage_name(r->key.stage),
	       bt__proto_name(r->key.proto));
	if (env.per_conn)
		printf("\"dev\":\"%s\",\"handle\":%u,", hci__name(r->key.dev, dev), r->key.handle);
	printf("\"count\":%llu,\"avg\":%llu,\"p50\":%llu,\"p99\":%llu,\"max\":%llu,\"hist\":",
	       s.count, s.avg, s.p50, s.p99, s.max);
	hist__json_log2(stdout, r->val.slots, PKT_SLOTS, unit);
	printf("}\n");
}

static void print_row(const void *row, const char *unit)
{
	const struct row *r = row;

	if (!hist__total(r->val.slots, PKT_SLOTS))
		return;
	if (common_env.json)
		print_row_json(r, unit);
	else
		print_row_text(r, unit);
}

/* ---- --openmetrics ---- */

/* The histograms since the start (the map is drained every interval). */
static struct om_cumul cumul;

/* The one value of a row that is not a counter. */
static void merge_max(void *acc_row, const void *row)
{
	struct hist_val *a = &((struct row *)acc_row)->val;
	const struct hist_val *v = &((const struct row *)row)->val;

	if (v->max_ns > a->max_ns)
		a->max_ns = v->max_ns;
}

/* dev (with -C or -d), handle (with -C), stage: in this order, the
 * alphabetical one exporters print labels in */
static void row_labels(struct om_labels *l, const struct hist_key *k)
{
	char buf[12];

	if (env.per_conn || hist_env.dev >= 0)
		om__label(l, "dev", hci__name(env.per_conn ? k->dev : hist_env.dev, buf));
	if (env.per_conn) {
		snprintf(buf, sizeof(buf), "%u", k->handle);
		om__label(l, "handle", buf);
	}
	if (k->proto != BTPROTO_L2CAP)	/* L2CAP's series keep their labels */
		om__label(l, "proto", bt__proto_name(k->proto));
	om__label(l, "stage", stage_name(k->stage));
}

/* The histograms under name (one family per side: a file of each side may
 * sit in one textfile directory). */
static void write_hists(FILE *f, const char *name, const char *help)
{
	double unit = hist_env.millis ? 1e-3 : 1e-6;
	int i;

	om__family(f, name, "histogram", help);
	for (i = 0; i < cumul.n; i++) {
		const struct row *r = (const struct row *)cumul.rows + i;
		struct om_labels l = { "" };

		row_labels(&l, &r->key);
		om__histogram_log2_sum(f, name, &l, r->val.slots, PKT_SLOTS, unit,
				       r->val.sum_ns * 1e-9 / unit);
	}
}

static void write_rx_metrics(FILE *f, const struct rx_stats *s)
{
	write_hists(f, "btbpf_pkt_rx_stage_seconds",
		    "Receive time per stage (L2CAP; ISO, SCO labelled): rxwork (per frame), sockq, read, total (per frame read)");
	om__run_counter(f, "btbpf_pkt_rx_frames_total", "ACL frames noted at hci_recv_frame", s->frames);
	om__run_counter(f, "btbpf_pkt_rx_queued_total", "L2CAP frames queued on a socket, timed", s->queued);
	om__run_counter(f, "btbpf_pkt_rx_reads_total", "Frames read by recvmsg, timed", s->reads);
	om__run_counter(f, "btbpf_pkt_rx_partial_total", "Frames whose first stage began before tracing",
			s->work_partial + s->sockq_partial);
	om__run_counter(f, "btbpf_pkt_rx_untraced_total",
			"Frames or samples not followed: unmatched, stale, or a table was full",
			s->frames_full + s->frames_stale + s->conts_orphan + s->conns_full +
			s->sockq_unmatched + s->queued_full + s->queued_stale + s->hists_full);
}

static void write_metrics(FILE *f, void *ctx)
{
	const struct btpktlat_bpf *obj = ctx;
	const struct pkt_stats *s = &obj->bss->stats;
	const struct ack_stats *a = &obj->bss->ack_stats;

	if (env.rx) {
		write_rx_metrics(f, &obj->bss->rx_stats);
		return;
	}
	write_hists(f, "btbpf_pkt_stage_seconds",
		    "Send time per stage (L2CAP; ISO, SCO labelled): sock, queue, usb, ack (per frame), total (per send)");
	om__run_counter(f, "btbpf_pkt_sends_total", "L2CAP, ISO and SCO sendmsg calls traced", s->sends);
	om__run_counter(f, "btbpf_pkt_timed_total", "Sends timed to their last fragment's ack", s->timed);
	om__run_counter(f, "btbpf_pkt_partial_total", "Sends that began before tracing", s->partial);
	om__run_counter(f, "btbpf_pkt_frames_total", "ACL fragments noted at hci_send_acl", s->frames);
	om__run_counter(f, "btbpf_pkt_untraced_total",
			"Sends, fragments or samples not followed: a table was full",
			s->sends_full + s->frames_full + s->frags_untracked + s->hists_full + s->sends_lost +
			s->urbs_full);
	om__run_counter(f, "btbpf_pkt_fifo_sent_total", "Frames pushed into the ack FIFO", a->sent);
	om__run_counter(f, "btbpf_pkt_fifo_acked_total", "Frames paired with their NUM_COMP_PKTS", a->acked);
	om__run_counter(f, "btbpf_pkt_fifo_unmatched_total",
			"Completions paired with no frame (unmatched, stale, overflow)",
			a->unmatched + a->stale + a->overflow);
}

static bool print_hists(void *ctx, bool final)
{
	struct btpktlat_bpf *obj = ctx;
	static struct row rows[PKT_MAX_HISTS];
	int n;

	if (!om_env.path) {
		hist__print_map(bpf_map__fd(obj->maps.hists), rows, PKT_MAX_HISTS, row_cmp, print_row);
		return true;
	}
	n = map__drain_rows(bpf_map__fd(obj->maps.hists), rows, PKT_MAX_HISTS);
	om__accumulate(&cumul.rows, &cumul.n, &cumul.cap, rows, n, sizeof(rows[0]),
		       offsetof(struct row, key), sizeof(rows[0].key), offsetof(struct row, val),
		       offsetof(struct hist_val, max_ns), merge_max);
	om__write(write_metrics, obj);
	om__print_text(rows, n, sizeof(rows[0]), row_cmp, print_row, &cumul, final);
	return true;
}

/* ---- -M: one line per send ---- */

/* A stage of the event's side that the packet went through: usb only on
 * btusb controllers (STAGE_NA elsewhere), never 0 in its place. */
static bool stage_timed(const struct send_event *e, int i)
{
	return stage_name(i) && e->stage_ns[i] != STAGE_NA;
}

static int slowest_stage(const struct send_event *e)
{
	int i, worst = STAGE_SOCK;

	for (i = STAGE_SOCK; i < STAGE_TOTAL; i++)
		if (stage_timed(e, i) && e->stage_ns[i] > e->stage_ns[worst])
			worst = i;
	return worst;
}

static void print_header(void)
{
	char col[16];
	int i;

	if (common_env.timestamp)
		printf("%-8s ", "TIME");
	printf("%-7s %-16s %-5s %-5s %-6s %6s", "PID", "COMM", "PROTO", "DEV", "HANDLE", "BYTES");
	for (i = 0; i < STAGE_MAX; i++) {
		int j, n;

		if (!stage_name(i))
			continue;
		n = snprintf(col, sizeof(col), "%s_us", stage_name(i));

		for (j = 0; j < n - 3; j++)
			col[j] -= 'a' - 'A';
		printf(" %9s", col);
	}
	printf(" SLOWEST\n");
}

static void print_event_json(const struct send_event *e)
{
	char ts[16], dev[12];
	int i;

	printf("{");
	if (common_env.timestamp)
		printf("\"time\":\"%s\",", trace__time_of(e->ts, ts));
	printf("\"pid\":%u,\"comm\":", e->pid);
	json__string_n(stdout, e->comm, sizeof(e->comm));
	printf(",\"proto\":\"%s\",\"dev\":\"%s\",\"handle\":%u,\"bytes\":%u,\"frags\":%u",
	       bt__proto_name(e->proto), hci__name(e->dev, dev), e->handle, e->bytes, e->frags);
	for (i = 0; i < STAGE_MAX; i++) {
		if (!stage_name(i))
			continue;
		if (stage_timed(e, i))
			printf(",\"%s_us\":%llu", stage_name(i),
			       (unsigned long long)(e->stage_ns[i] / 1000));
		else
			printf(",\"%s_us\":null", stage_name(i));
	}
	printf(",\"slowest\":\"%s\"}\n", stage_name(slowest_stage(e)));
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct send_event *e = data;
	char ts[16], dev[12], comm[17];
	int i;

	if (size < sizeof(*e))
		return 0;
	if (common_env.json) {
		print_event_json(e);
		return trace__output_ok() ? 0 : -1;
	}
	if (common_env.timestamp)
		printf("%-8s ", trace__time_of(e->ts, ts));
	snprintf(comm, sizeof(comm), "%.16s", e->comm);
	printf("%-7u %-16s %-5s %-5s %-6u %6u", e->pid, comm, bt__proto_name(e->proto),
	       hci__name(e->dev, dev), e->handle, e->bytes);
	for (i = 0; i < STAGE_MAX; i++) {
		if (!stage_name(i))
			continue;
		if (stage_timed(e, i))
			printf(" %9llu", (unsigned long long)(e->stage_ns[i] / 1000));
		else
			printf(" %9s", "-");
	}
	printf(" %s\n", stage_name(slowest_stage(e)));
	return trace__output_ok() ? 0 : -1;
}

/* ---- summary ---- */

#define U(x) ((unsigned long long)(x))

/* The counters that say whether the numbers can be trusted: printed at the
 * end, whatever the mode. */
static void print_summary(const struct pkt_stats *s, const struct ack_stats *a, __u64 lost,
			  int urbs_left)
{
	if (common_env.json) {
		printf("{\"summary\":{\"sends\":%llu,\"timed\":%llu,\"partial\":%llu,\"nodata\":%llu,"
		       "\"sends_lost\":%llu,\"sends_full\":%llu,\"frames\":%llu,\"queue_partial\":%llu,"
		       "\"frames_full\":%llu,\"frames_dropped\":%llu,\"frags_untracked\":%llu,"
		       "\"hists_full\":%llu,\"sent\":%llu,\"acked\":%llu,\"unacked_at_disconnect\":%llu,"
		       "\"overflow\":%llu,\"stale\":%llu,\"untracked\":%llu,\"unmatched\":%llu,"
		       "\"skipped\":%llu,\"urbs\":%llu,\"urbs_done\":%llu,\"urbs_late\":%llu,"
		       "\"urbs_failed\":%llu,\"urbs_untracked\":%llu,\"urbs_full\":%llu,"
		       "\"urbs_stale\":%llu,\"urbs_submit_errors\":%llu,\"urbs_at_exit\":%d,"
		       "\"lost_events\":%llu}}\n",
		       U(s->sends), U(s->timed), U(s->partial), U(s->nodata), U(s->sends_lost),
		       U(s->sends_full), U(s->frames), U(s->queue_partial), U(s->frames_full),
		       U(s->frames_dropped), U(s->frags_untracked), U(s->hists_full), U(a->sent),
		       U(a->acked), U(a->unacked), U(a->overflow), U(a->stale), U(a->untracked),
		       U(a->unmatched), U(a->skipped), U(s->urbs), U(s->urbs_done), U(s->urbs_late),
		       U(s->urbs_failed), U(s->urbs_untracked), U(s->urbs_full), U(s->urbs_stale),
		       U(s->urbs_submit_errors), urbs_left, U(lost));
		return;
	}
	printf("\nsends %llu, timed %llu, partial %llu, nodata %llu, sends lost %llu, sends full %llu\n",
	       U(s->sends), U(s->timed), U(s->partial), U(s->nodata), U(s->sends_lost),
	       U(s->sends_full));
	printf("frames %llu, queue partial %llu, frames full %llu, frames dropped %llu, "
	       "frags untracked %llu, hists full %llu\n", U(s->frames), U(s->queue_partial),
	       U(s->frames_full), U(s->frames_dropped), U(s->frags_untracked), U(s->hists_full));
	printf("sent %llu, acked %llu, unacked at disconnect %llu\n", U(a->sent), U(a->acked),
	       U(a->unacked));
	printf("overflow %llu, stale %llu, untracked %llu, unmatched %llu, skipped %llu, "
	       "lost events %llu\n", U(a->overflow), U(a->stale), U(a->untracked),
	       U(a->unmatched), U(a->skipped), U(lost));
	printf("urbs %llu, urbs timed %llu, urbs late %llu, urbs failed %llu, urbs untracked %llu, "
	       "urbs full %llu, urbs stale %llu, urbs submit errors %llu, urbs at exit %d\n", U(s->urbs), U(s->urbs_done), U(s->urbs_late),
	       U(s->urbs_failed), U(s->urbs_untracked), U(s->urbs_full), U(s->urbs_stale),
	       U(s->urbs_submit_errors), urbs_left);
	if (s->sends_lost || s->sends_full || s->frames_full || s->frags_untracked ||
	    s->hists_full || a->overflow || a->stale || a->unmatched || a->skipped || lost ||
	    s->urbs_late || s->urbs_full || s->urbs_stale)
		warnx_tool("some packets could not be followed: see the counters (man btpktlat, FIELDS)");
}

/* -r: the receive side's counters. */
static void print_rx_summary(const struct rx_stats *s, __u64 lost)
{
	if (common_env.json) {
		printf("{\"summary\":{\"frames\":%llu,\"frames_full\":%llu,\"frames_stale\":%llu,"
		       "\"work_partial\":%llu,\"starts\":%llu,\"conts\":%llu,\"conts_orphan\":%llu,"
		       "\"conns_full\":%llu,\"queued\":%llu,\"sdus\":%llu,\"sockq_partial\":%llu,"
		       "\"sockq_unmatched\":%llu,\"sockq_kernel\":%llu,\"rcvbuf_full\":%llu,"
		       "\"queued_full\":%llu,\"queued_stale\":%llu,\"reads\":%llu,\"reads_other\":%llu,"
		       "\"peeks\":%llu,\"hists_full\":%llu,\"lost_events\":%llu}}\n",
		       U(s->frames), U(s->frames_full), U(s->frames_stale), U(s->work_partial),
		       U(s->starts), U(s->conts), U(s->conts_orphan), U(s->conns_full), U(s->queued),
		       U(s->sdus), U(s->sockq_partial), U(s->sockq_unmatched), U(s->sockq_kernel),
		       U(s->rcvbuf_full), U(s->queued_full), U(s->queued_stale), U(s->reads),
		       U(s->reads_other), U(s->peeks), U(s->hists_full), U(lost));
		return;
	}
	printf("\nframes %llu, frames full %llu, frames stale %llu, work partial %llu\n",
	       U(s->frames), U(s->frames_full), U(s->frames_stale), U(s->work_partial));
	printf("starts %llu, conts %llu, conts orphan %llu, conns full %llu\n", U(s->starts),
	       U(s->conts), U(s->conts_orphan), U(s->conns_full));
	printf("queued %llu, sdus %llu, sockq partial %llu, sockq unmatched %llu, sockq kernel %llu, "
	       "rcvbuf full %llu, queued full %llu, queued stale %llu\n", U(s->queued), U(s->sdus),
	       U(s->sockq_partial), U(s->sockq_unmatched), U(s->sockq_kernel), U(s->rcvbuf_full),
	       U(s->queued_full), U(s->queued_stale));
	printf("reads %llu, reads other %llu, peeks %llu, hists full %llu, lost events %llu\n",
	       U(s->reads), U(s->reads_other), U(s->peeks), U(s->hists_full), U(lost));
	if (s->frames_full || s->frames_stale || s->conts_orphan || s->conns_full ||
	    s->sockq_unmatched || s->queued_full || s->queued_stale || s->hists_full || lost)
		warnx_tool("some packets could not be followed: see the counters (man btpktlat, FIELDS)");
}

/* ---- setup ---- */

static bool want_proto(unsigned int proto)
{
	return env.protos & (1u << proto);
}

/* The traced protocols for the banner: "L2CAP/ISO/SCO", in that order. */
static const char *protos_name(void)
{
	static const unsigned int order[] = { BTPROTO_L2CAP, BTPROTO_ISO, BTPROTO_SCO };
	static char buf[32];
	size_t i;

	buf[0] = 0;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!want_proto(order[i]))
			continue;
		if (buf[0])
			strcat(buf, "/");
		strcat(buf, bt__proto_name(order[i]));
	}
	return buf;
}

enum { P_SENDMSG, P_SEND_ACL, P_ISO_SENDMSG, P_SEND_ISO, P_SCO_SENDMSG, P_SEND_SCO,
       P_SEND_FRAME, P_NUM_COMP, P_DEL,
       P_USB_SEND, P_USB_SEND_INTEL, P_USB_SEND_MTK, P_USB_COMPLETE, P_USB_ISOC_COMPLETE,
       P_RECV_FRAME, P_ACLDATA, P_ISO_RECV, P_SCO_RECV, P_SOCK_QUEUE, P_FREE_DGRAM, P_MAX };

/* The hash maps of the side this run does not trace (-r or not): their
 * programs are not loaded, so they need no room. */
static void shrink_other_side(struct btpktlat_bpf *obj)
{
	struct bpf_map *send_side[] = { obj->maps.sends, obj->maps.threads, obj->maps.frames,
					obj->maps.urbs, obj->maps.rings, NULL };
	struct bpf_map *rx_side[] = { obj->maps.rx_frames, obj->maps.rx_conns,
				      obj->maps.rx_queued, obj->maps.rx_last_queued, NULL };
	struct bpf_map **m;

	for (m = env.rx ? send_side : rx_side; *m; m++)
		map__unused(*m);
}

/* The options, as the BPF side reads them (before load). */
static void configure(struct btpktlat_bpf *obj, bool events)
{
	obj->rodata->targ_dev = hist_env.dev;
	obj->rodata->targ_tgid = env.pid;
	obj->rodata->targ_per_conn = env.per_conn;
	obj->rodata->targ_ms = hist_env.millis;
	obj->rodata->targ_events = events;
	obj->rodata->targ_min_ns = events ? (__u64)env.min_ms * 1000000 : 0;
	obj->rodata->targ_protos = env.protos;
	if (!events)		/* the ring carries only -M lines */
		trace__ring_unused(obj->maps.events);
	shrink_other_side(obj);
}

static void print_final_summary(const struct btpktlat_bpf *obj)
{
	if (env.rx)
		print_rx_summary(&obj->bss->rx_stats, obj->bss->lost_events);
	else
		print_summary(&obj->bss->stats, &obj->bss->ack_stats, obj->bss->lost_events,
			      map__count(obj->maps.urbs));
}

/* This run's probes (man btpktlat, STAGES). */
static void fill_probes(struct probe *p)
{
	/* FIFO mode on every kernel: hci_send_frame and hci_num_comp_pkts_evt
	 * are still there in 6.15+ (man btpktlat, STAGES).  ISO and SCO are
	 * optional: iso.c needs CONFIG_BT_LE (6.0+), sco.c CONFIG_BT_BREDR. */
	bool l2cap = !env.rx && want_proto(BTPROTO_L2CAP);
	bool iso = !env.rx && want_proto(BTPROTO_ISO), sco = !env.rx && want_proto(BTPROTO_SCO);
	const struct probe t[P_MAX] = {
		[P_SENDMSG] = { .func = "l2cap_sock_sendmsg", .wanted = l2cap },
		[P_SEND_ACL] = { .func = "hci_send_acl", .wanted = l2cap },
		[P_ISO_SENDMSG] = { .func = "iso_sock_sendmsg", .wanted = iso, .optional = true },
		[P_SEND_ISO] = { .func = "hci_send_iso", .wanted = iso, .optional = true },
		[P_SCO_SENDMSG] = { .func = "sco_sock_sendmsg", .wanted = sco, .optional = true },
		[P_SEND_SCO] = { .func = "hci_send_sco", .wanted = sco, .optional = true },
		[P_SEND_FRAME] = { .func = "hci_send_frame", .wanted = !env.rx },
		[P_NUM_COMP] = { .func = "hci_num_comp_pkts_evt", .wanted = !env.rx },
		[P_DEL] = { .func = "hci_conn_del", .wanted = !env.rx },
		/* usb (btusb.bpf.h): only where btusb is loaded */
		[P_USB_SEND] = { .func = "btusb_send_frame", .wanted = !env.rx, .optional = true,
				 .home = "btusb" },
		[P_USB_SEND_INTEL] = { .func = "btusb_send_frame_intel", .wanted = !env.rx,
				       .optional = true, .home = "btusb" },
		[P_USB_SEND_MTK] = { .func = "btusb_send_frame_mtk", .wanted = !env.rx,
				     .optional = true, .home = "btusb" },
		[P_USB_COMPLETE] = { .func = "btusb_tx_complete", .wanted = !env.rx,
				     .optional = true, .home = "btusb" },
		[P_USB_ISOC_COMPLETE] = { .func = "btusb_isoc_tx_complete", .wanted = !env.rx,
					  .optional = true, .home = "btusb" },
		/* -r (man btpktlat, STAGES): hci_acldata_packet is inlined */
		[P_RECV_FRAME] = { .func = "hci_recv_frame", .wanted = env.rx },
		[P_ACLDATA] = { .func = "l2cap_recv_acldata",
				.wanted = env.rx && want_proto(BTPROTO_L2CAP) },
		[P_ISO_RECV] = { .func = "iso_recv", .wanted = env.rx && want_proto(BTPROTO_ISO),
				 .optional = true },
		[P_SCO_RECV] = { .func = "sco_recv_scodata",
				 .wanted = env.rx && want_proto(BTPROTO_SCO), .optional = true },
		[P_SOCK_QUEUE] = { .func = "__sock_queue_rcv_skb", .wanted = env.rx,
				   .home = "vmlinux" },
		[P_FREE_DGRAM] = { .func = "skb_free_datagram", .wanted = env.rx,
				   .home = "vmlinux" },
	};

	memcpy(p, t, sizeof(t));
}

/* Banner and -M header, once attached. */
static void print_banner(const struct probe *probes, bool events)
{
	if (common_env.json)
		return;
	printf("Tracing Bluetooth %s %s latency by stage (%s)... Hit Ctrl-C to end.\n",
	       protos_name(), env.rx ? "receive" : "send", probes__mode_name(probes, P_MAX));
	if (events)
		print_header();
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .args_doc = "[interval [count]]",
		.doc = argp_program_doc,
	};
	struct ring_buffer *rb = NULL;
	struct probe probes[P_MAX];
	struct btpktlat_bpf *obj;
	bool events;
	int err;

	err = tool__begin("btpktlat", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;
	events = env.min_ms >= 0;

	obj = tool__open(btpktlat_bpf);
	if (!obj)
		return 1;
	configure(obj, events);

	fill_probes(probes);
	err = probes__select(obj->obj, TRACED_MODULE, probes, P_MAX);
	if (err)
		goto cleanup;

	err = tool__load_attach(obj->skeleton);
	if (err)
		goto cleanup;
	if (events) {
		rb = trace__ring_buffer(obj->maps.events, handle_event, NULL);
		if (!rb) {
			err = 1;
			goto cleanup;
		}
	}

	print_banner(probes, events);
	if (om_env.path)
		om__write(write_metrics, obj);	/* the file exists once we are attached */

	struct loop_opts lo = {
		.rb = rb,
		.interval_s = events ? 0 : om__interval(hist_env.ia.interval),
		.count = events ? 0 : hist_env.ia.count,
		.lost = &obj->bss->lost_events,
		.on_tick = events ? NULL : print_hists,
		.ctx = obj,
	};
	err = trace__run(&lo);
	if (trace__output_ok()) {
		print_final_summary(obj);
		trace__output_ok();
	}

cleanup:
	ring_buffer__free(rb);
	btpktlat_bpf__destroy(obj);
	return err != 0;
}
