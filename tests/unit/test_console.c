// SPDX-License-Identifier: MIT
/* hypervisor/console.c: log lines as the serial port receives them. */
#include <string.h>

#include <hv/console.h>
#include <hv/time.h>

#include "unit.h"

static char out[4096];
static size_t out_len;

void serial_write(const char *s, size_t len)
{
	CHECK(out_len + len <= sizeof(out));
	memcpy(out + out_len, s, len);
	out_len += len;
}

bool time_ns_since_boot(uint64_t *ns)
{
	*ns = 1500000000;	/* 1.5 s */
	return true;
}

TEST(a_line_has_time_level_source_and_text)
{
	out_len = 0;
	log_msg(LOG_WARN, "hv", "x = %d", 42);
	CHECK_EQ(out_len, strlen("[    1.500000] W hv: x = 42\n"));
	CHECK(!memcmp(out, "[    1.500000] W hv: x = 42\n", out_len));
}

TEST(a_long_line_says_it_was_cut_and_still_ends)
{
	char text[1024];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	out_len = 0;
	log_msg(LOG_INFO, "guest", "%s", text);
	CHECK_EQ(out_len, 511);	/* 510 characters and the newline */
	CHECK(!memcmp(out + out_len - 7, " [cut]\n", 7));
	CHECK_EQ(out[out_len - 8], 'a');
}

TEST(a_line_that_just_fits_is_not_marked)
{
	char text[512];
	size_t prefix = strlen("[    1.500000] I g: ");

	memset(text, 'b', sizeof(text));
	text[510 - prefix] = '\0';	/* 510 characters and the newline: 511 bytes */
	out_len = 0;
	log_msg(LOG_INFO, "g", "%s", text);
	CHECK_EQ(out_len, 511);
	CHECK_EQ(out[out_len - 2], 'b');
	CHECK_EQ(out[out_len - 1], '\n');
}

TEST(lines_below_the_level_are_dropped)
{
	console_set_level(LOG_WARN);
	out_len = 0;
	log_msg(LOG_INFO, "hv", "hidden");
	CHECK_EQ(out_len, 0);
	log_msg(LOG_ERROR, "hv", "shown");
	CHECK(out_len > 0);
	console_set_level(LOG_INFO);
}
