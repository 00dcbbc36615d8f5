/* SPDX-License-Identifier: GPL-2.0 */
/* BPF-side helpers shared by every tool. */
#ifndef BTBPF_BPF_H
#define BTBPF_BPF_H

#include "bt_types.bpf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* 1 MiB: about 12000 btsnoop-sock events, a few seconds of the fastest
 * sender the test bed has while the reader is starved of CPU. */
#ifndef RINGBUF_BYTES
#define RINGBUF_BYTES (1024 * 1024)
#endif
/* Wake the reader only once this much is waiting (it also polls every
 * 100 ms): one wake-up per event costs the sender a wake-up and the reader
 * a poll round per line, which is what made the ring overflow. */
#define RINGBUF_WAKEUP_BYTES (RINGBUF_BYTES / 16)

/* Events go through one ring buffer.  The ring has no loss notification,
 * so every failed reserve is counted here and user space reports it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

__u64 lost_events = 0;

static __always_inline void *event_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		__sync_fetch_and_add(&lost_events, 1);
	return e;
}

/* Hands an event to user space; wakes the reader only when a batch is
 * waiting (see RINGBUF_WAKEUP_BYTES). */
static __always_inline void event_submit(void *e)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= RINGBUF_WAKEUP_BYTES ?
		      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

/* Index of the highest set bit: the log2 histogram slot of v. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline bool current_is_kthread(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, flags) & PF_KTHREAD;
}

#endif /* BTBPF_BPF_H */
