// SPDX-License-Identifier: MIT
/*
 * hypervisor/multiboot2.c on real GRUB output (tests/fixtures/mbi-*.bin,
 * captured by tests/capture_mbi.py with two modules and the command line
 * "exit=... loglevel=debug") and on malformed structures built here.
 * Buffers are malloc'd to their exact size so that AddressSanitizer catches
 * any read past what the parser was given.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/bootinfo.h>
#include <hv/multiboot2.h>

#include "unit.h"

#define EBADMSG_ (-HV_EBADMSG)

static struct boot_info bi;	/* large: not on the stack */

static const struct {
	const char *path;
	const char *cmdline;
} fixtures[] = {
	{ "tests/fixtures/mbi-qemu.bin", "exit=halt loglevel=debug" },
	{ "tests/fixtures/mbi-bochs.bin", "exit=bochs loglevel=debug" },
};

/* Parse a copy of data in a buffer of exactly avail bytes. */
static int parse_exact(const void *data, size_t len, size_t avail)
{
	uint8_t *buf = malloc(avail ? avail : 1);
	int err;

	memcpy(buf, data, len < avail ? len : avail);
	err = mb2_parse(buf, avail, &bi);
	free(buf);
	return err;
}

/* ---- A builder for synthetic structures ---- */

struct mbi {
	uint8_t buf[4096];
	size_t len;
};

static void mbi_start(struct mbi *m)
{
	memset(m, 0, sizeof(*m));
	m->len = sizeof(struct mb2_info_header);
}

/* Append a tag of the given type with a payload; size is the header's claim. */
static void *mbi_tag_sized(struct mbi *m, uint32_t type, const void *payload, size_t len, uint32_t size)
{
	struct mb2_tag tag = { .type = type, .size = size };
	void *at = m->buf + m->len;

	memcpy(m->buf + m->len, &tag, sizeof(tag));
	if (len)
		memcpy(m->buf + m->len + sizeof(tag), payload, len);
	m->len += (sizeof(tag) + len + 7) & ~(size_t)7;
	return at;
}

static void *mbi_tag(struct mbi *m, uint32_t type, const void *payload, size_t len)
{
	return mbi_tag_sized(m, type, payload, len, (uint32_t)(sizeof(struct mb2_tag) + len));
}

/* The end tag, then total_size. */
static void mbi_finish(struct mbi *m)
{
	mbi_tag(m, MB2_TAG_END, NULL, 0);
	memcpy(m->buf, &(uint32_t){ (uint32_t)m->len }, 4);
}

static int mbi_parse(const struct mbi *m)
{
	return parse_exact(m->buf, m->len, m->len);
}

static void mbi_mmap(struct mbi *m, uint32_t entry_size, const struct mb2_mmap_entry *e, size_t n)
{
	uint8_t payload[1024] = { 0 };
	uint32_t head[2] = { entry_size, 0 };

	memcpy(payload, head, sizeof(head));
	for (size_t i = 0; i < n; i++)
		memcpy(payload + sizeof(head) + i * entry_size, &e[i],
		       entry_size < sizeof(*e) ? entry_size : sizeof(*e));
	mbi_tag(m, MB2_TAG_MMAP, payload, sizeof(head) + n * entry_size);
}

/* ---- The real thing ---- */

TEST(real_grub_output_parses)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len;
		uint8_t *mbi = unit_read_file(fixtures[f].path, &len);

		CHECK_EQ(mb2_parse(mbi, len, &bi), 0);
		CHECK_EQ(bi.mbi_size, len);
		CHECK_STR_EQ(bi.cmdline, fixtures[f].cmdline);
		CHECK(!strncmp(bi.loader_name, "GRUB 2.", 7));
		CHECK_EQ(bi.truncated, 0);
		free(mbi);
	}
}

