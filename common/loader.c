// SPDX-License-Identifier: GPL-2.0
/*
 * The generated-loader path (see loader.h).  bpf_object__gen_loader()
 * turns bpf_object__load() into a recording: libbpf skips the kernel BTF
 * (no vmlinux parse, no copy of it), and emits a BPF_PROG_TYPE_SYSCALL
 * program that creates the maps, loads the BTF and the programs and has
 * the kernel do the CO-RE relocations and find the fentry targets by name.
 * loader_load_and_run loads it (the kernel verifies it) and runs it, in
 * two steps that -v times apart; it leaves the new fds in a
 * context laid out as libbpf's gen_loader expects: the header, one
 * bpf_map_desc per map of the object, one bpf_prog_desc per program
 * (subprograms included, so the table has room to spare; only loaded
 * programs get an fd, in the object's order).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/btf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/skel_internal.h>
#include "cli.h"
#include "loader.h"
#include "probes.h"
#include "trace.h"

#define MAX_PROG_DESCS 256	/* programs and subprograms of one object */
#define MAX_LOADED_PROGS 32	/* libbpf 1.1 gen_loader's stack slots for prog fds */

static struct bpf_insn mov_imm(__u8 reg, __s32 imm)
{
	return (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = reg, .imm = imm };
}

/*
 * libbpf 1.1's loader keeps the fds of the programs it loads in 32 stack
 * slots, but its error path closes one slot per program of the object:
 * with more than 30 programs (btsnoop-sock has 40, each function with its
 * fentry, fexit, kprobe and kretprobe) the slots past the frame read
 * above the stack and the verifier refuses the loader ("invalid read from
 * stack R10 off=0").  Those slots can never hold an fd (at most 32
 * programs are loaded, checked before), so each such read becomes r1 = 0,
 * which the cleanup code skips.
 */
static void patch_stack_reads(struct bpf_insn *p, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		if (p[i].code == (BPF_LDX | BPF_MEM | BPF_W) && p[i].src_reg == BPF_REG_10 &&
		    p[i].off >= 0)
			p[i] = mov_imm(p[i].dst_reg, 0);
	}
}

/*
 * The fentry/fexit targets.  Before loading each such program (in the
 * object's order) the loader asks the kernel for its target by name:
 *	r1 = &name (ld_imm64, map-value relative); r2 = len; r3 = kind; r4 = 0
 *	call bpf_btf_find_by_name_kind	(r0 = btf_obj_fd << 32 | btf_id)
 * and the kernel walks vmlinux's ~100k types for it, then each module's
 * (6.1, 6.12: btf_find_by_name_kind is a linear scan): ~0.15 s per
 * program under emulation, 3.5 s instead of 1.3 for btsnoop-sock's start.
 * probes__select has found every id in one streaming pass already (kbtf),
 * so each such call becomes "r0 = the answer", same length, the registers
 * the call would have clobbered set to 0.  The loader closes the object
 * fd after the program's load (the helper hands out a new one each time),
 * so each site gets its own dup (a loader that fails before that load
 * leaves it open: the tool exits then).  A site whose name is not the program's
 * function, or a program probes has no id for, is left to the kernel.
 */
static bool is_find_site(const struct bpf_insn *site)
{
	return site[5].code == (BPF_JMP | BPF_CALL) && !site[5].src_reg &&
	       site[5].imm == BPF_FUNC_btf_find_by_name_kind &&
	       site[0].code == (BPF_LD | BPF_DW | BPF_IMM) && site[0].dst_reg == BPF_REG_1 &&
	       site[0].src_reg == BPF_PSEUDO_MAP_IDX_VALUE &&
	       site[3].code == (BPF_ALU64 | BPF_MOV | BPF_K) && site[3].imm == BTF_KIND_FUNC;
}

/* The next site at or after *pos, NULL when none is left. */
static struct bpf_insn *next_find_site(struct bpf_insn *p, __u32 n, __u32 *pos)
{
	for (; *pos + 6 <= n; (*pos)++)
		if (is_find_site(&p[*pos]))
			return &p[(*pos)++];
	return NULL;
}

