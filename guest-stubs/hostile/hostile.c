// SPDX-License-Identifier: MIT
/*
 * hostile: hypercalls with arguments meant to break the hypervisor's
 * checks, each compared with what include/abi/hypercall.h mandates
 * (model.c has the rules and says which error each case must return):
 *
 *   console-bad-buffers   buffers outside the VM, straddling its end,
 *                         wrapping past 2^64, at hypervisor and device
 *                         addresses                               -HV_EFAULT
 *   console-lengths       len > HC_CONSOLE_MAX (anywhere)          -HV_EINVAL
 *                         len 0 anywhere                           0
 *                         len HC_CONSOLE_MAX on a good buffer      HC_CONSOLE_MAX
 *   unknown-numbers       0, HC_COUNT.., high bits set            -HV_ENOSYS
 *   vm-info-buffers       outside / straddling / wrapping          -HV_EFAULT,
 *                         and nothing written; short and long sizes copy
 *                         min(size, 40) bytes and no more; page 0 is the VM's
 *   timer-arguments       vectors outside 32..255                  -HV_EINVAL
 *   registers-preserved   every register but RAX, and RFLAGS, unchanged
 *   storm                 HOSTILE_STORM_CALLS pseudo-random calls (fixed
 *                         seed), each checked against the model and for
 *                         register preservation; HC_TIME_READ monotonic
 *
 * Not tested: HC_VM_INFO into read-only memory. A guest has none today (all
 * of its memory is RAM it may write); channels will bring read-only shared
 * pages, and the test belongs here then.
 *
 * Interrupts stay off throughout: the storm arms timers on random vectors.
 */
#include <runtime/runtime.h>

#include "model.h"

#define HOSTILE_STORM_CALLS	5000
#define HOSTILE_STORM_SEED	0x756876686f73746cULL	/* "uhvhostl" */
#define SCRATCH_SIZE		(16 * KiB)
#define CANARY			0xcbULL
#define STORM_MAX_FAILURES	20

/* Arithmetic flags only: see struct hc_regs. */
#define FLAGS_ARITH	(BIT(0) | BIT(2) | BIT(4) | BIT(6) | BIT(7) | BIT(11))
#define FLAGS_FIXED	BIT(1)

static char scratch[SCRATCH_SIZE] __aligned(4096);
static struct model_env env;

/* One call through hypercall_regs with distinctive values in every other
 * register; returns RAX, and false in *preserved if anything else changed. */
static int64_t call_checked(const struct hc_call *c, uint64_t pattern, bool *preserved, int *bad_reg)
{
	struct hc_regs in, out;

	for (int i = 0; i < HCR_COUNT; i++)
		in.r[i] = pattern ^ ((uint64_t)i * 0x0101010101010101ULL);
	in.r[HCR_RAX] = c->nr;
	in.r[HCR_RDI] = c->arg[0];
	in.r[HCR_RSI] = c->arg[1];
	in.r[HCR_RDX] = c->arg[2];
	in.r[HCR_R10] = c->arg[3];
	in.r[HCR_R8] = c->arg[4];
	in.r[HCR_RFLAGS] = FLAGS_FIXED | (pattern & FLAGS_ARITH);
	hypercall_regs(&in, &out);

	*preserved = true;
	*bad_reg = -1;
	for (int i = 0; i < HCR_COUNT; i++) {
		if (i != HCR_RAX && in.r[i] != out.r[i]) {
			*preserved = false;
			*bad_reg = i;
			break;
		}
	}
	return (int64_t)out.r[HCR_RAX];
}

static const char *const reg_names[HCR_COUNT] = {
	[HCR_RAX] = "RAX", [HCR_RBX] = "RBX", [HCR_RCX] = "RCX", [HCR_RDX] = "RDX",
	[HCR_RSI] = "RSI", [HCR_RDI] = "RDI", [HCR_RBP] = "RBP", [HCR_R8] = "R8",
	[HCR_R9] = "R9", [HCR_R10] = "R10", [HCR_R11] = "R11", [HCR_R12] = "R12",
	[HCR_R13] = "R13", [HCR_R14] = "R14", [HCR_R15] = "R15", [HCR_RFLAGS] = "RFLAGS",
};

