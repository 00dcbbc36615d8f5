// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "cli.h"
#include "json.h"
#include "trace.h"

void json__string_n(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);	/* UTF-8 bytes pass through */
		}
	}
	fputc('"', f);
}

void json__string(FILE *f, const char *s)
{
	json__string_n(f, s, strlen(s));
}

void json__begin_row(FILE *f)
{
	char ts[16];

	fputc('{', f);
	if (common_env.timestamp)
		fprintf(f, "\"time\":\"%s\",", trace__time_now(ts));
}
