/* SPDX-License-Identifier: MIT */
/*
 * VM images: statically linked ELF64 x86-64 executables (ET_EXEC), loaded
 * at their physical addresses into the VM's memory, which starts
 * identity-mapped (include/abi/vm_boot.h). An image comes from a boot
 * module, so it is untrusted input: everything is checked before a byte is
 * copied. Pure logic over buffers: unit-tested on the host and fuzzed.
 */
#ifndef HV_ELF_IMAGE_H
#define HV_ELF_IMAGE_H

#include <hv/elf.h>
#include <hv/types.h>

/* Real images have a handful; the bound keeps the overlap check small. */
#define ELF_IMAGE_MAX_PHDRS	64

struct elf_image_info {
	uint64_t entry;		/* guest-physical (= virtual) entry point */
	uint64_t image_end;	/* first byte after the highest PT_LOAD segment */
	uint32_t load_segments;	/* PT_LOAD segments with at least one byte */
};

/*
 * Check that image[0, size) can be loaded into a VM with mem_size bytes of
 * memory: ELF64, little-endian, x86-64, ET_EXEC; program headers inside the
 * file; each PT_LOAD with filesz <= memsz, its file bytes inside the file,
 * p_vaddr == p_paddr, no arithmetic overflow, at or above UHV_IMAGE_MIN and
 * ending within mem_size; no two PT_LOADs overlapping; at least one
 * PT_LOAD; the entry point inside an executable PT_LOAD.
 *
 * Returns 0 and fills *info (may be NULL), or a negative HV_E* code with one
 * line explaining why in why[why_size] (why may be NULL): -HV_EBADMSG for a
 * malformed file, -HV_ENOTSUP for a valid ELF file of the wrong kind,
 * -HV_ERANGE for a segment outside the VM's image area.
 */
int elf_image_check(const void *image, size_t size, uint64_t mem_size,
		    struct elf_image_info *info, char *why, size_t why_size);

/*
 * Check the image as above, then copy each PT_LOAD segment's file bytes to
 * mem + p_paddr and zero the rest of its memsz (the .bss). Nothing else in
 * mem[0, mem_size) is touched. Returns 0 with *entry and *image_end set, or
 * the check's error with nothing copied.
 */
int elf_image_load(const void *image, size_t size, void *mem, uint64_t mem_size,
		   uint64_t *entry, uint64_t *image_end);

#endif /* HV_ELF_IMAGE_H */
