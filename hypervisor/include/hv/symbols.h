/* SPDX-License-Identifier: MIT */
#ifndef HV_SYMBOLS_H
#define HV_SYMBOLS_H

#include <hv/elf.h>

/*
 * The hypervisor's own symbol table, for backtraces. GRUB loads the image's
 * section headers and its .symtab/.strtab (multiboot2 ELF-sections tag);
 * without them addresses are printed bare.
 */
void symbols_init(const Elf64_Shdr *shdrs, uint32_t count);

/* Name of the function containing addr and the offset into it, or NULL. */
const char *symbols_lookup(uint64_t addr, uint64_t *offset);

#endif /* HV_SYMBOLS_H */
