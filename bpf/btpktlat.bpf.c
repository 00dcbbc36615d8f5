// SPDX-License-Identifier: GPL-2.0
/*
 * btpktlat: one L2CAP send followed from the application's sendmsg to the
 * controller's acknowledgement, split into the layers that held it.
 *
 *   sock   l2cap_sock_sendmsg entry .. hci_send_acl entry: segmentation and
 *          the wait for socket-buffer space (sock_alloc_send_pskb)
 *   queue  hci_send_acl entry .. hci_send_frame entry: the connection's
 *          data_q, waiting for controller credits and tx_work
 *   usb    hci_send_frame entry .. btusb_tx_complete of its URB: the bulk
 *          transfer to the controller (btusb controllers only)
 *   ack    the URB's completion (hci_send_frame entry when there is no
 *          usb stage) .. the HCI_EV_NUM_COMP_PKTS completing it
 *   total  l2cap_sock_sendmsg entry .. the last fragment's ack
 *
 * Fragments: L2CAP hands a PDU larger than the ACL MTU to hci_send_acl as
 * one skb whose frag_list holds the continuation fragments; hci_queue_acl
 * queues the head and each fragment as its own ACL frame, all at once
 * (checked in the 6.1 and 7.1 sources).  So each fragment skb is noted at
 * hci_send_acl entry, before any of them can reach the driver, and followed
 * by pointer to hci_send_frame; from there the shared FIFO of
 * bpf/ackq.bpf.h pairs it with its completion, carrying a tag (send id,
 * fragment number).  queue, usb and ack are histograms of every frame;
 * sock and total of every send.  A send's own queue, usb and ack (the -M
 * line) are its last fragment's, so sock + queue + usb + ack == total to
 * the nanosecond.
 *
 * usb: hci_send_frame notes the frame's place in the FIFO for its thread;
 * btusb's send (same thread, same skb) moves the note to a map keyed by
 * the skb; the URB's completion finds it by urb->context (btusb.bpf.h),
 * deletes it (btusb frees the skb right after) and stamps the FIFO entry
 * (ring_mark), whose pop then splits usb from ack.  A controller that is
 * not btusb's never reaches btusb's send: its frames have no usb stage.
 *
 * A sendmsg that calls hci_send_acl several times (LE credit-based mode,
 * one call per PDU) ends its sock stage at the last call; its send is
 * closed at the ack of the last fragment queued so far, so a PDU queued
 * after an earlier PDU's ack, or later from another context (LE credits
 * arriving), is not part of it.  Basic mode over BR/EDR (one PDU per
 * sendmsg) has none of this.
 *
 * Pointer reuse: a frame's note is deleted when it reaches the driver, and
 * a note found again at hci_send_acl (the frame was purged with its channel
 * and the address reused) is counted as dropped.  The FIFO keys nothing by
 * pointer.
 *
 * ISO and SCO sends (-P) take the same path with their own functions:
 * iso_sock_sendmsg .. hci_send_iso and sco_sock_sendmsg .. hci_send_sco,
 * each called from the sendmsg (iso_send_frame, sco_send_frame: inlined),
 * then hci_send_frame.  hci_send_iso queues an SDU larger than the ISO MTU
 * as a head and its frag_list, as hci_send_acl does (bt_skb_sendmsg cut
 * it, 6.1 and 6.12 checked): the fragments are followed the same way, and
 * ISO frames are acked through the same FIFO (btacklat's).  SCO has one
 * frame per send and no NUM_COMP_PKTS without SCO flow control (which the
 * kernel tracks only from 6.15, with HCI_SCO_FLOWCTL): a SCO send closes
 * at hci_send_frame, its ack is STAGE_NA and total ends at the driver.
 *
 * -r, the receive side (L2CAP; ISO and SCO the same way, through iso_recv
 * and sco_recv_scodata instead of l2cap_recv_acldata):
 *
 *   rxwork hci_recv_frame entry (the driver hands the ACL frame over) ..
 *          l2cap_recv_acldata entry (hci_rx_work took it off rx_q)
 *   sockq  l2cap_recv_acldata entry of the L2CAP frame's first fragment ..
 *          __sock_queue_rcv_skb entry on the receiving L2CAP socket
 *   read   __sock_queue_rcv_skb .. skb_free_datagram in bt_sock_recvmsg,
 *          once the data is copied out (the reader's pid)
 *   total  hci_recv_frame of the first fragment .. the read
 *
 * The skb is followed by pointer from the driver to L2CAP, and again from
 * the socket queue to the read.  In between, L2CAP passes a frame that
 * came in one ACL fragment on as the same skb, but copies a fragmented one
 * into a new skb (conn->rx_skb); so each first fragment's stamps are
 * carried per connection (controller, handle) and taken by the next frame
 * that connection queues on a socket, checked by pointer when it came
 * whole.  Frames for no socket (signalling) leave their carry to be
 * replaced by the next first fragment.  An SDU of several PDUs is queued
 * as its first PDU's skb: a whole data PDU whose carry another replaced is
 * held by pointer (rx_held), and taken when its connection queues that
 * skb, if it was held after the connection last queued anything (a held
 * pointer older than that may have been freed and reused; signalling
 * frames, freed at once, are never held).  rxwork is a histogram of every
 * ACL frame, sockq of every L2CAP frame queued, read and total of every
 * frame read; with -p, all four are added at the read, for PID's reads
 * only.
 */
#include "btbpf.bpf.h"
#include "btpktlat.h"

const volatile int targ_dev = -1;	/* hdev->id, -1: every controller */
const volatile __u32 targ_tgid = 0;	/* -p, 0: every process */
const volatile bool targ_per_conn = false;	/* -C */
const volatile bool targ_ms = false;	/* -m */
const volatile bool targ_events = false;	/* -M */
const volatile __u64 targ_min_ns = 0;	/* -M MS */
const volatile __u32 targ_protos = PKT_PROTOS;	/* -P, bits of BTPROTO_* */

struct pkt_stats stats = {};
__u64 next_send_id = 0;

/* Zeroed template for new histograms: too big for the 512-byte stack. */
const struct hist_val zero_hist = {};

