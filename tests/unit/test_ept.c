// SPDX-License-Identifier: MIT
/*
 * hypervisor/arch/x86/ept.c through the generic builder: the exact bits of
 * every kind of EPT entry, as the CPU will read them (SDM vol. 3, 29.3.2).
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <arch/ept.h>

#include "unit.h"

static int tables_live;

static void *host_alloc(paddr_t *pa)
{
	void *p = aligned_alloc(4096, 4096);

	memset(p, 0, 4096);
	*pa = (paddr_t)(uintptr_t)p;
	tables_live++;
	return p;
}

static void host_free(paddr_t pa)
{
	free((void *)(uintptr_t)pa);
	tables_live--;
}

static void *host_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

static const struct pt_memory mem = { .alloc = host_alloc, .free = host_free, .to_virt = host_virt };

#define MiB_	(1ULL << 20)
#define GiB_	(1ULL << 30)

static uint64_t *table_of(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & EPT_ADDR_MASK);
}

/* Entry for gpa at level (4 = PML4E ... 1 = PTE), walking from the root. */
static uint64_t entry_at(const struct page_table *pt, uint64_t gpa, int level)
{
	uint64_t *table = pt->root;

	for (int l = 4;; l--) {
		uint64_t e = table[(gpa >> (12 + 9 * (l - 1))) & 511];

		if (l == level)
			return e;
		table = table_of(e);
	}
}

