// SPDX-License-Identifier: MIT
/*
 * Function-level reset of an assigned function (hv/pci_reset.h). The
 * function's owner is stopped; its configuration space is read and written
 * here by the hypervisor only.
 *
 * Functions without FLR (conventional PCI devices such as the e1000) get
 * their device-specific reset if the table below knows them: one register
 * write, the minimum ring 0 must know of a device so that the next owner
 * starts from a device that has forgotten its rings and raises no
 * interrupt. For any other function what holds is the quiesce: decoding
 * and bus mastering off and every requester id detached from the IOMMU,
 * so nothing the old driver left programmed can reach memory; the next
 * start of the IOVM resets its device itself before use.
 */
#include <abi/errno.h>
#include <arch/io.h>
#include <hv/console.h>
#include <hv/mm.h>
#include <hv/pci_reset.h>
#include <hv/time.h>

#define POLL_STEP_US	1000

/* The header registers an FLR clears that belong to the hypervisor, not to the owner. */
struct saved_header {
	uint32_t bars[PCI_NUM_BARS];
	uint8_t cache_line_size, latency_timer, interrupt_line;
};

static void save_header(const struct pci_device *d, struct saved_header *s)
{
	for (unsigned int i = 0; i < d->bar_count; i++)
		s->bars[i] = pci_cfg_read32(d->sbdf, PCI_BASE_ADDRESS(i));
	s->cache_line_size = pci_cfg_read8(d->sbdf, PCI_CACHE_LINE_SIZE);
	s->latency_timer = pci_cfg_read8(d->sbdf, PCI_LATENCY_TIMER);
	s->interrupt_line = pci_cfg_read8(d->sbdf, PCI_INTERRUPT_LINE);
}

/* Write the saved values back (decoding is off: moving BARs is harmless); false if a BAR differs. */
static bool restore_header(const struct pci_device *d, const struct saved_header *s)
{
	bool ok = true;

	for (unsigned int i = 0; i < d->bar_count; i++)
		pci_cfg_write32(d->sbdf, PCI_BASE_ADDRESS(i), s->bars[i]);
	pci_cfg_write(d->sbdf, PCI_CACHE_LINE_SIZE, 1, s->cache_line_size);
	pci_cfg_write(d->sbdf, PCI_LATENCY_TIMER, 1, s->latency_timer);
	pci_cfg_write(d->sbdf, PCI_INTERRUPT_LINE, 1, s->interrupt_line);
	for (unsigned int i = 0; i < d->bar_count; i++)
		if (pci_cfg_read32(d->sbdf, PCI_BASE_ADDRESS(i)) != s->bars[i])
			ok = false;
	return ok;
}

/* Poll until (read16(off) & mask) == 0, at most limit_us; true if it got there. */
static bool wait_clear16(pci_sbdf_t sbdf, uint16_t off, uint16_t mask, uint64_t limit_us)
{
	for (uint64_t waited = 0;; waited += POLL_STEP_US) {
		if (!(pci_cfg_read16(sbdf, off) & mask))
			return true;
		if (waited >= limit_us)
			return false;
		time_delay_us(POLL_STEP_US);
	}
}

static bool function_answers(pci_sbdf_t sbdf, uint16_t vendor)
{
	return pci_cfg_read16(sbdf, PCI_VENDOR_ID) == vendor;
}

static int flr(const struct pci_device *d, uint16_t exp)
{
	pci_sbdf_t sbdf = d->sbdf;
	struct saved_header saved;

	save_header(d, &saved);
	/* PCIe base 4.0, 6.6.2: software should let outstanding requests complete first. */
	if (!wait_clear16(sbdf, exp + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_TRPND, PCI_FLR_PENDING_WAIT_US))
		pr_warn("pci: %02x:%02x.%u still has transactions pending after %u ms: resetting anyway",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), PCI_FLR_PENDING_WAIT_US / 1000);
	uint16_t ctl = pci_cfg_read16(sbdf, exp + PCI_EXP_DEVCTL);
	pci_cfg_write16(sbdf, exp + PCI_EXP_DEVCTL, ctl | PCI_EXP_DEVCTL_BCR_FLR);
	time_delay_us(PCI_FLR_WAIT_US);
	/* A function still initialising may answer all ones (or retry) for a while longer. */
	uint64_t waited = 0;
	while (!function_answers(sbdf, d->vendor_id) && waited < PCI_FLR_READY_WAIT_US) {
		time_delay_us(POLL_STEP_US);
		waited += POLL_STEP_US;
	}
	if (!function_answers(sbdf, d->vendor_id)) {
		pr_err("pci: %02x:%02x.%u does not answer %u ms after its function-level reset",
		       PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), (PCI_FLR_WAIT_US + PCI_FLR_READY_WAIT_US) / 1000);
		return -HV_EIO;
	}
	if (!restore_header(d, &saved)) {
		pr_err("pci: %02x:%02x.%u BARs do not take their addresses back after its function-level reset",
		       PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf));
		return -HV_EIO;
	}
	return 0;
}

