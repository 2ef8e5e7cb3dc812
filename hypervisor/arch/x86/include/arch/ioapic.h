/* SPDX-License-Identifier: MIT */
/*
 * The I/O APICs (Intel 82093AA I/O Advanced Programmable Interrupt
 * Controller datasheet; ACPI 6.5, 5.2.12.3 "I/O APIC Structure" and 5.2.12.5
 * "Interrupt Source Override Structure").
 *
 * Each IOAPIC is a window of two registers: IOREGSEL selects an internal
 * register, IOWIN reads or writes it. Its pins are global system interrupts
 * (GSIs) gsi_base .. gsi_base + max redirection entry. Every entry is masked
 * at boot; an entry is unmasked only for a line the hypervisor routes.
 */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <hv/types.h>

/* Memory-mapped registers (82093AA, 3.0). */
#define IOAPIC_IOREGSEL			0x00
#define IOAPIC_IOWIN			0x10
#define IOAPIC_MMIO_SIZE		0x20

/* Internal registers, selected through IOREGSEL (82093AA, 3.2). */
#define IOAPIC_ID			0x00
#define IOAPIC_VER			0x01
# define IOAPIC_VER_VERSION		GENMASK(7, 0)
# define IOAPIC_VER_MRE_SHIFT		16
# define IOAPIC_VER_MRE			GENMASK(23, 16)	/* maximum redirection entry: pins - 1 */
#define IOAPIC_ARB			0x02
#define IOAPIC_REDTBL(pin)		(0x10 + 2 * (pin))	/* low dword; high dword at + 1 */

/* A redirection table entry (82093AA, 3.2.4), as one 64-bit value. */
#define IOAPIC_RTE_VECTOR		GENMASK(7, 0)
#define IOAPIC_RTE_DELMOD_FIXED		0ULL		/* delivery mode 10:8 = 000 */
#define IOAPIC_RTE_DESTMOD_LOGICAL	BIT(11)	/* clear: physical (APIC id) */
#define IOAPIC_RTE_DELIVS		BIT(12)	/* delivery status: send pending */
#define IOAPIC_RTE_INTPOL_LOW		BIT(13)	/* interrupt input pin polarity: active low */
#define IOAPIC_RTE_REMOTE_IRR		BIT(14)	/* level: accepted by a LAPIC, no EOI yet */
#define IOAPIC_RTE_TRIGGER_LEVEL	BIT(15)	/* clear: edge */
#define IOAPIC_RTE_MASK			BIT(16)
#define IOAPIC_RTE_DEST_SHIFT		56		/* physical mode: APIC id in bits 59:56 (xAPIC: 63:56) */
/*
 * Remappable format (VT-d 5.1.5.1): no destination; the message names an
 * interrupt remapping table entry. Bits 10:8 stay 000, the vector field
 * keeps the entry's vector (the EOI broadcast matches it for level lines).
 */
#define IOAPIC_RTE_IR_INDEX_15		BIT(11)	/* interrupt index bit 15 */
#define IOAPIC_RTE_IR_FORMAT		BIT(48)	/* 1: remappable */
#define IOAPIC_RTE_IR_INDEX_SHIFT	49		/* interrupt index 14:0 in bits 63:49 */

/* MPS INTI flags of a MADT interrupt source override (ACPI 6.5, table 5.26). */
#define ACPI_MADT_POLARITY		GENMASK(1, 0)
# define ACPI_MADT_POLARITY_CONFORMS	0
# define ACPI_MADT_POLARITY_HIGH	1
# define ACPI_MADT_POLARITY_LOW		3
#define ACPI_MADT_TRIGGER		GENMASK(3, 2)
# define ACPI_MADT_TRIGGER_CONFORMS	(0 << 2)
# define ACPI_MADT_TRIGGER_EDGE		(1 << 2)
# define ACPI_MADT_TRIGGER_LEVEL	(3 << 2)

/* How a line signals. */
struct ioapic_trigger {
	bool level;		/* false: edge */
	bool active_low;	/* false: active high */
};

/*
 * Map every IOAPIC the MADT lists and mask all their redirection entries
 * (the firmware may have left some unmasked). Returns the number of pins.
 */
unsigned int ioapic_init(void);

/* Whether the GSI is a pin of some IOAPIC (after ioapic_init()). */
bool ioapic_gsi_valid(uint32_t gsi);

/*
 * The GSI and trigger of ISA IRQ irq: a MADT interrupt source override if
 * there is one (its flags, "conforms" meaning the ISA default), else the
 * identity mapping, edge-triggered and active high (ACPI 6.5, 5.2.12.5).
 */
uint32_t ioapic_isa_irq_to_gsi(uint8_t irq, struct ioapic_trigger *trigger);

/*
 * Program the entry of gsi: fixed delivery of vector to the boot CPU
 * (physical destination), with the given trigger, left masked. Returns 0,
 * or -HV_EINVAL if no IOAPIC has that GSI or vector is an exception.
 */
int ioapic_route(uint32_t gsi, uint8_t vector, struct ioapic_trigger trigger);

/*
 * The same, in remappable format: the entry names interrupt remapping
 * table entry index (which must deliver vector), left masked.
 */
int ioapic_route_remapped(uint32_t gsi, uint8_t vector, struct ioapic_trigger trigger, uint16_t index);

/* The id of the IOAPIC that has gsi; false if none. */
bool ioapic_gsi_id(uint32_t gsi, uint8_t *id);

/* Mask or unmask gsi's entry (a routed GSI: ioapic_route() returned 0). */
void ioapic_set_masked(uint32_t gsi, bool masked);

/* gsi's raw redirection entry, for logs and tests; 0 if no IOAPIC has it. */
uint64_t ioapic_read_entry(uint32_t gsi);

#endif /* ARCH_IOAPIC_H */
