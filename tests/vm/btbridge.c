// SPDX-License-Identifier: GPL-2.0
/*
 * btbridge: give the test guest Bluetooth controllers that BlueZ's emulator
 * alone cannot, by relaying H:4 between an emulated controller (btvirt -s
 * serves them on unix sockets in /tmp) and a kernel-facing backend:
 *
 *   btbridge vhci   a /dev/vhci controller whose Read Buffer Size answer is
 *                   patched to a non-zero SCO MTU/count, and whose SCO data is
 *                   echoed back by the bridge (the emulator drops SCO data),
 *                   so sco_sock_sendmsg -> hci_send_frame really runs;
 *   btbridge usb    a USB gadget (FunctionFS on dummy_hcd) shaped like a
 *                   Bluetooth controller, so the unmodified btusb driver binds.
 *
 * Both backends share the H:4 framing, the emulator socket and the rewrite
 * of controller -> host packets; each only knows how to move one complete
 * packet to and from its kernel side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <endian.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#define H4_CMD	0x01
#define H4_ACL	0x02
#define H4_SCO	0x03
#define H4_EVT	0x04
#define H4_ISO	0x05
#define H4_VENDOR 0xff		/* /dev/vhci's own control packets */

/* Big enough for any H:4 packet: ACL/ISO lengths are 16 bits (ISO 14). */
#define H4_MAX	(1 + 4 + 0xffff)

static struct {
	const char *socket_path;
	unsigned int sco_mtu;		/* 0: leave Read Buffer Size alone */
	unsigned int sco_pkts;
	bool verbose;
} opt = {
	.socket_path = "/tmp/bt-server-bredrle",
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("btbridge: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fputs("btbridge: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- H:4 framing --------------------------------------------------------- */

/* Header size after the type byte, or 0 for a type we cannot frame. */
static size_t h4_hdr_len(uint8_t type)
{
	switch (type) {
	case H4_CMD: return 3;	/* opcode(2) plen(1) */
	case H4_ACL: return 4;	/* handle(2) dlen(2) */
	case H4_SCO: return 3;	/* handle(2) dlen(1) */
	case H4_EVT: return 2;	/* code(1) plen(1) */
	case H4_ISO: return 4;	/* handle(2) dlen(14 bits) */
	default: return 0;
	}
}

static size_t h4_payload_len(uint8_t type, const uint8_t *hdr)
{
	switch (type) {
	case H4_CMD: return hdr[2];
	case H4_ACL: return hdr[2] | hdr[3] << 8;
	case H4_SCO: return hdr[2];
	case H4_EVT: return hdr[1];
	case H4_ISO: return (hdr[2] | hdr[3] << 8) & 0x3fff;
	default: return 0;
	}
}

/*
 * Reassembles packets from a byte stream: the emulator's socket, or a USB
 * bulk endpoint, where one read may hold half a packet or several.  On a
 * USB endpoint the type is implied by the endpoint and absent from the
 * bytes (type != 0); pending packets always start with the type byte.
 */
struct h4_stream {
	uint8_t type;			/* 0: the stream carries H:4 types */
	size_t len;
	uint8_t buf[H4_MAX + 1];
};

typedef void (*packet_fn)(const uint8_t *pkt, size_t len);

/* Complete length of the packet at the head of s, 0 if not there yet. */
static size_t h4_complete(const struct h4_stream *s)
{
	size_t hdr;

	if (s->len < 1)
		return 0;
	hdr = h4_hdr_len(s->buf[0]);
	if (!hdr)
		die("unframeable H:4 packet type 0x%02x", s->buf[0]);
	if (s->len < 1 + hdr)
		return 0;
	hdr += 1 + h4_payload_len(s->buf[0], s->buf + 1);
	return s->len >= hdr ? hdr : 0;
}

/* Append bytes and hand every completed packet to fn. */
static void h4_feed(struct h4_stream *s, const uint8_t *data, size_t n,
		    packet_fn fn)
{
	while (n > 0) {
		size_t room, take, pkt;

		if (s->len == 0 && s->type)
			s->buf[s->len++] = s->type;
		room = sizeof(s->buf) - s->len;
		take = n < room ? n : room;
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		n -= take;
		while ((pkt = h4_complete(s)) > 0) {
			fn(s->buf, pkt);
			memmove(s->buf, s->buf + pkt, s->len - pkt);
			s->len -= pkt;
			if (s->len == 0)
				break;
			if (s->type) {
				/* Re-insert the implied type before the rest. */
				memmove(s->buf + 1, s->buf, s->len);
				s->buf[0] = s->type;
				s->len++;
			}
		}
	}
}

/* ---- I/O helpers ----------------------------------------------------------- */

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
		die("%s: %s", path, strerror(errno));
	close(fd);
}

#define PATH_LEN 512

/* snprintf for paths: a truncated path is a bug, not something to try. */
static char *pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_LEN)
		die("path too long: %s", buf);
	return buf;
}

