/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ring buffer and its loss counter: included only by the tools
 * that stream events (btsnoop-sock, bthcicredits -e), so no other object
 * creates a ring it never reads.  User space polls `events` and reports
 * `lost_events` (trace__run's loop_opts.rb and .lost).
 */
#ifndef BTBPF_EVENTS_BPF_H
#define BTBPF_EVENTS_BPF_H

#include "btbpf.bpf.h"

/* 1 MiB: about 12000 btsnoop-sock events, a few seconds of the fastest
 * sender the test bed has while the reader is starved of CPU. */
#ifndef RINGBUF_BYTES
#define RINGBUF_BYTES (1024 * 1024)
#endif
/* Wake the reader only once this much is waiting (it also polls every
 * 100 ms): one wake-up per event costs the sender a wake-up and the reader
 * a poll round per line, and a reader that slow lets the ring overflow. */
#define RINGBUF_WAKEUP_BYTES (RINGBUF_BYTES / 16)

/* The ring has no loss notification, so every failed reserve is counted
 * in lost_events and user space reports it. */
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

#endif /* BTBPF_EVENTS_BPF_H */
