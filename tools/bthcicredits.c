// SPDX-License-Identifier: GPL-2.0
/*
 * bthcicredits: HCI controller buffer credits (acl_cnt, le_cnt, sco_cnt,
 * iso_cnt of struct hci_dev) over time: how low they go, how much of the
 * time they sit at zero (every controller buffer in flight), how often, and
 * for how long.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "bthcicredits.h"
#include "bthcicredits.skel.h"
#include "cli.h"
#include "hist.h"
#include "json.h"
#include "names.h"
#include "openmetrics.h"
#include "probes.h"
#include "tool.h"
#include "trace.h"

#define TRACED_MODULE "bluetooth"

static struct env {
	bool events;
	bool hist;
	bool frames_counted;	/* hci_send_frame hooked */
} env;

static const char *const type_names[CT_MAX] = {
	[CT_ACL] = "acl", [CT_LE] = "le", [CT_SCO] = "sco", [CT_ISO] = "iso",
};

static const char *const cause_names[CAUSE_MAX] = {
	[CAUSE_TX] = "tx", [CAUSE_ACK] = "ack", [CAUSE_DISCONNECT] = "disconnect",
	[CAUSE_OTHER] = "other",
};

const char argp_program_doc[] =
"Show HCI controller buffer credits (ACL, LE, SCO, ISO) and time spent at zero.\n"
"\n"
"USAGE: bthcicredits [-h] [-T] [-j] [-e] [-H] [-d hciN] [--openmetrics PATH [-q]]\n"
"                    [interval [count]]\n"
"\n"
"EXAMPLES:\n"
"    bthcicredits              # per controller and pool, every second\n"
"    bthcicredits 5 12         # every 5 seconds, 12 times\n"
"    bthcicredits -d hci0      # only hci0\n"
"    bthcicredits -H           # also a histogram of stall durations on Ctrl-C\n"
"    bthcicredits -e           # one line per credit change instead\n"
"    bthcicredits -j           # JSON lines\n"
"    bthcicredits -q --openmetrics /var/lib/prometheus/node-exporter/bthcicredits.prom 15\n"
"                              # Prometheus metrics every 15 s, nothing on stdout\n";

static const struct argp_option opts[] = {
	CLI_OPTION_DEVICE,
	{ "events", 'e', NULL, 0, "Print each credit change (no table unless an interval is given)", 0 },
	{ "histogram", 'H', NULL, 0, "On exit, print a log2 histogram of zero-credit stall durations", 0 },
	CLI_OPTION_OPENMETRICS,
	CLI_OPTION_QUIET,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'e':
		env.events = true;
		break;
	case 'H':
		env.hist = true;
		break;
	case ARGP_KEY_END:
		/* -e alone streams changes; a given interval adds the table */
		if (env.events && !hist_env.ia.seen)
			hist_env.ia.interval = 0;
		break;
	default:
		return cli__parse_hist_arg(key, arg, state);
	}
	return 0;
}

/* ---- controllers ---- */

static bool dev_exists(int dev)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/class/bluetooth/hci%d", dev);
	return access(path, F_OK) == 0;
}

/* ---- interval table ---- */

/* Cumulative totals of one pool at one instant, open periods included. */
struct totals {
	__u64 ts;
	__u64 zero_ns;
	__u64 weighted;
	__u64 stalls;
	__u64 moved[CAUSE_MAX];
	__u64 frames;
	__u32 last;	/* the value held at ts */
};

struct row {
	struct credit_key key;
	struct credit_state st;
	struct totals now, prev;
	bool had_prev;
};

#define MAX_ROWS CREDITS_MAX_KEYS	/* every entry of the states map */

static struct tick_state {
	struct bthcicredits_bpf *obj;
	struct { struct credit_key key; struct totals t; } prev[MAX_ROWS];
	int nprev;
	__u32 epoch;
} ts;

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static __u64 since(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;	/* BPF may have moved on after our clock read */
}

static void totals_of(const struct credit_state *st, __u64 frames, __u64 now, struct totals *t)
{
	t->ts = now;
	t->zero_ns = st->zero_ns + (st->last == 0 ? since(now, st->zero_since) : 0);
	t->weighted = st->weighted + (__u64)st->last * since(now, st->last_ts);
	t->stalls = st->stalls;
	memcpy(t->moved, st->moved, sizeof(t->moved));
	t->frames = frames;
	t->last = st->last;
}

