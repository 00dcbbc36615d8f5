/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types of the per-(controller, handle) send FIFO (bpf/ackq.bpf.h), shared
 * by the tools that pair a packet handed to the driver with its
 * HCI_EV_NUM_COMP_PKTS completion (btacklat, btpktlat), on both sides.
 */
#ifndef BTBPF_ACKQ_H
#define BTBPF_ACKQ_H

#include "bt.h"

/*
 * Per (controller, handle) FIFO of send timestamps.  A power of two, so an
 * index is masked rather than bounds-checked.  Controllers grant at most
 * acl_pkts/le_pkts/iso_pkts credits (usually 1..20, rarely above 64), so
 * more than 64 packets are seldom in flight on one handle; when they are,
 * the oldest timestamp is dropped and counted (overflow).
 */
#define ACK_RING	64
#define ACK_RING_MASK	(ACK_RING - 1)

/* Handles read from one HCI_EV_NUM_COMP_PKTS event.  An event carries one
 * entry per connection with completions; the rest is counted (skipped). */
#define ACK_MAX_HANDLES	16

/* Connections walked in hdev->conn_hash to find a handle's hci_conn. */
#define ACK_MAX_CONNS	32

/* (controller, handle) rings */
#define ACK_MAX_RINGS	1024

/* How the ring is fed (enum, user space selects the programs). */
enum ack_mode {
	MODE_FIFO = 0,		/* hci_send_frame + hci_num_comp_pkts_evt */
	MODE_TXQ = 1,		/* hci_conn_tx_queue + hci_conn_tx_dequeue (6.15+) */
};

struct ring_key {
	__u16 dev;		/* hdev->id */
	__u16 handle;		/* 12-bit connection handle */
};

struct ack_ring {
	__u64 ts[ACK_RING];	/* bpf_ktime_get_ns() at send */
	__u64 tag[ACK_RING];	/* the tool's word for the packet (btpktlat: its send) */
	__u64 done[ACK_RING];	/* the driver's own completion, 0: none (ring_mark) */
	__u32 head;		/* free-running: next push */
	__u32 tail;		/* free-running: oldest entry */
};

/* Where ring_push put a packet, for ring_mark: the push stamp tells the
 * packet from a later one in the same slot, or in a new ring of the same
 * (controller, handle) after its connection went. */
struct ring_pos {
	__u64 ts;		/* r->ts of the slot at the push */
	__u32 pos;		/* free-running index */
	__u32 pad;
};

/* The FIFO's counters (a BPF global of the tool), all since the start. */
struct ack_stats {
	__u64 sent;		/* packets stamped */
	__u64 acked;		/* completions matched to a stamp */
	__u64 unacked;		/* stamps left at hci_conn_del */
	__u64 overflow;		/* stamps dropped because the ring was full */
	__u64 stale;		/* stamps dropped: more than the kernel had in flight */
	__u64 untracked;	/* completions of packets sent before tracing began
				 * (or whose stamp overflowed) */
	__u64 unmatched;	/* completions for no packet in flight, or an unknown handle */
	__u64 skipped;		/* handles past ACK_MAX_HANDLES in one event */
};

#endif /* BTBPF_ACKQ_H */
