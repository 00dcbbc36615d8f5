// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "trace.h"

const char *tool_name = "btbpf";
volatile sig_atomic_t exiting;
static bool output_closed;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !common_env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	exiting = 1;
}

static struct timespec started;

void trace__phase(const char *what)
{
	struct timespec now;

	if (!common_env.verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "%s: start-up: %s done at %.1f ms\n", tool_name, what,
		(now.tv_sec - started.tv_sec) * 1e3 + (now.tv_nsec - started.tv_nsec) / 1e6);
}

static unsigned long verified_total;
static unsigned int verified_progs;

unsigned int trace__insns_verified(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.verified_insns;
}

void trace__verified(const struct bpf_program *prog, int prog_fd)
{
	unsigned int n;

	if (!common_env.verbose)
		return;
	n = trace__insns_verified(prog_fd);
	verified_total += n;
	verified_progs++;
	fprintf(stderr, "%s: start-up: %s: %u instructions verified\n", tool_name,
		bpf_program__name(prog), n);
}

void trace__verified_total(void)
{
	if (common_env.verbose && verified_progs)
		fprintf(stderr, "%s: start-up: %u programs, %lu instructions verified\n",
			tool_name, verified_progs, verified_total);
}

void trace__init(const char *tool)
{
	struct sigaction sa = { .sa_handler = on_signal };

	clock_gettime(CLOCK_MONOTONIC, &started);

	tool_name = tool;
	libbpf_set_print(libbpf_print);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe shows up as EPIPE on write instead of killing us, so
	 * the links are released by a normal exit. */
	signal(SIGPIPE, SIG_IGN);
}

void warnx_tool(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool trace__output_ok(void)
{
	if (output_closed)
		return false;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		output_closed = true;
		exiting = 1;
		return false;
	}
	return true;
}

char *trace__time_now(char buf[16])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, 16, "%H:%M:%S", &tm);
	return buf;
}

char *trace__time_of(__u64 ktime_ns, char buf[16])
{
	struct timespec mono, real;
	struct tm tm;
	time_t t;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: shift it onto the wall clock */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	t = real.tv_sec - (time_t)((mono.tv_sec * 1000000000ULL + mono.tv_nsec - ktime_ns) /
				   1000000000ULL);
	localtime_r(&t, &tm);
	strftime(buf, 16, "%H:%M:%S", &tm);
	return buf;
}

void trace__ring_unused(struct bpf_map *map)
{
	bpf_map__set_max_entries(map, getpagesize());
}

struct ring_buffer *trace__ring_buffer(struct bpf_map *map, ring_buffer_sample_fn fn, void *ctx)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), fn, ctx, NULL);

	if (!rb)
		warnx_tool("failed to create the ring buffer: %s", strerror(errno));
	return rb;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void report_lost(const volatile __u64 *lost, __u64 *reported)
{
	__u64 now;

	if (!lost)
		return;
	now = *lost;
	if (now != *reported) {
		fprintf(stderr, "%s: %llu events lost (ring buffer full)\n", tool_name,
			(unsigned long long)(now - *reported));
		*reported = now;
	}
}

int trace__run(const struct loop_opts *o)
{
	__u64 start = now_ms(), next_tick = 0, reported = 0;
	long ticks = 0;
	bool count_reached = false;
	int err = 0;

	if (o->interval_s)
		next_tick = start + o->interval_s * 1000;
	/* the banner: readers of a pipe wait for it to know we are attached */
	trace__output_ok();
	while (!exiting) {
		__u64 now = now_ms();
		int timeout = 100;

		if (o->duration_s && now - start >= (__u64)o->duration_s * 1000)
			break;
		if (next_tick && now >= next_tick) {
			if (o->on_tick && !o->on_tick(o->ctx, false))
				break;
			report_lost(o->lost, &reported);
			if (!trace__output_ok())
				break;
			next_tick += o->interval_s * 1000;
			if (o->count && ++ticks >= o->count) {
				count_reached = true;
				break;
			}
			continue;
		}
		if (next_tick && next_tick - now < (__u64)timeout)
			timeout = next_tick - now;
		if (o->rb) {
			err = ring_buffer__poll(o->rb, timeout);
			/* The BPF side wakes us only once a batch is waiting
			 * (event_submit): what came since is read at the
			 * timeout, poll itself reads only rings that woke it. */
			if (err >= 0)
				err = ring_buffer__consume(o->rb);
			if (err == -EINTR) {
				err = 0;
				continue;
			}
			if (err < 0) {
				warnx_tool("error polling the ring buffer: %s", strerror(-err));
				break;
			}
			err = 0;
			if (!trace__output_ok())
				break;
		} else {
			usleep(timeout * 1000);
		}
	}
	if (output_closed)
		return 0;
	if (o->rb)	/* what arrived before the stop */
		ring_buffer__consume(o->rb);
	/* the last interval has printed when the count ended the run */
	if (o->on_tick && !count_reached)
		o->on_tick(o->ctx, true);
	trace__output_ok();
	report_lost(o->lost, &reported);
	return err;
}
