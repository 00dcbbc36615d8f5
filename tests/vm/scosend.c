// SPDX-License-Identifier: GPL-2.0
/*
 * scosend: open an SCO link and push frames through it, so the kernel's
 * sco_sock_sendmsg -> hci_send_sco -> hci_send_frame path runs.  With the
 * btbridge vhci backend every frame comes back (the bridge echoes SCO), so
 * the frames read back are counted too.  No libbluetooth headers are
 * needed: the few definitions are below.
 *
 * usage: scosend [-i SRC_BDADDR] [-n FRAMES] [-s BYTES] [-w MS] DST_BDADDR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_SCO 2
#define SOL_SCO 17
#define SCO_OPTIONS 0x01

#include "testbt.h"

struct sockaddr_sco {
	sa_family_t sco_family;
	bdaddr_t sco_bdaddr;
};

struct sco_options {
	uint16_t mtu;
};

static void usage(void)
{
	fprintf(stderr, "usage: scosend [-i SRC_BDADDR] [-n FRAMES] [-s BYTES]"
		" [-w MS] DST_BDADDR\n");
	exit(2);
}

/* Read frames back until `want` arrived or `wait_ms` passed quietly. */
static int count_echoes(int sk, int want, int wait_ms)
{
	uint8_t buf[1024];
	int got = 0;
	long deadline = now_ms() + wait_ms;

	while (got < want) {
		struct pollfd p = { .fd = sk, .events = POLLIN };
		long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if (read(sk, buf, sizeof(buf)) <= 0)
			break;
		got++;
	}
	return got;
}

int main(int argc, char **argv)
{
	struct sockaddr_sco src = { .sco_family = AF_BLUETOOTH };
	struct sockaddr_sco dst = { .sco_family = AF_BLUETOOTH };
	struct sco_options so;
	socklen_t solen = sizeof(so);
	int frames = 10, size = 48, wait_ms = 2000;
	int c, i, sk, sent = 0;
	uint8_t frame[1024];

	while ((c = getopt(argc, argv, "i:n:s:w:")) != -1) {
		switch (c) {
		case 'i':
			if (parse_bdaddr(optarg, &src.sco_bdaddr) < 0)
				usage();
			break;
		case 'n': frames = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'w': wait_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || parse_bdaddr(argv[optind], &dst.sco_bdaddr) ||
	    size < 1 || size > (int)sizeof(frame))
		usage();

	sk = socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_SCO);
	if (sk < 0) {
		perror("scosend: socket");
		return 1;
	}
	/* Binding the source address picks the controller that sends. */
	if (bind(sk, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("scosend: bind");
		return 1;
	}
	if (connect(sk, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("scosend: connect");
		return 1;
	}
	if (getsockopt(sk, SOL_SCO, SCO_OPTIONS, &so, &solen) == 0)
		printf("connected mtu %u\n", so.mtu);

	for (i = 0; i < frames; i++) {
		memset(frame, i & 0xff, size);
		if (write(sk, frame, size) != size) {
			fprintf(stderr, "scosend: write frame %d: %s\n", i,
				strerror(errno));
			break;
		}
		sent++;
	}
	printf("sent %d frames of %d bytes\n", sent, size);
	printf("received %d frames\n", count_echoes(sk, sent, wait_ms));
	fflush(stdout);
	close(sk);
	return sent == frames ? 0 : 1;
}