static bool keys_eq(const struct credit_key *a, const struct credit_key *b)
{
	return a->dev == b->dev && a->type == b->type;
}

static struct totals *prev_of(const struct credit_key *key)
{
	int i;

	for (i = 0; i < ts.nprev; i++)
		if (keys_eq(&ts.prev[i].key, key))
			return &ts.prev[i].t;
	if (ts.nprev == MAX_ROWS)
		return NULL;
	ts.prev[ts.nprev].key = *key;
	return &ts.prev[ts.nprev++].t;
}

static int row_cmp(const void *a, const void *b)
{
	const struct credit_key *x = &((const struct row *)a)->key;
	const struct credit_key *y = &((const struct row *)b)->key;

	if (x->dev != y->dev)
		return x->dev - y->dev;
	return x->type - y->type;
}

static __u64 frames_of(const struct credit_key *key)
{
	__u64 n = 0;

	bpf_map_lookup_elem(bpf_map__fd(ts.obj->maps.frames), key, &n);
	return n;
}

/*
 * One consistent copy of a pool's state: BPF updates it in place, so a copy
 * taken while `seq` was odd, or that changed under us, is taken again.
 * Updates are a few instructions apart, so a handful of tries suffice; the
 * last copy is used if they do not (and is at worst one update off).
 */
static int read_state(int fd, const struct credit_key *key, struct credit_state *st)
{
	struct credit_state again;
	int i;

	for (i = 0; i < 8; i++) {
		if (bpf_map_lookup_elem(fd, key, st))
			return -1;
		if (st->seq & 1)
			continue;
		if (bpf_map_lookup_elem(fd, key, &again))
			return -1;
		if (again.seq == st->seq)
			return 0;
	}
	return 0;
}

/* Reads every pool's state; returns the number of rows, sorted. */
static int read_rows(struct row *rows, __u64 now)
{
	int fd = bpf_map__fd(ts.obj->maps.states);
	struct credit_key key, *prev = NULL;
	int n = 0;

	while (n < MAX_ROWS && !bpf_map_get_next_key(fd, prev, &key)) {
		struct row *r = &rows[n];

		prev = &r->key;
		r->key = key;
		if (read_state(fd, &key, &r->st))
			continue;
		if (r->key.type >= CT_MAX)
			continue;
		totals_of(&r->st, frames_of(&key), now, &r->now);
		n++;
	}
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	return n;
}

static const struct row *find_row(const struct row *rows, int n, __u16 dev, __u8 type)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].key.dev == dev && rows[i].key.type == type)
			return &rows[i];
	return NULL;
}

enum row_kind { ROW_OK, ROW_SHARED, ROW_NO_FLOWCTL, ROW_NO_BUFFERS };

/*
 * How to read a pool on this kernel:
 *  - le_pkts 0: LE traffic is debited from acl_cnt (hci_sched_le);
 *  - iso_pkts 0: ISO uses le_cnt, else acl_cnt (hci_sched_iso up to 6.17);
 *  - SCO: debited only with HCI_SCO_FLOWCTL (6.15+ and 6.1.y backports);
 *    otherwise sco_cnt stays at sco_pkts whatever is sent.
 */
static enum row_kind kind_of(const struct row *r, const struct row *rows, int n,
			     const char **pool)
{
	const struct row *le;

	switch (r->key.type) {
	case CT_LE:
		*pool = "acl";
		return r->st.pkts ? ROW_OK : ROW_SHARED;
	case CT_ISO:
		le = find_row(rows, n, r->key.dev, CT_LE);
		*pool = le && le->st.pkts ? "le" : "acl";
		return r->st.pkts ? ROW_OK : ROW_SHARED;
	case CT_SCO:
		if (!(r->st.flags & CS_SCO_FLOWCTL))
			return ROW_NO_FLOWCTL;
		return r->st.pkts ? ROW_OK : ROW_NO_BUFFERS;
	}
	return ROW_OK;
}

struct row_stats {
	__u64 len_ns;
	double avg, zero_pct;
	__u32 min, max_seen;
	__u64 stalls, sent, acked, reclaimed, other, frames;
};

static void widen(__u32 *min, __u32 *max, __u32 v)
{
	if (v < *min)
		*min = v;
	if (v > *max)
		*max = v;
}

/*
 * The lowest and highest value held between the previous read and this
 * one.  print_tick bumps the epoch just before it reads, so the interval is
 * covered by the epoch closed by that bump (it began before the previous
 * read) and the one just opened; each range counts only if it belongs to
 * one of them.  This can include values held a few microseconds before the
 * interval (between the previous bump and read), never leaves out one held
 * during it: min <= avg <= max holds.
 */
