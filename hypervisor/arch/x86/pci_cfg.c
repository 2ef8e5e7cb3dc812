// SPDX-License-Identifier: MIT
/*
 * PCI configuration access on x86.
 *
 * ECAM (PCIe base 4.0, 7.2.2) when the ACPI MCFG table describes it: each
 * function's 4 KiB of configuration space is memory-mapped at
 * base + (bus << 20 | device << 15 | function << 12). Otherwise
 * configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): the address goes to port
 * 0xCF8, the data moves through 0xCFC-0xCFF; it reaches segment 0 and the
 * first 256 bytes of each function only.
 *
 * Mechanism #1 takes two port accesses per register: once more than one
 * CPU runs, the pair must sit under a lock.
 */
#include <abi/errno.h>
#include <arch/io.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/pci.h>

#define PCI_CONFIG_ADDRESS		0xcf8
# define PCI_CONFIG_ADDRESS_ENABLE	BIT(31)
# define PCI_CONFIG_ADDRESS_BUS_SHIFT	16
# define PCI_CONFIG_ADDRESS_DEV_SHIFT	11
# define PCI_CONFIG_ADDRESS_FN_SHIFT	8
# define PCI_CONFIG_ADDRESS_REG_MASK	GENMASK(7, 2)
#define PCI_CONFIG_DATA			0xcfc

#define ECAM_BUS_SHIFT			20
#define ECAM_BUS_SIZE			(1ULL << ECAM_BUS_SHIFT)	/* 32 devices x 8 functions x 4 KiB */

struct ecam_window {
	uint16_t segment;
	uint8_t bus_start, bus_end;
	volatile uint8_t *va;		/* configuration space of bus_start, device 0, function 0 */
};

static struct ecam_window ecam[ACPI_MAX_MCFG];
static unsigned int ecam_count;
static bool port_access;		/* mechanism #1 answered */

static const struct ecam_window *ecam_lookup(pci_sbdf_t sbdf)
{
	for (unsigned int i = 0; i < ecam_count; i++)
		if (ecam[i].segment == PCI_SEG(sbdf) &&
		    PCI_BUS(sbdf) >= ecam[i].bus_start && PCI_BUS(sbdf) <= ecam[i].bus_end)
			return &ecam[i];
	return NULL;
}

static volatile void *ecam_address(const struct ecam_window *w, pci_sbdf_t sbdf, uint16_t offset)
{
	uint64_t rel = ((uint64_t)(PCI_BUS(sbdf) - w->bus_start) << ECAM_BUS_SHIFT) |
		       ((uint64_t)(PCI_BDF(sbdf) & 0xff) << 12) | offset;

	return w->va + rel;
}

static uint32_t port_address(pci_sbdf_t sbdf, uint16_t offset)
{
	return PCI_CONFIG_ADDRESS_ENABLE |
	       (uint32_t)PCI_BUS(sbdf) << PCI_CONFIG_ADDRESS_BUS_SHIFT |
	       (uint32_t)PCI_DEV(sbdf) << PCI_CONFIG_ADDRESS_DEV_SHIFT |
	       (uint32_t)PCI_FN(sbdf) << PCI_CONFIG_ADDRESS_FN_SHIFT |
	       (offset & PCI_CONFIG_ADDRESS_REG_MASK);
}

static uint32_t port_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	/* The byte enables come from the data port address: 0xCFC + (offset & 3). */
	uint16_t data = (uint16_t)(PCI_CONFIG_DATA + (offset & 3));

	outl(PCI_CONFIG_ADDRESS, port_address(sbdf, offset));
	switch (size) {
	case 1: return inb(data);
	case 2: return inw(data);
	default: return inl(data);
	}
}

static void port_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t v)
{
	uint16_t data = (uint16_t)(PCI_CONFIG_DATA + (offset & 3));

	outl(PCI_CONFIG_ADDRESS, port_address(sbdf, offset));
	switch (size) {
	case 1: outb(data, (uint8_t)v); break;
	case 2: outw(data, (uint16_t)v); break;
	default: outl(data, v); break;
	}
}

