// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mntent.h>
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

/* ---- -G/--per-cgroup: id -> path ---- */

struct cg_path {
	__u64 id;
	char *path;	/* relative to the mount, "/" for the root */
};

static struct {
	struct cg_path *e;
	int n, cap;
	size_t mnt_len;	/* strlen of the mount point, during a walk */
} paths;

/* The first cgroup2 mount (where systemd and the kernel docs put it,
 * /sys/fs/cgroup, unless the system says otherwise). */
static void cgroup2_mount(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;

	snprintf(buf, len, "/sys/fs/cgroup");
	if (!f)
		return;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			break;
		}
	endmntent(f);
}

/* A cgroup directory's id: the kernfs node id is its file handle. */
static int dir_cgroup_id(const char *path, __u64 *id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(__u64)];
	} h;
	int mnt_id;

	h.fh.handle_bytes = sizeof(__u64);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) ||
	    h.fh.handle_bytes != sizeof(__u64))
		return -1;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

static int add_path(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *rel = fpath + paths.mnt_len;
	__u64 id;

	(void)sb;
	(void)ftw;
	if (type != FTW_D || dir_cgroup_id(fpath, &id))
		return 0;	/* a file, or a directory we may not read */
	if (paths.n == paths.cap) {
		int cap = paths.cap ? 2 * paths.cap : 64;
		struct cg_path *e = realloc(paths.e, cap * sizeof(*e));

		if (!e)
			return 1;	/* stop: the rest prints as numbers */
		paths.e = e;
		paths.cap = cap;
	}
	paths.e[paths.n].id = id;
	paths.e[paths.n].path = strdup(*rel ? rel : "/");
	if (paths.e[paths.n].path)
		paths.n++;
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	__u64 x = ((const struct cg_path *)a)->id, y = ((const struct cg_path *)b)->id;

	return x < y ? -1 : x > y;
}

void cgroup__paths_refresh(void)
{
	char mnt[4096];
	int i;

	for (i = 0; i < paths.n; i++)
		free(paths.e[i].path);
	paths.n = 0;
	cgroup2_mount(mnt, sizeof(mnt));
	paths.mnt_len = strlen(mnt);
	/* FTW_MOUNT: a cgroup v1 hierarchy mounted inside is not ours */
	nftw(mnt, add_path, 16, FTW_PHYS | FTW_MOUNT);
	qsort(paths.e, paths.n, sizeof(paths.e[0]), path_cmp);
}

const char *cgroup__path(__u64 id, char buf[24])
{
	struct cg_path k = { .id = id }, *e;

	e = paths.n ? bsearch(&k, paths.e, paths.n, sizeof(k), path_cmp) : NULL;
	if (e)
		return e->path;
	snprintf(buf, 24, "%llu", (unsigned long long)id);
	return buf;
}
