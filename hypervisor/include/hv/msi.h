/* SPDX-License-Identifier: MIT */
/*
 * Message-signalled interrupts as an owner writes them (PCI 3.0, 6.8): the
 * pure half of their emulation, host-tested (tests/unit/test_msi.c). The
 * owner programs its function's MSI capability or MSI-X table the normal
 * way; the hypervisor keeps what it wrote (the shadow, what its reads
 * return), checks each message and programs the device with a remappable
 * message of its own (hypervisor/pci_irq.c). docs/devices.md, "MSI and MSI-X".
 *
 * A message an owner may write (compatibility format, Intel SDM vol. 3,
 * 11.11): address 0xFEEx_xxxx with the destination (19:12), redirection
 * hint and destination mode ignored (uhv delivers to its own CPU), bit 4
 * (the remappable-format bit) clear, upper address 0; data with the vector
 * in 7:0, UHV_MSI_VECTOR_BASE..LAST, fixed or lowest-priority delivery
 * (10:8 = 000 or 001), edge trigger (bit 15 clear); data bits 31:16 (MSI-X)
 * are ignored. Anything else is refused by msi_message_check().
 */
#ifndef HV_MSI_H
#define HV_MSI_H

#include <hv/types.h>

struct msi_message {
	uint32_t address_lo, address_hi, data;
};

/* Compatibility-format MSI address and data fields (Intel SDM vol. 3, 11.11.1, 11.11.2). */
#define MSI_ADDRESS_BASE_MASK		GENMASK(31, 20)
# define MSI_ADDRESS_BASE		0xfee00000U
# define MSI_ADDRESS_REMAPPABLE		BIT(4)	/* VT-d 5.1.5.2: Interrupt Format = remappable */
#define MSI_DATA_VECTOR			GENMASK(7, 0)
#define MSI_DATA_DELIVERY_MODE		GENMASK(10, 8)
# define MSI_DATA_DELIVERY_FIXED	(0U << 8)
# define MSI_DATA_DELIVERY_LOWPRI	(1U << 8)
#define MSI_DATA_TRIGGER_LEVEL		BIT(15)

/*
 * Check a message the owner wrote. Returns NULL with *vector (its virtual
 * vector) if the hypervisor can deliver it, else why not (for the log).
 */
const char *msi_message_check(const struct msi_message *m, uint8_t *vector);

/* ---- The MSI capability (PCI 3.0, 6.8.1): offsets from the capability. ---- */

#define PCI_MSI_FLAGS			0x02	/* 16 bits: Message Control */
# define PCI_MSI_FLAGS_ENABLE		BIT(0)
# define PCI_MSI_FLAGS_QMASK		GENMASK(3, 1)	/* Multiple Message Capable: log2 */
# define PCI_MSI_FLAGS_QSIZE		GENMASK(6, 4)	/* Multiple Message Enable: log2 */
# define PCI_MSI_FLAGS_64BIT		BIT(7)
# define PCI_MSI_FLAGS_MASKBIT		BIT(8)	/* per-vector masking */
#define PCI_MSI_ADDRESS_LO		0x04	/* 32 bits; 1:0 reserved */
#define PCI_MSI_ADDRESS_HI		0x08	/* 64-bit capability only */
#define PCI_MSI_DATA_32			0x08	/* 16 bits */
#define PCI_MSI_DATA_64			0x0c
#define PCI_MSI_MASK_32			0x0c	/* 32 bits, with per-vector masking */
#define PCI_MSI_MASK_64			0x10
#define PCI_MSI_PENDING_32		0x10
#define PCI_MSI_PENDING_64		0x14

/* Where the registers of one capability are, from its Message Control. */
struct msi_cap_layout {
	bool is64, maskable;
	uint8_t data;			/* offset of Message Data */
	uint8_t mask, pending;		/* 0: no per-vector masking */
	uint8_t len;			/* bytes the capability covers */
	uint32_t vectors_mask;		/* the mask bits of the vectors it is capable of */
};

void msi_cap_layout(uint16_t flags, struct msi_cap_layout *l);

/* What the owner wrote into the capability; what its reads of those bits return. */
struct msi_cap_shadow {
	uint16_t control;		/* Enable and Multiple Message Enable; the rest is the device's */
	struct msi_message msg;		/* data: 16 bits */
	uint32_t mask;
};
#define MSI_SHADOW_CONTROL_BITS		(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)

/*
 * Apply an owner's write of size bytes at off (from the capability) to *s:
 * only the bytes that fall on shadowed fields, only their writable bits
 * (address bits 1:0 and the read-only parts of Message Control are not).
 */
void msi_cap_write(const struct msi_cap_layout *l, struct msi_cap_shadow *s, uint16_t off, unsigned int size,
		   uint32_t value);

/*
 * The owner's read of size bytes at off: shadowed bits from s, every other
 * bit from device (the device's own value of the same bytes).
 */
uint32_t msi_cap_read(const struct msi_cap_layout *l, const struct msi_cap_shadow *s, uint16_t off,
		      unsigned int size, uint32_t device);

/* ---- The MSI-X table (PCI 3.0, 6.8.2.6): 16 bytes per entry. ---- */

struct msix_entry {
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
	uint32_t vector_control;
};
_Static_assert(sizeof(struct msix_entry) == 16, "MSI-X table entry");
#define MSIX_ENTRY_ADDRESS_LO		0x0
#define MSIX_ENTRY_ADDRESS_HI		0x4
#define MSIX_ENTRY_DATA			0x8
#define MSIX_ENTRY_VECTOR_CONTROL	0xc
# define MSIX_ENTRY_CTRL_MASKBIT	BIT(0)	/* 31:1 reserved */
#define MSIX_ENTRY_SIZE			16

/* The MSI-X capability: offsets from it. */
#define PCI_MSIX_FLAGS			0x02
# define PCI_MSIX_FLAGS_QSIZE		GENMASK(10, 0)	/* table size - 1 */
# define PCI_MSIX_FLAGS_MASKALL		BIT(14)
# define PCI_MSIX_FLAGS_ENABLE		BIT(15)
#define PCI_MSIX_TABLE			0x04
#define PCI_MSIX_PBA			0x08
# define PCI_MSIX_BIR			GENMASK(2, 0)
# define PCI_MSIX_OFFSET		GENMASK(31, 3)
#define PCI_MSIX_CAP_LEN		12

/* An entry as it leaves reset: masked, no message. */
#define MSIX_ENTRY_RESET		((struct msix_entry){ .vector_control = MSIX_ENTRY_CTRL_MASKBIT })

/*
 * The owner's aligned dword at off (0, 4, 8 or 12) of entry e: write it
 * into *next (a copy of the shadow the caller decides to keep or not).
 * Reserved bits of Vector Control read 0.
 */
void msix_entry_write(struct msix_entry *next, unsigned int off, uint32_t value);
uint32_t msix_entry_read(const struct msix_entry *e, unsigned int off);
static inline struct msi_message msix_entry_message(const struct msix_entry *e)
{
	return (struct msi_message){ e->address_lo, e->address_hi, e->data };
}

#endif /* HV_MSI_H */
