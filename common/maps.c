// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <bpf/bpf.h>
#include "maps.h"

int map__drain(int fd, void *keys, size_t key_sz, void *vals, size_t val_sz, int max)
{
	char *k = keys, *v = vals;
	int nkeys = 0, n = 0, i;

	/* collect the keys first: deleting while walking restarts the walk */
	while (nkeys < max &&
	       !bpf_map_get_next_key(fd, nkeys ? k + (nkeys - 1) * key_sz : NULL,
				     k + nkeys * key_sz))
		nkeys++;
	for (i = 0; i < nkeys; i++) {
		char *ki = k + i * key_sz, *vn = v + n * val_sz;

		/* lookup_and_delete on hash maps needs 5.14; fall back */
		if (bpf_map_lookup_and_delete_elem(fd, ki, vn) &&
		    (bpf_map_lookup_elem(fd, ki, vn) || bpf_map_delete_elem(fd, ki)))
			continue;
		if (n != i)
			memmove(k + n * key_sz, ki, key_sz);
		n++;
	}
	return n;
}

int map__count(int fd)
{
	char key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}
