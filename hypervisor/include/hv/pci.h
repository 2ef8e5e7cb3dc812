/* SPDX-License-Identifier: MIT */
/*
 * PCI: configuration space layout, the devices found at boot, and the
 * configuration access interface that each architecture provides.
 *
 * Register names follow the PCI Local Bus Specification 3.0 (6.1, 6.2.5,
 * 6.7) and the PCI Express Base Specification (7.5, 7.6).
 */
#ifndef HV_PCI_H
#define HV_PCI_H

#include <hv/types.h>

/* Configuration space header, common part (PCI 3.0, figure 6-1). */
#define PCI_VENDOR_ID			0x00	/* 16 bits; 0xffff: no function here */
# define PCI_VENDOR_ID_INVALID		0xffff
#define PCI_DEVICE_ID			0x02	/* 16 bits */
#define PCI_COMMAND			0x04	/* 16 bits */
# define PCI_COMMAND_IO			BIT(0)	/* I/O space enable */
# define PCI_COMMAND_MEMORY		BIT(1)	/* memory space enable */
# define PCI_COMMAND_MASTER		BIT(2)	/* bus master enable */
# define PCI_COMMAND_INTX_DISABLE	BIT(10)
#define PCI_STATUS			0x06	/* 16 bits; error bits are write-1-to-clear */
# define PCI_STATUS_INTERRUPT		BIT(3)	/* INTx asserted */
# define PCI_STATUS_CAP_LIST		BIT(4)	/* capabilities pointer is valid */
#define PCI_REVISION_ID			0x08	/* 8 bits */
#define PCI_CLASS_PROG			0x09	/* 8 bits: programming interface */
#define PCI_CLASS_DEVICE		0x0a	/* 8 bits: sub-class */
#define PCI_CLASS_CODE			0x0b	/* 8 bits: base class */
# define PCI_CLASS_BRIDGE		0x06
#  define PCI_SUBCLASS_BRIDGE_HOST	0x00
#define PCI_CACHE_LINE_SIZE		0x0c
#define PCI_LATENCY_TIMER		0x0d
#define PCI_HEADER_TYPE			0x0e	/* 8 bits */
# define PCI_HEADER_TYPE_MASK		GENMASK(6, 0)
#  define PCI_HEADER_TYPE_NORMAL	0	/* endpoint: 6 BARs */
#  define PCI_HEADER_TYPE_BRIDGE	1	/* PCI-to-PCI bridge: 2 BARs */
#  define PCI_HEADER_TYPE_CARDBUS	2	/* CardBus bridge: 1 BAR */
# define PCI_HEADER_TYPE_MULTI_FUNCTION	BIT(7)
#define PCI_BIST			0x0f

/* Base address registers (PCI 3.0, 6.2.5.1). */
#define PCI_BASE_ADDRESS_0		0x10	/* 32 bits each, BAR0..BAR5 */
# define PCI_BASE_ADDRESS_SPACE_IO	BIT(0)	/* 1: I/O BAR, 0: memory BAR */
# define PCI_BASE_ADDRESS_MEM_TYPE_MASK	GENMASK(2, 1)
#  define PCI_BASE_ADDRESS_MEM_TYPE_32	(0U << 1)	/* anywhere in 32-bit space */
#  define PCI_BASE_ADDRESS_MEM_TYPE_1M	(1U << 1)	/* below 1 MiB (PCI 2.x legacy) */
#  define PCI_BASE_ADDRESS_MEM_TYPE_64	(2U << 1)	/* 64-bit: uses the next BAR too */
# define PCI_BASE_ADDRESS_MEM_PREFETCH	BIT(3)
# define PCI_BASE_ADDRESS_MEM_MASK	GENMASK(31, 4)
# define PCI_BASE_ADDRESS_IO_MASK	GENMASK(31, 2)
#define PCI_BASE_ADDRESS(n)		(PCI_BASE_ADDRESS_0 + 4 * (n))
#define PCI_NUM_BARS			6

/* Type 0 (endpoint) header. */
#define PCI_SUBSYSTEM_VENDOR_ID		0x2c
#define PCI_SUBSYSTEM_ID		0x2e
#define PCI_ROM_ADDRESS			0x30
#define PCI_CAPABILITY_LIST		0x34	/* 8 bits; types 0 and 1 */
#define PCI_INTERRUPT_LINE		0x3c	/* 8 bits: firmware's routing note */
#define PCI_INTERRUPT_PIN		0x3d	/* 8 bits: 0 none, 1..4 INTA..INTD */

/* Type 1 (PCI-to-PCI bridge) header. */
#define PCI_PRIMARY_BUS			0x18
#define PCI_SECONDARY_BUS		0x19
#define PCI_SUBORDINATE_BUS		0x1a

/* Type 2 (CardBus bridge) header. */
#define PCI_CB_CAPABILITY_LIST		0x14

/* Size of the standard header; capabilities live above it (PCI 3.0, 6.7). */
#define PCI_STD_HEADER_SIZEOF		0x40
#define PCI_CFG_SPACE_SIZE		0x100
#define PCI_CFG_SPACE_EXP_SIZE		0x1000	/* PCI Express: extended space */

