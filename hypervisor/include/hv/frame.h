/* SPDX-License-Identifier: MIT */
/*
 * The physical frame allocator: every 4 KiB page of RAM the hypervisor
 * hands out (its own page tables, VM memory) comes from here.
 *
 * One bit per frame from physical 0 to the end of RAM. A frame is free only
 * if the firmware memory map says RAM and no reserved range covers it:
 * frame_init() takes the hypervisor image, the boot modules (VM images),
 * the loaded symbol tables and the low 1 MiB as reserved, and firmware,
 * ACPI and MMIO regions are never RAM to begin with.
 */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include <hv/types.h>

#define FRAME_SIZE	4096ULL

struct phys_range {
	paddr_t base;
	uint64_t size;
};

/*
 * Build the allocator. The bitmap is placed in the first free RAM below
 * bitmap_limit, reached through map(pa, len). Returns 0, -HV_EINVAL for a
 * malformed range, or -HV_ENOMEM if no RAM can hold the bitmap.
 */
int frame_init(const struct phys_range *ram, size_t ram_count,
	       const struct phys_range *reserved, size_t reserved_count,
	       paddr_t bitmap_limit, void *(*map)(paddr_t pa, size_t len));

/* One frame, lowest address first; 0 when memory is exhausted (frame 0 is never free). */
paddr_t frame_alloc(void);

/*
 * count contiguous frames whose first address is a multiple of
 * align_frames frames (a power of two); 0 when no such run exists.
 */
paddr_t frame_alloc_contig(uint64_t count, uint64_t align_frames);

/*
 * Return frames. Freeing a frame that is not currently allocated (a double
 * free, or a reserved or non-RAM frame) changes nothing and returns -HV_EINVAL.
 */
int frame_free_contig(paddr_t pa, uint64_t count);
int frame_free(paddr_t pa);

uint64_t frame_free_count(void);
uint64_t frame_total_count(void);	/* free + allocated RAM frames */
paddr_t frame_bitmap_base(void);

#endif /* HV_FRAME_H */