struct send {
	__u64 t0;		/* sendmsg entry */
	__u64 tq;		/* last hci_send_acl entry of the call */
	__u32 pid;
	__u32 bytes;
	__u16 dev;
	__u16 handle;
	__u16 nfrags;		/* fragments noted so far */
	__u16 last_seq;		/* the last one's number */
	char comm[16];
	__u32 proto;		/* BTPROTO_*: which sendmsg opened it */
};

struct frame {
	__u64 tq;		/* hci_send_acl entry */
	__u64 tag;		/* the ring tag it will carry (btpktlat.h) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_HISTS);
	__type(key, struct hist_key);
	__type(value, struct hist_val);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_SENDS);
	__type(key, __u64);		/* send id */
	__type(value, struct send);
} sends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_THREADS);
	__type(key, __u64);		/* pid_tgid inside l2cap_sock_sendmsg */
	__type(value, __u64);		/* its send id */
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_FRAMES);
	__type(key, __u64);		/* fragment skb pointer */
	__type(value, struct frame);
} frames SEC(".maps");

/* A frame handed to the driver: its place in the ack FIFO (ring_mark). */
struct urb_note {
	__u64 skb;
	struct ring_pos at;
	struct ring_key k;
	__u32 pad;
};

/* The frame each thread last pushed at hci_send_frame, for btusb's send
 * right after.  LRU: a controller that is not btusb's leaves it behind,
 * and the thread's next frame replaces it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PKT_MAX_SENDERS);
	__type(key, __u64);		/* pid_tgid */
	__type(value, struct urb_note);
} senders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_URBS);
	__type(key, __u64);		/* skb pointer, urb->context at completion */
	__type(value, struct urb_note);
} urbs SEC(".maps");

/* -r */
struct rx_stats rx_stats = {};

/* A connection's L2CAP frame being received: its first fragment's stamps. */
struct rx_carry {
	__u64 t0;		/* hci_recv_frame; 0: before tracing */
	__u64 t1;		/* l2cap_recv_acldata */
	__u64 skb;		/* the first fragment, the frame's skb if it came whole */
	__u32 nfrags;
	__u32 run;		/* frames on the connection since it last queued one */
	__u32 ck;		/* the connection (rx_held's entries only) */
	bool dyn;		/* an L2CAP data channel's frame (dynamic CID) */
};

/* A frame on a socket's receive queue. */
struct rx_queued {
	__u64 t0, t1, tq;
	__u16 dev;
	__u16 handle;
	__u32 nfrags;
	__u32 proto;		/* BTPROTO_*: the socket's */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_RX_FRAMES);
	__type(key, __u64);		/* skb from hci_recv_frame */
	__type(value, __u64);		/* its stamp */
} rx_frames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_RX_CONNS);
	__type(key, __u32);		/* dev << 16 | handle */
	__type(value, struct rx_carry);
} rx_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_RX_QUEUED);
	__type(key, __u64);		/* skb on a socket's receive queue */
	__type(value, struct rx_queued);
} rx_queued SEC(".maps");

/* Whole data-channel PDUs another PDU followed before either was queued:
 * each may be the first PDU of an SDU, which L2CAP queues as that PDU's
 * skb with the later ones appended.  LRU: most are later PDUs of an SDU,
 * never looked up again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PKT_MAX_RX_HELD);
	__type(key, __u64);		/* the PDU's skb */
	__type(value, struct rx_carry);
} rx_held SEC(".maps");

/* When each connection last queued a frame on a socket (any socket): a
 * held PDU older than that cannot begin the SDU being queued. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKT_MAX_RX_CONNS);
	__type(key, __u32);		/* dev << 16 | handle */
	__type(value, __u64);		/* bpf_ktime of that queueing */
} rx_last_queued SEC(".maps");

#include "events.bpf.h"
#include "ackq.bpf.h"
#include "btusb.bpf.h"

/* Only the fields read here (6.1 .. 7.1).  skb_shinfo(skb) is head + end:
 * end is an offset (sk_buff_data_t) on 64-bit kernels, the only ones
 * bt_types.bpf.h serves. */
struct sk_buff___pkt {
	struct sk_buff___pkt *next;
	unsigned char *head;
	unsigned int end;
} __pai;

struct skb_shared_info___pkt {
	struct sk_buff___pkt *frag_list;
} __pai;

struct hci_chan___pkt {
	struct hci_conn___ack *conn;
} __pai;

/* -r: whether a socket has a file (a user's) and its receive buffer. */
struct socket___pkt {
	void *file;
} __pai;

struct sock___pkt {
	struct {
		atomic_t rmem_alloc;
	} sk_backlog;
	int sk_rcvbuf;
	struct socket___pkt *sk_socket;
} __pai;

static __always_inline struct sk_buff___pkt *skb_frag_list(struct sk_buff___pkt *skb)
{
	struct skb_shared_info___pkt *shinfo;

	shinfo = (void *)(BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, end));
	return BPF_CORE_READ(shinfo, frag_list);
}

static __always_inline bool proto_wanted(__u32 proto)
{
	return targ_protos & (1u << proto);
}

/* The protocol of a data frame sent (ACL or ISO; SCO is not followed
 * past the driver). */
static __always_inline __u32 frame_proto(struct sk_buff *skb)
{
	return skb_pkt_type(skb) == HCI_ISODATA_PKT ? BTPROTO_ISO : BTPROTO_L2CAP;
}

/* The protocol of a connection's frames: its link type (bt.h). */
static __always_inline __u32 conn_proto(struct hci_conn___ack *conn)
{
	__u8 type = BPF_CORE_READ(conn, type);

	if (link_is_iso(type))
		return BTPROTO_ISO;
	return type == SCO_LINK || type == ESCO_LINK ? BTPROTO_SCO : BTPROTO_L2CAP;
}

/* A global function: the verifier checks it once per program, on its own,
 * and each of its calls as one step (bthcicredits.bpf.c's sample_pool says
 * why that matters).  Hence the int, and only scalar arguments. */
