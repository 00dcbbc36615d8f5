// SPDX-License-Identifier: GPL-2.0
/*
 * emptyf: the fentry floor.  Loads empty fentry programs on the named
 * kernel functions (an fexit one too for a name ending in "+", an fexit
 * one alone for a name ending in "-") the way the tools load theirs in
 * fentry mode (probes__select, the generated loader, raw_tracepoint_open),
 * prints "Tracing N probes" and waits for SIGINT/SIGTERM.  A tool's fentry
 * start-up against it leaves out the mechanism's own cost: one verified
 * program and one trampoline per function, which the kprobe floor
 * (emptyprobe) does not pay.
 *   emptyf [-v] FUNC[+|-] ...	(-v: the start-up phases, as the tools' -v)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "emptyf.skel.h"
#include "probes.h"
#include "tool.h"

#define MAX_FUNCS 64

static volatile sig_atomic_t stop;
static void on_sig(int sig) { stop = 1; }

/* where each function lives when it is not in bluetooth.ko */
static const char *home_of(const char *func)
{
	if (!strncmp(func, "rfcomm_", 7))
		return "rfcomm";
	if (!strncmp(func, "btusb_", 6))
		return "btusb";
	if (!strcmp(func, "sock_alloc_send_pskb"))
		return "vmlinux";
	return NULL;
}

/* which of a function's two empty programs load */
struct pair {
	bool entry, exit;
};

/* argv's FUNC[+|-] into probes and pairs */
static int parse_funcs(int argc, char **argv, struct probe *p, struct pair *pair)
{
	int i, n = 0;

	for (i = 1; i < argc && n < MAX_FUNCS; i++, n++) {
		size_t len = strlen(argv[i]);
		char last = len ? argv[i][len - 1] : 0;

		pair[n] = (struct pair){ .entry = last != '-', .exit = last == '+' || last == '-' };
		if (last == '+' || last == '-')
			argv[i][len - 1] = '\0';
		p[n] = (struct probe){ .func = argv[i], .wanted = true, .home = home_of(argv[i]) };
	}
	return i == argc ? n : -1;
}

int main(int argc, char **argv)
{
	struct probe p[MAX_FUNCS];
	struct pair pair[MAX_FUNCS];
	struct emptyf_bpf *obj;
	struct bpf_program *prog;
	int i, n, progs = 0;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		common_env.verbose = true;
		argv++, argc--;
	}
	n = argc > 1 ? parse_funcs(argc, argv, p, pair) : -1;
	if (n < 0) {
		fprintf(stderr, "usage: emptyf [-v] FUNC[+|-] ... (at most %d)\n", MAX_FUNCS);
		return 2;
	}
	setenv("BTBPF_ATTACH", "fentry", 1);	/* the floor of fentry mode only */
	trace__init("emptyf");
	if (probes__init() || preflight__check("bluetooth"))
		return 1;
	obj = emptyf_bpf__open();
	if (!obj)
		return 1;
	bpf_object__for_each_program(prog, obj->obj)	/* only the named ones load */
		bpf_program__set_autoload(prog, false);
	if (probes__select(obj->obj, "bluetooth", p, n))
		return 1;
	for (i = 0; i < n; i++) {
		if (!p[i].fentry) {
			fprintf(stderr, "emptyf: no empty program for %s\n", p[i].func);
			return 1;
		}
		bpf_program__set_autoload(p[i].fentry, pair[i].entry);
		bpf_program__set_autoload(p[i].fexit, pair[i].exit);
		progs += pair[i].entry + pair[i].exit;
	}
	if (tool__load_attach(obj->skeleton))
		return 1;
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	printf("Tracing %d probes\n", progs);
	fflush(stdout);
	while (!stop)
		pause();
	return 0;	/* links and object go with the process */
}
