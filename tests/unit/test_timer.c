// SPDX-License-Identifier: MIT
/*
 * hypervisor/lib/clockmath.c: the arithmetic behind timer calibration; and
 * abi/vm_boot.h's uhv_tsc_to_ns, the conversion the hypervisor's clock and
 * every VM's TSC clock share.
 */
#include <stdlib.h>

#include <abi/errno.h>
#include <abi/vm_boot.h>
#include <hv/clockmath.h>

#include "unit.h"

/* The host has libgcc's 128-bit division: the reference to check against. */
static bool reference_mul_div(uint64_t a, uint64_t b, uint64_t c, uint64_t *q, uint64_t *r)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	if (c == 0 || p / c > UINT64_MAX)
		return false;
	*q = (uint64_t)(p / c);
	*r = (uint64_t)(p % c);
	return true;
}

static uint64_t rand64(void)
{
	return (uint64_t)random() << 42 ^ (uint64_t)random() << 21 ^ (uint64_t)random();
}

TEST(mul_div_matches_128_bit_division)
{
	static const uint64_t edge[] = { 0, 1, 2, 3, 1000, 1000000000ULL, 1000000000000000ULL,
					 UINT32_MAX, (uint64_t)UINT32_MAX + 1, INT64_MAX,
					 (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX };
	unsigned int checked = 0;

	srandom(12345);
	for (int i = 0; i < 200000; i++) {
		uint64_t a, b, c, q = 0, r = 0, rq = 0, rr = 0;

		if (i < 13 * 13 * 13) {
			a = edge[i % 13];
			b = edge[i / 13 % 13];
			c = edge[i / 169 % 13];
		} else {
			/* Random widths, so that quotients both fit and overflow. */
			a = rand64() >> (random() % 64);
			b = rand64() >> (random() % 64);
			c = rand64() >> (random() % 64);
		}
		bool ok = mul_div_u64(a, b, c, &q, &r);
		bool rok = reference_mul_div(a, b, c, &rq, &rr);

		if (ok != rok || (ok && (q != rq || r != rr))) {
			CHECK_EQ(ok, rok);
			CHECK_EQ(q, rq);
			CHECK_EQ(r, rr);
			printf("    a=%#" PRIx64 " b=%#" PRIx64 " c=%#" PRIx64 "\n", a, b, c);
			return;
		}
		checked += ok;
	}
	CHECK(checked > 1000);		/* the loop really compared quotients */
}

TEST(mul_div_refuses_zero_divisor_and_65_bit_quotients)
{
	uint64_t q = 42;

	CHECK(!mul_div_u64(1, 1, 0, &q, NULL));
	CHECK(!mul_div_u64(UINT64_MAX, 2, 1, &q, NULL));
	CHECK(!mul_div_u64(1ULL << 32, 1ULL << 32, 1, &q, NULL));
	CHECK_EQ(q, 42);				/* untouched on failure */
	CHECK(mul_div_u64(UINT64_MAX, UINT64_MAX, UINT64_MAX, &q, NULL));
	CHECK_EQ(q, UINT64_MAX);
	/* 26e6 ticks * 1e15 overflows 64 bits on its own: the reason this exists. */
	CHECK(mul_div_u64(26000000ULL, 1000000000000000ULL, 10000000000000ULL, &q, NULL));
	CHECK_EQ(q, 2600000000ULL);
}

TEST(frequency_from_hpet_counts)
{
	uint64_t hz = 0;

	/* QEMU's HPET: 100 MHz, period 10^7 fs; 10 ms = 10^6 HPET ticks. */
	CHECK_EQ(freq_from_reference(26000000, 1000000, 1000000000000000ULL, 10000000, &hz), 0);
	CHECK_EQ(hz, 2600000000ULL);
	/* An HPET at the 14.31818 MHz crystal: period 69841279 fs. */
	CHECK_EQ(freq_from_reference(1000000000ULL, 14318180, 1000000000000000ULL, 69841279, &hz), 0);
	CHECK(hz > 999999000ULL && hz < 1000001000ULL);
}

TEST(frequency_from_pit_counts)
{
	uint64_t hz = 0;

	/* Measured in QEMU: 24456343 TSC ticks while the PIT counted 11931. */
	CHECK_EQ(freq_from_reference(24456343, 11931, 1193182, 1, &hz), 0);
	CHECK_EQ(hz, 24456343ULL * 1193182 / 11931);
	/* Bochs: one TSC tick per instruction at 100 M instructions per emulated second. */
	CHECK_EQ(freq_from_reference(1000004, 11931, 1193182, 1, &hz), 0);
	CHECK_EQ(hz, 100007272ULL);
}

TEST(frequency_rejects_bad_references)
{
	uint64_t hz = 7;

	CHECK_EQ(freq_from_reference(100, 0, 1193182, 1, &hz), -HV_EINVAL);
	CHECK_EQ(freq_from_reference(100, 10, 1193182, 0, &hz), -HV_EINVAL);
	CHECK_EQ(freq_from_reference(100, UINT64_MAX, 1000000000000000ULL, 2, &hz), -HV_EOVERFLOW);
	CHECK_EQ(freq_from_reference(UINT64_MAX, 1, 1000000000000000ULL, 1, &hz), -HV_EOVERFLOW);
	CHECK_EQ(hz, 7);
}

TEST(period_to_count_picks_smallest_divisor)
{
	uint32_t count = 0;
	unsigned int div = 0;

	CHECK_EQ(period_to_count(1000000000ULL, 1000000, 128, &count, &div), 0);	/* 1 ms at 1 GHz */
	CHECK_EQ(count, 1000000);
	CHECK_EQ(div, 1);
	CHECK_EQ(period_to_count(1000000000ULL, 10000000000ULL, 128, &count, &div), 0);	/* 10 s */
	CHECK_EQ(div, 4);
	CHECK_EQ(count, 2500000000ULL);
	CHECK_EQ(period_to_count(100003272ULL, 1000000, 128, &count, &div), 0);		/* Bochs */
	CHECK_EQ(count, 100003);
	CHECK_EQ(div, 1);
}

TEST(period_to_count_rounds_to_nearest)
{
	uint32_t count = 0;
	unsigned int div = 0;

	CHECK_EQ(period_to_count(3, 500000000, 128, &count, &div), 0);	/* 1.5 ticks */
	CHECK_EQ(count, 2);
	CHECK_EQ(period_to_count(3, 400000000, 128, &count, &div), 0);	/* 1.2 ticks */
	CHECK_EQ(count, 1);
}

TEST(period_to_count_rejects_impossible_periods)
{
	uint32_t count = 0;
	unsigned int div = 0;

	CHECK_EQ(period_to_count(0, 1000, 128, &count, &div), -HV_EINVAL);
	CHECK_EQ(period_to_count(1000, 1, 128, &count, &div), -HV_ERANGE);		/* < 1 tick */
	CHECK_EQ(period_to_count(1000000000ULL, 0, 128, &count, &div), -HV_ERANGE);
	/* 1 GHz / 128 still needs more than 32 bits for an hour. */
	CHECK_EQ(period_to_count(1000000000ULL, 3600ULL * 1000000000ULL, 128, &count, &div), -HV_ERANGE);
	CHECK_EQ(period_to_count(UINT64_MAX, UINT64_MAX, 128, &count, &div), -HV_ERANGE);
}

/*
 * uhv_tsc_to_ns is floor(ticks * 10^9 / hz) wherever that fits in 64 bits,
 * for every frequency up to UHV_TSC_HZ_MAX: the guests' TSC clock and
 * HC_TIME_READ agree only if this holds to the nanosecond.
 */
TEST(tsc_to_ns_is_exact_floor)
{
	static const uint64_t hz_edge[] = { 1, 3, 1000, 1193182, 100000000ULL, 999999999ULL, 1000000000ULL,
					    1000000001ULL, 2444749868ULL, 3500000000ULL, 4294967296ULL,
					    UHV_TSC_HZ_MAX - 1, UHV_TSC_HZ_MAX };
	static const uint64_t tick_edge[] = { 0, 1, 2, 999, 1000000000ULL, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
					      INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX };
	unsigned int checked = 0;

	srandom(4242);
	for (int i = 0; i < 300000; i++) {
		uint64_t hz, ticks;

		if (i < 13 * 11 * 3) {
			hz = hz_edge[i % 13];
			ticks = tick_edge[i / 13 % 11];
			/* The edges, and the ticks either side of a whole second. */
			if (i / 143 == 1)
				ticks = hz * (ticks % 1000) - (ticks % 1000 != 0);
			else if (i / 143 == 2)
				ticks = hz * (ticks % 1000) + 1;
		} else {
			hz = 1 + ((rand64() % UHV_TSC_HZ_MAX) >> (random() % 34));
			ticks = rand64() >> (random() % 64);
		}
		unsigned __int128 exact = (unsigned __int128)ticks * 1000000000ULL / hz;
		if (exact > UINT64_MAX)
			continue;	/* past 585 years: outside the contract */
		uint64_t ns = uhv_tsc_to_ns(ticks, hz);
		if (ns != (uint64_t)exact) {
			CHECK_EQ(ns, (uint64_t)exact);
			printf("    ticks=%#" PRIx64 " hz=%" PRIu64 "\n", ticks, hz);
			return;
		}
		checked++;
	}
	CHECK(checked > 100000);
	CHECK_EQ(uhv_tsc_to_ns(12345, 0), 0);	/* uncalibrated: no time */
	CHECK_EQ(uhv_tsc_to_ns(2444749868ULL, 2444749868ULL), 1000000000ULL);
	CHECK_EQ(uhv_tsc_to_ns(2444749867ULL, 2444749868ULL), 999999999ULL);
}

/* A clock read twice never goes back: the conversion is monotonic in ticks. */
TEST(tsc_to_ns_is_monotonic)
{
	static const uint64_t hz[] = { 100000000ULL, 2444749868ULL, 3500000000ULL, UHV_TSC_HZ_MAX };

	srandom(777);
	for (size_t k = 0; k < sizeof(hz) / sizeof(hz[0]); k++) {
		uint64_t t = rand64() >> 20, prev = uhv_tsc_to_ns(t, hz[k]);

		for (int i = 0; i < 100000; i++) {
			t += random() % 4;	/* 0..3 ticks: equal readings included */
			uint64_t ns = uhv_tsc_to_ns(t, hz[k]);
			if (ns < prev) {
				CHECK(ns >= prev);
				return;
			}
			prev = ns;
		}
	}
}