__noinline int hist_add(__u32 stage, __u32 proto, __u16 dev, __u16 handle, __u64 ns)
{
	struct hist_key hk = { .stage = stage, .proto = proto };
	struct hist_val *h;

	if (targ_per_conn) {
		hk.dev = dev;
		hk.handle = handle;
	}
	h = map_lookup_or_init(&hists, &hk, &zero_hist);
	if (!h) {
		counter_add(&stats.hists_full, 1);
		return 0;
	}
	log2_hist_add(h->slots, PKT_SLOTS, targ_ms ? ns / 1000000 : ns / 1000);
	counter_add(&h->sum_ns, ns);
	/* not atomic: two controllers' workqueues racing here may keep the
	 * smaller of two maxima (the man page says so) */
	if (ns > h->max_ns)
		h->max_ns = ns;
	return 0;
}

/* Notes val for an skb in map.  A note already there belongs to an skb
 * that left without reaching the next hook and whose address came back:
 * counted in *stale and replaced.  False when the map is full (*full). */
static __always_inline bool note_skb(void *map, __u64 key, void *val, __u64 *stale, __u64 *full)
{
	if (!bpf_map_update_elem(map, &key, val, BPF_NOEXIST))
		return true;
	if (bpf_map_lookup_elem(map, &key)) {
		counter_add(stale, 1);
		bpf_map_update_elem(map, &key, val, BPF_EXIST);
		return true;
	}
	counter_add(full, 1);
	return false;
}

/* ---- sock: sendmsg entry and return ---- */

static __always_inline int on_sendmsg(size_t len, __u32 proto)
{
	__u64 tid = bpf_get_current_pid_tgid(), id;
	struct send s = { .proto = proto };

	if (!tgid_wanted(targ_tgid, tid) || !proto_wanted(proto))
		return 0;
	counter_add(&stats.sends, 1);
	id = __sync_fetch_and_add(&next_send_id, 1) + 1;
	s.t0 = bpf_ktime_get_ns();
	s.pid = tid >> 32;
	s.bytes = len;
	bpf_get_current_comm(&s.comm, sizeof(s.comm));
	if (bpf_map_update_elem(&sends, &id, &s, BPF_NOEXIST)) {
		counter_add(&stats.sends_full, 1);
		id = 0;		/* the thread is still noted: its return is no partial */
	}
	if (bpf_map_update_elem(&threads, &tid, &id, BPF_ANY) && id) {
		bpf_map_delete_elem(&sends, &id);
		counter_add(&stats.sends_full, 1);
	}
	return 0;
}

/* A send that queued nothing (an error, a wait interrupted) has no stages:
 * counted, and forgotten.  One that queued fragments lives on until the
 * last one's ack. */
static __always_inline int on_sendmsg_ret(__u32 proto)
{
	__u64 tid = bpf_get_current_pid_tgid();
	__u64 *id = bpf_map_lookup_elem(&threads, &tid);
	struct send *s;

	if (!id) {
		if (tgid_wanted(targ_tgid, tid) && proto_wanted(proto))
			counter_add(&stats.partial, 1);
		return 0;
	}
	s = bpf_map_lookup_elem(&sends, id);
	if (s && !s->nfrags) {
		counter_add(&stats.nodata, 1);
		bpf_map_delete_elem(&sends, id);
	}
	bpf_map_delete_elem(&threads, &tid);
	return 0;
}

/* ---- queue: hci_send_acl/iso/sco entry, then hci_send_frame ---- */

struct frag_ctx {
	struct sk_buff___pkt *skb;	/* the next fragment to note */
	__u64 tq;
	__u64 tag;			/* the first fragment's; + i for the others */
	__u32 n;
};

/* bpf_loop callback: note fragment i of the PDU and step to the next
 * (the head's frag_list, then each fragment's next). */
static int note_frag(__u32 i, void *ctx)
{
	struct frag_ctx *c = ctx;
	struct sk_buff___pkt *cur = c->skb;	/* a local: CO-RE reads relocate its fields only */
	struct frame f = { .tq = c->tq, .tag = c->tag };
	__u64 key = (__u64)cur;

	if (!cur)
		return 1;
	if (c->tag && !(c->tag & TAG_IGNORE))
		f.tag += i;
	note_skb(&frames, key, &f, &stats.frames_dropped, &stats.frames_full);
	c->n++;
	c->skb = i == 0 ? skb_frag_list(cur) : BPF_CORE_READ(cur, next);
	return 0;
}

/* A PDU (ISO: SDU, SCO: frame) of proto queued on conn: each of its
 * fragments is noted, and the calling sendmsg's send learns them. */
static __always_inline int on_queue(struct hci_conn___ack *conn, struct sk_buff___pkt *skb,
				    __u32 proto)
{
	__u64 tid = bpf_get_current_pid_tgid(), *id;
	struct frag_ctx c = { .skb = skb };
	struct send *s = NULL;
	__u16 dev = BPF_CORE_READ(conn, hdev, id);

	if (!proto_wanted(proto))
		return 0;
	id = bpf_map_lookup_elem(&threads, &tid);
	if (id)
		s = bpf_map_lookup_elem(&sends, id);
	if (s && s->proto != proto)
		s = NULL;	/* not this sendmsg's own frame: a kernel one */
	if (!dev_wanted(targ_dev, dev)) {
		/* -d: a send leaving on another controller is not one of ours */
		if (s) {
			bpf_map_delete_elem(&sends, id);
			__sync_fetch_and_sub(&stats.sends, 1);
		}
		return 0;
	}
	c.tq = bpf_ktime_get_ns();
	if (s) {
		c.tag = (*id << TAG_SEQ_BITS) | (s->nfrags + 1);
	} else if (targ_tgid) {
		c.tag = TAG_IGNORE;	/* a kernel frame, or another process's */
	}
	bpf_loop(PKT_MAX_FRAGS, note_frag, &c, 0);
	if (c.skb)
		counter_add(&stats.frags_untracked, 1);
	counter_add(&stats.frames, c.n);
	if (s && c.n) {
		s->tq = c.tq;
		s->dev = dev;
		s->handle = BPF_CORE_READ(conn, handle) & HCI_HANDLE_MASK;
		s->nfrags += c.n;
		s->last_seq = s->nfrags;
	}
	return 0;
}

