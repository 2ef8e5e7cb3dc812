// SPDX-License-Identifier: MIT
/*
 * The Intel VT-d DMA-remapping driver behind hv/iommu.h (docs/iommu.md).
 *
 * Legacy-mode translation: per unit one root table (a root entry per bus)
 * pointing to context tables (a context entry per device/function), each
 * context entry naming a domain id and the root of the domain's
 * second-level page table, built by the generic builder in the VT-d
 * format (vtd_format.c).
 *
 * At boot every unit gets an empty root table and translation is enabled:
 * with no root entry present, every DMA faults ("root entry not present")
 * until a device is attached. Faults are reported through the fault event
 * MSI on VECTOR_IOMMU_FAULT, or by polling.
 *
 * What adapts to the unit: 3- or 4-level tables (CAP.SAGAW), large pages
 * (CAP.SLLPS), cache-line flushes of tables for units whose walks do not
 * snoop (ECAP.C clear), write-buffer flushes (CAP.RWBF), queued (ECAP.QI)
 * or register-based invalidation, the snoop bit (ECAP.SC), and
 * invalidating not-present entries under caching mode (CAP.CM).
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/intremap.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <arch/vtd.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/iommu.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/string.h>
#include <hv/time.h>

#define VTD_MAX_UNITS		ACPI_MAX_DRHD
#define IOMMU_MAX_DOMAINS	16
#define CMD_TIMEOUT_NS		(10 * 1000 * 1000ULL)	/* for GSTS, CCMD, IOTLB and queue waits */
#define QUEUE_DESCS		(FRAME_SIZE / sizeof(struct vtd_inv_desc))	/* one page: IQA.QS = 0 */

struct vtd_unit {
	unsigned int index;
	const struct acpi_drhd *drhd;
	volatile uint8_t *regs;
	struct vtd_caps caps;
	uint32_t gcmd;			/* the enables we keep on (GCMD is write-only) */
	struct vtd_root_entry *root;
	paddr_t root_pa;
	struct vtd_inv_desc *queue;	/* NULL: register-based invalidation */
	paddr_t queue_pa;
	unsigned int queue_tail;
	volatile uint32_t wait_status;	/* written by invalidation wait descriptors */
	uint32_t wait_seq;
};

struct iommu_domain {
	bool used;
	uint16_t id;
	unsigned int devices[VTD_MAX_UNITS];	/* attached devices, per unit */
	struct page_table pt;
};

static struct vtd_unit units[VTD_MAX_UNITS];
static unsigned int unit_count;
static struct iommu_domain domains[IOMMU_MAX_DOMAINS];
static bool present;
static bool flush_tables;		/* some unit's walks do not snoop: clflush what we write */
static unsigned int clflush_size = 64;
static int domain_levels;		/* 3 or 4, supported by every unit */
static unsigned int domain_sizes;	/* PT_SIZE_* leaves every unit walks */
static uint64_t domain_limit;		/* first IOVA beyond every unit's reach */
static uint32_t domain_ids;		/* ids every unit has */
static const struct pt_format *domain_format;
static uint64_t irq_faults;

/*
 * Interrupt remapping: one table shared by every unit (each IRTA points at
 * it), filled by intremap_alloc(). On only if every unit has IR and QI
 * (the interrupt entry cache is invalidated through the queue only).
 */
static struct vtd_irte *irt;
static paddr_t irt_pa;
static uint8_t irt_used[VTD_IRT_ENTRIES / 8];
static bool ir_wanted, ir_enabled;

/* ---- Registers ---- */

static uint32_t rd32(const struct vtd_unit *u, uint32_t reg) { return mmio_read32(u->regs + reg); }
static uint64_t rd64(const struct vtd_unit *u, uint32_t reg) { return mmio_read64(u->regs + reg); }
static void wr32(struct vtd_unit *u, uint32_t reg, uint32_t v) { mmio_write32(u->regs + reg, v); }
static void wr64(struct vtd_unit *u, uint32_t reg, uint64_t v) { mmio_write64(u->regs + reg, v); }

/* Poll a register until (value & mask) == want. Returns 0 or -HV_EIO after CMD_TIMEOUT_NS. */
static int wait_reg(const struct vtd_unit *u, uint32_t reg, bool wide, uint64_t mask, uint64_t want)
{
	uint64_t deadline = time_tsc() + time_ns_to_tsc(CMD_TIMEOUT_NS);

	for (;;) {
		uint64_t v = wide ? rd64(u, reg) : rd32(u, reg);

		if ((v & mask) == want)
			return 0;
		if (time_tsc() > deadline)
			return -HV_EIO;
		cpu_relax();
	}
}

