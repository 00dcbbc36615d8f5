// SPDX-License-Identifier: GPL-2.0
/*
 * bthcicredits: the controller buffer credits of struct hci_dev (acl_cnt,
 * le_cnt, sco_cnt, iso_cnt) sampled where the kernel changes them.
 *
 * Checked against Debian 6.1.192 (module BTF and kallsyms of bluetooth.ko)
 * and the 6.1.y and 7.1 sources:
 *  - the decrements all happen inside hci_tx_work (hci_sched_acl_pkt,
 *    hci_sched_le, hci_sched_iso, hci_sched_sco with HCI_SCO_FLOWCTL); the
 *    schedulers themselves are inlined, so we sample at hci_tx_work's exit;
 *  - the refunds happen in hci_num_comp_pkts_evt (an hci_ev_table entry
 *    since 5.17, so never inlined there) and in hci_conn_del, which gives
 *    back the connection's unacknowledged conn->sent.
 * hci_tx_work and hci_rx_work run on the ordered hdev->workqueue, so the
 * per-controller state below is never updated from two CPUs at once by
 * them; hci_conn_del can run elsewhere (hci_dev_close), a rare race.
 */
#include "btbpf.bpf.h"
#include "events.bpf.h"
#include "bthcicredits.h"

const volatile int targ_dev = -1;		/* -1: every controller */
const volatile bool targ_events = false;	/* -e: stream each change */
const volatile int targ_sco_flowctl_bit = -1;	/* HCI_SCO_FLOWCTL, -1 if the kernel has none */

__u32 epoch = 0;	/* bumped by user space at each interval */

struct work_struct___credits {
	unsigned long data;
} __pai;

/*
 * Local flavour of struct hci_dev with the credit fields.  acl/sco/le_cnt
 * and *_pkts are unsigned int in 5.13, 6.1 and 7.1 (iso_cnt and iso_pkts,
 * 6.0+, are read through core_fixes.bpf.h).  dev_flags is a bitmap of
 * unsigned long in every version.
 */
struct hci_dev___credits {
	__u16 id;
	unsigned int acl_cnt, sco_cnt, le_cnt;
	unsigned int acl_pkts, sco_pkts, le_pkts;
	unsigned long dev_flags[1];
	struct work_struct___credits tx_work;
} __pai;

struct hci_conn___credits {
	struct hci_dev *hdev;
} __pai;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CREDITS_MAX_KEYS);
	__type(key, struct credit_key);
	__type(value, struct credit_state);
} states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CREDITS_MAX_KEYS);
	__type(key, struct credit_key);
	__type(value, struct stall_hist);
} hists SEC(".maps");

/* frames handed to the driver per HCI packet type (ACL slot: ACL and LE) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CREDITS_MAX_KEYS);
	__type(key, struct credit_key);
	__type(value, __u64);
} frames SEC(".maps");

/* kprobe -> kretprobe: the hdev of the call in flight, per thread and hook */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CREDITS_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, __u64);
} inflight SEC(".maps");

enum hook { HOOK_TX = 0, HOOK_NUM_COMP = 1, HOOK_CONN_DEL = 2, HOOK_ENTRY = 3 };

static const struct stall_hist zero_hist;

static __always_inline void hist_add(const struct credit_key *key, __u64 ns)
{
	struct stall_hist *h = map_lookup_or_init(&hists, key, &zero_hist);

	if (h)
		log2_hist_add(h->slots, MAX_SLOTS_CREDITS, ns / 1000);
}

static __always_inline void emit(const struct credit_key *key, __u64 now, __u32 old,
				 __u32 new, __u8 cause)
{
	struct credit_event *e;

	if (!targ_events)
		return;
	e = event_reserve(sizeof(*e));
	if (!e)
		return;
	e->ts_ns = now;
	e->old = old;
	e->new = new;
	e->dev = key->dev;
	e->type = key->type;
	e->cause = cause;
	event_submit(e);
}

/*
 * Which way a hook is expected to move the counter; the other way is
 * something else (controller reset, read buffer size).  A global function:
 * its result indexes st->moved, so as an inlined constant per branch the
 * verifier walked the rest of sample_one once per cause; from a global
 * function it is one unknown (bounded by the caller's mask).
 */
__noinline int classify(__u32 hook, __u32 old, __u32 new)
{
	if (hook == HOOK_ENTRY)
		return CAUSE_OTHER;
	if (hook == HOOK_TX)
		return new < old ? CAUSE_TX : CAUSE_OTHER;
	if (new < old)
		return CAUSE_OTHER;
	return hook == HOOK_NUM_COMP ? CAUSE_ACK : CAUSE_DISCONNECT;
}

