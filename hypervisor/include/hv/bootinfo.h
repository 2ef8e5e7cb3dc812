/* SPDX-License-Identifier: MIT */
/*
 * What the hypervisor keeps from the bootloader's information. The
 * multiboot2 structure is parsed once, validated, and copied into this;
 * nothing points back into the loader's memory afterwards.
 */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include <hv/elf.h>
#include <hv/types.h>

#define BOOT_MAX_MMAP		128
#define BOOT_MAX_MODULES	16
#define BOOT_MAX_ELF_SECTIONS	64
#define BOOT_CMDLINE_MAX	256
#define BOOT_MODULE_CMDLINE_MAX	128
#define BOOT_RSDP_MAX		36	/* ACPI 2.0 RSDP */

enum boot_mem_type {
	BOOT_MEM_AVAILABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_mem_region {
	paddr_t base;
	uint64_t length;
	uint32_t type;		/* enum boot_mem_type; other values are reserved */
};

struct boot_module {
	paddr_t start;
	paddr_t end;		/* exclusive */
	char cmdline[BOOT_MODULE_CMDLINE_MAX];
};

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX];
	char loader_name[64];

	struct boot_mem_region mmap[BOOT_MAX_MMAP];
	uint32_t mmap_count;

	struct boot_module modules[BOOT_MAX_MODULES];
	uint32_t module_count;

	Elf64_Shdr elf_sections[BOOT_MAX_ELF_SECTIONS];
	uint32_t elf_section_count;

	uint8_t rsdp[BOOT_RSDP_MAX];	/* copy of the RSDP GRUB found */
	uint32_t rsdp_len;		/* 0: none, 20: ACPI 1.0, 36: ACPI 2.0+ */

	uint32_t mbi_size;		/* bytes of the multiboot2 structure itself */
	uint32_t truncated;		/* entries dropped because a table above was full */
};

/*
 * Parse the multiboot2 information structure at mbi, of which at most avail
 * bytes may be read. Every tag is bounds-checked; strings must be
 * NUL-terminated inside their tag. Returns 0, or -HV_EBADMSG when the
 * structure is malformed (nothing in *bi may then be trusted).
 */
int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi);

#endif /* HV_BOOTINFO_H */
