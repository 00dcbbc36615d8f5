/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by btwmem's BPF and user-space sides. */
#ifndef BTWMEM_H
#define BTWMEM_H

#define TASK_COMM_LEN 16

/* Bluetooth socket protocols traced, numbered as BTPROTO_* in bluetooth.h. */
#define BTPROTO_L2CAP	0
#define BTPROTO_SCO	2
#define BTPROTO_ISO	8
#define BTPROTO_MAX	9

/* wmem bytes, log2: slot 31 holds 2 GiB and up, far past any sndbuf. */
#define WMEM_SLOTS	32
/* -%: 10% wide buckets from 0 to 199%; samples above go to wmem_val.over. */
#define PCT_STEP	10
#define PCT_SLOTS	20
/* allocation waits, log2 of microseconds */
#define WAIT_SLOTS	32

/* What a sample is aggregated under.  Fields the mode does not use stay
 * zero (default: proto only; -P: + pid; -S: + sk). */
struct wmem_key {
	__u64 sk;		/* struct sock address, -S only */
	__u32 pid;		/* tgid, -P only */
	__u8 proto;		/* BTPROTO_* */
	__u8 pad[3];		/* keys are hashed bytewise: no holes */
};

struct wmem_val {
	__u64 slots[WMEM_SLOTS];	/* log2 bytes, or PCT_SLOTS with -% */
	__u64 wait_slots[WAIT_SLOTS];	/* usecs blocked in the allocator */
	__u64 samples;		/* send calls sampled */
	__u64 over;		/* -%: samples at or above PCT_SLOTS * PCT_STEP % */
	__u64 allocs;		/* sock_alloc_send_pskb calls */
	__u64 blocked;		/* ... that found the buffer full and waited */
	__u64 eagain;		/* ... that failed with EAGAIN (non-blocking) */
	__u64 wmem_max;		/* largest sample, bytes */
	__u32 sndbuf_min;	/* sk_sndbuf seen at the samples */
	__u32 sndbuf_max;
	__u32 last_pid;		/* -S: the last sender */
	__u8 peer[6];		/* -S: remote bdaddr, little-endian */
	__u8 has_peer;
	__u8 pad;
	char comm[TASK_COMM_LEN];	/* of the last sender */
};

#endif /* BTWMEM_H */
