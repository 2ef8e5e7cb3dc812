// SPDX-License-Identifier: MIT
/*
 * VT-d: the pure formats of hypervisor/arch/x86/vtd_format.c (entries,
 * second-level tables through the generic builder at 3 and 4 levels,
 * invalidation requests, fault records, capabilities, DMAR scopes, RMRRs)
 * and the vendor-neutral fault accounting and quiesce of
 * hypervisor/iommu.c, with the hardware around them faked.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <arch/vtd.h>
#include <hv/iommu.h>
#include <hv/time.h>

#include "unit.h"

/* QEMU 7.2's unit, as read from its registers (hwcheck prints them). */
static const struct vtd_caps qemu_39 = { .ver = 0x10, .cap = 0xd2008c22260206ULL, .ecap = 0xf00f4aULL };
/* The same with aw-bits=48: SAGAW 39+48 bits, MGAW 48. */
static const struct vtd_caps qemu_48 = { .ver = 0x10, .cap = 0xd2008c222f0606ULL, .ecap = 0xf00f4aULL };

/* ---- Table memory from the host heap; "physical" = host address. ---- */

static int tables_live;
static uintptr_t writes[64];	/* every pt_memory.written call, in order */
static int write_count;

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

static void host_written(const void *p, size_t len)
{
	(void)len;
	if (write_count < (int)ARRAY_SIZE(writes))
		writes[write_count] = (uintptr_t)p;
	write_count++;
}

static const struct pt_memory mem = {
	.alloc = host_alloc, .free = host_free, .to_virt = host_virt, .written = host_written,
};

static uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & VTD_SL_ADDR);
}

static unsigned int index_at(uint64_t iova, int level)
{
	return (unsigned int)(iova >> (12 + 9 * (level - 1))) & 511;
}

/* ---- Capabilities ---- */

TEST(qemu_unit_capabilities_decode)
{
	CHECK_EQ(vtd_levels(&qemu_39), 3);
	CHECK_EQ(vtd_levels(&qemu_48), 4);
	CHECK_EQ(vtd_mgaw(&qemu_39), 39);
	CHECK_EQ(vtd_mgaw(&qemu_48), 48);
	CHECK_EQ(vtd_domain_count(&qemu_39), 65536);
	CHECK_EQ(vtd_fault_record_count(&qemu_39), 1);
	CHECK_EQ(vtd_fault_record_offset(&qemu_39), 0x220);	/* PLATFORM.md: one record at 0x220 */
	CHECK_EQ(vtd_iotlb_offset(&qemu_39), 0xf0);
	CHECK_EQ(vtd_leaf_sizes(&qemu_39), PT_SIZE_4K | PT_SIZE_2M | PT_SIZE_1G);
	CHECK(vtd_caps_problem(&qemu_39) == NULL);
	CHECK(vtd_caps_problem(&qemu_48) == NULL);

	char line[200];
	vtd_caps_describe(&qemu_39, line, sizeof(line));
	CHECK_STR_EQ(line, "version 1.0, SAGAW 3-level, MGAW 39, 65536 domains, 1 fault record(s), "
		     "large pages 2M+1G, QI yes, IR yes, PT yes, C no, SC no, RWBF no, CM no");
	vtd_caps_describe(&qemu_48, line, sizeof(line));
	CHECK(strstr(line, "SAGAW 3+4-level, MGAW 48,") != NULL);
}

