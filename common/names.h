/* SPDX-License-Identifier: GPL-2.0 */
/* Names for numbers: errno values, Bluetooth addresses, controllers. */
#ifndef BTBPF_NAMES_H
#define BTBPF_NAMES_H

#include <stddef.h>
#include <linux/types.h>

/* "EAGAIN" for 11 (sign ignored); "E<n>" for numbers glibc does not name. */
const char *errno__name(int err, char buf[16]);

/* The kernel stores bdaddr_t little-endian; people read it big-endian:
 * {0x00,0x00,0x00,0x01,0xAA,0x00} -> "00:AA:01:00:00:00".  buf >= 18. */
char *btaddr__format(const __u8 addr[6], char *buf);

/* hdev->id -> "hci0".  The name field became a pointer in 6.13, so every
 * tool keys on the id and builds the name here.  buf >= 12. */
char *hci__name(unsigned int id, char *buf);

/* Socket protocol names by BTPROTO_* (bt.h): "L2CAP", "HCI", "SCO",
 * "RFCOMM", "ISO"; NULL for the numbers in between. */
extern const char *const bt_proto_names[];

/* bt_proto_names[proto], or "?" for a protocol without a name. */
const char *bt__proto_name(unsigned int proto);

#endif
