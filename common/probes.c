// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "cli.h"
#include "btfcache.h"
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

int preflight__check(const char *module)
{
	char path[PATH_MAX];

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

/*
 * Growing arrays: every table below grows as needed and a failed
 * allocation is an error said in one line, so nothing is dropped quietly.
 */
static void *grow(void *arr, int *cap, int need, size_t elem)
{
	int ncap = *cap ? *cap * 2 : 8;
	void *p;

	if (need < *cap)
		return arr;
	while (ncap <= need)
		ncap *= 2;
	p = realloc(arr, (size_t)ncap * elem);
	if (!p) {
		warnx_tool("out of memory");
		return NULL;
	}
	*cap = ncap;
	return p;
}

/* Module names, each kept once for the run: struct probe and the tables
 * below point at these. */
static struct { char **names; int n, cap; } modnames;

static const char *module_name(const char *name, size_t len)
{
	char **arr;
	int i;

	for (i = 0; i < modnames.n; i++)
		if (strlen(modnames.names[i]) == len && !strncmp(modnames.names[i], name, len))
			return modnames.names[i];
	arr = grow(modnames.names, &modnames.cap, modnames.n, sizeof(*arr));
	if (!arr)
		return NULL;
	modnames.names = arr;
	arr[modnames.n] = strndup(name, len);
	if (!arr[modnames.n]) {
		warnx_tool("out of memory");
		return NULL;
	}
	return arr[modnames.n++];
}

enum ksym_state { KSYM_MISSING, KSYM_FOUND, KSYM_CLONE };

/* What /proc/kallsyms and BTF said about each probe of one selection. */
struct lookup {
	enum ksym_state state;
	bool in_btf;		/* a FUNC of its home's BTF */
	int btf_id;		/* in p->module's BTF; 0: not known (or not asked:
				 * BTBPF_ATTACH=kprobe needs presence only) */
	char *clone;		/* KSYM_CLONE: the clone's name */
	bool grouped;		/* the loader's mode: looked up with its home's */
};

/* The "[module]" after a kallsyms name: "" for vmlinux. */
static const char *kallsyms_module(char *end, char sep)
{
	char *m;

	if (sep == '\t' && end[1] == '[' && (m = strchr(end + 2, ']')))
		return module_name(end + 2, m - end - 2);
	return "";
}

/* One kallsyms text symbol against every probe still looked for. */
static int kallsyms_match(struct probe *p, int n, struct lookup *l, char *name, char *end,
			  char sep)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(p[i].func);

		if (!p[i].wanted || l[i].state == KSYM_FOUND)
			continue;
		if (strncmp(name, p[i].func, len) != 0)
			continue;
		if (name[len] == '\0') {
			p[i].module = kallsyms_module(end, sep);
			if (!p[i].module)
				return -1;
			l[i].state = KSYM_FOUND;
		} else if (name[len] == '.') {	/* the last clone listed is named */
			l[i].state = KSYM_CLONE;
			free(l[i].clone);
			l[i].clone = strdup(name);
			if (!l[i].clone)
				return -1;
		}
	}
	return 0;
}

/* One pass over /proc/kallsyms for all the functions at once. */
static int kallsyms_scan(struct probe *p, int n, struct lookup *l)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	if (!f) {
		warnx_tool("cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	while (!err && getline(&line, &cap, f) > 0) {
		/* "ffffffffc0a01234 t l2cap_sock_sendmsg\t[bluetooth]": parsed by
		 * hand, sscanf over ~100k lines costs a second under emulation */
		char *name = strchr(line, ' '), *end, sep;

		if (!name || (name[1] != 't' && name[1] != 'T') || name[2] != ' ')
			continue;
		name += 3;
		end = name + strcspn(name, " \t\n");
		sep = *end;
		*end = '\0';
		err = kallsyms_match(p, n, l, name, end, sep);
	}
	free(line);
	fclose(f);
	return err;
}

/*
 * fentry/fexit targets, resolved by probes__select and keyed by program.
 * libbpf 1.1 finds a program's target itself at load: for a module
 * function it scans vmlinux's BTF (~100k types), then every module's BTF
 * (each scan walking vmlinux's types again) in load order until the module
 * comes up: seconds per program under emulation, and more the more modules
 * a machine has loaded.  Our own handlers for the fentry and fexit sections
 * (libbpf tries those before its own) hand the kernel the id found once
 * here.  The generated loader's program does the same scans in the kernel
 * (bpf_btf_find_by_name_kind, once per program): loader.c writes these
 * ids into it instead (probes__btf_target).
 */