/* site's call answered with prog's target when the names agree. */
static void answer_site(struct bpf_insn *site, const struct bpf_program *prog,
			const struct gen_loader_opts *gen)
{
	const char *data = gen->data, *func;
	__u32 name_off = site[1].imm;
	int id, fd, own = 0;
	__u64 r0;

	if (probes__btf_target(prog, &func, &id, &fd) || id <= 0 || name_off >= gen->data_sz ||
	    strnlen(data + name_off, gen->data_sz - name_off) == gen->data_sz - name_off ||
	    strcmp(data + name_off, func))
		return;
	if (fd > 0 && (own = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return;
	r0 = (__u64)own << 32 | (__u32)id;
	site[0] = mov_imm(BPF_REG_1, 0);
	site[1] = mov_imm(BPF_REG_2, 0);
	site[2] = mov_imm(BPF_REG_3, 0);
	site[3] = mov_imm(BPF_REG_4, 0);
	site[4] = (struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_0,
				     .imm = (__u32)r0 };
	site[5] = (struct bpf_insn){ .imm = (__u32)(r0 >> 32) };
}

static void patch_attach_targets(struct bpf_insn *p, __u32 n, const struct gen_loader_opts *gen,
				 struct bpf_object *obj)
{
	struct bpf_program *prog;
	struct bpf_insn *site;
	__u32 pos = 0;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) ||
		    bpf_program__type(prog) != BPF_PROG_TYPE_TRACING)
			continue;
		site = next_find_site(p, n, &pos);
		if (!site)
			return;
		answer_site(site, prog, gen);
	}
}

/* The loader with both patches (a copy: free it). */
static struct bpf_insn *patch_loader(const struct gen_loader_opts *gen, struct bpf_object *obj)
{
	struct bpf_insn *p = malloc(gen->insns_sz);
	__u32 n = gen->insns_sz / sizeof(*p);

	if (!p)
		return NULL;
	memcpy(p, gen->insns, gen->insns_sz);
	patch_stack_reads(p, n);
	patch_attach_targets(p, n, gen, obj);
	return p;
}

/* Kernel CO-RE in loader programs came with 5.17 (loader programs 5.14,
 * perf links 5.15): older kernels keep libbpf's load. */
static bool kernel_has_loader(void)
{
	static int has = -1;
	struct utsname u;
	int maj = 0, min = 0;

	if (has < 0)
		has = !uname(&u) && sscanf(u.release, "%d.%d", &maj, &min) == 2 &&
		      (maj > 5 || (maj == 5 && min >= 17));
	return has;
}

bool loader__enabled(void)
{
	const char *v = getenv("BTBPF_LOADER");

	if (v && !strcmp(v, "libbpf"))
		return false;
	return kernel_has_loader();
}

static int read_sysfs_int(const char *path, const char *fmt)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC), v = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, fmt, &v) != 1)
		return -1;
	return v;
}

/* A perf link from prog_fd to a kprobe (retprobe: a kretprobe) on func,
 * through the kprobe PMU (as libbpf does); the link fd, or -errno. */
static int attach_kprobe(int prog_fd, const char *func, bool retprobe)
{
	static int type = -2, retbit = -2;
	struct perf_event_attr attr;
	int pfd, lfd, err;

	if (type == -2) {
		type = read_sysfs_int("/sys/bus/event_source/devices/kprobe/type", "%d");
		retbit = read_sysfs_int("/sys/bus/event_source/devices/kprobe/format/retprobe",
					"config:%d");
	}
	if (type < 0 || (retprobe && retbit < 0))
		return -EOPNOTSUPP;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = retprobe ? 1ULL << retbit : 0;
	attr.config1 = (__u64)(unsigned long)func;	/* kprobe_func */
	attr.config2 = 0;				/* probe_offset */
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	lfd = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (lfd < 0) {
		err = -errno;
		close(pfd);
		return err;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = -errno;
		close(lfd);
		close(pfd);
		return err;
	}
	close(pfd);	/* the link holds the event */
	return lfd;
}

