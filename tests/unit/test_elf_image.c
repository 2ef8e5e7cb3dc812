// SPDX-License-Identifier: MIT
/*
 * hypervisor/elf_image.c: VM image validation and loading, on ELF files
 * crafted here field by field and on tests/images/tiny.S as built by the
 * host toolchain.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <abi/vm_boot.h>
#include <hv/elf_image.h>

#include "unit.h"

#define MiB_		(1024ULL * 1024)
#define FILE_SIZE	0x3000
#define PT_NOTE_	4
#define PT_GNU_STACK_	0x6474e551

/*
 * The crafted image: code (R-X, 0x10 bytes at 0x100000), data + bss (RW-,
 * 0x20 file bytes, 0x3000 in memory at 0x200000), and a PT_GNU_STACK that
 * the loader must ignore. Its memory ends at 0x203000.
 */
struct image {
	uint8_t bytes[FILE_SIZE];
	size_t len;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
};

static void image_default(struct image *im)
{
	memset(im, 0, sizeof(*im));
	im->len = FILE_SIZE;
	memcpy(im->eh.e_ident, ELFMAG, 4);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = 0x100004;
	im->eh.e_phoff = sizeof(Elf64_Ehdr);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 3;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
				  .p_vaddr = 0x100000, .p_paddr = 0x100000,
				  .p_filesz = 0x10, .p_memsz = 0x10, .p_align = 0x1000 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000,
				  .p_vaddr = 0x200000, .p_paddr = 0x200000,
				  .p_filesz = 0x20, .p_memsz = 0x3000, .p_align = 0x1000 };
	im->ph[2] = (Elf64_Phdr){ .p_type = PT_GNU_STACK_, .p_flags = PF_R | PF_W };
	for (int i = 0; i < 0x10; i++)
		im->bytes[0x1000 + i] = (uint8_t)(0xc0 + i);
	for (int i = 0; i < 0x20; i++)
		im->bytes[0x2000 + i] = (uint8_t)(0x10 + i);
	/* File bytes past filesz that must not be loaded into the .bss. */
	memset(im->bytes + 0x2020, 0xee, 0x100);
}

/* Headers into the bytes; the test may change im->eh / im->ph first. */
static void image_write(struct image *im)
{
	memcpy(im->bytes, &im->eh, sizeof(im->eh));
	if (im->eh.e_phoff == sizeof(Elf64_Ehdr))
		memcpy(im->bytes + sizeof(im->eh), im->ph, sizeof(im->ph));
}

/* Check from an exact-size heap copy, so ASan catches any read past the end. */
static int check(const struct image *im, uint64_t mem, struct elf_image_info *info, char *why)
{
	uint8_t *copy = malloc(im->len ? im->len : 1);
	memcpy(copy, im->bytes, im->len);
	int err = elf_image_check(copy, im->len, mem, info, why, 160);
	free(copy);
	return err;
}

