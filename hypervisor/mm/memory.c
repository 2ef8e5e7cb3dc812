// SPDX-License-Identifier: MIT
/*
 * Physical memory: which frames are RAM that the hypervisor may hand out.
 */
#include <arch/mmu.h>
#include <hv/console.h>
#include <hv/memory.h>
#include <hv/mm.h>
#include <hv/panic.h>

#define LOW_MEMORY_END	(1 * MiB)	/* BIOS data, EBDA, option ROMs, real-mode IVT */

extern char __image_phys_start[], __image_phys_end[];

static const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_AVAILABLE:	 return "RAM";
	case BOOT_MEM_ACPI_RECLAIMABLE: return "ACPI tables";
	case BOOT_MEM_NVS:		 return "ACPI NVS";
	case BOOT_MEM_BAD:		 return "bad RAM";
	default:			 return "reserved";
	}
}

size_t mm_reserved_ranges(const struct boot_info *bi, struct phys_range *out, size_t max)
{
	size_t n = 0;

#define RESERVE(b, s) do { if (n < max) out[n++] = (struct phys_range){ .base = (b), .size = (s) }; } while (0)
	RESERVE(0, LOW_MEMORY_END);
	RESERVE((paddr_t)__image_phys_start, (paddr_t)(__image_phys_end - __image_phys_start));
	for (uint32_t i = 0; i < bi->module_count; i++)
		RESERVE(bi->modules[i].start, bi->modules[i].end - bi->modules[i].start);
	/* Sections GRUB loaded outside the image (symbol and string tables). */
	for (uint32_t i = 0; i < bi->elf_section_count; i++) {
		const Elf64_Shdr *sh = &bi->elf_sections[i];

		if (sh->sh_addr && sh->sh_addr < KERNEL_VBASE && sh->sh_size)
			RESERVE(sh->sh_addr, sh->sh_size);
	}
#undef RESERVE
	return n;
}

static void *boot_map(paddr_t pa, size_t len)
{
	BUG_ON(pa + len > (paddr_t)BOOT_IDENTITY_GIB * GiB);
	return phys_to_virt(pa);
}

void mm_init(const struct boot_info *bi)
{
	struct phys_range ram[BOOT_MAX_MMAP];
	struct phys_range reserved[4 + BOOT_MAX_MODULES + BOOT_MAX_ELF_SECTIONS];
	size_t ram_count = 0;
	uint64_t ram_bytes = 0;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_region *r = &bi->mmap[i];

		pr_debug("mm: 0x%012llx-0x%012llx %s", (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->length - 1), mem_type_name(r->type));
		if (r->type != BOOT_MEM_AVAILABLE)
			continue;
		ram[ram_count++] = (struct phys_range){ .base = r->base, .size = r->length };
		ram_bytes += r->length;
	}
	if (!ram_count)
		panic("mm: the firmware memory map lists no RAM");

	size_t reserved_count = mm_reserved_ranges(bi, reserved, ARRAY_SIZE(reserved));
	int err = frame_init(ram, ram_count, reserved, reserved_count,
			     (paddr_t)BOOT_IDENTITY_GIB * GiB, boot_map);
	if (err)
		panic("mm: cannot set up the frame allocator (%d)", err);

	uint64_t free_bytes = frame_free_count() * FRAME_SIZE;
	pr_info("mm: %llu MiB RAM, %llu MiB free after the hypervisor and %u boot module(s)",
		(unsigned long long)(ram_bytes / MiB), (unsigned long long)(free_bytes / MiB),
		bi->module_count);
	for (uint32_t i = 0; i < bi->module_count; i++)
		pr_info("mm: module %u '%s' at %#llx, %llu bytes", i, bi->modules[i].cmdline,
			(unsigned long long)bi->modules[i].start,
			(unsigned long long)(bi->modules[i].end - bi->modules[i].start));

	mmu_init(bi);
}