/* Capability structure header: id, next pointer (PCI 3.0, 6.7; appendix H). */
#define PCI_CAP_LIST_ID			0x00
#define PCI_CAP_LIST_NEXT		0x01
# define PCI_CAP_ID_PM			0x01	/* power management */
# define PCI_CAP_ID_AGP			0x02
# define PCI_CAP_ID_VPD			0x03
# define PCI_CAP_ID_SLOTID		0x04
# define PCI_CAP_ID_MSI			0x05
# define PCI_CAP_ID_HT			0x08	/* HyperTransport */
# define PCI_CAP_ID_VNDR		0x09	/* vendor specific */
# define PCI_CAP_ID_DBG			0x0a
# define PCI_CAP_ID_SSVID		0x0d	/* bridge subsystem vendor id */
# define PCI_CAP_ID_EXP			0x10	/* PCI Express */
# define PCI_CAP_ID_MSIX		0x11
# define PCI_CAP_ID_SATA		0x12
# define PCI_CAP_ID_AF			0x13	/* advanced features */
# define PCI_CAP_ID_EA			0x14	/* enhanced allocation */

/* PCI Express capability structure (PCIe base 4.0, 7.5.3): offsets from the capability. */
#define PCI_EXP_DEVCAP			0x04	/* 32 bits: Device Capabilities */
# define PCI_EXP_DEVCAP_FLR		BIT(28)	/* Function Level Reset Capability */
#define PCI_EXP_DEVCTL			0x08	/* 16 bits: Device Control */
# define PCI_EXP_DEVCTL_BCR_FLR		BIT(15)	/* Initiate Function Level Reset (reads 0) */
#define PCI_EXP_DEVSTA			0x0a	/* 16 bits: Device Status */
# define PCI_EXP_DEVSTA_TRPND		BIT(5)	/* Transactions Pending */

/* PCI Express extended capability header (PCIe base 4.0, 7.6.3). */
#define PCI_EXT_CAP_HEADER		0x00	/* 32 bits at 0x100 and above */
# define PCI_EXT_CAP_ID_MASK		GENMASK(15, 0)
# define PCI_EXT_CAP_VER_SHIFT		16
# define PCI_EXT_CAP_VER_MASK		GENMASK(19, 16)
# define PCI_EXT_CAP_NEXT_SHIFT		20
# define PCI_EXT_CAP_NEXT_MASK		GENMASK(31, 20)
# define PCI_EXT_CAP_ID_ERR		0x0001	/* advanced error reporting */
# define PCI_EXT_CAP_ID_SRIOV		0x0010
# define PCI_EXT_CAP_ID_ATS		0x000f

/*
 * A function's address: segment (PCI domain) in bits 31:16, then the
 * classic 16-bit bus:device.function ("BDF", the requester id that VT-d
 * context tables and MSI address use).
 */
typedef uint32_t pci_sbdf_t;
#define PCI_SBDF(seg, bus, dev, fn) \
	((pci_sbdf_t)(((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) | ((uint32_t)(dev) << 3) | (uint32_t)(fn)))
#define PCI_SEG(sbdf)			((uint16_t)((sbdf) >> 16))
#define PCI_BUS(sbdf)			((uint8_t)((sbdf) >> 8))
#define PCI_DEV(sbdf)			((uint8_t)(((sbdf) >> 3) & 0x1f))
#define PCI_FN(sbdf)			((uint8_t)((sbdf) & 0x7))
#define PCI_BDF(sbdf)			((uint16_t)(sbdf))
#define PCI_MAX_DEVICES_PER_BUS		32
#define PCI_MAX_FUNCTIONS		8

enum pci_bar_type {
	PCI_BAR_NONE,		/* unimplemented, or the upper half of a 64-bit BAR */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	enum pci_bar_type type;
	bool prefetchable;
	uint64_t base;		/* as programmed by firmware; 0 = not assigned */
	uint64_t size;		/* a power of two; 0 for PCI_BAR_NONE */
};

#define PCI_MAX_CAPS			48	/* all that fit: (256 - 64) / 4 */
#define PCI_MAX_EXT_CAPS		32

struct pci_cap {
	uint16_t id;		/* PCI_CAP_ID_* or, for extended ones, PCI_EXT_CAP_ID_* */
	uint16_t offset;	/* in configuration space */
};

struct pci_device {
	pci_sbdf_t sbdf;
	uint16_t vendor_id;
	uint16_t device_id;
	uint8_t revision;
	uint8_t class_code;	/* base class */
	uint8_t subclass;
	uint8_t prog_if;
	uint8_t header_type;	/* PCI_HEADER_TYPE_*, without the multi-function bit */
	bool multi_function;
	uint8_t interrupt_pin;	/* 0 none, 1..4 INTA..INTD */
	uint8_t interrupt_line;
	uint8_t secondary_bus;	/* bridges only */
	uint8_t subordinate_bus;
	uint8_t bar_count;	/* BAR registers in this header type */
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t cap_count;
	struct pci_cap caps[PCI_MAX_CAPS];
	uint8_t ext_cap_count;
	struct pci_cap ext_caps[PCI_MAX_EXT_CAPS];
};

/*
 * Configuration access, provided by the architecture (arch/x86/pci_cfg.c):
 * ECAM when the firmware describes it, else the legacy I/O ports.
 */
struct pci_cfg_range {
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;	/* inclusive */
	bool extended;		/* offsets 0x100-0xfff reachable (ECAM) */
};

#define PCI_MAX_CFG_RANGES		4

/*
 * Set up configuration access and describe the reachable buses in
 * ranges[]. Returns the number of ranges (>= 1), or a negative error.
 */
int pci_cfg_init(struct pci_cfg_range *ranges, size_t max);

/*
 * Read or write `size` (1, 2 or 4) bytes at `offset`, which must be aligned
 * to `size`. A read of an absent function, or beyond what the access method
 * reaches, returns all ones; such a write is dropped.
 */
uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size);
void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value);