/* Make call c and check its result against the model; why names the case. */
static void expect_call(const char *why, uint64_t nr, uint64_t a1, uint64_t a2)
{
	struct hc_call c = { .nr = nr, .arg = { a1, a2, 0, 0, 0 } };
	struct expect e = model_expect(&env, &c);
	int64_t got = hypercall5(nr, a1, a2, 0, 0, 0);

	test_check(expect_matches(e, got), "%s: nr %#llx (%#llx, %#llx) returned %lld, ABI says %lld",
		   why, (unsigned long long)nr, (unsigned long long)a1, (unsigned long long)a2,
		   (long long)got, (long long)e.value);
}

/* Addresses where hypervisors, firmware and devices live on real machines. */
static const struct {
	uint64_t gpa;
	const char *what;
} foreign[] = {
	{ 0xffffffff80000000ULL, "a kernel image (uhv's own virtual base)" },
	{ 0xffff800000000000ULL, "a direct map" },
	{ 0xfee00000ULL, "local APIC" },
	{ 0xfec00000ULL, "I/O APIC" },
	{ 0xfed90000ULL, "VT-d registers" },
	{ 0xe0000000ULL, "PCIe ECAM" },
	{ 0x100000000ULL, "4 GiB" },
	{ 1ULL << 46, "64 TiB" },
};

static void test_console_bad_buffers(void)
{
	test_begin("console-bad-buffers");
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++)
		expect_call(foreign[i].what, HC_CONSOLE_WRITE, foreign[i].gpa, 16);
	expect_call("first byte past the VM's memory", HC_CONSOLE_WRITE, env.memory_size, 1);
	expect_call("straddling the end of memory", HC_CONSOLE_WRITE, env.memory_size - 10, 100);
	expect_call("wrapping past 2^64", HC_CONSOLE_WRITE, ~0ULL - 10, 100);
	expect_call("wrapping to 0", HC_CONSOLE_WRITE, ~0ULL, 2);
	expect_call("last byte of the address space", HC_CONSOLE_WRITE, ~0ULL, 1);
	test_end();
}

static void test_console_lengths(void)
{
	static char line[HC_CONSOLE_MAX];

	test_begin("console-lengths");
	expect_call("len MAX + 1 on a good buffer", HC_CONSOLE_WRITE, gpa_of(scratch), HC_CONSOLE_MAX + 1);
	expect_call("len 2^64 - 1 on a good buffer", HC_CONSOLE_WRITE, gpa_of(scratch), ~0ULL);
	expect_call("len 2^63 on a bad buffer (EINVAL first)", HC_CONSOLE_WRITE, ~0ULL - 10, 1ULL << 63);
	expect_call("len 0 at the top of the address space", HC_CONSOLE_WRITE, ~0ULL, 0);
	expect_call("len 0 at the local APIC", HC_CONSOLE_WRITE, 0xfee00000ULL, 0);
	expect_call("len 0 past the end of memory", HC_CONSOLE_WRITE, env.memory_size, 0);

	/* One full-size line of readable text. */
	int n = format(line, sizeof(line), "TEST %s: a line of exactly HC_CONSOLE_MAX bytes follows:",
		       rt_vm_name());
	memset(line + n, '=', sizeof(line) - (size_t)n - 1);
	line[sizeof(line) - 1] = '\n';
	console_flush();
	expect_call("len MAX on a good buffer", HC_CONSOLE_WRITE, gpa_of(line), HC_CONSOLE_MAX);
	test_end();
}

static void test_unknown_numbers(void)
{
	static const uint64_t numbers[] = {
		0, HC_COUNT, HC_COUNT + 1, 0xff, 0xffffffff, ~0ULL, 1ULL << 63,
		1ULL << 32 | HC_YIELD, 1ULL << 63 | HC_TIME_READ, 0xffffffff00000000ULL | HC_VM_INFO,
	};

	test_begin("unknown-numbers");
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		expect_call("unknown number", numbers[i], gpa_of(scratch), 8);
	test_end();
}

