// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps.h"

int map__drain(int fd, void *rows, size_t row_sz, size_t key_off, size_t key_sz,
	       size_t val_off, int max)
{
	char *r = rows;
	int nkeys = 0, n = 0, i;

#define ROW(i) (r + (size_t)(i) * row_sz)
	/* collect the keys first: deleting while walking restarts the walk */
	while (nkeys < max &&
	       !bpf_map_get_next_key(fd, nkeys ? ROW(nkeys - 1) + key_off : NULL,
				     ROW(nkeys) + key_off))
		nkeys++;
	for (i = 0; i < nkeys; i++) {
		char *key = ROW(n) + key_off, *val = ROW(n) + val_off;

		if (n != i)
			memmove(key, ROW(i) + key_off, key_sz);
		/* lookup_and_delete on hash maps needs 5.14; fall back */
		if (bpf_map_lookup_and_delete_elem(fd, key, val) &&
		    (bpf_map_lookup_elem(fd, key, val) || bpf_map_delete_elem(fd, key)))
			continue;
		n++;
	}
#undef ROW
	return n;
}

int map__count(const struct bpf_map *map)
{
	__u32 key_size = bpf_map__key_size(map);
	int fd = bpf_map__fd(map), n = 0;
	char *key = calloc(2, key_size), *next;
	void *prev = NULL;

	if (!key)
		return -1;
	next = key + key_size;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	free(key);
	return n;
}

void map__unused(struct bpf_map *map)
{
	bpf_map__set_max_entries(map, 1);
}
