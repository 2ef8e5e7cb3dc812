/* SPDX-License-Identifier: MIT */
/*
 * void svm_vmrun(struct vcpu_regs *regs, paddr_t guest_vmcb, paddr_t host_save)
 *
 * Enter the guest once and come back at its next #VMEXIT. VMRUN itself
 * switches only RAX, RSP, RIP, RFLAGS, the segment, descriptor-table and
 * control registers (AMD APM vol. 2, 15.5); the other general registers are
 * loaded from and stored to *regs here. FS, GS, TR, LDTR, KernelGsBase and
 * the SYSCALL/SYSENTER MSRs are switched by VMSAVE/VMLOAD: the host's go to
 * host_save, the guest's are kept in its VMCB. The caller has run CLGI and
 * runs STGI after this returns: nothing can interrupt the switch.
 */
#include <generated/asm-offsets.h>

	.text
	.globl	svm_vmrun
	.type	svm_vmrun, @function
svm_vmrun:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi				/* regs */
	push	%rdx				/* host_save */

	mov	%rdx, %rax
	vmsave	%rax				/* host FS, GS, TR, LDTR, ... */
	mov	%rsi, %rax			/* RAX = guest VMCB for VMLOAD, VMRUN, VMSAVE */

	mov	VCPU_REGS_RBX(%rdi), %rbx
	mov	VCPU_REGS_RCX(%rdi), %rcx
	mov	VCPU_REGS_RDX(%rdi), %rdx
	mov	VCPU_REGS_RSI(%rdi), %rsi
	mov	VCPU_REGS_RBP(%rdi), %rbp
	mov	VCPU_REGS_R8(%rdi), %r8
	mov	VCPU_REGS_R9(%rdi), %r9
	mov	VCPU_REGS_R10(%rdi), %r10
	mov	VCPU_REGS_R11(%rdi), %r11
	mov	VCPU_REGS_R12(%rdi), %r12
	mov	VCPU_REGS_R13(%rdi), %r13
	mov	VCPU_REGS_R14(%rdi), %r14
	mov	VCPU_REGS_R15(%rdi), %r15
	mov	VCPU_REGS_RDI(%rdi), %rdi

	vmload	%rax
	vmrun	%rax
	/* #VMEXIT: RAX, RSP and RFLAGS are the host's again (RAX = guest VMCB). */
	vmsave	%rax

	push	%rdi				/* guest RDI */
	mov	16(%rsp), %rdi			/* regs */
	mov	%rbx, VCPU_REGS_RBX(%rdi)
	mov	%rcx, VCPU_REGS_RCX(%rdi)
	mov	%rdx, VCPU_REGS_RDX(%rdi)
	mov	%rsi, VCPU_REGS_RSI(%rdi)
	mov	%rbp, VCPU_REGS_RBP(%rdi)
	mov	%r8, VCPU_REGS_R8(%rdi)
	mov	%r9, VCPU_REGS_R9(%rdi)
	mov	%r10, VCPU_REGS_R10(%rdi)
	mov	%r11, VCPU_REGS_R11(%rdi)
	mov	%r12, VCPU_REGS_R12(%rdi)
	mov	%r13, VCPU_REGS_R13(%rdi)
	mov	%r14, VCPU_REGS_R14(%rdi)
	mov	%r15, VCPU_REGS_R15(%rdi)
	popq	VCPU_REGS_RDI(%rdi)

	pop	%rax				/* host_save */
	vmload	%rax				/* the host's TR (its IST stacks) before STGI */
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	svm_vmrun, . - svm_vmrun

	.section .note.GNU-stack, "", @progbits