static __always_inline void first_sample(const struct credit_key *key, __u64 now,
					 __u32 val, __u32 pkts, __u32 flags)
{
	struct credit_state st = {};

	st.first_ts = now;
	st.last_ts = now;
	st.zero_since = now;	/* a zero period we did not see begin: not a stall */
	st.last = val;
	st.pkts = pkts;
	st.range[epoch & 1] = (struct credit_range){ .min = val, .max = val, .epoch = epoch };
	st.flags = flags;
	bpf_map_update_elem(&states, key, &st, BPF_NOEXIST);
}

static __always_inline void track_zero(struct credit_state *st, const struct credit_key *key,
				       __u64 now, __u32 new)
{
	if (st->last == 0 && new > 0) {
		st->zero_ns += now - st->zero_since;
		if (st->flags & CS_ZERO_COUNTED)
			hist_add(key, now - st->zero_since);
	} else if (st->last > 0 && new == 0) {
		st->zero_since = now;
		st->stalls++;
		st->flags |= CS_ZERO_COUNTED;
	}
}

/* One pool at one sample point. */
static __always_inline void sample_one(__u16 dev, __u8 type, __u32 val, __u32 pkts,
				       __u32 flags, __u8 hook, __u64 now)
{
	struct credit_key key = { .dev = dev, .type = type };
	struct credit_state *st;
	struct credit_range *r;
	__u32 old, e;
	__u8 cause;

	st = bpf_map_lookup_elem(&states, &key);
	if (!st) {
		first_sample(&key, now, val, pkts, flags);
		return;
	}
	st->pkts = pkts;
	st->flags = (st->flags & ~CS_SCO_FLOWCTL) | flags;
	old = st->last;
	if (val == old)
		return;
	e = epoch;	/* once: both halves of the update use the same range */
	r = &st->range[e & 1];
	st->seq++;
	barrier();
	if (r->epoch != e)	/* a new epoch starts from the value held until now */
		*r = (struct credit_range){ .min = old, .max = old, .epoch = e };
	cause = classify(hook, old, val);
	st->moved[cause & (CAUSE_MAX - 1)] += val < old ? old - val : val - old;
	st->weighted += (__u64)old * (now - st->last_ts);
	track_zero(st, &key, now, val);
	st->last = val;
	st->last_ts = now;
	if (val < r->min)
		r->min = val;
	if (val > r->max)
		r->max = val;
	barrier();
	st->seq++;
	emit(&key, now, old, val, cause);
}

/*
 * sample_one as a global function.  The verifier checks a global function
 * once per program, on its own, and a call to it as a single step; inlined
 * four times into sample(), its branches were most of the verifier's work
 * (loading took several times as long as btacklat's).  A global function
 * takes at most five scalar arguments, hence the packing: `where` is
 * dev | type << 16 | hook << 24, `counts` is value | pool size << 32.
 */
__noinline int sample_pool(__u32 where, __u64 counts, __u32 flags, __u64 now)
{
	sample_one(where & 0xffff, (where >> 16) & 0xff, (__u32)counts, counts >> 32, flags,
		   where >> 24, now);
	return 0;
}

static __always_inline void sample_pool_of(__u16 dev, __u8 type, __u32 val, __u32 pkts,
					   __u32 flags, __u8 hook, __u64 now)
{
	sample_pool(dev | (__u32)type << 16 | (__u32)hook << 24, val | (__u64)pkts << 32,
		    flags, now);
}

static __always_inline bool sco_flowctl(struct hci_dev___credits *h)
{
	unsigned long word;
	int bit = targ_sco_flowctl_bit;

	if (bit < 0 || bit >= 64)
		return false;
	if (bpf_core_read(&word, sizeof(word), &h->dev_flags[0]))
		return false;
	return (word >> bit) & 1;
}

/* All pools of one controller, right after `hook` ran.  A BPF subprogram,
 * not inlined: twelve programs call it, and inlined it would make the
 * object (and so the binary that embeds it) six times as large. */
static __noinline int sample(struct hci_dev *hdev, __u8 hook)
{
	struct hci_dev___credits *h = (void *)hdev;
	__u64 now = bpf_ktime_get_ns();
	__u32 iso_cnt, iso_pkts;
	__u16 dev;

	if (!h)
		return 0;
	dev = BPF_CORE_READ(h, id);
	if (!dev_wanted(targ_dev, dev))
		return 0;
	sample_pool_of(dev, CT_ACL, BPF_CORE_READ(h, acl_cnt), BPF_CORE_READ(h, acl_pkts), 0,
		       hook, now);
	sample_pool_of(dev, CT_LE, BPF_CORE_READ(h, le_cnt), BPF_CORE_READ(h, le_pkts), 0,
		       hook, now);
	sample_pool_of(dev, CT_SCO, BPF_CORE_READ(h, sco_cnt), BPF_CORE_READ(h, sco_pkts),
		       sco_flowctl(h) ? CS_SCO_FLOWCTL : 0, hook, now);
	if (hdev_iso_credits(h, &iso_cnt, &iso_pkts))
		sample_pool_of(dev, CT_ISO, iso_cnt, iso_pkts, 0, hook, now);
	return 0;
}