/*
 * Issue a GCMD command and wait for GSTS to show `status` as `on`. Enables
 * (TE, QIE) are remembered in u->gcmd; one-shot commands (SRTP, WBF) not.
 */
static int gcmd(struct vtd_unit *u, uint32_t cmd, uint32_t status, bool on, bool persistent)
{
	uint32_t v = persistent ? (on ? u->gcmd | cmd : u->gcmd & ~cmd) : u->gcmd | cmd;

	if (persistent)
		u->gcmd = v;
	wr32(u, VTD_GCMD_REG, v);
	if (wait_reg(u, VTD_GSTS_REG, false, status, on ? status : 0)) {
		pr_err("iommu: unit %u: no acknowledgment of GCMD %#x in GSTS (%#x)", u->index, v,
		       rd32(u, VTD_GSTS_REG));
		return -HV_EIO;
	}
	return 0;
}

/* ---- Memory the units read ---- */

/* Make CPU writes visible to walks that do not snoop the caches (ECAP.C clear). */
static void tables_written(const void *p, size_t len)
{
	if (!flush_tables)
		return;
	uintptr_t line = ALIGN_DOWN((uintptr_t)p, clflush_size), end = (uintptr_t)p + len;

	for (; line < end; line += clflush_size)
		__asm__ volatile("clflush (%0)" :: "r"(line) : "memory");
	__asm__ volatile("mfence" ::: "memory");
}

static void *table_alloc(paddr_t *pa)
{
	paddr_t frame = frame_alloc();

	if (!frame)
		return NULL;
	*pa = frame;
	void *p = memset(phys_to_virt(frame), 0, FRAME_SIZE);
	tables_written(p, FRAME_SIZE);
	return p;
}

static void table_free(paddr_t pa)
{
	BUG_ON(frame_free(pa));
}

static const struct pt_memory vtd_memory = {
	.alloc = table_alloc,
	.free = table_free,
	.to_virt = phys_to_virt,
	.written = tables_written,
};

/* ---- Invalidation (6.5) ---- */

/* The unit may buffer table writes internally: flush them before invalidating (CAP.RWBF). */
static int write_buffer_flush(struct vtd_unit *u)
{
	if (!(u->caps.cap & VTD_CAP_RWBF))
		return 0;
	wr32(u, VTD_GCMD_REG, u->gcmd | VTD_GCMD_WBF);
	if (wait_reg(u, VTD_GSTS_REG, false, VTD_GSTS_WBFS, 0)) {
		pr_err("iommu: unit %u: write-buffer flush never completed", u->index);
		return -HV_EIO;
	}
	return 0;
}

/* Queue desc followed by an invalidation wait, and wait for the wait's status write. */
static int queue_submit(struct vtd_unit *u, struct vtd_inv_desc desc)
{
	uint32_t seq = ++u->wait_seq;

	u->queue[u->queue_tail] = desc;
	tables_written(&u->queue[u->queue_tail], sizeof(desc));
	u->queue_tail = (u->queue_tail + 1) % QUEUE_DESCS;
	u->queue[u->queue_tail] = vtd_inv_wait_desc(virt_to_phys((const void *)&u->wait_status), seq);
	tables_written(&u->queue[u->queue_tail], sizeof(desc));
	u->queue_tail = (u->queue_tail + 1) % QUEUE_DESCS;
	wr64(u, VTD_IQT_REG, (uint64_t)u->queue_tail << VTD_IQ_INDEX_SHIFT);

	uint64_t deadline = time_tsc() + time_ns_to_tsc(CMD_TIMEOUT_NS);
	while (u->wait_status != seq) {
		uint32_t fsts = rd32(u, VTD_FSTS_REG);

		if ((fsts & (VTD_FSTS_IQE | VTD_FSTS_ITE | VTD_FSTS_ICE)) || time_tsc() > deadline) {
			pr_err("iommu: unit %u: invalidation queue stuck (FSTS %#x, IQH %#llx, IQT %#llx)",
			       u->index, fsts, (unsigned long long)rd64(u, VTD_IQH_REG),
			       (unsigned long long)rd64(u, VTD_IQT_REG));
			return -HV_EIO;
		}
		cpu_relax();
	}
	return 0;
}

