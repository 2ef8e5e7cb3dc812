/* SPDX-License-Identifier: MIT */
/*
 * A VM's PCI functions as resources (hypervisor/pci_vm.c): the calls vm.c
 * makes at each step of a VM's life, and the boot-time report.
 */
#ifndef HV_PCI_VM_H
#define HV_PCI_VM_H

struct policy;
struct vm;

/*
 * Fill the ownership table from the accepted policy, log who owns what and,
 * when devices are assigned without an IOMMU, warn loudly. Before any VM
 * exists. Returns 0 or a negative HV_E* code (logged).
 */
int pci_vm_init(const struct policy *pol);

/* At VM creation: map the memory BARs of vm's functions into its EPT/NPT (pt_destroy undoes it). */
int pci_vm_map(struct vm *vm);

/*
 * At every (re)start, after the vCPU exists and its memory holds the fresh
 * image: quiesce vm's functions, reset its view of configuration space,
 * open its I/O BARs' ports and, with an IOMMU, attach its functions (and
 * their requester-id aliases) to its DMA domain, created at the first
 * start: I/O virtual address = guest-physical address, exactly its RAM.
 * Returns 0 or a negative HV_E* code (logged): the VM must not run.
 */
int pci_vm_start(struct vm *vm);

/*
 * When vm stops or fails: its functions stop decoding and bus mastering,
 * then are detached from its domain (their DMA is blocked again), and
 * faults still recorded are drained so they cannot fail its next start.
 * Last, each function is reset (pci_reset_function: FLR where the function
 * has it, else quiesced only), which busy-waits 100 ms per FLR.
 */
void pci_vm_release(struct vm *vm);

/* When vm is destroyed: quiesced and detached as by pci_vm_release (not
 * reset again: a running vm was released first), then its DMA domain is freed. */
void pci_vm_destroy(struct vm *vm);

#endif /* HV_PCI_VM_H */
