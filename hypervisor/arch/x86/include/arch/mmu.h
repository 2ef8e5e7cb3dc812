/* SPDX-License-Identifier: MIT */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <hv/bootinfo.h>

/*
 * Build the hypervisor's final page tables and switch to them: RAM (and
 * ACPI memory) in the direct map read/write and never executable, the
 * hypervisor image mapped per section (text R-X, rodata R--, data RW-), no
 * low-half mappings, an unmapped guard page under the boot stack. From then
 * on memremap()/ioremap() add pages to the direct map on demand.
 */
void mmu_init(const struct boot_info *bi);

#endif /* ARCH_MMU_H */
