/* SPDX-License-Identifier: MIT */
/*
 * ACPI table layouts and the pure parsers behind acpi_init().
 *
 * Layouts are named as in the ACPI 6.5 specification (chapter 5.2) and the
 * Intel VT-d specification 4.x (chapter 8, "ACPI DMA Remapping Reporting
 * Structure"). The parsers read only the bytes they are given: no mapping,
 * no globals, so the host unit tests and the fuzzer run them on captured and
 * corrupted tables. Every length and count that comes from firmware is
 * checked against the buffer before anything is read through it.
 *
 * The per-table parsers fill their own fields of struct acpi_info only when
 * the whole table is well-formed (they check first, then extract); on error
 * they return a negative HV_E* code and leave *info as it was.
 */
#ifndef HV_ACPI_TABLES_H
#define HV_ACPI_TABLES_H

#include <hv/acpi.h>
#include <hv/types.h>

/* ---- Root System Description Pointer (ACPI 6.5 section 5.2.5.3) ---- */

#define ACPI_RSDP_SIGNATURE	"RSD PTR "
#define ACPI_RSDP_V1_LENGTH	20	/* up to RsdtAddress: covered by Checksum */

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;		/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 0: ACPI 1.0; 2: ACPI 2.0+ */
	uint32_t rsdt_address;
	/* ACPI 2.0+ */
	uint32_t length;		/* of the whole RSDP */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over the whole RSDP */
	uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LENGTH, "RSDP 1.0 part");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XsdtAddress");

/* What the RSDP says, once validated. */
struct acpi_root {
	uint8_t revision;
	char oem_id[7];
	paddr_t rsdt;
	paddr_t xsdt;		/* 0: none (revision 0, or not given) */
};

/* ---- Multiple APIC Description Table (section 5.2.12) ---- */

struct acpi_madt {
	struct acpi_table_header header;	/* "APIC" */
	uint32_t local_apic_address;
	uint32_t flags;
	/* followed by Interrupt Controller Structures */
} __packed;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

#define ACPI_MADT_PCAT_COMPAT	BIT(0)

/* Interrupt Controller Structure header: Type, Length (bytes, header included). */
struct acpi_subtable_header {
	uint8_t type;
	uint8_t length;
} __packed;

enum acpi_madt_type {
	ACPI_MADT_LOCAL_APIC = 0,
	ACPI_MADT_IO_APIC = 1,
	ACPI_MADT_INTERRUPT_OVERRIDE = 2,
	ACPI_MADT_NMI_SOURCE = 3,
	ACPI_MADT_LOCAL_APIC_NMI = 4,
	ACPI_MADT_LOCAL_APIC_OVERRIDE = 5,
	ACPI_MADT_LOCAL_X2APIC = 9,
	ACPI_MADT_LOCAL_X2APIC_NMI = 10,
};

/* Processor Local APIC / x2APIC flags. */
#define ACPI_MADT_ENABLED		BIT(0)
#define ACPI_MADT_ONLINE_CAPABLE	BIT(1)

struct acpi_madt_local_apic {
	struct acpi_subtable_header header;
	uint8_t acpi_processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "MADT Processor Local APIC");

struct acpi_madt_io_apic {
	struct acpi_subtable_header header;
	uint8_t io_apic_id;
	uint8_t reserved;
	uint32_t io_apic_address;
	uint32_t global_system_interrupt_base;
} __packed;
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "MADT I/O APIC");

struct acpi_madt_interrupt_override {
	struct acpi_subtable_header header;
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* bus-relative IRQ */
	uint32_t global_system_interrupt;
	uint16_t flags;			/* MPS INTI flags */
} __packed;
_Static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "MADT Interrupt Source Override");

struct acpi_madt_local_apic_override {
	struct acpi_subtable_header header;
	uint16_t reserved;
	uint64_t local_apic_address;
} __packed;
_Static_assert(sizeof(struct acpi_madt_local_apic_override) == 12, "MADT Local APIC Address Override");

struct acpi_madt_local_x2apic {
	struct acpi_subtable_header header;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_processor_uid;
} __packed;
_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "MADT Processor Local x2APIC");

/* ---- PCI Express memory mapped configuration (PCI Firmware spec 3.x, table 4-3) ---- */

struct acpi_mcfg {
	struct acpi_table_header header;	/* "MCFG" */
	uint8_t reserved[8];
	/* followed by allocation structures */
} __packed;
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG");

struct acpi_mcfg_allocation {
	uint64_t base_address;
	uint16_t pci_segment_group;
	uint8_t start_bus_number;
	uint8_t end_bus_number;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG allocation");

/* ---- IA-PC HPET Description Table (HPET spec 1.0a, section 3.2.4) ---- */

struct acpi_hpet {
	struct acpi_table_header header;	/* "HPET" */
	uint32_t event_timer_block_id;
	struct acpi_generic_address base_address;
	uint8_t hpet_number;
	uint16_t minimum_clock_tick;
	uint8_t page_protection;
} __packed;
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET");

/* ---- Fixed ACPI Description Table (section 5.2.9) ---- */

struct acpi_fadt {
	struct acpi_table_header header;	/* "FACP" */
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	/* ACPI 1.0 ends here (116 bytes) */
	struct acpi_generic_address reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t fadt_minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_generic_address x_pm1a_evt_blk;
	struct acpi_generic_address x_pm1b_evt_blk;
	struct acpi_generic_address x_pm1a_cnt_blk;
	struct acpi_generic_address x_pm1b_cnt_blk;
	struct acpi_generic_address x_pm2_cnt_blk;
	struct acpi_generic_address x_pm_tmr_blk;
	struct acpi_generic_address x_gpe0_blk;
	struct acpi_generic_address x_gpe1_blk;
	struct acpi_generic_address sleep_control_reg;
	struct acpi_generic_address sleep_status_reg;
	uint64_t hypervisor_vendor_identity;
} __packed;
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT_BLK");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (ACPI 6.5)");

