// SPDX-License-Identifier: GPL-2.0
/*
 * isosend: LE Audio ISO traffic of a known shape between two controllers,
 * so the kernel's iso_sock_sendmsg -> hci_send_iso -> hci_send_frame path
 * runs N times with B bytes.  No libbluetooth headers are needed: the few
 * definitions are below.
 *
 * usage: isosend -l [-i SRC_BDADDR] [-n N] [-t MS]
 *            listen for a CIS on SRC, accept one, read SDUs until N arrived,
 *            the peer left or MS milliseconds passed quietly (default 5000);
 *            gives up when nothing came to accept in 30 s;
 *            prints "listening", "accepted", "received S SDUs, BYTES bytes"
 *        isosend -l -B [-i SRC_BDADDR] [-n N] [-t MS] BCAST_BDADDR
 *            the same as a broadcast receiver: BIS 1 of BCAST's BIG
 *        isosend [-i SRC_BDADDR] [-n N] [-b BYTES] [-w MS] [-g] DST_BDADDR
 *            connect a CIS to DST (the LE ACL link comes with it) and send N
 *            SDUs of BYTES (default 10 of 100); waits until the kernel has
 *            handed every SDU to the driver, then MS milliseconds (default
 *            1000) for the last completions, before it closes; prints
 *            "connected sdu S" (the SDU size the kernel settled on) and
 *            "sent N SDUs of B bytes"
 *        isosend -B [-i SRC_BDADDR] [-n N] [-b BYTES] [-w MS] [-g]
 *            the same as a broadcaster: one BIS in a new BIG.  With -g
 *            (either sender) it waits for a line on stdin between
 *            "connected" and the first SDU: BlueZ's emulator tells a
 *            receiver about a BIG only when it syncs to the broadcaster's
 *            periodic advertising, so the receiver must start after the
 *            BIG exists and be synced before the SDUs go out
 *
 * Both modes first turn on the kernel's experimental ISO socket feature
 * through mgmt (Set Experimental Feature, the ISO socket UUID), as BlueZ's
 * isotest and iso-tester do.  Exits 0 when everything was sent (or, with
 * -l, N SDUs were received), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_HCI 1
#define BTPROTO_ISO 8
#define SOL_BLUETOOTH 274
#define BT_ISO_QOS 17
#define BDADDR_LE_PUBLIC 0x01
#define HCI_DEV_NONE 0xffff
#define HCI_CHANNEL_CONTROL 3
#define MGMT_OP_SET_EXP_FEATURE 0x004a
#define MGMT_INDEX_NONE 0xffff
#define MGMT_EV_CMD_COMPLETE 0x0001
#define MGMT_EV_CMD_STATUS 0x0002
#define BT_ISO_QOS_UNSET 0xff	/* CIG/CIS: let the kernel pick */
#define BT_ISO_PHY_2M 0x02
#define ACCEPT_MS 30000	/* a receiver gives up when no link came */
#define BT_ISO_SYNC_TIMEOUT 0x07d0	/* 20 s */

#include "testbt.h"

/* what a broadcast receiver binds to besides its own address */
#define ISO_MAX_NUM_BIS 0x1f
struct sockaddr_iso_bc {
	bdaddr_t bc_bdaddr;
	uint8_t bc_bdaddr_type;
	uint8_t bc_sid;
	uint8_t bc_num_bis;
	uint8_t bc_bis[ISO_MAX_NUM_BIS];
};

/* The kernel's: iso_bc starts at offset 9, inside sizeof (10); a bind
 * with it must be exactly sizeof(struct sockaddr_iso) + sizeof(iso_bc). */
struct sockaddr_iso {
	sa_family_t iso_family;
	bdaddr_t iso_bdaddr;
	uint8_t iso_bdaddr_type;
	struct sockaddr_iso_bc iso_bc[];
};

struct sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

