/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-(controller, handle) send FIFO and its HCI_EV_NUM_COMP_PKTS pop,
 * shared by btacklat and btpktlat: which completion belongs to which packet
 * handed to the driver.
 *
 * FIFO mode (every kernel with hci_num_comp_pkts_evt, checked on Debian
 * 6.1.192): a stamp is pushed at hci_send_frame entry into a ring keyed by
 * (hdev->id, handle); at hci_num_comp_pkts_evt `count` stamps are popped
 * per handle.  TXQ mode (6.15+, checked against the 6.19 and 7.1 sources):
 * the kernel keeps the per-connection FIFO itself and calls
 * hci_conn_tx_queue before each send and hci_conn_tx_dequeue once per
 * completed packet; the tool pushes and pops there, one at a time.
 *
 * Why no lock: tx_work (all ACL/ISO sends) and rx_work (all events) run on
 * hdev->workqueue, an ordered workqueue (hci_register_dev, 5.13..7.1), so
 * pushes and pops for one controller never overlap.  Rings of different
 * controllers are different keys.  Counters are updated atomically because
 * two controllers' workqueues do run in parallel.
 *
 * Why matching stays exact: before popping, the ring is reconciled with the
 * number of packets the kernel itself has in flight on that connection
 * (hci_conn->sent in FIFO mode, tx_q length in TXQ mode).  Completions of
 * packets never stamped (sent before the tool attached, or dropped on ring
 * overflow) are the oldest ones, so they are counted as untracked instead of
 * consuming a younger packet's stamp; stamps the kernel does not count
 * (raw HCI-socket ACL) are dropped as stale.  Nothing is silently paired.
 *
 * The FIFO's state lives here (the rings and their counters, as
 * events.bpf.h holds the event ring): only the tools that pair completions
 * include it.  The including object declares, before the #include,
 *	const volatile int targ_dev;		-d hciN, -1 for all
 * and defines, after it, the three hooks declared below.
 */
#ifndef BTBPF_ACKQ_BPF_H
#define BTBPF_ACKQ_BPF_H

#include "btbpf.bpf.h"
#include "ackq.h"

/* Zeroed template for new rings: too big for the 512-byte stack. */
const struct ack_ring zero_ring = {};

struct ack_stats ack_stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ACK_MAX_RINGS);
	__type(key, struct ring_key);
	__type(value, struct ack_ring);
} rings SEC(".maps");

/*
 * Local CO-RE flavours: only the fields read here.  Checked against the
 * module BTF of Debian 6.1.192 (bluetooth.ko) and the 7.1 sources; hci_conn
 * ->list is the first member in both, but the offset is relocated anyway.
 */
struct list_head___ack {
	struct list_head___ack *next;
} __pai;

struct hci_conn_hash___ack {
	struct list_head___ack list;
} __pai;

struct hci_dev___ack {
	__u16 id;
	struct hci_conn_hash___ack conn_hash;
} __pai;

struct hci_conn___ack {
	struct list_head___ack list;
	bdaddr_t dst;
	__u16 handle;
	__u8 type;
	unsigned int sent;
	struct hci_dev___ack *hdev;
} __pai;

/* ---- hooks the including tool defines ---- */

/* What the pops of one completion on connection k need (btacklat: the
 * histogram); NULL leaves the stamps in the ring (dropped as stale later). */
static __always_inline void *ackq_pop_arg(struct ring_key *k, struct hci_conn___ack *conn);
/* One packet completed: stamped at sent_ns with tag, completed at now;
 * done_ns is what ring_mark stamped in between, 0 if nothing did. */
static __always_inline void ackq_popped(void *arg, __u64 sent_ns, __u64 done_ns, __u64 tag,
					__u64 now);
/* The connection went with `left` packets still unacked. */
static __always_inline void ackq_unacked(struct ring_key *k, struct hci_conn___ack *conn,
					 __u32 left);

/* ---- the ring ---- */

static __always_inline struct ack_ring *ring_get(struct ring_key *k, bool create)
{
	if (!create)
		return bpf_map_lookup_elem(&rings, k);
	return map_lookup_or_init(&rings, k, &zero_ring);
}

