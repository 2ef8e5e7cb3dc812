/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space from inside a VM, through configuration
 * mechanism #1 (ports 0xCF8/0xCFC), which the hypervisor emulates: a VM sees
 * only the functions it owns (docs/devices.md). Register offsets are the
 * PCI Local Bus specification's.
 */
#ifndef RUNTIME_PCI_H
#define RUNTIME_PCI_H

#include <hv/types.h>

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
# define PCI_COMMAND_IO		BIT(0)
# define PCI_COMMAND_MEMORY	BIT(1)
# define PCI_COMMAND_MASTER	BIT(2)
#define PCI_STATUS_REG		0x06
# define PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_CLASS_REVISION	0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR(n)		(0x10 + 4 * (n))
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c	/* under uhv: the INTx's virtual vector, 0xff: none */
#define PCI_INTERRUPT_PIN	0x3d

struct pci_fn {
	uint8_t bus, dev, fn;
};

uint32_t pci_cfg_read32(struct pci_fn f, uint8_t reg);
uint16_t pci_cfg_read16(struct pci_fn f, uint8_t reg);
uint8_t pci_cfg_read8(struct pci_fn f, uint8_t reg);
void pci_cfg_write32(struct pci_fn f, uint8_t reg, uint32_t v);
void pci_cfg_write16(struct pci_fn f, uint8_t reg, uint16_t v);

/* The first function (bus, device, function order) with this vendor:device; false if none. */
bool pci_find_id(uint16_t vendor, uint16_t device, struct pci_fn *out);

/* The first function whose class code register (base class, sub-class,
 * programming interface: bits 31:8 of PCI_CLASS_REVISION) is class24; false if none. */
bool pci_find_class(uint32_t class24, struct pci_fn *out);

/* Offset of f's first capability with this id in the capability list, 0 if none (walk bounded). */
uint8_t pci_find_cap(struct pci_fn f, uint8_t id);

#endif /* RUNTIME_PCI_H */