struct bt_iso_io_qos {
	uint32_t interval;	/* SDU interval, us */
	uint16_t latency;	/* ms */
	uint16_t sdu;
	uint8_t phy;
	uint8_t rtn;
};

/*
 * struct bt_iso_qos as Linux 6.4+ lays it out: a union of a unicast and a
 * broadcast member, 60 bytes.  6.4+ refuses a shorter option (EINVAL:
 * BlueZ 5.66's iso-tester passes the old 32-byte struct); 6.1-6.3 copy
 * only their first 32 bytes, which have the same layout as ucast here.
 */
struct bt_iso_ucast_qos {
	uint8_t cig, cis, sca, packing, framing;
	struct bt_iso_io_qos in, out;
};

struct bt_iso_bcast_qos {
	uint8_t big, bis, sync_factor, packing, framing;
	struct bt_iso_io_qos in, out;
	uint8_t encryption;
	uint8_t bcode[16];
	uint8_t options;
	uint16_t skip;
	uint16_t sync_timeout;
	uint8_t sync_cte_type;
	uint8_t mse;
	uint16_t timeout;
};

struct bt_iso_qos {
	union {
		struct bt_iso_ucast_qos ucast;
		struct bt_iso_bcast_qos bcast;
	};
};

_Static_assert(sizeof(struct bt_iso_qos) == 60, "Linux 6.4+ bt_iso_qos");

struct mgmt_hdr {
	uint16_t opcode, index, len;
} __attribute__((packed));

/* 6fbaf188-05e0-496a-9885-d6ddfdb4e03e, little-endian as mgmt wants it */
static const uint8_t iso_socket_uuid[16] = {
	0x3e, 0xe0, 0xb4, 0xfd, 0xdd, 0xd6, 0x85, 0x98,
	0x6a, 0x49, 0xe0, 0x05, 0x88, 0xf1, 0xba, 0x6f,
};

struct opts {
	bdaddr_t src, dst, bcast_src;
	int listen, bcast, gate, count, bytes, wait_ms;
};

static void usage(void)
{
	fprintf(stderr, "usage: isosend -l [-i SRC_BDADDR] [-n N] [-t MS]\n"
		"       isosend -l -B [-i SRC_BDADDR] [-n N] [-t MS]"
		" BCAST_BDADDR\n"
		"       isosend [-i SRC_BDADDR] [-n N] [-b BYTES] [-w MS] [-g]"
		" DST_BDADDR\n"
		"       isosend -B [-i SRC_BDADDR] [-n N] [-b BYTES] [-w MS] [-g]\n");
	exit(2);
}

/* Reads mgmt events until the reply to `op` and returns its status. */
static int mgmt_reply_status(int fd, uint16_t op)
{
	uint8_t buf[512];
	long deadline = now_ms() + 3000;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct mgmt_hdr *h = (struct mgmt_hdr *)buf;
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* Command Complete / Status: opcode (2) then status (1) */
		if (n >= (ssize_t)sizeof(*h) + 3 &&
		    (h->opcode == MGMT_EV_CMD_COMPLETE ||
		     h->opcode == MGMT_EV_CMD_STATUS) &&
		    (buf[6] | buf[7] << 8) == op)
			return buf[8];
	}
}

/* ISO sockets exist only once this experimental feature is on. */
static int enable_iso_sockets(void)
{
	struct sockaddr_hci a = {
		.hci_family = AF_BLUETOOTH,
		.hci_dev = HCI_DEV_NONE,
		.hci_channel = HCI_CHANNEL_CONTROL,
	};
	uint8_t param[17];
	struct mgmt_hdr h = {
		.opcode = MGMT_OP_SET_EXP_FEATURE,
		.index = MGMT_INDEX_NONE,
		.len = sizeof(param),
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { param, sizeof(param) } };
	int fd, st;

	memcpy(param, iso_socket_uuid, 16);
	param[16] = 1;	/* enable */
	fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("isosend: mgmt socket");
		return -1;
	}
	if (writev(fd, iov, 2) < 0) {
		perror("isosend: mgmt write");
		close(fd);
		return -1;
	}
	st = mgmt_reply_status(fd, MGMT_OP_SET_EXP_FEATURE);
	close(fd);
	if (st) {
		fprintf(stderr, "isosend: Set Experimental Feature (ISO socket):"
			" status %d\n", st);
		return -1;
	}
	return 0;
}

