/* SPDX-License-Identifier: GPL-2.0 */
/* Reading BPF hash maps from user space: take all, count. */
#ifndef BTBPF_MAPS_H
#define BTBPF_MAPS_H

#include <stddef.h>

/*
 * Moves up to max entries out of the hash map fd into keys[] and vals[]
 * (arrays of key_sz and val_sz bytes each), deleting each one, so that a
 * histogram map starts the next interval at zero.  Entries the BPF side
 * adds meanwhile stay for the next call.  Returns the number taken.
 */
int map__drain(int fd, void *keys, size_t key_sz, void *vals, size_t val_sz, int max);

/* Number of entries in the map (keys of at most 64 bytes). */
int map__count(int fd);

#endif
