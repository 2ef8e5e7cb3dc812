// SPDX-License-Identifier: MIT
/*
 * VT-d formats (arch/vtd.h): the second-level entry format for the generic
 * page-table builder, root/context entries, invalidation requests, fault
 * records, capability checks and DMAR scope matching. Pure bit
 * manipulation, no hardware access: unit-tested on the host
 * (tests/unit/test_vtd.c) and shared by the driver (vtd.c) and hwcheck.
 *
 * Second-level entry choices:
 * - An entry is present when R or W is set; PT_WRITE implies read, as
 *   every mapping of the builder is readable.
 * - Non-leaf entries grant R and W: the leaf decides (the walk ANDs the
 *   permissions of every level, 3.7.1).
 * - Legacy mode has no memory type in second-level entries (EMT and IPAT
 *   are ignored without extended context entries) and no execute
 *   permission, so PT_UNCACHED and PT_EXEC have no bit here.
 * - SNP forces DMA to snoop the CPU caches even when a device asks for a
 *   no-snoop transaction; only units with ECAP.SC accept it, so it lives
 *   in its own format (pt_format_vtd_snoop) and only on cacheable leaves.
 */
#include <arch/vtd.h>
#include <hv/format.h>

static uint64_t vtd_make_table(paddr_t table)
{
	return (table & VTD_SL_ADDR) | VTD_SL_R | VTD_SL_W;
}

static uint64_t vtd_make_leaf(paddr_t pa, unsigned int attrs, int level)
{
	uint64_t e = (pa & VTD_SL_ADDR) | VTD_SL_R;

	if (attrs & PT_WRITE)
		e |= VTD_SL_W;
	if (level > 1)
		e |= VTD_SL_PS;
	return e;
}

static uint64_t vtd_make_leaf_snoop(paddr_t pa, unsigned int attrs, int level)
{
	uint64_t e = vtd_make_leaf(pa, attrs, level);

	return attrs & PT_UNCACHED ? e : e | VTD_SL_SNP;
}

static bool vtd_present(uint64_t e)
{
	return e & (VTD_SL_R | VTD_SL_W);
}

static bool vtd_is_leaf(uint64_t e, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & VTD_SL_PS));
}

static paddr_t vtd_address(uint64_t e)
{
	return e & VTD_SL_ADDR;
}

static unsigned int vtd_attrs(uint64_t e)
{
	return e & VTD_SL_W ? PT_WRITE : 0;
}

/* With SNP: a leaf without it was made for device memory. */
static unsigned int vtd_attrs_snoop(uint64_t e)
{
	return vtd_attrs(e) | (e & VTD_SL_SNP ? 0 : PT_UNCACHED);
}

const struct pt_format pt_format_vtd = {
	.name = "VT-d",
	.make_table = vtd_make_table,
	.make_leaf = vtd_make_leaf,
	.present = vtd_present,
	.is_leaf = vtd_is_leaf,
	.address = vtd_address,
	.attrs = vtd_attrs,
};

const struct pt_format pt_format_vtd_snoop = {
	.name = "VT-d (snoop control)",
	.make_table = vtd_make_table,
	.make_leaf = vtd_make_leaf_snoop,
	.present = vtd_present,
	.is_leaf = vtd_is_leaf,
	.address = vtd_address,
	.attrs = vtd_attrs_snoop,
};

/* ---- Capabilities ---- */

static uint64_t field(uint64_t v, uint64_t mask, unsigned int shift)
{
	return (v & mask) >> shift;
}

int vtd_levels(const struct vtd_caps *c)
{
	uint64_t sagaw = field(c->cap, VTD_CAP_SAGAW, VTD_CAP_SAGAW_SHIFT);

	if (sagaw & VTD_SAGAW_48_4LEVEL)
		return 4;
	if (sagaw & VTD_SAGAW_39_3LEVEL)
		return 3;
	return 0;
}

uint32_t vtd_domain_count(const struct vtd_caps *c)
{
	return 1U << (4 + 2 * (c->cap & VTD_CAP_ND));
}

uint32_t vtd_fault_record_count(const struct vtd_caps *c)
{
	return (uint32_t)field(c->cap, VTD_CAP_NFR, VTD_CAP_NFR_SHIFT) + 1;
}

uint32_t vtd_fault_record_offset(const struct vtd_caps *c)
{
	return (uint32_t)field(c->cap, VTD_CAP_FRO, VTD_CAP_FRO_SHIFT) * 16;
}

uint32_t vtd_iotlb_offset(const struct vtd_caps *c)
{
	return (uint32_t)field(c->ecap, VTD_ECAP_IRO, VTD_ECAP_IRO_SHIFT) * 16;
}

