/* SPDX-License-Identifier: GPL-2.0 */
/* BPF hash maps from user space: take all, count; shrink an unused one. */
#ifndef BTBPF_MAPS_H
#define BTBPF_MAPS_H

#include <stddef.h>

struct bpf_map;

/*
 * Moves up to max entries out of the hash map fd into rows[], an array of
 * structs of row_sz bytes holding the key (key_sz bytes at key_off) and
 * the value (at val_off), deleting each one, so that a histogram map
 * starts the next interval at zero.  Entries the BPF side adds meanwhile
 * stay for the next call.  Returns the number of rows filled.
 */
int map__drain(int fd, void *rows, size_t row_sz, size_t key_off, size_t key_sz,
	       size_t val_off, int max);

/* map__drain into an array of structs with members `key` and `val`. */
#define map__drain_rows(fd, rows, max)						\
	map__drain(fd, rows, sizeof((rows)[0]),					\
		   offsetof(__typeof__((rows)[0]), key), sizeof((rows)[0].key),	\
		   offsetof(__typeof__((rows)[0]), val), max)

/* Number of entries in the map (keys of the map's own size); -1 when out
 * of memory. */
int map__count(const struct bpf_map *map);

/*
 * Before load: a hash map that no program of this run uses is made one
 * entry long, so that the kernel does not preallocate its elements (under
 * TCG, megabytes of them cost start-up time).  Not for LRU maps.
 */
void map__unused(struct bpf_map *map);

#endif
