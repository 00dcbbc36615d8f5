// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing: the cli helpers in a child process (they exit on bad
 * input), and bad invocations of the built tools (argp runs before any
 * root or kernel check, so this needs neither).  Every usage error must be
 * exactly one line on stderr and exit 64.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "unit.h"

static long got_long;
static int got_dev;
static struct interval_args got_ia;

static error_t parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'n':
		got_long = cli__parse_long(state, arg, "number", 1, 100);
		break;
	case 'd':
		got_dev = cli__parse_hci_dev(state, arg);
		break;
	case ARGP_KEY_ARG:
		cli__parse_interval_arg(state, &got_ia, arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option opts[] = {
	{ "num", 'n', "N", 0, "a number", 0 },
	{ "dev", 'd', "hciN", 0, "a device", 0 },
	{},
};

/* Parses argv in a child; returns its exit status, stderr in err. */
static int parse_in_child(char **argv, char *err, size_t errlen)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	static const struct argp argp = { .options = opts, .parser = parse, .children = children };
	int pfd[2], status, argc = 0;
	ssize_t n, total = 0;
	pid_t pid;

	while (argv[argc])
		argc++;
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		cli__init("t");
		argp_parse(&argp, argc, argv, 0, NULL, NULL);
		fflush(NULL);
		_exit(got_long == 42 ? 42 : 0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], err + total, errlen - 1 - total)) > 0)
		total += n;
	err[total] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define EXPECT_USAGE(msg, ...) do {						\
	char *argv_[] = { "t", __VA_ARGS__, NULL };				\
	char err_[1024];							\
	int rc_ = parse_in_child(argv_, err_, sizeof(err_));			\
	CHECK(rc_ == EXIT_USAGE);						\
	CHECK(count_lines(err_) == 1);						\
	if (!strstr(err_, msg)) { unit_fail++;					\
		fprintf(stderr, "FAIL: stderr \"%s\" lacks \"%s\"\n", err_, msg); } \
	else unit_pass++;							\
} while (0)

/* A built tool, run with env (a VAR=value prefix) and arguments: exit
 * want and exactly one line on stderr holding msg. */
static void expect_tool(const char *env, const char *tool, const char *arg1, const char *arg2,
			int want, const char *msg)
{
	char cmd[512], err[1024];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "%s build/%s %s %s 2>&1 >/dev/null", env, tool, arg1,
		 arg2 ? arg2 : "");
	p = popen(cmd, "r");
	if (!p) {
		CHECK(!"popen");
		return;
	}
	n = fread(err, 1, sizeof(err) - 1, p);
	err[n] = '\0';
	status = pclose(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == want && count_lines(err) == 1 &&
	    strstr(err, msg)) {
		unit_pass++;
	} else {
		unit_fail++;
		fprintf(stderr, "FAIL: %s %s %s %s: status %d, stderr \"%s\" (want one line with \"%s\")\n",
			env, tool, arg1, arg2 ? arg2 : "", WEXITSTATUS(status), err, msg);
	}
}

/* A built tool, run with bad arguments: exit 64 and exactly one line. */
static void expect_tool_usage(const char *tool, const char *arg1, const char *arg2,
			      const char *msg)
{
	expect_tool("", tool, arg1, arg2, EXIT_USAGE, msg);
}

/* Names in dir besides . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* --openmetrics into a missing, a read-only or a non-directory: one line,
 * exit 1, no file anywhere; --cgroup on what is not a cgroup v2 directory.
 * The read-only directory is root's, mode 0555, which root ignores through
 * CAP_DAC_OVERRIDE: as root the tool runs without it (it fails before any
 * privilege check; still root, so the scratch directories stay reachable). */
