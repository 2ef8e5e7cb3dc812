// SPDX-License-Identifier: MIT
/* The hypercall oracle and storm generator (model.h). */
#include <abi/hypercall.h>
#include <abi/vm_boot.h>

#include "model.h"

bool model_range_ok(const struct model_env *env, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return true;
	if (range_wraps(gpa, len))
		return false;
	return gpa < env->memory_size && len <= env->memory_size - gpa;
}

struct expect model_expect(const struct model_env *env, const struct hc_call *c)
{
	const uint64_t *a = c->arg;
	struct expect exact = { .kind = EXPECT_EXACT };

	switch (c->nr) {
	case HC_CONSOLE_WRITE:
		/* Scalars before buffers: a too-long write is EINVAL wherever it points. */
		if (a[1] > HC_CONSOLE_MAX)
			exact.value = -HV_EINVAL;
		else if (!model_range_ok(env, a[0], a[1]))
			exact.value = -HV_EFAULT;
		else
			exact.value = (int64_t)a[1];
		return exact;
	case HC_YIELD:
		exact.value = 0;
		return exact;
	case HC_TIMER_SET:
		/* Deadline 0 cancels and ignores the vector. */
		if (a[0] != 0 && (a[1] < 32 || a[1] > 255))
			exact.value = -HV_EINVAL;
		else
			exact.value = 0;
		return exact;
	case HC_TIME_READ:
		return (struct expect){ .kind = EXPECT_NONNEGATIVE };
	case HC_VM_INFO: {
		/* Only the bytes copied, min(size, sizeof), must be the VM's memory. */
		uint64_t n = MIN(a[1], (uint64_t)sizeof(struct uhv_vm_info));
		exact.value = model_range_ok(env, a[0], n) ? (int64_t)n : -HV_EFAULT;
		return exact;
	}
	case HC_VM_STATS: {
		/* The same conventions as HC_VM_INFO. */
		uint64_t n = MIN(a[1], (uint64_t)sizeof(struct uhv_vm_stats));
		exact.value = model_range_ok(env, a[0], n) ? (int64_t)n : -HV_EFAULT;
		return exact;
	}
	case HC_BLOCK:
	case HC_STOP_SELF:
		return (struct expect){ .kind = EXPECT_NOT_CALLABLE };
	default:
		/* The full 64-bit RAX is the number: 0, HC_COUNT.., high bits set. */
		exact.value = -HV_ENOSYS;
		return exact;
	}
}

bool expect_matches(struct expect e, int64_t result)
{
	switch (e.kind) {
	case EXPECT_EXACT:		return result == e.value;
	case EXPECT_NONNEGATIVE:	return result >= 0;
	case EXPECT_NOT_CALLABLE:	return false;
	}
	return false;
}

uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Addresses that sit on the edges range checks get wrong. */
static uint64_t pick_address(uint64_t *s, const struct model_env *env)
{
	uint64_t r = prng_next(s), small = prng_next(s) % 64;

	switch (r % 12) {
	case 0:  return prng_next(s);					/* anything */
	case 1:  return env->memory_size - small;			/* just inside the end */
	case 2:  return env->memory_size + small;			/* just past the end */
	case 3:  return ~0ULL - small;					/* top of the address space */
	case 4:  return (1ULL << 63) + small;				/* sign bit */
	case 5:  return 0xffffffff80000000ULL + small * 4096;		/* a kernel's image */
	case 6:  return 0xfee00000ULL;					/* local APIC */
	case 7:  return 0x100000000ULL - small;				/* 4 GiB edge */
	case 8:  return small * 8;					/* page 0 */
	case 9:  return env->free_start + prng_next(s) % (env->memory_size - env->free_start);
	default: return env->scratch_start + prng_next(s) % env->scratch_size;	/* valid */
	}
}

static uint64_t pick_length(uint64_t *s, const struct model_env *env)
{
	uint64_t r = prng_next(s), small = prng_next(s) % 64;

	switch (r % 8) {
	case 0:  return prng_next(s);					/* anything */
	case 1:  return small;
	case 2:  return HC_CONSOLE_MAX - 2 + small % 5;			/* MAX-2 .. MAX+2 */
	case 3:  return ~0ULL - small;					/* wraps */
	case 4:  return (1ULL << 63) + small;
	case 5:  return env->memory_size + small;
	case 6:  return 0;
	default: return prng_next(s) % 48;				/* around sizeof(vm_info) */
	}
}

void storm_generate(uint64_t *s, const struct model_env *env, struct hc_call *c)
{
	uint64_t r = prng_next(s);

	switch (r % 16) {
	case 0: case 1: case 2: case 3:
		c->nr = HC_CONSOLE_WRITE;
		break;
	case 4:
		c->nr = HC_YIELD;
		break;
	case 5: case 6:
		c->nr = HC_TIMER_SET;
		break;
	case 7:
		c->nr = HC_TIME_READ;
		break;
	case 8: case 9: case 10: case 11:
		c->nr = HC_VM_INFO;
		break;
	case 12:
		c->nr = prng_next(s);					/* unknown, nearly always */
		break;
	case 13:
		c->nr = HC_COUNT + prng_next(s) % 8;
		break;
	case 14: {
		/* A real number with high bits set. Never BLOCK or STOP_SELF: a
		 * hypervisor that truncates RAX should fail a check, not hang us. */
		static const uint64_t low[] = { HC_CONSOLE_WRITE, HC_YIELD, HC_TIMER_SET, HC_TIME_READ, HC_VM_INFO };
		c->nr = ((prng_next(s) | 1ULL << 32) & ~0xffffffffULL) | low[prng_next(s) % ARRAY_SIZE(low)];
		break;
	}
	default:
		c->nr = 0;
		break;
	}

	c->arg[0] = pick_address(s, env);
	c->arg[1] = pick_length(s, env);
	if (c->nr == HC_TIMER_SET) {
		/* Deadlines: 0 (cancel), past, far future, anything; vectors around 32 and 255. */
		static const uint64_t vectors[] = { 0, 31, 32, 33, 254, 255, 256, 1ULL << 32 | 40 };
		uint64_t d = prng_next(s);
		c->arg[0] = d % 4 == 0 ? 0 : d % 4 == 1 ? d % 1000 : d % 4 == 2 ? ~0ULL - d % 64 : d;
		c->arg[1] = prng_next(s) % 2 ? vectors[prng_next(s) % ARRAY_SIZE(vectors)] : prng_next(s);
	}
	c->arg[2] = prng_next(s);
	c->arg[3] = prng_next(s);
	c->arg[4] = prng_next(s);
}

static bool inside(uint64_t start, uint64_t size, uint64_t gpa, uint64_t len)
{
	return gpa >= start && len <= size && gpa - start <= size - len;
}

bool storm_call_is_safe(const struct model_env *env, const struct hc_call *c)
{
	struct expect e = model_expect(env, c);

	if (e.kind == EXPECT_NOT_CALLABLE)
		return false;
	if (e.kind != EXPECT_EXACT || e.value <= 0)
		return true;	/* fails, or touches nothing */

	uint64_t gpa = c->arg[0], len = (uint64_t)e.value;
	if (c->nr == HC_CONSOLE_WRITE)
		return inside(env->scratch_start, env->scratch_size, gpa, len);
	if (c->nr == HC_VM_INFO)
		return inside(env->scratch_start, env->scratch_size, gpa, len) ||
		       inside(env->free_start, env->memory_size - env->free_start, gpa, len) ||
		       inside(0, UHV_BOOT_INFO, gpa, len);
	return true;
}
