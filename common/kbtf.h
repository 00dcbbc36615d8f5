/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Name lookups in the kernel's BTF without parsing it: the file under
 * /sys/kernel/btf is read in small chunks and walked once, so a lookup
 * costs a 64 KiB buffer instead of libbpf's parsed copy of vmlinux's
 * 4 MB BTF.  A module's split BTF is walked alone (its names that live
 * in vmlinux's string section are looked for there, in chunks too).
 */
#ifndef BTBPF_KBTF_H
#define BTBPF_KBTF_H

#include <stdbool.h>

enum kbtf_kind { KBTF_FUNC, KBTF_ENUM_VAL };

struct kbtf_query {
	const char *name;
	enum kbtf_kind kind;
	bool no_id;		/* KBTF_FUNC: presence only, id stays 0 (a
				 * module's lookup then skips the walk of
				 * vmlinux's types that its ids need) */
	/* results */
	bool found;
	long long value;	/* KBTF_ENUM_VAL: the enumerator's value */
	unsigned int id;	/* KBTF_FUNC: its type id, as the kernel numbers
				 * it (a module's ids follow vmlinux's) */
};

/*
 * Looks up every query in the BTF of btf_name ("vmlinux" or a loaded
 * module's name): FUNC types by name, enumerators of ENUM/ENUM64 types by
 * name (the first one found).  A module's FUNC ids need vmlinux's type
 * count: its type section is walked once per process for that (headers
 * only, no names), unless a lookup of vmlinux itself has walked it
 * already (look vmlinux up first when both are needed) or the cache has
 * it.  vmlinux's answers and count are kept across runs (btfcache.h).
 * Returns 0, or -errno when the BTF cannot be read or is malformed (then
 * nothing is marked found).
 */
int kbtf__lookup(const char *btf_name, struct kbtf_query *q, int n);

#endif
