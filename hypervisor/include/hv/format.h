/* SPDX-License-Identifier: MIT */
#ifndef HV_FORMAT_H
#define HV_FORMAT_H

#include <hv/types.h>

/*
 * Format like C's vsnprintf into buf (always NUL-terminated when size > 0)
 * and return the length the full output would have had.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%; flags '-', '0', '+', ' ', '#';
 * field width and precision (also as '*'); length modifiers hh h l ll z t j.
 * Unknown conversions are copied through literally so a bad format string
 * is visible in the log instead of silently eating arguments.
 */
int vformat(char *buf, size_t size, const char *fmt, va_list ap);
int format(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* "2 GiB", "16 KiB", "64 bytes", "0x400001 bytes": the largest exact binary unit. Returns buf. */
const char *format_size(char *buf, size_t size, uint64_t bytes);

/*
 * For validators that explain themselves: format the reason into why (when
 * the caller gave a buffer) and return err, so a check reads
 *   return format_reject(why, why_size, -HV_EINVAL, "vm '%s': ...", name);
 */
int format_reject(char *why, size_t why_size, int err, const char *fmt, ...) __printf(4, 5);

#endif /* HV_FORMAT_H */
