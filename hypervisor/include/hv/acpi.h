/* SPDX-License-Identifier: MIT */
/*
 * ACPI: what the hypervisor learns from the firmware's tables.
 *
 * acpi_init() finds the RSDP (multiboot2 copy, else the BIOS areas),
 * walks the RSDT or XSDT with checksums, and fills struct acpi_info from
 * the tables it understands: MADT (CPUs, IOAPICs, interrupt overrides),
 * MCFG (PCI ECAM), HPET, FADT + DSDT (\_S5 for power-off), DMAR (VT-d).
 * The table parsers are pure functions over table bytes, unit-tested on the
 * host with tables captured from QEMU and Bochs.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <hv/bootinfo.h>
#include <hv/types.h>

#define ACPI_MAX_CPUS		64
#define ACPI_MAX_IOAPICS	8
#define ACPI_MAX_OVERRIDES	16
#define ACPI_MAX_MCFG		4
#define ACPI_MAX_DRHD		8
#define ACPI_MAX_RMRR		8
#define ACPI_MAX_SCOPES		16
#define ACPI_MAX_TABLES		32

struct acpi_table_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_table_header) == 36, "ACPI system description table header");

/* Generic Address Structure (ACPI 6.5 section 5.2.3.2). */
struct acpi_generic_address {
	uint8_t address_space_id;	/* ACPI_GAS_* */
	uint8_t register_bit_width;
	uint8_t register_bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;
_Static_assert(sizeof(struct acpi_generic_address) == 12, "ACPI Generic Address Structure");

#define ACPI_GAS_SYSTEM_MEMORY	0
#define ACPI_GAS_SYSTEM_IO	1

struct acpi_ioapic {
	uint8_t id;
	paddr_t base;
	uint32_t gsi_base;
};

struct acpi_irq_override {
	uint8_t source_irq;	/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;		/* MPS INTI flags: polarity, trigger mode */
};

struct acpi_mcfg_segment {
	paddr_t base;		/* ECAM base address for bus 0 of this segment */
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
};

/* A DMAR device scope: one endpoint or bridge, by its PCI path from start_bus. */
struct acpi_dmar_scope {
	uint8_t type;		/* 1 endpoint, 2 bridge, 3 IOAPIC, 4 HPET, 5 ACPI namespace */
	uint8_t enumeration_id;	/* IOAPIC/HPET id */
	uint8_t start_bus;
	uint8_t path_len;	/* (device, function) pairs in path[] */
	uint8_t path[4][2];
};

struct acpi_drhd {
	paddr_t base;		/* register base address */
	uint16_t segment;
	bool include_pci_all;
	uint8_t scope_count;
	struct acpi_dmar_scope scopes[ACPI_MAX_SCOPES];
};

struct acpi_rmrr {
	paddr_t base;
	paddr_t limit;		/* inclusive */
	uint16_t segment;
	uint8_t scope_count;
	struct acpi_dmar_scope scopes[ACPI_MAX_SCOPES];
};

struct acpi_info {
	uint8_t revision;	/* RSDP revision: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */
	char oem_id[7];

	/* MADT */
	paddr_t lapic_base;	/* after the 64-bit override (MADT type 5), if any */
	bool pcat_compat;	/* MADT flag: dual 8259s present, mask them */
	uint32_t cpu_count;
	uint32_t lapic_ids[ACPI_MAX_CPUS];
	uint32_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t override_count;
	struct acpi_irq_override overrides[ACPI_MAX_OVERRIDES];

	/* HPET */
	paddr_t hpet_base;	/* 0: no HPET */

	/* MCFG */
	uint32_t mcfg_count;
	struct acpi_mcfg_segment mcfg[ACPI_MAX_MCFG];

	/* FADT, DSDT */
	bool fadt_present;
	paddr_t dsdt;		/* X_DSDT when the FADT has one, else DSDT */
	uint16_t sci_irq;	/* ISA IRQ of the SCI (before overrides) */
	uint32_t fadt_flags;	/* ACPI_FADT_* */
	uint16_t smi_cmd_port;	/* 0: the platform is always in ACPI mode */
	uint8_t acpi_enable;	/* value written to smi_cmd_port to enter ACPI mode */
	uint16_t pm1a_cnt_port;
	uint16_t pm1b_cnt_port;	/* 0: no PM1b block */
	bool reset_valid;	/* FADT RESET_REG_SUP and a RESET_REG present */
	struct acpi_generic_address reset_reg;
	uint8_t reset_value;
	bool s5_valid;
	uint8_t s5_slp_typ_a;
	uint8_t s5_slp_typ_b;

	/* DMAR */
	bool dmar_present;
	uint8_t dmar_host_address_width;	/* HAW + 1 = address bits */
	uint8_t dmar_flags;			/* bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT */
	uint32_t drhd_count;
	struct acpi_drhd drhd[ACPI_MAX_DRHD];
	uint32_t rmrr_count;
	struct acpi_rmrr rmrr[ACPI_MAX_RMRR];

	/* Entries (CPUs, IOAPICs, scopes...) dropped because an array above was full. */
	uint32_t truncated;
};

#define ACPI_FADT_RESET_REG_SUP		BIT(10)
#define ACPI_FADT_HW_REDUCED_ACPI	BIT(20)

#define ACPI_DMAR_INTR_REMAP		BIT(0)
#define ACPI_DMAR_X2APIC_OPT_OUT	BIT(1)

/* Find and parse the tables. Returns 0, or a negative error (no usable RSDP). */
int acpi_init(const struct boot_info *bi);

/* The parsed tables; all-zero before acpi_init() or when there is no ACPI. */
const struct acpi_info *acpi_get(void);

/* The instance-th table with this signature (mapped, checksum verified), or NULL. */
const struct acpi_table_header *acpi_find_table(const char signature[4], unsigned int instance);

/*
 * Hex-dump the RSDP and every table to the console (the "acpidump" boot
 * option). The format, read back by tests/tools/acpidump2bin.py:
 *   acpidump: SIG @0xADDRESS len LENGTH
 *   acpidump: 0000: 44 53 44 54 ...        (16 bytes a line, offset in hex)
 *   acpidump: end SIG
 * SIG is the 4-character signature, "RSDP" for the root pointer.
 */
void acpi_dump_tables(void);

/* Enter ACPI S5 (soft-off) if the FADT and \_S5 were found; returns if not. */
void acpi_power_off(void);

#endif /* HV_ACPI_H */