TEST(unusable_units_are_named)
{
	struct vtd_caps c = qemu_39;

	c = (struct vtd_caps){ .ver = ~0U, .cap = ~0ULL, .ecap = ~0ULL };
	CHECK(strstr(vtd_caps_problem(&c), "all ones") != NULL);
	c = qemu_39;
	c.cap &= ~VTD_CAP_SAGAW;
	c.cap |= (uint64_t)VTD_SAGAW_57_5LEVEL << VTD_CAP_SAGAW_SHIFT;
	CHECK_EQ(vtd_levels(&c), 0);
	CHECK(strstr(vtd_caps_problem(&c), "SAGAW") != NULL);
	c = qemu_39;
	c.cap &= ~VTD_CAP_FRO;
	c.cap |= (uint64_t)0x100 << VTD_CAP_FRO_SHIFT;	/* at 0x1000: past the page */
	CHECK(strstr(vtd_caps_problem(&c), "FRO") != NULL);
	c = qemu_39;
	c.ecap &= ~VTD_ECAP_IRO;
	CHECK(strstr(vtd_caps_problem(&c), "IRO") != NULL);
	c = qemu_39;
	c.ver = 0x01;	/* version 0.1 */
	CHECK(strstr(vtd_caps_problem(&c), "version") != NULL);
	c = qemu_39;
	c.cap &= ~(VTD_CAP_SLLPS_2M | VTD_CAP_SLLPS_1G);
	CHECK_EQ(vtd_leaf_sizes(&c), PT_SIZE_4K);
}

/* ---- Entries ---- */

TEST(root_and_context_entries_have_the_exact_bits)
{
	struct vtd_root_entry r = vtd_root_entry(0x12345000);
	CHECK_EQ(r.lo, 0x12345001);
	CHECK_EQ(r.hi, 0);

	/* 3-level: AW 1 (39-bit); TT 00, P; domain id in 23:8. */
	struct vtd_context_entry c = vtd_context_entry(0xabcde000, 3, 7);
	CHECK_EQ(c.lo, 0xabcde001);
	CHECK_EQ(c.hi, (7 << 8) | 1);
	c = vtd_context_entry(0xabcde000, 4, 0xffff);
	CHECK_EQ(c.hi, (0xffffULL << 8) | 2);
}

TEST(three_level_domain_through_the_generic_builder)
{
	struct page_table pt;
	const paddr_t ram = 0x40000000;

	tables_live = 0;
	write_count = 0;
	CHECK_EQ(pt_create_levels(&pt, &pt_format_vtd, &mem, 3), 0);
	CHECK_EQ(pt.levels, 3);
	/* An IOVA map as an IOVM's would be: 2 MiB + 4 KiB at guest-physical 2 MiB. */
	CHECK_EQ(pt_map(&pt, 2 << 20, ram, (2 << 20) + 4096, PT_WRITE, PT_SIZE_4K | PT_SIZE_2M), 0);
	CHECK_EQ(tables_live, 3);	/* root (level 3), one level-2, one level-1 table */

	/* The root is indexed by IOVA bits 38:30: entry 0 points to the level-2 table. */
	uint64_t l3e = pt.root[index_at(2 << 20, 3)];
	CHECK_EQ(l3e & ~VTD_SL_ADDR, VTD_SL_R | VTD_SL_W);
	uint64_t *l2 = table_of(l3e);
	CHECK_EQ(l2[1], ram | VTD_SL_R | VTD_SL_W | VTD_SL_PS);	/* 2 MiB leaf */
	uint64_t *l1 = table_of(l2[2]);
	CHECK_EQ(l2[2] & ~VTD_SL_ADDR, VTD_SL_R | VTD_SL_W);
	CHECK_EQ(l1[0], (ram + (2 << 20)) | VTD_SL_R | VTD_SL_W);
	CHECK_EQ(l1[1], 0);

	/* Read-only: R without W. */
	CHECK_EQ(pt_map(&pt, 0x10000, 0x5000, 4096, 0, PT_SIZE_4K), 0);
	paddr_t pa;
	unsigned int attrs = ~0U;
	CHECK_EQ(pt_lookup(&pt, 0x10123, &pa, &attrs, NULL), 0);
	CHECK_EQ(pa, 0x5123);
	CHECK_EQ(attrs, 0);

	/* A 3-level root covers 512 GiB: nothing beyond it maps. */
	CHECK_EQ(pt_map(&pt, 1ULL << 39, ram, 4096, PT_WRITE, PT_SIZE_4K), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, (1ULL << 39) - 4096, ram, 8192, PT_WRITE, PT_SIZE_4K), -HV_EINVAL);
	CHECK_EQ(pt_lookup(&pt, 1ULL << 39, NULL, NULL, NULL), -HV_ENOENT);
	CHECK_EQ(pt_unmap(&pt, 1ULL << 39, 4096), -HV_EINVAL);
	CHECK_EQ(pt_map(&pt, (1ULL << 39) - 4096, ram, 4096, PT_WRITE, PT_SIZE_4K), 0);

	CHECK_EQ(pt_unmap(&pt, 2 << 20, 4096), 0);	/* splits the 2 MiB leaf */
	CHECK_EQ(pt_lookup(&pt, 2 << 20, NULL, NULL, NULL), -HV_ENOENT);
	CHECK_EQ(pt_lookup(&pt, (2 << 20) + 4096, &pa, NULL, NULL), 0);
	CHECK_EQ(pa, ram + 4096);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
	CHECK_EQ(pt_create_levels(&pt, &pt_format_vtd, &mem, 5), -HV_EINVAL);
}

