/* SPDX-License-Identifier: MIT */
/*
 * Basic types and helpers used everywhere in ring 0.
 *
 * Only the compiler's freestanding headers are used (stdint, stddef,
 * stdbool, stdarg): there is no libc in the hypervisor.
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;	/* host-physical address */

#define BIT(n)			(1ULL << (n))
#define GENMASK(hi, lo)		((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)		(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

#define KiB			(1ULL << 10)
#define MiB			(1ULL << 20)
#define GiB			(1ULL << 30)

#define __packed		__attribute__((packed))
#define __aligned(n)		__attribute__((aligned(n)))
#define __noreturn		__attribute__((noreturn))
#define __printf(f, a)		__attribute__((format(printf, f, a)))
#define __unused		__attribute__((unused))
#define __section(s)		__attribute__((section(s)))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* True if [base, base + len) wraps around the top of the address space. */
static inline bool range_wraps(uint64_t base, uint64_t len)
{
	return len != 0 && base + len - 1 < base;
}

/* True if [a, a + alen) and [b, b + blen) share at least one byte. */
static inline bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a <= b + blen - 1 && b <= a + alen - 1;
}

#endif /* HV_TYPES_H */
