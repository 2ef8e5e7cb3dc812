// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a VM image. The check must never read outside the file;
 * whatever it accepts must load into a VM memory buffer of the size it was
 * checked against without writing outside it, and leave the entry point
 * inside the loaded image.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <abi/vm_boot.h>
#include <hv/elf_image.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VM_MEMORY	(4ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	struct elf_image_info info;
	char why[160];
	uint8_t *copy = malloc(size ? size : 1);

	if (!mem)
		mem = malloc(VM_MEMORY);	/* exact size: ASan catches a write past it */
	if (!copy || !mem)
		abort();
	memcpy(copy, data, size);
	int err = elf_image_check(copy, size, VM_MEMORY, &info, why, sizeof(why));
	if (err > 0 || (err < 0 && !why[0]))
		abort();
	if (err == 0) {
		uint64_t entry, end;

		if (info.entry < UHV_IMAGE_MIN || info.entry >= info.image_end ||
		    info.image_end > VM_MEMORY || !info.load_segments)
			abort();
		if (elf_image_load(copy, size, mem, VM_MEMORY, &entry, &end) ||
		    entry != info.entry || end != info.image_end)
			abort();
	}
	free(copy);
	return 0;
}
