/* SPDX-License-Identifier: MIT */
/*
 * Adding mappings to the boot page tables (vm_boot.h): the runtime keeps
 * running on them, so they must stay where they are (0x3000 - 0x6fff).
 * Only guests that deliberately touch guest-physical addresses outside
 * their memory need this (faulter); IOVMs will map device MMIO with it.
 */
#ifndef RUNTIME_PAGING_H
#define RUNTIME_PAGING_H

#include <hv/types.h>

#define PAGING_LARGE_PAGE	(2 * MiB)

/*
 * Identity-map the 2 MiB-aligned region holding gpa (guest-virtual =
 * guest-physical), writable and not executable, unless it is mapped
 * already. gpa must be below 2^47 so the identity address is canonical.
 * Returns 0, -HV_ERANGE for a gpa that cannot be identity-mapped, or
 * -HV_ENOMEM when the runtime's few spare table pages are used up.
 */
int paging_map_identity(uint64_t gpa);

/*
 * The same for device registers (a BAR): the mapping is uncached (PCD,
 * PWT), so that every access reaches the device in program order, whatever
 * memory type the hypervisor's EPT/NPT gives the page. A region that is
 * mapped already keeps its mapping (and its memory type).
 */
int paging_map_mmio(uint64_t gpa);

/* Attributes for paging_map(); readable is implied. */
#define PAGING_WRITE		BIT(0)
#define PAGING_EXEC		BIT(1)

/*
 * Identity-map [gpa, gpa + size) with exactly these attributes: 2 MiB pages
 * where the range covers a whole aligned 2 MiB, 4 KiB pages elsewhere.
 * gpa and size must be 4 KiB multiples, the range below 2^47 and clear of
 * the VM's memory (the boot mappings). Existing mappings in the range are
 * replaced (a 2 MiB page there is refused: -HV_EEXIST). Returns 0,
 * -HV_EINVAL, -HV_ERANGE, -HV_EEXIST or -HV_ENOMEM (spare tables used up).
 */
int paging_map(uint64_t gpa, uint64_t size, unsigned int flags);

#endif /* RUNTIME_PAGING_H */
