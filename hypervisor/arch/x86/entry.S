/* SPDX-License-Identifier: MIT */
/*
 * From GRUB's 32-bit protected mode to 64-bit C.
 *
 * GRUB enters _start with paging off, EAX = multiboot2 magic and EBX = the
 * physical address of the boot information. This code runs at its physical
 * address (the .boot sections are linked at their load address), builds
 * just enough page tables to reach the high-half image, enables long mode
 * and jumps to hv_main(magic, mbi_paddr). hv_main replaces these tables
 * with the final W^X ones before it does anything else.
 *
 * Boot page tables (2 MiB pages, first BOOT_IDENTITY_GIB GiB of physical space):
 *   PML4[0]   -> identity        (only for the instant around the far jump)
 *   PML4[256] -> DIRECT_MAP_BASE (phys_to_virt() works from the first C line)
 *   PML4[511] -> KERNEL_VBASE    (-2 GiB, where the image is linked)
 */
#include <arch/memlayout.h>
#include <arch/segment.h>
#include <hv/multiboot2.h>

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)
#define COM1		0x3f8

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov	%eax, %edi		/* multiboot2 magic: first C argument */
	mov	%ebx, %esi		/* boot info address: second C argument */
	mov	$boot32_stack_top, %esp

	cmp	$MB2_BOOTLOADER_MAGIC, %edi
	jne	.Lno_multiboot2

	/* Long mode and NX are the minimum; everything else is checked in C. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	.Lno_long_mode
	mov	$0x80000001, %eax
	cpuid
	bt	$29, %edx		/* LM */
	jnc	.Lno_long_mode
	bt	$20, %edx		/* NX */
	jnc	.Lno_long_mode

	/* The loader should have zeroed .boot.bss; do not depend on it. */
	mov	$boot_pml4, %ebx
	xor	%ecx, %ecx
0:	movl	$0, (%ebx, %ecx, 4)
	inc	%ecx
	cmp	$(3 * 1024), %ecx	/* PML4 and both PDPTs */
	jne	0b

	/* PD entries: BOOT_IDENTITY_GIB * 512 2-MiB pages, physical 0 upwards. */
	mov	$boot_pd, %ebx
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$(PTE_P | PTE_W | PTE_PS), %eax
	mov	%eax, (%ebx, %ecx, 8)
	mov	%ecx, %eax
	shr	$11, %eax		/* high dword: bits 32+ of (ecx << 21) */
	mov	%eax, 4(%ebx, %ecx, 8)
	inc	%ecx
	cmp	$(BOOT_IDENTITY_GIB * 512), %ecx
	jne	1b

	/* Low PDPT: one entry per GiB, each to a page of the PD array. */
	xor	%ecx, %ecx
2:	mov	%ecx, %eax
	shl	$12, %eax
	add	$boot_pd + (PTE_P | PTE_W), %eax
	mov	%eax, boot_pdpt_low(, %ecx, 8)
	inc	%ecx
	cmp	$BOOT_IDENTITY_GIB, %ecx
	jne	2b

	/* High PDPT: entries 510 and 511 map the first 2 GiB at -2 GiB. */
	movl	$boot_pd + (PTE_P | PTE_W), boot_pdpt_high + 510 * 8
	movl	$boot_pd + 4096 + (PTE_P | PTE_W), boot_pdpt_high + 511 * 8

	movl	$boot_pdpt_low + (PTE_P | PTE_W), boot_pml4
	movl	$boot_pdpt_low + (PTE_P | PTE_W), boot_pml4 + 256 * 8
	movl	$boot_pdpt_high + (PTE_P | PTE_W), boot_pml4 + 511 * 8

	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$boot_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PE | CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0

	lgdt	boot_gdt_desc
	ljmp	$GDT_KERNEL_CS, $.Llong_mode

	.code64
.Llong_mode:
	mov	$GDT_KERNEL_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	movabs	$entry64, %rax
	jmp	*%rax

	.code32
.Lno_multiboot2:
	mov	$msg_no_mb2, %ebx
	jmp	.Lfatal32
.Lno_long_mode:
	mov	$msg_no_lm, %ebx
	/* fall through */

/* Print the NUL-terminated string at EBX on COM1 (polled) and stop. */
.Lfatal32:
	mov	$COM1 + 5, %dx		/* line status register */
3:	in	%dx, %al
	test	$0x20, %al		/* transmit holding register empty */
	jz	3b
	movb	(%ebx), %al
	test	%al, %al
	jz	4f
	mov	$COM1, %dx
	out	%al, %dx
	inc	%ebx
	mov	$COM1 + 5, %dx
	jmp	3b
4:	hlt
	jmp	4b

	.section .boot.rodata, "a"
msg_no_mb2:
	.asciz	"\r\nuhv: not started by a multiboot2 loader: cannot boot\r\n"
msg_no_lm:
	.asciz	"\r\nuhv: this CPU lacks 64-bit long mode or NX: cannot boot\r\n"

	.balign 8
boot_gdt:
	.quad	0
	.quad	GDT_KERNEL_CODE64_DESC
	.quad	GDT_KERNEL_DATA_DESC
boot_gdt_end:
boot_gdt_desc:
	.short	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	.section .boot.bss, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096 * BOOT_IDENTITY_GIB
	.skip	256
boot32_stack_top:

/*
 * 64-bit, running high. Clear .bss (GRUB should have, but the loader is not
 * ours to trust), switch to the real boot stack and call C.
 */
	.text
	.code64
	.type	entry64, @function
entry64:
	mov	%rdi, %r12
	mov	%rsi, %r13
	movabs	$__bss_start, %rdi
	movabs	$__bss_end, %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	movabs	$boot_stack_top, %rsp
	xor	%ebp, %ebp		/* ends the backtrace */
	mov	%r12, %rdi
	mov	%r13, %rsi
	call	hv_main
	ud2				/* hv_main never returns */
	.size	entry64, . - entry64

	.bss
	.balign 4096
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:			/* left unmapped by mmu_init */
	.skip	4096
boot_stack_bottom:
	.skip	BOOT_STACK_SIZE
boot_stack_top:
