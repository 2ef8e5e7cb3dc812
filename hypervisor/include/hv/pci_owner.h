/* SPDX-License-Identifier: MIT */
/*
 * PCI ownership: which VM owns which PCI function, and what a VM sees of
 * PCI configuration space through ports 0xCF8/0xCFC (docs/devices.md).
 *
 * The table is filled once from the accepted policy (its device records,
 * checked by policy_check_devices()) before any VM starts, and never
 * changes. Every VM, guest or IOVM, gets a virtual configuration
 * mechanism #1: functions it does not own read as absent; for its own,
 * reads pass through and writes are filtered (hypervisor/pci_owner.c).
 * Pure logic over pci_cfg_read/write: host-tested against a simulated bus.
 */
#ifndef HV_PCI_OWNER_H
#define HV_PCI_OWNER_H

#include <hv/pci.h>
#include <hv/types.h>

struct policy;

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): the ports every VM may use. */
#define PCI_CONFIG_ADDRESS_PORT		0xcf8	/* 32 bits only */
# define PCI_CONFIG_ADDRESS_ENABLE_BIT	BIT(31)
# define PCI_CONFIG_ADDRESS_BITS	(BIT(31) | GENMASK(23, 2))	/* bus, device, function, register */
#define PCI_CONFIG_DATA_PORT		0xcfc	/* 0xCFC-0xCFF: 1, 2 or 4 bytes, naturally aligned */

/* The command register bits an owner may change; the rest keep the device's value. */
#define PCI_OWNER_COMMAND_BITS		(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

struct pci_assigned {
	const struct pci_device *dev;		/* from pci_devices(): ids, BARs, capabilities */
	uint32_t owner;				/* VM id */
	char owner_name[16];			/* for log lines */
	char record[16];			/* the policy's device record that assigned it */

	/* The MSI-X table: its pages stay unmapped in the owner; entries are set by HC_MSI_SETUP (pci_irq.c). */
	int msix_bar;				/* BAR index holding the table, -1: no MSI-X */
	uint64_t msix_table;			/* host-physical = guest-physical address */
	uint64_t msix_table_size;		/* bytes: 16 per vector */

	/* Capabilities whose writes are refused: [offset, offset + length). */
	uint16_t msi_cap, msi_cap_len;
	uint16_t msix_cap, msix_cap_len;
	/* MSI-X Enable and Function Mask writable: interrupt remapping is on (pci_irq_init()). */
	bool msix_writable;
	/* Its INTx, routed by pci_irq_init(): the owner's virtual vector, shown as its Interrupt Line; 0: none. */
	uint8_t intx_vector;

	/* Per VM start (pci_owner_reset()): */
	uint8_t bar_sizing;			/* BAR registers holding all ones: reads give the size mask */
	bool relocation_logged;
	bool msi_write_logged;
};

/*
 * Fill the table from pol->assignments (policy_check_devices() passed).
 * Looks each function up with pci_find() and reads where its MSI-X table
 * and MSI capabilities are. Returns the number of assigned functions, or
 * -HV_ENODEV if one has vanished from the device table.
 */
int pci_owner_init(const struct policy *pol);

/* The VM id that owns this function, or 0 (the hypervisor keeps it). */
uint32_t pci_owner(pci_sbdf_t sbdf);

/* Iterate over vm's functions: start with *cursor = 0; NULL at the end. */
struct pci_assigned *pci_owner_next(uint32_t vm, size_t *cursor);

/* The MSI-X table of one of vm's functions that holds gpa, or NULL. */
const struct pci_assigned *pci_owner_msix_at(uint32_t vm, uint64_t gpa);

/*
 * Before vm starts (or restarts) and after it ends: its functions stop
 * decoding and bus mastering (a dead IOVM's device must not DMA on), and
 * the emulated state (BAR sizing, log-once flags) starts afresh.
 */
void pci_owner_reset(uint32_t vm);

/*
 * A port access by VM vm: handles the configuration mechanism #1 ports,
 * with *config_address the VM's latched CONFIG_ADDRESS. Returns true if
 * handled (*value filled for IN, consumed for OUT); false for any other
 * port, size or alignment: the caller's deny policy applies.
 */
bool vpci_port_io(uint32_t vm, uint32_t *config_address, uint16_t port, unsigned int size, bool in,
		  uint32_t *value);

/*
 * One configuration access by VM vm to sbdf, whichever way it came (the
 * ports above, or the ECAM window: hypervisor/mmio.c): off below 0x1000,
 * size 1, 2 or 4, naturally aligned (the caller checks). A function that
 * is not vm's reads all ones and ignores writes; for its own, reads pass
 * through (extended configuration space included) but for the emulated
 * registers, and writes are filtered (the top of pci_owner.c).
 */
void vpci_cfg_access(uint32_t vm, pci_sbdf_t sbdf, uint16_t off, unsigned int size, bool write,
		     uint32_t *value);

#endif /* HV_PCI_OWNER_H */