TEST(four_level_domain_has_a_level_4_root)
{
	struct page_table pt;

	CHECK_EQ(pt_create_levels(&pt, &pt_format_vtd, &mem, 4), 0);
	CHECK_EQ(pt_map(&pt, 1ULL << 39, 0x7000, 4096, PT_WRITE, PT_SIZE_4K), 0);
	CHECK(pt.root[1] != 0);	/* bits 47:39 index the level-4 root */
	CHECK_EQ(pt.root[0], 0);
	pt_destroy(&pt);
	CHECK_EQ(tables_live, 0);
}

TEST(table_writes_are_flushed_children_first)
{
	struct page_table pt;

	write_count = 0;
	CHECK_EQ(pt_create_levels(&pt, &pt_format_vtd, &mem, 3), 0);
	CHECK_EQ(pt_map(&pt, 0, 0x200000, 4096, PT_WRITE, PT_SIZE_4K), 0);
	/* The level-3 entry, the level-2 entry, then the leaf: each one written once. */
	CHECK_EQ(write_count, 3);
	uint64_t *l2 = table_of(pt.root[0]);
	uint64_t *l1 = table_of(l2[0]);
	CHECK_EQ(writes[0], (uintptr_t)&pt.root[0]);
	CHECK_EQ(writes[1], (uintptr_t)&l2[0]);
	CHECK_EQ(writes[2], (uintptr_t)&l1[0]);

	/* Splitting a 2 MiB leaf: the new table is flushed before the entry pointing to it. */
	CHECK_EQ(pt_map(&pt, 2 << 20, 0x400000, 2 << 20, PT_WRITE, PT_SIZE_4K | PT_SIZE_2M), 0);
	write_count = 0;
	CHECK_EQ(pt_unmap(&pt, 2 << 20, 4096), 0);
	CHECK_EQ(write_count, 3);	/* new table, the level-2 entry, the cleared leaf */
	CHECK_EQ(writes[0], (l2[1] & VTD_SL_ADDR));
	CHECK_EQ(writes[1], (uintptr_t)&l2[1]);
	CHECK_EQ(writes[2], (l2[1] & VTD_SL_ADDR));
	pt_destroy(&pt);
}

