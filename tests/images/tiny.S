/* SPDX-License-Identifier: MIT */
/*
 * A minimal VM image for policy and loader tests: it passes every check of
 * hypervisor/elf_image.c (code, initialized data and a 2 MiB .bss so that
 * it fits a 4 MiB VM but not a 2 MiB one). It is validated, not run: if it
 * ever is, it halts.
 */
	.section .text, "ax"
	.globl _start
_start:
	cli
1:	hlt
	jmp 1b

	.section .data, "aw"
	.globl tiny_data
tiny_data:
	.quad 0x1122334455667788
	.ascii "uhv tiny test image\0"

	.section .bss, "aw", @nobits
	.balign 4096
	.space 2 * 1024 * 1024

	.section .note.GNU-stack, "", @progbits
