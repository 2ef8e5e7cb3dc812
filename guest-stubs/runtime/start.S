/* SPDX-License-Identifier: MIT */
/*
 * Guest entry (include/abi/vm_boot.h): 64-bit mode, CPL 0, identity-mapped,
 * interrupts off, RDI = boot information, RSP = the boot stack in the boot
 * area.
 *
 * The runtime moves to its own stack in .bss at once: the boot stack is in
 * the area below the image that the VM may reuse, and its size is the
 * boot protocol's business, not ours. .bss is cleared before anything in C
 * runs (the hypervisor loads PT_LOAD segments, but zeroing what lies
 * beyond p_filesz is ours to verify, not to assume). Then runtime_init()
 * (GDT, IDT, hypercalls, boot info), guest_main(), and HC_STOP_SELF with
 * its return value.
 */
#define RT_STACK_SIZE	(64 * 1024)

	.section .text.start, "ax"
	.globl	_start
	.type	_start, @function
_start:
	cli
	cld
	mov	%rdi, %rbx			/* boot info; RBX survives C calls */

	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	shr	$3, %rcx			/* __bss_start and __bss_end are page-aligned */
	xor	%eax, %eax
	rep stosq

	lea	rt_stack_top(%rip), %rsp
	xor	%ebp, %ebp			/* ends backtraces */

	mov	%rbx, %rdi
	call	runtime_init
	mov	%rbx, %rdi
	call	guest_main
	mov	%eax, %edi
	call	hc_stop_self			/* does not return */
	ud2
	.size	_start, . - _start

	.section .bss.stack, "aw", @nobits
	.balign	4096
	.globl	rt_stack_bottom
rt_stack_bottom:
	.skip	RT_STACK_SIZE
rt_stack_top:

	.section .note.GNU-stack, "", @progbits