static __always_inline int on_send_acl(struct hci_chan___pkt *chan, struct sk_buff___pkt *skb)
{
	return on_queue(BPF_CORE_READ(chan, conn), skb, BTPROTO_L2CAP);
}

/* The handle in the header of a frame at hci_send_frame entry (ACL, SCO
 * and ISO alike: the low 12 bits of the first le16). */
static __always_inline __u16 skb_handle(struct sk_buff *skb)
{
	__u16 hdr = 0;

	bpf_probe_read_kernel(&hdr, sizeof(hdr), BPF_CORE_READ(skb, data));
	return hdr & HCI_HANDLE_MASK;
}

static __always_inline void send_done_sco(struct send *s, __u64 now);

/* A SCO frame handed to the driver: its queue stage and, for a send of
 * ours, the send end there (no ack: STAGE_NA). */
static __always_inline int on_sco_frame(struct hci_dev___ack *hdev, struct sk_buff *skb)
{
	__u64 key = (__u64)skb, now, id;
	struct frame *f;
	struct send *s;
	__u16 handle;

	if (!proto_wanted(BTPROTO_SCO) || !dev_wanted(targ_dev, BPF_CORE_READ(hdev, id)))
		return 0;
	f = bpf_map_lookup_elem(&frames, &key);
	if (!f) {
		counter_add(&stats.queue_partial, 1);
		return 0;
	}
	now = bpf_ktime_get_ns();
	id = f->tag >> TAG_SEQ_BITS;
	if (!(f->tag & TAG_IGNORE)) {
		s = f->tag ? bpf_map_lookup_elem(&sends, &id) : NULL;
		handle = skb_handle(skb);
		hist_add(STAGE_QUEUE, BTPROTO_SCO, BPF_CORE_READ(hdev, id), handle,
			       now - f->tq);
		if (s) {
			send_done_sco(s, now);
			bpf_map_delete_elem(&sends, &id);
		} else if (f->tag) {
			counter_add(&stats.sends_lost, 1);
		}
	}
	bpf_map_delete_elem(&frames, &key);
	return 0;
}

/* A thread's note is for the frame of its current hci_send_frame only.
 * Left in place, a command sent next by the same worker could match it in
 * btusb's send: the frame's skb is freed at its URB's completion, and the
 * next skb allocated on that CPU (the command's) often takes its address;
 * that command was then counted as one more URB, and its completion as a
 * late one. */
static __always_inline void forget_sender_note(__u64 tid)
{
	struct urb_note *n = bpf_map_lookup_elem(&senders, &tid);

	if (n)
		n->skb = 0;
}

/* Handed to the driver: the queue stage ends, the frame enters the FIFO
 * with its tag (every ACL frame does, noted or not: the FIFO must see them
 * all; ISO frames too when ISO is traced), and its place is noted for
 * btusb's send. */
static __always_inline int on_send_frame(struct hci_dev___ack *hdev, struct sk_buff *skb)
{
	__u32 proto = frame_proto(skb);
	__u64 key = (__u64)skb, tag = 0, tid = bpf_get_current_pid_tgid();
	struct urb_note n = { .skb = key };
	struct ring_key k = {};
	struct frame *f;

	forget_sender_note(tid);
	if (skb_pkt_type(skb) == HCI_SCODATA_PKT)
		return on_sco_frame(hdev, skb);
	if (!frame_ring_key(hdev, skb, proto_wanted(BTPROTO_ISO), &k))
		return 0;
	if (!proto_wanted(proto)) {
		/* -P without l2cap: ACL frames keep the FIFO exact, untimed */
		ring_push(&k, TAG_IGNORE, NULL);
		return 0;
	}
	f = bpf_map_lookup_elem(&frames, &key);
	if (f) {
		tag = f->tag;
		if (!(tag & TAG_IGNORE))
			hist_add(STAGE_QUEUE, proto, k.dev, k.handle,
				       bpf_ktime_get_ns() - f->tq);
		bpf_map_delete_elem(&frames, &key);
	} else {
		counter_add(&stats.queue_partial, 1);
		if (targ_tgid)
			tag = TAG_IGNORE;
	}
	if (!ring_push(&k, tag, &n.at))
		return 0;
	n.k = k;
	bpf_map_update_elem(&senders, &tid, &n, BPF_ANY);
	return 0;
}

/* ---- usb: btusb's send, then the URB's completion (btusb.bpf.h) ---- */

/* btusb's send entry, inside hci_send_frame: the frame this thread just
 * pushed is followed to its URB.  Anything else (commands, SCO, frames of
 * another controller) is not; a note still kept for its address is a
 * frame's whose completion never came (a kprobe skipped): dropped here,
 * where the address comes back, before a completion of this skb could
 * take it. */
static __always_inline int on_send(struct hci_dev *hdev, struct sk_buff *skb, bool iso_only)
{
	__u64 tid = bpf_get_current_pid_tgid(), key = (__u64)skb;
	struct urb_note *n = bpf_map_lookup_elem(&senders, &tid);

	if (!n || n->skb != key) {
		if (n)
			n->skb = 0;	/* a failed return is not its frame's */
		if (!bpf_map_delete_elem(&urbs, &key))
			counter_add(&stats.urbs_stale, 1);
		return 0;
	}
	if (iso_only && skb_pkt_type(skb) != HCI_ISODATA_PKT)
		return 0;
	if (note_skb(&urbs, key, n, &stats.urbs_stale, &stats.urbs_full))
		counter_add(&stats.urbs, 1);
	return 0;
}

/* btusb's send return: a failure means no URB (hci_send_frame frees the
 * skb only after this) for the thread's frame, unless the thread's last
 * btusb send was another packet (a command: on_send cleared the note's
 * skb); success returns at once, before any map access,
 * as the URB may complete on this CPU right now (bturblat.bpf.c says why
 * that matters for kprobes). */
static __always_inline int on_send_ret(int ret)
{
	__u64 tid, skb;
	struct urb_note *n;

	if (ret >= 0)
		return 0;
	tid = bpf_get_current_pid_tgid();
	n = bpf_map_lookup_elem(&senders, &tid);
	if (!n || !n->skb)
		return 0;
	skb = n->skb;
	if (!bpf_map_delete_elem(&urbs, &skb))
		counter_add(&stats.urbs_submit_errors, 1);
	return 0;
}