static void interval_range(const struct row *r, __u32 *min, __u32 *max)
{
	__u32 closed = ts.epoch - 1;
	int i;

	*min = *max = r->st.last;
	if (r->had_prev)
		widen(min, max, r->prev.last);
	for (i = 0; i < 2; i++) {
		const struct credit_range *cr = &r->st.range[i];

		if (cr->epoch != ts.epoch && cr->epoch != closed)
			continue;
		widen(min, max, cr->min);
		widen(min, max, cr->max);
	}
}

static void row_stats(const struct row *r, struct row_stats *s)
{
	const struct totals *p = &r->prev, *c = &r->now;
	__u64 start = r->had_prev ? p->ts : r->st.first_ts;

	if (start < r->st.first_ts)
		start = r->st.first_ts;
	s->len_ns = since(c->ts, start);
	if (s->len_ns) {
		s->avg = (double)(c->weighted - p->weighted) / s->len_ns;
		s->zero_pct = 100.0 * (c->zero_ns - p->zero_ns) / s->len_ns;
	} else {
		s->avg = r->st.last;
		s->zero_pct = r->st.last ? 0 : 100;
	}
	if (s->zero_pct > 100)
		s->zero_pct = 100;
	interval_range(r, &s->min, &s->max_seen);
	s->stalls = c->stalls - p->stalls;
	s->sent = c->moved[CAUSE_TX] - p->moved[CAUSE_TX];
	s->acked = c->moved[CAUSE_ACK] - p->moved[CAUSE_ACK];
	s->reclaimed = c->moved[CAUSE_DISCONNECT] - p->moved[CAUSE_DISCONNECT];
	s->other = c->moved[CAUSE_OTHER] - p->moved[CAUSE_OTHER];
	s->frames = c->frames - p->frames;
}

static void print_header(void)
{
	if (common_env.json)
		return;
	if (common_env.timestamp)
		printf("%-8s ", "TIME");
	printf("%-6s %-4s %5s %5s %6s %6s %6s %8s %8s %s\n", "DEV", "TYPE", "MAX", "MIN", "AVG",
	       "ZERO%", "STALLS", "SENT", "ACKED", "NOTE");
}

static void print_row_text(const struct row *r, enum row_kind kind, const char *pool,
			   const struct row_stats *s)
{
	char dev[12], tbuf[16], note[48] = "";

	if (common_env.timestamp)
		printf("%-8s ", trace__time_now(tbuf));
	printf("%-6s %-4s %5u ", hci__name(r->key.dev, dev), type_names[r->key.type], r->st.pkts);
	switch (kind) {
	case ROW_SHARED:
		printf("%5s %6s %6s %6s %8s %8s shared:%s\n", "-", "-", "-", "-", "-", "-", pool);
		return;
	case ROW_NO_BUFFERS:
		printf("%5s %6s %6s %6s %8s %8s no-buffers\n", "-", "-", "-", "-", "-", "-");
		return;
	case ROW_NO_FLOWCTL:	/* SENT: frames, since no credit is taken */
		if (env.frames_counted)
			snprintf(note, sizeof(note), "%llu", (unsigned long long)s->frames);
		else
			strcpy(note, "-");
		printf("%5s %6s %6s %6s %8s %8s not-flow-controlled%s\n", "-", "-", "-", "-",
		       note, "-", r->st.pkts ? "" : ",no-buffers");
		return;
	case ROW_OK:
		break;
	}
	if (s->reclaimed)
		snprintf(note, sizeof(note), "disconnect:+%llu", (unsigned long long)s->reclaimed);
	if (s->other)
		snprintf(note + strlen(note), sizeof(note) - strlen(note), "%sother:%llu",
			 note[0] ? "," : "", (unsigned long long)s->other);
	printf("%5u %6.2f %6.1f %6llu %8llu %8llu %s\n", s->min, s->avg, s->zero_pct,
	       (unsigned long long)s->stalls, (unsigned long long)s->sent,
	       (unsigned long long)s->acked, note);
}

static const char *kind_json(enum row_kind kind)
{
	switch (kind) {
	case ROW_SHARED: return "shared";
	case ROW_NO_BUFFERS: return "no_buffers";
	case ROW_NO_FLOWCTL: return "not_flow_controlled";
	default: return "ok";
	}
}