static struct {
	struct attach_target {
		const struct bpf_program *prog;
		const char *func;
		int btf_id;
		int btf_obj_fd;		/* 0: vmlinux */
	} *t;
	int n, cap;
} targets;

static int target_prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
			       long cookie)
{
	int i;

	for (i = 0; i < targets.n; i++) {
		if (targets.t[i].prog == prog) {
			opts->attach_btf_id = targets.t[i].btf_id;
			opts->attach_btf_obj_fd = targets.t[i].btf_obj_fd;
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

static int add_target(const struct bpf_program *prog, const char *func, int btf_id,
		      int btf_obj_fd)
{
	struct attach_target *t;

	if (!prog)
		return 0;
	t = grow(targets.t, &targets.cap, targets.n, sizeof(*t));
	if (!t)
		return -1;
	targets.t = t;
	t[targets.n++] = (struct attach_target){ prog, func, btf_id, btf_obj_fd };
	return 0;
}

int probes__btf_target(const struct bpf_program *prog, const char **func, int *btf_id,
			int *btf_obj_fd)
{
	int i;

	for (i = 0; i < targets.n; i++) {
		if (targets.t[i].prog == prog) {
			*func = targets.t[i].func;
			*btf_id = targets.t[i].btf_id;
			*btf_obj_fd = targets.t[i].btf_obj_fd;
			return 0;
		}
	}
	return -ENOENT;
}

/* BTBPF_ATTACH: one way for every function, or per function (0). */
enum force_attach { FORCE_NONE, FORCE_KPROBE, FORCE_FENTRY };
static enum force_attach force;

int probes__init(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		    .prog_prepare_load_fn = target_prepare_load,
		    .prog_attach_fn = target_attach);
	const char *env = getenv("BTBPF_ATTACH");

	if (!env || !env[0])
		force = FORCE_NONE;
	else if (!strcmp(env, "kprobe"))
		force = FORCE_KPROBE;
	else if (!strcmp(env, "fentry"))
		force = FORCE_FENTRY;
	else {
		warnx_tool("invalid BTBPF_ATTACH: '%s' (expected kprobe or fentry)", env);
		return -1;
	}
	env = getenv("BTBPF_LOADER");	/* read by loader__enabled */
	if (env && env[0] && strcmp(env, "libbpf")) {
		warnx_tool("invalid BTBPF_LOADER: '%s' (expected libbpf)", env);
		return -1;
	}
	if (loader__enabled())
		return 0;	/* the kernel finds the targets while the loader runs */
	libbpf_register_prog_handler("fentry+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, &o);
	libbpf_register_prog_handler("fexit+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, &o);
	return 0;
}

/* Kernel BTF objects (the kernel's ids) by module, opened once each: they
 * must stay open until the programs load. */
static struct { struct { const char *name; int fd; } *m; int n, cap; } btf_fds;

/* The fd of a module's kernel BTF object, -1 if none. */
static int kernel_btf_fd(const char *module)
{
	struct bpf_btf_info info;
	char name[64];		/* a module name is at most 55 bytes (MODULE_NAME_LEN) */
	__u32 id = 0, len;
	int fd, i;

	for (i = 0; i < btf_fds.n; i++)
		if (btf_fds.m[i].name == module)
			return btf_fds.m[i].fd;
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
			void *m = grow(btf_fds.m, &btf_fds.cap, btf_fds.n, sizeof(*btf_fds.m));

			if (!m) {
				close(fd);
				return -1;
			}
			btf_fds.m = m;
			btf_fds.m[btf_fds.n].name = module;
			btf_fds.m[btf_fds.n++].fd = fd;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/*
 * Kernel BTF, parsed once per run and shared by every lookup before the
 * load: probes__select (btacklat chooses twice) and a tool's own
 * (probes__enum_value).  tool__load_attach frees it before
 * libbpf parses its own copy, so the two are never held at once.
 */
static struct {
	struct btf *vmlinux;
	struct { const char *name; struct btf *btf; } *mods;
	int nmods, cap;
} kbtf;

/* The BTF of a loaded module (interned name; "" or NULL: vmlinux's); NULL
 * if none. */
static struct btf *btf_for(const char *module)
{
	void *mods;
	int i;

	if (!kbtf.vmlinux)
		kbtf.vmlinux = btf__load_vmlinux_btf();
	if (!kbtf.vmlinux || !module || !module[0])
		return kbtf.vmlinux;
	for (i = 0; i < kbtf.nmods; i++)
		if (kbtf.mods[i].name == module)
			return kbtf.mods[i].btf;
	mods = grow(kbtf.mods, &kbtf.cap, kbtf.nmods, sizeof(*kbtf.mods));
	if (!mods)
		return NULL;
	kbtf.mods = mods;
	kbtf.mods[i].name = module;
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
	free(kbtf.mods);
	memset(&kbtf, 0, sizeof(kbtf));
}

/* Where a module's code is: the module's name (interned) when it is loaded
 * as a module, "" when it is built into the image (or is "vmlinux"), NULL
 * when it is not there at all. */
static const char *module_home(const char *name)
{
	char path[PATH_MAX];

	if (!name || !strcmp(name, "vmlinux"))
		return "";
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (!path_exists(path))
		return NULL;
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return path_exists(path) ? module_name(name, strlen(name)) : "";
}

/*
 * The type ids a lookup in module's BTF walks: a module's own types only,
 * since btf__find_by_name_kind (and a walk from id 1) on a module's split
 * BTF goes through vmlinux's ~100k types first; all of vmlinux's for "".
 */
static void own_types(struct btf *btf, const char *module, int *first, int *end)
{
	*first = module[0] ? (int)btf__type_cnt(btf__base_btf(btf)) : 1;
	*end = btf__type_cnt(btf);
}

/* The BTF id of func's FUNC in module's BTF ("": vmlinux), 0 when absent. */
static int btf_func_id(const char *module, const char *func)
{
	struct btf *btf;
	int id, first, end;

	if (loader__enabled()) {
		struct kbtf_query q = { .name = func, .kind = KBTF_FUNC };

		if (kbtf__lookup(module[0] ? module : "vmlinux", &q, 1) || !q.found)
			return 0;
		return q.id;
	}
	btf = btf_for(module);
	if (!btf)
		return 0;
	if (!module[0]) {
		id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
		return id > 0 ? id : 0;
	}
	own_types(btf, module, &first, &end);
	for (id = first; id < end; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_func(t) && !strcmp(btf__name_by_offset(btf, t->name_off), func))
			return id;
	}
	return 0;
}

/* In the loader's mode a streaming scan (kbtf.c), else the parsed BTF. */
static int enum_value_streamed(const char *home, const char *name)
{
	struct kbtf_query q = { .name = name, .kind = KBTF_ENUM_VAL };

	if (kbtf__lookup(home[0] ? home : "vmlinux", &q, 1) || !q.found)
		return -1;
	return (int)q.value;
}

int probes__enum_value(const char *module, const char *name)
{
	const char *home = module_home(module);
	struct btf *btf;
	int id, first, end, j;

	if (home && loader__enabled())
		return enum_value_streamed(home, name);
	btf = home ? btf_for(home) : NULL;
	if (!btf)
		return -1;
	own_types(btf, home, &first, &end);
	for (id = first; id < end; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(btf, e[j].name_off), name))
				return e[j].val;
	}
	return -1;
}

/*
 * p->func's BTF id in its home's BTF (p->home, else the tool's module), 0
 * when not there; sets p->module ("" for the kernel image).  A loaded
 * module's BTF lists every function the module has out of line and
 * traceable (pahole encodes those on the ftrace list), so this answers
 * without /proc/kallsyms, which takes a second to read under emulation.
 * A home module that is not loaded cannot have it.
 */
static int btf_home_func_id(struct probe *p, const char *tool_module)
{
	const char *home = module_home(p->home ? p->home : tool_module);

	p->module = home ? home : "";
	return home ? btf_func_id(home, p->func) : 0;
}

/* fentry or kprobe for one present function (BTBPF_ATTACH or the
 * function's BTF decides); id: its BTF id if known, else 0.  fentry
 * targets go into the table above. */
static int choose_attach(struct probe *p, int id)
{
	bool has_btf_prog = p->fentry || p->fexit;
	int btf_fd = 0;

	if (force == FORCE_KPROBE) {
		p->use_fentry = false;
		return 0;
	}
	if (has_btf_prog && !id)	/* found by kallsyms, maybe in another module */
		id = btf_func_id(p->module, p->func);
	if (id && p->module[0] && (btf_fd = kernel_btf_fd(p->module)) < 0 &&
	    !loader__enabled())
		id = 0;		/* no kernel BTF object to name it by */
	p->use_fentry = force == FORCE_FENTRY || id > 0;
	if (!p->use_fentry)
		return 0;
	if (!has_btf_prog) {
		warnx_tool("%s has no fentry program", p->func);
		return -1;
	}
	if (id <= 0) {
		warnx_tool("%s is not in the kernel's BTF: cannot use fentry", p->func);
		return -1;
	}
	if (btf_fd < 0)
		return 0;	/* the loader's program finds it by name (slower) */
	if (add_target(p->fentry, p->func, id, btf_fd) || add_target(p->fexit, p->func, id, btf_fd))
		return -1;
	return 0;
}

/* <func>_<kind> in obj, NULL if the object has no such program. */
static struct bpf_program *program_of(struct bpf_object *obj, const char *func,
				      const char *kind)
{
	struct bpf_program *prog;
	char *name;

	if (asprintf(&name, "%s_%s", func, kind) < 0)
		return NULL;
	prog = bpf_object__find_program_by_name(obj, name);
	free(name);
	return prog;
}

/* Finds each probe's programs in obj by name; a probe with none is a bug
 * in the tool: one line, -1. */
static int bind_programs(struct bpf_object *obj, struct probe *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i].fentry = program_of(obj, p[i].func, "fentry");
		p[i].fexit = program_of(obj, p[i].func, "fexit");
		p[i].kprobe = program_of(obj, p[i].func, "kprobe");
		p[i].kretprobe = program_of(obj, p[i].func, "kretprobe");
		if (!p[i].fentry && !p[i].fexit && !p[i].kprobe && !p[i].kretprobe) {
			warnx_tool("%s: no BPF program for it in the object", p[i].func);
			return -1;
		}
	}
	return 0;
}

