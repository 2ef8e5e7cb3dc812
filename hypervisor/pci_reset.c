// SPDX-License-Identifier: MIT
/*
 * Function-level reset of an assigned function (hv/pci_reset.h). The
 * function's owner is stopped; its configuration space is read and written
 * here by the hypervisor only.
 *
 * Functions without FLR (conventional PCI devices such as the e1000) are
 * not reset: their own reset registers live in their BARs, in a device-
 * specific format, and driving them is a driver's business, not ring 0's.
 * What holds for them is the quiesce: decoding and bus mastering off and
 * every requester id detached from the IOMMU, so nothing the old driver
 * left programmed can reach memory; the next start of the IOVM resets its
 * device itself before use.
 */
#include <abi/errno.h>
#include <hv/console.h>
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

int pci_reset_function(const struct pci_device *dev, enum pci_reset_method *method)
{
	uint16_t exp = pci_find_cap(dev, PCI_CAP_ID_EXP);

	*method = PCI_RESET_NONE;
	if (!exp || !(pci_cfg_read32(dev->sbdf, exp + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR))
		return 0;
	*method = PCI_RESET_FLR;
	return flr(dev, exp);
}
