// SPDX-License-Identifier: MIT
/* Finding this IOVM's NIC and the driver for it (nic.h). */
#include <hv/format.h>
#include <runtime/runtime.h>

#include "nic.h"

static const struct nic_ops *const drivers[] = {
	&e1000_nic_ops,
};

int nic_probe(struct nic *nic, uint64_t dma_offset)
{
	/* A VM sees only the functions it owns (docs/devices.md): the first network controller is ours. */
	for (unsigned int bus = 0; bus < 256; bus++)
		for (unsigned int d = 0; d < 32; d++)
			for (unsigned int f = 0; f < 8; f++) {
				struct pci_fn fn = { (uint8_t)bus, (uint8_t)d, (uint8_t)f };
				uint32_t id = pci_cfg_read32(fn, PCI_VENDOR_ID);

				if (id == UINT32_MAX)
					continue;
				for (unsigned int i = 0; i < ARRAY_SIZE(drivers); i++) {
					if (!drivers[i]->match((uint16_t)id, (uint16_t)(id >> 16)))
						continue;
					*nic = (struct nic){ .ops = drivers[i], .pci = fn,
							     .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16),
							     .dma_offset = dma_offset };
					uint8_t line = pci_cfg_read8(fn, PCI_INTERRUPT_LINE);
					/* Under uhv the Interrupt Line is the INTx's virtual vector; 0xff: not routed. */
					nic->vector = line >= 32 && line != 0xff ? line : 0;
					return drivers[i]->init(nic, fn);
				}
			}
	return -HV_ENODEV;
}

const char *nic_mac_str(const uint8_t mac[ETH_ALEN], char *buf)
{
	format(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
