/* SPDX-License-Identifier: GPL-2.0 */
/* Pre-flight checks and the per-function fentry/kprobe choice. */
#ifndef BTBPF_PROBES_H
#define BTBPF_PROBES_H

#include <stdbool.h>
#include <bpf/libbpf.h>

/*
 * Root (or CAP_BPF + CAP_PERFMON), kernel BTF, and the kernel module
 * (e.g. "bluetooth") loaded with its BTF.  Prints one line naming the cause
 * and returns -1 when something is missing; module may be NULL.
 */
int preflight__check(const char *module);

/* Registers our fentry/fexit section handlers with libbpf (see probes.c);
 * before the first skeleton is opened. */
void probes__init(void);

/* One traced kernel function and the programs that can hook it.  The
 * exit-side programs may be NULL. */
struct probe {
	const char *func;
	struct bpf_program *fentry, *fexit;
	struct bpf_program *kprobe, *kretprobe;
	bool wanted;		/* the run needs it (else nothing is loaded) */
	bool optional;		/* may be absent (module not loaded, older kernel) */
	const char *home;	/* its module if not the tool's; "vmlinux": the image */
	/* filled in by probes__select */
	bool enabled;
	bool use_fentry;
	char module[56];	/* "" for vmlinux */
};

/*
 * For each wanted function: find it in its module's BTF (the tool's module,
 * or p->home; /proc/kallsyms only for a needed one BTF lacks), then pick
 * fentry when the BTF has it, else kprobe,
 * and turn autoload off for every program not chosen.  Must run between
 * open and load.  BTBPF_ATTACH=kprobe or =fentry in the environment forces
 * one way (tests use it to cover both).  A wanted, non-optional function
 * that is missing, or present only as a compiler clone (foo.isra.0), is an
 * error: one line naming it, return -1.
 */
int probes__select(struct probe *p, int n);

/* The BTF that has a module's types (its own if loaded as a module,
 * vmlinux's if built in), NULL if the module is not there.  Shared with
 * probes__select; valid until probes__release_btf. */
struct btf *probes__btf_of(const char *module);

/* The value of enumerator name in a module's BTF (vmlinux's when built
 * in), read without parsing the BTF (kbtf.c); -1 when absent. */
int probes__enum_value(const char *module, const char *name, long long *value);

/* Frees the kernel BTF parsed for the lookups (tool__load_attach does,
 * before libbpf parses its own). */
void probes__release_btf(void);

/* Number of enabled probes; mode_name gives "fentry"/"kprobe"/"mixed". */
int probes__count_enabled(const struct probe *p, int n);
const char *probes__mode_name(const struct probe *p, int n);

#endif
