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
	PCI_RESET_DEVICE,	/* the device's own reset register (pci_reset.c's table) */
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
 * Without FLR, a device in the table of device-specific resets gets its
 * own: the Intel 8254x/82574 family (e1000, e1000e) sets CTRL.RST in
 * memory BAR 0 with memory decoding on for the duration (bus mastering
 * stays off, INTx Disable stays as it was), waits (bounded) for the bit to clear itself, and masks every
 * interrupt cause (IMC). Others are only quiesced (PCI_RESET_NONE).
 *
 * Returns the method used (*method), and 0; or -HV_EIO if the function
 * did not come back or its BARs did not take their values again, or its
 * reset bit never cleared: it is left with decoding and bus mastering off.
 */
int pci_reset_function(const struct pci_device *dev, enum pci_reset_method *method);

#endif /* HV_PCI_RESET_H */
