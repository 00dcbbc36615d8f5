// SPDX-License-Identifier: GPL-2.0
/*
 * common/kbtf.c (streaming lookups in /sys/kernel/btf) against libbpf's
 * parsed BTF of the same kernel: a sample of every FUNC and enumerator
 * must be found with the same value (a FUNC: its type id), names that are no FUNC (a struct, an
 * enumerator looked up as a FUNC) or not there at all must not; a FUNC
 * asked for presence only (no_id) is found with id 0.  Needs a
 * readable /sys/kernel/btf/vmlinux (no root); without one, one skip line.
 */
#include <stdlib.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "kbtf.h"
#include "unit.h"

#define MAXQ 512

int main(void)
{
	static struct kbtf_query q[MAXQ];
	static long long want[MAXQ];
	static bool want_found[MAXQ];
	static unsigned int want_id[MAXQ];
	struct btf *btf;
	int i, j, n = 0, nfunc = 0, nenum = 0, cnt;

	setenv("BTBPF_CACHE_DIR", "", 1);	/* the walk itself (test_btfcache: the cache) */
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("kbtf: 0 passed, 0 failed (skipped: no /sys/kernel/btf/vmlinux)\n");
		return 0;
	}
	btf = btf__load_vmlinux_btf();
	CHECK(btf != NULL);
	if (!btf)
		return unit_done("kbtf");
	cnt = btf__type_cnt(btf);
	for (i = 1; i < cnt && n < MAXQ - 8; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = btf__name_by_offset(btf, t->name_off);

		if (btf_is_func(t) && nfunc++ % 211 == 0) {
			q[n] = (struct kbtf_query){ .name = name, .kind = KBTF_FUNC };
			want_id[n] = i;
			want_found[n++] = true;
		} else if (btf_is_enum(t) && btf_vlen(t) && nenum++ % 23 == 0) {
			const struct btf_enum *e = btf_enum(t) + btf_vlen(t) - 1;
			const char *en = btf__name_by_offset(btf, e->name_off);
			int id = btf__find_by_name_kind(btf, en, BTF_KIND_ENUM);

			/* an enumerator's name is unique in C, but check it is
			 * the first one kbtf will meet: no earlier enum has it */
			for (j = 1; j < i && id != 0; j++) {
				const struct btf_type *u = btf__type_by_id(btf, j);
				int k;

				if (!btf_is_enum(u))
					continue;
				for (k = 0; k < btf_vlen(u); k++)
					if (!strcmp(btf__name_by_offset(btf, btf_enum(u)[k].name_off), en))
						id = 0;
			}
			if (!id)
				continue;
			q[n] = (struct kbtf_query){ .name = en, .kind = KBTF_ENUM_VAL };
			want[n] = e->val;	/* __s32, as kbtf reads it */
			want_found[n++] = true;
		}
	}
	/* not FUNCs, not there */
	q[n++] = (struct kbtf_query){ .name = "task_struct", .kind = KBTF_FUNC };
	q[n++] = (struct kbtf_query){ .name = "no_such_function_btbpf", .kind = KBTF_FUNC };
	q[n++] = (struct kbtf_query){ .name = "NO_SUCH_ENUMERATOR_BTBPF", .kind = KBTF_ENUM_VAL };
	CHECK(nfunc > 1000);
	CHECK(kbtf__lookup("vmlinux", q, n) == 0);
	for (i = 0; i < n; i++) {
		if (q[i].found != want_found[i])
			fprintf(stderr, "FAIL: %s found %d, want %d\n", q[i].name, q[i].found,
				want_found[i]);
		CHECK(q[i].found == want_found[i]);
		if (q[i].kind == KBTF_FUNC && want_found[i]) {
			if (q[i].id != want_id[i])
				fprintf(stderr, "FAIL: %s id %u, want %u\n", q[i].name, q[i].id,
					want_id[i]);
			CHECK(q[i].id == want_id[i]);
		}
		if (q[i].kind == KBTF_ENUM_VAL && want_found[i]) {
			if (q[i].value != want[i])
				fprintf(stderr, "FAIL: %s = %lld, want %lld\n", q[i].name,
					q[i].value, want[i]);
			CHECK(q[i].value == want[i]);
		}
	}
	/* presence only: found, no id */
	q[0].no_id = true;
	CHECK(kbtf__lookup("vmlinux", q, 1) == 0);
	CHECK(q[0].found && q[0].id == 0);
	CHECK(kbtf__lookup("no_such_module_btbpf", q, 1) < 0);
	CHECK(!q[0].found);
	btf__free(btf);
	return unit_done("kbtf");
}