TEST(snoop_format_sets_snp_on_cacheable_leaves_only)
{
	struct page_table pt;

	CHECK_EQ(pt_create_levels(&pt, &pt_format_vtd_snoop, &mem, 3), 0);
	CHECK_EQ(pt_map(&pt, 0, 0x100000, 4096, PT_WRITE, PT_SIZE_4K), 0);
	CHECK_EQ(pt_map(&pt, 4096, 0xfe000000, 4096, PT_WRITE | PT_UNCACHED, PT_SIZE_4K), 0);
	uint64_t *l1 = table_of(table_of(pt.root[0])[0]);
	CHECK_EQ(l1[0], 0x100000 | VTD_SL_R | VTD_SL_W | VTD_SL_SNP);
	CHECK_EQ(l1[1], 0xfe000000 | VTD_SL_R | VTD_SL_W);
	CHECK_EQ(table_of(pt.root[0])[0] & VTD_SL_SNP, 0);	/* non-leaf: bit 11 is ignored, kept 0 */
	unsigned int attrs;
	CHECK_EQ(pt_lookup(&pt, 4096, NULL, &attrs, NULL), 0);
	CHECK_EQ(attrs, PT_WRITE | PT_UNCACHED);
	pt_destroy(&pt);
	/* Without snoop control there is no SNP bit at all. */
	CHECK_EQ(pt_format_vtd.make_leaf(0x1000, PT_WRITE, 1), 0x1003);
	CHECK_EQ(pt_format_vtd.make_leaf(0x200000, 0, 2), 0x200000 | VTD_SL_R | VTD_SL_PS);
}

/* ---- Invalidation ---- */

TEST(invalidation_requests_have_the_exact_bits)
{
	struct vtd_inv_desc d = vtd_inv_context_desc(VTD_CCMD_DOMAIN, 5);
	CHECK_EQ(d.lo, 0x1 | (2 << 4) | (5 << 16));
	CHECK_EQ(d.hi, 0);
	d = vtd_inv_context_desc(VTD_CCMD_GLOBAL, 0);
	CHECK_EQ(d.lo, 0x11);

	/* QEMU has DRD and DWD: the IOTLB flush drains reads and writes. */
	d = vtd_inv_iotlb_desc(VTD_IOTLB_DOMAIN, 5, &qemu_39);
	CHECK_EQ(d.lo, 0x2 | (2 << 4) | (1 << 6) | (1 << 7) | (5 << 16));
	struct vtd_caps no_drain = qemu_39;
	no_drain.cap &= ~(VTD_CAP_DRD | VTD_CAP_DWD);
	d = vtd_inv_iotlb_desc(VTD_IOTLB_GLOBAL, 0, &no_drain);
	CHECK_EQ(d.lo, 0x12);

	d = vtd_inv_wait_desc(0x1234568, 42);
	CHECK_EQ(d.lo, 0x5 | (1 << 5) | (1 << 6) | (42ULL << 32));
	CHECK_EQ(d.hi, 0x1234568);

	CHECK_EQ(vtd_ccmd_value(VTD_CCMD_DOMAIN, 9), (1ULL << 63) | (2ULL << 61) | 9);
	CHECK_EQ(vtd_iotlb_value(VTD_IOTLB_DOMAIN, 9, &qemu_39),
		 (1ULL << 63) | (2ULL << 60) | (9ULL << 32) | (1ULL << 49) | (1ULL << 48));
}

/* ---- Faults ---- */

TEST(fault_records_decode)
{
	/* What QEMU recorded for the e1000 (00:02.0) reading its ring at 0x26e000. */
	struct vtd_fault_record r = {
		.lo = 0x26e000,
		.hi = VTD_FRCD_HI_F | VTD_FRCD_HI_T1 | (1ULL << VTD_FRCD_HI_FR_SHIFT) | 0x0010,
	};
	struct vtd_fault f;

	CHECK(vtd_fault_decode(&r, &f));
	CHECK_EQ(f.source_id, 0x0010);
	CHECK_EQ(f.address, 0x26e000);
	CHECK_EQ(f.reason, VTD_FR_ROOT_ENTRY_P);
	CHECK(!f.write);

	/* A write (T1 clear) with no mapping, from 03:1f.7; FI bits 11:0 are reserved. */
	r = (struct vtd_fault_record){ .lo = 0xfedcba987fff,
				       .hi = VTD_FRCD_HI_F | (6ULL << VTD_FRCD_HI_FR_SHIFT) | 0x03ff };
	CHECK(vtd_fault_decode(&r, &f));
	CHECK_EQ(f.source_id, 0x03ff);
	CHECK_EQ(f.address, 0xfedcba987000);
	CHECK_EQ(f.reason, VTD_FR_READ);
	CHECK(f.write);

	/* F clear: nothing recorded there. */
	r.hi &= ~VTD_FRCD_HI_F;
	CHECK(!vtd_fault_decode(&r, &f));
}