/*
 * Intel 8254x/8257x Gigabit Ethernet (e1000, e1000e): Device Control
 * Register bit 26 RST resets the whole MAC (the descriptor rings, every
 * enable bit) and clears itself; interrupt causes are masked through IMC
 * (PCI/PCI-X Family of GbE Controllers SDM 13.4.1, 13.4.21).
 */
#define E1000_CTRL		0x0000
#define E1000_CTRL_RST		(1U << 26)
#define E1000_IMC		0x00d8
#define E1000_REGS_MIN		0x1000	/* the registers used here, in BAR 0 */
#define E1000_RESET_WAIT_US	10000	/* the bit clears within microseconds on real parts */

static int e1000_reset(const struct pci_device *d)
{
	const struct pci_bar *bar = &d->bars[0];

	if ((bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64) || !bar->base ||
	    bar->size < E1000_REGS_MIN || !remap_reachable(bar->base, E1000_REGS_MIN))
		return -HV_ENODEV;
	volatile uint32_t *regs = ioremap(bar->base, E1000_REGS_MIN);
	if (!regs)
		return -HV_ENODEV;

	/* Decode only (no DMA); INTx Disable, which pci_irq.c set for the stopped owner, stays. */
	uint16_t cmd = pci_cfg_read16(d->sbdf, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
	pci_cfg_write16(d->sbdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	mmio_write32(&regs[E1000_CTRL / 4], mmio_read32(&regs[E1000_CTRL / 4]) | E1000_CTRL_RST);
	uint64_t waited = 0;
	time_delay_us(1);	/* the manual: at least 1 us before the next access */
	while ((mmio_read32(&regs[E1000_CTRL / 4]) & E1000_CTRL_RST) && waited < E1000_RESET_WAIT_US) {
		time_delay_us(POLL_STEP_US);
		waited += POLL_STEP_US;
	}
	bool done = !(mmio_read32(&regs[E1000_CTRL / 4]) & E1000_CTRL_RST);
	mmio_write32(&regs[E1000_IMC / 4], UINT32_MAX);
	pci_cfg_write16(d->sbdf, PCI_COMMAND, cmd);
	if (!done) {
		pr_err("pci: %02x:%02x.%u: CTRL.RST still set %u ms after the device reset", PCI_BUS(d->sbdf),
		       PCI_DEV(d->sbdf), PCI_FN(d->sbdf), E1000_RESET_WAIT_US / 1000);
		return -HV_EIO;
	}
	return 0;
}

/* Devices without FLR whose own reset the hypervisor knows. */
static const struct {
	uint16_t vendor, device;
	int (*reset)(const struct pci_device *d);
} device_resets[] = {
	{ 0x8086, 0x100e, e1000_reset },	/* 82540EM (QEMU e1000, Bochs e1000) */
	{ 0x8086, 0x100f, e1000_reset },	/* 82545EM */
	{ 0x8086, 0x10d3, e1000_reset },	/* 82574L (QEMU e1000e) */
};

int pci_reset_function(const struct pci_device *dev, enum pci_reset_method *method)
{
	uint16_t exp = pci_find_cap(dev, PCI_CAP_ID_EXP);

	*method = PCI_RESET_NONE;
	if (exp && (pci_cfg_read32(dev->sbdf, exp + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR)) {
		*method = PCI_RESET_FLR;
		return flr(dev, exp);
	}
	for (size_t i = 0; i < ARRAY_SIZE(device_resets); i++) {
		if (device_resets[i].vendor == dev->vendor_id && device_resets[i].device == dev->device_id) {
			int err = device_resets[i].reset(dev);

			if (err == -HV_ENODEV)
				return 0;	/* its registers are out of reach: quiesced only */
			*method = PCI_RESET_DEVICE;
			return err;
		}
	}
	return 0;
}