/* ---- the emulator side ------------------------------------------------------ */

static int emu_fd = -1;
/* The USB backend writes to the emulator from two threads (ep0, bulk OUT). */
static pthread_mutex_t emu_lock = PTHREAD_MUTEX_INITIALIZER;

static int emu_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, tries;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* btvirt may still be starting: give it a few seconds. */
	for (tries = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
	     tries++) {
		if (tries == 100)
			die("connect %s: %s", path, strerror(errno));
		usleep(50000);
	}
	return fd;
}

/*
 * One write per packet: btvirt's server reader (emulator/server.c) assumes
 * every recv() starts on a packet boundary with a complete header, and it
 * cannot parse SCO at all (it stops reading that buffer), so SCO is never
 * sent there.
 */
static void emu_send(const uint8_t *pkt, size_t len)
{
	if (pkt[0] != H4_CMD && pkt[0] != H4_ACL) {
		note("not sent to the emulator: type 0x%02x", pkt[0]);
		return;
	}
	pthread_mutex_lock(&emu_lock);
	if (write_all(emu_fd, pkt, len) < 0)
		die("write to emulator: %s", strerror(errno));
	pthread_mutex_unlock(&emu_lock);
}

/*
 * Controller -> host rewrite.  BlueZ 5.66's btdev answers Read Buffer Size
 * with SCO MTU 0 and 0 packets; the kernel's hci_sched_sco() then never
 * sends SCO, so give the host the numbers a real controller would.
 *   04 0e plen ncmd op(2) status acl_mtu(2) sco_mtu(1) acl_pkts(2) sco_pkts(2)
 */
static void patch_read_buffer_size(uint8_t *pkt, size_t len)
{
	if (!opt.sco_mtu || len < 14 || pkt[0] != H4_EVT || pkt[1] != 0x0e ||
	    pkt[4] != 0x05 || pkt[5] != 0x10 || pkt[6] != 0x00)
		return;
	pkt[9] = opt.sco_mtu;
	pkt[12] = opt.sco_pkts & 0xff;
	pkt[13] = opt.sco_pkts >> 8;
	note("Read Buffer Size: SCO MTU %u, %u packets", opt.sco_mtu,
	     opt.sco_pkts);
}

/* ---- the kernel side: one backend at a time --------------------------------- */

/* Deliver one complete H:4 packet (type byte first) to the kernel. */
static void (*host_deliver)(const uint8_t *pkt, size_t len);

static void from_emulator(const uint8_t *pkt, size_t len)
{
	static uint8_t copy[H4_MAX];

	memcpy(copy, pkt, len);
	patch_read_buffer_size(copy, len);
	host_deliver(copy, len);
}

/*
 * Host -> controller.  SCO would be dropped by the emulator, so the bridge
 * plays a loopback peer: the frame goes straight back to the host on the
 * same handle, which exercises the kernel's SCO receive path too.  SCO flow
 * control is never enabled by the 6.1 kernel, so no Number Of Completed
 * Packets is owed for it.
 */
static void from_host(const uint8_t *pkt, size_t len)
{
	if (pkt[0] == H4_SCO) {
		host_deliver(pkt, len);
		return;
	}
	emu_send(pkt, len);
}

static struct h4_stream emu_stream;

