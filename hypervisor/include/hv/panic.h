/* SPDX-License-Identifier: MIT */
#ifndef HV_PANIC_H
#define HV_PANIC_H

#include <hv/types.h>

/*
 * A hypervisor invariant is broken: print the message and a backtrace, then
 * end the run with a failure status. Never for a VM's misbehaviour: that VM
 * is stopped instead and everything else runs on.
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Like panic(), for a caller that has already printed the state (trap reports). */
__noreturn void panic_reported(const char *fmt, ...) __printf(1, 2);

#define BUG_ON(cond)							\
	do {								\
		if (unlikely(cond))					\
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

/* Print "  #n addr symbol+off" for each frame of the frame-pointer chain. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif /* HV_PANIC_H */