static void expect_openmetrics_refused(void)
{
	static const char *const tools[][2] = {
		{ "btacklat", "--openmetrics" }, { "btsnoop-sock", "-c --openmetrics" },
		{ "bturblat", "--openmetrics" }, { "btpktlat", "--openmetrics" },
	};
	char ro[] = "/tmp/btbpf-om-XXXXXX", path[64];
	const char *as = geteuid() ? "" : "setpriv --bounding-set=-dac_override";

	if (!mkdtemp(ro) || chmod(ro, 0555)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/x.prom", ro);
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		expect_tool("", tools[i][0], tools[i][1], "/nonexistent-btbpf/x.prom", 1,
			    "--openmetrics: cannot write into directory '/nonexistent-btbpf': No such file or directory");
		expect_tool(as, tools[i][0], tools[i][1], path, 1,
			    "--openmetrics: cannot write into directory '/tmp/btbpf-om-");
		expect_tool("", tools[i][0], tools[i][1], "/etc/passwd/x.prom", 1,
			    "--openmetrics: cannot write into directory '/etc/passwd': Not a directory");
		expect_tool("", tools[i][0], tools[i][1], "/tmp", 1, "--openmetrics: '/tmp' is a directory");
	}
	CHECK(dir_entries(ro) == 0);
	CHECK(access("/nonexistent-btbpf", F_OK) != 0);
	rmdir(ro);
	expect_tool_usage("btacklat", "-q", NULL, "-q/--quiet needs --openmetrics");
	/* --cgroup: a missing path, a directory that is not cgroup v2 */
	for (size_t i = 0; i < 2; i++) {
		const char *tool = i ? "btwmem" : "btsnoop-sock";

		expect_tool("", tool, "--cgroup", "/nonexistent-btbpf", 1,
			    "--cgroup: '/nonexistent-btbpf': No such file or directory");
		expect_tool("", tool, "--cgroup", "/etc", 1,
			    "--cgroup: '/etc': not a cgroup v2 directory");
	}
	expect_tool_usage("btsnoop-sock", "--openmetrics", "/tmp/x.prom", "--openmetrics needs -c/--count");
	expect_tool_usage("btpktlat", "-M 0 --openmetrics", "/tmp/x.prom",
			  "--openmetrics exports the histograms: not with -M");
}

