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
 * At every (re)start, after the vCPU exists: quiesce vm's functions, reset
 * its view of configuration space and open its I/O BARs' ports.
 */
int pci_vm_start(struct vm *vm);

/* When vm stops, fails or is destroyed: its functions stop decoding and bus mastering. */
void pci_vm_release(struct vm *vm);

#endif /* HV_PCI_VM_H */
