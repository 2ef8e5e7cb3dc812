/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test framework for ring-0 logic compiled for the host.
 *
 *   TEST(parses_empty_cmdline) { CHECK_EQ(parse(""), 0); }
 *
 * Each test binary prints "PASS name" or "FAIL name" per test, the failed
 * checks with file and line, and ends with "N passed, N failed"; it exits
 * non-zero if anything failed. Built with AddressSanitizer and UBSan.
 */
#ifndef UNIT_H
#define UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void register_##name(void)	\
	{ unit_register(#name, name); }					\
	static void name(void)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);	\
		if (a_ != b_)						\
			unit_fail(__FILE__, __LINE__, "%s == %s: %#" PRIx64 " != %#" PRIx64, \
				  #a, #b, a_, b_);			\
	} while (0)

#define CHECK_STR_EQ(a, b)						\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		if (strcmp(a_, b_))					\
			unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				  #a, #b, a_, b_);			\
	} while (0)

/* Read a whole file (a fixture) into a malloc'd buffer; aborts the test run on error. */
void *unit_read_file(const char *path, size_t *len);

#endif /* UNIT_H */
