/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by btwmem's BPF and user-space sides. */
#ifndef BTWMEM_H
#define BTWMEM_H

#include "bt.h"

#define TASK_COMM_LEN 16

/* Map sizes: aggregation keys (user space drains up to WMEM_MAX_KEYS
 * rows), and calls in flight per thread. */
#define WMEM_MAX_KEYS		10240
#define WMEM_MAX_INFLIGHT	10240

/* wmem bytes, log2: slot 31 holds 2 GiB and up, far past any sndbuf. */
#define WMEM_SLOTS	32
/* -%: 10% wide buckets from 0 to 199%; samples above go to wmem_val.over. */
#define PCT_STEP	10
#define PCT_SLOTS	20
/* allocation waits, log2 of microseconds */
#define WAIT_SLOTS	32

/* What a sample is aggregated under.  Fields the mode does not use stay
 * zero (default: proto only; -P: + pid; -S: + sk; -G: + cgroup). */
struct wmem_key {
	__u64 sk;		/* struct sock address, -S only */
	__u64 cgroup;		/* cgroup v2 id, -G only */
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
	__u64 wmem_sum;		/* the samples added up (bytes, -%: percent of
				 * sndbuf): --openmetrics' _sum */
	__u64 wait_sum_ns;	/* the waits added up */
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
