// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "cli.h"
#include "kbtf.h"
#include "loader.h"
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

/* The module the tool traces (tool__begin's): where its functions are
 * looked for unless a probe names another home. */
static const char *tool_module;

int preflight__check(const char *module)
{
	char path[128];

	tool_module = module;

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
	char line[512], mod[64];
	FILE *f = fopen("/proc/kallsyms", "r");
	int i;

	if (!f) {
		warnx_tool("cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffffc0a01234 t l2cap_sock_sendmsg\t[bluetooth]": parsed by
		 * hand, sscanf over ~100k lines costs a second under emulation */
		char *name = strchr(line, ' '), *end, *m, sep;

		if (!name || (name[1] != 't' && name[1] != 'T') || name[2] != ' ')
			continue;
		name += 3;
		end = name + strcspn(name, " \t\n");
		sep = *end;
		*end = '\0';
		for (i = 0; i < n; i++) {
			size_t len = strlen(p[i].func);

			if (!p[i].wanted || state[i] == KSYM_FOUND)
				continue;
			if (strncmp(name, p[i].func, len) != 0)
				continue;
			if (name[len] == '\0') {
				mod[0] = '\0';		/* "\t[module]" after the name */
				if (sep == '\t' && end[1] == '[' && (m = strchr(end + 2, ']')))
					snprintf(mod, sizeof(mod), "%.*s", (int)(m - end - 2), end + 2);
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

/*
 * fentry/fexit targets, resolved by probes__select.  libbpf 1.1 finds a
 * program's target itself at load: for a module function it scans vmlinux's
 * BTF (~100k types), then every module's BTF (each scan walking vmlinux's
 * types again) in load order until the module comes up: seconds per program
 * under emulation, and more the more modules a machine has loaded.  Our own
 * handlers for the fentry and fexit sections (libbpf tries those before its
 * own) hand the kernel the id found once here.
 */
static struct attach_target {
	const char *func;
	int btf_id;
	int btf_obj_fd;		/* 0: vmlinux */
} targets[32];
static int ntargets;

static int target_prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
			       long cookie)
{
	const char *func = strchr(bpf_program__section_name(prog), '/');
	int i;

	for (i = 0; func && i < ntargets; i++) {
		if (!strcmp(targets[i].func, func + 1)) {
			opts->attach_btf_id = targets[i].btf_id;
			opts->attach_btf_obj_fd = targets[i].btf_obj_fd;
			return 0;
		}
	}
	warnx_tool("%s: no BTF attach target (not chosen by probes__select)",
		   bpf_program__name(prog));
	return -ENOENT;
}

static int target_attach(const struct bpf_program *prog, long cookie, struct bpf_link **link)
{
	*link = bpf_program__attach_trace(prog);
	return libbpf_get_error(*link);
}

void probes__init(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		    .prog_prepare_load_fn = target_prepare_load,
		    .prog_attach_fn = target_attach);

	libbpf_register_prog_handler("fentry+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, &o);
	libbpf_register_prog_handler("fexit+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, &o);
}

static void add_target(const char *func, int btf_id, int btf_obj_fd)
{
	if (ntargets < (int)(sizeof(targets) / sizeof(targets[0])))
		targets[ntargets++] = (struct attach_target){ func, btf_id, btf_obj_fd };
}

/* An fd for a module's kernel BTF object (the kernel's ids), -1 if none.
 * Opened once per module: it must stay open until the programs load. */
static int kernel_btf_fd(const char *module)
{
	static struct { char name[56]; int fd; } open_fds[8];
	static int nopen;
	struct bpf_btf_info info;
	char name[64];
	__u32 id = 0, len;
	int fd, i;

	for (i = 0; i < nopen; i++)
		if (!strcmp(open_fds[i].name, module))
			return open_fds[i].fd;
	while (!bpf_btf_get_next_id(id, &id)) {
		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (unsigned long)name;
		info.name_len = sizeof(name);
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
		    !strcmp(name, module)) {
			if (nopen < 8) {
				snprintf(open_fds[nopen].name, sizeof(open_fds[0].name), "%s", module);
				open_fds[nopen++].fd = fd;
			}
			return fd;
		}
		close(fd);
	}
	return -1;
}

/*
 * Kernel BTF, parsed once per run and shared by every lookup before the
 * load: probes__select (btacklat chooses twice) and a tool's own
 * (probes__btf_of).  tool__load_attach frees it before libbpf parses its
 * own copy, so the two are never held at once.
 */
static struct {
	struct btf *vmlinux;
	struct { char name[56]; struct btf *btf; } mods[8];
	int nmods;
} kbtf;

/* The BTF of a loaded module ("" or NULL: vmlinux's); NULL if none. */
static struct btf *btf_for(const char *module)
{
	int i;

	if (!kbtf.vmlinux)
		kbtf.vmlinux = btf__load_vmlinux_btf();
	if (!kbtf.vmlinux || !module || !module[0])
		return kbtf.vmlinux;
	for (i = 0; i < kbtf.nmods; i++)
		if (!strcmp(kbtf.mods[i].name, module))
			return kbtf.mods[i].btf;
	if (kbtf.nmods == 8)
		return NULL;
	snprintf(kbtf.mods[i].name, sizeof(kbtf.mods[i].name), "%s", module);
	kbtf.mods[i].btf = btf__load_module_btf(module, kbtf.vmlinux);
	kbtf.nmods++;
	return kbtf.mods[i].btf;
}

void probes__release_btf(void)
{
	int i;

	for (i = 0; i < kbtf.nmods; i++)
		btf__free(kbtf.mods[i].btf);
	btf__free(kbtf.vmlinux);
	memset(&kbtf, 0, sizeof(kbtf));
}

/* Where a module's code is: the module's name when it is loaded as a
 * module, "" when it is built into the image (or is "vmlinux"), NULL when
 * it is not there at all. */
static const char *module_home(const char *name)
{
	char path[128];

	if (!name || !strcmp(name, "vmlinux"))
		return "";
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (!path_exists(path))
		return NULL;
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return path_exists(path) ? name : "";
}

struct btf *probes__btf_of(const char *module)
{
	const char *home = module_home(module);

	return home ? btf_for(home) : NULL;
}

/*
 * The BTF id of p->func's FUNC in p->module's BTF ("": vmlinux), 0 when it
 * is not there.  A module function is looked for among the module's own
 * types only: btf__find_by_name_kind on a module's BTF walks vmlinux's
 * ~100k types first.
 */
static int btf_func_id(const struct probe *p)
{
	struct btf *btf;
	int id, n;

	if (loader__enabled()) {
		/* no id needed: the kernel finds the target by name */
		struct kbtf_query q = { .name = p->func, .kind = KBTF_FUNC };

		if (kbtf__lookup(p->module[0] ? p->module : "vmlinux", &q, 1))
			return 0;
		return q.found;
	}
	btf = btf_for(p->module);

	if (!btf)
		return 0;
	if (!p->module[0]) {
		id = btf__find_by_name_kind(btf, p->func, BTF_KIND_FUNC);
		return id > 0 ? id : 0;
	}
	n = btf__type_cnt(btf);
	for (id = btf__type_cnt(btf__base_btf(btf)); id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_func(t) && !strcmp(btf__name_by_offset(btf, t->name_off), p->func))
			return id;
	}
	return 0;
}

/*
 * p->func's BTF id in its home's BTF (p->home, else the tool's module), 0
 * when not there; sets p->module ("" for the kernel image).  A loaded
 * module's BTF lists every function the module has out of line and
 * traceable (pahole encodes those on the ftrace list), so this answers
 * without /proc/kallsyms, which takes a second to read under emulation.
 * A home module that is not loaded cannot have it.
 */
static int btf_home_func_id(struct probe *p)
{
	const char *home = module_home(p->home ? p->home : tool_module);

	p->module[0] = '\0';
	if (!home)
		return 0;
	snprintf(p->module, sizeof(p->module), "%s", home);
	return btf_func_id(p);
}

/* fentry or kprobe for one present function (BTBPF_ATTACH=force or the
 * function's BTF decides); id: its BTF id if known, else 0.  fentry
 * targets go into the table above. */
static int choose_attach(struct probe *p, const char *force, int id)
{
	int btf_fd = 0;

	if (force && !strcmp(force, "kprobe")) {
		p->use_fentry = false;
		return 0;
	}
	if (p->fentry && !id)	/* found by kallsyms, maybe in another module */
		id = btf_func_id(p);
	if (id && p->module[0] && !loader__enabled() &&
	    (btf_fd = kernel_btf_fd(p->module)) < 0)
		id = 0;		/* no kernel BTF object to name it by */
	p->use_fentry = (force && !strcmp(force, "fentry")) || id > 0;
	if (!p->use_fentry)
		return 0;
	if (!p->fentry) {
		warnx_tool("%s has no fentry program", p->func);
		return -1;
	}
	if (id <= 0) {
		warnx_tool("%s is not in the kernel's BTF: cannot use fentry", p->func);
		return -1;
	}
	if (!loader__enabled())
		add_target(p->func, id, btf_fd);
	return 0;
}

/*
 * Loader mode: every wanted function's presence in its home's BTF, one
 * streaming pass per home (kbtf.c) instead of a parsed vmlinux BTF; ids[i]
 * is 1 when found (the kernel finds the id by name at load).
 */
static void btf_home_lookup(struct probe *p, int n, int *ids)
{
	struct kbtf_query *q = calloc(n, sizeof(*q));
	int *idx = calloc(n, sizeof(*idx));
	bool *done = calloc(n, sizeof(*done));
	int i, j, m;

	if (!q || !idx || !done)
		goto out;
	for (i = 0; i < n; i++) {
		const char *home = module_home(p[i].home ? p[i].home : tool_module);

		ids[i] = 0;
		p[i].module[0] = '\0';
		done[i] = !p[i].wanted || !home;
		if (home)
			snprintf(p[i].module, sizeof(p[i].module), "%s", home);
	}
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (j = i, m = 0; j < n; j++) {
			if (done[j] || strcmp(p[j].module, p[i].module))
				continue;
			q[m] = (struct kbtf_query){ .name = p[j].func, .kind = KBTF_FUNC };
			idx[m++] = j;
			done[j] = true;
		}
		if (kbtf__lookup(p[i].module[0] ? p[i].module : "vmlinux", q, m))
			continue;	/* unreadable: kallsyms decides, kprobe */
		for (j = 0; j < m; j++)
			ids[idx[j]] = q[j].found;
	}
out:
	free(q);
	free(idx);
	free(done);
}

int probes__enum_value(const char *module, const char *name, long long *value)
{
	const char *home = module_home(module);
	struct kbtf_query q = { .name = name, .kind = KBTF_ENUM_VAL };

	if (!home || kbtf__lookup(home[0] ? home : "vmlinux", &q, 1) || !q.found)
		return -1;
	*value = q.value;
	return 0;
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
	int *ids = calloc(n, sizeof(*ids));
	const char *force = getenv("BTBPF_ATTACH");
	bool ask_kallsyms = false;
	int i, err = -1;

	if (!state || !clone || !ids)
		goto out;
	ntargets = 0;	/* a tool may choose again (btacklat does) */
	if (loader__enabled())
		btf_home_lookup(p, n, ids);
	for (i = 0; i < n; i++) {
		if (!p[i].wanted)
			continue;
		if (!loader__enabled())
			ids[i] = btf_home_func_id(&p[i]);
		state[i] = ids[i] ? KSYM_FOUND : KSYM_MISSING;
		/* an optional function BTF does not have is skipped; a needed
		 * one may still be there for a kprobe, or we say why not */
		if (state[i] != KSYM_FOUND && !p[i].optional)
			ask_kallsyms = true;
	}
	if (ask_kallsyms && kallsyms_scan(p, n, state, clone))
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
			if (choose_attach(&p[i], force, ids[i]))
				goto out;
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
	free(ids);
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