TEST(real_memory_map_is_sane)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len;
		uint8_t *mbi = unit_read_file(fixtures[f].path, &len);
		uint64_t available = 0;
		bool low_ram = false, high_ram = false;

		CHECK_EQ(mb2_parse(mbi, len, &bi), 0);
		CHECK(bi.mmap_count >= 3);
		for (uint32_t i = 0; i < bi.mmap_count; i++) {
			const struct boot_mem_region *r = &bi.mmap[i];

			CHECK(r->length > 0);
			CHECK(!range_wraps(r->base, r->length));
			CHECK(r->type >= BOOT_MEM_AVAILABLE && r->type <= BOOT_MEM_BAD);
			/* Sorted and disjoint, as the BIOS E820 map of both emulators is. */
			if (i > 0)
				CHECK(bi.mmap[i - 1].base + bi.mmap[i - 1].length <= r->base);
			if (r->type != BOOT_MEM_AVAILABLE)
				continue;
			available += r->length;
			low_ram |= r->base == 0 && r->length >= 0x9f000;
			high_ram |= r->base == 0x100000;
		}
		CHECK(low_ram);		/* conventional memory below 640 KiB */
		CHECK(high_ram);	/* the hypervisor is loaded at 1 MiB */
		/* Both emulators run with 512 MiB; firmware keeps a little of it. */
		CHECK(available > 500 * MiB && available <= 512 * MiB);
		free(mbi);
	}
}

TEST(real_modules_are_listed_in_order)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len;
		uint8_t *mbi = unit_read_file(fixtures[f].path, &len);

		CHECK_EQ(mb2_parse(mbi, len, &bi), 0);
		CHECK_EQ(bi.module_count, 2);
		CHECK_STR_EQ(bi.modules[0].cmdline, "vm-a.img");
		CHECK_STR_EQ(bi.modules[1].cmdline, "vm-b.img");
		/* Sizes of the files tests/capture_mbi.py writes. */
		CHECK_EQ(bi.modules[0].end - bi.modules[0].start, 13);
		CHECK_EQ(bi.modules[1].end - bi.modules[1].start, 22 * 40);
		for (uint32_t i = 0; i < bi.module_count; i++) {
			CHECK(bi.modules[i].start >= 0x100000);
			CHECK_EQ(bi.modules[i].start % 4096, 0);	/* the header asks for page alignment */
		}
		CHECK(bi.modules[0].end <= bi.modules[1].start);
		free(mbi);
	}
}

TEST(real_elf_sections_include_symbols)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len;
		uint8_t *mbi = unit_read_file(fixtures[f].path, &len);
		bool symtab = false, strtab = false, kernel_text = false;

		CHECK_EQ(mb2_parse(mbi, len, &bi), 0);
		CHECK(bi.elf_section_count >= 6);
		CHECK_EQ(bi.elf_sections[0].sh_type, 0);	/* SHT_NULL */
		for (uint32_t i = 0; i < bi.elf_section_count; i++) {
			const Elf64_Shdr *s = &bi.elf_sections[i];

			symtab |= s->sh_type == SHT_SYMTAB && s->sh_entsize == sizeof(Elf64_Sym) &&
				  s->sh_addr != 0;	/* GRUB loaded it for the backtrace */
			strtab |= s->sh_type == SHT_STRTAB;
			kernel_text |= (s->sh_flags & 0x4) && s->sh_addr >= 0xffffffff80000000ULL;
		}
		CHECK(symtab);
		CHECK(strtab);
		CHECK(kernel_text);	/* SHF_EXECINSTR in the top 2 GiB */
		free(mbi);
	}
}

TEST(real_rsdp_is_the_acpi1_copy)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len;
		uint8_t *mbi = unit_read_file(fixtures[f].path, &len);
		uint8_t sum = 0;

		CHECK_EQ(mb2_parse(mbi, len, &bi), 0);
		CHECK_EQ(bi.rsdp_len, 20);	/* GRUB passes only the ACPI 1.0 tag */
		CHECK(!memcmp(bi.rsdp, "RSD PTR ", 8));
		for (int i = 0; i < 20; i++)
			sum += bi.rsdp[i];
		CHECK_EQ(sum, 0);
		CHECK(!memcmp(bi.rsdp + 9, "BOCHS ", 6));	/* OEM ID of both BIOSes */
		free(mbi);
	}
}

/* Every shorter buffer is refused (total_size then claims more), with no read past it. */
TEST(real_output_truncated_anywhere_is_refused)
{
	size_t len;
	uint8_t *mbi = unit_read_file(fixtures[0].path, &len);

	for (size_t avail = 0; avail < len; avail++)
		CHECK_EQ(parse_exact(mbi, len, avail), EBADMSG_);
	free(mbi);
}

