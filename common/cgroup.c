// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>
#include "cgroup.h"
#include "trace.h"

int cgroup_fd = -1;

static void refuse(struct argp_state *state, const char *path, const char *why)
{
	fprintf(stderr, "%s: --cgroup: '%s': %s\n", state->name, path, why);
	exit(1);
}

error_t cgroup__parse_arg(int key, char *arg, struct argp_state *state)
{
	struct statfs fs;

	if (key != OPT_CGROUP)
		return ARGP_ERR_UNKNOWN;
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	cgroup_fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		refuse(state, arg, strerror(errno));
	/* a cgroup v1 hierarchy or any other directory cannot be matched */
	if (fstatfs(cgroup_fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		refuse(state, arg, "not a cgroup v2 directory");
	return 0;
}

int cgroup__apply(struct bpf_map *map)
{
	__u32 zero = 0;

	if (cgroup_fd < 0)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(map), &zero, &cgroup_fd, BPF_ANY)) {
		warnx_tool("cannot set the cgroup filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}
