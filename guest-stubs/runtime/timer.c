// SPDX-License-Identifier: MIT
/* Virtual clock, one-shot timer and sleep (timer.h). */
#include "runtime.h"

/* HC_BLOCK returns this often without the interrupt arriving: say so once. */
#define BLOCK_WITHOUT_DELIVERY_WARN	1000

static volatile bool timer_fired;
/* Not 0: the boot info offers the TSC clock at this frequency (abi/vm_boot.h). */
static uint64_t clock_tsc_hz;
static volatile uint64_t timer_interrupts;
/* The deadline the runtime's timer is armed for (hc_timer_set() records it), 0 if
 * none, unknown, or its interrupt has come: wait_interrupt_until() does not
 * arm it again for the same deadline (an event loop waits with the same
 * deadline many times: one hypercall each saved). */
static volatile uint64_t armed_ns;

static void timer_interrupt(struct trap_frame *f)
{
	(void)f;
	timer_fired = true;
	timer_interrupts++;
	armed_ns = 0;
}

void timer_note_set(uint64_t deadline_ns, unsigned int vector, int64_t ret)
{
	armed_ns = ret == 0 && vector == RT_TIMER_VECTOR ? deadline_ns : 0;
}

void timer_init(void)
{
	if (irq_register(RT_TIMER_VECTOR, timer_interrupt))
		console_emergency("FATAL %s: timer vector %u already taken\n", rt_vm_name(),
				  RT_TIMER_VECTOR);

	const struct uhv_boot_info *b = rt_boot_info();
	if ((b->clock_flags & UHV_CLOCK_TSC) && b->tsc_hz && b->tsc_hz <= UHV_TSC_HZ_MAX)
		clock_tsc_hz = b->tsc_hz;
}

bool time_uses_tsc(void)
{
	return clock_tsc_hz != 0;
}

uint64_t time_ns(void)
{
	if (clock_tsc_hz)
		return uhv_tsc_to_ns(rdtsc_ordered(), clock_tsc_hz);
	return time_ns_hypercall();
}

uint64_t time_ns_hypercall(void)
{
	int64_t t = hc_time_read();

	if (t < 0) {
		console_emergency("FATAL %s: HC_TIME_READ failed with %lld\n", rt_vm_name(), (long long)t);
		hc_stop_self(RT_EXIT_RUNTIME);
	}
	return (uint64_t)t;
}

uint64_t timer_interrupt_count(void)
{
	return timer_interrupts;
}

int sleep_ns(uint64_t ns)
{
	if (!ns)
		return 0;

	uint64_t flags = irq_save();
	uint64_t now = time_ns();
	/* Deadline 0 would cancel; a sum past 2^64 - 1 sleeps "forever". */
	uint64_t deadline = now + ns < now ? ~0ULL : now + ns;
	unsigned long blocks = 0;

	/* A timer interrupt armed by wait_interrupt_until() may still be
	 * pending: it is told apart by the clock, and the timer armed again. */
	do {
		timer_fired = false;
		int64_t ret = hc_timer_set(deadline, RT_TIMER_VECTOR);
		if (ret < 0) {
			irq_restore(flags);
			return (int)ret;
		}
		while (!timer_fired) {
			hc_block();
			__asm__ volatile("sti; nop; cli" ::: "memory");
			if (!timer_fired && ++blocks == BLOCK_WITHOUT_DELIVERY_WARN)
				gprintf("runtime: HC_BLOCK returned %lu times without the timer interrupt "
					"being delivered (deadline %llu ns, now %llu ns)\n", blocks,
					(unsigned long long)deadline, (unsigned long long)time_ns());
		}
	} while (time_ns() < deadline);
	irq_restore(flags);
	return 0;
}

int wait_interrupt_until(uint64_t deadline_ns)
{
	if (deadline_ns && deadline_ns != armed_ns) {
		int64_t ret = hc_timer_set(deadline_ns, RT_TIMER_VECTOR);
		if (ret < 0)
			return (int)ret;
	}
	hc_block();
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return 0;
}
