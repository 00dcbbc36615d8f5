// SPDX-License-Identifier: GPL-2.0
/*
 * btwmem: how full the send buffer of L2CAP, SCO and ISO sockets is.
 *
 * Two kinds of hooks (fields checked against Debian 6.1.192 BTF and the
 * 5.13/7.1 sources):
 *
 * 1. The return of l2cap_sock_sendmsg, sco_sock_sendmsg, iso_sock_sendmsg:
 *    one sample per send call, taken after the call allocated (and so
 *    charged) its skbs, of sk_wmem_alloc - 1 and sk_sndbuf.  A sample at
 *    the entry would miss this call's own charge.
 *    The charge leaves when hci_send_frame orphans the skb, so the value is
 *    what still waits in the HCI queues for controller credits.
 *
 * 2. sock_alloc_send_pskb (vmlinux, exported, the same six arguments in
 *    5.13, 6.1 and 7.1) on AF_BLUETOOTH sockets: the allocations that found
 *    the buffer full and blocked (with the time they waited), and the ones
 *    that failed with EAGAIN.  L2CAP allocates once per PDU and fragment,
 *    SCO/ISO once per send, through this function.
 */
#include "btbpf.bpf.h"
#include "cgroup.bpf.h"
#include "btwmem.h"

#define EAGAIN		11

const volatile __u32 targ_tgid = 0;		/* 0: every process */
const volatile bool targ_per_pid = false;	/* -P */
const volatile bool targ_per_sock = false;	/* -S */
const volatile bool targ_percent = false;	/* -% */

__u64 key_overflow = 0;	/* samples dropped because the map was full */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WMEM_MAX_KEYS);
	__type(key, struct wmem_key);
	__type(value, struct wmem_val);
} hists SEC(".maps");

/* kprobe path only: the socket of the sendmsg in flight, per thread */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WMEM_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct sock *);
} send_socks SEC(".maps");

struct alloc_start {
	__u64 ts;
	struct sock *sk;
	int *errcode;
	bool waits;		/* buffer full and a blocking call: it will wait */
	__u8 proto;
};

/* sock_alloc_send_pskb in flight, per thread */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WMEM_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct alloc_start);
} allocs SEC(".maps");

/* -p and --cgroup: every hook runs in the sending process's context */
static __always_inline bool pid_wanted(void)
{
	return tgid_wanted(targ_tgid, bpf_get_current_pid_tgid()) &&
	       cgroup_wanted();
}

/* sk_wmem_alloc starts at 1 (a bias held by the socket itself) and counts
 * skb truesize on top: sk_wmem_alloc_get() subtracts the 1 too. */
static __always_inline __u64 wmem_bytes(struct sock *sk)
{
	int v = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter);

	return v > 1 ? v - 1 : 0;
}

static __always_inline bool traced_proto(__u16 proto)
{
	return proto == BTPROTO_L2CAP || proto == BTPROTO_SCO || proto == BTPROTO_ISO;
}

/* The map slot for this socket/process/protocol, created on first use. */
static __always_inline struct wmem_val *get_val(struct sock *sk, __u8 proto)
{
	struct wmem_key key = {};
	struct wmem_val *v;
	static const struct wmem_val zero;

	key.proto = proto;
	if (targ_per_pid)
		key.pid = bpf_get_current_pid_tgid() >> 32;
	if (targ_per_sock)
		key.sk = (__u64)sk;
	key.cgroup = cgroup_key();
	v = map_lookup_or_init(&hists, &key, &zero);
	if (!v) {
		counter_add(&key_overflow, 1);
		return NULL;
	}
	if (targ_per_sock && !v->has_peer && sock_peer(sk, proto, v->peer))
		v->has_peer = 1;
	return v;
}

static __always_inline void note_sender(struct wmem_val *v)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	/* the name only when the sender changes: two samples per send */
	if (v->last_pid == pid)
		return;
	v->last_pid = pid;
	bpf_get_current_comm(&v->comm, sizeof(v->comm));
}

static __always_inline void add_slot(struct wmem_val *v, __u64 wmem, __u32 sndbuf)
{
	__u64 slot;

	if (targ_percent) {
		slot = sndbuf ? wmem * 100 / sndbuf / PCT_STEP : PCT_SLOTS;
		/* the empty asm, as in log2_slot (btbpf.bpf.h): clang would
		 * test the undivided value, leaving the index unbounded */
		asm volatile("" : "+r"(slot));
		if (slot < PCT_SLOTS)
			counter_add(&v->slots[slot], 1);
		else
			counter_add(&v->over, 1);
		if (sndbuf)
			counter_add(&v->wmem_sum, wmem * 100 / sndbuf);
		return;
	}
	log2_hist_add(v->slots, WMEM_SLOTS, wmem);
	counter_add(&v->wmem_sum, wmem);
}

