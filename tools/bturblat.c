// SPDX-License-Identifier: GPL-2.0
/*
 * bturblat: btusb URB latency, from the driver's send (URB built and
 * submitted) to the URB's completion, per HCI packet type, as a log2
 * histogram; plus URBs that failed or were still in flight.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "bturblat.h"
#include "bturblat.skel.h"
#include "cli.h"
#include "hist.h"
#include "json.h"
#include "maps.h"
#include "names.h"
#include "openmetrics.h"
#include "probes.h"
#include "tool.h"
#include "trace.h"

#define TRACED_MODULE "btusb"
#define BTUSB_DRIVER_DIR "/sys/bus/usb/drivers/btusb"

static struct env {
	bool per_dev;
	int type;		/* pkt_type, -1: all */
} env = { .type = -1 };

const char argp_program_doc[] =
"Summarize btusb URB latency: from the driver building and submitting the\n"
"URB for an outgoing HCI frame until the URB completes, per packet type.\n"
"\n"
"USAGE: bturblat [-h] [-T] [-j] [-m] [-D] [-t TYPE] [-d hciN] [--openmetrics PATH [-q]]\n"
"                [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    bturblat              # histograms in usecs, printed on Ctrl-C\n"
"    bturblat 1 10         # print every second, 10 times\n"
"    bturblat -m 5         # millisecond histograms every 5 seconds\n"
"    bturblat -D           # one set of histograms per controller\n"
"    bturblat -t acl       # ACL data URBs only\n"
"    bturblat -d hci0 -T   # controller hci0 only, with timestamps\n"
"    bturblat -j           # JSON lines\n"
"    bturblat -q --openmetrics /var/lib/prometheus/node-exporter/bturblat.prom\n"
"                          # Prometheus metrics every 15 s, nothing on stdout\n";

static const struct argp_option opts[] = {
	CLI_OPTION_MILLIS,
	{ "per-dev", 'D', NULL, 0, "One set of histograms per controller", 0 },
	{ "type", 't', "TYPE", 0, "Only this packet type: cmd, acl, sco, iso", 0 },
	CLI_OPTION_DEVICE,
	CLI_OPTION_OPENMETRICS,
	CLI_OPTION_QUIET,
	{},
};

static const char *type_name(__u8 type)
{
	switch (type) {
	case HCI_COMMAND_PKT: return "CMD";
	case HCI_ACLDATA_PKT: return "ACL";
	case HCI_SCODATA_PKT: return "SCO";
	case HCI_ISODATA_PKT: return "ISO";
	default: return "?";
	}
}

static int parse_type(struct argp_state *state, const char *arg)
{
	static const __u8 types[] = { HCI_COMMAND_PKT, HCI_ACLDATA_PKT, HCI_SCODATA_PKT, HCI_ISODATA_PKT };
	size_t i;

	for (i = 0; i < sizeof(types); i++)
		if (!strcasecmp(arg, type_name(types[i])))
			return types[i];
	argp_error(state, "unknown packet type: '%s' (expected cmd, acl, sco, iso)", arg);
	return -1;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'D':
		env.per_dev = true;
		break;
	case 't':
		env.type = parse_type(state, arg);
		break;
	default:
		return cli__parse_hist_arg(key, arg, state);
	}
	return 0;
}

/* ---- is there anything to measure? ---- */

/* btusb binds USB interfaces: entries named "bus-port:config.interface"
 * (1-1:1.0) appear in the driver's sysfs directory. */
static bool btusb_has_interface(void)
{
	DIR *d = opendir(BTUSB_DRIVER_DIR);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = strchr(e->d_name, ':') != NULL;
	closedir(d);
	return found;
}

/* The driver of hciN's parent device, "" when there is none. */
static const char *hci_driver(int dev, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/bluetooth/hci%d/device/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return "";
	link[n] = '\0';
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(base) >= len)
		return "?";
	strcpy(buf, base);
	return buf;
}

/* One line and false when no controller here can produce a URB. */
static bool usb_controller_present(void)
{
	char buf[64];

	if (!btusb_has_interface()) {
		warnx_tool("no USB Bluetooth controller: btusb is loaded but bound to no device (%s)",
			   BTUSB_DRIVER_DIR);
		return false;
	}
	if (hist_env.dev >= 0) {
		const char *drv = hci_driver(hist_env.dev, buf, sizeof(buf));

		if (!drv[0]) {
			warnx_tool("hci%d: no such controller, or a virtual one (no driver): it has no URBs",
				   hist_env.dev);
			return false;
		}
		if (strcmp(drv, "btusb")) {
			warnx_tool("hci%d is driven by %s, not btusb: it has no URBs", hist_env.dev, drv);
			return false;
		}
	}
	return true;
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
	return x->type - y->type;
}

static void print_row_text(const struct row *r, const char *unit)
{
	char dev[12];

	if (env.per_dev)
		printf("\ndev = %s type = %s\n", hci__name(r->key.dev, dev), type_name(r->key.type));
	else
		printf("\ntype = %s\n", type_name(r->key.type));
	hist__print_log2(stdout, r->val.slots, URB_SLOTS, unit);
}

