// SPDX-License-Identifier: GPL-2.0
/*
 * btacklat: Bluetooth ACL/LE/ISO packet acknowledgement latency: from the
 * hand-over to the driver until the controller reports the packet completed
 * (HCI Number Of Completed Packets), as a log2 histogram.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "btacklat.h"
#include "btacklat.skel.h"
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
	bool per_conn;
} env;

const char argp_program_doc[] =
"Summarize Bluetooth ACL/LE/ISO packet acknowledgement latency: from the\n"
"hand-over to the driver until the controller reports it completed.\n"
"\n"
"USAGE: btacklat [-h] [-T] [-j] [-m] [-C] [-d hciN] [--openmetrics PATH [-q]]\n"
"                [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    btacklat              # histogram in usecs, printed on Ctrl-C\n"
"    btacklat 1 10         # print every second, 10 times\n"
"    btacklat -m 5         # millisecond histogram every 5 seconds\n"
"    btacklat -C           # one histogram per connection (handle, peer)\n"
"    btacklat -d hci0 -T   # controller hci0 only, with timestamps\n"
"    btacklat -j           # JSON lines\n"
"    btacklat -q --openmetrics /var/lib/prometheus/node-exporter/btacklat.prom\n"
"                          # Prometheus metrics every 15 s, nothing on stdout\n";

static const struct argp_option opts[] = {
	CLI_OPTION_MILLIS,
	{ "per-conn", 'C', NULL, 0, "One histogram per connection (handle and peer address)", 0 },
	CLI_OPTION_DEVICE,
	CLI_OPTION_OPENMETRICS,
	CLI_OPTION_QUIET,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'C':
		env.per_conn = true;
		break;
	default:
		return cli__parse_hist_arg(key, arg, state);
	}
	return 0;
}

/* hci_conn->type (bt.h); 0x82 reads "ISO": ISO_LINK before 6.17 */
static const char *link_name(__u8 type)
{
	switch (type) {
	case ACL_LINK: return "ACL";
	case LE_LINK: return "LE";
	case CIS_LINK: return "ISO";
	case BIS_LINK: return "BIS";
	case PA_LINK: return "PA";
	default: return "?";
	}
}

/* ---- output ---- */

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
	return memcmp(x->peer, y->peer, sizeof(x->peer));
}

static void print_row_text(const struct row *r, const char *unit)
{
	char dev[12], peer[18];

	if (env.per_conn) {
		printf("\ndev = %s handle = %u peer = %s type = %s", hci__name(r->key.dev, dev),
		       r->key.handle, btaddr__format(r->key.peer, peer), link_name(r->key.type));
		if (r->val.unacked)
			printf(" unacked_at_disconnect = %llu", (unsigned long long)r->val.unacked);
		printf("\n");
	}
	hist__print_log2(stdout, r->val.slots, ACK_SLOTS, unit);
}

static void print_row_json(const struct row *r, const char *unit)
{
	char dev[12], peer[18];	/* one buffer each: both are formatted before printf runs */

	json__begin_row(stdout);
	if (env.per_conn)
		printf("\"dev\":\"%s\",\"handle\":%u,\"peer\":\"%s\",\"type\":\"%s\",\"unacked_at_disconnect\":%llu,",
		       hci__name(r->key.dev, dev), r->key.handle, btaddr__format(r->key.peer, peer),
		       link_name(r->key.type), (unsigned long long)r->val.unacked);
	printf("\"count\":%llu,\"hist\":",
	       (unsigned long long)hist__total(r->val.slots, ACK_SLOTS));
	hist__json_log2(stdout, r->val.slots, ACK_SLOTS, unit);
	printf("}\n");
}

static void print_row(const void *row, const char *unit)
{
	const struct row *r = row;

	/* a connection that only left unacked stamps has no histogram */
	if (!hist__total(r->val.slots, ACK_SLOTS) && !r->val.unacked)
		return;
	if (common_env.json)
		print_row_json(r, unit);
	else
		print_row_text(r, unit);
}

/* ---- --openmetrics ---- */