/* The URB completed: usb closes and ack opens, for a frame still waiting
 * in the FIFO. */
static __always_inline int on_complete(struct urb___btusb *urb)
{
	struct sk_buff *skb = urb_skb(urb);
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns(), tag;
	struct urb_note *p = bpf_map_lookup_elem(&urbs, &key), n;
	struct hci_dev *hdev;

	if (!p) {
		hdev = BPF_CORE_READ(skb, dev);
		if (skb_pkt_type(skb) == HCI_ACLDATA_PKT && dev_wanted(targ_dev, BPF_CORE_READ(hdev, id)))
			counter_add(&stats.urbs_untracked, 1);
		return 0;
	}
	n = *p;
	bpf_map_delete_elem(&urbs, &key);
	if (BPF_CORE_READ(urb, status)) {
		counter_add(&stats.urbs_failed, 1);
		return 0;
	}
	if (!ring_mark(&n.k, &n.at, now, &tag)) {
		counter_add(&stats.urbs_late, 1);
		return 0;
	}
	counter_add(&stats.urbs_done, 1);
	if (!(tag & TAG_IGNORE))
		hist_add(STAGE_USB, frame_proto(skb), n.k.dev, n.k.handle, now - n.at.ts);
	return 0;
}

/* ---- ack: the FIFO's hooks (ackq.bpf.h) ---- */

static __always_inline void *ackq_pop_arg(struct ring_key *k, struct hci_conn___ack *conn)
{
	return conn;
}

/* One -M record, both sides: reserved and filled but for comm, which the
 * caller sets before event_submit; NULL when the ring is full (counted in
 * lost_events by event_reserve). */
static __always_inline struct send_event *stage_event(__u64 now, __u32 pid, __u32 bytes,
						      __u16 dev, __u16 handle, __u32 frags,
						      const __u64 *stage_ns)
{
	struct send_event *e = event_reserve(sizeof(*e));
	int i;

	if (!e)
		return NULL;
	e->ts = now;
	e->pid = pid;
	e->bytes = bytes;
	e->dev = dev;
	e->handle = handle;
	e->frags = frags;
	for (i = 0; i < STAGE_MAX; i++)
		e->stage_ns[i] = stage_ns[i];
	return e;
}

static __always_inline void send_event(struct send *s, __u64 *stage_ns, __u64 now)
{
	struct send_event *e = stage_event(now, s->pid, s->bytes, s->dev, s->handle,
					   s->nfrags, stage_ns);

	if (!e)
		return;
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	e->proto = s->proto;
	e->pad = 0;
	event_submit(e);
}

/* A send timed, its stages in ns (the frame-level ones, queue, usb and
 * ack, were added per frame): its own histograms and -M line. */
static __always_inline void send_finish(struct send *s, __u64 *ns, __u64 now)
{
	hist_add(STAGE_SOCK, s->proto, s->dev, s->handle, ns[STAGE_SOCK]);
	hist_add(STAGE_TOTAL, s->proto, s->dev, s->handle, ns[STAGE_TOTAL]);
	counter_add(&stats.timed, 1);
	if (targ_events && ns[STAGE_TOTAL] >= targ_min_ns)
		send_event(s, ns, now);
}

/* The send's last fragment was acked at now, handed to the driver at
 * sent_ns, its URB completed at done_ns (0: no usb stage): its stages,
 * from these stamps, so they add up to the total. */
static __always_inline void send_done(struct send *s, __u64 sent_ns, __u64 done_ns, __u64 now)
{
	__u64 ns[STAGE_MAX];

	ns[STAGE_SOCK] = s->tq - s->t0;
	ns[STAGE_QUEUE] = sent_ns - s->tq;
	ns[STAGE_USB] = done_ns ? done_ns - sent_ns : STAGE_NA;
	ns[STAGE_ACK] = now - (done_ns ?: sent_ns);
	ns[STAGE_TOTAL] = now - s->t0;
	send_finish(s, ns, now);
}

/* A SCO send handed to the driver at now: it has no ack (nor usb), its
 * total ends here, so sock + queue == total. */
static __always_inline void send_done_sco(struct send *s, __u64 now)
{
	__u64 ns[STAGE_MAX];

	ns[STAGE_SOCK] = s->tq - s->t0;
	ns[STAGE_QUEUE] = now - s->tq;
	ns[STAGE_USB] = STAGE_NA;
	ns[STAGE_ACK] = STAGE_NA;
	ns[STAGE_TOTAL] = now - s->t0;
	send_finish(s, ns, now);
}

static __always_inline void ackq_popped(void *arg, __u64 sent_ns, __u64 done_ns, __u64 tag,
					__u64 now)
{
	struct hci_conn___ack *conn = arg;
	__u64 id = tag >> TAG_SEQ_BITS;
	struct send *s;

	if (tag & TAG_IGNORE)
		return;
	hist_add(STAGE_ACK, conn_proto(conn), BPF_CORE_READ(conn, hdev, id),
		 BPF_CORE_READ(conn, handle) & HCI_HANDLE_MASK, now - (done_ns ?: sent_ns));
	if (!tag)
		return;
	s = bpf_map_lookup_elem(&sends, &id);
	if (!s) {
		counter_add(&stats.sends_lost, 1);
		return;
	}
	if ((tag & TAG_SEQ_MASK) != s->last_seq)
		return;		/* not the send's last fragment */
	send_done(s, sent_ns, done_ns, now);
	bpf_map_delete_elem(&sends, &id);
}

static __always_inline void ackq_unacked(struct ring_key *k, struct hci_conn___ack *conn,
					 __u32 left)
{
}

/* ---- -r: the receive side ---- */

static __always_inline __u32 rx_conn_key(__u16 dev, __u16 handle)
{
	return (__u32)dev << 16 | handle;
}

/* The protocol whose frames come as pkt_type (-P), or -1: not traced. */
static __always_inline int rx_proto(__u8 pkt_type)
{
	__u32 proto;

	switch (pkt_type) {
	case HCI_ACLDATA_PKT: proto = BTPROTO_L2CAP; break;
	case HCI_ISODATA_PKT: proto = BTPROTO_ISO; break;
	case HCI_SCODATA_PKT: proto = BTPROTO_SCO; break;
	default: return -1;
	}
	return proto_wanted(proto) ? (int)proto : -1;
}

