/* SPDX-License-Identifier: MIT */
#ifndef HV_MEMORY_H
#define HV_MEMORY_H

#include <hv/bootinfo.h>
#include <hv/frame.h>

/*
 * Set up physical memory management: the frame allocator over the firmware
 * memory map minus everything reserved, then the hypervisor's final page
 * tables (direct map of RAM, W^X image, guard page under the boot stack).
 * Panics if the machine's memory cannot support the hypervisor at all.
 */
void mm_init(const struct boot_info *bi);

/* Fill out[] with the reserved ranges for bi; returns how many. */
size_t mm_reserved_ranges(const struct boot_info *bi, struct phys_range *out, size_t max);

#endif /* HV_MEMORY_H */
