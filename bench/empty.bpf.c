// SPDX-License-Identifier: GPL-2.0
/* The floor of the per-event benchmark: programs that do nothing, attached
 * by emptyprobe to the same kernel functions as the tool being measured. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe")
int empty_entry(void *ctx) { return 0; }

SEC("kretprobe")
int empty_return(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
