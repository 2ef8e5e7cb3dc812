/* SPDX-License-Identifier: MIT */
/*
 * Resetting an assigned PCI function between owners (docs/devices.md,
 * "Device reset"): after an IOVM stops, whatever its driver programmed
 * (queues, DMA addresses, enable bits) must not survive into the next
 * start. Pure logic over pci_cfg_read/write and time_delay_us: host-tested
 * against a simulated function.
 */
#ifndef HV_PCI_RESET_H
#define HV_PCI_RESET_H

#include <hv/pci.h>

enum pci_reset_method {
	PCI_RESET_NONE,		/* no reset the hypervisor can do: quiesced only */
	PCI_RESET_FLR,		/* PCIe function-level reset */
};

/* How long a function has after Initiate FLR before it must answer again (PCIe base 4.0, 6.6.2). */
#define PCI_FLR_WAIT_US			100000
/* How long to wait for outstanding transactions before the FLR, and for the function after it. */
#define PCI_FLR_PENDING_WAIT_US		100000
#define PCI_FLR_READY_WAIT_US		1000000

/*
 * Reset dev by the best method it offers, with decoding and bus mastering
 * already off (pci_owner_reset) and its DMA detached. With FLR (the PCIe
 * capability's Device Capabilities advertise it): wait (bounded) for
 * Transactions Pending to clear, Initiate FLR, wait 100 ms, wait (bounded)
 * until the function answers configuration reads, and write back what the
 * reset cleared that the hypervisor owns: the BARs (firmware's addresses,
 * which the owner's EPT/NPT maps), cache line size, latency timer and
 * interrupt line. The command register stays 0. Busy-waits: at least
 * 100 ms per function with FLR.
 *
 * Returns the method used (*method), and 0; or -HV_EIO if the function
 * did not come back or its BARs did not take their values again: it is
 * left with decoding and bus mastering off.
 */
int pci_reset_function(const struct pci_device *dev, enum pci_reset_method *method);

#endif /* HV_PCI_RESET_H */
