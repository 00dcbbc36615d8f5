// SPDX-License-Identifier: GPL-2.0
/*
 * bturblat: btusb URB latency, from btusb_send_frame (which allocates and
 * submits the URB) to the URB's completion callback.
 *
 * Exact matching, no FIFO: the start stamp is keyed by the skb pointer at
 * send entry and looked up with urb->context at completion (the hooks and
 * why this is exact: btusb.bpf.h).
 *
 * Pointer reuse: btusb_tx_complete / btusb_isoc_tx_complete free the skb
 * after we ran, and the address can come back for the next frame at once,
 * even on another CPU before btusb_send_frame has returned.  So the stamp
 * is deleted at completion, and the send's return is only used when it
 * failed (< 0): then no URB was submitted and hci_send_frame frees the skb
 * only after the return, so deleting the stamp there cannot hit a newer
 * frame's stamp.
 */
#include "btbpf.bpf.h"
#include "bturblat.h"
#include "btusb.bpf.h"

const volatile int targ_dev = -1;	/* hdev->id, -1: every controller */
const volatile int targ_type = -1;	/* pkt_type, -1: every type */
const volatile bool targ_per_dev = false;	/* -D */
const volatile bool targ_ms = false;	/* -m */

struct urb_stats stats = {};

/* Zeroed template for new histograms: too big for the 512-byte stack. */
const struct hist_val zero_hist = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, URB_MAX_STARTS);
	__type(key, __u64);		/* skb pointer */
	__type(value, struct urb_start);
} starts SEC(".maps");

/* The frame each thread is sending (kretprobe has no arguments).  LRU:
 * entries are left behind on success, on purpose (see on_send_ret). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, URB_MAX_CALLS);
	__type(key, __u64);		/* pid_tgid of the sending thread */
	__type(value, __u64);		/* skb pointer */
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, URB_MAX_HISTS);
	__type(key, struct hist_key);
	__type(value, struct hist_val);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, URB_MAX_ERRORS);
	__type(key, struct err_key);
	__type(value, __u64);
} errors SEC(".maps");

static __always_inline bool wanted(__u16 dev, __u8 type)
{
	return dev_wanted(targ_dev, dev) && (targ_type < 0 || targ_type == type);
}

/*
 * hdev->send entry: btusb_send_frame and its vendor variants.  The thread's
 * current frame is noted first, whatever the filters say, so that a failed
 * return never unstamps an older frame.  iso_only: btusb.bpf.h.
 */
static __always_inline int on_send(struct hci_dev *hdev, struct sk_buff *skb,
				   bool iso_only)
{
	__u64 tid = bpf_get_current_pid_tgid(), key = (__u64)skb;
	struct urb_start st = {};

	bpf_map_update_elem(&calls, &tid, &key, BPF_ANY);
	st.type = skb_pkt_type(skb);
	if (iso_only && st.type != HCI_ISODATA_PKT)
		return 0;
	st.dev = BPF_CORE_READ(hdev, id);
	if (!wanted(st.dev, st.type))
		return 0;
	st.ts = bpf_ktime_get_ns();
	if (bpf_map_lookup_elem(&starts, &key))
		counter_add(&stats.replaced, 1);
	if (bpf_map_update_elem(&starts, &key, &st, BPF_ANY)) {
		counter_add(&stats.dropped, 1);
		return 0;
	}
	counter_add(&stats.sent, 1);
	return 0;
}

/*
 * hdev->send return: only a failure touches the stamp (see the top).
 * Success returns at once, before any map access: the URB may complete
 * right now on this CPU (dummy_hcd gives back from a timer armed 1 ns
 * after the submit), and the kernel skips a kprobe program that would
 * nest in another one on the same CPU (bpf_prog_active): keeping this
 * window short is what keeps the kprobe path exact.
 */
static __always_inline int on_send_ret(int ret)
{
	__u64 tid, *skb;

	if (ret >= 0)
		return 0;
	tid = bpf_get_current_pid_tgid();
	skb = bpf_map_lookup_elem(&calls, &tid);
	if (skb && !bpf_map_delete_elem(&starts, skb))
		counter_add(&stats.submit_errors, 1);
	return 0;
}

static __always_inline void hist_add(struct hist_key *k, __u64 delta_ns)
{
	struct hist_val *h = map_lookup_or_init(&hists, k, &zero_hist);

	if (!h)
		return;
	log2_hist_add(h->slots, URB_SLOTS, targ_ms ? delta_ns / 1000000 : delta_ns / 1000);
	counter_add(&h->sum_ns, delta_ns);
}

static __always_inline void error_add(struct urb_start *st, int status)
{
	struct err_key k = { .status = status, .dev = st->dev, .type = st->type };

	map_count(&errors, &k);
	counter_add(&stats.failed, 1);
}

/* A completion without a stamp: count it when the filters would have
 * stamped it (the URB was submitted before we attached). */
static __always_inline void untracked(struct sk_buff *skb)
{
	struct hci_dev *hdev = BPF_CORE_READ(skb, dev);

	if (wanted(BPF_CORE_READ(hdev, id), skb_pkt_type(skb)))
		counter_add(&stats.untracked, 1);
}

/* btusb_tx_complete / btusb_isoc_tx_complete entry: the skb is still
 * alive (they free it after us). */
static __always_inline int on_complete(struct urb___btusb *urb)
{
	struct sk_buff *skb = urb_skb(urb);
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns();
	struct urb_start *p = bpf_map_lookup_elem(&starts, &key), st;
	struct hist_key hk = {};
	int status;

	if (!p) {
		untracked(skb);
		return 0;
	}
	st = *p;
	bpf_map_delete_elem(&starts, &key);
	counter_add(&stats.completed, 1);
	status = BPF_CORE_READ(urb, status);
	if (status) {
		error_add(&st, status);
		return 0;
	}
	hk.dev = targ_per_dev ? st.dev : URB_ALL_DEVS;
	hk.type = st.type;
	if (now > st.ts)
		hist_add(&hk, now - st.ts);
	return 0;
}

BTUSB_PROBES

char LICENSE[] SEC("license") = "GPL";
