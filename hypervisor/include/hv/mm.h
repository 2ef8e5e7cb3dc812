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

#endif /* HV_MM_H */
