// SPDX-License-Identifier: MIT
#include <arch/cpu.h>
#include <arch/memlayout.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/panic.h>
#include <hv/platform.h>
#include <hv/symbols.h>

extern char __text_start[], __text_end[];

#define BACKTRACE_MAX_FRAMES	32

static bool is_text(uint64_t addr)
{
	return addr >= (uint64_t)__text_start && addr < (uint64_t)__text_end;
}

static void print_frame(int n, uint64_t addr)
{
	uint64_t off;
	const char *name = symbols_lookup(addr, &off);

	if (name)
		pr_err("  #%-2d %#llx %s+%#llx", n, (unsigned long long)addr, name,
		       (unsigned long long)off);
	else
		pr_err("  #%-2d %#llx", n, (unsigned long long)addr);
}

/*
 * Walk the RBP chain: [rbp] is the caller's RBP, [rbp + 8] the return
 * address. The walk stops at RBP 0 (set by the entry code), at anything
 * that is not a plausible, aligned hypervisor address, or after a bound, so
 * a corrupted stack cannot make the report itself fault or loop.
 */
void backtrace_print(uint64_t rip, uint64_t rbp)
{
	pr_err("backtrace:");
	print_frame(0, rip);
	for (int n = 1; n < BACKTRACE_MAX_FRAMES; n++) {
		if (!rbp || !IS_ALIGNED(rbp, 8) || rbp < KERNEL_VBASE)
			break;
		uint64_t ret = ((const uint64_t *)rbp)[1];
		if (!is_text(ret))
			break;
		print_frame(n, ret - 1);	/* the call instruction, not the one after */
		uint64_t next = ((const uint64_t *)rbp)[0];
		if (next <= rbp)
			break;			/* stacks grow down: callers are above */
		rbp = next;
	}
}

static __noreturn void panic_common(bool backtrace, const uint64_t *fp, const char *fmt, va_list ap)
{
	static bool in_panic;
	char msg[200];

	irq_disable();
	if (in_panic)
		platform_exit(false);	/* the report itself failed: just stop */
	in_panic = true;

	vformat(msg, sizeof(msg), fmt, ap);
	pr_err("PANIC: %s", msg);
	/* Start at our caller: fp[1] - 1 is inside the call to panic(). */
	if (backtrace)
		backtrace_print(fp[1] - 1, fp[0]);
	platform_exit(false);
}

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_common(true, __builtin_frame_address(0), fmt, ap);
}

__noreturn void panic_reported(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_common(false, NULL, fmt, ap);
}
