// SPDX-License-Identifier: GPL-2.0
/* errno names, Bluetooth address and controller names, JSON escaping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include "json.h"
#include "names.h"
#include "unit.h"

int main(void)
{
	char b[32];
	__u8 addr[6] = { 0x00, 0x00, 0x00, 0x01, 0xAA, 0x00 };
	char *buf = NULL;
	size_t size = 0;

	CHECK_STR(errno__name(EAGAIN, b), "EAGAIN");
	CHECK_STR(errno__name(-EAGAIN, b), "EAGAIN");	/* kernel style -11 */
	CHECK_STR(errno__name(ECONNRESET, b), "ECONNRESET");
	CHECK_STR(errno__name(ENOTCONN, b), "ENOTCONN");
	CHECK_STR(errno__name(EPIPE, b), "EPIPE");
	CHECK_STR(errno__name(4000, b), "E4000");

	CHECK_STR(btaddr__format(addr, b), "00:AA:01:00:00:00");
	CHECK_STR(hci__name(0, b), "hci0");
	CHECK_STR(hci__name(65535, b), "hci65535");
	CHECK_STR(bt__proto_name(0), "L2CAP");
	CHECK_STR(bt__proto_name(3), "RFCOMM");
	CHECK_STR(bt__proto_name(8), "ISO");
	CHECK_STR(bt__proto_name(4), "?");
	CHECK_STR(bt__proto_name(9), "?");

	CAPTURE(buf, size, json__string(out, "plain"));
	CHECK_STR(buf, "\"plain\"");
	free(buf);
	CAPTURE(buf, size, json__string(out, "a\"b\\c\nd\te\x01" "f\x7f"));
	CHECK_STR(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\"");
	free(buf);
	/* comm[16] is not always NUL-terminated */
	CAPTURE(buf, size, json__string_n(out, "0123456789abcdefXYZ", 16));
	CHECK_STR(buf, "\"0123456789abcdef\"");
	free(buf);
	CAPTURE(buf, size, json__string(out, "h\xc3\xa9"));	/* UTF-8 kept */
	CHECK_STR(buf, "\"h\xc3\xa9\"");
	free(buf);
	return unit_done("names");
}
