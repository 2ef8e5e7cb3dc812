// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the multiboot2 parser must reject or accept any byte string
 * without reading outside it, and what it accepts must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hv/bootinfo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	/* An exact-size, 8-aligned copy so ASan sees any read past the end. */
	uint8_t *copy = aligned_alloc(8, size ? ALIGN_UP(size, 8) : 8);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (mb2_parse(copy, size, &bi) == 0) {
		if (bi.mbi_size > size || bi.mmap_count > BOOT_MAX_MMAP ||
		    bi.module_count > BOOT_MAX_MODULES || bi.elf_section_count > BOOT_MAX_ELF_SECTIONS ||
		    strnlen(bi.cmdline, sizeof(bi.cmdline)) == sizeof(bi.cmdline))
			abort();
		for (uint32_t i = 0; i < bi.module_count; i++)
			if (bi.modules[i].end < bi.modules[i].start)
				abort();
	}
	free(copy);
	return 0;
}
