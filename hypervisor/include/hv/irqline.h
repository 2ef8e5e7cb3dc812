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

#endif /* HV_IRQLINE_H */
