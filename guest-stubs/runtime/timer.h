/* SPDX-License-Identifier: MIT */
/*
 * Time and sleeping on the VM's virtual clock and one-shot timer
 * (the TSC clock or HC_TIME_READ, HC_TIMER_SET, HC_BLOCK).
 *
 * The runtime owns the timer and its vector, RT_TIMER_VECTOR: a guest that
 * uses sleep_ns() must not call HC_TIMER_SET itself.
 */
#ifndef RUNTIME_TIMER_H
#define RUNTIME_TIMER_H

#include <hv/types.h>

#define RT_TIMER_VECTOR		32

#define NSEC_PER_USEC		1000ULL
#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL

/* Register the timer's interrupt handler and pick the clock (runtime_init does it). */
void timer_init(void);

/*
 * Nanoseconds on this VM's clock, since it was (re)started: from RDTSC
 * without a VM exit when the boot info offers the TSC clock
 * (UHV_CLOCK_TSC, abi/vm_boot.h), else by HC_TIME_READ. Both give the same
 * value at the same instant.
 */
uint64_t time_ns(void);

/* The same clock by HC_TIME_READ, always (one VM exit); stops the VM if the call fails. */
uint64_t time_ns_hypercall(void);

/* Whether time_ns() reads the TSC (set up by timer_init()). */
bool time_uses_tsc(void);

/*
 * Sleep at least ns nanoseconds of VM time, giving the CPU away meanwhile.
 * Callable with interrupts on or off; returns with the caller's setting.
 * Returns 0, or the negative error of HC_TIMER_SET.
 *
 * No lost wake-up: interrupts are off from before the timer is armed until
 * the check that it fired, and HC_BLOCK returns at once when an interrupt
 * is already pending, delivered or not. So a timer that fires between
 * HC_TIMER_SET and HC_BLOCK just makes HC_BLOCK return immediately. Only
 * then are interrupts opened for one instruction ("sti; nop; cli": the STI
 * shadow covers the nop, the interrupt is taken after it) to let the
 * pending interrupt in, and the loop checks again.
 */
int sleep_ns(uint64_t ns);

/*
 * For event loops: block until a virtual interrupt (any vector: a device,
 * a channel, the timer) is pending, or VM time deadline_ns (0: none) has
 * passed, then let it in. Call with interrupts off, after checking the
 * flags the handlers set (with interrupts off nothing can set them between
 * the check and HC_BLOCK, and HC_BLOCK returns at once if an interrupt is
 * pending); returns with interrupts off, after the handler of at least one
 * pending interrupt has run (the caller checks its flags and calls again).
 * Arms the runtime's timer when deadline_ns is not 0 and it is not armed
 * for that deadline already (its interrupt not yet taken); a timer
 * interrupt left pending by it does not shorten a later sleep_ns().
 * Returns 0, or the negative error of HC_TIMER_SET.
 */
int wait_interrupt_until(uint64_t deadline_ns);

/* hc_timer_set() tells the runtime what it armed (or cancelled): ret is the hypercall's result. */
void timer_note_set(uint64_t deadline_ns, unsigned int vector, int64_t ret);

/* Timer interrupts taken so far. */
uint64_t timer_interrupt_count(void);

#endif /* RUNTIME_TIMER_H */