/* The driver hands an ACL (ISO, SCO) frame to the HCI core: rxwork opens. */
static __always_inline int on_recv_frame(struct hci_dev *hdev, struct sk_buff *skb)
{
	__u64 t0;

	if (rx_proto(skb_pkt_type(skb)) < 0 ||
	    !dev_wanted(targ_dev, BPF_CORE_READ(hdev, id)))
		return 0;
	t0 = bpf_ktime_get_ns();
	if (note_skb(&rx_frames, (__u64)skb, &t0, &rx_stats.frames_stale, &rx_stats.frames_full))
		counter_add(&rx_stats.frames, 1);
	return 0;
}

/* Whether a first fragment is an L2CAP data channel's (not signalling,
 * SMP...). */
static __always_inline bool dynamic_cid(struct sk_buff *skb)
{
	__u16 cid = 0;

	bpf_probe_read_kernel(&cid, sizeof(cid), BPF_CORE_READ(skb, data) + L2CAP_HDR_CID_OFF);
	return cid >= L2CAP_CID_DYN_START;	/* little-endian, as x86 and arm64 */
}

/* A new L2CAP frame starts on a connection whose carried frame was not
 * queued: a whole data PDU is held, in case it begins an SDU.  Only where
 * reassembly buffers can be unheld (see unhold_rx_skb). */
static __always_inline void hold_carry(struct rx_carry *old, __u32 ck,
				       const struct acldata_args *a)
{
	struct rx_carry h = *old;

	if (old->nfrags != 1 || !old->dyn || !old->t0 || !a->hcon)
		return;
	h.ck = ck;
	bpf_map_update_elem(&rx_held, &h.skb, &h, BPF_ANY);
}

/* An L2CAP continuation fragment: the frame is being copied into a new
 * skb, which may sit where a freed held PDU was; it is queued as itself,
 * never as an SDU begun by that PDU.  The buffer is the connection's from
 * 6.18 on too, but the hci_conn is no longer an argument there: no PDU is
 * held. */
static __always_inline void unhold_rx_skb(const struct acldata_args *a)
{
	struct hci_conn *hcon = a->hcon;	/* not inside BPF_CORE_READ: no relocation */
	__u64 rx_skb;

	if (!hcon)
		return;
	rx_skb = (__u64)BPF_CORE_READ(hcon, l2cap_data, rx_skb);
	bpf_map_delete_elem(&rx_held, &rx_skb);
}

/* hci_rx_work hands the frame to L2CAP (ISO, SCO): rxwork closes; a first
 * fragment starts the connection's carry, a continuation (cont true) is
 * counted in it. */
static __always_inline int on_rx_data(struct acldata_args *a, __u32 proto, bool cont)
{
	__u64 key = (__u64)a->skb, now = bpf_ktime_get_ns(), t0 = 0, *t;
	__u32 ck = rx_conn_key(a->dev, a->handle);
	struct rx_carry n = {}, *c;

	if (!dev_wanted(targ_dev, a->dev) || !proto_wanted(proto))
		return 0;
	t = bpf_map_lookup_elem(&rx_frames, &key);
	if (t) {
		t0 = *t;
		bpf_map_delete_elem(&rx_frames, &key);
		if (!targ_tgid)
			hist_add(RX_STAGE_RXWORK, proto, a->dev, a->handle, now - t0);
	} else {
		counter_add(&rx_stats.work_partial, 1);
	}
	c = bpf_map_lookup_elem(&rx_conns, &ck);
	if (cont) {
		counter_add(&rx_stats.conts, 1);
		if (proto == BTPROTO_L2CAP)
			unhold_rx_skb(a);
		if (c) {
			c->nfrags++;
			c->run++;
		} else {
			counter_add(&rx_stats.conts_orphan, 1);
		}
		return 0;
	}
	counter_add(&rx_stats.starts, 1);
	n.run = 1;
	if (c) {
		n.run += c->run;
		hold_carry(c, ck, a);
	}
	n.t0 = t0;
	n.t1 = now;
	n.skb = key;
	n.nfrags = 1;
	n.dyn = proto == BTPROTO_L2CAP && dynamic_cid(a->skb);
	if (bpf_map_update_elem(&rx_conns, &ck, &n, BPF_ANY))
		counter_add(&rx_stats.conns_full, 1);
	return 0;
}

/* l2cap_recv_acldata, iso_recv, sco_recv_scodata: their arguments
 * (core_fixes.bpf.h) for proto.  A continuation is ACL's ACL_CONT, ISO's
 * CONT or END (pb bit 0); SCO frames are never fragmented. */
static __always_inline int on_rx_args(__u64 a0, __u64 a1, __u64 a2, __u64 a3, __u32 proto)
{
	struct acldata_args r;
	bool cont = false;

	acldata_args(a0, a1, a2, a3, &r);
	if (proto == BTPROTO_L2CAP)
		cont = (r.flags & ACL_PB_MASK) == ACL_CONT;
	else if (proto == BTPROTO_ISO)
		cont = r.flags & ISO_PB_MASK & 1;
	return on_rx_data(&r, proto, cont);
}

/* What a frame queued on a socket is to -r. */
enum rx_sock {
	RX_OTHER,		/* not an L2CAP (ISO, SCO) socket of a traced connection */
	RX_UNFOLLOWED,		/* its connection's, but no reader will time it */
	RX_FOLLOWED,		/* a user's socket with room for it */
};

