/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by bthcicredits' BPF and user-space sides. */
#ifndef BTHCICREDITS_H
#define BTHCICREDITS_H

#include "bt.h"

#define MAX_SLOTS_CREDITS 32	/* log2 usecs: 2^31 us is 35 minutes */
#define MAX_DEVS 16		/* controllers tracked at once */
/* Map sizes: one entry per (controller, pool); hook calls in flight */
#define CREDITS_MAX_KEYS	(MAX_DEVS * CT_MAX)
#define CREDITS_MAX_INFLIGHT	1024

/* The four credit pools of struct hci_dev. */
enum credit_type {
	CT_ACL = 0,
	CT_LE = 1,
	CT_SCO = 2,
	CT_ISO = 3,
	CT_MAX = 4,
};

/* Why a counter changed: which hook saw the new value. */
enum credit_cause {
	CAUSE_TX = 0,		/* after hci_tx_work scheduled packets */
	CAUSE_ACK = 1,		/* after an HCI_EV_NUM_COMP_PKTS refund */
	CAUSE_DISCONNECT = 2,	/* after hci_conn_del gave back conn->sent */
	CAUSE_OTHER = 3,	/* moved the unexpected way (reset, read buffer size) */
	CAUSE_MAX = 4,
};

/* state flags */
#define CS_SCO_FLOWCTL	0x01	/* HCI_SCO_FLOWCTL was set at the last sample */
#define CS_ZERO_COUNTED	0x02	/* the current zero period began under our eyes */

/*
 * The lowest and highest value of one pool during one epoch (the time
 * between two bumps of `epoch` by user space), starting from the value held
 * when the epoch's first change came.  Two, indexed by epoch & 1, so that
 * user space reads the epoch it just closed while BPF fills the next one.
 */
struct credit_range {
	__u32 min, max;
	__u32 epoch;		/* which epoch this range belongs to */
	__u32 pad;
};

/*
 * One (controller, pool).  Everything is cumulative since the first sample
 * except the ranges; user space takes differences between two reads to get
 * an interval.  Written only from hci_tx_work and hci_rx_work, which the
 * kernel serialises per controller (ordered hdev->workqueue), and from
 * hci_conn_del.  User space reads the entry while BPF may be updating it:
 * `seq` is odd during an update and moves on after it, so a copy taken
 * across an update is seen as torn and read again.
 */
struct credit_state {
	__u64 first_ts;		/* first sample (bpf_ktime_get_ns) */
	__u64 last_ts;		/* last change */
	__u64 zero_since;	/* start of the current zero period */
	__u64 zero_ns;		/* time at zero, closed periods only */
	__u64 weighted;		/* sum of value * ns, up to last_ts */
	__u64 stalls;		/* nonzero -> zero transitions */
	__u64 moved[CAUSE_MAX];	/* credits taken (TX) or given back (others) */
	__u32 last;		/* current value */
	__u32 pkts;		/* the pool size: acl_pkts, le_pkts, ... */
	struct credit_range range[2];	/* by epoch & 1 */
	__u32 seq;		/* odd while an update is under way */
	__u32 flags;		/* CS_* */
};

struct credit_key {
	__u16 dev;		/* hdev->id */
	__u8 type;		/* enum credit_type */
	__u8 pad;
};

/* zero-credit stall durations of one pool, log2 usecs */
struct stall_hist {
	__u64 slots[MAX_SLOTS_CREDITS];
};

/* -e: one change of one counter */
struct credit_event {
	__u64 ts_ns;
	__u32 old, new;
	__u16 dev;
	__u8 type;
	__u8 cause;
};

#endif /* BTHCICREDITS_H */