unsigned int vtd_mgaw(const struct vtd_caps *c)
{
	return (unsigned int)field(c->cap, VTD_CAP_MGAW, VTD_CAP_MGAW_SHIFT) + 1;
}

unsigned int vtd_leaf_sizes(const struct vtd_caps *c)
{
	return PT_SIZE_4K | (c->cap & VTD_CAP_SLLPS_2M ? PT_SIZE_2M : 0) |
	       (c->cap & VTD_CAP_SLLPS_1G ? PT_SIZE_1G : 0);
}

const char *vtd_caps_problem(const struct vtd_caps *c)
{
	/* A register block that reads all ones is no unit at all. */
	if (c->ver == 0xffffffffU || c->cap == ~0ULL || c->ecap == ~0ULL)
		return "its registers read all ones: no remapping unit there";

	/* Version 1.0 and later share the legacy-mode structures used here. */
	if (field(c->ver, VTD_VER_MAX, VTD_VER_MAX_SHIFT) < 1)
		return "register set version below 1.0";

	/* Domains are 3- or 4-level second-level tables (5-level only is not supported). */
	if (!vtd_levels(c))
		return "SAGAW offers neither 3-level (39-bit) nor 4-level (48-bit) tables";

	/* A 3-level table already needs 39 input bits; MGAW must not be narrower. */
	if (vtd_mgaw(c) < 39)
		return "MGAW is below 39 bits";

	/* Fault records and IOTLB registers must lie inside the register page. */
	if (vtd_fault_record_offset(c) == 0 ||
	    vtd_fault_record_offset(c) + VTD_FRCD_SIZE * vtd_fault_record_count(c) > VTD_REG_SIZE)
		return "the fault-recording registers (CAP.FRO/NFR) lie outside the register page";
	if (vtd_iotlb_offset(c) == 0 || vtd_iotlb_offset(c) + 16 > VTD_REG_SIZE)
		return "the IOTLB registers (ECAP.IRO) lie outside the register page";

	/*
	 * Everything else adapts: RWBF (write-buffer flushes), C (cache-line
	 * flushes of tables), QI (else register-based invalidation), SC (the
	 * snoop bit), SLLPS (large pages), CM (invalidating not-present entries).
	 */
	return NULL;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void vtd_caps_describe(const struct vtd_caps *c, char *buf, size_t size)
{
	static const char *const sagaw_names[] = { "none", "3-level", "4-level", "3+4-level" };
	uint64_t sagaw = field(c->cap, VTD_CAP_SAGAW, VTD_CAP_SAGAW_SHIFT);

	format(buf, size,
	       "version %u.%u, SAGAW %s%s, MGAW %u, %u domains, %u fault record(s), "
	       "large pages %s%s, QI %s, IR %s, PT %s, C %s, SC %s, RWBF %s, CM %s",
	       (unsigned int)field(c->ver, VTD_VER_MAX, VTD_VER_MAX_SHIFT),
	       (unsigned int)(c->ver & VTD_VER_MIN),
	       sagaw_names[(sagaw >> 1) & 3], sagaw & VTD_SAGAW_57_5LEVEL ? "+5-level" : "",
	       vtd_mgaw(c), vtd_domain_count(c), vtd_fault_record_count(c),
	       c->cap & VTD_CAP_SLLPS_2M ? "2M" : "none",
	       c->cap & VTD_CAP_SLLPS_1G ? "+1G" : "",
	       yes_no(c->ecap & VTD_ECAP_QI), yes_no(c->ecap & VTD_ECAP_IR),
	       yes_no(c->ecap & VTD_ECAP_PT), yes_no(c->ecap & VTD_ECAP_C),
	       yes_no(c->ecap & VTD_ECAP_SC), yes_no(c->cap & VTD_CAP_RWBF),
	       yes_no(c->cap & VTD_CAP_CM));
}

/* ---- Entries and requests ---- */

struct vtd_root_entry vtd_root_entry(paddr_t context_table)
{
	return (struct vtd_root_entry){ .lo = (context_table & VTD_ROOT_CTP) | VTD_ROOT_P };
}

struct vtd_context_entry vtd_context_entry(paddr_t sl_root, int levels, uint16_t did)
{
	/* AW = levels - 2: 1 for 39-bit (3-level), 2 for 48-bit (4-level) tables (9.3). */
	return (struct vtd_context_entry){
		.lo = (sl_root & VTD_CTX_LO_SLPTPTR) | VTD_CTX_TT_UNTRANSLATED << VTD_CTX_LO_TT_SHIFT |
		      VTD_CTX_LO_P,
		.hi = ((uint64_t)did << VTD_CTX_HI_DID_SHIFT) | (uint64_t)(levels - 2),
	};
}

struct vtd_inv_desc vtd_inv_context_desc(uint64_t granularity, uint16_t did)
{
	return (struct vtd_inv_desc){
		.lo = VTD_INV_CONTEXT | granularity << VTD_INV_CC_G_SHIFT |
		      (uint64_t)did << VTD_INV_CC_DID_SHIFT,
	};
}

/* Drain pending DMA reads and writes with the flush where the unit can (6.5.5). */
static uint64_t drain_bits(const struct vtd_caps *c, uint64_t dr, uint64_t dw)
{
	return (c->cap & VTD_CAP_DRD ? dr : 0) | (c->cap & VTD_CAP_DWD ? dw : 0);
}

struct vtd_inv_desc vtd_inv_iotlb_desc(uint64_t granularity, uint16_t did, const struct vtd_caps *c)
{
	return (struct vtd_inv_desc){
		.lo = VTD_INV_IOTLB | granularity << VTD_INV_IOTLB_G_SHIFT |
		      (uint64_t)did << VTD_INV_IOTLB_DID_SHIFT |
		      drain_bits(c, VTD_INV_IOTLB_DR, VTD_INV_IOTLB_DW),
	};
}

struct vtd_inv_desc vtd_inv_wait_desc(paddr_t status, uint32_t data)
{
	return (struct vtd_inv_desc){
		.lo = VTD_INV_WAIT | VTD_INV_WAIT_SW | VTD_INV_WAIT_FN |
		      (uint64_t)data << VTD_INV_WAIT_DATA_SHIFT,
		.hi = status & ~3ULL,
	};
}

uint64_t vtd_ccmd_value(uint64_t granularity, uint16_t did)
{
	return VTD_CCMD_ICC | granularity << VTD_CCMD_CIRG_SHIFT | did;
}

uint64_t vtd_iotlb_value(uint64_t granularity, uint16_t did, const struct vtd_caps *c)
{
	return VTD_IOTLB_IVT | granularity << VTD_IOTLB_IIRG_SHIFT |
	       (uint64_t)did << VTD_IOTLB_DID_SHIFT | drain_bits(c, VTD_IOTLB_DR, VTD_IOTLB_DW);
}

/* ---- Faults ---- */

bool vtd_fault_decode(const struct vtd_fault_record *r, struct vtd_fault *f)
{
	if (!(r->hi & VTD_FRCD_HI_F))
		return false;
	*f = (struct vtd_fault){
		.source_id = (uint16_t)(r->hi & VTD_FRCD_HI_SID),
		.address = r->lo & VTD_FRCD_LO_FI,
		.reason = (uint8_t)field(r->hi, VTD_FRCD_HI_FR, VTD_FRCD_HI_FR_SHIFT),
		.write = !(r->hi & VTD_FRCD_HI_T1),
	};
	return true;
}

static const char *const fault_reasons[] = {
	[VTD_FR_ROOT_ENTRY_P] = "root entry not present",
	[VTD_FR_CONTEXT_ENTRY_P] = "context entry not present",
	[VTD_FR_CONTEXT_ENTRY_INV] = "invalid context entry programming",
	[VTD_FR_ADDR_BEYOND_AW] = "address beyond the domain's address width",
	[VTD_FR_WRITE] = "write to a page without write permission",
	[VTD_FR_READ] = "read of a page without read permission (not mapped)",
	[VTD_FR_PAGING_ENTRY_ACCESS] = "error accessing a second-level paging entry",
	[VTD_FR_ROOT_TABLE_ACCESS] = "error accessing the root entry",
	[VTD_FR_CONTEXT_TABLE_ACCESS] = "error accessing the context entry",
	[VTD_FR_ROOT_ENTRY_RSVD] = "reserved field set in a present root entry",
	[VTD_FR_CONTEXT_ENTRY_RSVD] = "reserved field set in a present context entry",
	[VTD_FR_PAGING_ENTRY_RSVD] = "reserved field set in a present second-level entry",
	[VTD_FR_CONTEXT_ENTRY_TT] = "request blocked by the context entry's translation type",
	[VTD_FR_IR_REQ_RSVD] = "interrupt request with a reserved field set",
	[VTD_FR_IR_INDEX_OVER] = "interrupt index beyond the remapping table size",
	[VTD_FR_IR_ENTRY_P] = "interrupt remapping table entry not present",
	[VTD_FR_IR_ROOT_INVAL] = "error accessing the interrupt remapping table",
	[VTD_FR_IR_IRTE_RSVD] = "reserved field set in a present interrupt remapping entry",
	[VTD_FR_IR_COMPAT_BLOCKED] = "compatibility-format interrupt blocked",
	[VTD_FR_IR_SID_ERR] = "interrupt blocked by source-id verification",
};

const char *vtd_fault_reason_name(uint8_t reason)
{
	if (reason < ARRAY_SIZE(fault_reasons) && fault_reasons[reason])
		return fault_reasons[reason];
	return "reserved";
}

uint32_t vtd_msi_address(uint32_t apic_id)
{
	/* 0xFEE, destination id in 19:12, RH = DM = 0: physical destination. */
	return 0xfee00000U | (apic_id & 0xff) << 12;
}

/* ---- Interrupt remapping ---- */

struct vtd_irte vtd_irte_remapped(uint8_t vector, uint8_t apic_id, bool level, uint16_t sid)
{
	/* DM = 0 physical, RH = 0, DLM = 000 fixed, IM = 0 remapped; FPD = 0: faults are reported. */
	return (struct vtd_irte){
		.lo = VTD_IRTE_LO_P | (level ? VTD_IRTE_LO_TM : 0) |
		      (uint64_t)vector << VTD_IRTE_LO_V_SHIFT |
		      (uint64_t)apic_id << VTD_IRTE_LO_DST_XAPIC_SHIFT,
		.hi = sid | VTD_SVT_SID << VTD_IRTE_HI_SVT_SHIFT | 0ULL << VTD_IRTE_HI_SQ_SHIFT,
	};
}

uint32_t vtd_msi_remap_address(uint16_t handle)
{
	return VTD_MSI_REMAP_BASE | ((uint32_t)(handle & 0x7fff) << VTD_MSI_REMAP_HANDLE_LO_SHIFT) |
	       VTD_MSI_REMAP_IF | VTD_MSI_REMAP_SHV | (handle & 0x8000 ? VTD_MSI_REMAP_HANDLE_15 : 0);
}

struct vtd_inv_desc vtd_inv_iec_desc(bool global, uint16_t index)
{
	/* IM = 0: one entry. */
	return (struct vtd_inv_desc){
		.lo = VTD_INV_IEC | (global ? 0 : VTD_INV_IEC_G_INDEX | (uint64_t)index << VTD_INV_IEC_IIDX_SHIFT),
	};
}

bool vtd_scope_ioapic_sid(const struct acpi_dmar_scope *s, uint8_t ioapic_id, uint16_t *sid)
{
	/* One path element: the IOAPIC on start_bus itself (a path through bridges is not supported). */
	if (s->type != 3 || s->enumeration_id != ioapic_id || s->path_len != 1)
		return false;
	*sid = (uint16_t)(s->start_bus << 8 | (s->path[0][0] & 0x1f) << 3 | (s->path[0][1] & 7));
	return true;
}

/* ---- DMAR scopes and RMRRs ---- */

bool vtd_scope_matches(const struct acpi_dmar_scope *s, uint16_t bdf,
		       vtd_bridge_reader_t bridge, void *ctx)
{
	uint8_t bus = s->start_bus, secondary, subordinate;

	if (s->path_len == 0 || s->path_len > ARRAY_SIZE(s->path))
		return false;
	/* Every element but the last is a bridge leading to the next bus. */
	for (unsigned int i = 0; i + 1 < s->path_len; i++) {
		if (!bridge(ctx, bus, s->path[i][0], s->path[i][1], &secondary, &subordinate))
			return false;
		bus = secondary;
	}
	uint8_t dev = s->path[s->path_len - 1][0], fn = s->path[s->path_len - 1][1];
	uint16_t target = (uint16_t)(bus << 8 | (dev & 0x1f) << 3 | (fn & 7));

	if (s->type == 1)	/* PCI endpoint */
		return target == bdf;
	if (s->type == 2) {	/* PCI sub-hierarchy: the bridge and everything below it */
		if (target == bdf)
			return true;
		if (!bridge(ctx, bus, dev, fn, &secondary, &subordinate))
			return false;
		return (bdf >> 8) >= secondary && (bdf >> 8) <= subordinate;
	}
	return false;
}

bool vtd_rmrr_pages(const struct acpi_rmrr *r, uint64_t *base, uint64_t *size)
{
	if (r->limit < r->base || r->limit == ~0ULL)
		return false;
	*base = ALIGN_DOWN(r->base, 4096ULL);
	*size = ALIGN_UP(r->limit + 1, 4096ULL) - *base;
	return *size != 0;
}
