/* SPDX-License-Identifier: MIT */
/*
 * The guest's own descriptor tables and interrupt handling.
 *
 * GDT: the runtime loads its own copy of the boot GDT (same selectors,
 * UHV_BOOT_CS and UHV_BOOT_DS), so that the boot area below the image is
 * really free for the VM to reuse: every IRETQ reloads CS and SS from the
 * GDT, and a GDT that a guest could overwrite by accident turns into a #GP
 * on the next interrupt. There is no TSS: the guest never changes privilege
 * level and uses no IST, so the CPU never reads one.
 *
 * IDT: all 256 vectors. Vectors 0-31 (exceptions) print a report and stop
 * the VM with RT_EXIT_EXCEPTION(vector); a #UD on a hypercall instruction
 * first gets one chance to switch instruction (hypercall.h). Vectors
 * 32-255 are virtual interrupts: irq_register() attaches a handler; one
 * without a handler is counted and reported, not fatal.
 *
 * Virtual interrupts need no acknowledgement (no EOI): the hypervisor
 * injects each one once.
 */
#ifndef RUNTIME_IDT_H
#define RUNTIME_IDT_H

#include <hv/types.h>

#define X86_EXC_DE		0
#define X86_EXC_UD		6
#define X86_EXC_DF		8
#define X86_EXC_GP		13
#define X86_EXC_PF		14
#define X86_NR_EXCEPTIONS	32

/* Saved by trap_entry.S in this order (the pushes run backwards). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};
_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "trap_entry.S pushes 15 registers");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap_entry.S pushes the vector after them");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout is fixed by trap_entry.S");

typedef void (*irq_handler_t)(struct trap_frame *frame);

/* Load the runtime's GDT and reload every segment register. */
void gdt_init(void);

/* Fill and load the IDT. Interrupts stay off. */
void idt_init(void);

/*
 * Run handler (with interrupts off) for virtual interrupt vector 32..255.
 * Returns 0, -HV_EINVAL for an exception vector or a NULL handler, or
 * -HV_EBUSY if the vector already has a handler (RT_TIMER_VECTOR is the
 * runtime's own, timer.h). irq_unregister() frees a vector again.
 */
int irq_register(unsigned int vector, irq_handler_t handler);
void irq_unregister(unsigned int vector);

/* Virtual interrupts that arrived on a vector without a handler. */
uint64_t irq_unexpected_count(void);

/* The report an exception prints, without stopping: for the exception path and tests. */
void trap_report(const struct trap_frame *f);

#endif /* RUNTIME_IDT_H */
