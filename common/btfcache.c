// SPDX-License-Identifier: GPL-2.0
/*
 * The vmlinux BTF cache (see btfcache.h).  The file, one fact a line:
 *	btbpf-tools vmlinux BTF cache 1
 *	kernel <build id, hex> <type_len> <str_len>
 *	types <count>				(when known)
 *	func <name> <id>			(0: not there)
 *	enum <name> <value>|-			(-: not there)
 *	end <FNV-1a 64 of every byte before this line, hex>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "btfcache.h"
#include "trace.h"

#define MAGIC		"btbpf-tools vmlinux BTF cache 1\n"
#define FILE_NAME	"vmlinux-btf"
#define MAX_FILE	(1 << 20)	/* a few hundred names: far below */
#define MAX_NAME	255
#define NT_GNU_BUILD_ID	3

struct entry {
	char *name;
	enum kbtf_kind kind;
	bool found;
	long long value;
	unsigned int id;
};

static struct {
	bool loaded;		/* load() ran in this process */
	bool usable;		/* the key is known: the cache may be used */
	char key[192];		/* "kernel <build id> <type_len> <str_len>" */
	bool has_types;
	__u32 types;
	struct entry *e;
	int n, cap;
	bool dirty;		/* something new to write */
	struct btfcache_stats stats;
	char path[4096];
} c;

/* The folders, in order (at most 3): BTBPF_CACHE_DIR alone when set
 * (empty: none); else the system's, and for a user with CAP_BPF but not
 * root, who can write neither, one in the user's cache folder. */
static int cache_dirs(const char **d)
{
	static char user_dir[4096];
	const char *env = getenv("BTBPF_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");
	int n = 0;

	if (env) {
		d[0] = env;
		return env[0] ? 1 : 0;
	}
	d[n++] = "/var/cache/btbpf-tools";
	d[n++] = "/run/btbpf-tools";
	if (geteuid() && xdg && xdg[0] == '/')
		snprintf(user_dir, sizeof(user_dir), "%s/btbpf-tools", xdg);
	else if (geteuid() && home && home[0] == '/')
		snprintf(user_dir, sizeof(user_dir), "%s/.cache/btbpf-tools", home);
	if (user_dir[0])
		d[n++] = user_dir;
	return n;
}

/* The running kernel's GNU build id, in hex, from its ELF notes. */
static int kernel_build_id(char *hex, size_t size)
{
	unsigned char notes[4096];
	ssize_t len;
	size_t pos = 0, i;
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	len = read(fd, notes, sizeof(notes));
	close(fd);
	while (len > 0 && pos + 12 <= (size_t)len) {
		__u32 h[3];
		size_t name_at = pos + 12, desc_at;

		memcpy(h, notes + pos, sizeof(h));
		desc_at = name_at + ((h[0] + 3) & ~3u);
		pos = desc_at + ((h[1] + 3) & ~3u);
		if (pos > (size_t)len)
			break;
		if (h[2] != NT_GNU_BUILD_ID || h[0] != 4 || memcmp(notes + name_at, "GNU", 4) ||
		    !h[1] || h[1] * 2 + 1 > size)
			continue;
		for (i = 0; i < h[1]; i++)
			sprintf(hex + 2 * i, "%02x", notes[desc_at + i]);
		return 0;
	}
	return -1;
}