static void print_row_json(const struct row *r, enum row_kind kind, const char *pool,
			   const struct row_stats *s)
{
	char dev[12], tbuf[16];

	printf("{\"ts_ns\":%llu", (unsigned long long)r->now.ts);
	if (common_env.timestamp)
		printf(",\"time\":\"%s\"", trace__time_now(tbuf));
	printf(",\"dev\":\"%s\",\"type\":\"%s\",\"state\":\"%s\",\"max\":%u",
	       hci__name(r->key.dev, dev), type_names[r->key.type], kind_json(kind), r->st.pkts);
	if (kind == ROW_SHARED)
		printf(",\"pool\":\"%s\"", pool);
	else if (kind == ROW_NO_FLOWCTL && env.frames_counted)
		printf(",\"frames\":%llu", (unsigned long long)s->frames);
	else if (kind == ROW_OK)
		printf(",\"min\":%u,\"max_seen\":%u,\"avg\":%.3f,\"zero_pct\":%.2f,\"stalls\":%llu,"
		       "\"sent\":%llu,\"acked\":%llu,\"reclaimed\":%llu,\"other\":%llu,"
		       "\"cur\":%u,\"interval_ns\":%llu",
		       s->min, s->max_seen, s->avg, s->zero_pct, (unsigned long long)s->stalls,
		       (unsigned long long)s->sent, (unsigned long long)s->acked,
		       (unsigned long long)s->reclaimed, (unsigned long long)s->other, r->st.last,
		       (unsigned long long)s->len_ns);
	printf("}\n");
}

static bool print_tick(void *ctx, bool final)
{
	static struct row rows[MAX_ROWS];
	__u64 now;
	int i, n;

	/* a new epoch before the read: see interval_range */
	ts.epoch = ++ts.obj->bss->epoch;
	now = mono_ns();
	n = read_rows(rows, now);

	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		struct totals *p = prev_of(&r->key);
		const char *pool = "";
		enum row_kind kind = kind_of(r, rows, n, &pool);
		struct row_stats s;

		r->had_prev = p && p->ts;
		if (r->had_prev)
			r->prev = *p;
		else
			memset(&r->prev, 0, sizeof(r->prev));
		row_stats(r, &s);
		if (common_env.json)
			print_row_json(r, kind, pool, &s);
		else
			print_row_text(r, kind, pool, &s);
		if (p)
			*p = r->now;
	}
	if (n > 1 && !common_env.json && !final)
		printf("\n");	/* one block per interval */
	return true;
}

/* ---- -H: stall durations ---- */

static void print_hists(void)
{
	static struct row rows[MAX_ROWS];
	int hfd = bpf_map__fd(ts.obj->maps.hists);
	__u64 now = mono_ns();
	int i, n = read_rows(rows, now);

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct stall_hist h = {};
		const char *pool;
		char dev[12];
		__u64 us;
		int slot;

		if (kind_of(r, rows, n, &pool) != ROW_OK)
			continue;
		bpf_map_lookup_elem(hfd, &r->key, &h);
		if (!r->st.stalls)
			continue;
		/* a stall still open at exit counts with its length so far */
		if (r->st.last == 0 && (r->st.flags & CS_ZERO_COUNTED)) {
			us = since(now, r->st.zero_since) / 1000;
			slot = us ? 63 - __builtin_clzll(us) : 0;
			h.slots[slot < MAX_SLOTS_CREDITS ? slot : MAX_SLOTS_CREDITS - 1]++;
		}
		hci__name(r->key.dev, dev);
		if (common_env.json) {
			json__begin_row(stdout);
			printf("\"dev\":\"%s\",\"type\":\"%s\",\"stalls\":%llu,\"stall_hist\":", dev,
			       type_names[r->key.type], (unsigned long long)r->st.stalls);
			hist__json_log2(stdout, h.slots, MAX_SLOTS_CREDITS, "usecs");
			printf("}\n");
			continue;
		}
		printf("\n%s %s: zero-credit stalls: %llu\n", dev, type_names[r->key.type],
		       (unsigned long long)hist__total(h.slots, MAX_SLOTS_CREDITS));
		hist__print_log2(stdout, h.slots, MAX_SLOTS_CREDITS, "usecs");
	}
}

/* ---- --openmetrics ---- */

/* The BPF states are cumulative already: the file is read from them. */
static void pool_labels(struct om_labels *l, const struct row *r)
{
	char dev[12];

	om__label(l, "dev", hci__name(r->key.dev, dev));
	om__label(l, "type", type_names[r->key.type]);
}

