/* SPDX-License-Identifier: MIT */
/*
 * The hypercall instruction itself (include/abi/hypercall.h).
 *
 * Every place that executes VMCALL or VMMCALL does so through HYPERCALL,
 * which picks the instruction from hc_instruction (set once by hc_init()
 * from CPUID) and records the address of both variants in .hc_sites.
 * If the chosen instruction raises #UD, the runtime's #UD handler looks the
 * faulting RIP up there and resumes at the other variant once
 * (hc_fixup_ud() in hypercall.c): a CPUID leaf that lies, or is missing,
 * costs a warning instead of a silent crash.
 */
#include <abi/hypercall.h>
#include "hcregs.h"

/* Execute the hypercall chosen by hc_instruction. Clobbers RFLAGS before the
 * instruction (the comparison); \before runs after the comparison, right
 * before either instruction, so a caller can set RFLAGS there. */
.macro HYPERCALL before=
	cmpb	$UHV_HCALL_VMMCALL, hc_instruction(%rip)
	je	2f
	\before
1:	vmcall
	jmp	3f
2:	\before
4:	vmmcall
3:
	.pushsection .hc_sites, "a"
	.balign	8
	.quad	1b, 4b
	.popsection
.endm

	.text

/*
 * int64_t hypercall5(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
 *                    uint64_t a4, uint64_t a5)
 * From the C calling convention (RDI, RSI, RDX, RCX, R8, R9) to the
 * hypercall's (RAX; RDI, RSI, RDX, R10, R8). Everything it touches is
 * caller-saved in C.
 */
	.globl	hypercall5
	.type	hypercall5, @function
hypercall5:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	HYPERCALL
	ret
	.size	hypercall5, . - hypercall5

/*
 * void hypercall_regs(const struct hc_regs *in, struct hc_regs *out)
 * Load every general register but RSP, and RFLAGS, from in; make the
 * hypercall; store every register and RFLAGS to out. Lets a test check that
 * the hypervisor preserved what the ABI says it preserves.
 */
	.globl	hypercall_regs
	.type	hypercall_regs, @function
hypercall_regs:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rsi				/* out */
	pushq	8 * HCR_RFLAGS(%rdi)		/* popped right before the instruction */
	mov	8 * HCR_RAX(%rdi), %rax
	mov	8 * HCR_RBX(%rdi), %rbx
	mov	8 * HCR_RCX(%rdi), %rcx
	mov	8 * HCR_RDX(%rdi), %rdx
	mov	8 * HCR_RSI(%rdi), %rsi
	mov	8 * HCR_RBP(%rdi), %rbp
	mov	8 * HCR_R8(%rdi), %r8
	mov	8 * HCR_R9(%rdi), %r9
	mov	8 * HCR_R10(%rdi), %r10
	mov	8 * HCR_R11(%rdi), %r11
	mov	8 * HCR_R12(%rdi), %r12
	mov	8 * HCR_R13(%rdi), %r13
	mov	8 * HCR_R14(%rdi), %r14
	mov	8 * HCR_R15(%rdi), %r15
	mov	8 * HCR_RDI(%rdi), %rdi
	HYPERCALL before=popfq
	pushfq
	push	%rdi
	mov	16(%rsp), %rdi			/* out */
	mov	%rax, 8 * HCR_RAX(%rdi)
	mov	%rbx, 8 * HCR_RBX(%rdi)
	mov	%rcx, 8 * HCR_RCX(%rdi)
	mov	%rdx, 8 * HCR_RDX(%rdi)
	mov	%rsi, 8 * HCR_RSI(%rdi)
	mov	%rbp, 8 * HCR_RBP(%rdi)
	mov	%r8, 8 * HCR_R8(%rdi)
	mov	%r9, 8 * HCR_R9(%rdi)
	mov	%r10, 8 * HCR_R10(%rdi)
	mov	%r11, 8 * HCR_R11(%rdi)
	mov	%r12, 8 * HCR_R12(%rdi)
	mov	%r13, 8 * HCR_R13(%rdi)
	mov	%r14, 8 * HCR_R14(%rdi)
	mov	%r15, 8 * HCR_R15(%rdi)
	popq	8 * HCR_RDI(%rdi)
	popq	8 * HCR_RFLAGS(%rdi)
	add	$8, %rsp			/* out */
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size	hypercall_regs, . - hypercall_regs

	.section .note.GNU-stack, "", @progbits
