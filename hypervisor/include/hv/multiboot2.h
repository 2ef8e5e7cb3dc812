/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 (GRUB) boot protocol, as named in the Multiboot2 specification
 * version 2.0. The header constants are also used by boot/multiboot2_header.S.
 */
#ifndef HV_MULTIBOOT2_H
#define HV_MULTIBOOT2_H

/* The OS image header (spec section 3.1). */
#define MB2_HEADER_MAGIC		0xe85250d6
#define MB2_ARCHITECTURE_I386		0	/* 32-bit protected mode entry */
#define MB2_HEADER_TAG_END		0
#define MB2_HEADER_TAG_INFO_REQUEST	1
#define MB2_HEADER_TAG_ENTRY_ADDRESS	3
#define MB2_HEADER_TAG_MODULE_ALIGN	6
#define MB2_HEADER_TAG_OPTIONAL		1	/* flags: bootloader may ignore */

/* What the bootloader leaves in EAX (spec section 3.3). */
#define MB2_BOOTLOADER_MAGIC		0x36d76289

/* Boot information tags (spec section 3.6). */
#define MB2_TAG_END			0
#define MB2_TAG_CMDLINE			1
#define MB2_TAG_BOOTLOADER_NAME		2
#define MB2_TAG_MODULE			3
#define MB2_TAG_BASIC_MEMINFO		4
#define MB2_TAG_BOOTDEV			5
#define MB2_TAG_MMAP			6
#define MB2_TAG_FRAMEBUFFER		8
#define MB2_TAG_ELF_SECTIONS		9
#define MB2_TAG_APM			10
#define MB2_TAG_ACPI_OLD		14	/* copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW		15	/* copy of the ACPI 2.0+ RSDP */
#define MB2_TAG_LOAD_BASE_ADDR		21

#define MB2_MEMORY_AVAILABLE		1
#define MB2_MEMORY_RESERVED		2
#define MB2_MEMORY_ACPI_RECLAIMABLE	3
#define MB2_MEMORY_NVS			4
#define MB2_MEMORY_BADRAM		5

#ifndef __ASSEMBLER__
#include <hv/types.h>

struct mb2_info_header {
	uint32_t total_size;
	uint32_t reserved;
} __packed;

struct mb2_tag {
	uint32_t type;
	uint32_t size;		/* of this tag including the header, unpadded */
} __packed;

struct mb2_tag_string {		/* CMDLINE, BOOTLOADER_NAME */
	struct mb2_tag tag;
	char string[];
} __packed;

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;	/* exclusive */
	char cmdline[];
} __packed;

struct mb2_mmap_entry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
} __packed;

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
	/* struct mb2_mmap_entry entries[], each entry_size bytes apart */
} __packed;

struct mb2_tag_elf_sections {
	struct mb2_tag tag;
	uint32_t num;
	uint32_t entsize;
	uint32_t shndx;
	/* section headers follow */
} __packed;

struct mb2_tag_basic_meminfo {
	struct mb2_tag tag;
	uint32_t mem_lower;	/* KiB */
	uint32_t mem_upper;	/* KiB */
} __packed;

_Static_assert(sizeof(struct mb2_info_header) == 8, "multiboot2 info header");
_Static_assert(sizeof(struct mb2_tag) == 8, "multiboot2 tag header");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "multiboot2 module tag");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "multiboot2 mmap entry");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "multiboot2 mmap tag");
_Static_assert(sizeof(struct mb2_tag_elf_sections) == 20, "multiboot2 ELF sections tag");

#endif /* !__ASSEMBLER__ */
#endif /* HV_MULTIBOOT2_H */
