// SPDX-License-Identifier: MIT
/*
 * PCI ownership and what a VM sees of configuration space (hv/pci_owner.h,
 * docs/devices.md). The VM's accesses are hostile: any port, size, offset
 * and value reaches this code, and nothing here may panic or touch a
 * function the VM does not own.
 *
 * What an owner may write, and why the rest is dropped:
 *   command         I/O, memory decode and bus master: a driver needs them;
 *                   the rest (SERR#, parity, INTx disable...) stays the
 *                   hypervisor's (pci_irq.c sets INTx disable while the
 *                   owner is stopped)
 *   cache line size, latency timer: scratch values for software
 *   interrupt line  read-only: reads the owner's virtual vector for the
 *                   function's INTx (0xff: not routed), pci_irq.c
 *   BARs            sizing (all ones, then the original value) is emulated
 *                   from the sizes found at enumeration, never touching the
 *                   device; any other value would move the device under
 *                   the VM's EPT/NPT mappings: ignored, logged once
 *   MSI             an interrupt message is a raw DMA write naming any
 *                   vector: with interrupt remapping on, emulated (the
 *                   owner's writes go to a shadow, the device gets a
 *                   remappable message: pci_irq.c); without it refused,
 *                   logged once
 *   MSI-X           with interrupt remapping on, Enable and Function Mask
 *                   only (the table entries are emulated in the table:
 *                   pci_irq.c); without it refused like MSI
 *   everything else dropped: status (write-1-to-clear), ids, BIST, the ROM
 *                   BAR (reads 0: no ROM), and every other capability
 *                   (power management and PCIe device control can reset
 *                   the function, and a reset clears its BARs)
 */
#include <abi/errno.h>
#include <hv/console.h>
#include <hv/mm.h>
#include <hv/pci_owner.h>
#include <hv/policy.h>
#include <hv/string.h>

static struct pci_assigned table[POLICY_MAX_ASSIGNMENTS];
static size_t table_count;
static const struct policy *owners;	/* for VM names in log lines */
static uint8_t foreign_writes_logged[UHV_POLICY_MAX_VMS + 1];
#define FOREIGN_WRITES_LOGGED_MAX 3	/* per VM: enough to see an attack, not a flood */

#define PAGE_4K		4096ULL

/*
 * Where the MSI-X table and PBA are (PCI 3.0, 6.8.2.4, 6.8.2.5). The
 * table's pages are never mapped into the owner; a table the hypervisor
 * cannot emulate (outside its BAR, or beyond the direct map, through which
 * the hypervisor reaches it) is refused, named, and its pages still kept
 * from the owner.
 */
static void find_msix_table(struct pci_assigned *a)
{
	pci_sbdf_t sbdf = a->dev->sbdf;
	uint32_t where = pci_cfg_read32(sbdf, a->msix_cap + PCI_MSIX_TABLE);
	uint32_t pba = pci_cfg_read32(sbdf, a->msix_cap + PCI_MSIX_PBA);
	unsigned int bir = where & PCI_MSIX_BIR;
	uint32_t vectors = (pci_cfg_read16(sbdf, a->msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
	const struct pci_bar *bar = bir < PCI_NUM_BARS ? &a->dev->bars[bir] : NULL;
	uint64_t offset = where & PCI_MSIX_OFFSET;

	if (!bar || bar->type == PCI_BAR_NONE || bar->type == PCI_BAR_IO || !bar->base) {
		pr_warn("pci: %02x:%02x.%u MSI-X table in BAR%u, which is not an assigned memory BAR",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), bir);
		return;
	}
	a->msix_bar = (int)bir;
	a->msix_table = bar->base + offset;
	a->msix_table_size = (uint64_t)vectors * MSIX_ENTRY_SIZE;
	if ((pba & PCI_MSIX_BIR) == bir) {
		a->msix_pba = bar->base + (pba & PCI_MSIX_OFFSET);
		a->msix_pba_size = ALIGN_UP((uint64_t)vectors, 64) / 8;	/* one bit per entry, in qwords */
	}
	/* The pages the owner does not get, clipped to the BAR's own pages. */
	uint64_t bar_end = ALIGN_UP(bar->base + bar->size, PAGE_4K);
	a->msix_page = MIN(ALIGN_DOWN(a->msix_table, PAGE_4K), bar_end);
	a->msix_page_end = MIN(ALIGN_UP(a->msix_table + a->msix_table_size, PAGE_4K), bar_end);
	if (offset + a->msix_table_size > bar->size)
		a->msix_refused = "the table reaches beyond its BAR";
	else if (!remap_reachable(a->msix_page, a->msix_page_end - a->msix_page))
		a->msix_refused = "the table lies beyond the hypervisor's direct map (64 TiB): it cannot reach it";
	if (a->msix_refused)
		pr_warn("pci: %02x:%02x.%u MSI-X refused: table at %#llx (%u entries, BAR%u): %s",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), (unsigned long long)a->msix_table, vectors, bir,
			a->msix_refused);
}

