// SPDX-License-Identifier: GPL-2.0
/* Histogram printing: bcc's layout, row ranges, star scaling, JSON. */
#define _GNU_SOURCE
#include <stdlib.h>
#include "hist.h"
#include "unit.h"

static char *print_log2(const __u64 *s, int n, const char *unit)
{
	char *buf = NULL;
	size_t size = 0;

	CAPTURE(buf, size, hist__print_log2(out, s, n, unit));
	return buf;
}

int main(void)
{
	__u64 slots[MAX_SLOTS] = {};
	char *buf = NULL;
	size_t size = 0;

	/* empty: prints nothing */
	buf = print_log2(slots, MAX_SLOTS, "usecs");
	CHECK_STR(buf, "");
	free(buf);

	slots[0] = 1;
	slots[2] = 4;
	slots[3] = 2;
	buf = print_log2(slots, MAX_SLOTS, "usecs");
	CHECK_STR(buf,
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 1        |**********                              |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |****************************************|\n"
		"         8 -> 15         : 2        |********************                    |\n");
	free(buf);

	CHECK(hist__total(slots, MAX_SLOTS) == 7);

	/* linear: 10% buckets */
	__u64 lin[10] = { [0] = 3, [9] = 3 };
	CAPTURE(buf, size, hist__print_linear(out, lin, 10, 0, 10, "percent"));
	CHECK(strstr(buf, "         0 -> 9          : 3") != NULL);
	CHECK(strstr(buf, "        90 -> 99         : 3") != NULL);
	CHECK(strstr(buf, "        10 -> 19         : 0        |                                        |") != NULL);
	free(buf);

	/* huge values switch to the wide layout */
	__u64 big[MAX_SLOTS] = {};
	big[40] = 1;
	buf = print_log2(big, MAX_SLOTS, "nsecs");
	CHECK(strstr(buf, "1099511627776 -> 2199023255551") != NULL);
	CHECK(strstr(buf, "|********************|") != NULL);
	free(buf);

	CAPTURE(buf, size, hist__json_log2(out, slots, MAX_SLOTS, "usecs"));
	CHECK_STR(buf, "{\"unit\":\"usecs\",\"total\":7,\"buckets\":["
		  "{\"lo\":0,\"hi\":1,\"count\":1},{\"lo\":4,\"hi\":7,\"count\":4},"
		  "{\"lo\":8,\"hi\":15,\"count\":2}]}");
	free(buf);
	return unit_done("hist");
}