static void print_row_json(const struct row *r, const char *unit)
{
	char buf[16];

	json__begin_row(stdout);
	if (env.per_dev)
		printf("\"dev\":\"%s\",", hci__name(r->key.dev, buf));
	printf("\"type\":\"%s\",\"count\":%llu,\"hist\":", type_name(r->key.type),
	       (unsigned long long)hist__total(r->val.slots, URB_SLOTS));
	hist__json_log2(stdout, r->val.slots, URB_SLOTS, unit);
	printf("}\n");
}

static void print_row(const void *row, const char *unit)
{
	if (common_env.json)
		print_row_json(row, unit);
	else
		print_row_text(row, unit);
}

/* ---- --openmetrics ---- */

/* The histograms since the start (the map is drained every interval). */
static struct om_cumul cumul;

/* The error counts since the start, per (dev, type, status): the map is
 * drained into here at every tick and at the end, for the file and the
 * summary alike. */
struct err_row {
	struct err_key key;
	__u64 val;
};
static struct om_cumul errs;

static void collect_errors(struct bturblat_bpf *obj)
{
	static struct err_row rows[URB_MAX_ERRORS];
	int n = map__drain_rows(bpf_map__fd(obj->maps.errors), rows, URB_MAX_ERRORS);

	om__accumulate_rows(&errs.rows, &errs.n, &errs.cap, rows, n);
}

/* Per status, as the summary's "completed with error" lines: labels dev
 * (always: the error key has the controller), type and status (its errno
 * name).  Their sum is btbpf_urb_failed_total, unless the error table
 * was full. */
static void write_errors(FILE *f)
{
	const char *name = "btbpf_urb_errors_total";
	char dev[12], eb[16];
	int i;

	om__family(f, name, "counter", "URBs completed with an error status, per status (errno name)");
	for (i = 0; i < errs.n; i++) {
		const struct err_row *e = (const struct err_row *)errs.rows + i;
		struct om_labels l = { "" };

		om__label(&l, "dev", hci__name(e->key.dev, dev));
		om__label(&l, "type", type_name(e->key.type));
		om__label(&l, "status", errno__name(e->key.status, eb));
		om__sample(f, name, &l, e->val);
	}
}

static void dev_label(struct om_labels *l, __u16 key_dev)
{
	char dev[12];

	if (env.per_dev || hist_env.dev >= 0)
		om__label(l, "dev", hci__name(env.per_dev ? key_dev : hist_env.dev, dev));
}

static void write_metrics(FILE *f, void *ctx)
{
	const struct urb_stats *s = &((struct bturblat_bpf *)ctx)->bss->stats;
	const char *name = "btbpf_urb_latency_seconds";
	double unit = hist_env.millis ? 1e-3 : 1e-6;	/* seconds per slot unit */
	int i;

	om__family(f, name, "histogram", "btusb URB submission until its completion, per packet type");
	for (i = 0; i < cumul.n; i++) {
		const struct row *r = (const struct row *)cumul.rows + i;
		struct om_labels l = { "" };

		dev_label(&l, r->key.dev);
		om__label(&l, "type", type_name(r->key.type));
		om__histogram_log2_sum(f, name, &l, r->val.slots, URB_SLOTS, unit, r->val.sum_ns * 1e-9 / unit);
	}
	om__run_counter(f, "btbpf_urb_sent_total", "Frames stamped at btusb_send_frame", s->sent);
	om__run_counter(f, "btbpf_urb_completed_total", "Completions paired with a stamp (ok or error)", s->completed);
	om__run_counter(f, "btbpf_urb_failed_total", "URBs completed with an error status", s->failed);
	write_errors(f);
	om__run_counter(f, "btbpf_urb_submit_errors_total", "btusb_send_frame failures: no URB", s->submit_errors);
	om__run_counter(f, "btbpf_urb_untracked_total", "Completions of URBs sent before tracing began", s->untracked);
	om__run_counter(f, "btbpf_urb_dropped_total", "Stamps not stored: the start map was full", s->dropped);
	om__run_counter(f, "btbpf_urb_replaced_total", "Stamps replaced: their URB never completed", s->replaced);
	om__family(f, "btbpf_urb_in_flight", "gauge", "URBs submitted and not completed yet");
	om__sample(f, "btbpf_urb_in_flight", NULL,
		   map__count(((struct bturblat_bpf *)ctx)->maps.starts));
}

static bool print_hists(void *ctx, bool final)
{
	struct bturblat_bpf *obj = ctx;
	static struct row rows[URB_MAX_HISTS];

	collect_errors(obj);
	if (om_env.path)
		om__print_map(bpf_map__fd(obj->maps.hists), rows, URB_MAX_HISTS, row_cmp, print_row,
			      &cumul, write_metrics, obj, final);
	else
		hist__print_map(bpf_map__fd(obj->maps.hists), rows, URB_MAX_HISTS, row_cmp, print_row);
	return true;
}

/* "completed with error: hci0 ACL ENOENT 2", one line per (dev, type,
 * status) since the start; JSON: an "errors" array. */