TEST(accepts_the_crafted_image)
{
	static struct image im;
	struct elf_image_info info;
	char why[160];

	image_default(&im);
	image_write(&im);
	CHECK_EQ(check(&im, 4 * MiB_, &info, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(info.entry, 0x100004);
	CHECK_EQ(info.image_end, 0x203000);
	CHECK_EQ(info.load_segments, 2);
	/* Memory exactly as large as the image needs is enough. */
	CHECK_EQ(check(&im, 0x203000, &info, why), 0);
	/* The entry may be the code's last byte. */
	im.eh.e_entry = 0x10000f;
	image_write(&im);
	CHECK_EQ(check(&im, 4 * MiB_, &info, why), 0);
	/* An empty PT_LOAD anywhere is legal ELF and ignored. */
	image_default(&im);
	im.ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0, .p_vaddr = 0x1234 };
	image_write(&im);
	CHECK_EQ(check(&im, 4 * MiB_, &info, why), 0);
	CHECK_EQ(info.load_segments, 2);
}

struct reject_case {
	const char *what;
	void (*mutate)(struct image *im);
	uint64_t mem;
	int err;
	const char *why;
};

static void m_short(struct image *im) { im->len = 63; }
static void m_magic(struct image *im) { im->eh.e_ident[1] = 'e'; }
static void m_class(struct image *im) { im->eh.e_ident[EI_CLASS] = 1; }
static void m_data(struct image *im) { im->eh.e_ident[EI_DATA] = 2; }
static void m_ident_version(struct image *im) { im->eh.e_ident[EI_VERSION] = 0; }
static void m_version(struct image *im) { im->eh.e_version = 2; }
static void m_machine(struct image *im) { im->eh.e_machine = 3; }
static void m_dyn(struct image *im) { im->eh.e_type = 3; }
static void m_rel(struct image *im) { im->eh.e_type = 1; }
static void m_phnum0(struct image *im) { im->eh.e_phnum = 0; }
static void m_phentsize(struct image *im) { im->eh.e_phentsize = 64; }
static void m_phnum_many(struct image *im) { im->eh.e_phnum = 65; }
static void m_phoff_end(struct image *im) { im->eh.e_phoff = FILE_SIZE - 56; }
static void m_phoff_wrap(struct image *im) { im->eh.e_phoff = ~0ULL - 8; }
static void m_phnum_past(struct image *im) { im->eh.e_phoff = 0x2f60; }
static void m_filesz(struct image *im) { im->ph[1].p_filesz = 0x3001; }
static void m_file_end(struct image *im) { im->ph[1].p_filesz = 0x1001; }
static void m_offset_wrap(struct image *im) { im->ph[1].p_offset = ~0ULL - 0xf; }
static void m_paddr_wrap(struct image *im)
{
	im->ph[1].p_paddr = im->ph[1].p_vaddr = ~0ULL - 0xfff;
}
static void m_vaddr(struct image *im) { im->ph[1].p_vaddr = 0xffffffff80200000ULL; }
static void m_low(struct image *im) { im->ph[0].p_paddr = im->ph[0].p_vaddr = 0xff000; im->eh.e_entry = 0xff000; }
static void m_zero_page(struct image *im) { im->ph[1].p_paddr = im->ph[1].p_vaddr = 0; }
static void m_overlap(struct image *im) { im->ph[1].p_paddr = im->ph[1].p_vaddr = 0x10000f; }
static void m_overlap_inside(struct image *im) { im->ph[0].p_paddr = im->ph[0].p_vaddr = 0x201000; im->eh.e_entry = 0x201000; }
static void m_no_load(struct image *im) { im->ph[0].p_type = PT_NOTE_; im->ph[1].p_type = PT_NOTE_; }
static void m_only_empty(struct image *im) { im->ph[0].p_memsz = im->ph[0].p_filesz = 0; im->ph[1].p_type = PT_NOTE_; }
static void m_entry_data(struct image *im) { im->eh.e_entry = 0x200000; }
static void m_entry_after(struct image *im) { im->eh.e_entry = 0x100010; }
static void m_entry_zero(struct image *im) { im->eh.e_entry = 0; }
static void m_not_exec(struct image *im) { im->ph[0].p_flags = PF_R; }
static void m_nothing(struct image *im) { (void)im; }

static const struct reject_case cases[] = {
	{ "63 bytes", m_short, 4 * MiB_, -HV_EBADMSG, "63 bytes, too small for an ELF header" },
	{ "magic", m_magic, 4 * MiB_, -HV_EBADMSG, "not an ELF file (bad magic)" },
	{ "ELF32", m_class, 4 * MiB_, -HV_ENOTSUP, "not a 64-bit ELF file (class 1)" },
	{ "big-endian", m_data, 4 * MiB_, -HV_ENOTSUP, "not a little-endian ELF file (data encoding 2)" },
	{ "ident version", m_ident_version, 4 * MiB_, -HV_EBADMSG, "unknown ELF version 0" },
	{ "e_version", m_version, 4 * MiB_, -HV_EBADMSG, "unknown ELF version 2" },
	{ "i386", m_machine, 4 * MiB_, -HV_ENOTSUP, "not an x86-64 program (machine 3)" },
	{ "ET_DYN", m_dyn, 4 * MiB_, -HV_ENOTSUP,
	  "ELF type 3 is not ET_EXEC: a VM image must be a statically linked executable" },
	{ "ET_REL", m_rel, 4 * MiB_, -HV_ENOTSUP,
	  "ELF type 1 is not ET_EXEC: a VM image must be a statically linked executable" },
	{ "no phdrs", m_phnum0, 4 * MiB_, -HV_EBADMSG, "no program headers" },
	{ "phentsize", m_phentsize, 4 * MiB_, -HV_EBADMSG, "program header size 64, expected 56" },
	{ "65 phdrs", m_phnum_many, 4 * MiB_, -HV_ENOTSUP, "65 program headers, more than the 64 supported" },
	{ "phdrs past the end", m_phoff_end, 4 * MiB_, -HV_EBADMSG,
	  "program headers at offset 0x2fc8 run past the end of the file (12288 bytes)" },
	{ "phoff wraps", m_phoff_wrap, 4 * MiB_, -HV_EBADMSG,
	  "program headers at offset 0xfffffffffffffff7 run past the end of the file (12288 bytes)" },
	{ "last phdr cut by 8 bytes", m_phnum_past, 4 * MiB_, -HV_EBADMSG,
	  "program headers at offset 0x2f60 run past the end of the file (12288 bytes)" },
	{ "filesz > memsz", m_filesz, 4 * MiB_, -HV_EBADMSG,
	  "segment 1: file size 0x3001 is larger than its memory size 0x3000" },
	{ "file bytes past the end", m_file_end, 4 * MiB_, -HV_EBADMSG,
	  "segment 1: file bytes 0x2000+0x1001 run past the end of the file (12288 bytes)" },
	{ "offset wraps", m_offset_wrap, 4 * MiB_, -HV_EBADMSG,
	  "segment 1: file bytes 0xfffffffffffffff0+0x20 run past the end of the file (12288 bytes)" },
	{ "address wraps", m_paddr_wrap, 4 * MiB_, -HV_EBADMSG,
	  "segment 1: address 0xfffffffffffff000 + size 0x3000 wraps around" },
	{ "vaddr != paddr", m_vaddr, 4 * MiB_, -HV_ENOTSUP,
	  "segment 1: virtual address 0xffffffff80200000 differs from physical address 0x200000 "
	  "(a VM starts identity-mapped)" },
	{ "below 1 MiB", m_low, 4 * MiB_, -HV_ERANGE,
	  "segment 0: address 0xff000 is below 0x100000, in the VM's boot area" },
	{ "at 0", m_zero_page, 4 * MiB_, -HV_ERANGE,
	  "segment 1: address 0 is below 0x100000, in the VM's boot area" },
	{ "beyond memory", m_nothing, 2 * MiB_, -HV_ERANGE,
	  "segment 1 (0x200000-0x202fff) does not fit in the VM's 2 MiB of memory" },
	{ "one byte short", m_nothing, 0x202fff, -HV_ERANGE,
	  "segment 1 (0x200000-0x202fff) does not fit in the VM's 0x202fff bytes of memory" },
	{ "overlap", m_overlap, 4 * MiB_, -HV_EBADMSG, "segments 0 and 1 overlap" },
	{ "overlap inside", m_overlap_inside, 4 * MiB_, -HV_EBADMSG, "segments 0 and 1 overlap" },
	{ "no PT_LOAD", m_no_load, 4 * MiB_, -HV_EBADMSG, "no loadable (PT_LOAD) segment" },
	{ "only an empty PT_LOAD", m_only_empty, 4 * MiB_, -HV_EBADMSG, "no loadable (PT_LOAD) segment" },
	{ "entry in data", m_entry_data, 4 * MiB_, -HV_EBADMSG,
	  "entry point 0x200000 is not inside an executable segment" },
	{ "entry after code", m_entry_after, 4 * MiB_, -HV_EBADMSG,
	  "entry point 0x100010 is not inside an executable segment" },
	{ "entry 0", m_entry_zero, 4 * MiB_, -HV_EBADMSG,
	  "entry point 0 is not inside an executable segment" },
	{ "code not executable", m_not_exec, 4 * MiB_, -HV_EBADMSG,
	  "entry point 0x100004 is not inside an executable segment" },
};

TEST(rejects_every_bad_image_with_its_message)
{
	static struct image im;
	char why[160];
	struct elf_image_info info = { .entry = 0x77 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		image_default(&im);
		cases[i].mutate(&im);
		image_write(&im);
		int got = check(&im, cases[i].mem, &info, why);
		if (got != cases[i].err || strcmp(why, cases[i].why))
			unit_fail(__FILE__, __LINE__, "%s: got %d \"%s\", expected %d \"%s\"",
				  cases[i].what, got, why, cases[i].err, cases[i].why);
		CHECK_EQ(info.entry, 0x77);	/* untouched on failure */
	}
}

TEST(every_truncation_is_rejected_without_reading_past_the_end)
{
	static struct image im;
	char why[160];

	image_default(&im);
	image_write(&im);
	/* Below 0x2020 bytes the data segment's file bytes are cut. */
	for (size_t n = 0; n < 0x2020; n++) {
		im.len = n;
		CHECK(check(&im, 4 * MiB_, NULL, why) < 0);
		CHECK(why[0] != '\0');
	}
	im.len = 0x2020;
	CHECK_EQ(check(&im, 4 * MiB_, NULL, why), 0);
}

TEST(load_copies_segments_and_zeroes_the_bss_only)
{
	static struct image im;
	uint64_t mem_size = 4 * MiB_, entry = 0, end = 0;
	uint8_t *mem = malloc(mem_size);

	memset(mem, 0xaa, mem_size);
	image_default(&im);
	image_write(&im);
	CHECK_EQ(elf_image_load(im.bytes, im.len, mem, mem_size, &entry, &end), 0);
	CHECK_EQ(entry, 0x100004);
	CHECK_EQ(end, 0x203000);
	CHECK(!memcmp(mem + 0x100000, im.bytes + 0x1000, 0x10));
	CHECK(!memcmp(mem + 0x200000, im.bytes + 0x2000, 0x20));
	bool bss_zero = true, rest_untouched = true;
	for (uint64_t a = 0x200020; a < 0x203000; a++)
		bss_zero &= mem[a] == 0;
	for (uint64_t a = 0; a < mem_size; a++)
		if ((a < 0x100000 || a >= 0x100010) && (a < 0x200000 || a >= 0x203000))
			rest_untouched &= mem[a] == 0xaa;
	CHECK(bss_zero);
	CHECK(rest_untouched);

	/* A bad image copies nothing. */
	memset(mem, 0xaa, mem_size);
	m_overlap(&im);
	image_write(&im);
	CHECK_EQ(elf_image_load(im.bytes, im.len, mem, mem_size, &entry, &end), -HV_EBADMSG);
	bool untouched = true;
	for (uint64_t a = 0; a < mem_size; a++)
		untouched &= mem[a] == 0xaa;
	CHECK(untouched);
	/* Nor does one that does not fit. */
	image_default(&im);
	image_write(&im);
	CHECK_EQ(elf_image_load(im.bytes, im.len, mem, 2 * MiB_, &entry, &end), -HV_ERANGE);
	free(mem);
}

TEST(the_toolchain_built_test_image_checks_and_loads)
{
	size_t len;
	uint8_t *bytes = unit_read_file(TEST_IMAGE, &len);
	struct elf_image_info info;
	char why[160];
	uint64_t entry, end;

	CHECK_EQ(elf_image_check(bytes, len, 4 * MiB_, &info, why, sizeof(why)), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(info.entry, UHV_IMAGE_MIN);
	CHECK_EQ(info.image_end, 0x302000);
	CHECK_EQ(info.load_segments, 2);
	/* 2 MiB of .bss: too big for a 2 MiB VM. */
	CHECK_EQ(elf_image_check(bytes, len, 2 * MiB_, &info, why, sizeof(why)), -HV_ERANGE);
	CHECK_STR_EQ(why, "segment 1 (0x101000-0x301fff) does not fit in the VM's 2 MiB of memory");

	uint8_t *mem = malloc(4 * MiB_);
	memset(mem, 0xaa, 4 * MiB_);
	CHECK_EQ(elf_image_load(bytes, len, mem, 4 * MiB_, &entry, &end), 0);
	uint64_t data;
	memcpy(&data, mem + 0x101000, sizeof(data));
	CHECK_EQ(data, 0x1122334455667788ULL);		/* tiny_data */
	CHECK_EQ(mem[0x100000], 0xfa);			/* cli */
	CHECK_EQ(mem[0x100001], 0xf4);			/* hlt */
	CHECK_EQ(mem[0x301fff], 0);			/* last byte of the .bss */
	CHECK_EQ(mem[0x302000], 0xaa);
	free(mem);
	free(bytes);
}
