// SPDX-License-Identifier: MIT
/* The hostile guest's oracle (what the ABI says each hypercall returns)
 * and its storm generator. */
#include <string.h>

#include <abi/hypercall.h>
#include <abi/vm_boot.h>
#include <hostile/model.h>

#include "unit.h"

static const struct model_env env = {
	.memory_size = 16ULL << 20,
	.scratch_start = 0x110000,
	.scratch_size = 0x4000,
	.free_start = 0x200000,
};

static int64_t expect_exact(uint64_t nr, uint64_t a1, uint64_t a2)
{
	struct hc_call c = { .nr = nr, .arg = { a1, a2 } };
	struct expect e = model_expect(&env, &c);

	CHECK_EQ(e.kind, EXPECT_EXACT);
	return e.value;
}

TEST(ranges_against_vm_memory)
{
	CHECK(model_range_ok(&env, 0, env.memory_size));
	CHECK(!model_range_ok(&env, 0, env.memory_size + 1));
	CHECK(!model_range_ok(&env, env.memory_size, 1));
	CHECK(model_range_ok(&env, env.memory_size - 1, 1));
	CHECK(model_range_ok(&env, ~0ULL, 0));			/* empty: anywhere */
	CHECK(!model_range_ok(&env, ~0ULL - 10, 100));		/* wraps */
	CHECK(!model_range_ok(&env, 8, ~0ULL));			/* wraps from inside */
	CHECK(!model_range_ok(&env, env.memory_size - 10, 100));
}

TEST(console_write_rules)
{
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0x110000, 5), 5);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0x110000, HC_CONSOLE_MAX), HC_CONSOLE_MAX);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0x110000, HC_CONSOLE_MAX + 1), -HV_EINVAL);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, ~0ULL - 10, 1ULL << 63), -HV_EINVAL);	/* scalars first */
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, ~0ULL - 10, 100), -HV_EFAULT);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0xfee00000, 16), -HV_EFAULT);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0xfee00000, 0), 0);
	CHECK_EQ(expect_exact(HC_CONSOLE_WRITE, 0, 16), 16);				/* page 0 is RAM */
}

TEST(timer_vm_info_and_numbers)
{
	CHECK_EQ(expect_exact(HC_TIMER_SET, 1000, 31), -HV_EINVAL);
	CHECK_EQ(expect_exact(HC_TIMER_SET, 1000, 256), -HV_EINVAL);
	CHECK_EQ(expect_exact(HC_TIMER_SET, 1000, 1ULL << 32 | 40), -HV_EINVAL);
	CHECK_EQ(expect_exact(HC_TIMER_SET, 1000, 32), 0);
	CHECK_EQ(expect_exact(HC_TIMER_SET, 0, 7), 0);

	CHECK_EQ(expect_exact(HC_VM_INFO, 0x110000, 40), 40);
	CHECK_EQ(expect_exact(HC_VM_INFO, 0x110000, 8), 8);
	CHECK_EQ(expect_exact(HC_VM_INFO, 0x110000, ~0ULL), 40);
	CHECK_EQ(expect_exact(HC_VM_INFO, env.memory_size - 40, 1000), 40);
	CHECK_EQ(expect_exact(HC_VM_INFO, env.memory_size - 8, 40), -HV_EFAULT);
	CHECK_EQ(expect_exact(HC_VM_INFO, ~0ULL, 0), 0);
	CHECK_EQ(expect_exact(HC_VM_STATS, 0x110000, ~0ULL), 72);
	CHECK_EQ(expect_exact(HC_VM_STATS, 0x110000, 8), 8);
	CHECK_EQ(expect_exact(HC_VM_STATS, env.memory_size - 8, 72), -HV_EFAULT);

	CHECK_EQ(expect_exact(0, 0, 0), -HV_ENOSYS);
	CHECK_EQ(expect_exact(HC_COUNT, 0, 0), -HV_ENOSYS);
	CHECK_EQ(expect_exact(1ULL << 32 | HC_YIELD, 0, 0), -HV_ENOSYS);
	CHECK_EQ(expect_exact(HC_YIELD, 0, 0), 0);

	struct hc_call c = { .nr = HC_TIME_READ };
	CHECK(expect_matches(model_expect(&env, &c), 12345));
	CHECK(!expect_matches(model_expect(&env, &c), -HV_EINVAL));
	c.nr = HC_STOP_SELF;
	CHECK_EQ(model_expect(&env, &c).kind, EXPECT_NOT_CALLABLE);
}

static bool inside(uint64_t start, uint64_t size, uint64_t gpa, uint64_t len)
{
	return gpa >= start && gpa + len <= start + size;
}

TEST(storm_is_deterministic_varied_and_safe)
{
	uint64_t s1 = 42, s2 = 42;
	unsigned int seen_ok = 0, seen_efault = 0, seen_einval = 0, seen_enosys = 0, safe = 0;

	for (int i = 0; i < 20000; i++) {
		struct hc_call a, b;

		storm_generate(&s1, &env, &a);
		storm_generate(&s2, &env, &b);
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);

		struct expect e = model_expect(&env, &a);
		CHECK(a.nr != HC_BLOCK && a.nr != HC_STOP_SELF);
		if (!storm_call_is_safe(&env, &a))
			continue;
		safe++;
		CHECK(e.kind != EXPECT_NOT_CALLABLE);
		if (e.kind == EXPECT_EXACT && e.value > 0 && a.nr == HC_CONSOLE_WRITE)
			CHECK(inside(env.scratch_start, env.scratch_size, a.arg[0], (uint64_t)e.value));
		if (e.kind == EXPECT_EXACT && e.value > 0 && a.nr == HC_VM_INFO)
			CHECK(inside(env.scratch_start, env.scratch_size, a.arg[0], (uint64_t)e.value) ||
			      inside(env.free_start, env.memory_size - env.free_start, a.arg[0], (uint64_t)e.value) ||
			      inside(0, UHV_BOOT_INFO, a.arg[0], (uint64_t)e.value));
		if (e.kind == EXPECT_EXACT) {
			seen_ok += e.value >= 0;
			seen_efault += e.value == -HV_EFAULT;
			seen_einval += e.value == -HV_EINVAL;
			seen_enosys += e.value == -HV_ENOSYS;
		}
	}
	/* Every outcome well represented, and most calls made. */
	CHECK(safe > 10000);
	CHECK(seen_ok > 1000);
	CHECK(seen_efault > 1000);
	CHECK(seen_einval > 500);
	CHECK(seen_enosys > 500);
	printf("    storm of 20000: %u safe; %u ok, %u EFAULT, %u EINVAL, %u ENOSYS\n",
	       safe, seen_ok, seen_efault, seen_einval, seen_enosys);
}
