// SPDX-License-Identifier: GPL-2.0
/*
 * l2recv: an L2CAP receiver that is slow on purpose.  Listens on a PSM,
 * accepts one connection and reads N frames, sleeping MS milliseconds
 * before each recv, from when a frame is there to read: each frame waits
 * on the socket's receive queue for MS or more
 * (btpktlat -r shows it in its read stage).  l2test cannot sleep between
 * reads.
 *
 * usage: l2recv [-i SRC_BDADDR] [-P PSM] [-n N] [-w MS]
 *   -i  address to listen on (picks the controller; default: any)
 *   -P  PSM (default 4113)
 *   -n  frames to read (default 10); it also stops at the peer's close
 *   -w  sleep MS milliseconds before each recv, once a frame is queued
 *       (default 0)
 *
 * Prints "listening" once it listens, then one line at the end:
 * received=R bytes=TOTAL pid=PID.  Exits 0 when it read N frames.
 * Build: gcc -O2 -Wall -o l2recv l2recv.c (no libbluetooth needed).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testbt.h"

struct opts {
	bdaddr_t src;
	int psm, count, wait_ms;
};

static void usage(void)
{
	fprintf(stderr, "usage: l2recv [-i SRC_BDADDR] [-P PSM] [-n N] [-w MS]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "i:P:n:w:")) != -1) {
		switch (c) {
		case 'i':
			if (parse_bdaddr(optarg, &o->src))
				usage();
			break;
		case 'P': o->psm = atoi(optarg); break;
		case 'n': o->count = atoi(optarg); break;
		case 'w': o->wait_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || o->count < 1 || o->psm < 1 || o->wait_ms < 0)
		usage();
}

/* Listens and returns the first connection accepted. */
static int l2_accept(const struct opts *o)
{
	struct sockaddr_l2 a = { .l2_family = AF_BLUETOOTH, .l2_bdaddr = o->src,
				 .l2_psm = (uint16_t)o->psm };
	int sk = socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP), conn;

	if (sk < 0 || bind(sk, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(sk, 1) < 0) {
		perror("l2recv: listen");
		exit(1);
	}
	printf("listening\n");
	fflush(stdout);
	conn = accept(sk, NULL, NULL);
	if (conn < 0) {
		perror("l2recv: accept");
		exit(1);
	}
	close(sk);
	return conn;
}

/* Until a frame is on the socket's receive queue (or the link is gone). */
static int wait_readable(int sk)
{
	struct pollfd p = { .fd = sk, .events = POLLIN };

	if (poll(&p, 1, -1) < 0) {
		perror("l2recv: poll");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .psm = 4113, .count = 10 };
	char buf[65536];
	long bytes = 0;
	int sk, n = 0;

	parse_opts(argc, argv, &o);
	sk = l2_accept(&o);
	while (n < o.count) {
		ssize_t r;

		/* the sleep starts once a frame is queued: each waits W ms or more */
		if (wait_readable(sk))
			break;
		usleep(o.wait_ms * 1000);
		r = recv(sk, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		n++;
		bytes += r;
	}
	printf("received=%d bytes=%ld pid=%d\n", n, bytes, getpid());
	close(sk);
	return n != o.count;
}
