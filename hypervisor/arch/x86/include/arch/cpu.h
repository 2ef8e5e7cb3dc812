/* SPDX-License-Identifier: MIT */
/* Control registers, CPUID, MSRs and the other privileged x86 primitives. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <abi/errno.h>
#include <hv/types.h>

#define X86_CR0_PE	BIT(0)
#define X86_CR0_NE	BIT(5)
#define X86_CR0_WP	BIT(16)
#define X86_CR0_PG	BIT(31)
#define X86_CR4_PAE	BIT(5)
#define X86_CR4_PGE	BIT(7)
#define X86_CR4_VMXE	BIT(13)

#define X86_RFLAGS_IF	BIT(9)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_count(leaf, 0);
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/*
 * The instruction insn, made fault-tolerant: if it faults (#GP or #UD), the
 * trap handler finds it in .ex_table and resumes at the fixup, which sets
 * the asm operand [err] to -HV_EIO (operand [eio]) and continues after it.
 * The asm statement must provide [err] "+r" and [eio] "i"(-HV_EIO).
 */
#define ASM_FAULT_SAFE(insn)				\
	"1: " insn "\n"					\
	"2:\n"						\
	".pushsection .ex_table, \"a\"\n"		\
	".balign 8\n"					\
	".quad 1b, 3f\n"					\
	".popsection\n"					\
	".pushsection .text.fixup, \"ax\"\n"		\
	"3: movl %[eio], %[err]\n"			\
	"jmp 2b\n"					\
	".popsection\n"

/*
 * RDMSR that survives a #GP for an MSR the CPU does not implement (emulators
 * differ: Bochs faults on AMD's VM_CR). The fault handler finds the faulting
 * RIP in .ex_table and resumes at the fixup, which reports -HV_EIO.
 */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	int err = 0;

	__asm__ volatile(ASM_FAULT_SAFE("rdmsr")
			 : "+a"(lo), "+d"(hi), [err] "+r"(err)
			 : "c"(msr), [eio] "i"(-HV_EIO));
	*val = ((uint64_t)hi << 32) | lo;
	return err;
}

/* WRMSR that survives a #GP (a reserved bit, or a mode switch the CPU refuses): -HV_EIO. */
static inline int wrmsr_safe(uint32_t msr, uint64_t v)
{
	int err = 0;

	__asm__ volatile(ASM_FAULT_SAFE("wrmsr")
			 : [err] "+r"(err)
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), [eio] "i"(-HV_EIO)
			 : "memory");
	return err;
}

#define DEFINE_CR_ACCESSORS(n)						\
static inline uint64_t read_cr##n(void)					\
{									\
	uint64_t v;							\
	__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(uint64_t v)				\
{									\
	__asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory");	\
}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void cpu_relax(void)	{ __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void)	{ __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void)	{ __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_halt(void)	{ __asm__ volatile("hlt" ::: "memory"); }
/* STI's interrupt shadow covers HLT: no wake-up is lost between the two. */
static inline void irq_enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline void flush_tlb_all(void)
{
	uint64_t cr4 = read_cr4();

	if (cr4 & X86_CR4_PGE) {		/* toggling PGE drops global entries too */
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

#endif /* ARCH_CPU_H */