/* Damage to any byte is either harmless or refused: never a wild read (ASan). */
TEST(real_output_with_any_byte_corrupted_is_safe)
{
	size_t len;
	uint8_t *mbi = unit_read_file(fixtures[0].path, &len);

	for (size_t i = 0; i < len; i++) {
		for (int v = 0; v < 3; v++) {
			uint8_t saved = mbi[i];
			int err;

			mbi[i] = (uint8_t[]){ 0x00, 0xff, 0x07 }[v];
			err = parse_exact(mbi, len, len);
			CHECK(err == 0 || err == EBADMSG_);
			mbi[i] = saved;
		}
	}
	free(mbi);
}

/* ---- Synthetic structures ---- */

TEST(minimal_structure_parses)
{
	struct mbi m;

	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, "loglevel=debug", 15);
	mbi_tag(&m, 12345, "unknown tags are skipped", 25);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_STR_EQ(bi.cmdline, "loglevel=debug");
	CHECK_STR_EQ(bi.loader_name, "");
	CHECK_EQ(bi.mmap_count, 0);
	CHECK_EQ(bi.rsdp_len, 0);
}

TEST(total_size_is_checked)
{
	struct mbi m;

	CHECK_EQ(parse_exact("", 0, 0), EBADMSG_);
	CHECK_EQ(parse_exact("\x08\0\0\0\0\0\0", 7, 7), EBADMSG_);	/* shorter than the header */

	mbi_start(&m);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	/* Claims more than is there. */
	memcpy(m.buf, &(uint32_t){ (uint32_t)m.len + 8 }, 4);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
	/* Too small for even the end tag. */
	memcpy(m.buf, &(uint32_t){ 8 }, 4);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(tag_overrunning_the_end_is_refused)
{
	struct mbi m;

	mbi_start(&m);
	mbi_tag_sized(&m, MB2_TAG_CMDLINE, "abc", 4, 4096);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(tag_smaller_than_its_header_is_refused)
{
	struct mbi m;

	mbi_start(&m);
	mbi_tag_sized(&m, 12345, "", 0, 4);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(missing_end_tag_is_refused)
{
	struct mbi m;

	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, "x", 2);
	memcpy(m.buf, &(uint32_t){ (uint32_t)m.len }, 4);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(unterminated_strings_are_refused)
{
	struct mbi m;
	uint8_t module[8 + 4] = { 0 };

	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, "no-nul", 6);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_BOOTLOADER_NAME, "GRUB", 4);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	memcpy(module, &(uint32_t[]){ 0x200000, 0x201000 }, 8);
	memcpy(module + 8, "abcd", 4);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_MODULE, module, sizeof(module));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(long_strings_are_cut_to_fit)
{
	struct mbi m;
	char cmdline[400];

	memset(cmdline, 'a', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, cmdline, sizeof(cmdline));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
}

TEST(modules_are_checked)
{
	struct mbi m;
	uint8_t module[8 + 4] = { 0 };

	memcpy(module, &(uint32_t[]){ 0x200000, 0x201000 }, 8);
	memcpy(module + 8, "vm0", 4);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_MODULE, module, sizeof(module));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.module_count, 1);
	CHECK_EQ(bi.modules[0].start, 0x200000);
	CHECK_EQ(bi.modules[0].end, 0x201000);
	CHECK_STR_EQ(bi.modules[0].cmdline, "vm0");

	/* Ends before it starts. */
	memcpy(module, &(uint32_t[]){ 0x201000, 0x200000 }, 8);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_MODULE, module, sizeof(module));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	/* More modules than the table holds: counted, not stored. */
	memcpy(module, &(uint32_t[]){ 0x200000, 0x201000 }, 8);
	mbi_start(&m);
	for (int i = 0; i < BOOT_MAX_MODULES + 2; i++)
		mbi_tag(&m, MB2_TAG_MODULE, module, sizeof(module));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.module_count, BOOT_MAX_MODULES);
	CHECK_EQ(bi.truncated, 2);
}

