// SPDX-License-Identifier: MIT
/*
 * Multiboot2 boot information parser. The loader is trusted to exist, not
 * to be right: sizes are checked before anything is read, so a corrupt
 * structure is an error message instead of a wild read. Pure logic, tested
 * on the host with real GRUB output and fuzzed.
 */
#include <abi/errno.h>
#include <hv/bootinfo.h>
#include <hv/multiboot2.h>
#include <hv/string.h>

/* Copy a string that must end with a NUL inside [s, s + max). */
static int copy_string(char *dst, size_t dst_size, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return -HV_EBADMSG;	/* not terminated inside its tag */
	if (n >= dst_size)
		n = dst_size - 1;	/* keep what fits */
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int parse_mmap(const struct mb2_tag *tag, struct boot_info *bi)
{
	const struct mb2_tag_mmap *m = (const void *)tag;

	if (tag->size < sizeof(*m) || m->entry_size < sizeof(struct mb2_mmap_entry) ||
	    m->entry_size % 8)
		return -HV_EBADMSG;

	const uint8_t *p = (const uint8_t *)m + sizeof(*m);
	const uint8_t *end = (const uint8_t *)m + tag->size;
	for (; p + m->entry_size <= end; p += m->entry_size) {
		struct mb2_mmap_entry e;

		memcpy(&e, p, sizeof(e));
		if (!e.length)
			continue;
		if (range_wraps(e.base_addr, e.length))
			return -HV_EBADMSG;
		if (bi->mmap_count == BOOT_MAX_MMAP) {
			bi->truncated++;
			continue;
		}
		bi->mmap[bi->mmap_count++] = (struct boot_mem_region){
			.base = e.base_addr, .length = e.length, .type = e.type,
		};
	}
	return 0;
}

static int parse_module(const struct mb2_tag *tag, struct boot_info *bi)
{
	const struct mb2_tag_module *m = (const void *)tag;

	if (tag->size < sizeof(*m) + 1 || m->mod_end < m->mod_start)
		return -HV_EBADMSG;
	if (bi->module_count == BOOT_MAX_MODULES) {
		bi->truncated++;
		return 0;
	}
	struct boot_module *mod = &bi->modules[bi->module_count];
	if (copy_string(mod->cmdline, sizeof(mod->cmdline), m->cmdline, tag->size - sizeof(*m)))
		return -HV_EBADMSG;
	mod->start = m->mod_start;
	mod->end = m->mod_end;
	bi->module_count++;
	return 0;
}

static int parse_elf_sections(const struct mb2_tag *tag, struct boot_info *bi)
{
	const struct mb2_tag_elf_sections *e = (const void *)tag;

	if (tag->size < sizeof(*e) || e->entsize != sizeof(Elf64_Shdr) ||
	    (uint64_t)e->num * e->entsize > tag->size - sizeof(*e))
		return -HV_EBADMSG;
	uint32_t n = e->num;
	if (n > BOOT_MAX_ELF_SECTIONS) {
		bi->truncated += n - BOOT_MAX_ELF_SECTIONS;
		n = BOOT_MAX_ELF_SECTIONS;
	}
	memcpy(bi->elf_sections, (const uint8_t *)e + sizeof(*e), n * sizeof(Elf64_Shdr));
	bi->elf_section_count = n;
	return 0;
}

static int parse_rsdp(const struct mb2_tag *tag, struct boot_info *bi)
{
	size_t len = tag->size - sizeof(*tag);
	size_t want = tag->type == MB2_TAG_ACPI_NEW ? 36 : 20;

	if (len < want)
		return -HV_EBADMSG;
	/* Prefer the ACPI 2.0 copy when the loader gives both. */
	if (bi->rsdp_len >= want)
		return 0;
	memcpy(bi->rsdp, (const uint8_t *)tag + sizeof(*tag), want);
	bi->rsdp_len = (uint32_t)want;
	return 0;
}

int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi)
{
	const uint8_t *base = mbi;
	struct mb2_info_header hdr;
	bool saw_end = false;

	memset(bi, 0, sizeof(*bi));
	if (avail < sizeof(hdr))
		return -HV_EBADMSG;
	memcpy(&hdr, base, sizeof(hdr));
	if (hdr.total_size < sizeof(hdr) + sizeof(struct mb2_tag) || hdr.total_size > avail)
		return -HV_EBADMSG;
	bi->mbi_size = hdr.total_size;

	size_t off = sizeof(hdr);
	while (off + sizeof(struct mb2_tag) <= hdr.total_size) {
		const struct mb2_tag *tag = (const void *)(base + off);
		int err = 0;

		if (tag->size < sizeof(*tag) || tag->size > hdr.total_size - off)
			return -HV_EBADMSG;

		switch (tag->type) {
		case MB2_TAG_END:
			saw_end = true;
			break;
		case MB2_TAG_CMDLINE:
		case MB2_TAG_BOOTLOADER_NAME: {
			const struct mb2_tag_string *s = (const void *)tag;
			bool cmd = tag->type == MB2_TAG_CMDLINE;

			err = copy_string(cmd ? bi->cmdline : bi->loader_name,
					  cmd ? sizeof(bi->cmdline) : sizeof(bi->loader_name),
					  s->string, tag->size - sizeof(*tag));
			break;
		}
		case MB2_TAG_MODULE:
			err = parse_module(tag, bi);
			break;
		case MB2_TAG_MMAP:
			err = parse_mmap(tag, bi);
			break;
		case MB2_TAG_ELF_SECTIONS:
			err = parse_elf_sections(tag, bi);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			err = parse_rsdp(tag, bi);
			break;
		default:
			break;	/* tags we do not use */
		}
		if (err)
			return err;
		if (saw_end)
			break;
		off += ALIGN_UP((size_t)tag->size, 8);
	}
	return saw_end ? 0 : -HV_EBADMSG;
}
