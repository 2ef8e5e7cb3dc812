// SPDX-License-Identifier: MIT
/* hypervisor/arch/x86/pagetable.c with table pages from the host heap. */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <arch/pagetable.h>

#include "unit.h"

/* "Physical" addresses of table pages are their host addresses. */
static int tables_live;
static int fail_after = -1;	/* allocation failure injection */

static void *host_alloc(paddr_t *pa)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
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

#define ALL_SIZES (PT_SIZE_4K | PT_SIZE_2M | PT_SIZE_1G)
#define GiB_ (1ULL << 30)
#define MiB_ (1ULL << 20)
#define VA   0xffff800000000000ULL

static void check_maps(struct page_table *pt, uint64_t va, paddr_t want_pa, unsigned int want_attrs,
		       uint64_t want_size)
{
	paddr_t pa = 0;
	unsigned int attrs = 0;
	uint64_t size = 0;

	CHECK_EQ(pt_lookup(pt, va, &pa, &attrs, &size), 0);
	CHECK_EQ(pa, want_pa);
	CHECK_EQ(attrs, want_attrs);
	CHECK_EQ(size, want_size);
}

TEST(uses_the_largest_leaf_alignment_allows)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);

	/* 0..1 GiB + 2 MiB + 4 KiB: one 1G leaf, one 2M leaf, one 4K leaf. */
	CHECK_EQ(pt_map(&pt, VA, 0, GiB_ + 2 * MiB_ + 4096, PT_WRITE, ALL_SIZES), 0);
	check_maps(&pt, VA + 12345, 12345, PT_WRITE, GiB_);
	check_maps(&pt, VA + GiB_ + 5, GiB_ + 5, PT_WRITE, 2 * MiB_);
	check_maps(&pt, VA + GiB_ + 2 * MiB_ + 7, GiB_ + 2 * MiB_ + 7, PT_WRITE, 4096);
	CHECK_EQ(pt_lookup(&pt, VA + GiB_ + 2 * MiB_ + 4096, NULL, NULL, NULL), -HV_ENOENT);
	CHECK_EQ(tables_live, 4);	/* PML4, PDPT, PD, PT */

	/* Without 1G leaves the same gigabyte takes 512 2M leaves. */
	CHECK_EQ(pt_map(&pt, VA + 4 * GiB_, 0, GiB_, 0, PT_SIZE_4K | PT_SIZE_2M), 0);
	check_maps(&pt, VA + 4 * GiB_ + GiB_ - 1, GiB_ - 1, 0, 2 * MiB_);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(misaligned_physical_address_falls_back_to_small_pages)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);
	CHECK_EQ(pt_map(&pt, VA, 0x1000, 4 * MiB_, PT_EXEC, ALL_SIZES), 0);
	check_maps(&pt, VA + 3 * MiB_, 3 * MiB_ + 0x1000, PT_EXEC, 4096);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(remapping_part_of_a_large_leaf_splits_it)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);
	CHECK_EQ(pt_map(&pt, VA, 0, GiB_, PT_WRITE, ALL_SIZES), 0);

	/* Make one page read-only and one uncached: W^X for an alias, ioremap. */
	CHECK_EQ(pt_map(&pt, VA + 0x201000, 0x201000, 4096, 0, PT_SIZE_4K), 0);
	CHECK_EQ(pt_map(&pt, VA + 0x7000, 0x7000, 4096, PT_WRITE | PT_UNCACHED, PT_SIZE_4K), 0);
	check_maps(&pt, VA + 0x201000, 0x201000, 0, 4096);
	check_maps(&pt, VA + 0x7000, 0x7000, PT_WRITE | PT_UNCACHED, 4096);
	/* Everything else keeps its mapping, in the largest leaf that is left. */
	check_maps(&pt, VA + 0x202000, 0x202000, PT_WRITE, 4096);
	check_maps(&pt, VA + 0x400000, 0x400000, PT_WRITE, 2 * MiB_);
	check_maps(&pt, VA + GiB_ - 1, GiB_ - 1, PT_WRITE, 2 * MiB_);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(unmap_punches_holes_and_keeps_neighbours)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);
	CHECK_EQ(pt_map(&pt, VA, 0, 4 * MiB_, PT_WRITE, ALL_SIZES), 0);
	CHECK_EQ(pt_unmap(&pt, VA + MiB_, 4096), 0);	/* a guard page */
	CHECK_EQ(pt_lookup(&pt, VA + MiB_, NULL, NULL, NULL), -HV_ENOENT);
	check_maps(&pt, VA + MiB_ - 4096, MiB_ - 4096, PT_WRITE, 4096);
	check_maps(&pt, VA + MiB_ + 4096, MiB_ + 4096, PT_WRITE, 4096);
	CHECK_EQ(pt_unmap(&pt, VA + 2 * MiB_, 2 * MiB_), 0);	/* a whole 2M leaf */
	CHECK_EQ(pt_lookup(&pt, VA + 3 * MiB_, NULL, NULL, NULL), -HV_ENOENT);
	CHECK_EQ(pt_unmap(&pt, VA + 100 * GiB_, 8 * GiB_), 0);	/* nothing there: a no-op */
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(host_entries_have_the_architectural_bits)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);
	CHECK_EQ(pt_map(&pt, 0x200000, 0x200000, 4096, PT_EXEC, PT_SIZE_4K), 0);
	CHECK_EQ(pt_map(&pt, 0x400000, 0x400000, 2 * MiB_, PT_WRITE | PT_UNCACHED, ALL_SIZES), 0);

	uint64_t *pdpt = host_virt(pt.root[0] & PTE_ADDR_MASK);
	uint64_t *pd = host_virt(pdpt[0] & PTE_ADDR_MASK);
	uint64_t *ptab = host_virt(pd[1] & PTE_ADDR_MASK);
	uint64_t text = ptab[0];
	CHECK(text & PTE_P);
	CHECK(!(text & PTE_RW));	/* text is not writable */
	CHECK(!(text & PTE_NX));	/* ...and is executable */
	CHECK_EQ(text & PTE_ADDR_MASK, 0x200000);
	uint64_t mmio = pd[2];
	CHECK(mmio & PTE_PS);
	CHECK(mmio & PTE_NX);		/* data is never executable */
	CHECK((mmio & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT));
	CHECK_EQ(mmio & PTE_ADDR_MASK, 0x400000);
	pt_destroy(&pt);
}

TEST(rejects_bad_arguments_and_reports_exhaustion)
{
	struct page_table pt;
	CHECK_EQ(pt_create(&pt, &pt_format_host, &mem), 0);
	CHECK_EQ(pt_map(&pt, VA + 1, 0, 4096, 0, ALL_SIZES), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, VA, 0x10, 4096, 0, ALL_SIZES), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, VA, 0, 100, 0, ALL_SIZES), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, ~0ULL - 4095, 0, 8192, 0, ALL_SIZES), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, VA, 0, 4096, 0, PT_SIZE_2M), -HV_EINVAL);
	fail_after = 1;	/* the PDPT can be allocated, the PD cannot */
	CHECK_EQ(pt_map(&pt, VA, 0, 4096, 0, ALL_SIZES), -HV_ENOMEM);
	fail_after = -1;
	CHECK_EQ(pt_lookup(&pt, VA, NULL, NULL, NULL), -HV_ENOENT);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}
