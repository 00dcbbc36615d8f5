// SPDX-License-Identifier: GPL-2.0
/*
 * emptyprobe: attach empty BPF programs (kprobe, and kretprobe for names
 * ending in "+") to the named kernel functions, print "Tracing N probes"
 * and wait for SIGINT/SIGTERM.  The floor of the per-event benchmark.
 *   emptyprobe EMPTY.bpf.o FUNC[+] ...
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;
static void on_sig(int sig) { stop = 1; }

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *entry, *ret;
	int i, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: emptyprobe EMPTY.bpf.o FUNC[+] ...\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "emptyprobe: cannot load %s\n", argv[1]);
		return 1;
	}
	entry = bpf_object__find_program_by_name(obj, "empty_entry");
	ret = bpf_object__find_program_by_name(obj, "empty_return");
	for (i = 2; i < argc; i++) {
		char fn[256];
		size_t len;
		int both;

		snprintf(fn, sizeof(fn), "%s", argv[i]);
		len = strlen(fn);
		both = len && fn[len - 1] == '+';
		if (both)
			fn[len - 1] = '\0';
		if (!bpf_program__attach_kprobe(entry, false, fn) ||
		    (both && !bpf_program__attach_kprobe(ret, true, fn))) {
			fprintf(stderr, "emptyprobe: cannot attach to %s\n", fn);
			return 1;
		}
		n += 1 + both;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	printf("Tracing %d probes\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	return 0;	/* links and object go with the process */
}
