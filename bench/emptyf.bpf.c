// SPDX-License-Identifier: GPL-2.0
/* The fentry floor of the start-up benchmark: an empty fentry and fexit
 * program for every function some tool hooks (bench/floors.sh), so that
 * bench/emptyf can load the ones a tool uses.  fentry programs name their
 * target at load time: one program per function, unlike empty.bpf.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define EMPTY_PAIR(fn)						\
SEC("fentry/" #fn) int fn##_fentry(void *ctx) { return 0; }	\
SEC("fexit/" #fn) int fn##_fexit(void *ctx) { return 0; }

EMPTY_PAIR(l2cap_sock_sendmsg)
EMPTY_PAIR(l2cap_sock_recvmsg)
EMPTY_PAIR(sco_sock_sendmsg)
EMPTY_PAIR(sco_sock_recvmsg)
EMPTY_PAIR(hci_sock_sendmsg)
EMPTY_PAIR(hci_sock_recvmsg)
EMPTY_PAIR(rfcomm_sock_sendmsg)
EMPTY_PAIR(rfcomm_sock_recvmsg)
EMPTY_PAIR(iso_sock_sendmsg)
EMPTY_PAIR(iso_sock_recvmsg)
EMPTY_PAIR(sock_alloc_send_pskb)
EMPTY_PAIR(hci_tx_work)
EMPTY_PAIR(hci_num_comp_pkts_evt)
EMPTY_PAIR(hci_conn_del)
EMPTY_PAIR(hci_send_frame)
EMPTY_PAIR(hci_send_acl)
EMPTY_PAIR(hci_send_iso)
EMPTY_PAIR(hci_send_sco)
EMPTY_PAIR(btusb_send_frame)
EMPTY_PAIR(btusb_send_frame_intel)
EMPTY_PAIR(btusb_send_frame_mtk)
EMPTY_PAIR(btusb_tx_complete)
EMPTY_PAIR(btusb_isoc_tx_complete)

char LICENSE[] SEC("license") = "GPL";