int pci_owner_init(const struct policy *pol)
{
	table_count = 0;
	owners = pol;
	memset(foreign_writes_logged, 0, sizeof(foreign_writes_logged));
	for (uint32_t i = 0; i < pol->assignment_count && i < ARRAY_SIZE(table); i++) {
		const struct policy_assignment *pa = &pol->assignments[i];
		const struct pci_device *dev = pci_find(pa->sbdf);
		struct pci_assigned *a = &table[table_count];

		if (!dev)
			return -HV_ENODEV;
		*a = (struct pci_assigned){ .dev = dev, .owner = pa->owner, .msix_bar = -1 };
		memcpy(a->owner_name, pol->vms[pa->owner - 1].name, sizeof(a->owner_name));
		memcpy(a->record, pol->devices[pa->device].name, sizeof(a->record));
		a->msi_cap = pci_find_cap(dev, PCI_CAP_ID_MSI);
		if (a->msi_cap) {
			msi_cap_layout(pci_cfg_read16(dev->sbdf, a->msi_cap + PCI_MSI_FLAGS), &a->msi_layout);
			a->msi_cap_len = a->msi_layout.len;
		}
		a->msix_cap = pci_find_cap(dev, PCI_CAP_ID_MSIX);
		if (a->msix_cap) {
			a->msix_cap_len = PCI_MSIX_CAP_LEN;
			find_msix_table(a);
		}
		table_count++;
	}
	return (int)table_count;
}

uint32_t pci_owner(pci_sbdf_t sbdf)
{
	for (size_t i = 0; i < table_count; i++)
		if (table[i].dev->sbdf == sbdf)
			return table[i].owner;
	return 0;
}

struct pci_assigned *pci_owner_next(uint32_t vm, size_t *cursor)
{
	while (*cursor < table_count) {
		struct pci_assigned *a = &table[(*cursor)++];

		if (a->owner == vm)
			return a;
	}
	return NULL;
}

struct pci_assigned *pci_owner_msix_page_at(uint32_t vm, uint64_t gpa)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));)
		if (a->msix_bar >= 0 && gpa >= a->msix_page && gpa < a->msix_page_end)
			return a;
	return NULL;
}

void pci_owner_reset(uint32_t vm)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));) {
		uint16_t cmd = pci_cfg_read16(a->dev->sbdf, PCI_COMMAND);

		if (cmd & PCI_OWNER_COMMAND_BITS)
			pci_cfg_write16(a->dev->sbdf, PCI_COMMAND, cmd & ~(uint16_t)PCI_OWNER_COMMAND_BITS);
		a->bar_sizing = 0;
		a->relocation_logged = false;
		a->msi_write_logged = false;
		a->msg_lines_logged = 0;
		a->msi_shadow = (struct msi_cap_shadow){ 0 };
	}
}

/* ---- Configuration space as the owner sees it. ---- */