/* The L2CAP (ISO, SCO) socket a frame is queued on, and its connection. */
static __always_inline enum rx_sock rx_sock_conn(struct sock *sk, __u32 *ck, __u16 *dev,
						 __u16 *handle, __u32 *proto)
{
	struct sock___pkt *s = (void *)sk;
	struct hci_conn *hcon;

	if (BPF_CORE_READ(sk, __sk_common.skc_family) != AF_BLUETOOTH)
		return RX_OTHER;
	*proto = BPF_CORE_READ(sk, sk_protocol);
	if (*proto != BTPROTO_L2CAP && *proto != BTPROTO_ISO && *proto != BTPROTO_SCO)
		return RX_OTHER;
	if (!proto_wanted(*proto))
		return RX_OTHER;
	hcon = sock_hcon(sk, *proto);
	if (!hcon)
		return RX_OTHER;
	*dev = BPF_CORE_READ(hcon, hdev, id);
	*handle = BPF_CORE_READ(hcon, handle) & HCI_HANDLE_MASK;
	if (!dev_wanted(targ_dev, *dev))
		return RX_OTHER;
	*ck = rx_conn_key(*dev, *handle);
	if (!BPF_CORE_READ(s, sk_socket, file)) {
		counter_add(&rx_stats.sockq_kernel, 1);
		return RX_UNFOLLOWED;
	}
	/* __sock_queue_rcv_skb's own first test: the frame is refused */
	if (BPF_CORE_READ(s, sk_backlog.rmem_alloc.counter) >= BPF_CORE_READ(s, sk_rcvbuf)) {
		counter_add(&rx_stats.rcvbuf_full, 1);
		return RX_UNFOLLOWED;
	}
	return RX_FOLLOWED;
}

/* The connection queued a frame now; returns when it did so before (0:
 * never while traced).  Every PDU held before that was queued or freed. */
static __always_inline __u64 mark_queued(__u32 ck, __u64 now)
{
	__u64 *last = bpf_map_lookup_elem(&rx_last_queued, &ck), before = 0;

	if (last) {
		before = *last;
		*last = now;
	} else {
		bpf_map_update_elem(&rx_last_queued, &ck, &now, BPF_ANY);
	}
	return before;
}

/* The frame queued is a held PDU of this connection, held after its last
 * queueing: an SDU that began with that PDU.  Its frames are the
 * connection's ACL frames from that PDU to the last one. */
static __always_inline bool take_held(__u64 key, __u32 ck, __u64 since,
				      const struct rx_carry *last, struct rx_queued *q)
{
	struct rx_carry *h = bpf_map_lookup_elem(&rx_held, &key);

	if (!h || h->ck != ck || h->t1 <= since)
		return false;
	q->t0 = h->t0;
	q->t1 = h->t1;
	q->nfrags = last->run - h->run + last->nfrags;
	bpf_map_delete_elem(&rx_held, &key);
	counter_add(&rx_stats.sdus, 1);
	return true;
}

/* On the socket's receive queue: sockq closes, read opens.  The frame is
 * the connection's carried one (the same skb when it came whole), or an
 * L2CAP SDU that began with a held PDU. */
static __always_inline int on_sock_queue(struct sock *sk, struct sk_buff *skb)
{
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns(), since;
	struct rx_queued q = {};
	struct rx_carry *c;
	__u16 dev, handle;
	enum rx_sock kind;
	__u32 ck, proto;

	kind = rx_sock_conn(sk, &ck, &dev, &handle, &proto);
	if (kind == RX_OTHER)
		return 0;
	since = mark_queued(ck, now);
	if (kind == RX_UNFOLLOWED)
		return 0;
	c = bpf_map_lookup_elem(&rx_conns, &ck);
	if (!c || !c->t0) {
		counter_add(&rx_stats.sockq_partial, 1);
		goto out;
	}
	if (c->skb == key || !take_held(key, ck, since, c, &q)) {
		if (c->nfrags == 1 && c->skb != key) {
			counter_add(&rx_stats.sockq_unmatched, 1);
			goto out;
		}
		q.t0 = c->t0;
		q.t1 = c->t1;
		q.nfrags = c->nfrags;
	}
	q.tq = now;
	q.dev = dev;
	q.handle = handle;
	q.proto = proto;
	if (!targ_tgid)
		hist_add(RX_STAGE_SOCKQ, proto, dev, handle, now - q.t1);
	if (note_skb(&rx_queued, key, &q, &rx_stats.queued_stale, &rx_stats.queued_full))
		counter_add(&rx_stats.queued, 1);
out:
	bpf_map_delete_elem(&rx_conns, &ck);
	return 0;
}

static __always_inline void rx_event(struct rx_queued *q, __u64 *stage_ns, __u64 now,
				     __u32 pid, __u32 bytes)
{
	struct send_event *e = stage_event(now, pid, bytes, q->dev, q->handle, q->nfrags,
					   stage_ns);

	if (!e)
		return;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->proto = q->proto;
	e->pad = 0;
	event_submit(e);
}

/* bt_sock_recvmsg is done with the frame: read and total close.  A
 * MSG_PEEK read leaves the skb linked on the queue (a dequeued one has
 * next == NULL): it is read later. */
static __always_inline int on_free_datagram(struct sk_buff___pkt *skb)
{
	__u64 key = (__u64)skb, tid, now, ns[STAGE_MAX];
	struct rx_queued *q = bpf_map_lookup_elem(&rx_queued, &key);

	if (!q)
		return 0;
	if (BPF_CORE_READ(skb, next)) {
		counter_add(&rx_stats.peeks, 1);
		return 0;
	}
	tid = bpf_get_current_pid_tgid();
	if (!tgid_wanted(targ_tgid, tid)) {
		counter_add(&rx_stats.reads_other, 1);
		goto out;
	}
	now = bpf_ktime_get_ns();
	__builtin_memset(ns, 0xff, sizeof(ns));	/* STAGE_NA: the gap (btpktlat.h) */
	ns[RX_STAGE_RXWORK] = q->t1 - q->t0;
	ns[RX_STAGE_SOCKQ] = q->tq - q->t1;
	ns[RX_STAGE_READ] = now - q->tq;
	ns[RX_STAGE_TOTAL] = now - q->t0;
	if (targ_tgid) {
		hist_add(RX_STAGE_RXWORK, q->proto, q->dev, q->handle, ns[RX_STAGE_RXWORK]);
		hist_add(RX_STAGE_SOCKQ, q->proto, q->dev, q->handle, ns[RX_STAGE_SOCKQ]);
	}
	hist_add(RX_STAGE_READ, q->proto, q->dev, q->handle, ns[RX_STAGE_READ]);
	hist_add(RX_STAGE_TOTAL, q->proto, q->dev, q->handle, ns[RX_STAGE_TOTAL]);
	counter_add(&rx_stats.reads, 1);
	if (targ_events && ns[RX_STAGE_TOTAL] >= targ_min_ns)
		rx_event(q, ns, now, tid >> 32, BPF_CORE_READ((struct sk_buff *)skb, len));
out:
	bpf_map_delete_elem(&rx_queued, &key);
	return 0;
}

