/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF-side helpers shared by every tool: map lookup-or-init, counters,
 * the log2 histogram slot.  Functions only: a map lives in the object that
 * uses it (the event ring is in events.bpf.h, for the tools that stream).
 */
#ifndef BTBPF_BPF_H
#define BTBPF_BPF_H

#include "bt_types.bpf.h"
#include "bt.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "core_fixes.bpf.h"

/*
 * The value of key in a hash map, inserted as a copy of *init when absent;
 * NULL when the map is full.  BPF_NOEXIST: when another CPU inserts the
 * same key first, its counts are kept and the second lookup finds them.
 * init must not live on the stack when the value is large (512-byte limit):
 * pass a zeroed global.
 */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Adds n to a counter other CPUs may update too (a BPF global or a map
 * value); nothing for 0. */
static __always_inline void counter_add(__u64 *c, __u64 n)
{
	if (n)
		__sync_fetch_and_add(c, n);
}

/* Adds one to the __u64 value of key in a hash map, creating it at 0 first;
 * false when the map is full. */
static __always_inline bool map_count(void *map, const void *key)
{
	static const __u64 zero;
	__u64 *n = map_lookup_or_init(map, key, &zero);

	if (!n)
		return false;
	__sync_fetch_and_add(n, 1);
	return true;
}

/*
 * The log2 slot of v, at most last: the index of v's highest set bit.
 * A global BPF function, so that the verifier checks it once per program,
 * on its own, and a call to it as a single step.  BPF has no set-on-compare
 * instruction: each `v > C` below is a branch, and inlined, the verifier
 * walked the rest of the caller once per combination of the five outcomes
 * (up to 32 times; it must, as the result indexes a map value and so is
 * tracked exactly).  A global function's result is an unknown scalar to its
 * caller, and its own branches rejoin at once.
 */
__noinline int log2_slot_at_most(__u64 v, __u32 last)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r < last ? r : last;
}

/*
 * The log2 slot of v in a histogram of nslots slots (a power of two), the
 * last slot holding everything above.  The index is 64-bit and masked after
 * an empty asm: clang would otherwise drop the mask as redundant, and the
 * verifier, to which log2_slot_at_most returns an unknown scalar, would see
 * an unbounded index.  The mask is what proves the bound to the verifier.
 */
static __always_inline __u64 __log2_slot(__u64 v, __u64 nslots)
{
	__u64 slot = (__u32)log2_slot_at_most(v, nslots - 1);

	asm volatile("" : "+r"(slot));
	return slot & (nslots - 1);
}

#define log2_slot(v, nslots) ({							\
	_Static_assert((nslots) > 0 && ((nslots) & ((nslots) - 1)) == 0,	\
		       "log2_slot: nslots must be a power of two");		\
	__log2_slot(v, nslots);							\
})

/* One more sample of v in a log2 histogram of nslots __u64 slots. */
#define log2_hist_add(slots, nslots, v)						\
	__sync_fetch_and_add(&(slots)[log2_slot(v, nslots)], 1)

/* -d hciN: targ is the wanted hdev->id, -1 for every controller. */
static __always_inline bool dev_wanted(int targ, __u16 dev)
{
	return targ < 0 || targ == dev;
}

/* -p PID: targ is the wanted tgid, 0 for every process. */
static __always_inline bool tgid_wanted(__u32 targ, __u64 pid_tgid)
{
	return !targ || (pid_tgid >> 32) == targ;
}

static __always_inline bool current_is_kthread(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, flags) & PF_KTHREAD;
}

#endif /* BTBPF_BPF_H */
