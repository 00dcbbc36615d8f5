/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btusb's send and URB-completion hooks, shared by bturblat and btpktlat.
 *
 * hdev->send is btusb_send_frame, or on Intel btusb_send_frame_intel, or
 * on MediaTek (6.13+) btusb_send_frame_mtk, which hands every type but ISO
 * on to btusb_send_frame: a tool stamps only ISO there (iso_only), the
 * inner call the rest.  Every btusb TX URB carries its skb in urb->context
 * (alloc_ctrl_urb, alloc_bulk_urb, alloc_isoc_urb, and the MediaTek
 * alloc_mtk_intr_urb of 6.13+), so a stamp keyed by the skb pointer at the
 * send is found again at btusb_tx_complete / btusb_isoc_tx_complete, which
 * free the skb only after we ran (checked against btusb.c of 6.1-rc7 and
 * 7.1.3).
 *
 * The including object defines, before the probes macro:
 *	int on_send(struct hci_dev *hdev, struct sk_buff *skb, bool iso_only);
 *	int on_send_ret(int ret);
 *	int on_complete(struct urb___btusb *urb);
 */
#ifndef BTBPF_BTUSB_BPF_H
#define BTBPF_BTUSB_BPF_H

#include "btbpf.bpf.h"

/* urb->status and ->context: unchanged since 2.6. */
struct urb___btusb {
	int status;
	void *context;		/* the skb, for every btusb TX URB */
} __pai;

static __always_inline struct sk_buff *urb_skb(struct urb___btusb *urb)
{
	return BPF_CORE_READ(urb, context);
}

/* fentry/fexit and kprobe/kretprobe for each hdev->send implementation;
 * fexit sees the return value after the two arguments. */
#define BTUSB_SEND_PROBES(fn, iso_only)						\
SEC("fentry/" #fn)								\
int BPF_PROG(fn##_fentry, struct hci_dev *hdev, struct sk_buff *skb)		\
{ return on_send(hdev, skb, iso_only); }					\
SEC("fexit/" #fn)								\
int BPF_PROG(fn##_fexit, struct hci_dev *hdev, struct sk_buff *skb, int ret)	\
{ return on_send_ret(ret); }							\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(fn##_kprobe, struct hci_dev *hdev, struct sk_buff *skb)		\
{ return on_send(hdev, skb, iso_only); }					\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(fn##_kretprobe, int ret)					\
{ return on_send_ret(ret); }

#define BTUSB_COMPLETE_PROBES(fn)						\
SEC("fentry/" #fn)								\
int BPF_PROG(fn##_fentry, struct urb___btusb *urb)				\
{ return on_complete(urb); }							\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(fn##_kprobe, struct urb___btusb *urb)				\
{ return on_complete(urb); }

/* Every send and completion function; user space enables the ones the
 * kernel has (the _intel and _mtk variants, and isoc, are optional). */
#define BTUSB_PROBES							\
BTUSB_SEND_PROBES(btusb_send_frame, false)				\
BTUSB_SEND_PROBES(btusb_send_frame_intel, false)			\
BTUSB_SEND_PROBES(btusb_send_frame_mtk, true)				\
BTUSB_COMPLETE_PROBES(btusb_tx_complete)				\
BTUSB_COMPLETE_PROBES(btusb_isoc_tx_complete)

#endif /* BTBPF_BTUSB_BPF_H */
