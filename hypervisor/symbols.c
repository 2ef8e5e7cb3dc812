// SPDX-License-Identifier: MIT
#include <hv/mm.h>
#include <hv/symbols.h>

static const Elf64_Sym *symtab;
static size_t symtab_count;
static const char *strtab;
static size_t strtab_size;

void symbols_init(const Elf64_Shdr *shdrs, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		const Elf64_Shdr *sym = &shdrs[i];

		if (sym->sh_type != SHT_SYMTAB || sym->sh_link >= count ||
		    sym->sh_entsize != sizeof(Elf64_Sym) || !sym->sh_addr)
			continue;
		const Elf64_Shdr *str = &shdrs[sym->sh_link];
		if (str->sh_type != SHT_STRTAB || !str->sh_addr || !str->sh_size)
			continue;
		/* Non-allocated sections carry the physical address GRUB loaded them at. */
		symtab = phys_to_virt(sym->sh_addr);
		symtab_count = sym->sh_size / sizeof(Elf64_Sym);
		strtab = phys_to_virt(str->sh_addr);
		strtab_size = str->sh_size;
		return;
	}
}

const char *symbols_lookup(uint64_t addr, uint64_t *offset)
{
	const Elf64_Sym *best = NULL;

	for (size_t i = 0; i < symtab_count; i++) {
		const Elf64_Sym *s = &symtab[i];

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_name >= strtab_size)
			continue;
		if (addr >= s->st_value && addr < s->st_value + (s->st_size ? s->st_size : 1)) {
			best = s;
			break;
		}
	}
	if (!best)
		return NULL;
	*offset = addr - best->st_value;
	return strtab + best->st_name;
}
