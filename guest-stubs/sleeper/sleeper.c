// SPDX-License-Identifier: MIT
/*
 * sleeper: sleeps SLEEP_MS ms SLEEP_ROUNDS times on the virtual timer
 * (sleep_ns: HC_TIMER_SET + HC_BLOCK + the timer interrupt) and checks
 * that each sleep lasted at least what was asked and that it was the
 * interrupt that ended it. Then the same with interrupts enabled by the
 * caller, and the corner cases (0 ns, 1 ns). Finally it sleeps with the
 * HLT instruction instead of HC_BLOCK: the hypervisor must block the vCPU on
 * the HLT exit and wake it with the timer interrupt.
 *
 * Output:
 *   TEST <vm>: sleep <i>: asked 10000 us, slept <us> us (+<over> us)
 *   TEST <vm>: <test> PASS | FAIL: ...
 *   TEST <vm>: done, <n> passed, <n> failed
 */
#include <runtime/runtime.h>

#define SLEEP_ROUNDS	5
#define SLEEP_MS	10

static void sleep_rounds(const char *name, bool interrupts_on)
{
	test_begin(name);
	if (interrupts_on)
		irq_enable();
	for (int i = 1; i <= SLEEP_ROUNDS; i++) {
		uint64_t irqs = timer_interrupt_count();
		uint64_t asked = SLEEP_MS * NSEC_PER_MSEC;
		uint64_t t0 = time_ns();
		int ret = sleep_ns(asked);
		uint64_t t1 = time_ns();
		uint64_t slept = t1 - t0;

		test_log("sleep %d: asked %llu us, slept %llu us (+%lld us)", i,
			 (unsigned long long)(asked / NSEC_PER_USEC), (unsigned long long)(slept / NSEC_PER_USEC),
			 (long long)((int64_t)(slept - asked) / (int64_t)NSEC_PER_USEC));
		test_check(ret == 0, "sleep_ns returned %d", ret);
		test_check(t1 >= t0 && slept >= asked, "slept %llu ns, asked %llu ns",
			   (unsigned long long)slept, (unsigned long long)asked);
		test_check(timer_interrupt_count() == irqs + 1, "%llu timer interrupts during one sleep",
			   (unsigned long long)(timer_interrupt_count() - irqs));
		test_check(!!(read_rflags() & RFLAGS_IF) == interrupts_on,
			   "sleep_ns changed the interrupt flag");
	}
	irq_disable();
	test_end();
}

static void sleep_corner_cases(void)
{
	test_begin("sleep-corner-cases");
	uint64_t irqs = timer_interrupt_count();
	test_check(sleep_ns(0) == 0, "sleep_ns(0) failed");
	test_check(timer_interrupt_count() == irqs, "sleep_ns(0) armed the timer");
	uint64_t t0 = time_ns();
	test_check(sleep_ns(1) == 0, "sleep_ns(1) failed");
	test_check(time_ns() >= t0 + 1, "sleep_ns(1) returned before 1 ns passed");
	test_check(timer_interrupt_count() == irqs + 1, "sleep_ns(1) took %llu timer interrupts",
		   (unsigned long long)(timer_interrupt_count() - irqs));
	test_check(irq_unexpected_count() == 0, "%llu interrupts arrived on vectors without a handler",
		   (unsigned long long)irq_unexpected_count());
	test_end();
}

/*
 * Sleep on HLT: arm the virtual timer, then "sti; hlt" until its interrupt
 * has arrived. STI's shadow covers the HLT, so the interrupt cannot slip in
 * between the two and leave the vCPU halted with nothing to wake it.
 */
static void sleep_hlt_rounds(void)
{
	test_begin("sleep-hlt");
	for (int i = 1; i <= SLEEP_ROUNDS; i++) {
		uint64_t irqs = timer_interrupt_count();
		uint64_t asked = SLEEP_MS * NSEC_PER_MSEC;
		uint64_t t0 = time_ns();
		unsigned int halts = 0;

		test_check(hc_timer_set(t0 + asked, RT_TIMER_VECTOR) == 0, "HC_TIMER_SET failed");
		while (timer_interrupt_count() == irqs && halts < 1000) {
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			halts++;
		}
		uint64_t slept = time_ns() - t0;
		test_log("hlt sleep %d: asked %llu us, slept %llu us, %u HLT(s)", i,
			 (unsigned long long)(asked / NSEC_PER_USEC),
			 (unsigned long long)(slept / NSEC_PER_USEC), halts);
		test_check(timer_interrupt_count() == irqs + 1, "%llu timer interrupts during one HLT sleep",
			   (unsigned long long)(timer_interrupt_count() - irqs));
		test_check(slept >= asked, "woke after %llu ns, asked %llu ns",
			   (unsigned long long)slept, (unsigned long long)asked);
	}
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	(void)boot;
	sleep_rounds("sleep-interrupts-off", false);
	sleep_rounds("sleep-interrupts-on", true);
	sleep_corner_cases();
	sleep_hlt_rounds();
	test_finish();
}
