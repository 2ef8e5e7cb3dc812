// SPDX-License-Identifier: MIT
/*
 * The I/O APICs (arch/ioapic.h). One CPU, and these functions run with
 * interrupts off (boot, exit handlers, interrupt handlers), so the
 * IOREGSEL/IOWIN pair needs no lock.
 */
#include <abi/errno.h>
#include <arch/ioapic.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/mm.h>

struct ioapic {
	volatile uint8_t *mmio;
	uint8_t id;
	uint32_t gsi_base;
	unsigned int pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned int ioapic_count;

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
	mmio_write32(io->mmio + IOAPIC_IOREGSEL, reg);
	return mmio_read32(io->mmio + IOAPIC_IOWIN);
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t value)
{
	mmio_write32(io->mmio + IOAPIC_IOREGSEL, reg);
	mmio_write32(io->mmio + IOAPIC_IOWIN, value);
}

static uint64_t rte_read(const struct ioapic *io, unsigned int pin)
{
	uint64_t low = ioapic_read(io, IOAPIC_REDTBL(pin));

	return low | (uint64_t)ioapic_read(io, IOAPIC_REDTBL(pin) + 1) << 32;
}

/*
 * Write an entry so that it is never live half-written: mask it first,
 * then the destination, then the low dword (which may unmask it).
 */
static void rte_write(const struct ioapic *io, unsigned int pin, uint64_t rte)
{
	ioapic_write(io, IOAPIC_REDTBL(pin), (uint32_t)(rte | IOAPIC_RTE_MASK));
	ioapic_write(io, IOAPIC_REDTBL(pin) + 1, (uint32_t)(rte >> 32));
	ioapic_write(io, IOAPIC_REDTBL(pin), (uint32_t)rte);
}

/* The IOAPIC that has gsi, and the pin; NULL if none. */
static const struct ioapic *gsi_to_pin(uint32_t gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < ioapic_count; i++) {
		const struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

unsigned int ioapic_init(void)
{
	const struct acpi_info *acpi = acpi_get();
	unsigned int total = 0;

	ioapic_count = 0;
	for (unsigned int i = 0; i < acpi->ioapic_count && i < ARRAY_SIZE(ioapics); i++) {
		struct ioapic *io = &ioapics[ioapic_count];

		io->mmio = ioremap(acpi->ioapics[i].base, IOAPIC_MMIO_SIZE);
		io->id = acpi->ioapics[i].id;
		io->gsi_base = acpi->ioapics[i].gsi_base;
		uint32_t ver = ioapic_read(io, IOAPIC_VER);
		io->pins = (unsigned int)((ver & IOAPIC_VER_MRE) >> IOAPIC_VER_MRE_SHIFT) + 1;
		/* Masked, edge, and aimed at the spurious vector should anything slip through. */
		for (unsigned int pin = 0; pin < io->pins; pin++)
			rte_write(io, pin, IOAPIC_RTE_MASK | VECTOR_SPURIOUS);
		pr_info("ioapic: id %u at %#llx, version %#x, GSI %u-%u: all %u entries masked", io->id,
			(unsigned long long)acpi->ioapics[i].base, (unsigned int)(ver & IOAPIC_VER_VERSION),
			io->gsi_base, io->gsi_base + io->pins - 1, io->pins);
		total += io->pins;
		ioapic_count++;
	}
	if (!ioapic_count)
		pr_warn("ioapic: the MADT lists none: no device interrupts");
	return total;
}

bool ioapic_gsi_valid(uint32_t gsi)
{
	unsigned int pin;

	return gsi_to_pin(gsi, &pin) != NULL;
}

uint32_t ioapic_isa_irq_to_gsi(uint8_t irq, struct ioapic_trigger *trigger)
{
	const struct acpi_info *acpi = acpi_get();

	/* ISA interrupts are edge-triggered, active high (the bus's own convention). */
	*trigger = (struct ioapic_trigger){ .level = false, .active_low = false };
	for (uint32_t i = 0; i < acpi->override_count; i++) {
		const struct acpi_irq_override *o = &acpi->overrides[i];

		if (o->source_irq != irq)
			continue;
		if ((o->flags & ACPI_MADT_POLARITY) == ACPI_MADT_POLARITY_LOW)
			trigger->active_low = true;
		if ((o->flags & ACPI_MADT_TRIGGER) == ACPI_MADT_TRIGGER_LEVEL)
			trigger->level = true;
		return o->gsi;
	}
	return irq;
}

int ioapic_route(uint32_t gsi, uint8_t vector, struct ioapic_trigger trigger)
{
	unsigned int pin;
	const struct ioapic *io = gsi_to_pin(gsi, &pin);

	if (!io || vector < X86_NR_EXCEPTIONS)
		return -HV_EINVAL;
	uint64_t rte = IOAPIC_RTE_MASK | IOAPIC_RTE_DELMOD_FIXED | vector |
		       (uint64_t)lapic_id() << IOAPIC_RTE_DEST_SHIFT;
	if (trigger.level)
		rte |= IOAPIC_RTE_TRIGGER_LEVEL;
	if (trigger.active_low)
		rte |= IOAPIC_RTE_INTPOL_LOW;
	rte_write(io, pin, rte);
	return 0;
}

int ioapic_route_remapped(uint32_t gsi, uint8_t vector, struct ioapic_trigger trigger, uint16_t index)
{
	unsigned int pin;
	const struct ioapic *io = gsi_to_pin(gsi, &pin);

	if (!io || vector < X86_NR_EXCEPTIONS)
		return -HV_EINVAL;
	uint64_t rte = IOAPIC_RTE_MASK | IOAPIC_RTE_IR_FORMAT | vector |
		       (uint64_t)(index & 0x7fff) << IOAPIC_RTE_IR_INDEX_SHIFT |
		       (index & 0x8000 ? IOAPIC_RTE_IR_INDEX_15 : 0);
	if (trigger.level)
		rte |= IOAPIC_RTE_TRIGGER_LEVEL;
	if (trigger.active_low)
		rte |= IOAPIC_RTE_INTPOL_LOW;
	rte_write(io, pin, rte);
	return 0;
}

bool ioapic_gsi_id(uint32_t gsi, uint8_t *id)
{
	unsigned int pin;
	const struct ioapic *io = gsi_to_pin(gsi, &pin);

	if (io)
		*id = io->id;
	return io != NULL;
}

void ioapic_set_masked(uint32_t gsi, bool masked)
{
	unsigned int pin;
	const struct ioapic *io = gsi_to_pin(gsi, &pin);

	if (!io)
		return;
	uint32_t low = ioapic_read(io, IOAPIC_REDTBL(pin));
	low = masked ? low | (uint32_t)IOAPIC_RTE_MASK : low & ~(uint32_t)IOAPIC_RTE_MASK;
	ioapic_write(io, IOAPIC_REDTBL(pin), low);
}

uint64_t ioapic_read_entry(uint32_t gsi)
{
	unsigned int pin;
	const struct ioapic *io = gsi_to_pin(gsi, &pin);

	return io ? rte_read(io, pin) : 0;
}
