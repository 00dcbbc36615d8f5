// SPDX-License-Identifier: GPL-2.0
/*
 * l2send: connect an L2CAP socket and send N packets of B bytes, counting
 * the sends that worked and the ones that failed with EAGAIN.  A failed
 * send is not retried, so in non-blocking mode (-N) the EAGAIN count is the
 * number of sends the kernel refused for lack of send-buffer space.  A
 * small -s SNDBUF makes the buffer fill up quickly.
 *
 * usage: l2send [-i SRC_BDADDR] [-P PSM] [-n N] [-b BYTES] [-s SNDBUF] [-N]
 *               [-d MS] DST_BDADDR
 *   -i  source address (picks the controller; default: any)
 *   -P  PSM to connect to (default 4113, l2test's default)
 *   -n  packets to send (default 10)
 *   -b  bytes per packet (default 600, within the default MTU of 672)
 *   -s  SO_SNDBUF before connecting (the kernel doubles it, minimum ~4.5 KiB)
 *   -N  non-blocking sends (MSG_DONTWAIT)
 *   -d  print "connected" once connected, then wait MS milliseconds before
 *       sending (time for a test to freeze the controller, so that the
 *       send buffer cannot drain)
 *
 * Prints one line at the end:  sent=S eagain=E errors=X sndbuf=BYTES
 * (sndbuf as the kernel set it, read back with getsockopt).  Exits 0 when
 * every send either worked or failed with EAGAIN, 1 otherwise.
 * Build: gcc -O2 -Wall -o l2send l2send.c (no libbluetooth needed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testbt.h"

struct opts {
	bdaddr_t src, dst;
	int psm, count, bytes, sndbuf, delay_ms;
	int nonblock;
};

static void usage(void)
{
	fprintf(stderr, "usage: l2send [-i SRC_BDADDR] [-P PSM] [-n N] [-b BYTES]"
		" [-s SNDBUF] [-N] [-d MS] DST_BDADDR\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "i:P:n:b:s:Nd:")) != -1) {
		switch (c) {
		case 'i':
			if (parse_bdaddr(optarg, &o->src))
				usage();
			break;
		case 'P': o->psm = atoi(optarg); break;
		case 'n': o->count = atoi(optarg); break;
		case 'b': o->bytes = atoi(optarg); break;
		case 's': o->sndbuf = atoi(optarg); break;
		case 'N': o->nonblock = 1; break;
		case 'd': o->delay_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || parse_bdaddr(argv[optind], &o->dst) ||
	    o->bytes < 1 || o->count < 0 || o->psm < 1)
		usage();
}

static int l2_connect(const struct opts *o)
{
	struct sockaddr_l2 src = { .l2_family = AF_BLUETOOTH, .l2_bdaddr = o->src };
	struct sockaddr_l2 dst = { .l2_family = AF_BLUETOOTH, .l2_bdaddr = o->dst,
				   .l2_psm = (uint16_t)o->psm };
	int sk = socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP);

	if (sk < 0) {
		perror("l2send: socket");
		exit(1);
	}
	/* before connect: the buffer is charged as soon as data flows */
	if (o->sndbuf && setsockopt(sk, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf))) {
		perror("l2send: SO_SNDBUF");
		exit(1);
	}
	if (bind(sk, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("l2send: bind");
		exit(1);
	}
	if (connect(sk, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("l2send: connect");
		exit(1);
	}
	return sk;
}

int main(int argc, char **argv)
{
	struct opts o = { .psm = 4113, .count = 10, .bytes = 600 };
	int sk, i, sent = 0, eagain = 0, errors = 0, sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	char *buf;

	parse_opts(argc, argv, &o);
	buf = calloc(1, o.bytes);
	if (!buf)
		return 1;
	sk = l2_connect(&o);
	getsockopt(sk, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
	if (o.delay_ms) {
		printf("connected\n");
		fflush(stdout);
		usleep(o.delay_ms * 1000);
	}
	for (i = 0; i < o.count; i++) {
		ssize_t r = send(sk, buf, o.bytes, o.nonblock ? MSG_DONTWAIT : 0);

		if (r == o.bytes)
			sent++;
		else if (r < 0 && errno == EAGAIN)
			eagain++;
		else if (errors++ == 0)
			fprintf(stderr, "l2send: send %d: %s\n", i,
				r < 0 ? strerror(errno) : "short send");
	}
	printf("sent=%d eagain=%d errors=%d sndbuf=%d\n", sent, eagain, errors, sndbuf);
	fflush(stdout);
	close(sk);
	free(buf);
	return errors != 0;
}