/* Read what the emulator has; returns false when it hung up. */
static bool emu_pump(void)
{
	uint8_t buf[4096];
	ssize_t n = read(emu_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	h4_feed(&emu_stream, buf, n, from_emulator);
	return true;
}

/* ---- vhci backend ------------------------------------------------------------ */

static int vhci_fd = -1;

static void vhci_deliver(const uint8_t *pkt, size_t len)
{
	/* /dev/vhci takes exactly one packet per write. */
	if (write(vhci_fd, pkt, len) != (ssize_t)len)
		die("write /dev/vhci: %s", strerror(errno));
}

/* The answer to our create request: ff <opcode> <index le16>. */
static void vhci_vendor(const uint8_t *pkt, size_t len)
{
	if (len < 4)
		die("short vhci vendor packet");
	printf("hci%u\n", pkt[2] | pkt[3] << 8);
	fflush(stdout);
}

static void __attribute__((noreturn)) run_vhci(void)
{
	/* Vendor packet: create a primary controller (HCI_PRIMARY = 0). */
	static const uint8_t create[2] = { H4_VENDOR, 0x00 };
	struct pollfd pfd[2];
	uint8_t buf[H4_MAX];

	vhci_fd = open("/dev/vhci", O_RDWR | O_CLOEXEC);
	if (vhci_fd < 0)
		die("/dev/vhci: %s", strerror(errno));
	host_deliver = vhci_deliver;
	/* Without this within a second, vhci creates a device on its own. */
	if (write(vhci_fd, create, sizeof(create)) != sizeof(create))
		die("create vhci controller: %s", strerror(errno));

	pfd[0] = (struct pollfd){ .fd = vhci_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = emu_fd, .events = POLLIN };
	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[1].revents && !emu_pump())
			die("emulator closed the socket");
		if (!pfd[0].revents)
			continue;
		/* One read is one whole packet, type byte first. */
		n = read(vhci_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read /dev/vhci: %s", n ? strerror(errno) : "EOF");
		if (buf[0] == H4_VENDOR)
			vhci_vendor(buf, n);
		else if (h4_hdr_len(buf[0]))
			from_host(buf, n);
		else
			note("ignored vhci packet type 0x%02x", buf[0]);
	}
}

/* ---- USB backend: FunctionFS gadget on a UDC (dummy_hcd) --------------------- */

static struct {
	const char *name;	/* gadget, function and FunctionFS instance */
	const char *udc;
	char gadget[PATH_LEN];	/* configfs directory */
	char ffs[PATH_LEN];	/* FunctionFS mount point */
	int ep0, intr_in, bulk_in, bulk_out;
} usb = {
	.name = "btbridge",
	.udc = "dummy_udc.0",
};

/* Full-speed max packet sizes; high speed bulk is 512, a multiple of 64. */
#define INTR_MAXP 16
#define BULK_MAXP_FS 64
#define BULK_MAXP_HS 512

/* btusb's layout: interrupt IN (events), bulk IN (ACL in), bulk OUT. */
struct usb_if_descs {
	struct usb_interface_descriptor intf;
	struct usb_endpoint_descriptor_no_audio intr_in, bulk_in, bulk_out;
} __attribute__((packed));

static struct usb_if_descs if_descs(uint16_t bulk_maxp, uint8_t intr_interval)
{
	struct usb_if_descs d = {
		.intf = {
			.bLength = USB_DT_INTERFACE_SIZE,
			.bDescriptorType = USB_DT_INTERFACE,
			.bNumEndpoints = 3,
			.bInterfaceClass = 0xe0,	/* wireless controller */
			.bInterfaceSubClass = 0x01,	/* RF controller */
			.bInterfaceProtocol = 0x01,	/* Bluetooth */
			.iInterface = 1,
		},
		.intr_in = {
			.bLength = USB_DT_ENDPOINT_SIZE,
			.bDescriptorType = USB_DT_ENDPOINT,
			.bEndpointAddress = 1 | USB_DIR_IN,
			.bmAttributes = USB_ENDPOINT_XFER_INT,
			.wMaxPacketSize = htole16(INTR_MAXP),
			.bInterval = intr_interval,
		},
		.bulk_in = {
			.bLength = USB_DT_ENDPOINT_SIZE,
			.bDescriptorType = USB_DT_ENDPOINT,
			.bEndpointAddress = 2 | USB_DIR_IN,
			.bmAttributes = USB_ENDPOINT_XFER_BULK,
			.wMaxPacketSize = htole16(bulk_maxp),
		},
		.bulk_out = {
			.bLength = USB_DT_ENDPOINT_SIZE,
			.bDescriptorType = USB_DT_ENDPOINT,
			.bEndpointAddress = 3 | USB_DIR_OUT,
			.bmAttributes = USB_ENDPOINT_XFER_BULK,
			.wMaxPacketSize = htole16(bulk_maxp),
		},
	};
	return d;
}

