// SPDX-License-Identifier: MIT
/*
 * VM image validation and loading (hv/elf_image.h). Every header is copied
 * out of the image with memcpy before use: a module need not be aligned,
 * and each offset and size is checked against the file size before any
 * read, with overflow-safe arithmetic (a + b > limit is tested as
 * b > limit - a).
 */
#include <abi/errno.h>
#include <abi/vm_boot.h>
#include <hv/elf_image.h>
#include <hv/format.h>
#include <hv/string.h>

static void read_phdr(const uint8_t *image, const Elf64_Ehdr *eh, unsigned i, Elf64_Phdr *ph)
{
	memcpy(ph, image + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* A PT_LOAD that occupies memory; empty ones are legal ELF and ignored. */
static bool is_loaded(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz != 0;
}

static int check_header(const uint8_t *image, size_t size, Elf64_Ehdr *eh,
			char *why, size_t why_size)
{
	if (size < sizeof(*eh))
		return format_reject(why, why_size, -HV_EBADMSG,
			      "%zu bytes, too small for an ELF header", size);
	memcpy(eh, image, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return format_reject(why, why_size, -HV_EBADMSG, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return format_reject(why, why_size, -HV_ENOTSUP, "not a 64-bit ELF file (class %u)",
			      eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return format_reject(why, why_size, -HV_ENOTSUP, "not a little-endian ELF file (data encoding %u)",
			      eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return format_reject(why, why_size, -HV_EBADMSG, "unknown ELF version %u",
			      eh->e_ident[EI_VERSION] != EV_CURRENT ? eh->e_ident[EI_VERSION] :
			      (unsigned)eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return format_reject(why, why_size, -HV_ENOTSUP, "not an x86-64 program (machine %u)",
			      eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return format_reject(why, why_size, -HV_ENOTSUP,
			      "ELF type %u is not ET_EXEC: a VM image must be a statically linked executable",
			      eh->e_type);
	if (eh->e_phnum == 0)
		return format_reject(why, why_size, -HV_EBADMSG, "no program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return format_reject(why, why_size, -HV_EBADMSG, "program header size %u, expected %zu",
			      eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum > ELF_IMAGE_MAX_PHDRS)
		return format_reject(why, why_size, -HV_ENOTSUP, "%u program headers, more than the %u supported",
			      eh->e_phnum, ELF_IMAGE_MAX_PHDRS);
	uint64_t table = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > size || table > size - eh->e_phoff)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "program headers at offset %#llx run past the end of the file (%zu bytes)",
			      (unsigned long long)eh->e_phoff, size);
	return 0;
}

static int check_segment(unsigned i, const Elf64_Phdr *ph, size_t size, uint64_t mem_size,
			 char *why, size_t why_size)
{
	char mem[32];

	if (ph->p_filesz > ph->p_memsz)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "segment %u: file size %#llx is larger than its memory size %#llx", i,
			      (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "segment %u: file bytes %#llx+%#llx run past the end of the file (%zu bytes)", i,
			      (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, size);
	if (!is_loaded(ph))
		return 0;
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "segment %u: address %#llx + size %#llx wraps around", i,
			      (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
	if (ph->p_vaddr != ph->p_paddr)
		return format_reject(why, why_size, -HV_ENOTSUP,
			      "segment %u: virtual address %#llx differs from physical address %#llx "
			      "(a VM starts identity-mapped)", i,
			      (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_paddr);
	if (ph->p_paddr < UHV_IMAGE_MIN)
		return format_reject(why, why_size, -HV_ERANGE,
			      "segment %u: address %#llx is below %#x, in the VM's boot area", i,
			      (unsigned long long)ph->p_paddr, UHV_IMAGE_MIN);
	if (ph->p_paddr + ph->p_memsz > mem_size) {
		format_size(mem, sizeof(mem), mem_size);
		return format_reject(why, why_size, -HV_ERANGE,
			      "segment %u (%#llx-%#llx) does not fit in the VM's %s of memory", i,
			      (unsigned long long)ph->p_paddr,
			      (unsigned long long)(ph->p_paddr + ph->p_memsz - 1), mem);
	}
	return 0;
}

int elf_image_check(const void *image, size_t size, uint64_t mem_size,
		    struct elf_image_info *info, char *why, size_t why_size)
{
	const uint8_t *bytes = image;
	struct elf_image_info found = { .entry = 0 };
	bool entry_ok = false;
	Elf64_Ehdr eh;
	Elf64_Phdr ph, other;
	int err;

	if (why && why_size)
		why[0] = '\0';
	err = check_header(bytes, size, &eh, why, why_size);
	if (err)
		return err;

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		read_phdr(bytes, &eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		err = check_segment(i, &ph, size, mem_size, why, why_size);
		if (err)
			return err;
		if (!is_loaded(&ph))
			continue;
		for (unsigned j = 0; j < i; j++) {
			read_phdr(bytes, &eh, j, &other);
			if (is_loaded(&other) &&
			    ranges_overlap(ph.p_paddr, ph.p_memsz, other.p_paddr, other.p_memsz))
				return format_reject(why, why_size, -HV_EBADMSG,
					      "segments %u and %u overlap", j, i);
		}
		found.load_segments++;
		found.image_end = MAX(found.image_end, ph.p_paddr + ph.p_memsz);
		if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_paddr &&
		    eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
	}
	if (!found.load_segments)
		return format_reject(why, why_size, -HV_EBADMSG, "no loadable (PT_LOAD) segment");
	if (!entry_ok)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "entry point %#llx is not inside an executable segment",
			      (unsigned long long)eh.e_entry);
	found.entry = eh.e_entry;
	if (info)
		*info = found;
	return 0;
}

int elf_image_load(const void *image, size_t size, void *mem, uint64_t mem_size,
		   uint64_t *entry, uint64_t *image_end)
{
	const uint8_t *bytes = image;
	uint8_t *dst = mem;
	struct elf_image_info info;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int err;

	/* Checked again here: the loader must be safe on its own. */
	err = elf_image_check(image, size, mem_size, &info, NULL, 0);
	if (err)
		return err;
	memcpy(&eh, bytes, sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		read_phdr(bytes, &eh, i, &ph);
		if (!is_loaded(&ph))
			continue;
		memcpy(dst + ph.p_paddr, bytes + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	*entry = info.entry;
	*image_end = info.image_end;
	return 0;
}
