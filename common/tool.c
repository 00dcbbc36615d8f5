// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "cli.h"
#include "loader.h"
#include "openmetrics.h"
#include "probes.h"
#include "tool.h"
#include "trace.h"

int tool__begin(const char *tool, const struct argp *argp, int argc, char **argv,
		const char *module)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	struct argp with_common = *argp;

	with_common.children = children;	/* -v, -T, -j, -h for every tool */
	cli__init(tool);
	if (argp_parse(&with_common, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	trace__init(tool);
	if (om_env.quiet && !om_env.path) {
		warnx_tool("-q/--quiet needs --openmetrics");
		return EXIT_USAGE;
	}
	/* -q: the metrics file is the output; stdout goes nowhere */
	if (om_env.quiet && !freopen("/dev/null", "w", stdout)) {
		warnx_tool("cannot open /dev/null: %s", strerror(errno));
		return 1;
	}
	if (probes__init())
		return 1;
	if (preflight__check(module))
		return 1;
	trace__phase("pre-flight checks");
	return 0;
}

static void report_verified(const struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog))
			trace__verified(prog, bpf_program__fd(prog));
	trace__verified_total();
}

int tool__load_attach(struct bpf_object_skeleton *skel)
{
	int err;

	probes__release_btf();	/* libbpf parses its own copy next */
	if (loader__enabled())
		return loader__load_attach(skel);
	err = bpf_object__load_skeleton(skel);

	if (err) {
		warnx_tool("failed to load BPF programs: %s (-v shows the verifier log)",
			   strerror(-err));
		return err;
	}
	report_verified(*skel->obj);
	trace__phase("load (libbpf)");
	err = bpf_object__attach_skeleton(skel);
	if (err)
		warnx_tool("failed to attach BPF programs: %s", strerror(-err));
	trace__phase("attach");
	return err;
}