static struct pci_assigned *assigned_to(uint32_t vm, pci_sbdf_t sbdf)
{
	for (size_t i = 0; i < table_count; i++)
		if (table[i].dev->sbdf == sbdf && table[i].owner == vm)
			return &table[i];
	return NULL;
}

static uint32_t size_mask(unsigned int size)
{
	return size == 4 ? UINT32_MAX : (1U << (size * 8)) - 1;
}

/* The bits of BAR register n that hold an address; the rest describe the BAR and are read-only. */
static uint32_t bar_address_bits(const struct pci_device *d, unsigned int n)
{
	if (n > 0 && d->bars[n - 1].type == PCI_BAR_MEM64)
		return UINT32_MAX;	/* the upper half of a 64-bit BAR */
	switch (d->bars[n].type) {
	case PCI_BAR_IO:	return PCI_BASE_ADDRESS_IO_MASK;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64:	return PCI_BASE_ADDRESS_MEM_MASK;
	default:		return UINT32_MAX;
	}
}

/* BAR register n as the owner reads it: the device's value, or the size mask after all ones. */
static uint32_t bar_read(const struct pci_assigned *a, unsigned int n)
{
	const struct pci_device *d = a->dev;
	uint32_t real = pci_cfg_read32(d->sbdf, PCI_BASE_ADDRESS(n));
	uint32_t addr = bar_address_bits(d, n);

	if (!(a->bar_sizing & BIT(n)))
		return real;
	if (n > 0 && d->bars[n - 1].type == PCI_BAR_MEM64)
		return (uint32_t)(~(d->bars[n - 1].size - 1) >> 32);
	if (d->bars[n].type == PCI_BAR_NONE)
		return 0;		/* unimplemented: no address bit sticks */
	return ((uint32_t)~(d->bars[n].size - 1) & addr) | (real & ~addr);
}

static void bar_write(struct pci_assigned *a, unsigned int n, uint32_t value)
{
	const struct pci_device *d = a->dev;
	uint32_t real = pci_cfg_read32(d->sbdf, PCI_BASE_ADDRESS(n));
	uint32_t addr = bar_address_bits(d, n);

	if (value == UINT32_MAX) {
		a->bar_sizing |= (uint8_t)BIT(n);
		return;
	}
	a->bar_sizing &= (uint8_t)~BIT(n);
	if ((value & addr) == (real & addr))
		return;			/* the original address back: the end of sizing */
	if (!a->relocation_logged)
		pr_warn("pci: vm '%s': %02x:%02x.%u BAR%u relocation to %#x refused "
			"(BARs stay where the firmware put them)", a->owner_name, PCI_BUS(d->sbdf),
			PCI_DEV(d->sbdf), PCI_FN(d->sbdf), n, value);
	a->relocation_logged = true;
}

/* The virtual value of the dword at reg (4-aligned, below 0x100). */
static uint32_t vcfg_read_dword(const struct pci_assigned *a, uint16_t reg)
{
	if (reg >= PCI_BASE_ADDRESS_0 && reg < PCI_BASE_ADDRESS(PCI_NUM_BARS))
		return bar_read(a, (reg - PCI_BASE_ADDRESS_0) / 4);
	if (reg == PCI_ROM_ADDRESS)
		return 0;		/* no ROM: its BAR is not the owner's to move */
	return pci_cfg_read32(a->dev->sbdf, reg);
}

static uint32_t vcfg_read(const struct pci_assigned *a, uint16_t off, unsigned int size)
{
	uint16_t reg = off & ~3;

	if (reg == PCI_INTERRUPT_LINE) {
		uint32_t dword = pci_cfg_read32(a->dev->sbdf, reg);

		dword = (dword & ~0xffU) | (a->intx_vector ? a->intx_vector : 0xff);
		return (dword >> ((off & 3) * 8)) & size_mask(size);
	}

	/* The MSI capability, emulated: the owner reads back what it wrote. */
	if (a->msi_emulated && off >= a->msi_cap && off < a->msi_cap + a->msi_cap_len)
		return msi_cap_read(&a->msi_layout, &a->msi_shadow, (uint16_t)(off - a->msi_cap), size,
				    pci_cfg_read(a->dev->sbdf, off, size));

	/* Registers that are not emulated are read at the exact size: no wider access than the VM made. */
	if ((reg >= PCI_BASE_ADDRESS_0 && reg < PCI_BASE_ADDRESS(PCI_NUM_BARS)) || reg == PCI_ROM_ADDRESS)
		return (vcfg_read_dword(a, reg) >> ((off & 3) * 8)) & size_mask(size);
	return pci_cfg_read(a->dev->sbdf, off, size);
}

static bool in_cap(uint16_t off, unsigned int size, uint16_t cap, uint16_t len)
{
	return cap && off < cap + len && off + size > cap;
}

/* Write the bytes of [off, off + size) that fall on an allowed one-byte register. */
static void write_allowed_byte(struct pci_assigned *a, uint16_t off, unsigned int size, uint32_t value,
			       uint16_t reg)
{
	if (reg >= off && reg < off + size)
		pci_cfg_write(a->dev->sbdf, reg, 1, (value >> ((reg - off) * 8)) & 0xff);
}

static void vcfg_write(struct pci_assigned *a, uint16_t off, unsigned int size, uint32_t value)
{
	pci_sbdf_t sbdf = a->dev->sbdf;
	uint16_t reg = off & ~3;
	unsigned int shift = (off & 3) * 8;
	uint32_t bytes = size_mask(size) << shift;

	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) {
		/* The command bytes the access covers; the status half is write-1-to-clear: dropped. */
		uint16_t cmd = pci_cfg_read16(sbdf, PCI_COMMAND), want = cmd;

		for (unsigned int i = 0; i < size; i++) {
			unsigned int at = off + i;

			if (at == PCI_COMMAND || at == PCI_COMMAND + 1) {
				unsigned int s = (at - PCI_COMMAND) * 8;

				want = (uint16_t)((want & ~(0xffU << s)) | (((value >> (i * 8)) & 0xff) << s));
			}
		}
		want = (uint16_t)((cmd & ~PCI_OWNER_COMMAND_BITS) | (want & PCI_OWNER_COMMAND_BITS));
		if (want != cmd)
			pci_cfg_write16(sbdf, PCI_COMMAND, want);
		return;
	}
	if (reg == PCI_CACHE_LINE_SIZE) {
		write_allowed_byte(a, off, size, value, PCI_CACHE_LINE_SIZE);
		write_allowed_byte(a, off, size, value, PCI_LATENCY_TIMER);
		return;
	}
	if (reg >= PCI_BASE_ADDRESS_0 && reg < PCI_BASE_ADDRESS(PCI_NUM_BARS)) {
		/* A partial write changes the bytes it covers of the value the owner sees. */
		uint32_t cur = vcfg_read_dword(a, reg);

		bar_write(a, (reg - PCI_BASE_ADDRESS_0) / 4, (cur & ~bytes) | ((value << shift) & bytes));
		return;
	}
	/*
	 * MSI-X message control, upper byte: Enable (15) and Function Mask (14)
	 * only, and only once interrupt remapping is on: pci_irq.c decides what
	 * the device gets (the table entries are emulated there too). Bytes of
	 * the capability that are read-only anyway (id, next, the rest of
	 * message control) are dropped without a word when a write also covers
	 * this one.
	 */
	if (a->msix_writable && off >= a->msix_cap && off + size <= (unsigned int)a->msix_cap + PCI_MSIX_FLAGS + 2 &&
	    in_cap(off, size, a->msix_cap + PCI_MSIX_FLAGS + 1, 1)) {
		pci_irq_msix_control_write(a, (uint8_t)(value >> ((a->msix_cap + PCI_MSIX_FLAGS + 1 - off) * 8)));
		return;
	}
	/* The MSI capability: into the shadow; the device gets only remappable messages (pci_irq.c). */
	if (a->msi_emulated && in_cap(off, size, a->msi_cap, a->msi_cap_len)) {
		pci_irq_msi_cap_write(a, (uint16_t)(off - a->msi_cap), size, value);
		return;
	}
	if (in_cap(off, size, a->msi_cap, a->msi_cap_len) || in_cap(off, size, a->msix_cap, a->msix_cap_len)) {
		if (!a->msi_write_logged)
			pr_warn("pci: vm '%s': %02x:%02x.%u write to its %s capability at %#x refused "
				"(%s)", a->owner_name, PCI_BUS(sbdf),
				PCI_DEV(sbdf), PCI_FN(sbdf),
				in_cap(off, size, a->msi_cap, a->msi_cap_len) ? "MSI" : "MSI-X", off,
				a->msix_writable ? "only MSI-X Enable and Function Mask are writable; the table "
				"entries are in the table" : a->msix_refused && !in_cap(off, size, a->msi_cap,
				a->msi_cap_len) ? a->msix_refused : "no interrupt remapping: a raw message could "
				"name any vector");
		a->msi_write_logged = true;
	}
	/* Everything else is dropped (see the top of this file). */
}

