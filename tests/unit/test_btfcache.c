// SPDX-License-Identifier: GPL-2.0
/*
 * common/btfcache.c through kbtf__lookup("vmlinux"), in a folder of our
 * own (BTBPF_CACHE_DIR): a miss walks and writes the file, a hit answers
 * from it without a save, a new name walks again and keeps both; a file
 * for another kernel, a corrupt one, a foreign one and one that others can
 * write are each ignored with one line and written anew, and their wrong
 * answers are never given; an unwritable folder costs one line, never the
 * answers.  Each answer is checked against the walk with the cache off.
 * Needs a readable /sys/kernel/btf/vmlinux and /sys/kernel/notes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "btfcache.h"
#include "kbtf.h"
#include "unit.h"

#define NQ 4
static const char *const names[NQ] = { "schedule", "do_sys_open", "no_such_function_btbpf",
				       "TASK_COMM_LEN" };
static struct kbtf_query want[NQ];
static char dir[64], file[96], errs[96];

static void queries(struct kbtf_query *q)
{
	int i;

	for (i = 0; i < NQ; i++)
		q[i] = (struct kbtf_query){ .name = names[i],
					    .kind = i == 3 ? KBTF_ENUM_VAL : KBTF_FUNC };
}

/* One lookup of the NQ names in a fresh process state, stderr into errs;
 * its answers must be the walk's.  Returns the lines it wrote on stderr. */
