/* SPDX-License-Identifier: GPL-2.0 */
/* Just enough JSON output for -j: strings escaped per RFC 8259. */
#ifndef BTBPF_JSON_H
#define BTBPF_JSON_H

#include <stdio.h>

/* Writes s as a quoted JSON string. */
void json__string(FILE *f, const char *s);

/* Same, from a buffer that may not be NUL-terminated (comm[16]). */
void json__string_n(FILE *f, const char *s, size_t n);

/* Opens an interval's JSON object: "{", then "time":"HH:MM:SS", when -T
 * asked for timestamps. */
void json__begin_row(FILE *f);

#endif
