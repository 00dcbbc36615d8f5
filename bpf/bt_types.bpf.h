/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal kernel type definitions for CO-RE.
 *
 * Why not a vmlinux.h: bcc's committed vmlinux headers are generated with
 * CONFIG_BT unset, the build host's kernel may have no Bluetooth at all, and
 * the build must not read the running kernel.  So each structure below names
 * only the fields we read; preserve_access_index makes libbpf relocate every
 * access by field name against the target's BTF (vmlinux, or the module BTF
 * of bluetooth.ko, rfcomm.ko, btusb.ko), so the local layout and the
 * missing members do not matter.
 *
 * Checked against: Debian 6.1.192 (module BTF of bluetooth.ko and rfcomm.ko,
 * dumped with bpftool) and the 7.1 sources.  Fields that differ between
 * kernels are read through core_fixes.bpf.h, which names the kernel
 * version of each difference.
 */
#ifndef BT_TYPES_BPF_H
#define BT_TYPES_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/bpf.h>

/* bpf_tracing.h takes the kernel's pt_regs names (di, si, ...) when it
 * believes a vmlinux.h is present; give it exactly that. */
#define __VMLINUX_H__ 1

#define __pai __attribute__((preserve_access_index))

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __pai;

/* include/linux/sched.h: PF_KTHREAD has been 0x00200000 since 2.6. */
#define PF_KTHREAD 0x00200000
struct task_struct {
	unsigned int flags;
	int pid;
	int tgid;
} __pai;

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

struct sock_common {
	unsigned short skc_family;
} __pai;

struct sock {
	struct sock_common __sk_common;
	refcount_t sk_wmem_alloc;
	int sk_sndbuf;
	unsigned short sk_type;
	unsigned short sk_protocol;	/* plain u16 since 5.6, was a bitfield */
} __pai;

struct socket {
	struct sock *sk;
} __pai;

struct msghdr {
	unsigned int msg_flags;
} __pai;

/* include/net/bluetooth/bluetooth.h: the address is stored little-endian. */
typedef struct {
	__u8 b[6];
} __attribute__((packed)) bdaddr_t;

struct hci_dev {
	__u16 id;
} __pai;

/* skb->cb is char[48] in every version; skb->dev shares an anonymous
 * union with dev_scratch (libbpf finds it by name). */
struct sk_buff {
	unsigned int len;
	unsigned char *data;
	void *dev;
	char cb[48];
} __pai;

struct l2cap_conn;

struct hci_conn {
	bdaddr_t dst;
	__u16 handle;
	__u8 type;
	unsigned int sent;
	struct hci_dev *hdev;
	struct l2cap_conn *l2cap_data;	/* void * in the kernel */
} __pai;

struct l2cap_conn {
	struct hci_conn *hcon;
	struct sk_buff *rx_skb;		/* the L2CAP frame being reassembled */
} __pai;

struct l2cap_chan {
	struct l2cap_conn *conn;
	bdaddr_t dst;
	__u16 psm;		/* __le16 on the wire; x86 is little-endian */
	__u16 dcid;
	__u16 scid;
	__u8 mode;
} __pai;

/* Protocol-private socket data: each begins with struct bt_sock, which
 * begins with struct sock, so the struct sock pointer is also theirs. */
struct l2cap_pinfo {
	struct l2cap_chan *chan;
} __pai;

struct sco_conn {
	struct hci_conn *hcon;
} __pai;

struct sco_pinfo {
	bdaddr_t dst;
	struct sco_conn *conn;
} __pai;

struct iso_conn {
	struct hci_conn *hcon;
} __pai;

struct iso_pinfo {
	bdaddr_t dst;
	struct iso_conn *conn;
} __pai;

struct hci_pinfo {
	struct hci_dev *hdev;
	unsigned short channel;
} __pai;

struct rfcomm_pinfo {		/* rfcomm.ko */
	bdaddr_t dst;
	__u8 channel;
} __pai;

#endif /* BT_TYPES_BPF_H */
