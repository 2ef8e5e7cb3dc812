/* SPDX-License-Identifier: MIT */
/*
 * The Multiboot2 header GRUB looks for in the first 32 KiB of the image.
 * Tags are 8-byte aligned; each is named after the specification.
 */
#include <hv/multiboot2.h>

	.section .multiboot2, "a"
	.balign 8
mb2_header_start:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCHITECTURE_I386
	.long	mb2_header_end - mb2_header_start
	.long	-(MB2_HEADER_MAGIC + MB2_ARCHITECTURE_I386 + (mb2_header_end - mb2_header_start))

	/* Ask for the information the hypervisor cannot boot without. */
	.balign 8
info_request_tag_start:
	.short	MB2_HEADER_TAG_INFO_REQUEST
	.short	0
	.long	info_request_tag_end - info_request_tag_start
	.long	MB2_TAG_CMDLINE
	.long	MB2_TAG_MMAP
	.long	MB2_TAG_MODULE
info_request_tag_end:

	/*
	 * Enter at the 32-bit physical entry point: the ELF entry is the same
	 * address, but stating it keeps GRUB from guessing for a high-half image.
	 */
	.balign 8
entry_address_tag_start:
	.short	MB2_HEADER_TAG_ENTRY_ADDRESS
	.short	0
	.long	entry_address_tag_end - entry_address_tag_start
	.long	_start
entry_address_tag_end:

	/* Page-aligned modules: VM images are mapped into VMs by the page. */
	.balign 8
module_align_tag_start:
	.short	MB2_HEADER_TAG_MODULE_ALIGN
	.short	0
	.long	module_align_tag_end - module_align_tag_start
module_align_tag_end:

	.balign 8
	.short	MB2_HEADER_TAG_END
	.short	0
	.long	8
mb2_header_end:
