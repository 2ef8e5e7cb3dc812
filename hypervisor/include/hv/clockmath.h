/* SPDX-License-Identifier: MIT */
/*
 * Clock arithmetic that must not overflow: frequencies from counts, counts
 * from periods. The ring-0 build has no libgcc, so no 128-bit division
 * helper (__udivti3) either: mul_div_u64 does it by hand.
 */
#ifndef HV_CLOCKMATH_H
#define HV_CLOCKMATH_H

#include <hv/types.h>

/*
 * *q = a * b / c, rounded down, with a 128-bit intermediate product, and
 * the remainder in *rem unless rem is NULL. Returns false (and leaves *q
 * alone) if c is 0 or the quotient does not fit in 64 bits.
 */
bool mul_div_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t *q, uint64_t *rem);

/*
 * The frequency of a counter that advanced `ticks` while a reference clock
 * of ref_hz_num / ref_hz_den Hz advanced `ref_ticks`:
 *   *hz = ticks * ref_hz_num / (ref_ticks * ref_hz_den).
 * An HPET with a period of P femtoseconds is ref_hz_num = 10^15,
 * ref_hz_den = P; the PIT is 1193182 / 1. Returns 0, -HV_EINVAL for a zero
 * reference count or denominator, -HV_EOVERFLOW if the result or the
 * denominator does not fit in 64 bits.
 */
int freq_from_reference(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz_num,
			uint64_t ref_hz_den, uint64_t *hz);

/*
 * The initial count and power-of-two divisor (1..max_divisor) that make a
 * down-counter clocked at `hz` expire after `ns` nanoseconds: the smallest
 * divisor whose count fits in 32 bits, rounded to the nearest tick.
 * Returns 0, -HV_EINVAL for hz == 0, -HV_ERANGE if the period is shorter
 * than one tick or too long for any divisor.
 */
int period_to_count(uint64_t hz, uint64_t ns, unsigned int max_divisor,
		    uint32_t *count, unsigned int *divisor);

#endif /* HV_CLOCKMATH_H */
