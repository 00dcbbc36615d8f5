/* SPDX-License-Identifier: GPL-2.0 */
/* The start-up steps every tool takes, in bcc's order. */
#ifndef BTBPF_TOOL_H
#define BTBPF_TOOL_H

#include <argp.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include "trace.h"

/*
 * Parses the command line with the tool's options plus the common ones
 * (common_argp; usage errors: one line, EXIT_USAGE), sets up
 * logging and signals, and runs the pre-flight checks for the kernel module
 * the tool traces (NULL: none).  Returns 0 to go on, else the exit status.
 */
int tool__begin(const char *tool, const struct argp *argp, int argc, char **argv,
		const char *module);

/* Opens a tool's skeleton: obj = tool__open(btwmem_bpf).  NULL, after one
 * line on stderr, when libbpf cannot. */
#define tool__open(skel) ({						\
	struct skel *o__ = skel##__open();				\
	if (!o__)							\
		warnx_tool("failed to open the BPF object: %s", strerror(errno)); \
	o__;								\
})

/* Loads and attaches a skeleton (after probes__select and the rodata
 * settings); prints one line and returns non-zero on failure. */
int tool__load_attach(struct bpf_object_skeleton *skel);

#endif