/*
 * A write to a function that exists but belongs to someone else (or to
 * no one): ignored like any write to an empty slot, but worth a line, since
 * probing is done with reads.
 */
static void log_foreign_write(uint32_t vm, pci_sbdf_t sbdf, uint16_t off, uint32_t value)
{
	if (!owners || vm == 0 || vm > owners->vm_count || vm >= ARRAY_SIZE(foreign_writes_logged) ||
	    foreign_writes_logged[vm] >= FOREIGN_WRITES_LOGGED_MAX)
		return;
	foreign_writes_logged[vm]++;
	pr_warn("pci: vm '%s': write of %#x to %02x:%02x.%u register %#x ignored: not its device",
		owners->vms[vm - 1].name, value, PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), off);
}

bool vpci_port_io(uint32_t vm, uint32_t *config_address, uint16_t port, unsigned int size, bool in,
		  uint32_t *value)
{
	if (port == PCI_CONFIG_ADDRESS_PORT && size == 4) {
		/* Reserved bits 30:24 and 1:0 read back as 0. */
		if (in)
			*value = *config_address;
		else
			*config_address = *value & PCI_CONFIG_ADDRESS_BITS;
		return true;
	}
	if (port < PCI_CONFIG_DATA_PORT || port > PCI_CONFIG_DATA_PORT + 3)
		return false;
	/* Natural alignment inside the data dword: the byte enables of one configuration cycle. */
	if ((size != 1 && size != 2 && size != 4) || (port & (size - 1)))
		return false;

	uint32_t addr = *config_address;
	pci_sbdf_t sbdf = PCI_SBDF(0, (addr >> 16) & 0xff, (addr >> 11) & 0x1f, (addr >> 8) & 0x7);
	uint16_t off = (uint16_t)((addr & 0xfc) | (port & 3));

	if (addr & PCI_CONFIG_ADDRESS_ENABLE_BIT)
		vpci_cfg_access(vm, sbdf, off, size, !in, value);
	else if (in)
		*value = size_mask(size);	/* no configuration cycle at all: nothing answers */
	return true;
}

void vpci_cfg_access(uint32_t vm, pci_sbdf_t sbdf, uint16_t off, unsigned int size, bool write, uint32_t *value)
{
	struct pci_assigned *a = assigned_to(vm, sbdf);

	/* Not its own: nothing answers, as for an empty slot. */
	if (!write)
		*value = a ? vcfg_read(a, off, size) : size_mask(size);
	else if (a)
		vcfg_write(a, off, size, *value & size_mask(size));
	else if (pci_find(sbdf))
		log_foreign_write(vm, sbdf, off, *value & size_mask(size));
}