int main(void)
{
	char err[1024];
	DIR *d;
	struct dirent *de;

	{
		char *argv[] = { "t", "-n", "42", "-T", "-j", NULL };
		CHECK(parse_in_child(argv, err, sizeof(err)) == 42);
		CHECK_STR(err, "");
	}
	EXPECT_USAGE("invalid number: 'abc' (expected 1..100)", "-n", "abc");
	EXPECT_USAGE("invalid number: '0'", "-n", "0");
	EXPECT_USAGE("invalid number: '-5'", "-n", "-5");
	EXPECT_USAGE("invalid number: '101'", "-n", "101");
	EXPECT_USAGE("invalid number: '99999999999999999999'", "-n", "99999999999999999999");
	EXPECT_USAGE("invalid number: '5x'", "-n", "5x");
	EXPECT_USAGE("invalid device: 'hci'", "-d", "hci");
	EXPECT_USAGE("invalid device: 'usb0'", "-d", "usb0");
	EXPECT_USAGE("invalid device: 'hci-1'", "-d", "hci-1");
	EXPECT_USAGE("invalid interval: '0'", "0");
	EXPECT_USAGE("invalid interval: 'x'", "x");
	EXPECT_USAGE("invalid count: '0'", "1", "0");
	EXPECT_USAGE("unexpected argument: '3'", "1", "2", "3");
	EXPECT_USAGE("unrecognized option '--bogus'", "--bogus");
	EXPECT_USAGE("invalid option -- 'Z'", "-Z");

	/* every built tool */
	d = opendir("tools");
	while (d && (de = readdir(d))) {
		char tool[256];
		size_t len = strlen(de->d_name);

		if (len < 3 || strcmp(de->d_name + len - 2, ".c"))
			continue;
		snprintf(tool, sizeof(tool), "%.*s", (int)(len - 2), de->d_name);
		expect_tool_usage(tool, "--bogus", NULL, "unrecognized option '--bogus'");
		expect_tool_usage(tool, "-Z", NULL, "invalid option -- 'Z'");
		/* checked before any root or kernel check: exit 1, one line */
		expect_tool("BTBPF_ATTACH=kprob", tool, "", NULL, 1,
			    "invalid BTBPF_ATTACH: 'kprob' (expected kprobe or fentry)");
		expect_tool("BTBPF_LOADER=libbp", tool, "", NULL, 1,
			    "invalid BTBPF_LOADER: 'libbp' (expected libbpf)");
	}
	if (d)
		closedir(d);

	expect_tool_usage("btsnoop-sock", "-p", "abc", "invalid PID: 'abc'");
	expect_tool_usage("btsnoop-sock", "-p", "-1", "invalid PID: '-1'");
	expect_tool_usage("btsnoop-sock", "-P", "bnep", "unknown protocol: 'bnep'");
	expect_tool_usage("btsnoop-sock", "-d", "0", "invalid duration: '0'");
	expect_tool_usage("btsnoop-sock", "-i", "5", "-i/--interval needs -c/--count");
	expect_tool_usage("btsnoop-sock", "-c", "-a", "not with -c/--count");
	expect_tool_usage("btsnoop-sock", "5", NULL, "unexpected argument: '5'");
	/* the histogram tools: positional interval/count, devices, filters */
	static const char *const hist_tools[] = { "btwmem", "bthcicredits", "btacklat", "bturblat",
						    "btpktlat" };
	for (size_t i = 0; i < sizeof(hist_tools) / sizeof(hist_tools[0]); i++) {
		expect_tool_usage(hist_tools[i], "0", NULL, "invalid interval: '0'");
		expect_tool_usage(hist_tools[i], "-1", NULL, "invalid option -- '1'");
		expect_tool_usage(hist_tools[i], "99999999", NULL, "invalid interval: '99999999'");
		expect_tool_usage(hist_tools[i], "1", "0", "invalid count: '0'");
		expect_tool_usage(hist_tools[i], "1", "x", "invalid count: 'x'");
		expect_tool_usage(hist_tools[i], "1 2", "3", "unexpected argument: '3'");
	}
	expect_tool_usage("bthcicredits", "-d", "hci", "invalid device: 'hci'");
	expect_tool_usage("btacklat", "-d", "usb0", "invalid device: 'usb0'");
	expect_tool_usage("bturblat", "-d", "hci-1", "invalid device: 'hci-1'");
	expect_tool_usage("bturblat", "-t", "bogus", "unknown packet type: 'bogus'");
	expect_tool_usage("btpktlat", "-d", "hci", "invalid device: 'hci'");
	expect_tool_usage("btpktlat", "-p", "0", "invalid PID: '0'");
	expect_tool_usage("btpktlat", "-M", "x", "invalid MS: 'x'");
	expect_tool_usage("btpktlat", "-M", "-1", "invalid MS: '-1'");
	expect_tool_usage("btpktlat", "-M 5", "1", "-M prints one line per packet: no interval");
	expect_tool_usage("btpktlat", "-M 5", "-C", "-C and -m shape the histograms: not with -M");
	expect_tool_usage("btpktlat", "-m", "-M 5", "-C and -m shape the histograms: not with -M");
	/* -r takes every option the send side takes, with the same limits */
	expect_tool_usage("btpktlat", "-r -M 5", "1", "-M prints one line per packet: no interval");
	expect_tool_usage("btpktlat", "-r -M 5", "-C", "-C and -m shape the histograms: not with -M");
	expect_tool_usage("btpktlat", "-r -p", "0", "invalid PID: '0'");
	expect_tool_usage("btpktlat", "-r", "x", "invalid interval: 'x'");
	expect_tool_usage("btpktlat", "-P", "hci", "unknown protocol: 'hci' (expected l2cap, iso, sco)");
	expect_tool_usage("btpktlat", "-P", "l2cap,bnep", "unknown protocol: 'bnep'");
	expect_tool_usage("btpktlat", "-P", ",", "no protocol given to -P");
	expect_tool_usage("btpktlat", "-r -P", "rfcomm", "unknown protocol: 'rfcomm'");
	expect_tool_usage("btpktlat", "-r -M 0 --openmetrics", "/tmp/x.prom",
			  "--openmetrics exports the histograms: not with -M");
	expect_tool_usage("btwmem", "-p", "abc", "invalid PID: 'abc'");
	expect_tool_usage("btwmem", "--heatmap", "-S", "not with -P, -S, -G or -w");
	/* -G: a key of its own, one key per run; counts only */
	expect_tool_usage("btwmem", "-G", "-P", "-P, -S and -G are exclusive");
	expect_tool_usage("btwmem", "-S", "-G", "-P, -S and -G are exclusive");
	expect_tool_usage("btwmem", "-P", "-S", "-P, -S and -G are exclusive");
	expect_tool_usage("btwmem", "--heatmap", "-G", "not with -P, -S, -G or -w");
	expect_tool_usage("btsnoop-sock", "-G", NULL, "-G/--per-cgroup needs -c/--count");
	expect_tool_usage("btsnoop-sock", "-G", "-x", "-G/--per-cgroup needs -c/--count");
	expect_openmetrics_refused();
	return unit_done("cli");
}