static void print_errors(struct bturblat_bpf *obj)
{
	char dev[12], name[16];
	int i;

	collect_errors(obj);
	if (common_env.json)
		printf("\"errors\":[");
	for (i = 0; i < errs.n; i++) {
		const struct err_row *e = (const struct err_row *)errs.rows + i;
		const char *err = errno__name(e->key.status, name);

		if (common_env.json)
			printf("%s{\"dev\":\"%s\",\"type\":\"%s\",\"status\":\"%s\",\"count\":%llu}",
			       i ? "," : "", hci__name(e->key.dev, dev), type_name(e->key.type),
			       err, (unsigned long long)e->val);
		else
			printf("completed with error: %s %s %s %llu\n", hci__name(e->key.dev, dev),
			       type_name(e->key.type), err, (unsigned long long)e->val);
	}
	if (common_env.json)
		printf("]");
}

/* The counters that say whether the histograms tell the whole story:
 * printed once at the end, whatever the interval. */
static void print_summary(struct bturblat_bpf *obj)
{
	const struct urb_stats *s = &obj->bss->stats;
	int inflight = map__count(obj->maps.starts);

	if (common_env.json) {
		printf("{\"summary\":{\"sent\":%llu,\"completed\":%llu,\"failed\":%llu,"
		       "\"submit_errors\":%llu,\"in_flight\":%d,\"untracked\":%llu,"
		       "\"dropped\":%llu,\"replaced\":%llu,",
		       (unsigned long long)s->sent, (unsigned long long)s->completed,
		       (unsigned long long)s->failed, (unsigned long long)s->submit_errors,
		       inflight, (unsigned long long)s->untracked,
		       (unsigned long long)s->dropped, (unsigned long long)s->replaced);
		print_errors(obj);
		printf("}}\n");
		return;
	}
	printf("\nsent %llu, completed %llu, failed %llu, submit errors %llu, in flight at exit %d\n",
	       (unsigned long long)s->sent, (unsigned long long)s->completed,
	       (unsigned long long)s->failed, (unsigned long long)s->submit_errors, inflight);
	printf("untracked %llu, dropped %llu, replaced %llu\n",
	       (unsigned long long)s->untracked, (unsigned long long)s->dropped,
	       (unsigned long long)s->replaced);
	print_errors(obj);
	if (s->dropped || s->replaced)
		warnx_tool("some URBs could not be timed: see the counters (man bturblat, FIELDS)");
}

/* ---- setup ---- */

/*
 * hdev->send is btusb_send_frame, or on Intel btusb_send_frame_intel, or
 * on MediaTek (6.13+) btusb_send_frame_mtk; the two variants are optional.
 * btusb_isoc_tx_complete (SCO) has been there as long as btusb_tx_complete
 * but only SCO needs it: optional too.
 */
#define N_PROBES 5

static int select_probes(struct bturblat_bpf *obj, struct probe p[N_PROBES])
{
	const struct probe all[] = {
		{ .func = "btusb_send_frame", .wanted = true },
		{ .func = "btusb_send_frame_intel", .wanted = true, .optional = true },
		{ .func = "btusb_send_frame_mtk", .wanted = true, .optional = true },
		{ .func = "btusb_tx_complete", .wanted = true },
		{ .func = "btusb_isoc_tx_complete", .wanted = true, .optional = true },
	};

	_Static_assert(sizeof(all) / sizeof(all[0]) == N_PROBES, "N_PROBES");
	memcpy(p, all, sizeof(all));
	return probes__select(obj->obj, TRACED_MODULE, p, N_PROBES);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .args_doc = "[interval [count]]",
		.doc = argp_program_doc,
	};
	struct bturblat_bpf *obj;
	struct probe probes[N_PROBES];
	int err;

	err = tool__begin("bturblat", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;
	if (!usb_controller_present())
		return 1;

	obj = tool__open(bturblat_bpf);
	if (!obj)
		return 1;
	obj->rodata->targ_dev = hist_env.dev;
	obj->rodata->targ_type = env.type;
	obj->rodata->targ_per_dev = env.per_dev;
	obj->rodata->targ_ms = hist_env.millis;

	err = select_probes(obj, probes);
	if (err)
		goto cleanup;
	err = tool__load_attach(obj->skeleton);
	if (err)
		goto cleanup;

	if (!common_env.json) {
		printf("Tracing btusb URB latency (%s)... Hit Ctrl-C to end.\n",
		       probes__mode_name(probes, N_PROBES));
		fflush(stdout);	/* attached: say so now, also into a file */
	}

	if (om_env.path)	/* the file exists once we are attached */
		om__write(write_metrics, obj);

	struct loop_opts lo = {
		.interval_s = om__interval(hist_env.ia.interval),
		.count = hist_env.ia.count,
		.on_tick = print_hists,
		.ctx = obj,
	};
	err = trace__run(&lo);
	if (trace__output_ok()) {
		print_summary(obj);
		trace__output_ok();
	}

cleanup:
	bturblat_bpf__destroy(obj);
	return err != 0;
}
