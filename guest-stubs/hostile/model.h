/* SPDX-License-Identifier: MIT */
/*
 * What include/abi/hypercall.h says every hypercall must return, as a
 * function of its arguments: the oracle the hostile guest checks the
 * hypervisor against, and the generator of its random hypercall storm.
 * Pure logic, unit-tested on the host (tests/unit/test_guest_hostile.c).
 */
#ifndef HOSTILE_MODEL_H
#define HOSTILE_MODEL_H

#include <hv/types.h>

struct model_env {
	uint64_t memory_size;		/* the VM owns guest-physical [0, memory_size) */
	/* Where a storm call may succeed in writing or printing (see storm_call_is_safe). */
	uint64_t scratch_start, scratch_size;	/* a buffer of the guest, filled with '.' */
	uint64_t free_start;			/* image_end: [free_start, memory_size) is unused */
};

enum expect_kind {
	EXPECT_EXACT,		/* RAX == value */
	EXPECT_NONNEGATIVE,	/* RAX >= 0 (HC_TIME_READ) */
	EXPECT_NOT_CALLABLE,	/* HC_BLOCK, HC_STOP_SELF: the model does not predict them */
};

struct expect {
	enum expect_kind kind;
	int64_t value;
};

struct hc_call {
	uint64_t nr;
	uint64_t arg[5];
};

/* True if [gpa, gpa + len) is the VM's memory (a zero-length range always is). */
bool model_range_ok(const struct model_env *env, uint64_t gpa, uint64_t len);

/* The result the ABI mandates for call c. */
struct expect model_expect(const struct model_env *env, const struct hc_call *c);

bool expect_matches(struct expect e, int64_t result);

/* xorshift64*: deterministic, so a failing storm call can be replayed. state != 0. */
uint64_t prng_next(uint64_t *state);

/* A random call: numbers and arguments drawn from a mix of uniform 64-bit
 * values and the boundaries that break range checks (see model.c). */
void storm_generate(uint64_t *state, const struct model_env *env, struct hc_call *c);

/*
 * False if making the call could hurt the guest itself rather than test the
 * hypervisor: HC_BLOCK (may never return), HC_STOP_SELF, a console write
 * that would succeed on anything but the scratch buffer (it would print
 * binary garbage), or an HC_VM_INFO that would succeed anywhere but the
 * scratch buffer, the unused memory above the image, or page 0.
 */
bool storm_call_is_safe(const struct model_env *env, const struct hc_call *c);

#endif /* HOSTILE_MODEL_H */