static int invalidate_context(struct vtd_unit *u, uint64_t granularity, uint16_t did)
{
	if (u->queue)
		return queue_submit(u, vtd_inv_context_desc(granularity, did));
	wr64(u, VTD_CCMD_REG, vtd_ccmd_value(granularity, did));
	if (wait_reg(u, VTD_CCMD_REG, true, VTD_CCMD_ICC, 0) || !(rd64(u, VTD_CCMD_REG) & VTD_CCMD_CAIG)) {
		pr_err("iommu: unit %u: context-cache invalidation failed", u->index);
		return -HV_EIO;
	}
	return 0;
}

static int invalidate_iotlb(struct vtd_unit *u, uint64_t granularity, uint16_t did)
{
	uint32_t reg = VTD_IOTLB_REG(vtd_iotlb_offset(&u->caps));

	if (u->queue)
		return queue_submit(u, vtd_inv_iotlb_desc(granularity, did, &u->caps));
	wr64(u, reg, vtd_iotlb_value(granularity, did, &u->caps));
	if (wait_reg(u, reg, true, VTD_IOTLB_IVT, 0) || !(rd64(u, reg) & VTD_IOTLB_IAIG)) {
		pr_err("iommu: unit %u: IOTLB invalidation failed", u->index);
		return -HV_EIO;
	}
	return 0;
}

/*
 * After changing a context entry or a domain's tables: flush the write
 * buffer, then drop the cached context entries and translations of domain
 * did (granularity VTD_CCMD_DOMAIN) or of everything (VTD_CCMD_GLOBAL).
 * The IOTLB granularity encodings equal the context-cache ones.
 */
static int invalidate(struct vtd_unit *u, bool context, uint64_t granularity, uint16_t did)
{
	int err = write_buffer_flush(u);

	if (!err && context)
		err = invalidate_context(u, granularity, did);
	if (!err)
		err = invalidate_iotlb(u, granularity, did);
	return err;
}

/* ---- Faults (7.1) ---- */

static enum iommu_fault_kind fault_kind(uint8_t reason)
{
	switch (reason) {
	case VTD_FR_ROOT_ENTRY_P:
	case VTD_FR_CONTEXT_ENTRY_P:
		return IOMMU_FAULT_UNATTACHED;
	case VTD_FR_READ:
	case VTD_FR_ADDR_BEYOND_AW:
		return IOMMU_FAULT_UNMAPPED;
	case VTD_FR_WRITE:
		return IOMMU_FAULT_READ_ONLY;
	default:
		return IOMMU_FAULT_OTHER;
	}
}

/* Report and clear every recorded fault of u, from the index FSTS.FRI points at. */
static unsigned int unit_faults(struct vtd_unit *u)
{
	uint32_t fsts = rd32(u, VTD_FSTS_REG);
	uint32_t nfr = vtd_fault_record_count(&u->caps), fro = vtd_fault_record_offset(&u->caps);
	unsigned int found = 0;

	if (fsts == 0xffffffffU)
		return 0;
	uint32_t index = (fsts & VTD_FSTS_FRI) >> VTD_FSTS_FRI_SHIFT;
	for (uint32_t n = 0; n < nfr && (fsts & VTD_FSTS_PPF); n++, index = (index + 1) % nfr) {
		struct vtd_fault_record r = {
			.lo = rd64(u, VTD_FRCD_REG(fro, index)),
			.hi = rd64(u, VTD_FRCD_REG(fro, index) + 8),
		};
		struct vtd_fault f;

		if (!vtd_fault_decode(&r, &f))
			break;
		/* F is write-1-to-clear, in the record's top dword. */
		wr32(u, VTD_FRCD_REG(fro, index) + 12, (uint32_t)(VTD_FRCD_HI_F >> 32));
		iommu_report_fault(&(struct iommu_fault){
			.sbdf = PCI_SBDF(u->drhd->segment, 0, 0, 0) | f.source_id,
			.address = f.address,
			.write = f.write,
			.kind = fault_kind(f.reason),
			.reason = f.reason,
			.reason_name = vtd_fault_reason_name(f.reason),
			.unit = u->index,
		});
		found++;
	}
	if (fsts & VTD_FSTS_PFO) {
		/* PPF is computed from the F bits; PFO is the only one to clear (RW1C). */
		wr32(u, VTD_FSTS_REG, VTD_FSTS_PFO);
		pr_warn("iommu: unit %u: fault records overflowed: some faults were not recorded", u->index);
	}
	return found;
}

unsigned int iommu_poll_faults(void)
{
	unsigned int found = 0;

	for (unsigned int i = 0; i < unit_count; i++)
		found += unit_faults(&units[i]);
	return found;
}

static void fault_interrupt(struct trap_frame *frame)
{
	(void)frame;
	irq_faults += iommu_poll_faults();
	lapic_eoi();
}

uint64_t iommu_fault_interrupts(void)
{
	return irq_faults;
}

/* ---- Bring-up ---- */

void vtd_read_caps(paddr_t base, struct vtd_caps *c)
{
	const volatile uint8_t *regs = ioremap(base, VTD_REG_SIZE);

	c->ver = mmio_read32(regs + VTD_VER_REG);
	c->cap = mmio_read64(regs + VTD_CAP_REG);
	c->ecap = mmio_read64(regs + VTD_ECAP_REG);
}

/* Turn off what firmware (or a previous kernel) left on: we program from scratch. */
static int unit_reset(struct vtd_unit *u)
{
	uint32_t gsts = rd32(u, VTD_GSTS_REG);
	static const uint32_t enables[] = { VTD_GCMD_TE, VTD_GCMD_IRE, VTD_GCMD_QIE };

	u->gcmd = gsts & VTD_GSTS_PERSISTENT;
	for (unsigned int i = 0; i < ARRAY_SIZE(enables); i++) {
		if (!(u->gcmd & enables[i]))
			continue;
		pr_warn("iommu: unit %u: found enabled (GSTS %#x): disabling", u->index, gsts);
		if (gcmd(u, enables[i], enables[i], false, true))
			return -HV_EIO;
	}
	return 0;
}

/* Steer fault events to this CPU's LAPIC on VECTOR_IOMMU_FAULT, and unmask them. */
static int unit_fault_event_init(struct vtd_unit *u)
{
	uint32_t apic = lapic_id();

	/* Without ECAP.EIM (and here in xAPIC mode) the destination is 8 bits. */
	if (apic > 0xff) {
		pr_err("iommu: unit %u: APIC id %u does not fit a fault event address", u->index, apic);
		return -HV_EIO;
	}
	wr32(u, VTD_FEDATA_REG, VECTOR_IOMMU_FAULT);
	wr32(u, VTD_FEADDR_REG, vtd_msi_address(apic));
	wr32(u, VTD_FEUADDR_REG, 0);
	unit_faults(u);		/* anything recorded before we came */
	wr32(u, VTD_FECTL_REG, 0);
	return 0;
}

/* Map the registers, read and check the capabilities, and say what the unit has. */
static int unit_probe(struct vtd_unit *u)
{
	char caps[200];

	u->regs = ioremap(u->drhd->base, VTD_REG_SIZE);
	vtd_read_caps(u->drhd->base, &u->caps);
	vtd_caps_describe(&u->caps, caps, sizeof(caps));
	pr_info("iommu: unit %u at %#llx: %s", u->index, (unsigned long long)u->drhd->base, caps);
	const char *problem = vtd_caps_problem(&u->caps);
	if (problem) {
		pr_err("iommu: unit %u: unusable: %s", u->index, problem);
		return -HV_EIO;
	}
	return 0;
}

/*
 * Interrupt remapping (5.1, 6.5.2.7, 10.4.29): point the unit at the shared
 * table (IRTA, then SIRTP), drop whatever its entry cache holds, block
 * compatibility-format interrupts (CFI off: a device or a VM cannot send a
 * raw vector and destination), then enable (IRE).
 */
static int unit_ir_enable(struct vtd_unit *u)
{
	wr64(u, VTD_IRTA_REG, irt_pa | VTD_IRT_S);	/* EIME = 0: xAPIC destinations */
	if (gcmd(u, VTD_GCMD_SIRTP, VTD_GSTS_IRTPS, true, false) ||
	    queue_submit(u, vtd_inv_iec_desc(true, 0)))
		return -HV_EIO;
	if ((u->gcmd & VTD_GCMD_CFI) && gcmd(u, VTD_GCMD_CFI, VTD_GSTS_CFIS, false, true))
		return -HV_EIO;
	if (gcmd(u, VTD_GCMD_IRE, VTD_GSTS_IRES, true, true))
		return -HV_EIO;
	if (rd32(u, VTD_GSTS_REG) & VTD_GSTS_CFIS) {
		pr_err("iommu: unit %u: compatibility-format interrupts still pass (GSTS.CFIS)", u->index);
		return -HV_EIO;
	}
	pr_info("iommu: unit %u: interrupt remapping on: %u-entry table at %#llx, xAPIC destinations, "
		"compatibility-format interrupts blocked", u->index, VTD_IRT_ENTRIES,
		(unsigned long long)irt_pa);
	return 0;
}

/* Program a probed unit and enable translation with an empty root table. */
static int unit_enable(struct vtd_unit *u)
{
	if (unit_reset(u))
		return -HV_EIO;

	/* An empty root table: no root entry present, so every request faults. */
	u->root = table_alloc(&u->root_pa);
	if (!u->root)
		return -HV_ENOMEM;
	wr64(u, VTD_RTADDR_REG, u->root_pa);	/* TTM = 00: legacy mode */
	if (gcmd(u, VTD_GCMD_SRTP, VTD_GSTS_RTPS, true, false))
		return -HV_EIO;

	/* Queued invalidation when the unit has it; the registers otherwise. */
	if (u->caps.ecap & VTD_ECAP_QI) {
		u->queue = table_alloc(&u->queue_pa);
		if (!u->queue)
			return -HV_ENOMEM;
		wr64(u, VTD_IQT_REG, 0);
		wr64(u, VTD_IQA_REG, u->queue_pa);	/* QS = 0: one page, DW = 0: 128-bit */
		if (gcmd(u, VTD_GCMD_QIE, VTD_GSTS_QIES, true, true))
			return -HV_EIO;
	}

	/* Whatever the caches hold from before the new root table goes (6.5.3). */
	if (invalidate(u, true, VTD_CCMD_GLOBAL, 0) || unit_fault_event_init(u))
		return -HV_EIO;
	if (ir_wanted && unit_ir_enable(u))
		return -HV_EIO;
	return gcmd(u, VTD_GCMD_TE, VTD_GSTS_TES, true, true);
}

/* What every unit supports decides how domains are built. */
static int choose_domain_format(void)
{
	uint64_t sagaw = ~0ULL;
	unsigned int mgaw = 64;
	bool snoop = true;

	domain_sizes = PT_SIZE_4K | PT_SIZE_2M | PT_SIZE_1G;
	domain_ids = ~0U;
	for (unsigned int i = 0; i < unit_count; i++) {
		const struct vtd_caps *c = &units[i].caps;

		sagaw &= (c->cap & VTD_CAP_SAGAW) >> VTD_CAP_SAGAW_SHIFT;
		mgaw = MIN(mgaw, vtd_mgaw(c));
		snoop = snoop && (c->ecap & VTD_ECAP_SC);
		domain_sizes &= vtd_leaf_sizes(c);
		domain_ids = MIN(domain_ids, vtd_domain_count(c));
		flush_tables = flush_tables || !(c->ecap & VTD_ECAP_C);
	}
	domain_levels = sagaw & VTD_SAGAW_48_4LEVEL ? 4 : sagaw & VTD_SAGAW_39_3LEVEL ? 3 : 0;
	if (!domain_levels) {
		pr_err("iommu: the units share no page-table depth (3 or 4 levels)");
		return -HV_EIO;
	}
	domain_limit = MIN(pt_level_size(domain_levels + 1), 1ULL << mgaw);
	domain_format = snoop ? &pt_format_vtd_snoop : &pt_format_vtd;
	return 0;
}

static bool pci_bridge_buses(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn,
			     uint8_t *secondary, uint8_t *subordinate)
{
	const struct pci_device *d = pci_find(PCI_SBDF(*(const uint16_t *)ctx, bus, dev, fn));

	if (!d || d->header_type != PCI_HEADER_TYPE_BRIDGE)
		return false;
	*secondary = d->secondary_bus;
	*subordinate = d->subordinate_bus;
	return true;
}

static bool scope_names(const struct acpi_dmar_scope *scopes, unsigned int count, uint16_t segment,
			pci_sbdf_t sbdf)
{
	for (unsigned int i = 0; i < count; i++)
		if (vtd_scope_matches(&scopes[i], PCI_BDF(sbdf), pci_bridge_buses, &segment))
			return true;
	return false;
}

/* The unit that translates sbdf's requests: the one naming it, else its segment's catch-all. */
static struct vtd_unit *unit_of(pci_sbdf_t sbdf)
{
	struct vtd_unit *all = NULL;

	for (unsigned int i = 0; i < unit_count; i++) {
		const struct acpi_drhd *h = units[i].drhd;

		if (h->segment != PCI_SEG(sbdf))
			continue;
		if (scope_names(h->scopes, MIN(h->scope_count, ACPI_MAX_SCOPES), h->segment, sbdf))
			return &units[i];
		if (h->include_pci_all)
			all = &units[i];
	}
	return all;
}

/* Log the RMRRs and every device no unit covers: their DMA is not confined. */
static unsigned int report_coverage(void)
{
	const struct acpi_info *acpi = acpi_get();
	size_t count;
	const struct pci_device *devs = pci_devices(&count);
	unsigned int covered = 0;

	for (unsigned int i = 0; i < MIN(acpi->rmrr_count, ACPI_MAX_RMRR); i++)
		pr_info("iommu: RMRR %#llx-%#llx for %u device scope(s): identity-mapped into "
			"their domain when they are attached", (unsigned long long)acpi->rmrr[i].base,
			(unsigned long long)acpi->rmrr[i].limit, acpi->rmrr[i].scope_count);
	for (size_t i = 0; i < count; i++) {
		if (unit_of(devs[i].sbdf))
			covered++;
		else
			pr_warn("iommu: %02x:%02x.%u is behind no remapping unit: its DMA is not confined",
				PCI_BUS(devs[i].sbdf), PCI_DEV(devs[i].sbdf), PCI_FN(devs[i].sbdf));
	}
	return covered;
}

int iommu_init(bool no_queued_invalidation)
{
	const struct acpi_info *acpi = acpi_get();

	if (!acpi->dmar_present || !acpi->drhd_count) {
		pr_info("iommu: no DMA remapping hardware (no ACPI DMAR table or no DRHD): "
			"device DMA is not confined, no device can be assigned to a VM");
		return -HV_ENODEV;
	}
	/* CPUID.1:EBX[15:8]: CLFLUSH line size in 8-byte units. */
	unsigned int line = ((cpuid(1).ebx >> 8) & 0xff) * 8;
	if (line)
		clflush_size = line;

	irq_set_handler(VECTOR_IOMMU_FAULT, fault_interrupt);
	unit_count = MIN(acpi->drhd_count, VTD_MAX_UNITS);
	for (unsigned int i = 0; i < unit_count; i++)
		units[i] = (struct vtd_unit){ .index = i, .drhd = &acpi->drhd[i] };
	for (unsigned int i = 0; i < unit_count; i++) {
		if (unit_probe(&units[i]))
			goto refuse;
		/* The register interface is architectural: this is how it gets exercised where QI exists. */
		if (no_queued_invalidation && (units[i].caps.ecap & VTD_ECAP_QI)) {
			units[i].caps.ecap &= ~VTD_ECAP_QI;
			pr_info("iommu: unit %u: queued invalidation not used (iommu=noqi): "
				"register-based invalidation", i);
		}
	}
	/* Before any table is written: whether tables need flushing depends on every unit. */
	if (choose_domain_format())
		goto refuse;
	ir_wanted = true;
	for (unsigned int i = 0; i < unit_count; i++)
		ir_wanted = ir_wanted && (units[i].caps.ecap & VTD_ECAP_IR) && (units[i].caps.ecap & VTD_ECAP_QI);
	if (ir_wanted && !(irt = table_alloc(&irt_pa)))
		goto refuse;
	if (!ir_wanted)
		pr_warn("iommu: not every unit has interrupt remapping and queued invalidation: "
			"interrupt remapping off, device MSI/MSI-X refused");
	for (unsigned int i = 0; i < unit_count; i++)
		if (unit_enable(&units[i]))
			goto refuse;

	present = true;
	ir_enabled = ir_wanted;
	unsigned int covered = report_coverage();
	pr_info("iommu: DMA remapping enabled, all device DMA blocked (%u device(s) behind %u unit(s); "
		"domains: %d-level %s tables, %llu GiB of I/O address space, %u ids)",
		covered, unit_count, domain_levels, domain_format->name,
		(unsigned long long)(domain_limit / GiB), domain_ids);
	return 0;

refuse:
	pr_err("iommu: DMA remapping not available: device assignment refused");
	return -HV_EIO;
}

bool iommu_present(void)
{
	return present;
}

/* ---- Domains ---- */

struct iommu_domain *iommu_domain_create(void)
{
	if (!present)
		return NULL;
	for (unsigned int i = 0; i < IOMMU_MAX_DOMAINS; i++) {
		struct iommu_domain *d = &domains[i];

		/* Id 0 stays unused: under caching mode it tags not-present entries (6.1). */
		if (d->used || i + 1 >= domain_ids)
			continue;
		*d = (struct iommu_domain){ .used = true, .id = (uint16_t)(i + 1) };
		if (pt_create_levels(&d->pt, domain_format, &vtd_memory, domain_levels)) {
			d->used = false;
			return NULL;
		}
		return d;
	}
	return NULL;
}

static bool domain_has_devices(const struct iommu_domain *d)
{
	for (unsigned int i = 0; i < unit_count; i++)
		if (d->devices[i])
			return true;
	return false;
}

int iommu_domain_destroy(struct iommu_domain *d)
{
	if (domain_has_devices(d))
		return -HV_EBUSY;
	pt_destroy(&d->pt);
	d->used = false;
	return 0;
}

uint64_t iommu_domain_limit(const struct iommu_domain *d)
{
	(void)d;
	return domain_limit;
}

/* Drop the domain's cached translations wherever one of its devices may use them. */
static int domain_flush(struct iommu_domain *d)
{
	int err = 0;

	for (unsigned int i = 0; i < unit_count && !err; i++)
		if (d->devices[i])
			err = invalidate(&units[i], false, VTD_IOTLB_DOMAIN, d->id);
	return err;
}

int iommu_domain_map(struct iommu_domain *d, uint64_t iova, paddr_t pa, uint64_t size,
		     unsigned int flags)
{
	unsigned int attrs = (flags & IOMMU_WRITE ? PT_WRITE : 0) | (flags & IOMMU_UNCACHED ? PT_UNCACHED : 0);

	if (iova >= domain_limit || size > domain_limit - iova)
		return -HV_EINVAL;
	int err = pt_map(&d->pt, iova, pa, size, attrs, domain_sizes);
	/* Also after a partial map: replaced leaves may be cached. */
	int flushed = domain_flush(d);
	return err ? err : flushed;
}

int iommu_domain_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	int err = pt_unmap(&d->pt, iova, size);
	int flushed = domain_flush(d);

	return err ? err : flushed;
}

/* The context entry of sbdf on u, creating its bus's context table if asked; NULL if none. */
static struct vtd_context_entry *context_entry(struct vtd_unit *u, pci_sbdf_t sbdf, bool create)
{
	struct vtd_root_entry *root = &u->root[PCI_BUS(sbdf)];

	if (!(root->lo & VTD_ROOT_P)) {
		paddr_t table;

		if (!create || !table_alloc(&table))
			return NULL;
		*root = vtd_root_entry(table);
		tables_written(root, sizeof(*root));
	}
	struct vtd_context_entry *table = phys_to_virt(root->lo & VTD_ROOT_CTP);
	return &table[PCI_BDF(sbdf) & 0xff];
}

/* Identity-map every RMRR that names sbdf into d: the firmware's DMA keeps working. */
static int map_rmrrs(struct iommu_domain *d, pci_sbdf_t sbdf)
{
	const struct acpi_info *acpi = acpi_get();

	for (unsigned int i = 0; i < MIN(acpi->rmrr_count, ACPI_MAX_RMRR); i++) {
		const struct acpi_rmrr *r = &acpi->rmrr[i];
		uint64_t base, size;

		if (r->segment != PCI_SEG(sbdf) ||
		    !scope_names(r->scopes, MIN(r->scope_count, ACPI_MAX_SCOPES), r->segment, sbdf))
			continue;
		if (!vtd_rmrr_pages(r, &base, &size))
			return -HV_EINVAL;
		pr_info("iommu: %02x:%02x.%u: RMRR %#llx-%#llx identity-mapped into domain %u",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), (unsigned long long)r->base,
			(unsigned long long)r->limit, d->id);
		int err = pt_map(&d->pt, base, base, size, PT_WRITE, domain_sizes);
		if (err)
			return err;
	}
	return 0;
}

