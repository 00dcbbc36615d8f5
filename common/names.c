// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "bt.h"
#include "names.h"

const char *const bt_proto_names[BTPROTO_MAX] = {
	[BTPROTO_L2CAP] = "L2CAP", [BTPROTO_HCI] = "HCI", [BTPROTO_SCO] = "SCO",
	[BTPROTO_RFCOMM] = "RFCOMM", [BTPROTO_ISO] = "ISO",
};

const char *bt__proto_name(unsigned int proto)
{
	return proto < BTPROTO_MAX && bt_proto_names[proto] ? bt_proto_names[proto] : "?";
}

const char *errno__name(int err, char buf[16])
{
	const char *name;

	if (err < 0)
		err = -err;
	/* glibc >= 2.32 has the table; no need to carry our own copy. */
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, 16, "E%d", err);
	return buf;
}

char *btaddr__format(const __u8 addr[6], char *buf)
{
	sprintf(buf, "%02X:%02X:%02X:%02X:%02X:%02X",
		addr[5], addr[4], addr[3], addr[2], addr[1], addr[0]);
	return buf;
}

char *hci__name(unsigned int id, char *buf)
{
	sprintf(buf, "hci%u", id);
	return buf;
}
