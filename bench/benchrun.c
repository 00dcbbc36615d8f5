// SPDX-License-Identifier: GPL-2.0
/*
 * benchrun: run a tracing tool the way a user does and measure it.
 *
 *   benchrun [-r PREFIX] [-R PREFIX2] [-o OUT] [-e ERR] [-w WORKLOAD] [-a AFTER]
 *            [-s SETTLE_MS] [-t TIMEOUT_S] [-- TOOL ARGS...]
 *
 * Starts TOOL with its stdout on a pipe (copied to OUT) and its stderr in
 * ERR, and takes the time from just before fork() until a stdout line
 * starting with PREFIX arrives (the tool says it is ready).  Then runs the
 * shell command WORKLOAD and times it, waits SETTLE_MS for the last events
 * to be printed, runs the shell command AFTER (not timed), sends SIGINT
 * (SIGKILL 180 s later if it has not closed its stdout by then: bpftrace
 * takes long under TCG to detach 20 kprobes)
 * and collects the tool's exit status and maximum RSS (wait4's ru_maxrss,
 * the high-water mark of the whole process).  Without TOOL only WORKLOAD
 * is timed.  Prints one line:
 *   ready_ms=R ready2_ms=R2 work_ms=W maxrss_kb=K rc=C
 * With -R, the time until a line starting with PREFIX2 is printed as
 * ready2_ms (bpftrace: -r "Attaching" is printed before the probes are
 * attached, -R matches the line its BEGIN probe prints once they are).
 * Exit status 0, or 1 when the tool never got ready (R = -1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct reader {
	int fd, out;
	const char *prefix, *prefix2;
	char line[4096];
	size_t len;
	int ready, ready2, eof;
	double t0, t_ready, t_ready2;
};

/* Copy what the pipe has (up to wait_ms for the first bytes); note the ready line. */
static void drain(struct reader *r, int wait_ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	char buf[65536];
	ssize_t n;
	int i;

	if (r->eof || poll(&p, 1, wait_ms) <= 0)
		return;
	n = read(r->fd, buf, sizeof(buf));
	if (n <= 0) {
		r->eof = 1;
		return;
	}
	if (r->out >= 0 && write(r->out, buf, n) != n)
		perror("benchrun: write");
	for (i = 0; i < n && !(r->ready && r->ready2); i++) {
		if (buf[i] == '\n') {
			r->line[r->len] = '\0';
			if (!r->ready && !strncmp(r->line, r->prefix, strlen(r->prefix))) {
				r->ready = 1;
				r->t_ready = now_ms() - r->t0;
			}
			if (!r->ready2 && !strncmp(r->line, r->prefix2, strlen(r->prefix2))) {
				r->ready2 = 1;
				r->t_ready2 = now_ms() - r->t0;
			}
			r->len = 0;
		} else if (r->len < sizeof(r->line) - 1) {
			r->line[r->len++] = buf[i];
		}
	}
}

/* Run a shell command while keeping the tool's pipe drained. */
static int run_shell(const char *cmd, struct reader *r)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, r ? WNOHANG : 0);

		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (w < 0 && errno != EINTR)
			return -1;
		if (r)
			drain(r, 5);
		if (r && r->eof)
			usleep(5000);
	}
}

int main(int argc, char **argv)
{
	const char *prefix = "Tracing", *prefix2 = NULL, *out = "/dev/null", *err = "/dev/null";
	const char *work = NULL, *after = NULL;
	int settle = 500, timeout = 180, c, pfd[2], st = 0, rc = 0;
	double t0, ready = -1, ready2 = -1, work_ms = -1;
	struct reader r = { .fd = -1, .out = -1 };
	struct rusage ru = {};
	pid_t pid = -1;

	while ((c = getopt(argc, argv, "r:R:o:e:w:a:s:t:")) != -1) {
		switch (c) {
		case 'r': prefix = optarg; break;
		case 'R': prefix2 = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		case 'w': work = optarg; break;
		case 'a': after = optarg; break;
		case 's': settle = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: benchrun [-r PREFIX] [-R PREFIX2] [-o OUT] [-e ERR] [-w WORKLOAD] [-a AFTER] [-s SETTLE_MS] [-t TIMEOUT_S] [-- TOOL ARGS...]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (optind < argc) {
		r.prefix = prefix;
		r.prefix2 = prefix2 ? prefix2 : prefix;
		r.ready2 = !prefix2;
		r.out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (r.out < 0 || pipe(pfd)) {
			perror("benchrun: output");
			return 2;
		}
		t0 = r.t0 = now_ms();
		pid = fork();
		if (pid == 0) {
			int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			dup2(pfd[1], 1);
			if (e >= 0)
				dup2(e, 2);
			close(pfd[0]);
			close(pfd[1]);
			execvp(argv[optind], argv + optind);
			perror("benchrun: exec");
			_exit(127);
		}
		close(pfd[1]);
		r.fd = pfd[0];
		while (!(r.ready && r.ready2) && !r.eof && now_ms() - t0 < timeout * 1e3)
			drain(&r, 100);
		if (r.ready)
			ready = r.t_ready;
		if (r.ready && prefix2 && r.ready2)
			ready2 = r.t_ready2;
	}
	if (work && (pid < 0 || r.ready)) {
		double w0 = now_ms();

		rc = run_shell(work, pid < 0 ? NULL : &r);
		work_ms = now_ms() - w0;
		if (rc)
			fprintf(stderr, "benchrun: workload exited %d\n", rc);
	}
	if (pid > 0) {
		double s0 = now_ms();

		while (now_ms() - s0 < settle)
			drain(&r, 20);
		if (after)
			run_shell(after, &r);
		kill(pid, SIGINT);
		s0 = now_ms();
		while (!r.eof && now_ms() - s0 < 180e3)
			drain(&r, 100);
		if (!r.eof)
			kill(pid, SIGKILL);
		wait4(pid, &st, 0, &ru);
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else if (after) {
		run_shell(after, NULL);
	}
	printf("ready_ms=%.1f ready2_ms=%.1f work_ms=%.1f maxrss_kb=%ld rc=%d\n", ready, ready2, work_ms,
	       ru.ru_maxrss, pid > 0 ? st : rc);
	return pid > 0 && !r.ready;
}