static __always_inline struct hci_dev *hdev_of_tx_work(void *work)
{
	return (void *)((char *)work - bpf_core_field_offset(struct hci_dev___credits, tx_work));
}

static __always_inline __u64 inflight_key(__u8 hook)
{
	return ((__u64)(__u32)bpf_get_current_pid_tgid() << 2) | hook;
}

/*
 * Entry of a hook: sample first, so that the value before the call is known
 * (the first call after we attach would otherwise lose its change, and a
 * change made where we do not look shows up as CAUSE_OTHER here), then keep
 * hdev for the exit.
 */
static __always_inline int on_entry(__u8 hook, struct hci_dev *hdev)
{
	__u64 key = inflight_key(hook), val = (__u64)hdev;

	sample(hdev, HOOK_ENTRY);
	bpf_map_update_elem(&inflight, &key, &val, BPF_ANY);
	return 0;
}

static __always_inline int on_exit(__u8 hook)
{
	__u64 key = inflight_key(hook), *val;
	struct hci_dev *hdev;

	val = bpf_map_lookup_elem(&inflight, &key);
	if (!val)
		return 0;	/* entered before we attached */
	hdev = (struct hci_dev *)*val;
	bpf_map_delete_elem(&inflight, &key);
	return sample(hdev, hook);
}

/*
 * Programs: an entry and an exit for each hook, fentry/fexit or
 * kprobe/kretprobe.  hci_conn_del frees conn on its way out, so hdev is
 * always taken at entry and handed to the exit through `inflight`.
 */
#define HOOK_PROBES(fn, hook, argtype, hdev_expr)			\
SEC("fentry/" #fn)							\
int BPF_PROG(fn##_fentry, argtype arg)					\
{ return on_entry(hook, hdev_expr); }					\
SEC("fexit/" #fn)							\
int BPF_PROG(fn##_fexit)						\
{ return on_exit(hook); }						\
SEC("kprobe/" #fn)							\
int BPF_KPROBE(fn##_kprobe, argtype arg)				\
{ return on_entry(hook, hdev_expr); }					\
SEC("kretprobe/" #fn)							\
int BPF_KRETPROBE(fn##_kretprobe)					\
{ return on_exit(hook); }

HOOK_PROBES(hci_tx_work, HOOK_TX, struct work_struct___credits *, hdev_of_tx_work(arg))
HOOK_PROBES(hci_num_comp_pkts_evt, HOOK_NUM_COMP, struct hci_dev *, arg)
HOOK_PROBES(hci_conn_del, HOOK_CONN_DEL, struct hci_conn___credits *,
	    BPF_CORE_READ(arg, hdev))

/* hci_send_frame(hdev, skb): one data frame to the driver.  Counted for
 * pools the kernel does not debit (SCO without HCI_SCO_FLOWCTL). */
static __always_inline int count_frame(struct hci_dev___credits *h,
				       struct sk_buff *skb)
{
	struct credit_key key = {};
	__u8 pkt_type;

	if (!h || !skb)
		return 0;
	key.dev = BPF_CORE_READ(h, id);
	if (!dev_wanted(targ_dev, key.dev))
		return 0;
	pkt_type = skb_pkt_type(skb);
	if (pkt_type == HCI_ACLDATA_PKT)
		key.type = CT_ACL;
	else if (pkt_type == HCI_SCODATA_PKT)
		key.type = CT_SCO;
	else if (pkt_type == HCI_ISODATA_PKT)
		key.type = CT_ISO;
	else
		return 0;	/* commands */
	map_count(&frames, &key);
	return 0;
}

SEC("fentry/hci_send_frame")
int BPF_PROG(hci_send_frame_fentry, struct hci_dev___credits *hdev,
	     struct sk_buff *skb)
{
	return count_frame(hdev, skb);
}

SEC("kprobe/hci_send_frame")
int BPF_KPROBE(hci_send_frame_kprobe, struct hci_dev___credits *hdev,
	       struct sk_buff *skb)
{
	return count_frame(hdev, skb);
}

char LICENSE[] SEC("license") = "GPL";