/* PM1 Control register (section 4.8.4.2.1). */
#define ACPI_PM1_CNT_SCI_EN		BIT(0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT	10
#define ACPI_PM1_CNT_SLP_TYP		GENMASK(12, 10)
#define ACPI_PM1_CNT_SLP_EN		BIT(13)

/* ---- DMA Remapping Reporting table (VT-d spec 4.x, section 8.1) ---- */

struct acpi_dmar {
	struct acpi_table_header header;	/* "DMAR" */
	uint8_t host_address_width;		/* N - 1 */
	uint8_t flags;				/* ACPI_DMAR_INTR_REMAP, ... */
	uint8_t reserved[10];
	/* followed by Remapping Structures */
} __packed;
_Static_assert(sizeof(struct acpi_dmar) == 48, "DMAR");

/* Remapping Structure Types (section 8.2). */
enum acpi_dmar_type {
	ACPI_DMAR_TYPE_DRHD = 0,
	ACPI_DMAR_TYPE_RMRR = 1,
	ACPI_DMAR_TYPE_ATSR = 2,
	ACPI_DMAR_TYPE_RHSA = 3,
	ACPI_DMAR_TYPE_ANDD = 4,
	ACPI_DMAR_TYPE_SATC = 5,
	ACPI_DMAR_TYPE_SIDP = 6,
};

struct acpi_dmar_header {
	uint16_t type;
	uint16_t length;
} __packed;
_Static_assert(sizeof(struct acpi_dmar_header) == 4, "DMAR remapping structure header");

/* DMA Remapping Hardware Unit Definition (section 8.3). */
struct acpi_dmar_hardware_unit {
	struct acpi_dmar_header header;
	uint8_t flags;
	uint8_t size;				/* register set: 2^size pages (VT-d 3.x+) */
	uint16_t segment_number;
	uint64_t register_base_address;
	/* followed by Device Scopes */
} __packed;
_Static_assert(sizeof(struct acpi_dmar_hardware_unit) == 16, "DRHD");

#define ACPI_DRHD_INCLUDE_PCI_ALL	BIT(0)

/* Reserved Memory Region Reporting (section 8.4). */
struct acpi_dmar_reserved_memory {
	struct acpi_dmar_header header;
	uint16_t reserved;
	uint16_t segment_number;
	uint64_t reserved_memory_region_base_address;
	uint64_t reserved_memory_region_limit_address;	/* inclusive */
	/* followed by Device Scopes */
} __packed;
_Static_assert(sizeof(struct acpi_dmar_reserved_memory) == 24, "RMRR");

/* Device Scope (section 8.3.1). */
struct acpi_dmar_device_scope {
	uint8_t type;
	uint8_t length;				/* 6 + 2 * path entries */
	uint8_t flags;
	uint8_t reserved;
	uint8_t enumeration_id;
	uint8_t start_bus_number;
	/* followed by Path: (device, function) pairs */
} __packed;
_Static_assert(sizeof(struct acpi_dmar_device_scope) == 6, "DMAR device scope");

enum acpi_dmar_scope_type {
	ACPI_DMAR_SCOPE_PCI_ENDPOINT = 1,
	ACPI_DMAR_SCOPE_PCI_BRIDGE = 2,
	ACPI_DMAR_SCOPE_IOAPIC = 3,
	ACPI_DMAR_SCOPE_HPET = 4,
	ACPI_DMAR_SCOPE_ACPI_NAMESPACE = 5,
};

/* ---- Parsers ---- */

/*
 * Validate an RSDP of avail bytes: signature, the ACPI 1.0 checksum, and for
 * revision >= 2 the length (36..avail) and extended checksum. A revision-2
 * RSDP truncated to 20 bytes (GRUB's ACPI 1.0 tag) is accepted as 1.0.
 */
int acpi_parse_rsdp(const void *buf, size_t avail, struct acpi_root *root);

/*
 * Validate a system description table header and its bytes: the header
 * fits, 36 <= Length <= avail, and the bytes sum to 0. Returns the table
 * length, or -HV_EBADMSG.
 */
long acpi_table_check(const void *buf, size_t avail);

/*
 * The entries of a validated RSDT (4-byte) or XSDT (8-byte entries, not
 * naturally aligned): stores up to max addresses and returns how many the
 * table holds, or a negative error if the length is not a whole number of
 * entries.
 */
int acpi_sdt_entries(const void *table, size_t len, bool xsdt, paddr_t *entries, unsigned int max);

/* Per-table parsers: table is validated (acpi_table_check), len its Length. */
int acpi_parse_madt(const void *table, size_t len, struct acpi_info *info);
int acpi_parse_mcfg(const void *table, size_t len, struct acpi_info *info);
int acpi_parse_hpet(const void *table, size_t len, struct acpi_info *info);
int acpi_parse_fadt(const void *table, size_t len, struct acpi_info *info);
int acpi_parse_dmar(const void *table, size_t len, struct acpi_info *info);

/*
 * Find "Name (_S5_, Package () { SLP_TYPa, SLP_TYPb, ... })" in the AML of
 * a DSDT or SSDT and set s5_valid, s5_slp_typ_a and s5_slp_typ_b. Returns 0,
 * -HV_ENOENT if there is no such name, -HV_EBADMSG if it is malformed.
 */
int acpi_parse_s5(const void *table, size_t len, struct acpi_info *info);

#endif /* HV_ACPI_TABLES_H */