TEST(fault_reason_names_follow_the_specification)
{
	CHECK_STR_EQ(vtd_fault_reason_name(0x1), "root entry not present");
	CHECK_STR_EQ(vtd_fault_reason_name(0x2), "context entry not present");
	CHECK_STR_EQ(vtd_fault_reason_name(0x5), "write to a page without write permission");
	CHECK_STR_EQ(vtd_fault_reason_name(0x6), "read of a page without read permission (not mapped)");
	CHECK_STR_EQ(vtd_fault_reason_name(0xd), "request blocked by the context entry's translation type");
	CHECK_STR_EQ(vtd_fault_reason_name(0x22), "interrupt remapping table entry not present");
	CHECK_STR_EQ(vtd_fault_reason_name(0x26), "interrupt blocked by source-id verification");
	CHECK_STR_EQ(vtd_fault_reason_name(0x0), "reserved");
	CHECK_STR_EQ(vtd_fault_reason_name(0xe), "reserved");
	CHECK_STR_EQ(vtd_fault_reason_name(0x27), "reserved");
	CHECK_STR_EQ(vtd_fault_reason_name(0xff), "reserved");
}

TEST(fault_event_msi_address)
{
	CHECK_EQ(vtd_msi_address(0), 0xfee00000);
	CHECK_EQ(vtd_msi_address(0x12), 0xfee12000);
}

/* ---- Interrupt remapping ---- */

TEST(irte_remapped_format_has_the_exact_bits)
{
	/* The e1000's INTx through the IOAPIC (bus ff, 00.0 on QEMU q35): level, vector 0x30, APIC 0. */
	struct vtd_irte e = vtd_irte_remapped(0x30, 0, true, 0xff00);
	CHECK_EQ(e.lo, 0x1 | (1 << 4) | (0x30ULL << 16));
	CHECK_EQ(e.hi, 0xff00 | (1ULL << 18));	/* SVT 01, SQ 00 */
	CHECK_EQ(e.lo & VTD_IRTE_LO_IM, 0);	/* remapped, not posted */

	/* An NVMe MSI-X: edge, vector 0xa1, to APIC id 0x12, from 00:03.0. */
	e = vtd_irte_remapped(0xa1, 0x12, false, 0x0018);
	CHECK_EQ(e.lo, 0x1 | (0xa1ULL << 16) | (0x12ULL << 40));
	CHECK_EQ(e.hi, 0x0018 | (1ULL << 18));
	CHECK_EQ((e.lo & VTD_IRTE_LO_DLM) | (e.lo & VTD_IRTE_LO_DM) | (e.lo & VTD_IRTE_LO_RH), 0);
	CHECK_EQ(VTD_IRT_ENTRIES, 256);
}

TEST(remappable_msi_address_carries_the_handle)
{
	CHECK_EQ(vtd_msi_remap_address(0), 0xfee00000 | (1 << 4) | (1 << 3));
	CHECK_EQ(vtd_msi_remap_address(5), 0xfee00000 | (5 << 5) | (1 << 4) | (1 << 3));
	CHECK_EQ(vtd_msi_remap_address(0x8001), 0xfee00000 | (1 << 5) | (1 << 4) | (1 << 3) | (1 << 2));
	/* Never the compatibility format: bit 4 is always set. */
	for (unsigned int h = 0; h < 0x10000; h += 0x111)
		CHECK(vtd_msi_remap_address((uint16_t)h) & VTD_MSI_REMAP_IF);
}