TEST(mmap_entries_are_checked)
{
	struct mbi m;
	const struct mb2_mmap_entry good[] = {
		{ .base_addr = 0, .length = 0x9fc00, .type = MB2_MEMORY_AVAILABLE },
		{ .base_addr = 0xa0000, .length = 0, .type = MB2_MEMORY_RESERVED },	/* empty: skipped */
		{ .base_addr = 0x100000, .length = 0x1000000, .type = MB2_MEMORY_AVAILABLE },
	};
	const struct mb2_mmap_entry wrapping[] = {
		{ .base_addr = 0xfffffffffffff000ULL, .length = 0x2000, .type = MB2_MEMORY_RESERVED },
	};

	mbi_start(&m);
	mbi_mmap(&m, sizeof(struct mb2_mmap_entry), good, 3);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.mmap_count, 2);
	CHECK_EQ(bi.mmap[1].base, 0x100000);
	CHECK_EQ(bi.mmap[1].length, 0x1000000);

	/* A larger entry_size (a future version) is stepped over correctly. */
	mbi_start(&m);
	mbi_mmap(&m, 32, good, 3);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.mmap_count, 2);
	CHECK_EQ(bi.mmap[1].base, 0x100000);

	/* Entries smaller than the structure, or not 8-byte multiples. */
	mbi_start(&m);
	mbi_mmap(&m, 16, good, 3);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
	mbi_start(&m);
	mbi_mmap(&m, 28, good, 3);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	/* A region that wraps around the top of the address space. */
	mbi_start(&m);
	mbi_mmap(&m, sizeof(struct mb2_mmap_entry), wrapping, 1);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(mmap_beyond_the_table_is_counted)
{
	struct mbi m;
	struct mb2_mmap_entry e[40];

	for (int i = 0; i < 40; i++)
		e[i] = (struct mb2_mmap_entry){ .base_addr = (uint64_t)i << 20, .length = 4096, .type = 1 };
	mbi_start(&m);
	for (int t = 0; t < 4; t++)	/* 160 entries for a table of 128 */
		mbi_mmap(&m, sizeof(e[0]), e, 40);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.mmap_count, BOOT_MAX_MMAP);
	CHECK_EQ(bi.truncated, 4 * 40 - BOOT_MAX_MMAP);
}

TEST(elf_sections_are_checked)
{
	struct mbi m;
	uint8_t payload[12 + 2 * sizeof(Elf64_Shdr)] = { 0 };

	memcpy(payload, &(uint32_t[]){ 2, sizeof(Elf64_Shdr), 1 }, 12);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ELF_SECTIONS, payload, sizeof(payload));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.elf_section_count, 2);

	/* More sections than the tag holds. */
	memcpy(payload, &(uint32_t[]){ 3, sizeof(Elf64_Shdr), 1 }, 12);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ELF_SECTIONS, payload, sizeof(payload));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	/* ELF-32 section headers. */
	memcpy(payload, &(uint32_t[]){ 2, 40, 1 }, 12);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ELF_SECTIONS, payload, sizeof(payload));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);

	/* A count whose byte size overflows 32 bits. */
	memcpy(payload, &(uint32_t[]){ 0x08000000, sizeof(Elf64_Shdr), 1 }, 12);
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ELF_SECTIONS, payload, sizeof(payload));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}

TEST(rsdp_tags_are_checked)
{
	struct mbi m;
	uint8_t rsdp1[20] = "RSD PTR ", rsdp2[36] = "RSD PTR ";

	rsdp2[15] = 2;	/* revision */
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ACPI_OLD, rsdp1, sizeof(rsdp1));
	mbi_tag(&m, MB2_TAG_ACPI_NEW, rsdp2, sizeof(rsdp2));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.rsdp_len, 36);	/* the ACPI 2.0 copy wins, in either order */
	CHECK_EQ(bi.rsdp[15], 2);

	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ACPI_NEW, rsdp2, sizeof(rsdp2));
	mbi_tag(&m, MB2_TAG_ACPI_OLD, rsdp1, sizeof(rsdp1));
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), 0);
	CHECK_EQ(bi.rsdp_len, 36);

	/* Too short for what it claims to be. */
	mbi_start(&m);
	mbi_tag(&m, MB2_TAG_ACPI_NEW, rsdp2, 20);
	mbi_finish(&m);
	CHECK_EQ(mbi_parse(&m), EBADMSG_);
}
