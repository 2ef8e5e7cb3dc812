/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's virtual address space. Included by C, assembly and the
 * linker script, so only plain #defines here.
 *
 *   0xffff800000000000  direct map: host-physical address P is at DIRECT_MAP_BASE + P.
 *                       RAM is mapped at boot (read/write, never executable);
 *                       firmware tables and MMIO are added on demand with the
 *                       right cache attribute (memremap/ioremap).
 *   0xffffffff80000000  the hypervisor image, linked at KERNEL_VBASE + its
 *                       physical load address, mapped with W^X per section.
 *
 * The low half is empty once boot is done: guests never share the
 * hypervisor's page tables, so nothing needs to live there.
 */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

#define KERNEL_VBASE		0xffffffff80000000
#define KERNEL_LOAD_PADDR	0x00200000	/* 2 MiB: clear of BIOS areas */
#define DIRECT_MAP_BASE		0xffff800000000000
#define DIRECT_MAP_SIZE		0x0000400000000000	/* 64 TiB of physical space */

#define PAGE_SHIFT		12
#define PAGE_SIZE		4096
#define LARGE_PAGE_SIZE		0x200000
#define BOOT_STACK_SIZE		(16 * 1024)
#define IST_STACK_SIZE		(8 * 1024)

/* The 32-bit boot code identity-maps this much (2 MiB pages) before paging. */
#define BOOT_IDENTITY_GIB	4

#endif /* ARCH_MEMLAYOUT_H */
