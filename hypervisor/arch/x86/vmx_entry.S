/* SPDX-License-Identifier: MIT */
/*
 * Entering a VMX guest and coming back. The CPU saves no guest general
 * registers on a VM exit (only RSP, RIP and RFLAGS live in the VMCS), so
 * this stub does, into the struct vcpu_regs it was given.
 *
 * int vmx_enter(struct vcpu_regs *regs, int launched)
 *   Loads the guest registers and executes VMLAUNCH (launched = 0) or
 *   VMRESUME. Returns 0 after a VM exit (the guest registers saved in
 *   *regs), or 1 if the instruction failed (VMfailInvalid/VMfailValid:
 *   nothing was entered; the VM-instruction error field says why).
 *
 * The host RSP in the VMCS is this stub's own stack pointer after it has
 * pushed the callee-saved registers and regs: a VM exit lands in
 * vmx_exit_stub (the host RIP) with the stack exactly as vmx_enter left it.
 * Interrupts are off in the host on both sides (a VM exit clears RFLAGS).
 */
#include <arch/vmcs.h>
#include <generated/asm-offsets.h>

	.text
	.globl	vmx_enter
	.type	vmx_enter, @function
vmx_enter:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi			/* regs, at the top of the host stack */
	movq	$VMCS_HOST_RSP, %rax
	vmwrite	%rsp, %rax

	testl	%esi, %esi		/* MOVs leave the flags alone until the jump */
	movq	VCPU_REGS_RAX(%rdi), %rax
	movq	VCPU_REGS_RBX(%rdi), %rbx
	movq	VCPU_REGS_RCX(%rdi), %rcx
	movq	VCPU_REGS_RDX(%rdi), %rdx
	movq	VCPU_REGS_RSI(%rdi), %rsi
	movq	VCPU_REGS_RBP(%rdi), %rbp
	movq	VCPU_REGS_R8(%rdi), %r8
	movq	VCPU_REGS_R9(%rdi), %r9
	movq	VCPU_REGS_R10(%rdi), %r10
	movq	VCPU_REGS_R11(%rdi), %r11
	movq	VCPU_REGS_R12(%rdi), %r12
	movq	VCPU_REGS_R13(%rdi), %r13
	movq	VCPU_REGS_R14(%rdi), %r14
	movq	VCPU_REGS_R15(%rdi), %r15
	movq	VCPU_REGS_RDI(%rdi), %rdi
	jnz	1f
	vmlaunch
	jmp	2f
1:	vmresume
2:	/* Only reached if the VM entry failed. */
	addq	$8, %rsp
	movl	$1, %eax
	jmp	3f

	.globl	vmx_exit_stub
	.type	vmx_exit_stub, @function
vmx_exit_stub:
	pushq	%rdi
	movq	8(%rsp), %rdi		/* regs */
	movq	%rax, VCPU_REGS_RAX(%rdi)
	movq	%rbx, VCPU_REGS_RBX(%rdi)
	movq	%rcx, VCPU_REGS_RCX(%rdi)
	movq	%rdx, VCPU_REGS_RDX(%rdi)
	movq	%rsi, VCPU_REGS_RSI(%rdi)
	movq	%rbp, VCPU_REGS_RBP(%rdi)
	movq	%r8, VCPU_REGS_R8(%rdi)
	movq	%r9, VCPU_REGS_R9(%rdi)
	movq	%r10, VCPU_REGS_R10(%rdi)
	movq	%r11, VCPU_REGS_R11(%rdi)
	movq	%r12, VCPU_REGS_R12(%rdi)
	movq	%r13, VCPU_REGS_R13(%rdi)
	movq	%r14, VCPU_REGS_R14(%rdi)
	movq	%r15, VCPU_REGS_R15(%rdi)
	popq	VCPU_REGS_RDI(%rdi)
	addq	$8, %rsp
	xorl	%eax, %eax
3:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
