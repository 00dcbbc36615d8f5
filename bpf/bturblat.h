/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by bturblat's BPF and user-space sides. */
#ifndef BTURBLAT_H
#define BTURBLAT_H

#include "bt.h"

#define URB_SLOTS	32	/* log2 slots: 2^32 usecs is over an hour */

/* Map sizes: stamps of URBs in flight, sending threads, histograms and
 * error counts (user space drains up to URB_MAX_HISTS / URB_MAX_ERRORS). */
#define URB_MAX_STARTS	8192
#define URB_MAX_CALLS	1024
#define URB_MAX_HISTS	256
#define URB_MAX_ERRORS	256

/* hist_key.dev without -D: every controller together */
#define URB_ALL_DEVS	0xffff

/* One URB on its way: stamped at btusb_send_frame entry. */
struct urb_start {
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u16 dev;		/* hdev->id */
	__u8 type;		/* pkt_type, HCI_*_PKT (bt.h) */
	__u8 pad[5];
};

/* Histogram key: type, and with -D the controller (else 0xffff). */
struct hist_key {
	__u16 dev;
	__u8 type;
	__u8 pad;
};

struct hist_val {
	__u64 slots[URB_SLOTS];
	__u64 sum_ns;		/* the latencies added up: --openmetrics' _sum */
};

/* URBs that completed with urb->status != 0, per (controller, type,
 * status); not in the histograms. */
struct err_key {
	__s32 status;
	__u16 dev;
	__u8 type;
	__u8 pad;
};

/* Counters (BPF globals), all since the start. */
struct urb_stats {
	__u64 sent;		/* frames stamped at btusb_send_frame */
	__u64 completed;	/* completions matched to a stamp (ok or error) */
	__u64 failed;		/* completed with urb->status != 0 */
	__u64 submit_errors;	/* btusb_send_frame returned < 0: no URB */
	__u64 untracked;	/* completions of URBs sent before tracing began */
	__u64 dropped;		/* stamps not stored: the start map was full */
	__u64 replaced;		/* a stamp for an skb still in the map was
				 * replaced: its URB never completed */
};

#endif /* BTURBLAT_H */