/*
 * FunctionFS ep0 setup: descriptors, then strings.  ALL_CTRL_RECIP because
 * btusb sends HCI commands as class requests to the *device*, which
 * FunctionFS otherwise keeps from us.
 */
static void ffs_write_descriptors(int ep0)
{
	struct {
		struct usb_functionfs_descs_head_v2 head;
		uint32_t fs_count, hs_count;
		struct usb_if_descs fs, hs;
	} __attribute__((packed)) d = {
		.head = {
			.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2),
			.length = htole32(sizeof(d)),
			.flags = htole32(FUNCTIONFS_HAS_FS_DESC |
					 FUNCTIONFS_HAS_HS_DESC |
					 FUNCTIONFS_ALL_CTRL_RECIP),
		},
		.fs_count = htole32(4),
		.hs_count = htole32(4),
	};
	struct {
		struct usb_functionfs_strings_head head;
		uint16_t lang;
		char str[sizeof("btbridge HCI")];
	} __attribute__((packed)) s = {
		.head = {
			.magic = htole32(FUNCTIONFS_STRINGS_MAGIC),
			.length = htole32(sizeof(s)),
			.str_count = htole32(1),
			.lang_count = htole32(1),
		},
		.lang = htole16(0x0409),
		.str = "btbridge HCI",
	};

	d.fs = if_descs(BULK_MAXP_FS, 1);	/* 1 ms frames */
	d.hs = if_descs(BULK_MAXP_HS, 4);	/* 2^(4-1) * 125 us = 1 ms */
	if (write_all(ep0, &d, sizeof(d)) < 0)
		die("FunctionFS descriptors: %s", strerror(errno));
	if (write_all(ep0, &s, sizeof(s)) < 0)
		die("FunctionFS strings: %s", strerror(errno));
}

static void cfs_write(const char *rel, const char *text)
{
	char path[PATH_LEN];

	write_file(pathf(path, "%s/%s", usb.gadget, rel), text);
}

