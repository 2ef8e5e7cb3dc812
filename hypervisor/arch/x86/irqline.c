// SPDX-License-Identifier: MIT
/*
 * Host interrupt lines on x86 (hv/irqline.h): a line is an IOAPIC GSI.
 *
 * Where a PCI function's INTx arrives:
 *   q35 (MCH 8086:29c0, ICH9): every INTx of a device on bus 0 in slots
 *     0-24 goes to PIRQ E..H, device slot s pin p (0 = INTA) to PIRQ
 *     E + (s + p) mod 4, and the ICH9 wires PIRQ A..H to IOAPIC pins 16-23
 *     (ICH9: PIRQ[A:H]# drive IOAPIC inputs 16-23 directly), whatever the
 *     PIRQ router's ISA routing (the firmware's Interrupt Line) says.
 *     Checked against what QEMU's e1000 at 00:02.0 really raises: GSI 22
 *     (test qemu-net-irq; routing it to GSI 23 instead, the device receives
 *     but its IOVM never gets an interrupt and the test fails).
 *   anything else (i440fx/PIIX: Bochs, QEMU pc): the firmware's Interrupt
 *     Line register, the ISA IRQ it routed the PIRQ to, which the IOAPIC
 *     sees on the same pin unless a MADT override says otherwise.
 *   Behind bridges (q35's PCIe root ports, pci-bridge, pcie-pci-bridge):
 *     every bridge on the way up swizzles the pin by the device number on
 *     its secondary bus (PCI-to-PCI Bridge Architecture 1.2, 9.1: INTx of
 *     device d pin p leaves the bridge on its pin (d + p) mod 4; PCI
 *     Express 2.2.8.1 keeps the rule for virtual wires), until a bridge on
 *     bus 0, whose slot then picks the PIRQ as above.
 */
#include <abi/errno.h>
#include <arch/intremap.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <hv/console.h>
#include <hv/irqline.h>

#define PCI_VENDOR_INTEL	0x8086
#define PCI_DEVICE_Q35_MCH	0x29c0
#define ICH9_PIRQ_GSI_BASE	16	/* PIRQ A; E..H are 20..23 */
#define ICH9_PIRQ_E		4
#define ICH9_PIRQ_SLOTS		25	/* slots 25-31 route through the chipset's DnnIR registers */
#define PCI_INTX_LEVEL_LOW	((struct ioapic_trigger){ .level = true, .active_low = true })

struct line {
	uint32_t gsi;
	uint8_t vector;
	irqline_handler_t handler;
	uint64_t count;
};

/* Host vectors: INTx lines from VECTOR_DEVICE_BASE up, messages (MSI-X) from VECTOR_MSG_BASE. */
#define VECTOR_MSG_BASE		0xa0

struct msg {
	bool used;
	int entry;		/* interrupt remapping table index */
	irqmsg_handler_t handler;
	unsigned int cookie;
	uint64_t count;
};

static struct line lines[VECTOR_MSG_BASE - VECTOR_DEVICE_BASE];
static unsigned int line_count;
static struct msg msgs[VECTOR_DEVICE_LAST - VECTOR_MSG_BASE + 1];
_Static_assert(ARRAY_SIZE(msgs) == IRQMSG_MAX, "hv/irqline.h promises this many message vectors");

static bool is_q35(void)
{
	const struct pci_device *host = pci_find(PCI_SBDF(0, 0, 0, 0));

	return host && host->vendor_id == PCI_VENDOR_INTEL && host->device_id == PCI_DEVICE_Q35_MCH;
}

#define PCI_MAX_BRIDGE_HOPS	8	/* deeper than any real topology: a loop in what we read */

/* The bridge whose secondary bus d sits on, or NULL. */
static const struct pci_device *bridge_to(const struct pci_device *d)
{
	size_t count;
	const struct pci_device *devs = pci_devices(&count);

	for (size_t i = 0; i < count; i++)
		if (devs[i].header_type == PCI_HEADER_TYPE_BRIDGE && PCI_SEG(devs[i].sbdf) == PCI_SEG(d->sbdf) &&
		    devs[i].secondary_bus == PCI_BUS(d->sbdf))
			return &devs[i];
	return NULL;
}

int irqline_of_pci(const struct pci_device *d, uint32_t *line, const char **how)
{
	if (!d->interrupt_pin || d->interrupt_pin > 4)
		return -HV_ENOENT;
	if (is_q35()) {
		unsigned int pin = d->interrupt_pin - 1u;	/* 0 = INTA */
		const struct pci_device *at = d;

		for (unsigned int hops = 0; PCI_BUS(at->sbdf) != 0; hops++) {
			const struct pci_device *up = bridge_to(at);

			if (!up || hops >= PCI_MAX_BRIDGE_HOPS)
				return -HV_ENODEV;
			pin = (pin + PCI_DEV(at->sbdf)) % 4;
			at = up;
		}
		unsigned int slot = PCI_DEV(at->sbdf);
		if (PCI_SEG(at->sbdf) || slot >= ICH9_PIRQ_SLOTS)
			return -HV_ENODEV;
		*line = ICH9_PIRQ_GSI_BASE + ICH9_PIRQ_E + (slot + pin) % 4;
		*how = at == d ? "q35: PIRQ E-H by slot, PIRQ A-H = GSI 16-23"
			       : "q35: swizzled through its bridges, then PIRQ E-H by slot";
		return 0;
	}
	if (d->interrupt_line == 0 || d->interrupt_line >= 16)
		return -HV_ENODEV;	/* 0xff: the firmware routed it nowhere */
	struct ioapic_trigger isa;
	*line = ioapic_isa_irq_to_gsi(d->interrupt_line, &isa);
	*how = "the firmware's interrupt line (ISA IRQ, MADT overrides applied)";
	return 0;
}

