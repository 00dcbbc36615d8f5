/* SPDX-License-Identifier: GPL-2.0 */
/* The life of a tool run: libbpf logging, signals, the main loop, output. */
#ifndef BTBPF_TRACE_H
#define BTBPF_TRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

extern const char *tool_name;
extern volatile sig_atomic_t exiting;

/* Routes libbpf's messages to stderr (debug ones only with -v), makes
 * SIGINT and SIGTERM end the trace, and turns SIGPIPE into a quiet end
 * (see trace__output_ok). */
void trace__init(const char *tool);

/* With -v: "tool: start-up: WHAT done at N ms" on stderr, the time since
 * trace__init (right after the command line is parsed), so a slow start
 * can be split into its phases. */
void trace__phase(const char *what);

/* With -v: the instructions the verifier walked for one loaded program
 * (the kernel's count, 5.16+; 0 before), and their sum over the run.  Unlike
 * start-up time, which moves by half under emulation between two runs, it
 * is the same every run: the measure of the verifier's share of start-up. */
void trace__verified(const struct bpf_program *prog, int prog_fd);
void trace__verified_total(void);

/* The instructions the verifier walked for the program prog_fd (0 when
 * the kernel does not say). */
unsigned int trace__insns_verified(int prog_fd);

/* "tool: message" on stderr. */
void warnx_tool(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flushes stdout; false once the reader went away (| head): the tool then
 * stops quietly with exit status 0. */
bool trace__output_ok(void);

/* "HH:MM:SS" now, or for a bpf_ktime_get_ns() value. */
char *trace__time_now(char buf[16]);
char *trace__time_of(__u64 ktime_ns, char buf[16]);

/* Before load: the event ring of a run that streams no events (events.bpf.h
 * defines it for every run of the tool) takes one page, not its full size. */
void trace__ring_unused(struct bpf_map *map);

/* The tool's event ring buffer; prints one line and returns NULL on failure. */
struct ring_buffer *trace__ring_buffer(struct bpf_map *map, ring_buffer_sample_fn fn, void *ctx);

struct loop_opts {
	struct ring_buffer *rb;		/* polled when set */
	long interval_s;		/* call on_tick every interval; 0: only at the end */
	long count;			/* stop after that many ticks; 0: no limit */
	long duration_s;		/* stop after that long; 0: no limit */
	const volatile __u64 *lost;	/* BPF counter of dropped events */
	/* Called per interval and once at the end (final == true), unless the
	 * last interval has just printed.  Returns false to stop. */
	bool (*on_tick)(void *ctx, bool final);
	void *ctx;
};

/* Runs until Ctrl-C/SIGTERM, the duration, the count, or a closed stdout.
 * Returns 0, or a negative error from polling. */
int trace__run(const struct loop_opts *o);

#endif