/* A packet of connection k handed over now; tag comes back at its pop.
 * *at (if at): where it went, for ring_mark; false when it has no place. */
static __always_inline bool ring_push(struct ring_key *k, __u64 tag, struct ring_pos *at)
{
	struct ack_ring *r = ring_get(k, true);
	__u32 i;

	if (!r) {		/* rings map full: the completion will be untracked */
		counter_add(&ack_stats.overflow, 1);
		return false;
	}
	if (r->head - r->tail >= ACK_RING) {
		r->tail++;	/* drop the oldest; its completion becomes untracked */
		counter_add(&ack_stats.overflow, 1);
	}
	i = r->head & ACK_RING_MASK;
	r->ts[i] = bpf_ktime_get_ns();
	r->tag[i] = tag;
	r->done[i] = 0;
	if (at) {
		at->ts = r->ts[i];
		at->pos = r->head;
	}
	r->head++;
	counter_add(&ack_stats.sent, 1);
	return true;
}

/*
 * The driver finished with the packet ring_push placed at *at (btpktlat:
 * its URB completed) at now: stamped for its pop, and its tag given back.
 * False when it has left the ring (acked, dropped as stale or overflow,
 * or its connection gone).  The
 * driver's completion runs outside the controller's workqueue (URB
 * completions in softirq): a pop racing with the check may miss the stamp,
 * then the packet is popped as if unmarked (its tool counts it).
 */
static __always_inline bool ring_mark(struct ring_key *k, const struct ring_pos *at, __u64 now,
				      __u64 *tag)
{
	struct ack_ring *r = ring_get(k, false);
	__u32 i = at->pos & ACK_RING_MASK;

	if (!r || at->pos - r->tail >= r->head - r->tail || r->ts[i] != at->ts)
		return false;
	*tag = r->tag[i];
	r->done[i] = now;
	return true;
}

struct pop_ctx {
	struct ack_ring *r;
	void *arg;
	__u64 now;
};

/* bpf_loop callback: verified once, where a plain loop of 64 pops inside
 * the 16-handle loop exceeds the verifier's budget */
static int pop_one(__u32 i, void *ctx)
{
	struct pop_ctx *c = ctx;
	__u32 slot = c->r->tail & ACK_RING_MASK;

	ackq_popped(c->arg, c->r->ts[slot], c->r->done[slot], c->r->tag[slot], c->now);
	c->r->tail++;
	return 0;
}

/*
 * `count` packets completed on connection k; the kernel had `inflight` of
 * them outstanding before this completion.  See the top comment.
 */
static __always_inline void ring_complete(struct ring_key *k, struct hci_conn___ack *conn,
					  __u32 inflight, __u32 count)
{
	struct ack_ring *r = ring_get(k, false);
	__u32 occ = r ? r->head - r->tail : 0, untracked, n;
	struct pop_ctx c = {};

	if (r && occ > inflight) {
		counter_add(&ack_stats.stale, occ - inflight);
		r->tail += occ - inflight;
		occ = inflight;
	}
	untracked = inflight - occ < count ? inflight - occ : count;
	n = count - untracked < occ ? count - untracked : occ;
	counter_add(&ack_stats.untracked, untracked);
	counter_add(&ack_stats.unmatched, count - untracked - n);
	if (!r || !n)
		return;
	c.arg = ackq_pop_arg(k, conn);
	if (!c.arg)
		return;
	c.r = r;
	c.now = bpf_ktime_get_ns();
	bpf_loop(n, pop_one, &c, 0);	/* n <= occ <= ACK_RING */
	counter_add(&ack_stats.acked, n);
}

/* ---- FIFO mode ---- */

/* The ring of a frame at hci_send_frame entry: ACL, or ISO when iso is
 * set, of a wanted controller.  SCO (3) is not acked by NUM_COMP unless SCO
 * flow control is on, which 6.1 never enables. */