static struct line *line_by_gsi(uint32_t gsi)
{
	for (unsigned int i = 0; i < line_count; i++)
		if (lines[i].gsi == gsi)
			return &lines[i];
	return NULL;
}

/* Mask first, then EOI: a level line still asserted cannot come back before core code unmasks it. */
static void line_interrupt(struct trap_frame *frame)
{
	struct line *l = &lines[frame->vector - VECTOR_DEVICE_BASE];

	ioapic_set_masked(l->gsi, true);
	lapic_eoi();
	l->count++;
	l->handler(l->gsi);
}

/*
 * With interrupt remapping on, the IOAPIC entry names a remapping table
 * entry that delivers the line's vector, accepted only with the IOAPIC's
 * own requester id (the DMAR's IOAPIC device scope).
 */
static int route_remapped(const struct line *l)
{
	uint8_t id;
	uint16_t sid;

	if (!ioapic_gsi_id(l->gsi, &id) || intremap_ioapic_source(id, &sid)) {
		pr_err("irq: GSI %u: the DMAR names no source id for its IOAPIC: line not routed", l->gsi);
		return -HV_ENODEV;
	}
	int index = intremap_alloc(l->vector, true, sid);
	if (index < 0)
		return index;
	int err = ioapic_route_remapped(l->gsi, l->vector, PCI_INTX_LEVEL_LOW, (uint16_t)index);
	if (err) {
		intremap_free(index);
		return err;
	}
	pr_info("irq: GSI %u: IOAPIC %u entry in remappable format -> IRTE %d (vector %#x, level, source id "
		"%02x:%02x.%u verified)", l->gsi, id, index, l->vector, sid >> 8, (sid >> 3) & 0x1f, sid & 7);
	return 0;
}

int irqline_claim(uint32_t gsi, irqline_handler_t handler)
{
	struct line *l = line_by_gsi(gsi);

	if (l)
		return l->handler == handler ? l->vector : -HV_EBUSY;
	if (!ioapic_gsi_valid(gsi))
		return -HV_EINVAL;
	if (line_count == ARRAY_SIZE(lines))
		return -HV_ENOMEM;
	l = &lines[line_count];
	*l = (struct line){ .gsi = gsi, .vector = (uint8_t)(VECTOR_DEVICE_BASE + line_count), .handler = handler };
	int err = intremap_enabled() ? route_remapped(l) : ioapic_route(gsi, l->vector, PCI_INTX_LEVEL_LOW);
	if (err)
		return err;
	line_count++;
	irq_set_handler(l->vector, line_interrupt);
	return l->vector;
}

void irqline_set_masked(uint32_t gsi, bool masked)
{
	if (line_by_gsi(gsi))
		ioapic_set_masked(gsi, masked);
}

uint64_t irqline_count(uint32_t gsi)
{
	const struct line *l = line_by_gsi(gsi);

	return l ? l->count : 0;
}

/* ---- Message-signalled interrupts ---- */

bool irqmsg_available(void)
{
	return intremap_enabled();
}

/* Edge: nothing to mask; EOI first, then tell core code. */
static void msg_interrupt(struct trap_frame *frame)
{
	struct msg *m = &msgs[frame->vector - VECTOR_MSG_BASE];

	lapic_eoi();
	if (!m->used)
		return;
	m->count++;
	m->handler(m->cookie);
}

int irqmsg_claim(pci_sbdf_t sbdf, irqmsg_handler_t handler, unsigned int cookie, struct irqmsg *msg)
{
	if (!intremap_enabled())
		return -HV_ENODEV;
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
		if (msgs[i].used)
			continue;
		uint8_t vector = (uint8_t)(VECTOR_MSG_BASE + i);
		int entry = intremap_alloc(vector, false, (uint16_t)PCI_BDF(sbdf));

		if (entry < 0)
			return entry;
		msgs[i] = (struct msg){ .used = true, .entry = entry, .handler = handler, .cookie = cookie };
		irq_set_handler(vector, msg_interrupt);
		intremap_msi_message(entry, &msg->address_lo, &msg->address_hi, &msg->data);
		return (int)i;
	}
	return -HV_ENOMEM;
}

void irqmsg_release(int handle)
{
	if (handle < 0 || handle >= (int)ARRAY_SIZE(msgs) || !msgs[handle].used)
		return;
	intremap_free(msgs[handle].entry);
	msgs[handle].used = false;
}

int irqmsg_entry(int handle)
{
	if (handle < 0 || handle >= (int)ARRAY_SIZE(msgs) || !msgs[handle].used)
		return -1;
	return msgs[handle].entry;
}

uint64_t irqmsg_count(int handle)
{
	if (handle < 0 || handle >= (int)ARRAY_SIZE(msgs) || !msgs[handle].used)
		return 0;
	return msgs[handle].count;
}