TEST(interrupt_entry_cache_invalidation)
{
	CHECK_EQ(vtd_inv_iec_desc(true, 7).lo, 0x4);
	CHECK_EQ(vtd_inv_iec_desc(false, 7).lo, 0x4 | (1 << 4) | (7ULL << 32));
	CHECK_EQ(vtd_inv_iec_desc(false, 7).hi, 0);
}

TEST(ioapic_source_id_from_its_dmar_scope)
{
	/* QEMU q35: IOAPIC id 0 listed as bus ff, path 00.0. */
	struct acpi_dmar_scope s = { .type = 3, .enumeration_id = 0, .start_bus = 0xff, .path_len = 1 };
	uint16_t sid = 0;
	CHECK(vtd_scope_ioapic_sid(&s, 0, &sid));
	CHECK_EQ(sid, 0xff00);
	s.path[0][0] = 0x1f;
	s.path[0][1] = 7;
	CHECK(vtd_scope_ioapic_sid(&s, 0, &sid));
	CHECK_EQ(sid, 0xffff);
	CHECK(!vtd_scope_ioapic_sid(&s, 1, &sid));	/* another IOAPIC's */
	s.type = 4;					/* an HPET */
	CHECK(!vtd_scope_ioapic_sid(&s, 0, &sid));
	s.type = 3;
	s.path_len = 2;					/* through a bridge: not supported */
	CHECK(!vtd_scope_ioapic_sid(&s, 0, &sid));
}

/* ---- DMAR scopes and RMRRs ---- */

/* A fake topology: a bridge at 00:1c.0 leading to buses 02-05, one at 02:00.0 to bus 03. */
static bool fake_bridge(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint8_t *sec, uint8_t *sub)
{
	(void)ctx;
	if (bus == 0 && dev == 0x1c && fn == 0) {
		*sec = 2;
		*sub = 5;
		return true;
	}
	if (bus == 2 && dev == 0 && fn == 0) {
		*sec = 3;
		*sub = 3;
		return true;
	}
	return false;
}

TEST(dmar_scopes_match_endpoints_paths_and_bridges)
{
	struct acpi_dmar_scope e1000 = { .type = 1, .start_bus = 0, .path_len = 1, .path = { { 2, 0 } } };
	CHECK(vtd_scope_matches(&e1000, 0x0010, fake_bridge, NULL));
	CHECK(!vtd_scope_matches(&e1000, 0x0011, fake_bridge, NULL));
	CHECK(!vtd_scope_matches(&e1000, 0x0110, fake_bridge, NULL));

	/* An endpoint two bridges down: 00:1c.0 -> bus 2, 02:00.0 -> bus 3, device 03:05.1. */
	struct acpi_dmar_scope deep = { .type = 1, .start_bus = 0, .path_len = 3,
					.path = { { 0x1c, 0 }, { 0, 0 }, { 5, 1 } } };
	CHECK(vtd_scope_matches(&deep, 0x0329, fake_bridge, NULL));
	CHECK(!vtd_scope_matches(&deep, 0x0029, fake_bridge, NULL));
	/* A path through something that is not a bridge matches nothing. */
	struct acpi_dmar_scope broken = { .type = 1, .start_bus = 0, .path_len = 2,
					  .path = { { 0x1d, 0 }, { 5, 1 } } };
	CHECK(!vtd_scope_matches(&broken, 0x0029, fake_bridge, NULL));

	/* A bridge scope: the bridge itself and buses 02-05 below it. */
	struct acpi_dmar_scope sub = { .type = 2, .start_bus = 0, .path_len = 1, .path = { { 0x1c, 0 } } };
	CHECK(vtd_scope_matches(&sub, 0x00e0, fake_bridge, NULL));
	CHECK(vtd_scope_matches(&sub, 0x0200, fake_bridge, NULL));
	CHECK(vtd_scope_matches(&sub, 0x05ff, fake_bridge, NULL));
	CHECK(!vtd_scope_matches(&sub, 0x0600, fake_bridge, NULL));
	CHECK(!vtd_scope_matches(&sub, 0x0100, fake_bridge, NULL));

	/* IOAPIC and HPET scopes never name a PCI function. */
	struct acpi_dmar_scope ioapic = { .type = 3, .start_bus = 0xff, .path_len = 1, .path = { { 0, 0 } } };
	CHECK(!vtd_scope_matches(&ioapic, 0xff00, fake_bridge, NULL));
	struct acpi_dmar_scope empty = { .type = 1, .path_len = 0 };
	CHECK(!vtd_scope_matches(&empty, 0, fake_bridge, NULL));
}