static __always_inline void add_sample(struct wmem_val *v, __u64 wmem, __u32 sndbuf)
{
	add_slot(v, wmem, sndbuf);
	counter_add(&v->samples, 1);
	/* min/max without atomics: a lost race only misses one extreme
	 * among concurrent senders of the same key */
	if (wmem > v->wmem_max)
		v->wmem_max = wmem;
	if (!v->sndbuf_min || sndbuf < v->sndbuf_min)
		v->sndbuf_min = sndbuf;
	if (sndbuf > v->sndbuf_max)
		v->sndbuf_max = sndbuf;
}

/* One sample per send call, at its return. */
static __always_inline int sample_sock(struct sock *sk, __u8 proto)
{
	struct wmem_val *v = get_val(sk, proto);

	if (!v)
		return 0;
	note_sender(v);
	add_sample(v, wmem_bytes(sk), BPF_CORE_READ(sk, sk_sndbuf));
	return 0;
}

static __always_inline int sample_send(struct socket *sock, __u8 proto)
{
	struct sock *sk;

	if (!pid_wanted())
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	return sk ? sample_sock(sk, proto) : 0;
}

static __always_inline int stash_send(struct socket *sock)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock *sk;

	if (!pid_wanted())
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		bpf_map_update_elem(&send_socks, &tid, &sk, BPF_ANY);
	return 0;
}

static __always_inline int sample_stashed(__u8 proto)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock **skp = bpf_map_lookup_elem(&send_socks, &tid);
	struct sock *sk;

	if (!skp)
		return 0;
	sk = *skp;
	bpf_map_delete_elem(&send_socks, &tid);
	return sample_sock(sk, proto);
}

/*
 * fexit gets the arguments too, so the BTF path needs no entry program:
 * the fexit program sits in the probe table's fentry slot.  The kprobe
 * path remembers the socket at entry for the kretprobe.
 */
#define SEND_PROBES(fn, proto)							\
SEC("fexit/" #fn)								\
int BPF_PROG(fn##_fexit, struct socket *sock)					\
{ return sample_send(sock, proto); }						\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(fn##_kprobe, struct socket *sock)				\
{ return stash_send(sock); }							\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(fn##_kretprobe)						\
{ return sample_stashed(proto); }

SEND_PROBES(l2cap_sock_sendmsg, BTPROTO_L2CAP)
SEND_PROBES(sco_sock_sendmsg, BTPROTO_SCO)
SEND_PROBES(iso_sock_sendmsg, BTPROTO_ISO)

/* ---- sock_alloc_send_pskb: blocked waits and EAGAIN ---- */

static __always_inline int alloc_entry(struct sock *sk, int noblock, int *errcode)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct alloc_start s = {};
	__u16 proto;

	/* every socket family allocates here: leave the others at once */
	if (BPF_CORE_READ(sk, __sk_common.skc_family) != AF_BLUETOOTH)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (!traced_proto(proto) || !pid_wanted())
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.sk = sk;
	s.errcode = errcode;
	s.proto = proto;
	/* the kernel's own test: it sleeps while wmem >= sndbuf */
	s.waits = !noblock && wmem_bytes(sk) >= (__u64)BPF_CORE_READ(sk, sk_sndbuf);
	bpf_map_update_elem(&allocs, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline int alloc_exit(void *skb)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct alloc_start *s = bpf_map_lookup_elem(&allocs, &tid);
	struct wmem_val *v;
	int err = 0;

	if (!s)
		return 0;
	v = get_val(s->sk, s->proto);
	if (!v)
		goto out;
	note_sender(v);
	counter_add(&v->allocs, 1);
	if (!skb) {
		/* errcode points into the caller's frame, still live here */
		bpf_probe_read_kernel(&err, sizeof(err), s->errcode);
		if (err == -EAGAIN)
			counter_add(&v->eagain, 1);
	}
	if (s->waits) {
		__u64 waited_ns = bpf_ktime_get_ns() - s->ts;

		counter_add(&v->blocked, 1);
		log2_hist_add(v->wait_slots, WAIT_SLOTS, waited_ns / 1000);
		counter_add(&v->wait_sum_ns, waited_ns);
	}
out:
	bpf_map_delete_elem(&allocs, &tid);
	return 0;
}

SEC("fentry/sock_alloc_send_pskb")
int BPF_PROG(sock_alloc_send_pskb_fentry, struct sock *sk, unsigned long header_len,
	     unsigned long data_len, int noblock, int *errcode)
{
	return alloc_entry(sk, noblock, errcode);
}

SEC("fexit/sock_alloc_send_pskb")
int BPF_PROG(sock_alloc_send_pskb_fexit, struct sock *sk, unsigned long header_len,
	     unsigned long data_len, int noblock, int *errcode, int max_page_order,
	     void *ret)
{
	return alloc_exit(ret);
}

SEC("kprobe/sock_alloc_send_pskb")
int BPF_KPROBE(sock_alloc_send_pskb_kprobe, struct sock *sk, unsigned long header_len,
	       unsigned long data_len, int noblock, int *errcode)
{
	return alloc_entry(sk, noblock, errcode);
}

SEC("kretprobe/sock_alloc_send_pskb")
int BPF_KRETPROBE(sock_alloc_send_pskb_kretprobe, void *ret)
{
	return alloc_exit(ret);
}

char LICENSE[] SEC("license") = "GPL";
