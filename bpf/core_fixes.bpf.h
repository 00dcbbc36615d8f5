/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every read whose answer depends on the kernel version, one small function
 * each, with the versions it serves.  A tool reads these fields only
 * through here.  Checked against the module BTF of Debian 6.1.192 and the
 * 6.19 and 7.1 sources.
 */
#ifndef BTBPF_CORE_FIXES_BPF_H
#define BTBPF_CORE_FIXES_BPF_H

#include "bt_types.bpf.h"
#include "bt.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* bt_cb(skb)->pkt_type: struct bt_skb_cb sits in skb->cb and pkt_type is
 * its first byte (2.6 .. 7.1).  0 when unreadable (no data type is 0). */
static __always_inline __u8 skb_pkt_type(struct sk_buff *skb)
{
	__u8 type = 0;

	bpf_core_read(&type, 1, &skb->cb[0]);
	return type;
}

/* hci_conn->type values that are ISO: ISO_LINK 0x82 up to 6.16; CIS_LINK
 * 0x82, BIS_LINK 0x83 and PA_LINK 0x84 from 6.17. */
static __always_inline bool link_is_iso(__u8 type)
{
	return type >= CIS_LINK && type <= PA_LINK;
}

/* 6.15+ (commit 134f4b39df7b): struct hci_conn has tx_q, the kernel's own
 * queue of sent packets; in flight = queued clones + counted-only "extra"
 * entries.  Absent before 6.15. */
struct sk_buff_head___txq {
	__u32 qlen;
} __pai;

struct tx_queue___txq {
	struct sk_buff_head___txq queue;
	unsigned int extra;
} __pai;

struct hci_conn___txq {
	struct tx_queue___txq tx_q;
} __pai;

/* Packets the kernel has in flight on conn by its tx_q; false before 6.15. */
static __always_inline bool conn_txq_inflight(void *conn, __u32 *inflight)
{
	struct hci_conn___txq *cq = conn;

	if (!bpf_core_field_exists(cq->tx_q))
		return false;
	*inflight = BPF_CORE_READ(cq, tx_q.queue.qlen) + BPF_CORE_READ(cq, tx_q.extra);
	return true;
}

/* ISO credits of a controller, hci_dev->iso_cnt and ->iso_pkts: since 6.0
 * (with ISO sockets), absent in 5.17.  False before. */
struct hci_dev___iso {
	unsigned int iso_cnt, iso_pkts;
} __pai;

static __always_inline bool hdev_iso_credits(void *hdev, __u32 *cnt, __u32 *pkts)
{
	struct hci_dev___iso *h = hdev;

	if (!bpf_core_field_exists(h->iso_cnt))
		return false;
	*cnt = BPF_CORE_READ(h, iso_cnt);
	*pkts = BPF_CORE_READ(h, iso_pkts);
	return true;
}

/* The remote address of a Bluetooth socket, from its protocol's own socket
 * data (each pinfo begins with struct sock): L2CAP keeps it in the channel,
 * SCO, ISO and RFCOMM in the pinfo (5.13 .. 7.1).  False when the socket
 * has none (HCI, an L2CAP socket without a channel).  struct rfcomm_pinfo
 * is in rfcomm.ko's BTF, there only while the module is loaded: without
 * the type test, a caller whose proto is not a constant would not load. */
static __always_inline bool sock_peer(struct sock *sk, __u8 proto, __u8 peer[6])
{
	struct l2cap_chan *chan;

	switch (proto) {
	case BTPROTO_L2CAP:
		chan = BPF_CORE_READ((struct l2cap_pinfo *)sk, chan);
		if (!chan)
			return false;
		bpf_core_read(peer, 6, &chan->dst);
		return true;
	case BTPROTO_SCO:
		bpf_core_read(peer, 6, &((struct sco_pinfo *)sk)->dst);
		return true;
	case BTPROTO_ISO:
		bpf_core_read(peer, 6, &((struct iso_pinfo *)sk)->dst);
		return true;
	case BTPROTO_RFCOMM:
		if (!bpf_core_type_exists(struct rfcomm_pinfo))
			return false;
		bpf_core_read(peer, 6, &((struct rfcomm_pinfo *)sk)->dst);
		return true;
	}
	return false;
}

/* The hci_conn of an L2CAP, SCO or ISO socket (L2CAP: its channel's), from
 * the same pinfo layouts (5.13 .. 7.1); NULL when it has none. */
static __always_inline struct hci_conn *sock_hcon(struct sock *sk, __u8 proto)
{
	switch (proto) {
	case BTPROTO_L2CAP:
		return BPF_CORE_READ((struct l2cap_pinfo *)sk, chan, conn, hcon);
	case BTPROTO_SCO:
		return BPF_CORE_READ((struct sco_pinfo *)sk, conn, hcon);
	case BTPROTO_ISO:
		return BPF_CORE_READ((struct iso_pinfo *)sk, conn, hcon);
	}
	return NULL;
}

/* l2cap_recv_acldata's arguments, and iso_recv's and sco_recv_scodata's
 * (the latter without flags), which the same 6.18 change turned to (hdev,
 * handle, skb[, flags]) returning int (read in the patch; code only, not
 * tested): (struct hci_conn *, skb, u16 flags) up
 * to 6.17 (checked: Debian 6.1 and 6.12.117 module BTF), (struct hci_dev *,
 * u16 handle, skb, u16 flags) returning int from 6.18 (the connection is
 * looked up inside; also in the stable trees that took that fix).  The
 * second argument tells them apart: a handle is at most 0x0eff, a kernel
 * pointer never that small.  a3 is not read on the older kernels. */
struct acldata_args {
	struct sk_buff *skb;
	struct hci_conn *hcon;	/* NULL from 6.18: not an argument */
	__u16 dev;
	__u16 handle;
	__u16 flags;
};

static __always_inline void acldata_args(__u64 a0, __u64 a1, __u64 a2, __u64 a3,
					 struct acldata_args *r)
{
	if (a1 <= HCI_HANDLE_MASK) {
		r->dev = BPF_CORE_READ((struct hci_dev *)a0, id);
		r->handle = a1;
		r->skb = (struct sk_buff *)a2;
		r->hcon = NULL;
		r->flags = a3;
	} else {
		r->hcon = (struct hci_conn *)a0;
		r->dev = BPF_CORE_READ((struct hci_conn *)a0, hdev, id);
		r->handle = BPF_CORE_READ((struct hci_conn *)a0, handle) & HCI_HANDLE_MASK;
		r->skb = (struct sk_buff *)a1;
		r->flags = a2;
	}
}

#endif /* BTBPF_CORE_FIXES_BPF_H */
