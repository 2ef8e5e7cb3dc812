/* SPDX-License-Identifier: MIT */
/* The hypervisor's view of physical memory. */
#ifndef HV_MM_H
#define HV_MM_H

#include <arch/memlayout.h>
#include <hv/types.h>

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + pa);
}

static inline paddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VBASE)
		return v - KERNEL_VBASE;	/* inside the hypervisor image */
	return v - DIRECT_MAP_BASE;
}

/*
 * Make [pa, pa + len) of host-physical space reachable through the direct
 * map and return its virtual address. memremap() is for memory that the
 * firmware describes but that is not RAM (ACPI tables in reserved regions):
 * cached. ioremap() is for device registers: uncached. Pages are mapped
 * read/write and never executable. Mapping the same page twice with the
 * same attribute is fine; with a different one it is a hypervisor bug.
 */
void *memremap(paddr_t pa, size_t len);
void *ioremap(paddr_t pa, size_t len);

/*
 * Whether [pa, pa + len) can be reached through the direct map at all (it
 * covers only part of the physical address space): memremap()/ioremap()
 * of anything else is a hypervisor bug (a panic), so callers with an
 * address they did not choose (a device's BAR) ask first.
 */
bool remap_reachable(paddr_t pa, size_t len);

#endif /* HV_MM_H */