static __always_inline bool frame_ring_key(struct hci_dev___ack *hdev, struct sk_buff *skb,
					   bool iso, struct ring_key *k)
{
	unsigned char *data;
	__u8 pkt_type;
	__u16 hdr;

	pkt_type = skb_pkt_type(skb);
	if (pkt_type != HCI_ACLDATA_PKT && !(iso && pkt_type == HCI_ISODATA_PKT))
		return false;
	k->dev = BPF_CORE_READ(hdev, id);
	if (!dev_wanted(targ_dev, k->dev) || BPF_CORE_READ(skb, len) < 2)
		return false;
	/* At entry data points at the ACL/ISO header (hci_vhci pushes its
	 * H4 byte later, inside the driver): handle = low 12 bits. */
	data = BPF_CORE_READ(skb, data);
	if (bpf_probe_read_kernel(&hdr, sizeof(hdr), data))
		return false;
	k->handle = hdr & HCI_HANDLE_MASK;
	return true;
}

struct conn_walk {
	struct list_head___ack *head, *node;
	__u32 off;		/* of hci_conn's list member */
	__u16 handle;
	struct hci_conn___ack *found;
};

/* bpf_loop callback: one node of hdev's connection list (verified once,
 * where the same walk as a bounded loop was checked once per turn) */
static int conn_step(__u32 i, void *ctx)
{
	struct conn_walk *w = ctx;
	struct list_head___ack *node = w->node;	/* a local: BPF_CORE_READ of
						 * w->node would relocate w too */
	struct hci_conn___ack *c;

	if (!node || node == w->head)
		return 1;
	c = (void *)node - w->off;
	if (BPF_CORE_READ(c, handle) == w->handle) {
		w->found = c;
		return 1;
	}
	w->node = BPF_CORE_READ(node, next);
	return 0;
}

/* hci_conn_hash_lookup_handle() is an inline in hci_core.h: walk the list
 * ourselves (under rx_work, like the kernel's lookup right after us), at
 * most ACK_MAX_CONNS nodes. */
static __always_inline struct hci_conn___ack *conn_lookup(struct hci_dev___ack *hdev, __u16 handle)
{
	struct list_head___ack *head = __builtin_preserve_access_index(&hdev->conn_hash.list);
	struct conn_walk w = {
		.head = head,
		.node = BPF_CORE_READ(head, next),
		.off = bpf_core_field_offset(struct hci_conn___ack, list),
		.handle = handle,
	};

	bpf_loop(ACK_MAX_CONNS, conn_step, &w, 0);
	return w.found;
}

struct num_comp_ctx {
	struct hci_dev___ack *hdev;
	void *data;
	__u16 dev;
};

/* bpf_loop callback for entry i of the event's handle list */
static int num_comp_one(__u32 i, void *ctx)
{
	struct num_comp_ctx *c = ctx;
	struct hci_conn___ack *conn;
	struct ring_key k = { .dev = c->dev };
	__u16 info[2];		/* __le16 handle, count; x86 is little-endian */

	if (bpf_probe_read_kernel(info, sizeof(info), c->data + 1 + i * 4))
		return 1;
	/* the kernel looks the raw value up: a handle with flag bits set
	 * matches no connection, there and here */
	conn = conn_lookup(c->hdev, info[0]);
	if (!conn) {
		counter_add(&ack_stats.unmatched, info[1]);
		return 0;
	}
	k.handle = info[0] & HCI_HANDLE_MASK;
	/* sent is decremented after us: it still counts these packets */
	ring_complete(&k, conn, BPF_CORE_READ(conn, sent), info[1]);
	return 0;
}

/* hci_num_comp_pkts_evt entry.  data points at struct hci_ev_num_comp_pkts
 * { __u8 num; struct { __le16 handle; __le16 count; } handles[num]; }
 * (6.1: "num"; the 5.x "num_hndl" handler took no data argument and is not
 * hooked).  bpf_loop needs 5.17, as does this handler signature. */
static __always_inline int ackq_num_comp(struct hci_dev___ack *hdev, void *data,
					 struct sk_buff *skb)
{
	struct num_comp_ctx c = { .hdev = hdev, .data = data };
	__u8 num;

	c.dev = BPF_CORE_READ(hdev, id);
	if (!dev_wanted(targ_dev, c.dev) || bpf_probe_read_kernel(&num, 1, data))
		return 0;
	/* the kernel drops an event shorter than its handle list: so do we */
	if (BPF_CORE_READ(skb, len) < (unsigned int)num * 4)
		return 0;
	if (num > ACK_MAX_HANDLES) {
		counter_add(&ack_stats.skipped, num - ACK_MAX_HANDLES);
		num = ACK_MAX_HANDLES;
	}
	bpf_loop(num, num_comp_one, &c, 0);
	return 0;
}

