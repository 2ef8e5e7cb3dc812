// SPDX-License-Identifier: MIT
#include <arch/memlayout.h>
#include <hv/mm.h>
#include <hv/panic.h>

/*
 * Boot-time version: the boot page tables map the first BOOT_IDENTITY_GIB
 * GiB of physical space into the direct map, so anything below that is
 * already reachable. Replaced by the page-table-backed version in mm.
 */
static void *boot_direct_map(paddr_t pa, size_t len)
{
	if (range_wraps(pa, len) || pa + len > (paddr_t)BOOT_IDENTITY_GIB * GiB)
		panic("remap: %#llx+%#zx is outside the boot direct map", (unsigned long long)pa, len);
	return phys_to_virt(pa);
}

void *memremap(paddr_t pa, size_t len)
{
	return boot_direct_map(pa, len);
}

void *ioremap(paddr_t pa, size_t len)
{
	return boot_direct_map(pa, len);
}
