// SPDX-License-Identifier: MIT
#include <abi/errno.h>
#include <hv/clockmath.h>

bool mul_div_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t *q, uint64_t *rem)
{
	/* A 128-bit multiply is a single MUL; only the division needs doing by hand. */
	unsigned __int128 product = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(product >> 64), lo = (uint64_t)product;
	uint64_t r = hi, quot = 0;

	if (c == 0 || hi >= c)
		return false;		/* division by zero, or a quotient of 65 bits or more */

	/* Restoring long division, one quotient bit per step; r < c throughout. */
	for (int bit = 63; bit >= 0; bit--) {
		bool carry = r >> 63;	/* r << 1 loses this bit: then 2r + 1 >= c surely */

		r = r << 1 | ((lo >> bit) & 1);
		quot <<= 1;
		if (carry || r >= c) {
			r -= c;		/* wraps back into range when carry was set */
			quot |= 1;
		}
	}
	*q = quot;
	if (rem)
		*rem = r;
	return true;
}

int freq_from_reference(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz_num,
			uint64_t ref_hz_den, uint64_t *hz)
{
	uint64_t den;

	if (!ref_ticks || !ref_hz_den)
		return -HV_EINVAL;
	if (__builtin_mul_overflow(ref_ticks, ref_hz_den, &den))
		return -HV_EOVERFLOW;
	if (!mul_div_u64(ticks, ref_hz_num, den, hz, NULL))
		return -HV_EOVERFLOW;
	return 0;
}

int period_to_count(uint64_t hz, uint64_t ns, unsigned int max_divisor,
		    uint32_t *count, unsigned int *divisor)
{
	uint64_t ticks, rem;

	if (!hz)
		return -HV_EINVAL;
	if (!mul_div_u64(ns, hz, 1000000000ULL, &ticks, &rem))
		return -HV_ERANGE;
	if (rem >= 1000000000ULL - rem)
		ticks++;		/* to nearest */

	for (unsigned int div = 1; div && div <= max_divisor; div *= 2) {
		uint64_t c = ticks / div + (ticks % div >= div - ticks % div ? 1 : 0);

		if (c == 0)
			return -HV_ERANGE;
		if (c <= UINT32_MAX) {
			*count = (uint32_t)c;
			*divisor = div;
			return 0;
		}
	}
	return -HV_ERANGE;
}
