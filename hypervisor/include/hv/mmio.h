/* SPDX-License-Identifier: MIT */
/*
 * MMIO the hypervisor emulates for a VM: today the PCI ECAM window (MCFG),
 * which no VM has mapped. An access there faults (EPT violation, NPT
 * fault); the core reads and decodes the instruction at RIP
 * (hv/mmio_decode.h), performs it on the VM's virtual configuration space
 * (vpci_cfg_access: the same view as ports 0xCF8/0xCFC) and skips it.
 * docs/devices.md, "The ECAM window".
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <hv/pci.h>
#include <hv/types.h>
#include <hv/vcpu.h>

/* The ECAM window holding gpa, as MCFG describes it; false if gpa is in none. */
bool mmio_ecam_lookup(uint64_t gpa, pci_sbdf_t *sbdf, uint16_t *offset);

/*
 * A fault at gpa with access (enum mem_access): if gpa is emulated MMIO,
 * emulate the instruction and return true with *action (EXIT_EMULATED, or
 * EXIT_STOP after vm_fail when the instruction cannot be emulated: not
 * decodable, unreadable, misaligned, or not the access that faulted).
 * False if gpa is not emulated MMIO: the caller's containment applies.
 */
bool mmio_emulate(struct vcpu *v, uint64_t gpa, unsigned int access, enum exit_action *action);

#endif /* HV_MMIO_H */