static void cfs_mkdir(const char *rel)
{
	char path[PATH_LEN];

	pathf(path, "%s/%s", usb.gadget, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
}

/*
 * The gadget as btusb expects a generic controller: device class
 * e0/01/01 (btusb matches USB_DEVICE_INFO(0xe0, 0x01, 0x01)), one
 * configuration holding our FunctionFS function as interface 0.
 */
static void usb_make_gadget(void)
{
	char func[PATH_LEN], from[PATH_LEN], to[PATH_LEN];

	if (access("/sys/kernel/config/usb_gadget", F_OK) < 0 &&
	    mount("none", "/sys/kernel/config", "configfs", 0, NULL) < 0)
		die("mount configfs: %s (modprobe libcomposite?)",
		    strerror(errno));
	pathf(usb.gadget, "/sys/kernel/config/usb_gadget/%s", usb.name);
	if (mkdir(usb.gadget, 0755) < 0)
		die("mkdir %s: %s", usb.gadget, strerror(errno));
	cfs_write("idVendor", "0x1d6b");	/* Linux Foundation */
	cfs_write("idProduct", "0x0104");
	cfs_write("bcdUSB", "0x0200");
	cfs_write("bDeviceClass", "0xe0");
	cfs_write("bDeviceSubClass", "0x01");
	cfs_write("bDeviceProtocol", "0x01");
	cfs_mkdir("strings/0x409");
	cfs_write("strings/0x409/manufacturer", "btbpf-tools");
	cfs_write("strings/0x409/product", "btbridge");
	cfs_write("strings/0x409/serialnumber", "0001");
	cfs_mkdir("configs/c.1");
	cfs_mkdir("configs/c.1/strings/0x409");
	cfs_write("configs/c.1/strings/0x409/configuration", "bt");
	cfs_write("configs/c.1/MaxPower", "100");
	cfs_mkdir(pathf(func, "functions/ffs.%s", usb.name));
	pathf(from, "%s/%s", usb.gadget, func);
	pathf(to, "%s/configs/c.1/ffs.%s", usb.gadget, usb.name);
	if (symlink(from, to) < 0)
		die("symlink %s: %s", to, strerror(errno));
}

static int ffs_open(const char *file, int flags)
{
	char path[PATH_LEN];
	int fd;

	pathf(path, "%s/%s", usb.ffs, file);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static void usb_mount_ffs(void)
{
	pathf(usb.ffs, "/dev/ffs-%s", usb.name);
	if (mkdir(usb.ffs, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", usb.ffs, strerror(errno));
	if (mount(usb.name, usb.ffs, "functionfs", 0, NULL) < 0)
		die("mount functionfs %s: %s", usb.ffs, strerror(errno));
	usb.ep0 = ffs_open("ep0", O_RDWR);
	ffs_write_descriptors(usb.ep0);
	/* epN follow the order of our endpoint descriptors. */
	usb.intr_in = ffs_open("ep1", O_WRONLY);
	usb.bulk_in = ffs_open("ep2", O_WRONLY);
	usb.bulk_out = ffs_open("ep3", O_RDONLY);
}

/*
 * Write one transfer on an IN endpoint.  A transfer that exactly fills its
 * last packet needs a zero-length packet to end: btusb's interrupt URB
 * otherwise never completes and controller init stalls with "command tx
 * timeout".  I/O fails while the host has the configuration disabled;
 * such packets are dropped (the host resets the controller anyway).
 */
static void usb_in_transfer(int fd, const uint8_t *data, size_t len,
			    size_t maxp)
{
	if (write_all(fd, data, len) < 0) {
		note("IN endpoint write: %s", strerror(errno));
		return;
	}
	if (len % maxp == 0 && write(fd, data, 0) < 0)
		note("IN endpoint ZLP: %s", strerror(errno));
}

static void usb_deliver(const uint8_t *pkt, size_t len)
{
	/* The endpoint carries the type; the bytes on the wire do not. */
	switch (pkt[0]) {
	case H4_EVT:
		usb_in_transfer(usb.intr_in, pkt + 1, len - 1, INTR_MAXP);
		break;
	case H4_ACL:
		usb_in_transfer(usb.bulk_in, pkt + 1, len - 1, BULK_MAXP_FS);
		break;
	default:
		/* No isochronous interface: SCO/ISO have no way to the host. */
		note("dropped type 0x%02x to the USB host", pkt[0]);
	}
}

static void *usb_emu_thread(void *arg)
{
	(void)arg;
	while (emu_pump())
		;
	die("emulator closed the socket");
	return NULL;
}

/* ACL from the host: a byte stream of ACL packets on bulk OUT. */
static void *usb_bulk_out_thread(void *arg)
{
	static struct h4_stream acl = { .type = H4_ACL };
	static uint8_t buf[16384];	/* a multiple of every max packet */

	(void)arg;
	for (;;) {
		ssize_t n = read(usb.bulk_out, buf, sizeof(buf));

		if (n < 0) {
			/* Disabled or reset: whatever was half read is gone. */
			if (errno != EINTR)
				acl.len = 0;
			usleep(10000);
			continue;
		}
		h4_feed(&acl, buf, n, from_host);
	}
	return NULL;
}

/* An HCI command: class request, host to device, data = command. */
static void usb_setup(const struct usb_ctrlrequest *req)
{
	uint16_t wlen = le16toh(req->wLength);
	uint8_t pkt[1 + 3 + 255];
	ssize_t n;

	if ((req->bRequestType & USB_DIR_IN) ||
	    (req->bRequestType & USB_TYPE_MASK) != USB_TYPE_CLASS ||
	    wlen < 3 || wlen > sizeof(pkt) - 1) {
		note("stall setup %02x %02x len %u", req->bRequestType,
		     req->bRequest, wlen);
		/* Stall: I/O in the wrong direction for this request. */
		if (req->bRequestType & USB_DIR_IN)
			n = read(usb.ep0, pkt, 0);
		else
			n = write(usb.ep0, pkt, 0);
		(void)n;
		return;
	}
	pkt[0] = H4_CMD;
	n = read(usb.ep0, pkt + 1, wlen);	/* the data stage, and ack */
	if (n != wlen) {
		note("command data: %zd of %u bytes", n, wlen);
		return;
	}
	note("command 0x%04x", pkt[1] | pkt[2] << 8);
	from_host(pkt, 1 + wlen);
}

static const char *const ffs_event_names[] = {
	"BIND", "UNBIND", "ENABLE", "DISABLE", "SETUP", "SUSPEND", "RESUME",
};

static void __attribute__((noreturn)) run_usb(void)
{
	pthread_t t;
	char path[PATH_LEN];

	host_deliver = usb_deliver;
	usb_make_gadget();
	usb_mount_ffs();
	if (pthread_create(&t, NULL, usb_emu_thread, NULL) ||
	    pthread_create(&t, NULL, usb_bulk_out_thread, NULL))
		die("pthread_create failed");
	/* Descriptors are in: the function is ready, plug the gadget in. */
	write_file(pathf(path, "%s/UDC", usb.gadget), usb.udc);
	printf("usb %s\n", usb.udc);
	fflush(stdout);

	for (;;) {
		struct usb_functionfs_event ev[4];
		ssize_t n = read(usb.ep0, ev, sizeof(ev));
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read ep0: %s", strerror(errno));
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == FUNCTIONFS_SETUP)
				usb_setup(&ev[i].u.setup);
			else if (ev[i].type < sizeof(ffs_event_names) /
					      sizeof(ffs_event_names[0]))
				note("ep0 event %s",
				     ffs_event_names[ev[i].type]);
		}
	}
}

/* ---- main -------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: btbridge vhci [--sco-mtu N] [--sco-pkts N] [--socket PATH] [-v]\n"
"       btbridge usb  [--udc NAME] [--name NAME] [--socket PATH] [-v]\n"
"Relays H:4 between BlueZ's emulator (btvirt -s, default socket\n"
"/tmp/bt-server-bredrle) and a /dev/vhci or USB gadget controller.\n"
"vhci prints \"hciN\" once the controller exists; SCO MTU/packets default\n"
"to 64/8 there (0: unpatched), and to 0 for usb (no isochronous path).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "sco-mtu", required_argument, NULL, 'm' },
		{ "sco-pkts", required_argument, NULL, 'p' },
		{ "udc", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;
	int c, mtu = -1, pkts = -1;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.socket_path = optarg; break;
		case 'm': mtu = atoi(optarg); break;
		case 'p': pkts = atoi(optarg); break;
		case 'u': usb.udc = optarg; break;
		case 'n': usb.name = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (mtu > 255 || pkts > 0xffff)
		die("SCO MTU is at most 255, packets at most 65535");
	/* Nothing stops the kernel writing to us after we are gone. */
	signal(SIGPIPE, SIG_IGN);
	emu_fd = emu_connect(opt.socket_path);
	if (!strcmp(mode, "vhci")) {
		opt.sco_mtu = mtu < 0 ? 64 : mtu;
		opt.sco_pkts = pkts < 0 ? 8 : pkts;
		run_vhci();
	}
	if (!strcmp(mode, "usb")) {
		opt.sco_mtu = mtu < 0 ? 0 : mtu;
		opt.sco_pkts = pkts < 0 ? 0 : pkts;
		run_usb();
	}
	usage(stderr);
	return 1;
}
