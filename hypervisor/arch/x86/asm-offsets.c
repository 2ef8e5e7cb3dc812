// SPDX-License-Identifier: MIT
/*
 * Structure offsets for assembly, computed by the compiler. The build
 * compiles this file to assembly and turns each "@@@ NAME value" marker into
 * a #define in generated/asm-offsets.h: no offset is ever typed by hand.
 */
#include <arch/traps.h>
#include <hv/vcpu.h>

#define DEFINE(sym, val) __asm__ volatile("\n@@@ " #sym " %0" :: "i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(TRAP_FRAME_SIZE, sizeof(struct trap_frame));
	OFFSET(TRAP_FRAME_VECTOR, struct trap_frame, vector);
	OFFSET(TRAP_FRAME_RIP, struct trap_frame, rip);

	/* The VMX exit stub saves and restores the guest registers here. */
	OFFSET(VCPU_REGS_RAX, struct vcpu_regs, rax);
	OFFSET(VCPU_REGS_RBX, struct vcpu_regs, rbx);
	OFFSET(VCPU_REGS_RCX, struct vcpu_regs, rcx);
	OFFSET(VCPU_REGS_RDX, struct vcpu_regs, rdx);
	OFFSET(VCPU_REGS_RSI, struct vcpu_regs, rsi);
	OFFSET(VCPU_REGS_RDI, struct vcpu_regs, rdi);
	OFFSET(VCPU_REGS_RBP, struct vcpu_regs, rbp);
	OFFSET(VCPU_REGS_R8, struct vcpu_regs, r8);
	OFFSET(VCPU_REGS_R9, struct vcpu_regs, r9);
	OFFSET(VCPU_REGS_R10, struct vcpu_regs, r10);
	OFFSET(VCPU_REGS_R11, struct vcpu_regs, r11);
	OFFSET(VCPU_REGS_R12, struct vcpu_regs, r12);
	OFFSET(VCPU_REGS_R13, struct vcpu_regs, r13);
	OFFSET(VCPU_REGS_R14, struct vcpu_regs, r14);
	OFFSET(VCPU_REGS_R15, struct vcpu_regs, r15);
}
