/* SPDX-License-Identifier: MIT */
/*
 * The few privileged x86 instructions a guest at CPL 0 uses, as inline
 * functions. Guests run identity-mapped (vm_boot.h), so a pointer is also
 * the guest-physical address the hypercalls want: gpa_of() says so where it
 * matters.
 */
#ifndef RUNTIME_CPU_H
#define RUNTIME_CPU_H

#include <hv/types.h>

#define RFLAGS_IF		BIT(9)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(0));
	return r;
}

static inline uint64_t gpa_of(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* Interrupt flag. The "memory" clobbers keep the compiler from moving
 * accesses to data shared with interrupt handlers across these. */
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Disable interrupts and return the previous RFLAGS for irq_restore(). */
static inline uint64_t irq_save(void)
{
	uint64_t flags = read_rflags();

	irq_disable();
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}

/*
 * The TSC, not read before earlier instructions have completed (LFENCE
 * orders RDTSC after them, as the SDM advises for timing).
 */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Stop for good: used only when even HC_STOP_SELF did not stop the VM. */
static inline __noreturn void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

#endif /* RUNTIME_CPU_H */