/* HC_VM_INFO at gpa with size; then the bytes from gpa + expected_len to
 * gpa + check_len must still hold the canary. */
static void vm_info_into(const char *why, uint8_t *buf, uint64_t size, size_t check_len)
{
	memset(buf, CANARY, check_len);
	expect_call(why, HC_VM_INFO, gpa_of(buf), size);

	struct hc_call c = { .nr = HC_VM_INFO, .arg = { gpa_of(buf), size } };
	struct expect e = model_expect(&env, &c);
	size_t written = e.value > 0 ? (size_t)e.value : 0;
	for (size_t i = written; i < check_len; i++) {
		if (!test_check(buf[i] == CANARY, "%s: byte %zu of the buffer was written (%#x)",
				why, i, buf[i]))
			break;
	}
}

static void test_vm_info_buffers(void)
{
	uint8_t *top = (uint8_t *)(uintptr_t)env.memory_size;	/* identity-mapped memory ends here */
	struct uhv_vm_info info;

	test_begin("vm-info-buffers");
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++)
		expect_call(foreign[i].what, HC_VM_INFO, foreign[i].gpa, sizeof(info));
	expect_call("first byte past the VM's memory", HC_VM_INFO, env.memory_size, sizeof(info));
	expect_call("wrapping past 2^64", HC_VM_INFO, ~0ULL - 10, sizeof(info));
	/* A failed call has no effect: the 8 bytes inside memory stay untouched. */
	vm_info_into("straddling the end of memory", top - 8, sizeof(info), 8);
	vm_info_into("size 0", (uint8_t *)scratch, 0, 64);
	vm_info_into("size 8 copies 8", (uint8_t *)scratch, 8, 64);
	vm_info_into("size 4096 copies 40", (uint8_t *)scratch, 4096, 64);
	vm_info_into("size 2^64 - 1 copies 40", (uint8_t *)scratch, ~0ULL, 64);
	vm_info_into("the last 40 bytes of memory, size 1000", top - sizeof(info), 1000, sizeof(info));
	expect_call("size 0 at the top of the address space", HC_VM_INFO, ~0ULL, 0);
	expect_call("guest-physical page 0 is the VM's memory", HC_VM_INFO, 0, sizeof(info));
	test_end();
}

static void test_timer_arguments(void)
{
	static const uint64_t bad[] = { 0, 1, 31, 256, 1ULL << 32 | 40, ~0ULL };
	const uint64_t far = ~0ULL >> 2;	/* ~36 years of VM time: never fires */

	test_begin("timer-arguments");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_call("vector outside 32..255", HC_TIMER_SET, far, bad[i]);
	expect_call("vector 255", HC_TIMER_SET, far, 255);
	expect_call("vector 32", HC_TIMER_SET, far, 32);
	expect_call("cancel", HC_TIMER_SET, 0, 0);
	expect_call("cancel ignores a bad vector", HC_TIMER_SET, 0, 7);
	test_end();
}

static void test_registers_preserved(void)
{
	static const uint64_t patterns[] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0, ~0ULL };
	const struct hc_call calls[] = {
		{ .nr = HC_CONSOLE_WRITE, .arg = { gpa_of(scratch), 0 } },
		{ .nr = HC_CONSOLE_WRITE, .arg = { ~0ULL - 10, 100 } },
		{ .nr = HC_YIELD },
		{ .nr = HC_TIMER_SET, .arg = { 0, 0 } },
		{ .nr = HC_TIME_READ },
		{ .nr = HC_VM_INFO, .arg = { gpa_of(scratch), 40 } },
		{ .nr = HC_VM_INFO, .arg = { env.memory_size, 40 } },
		{ .nr = HC_COUNT },
	};

	test_begin("registers-preserved");
	for (size_t p = 0; p < ARRAY_SIZE(patterns); p++) {
		for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
			bool preserved;
			int bad;
			int64_t got = call_checked(&calls[i], patterns[p], &preserved, &bad);

			test_check(preserved, "nr %#llx changed %s (pattern %#llx)",
				   (unsigned long long)calls[i].nr, bad >= 0 ? reg_names[bad] : "?",
				   (unsigned long long)patterns[p]);
			test_check(expect_matches(model_expect(&env, &calls[i]), got),
				   "nr %#llx returned %lld", (unsigned long long)calls[i].nr, (long long)got);
		}
	}
	test_end();
}