int iommu_attach(struct iommu_domain *d, pci_sbdf_t sbdf)
{
	struct vtd_unit *u = unit_of(sbdf);

	if (!present || !u)
		return -HV_ENODEV;
	struct vtd_context_entry *ce = context_entry(u, sbdf, true);
	if (!ce)
		return -HV_ENOMEM;
	if (ce->lo & VTD_CTX_LO_P)
		return -HV_EBUSY;
	int err = map_rmrrs(d, sbdf);
	if (err)
		return err;

	/* The half with P last: the unit must never see P with a stale domain id. */
	struct vtd_context_entry e = vtd_context_entry(d->pt.root_pa, domain_levels, d->id);
	ce->hi = e.hi;
	__asm__ volatile("" ::: "memory");
	ce->lo = e.lo;
	tables_written(ce, sizeof(*ce));
	d->devices[u->index]++;
	/* A not-present entry may be cached only under caching mode, tagged with id 0 (6.1). */
	return invalidate(u, true, VTD_CCMD_DOMAIN, u->caps.cap & VTD_CAP_CM ? 0 : d->id);
}

int iommu_detach(pci_sbdf_t sbdf)
{
	struct vtd_unit *u = unit_of(sbdf);
	struct vtd_context_entry *ce = u ? context_entry(u, sbdf, false) : NULL;

	if (!present || !ce || !(ce->lo & VTD_CTX_LO_P))
		return -HV_ENOENT;
	uint16_t did = (uint16_t)((ce->hi & VTD_CTX_HI_DID) >> VTD_CTX_HI_DID_SHIFT);
	ce->lo = 0;
	__asm__ volatile("" ::: "memory");
	ce->hi = 0;
	tables_written(ce, sizeof(*ce));
	for (unsigned int i = 0; i < IOMMU_MAX_DOMAINS; i++)
		if (domains[i].used && domains[i].id == did && domains[i].devices[u->index])
			domains[i].devices[u->index]--;
	return invalidate(u, true, VTD_CCMD_DOMAIN, did);
}

/* ---- Interrupt remapping (arch/intremap.h) ---- */

bool intremap_enabled(void)
{
	return ir_enabled;
}

/* Drop entry index (or all) from every unit's interrupt entry cache. */
static int iec_invalidate(int index)
{
	int err = 0;

	for (unsigned int i = 0; i < unit_count && !err; i++)
		err = queue_submit(&units[i], vtd_inv_iec_desc(index < 0, (uint16_t)(index < 0 ? 0 : index)));
	return err;
}

int intremap_alloc(uint8_t vector, bool level, uint16_t source_id)
{
	uint32_t apic = lapic_id();

	if (!ir_enabled)
		return -HV_ENODEV;
	if (apic > 0xff || vector < X86_NR_EXCEPTIONS)
		return -HV_EINVAL;
	for (int i = 0; i < (int)VTD_IRT_ENTRIES; i++) {
		if (irt_used[i / 8] & BIT(i % 8))
			continue;
		struct vtd_irte e = vtd_irte_remapped(vector, (uint8_t)apic, level, source_id);

		irt_used[i / 8] |= (uint8_t)BIT(i % 8);
		/* The half with P last: the unit must never see P with a stale source id. */
		irt[i].hi = e.hi;
		__asm__ volatile("" ::: "memory");
		irt[i].lo = e.lo;
		tables_written(&irt[i], sizeof(irt[i]));
		return iec_invalidate(i) ? -HV_EIO : i;
	}
	return -HV_ENOMEM;
}

int intremap_free(int index)
{
	if (!ir_enabled || index < 0 || index >= (int)VTD_IRT_ENTRIES || !(irt_used[index / 8] & BIT(index % 8)))
		return -HV_EINVAL;
	irt[index].lo = 0;
	__asm__ volatile("" ::: "memory");
	irt[index].hi = 0;
	tables_written(&irt[index], sizeof(irt[index]));
	irt_used[index / 8] &= (uint8_t)~BIT(index % 8);
	return iec_invalidate(index) ? -HV_EIO : 0;
}

int intremap_ioapic_source(uint8_t ioapic_id, uint16_t *source_id)
{
	for (unsigned int i = 0; i < unit_count; i++) {
		const struct acpi_drhd *h = units[i].drhd;

		for (unsigned int j = 0; j < MIN(h->scope_count, ACPI_MAX_SCOPES); j++)
			if (vtd_scope_ioapic_sid(&h->scopes[j], ioapic_id, source_id))
				return 0;
	}
	return -HV_ENOENT;
}

void intremap_msi_message(int index, uint32_t *address_lo, uint32_t *address_hi, uint32_t *data)
{
	*address_lo = vtd_msi_remap_address((uint16_t)index);
	*address_hi = 0;
	*data = VTD_MSI_REMAP_DATA;
}