/* One home's group of wanted functions, from i on, in one streaming pass
 * (kbtf.c); ids only when fentry may be chosen. */
static void btf_group_lookup(struct probe *p, int n, struct lookup *l, int i,
			     struct kbtf_query *q, int *idx)
{
	int j, m = 0;

	for (j = i; j < n; j++) {
		if (l[j].grouped || strcmp(p[j].module, p[i].module))
			continue;
		q[m] = (struct kbtf_query){ .name = p[j].func, .kind = KBTF_FUNC,
					    .no_id = force == FORCE_KPROBE };
		idx[m++] = j;
		l[j].grouped = true;
	}
	if (kbtf__lookup(p[i].module[0] ? p[i].module : "vmlinux", q, m))
		return;
	for (j = 0; j < m; j++) {
		l[idx[j]].in_btf = q[j].found;
		l[idx[j]].btf_id = q[j].found ? (int)q[j].id : 0;
	}
}

/*
 * The loader's mode: each wanted function's presence in its home's BTF, one
 * streaming pass (kbtf.c) per home for all its functions instead of a
 * parsed vmlinux BTF (btf_id: the kernel's id of the function, handed to
 * the loader; see probes__btf_target).  vmlinux's group goes first: its
 * walk counts vmlinux's types, which a module's ids need (else a walk of
 * their own).  An unreadable BTF leaves them not found: kallsyms decides.
 */