TEST(vm_memory_layout_has_the_exact_entry_bits)
{
	struct page_table pt;
	const paddr_t base = 0x40000000;	/* 1 GiB: 2 MiB aligned like vm_create's block */

	CHECK_EQ(pt_create(&pt, &pt_format_ept, &mem), 0);
	/* What vm_create maps: RAM, writable and executable, 4K and 2M leaves. */
	CHECK_EQ(pt_map(&pt, 0, base, 4 * MiB_, PT_WRITE | PT_EXEC | PT_USER, PT_SIZE_4K | PT_SIZE_2M), 0);
	CHECK_EQ(tables_live, 3);	/* PML4, PDPT, PD: two 2 MiB leaves */

	/* Non-leaf entries: address | R | W | X, nothing else (bits 7:3 reserved). */
	uint64_t pml4e = entry_at(&pt, 0, 4), pdpte = entry_at(&pt, 0, 3);
	CHECK_EQ(pml4e & ~EPT_ADDR_MASK, 0x7);
	CHECK_EQ(pdpte & ~EPT_ADDR_MASK, 0x7);

	/* 2 MiB leaves: R W X, WB (6 << 3), ignore-PAT clear, large page (bit 7). */
	CHECK_EQ(entry_at(&pt, 0, 2), base | 0x7 | (6 << 3) | (1 << 7));
	CHECK_EQ(entry_at(&pt, 2 * MiB_, 2), (base + 2 * MiB_) | 0xb7);
	CHECK_EQ(entry_at(&pt, 4 * MiB_, 2), 0);	/* past the end: not present */

	paddr_t hpa = 0;
	unsigned int attrs = 0;
	uint64_t size = 0;
	CHECK_EQ(pt_lookup(&pt, 3 * MiB_ + 5, &hpa, &attrs, &size), 0);
	CHECK_EQ(hpa, base + 3 * MiB_ + 5);
	CHECK_EQ(attrs, PT_WRITE | PT_EXEC);	/* PT_USER has no EPT bit */
	CHECK_EQ(size, 2 * MiB_);
	CHECK_EQ(pt_lookup(&pt, 4 * MiB_, NULL, NULL, NULL), -HV_ENOENT);

	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(small_readonly_uncached_and_1g_leaves)
{
	struct page_table pt;

	CHECK_EQ(pt_create(&pt, &pt_format_ept, &mem), 0);
	/* A read-only, non-executable 4 KiB page: R only, WB, no large-page bit. */
	CHECK_EQ(pt_map(&pt, 0x5000, 0x123000, 4096, 0, PT_SIZE_4K), 0);
	CHECK_EQ(entry_at(&pt, 0x5000, 1), 0x123000 | 0x1 | (6 << 3));
	/* Device memory: UC (0) with ignore-PAT (bit 6) so the guest PAT cannot override it. */
	CHECK_EQ(pt_map(&pt, 0xfee00000, 0xfee00000, 4096, PT_WRITE | PT_UNCACHED, PT_SIZE_4K), 0);
	CHECK_EQ(entry_at(&pt, 0xfee00000, 1), 0xfee00000 | 0x3 | (0 << 3) | (1 << 6));
	unsigned int attrs = 0;
	CHECK_EQ(pt_lookup(&pt, 0xfee00010, NULL, &attrs, NULL), 0);
	CHECK_EQ(attrs, PT_WRITE | PT_UNCACHED);
	/* Executable-only requests still get R: write-only/execute-only are not used. */
	CHECK_EQ(pt_map(&pt, 0x6000, 0x200000, 4096, PT_EXEC, PT_SIZE_4K), 0);
	CHECK_EQ(entry_at(&pt, 0x6000, 1), 0x200000 | 0x5 | (6 << 3));
	/* 1 GiB leaf at level 3: large page bit too. */
	CHECK_EQ(pt_map(&pt, 4 * GiB_, 8 * GiB_, GiB_, PT_WRITE, PT_SIZE_4K | PT_SIZE_1G), 0);
	CHECK_EQ(entry_at(&pt, 4 * GiB_, 3), 8 * GiB_ | 0x3 | (6 << 3) | (1 << 7));
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(splitting_a_2m_leaf_keeps_its_bits)
{
	struct page_table pt;

	CHECK_EQ(pt_create(&pt, &pt_format_ept, &mem), 0);
	CHECK_EQ(pt_map(&pt, 0, 0x600000, 2 * MiB_, PT_WRITE | PT_EXEC, PT_SIZE_4K | PT_SIZE_2M), 0);
	/* Unmapping page 0 (as the guest's boot tables do) splits the leaf into 511 PTEs + a hole. */
	CHECK_EQ(pt_unmap(&pt, 0, 4096), 0);
	CHECK_EQ(entry_at(&pt, 0, 2) & ~EPT_ADDR_MASK, 0x7);		/* now a table */
	CHECK_EQ(entry_at(&pt, 0, 1), 0);
	CHECK_EQ(entry_at(&pt, 0x1000, 1), 0x601000 | 0x7 | (6 << 3));	/* no bit 7 at level 1 */
	CHECK_EQ(entry_at(&pt, 0x1ff000, 1), 0x7ff000 | 0x37);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(present_is_any_of_rwx_and_bit7_is_ignored_at_level_4)
{
	CHECK(!pt_format_ept.present(0));
	CHECK(!pt_format_ept.present(0x123000 | (6 << 3) | (1 << 7)));	/* no R/W/X: not present */
	CHECK(pt_format_ept.present(0x4));				/* execute-only counts */
	CHECK(pt_format_ept.is_leaf(0x7, 1));
	CHECK(!pt_format_ept.is_leaf(0x7, 2));
	CHECK(pt_format_ept.is_leaf(0x87, 2));
	CHECK(pt_format_ept.is_leaf(0x87, 3));
	CHECK(!pt_format_ept.is_leaf(0x87, 4));
	CHECK_STR_EQ(pt_format_ept.name, "EPT");
}

TEST(eptp_is_root_wb_and_walk_length_4)
{
	/* SDM table 25-9: bits 2:0 type 6 (WB), bits 5:3 = 4 - 1, bit 6 (A/D) clear. */
	CHECK_EQ(ept_pointer(0x12345000), 0x12345000 | 6 | (3 << 3));
	CHECK_EQ(ept_pointer(0xfffffffff000ULL), 0xfffffffff000ULL | 0x1e);
	CHECK_EQ(ept_pointer(0x12345fff) & 0xfff, 0x1e);	/* low bits of a bad address do not leak */
}
