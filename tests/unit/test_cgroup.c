// SPDX-License-Identifier: GPL-2.0
/* -G's id -> path: the cgroup2 mount's root and each of its child
 * directories resolve to their own paths; an unknown id to its number. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "unit.h"

/* the test's own view of a directory's cgroup id */
static int id_of(const char *path, __u64 *id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 8];
	} h;
	int mnt;

	h.fh.handle_bytes = 8;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		return -1;
	memcpy(id, h.fh.f_handle, 8);
	return 0;
}

static int mount_of_cgroup2(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2") && !found) {
			snprintf(buf, len, "%s", m->mnt_dir);
			found = 1;
		}
	if (f)
		endmntent(f);
	return found;
}

int main(void)
{
	char mnt[4096], path[8192], want[4096], b[24];
	struct dirent *d;
	__u64 id;
	DIR *dir;
	int children = 0;

	cgroup__paths_refresh();
	CHECK_STR(cgroup__path(0xfffffffffff0ULL, b), "281474976710640");
	if (!mount_of_cgroup2(mnt, sizeof(mnt)) || id_of(mnt, &id)) {
		printf("test_cgroup: no cgroup2 mount here: only the number checked\n");
		return unit_done("test_cgroup");
	}
	CHECK_STR(cgroup__path(id, b), "/");
	dir = opendir(mnt);
	while (dir && (d = readdir(dir)) && children < 5) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", mnt, d->d_name);
		if (d->d_name[0] == '.' || stat(path, &st) || !S_ISDIR(st.st_mode) || id_of(path, &id))
			continue;
		snprintf(want, sizeof(want), "/%s", d->d_name);
		CHECK_STR(cgroup__path(id, b), want);
		children++;
	}
	if (dir)
		closedir(dir);
	return unit_done("test_cgroup");
}