TEST(rmrr_pages_cover_the_whole_range)
{
	struct acpi_rmrr r = { .base = 0x7b800000, .limit = 0x7b8fffff };
	uint64_t base, size;

	CHECK(vtd_rmrr_pages(&r, &base, &size));
	CHECK_EQ(base, 0x7b800000);
	CHECK_EQ(size, 0x100000);
	/* Unaligned ends are widened to whole pages. */
	r = (struct acpi_rmrr){ .base = 0xe8010, .limit = 0xe9001 };
	CHECK(vtd_rmrr_pages(&r, &base, &size));
	CHECK_EQ(base, 0xe8000);
	CHECK_EQ(size, 0x2000);
	r = (struct acpi_rmrr){ .base = 0x2000, .limit = 0x1fff };
	CHECK(!vtd_rmrr_pages(&r, &base, &size));
	r = (struct acpi_rmrr){ .base = 0x2000, .limit = ~0ULL };
	CHECK(!vtd_rmrr_pages(&r, &base, &size));
}

/* ---- iommu.c, with the console, the clock, PCI and detach faked. ---- */

static char log_lines[4096];
static int log_count;
static uint64_t now_ns;
static uint16_t fake_command = 0x0007;
static int detach_calls;
static uint16_t command_at_detach;

void serial_write(const char *s, size_t len)
{
	if (strlen(log_lines) + len + 1 < sizeof(log_lines))
		strncat(log_lines, s, len);
	if (len && s[len - 1] == '\n')
		log_count++;
}

bool time_ns_since_boot(uint64_t *ns)
{
	*ns = now_ns;
	return true;
}

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	(void)sbdf;
	return offset == PCI_COMMAND && size == 2 ? fake_command : 0xffffffffU;
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	(void)sbdf;
	if (offset == PCI_COMMAND && size == 2)
		fake_command = (uint16_t)value;
}

int iommu_detach(pci_sbdf_t sbdf)
{
	(void)sbdf;
	detach_calls++;
	command_at_detach = fake_command;
	return -HV_ENOENT;
}

static const char *owner_of(pci_sbdf_t sbdf)
{
	return sbdf == PCI_SBDF(0, 0, 3, 0) ? "net-iovm" : NULL;
}

static struct iommu_fault fault_from(pci_sbdf_t sbdf, uint64_t address)
{
	return (struct iommu_fault){ .sbdf = sbdf, .address = address, .kind = IOMMU_FAULT_UNATTACHED,
				     .reason = 1, .reason_name = "root entry not present" };
}