enum pool_value { PV_CREDITS, PV_POOL, PV_ZERO, PV_STALLS, PV_SENT, PV_ACKED, PV_RECLAIMED, PV_OTHER };

static double pool_value(const struct row *r, enum pool_value v)
{
	switch (v) {
	case PV_CREDITS: return r->st.last;
	case PV_POOL: return r->st.pkts;
	case PV_ZERO: return r->now.zero_ns / 1e9;
	case PV_STALLS: return r->now.stalls;
	case PV_SENT: return r->now.moved[CAUSE_TX];
	case PV_ACKED: return r->now.moved[CAUSE_ACK];
	case PV_RECLAIMED: return r->now.moved[CAUSE_DISCONNECT];
	default: return r->now.moved[CAUSE_OTHER];
	}
}

/* One family over the pools this kernel debits (ROW_OK, see kind_of). */
static void write_pools(FILE *f, const struct row *rows, int n, const char *name,
			const char *type, const char *help, enum pool_value v)
{
	const char *pool;
	int i;

	om__family(f, name, type, help);
	for (i = 0; i < n; i++) {
		struct om_labels l = { "" };

		if (kind_of(&rows[i], rows, n, &pool) != ROW_OK)
			continue;
		pool_labels(&l, &rows[i]);
		fprintf(f, "%s{%s} %.15g\n", name, l.buf, pool_value(&rows[i], v));
	}
}

static void write_stall_hists(FILE *f, const struct row *rows, int n)
{
	const char *name = "btbpf_hci_credit_stall_seconds", *pool;
	int hfd = bpf_map__fd(ts.obj->maps.hists), i;

	om__family(f, name, "histogram", "Zero-credit stalls that ended, by length");
	for (i = 0; i < n; i++) {
		struct stall_hist h = {};
		struct om_labels l = { "" };

		if (kind_of(&rows[i], rows, n, &pool) != ROW_OK)
			continue;
		bpf_map_lookup_elem(hfd, &rows[i].key, &h);
		pool_labels(&l, &rows[i]);
		om__histogram_log2(f, name, &l, h.slots, MAX_SLOTS_CREDITS, 1e-6);
	}
}

static void write_metrics(FILE *f, void *ctx)
{
	static struct row rows[MAX_ROWS];
	int n = read_rows(rows, mono_ns());

	write_pools(f, rows, n, "btbpf_hci_credits", "gauge", "Credits the controller grants now", PV_CREDITS);
	write_pools(f, rows, n, "btbpf_hci_credit_pool_size", "gauge", "The pool's size (acl_pkts, le_pkts, ...)", PV_POOL);
	write_pools(f, rows, n, "btbpf_hci_credits_zero_seconds_total", "counter", "Time at zero credits", PV_ZERO);
	write_pools(f, rows, n, "btbpf_hci_credit_stalls_total", "counter", "Periods at zero credits", PV_STALLS);
	write_pools(f, rows, n, "btbpf_hci_credits_sent_total", "counter", "Credits taken by sends", PV_SENT);
	write_pools(f, rows, n, "btbpf_hci_credits_acked_total", "counter", "Credits given back by NUM_COMP_PKTS", PV_ACKED);
	write_pools(f, rows, n, "btbpf_hci_credits_reclaimed_total", "counter", "Credits given back at disconnect", PV_RECLAIMED);
	write_pools(f, rows, n, "btbpf_hci_credits_other_total", "counter", "Credit changes of no known cause", PV_OTHER);
	write_stall_hists(f, rows, n);
	om__family(f, "btbpf_hci_credit_events_lost_total", "counter", "-e events lost: the ring buffer was full");
	om__sample(f, "btbpf_hci_credit_events_lost_total", NULL, ts.obj->bss->lost_events);
}

/* The table every interval; the file too with --openmetrics: every
 * interval given, else every 15 s (the table's default tick is 1 s; -e
 * alone ticks every 15 s for the file only). */
static bool on_tick(void *ctx, bool final)
{
	if (om_env.path && om__due(om__interval(hist_env.ia.interval), hist_env.ia.seen, final))
		om__write(write_metrics, NULL);
	return hist_env.ia.interval ? print_tick(ctx, final) : true;
}