/* The histograms since the start (the map is drained every interval). */
static struct om_cumul cumul;

static void conn_labels(struct om_labels *l, const struct hist_key *k)
{
	char dev[12], peer[18], handle[8];

	if (env.per_conn || hist_env.dev >= 0)
		om__label(l, "dev", hci__name(env.per_conn ? k->dev : hist_env.dev, dev));
	if (!env.per_conn)
		return;
	snprintf(handle, sizeof(handle), "%u", k->handle);
	om__label(l, "handle", handle);
	om__label(l, "peer", btaddr__format(k->peer, peer));
	om__label(l, "type", link_name(k->type));
}

static void write_metrics(FILE *f, void *ctx)
{
	const struct ack_stats *s = &((struct btacklat_bpf *)ctx)->bss->ack_stats;
	const char *name = "btbpf_ack_latency_seconds";
	int i;

	om__family(f, name, "histogram", "Packet to the driver until the controller's NUM_COMP_PKTS");
	for (i = 0; i < cumul.n; i++) {
		const struct row *r = (const struct row *)cumul.rows + i;
		struct om_labels l = { "" };

		conn_labels(&l, &r->key);
		om__histogram_log2(f, name, &l, r->val.slots, ACK_SLOTS, hist_env.millis ? 1e-3 : 1e-6);
	}
	om__run_counter(f, "btbpf_ack_sent_packets_total", "Packets stamped at the hand-over to the driver", s->sent);
	om__run_counter(f, "btbpf_ack_acked_packets_total", "Completions paired with a stamp (the histogram)", s->acked);
	om__run_counter(f, "btbpf_ack_unacked_at_disconnect_total", "Stamps left when the connection was deleted", s->unacked);
	om__run_counter(f, "btbpf_ack_overflow_total", "Stamps dropped: the per-connection FIFO was full", s->overflow);
	om__run_counter(f, "btbpf_ack_stale_total", "Stamps dropped: more than the kernel had in flight", s->stale);
	om__run_counter(f, "btbpf_ack_untracked_total", "Completions of packets sent before tracing began", s->untracked);
	om__run_counter(f, "btbpf_ack_unmatched_total", "Completions for no packet in flight or an unknown handle", s->unmatched);
	om__run_counter(f, "btbpf_ack_skipped_total", "Handles past the per-event limit in one NUM_COMP_PKTS", s->skipped);
}

/* The file exists once we are attached, with the histogram at zero when
 * there is only one, so that a rate over the first interval counts it. */
static void start_metrics(struct btacklat_bpf *obj)
{
	struct row zero = { .key = { .dev = 0 } };

	if (!env.per_conn)
		om__accumulate_rows(&cumul.rows, &cumul.n, &cumul.cap, &zero, 1);
	om__write(write_metrics, obj);
}

static bool print_hists(void *ctx, bool final)
{
	struct btacklat_bpf *obj = ctx;
	static struct row rows[ACK_MAX_HISTS];

	if (om_env.path)
		om__print_map(bpf_map__fd(obj->maps.hists), rows, ACK_MAX_HISTS, row_cmp, print_row,
			      &cumul, write_metrics, obj, final);
	else
		hist__print_map(bpf_map__fd(obj->maps.hists), rows, ACK_MAX_HISTS, row_cmp, print_row);
	return true;
}

/* The counters that say whether the histograms can be trusted: printed at
 * the end, whatever the interval. */