static int lookup(const char *what)
{
	struct kbtf_query q[NQ];
	int saved = dup(2), fd = open(errs, O_WRONLY | O_CREAT | O_TRUNC, 0644), lines = 0, i, ch;
	FILE *f;

	btfcache__reset();
	queries(q);
	dup2(fd, 2);
	close(fd);
	CHECK(kbtf__lookup("vmlinux", q, NQ) == 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	for (i = 0; i < NQ; i++) {
		if (q[i].found != want[i].found || q[i].id != want[i].id ||
		    q[i].value != want[i].value)
			fprintf(stderr, "FAIL %s: %s: found %d id %u value %lld\n", what, names[i],
				q[i].found, q[i].id, q[i].value);
		CHECK(q[i].found == want[i].found && q[i].id == want[i].id &&
		      q[i].value == want[i].value);
	}
	if ((f = fopen(errs, "r"))) {
		while ((ch = fgetc(f)) != EOF)
			lines += ch == '\n';
		fclose(f);
	}
	return lines;
}

static bool errs_say(const char *text)
{
	char buf[1024] = "";
	FILE *f = fopen(errs, "r");

	if (f) {
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
		fclose(f);
	}
	return strstr(buf, text) != NULL;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void spit(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* The file as it is, with from replaced by to and the checksum made right
 * again: a well-formed file with a different fact. */
static void rewrite(const char *from, const char *to, mode_t mode)
{
	char text[65536], *at, *end;

	snprintf(text, sizeof(text), "%s", slurp(file));
	at = strstr(text, from);
	end = strstr(text, "\nend ");
	if (!at || !end) {
		CHECK(!"the cache file has the line to change");
		return;
	}
	memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	memcpy(at, to, strlen(to));
	end = strstr(text, "\nend ");
	sprintf(end + 1, "end %016llx\n", (unsigned long long)fnv1a(text, end + 1 - text));
	spit(file, text, mode);
}

/* schedule's id in the file made id + 1, the checksum made right again */
static void forge_schedule_id(mode_t mode)
{
	char from[64], to[64];

	snprintf(from, sizeof(from), "\nfunc schedule %u\n", want[0].id);
	snprintf(to, sizeof(to), "\nfunc schedule %u\n", want[0].id + 1);
	rewrite(from, to, mode);
}

/* A miss walks and writes; a hit reads and writes nothing; a new name walks
 * and is kept beside the others. */
static void miss_then_hit(void)
{
	struct btfcache_stats st;
	struct kbtf_query q = { .name = "schedule", .kind = KBTF_FUNC, .no_id = true };
	struct btf_header h;
	__u32 count = 0;
	char line[128];
	int fd;

	CHECK(lookup("miss") == 0);
	st = btfcache__stats();
	CHECK(st.hits == 0 && st.saves == 1 && st.path && !strcmp(st.path, file));
	CHECK(strstr(slurp(file), "btbpf-tools vmlinux BTF cache 1\nkernel ") == slurp(file));
	snprintf(line, sizeof(line), "\nfunc schedule %u\n", want[0].id);
	CHECK(strstr(slurp(file), line) != NULL);
	CHECK(strstr(slurp(file), "\nfunc no_such_function_btbpf 0\n") != NULL);
	/* the count it kept is the kernel's */
	fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	CHECK(fd >= 0 && pread(fd, &h, sizeof(h), 0) == sizeof(h));
	close(fd);
	CHECK(btfcache__types(&h, &count) && count > 10000);

	CHECK(lookup("hit") == 0);
	st = btfcache__stats();
	CHECK(st.hits == 1 && st.saves == 0);

	/* presence only: the cached answer without the id */
	btfcache__reset();
	CHECK(kbtf__lookup("vmlinux", &q, 1) == 0 && q.found && q.id == 0);
	CHECK(btfcache__stats().hits == 1);

	/* a name not in it: walked, then kept beside the others */
	q = (struct kbtf_query){ .name = "vfs_read", .kind = KBTF_FUNC };
	btfcache__reset();
	CHECK(kbtf__lookup("vmlinux", &q, 1) == 0 && q.found && q.id > 0);
	st = btfcache__stats();
	CHECK(st.hits == 0 && st.saves == 1);
	CHECK(strstr(slurp(file), "\nfunc vfs_read ") && strstr(slurp(file), "\nfunc schedule "));

	/* a new name that is not there is kept too (else every run walks) */
	q = (struct kbtf_query){ .name = "no_such_function_btbpf_2", .kind = KBTF_FUNC };
	btfcache__reset();
	CHECK(kbtf__lookup("vmlinux", &q, 1) == 0 && !q.found);
	CHECK(btfcache__stats().saves == 1);
	CHECK(strstr(slurp(file), "\nfunc no_such_function_btbpf_2 0\n") != NULL);
	btfcache__reset();
	CHECK(kbtf__lookup("vmlinux", &q, 1) == 0 && !q.found && btfcache__stats().hits == 1);
}

/* Files never used: one line each, the right answers, written anew. */
static void bad_files(void)
{
	struct kbtf_query q = { .name = "schedule", .kind = KBTF_FUNC };
	char text[65536], line[128], *at;

	rewrite("\nkernel ", "\nkernel 00", 0644);
	CHECK(lookup("stale") == 1 && errs_say("made for another kernel"));
	CHECK(btfcache__stats().saves == 1);
	CHECK(lookup("stale, rewritten") == 0 && btfcache__stats().hits == 1);

	/* corrupt: schedule's id changed, checksum left as it was */
	snprintf(line, sizeof(line), "\nfunc schedule %u\n", want[0].id);
	snprintf(text, sizeof(text), "%s", slurp(file));
	at = strstr(text, line);
	CHECK(at != NULL);
	if (at)
		at[strlen("\nfunc schedule ")] = at[strlen("\nfunc schedule ")] == '1' ? '2' : '1';
	spit(file, text, 0644);
	CHECK(lookup("corrupt") == 1 && errs_say("corrupt"));
	CHECK(btfcache__stats().saves == 1);

	/* well-formed but writable by others: its wrong id is never used */
	forge_schedule_id(0666);
	CHECK(lookup("writable by others") == 1 && errs_say("only its owner can write"));
	CHECK(btfcache__stats().saves == 1);
	/* the same with safe permissions is trusted (the key and checksum are
	 * what a file is checked by): shows the answers come from the file */
	forge_schedule_id(0644);
	btfcache__reset();
	CHECK(kbtf__lookup("vmlinux", &q, 1) == 0 && q.id == want[0].id + 1);

	spit(file, "[Desktop Entry]\nName=x\n", 0644);
	CHECK(lookup("foreign") == 1 && errs_say("not a btbpf-tools BTF cache"));
	CHECK(btfcache__stats().saves == 1);

	snprintf(text, sizeof(text), "%s", slurp(file));
	*strstr(text, "\nend ") = '\0';
	spit(file, text, 0644);
	CHECK(lookup("truncated") == 1 && errs_say("corrupt"));

	unlink(file);
	CHECK(symlink("/etc/hostname", file) == 0);
	CHECK(lookup("symlink") == 1 && errs_say("ignored the BTF cache"));
	unlink(file);
}

/* A user with CAP_BPF who is not root writes neither /var/cache nor /run:
 * the cache goes to ~/.cache/btbpf-tools, made when missing.  Run in a
 * child as nobody (only when we are root). */
static void user_fallback(void)
{
	char home[128], path[192];
	pid_t pid;
	int status = -1;

	if (geteuid()) {
		printf("(user fallback not tested: not root)\n");
		return;
	}
	snprintf(home, sizeof(home), "%s/home", dir);
	CHECK(chmod(dir, 0755) == 0);	/* mkdtemp's 0700 would keep nobody out */
	CHECK(mkdir(home, 0755) == 0 && chown(home, 65534, 65534) == 0);
	pid = fork();
	if (pid == 0) {
		struct kbtf_query q = { .name = "schedule", .kind = KBTF_FUNC };

		if (setgid(65534) || setuid(65534))
			_exit(3);
		unsetenv("BTBPF_CACHE_DIR");
		unsetenv("XDG_CACHE_HOME");
		setenv("HOME", home, 1);
		btfcache__reset();
		if (kbtf__lookup("vmlinux", &q, 1) || q.id != want[0].id)
			_exit(4);
		_exit(btfcache__stats().saves == 1 ? 0 : 5);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/.cache/btbpf-tools/vmlinux-btf", home);
	CHECK(access(path, R_OK) == 0 && strstr(slurp(path), "\nfunc schedule ") != NULL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.cache/btbpf-tools", home);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.cache", home);
	rmdir(path);
	rmdir(home);
}

int main(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) || access("/sys/kernel/notes", R_OK)) {
		printf("btfcache: 0 passed, 0 failed (skipped: no vmlinux BTF or notes)\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/btbpf-btfcache.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof(file), "%s/vmlinux-btf", dir);
	snprintf(errs, sizeof(errs), "%s/stderr", dir);

	/* the truth: the walk, cache off */
	setenv("BTBPF_CACHE_DIR", "", 1);
	queries(want);
	CHECK(kbtf__lookup("vmlinux", want, NQ) == 0);
	CHECK(want[0].found && want[0].id > 0 && want[1].found && !want[2].found && want[3].found);
	CHECK(lookup("off") == 0 && btfcache__stats().saves == 0);
	CHECK(access(file, F_OK) != 0);

	setenv("BTBPF_CACHE_DIR", dir, 1);
	miss_then_hit();
	bad_files();
	user_fallback();

	/* a folder that cannot be written: one line, right answers */
	setenv("BTBPF_CACHE_DIR", "/proc/btbpf-no-such-dir", 1);
	CHECK(lookup("unwritable") == 1 &&
	      errs_say("cannot write the BTF cache in /proc/btbpf-no-such-dir"));
	CHECK(btfcache__stats().saves == 0);

	unlink(file);
	unlink(errs);
	rmdir(dir);
	return unit_done("btfcache");
}
