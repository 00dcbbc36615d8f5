/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --cgroup PATH: only the processes of one cgroup v2 subtree, the
 * libbpf-tools way: the directory's fd goes into the tool's
 * BPF_MAP_TYPE_CGROUP_ARRAY at index 0 and the BPF side asks
 * bpf_current_task_under_cgroup (bpf/btbpf.bpf.h, cgroup_wanted).
 */
#ifndef BTBPF_CGROUP_H
#define BTBPF_CGROUP_H

#include <argp.h>
#include <bpf/libbpf.h>

#define OPT_CGROUP 0x4347	/* long option only */
#define CLI_OPTION_CGROUP { "cgroup", OPT_CGROUP, "PATH", 0, \
	"Only processes in this cgroup v2 directory and below", 0 }

/* The open cgroup directory, -1 without --cgroup. */
extern int cgroup_fd;

/* Parses --cgroup.  A path that is missing or not a cgroup v2 directory:
 * one line on stderr, exit 1 (before anything runs). */
error_t cgroup__parse_arg(int key, char *arg, struct argp_state *state);

/* After the load: the cgroup into map (index 0).  Returns 0, or -1 after
 * one line on stderr.  Nothing to do without --cgroup. */
int cgroup__apply(struct bpf_map *map);

#endif
