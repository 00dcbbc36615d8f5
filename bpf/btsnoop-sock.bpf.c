// SPDX-License-Identifier: GPL-2.0
/*
 * btsnoop-sock: every sendmsg/recvmsg on Bluetooth sockets.
 *
 * The hooks are the protocols' proto_ops handlers (l2cap_sock_sendmsg, ...):
 * static functions reached only through the ops table, so never inlined, and
 * their signatures are the generic proto_ops ones on every kernel since 5.x.
 * Each handler gets an fentry/fexit pair and a kprobe/kretprobe pair; user
 * space loads one of the two per function (fentry when the kernel allows).
 */
#include "btbpf.bpf.h"
#include "cgroup.bpf.h"
#include "events.bpf.h"
#include "btsnoop-sock.h"

const volatile __u32 targ_tgid = 0;	/* 0: every process */
const volatile bool targ_failed = false;	/* only calls that returned an error */
const volatile bool targ_count = false;	/* aggregate instead of streaming */

struct start {
	__u64 ts;
	struct socket *sock;
	__u64 len;
};

/* entry state per thread: a thread is in at most one socket call */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SNOOP_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SNOOP_MAX_COUNTS);
	__type(key, struct count_key);
	__type(value, struct count_val);
} counts SEC(".maps");

__u64 count_overflow = 0;	/* count keys dropped because the map was full */

static __always_inline int on_entry(struct socket *sock, __u64 len)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct start s = {};

	/* sendmsg/recvmsg run in the caller's context: its cgroup is the
	 * sender's or receiver's */
	if (!tgid_wanted(targ_tgid, id) || !cgroup_wanted())
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.sock = sock;
	s.len = len;
	bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline void read_hcon(struct sock_event *e, struct hci_conn *hcon)
{
	if (!hcon)
		return;
	e->handle = BPF_CORE_READ(hcon, handle);
	e->flags |= EV_HAS_HANDLE;
}

/* Peer address, PSM/CID, connection handle: where the protocol has them. */
static __always_inline void read_peer(struct sock_event *e, struct sock *sk, __u8 proto)
{
	struct l2cap_chan *chan;
	struct hci_dev *hdev;

	if (sock_peer(sk, proto, e->peer))
		e->flags |= EV_HAS_PEER;
	switch (proto) {
	case BTPROTO_L2CAP:
		chan = BPF_CORE_READ((struct l2cap_pinfo *)sk, chan);
		if (!chan)
			return;
		e->psm = BPF_CORE_READ(chan, psm);
		e->cid = BPF_CORE_READ(chan, dcid);
		read_hcon(e, BPF_CORE_READ(chan, conn, hcon));
		break;
	case BTPROTO_SCO:
		read_hcon(e, BPF_CORE_READ((struct sco_pinfo *)sk, conn, hcon));
		break;
	case BTPROTO_ISO:
		read_hcon(e, BPF_CORE_READ((struct iso_pinfo *)sk, conn, hcon));
		break;
	case BTPROTO_RFCOMM:
		e->cid = BPF_CORE_READ((struct rfcomm_pinfo *)sk, channel);
		break;
	case BTPROTO_HCI:
		hdev = BPF_CORE_READ((struct hci_pinfo *)sk, hdev);
		if (hdev) {
			e->dev = BPF_CORE_READ(hdev, id);
			e->flags |= EV_HAS_DEV;
		}
		break;
	}
}

static __always_inline void count_call(__u32 pid, __u8 proto, __u8 dir, __s64 ret, bool kthread)
{
	struct count_key key = {};
	struct count_val *val, zero = {};

	key.cgroup = cgroup_key();
	if (!targ_per_cgroup) {
		key.pid = pid;
		key.kthread = kthread;
	}
	key.proto = proto;
	key.dir = dir;
	key.err = ret < 0 ? (__u16)-ret : 0;
	bpf_get_current_comm(&zero.comm, sizeof(zero.comm));
	val = map_lookup_or_init(&counts, &key, &zero);
	if (!val) {
		counter_add(&count_overflow, 1);
		return;
	}
	counter_add(&val->calls, 1);
	counter_add(&val->bytes, ret > 0 ? ret : 0);
}

static __always_inline int on_exit(__u8 proto, __u8 dir, __s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sock_event *e;
	struct start *s;
	struct socket *sock;
	struct sock *sk;
	bool kthread;

	s = bpf_map_lookup_elem(&starts, &tid);
	if (!s)
		return 0;	/* entered before we attached, or filtered */
	if (targ_failed && ret >= 0)
		goto out;

	kthread = current_is_kthread();
	if (targ_count) {
		count_call(id >> 32, proto, dir, ret, kthread);
		goto out;
	}

	e = event_reserve(sizeof(*e));
	if (!e)
		goto out;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->lat_ns = e->ts_ns - s->ts;
	e->ret = ret;
	e->len = s->len;
	e->pid = id >> 32;
	e->tid = tid;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	e->proto = proto;
	e->dir = dir;
	if (kthread)
		e->flags |= EV_KTHREAD;
	sock = s->sock;		/* our map value: a plain load, no CO-RE */
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		read_peer(e, sk, proto);
	event_submit(e);
out:
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

/*
 * Four programs per handler.  fexit sees the return value after the
 * function's arguments: ctx[3] for sendmsg(sock, msg, len), ctx[4] for
 * recvmsg(sock, msg, len, flags).
 */
#define SOCK_PROBES(fn, proto, dir, nargs)					\
SEC("fentry/" #fn)								\
int BPF_PROG(fn##_fentry, struct socket *sock, struct msghdr *msg, size_t len)	\
{ return on_entry(sock, len); }							\
SEC("fexit/" #fn)								\
int fn##_fexit(unsigned long long *ctx)						\
{ return on_exit(proto, dir, (int)ctx[nargs]); }				\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(fn##_kprobe, struct socket *sock, struct msghdr *msg, size_t len)\
{ return on_entry(sock, len); }							\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(fn##_kretprobe, int ret)					\
{ return on_exit(proto, dir, ret); }

SOCK_PROBES(l2cap_sock_sendmsg, BTPROTO_L2CAP, DIR_SEND, 3)
SOCK_PROBES(l2cap_sock_recvmsg, BTPROTO_L2CAP, DIR_RECV, 4)
SOCK_PROBES(sco_sock_sendmsg, BTPROTO_SCO, DIR_SEND, 3)
SOCK_PROBES(sco_sock_recvmsg, BTPROTO_SCO, DIR_RECV, 4)
SOCK_PROBES(hci_sock_sendmsg, BTPROTO_HCI, DIR_SEND, 3)
SOCK_PROBES(hci_sock_recvmsg, BTPROTO_HCI, DIR_RECV, 4)
SOCK_PROBES(rfcomm_sock_sendmsg, BTPROTO_RFCOMM, DIR_SEND, 3)
SOCK_PROBES(rfcomm_sock_recvmsg, BTPROTO_RFCOMM, DIR_RECV, 4)
SOCK_PROBES(iso_sock_sendmsg, BTPROTO_ISO, DIR_SEND, 3)
SOCK_PROBES(iso_sock_recvmsg, BTPROTO_ISO, DIR_RECV, 4)

char LICENSE[] SEC("license") = "GPL";