/* Attaches one loaded program by its section; the link fd, or -errno. */
static int attach_prog(struct bpf_program *prog, int prog_fd)
{
	const char *sec = bpf_program__section_name(prog);
	int fd;

	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_TRACING:
		fd = bpf_raw_tracepoint_open(NULL, prog_fd);
		return fd < 0 ? -errno : fd;
	case BPF_PROG_TYPE_KPROBE:
		if (!strncmp(sec, "kprobe/", 7))
			return attach_kprobe(prog_fd, sec + 7, false);
		if (!strncmp(sec, "kretprobe/", 10))
			return attach_kprobe(prog_fd, sec + 10, true);
		return -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

/* .bss/.data/.rodata: the map's memory where the skeleton points (as
 * bpf_object__load_skeleton does: over libbpf's anonymous copy, which
 * bpf_object__close unmaps). */
static int map_skeleton_data(struct bpf_object_skeleton *s)
{
	long page = sysconf(_SC_PAGESIZE);
	int i;

	for (i = 0; i < s->map_cnt; i++) {
		struct bpf_map *map = *s->maps[i].map;
		void **mmaped = s->maps[i].mmaped;
		size_t vsz, sz;
		void *addr;
		int prot;

		if (!mmaped || !*mmaped)
			continue;
		if (!(bpf_map__map_flags(map) & BPF_F_MMAPABLE)) {
			*mmaped = NULL;
			continue;
		}
		addr = (void *)bpf_map__initial_value(map, &vsz);
		if (!addr)
			return -EINVAL;
		sz = ((size_t)((bpf_map__value_size(map) + 7) / 8 * 8) * bpf_map__max_entries(map) +
		      page - 1) / page * page;
		prot = bpf_map__map_flags(map) & BPF_F_RDONLY_PROG ? PROT_READ
								  : PROT_READ | PROT_WRITE;
		*mmaped = mmap(addr, sz, prot, MAP_SHARED | MAP_FIXED, bpf_map__fd(map), 0);
		if (*mmaped == MAP_FAILED) {
			int err = -errno;

			*mmaped = NULL;
			warnx_tool("failed to map %s: %s", bpf_map__name(map), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* One run of the generated loader: its context (the header, then the map
 * and program descriptors it fills with fds) and the verifier log. */
struct loader_run {
	struct bpf_loader_ctx *ctx;
	struct bpf_map_desc *maps;
	struct bpf_prog_desc *progs;
	char *log;
};

/* The context for obj's maps and programs; -E2BIG (after one line) when
 * more programs are to be loaded than the loader has room for. */
static int loader_run_new(struct loader_run *r, struct bpf_object *obj)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int nmaps = 0, nload = 0;
	size_t sz;

	bpf_object__for_each_map(map, obj)
		nmaps++;
	bpf_object__for_each_program(prog, obj)
		nload += bpf_program__autoload(prog);
	if (nload > MAX_LOADED_PROGS) {
		warnx_tool("failed to load BPF programs: %d programs, the loader takes %d",
			   nload, MAX_LOADED_PROGS);
		return -E2BIG;
	}
	sz = sizeof(*r->ctx) + nmaps * sizeof(*r->maps) + MAX_PROG_DESCS * sizeof(*r->progs);
	r->ctx = calloc(1, sz);
	if (!r->ctx)
		return -ENOMEM;
	r->ctx->sz = sz;
	r->maps = (struct bpf_map_desc *)(r->ctx + 1);
	r->progs = (struct bpf_prog_desc *)(r->maps + nmaps);
	if (common_env.verbose) {
		r->ctx->log_level = 1;
		r->ctx->log_size = 1 << 20;
		r->log = calloc(1, r->ctx->log_size);
		r->ctx->log_buf = (unsigned long)r->log;
		if (!r->log)
			r->ctx->log_level = r->ctx->log_size = 0;
	}
	return 0;
}

/* The loader program and its data (one array map, as libbpf's loader
 * expects: its fd is the program's fd_array[0]); the program's fd, or
 * -errno with *what naming the step that failed.  Loading it is the
 * kernel verifying it: a phase of its own in -v, apart from its run.
 * Plain bpf() calls, as skel_internal.h's: libbpf's bpf_map_create and
 * bpf_prog_load first load a probe program to learn whether the kernel
 * charges BPF memory to the cgroup (5.11+) or needs RLIMIT_MEMLOCK raised,
 * and the kernels on this path (5.17+) all do the former. */
static int loader_prog_load(const struct bpf_loader_ctx *ctx, const struct gen_loader_opts *gen,
			    const struct bpf_insn *insns, int *map_fd, const char **what)
{
	const size_t attr_sz = offsetofend(union bpf_attr, fd_array);
	union bpf_attr attr;
	int key = 0, fd;

	*what = "failed to create loader map";
	*map_fd = skel_map_create(BPF_MAP_TYPE_ARRAY, "__loader.map", 4, gen->data_sz, 1);
	if (*map_fd < 0)
		return -errno;
	*what = "failed to update loader map";
	if (skel_map_update_elem(*map_fd, &key, gen->data, 0))
		return -errno;
	*what = "failed to load loader prog";
	memset(&attr, 0, attr_sz);
	attr.prog_type = BPF_PROG_TYPE_SYSCALL;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = gen->insns_sz / sizeof(*insns);
	attr.license = (unsigned long)"Dual BSD/GPL";
	attr.fd_array = (unsigned long)map_fd;
	attr.prog_flags = BPF_F_SLEEPABLE;
	attr.log_level = ctx->log_level;
	attr.log_size = ctx->log_size;
	attr.log_buf = ctx->log_buf;
	fd = skel_sys_bpf(BPF_PROG_LOAD, &attr, attr_sz);
	return fd < 0 ? -errno : fd;
}

/* Loads and runs the loader: the kernel creates the maps, loads the BTF
 * and the programs and writes their fds into ctx; 0 or -errno (*what
 * naming the step). */
static int loader_load_and_run(struct bpf_loader_ctx *ctx, const struct gen_loader_opts *gen,
			       const struct bpf_insn *insns, const char **what)
{
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx, .ctx_size_in = ctx->sz);
	int map_fd = -1, prog_fd, err;

	prog_fd = loader_prog_load(ctx, gen, insns, &map_fd, what);
	if (prog_fd >= 0 && common_env.verbose) {
		char phase[96];

		snprintf(phase, sizeof(phase), "loader verified (the kernel, %u instructions)",
			 trace__insns_verified(prog_fd));
		trace__phase(phase);
	}
	err = prog_fd < 0 ? prog_fd : 0;
	if (!err) {
		*what = "failed to execute loader prog";
		err = bpf_prog_test_run_opts(prog_fd, &run) ? -errno : (int)run.retval;
		if (err > 0)
			err = 0;
	}
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
	return err;
}

/* Records the loader (bpf_object__load in gen_loader mode sends nothing to
 * the kernel) and runs it; the kernel's fds end up in r's descriptors. */
static int loader_run_exec(struct loader_run *r, struct bpf_object *obj)
{
	LIBBPF_OPTS(gen_loader_opts, gen);
	const char *what = "loader";
	struct bpf_insn *insns;
	int err;

	err = bpf_object__gen_loader(obj, &gen);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		warnx_tool("failed to generate the BPF loader: %s", strerror(-err));
		return err;
	}
	trace__phase("loader generated (libbpf, in user space)");
	insns = patch_loader(&gen, obj);
	if (!insns)
		return -ENOMEM;
	err = loader_load_and_run(r->ctx, &gen, insns, &what);
	if (err) {
		if (r->log && r->log[0])
			fprintf(stderr, "%s", r->log);
		warnx_tool("failed to load BPF programs: %s (%s; -v shows the verifier log)",
			   strerror(-err), what);
	}
	free(insns);
	trace__phase("load (the kernel runs the loader: maps, BTF, relocations, verifier)");
	return err;
}

/* The maps' fds into libbpf's maps: bpf_map__fd works, destroy closes. */
static int adopt_map_fds(struct loader_run *r, struct bpf_object *obj)
{
	struct bpf_map *map;
	int i = 0, err;

	bpf_object__for_each_map(map, obj) {
		int fd = r->maps[i++].map_fd;

		if (fd <= 0) {
			warnx_tool("failed to load BPF programs: no fd for map %s",
				   bpf_map__name(map));
			return -ENOENT;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err) {
			warnx_tool("failed to load BPF programs: map %s: %s", bpf_map__name(map),
				   strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Loaded programs' fds come in the object's order: attaches each (the link
 * keeps the program, so its fd is closed; the link fd stays open, the
 * link lasts until the process exits). */
static int attach_loaded(struct loader_run *r, struct bpf_object *obj)
{
	struct bpf_program *prog;
	int p = 0, pfd, lfd;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		while (p < MAX_PROG_DESCS && r->progs[p].prog_fd <= 0)
			p++;
		if (p == MAX_PROG_DESCS) {
			warnx_tool("failed to load BPF programs: no fd for %s",
				   bpf_program__name(prog));
			return -ENOENT;
		}
		pfd = r->progs[p].prog_fd;
		r->progs[p++].prog_fd = 0;
		trace__verified(prog, pfd);
		lfd = attach_prog(prog, pfd);
		close(pfd);
		if (lfd < 0) {
			warnx_tool("failed to attach BPF programs: %s: %s", bpf_program__name(prog),
				   strerror(-lfd));
			return lfd;
		}
	}
	return 0;
}

/* After a failure, closes whatever program fd the loader opened and
 * nobody took. */
static void loader_run_free(struct loader_run *r, bool failed)
{
	int p;

	for (p = 0; failed && r->ctx && p < MAX_PROG_DESCS; p++)
		if (r->progs[p].prog_fd > 0)
			close(r->progs[p].prog_fd);
	free(r->log);
	free(r->ctx);
}

int loader__load_attach(struct bpf_object_skeleton *s)
{
	struct bpf_object *obj = *s->obj;
	struct loader_run r = {};
	int err;

	err = loader_run_new(&r, obj);
	if (!err)
		err = loader_run_exec(&r, obj);
	if (!err)
		err = adopt_map_fds(&r, obj);
	if (!err)
		err = map_skeleton_data(s);
	if (!err)
		err = attach_loaded(&r, obj);
	if (!err) {
		trace__verified_total();
		trace__phase("attach");
	}
	loader_run_free(&r, err != 0);
	return err;
}
