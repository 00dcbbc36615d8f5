// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/btf.h>
#include "cli.h"
#include "probes.h"
#include "trace.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_bpf_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return (data[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32))) &&
	       (data[CAP_PERFMON / 32].effective & (1u << (CAP_PERFMON % 32)));
}

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

int preflight__check(const char *module)
{
	char path[128];

	if (!has_bpf_caps()) {
		warnx_tool("must be run as root, or with CAP_BPF and CAP_PERFMON");
		return -1;
	}
	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		warnx_tool("this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	if (!module)
		return 0;
	/* built in: no /sys/module/X/initstate, and the types are in vmlinux */
	snprintf(path, sizeof(path), "/sys/module/%s", module);
	if (!path_exists(path)) {
		warnx_tool("the %s module is not loaded (modprobe %s)", module, module);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", module);
	if (path_exists(path)) {
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
		if (!path_exists(path)) {
			warnx_tool("no BTF for the %s module (%s): the kernel needs CONFIG_DEBUG_INFO_BTF_MODULES=y",
				   module, path);
			return -1;
		}
	}
	return 0;
}

enum ksym_state { KSYM_MISSING, KSYM_FOUND, KSYM_CLONE };

/* One pass over /proc/kallsyms for all the functions at once. */
static int kallsyms_scan(struct probe *p, int n, enum ksym_state *state, char (*clone)[256])
{
	char line[512], name[256], mod[64];
	FILE *f = fopen("/proc/kallsyms", "r");
	int i;

	if (!f) {
		warnx_tool("cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char type;
		int got;

		mod[0] = '\0';
		got = sscanf(line, "%*s %c %255s [%63[^]]]", &type, name, mod);
		if (got < 2 || (type != 't' && type != 'T'))
			continue;
		for (i = 0; i < n; i++) {
			size_t len = strlen(p[i].func);

			if (!p[i].wanted || state[i] == KSYM_FOUND)
				continue;
			if (strncmp(name, p[i].func, len) != 0)
				continue;
			if (name[len] == '\0') {
				state[i] = KSYM_FOUND;
				snprintf(p[i].module, sizeof(p[i].module), "%s", mod);
			} else if (name[len] == '.') {
				state[i] = KSYM_CLONE;
				snprintf(clone[i], sizeof(clone[i]), "%s", name);
			}
		}
	}
	fclose(f);
	return 0;
}

struct btf_cache {
	struct btf *vmlinux;
	struct { char name[56]; struct btf *btf; } mods[8];
	int nmods;
};

static struct btf *btf_for(struct btf_cache *c, const char *module)
{
	int i;

	if (!c->vmlinux)
		c->vmlinux = btf__load_vmlinux_btf();
	if (!c->vmlinux || !module[0])
		return c->vmlinux;
	for (i = 0; i < c->nmods; i++)
		if (!strcmp(c->mods[i].name, module))
			return c->mods[i].btf;
	if (c->nmods == 8)
		return NULL;
	snprintf(c->mods[i].name, sizeof(c->mods[i].name), "%s", module);
	c->mods[i].btf = btf__load_module_btf(module, c->vmlinux);
	c->nmods++;
	return c->mods[i].btf;
}

static void btf_cache_free(struct btf_cache *c)
{
	int i;

	for (i = 0; i < c->nmods; i++)
		btf__free(c->mods[i].btf);
	btf__free(c->vmlinux);
}

static bool has_btf_func(struct btf_cache *c, const struct probe *p)
{
	struct btf *btf = btf_for(c, p->module);

	return btf && btf__find_by_name_kind(btf, p->func, BTF_KIND_FUNC) > 0;
}

static void set_autoload(struct bpf_program *prog, bool on)
{
	if (prog)
		bpf_program__set_autoload(prog, on);
}

int probes__select(struct probe *p, int n)
{
	enum ksym_state *state = calloc(n, sizeof(*state));
	char (*clone)[256] = calloc(n, sizeof(*clone));
	const char *force = getenv("BTBPF_ATTACH");
	struct btf_cache btfs = {};
	int i, err = -1;

	if (!state || !clone || kallsyms_scan(p, n, state, clone))
		goto out;
	for (i = 0; i < n; i++) {
		p[i].enabled = false;
		if (p[i].wanted && state[i] != KSYM_FOUND && !p[i].optional) {
			if (state[i] == KSYM_CLONE)
				warnx_tool("kernel function %s exists only as %s (compiler clone with changed arguments): cannot trace it",
					   p[i].func, clone[i]);
			else
				warnx_tool("kernel function %s not found: inlined or missing on this kernel",
					   p[i].func);
			goto out;
		}
		if (p[i].wanted && state[i] == KSYM_FOUND) {
			p[i].enabled = true;
			if (force && !strcmp(force, "kprobe"))
				p[i].use_fentry = false;
			else if (force && !strcmp(force, "fentry"))
				p[i].use_fentry = true;
			else
				p[i].use_fentry = p[i].fentry && has_btf_func(&btfs, &p[i]);
			if (p[i].use_fentry && !p[i].fentry) {
				warnx_tool("%s has no fentry program", p[i].func);
				goto out;
			}
		}
		set_autoload(p[i].fentry, p[i].enabled && p[i].use_fentry);
		set_autoload(p[i].fexit, p[i].enabled && p[i].use_fentry);
		set_autoload(p[i].kprobe, p[i].enabled && !p[i].use_fentry);
		set_autoload(p[i].kretprobe, p[i].enabled && !p[i].use_fentry);
		if (common_env.verbose && p[i].wanted)
			fprintf(stderr, "%s: %s%s%s%s: %s\n", tool_name, p[i].func,
				p[i].module[0] ? " [" : "", p[i].module, p[i].module[0] ? "]" : "",
				!p[i].enabled ? "not present, skipped" :
				p[i].use_fentry ? "fentry" : "kprobe");
	}
	err = 0;
out:
	btf_cache_free(&btfs);
	free(state);
	free(clone);
	return err;
}

int probes__count_enabled(const struct probe *p, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i].enabled;
	return c;
}

const char *probes__mode_name(const struct probe *p, int n)
{
	int i, f = 0, k = 0;

	for (i = 0; i < n; i++) {
		if (!p[i].enabled)
			continue;
		if (p[i].use_fentry)
			f++;
		else
			k++;
	}
	return f && k ? "mixed" : f ? "fentry" : "kprobe";
}