static __u64 fnv1a(const char *s, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static struct entry *find(const char *name, enum kbtf_kind kind)
{
	int i;

	for (i = 0; i < c.n; i++)
		if (c.e[i].kind == kind && !strcmp(c.e[i].name, name))
			return &c.e[i];
	return NULL;
}

/* The entry for name, added when new; NULL when out of memory. */
static struct entry *entry_for(const char *name, enum kbtf_kind kind)
{
	struct entry *e = find(name, kind), *grown;

	if (e)
		return e;
	if (c.n == c.cap) {
		grown = realloc(c.e, (c.cap ? 2 * c.cap : 32) * sizeof(*c.e));
		if (!grown)
			return NULL;
		c.e = grown;
		c.cap = c.cap ? 2 * c.cap : 32;
	}
	e = &c.e[c.n];
	*e = (struct entry){ .name = strdup(name), .kind = kind };
	if (!e->name)
		return NULL;
	c.n++;
	return e;
}

static void forget_entries(void)
{
	int i;

	for (i = 0; i < c.n; i++)
		free(c.e[i].name);
	c.n = 0;
	c.has_types = false;
}

/* One fact line (NUL-terminated, no newline); false when malformed. */
static bool parse_fact(const char *line)
{
	char kind[8], name[MAX_NAME + 1], val[32], end;
	struct entry *e;

	if (sscanf(line, "types %31[0-9]%c", val, &end) == 1) {
		c.types = strtoul(val, NULL, 10);
		c.has_types = c.types > 0;
		return c.has_types;
	}
	if (sscanf(line, "%7s %255s %31s%c", kind, name, val, &end) != 3)
		return false;
	if (!strcmp(kind, "func")) {
		char *rest;
		unsigned long id = strtoul(val, &rest, 10);

		if (*rest || !(e = entry_for(name, KBTF_FUNC)))
			return false;
		e->found = id != 0;
		e->id = id;
		return true;
	}
	if (!strcmp(kind, "enum")) {
		char *rest;
		long long v = strtoll(val, &rest, 10);

		if ((strcmp(val, "-") && *rest) || !(e = entry_for(name, KBTF_ENUM_VAL)))
			return false;
		e->found = strcmp(val, "-") != 0;
		e->value = e->found ? v : 0;
		return true;
	}
	return false;
}

/* The file's text (NUL-terminated) into c; NULL, or why it is not usable. */
static const char *parse(char *text, size_t len)
{
	char *end_line, *line, *next, *stop;
	unsigned long long sum;
	size_t keylen = strlen(c.key);

	if (len < strlen(MAGIC) || memcmp(text, MAGIC, strlen(MAGIC)))
		return "not a btbpf-tools BTF cache";
	line = text + strlen(MAGIC);
	if (strncmp(line, c.key, keylen) || line[keylen] != '\n')
		return "made for another kernel";	/* the usual case: an upgrade */
	end_line = memrchr(text, '\n', len - 1);
	if (!end_line || text[len - 1] != '\n' ||
	    sscanf(end_line + 1, "end %16llx\n", &sum) != 1 ||
	    sum != fnv1a(text, end_line + 1 - text))
		return "corrupt (its checksum does not match)";
	stop = end_line + 1;
	for (line += keylen + 1; line < stop; line = next) {
		next = memchr(line, '\n', stop - line) + 1;
		next[-1] = '\0';
		if (!parse_fact(line)) {
			forget_entries();
			return "corrupt (a line it cannot hold)";
		}
	}
	return NULL;
}

/* Reads path into c when it is ours and for this kernel: 1 read, 0 no
 * file, -1 ignored (one line says why). */
static int read_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	const char *why = NULL;
	char *text = NULL;
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : (warnx_tool("ignored the BTF cache %s: %s", path,
							 strerror(errno)), -1);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_uid != geteuid() && st.st_uid) ||
	    (st.st_mode & 022))
		why = "not a file of ours (or root's) that only its owner can write";
	else if (st.st_size > MAX_FILE)
		why = "corrupt (too large)";
	else if (!(text = malloc(st.st_size + 1)))
		why = strerror(ENOMEM);
	else if (pread(fd, text, st.st_size, 0) != st.st_size)
		why = "cannot be read whole";
	else {
		text[st.st_size] = '\0';
		why = parse(text, st.st_size);
	}
	close(fd);
	free(text);
	if (why) {
		warnx_tool("ignored the BTF cache %s: %s; it is written anew", path, why);
		return -1;
	}
	snprintf(c.path, sizeof(c.path), "%s", path);
	c.stats.path = c.path;
	return 1;
}

/* Once per process: the key of this kernel, then the first folder's file
 * that is ours and for it. */
static void load(const struct btf_header *vh)
{
	const char *dirs[3];
	char id[129], path[4096];
	int i, n;

	if (c.loaded)
		return;
	c.loaded = true;
	n = cache_dirs(dirs);
	if (!n)
		return;
	if (kernel_build_id(id, sizeof(id))) {
		warnx_tool("the kernel has no build id in /sys/kernel/notes: no BTF cache");
		return;
	}
	snprintf(c.key, sizeof(c.key), "kernel %s %u %u", id, vh->type_len, vh->str_len);
	c.usable = true;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], FILE_NAME);
		if (read_cache(path) > 0)
			return;
	}
}

bool btfcache__types(const struct btf_header *vh, __u32 *count)
{
	load(vh);
	if (!c.usable || !c.has_types)
		return false;
	*count = c.types;
	c.stats.hits++;
	return true;
}

