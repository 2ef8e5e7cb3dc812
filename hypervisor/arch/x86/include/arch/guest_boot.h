/* SPDX-License-Identifier: MIT */
/*
 * The architectural state every VM starts in (include/abi/vm_boot.h), as
 * the two backends must load it into a VMCS or VMCB.
 */
#ifndef ARCH_GUEST_BOOT_H
#define ARCH_GUEST_BOOT_H

#include <abi/vm_boot.h>
#include <arch/cpu.h>
#include <arch/msr.h>

#define GUEST_BOOT_CR0		(X86_CR0_PE | BIT(1) /* MP */ | BIT(4) /* ET */ | X86_CR0_NE | \
				 X86_CR0_WP | X86_CR0_PG)
#define GUEST_BOOT_CR3		UHV_BOOT_PAGE_TABLES
#define GUEST_BOOT_CR4		X86_CR4_PAE
#define GUEST_BOOT_EFER		(EFER_LME | EFER_LMA | EFER_NXE)
#define GUEST_BOOT_RFLAGS	0x2
#define GUEST_BOOT_GDT_LIMIT	(3 * 8 - 1)	/* null, code, data */
/* Segment access rights in the VMX layout (type | S | DPL | P | L | G); SVM packs the same bits. */
#define GUEST_BOOT_CS_AR	0xa09b	/* execute/read accessed, S, P, L, G */
#define GUEST_BOOT_DS_AR	0xc093	/* read/write accessed, S, P, D/B, G */
#define GUEST_BOOT_TR_AR	0x008b	/* busy 64-bit TSS, P */

struct vm;

/*
 * Write the boot area into the VM's memory (mapped at mem): boot info, GDT
 * and identity-mapping page tables, and set the vCPU's registers for entry
 * at entry. image_end is the first byte after the loaded image.
 */
int guest_boot_setup(struct vm *vm, void *mem, uint64_t entry, uint64_t image_end);

#endif /* ARCH_GUEST_BOOT_H */