/* ---- the probes ---- */

/* fexit sees the return value after the arguments: ctx[3] for
 * l2cap_sock_sendmsg(sock, msg, len); only its passing matters here. */
/* The four programs of a sendmsg(sock, msg, len) of protocol proto. */
#define SENDMSG_PROBES(func, proto)						\
SEC("fentry/" #func)								\
int BPF_PROG(func##_fentry, struct socket *sock, struct msghdr *msg, size_t len) \
{ return on_sendmsg(len, proto); }						\
SEC("fexit/" #func)								\
int func##_fexit(unsigned long long *ctx)					\
{ return on_sendmsg_ret(proto); }						\
SEC("kprobe/" #func)								\
int BPF_KPROBE(func##_kprobe, struct socket *sock, struct msghdr *msg, size_t len) \
{ return on_sendmsg(len, proto); }						\
SEC("kretprobe/" #func)								\
int BPF_KRETPROBE(func##_kretprobe, int ret)					\
{ return on_sendmsg_ret(proto); }

SENDMSG_PROBES(l2cap_sock_sendmsg, BTPROTO_L2CAP)
SENDMSG_PROBES(iso_sock_sendmsg, BTPROTO_ISO)
SENDMSG_PROBES(sco_sock_sendmsg, BTPROTO_SCO)

/* hci_send_iso(conn, skb), hci_send_sco(conn, skb): 6.1 .. 7.1 */
SEC("fentry/hci_send_iso")
int BPF_PROG(hci_send_iso_fentry, struct hci_conn___ack *conn, struct sk_buff___pkt *skb)
{ return on_queue(conn, skb, BTPROTO_ISO); }

SEC("kprobe/hci_send_iso")
int BPF_KPROBE(hci_send_iso_kprobe, struct hci_conn___ack *conn, struct sk_buff___pkt *skb)
{ return on_queue(conn, skb, BTPROTO_ISO); }

SEC("fentry/hci_send_sco")
int BPF_PROG(hci_send_sco_fentry, struct hci_conn___ack *conn, struct sk_buff___pkt *skb)
{ return on_queue(conn, skb, BTPROTO_SCO); }

SEC("kprobe/hci_send_sco")
int BPF_KPROBE(hci_send_sco_kprobe, struct hci_conn___ack *conn, struct sk_buff___pkt *skb)
{ return on_queue(conn, skb, BTPROTO_SCO); }

SEC("fentry/hci_send_acl")
int BPF_PROG(hci_send_acl_fentry, struct hci_chan___pkt *chan, struct sk_buff___pkt *skb)
{ return on_send_acl(chan, skb); }

SEC("kprobe/hci_send_acl")
int BPF_KPROBE(hci_send_acl_kprobe, struct hci_chan___pkt *chan, struct sk_buff___pkt *skb)
{ return on_send_acl(chan, skb); }

ACKQ_PROBES(on_send_frame)
BTUSB_PROBES

SEC("fentry/hci_recv_frame")
int BPF_PROG(hci_recv_frame_fentry, struct hci_dev *hdev, struct sk_buff *skb)
{ return on_recv_frame(hdev, skb); }

SEC("kprobe/hci_recv_frame")
int BPF_KPROBE(hci_recv_frame_kprobe, struct hci_dev *hdev, struct sk_buff *skb)
{ return on_recv_frame(hdev, skb); }

/* A receive function's programs.  Two arguments to four (core_fixes.bpf.h):
 * fentry reads them through the helper, which fails harmlessly (0) past
 * the function's own; a kprobe's registers past them are read, never used. */
#define RX_PROBES(func, proto)							\
SEC("fentry/" #func)								\
int func##_fentry(unsigned long long *ctx)					\
{										\
	__u64 a[4] = {};							\
										\
	bpf_get_func_arg(ctx, 0, &a[0]);					\
	bpf_get_func_arg(ctx, 1, &a[1]);					\
	bpf_get_func_arg(ctx, 2, &a[2]);					\
	bpf_get_func_arg(ctx, 3, &a[3]);					\
	return on_rx_args(a[0], a[1], a[2], a[3], proto);			\
}										\
SEC("kprobe/" #func)								\
int BPF_KPROBE(func##_kprobe, __u64 a0, __u64 a1, __u64 a2, __u64 a3)		\
{ return on_rx_args(a0, a1, a2, a3, proto); }

/* iso_recv(hcon, skb, flags) and sco_recv_scodata(hcon, skb) took the
 * (hdev, handle, skb[, flags]) form with l2cap_recv_acldata in 6.18 (code
 * only) */
RX_PROBES(l2cap_recv_acldata, BTPROTO_L2CAP)
RX_PROBES(iso_recv, BTPROTO_ISO)
RX_PROBES(sco_recv_scodata, BTPROTO_SCO)

SEC("fentry/__sock_queue_rcv_skb")
int BPF_PROG(__sock_queue_rcv_skb_fentry, struct sock *sk, struct sk_buff *skb)
{ return on_sock_queue(sk, skb); }

SEC("kprobe/__sock_queue_rcv_skb")
int BPF_KPROBE(__sock_queue_rcv_skb_kprobe, struct sock *sk, struct sk_buff *skb)
{ return on_sock_queue(sk, skb); }

SEC("fentry/skb_free_datagram")
int BPF_PROG(skb_free_datagram_fentry, struct sock *sk, struct sk_buff___pkt *skb)
{ return on_free_datagram(skb); }

SEC("kprobe/skb_free_datagram")
int BPF_KPROBE(skb_free_datagram_kprobe, struct sock *sk, struct sk_buff___pkt *skb)
{ return on_free_datagram(skb); }

char LICENSE[] SEC("license") = "GPL";
