/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line conventions shared by every tool (argp). */
#ifndef BTBPF_CLI_H
#define BTBPF_CLI_H

#include <argp.h>
#include <stdbool.h>

#define EXIT_USAGE 64		/* sysexits EX_USAGE, argp's default too */

/* Options every tool has: -v, -T, -j (plus argp's --help, -V). */
struct common_env {
	bool verbose;
	bool timestamp;
	bool json;
};
extern struct common_env common_env;

/* argp child parser for the common options; tools list it in .children. */
extern const struct argp common_argp;

/* Sets the program version string and makes argp's own error messages one
 * line (argp adds a "Try --help" line; a usage error here is one line).
 * Call before argp_parse. */
void cli__init(const char *tool);

/* Strict number parsing: the whole string, in [min, max].  On error prints
 * "tool: invalid WHAT: 'ARG' (expected MIN..MAX)" and exits EXIT_USAGE. */
long cli__parse_long(struct argp_state *state, const char *arg, const char *what,
		     long min, long max);

/* -P PROTO,...: a mask of 1 << BTPROTO_* (bt.h) from protocol names
 * (names.h, any case), each of which must be in allowed; expected lists
 * them for the error line.  Exits EXIT_USAGE on an unknown or empty list. */
unsigned int cli__parse_protos(struct argp_state *state, char *arg, unsigned int allowed,
			       const char *expected);

/* "hci0" -> 0; exits EXIT_USAGE on anything else. */
int cli__parse_hci_dev(struct argp_state *state, const char *arg);

/* Positional [interval [count]] for the histogram tools. */
struct interval_args {
	long interval;		/* seconds, 0 = only at the end */
	long count;		/* 0 = unlimited */
	int seen;
};
void cli__parse_interval_arg(struct argp_state *state, struct interval_args *ia,
			     const char *arg);

/* What the histogram tools share: -m, -d hciN, [interval [count]] and
 * --openmetrics PATH, -q (common/openmetrics.h).  A
 * tool lists the options it has (CLI_OPTION_*) and hands the keys its own
 * parser does not know to cli__parse_hist_arg. */
struct hist_env {
	struct interval_args ia;
	bool millis;		/* -m: millisecond histograms */
	int dev;		/* -d hciN: this controller only; -1: all */
};
extern struct hist_env hist_env;

#define CLI_OPTION_MILLIS { "milliseconds", 'm', NULL, 0, "Millisecond histograms", 0 }
#define CLI_OPTION_DEVICE { "device", 'd', "hciN", 0, "Trace this controller only", 0 }

error_t cli__parse_hist_arg(int key, char *arg, struct argp_state *state);

#endif