/*
 * An ISO socket bound to SRC; for a broadcast receiver (bc != NULL) also to
 * the broadcaster's address and BIS 1 of its BIG (SID 0, the first
 * advertising set, which is where the kernel puts its broadcast).
 */
static int iso_socket(const bdaddr_t *src, const bdaddr_t *bc)
{
	union {
		struct sockaddr_iso a;
		uint8_t room[sizeof(struct sockaddr_iso) +
			     sizeof(struct sockaddr_iso_bc)];
	} u = { .room = { 0 } };
	socklen_t len = sizeof(u.a);
	int sk = socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_ISO);

	if (sk < 0) {
		perror("isosend: socket(BTPROTO_ISO)");
		return -1;
	}
	u.a.iso_family = AF_BLUETOOTH;
	u.a.iso_bdaddr = *src;
	u.a.iso_bdaddr_type = BDADDR_LE_PUBLIC;
	if (bc) {
		u.a.iso_bc->bc_bdaddr = *bc;
		u.a.iso_bc->bc_bdaddr_type = BDADDR_LE_PUBLIC;
		u.a.iso_bc->bc_num_bis = 1;
		u.a.iso_bc->bc_bis[0] = 1;
		len = sizeof(u.room);
	}
	if (bind(sk, (struct sockaddr *)&u.a, len) < 0) {
		perror("isosend: bind");
		close(sk);
		return -1;
	}
	return sk;
}

/* The QoS of a sender: N SDUs of `bytes` every 10 ms on the 2M PHY.  A
 * CIS goes central to peripheral only (in stays off); a BIS from the
 * broadcaster, in a BIG and BIS the kernel picks. */
static void sender_qos(struct bt_iso_qos *qos, int bcast, int bytes)
{
	struct bt_iso_io_qos io = {
		.interval = 10000, .latency = 10, .sdu = bytes,
		.phy = BT_ISO_PHY_2M, .rtn = 2,
	};

	memset(qos, 0, sizeof(*qos));
	if (!bcast) {
		qos->ucast.cig = qos->ucast.cis = BT_ISO_QOS_UNSET;
		qos->ucast.out = io;
		return;
	}
	qos->bcast.big = qos->bcast.bis = BT_ISO_QOS_UNSET;
	qos->bcast.sync_factor = 1;
	qos->bcast.out = io;
	qos->bcast.sync_timeout = qos->bcast.timeout = BT_ISO_SYNC_TIMEOUT;
}

/* Reads SDUs until `want` arrived, the link went or `quiet_ms` passed. */
static int do_listen(const struct opts *o)
{
	uint8_t buf[4096];
	long bytes = 0;
	int sk, nsk, got = 0;

	sk = iso_socket(&o->src, o->bcast ? &o->bcast_src : NULL);
	if (sk < 0)
		return 1;
	if (listen(sk, 1) < 0) {
		perror("isosend: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	if (poll(&(struct pollfd){ .fd = sk, .events = POLLIN }, 1,
		 ACCEPT_MS) <= 0) {
		fprintf(stderr, "isosend: nothing to accept in %d ms\n",
			ACCEPT_MS);
		return 1;
	}
	nsk = accept(sk, NULL, NULL);
	if (nsk < 0) {
		perror("isosend: accept");
		return 1;
	}
	printf("accepted\n");
	fflush(stdout);
	while (got < o->count) {
		struct pollfd p = { .fd = nsk, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, o->wait_ms) <= 0)
			break;
		n = read(nsk, buf, sizeof(buf));
		if (n <= 0)
			break;
		got++;
		bytes += n;
	}
	printf("received %d SDUs, %ld bytes\n", got, bytes);
	fflush(stdout);
	close(nsk);
	close(sk);
	return got == o->count ? 0 : 1;
}

