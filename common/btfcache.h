/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmlinux's BTF answered, kept across runs.  A lookup in vmlinux's
 * 4 MB of BTF walks all of its ~100k types (40-70 ms under emulation, each
 * run), and fentry mode needs that walk for the type count alone (a
 * module's type ids follow vmlinux's).  The answers depend only on the
 * running kernel, so they are kept in one small text file,
 * /var/cache/btbpf-tools/vmlinux-btf (/run/btbpf-tools when /var/cache is
 * not writable, then, for a user who is not root, ~/.cache/btbpf-tools;
 * BTBPF_CACHE_DIR names another folder, and empty turns the cache off), keyed by the kernel's build id (/sys/kernel/notes) and the
 * sizes of its BTF sections, and ending in a checksum.  A file for another
 * kernel, a corrupt or foreign one, or one that others could have written
 * is never used: one line says why, and it is written anew.  A folder that
 * cannot be written costs the walk, with one line, never the lookup.
 */
#ifndef BTBPF_BTFCACHE_H
#define BTBPF_BTFCACHE_H

#include <stdbool.h>
#include <linux/btf.h>
#include "kbtf.h"

/* vmlinux's type count, when the cache for this kernel (vh: the header of
 * its BTF) has it. */
bool btfcache__types(const struct btf_header *vh, __u32 *count);
void btfcache__set_types(__u32 count);

/* Answers every query from the cache and returns true, or returns false
 * with q[] untouched when one of them is not in it.  A FUNC's id is the
 * kernel's (0 when no_id). */
bool btfcache__answer(const struct btf_header *vh, struct kbtf_query *q, int n);

/* Keeps q[]'s answers from a walk of vmlinux (FUNC ids given even for
 * no_id queries), found or not. */
void btfcache__record(const struct kbtf_query *q, int n);

/* Writes the file when something new was kept (a no-op otherwise). */
void btfcache__save(void);

/* For tests and -v: how this process used the cache. */
struct btfcache_stats {
	int hits;		/* lookups answered from it */
	int saves;		/* files written */
	const char *path;	/* the file read or written last, or NULL */
};
struct btfcache_stats btfcache__stats(void);

/* Forgets what was loaded (tests: the next call reads the file again). */
void btfcache__reset(void);

#endif