/* ---- -e: each change ---- */

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct credit_event *e = data;
	char tbuf[16], dev[12];

	if (size < sizeof(*e) || e->type >= CT_MAX || e->cause >= CAUSE_MAX)
		return 0;
	trace__time_of(e->ts_ns, tbuf);
	hci__name(e->dev, dev);
	if (common_env.json)
		printf("{\"ts_ns\":%llu,\"time\":\"%s\",\"dev\":\"%s\",\"type\":\"%s\",\"old\":%u,"
		       "\"new\":%u,\"cause\":\"%s\"}\n", (unsigned long long)e->ts_ns, tbuf, dev,
		       type_names[e->type], e->old, e->new, cause_names[e->cause]);
	else
		printf("%-8s %-6s %-4s %u->%u %s\n", tbuf, dev, type_names[e->type], e->old,
		       e->new, cause_names[e->cause]);
	return 0;
}

/* ---- setup ---- */

static int setup(struct bthcicredits_bpf *obj, struct probe *probes, int n)
{
	int err;

	obj->rodata->targ_dev = hist_env.dev;
	obj->rodata->targ_events = env.events;
	if (!env.events)	/* the ring carries only -e lines */
		trace__ring_unused(obj->maps.events);
	/* HCI_SCO_FLOWCTL is a member of an anonymous enum (hci.h), so CO-RE
	 * cannot relocate it: its value comes from the module's BTF.  It
	 * exists from 6.15 and in the 6.1.y backports (39 on Debian 6.1.192);
	 * without it the kernel never debits sco_cnt.  -1 when absent. */
	obj->rodata->targ_sco_flowctl_bit = probes__enum_value(TRACED_MODULE, "HCI_SCO_FLOWCTL");
	if (common_env.verbose)
		fprintf(stderr, "%s: HCI_SCO_FLOWCTL bit: %d\n", tool_name,
			obj->rodata->targ_sco_flowctl_bit);
	err = probes__select(obj->obj, TRACED_MODULE, probes, n);
	if (err)
		return err;
	env.frames_counted = probes[n - 1].enabled;
	return tool__load_attach(obj->skeleton);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts, .parser = parse_arg, .doc = argp_program_doc,
		.args_doc = "[interval [count]]",
	};
	struct ring_buffer *rb = NULL;
	struct bthcicredits_bpf *obj;
	int err, n;

	hist_env.ia.interval = 1;	/* a table every second unless told */
	err = tool__begin("bthcicredits", &argp, argc, argv, TRACED_MODULE);
	if (err)
		return err;
	if (hist_env.dev >= 0 && !dev_exists(hist_env.dev)) {
		warnx_tool("hci%d: no such controller (/sys/class/bluetooth/hci%d is missing)",
			   hist_env.dev, hist_env.dev);
		return 1;
	}

	obj = tool__open(bthcicredits_bpf);
	if (!obj)
		return 1;
	struct probe probes[] = {
		{ .func = "hci_tx_work", .wanted = true },
		{ .func = "hci_num_comp_pkts_evt", .wanted = true },
		{ .func = "hci_conn_del", .wanted = true },
		/* last: only for the frame count of SCO without flow control */
		{ .func = "hci_send_frame", .wanted = true, .optional = true },
	};
	n = sizeof(probes) / sizeof(probes[0]);
	err = setup(obj, probes, n);
	if (err)
		goto cleanup;
	ts.obj = obj;
	if (env.events) {
		rb = trace__ring_buffer(obj->maps.events, handle_event, NULL);
		if (!rb) {
			err = 1;
			goto cleanup;
		}
	}

	if (!common_env.json) {
		printf("Tracing HCI controller credits (%s)... Hit Ctrl-C to end.\n",
		       probes__mode_name(probes, n));
		if (hist_env.ia.interval)
			print_header();
		else
			printf("%-8s %-6s %-4s %s %s\n", "TIME", "DEV", "TYPE", "OLD->NEW", "CAUSE");
	}

	if (om_env.path)	/* the file exists once we are attached */
		om__write(write_metrics, NULL);

	struct loop_opts lo = {
		.rb = rb,
		.interval_s = om__interval(hist_env.ia.interval),
		.count = hist_env.ia.count,
		.lost = &obj->bss->lost_events,
		.on_tick = om__interval(hist_env.ia.interval) ? on_tick : NULL,
		.ctx = obj,
	};
	err = trace__run(&lo);
	if (env.hist)
		print_hists();
	trace__output_ok();

cleanup:
	ring_buffer__free(rb);
	bthcicredits_bpf__destroy(obj);
	return err != 0;
}
