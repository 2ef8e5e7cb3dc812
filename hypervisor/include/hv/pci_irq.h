/* SPDX-License-Identifier: MIT */
/*
 * Device interrupts of IOVMs: a PCI function's legacy INTx, arriving on a
 * host line (hv/irqline.h), becomes a virtual interrupt of its owner
 * (docs/devices.md, "Interrupts"; the ABI is HC_IRQ_ACK in
 * include/abi/hypercall.h).
 *
 * The protocol, per function: the host line interrupts -> it is masked
 * (by the architecture) -> the owner's virtual vector is raised, the owner
 * made runnable -> the owner services its device and acknowledges with
 * HC_IRQ_ACK -> the line is unmasked. A line shared by several functions is
 * unmasked only when every function on it that is live has been
 * acknowledged. An owner that never acknowledges keeps only its own line
 * masked.
 */
#ifndef HV_PCI_IRQ_H
#define HV_PCI_IRQ_H

#include <hv/types.h>

struct vm;

/*
 * After pci_owner_init(): find each assigned function's host line, claim
 * it (masked) and give the function its owner's virtual vector. A function
 * whose line cannot be found or claimed is logged and left to polling.
 * Returns the number of functions routed.
 */
unsigned int pci_irq_init(void);

/* vm (re)starts: its functions' INTx enabled, nothing pending, their lines unmasked. */
void pci_irq_start(struct vm *vm);

/* vm stopped or failed: its functions' INTx disabled, pending state forgotten, lines masked if unused. */
void pci_irq_stop(struct vm *vm);

/* HC_IRQ_ACK from vm: see include/abi/hypercall.h. */
int64_t pci_irq_ack(struct vm *vm, uint64_t vector);

/*
 * The owner's access of size bytes (1, 2, 4, 8) at gpa on the unmapped
 * MSI-X table pages of a (pci_owner_msix_page_at()): table entries from and
 * into the shadow (a dword or qword, aligned; an entry unmasked with a
 * deliverable message is bound to a remapping entry and programmed into the
 * device, one that is not is refused and logged), PBA reads and any other
 * register passed through to the device. Returns 0 (*value filled for a
 * read); an error with *why if the access cannot be emulated (the caller
 * stops the VM).
 */
struct pci_assigned;
int pci_irq_msix_mmio(struct pci_assigned *a, uint64_t gpa, unsigned int size, bool write, uint64_t *value,
		      const char **why);

/* HC_MSI_SETUP from vm: see include/abi/hypercall.h. */
int64_t pci_irq_msi_setup(struct vm *vm, uint64_t bdf, uint64_t entry, uint64_t vector);

#endif /* HV_PCI_IRQ_H */