/* Until every byte written has left the socket (its skbs are freed once
 * the driver took them), at most `ms`. */
static void wait_drained(int sk, int ms)
{
	int sndbuf, outq;
	socklen_t len = sizeof(sndbuf);
	long deadline = now_ms() + ms;

	if (getsockopt(sk, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) < 0)
		return;
	while (now_ms() < deadline &&
	       ioctl(sk, TIOCOUTQ, &outq) == 0 && outq < sndbuf)
		usleep(10000);
}

static int do_send(const struct opts *o)
{
	struct sockaddr_iso dst = {
		.iso_family = AF_BLUETOOTH,
		.iso_bdaddr = o->dst,
		.iso_bdaddr_type = BDADDR_LE_PUBLIC,
	};
	struct bt_iso_qos qos;
	socklen_t len = sizeof(qos);
	uint8_t sdu[4096];
	int sk, i, sent = 0;

	sender_qos(&qos, o->bcast, o->bytes);
	sk = iso_socket(&o->src, NULL);
	if (sk < 0)
		return 1;
	if (setsockopt(sk, SOL_BLUETOOTH, BT_ISO_QOS, &qos, sizeof(qos)) < 0) {
		perror("isosend: setsockopt(BT_ISO_QOS)");
		return 1;
	}
	if (connect(sk, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("isosend: connect");
		return 1;
	}
	memset(&qos, 0, sizeof(qos));
	if (getsockopt(sk, SOL_BLUETOOTH, BT_ISO_QOS, &qos, &len) < 0) {
		perror("isosend: getsockopt(BT_ISO_QOS)");
		return 1;
	}
	/* ucast.out and bcast.out lie at the same offset */
	printf("connected sdu %u\n", qos.ucast.out.sdu);
	fflush(stdout);
	if (o->gate && !fgets((char *)sdu, sizeof(sdu), stdin)) {
		fprintf(stderr, "isosend: no go line on stdin\n");
		return 1;
	}
	for (i = 0; i < o->count; i++) {
		memset(sdu, i & 0xff, o->bytes);
		if (write(sk, sdu, o->bytes) != o->bytes) {
			fprintf(stderr, "isosend: write SDU %d: %s\n", i,
				strerror(errno));
			break;
		}
		sent++;
	}
	wait_drained(sk, 5000);
	usleep(o->wait_ms * 1000);
	printf("sent %d SDUs of %d bytes\n", sent, o->bytes);
	fflush(stdout);
	close(sk);
	return sent == o->count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { .count = 10, .bytes = 100, .wait_ms = -1 };
	int c;

	while ((c = getopt(argc, argv, "lBgi:n:b:w:t:")) != -1) {
		switch (c) {
		case 'l': o.listen = 1; break;
		case 'B': o.bcast = 1; break;
		case 'g': o.gate = 1; break;
		case 'i':
			if (parse_bdaddr(optarg, &o.src))
				usage();
			break;
		case 'n': o.count = atoi(optarg); break;
		case 'b': o.bytes = atoi(optarg); break;
		case 'w':
		case 't': o.wait_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (o.wait_ms < 0)
		o.wait_ms = o.listen ? 5000 : 1000;
	/* an address for a CIS sender (its peer) and a BIS receiver (the
	 * broadcaster); none for the others */
	if (o.count < 1 || o.bytes < 1 || o.bytes > 4096 ||
	    optind != argc - (o.listen == o.bcast))
		usage();
	if (optind < argc &&
	    parse_bdaddr(argv[optind], o.listen ? &o.bcast_src : &o.dst))
		usage();
	if (enable_iso_sockets() < 0)
		return 1;
	return o.listen ? do_listen(&o) : do_send(&o);
}
