/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by btacklat's BPF and user-space sides. */
#ifndef BTACKLAT_H
#define BTACKLAT_H

#include "ackq.h"

/* Histograms (one, or one per connection with -C); user space drains up
 * to ACK_MAX_HISTS rows. */
#define ACK_MAX_HISTS	1024

#define ACK_SLOTS	32	/* log2 slots: 2^32 usecs is over an hour */

/* Histogram key: all zero, or with -C one connection. */
struct hist_key {
	__u16 dev;
	__u16 handle;
	__u8 peer[6];		/* bdaddr, little-endian as in the kernel */
	__u8 type;		/* hci_conn->type: ACL_LINK 0x01, LE_LINK 0x80, ... */
	__u8 pad;		/* keys are hashed bytewise: no holes */
};

struct hist_val {
	__u64 slots[ACK_SLOTS];
	__u64 unacked;		/* timestamps left when the connection was deleted */
};

#endif /* BTACKLAT_H */
