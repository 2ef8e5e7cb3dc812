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

#include <hv/msi.h>
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

	/*
	 * The MSI-X table: the pages it covers (msix_page..msix_page_end) stay
	 * unmapped in the owner; its accesses there are emulated (pci_irq.c:
	 * the table from the shadow, the PBA and any other register on those
	 * pages passed through). msix_refused: the table cannot be emulated
	 * (the reason; every access there stops the owner, MSI-X Enable stays
	 * refused), its pages are still kept from the owner.
	 */
	int msix_bar;				/* BAR index holding the table, -1: no MSI-X */
	uint64_t msix_table;			/* host-physical = guest-physical address */
	uint64_t msix_table_size;		/* bytes: 16 per vector */
	uint64_t msix_pba, msix_pba_size;	/* the pending bit array; size 0: not in msix_bar */
	uint64_t msix_page, msix_page_end;	/* the unmapped pages: [msix_page, msix_page_end) */
	const char *msix_refused;
	struct msix_entry *msix_shadow;		/* what the owner wrote, one per entry (pci_irq_init()) */

	/* Capabilities: [offset, offset + length). */
	uint16_t msi_cap, msi_cap_len;
	uint16_t msix_cap, msix_cap_len;
	struct msi_cap_layout msi_layout;
	/*
	 * With interrupt remapping on (pci_irq_init()): MSI-X Enable and
	 * Function Mask writable, and the MSI capability emulated from
	 * msi_shadow (pci_irq_msi_cap_write()). Without it both are refused.
	 */
	bool msix_writable;
	bool msi_emulated;
	/* Its INTx, routed by pci_irq_init(): the owner's virtual vector, shown as its Interrupt Line; 0: none. */
	uint8_t intx_vector;

	/* Per VM start (pci_owner_reset()): */
	uint8_t bar_sizing;			/* BAR registers holding all ones: reads give the size mask */
	bool relocation_logged;
	bool msi_write_logged;
	struct msi_cap_shadow msi_shadow;	/* what the owner wrote into its MSI capability */
	uint8_t msg_lines_logged;		/* lines about its messages this start (pci_irq.c), at most a few */
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

/* The function of vm's whose unmapped MSI-X table pages hold gpa, or NULL. */
struct pci_assigned *pci_owner_msix_page_at(uint32_t vm, uint64_t gpa);

/*
 * The owner's write into its MSI capability (off from the capability, size
 * 1, 2 or 4, inside one dword), when a->msi_emulated: pci_irq.c applies it
 * to the shadow and decides what the device sees.
 */
void pci_irq_msi_cap_write(struct pci_assigned *a, uint16_t off, unsigned int size, uint32_t value);

/*
 * The owner's write of the upper byte of its MSI-X Message Control (bit 15
 * Enable, bit 14 Function Mask; the rest is read-only), when
 * a->msix_writable: pci_irq.c decides what the device gets.
 */
void pci_irq_msix_control_write(struct pci_assigned *a, uint8_t upper);

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
