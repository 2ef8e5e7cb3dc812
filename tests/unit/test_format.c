// SPDX-License-Identifier: MIT
/* hypervisor/lib/format.c against the C library's snprintf. */
#include <stdio.h>
#include <string.h>

#include <hv/format.h>

#include "unit.h"

#define SAME_AS_LIBC(...)						\
	do {								\
		char ours[128], libc[128];				\
		int n1 = format(ours, sizeof(ours), __VA_ARGS__);	\
		int n2 = snprintf(libc, sizeof(libc), __VA_ARGS__);	\
		CHECK_STR_EQ(ours, libc);				\
		CHECK_EQ(n1, n2);					\
	} while (0)

TEST(integers_match_libc)
{
	SAME_AS_LIBC("%d %i %u", 0, -1, 42u);
	SAME_AS_LIBC("%d", -2147483647 - 1);
	SAME_AS_LIBC("%lld %llu", -9223372036854775807LL - 1, 18446744073709551615ULL);
	SAME_AS_LIBC("%x %X %#x %#X %#o %o", 0xbeefu, 0xbeefu, 0x10u, 0u, 8u, 0u);
	SAME_AS_LIBC("%lx %zx %zu", 0xffffffffffffffffUL, (size_t)123, (size_t)456);
	SAME_AS_LIBC("%hhu %hd %hhx", 300, 70000, 0x1ff);
}

TEST(width_precision_and_flags_match_libc)
{
	SAME_AS_LIBC("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME_AS_LIBC("[%08x] [%#08x] [%-#8x] [%.4x] [%8.4x]", 0xabu, 0xabu, 0xabu, 0xabu, 0xabu);
	SAME_AS_LIBC("[%05d] [%.3d] [%6.3d] [%-6.3d|]", -42, -7, -7, 7);
	SAME_AS_LIBC("[%.0d] [%.0x] [%5.0d]", 0, 0u, 0);
	SAME_AS_LIBC("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 3, 1);
	SAME_AS_LIBC("[%016llx]", 0xffffffff8020b6beULL);
}

TEST(strings_and_chars_match_libc)
{
	SAME_AS_LIBC("[%s] [%10s] [%-10s] [%.2s] [%.*s]", "abc", "abc", "abc", "abc", 1, "abc");
	SAME_AS_LIBC("[%c] [%3c] [%-3c] [%%]", 'x', 'y', 'z');
	SAME_AS_LIBC("%p", (void *)0xffffffff80200000ULL);
}

TEST(truncates_and_reports_full_length)
{
	char buf[8];
	int n = format(buf, sizeof(buf), "%s", "0123456789");

	CHECK_EQ(n, 10);
	CHECK_STR_EQ(buf, "0123456");
	CHECK_EQ(format(NULL, 0, "%d", 12345), 5);
}

/* Deliberately bad format strings: the compiler's format checking is off here. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
TEST(null_string_and_unknown_conversion_are_visible)
{
	char buf[64];
	const char *null_string = NULL;

	format(buf, sizeof(buf), "%s", null_string);
	CHECK_STR_EQ(buf, "(null)");
	format(buf, sizeof(buf), "a%qb %d", 5);
	CHECK_STR_EQ(buf, "a%qb 5");
}
