/* SPDX-License-Identifier: MIT */
/* Exceptions and interrupts taken by the hypervisor itself. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <hv/types.h>

/* Architectural exception vectors (Intel SDM vol. 3A, table 6-1). */
#define X86_EXC_DE	0
#define X86_EXC_DB	1
#define X86_EXC_NMI	2
#define X86_EXC_BP	3
#define X86_EXC_UD	6
#define X86_EXC_DF	8
#define X86_EXC_GP	13
#define X86_EXC_PF	14
#define X86_EXC_MC	18
#define X86_NR_EXCEPTIONS 32

/* Vectors the hypervisor assigns to its own interrupt sources. */
#define VECTOR_I8259_BASE	0x20	/* legacy PIC, kept masked: 0x20-0x2f */
#define VECTOR_DEVICE_BASE	0x30	/* host interrupt lines (hv/irqline.h): 0x30-0xdf */
#define VECTOR_DEVICE_LAST	0xdf
#define VECTOR_IOMMU_FAULT	0xe0	/* DMA-remapping fault events (MSI from the IOMMU) */
#define VECTOR_LAPIC_TIMER	0xf0
#define VECTOR_SPURIOUS		0xff

/*
 * Register state saved by the trap entry stubs, lowest address first: the
 * stub pushes RAX..R15 after the vector and error code; the CPU pushed
 * RIP..SS before that.
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;	/* 0 when the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss;
};

void traps_init(void);
void gdt_init(void);

typedef void (*irq_handler_t)(struct trap_frame *frame);
/* Route an interrupt vector (32-255) to a handler. */
void irq_set_handler(uint8_t vector, irq_handler_t handler);

/* Print the trap frame report (registers, control registers, backtrace). */
void trap_report(const struct trap_frame *frame);

#endif /* ARCH_TRAPS_H */
