/* SPDX-License-Identifier: GPL-2.0 */
/* What the test bed's small senders and receivers share: Bluetooth
 * addresses and sockets without libbluetooth's headers, and a clock. */
#ifndef TESTS_TESTBT_H
#define TESTS_TESTBT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds: for deadlines. */
static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

typedef struct { uint8_t b[6]; } __attribute__((packed)) bdaddr_t;

/* "00:AA:01:00:00:00" -> bdaddr_t, stored little-endian like the kernel's. */
static inline int parse_bdaddr(const char *s, bdaddr_t *ba)
{
	unsigned int v[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		ba->b[5 - i] = v[i];
	return 0;
}

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_L2CAP 0

/* An L2CAP socket address (bluetooth/l2cap.h) */
struct sockaddr_l2 {
	unsigned short l2_family;
	uint16_t l2_psm;	/* little-endian; x86 only */
	bdaddr_t l2_bdaddr;
	uint16_t l2_cid;
	uint8_t l2_bdaddr_type;
};

#endif