/* ---- TXQ mode (6.15+) ---- */

/* The ring of a connection the kernel tracks in tx_q: ACL, LE, ISO (the
 * kernel tracks SCO only with HCI_SCO_FLOWCTL: left out). */
static __always_inline bool conn_ring_key(struct hci_conn___ack *conn, struct ring_key *k)
{
	__u8 type = BPF_CORE_READ(conn, type);

	if (type != ACL_LINK && type != LE_LINK && !link_is_iso(type))
		return false;
	k->dev = BPF_CORE_READ(conn, hdev, id);
	k->handle = BPF_CORE_READ(conn, handle) & HCI_HANDLE_MASK;
	return dev_wanted(targ_dev, k->dev);
}

/* hci_conn_tx_dequeue entry: one packet of conn completed. */
static __always_inline int ackq_tx_dequeue(struct hci_conn___ack *conn)
{
	struct ring_key k = {};
	__u32 inflight;

	if (!conn_txq_inflight(conn, &inflight) || !conn_ring_key(conn, &k))
		return 0;
	ring_complete(&k, conn, inflight, 1);
	return 0;
}

/* ---- both modes ---- */

/* Stamps left when the connection goes are not latencies: counted as
 * unacked (and handed to the tool), and the ring is forgotten, so a new
 * connection reusing the handle starts empty.  hci_conn_del runs in rx_work
 * (Disconnection Complete) or after the workqueue is drained (power off,
 * hci_conn_hash_flush). */
static __always_inline int ackq_conn_del(struct hci_conn___ack *conn)
{
	struct ring_key k = {};
	struct ack_ring *r;
	__u32 left;

	k.dev = BPF_CORE_READ(conn, hdev, id);
	k.handle = BPF_CORE_READ(conn, handle);	/* unmasked: unset handles match nothing */
	r = bpf_map_lookup_elem(&rings, &k);
	if (!r)
		return 0;
	left = r->head - r->tail;
	if (left) {
		counter_add(&ack_stats.unacked, left);
		ackq_unacked(&k, conn, left);
	}
	bpf_map_delete_elem(&rings, &k);
	return 0;
}

/*
 * The programs every FIFO user has, fentry and kprobe each (probes.c loads
 * one of the two): hci_send_frame pushes through the tool's own
 * send_frame(hdev, skb) (what it stamps differs), NUM_COMP_PKTS pops and
 * hci_conn_del drops the connection's ring through the shared code.
 */
#define ACKQ_PROBES(send_frame)							\
SEC("fentry/hci_send_frame")							\
int BPF_PROG(hci_send_frame_fentry, struct hci_dev___ack *hdev, struct sk_buff *skb) \
{ return send_frame(hdev, skb); }						\
SEC("kprobe/hci_send_frame")							\
int BPF_KPROBE(hci_send_frame_kprobe, struct hci_dev___ack *hdev, struct sk_buff *skb) \
{ return send_frame(hdev, skb); }						\
SEC("fentry/hci_num_comp_pkts_evt")						\
int BPF_PROG(hci_num_comp_pkts_evt_fentry, struct hci_dev___ack *hdev, void *data, \
	     struct sk_buff *skb)						\
{ return ackq_num_comp(hdev, data, skb); }					\
SEC("kprobe/hci_num_comp_pkts_evt")						\
int BPF_KPROBE(hci_num_comp_pkts_evt_kprobe, struct hci_dev___ack *hdev, void *data, \
	       struct sk_buff *skb)						\
{ return ackq_num_comp(hdev, data, skb); }					\
SEC("fentry/hci_conn_del")							\
int BPF_PROG(hci_conn_del_fentry, struct hci_conn___ack *conn)			\
{ return ackq_conn_del(conn); }							\
SEC("kprobe/hci_conn_del")							\
int BPF_KPROBE(hci_conn_del_kprobe, struct hci_conn___ack *conn)		\
{ return ackq_conn_del(conn); }

#endif /* BTBPF_ACKQ_BPF_H */
