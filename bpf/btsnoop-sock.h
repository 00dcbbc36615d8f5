/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by btsnoop-sock's BPF and user-space sides. */
#ifndef BTSNOOP_SOCK_H
#define BTSNOOP_SOCK_H

#include "bt.h"

#define TASK_COMM_LEN 16

/* Map sizes: socket calls in flight per thread; -c keys (user space
 * drains up to SNOOP_MAX_COUNTS rows). */
#define SNOOP_MAX_INFLIGHT	10240
#define SNOOP_MAX_COUNTS	4096

enum sock_dir {
	DIR_SEND = 0,
	DIR_RECV = 1,
};

/* event flags */
#define EV_KTHREAD	0x01	/* sent by a kernel thread (e.g. krfcommd) */
#define EV_HAS_PEER	0x02	/* peer address valid */
#define EV_HAS_HANDLE	0x04	/* HCI connection handle valid */
#define EV_HAS_DEV	0x08	/* hci device id valid (HCI sockets) */

struct sock_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() at return */
	__u64 lat_ns;		/* time inside the kernel call */
	__s64 ret;		/* bytes moved, or -errno */
	__u64 len;		/* requested length (buffer size for recv) */
	__u32 pid;		/* tgid */
	__u32 tid;
	char comm[TASK_COMM_LEN];
	__u8 proto;		/* BTPROTO_* (bt.h) */
	__u8 dir;		/* enum sock_dir */
	__u8 flags;		/* EV_* */
	__u8 peer[6];		/* bdaddr, little-endian as in the kernel */
	__u16 psm;		/* L2CAP PSM (0 for fixed channels) */
	__u16 cid;		/* L2CAP destination CID, or RFCOMM channel */
	__u16 handle;		/* HCI connection handle */
	__u16 dev;		/* hdev->id */
};

/* Counting mode: one slot per (process, protocol, direction, errno), or
 * with -G per (cgroup, protocol, direction, errno), pid and kthread 0. */
struct count_key {
	__u64 cgroup;		/* cgroup v2 id, -G only */
	__u32 pid;
	__u16 err;		/* errno, 0 for success */
	__u8 proto;
	__u8 dir;
	__u8 kthread;
	__u8 pad[7];		/* keys are hashed bytewise: no holes */
};

struct count_val {
	__u64 calls;
	__u64 bytes;
	char comm[TASK_COMM_LEN];
};

#endif /* BTSNOOP_SOCK_H */
