/* SPDX-License-Identifier: MIT */
/*
 * MMIO the hypervisor emulates for a VM: the PCI ECAM window (MCFG), which
 * no VM has mapped, and the pages of an IOVM's MSI-X tables, which are left
 * out of its BAR mappings. An access there faults (EPT violation, NPT
 * fault); the core reads and decodes the instruction at RIP
 * (hv/mmio_decode.h), performs it on the VM's virtual configuration space
 * (vpci_cfg_access: the same view as ports 0xCF8/0xCFC) or its shadow
 * MSI-X table (pci_irq_msix_mmio) and skips it. docs/devices.md, "The ECAM
 * window" and "MSI and MSI-X".
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <hv/pci.h>
#include <hv/types.h>
#include <hv/vcpu.h>

/* The ECAM window holding gpa, as MCFG describes it; false if gpa is in none. */
bool mmio_ecam_lookup(uint64_t gpa, pci_sbdf_t *sbdf, uint16_t *offset);

/*
 * A fault at gpa with access (enum mem_access): if gpa is emulated MMIO
 * (the ECAM window, or an MSI-X table page of one of the VM's functions),
 * emulate the instruction and return true with *action (EXIT_EMULATED, or
 * EXIT_STOP after vm_fail when the instruction cannot be emulated: not
 * decodable, unreadable, misaligned, or not the access that faulted).
 * False if gpa is not emulated MMIO: the caller's containment applies.
 */
bool mmio_emulate(struct vcpu *v, uint64_t gpa, unsigned int access, enum exit_action *action);

#endif /* HV_MMIO_H */