static void btf_home_lookup(struct probe *p, int n, struct lookup *l, const char *tool_module)
{
	struct kbtf_query *q = calloc(n, sizeof(*q));
	int *idx = calloc(n, sizeof(*idx));
	int i, pass;

	for (i = 0; i < n; i++) {
		const char *home = module_home(p[i].home ? p[i].home : tool_module);

		p[i].module = home ? home : "";
		l[i].btf_id = 0;
		l[i].in_btf = false;
		l[i].grouped = !p[i].wanted || !home;
	}
	for (pass = 0; q && idx && pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (!l[i].grouped && !p[i].module[0] == !pass)
				btf_group_lookup(p, n, l, i, q, idx);
	free(q);
	free(idx);
}

/* Looks every wanted probe up in BTF, then in /proc/kallsyms when a needed
 * one is not there (an optional function BTF lacks is skipped; a needed one
 * may still be there for a kprobe, or we say why not). */
static int look_up(struct probe *p, int n, struct lookup *l, const char *tool_module)
{
	bool ask_kallsyms = false;
	int i;

	if (loader__enabled())
		btf_home_lookup(p, n, l, tool_module);
	for (i = 0; i < n; i++) {
		if (!p[i].wanted)
			continue;
		if (!loader__enabled()) {
			l[i].btf_id = btf_home_func_id(&p[i], tool_module);
			l[i].in_btf = l[i].btf_id != 0;
		}
		l[i].state = l[i].in_btf ? KSYM_FOUND : KSYM_MISSING;
		if (l[i].state != KSYM_FOUND && !p[i].optional)
			ask_kallsyms = true;
	}
	return ask_kallsyms ? kallsyms_scan(p, n, l) : 0;
}

/* One line and -1 for a needed function that is not there to trace. */
static int check_present(const struct probe *p, const struct lookup *l)
{
	if (!p->wanted || l->state == KSYM_FOUND || p->optional)
		return 0;
	if (l->state == KSYM_CLONE)
		warnx_tool("kernel function %s exists only as %s (compiler clone with changed arguments): cannot trace it",
			   p->func, l->clone);
	else
		warnx_tool("kernel function %s not found: inlined or missing on this kernel",
			   p->func);
	return -1;
}

static void set_autoload(struct bpf_program *prog, bool on)
{
	if (prog)
		bpf_program__set_autoload(prog, on);
}

/* Loads the chosen programs of p only; with -v, says what was chosen. */
static void apply_choice(const struct probe *p)
{
	set_autoload(p->fentry, p->enabled && p->use_fentry);
	set_autoload(p->fexit, p->enabled && p->use_fentry);
	set_autoload(p->kprobe, p->enabled && !p->use_fentry);
	set_autoload(p->kretprobe, p->enabled && !p->use_fentry);
	if (common_env.verbose && p->wanted)
		fprintf(stderr, "%s: %s%s%s%s: %s\n", tool_name, p->func,
			p->module[0] ? " [" : "", p->module, p->module[0] ? "]" : "",
			!p->enabled ? "not present, skipped" :
			p->use_fentry ? "fentry" : "kprobe");
}

/* -v: whether vmlinux's BTF answers came from the cache (btfcache.h). */
static void say_btf_cache(void)
{
	struct btfcache_stats st = btfcache__stats();

	if (common_env.verbose && st.path)
		fprintf(stderr, "%s: vmlinux BTF cache %s: %s\n", tool_name, st.path,
			st.saves && st.hits ? "read, then written with new answers" :
			st.saves ? "written" : st.hits ? "read" : "not used");
}

int probes__select(struct bpf_object *obj, const char *module, struct probe *p, int n)
{
	struct lookup *l = calloc(n, sizeof(*l));
	int i, err = -1;

	if (!l) {
		warnx_tool("out of memory");
		return -1;
	}
	targets.n = 0;	/* a tool may choose again (btacklat does) */
	if (bind_programs(obj, p, n) || look_up(p, n, l, module))
		goto out;
	for (i = 0; i < n; i++) {
		if (!p[i].module)
			p[i].module = "";
		if (check_present(&p[i], &l[i]))
			goto out;
		p[i].enabled = p[i].wanted && l[i].state == KSYM_FOUND;
		p[i].use_fentry = false;
		if (p[i].enabled && choose_attach(&p[i], l[i].btf_id))
			goto out;
		apply_choice(&p[i]);
	}
	err = 0;
	say_btf_cache();
	trace__phase("probe choice (kernel symbols and BTF)");
out:
	for (i = 0; i < n; i++)
		free(l[i].clone);
	free(l);
	return err;
}

int probes__count_enabled(const struct probe *p, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i].enabled;
	return c;
}

int probes__count_kprobes(const struct probe *p, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i].enabled && !p[i].use_fentry;
	return c;
}

const char *probes__mode_name(const struct probe *p, int n)
{
	int k = probes__count_kprobes(p, n), f = probes__count_enabled(p, n) - k;

	return f && k ? "mixed" : f ? "fentry" : "kprobe";
}
