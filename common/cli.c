// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bt.h"
#include "cli.h"
#include "names.h"
#include "openmetrics.h"

struct common_env common_env;

const char *argp_program_version;
const char *argp_program_bug_address = "<https://github.com/btbpf-tools/btbpf-tools/issues>";
static char version_buf[64];

enum { OPT_VERBOSE = 'v', OPT_TIMESTAMP = 'T', OPT_JSON = 'j', OPT_HELP = 'h' };

static const struct argp_option common_options[] = {
	{ "timestamp", OPT_TIMESTAMP, NULL, 0, "Include a timestamp (HH:MM:SS) on each line", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per line instead of text", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "Verbose: attach decisions, start-up phase times, instructions verified and libbpf debug output on stderr", 0 },
	/* bcc's tools take -h as well as --help */
	{ NULL, OPT_HELP, NULL, OPTION_HIDDEN, "Show this help", 0 },
	{},
};

static FILE *one_line_stderr(void);

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_INIT:
		state->err_stream = one_line_stderr();
		break;
	case OPT_VERBOSE:
		common_env.verbose = true;
		break;
	case OPT_TIMESTAMP:
		common_env.timestamp = true;
		break;
	case OPT_JSON:
		common_env.json = true;
		break;
	case OPT_HELP:
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp common_argp = {
	.options = common_options,
	.parser = common_parse,
};

/*
 * argp follows each error with a hint line ("Try `tool --help' or ...").
 * Every usage error is one line, so argp's error stream is a cookie
 * stream in front of stderr that drops that hint and passes the rest.
 * (getopt's own "unrecognized option" line goes straight to stderr.)
 */
static ssize_t drop_hint_write(void *cookie, const char *buf, size_t size)
{
	static bool in_hint, at_line_start = true;
	size_t i;

	for (i = 0; i < size; i++) {
		if (at_line_start)
			in_hint = size - i >= 5 && !memcmp(buf + i, "Try `", 5);
		if (!in_hint)
			fputc(buf[i], stderr);
		at_line_start = buf[i] == '\n';
	}
	return size;
}

static FILE *one_line_stderr(void)
{
	static FILE *f;
	cookie_io_functions_t io = { .write = drop_hint_write };

	if (!f) {
		f = fopencookie(NULL, "w", io);
		if (f)
			setvbuf(f, NULL, _IONBF, 0);
	}
	return f ? f : stderr;
}

void cli__init(const char *tool)
{
	snprintf(version_buf, sizeof(version_buf), "%s %s", tool, BTBPF_VERSION);
	argp_program_version = version_buf;
	argp_err_exit_status = EXIT_USAGE;
}

long cli__parse_long(struct argp_state *state, const char *arg, const char *what,
		     long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		argp_error(state, "invalid %s: '%s' (expected %ld..%ld)", what, arg, min, max);
	return v;
}

unsigned int cli__parse_protos(struct argp_state *state, char *arg, unsigned int allowed,
			       const char *expected)
{
	unsigned int protos = 0;
	char *save = NULL, *tok;
	int i;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < BTPROTO_MAX; i++)
			if ((allowed & (1u << i)) && bt_proto_names[i] &&
			    !strcasecmp(tok, bt_proto_names[i]))
				break;
		if (i == BTPROTO_MAX)
			argp_error(state, "unknown protocol: '%s' (expected %s)", tok, expected);
		protos |= 1u << i;
	}
	if (!protos)
		argp_error(state, "no protocol given to -P");
	return protos;
}

int cli__parse_hci_dev(struct argp_state *state, const char *arg)
{
	char *end;
	long v;

	if (strncmp(arg, "hci", 3) != 0)
		argp_error(state, "invalid device: '%s' (expected hciN)", arg);
	errno = 0;
	v = strtol(arg + 3, &end, 10);
	if (errno || end == arg + 3 || *end || v < 0 || v > 65535)
		argp_error(state, "invalid device: '%s' (expected hciN)", arg);
	return (int)v;
}

void cli__parse_interval_arg(struct argp_state *state, struct interval_args *ia,
			     const char *arg)
{
	switch (ia->seen++) {
	case 0:
		ia->interval = cli__parse_long(state, arg, "interval", 1, 86400);
		break;
	case 1:
		ia->count = cli__parse_long(state, arg, "count", 1, INT_MAX);
		break;
	default:
		argp_error(state, "unexpected argument: '%s'", arg);
	}
}

struct hist_env hist_env = { .dev = -1 };

error_t cli__parse_hist_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'm':
		hist_env.millis = true;
		break;
	case 'd':
		hist_env.dev = cli__parse_hci_dev(state, arg);
		break;
	case ARGP_KEY_ARG:
		cli__parse_interval_arg(state, &hist_env.ia, arg);
		break;
	default:
		return om__parse_arg(key, arg, state);
	}
	return 0;
}