static inline uint8_t pci_cfg_read8(pci_sbdf_t sbdf, uint16_t off)   { return (uint8_t)pci_cfg_read(sbdf, off, 1); }
static inline uint16_t pci_cfg_read16(pci_sbdf_t sbdf, uint16_t off) { return (uint16_t)pci_cfg_read(sbdf, off, 2); }
static inline uint32_t pci_cfg_read32(pci_sbdf_t sbdf, uint16_t off) { return pci_cfg_read(sbdf, off, 4); }
static inline void pci_cfg_write16(pci_sbdf_t sbdf, uint16_t off, uint16_t v) { pci_cfg_write(sbdf, off, 2, v); }
static inline void pci_cfg_write32(pci_sbdf_t sbdf, uint16_t off, uint32_t v) { pci_cfg_write(sbdf, off, 4, v); }

/*
 * Pure helpers (no hardware access; unit-tested on the host).
 */

/*
 * Decode one BAR from its original register values orig[] and the values
 * read back after writing all ones to them, sized[]. Element 0 is the BAR
 * itself; element 1, read only for a 64-bit memory BAR, its upper half.
 * regs_left is how many BAR registers remain in the header from this one
 * (a 64-bit BAR needs 2). Returns the number of registers the BAR occupies
 * (1, or 2 for a 64-bit BAR), or -HV_EIO for a malformed BAR: reserved
 * type, read-only bits that change, a size mask that is not a run of ones,
 * a base not aligned to the size, a range that wraps or a 64-bit BAR in the
 * last register. An unimplemented BAR (address bits read back 0) decodes as
 * PCI_BAR_NONE and still occupies its registers.
 */
int pci_bar_decode(const uint32_t *orig, const uint32_t *sized, unsigned int regs_left,
		   struct pci_bar *bar);

/* True if this BAR value describes a 64-bit memory BAR (which uses the next register too). */
static inline bool pci_bar_is_mem64(uint32_t bar_value)
{
	return !(bar_value & PCI_BASE_ADDRESS_SPACE_IO) &&
	       (bar_value & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
}

/* Reads `size` bytes of one function's configuration space (the walkers' view). */
typedef uint32_t (*pci_cfg_reader_t)(void *ctx, uint16_t offset, unsigned int size);

/*
 * Walk the capability list starting at the pointer register `ptr_reg`
 * (PCI_CAPABILITY_LIST, or PCI_CB_CAPABILITY_LIST for CardBus), if the
 * status register says there is one. Stores up to `max` entries in caps[].
 * Returns the number of capabilities; -HV_EBADMSG if a pointer leads into
 * the standard header (below 0x40) or back to a capability already seen
 * (a loop); -HV_E2BIG if there are more than `max`. The reserved low two
 * bits of each pointer are masked as the specification requires, so every
 * pointer followed is dword-aligned and inside the 256-byte space; the
 * loop check bounds the walk to (256 - 64) / 4 = 48 steps.
 */
int pci_cap_walk(pci_cfg_reader_t read, void *ctx, uint16_t ptr_reg,
		 struct pci_cap *caps, size_t max);

/*
 * The same for the PCI Express extended list at 0x100 (returns 0 if there
 * is none): pointers must stay at or above 0x100; at most 960 steps.
 */
int pci_ext_cap_walk(pci_cfg_reader_t read, void *ctx, struct pci_cap *caps, size_t max);

/* Short readable names for printing; never NULL. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
const char *pci_cap_name(uint8_t id);

/*
 * The device table, filled once at boot by pci_init().
 */

/* Enumerate every reachable function and print it. Returns the count or a negative error. */
int pci_init(void);

/* All functions found, in bus order; *count receives their number. */
const struct pci_device *pci_devices(size_t *count);

/* The function at this address, or NULL. */
const struct pci_device *pci_find(pci_sbdf_t sbdf);

/* The capability with this id (the first one), or 0 if the function has none. */
uint16_t pci_find_cap(const struct pci_device *dev, uint8_t id);

#endif /* HV_PCI_H */