void btfcache__set_types(__u32 count)
{
	if (!c.usable || (c.has_types && c.types == count))
		return;
	c.types = count;
	c.has_types = true;
	c.dirty = true;
}

bool btfcache__answer(const struct btf_header *vh, struct kbtf_query *q, int n)
{
	int i;

	load(vh);
	if (!c.usable)
		return false;
	for (i = 0; i < n; i++)
		if (!find(q[i].name, q[i].kind))
			return false;
	for (i = 0; i < n; i++) {
		const struct entry *e = find(q[i].name, q[i].kind);

		q[i].found = e->found;
		q[i].value = e->value;
		q[i].id = q[i].no_id ? 0 : e->id;
	}
	c.stats.hits++;
	return true;
}

void btfcache__record(const struct kbtf_query *q, int n)
{
	int i;

	if (!c.usable)
		return;
	for (i = 0; i < n; i++) {
		/* as the file holds it: a value for an enumerator, an id for a
		 * function, nothing for a name that is not there */
		struct entry want = {
			.found = q[i].found,
			.value = q[i].found && q[i].kind == KBTF_ENUM_VAL ? q[i].value : 0,
			.id = q[i].found && q[i].kind == KBTF_FUNC ? q[i].id : 0,
		}, *e;

		if (strlen(q[i].name) > MAX_NAME || strpbrk(q[i].name, " \n"))
			continue;	/* not kept: asked again next time */
		e = find(q[i].name, q[i].kind);
		if (e && e->found == want.found && e->value == want.value && e->id == want.id)
			continue;
		if (!e && !(e = entry_for(q[i].name, q[i].kind)))
			continue;	/* out of memory: asked again next time */
		e->found = want.found;
		e->value = want.value;
		e->id = want.id;
		c.dirty = true;
	}
}

/* The file's text; NULL when out of memory.  *len: its length. */
static char *format(size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int i;

	if (!f)
		return NULL;
	fprintf(f, "%s%s\n", MAGIC, c.key);
	if (c.has_types)
		fprintf(f, "types %u\n", c.types);
	for (i = 0; i < c.n; i++) {
		const struct entry *e = &c.e[i];

		if (e->kind == KBTF_FUNC)
			fprintf(f, "func %s %u\n", e->name, e->found ? e->id : 0);
		else if (e->found)
			fprintf(f, "enum %s %lld\n", e->name, e->value);
		else
			fprintf(f, "enum %s -\n", e->name);
	}
	if (fflush(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	fprintf(f, "end %016" PRIx64 "\n", (uint64_t)fnv1a(text, *len));
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* dir, and its parent when that is missing too (~/.cache): 0 or -1. */
static int make_dir(const char *dir)
{
	char parent[4096], *slash;

	if (!mkdir(dir, 0755) || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -1;
	*slash = '\0';
	if (mkdir(parent, 0700) && errno != EEXIST)
		return -1;
	return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

/* text into dir's file, whole or not at all (a temporary file renamed);
 * 0 or -errno. */
static int write_in(const char *dir, const char *text, size_t len)
{
	char tmp[4096], path[4096];
	int fd, err = 0;

	if (make_dir(dir))
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, FILE_NAME);
	snprintf(path, sizeof(path), "%s/%s", dir, FILE_NAME);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	snprintf(c.path, sizeof(c.path), "%s", path);
	c.stats.path = c.path;
	return 0;
}

void btfcache__save(void)
{
	const char *dirs[3];
	size_t len;
	char *text;
	int i, n, err = -ENOMEM;

	if (!c.usable || !c.dirty)
		return;
	c.dirty = false;	/* one try, one line at most, per change */
	n = cache_dirs(dirs);
	text = format(&len);
	for (i = 0; text && i < n; i++) {
		err = write_in(dirs[i], text, len);
		if (!err) {
			c.stats.saves++;
			break;
		}
	}
	if (err && n)
		warnx_tool("cannot write the BTF cache in %s%s: %s; vmlinux's BTF is read again next run",
			   dirs[0], n > 1 ? " or its fallbacks" : "", strerror(-err));
	free(text);
}

struct btfcache_stats btfcache__stats(void)
{
	return c.stats;
}

void btfcache__reset(void)
{
	forget_entries();
	free(c.e);
	c.e = NULL;
	c.cap = 0;
	c.loaded = c.usable = c.dirty = false;
	c.stats = (struct btfcache_stats){ 0 };
}
