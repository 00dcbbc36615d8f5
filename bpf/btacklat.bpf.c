// SPDX-License-Identifier: GPL-2.0
/*
 * btacklat: time from handing an ACL/LE/ISO packet to the driver until the
 * controller reports it completed (HCI_EV_NUM_COMP_PKTS), per connection.
 *
 * The pairing of sends and completions is the shared FIFO of
 * bpf/ackq.bpf.h (its top comment says why it is exact and needs no lock):
 * FIFO mode stamps at hci_send_frame and pops at hci_num_comp_pkts_evt,
 * TXQ mode (6.15+) at hci_conn_tx_queue / hci_conn_tx_dequeue.  This file
 * adds the histograms: one, or one per connection with -C.
 */
#include "btbpf.bpf.h"
#include "btacklat.h"

const volatile int targ_dev = -1;	/* hdev->id, -1: every controller */
const volatile bool targ_per_conn = false;	/* -C */
const volatile bool targ_ms = false;	/* -m */

/* Zeroed template for new histograms: too big for the 512-byte stack. */
const struct hist_val zero_hist = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ACK_MAX_HISTS);
	__type(key, struct hist_key);
	__type(value, struct hist_val);
} hists SEC(".maps");

#include "ackq.bpf.h"

static __always_inline struct hist_val *hist_get(struct ring_key *k, struct hci_conn___ack *conn)
{
	struct hist_key hk = {};

	if (targ_per_conn) {
		hk.dev = k->dev;
		hk.handle = k->handle;
		BPF_CORE_READ_INTO(&hk.peer, conn, dst);
		hk.type = BPF_CORE_READ(conn, type);
	}
	return map_lookup_or_init(&hists, &hk, &zero_hist);
}

/* ---- the FIFO's hooks (ackq.bpf.h) ---- */

/* the pops of one completion go to the connection's histogram; hists map
 * full: the stamps stay, dropped as stale later */
static __always_inline void *ackq_pop_arg(struct ring_key *k, struct hci_conn___ack *conn)
{
	return hist_get(k, conn);
}

/* from the handover to the driver: nothing here calls ring_mark, so
 * done_ns is 0 */
static __always_inline void ackq_popped(void *arg, __u64 sent_ns, __u64 done_ns, __u64 tag,
					__u64 now)
{
	struct hist_val *h = arg;
	__u64 delta_ns = now - sent_ns;

	log2_hist_add(h->slots, ACK_SLOTS, targ_ms ? delta_ns / 1000000 : delta_ns / 1000);
}

/* stamps left at disconnect: per connection too */
static __always_inline void ackq_unacked(struct ring_key *k, struct hci_conn___ack *conn,
					 __u32 left)
{
	struct hist_val *h = hist_get(k, conn);

	if (h)
		counter_add(&h->unacked, left);
}

/* ---- the probes ---- */

static __always_inline int on_send_frame(struct hci_dev___ack *hdev, struct sk_buff *skb)
{
	struct ring_key k = {};

	if (frame_ring_key(hdev, skb, true, &k))
		ring_push(&k, 0, NULL);
	return 0;
}

static __always_inline int on_tx_queue(struct hci_conn___ack *conn)
{
	struct ring_key k = {};

	if (conn_ring_key(conn, &k))
		ring_push(&k, 0, NULL);
	return 0;
}

ACKQ_PROBES(on_send_frame)

/* fentry + kprobe pair for the hooks whose only argument is the hci_conn */
#define CONN_PROBES(fn, handler)						\
SEC("fentry/" #fn)								\
int BPF_PROG(fn##_fentry, struct hci_conn___ack *conn)				\
{ return handler(conn); }							\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(fn##_kprobe, struct hci_conn___ack *conn)			\
{ return handler(conn); }

CONN_PROBES(hci_conn_tx_queue, on_tx_queue)
CONN_PROBES(hci_conn_tx_dequeue, ackq_tx_dequeue)

char LICENSE[] SEC("license") = "GPL";
