/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading through a generated loader program (libbpf's gen_loader, as light
 * skeletons do) instead of bpf_object__load: libbpf then never parses the
 * kernel's BTF.  CO-RE relocations (module types too) and the fentry/fexit
 * targets are resolved by the kernel while the loader runs.
 */
#ifndef BTBPF_LOADER_H
#define BTBPF_LOADER_H

#include <stdbool.h>
#include <bpf/libbpf.h>

/* true on 5.17+ kernels unless BTBPF_LOADER=libbpf (the classic
 * bpf_object__load path, also taken on older kernels). */
bool loader__enabled(void);

/*
 * Loads the skeleton's object (programs with autoload on only) with a
 * generated loader, then: map fds into the bpf_map objects (bpf_map__fd
 * works), .bss/.data/.rodata mapped where the skeleton's pointers are,
 * and each loaded program attached by its section: fentry/fexit by
 * raw_tracepoint_open, kprobe/kretprobe by a perf link on the kprobe PMU.
 * The links live until the process exits.  Prints one line and returns
 * non-zero on failure.
 */
int loader__load_attach(struct bpf_object_skeleton *skel);

#endif
