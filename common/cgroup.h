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
#include <linux/types.h>

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

/*
 * -G/--per-cgroup: counts keyed by the cgroup v2 id of the current task
 * (bpf_get_current_cgroup_id, bpf/cgroup.bpf.h), shown as the cgroup's
 * path relative to the cgroup2 mount ("/" is the root, as in
 * /proc/PID/cgroup).  The id is the cgroup directory's kernfs node id,
 * which name_to_handle_at returns as its file handle; ids are never
 * reused, so a path found for an id is that cgroup's.
 */
#define CLI_OPTION_PER_CGROUP { "per-cgroup", 'G', NULL, 0, \
	"Key the counts by the cgroup v2 of the sending/receiving process (path column, cgroup label)", 0 }

/* Walks the cgroup2 mount once, filling the id -> path table that
 * cgroup__path answers from.  Called once per print: a cgroup made since
 * the last walk is found, one removed since is not. */
void cgroup__paths_refresh(void);

/* The path of cgroup id, or, when the last walk did not see it (removed,
 * or outside our cgroup namespace's mount), the id as a number.  buf
 * holds the answer when it is a number. */
const char *cgroup__path(__u64 id, char buf[24]);

#endif
