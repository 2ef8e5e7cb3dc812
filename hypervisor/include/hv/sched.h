/* SPDX-License-Identifier: MIT */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/types.h>

#define SCHED_SLICE_NS	(10 * 1000 * 1000ULL)	/* 10 ms */

/*
 * Run the VMs until none is left running, then print every VM's summary
 * and end the run: success if every VM stopped itself with exit code 0.
 *
 * One physical CPU: the highest-priority runnable vCPU runs for a time
 * slice (round robin among equals; every IOVM ranks above every guest); a blocked vCPU waits for a virtual
 * interrupt; with nothing runnable the CPU halts until the next timer.
 * The per-CPU state is this loop's locals, so per-CPU run queues are the
 * next step rather than a rewrite.
 */
__noreturn void sched_run(void);

/* Ask the hardware for an interrupt at this TSC value (one-shot; replaces the previous one). */
void timer_arm_deadline(uint64_t tsc_deadline);

#endif /* HV_SCHED_H */
