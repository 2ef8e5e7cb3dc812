// SPDX-License-Identifier: MIT
/*
 * The network IOVM's fault injection (docs/netvm.md, "Crash mode").
 *
 * A VM named "netcrash" followed by a decimal N (or nothing: N = 500)
 * crashes on purpose on its first start (restart_count 0), when its switch
 * has forwarded its N-th frame: right after that frame went to its out
 * ports, in the middle of a service pass. Whatever the pass had taken by
 * then is lost with the instance: guests' transmitted frames already given
 * back to them (used) but still in the uplink batch, frames the e1000 has
 * received and not yet handed over. The crash is a triple fault (an empty
 * IDT, then ud2), which the hypervisor contains like any other; with
 * `restart = on-failure` it then resets the NIC and restarts the IOVM from
 * its image, and the restart (restart_count 1) serves normally. This is
 * the fault a fault-injection campaign needs: one place, chosen by name,
 * reproducible by frame count.
 */
#include <runtime/runtime.h>

#include "netvm.h"

#define CRASH_PREFIX		"netcrash"
#define CRASH_DEFAULT_FRAMES	500	/* "netcrash" without a number */

/* Crash when the switch has forwarded crash_after frames (0: never). */
static uint64_t crash_after, forwarded;

/* N from "netcrash<N>": 0 if the name is not a crash name (or N is 0). */
static uint64_t crash_frames(const char *name)
{
	size_t k = sizeof(CRASH_PREFIX) - 1;
	uint64_t n = 0;

	if (strncmp(name, CRASH_PREFIX, k))
		return 0;
	if (name[k] < '0' || name[k] > '9')
		return CRASH_DEFAULT_FRAMES;
	for (; name[k] >= '0' && name[k] <= '9' && n < 1000000000ULL; k++)
		n = n * 10 + (uint64_t)(name[k] - '0');
	return n;
}

static __noreturn void crash_now(struct netvm *vm)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt = { 0, 0 };

	gprintf("net: fault injection: crashing on purpose after %llu frames forwarded, mid-pass "
		"(%u uplink frame(s) not yet handed to the NIC): triple fault\n",
		(unsigned long long)forwarded, vm->tx_n);
	/* #UD with no IDT: #GP, then #DF, then a triple fault (shutdown): contained by the hypervisor. */
	__asm__ volatile("lidt %0; ud2" : : "m"(no_idt) : "memory");
	__builtin_unreachable();
}

/* The forwarded tap. */
static void count_forwarded(struct netvm *vm)
{
	if (++forwarded == crash_after)
		crash_now(vm);
}

void crash_arm(struct netvm *vm, const struct uhv_boot_info *boot)
{
	if (!boot->vm.restart_count)
		crash_after = crash_frames(boot->vm.name);
	if (!crash_after)
		return;
	gprintf("net: fault injection: this start crashes after %llu frames forwarded\n",
		(unsigned long long)crash_after);
	vm->taps.forwarded = count_forwarded;
}
