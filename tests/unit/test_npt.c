// SPDX-License-Identifier: MIT
/*
 * hypervisor/arch/x86/npt.c: the exact bits of NPT entries, and tables built
 * with it by the generic builder (table pages from the host heap).
 */
#include <stdlib.h>
#include <string.h>

#include <arch/npt.h>

#include "unit.h"

static void *host_alloc(paddr_t *pa)
{
	void *p = aligned_alloc(4096, 4096);

	memset(p, 0, 4096);
	*pa = (paddr_t)(uintptr_t)p;
	return p;
}

static void host_free(paddr_t pa)
{
	free((void *)(uintptr_t)pa);
}

static void *host_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

static const struct pt_memory mem = { .alloc = host_alloc, .free = host_free, .to_virt = host_virt };

#define MiB_ (1ULL << 20)

TEST(npt_is_named_npt)
{
	CHECK_STR_EQ(pt_format_npt.name, "NPT");
}

TEST(npt_table_entry_bits)
{
	/* P | RW | US: permissive above the leaf, and U/S or the nested walk faults. */
	CHECK_EQ(pt_format_npt.make_table(0x123000), 0x123000ULL | 0x7);
	/* Address bits above 51 and below 12 never leak into the entry. */
	CHECK_EQ(pt_format_npt.make_table(0xfff0000000123fffULL), 0x0000000000123000ULL | 0x7);
}

TEST(npt_leaf_bits_4k)
{
	/* RAM as vm.c maps it: P RW US A D, executable. */
	CHECK_EQ(pt_format_npt.make_leaf(0x200000, PT_WRITE | PT_EXEC | PT_USER, 1), 0x200000ULL | 0x67);
	/* U/S even when the caller does not ask for it. */
	CHECK_EQ(pt_format_npt.make_leaf(0x200000, PT_WRITE | PT_EXEC, 1), 0x200000ULL | 0x67);
	/* Read-only, not executable: no RW, NX (bit 63). */
	CHECK_EQ(pt_format_npt.make_leaf(0x5000, 0, 1), 0x8000000000005000ULL | 0x65);
	/* Device memory: PCD|PWT (host PAT entry 3, UC). */
	CHECK_EQ(pt_format_npt.make_leaf(0xfee00000, PT_WRITE | PT_UNCACHED, 1),
		 0x80000000fee00000ULL | 0x7f);
}

TEST(npt_leaf_bits_large)
{
	CHECK_EQ(pt_format_npt.make_leaf(0x400000, PT_WRITE | PT_EXEC, 2), 0x400000ULL | 0xe7);
	CHECK_EQ(pt_format_npt.make_leaf(0x40000000, PT_WRITE | PT_EXEC, 3), 0x40000000ULL | 0xe7);
}

TEST(npt_decodes_its_entries)
{
	uint64_t leaf = pt_format_npt.make_leaf(0x600000, PT_WRITE | PT_EXEC, 2);
	uint64_t ro = pt_format_npt.make_leaf(0x7000, 0, 1);

	CHECK(pt_format_npt.present(leaf));
	CHECK(!pt_format_npt.present(0));
	CHECK(pt_format_npt.is_leaf(leaf, 2));
	CHECK(!pt_format_npt.is_leaf(pt_format_npt.make_table(0x1000), 2));
	CHECK(pt_format_npt.is_leaf(ro, 1));
	CHECK_EQ(pt_format_npt.address(leaf), 0x600000);
	CHECK_EQ(pt_format_npt.attrs(leaf), PT_WRITE | PT_EXEC | PT_USER);
	CHECK_EQ(pt_format_npt.attrs(ro), PT_USER);
	CHECK_EQ(pt_format_npt.attrs(pt_format_npt.make_leaf(0x8000, PT_UNCACHED, 1)), PT_USER | PT_UNCACHED);
}

/* Every entry of every level reachable from table (at level) has U/S set. */
static unsigned int check_us_everywhere(const struct page_table *pt, const uint64_t *table, int level)
{
	unsigned int entries = 0;

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		uint64_t e = table[i];

		if (!pt->fmt->present(e))
			continue;
		entries++;
		CHECK(e & PTE_US);
		if (level > 1 && !pt->fmt->is_leaf(e, level))
			entries += check_us_everywhere(pt, host_virt(pt->fmt->address(e)), level - 1);
	}
	return entries;
}

TEST(npt_tables_have_us_on_every_level)
{
	struct page_table pt;
	paddr_t pa = 0;
	unsigned int attrs = 0;
	uint64_t size = 0;

	CHECK_EQ(pt_create(&pt, &pt_format_npt, &mem), 0);
	/* A VM's memory as vm.c maps it: 4 MiB at gpa 0, in 2 MiB leaves; then split one. */
	CHECK_EQ(pt_map(&pt, 0, 0x40000000, 4 * MiB_, PT_WRITE | PT_EXEC | PT_USER, PT_SIZE_4K | PT_SIZE_2M), 0);
	CHECK_EQ(pt_unmap(&pt, 0x1000, 0x1000), 0);
	CHECK_EQ(pt_lookup(&pt, 0x300000, &pa, &attrs, &size), 0);
	CHECK_EQ(pa, 0x40300000);
	CHECK_EQ(attrs, PT_WRITE | PT_EXEC | PT_USER);
	CHECK_EQ(size, 2 * MiB_);
	CHECK_EQ(pt_lookup(&pt, 0x2008, &pa, &attrs, &size), 0);
	CHECK_EQ(pa, 0x40002008);
	CHECK_EQ(size, 4096);
	CHECK(pt_lookup(&pt, 0x1000, NULL, NULL, NULL) != 0);
	CHECK(pt_lookup(&pt, 4 * MiB_, NULL, NULL, NULL) != 0);
	/* One PML4 and one PDPT entry, two PD entries (a table and a 2M leaf), 511 4K leaves. */
	CHECK_EQ(check_us_everywhere(&pt, pt.root, PT_LEVELS), 1 + 1 + 2 + 511);
	pt_destroy(&pt);
}
