/* SPDX-License-Identifier: MIT */
/*
 * Host interrupt lines: where a PCI function's legacy INTx arrives at the
 * host, and the switches core code needs to forward it to a VM. Provided by
 * the architecture (x86: IOAPIC GSIs, hypervisor/arch/x86/irqline.c).
 *
 * A claimed line is level-triggered, and always masked when its handler
 * runs: the architecture masks it and ends the host interrupt (EOI) before
 * calling the handler, so an asserted line cannot interrupt again until
 * core code unmasks it. That is what keeps a level interrupt that a VM does
 * not service from storming the hypervisor.
 */
#ifndef HV_IRQLINE_H
#define HV_IRQLINE_H

#include <hv/pci.h>
#include <hv/types.h>

/* Called in interrupt context with the line masked. */
typedef void (*irqline_handler_t)(uint32_t line);

/*
 * The line function d's INTx pin drives. Returns 0 with *line, and *how
 * (a phrase for the log saying how it was found); -HV_ENOENT if d has no
 * interrupt pin, -HV_ENODEV if the platform's routing for it is unknown.
 */
int irqline_of_pci(const struct pci_device *d, uint32_t *line, const char **how);

/*
 * Program line as a PCI interrupt (level-triggered, active low), masked,
 * with handler. Claiming a claimed line again is fine if the handler is the
 * same. Returns the host vector (> 0), -HV_EINVAL for a line no interrupt
 * controller has, -HV_EBUSY for another handler, -HV_ENOMEM when no vector
 * is left.
 */
int irqline_claim(uint32_t line, irqline_handler_t handler);

/* Mask or unmask a claimed line. */
void irqline_set_masked(uint32_t line, bool masked);

/* Interrupts the line raised since boot. */
uint64_t irqline_count(uint32_t line);

/* ---- Message-signalled interrupts (MSI-X), through interrupt remapping only ---- */

/* Called in interrupt context (the host interrupt already ended: edge). */
typedef void (*irqmsg_handler_t)(unsigned int cookie);

/* How many message interrupts the host can have bound at once (one host vector each). */
#define IRQMSG_MAX	64

/* What to write into the device's MSI-X entry. */
struct irqmsg {
	uint32_t address_lo, address_hi, data;
};

/* Whether messages can be remapped at all (no raw MSI is ever programmed). */
bool irqmsg_available(void);

/*
 * A host vector and a remapping entry delivering it, accepted only from
 * requester sbdf; *msg receives the (remappable-format) message. Returns a
 * handle (>= 0), -HV_ENODEV without interrupt remapping, -HV_ENOMEM when
 * no vector or entry is left, -HV_EIO if the IOMMU did not take the entry.
 */
int irqmsg_claim(pci_sbdf_t sbdf, irqmsg_handler_t handler, unsigned int cookie, struct irqmsg *msg);

/* Release a claimed handle: its remapping entry becomes not present. */
void irqmsg_release(int handle);

/* Host interrupts a handle's message raised. */
uint64_t irqmsg_count(int handle);

/* The remapping entry index of a handle, for logs. */
int irqmsg_entry(int handle);

#endif /* HV_IRQLINE_H */
