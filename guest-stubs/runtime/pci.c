// SPDX-License-Identifier: MIT
/* Configuration mechanism #1 (pci.h). */
#include <arch/io.h>

#include "pci.h"

static uint32_t config_address(struct pci_fn f, uint8_t reg)
{
	return (uint32_t)BIT(31) | (uint32_t)f.bus << 16 | (uint32_t)f.dev << 11 |
	       (uint32_t)f.fn << 8 | (reg & 0xfcU);
}

uint32_t pci_cfg_read32(struct pci_fn f, uint8_t reg)
{
	outl(PCI_CONFIG_ADDRESS, config_address(f, reg));
	return inl(PCI_CONFIG_DATA);
}

uint16_t pci_cfg_read16(struct pci_fn f, uint8_t reg)
{
	outl(PCI_CONFIG_ADDRESS, config_address(f, reg));
	return inw((uint16_t)(PCI_CONFIG_DATA + (reg & 2)));
}

uint8_t pci_cfg_read8(struct pci_fn f, uint8_t reg)
{
	outl(PCI_CONFIG_ADDRESS, config_address(f, reg));
	return inb((uint16_t)(PCI_CONFIG_DATA + (reg & 3)));
}

void pci_cfg_write32(struct pci_fn f, uint8_t reg, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(f, reg));
	outl(PCI_CONFIG_DATA, v);
}

void pci_cfg_write16(struct pci_fn f, uint8_t reg, uint16_t v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(f, reg));
	outw((uint16_t)(PCI_CONFIG_DATA + (reg & 2)), v);
}

/* The first function (bus, device, function order) whose register reg, masked, is want. */
static bool pci_find(uint8_t reg, uint32_t mask, uint32_t want, struct pci_fn *out)
{
	for (unsigned int bus = 0; bus < 256; bus++)
		for (unsigned int dev = 0; dev < 32; dev++)
			for (unsigned int fn = 0; fn < 8; fn++) {
				struct pci_fn f = { (uint8_t)bus, (uint8_t)dev, (uint8_t)fn };

				if (pci_cfg_read32(f, PCI_VENDOR_ID) != UINT32_MAX &&
				    (pci_cfg_read32(f, reg) & mask) == want) {
					*out = f;
					return true;
				}
			}
	return false;
}

bool pci_find_id(uint16_t vendor, uint16_t device, struct pci_fn *out)
{
	return pci_find(PCI_VENDOR_ID, UINT32_MAX, (uint32_t)device << 16 | vendor, out);
}

bool pci_find_class(uint32_t class24, struct pci_fn *out)
{
	return pci_find(PCI_CLASS_REVISION, 0xffffff00U, class24 << 8, out);
}

uint8_t pci_find_cap(struct pci_fn f, uint8_t id)
{
	if (!(pci_cfg_read16(f, PCI_STATUS_REG) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t at = pci_cfg_read8(f, PCI_CAP_PTR) & 0xfc;
	/* At most 48 capabilities fit in 256 bytes: a longer list is a loop. */
	for (unsigned int n = 0; at && n < 48; n++) {
		if (pci_cfg_read8(f, at) == id)
			return at;
		at = pci_cfg_read8(f, (uint8_t)(at + 1)) & 0xfc;
	}
	return 0;
}
