/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --cgroup PATH, the libbpf-tools way: user space (common/cgroup.c) puts the
 * cgroup's fd at index 0 of cgroup_map and sets targ_cgroup.  Included only
 * by the tools whose hooks run in the sending or receiving process's
 * context (btsnoop-sock, btwmem): in softirq or workqueue context the
 * current task's cgroup says nothing about the packet.
 */
#ifndef BTBPF_CGROUP_BPF_H
#define BTBPF_CGROUP_BPF_H

#include "btbpf.bpf.h"

const volatile bool targ_cgroup = false;	/* --cgroup */
const volatile bool targ_per_cgroup = false;	/* -G */

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_map SEC(".maps");

/* The current task is in that cgroup or below it (or no --cgroup).
 * Before user space fills the map the helper fails: nothing passes. */
static __always_inline bool cgroup_wanted(void)
{
	return !targ_cgroup || bpf_current_task_under_cgroup(&cgroup_map, 0) == 1;
}

/* -G: the key's cgroup, the current task's cgroup v2 id (the same id user
 * space gets from name_to_handle_at on the directory, common/cgroup.c);
 * 0 without -G. */
static __always_inline __u64 cgroup_key(void)
{
	return targ_per_cgroup ? bpf_get_current_cgroup_id() : 0;
}

#endif