static void print_summary(const struct ack_stats *s)
{
	if (common_env.json) {
		printf("{\"summary\":{\"sent\":%llu,\"acked\":%llu,\"unacked_at_disconnect\":%llu,"
		       "\"overflow\":%llu,\"stale\":%llu,\"untracked\":%llu,\"unmatched\":%llu,"
		       "\"skipped\":%llu}}\n",
		       (unsigned long long)s->sent, (unsigned long long)s->acked,
		       (unsigned long long)s->unacked, (unsigned long long)s->overflow,
		       (unsigned long long)s->stale, (unsigned long long)s->untracked,
		       (unsigned long long)s->unmatched, (unsigned long long)s->skipped);
		return;
	}
	printf("\nsent %llu, acked %llu, unacked at disconnect %llu\n",
	       (unsigned long long)s->sent, (unsigned long long)s->acked,
	       (unsigned long long)s->unacked);
	printf("overflow %llu, stale %llu, untracked %llu, unmatched %llu, skipped %llu\n",
	       (unsigned long long)s->overflow, (unsigned long long)s->stale,
	       (unsigned long long)s->untracked, (unsigned long long)s->unmatched,
	       (unsigned long long)s->skipped);
	if (s->overflow || s->stale || s->unmatched || s->skipped)
		warnx_tool("some completions could not be paired with a send: see the counters (man btacklat, FIELDS)");
}

/* ---- setup ---- */

enum { P_SEND, P_NUM_COMP, P_TXQ, P_TXDQ, P_DEL, P_MAX };

static void want(struct probe *p, bool send_frame, bool txq, bool del)
{
	p[P_SEND].wanted = p[P_NUM_COMP].wanted = send_frame;
	p[P_TXQ].wanted = p[P_TXDQ].wanted = txq;
	p[P_DEL].wanted = del;
}

/*
 * 6.15+ keeps its own per-connection queue of sent packets (hci_conn_tx_queue
 * / hci_conn_tx_dequeue): use it when both functions are there; else the
 * FIFO fed by hci_send_frame and hci_num_comp_pkts_evt (6.1: both static,
 * present, with BTF).
 */
static int select_probes(struct bpf_object *obj, struct probe *p, enum ack_mode *mode)
{
	want(p, false, true, false);
	if (probes__select(obj, TRACED_MODULE, p, P_MAX))
		return -1;
	*mode = p[P_TXQ].enabled && p[P_TXDQ].enabled ? MODE_TXQ : MODE_FIFO;
	want(p, *mode == MODE_FIFO, *mode == MODE_TXQ, true);
	return probes__select(obj, TRACED_MODULE, p, P_MAX);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .args_doc = "[interval [count]]",
		.doc = argp_program_doc,
	};
	struct btacklat_bpf *obj;
	enum ack_mode mode;
	int err;

	err = tool__begin("btacklat", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;

	obj = tool__open(btacklat_bpf);
	if (!obj)
		return 1;
	obj->rodata->targ_dev = hist_env.dev;
	obj->rodata->targ_per_conn = env.per_conn;
	obj->rodata->targ_ms = hist_env.millis;
	if (!env.per_conn)	/* one histogram, under the all-zero key */
		bpf_map__set_max_entries(obj->maps.hists, 1);

	struct probe probes[P_MAX] = {
		[P_SEND] = { .func = "hci_send_frame" },
		[P_NUM_COMP] = { .func = "hci_num_comp_pkts_evt" },
		[P_TXQ] = { .func = "hci_conn_tx_queue", .optional = true },
		[P_TXDQ] = { .func = "hci_conn_tx_dequeue", .optional = true },
		[P_DEL] = { .func = "hci_conn_del" },
	};
	err = select_probes(obj->obj, probes, &mode);
	if (err)
		goto cleanup;

	err = tool__load_attach(obj->skeleton);
	if (err)
		goto cleanup;

	if (!common_env.json)
		printf("Tracing Bluetooth packet ack latency (%s, %s)... Hit Ctrl-C to end.\n",
		       mode == MODE_TXQ ? "hci_conn_tx_queue" : "hci_send_frame",
		       probes__mode_name(probes, P_MAX));

	if (om_env.path)
		start_metrics(obj);

	struct loop_opts lo = {
		.interval_s = om__interval(hist_env.ia.interval),
		.count = hist_env.ia.count,
		.on_tick = print_hists,
		.ctx = obj,
	};
	err = trace__run(&lo);
	if (trace__output_ok()) {
		print_summary(&obj->bss->ack_stats);
		trace__output_ok();
	}

cleanup:
	btacklat_bpf__destroy(obj);
	return err != 0;
}
