// SPDX-License-Identifier: MIT
/*
 * The scheduler's one-shot deadline on the LAPIC timer. The interrupt
 * itself does nothing but acknowledge: its only job is to force a VM exit
 * (or end a HLT in the idle loop) so the scheduler runs again.
 */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/traps.h>
#include <hv/sched.h>
#include <hv/time.h>

#define DEADLINE_MAX_NS	(1000ULL * 1000 * 1000)	/* re-evaluate at least once a second */

static void deadline_interrupt(struct trap_frame *frame)
{
	(void)frame;
	lapic_eoi();
}

void timer_arm_deadline(uint64_t tsc_deadline)
{
	static bool handler_installed;
	uint64_t now = rdtsc();
	uint64_t ns = tsc_deadline > now ? time_tsc_to_ns(tsc_deadline - now) : 0;
	uint32_t count;
	unsigned int divisor;

	if (!handler_installed) {
		irq_set_handler(VECTOR_LAPIC_TIMER, deadline_interrupt);
		handler_installed = true;
	}
	ns = MIN(ns, DEADLINE_MAX_NS);
	if (timer_lapic_count(ns, &count, &divisor)) {
		count = 1;	/* due already, or shorter than one tick: fire at once */
		divisor = 1;
	}
	lapic_timer_set_divide(divisor);
	lapic_timer_oneshot(VECTOR_LAPIC_TIMER, count, false);
}
