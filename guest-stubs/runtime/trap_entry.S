/* SPDX-License-Identifier: MIT */
/*
 * One 16-byte stub per IDT vector: push a zero where the CPU pushes no error
 * code, push the vector, save the general registers in the order of struct
 * trap_frame (idt.h, which checks the layout at compile time) and call
 * trap_dispatch(frame). trap_stubs[] gives idt.c each stub's address.
 *
 * The guest runs at CPL 0 only and uses no IST, so an interrupt stays on the
 * current stack: C code is built with -mno-red-zone for that reason.
 */

/* Vectors for which the CPU pushes an error code (SDM vol. 3A, 6.13). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
trap_stubs_start:
	.set	vector, 0
	.rept	256
	.balign	16
	.if	!HAS_ERROR_CODE(vector)
	pushq	$0
	.endif
	pushq	$vector
	jmp	trap_common
	.set	vector, vector + 1
	.endr

	.type	trap_common, @function
trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	mov	%rsp, %rdi
	cld
	call	trap_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	add	$16, %rsp		/* vector and error code */
	iretq
	.size	trap_common, . - trap_common

	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.set	vector, 0
	.rept	256
	.quad	trap_stubs_start + 16 * vector
	.set	vector, vector + 1
	.endr

	.section .note.GNU-stack, "", @progbits