static void test_storm(void)
{
	uint64_t state = HOSTILE_STORM_SEED, made = 0, skipped = 0, last_time = 0;
	uint64_t outcomes[5] = { 0 };	/* success, EFAULT, EINVAL, ENOSYS, other */
	int failures = 0;

	test_begin("storm");
	memset(scratch, '.', sizeof(scratch));	/* what a successful storm write prints */
	test_log("storm: %d calls, seed %#llx", HOSTILE_STORM_CALLS, (unsigned long long)HOSTILE_STORM_SEED);
	console_flush();
	for (int i = 0; i < HOSTILE_STORM_CALLS; i++) {
		struct hc_call c;

		storm_generate(&state, &env, &c);
		if (!storm_call_is_safe(&env, &c)) {
			skipped++;
			continue;
		}
		made++;

		bool preserved;
		int bad;
		struct expect e = model_expect(&env, &c);
		int64_t got = call_checked(&c, prng_next(&state), &preserved, &bad);

		outcomes[got >= 0 ? 0 : got == -HV_EFAULT ? 1 : got == -HV_EINVAL ? 2 : got == -HV_ENOSYS ? 3 : 4]++;
		bool ok = test_check(expect_matches(e, got),
				     "call %d: nr %#llx (%#llx, %#llx, %#llx, %#llx, %#llx) returned %lld, ABI says %lld",
				     i, (unsigned long long)c.nr, (unsigned long long)c.arg[0],
				     (unsigned long long)c.arg[1], (unsigned long long)c.arg[2],
				     (unsigned long long)c.arg[3], (unsigned long long)c.arg[4],
				     (long long)got, (long long)e.value);
		ok &= test_check(preserved, "call %d: nr %#llx changed %s", i, (unsigned long long)c.nr,
				 bad >= 0 ? reg_names[bad] : "?");
		if (c.nr == HC_TIME_READ && got >= 0) {
			ok &= test_check((uint64_t)got >= last_time, "call %d: clock went back from %llu to %lld",
					 i, (unsigned long long)last_time, (long long)got);
			last_time = (uint64_t)got;
		}
		/* Enough to diagnose; a systematic bug would flood the console. */
		if (!ok && ++failures == STORM_MAX_FAILURES) {
			test_check(false, "storm stopped after %d failed calls", STORM_MAX_FAILURES);
			break;
		}
	}
	hc_timer_set(0, 0);
	console_write("\n", 1);	/* after the storm's successful writes of '.' */
	test_log("storm: %llu calls made, %llu skipped as unsafe for the guest; results: %llu ok, "
		 "%llu EFAULT, %llu EINVAL, %llu ENOSYS, %llu other", (unsigned long long)made,
		 (unsigned long long)skipped, (unsigned long long)outcomes[0],
		 (unsigned long long)outcomes[1], (unsigned long long)outcomes[2],
		 (unsigned long long)outcomes[3], (unsigned long long)outcomes[4]);
	test_check(made >= HOSTILE_STORM_CALLS / 2, "only %llu of %d calls were safe to make",
		   (unsigned long long)made, HOSTILE_STORM_CALLS);
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	env = (struct model_env){
		.memory_size = boot->vm.memory_size,
		.scratch_start = gpa_of(scratch),
		.scratch_size = sizeof(scratch),
		.free_start = boot->image_end,
	};
	test_log("memory %#llx bytes, image ends at %#llx, scratch buffer at %#llx",
		 (unsigned long long)env.memory_size, (unsigned long long)env.free_start,
		 (unsigned long long)env.scratch_start);

	test_console_bad_buffers();
	test_console_lengths();
	test_unknown_numbers();
	test_vm_info_buffers();
	test_timer_arguments();
	test_registers_preserved();
	test_storm();
	test_finish();
}