static void check_access(uint16_t offset, unsigned int size)
{
	BUG_ON(size != 1 && size != 2 && size != 4);
	BUG_ON(offset & (size - 1));
}

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	uint32_t all_ones = size == 4 ? UINT32_MAX : (uint32_t)GENMASK(size * 8 - 1, 0);
	const struct ecam_window *w;

	check_access(offset, size);
	if (offset >= PCI_CFG_SPACE_EXP_SIZE)
		return all_ones;
	w = ecam_lookup(sbdf);
	if (w) {
		volatile void *a = ecam_address(w, sbdf, offset);

		switch (size) {
		case 1: return mmio_read8(a);
		case 2: return mmio_read16(a);
		default: return mmio_read32(a);
		}
	}
	if (port_access && PCI_SEG(sbdf) == 0 && offset < PCI_CFG_SPACE_SIZE)
		return port_read(sbdf, offset, size);
	return all_ones;
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	const struct ecam_window *w;

	check_access(offset, size);
	if (offset >= PCI_CFG_SPACE_EXP_SIZE)
		return;
	w = ecam_lookup(sbdf);
	if (w) {
		volatile void *a = ecam_address(w, sbdf, offset);

		switch (size) {
		case 1: mmio_write8(a, (uint8_t)value); break;
		case 2: mmio_write16(a, (uint16_t)value); break;
		default: mmio_write32(a, value); break;
		}
		return;
	}
	if (port_access && PCI_SEG(sbdf) == 0 && offset < PCI_CFG_SPACE_SIZE)
		port_write(sbdf, offset, size, value);
}

/*
 * Does mechanism #1 exist? A host bridge that implements it latches the
 * enable bit in CONFIG_ADDRESS; the old probe from Linux's pci_check_type1
 * (write 0x80000000, read it back), with the previous value restored.
 */
static bool port_access_probe(void)
{
	uint32_t saved = inl(PCI_CONFIG_ADDRESS);
	bool ok;

	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ADDRESS_ENABLE);
	ok = inl(PCI_CONFIG_ADDRESS) == PCI_CONFIG_ADDRESS_ENABLE;
	outl(PCI_CONFIG_ADDRESS, saved);
	return ok;
}

/* Validate one MCFG entry and map its buses. */
static int ecam_add(const struct acpi_mcfg_segment *m)
{
	uint64_t nbuses, first;

	if (m->bus_end < m->bus_start || !IS_ALIGNED(m->base, ECAM_BUS_SIZE)) {
		pr_warn("pci: MCFG entry %#llx segment %u buses %02x-%02x is malformed, ignored",
			(unsigned long long)m->base, m->segment, m->bus_start, m->bus_end);
		return -HV_EBADMSG;
	}
	nbuses = (uint64_t)m->bus_end - m->bus_start + 1;
	first = m->base + ((uint64_t)m->bus_start << ECAM_BUS_SHIFT);
	if (range_wraps(first, nbuses * ECAM_BUS_SIZE))
		return -HV_EBADMSG;

	ecam[ecam_count] = (struct ecam_window){
		.segment = m->segment,
		.bus_start = m->bus_start,
		.bus_end = m->bus_end,
		.va = ioremap(first, nbuses * ECAM_BUS_SIZE),
	};
	pr_info("pci: ECAM segment %u buses %02x-%02x at %#llx", m->segment, m->bus_start,
		m->bus_end, (unsigned long long)first);
	ecam_count++;
	return 0;
}

/*
 * Firmware has been known to describe ECAM that is not there. Where both
 * methods reach 00:00.0, they must agree on its identity, or the ECAM
 * window is dropped and the ports carry on.
 */
static bool ecam_agrees_with_ports(const struct ecam_window *w)
{
	uint32_t via_ecam, via_ports;

	if (!port_access || w->segment != 0 || w->bus_start != 0)
		return true;
	via_ecam = mmio_read32(ecam_address(w, PCI_SBDF(0, 0, 0, 0), PCI_VENDOR_ID));
	via_ports = port_read(PCI_SBDF(0, 0, 0, 0), PCI_VENDOR_ID, 4);
	if (via_ecam == via_ports)
		return true;
	pr_warn("pci: ECAM reads %#x at 00:00.0 where the ports read %#x: ECAM not used",
		via_ecam, via_ports);
	return false;
}

int pci_cfg_init(struct pci_cfg_range *ranges, size_t max)
{
	const struct acpi_info *acpi = acpi_get();
	size_t n = 0;

	port_access = port_access_probe();
	ecam_count = 0;
	for (uint32_t i = 0; i < acpi->mcfg_count && i < ARRAY_SIZE(ecam) && n < max; i++) {
		if (ecam_add(&acpi->mcfg[i]))
			continue;
		if (!ecam_agrees_with_ports(&ecam[ecam_count - 1])) {
			ecam_count--;
			continue;
		}
		ranges[n++] = (struct pci_cfg_range){
			.segment = acpi->mcfg[i].segment,
			.bus_start = acpi->mcfg[i].bus_start,
			.bus_end = acpi->mcfg[i].bus_end,
			.extended = true,
		};
	}
	if (n)
		return (int)n;

	if (!port_access || !max)
		return -HV_ENODEV;
	pr_info("pci: no usable MCFG: configuration mechanism #1 (ports %#x/%#x)",
		PCI_CONFIG_ADDRESS, PCI_CONFIG_DATA);
	ranges[0] = (struct pci_cfg_range){ .segment = 0, .bus_start = 0, .bus_end = 0xff };
	return 1;
}
