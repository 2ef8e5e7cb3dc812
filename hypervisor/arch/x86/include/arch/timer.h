/* SPDX-License-Identifier: MIT */
/*
 * Boot-time clock calibration (timer.c): the TSC and the LAPIC timer
 * measured against the HPET when ACPI describes one, else PIT channel 2,
 * and CPUID leaves 0x15/0x16 as a last resort and cross-check.
 */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <hv/types.h>

/*
 * Measure both frequencies, start the console clock (tsc_set_frequency),
 * then prove the LAPIC timer interrupts: one one-shot and ~20 ms of 1 kHz
 * periodic ticks, counted against the TSC. Needs lapic_init(). Leaves the
 * timer stopped and interrupts disabled. Returns 0, -HV_ENODEV if nothing
 * could be measured, -HV_EIO if the LAPIC timer did not interrupt as it
 * should.
 */
int timer_calibrate(void);

/* The LAPIC timer's input clock in Hz, before the divide configuration (0 before calibration). */
uint64_t timer_lapic_hz(void);

/*
 * The initial count and divisor for a LAPIC timer period of `ns`: the
 * smallest divisor whose count fits in 32 bits. Returns -HV_ERANGE if none
 * does or the period is under one tick, -HV_ENODEV before calibration.
 */
int timer_lapic_count(uint64_t ns, uint32_t *count, unsigned int *divisor);

#endif /* ARCH_TIMER_H */
