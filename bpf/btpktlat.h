/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by btpktlat's BPF and user-space sides. */
#ifndef BTPKTLAT_H
#define BTPKTLAT_H

#include "ackq.h"

#define PKT_SLOTS	32	/* log2 slots: 2^32 usecs is over an hour */

/* Map sizes.  Sends and frames in flight are bounded by the socket
 * buffers and the controllers' queues; each full map is counted. */
#define PKT_MAX_SENDS	16384	/* sends between sendmsg entry and their ack */
#define PKT_MAX_THREADS	4096	/* threads inside l2cap_sock_sendmsg */
#define PKT_MAX_FRAMES	16384	/* fragments between hci_send_acl and the driver */
#define PKT_MAX_HISTS	1024	/* (stage, connection) histograms */
#define PKT_MAX_URBS	8192	/* btusb frames between the send and their URB's completion */
#define PKT_MAX_SENDERS	1024	/* threads inside hci_send_frame (tx_work) */

/* -r: frames between hci_recv_frame and the RX work, connections with an
 * L2CAP frame being reassembled, frames on socket receive queues. */
#define PKT_MAX_RX_FRAMES	16384
#define PKT_MAX_RX_CONNS	1024
#define PKT_MAX_RX_QUEUED	16384
#define PKT_MAX_RX_HELD		4096	/* PDUs that may begin an SDU (LRU) */

/* Fragments followed per hci_send_acl call: an L2CAP PDU of up to 65535
 * bytes over an ACL MTU of 1021 is 65; more is counted (frags_untracked). */
#define PKT_MAX_FRAGS	128

/* Ring tags (ackq.h): the send id in the high bits, the fragment's number
 * within its send (1-based) in the low 16; 0 for a frame of no traced
 * send; TAG_IGNORE for a frame that -p filters out (it still enters the
 * FIFO, which must see every frame to stay exact). */
#define TAG_SEQ_BITS	16
#define TAG_SEQ_MASK	((1ULL << TAG_SEQ_BITS) - 1)
#define TAG_IGNORE	(1ULL << 63)

/* -P: the protocols traced, one bit per BTPROTO_* (bt.h). */
#define PKT_PROTOS	((1u << BTPROTO_L2CAP) | (1u << BTPROTO_SCO) | (1u << BTPROTO_ISO))

enum stage {
	STAGE_SOCK,		/* l2cap/iso/sco_sock_sendmsg entry .. hci_send_acl/iso/sco entry */
	STAGE_QUEUE,		/* hci_send_acl/iso/sco entry .. hci_send_frame entry */
	STAGE_USB,		/* hci_send_frame entry .. its URB's btusb_tx_complete
				 * (btusb controllers only) */
	STAGE_ACK,		/* its URB's completion (else hci_send_frame entry)
				 * .. its NUM_COMP_PKTS (SCO: none) */
	STAGE_TOTAL,		/* sendmsg entry .. last fragment's ack (SCO: the driver) */
	STAGE_MAX,
};

/* send_event.stage_ns of a stage the packet did not go through: usb on a
 * controller that is not btusb's, SCO's ack (no NUM_COMP_PKTS without SCO
 * flow control).  Printed "-", null in -j. */
#define STAGE_NA	(~0ULL)

/* -r: the receive side's stages share the histogram key's stage field;
 * total is the last stage on both sides (user space relies on it), so the
 * receive side leaves a gap (stages without a name are not printed). */
enum rx_stage {
	RX_STAGE_RXWORK,	/* hci_recv_frame entry .. l2cap_recv_acldata entry */
	RX_STAGE_SOCKQ,		/* l2cap_recv_acldata (first fragment) .. __sock_queue_rcv_skb */
	RX_STAGE_READ,		/* __sock_queue_rcv_skb .. skb_free_datagram in recvmsg */
	RX_STAGE_TOTAL = STAGE_TOTAL,	/* hci_recv_frame (first fragment) .. skb_free_datagram */
};

/* Histogram key: the stage and protocol, and with -C the connection. */
struct hist_key {
	__u16 dev;
	__u16 handle;
	__u16 stage;
	__u16 proto;		/* BTPROTO_*: L2CAP (0), SCO, ISO */
};