TEST(faults_are_counted_logged_and_rate_limited_per_source)
{
	pci_sbdf_t nic = PCI_SBDF(0, 0, 2, 0), other = PCI_SBDF(0, 0, 3, 0);
	struct iommu_fault last;

	log_lines[0] = 0;
	log_count = 0;
	now_ns = 5000000000ULL;
	for (int i = 0; i < 8; i++) {
		struct iommu_fault f = fault_from(nic, 0x1000 * (i + 1));
		iommu_report_fault(&f);
	}
	CHECK_EQ(iommu_fault_count(nic, &last), 8);
	CHECK_EQ(last.address, 0x8000);
	CHECK_EQ(log_count, 5);		/* the burst; 3 only counted */
	CHECK(strstr(log_lines, "iommu: DMA fault: 00:02.0 (owned by nobody) read at 0x1000 blocked: "
			       "reason 0x1 \"root entry not present\" (unit 0)") != NULL);
	CHECK(strstr(log_lines, "at 0x6000") == NULL);

	/* Another source has its own budget, and an owner once the lookup is installed. */
	iommu_set_owner_lookup(owner_of);
	struct iommu_fault w = fault_from(other, 0x9000);
	w.write = true;
	iommu_report_fault(&w);
	CHECK_EQ(log_count, 6);
	CHECK(strstr(log_lines, "00:03.0 (vm 'net-iovm') write at 0x9000") != NULL);
	CHECK_EQ(iommu_fault_count(other, NULL), 1);
	CHECK_EQ(iommu_fault_count(PCI_SBDF(0, 0, 4, 0), NULL), 0);

	/* A second later the NIC may log again, and says how much was left out. */
	now_ns += 1000000000ULL;
	struct iommu_fault again = fault_from(nic, 0xa000);
	iommu_report_fault(&again);
	CHECK_EQ(log_count, 7);
	CHECK(strstr(log_lines, "at 0xa000 blocked: reason 0x1 \"root entry not present\" (unit 0) "
			       "(3 earlier fault(s) not logged)") != NULL);
	CHECK_EQ(iommu_fault_count(nic, NULL), 9);
	iommu_set_owner_lookup(NULL);
}

TEST(many_sources_share_the_last_slot_but_are_all_counted)
{
	uint64_t before = iommu_fault_count(PCI_SBDF(0, 9, 0, 0), NULL);

	for (unsigned int bus = 0x10; bus < 0x10 + 64; bus++) {
		struct iommu_fault f = fault_from(PCI_SBDF(0, bus, 0, 0), 0x1000);
		iommu_report_fault(&f);
	}
	CHECK_EQ(before, 0);
	CHECK_EQ(iommu_fault_count(PCI_SBDF(0, 0x10, 0, 0), NULL), 1);	/* had a slot of its own */
}

static unsigned int policy_calls;
static int log_count_at_policy;
static struct iommu_fault policy_fault;

static void record_policy(const struct iommu_fault *f)
{
	policy_calls++;
	log_count_at_policy = log_count;
	policy_fault = *f;
}

TEST(fault_policy_sees_every_fault_after_its_line_even_when_not_logged)
{
	pci_sbdf_t dev = PCI_SBDF(0, 0, 5, 0);

	now_ns += 10 * 1000000000ULL;
	iommu_set_fault_policy(record_policy);
	int logged_before = log_count;
	for (int i = 0; i < 7; i++) {
		struct iommu_fault f = fault_from(dev, 0x20000 + 0x1000 * (uint64_t)i);
		iommu_report_fault(&f);
		if (i == 0)
			CHECK_EQ(log_count_at_policy, logged_before + 1);	/* the line came first */
	}
	CHECK_EQ(policy_calls, 7);				/* two were not logged */
	CHECK_EQ(log_count, logged_before + 5);
	CHECK_EQ(policy_fault.sbdf, dev);
	CHECK_EQ(policy_fault.address, 0x26000);
	iommu_set_fault_policy(NULL);
	struct iommu_fault f = fault_from(dev, 0x30000);
	iommu_report_fault(&f);
	CHECK_EQ(policy_calls, 7);
}

TEST(quiesce_stops_bus_mastering_before_detaching)
{
	fake_command = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	detach_calls = 0;
	CHECK_EQ(iommu_quiesce(PCI_SBDF(0, 0, 2, 0)), -HV_ENOENT);
	CHECK_EQ(detach_calls, 1);
	CHECK_EQ(command_at_detach, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	CHECK_EQ(fake_command, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
}
