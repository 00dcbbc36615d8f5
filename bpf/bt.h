/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bluetooth facts both sides use (BPF programs and user space): socket
 * protocols, HCI packet types, link types.  Values as in the kernel's
 * include/net/bluetooth/bluetooth.h and hci.h.
 */
#ifndef BTBPF_BT_H
#define BTBPF_BT_H

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH	31	/* linux/socket.h */
#endif

/* Socket protocols (BTPROTO_*, bluetooth.h); BTPROTO_ISO since 6.0. */
#define BTPROTO_L2CAP	0
#define BTPROTO_HCI	1
#define BTPROTO_SCO	2
#define BTPROTO_RFCOMM	3
#define BTPROTO_ISO	8
#define BTPROTO_MAX	9	/* one past the highest we name */

/* HCI packet types, bt_cb(skb)->pkt_type (hci.h, unchanged since 2.6;
 * ISO since 5.6). */
#define HCI_COMMAND_PKT		0x01
#define HCI_ACLDATA_PKT		0x02
#define HCI_SCODATA_PKT		0x03
#define HCI_ISODATA_PKT		0x05

/* hci_conn->type (hci.h).  0x82 is ISO_LINK up to 6.16 and CIS_LINK from
 * 6.17, which added BIS_LINK 0x83 and PA_LINK 0x84. */
#define SCO_LINK	0x00
#define ACL_LINK	0x01
#define ESCO_LINK	0x02
#define LE_LINK		0x80
#define CIS_LINK	0x82	/* ISO_LINK before 6.17 */
#define BIS_LINK	0x83
#define PA_LINK		0x84

/* A connection handle is 12 bits; the top 4 bits of the ACL/ISO header
 * word are flags. */
#define HCI_HANDLE_MASK	0x0fff

/* ACL packet boundary, the low 2 of those flags (hci.h): a continuation
 * fragment, anything else starts an L2CAP frame. */
#define ACL_PB_MASK	0x03
#define ACL_CONT	0x01
/* ISO data packet boundary (hci.h hci_iso_flags_pb): ISO_START 0, ISO_CONT
 * 1, ISO_SINGLE 2, ISO_END 3; bit 0 set: a continuation */
#define ISO_PB_MASK	0x03

/* L2CAP: a frame's header (length, then channel id), and the first CID of
 * a data channel (net/bluetooth/l2cap.h); lower ones are fixed channels
 * (signalling, SMP, ...) */
#define L2CAP_HDR_CID_OFF	2
#define L2CAP_CID_DYN_START	0x0040

#endif /* BTBPF_BT_H */
