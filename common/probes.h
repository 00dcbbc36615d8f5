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

/* Registers our fentry/fexit section handlers with libbpf (see probes.c)
 * and reads BTBPF_ATTACH (kprobe or fentry forces that way, unset or empty:
 * per function).  Before the first skeleton is opened.  Any other value is
 * an error: one line, return -1. */
int probes__init(void);

/*
 * One traced kernel function.  A tool fills in the first four fields; the
 * programs are found in the BPF object by name: <func>_fentry,
 * <func>_fexit, <func>_kprobe, <func>_kretprobe, each of which may be
 * missing (an fexit alone serves the BTF side, a kprobe alone the other).
 */
struct probe {
	const char *func;
	bool wanted;		/* the run needs it (else nothing is loaded) */
	bool optional;		/* may be absent (module not loaded, older kernel) */
	const char *home;	/* its module if not the tool's; "vmlinux": the image */
	/* filled in by probes__select */
	struct bpf_program *fentry, *fexit, *kprobe, *kretprobe;
	bool enabled;
	bool use_fentry;
	const char *module;	/* where it was found; "" for vmlinux */
};

/*
 * For each wanted function: find it in its home's BTF (p->home, else
 * module, the tool's; /proc/kallsyms only for a needed one BTF lacks),
 * then pick fentry when the BTF has it, else kprobe, and turn autoload off
 * for every program of obj not chosen.  Must run between open and load;
 * may run again (btacklat chooses twice).  A wanted, non-optional function
 * that is missing, or present only as a compiler clone (foo.isra.0), is an
 * error: one line naming it, return -1.
 */
int probes__select(struct bpf_object *obj, const char *module, struct probe *p, int n);

/* The fentry/fexit target probes__select chose for prog: the function,
 * its BTF id and the fd of the kernel BTF object that holds it (0:
 * vmlinux; the fd stays probes'); -ENOENT when there is none. */
int probes__btf_target(const struct bpf_program *prog, const char **func, int *btf_id,
			int *btf_obj_fd);

/* The value of enumerator name among module's types (vmlinux's when the
 * module is built in): with the generated loader from a streaming scan
 * (kbtf.c), else from the kernel BTF probes__select uses too (one parse per
 * run); -1 when absent. */
int probes__enum_value(const char *module, const char *name);

/* Frees the kernel BTF parsed for the lookups (tool__load_attach does,
 * before libbpf parses its own). */
void probes__release_btf(void);

/* Number of enabled probes, of those traced by kprobe; mode_name gives
 * "fentry"/"kprobe"/"mixed". */
int probes__count_enabled(const struct probe *p, int n);
int probes__count_kprobes(const struct probe *p, int n);
const char *probes__mode_name(const struct probe *p, int n);

#endif