struct hist_val {
	__u64 slots[PKT_SLOTS];
	__u64 sum_ns;		/* for the average */
	__u64 max_ns;
};

/* -M: one per send (-r: per frame read) whose total reached the
 * threshold. */
struct send_event {
	__u64 ts;		/* bpf_ktime at the ack (-r: at the read) */
	__u32 pid;		/* the sender (-r: the reader) */
	__u32 bytes;		/* sendmsg's len (-r: the L2CAP payload read) */
	__u16 dev;
	__u16 handle;
	__u32 frags;		/* ACL frames the send became (-r: came as) */
	__u64 stage_ns[STAGE_MAX];	/* STAGE_NA: a stage this protocol lacks */
	char comm[16];
	__u32 proto;		/* BTPROTO_*: L2CAP (-r: always), SCO, ISO */
	__u32 pad;
};

/* Counters (BPF globals), all since the start; the FIFO's own are
 * struct ack_stats (ackq.h). */
struct pkt_stats {
	__u64 sends;		/* l2cap/sco/iso_sock_sendmsg entries traced */
	__u64 timed;		/* sends whose last fragment was acked (sock, total) */
	__u64 partial;		/* sendmsg returns whose entry came before tracing */
	__u64 nodata;		/* sends that queued nothing (error, or nothing to send) */
	__u64 sends_lost;	/* last fragment acked, send record gone (map full) */
	__u64 sends_full;	/* sends not traced: sends or threads map full */
	__u64 frames;		/* fragments noted at hci_send_acl/iso/sco */
	__u64 queue_partial;	/* frames at hci_send_frame never seen queued */
	__u64 frames_full;	/* fragments not noted: frames map full */
	__u64 frames_dropped;	/* noted fragments that never reached the driver */
	__u64 frags_untracked;	/* fragments past PKT_MAX_FRAGS in one call */
	__u64 hists_full;	/* samples lost: hists map full */
	__u64 urbs;		/* frames noted at btusb's send (usb opens) */
	__u64 urbs_done;	/* their URBs completed in time: usb timed */
	__u64 urbs_late;	/* URB completed after its frame left the ack FIFO */
	__u64 urbs_failed;	/* URB completed with an error status: no usb */
	__u64 urbs_untracked;	/* ACL URB completions never noted (sent before tracing) */
	__u64 urbs_full;	/* frames not noted: urbs map full */
	__u64 urbs_stale;	/* noted, URB never completed, address reused */
	__u64 urbs_submit_errors; /* btusb's send failed: no URB */
};

/* -r counters (BPF globals), all since the start. */
struct rx_stats {
	__u64 frames;		/* ACL (ISO, SCO) frames noted at hci_recv_frame */
	__u64 frames_full;	/* not noted: rx frames map full */
	__u64 frames_stale;	/* noted, never reached L2CAP (dropped by HCI), address reused */
	__u64 work_partial;	/* at l2cap_recv_acldata, never seen at hci_recv_frame */
	__u64 starts;		/* first fragments of an L2CAP frame */
	__u64 conts;		/* continuation fragments */
	__u64 conts_orphan;	/* continuation with no first fragment noted */
	__u64 conns_full;	/* first fragment not carried: conns map full */
	__u64 queued;		/* L2CAP frames queued on a user socket, timed */
	__u64 sdus;		/* of those, SDUs of several PDUs, timed from the first */
	__u64 sockq_partial;	/* queued, its first fragment came before tracing */
	__u64 sockq_unmatched;	/* queued, the connection's first fragment is another frame's */
	__u64 sockq_kernel;	/* queued on a kernel socket (RFCOMM's): no recvmsg */
	__u64 rcvbuf_full;	/* refused: the socket's receive buffer was full */
	__u64 queued_full;	/* not followed to the read: queued map full */
	__u64 queued_stale;	/* queued, never read (dropped, purged), address queued again */
	__u64 reads;		/* frames returned by recvmsg, timed */
	__u64 reads_other;	/* read by another process than -p's */
	__u64 peeks;		/* MSG_PEEK reads (the frame stays queued) */
	__u64 hists_full;	/* samples lost: hists map full */
};

#endif /* BTPKTLAT_H */
