// SPDX-License-Identifier: MIT
/*
 * IOVM device interrupts (hv/pci_irq.h): INTx of an assigned function ->
 * host line (masked by the architecture when it fires) -> the owner's
 * virtual vector -> HC_IRQ_ACK -> line unmasked.
 *
 * Hostile owners: the vector an owner acknowledges is checked against its
 * own functions; acknowledging what is not waiting does nothing; an owner
 * that never acknowledges keeps its line masked, which costs the
 * hypervisor nothing. A stopped owner's functions get INTx Disable (PCI
 * 3.0, 6.2.2) so that a device left asserting cannot hold a shared line.
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <hv/console.h>
#include <hv/irqline.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/pci_irq.h>
#include <hv/pci_owner.h>
#include <hv/policy.h>
#include <hv/vm.h>

struct intx {
	struct pci_assigned *a;
	uint32_t line;
	bool live;		/* its owner is running */
	bool waiting;		/* raised, not acknowledged yet: the line stays masked */
	uint64_t raised;	/* this start */
	uint64_t acked;
};

static struct intx intx[POLICY_MAX_ASSIGNMENTS];
static unsigned int intx_count;

/* MSI-X entries programmed through HC_MSI_SETUP. */
struct msix_vec {
	bool used;
	struct pci_assigned *a;
	uint16_t entry;
	uint8_t vector;		/* the owner's virtual vector */
	int handle;		/* irqmsg_claim() */
	uint64_t raised;
};
#define MSIX_MAX_VECTORS	32
static struct msix_vec msix[MSIX_MAX_VECTORS];

/* MSI-X table entry (PCI 3.0, 6.8.2.6): 16 bytes. */
#define MSIX_ENTRY_ADDR_LO	0x0
#define MSIX_ENTRY_ADDR_HI	0x4
#define MSIX_ENTRY_DATA		0x8
#define MSIX_ENTRY_CTRL		0xc
# define MSIX_ENTRY_CTRL_MASK	BIT(0)
#define MSIX_ENTRY_SIZE		16
#define PCI_MSIX_FLAGS_REG	0x02
# define PCI_MSIX_ENABLE	BIT(15)
# define PCI_MSIX_FUNCTION_MASK	BIT(14)

static const char *const pin_names[] = { "?", "INTA", "INTB", "INTC", "INTD" };

/* Unmask line iff some function on it is live and none waits for its owner. */
static void line_update(uint32_t line)
{
	bool live = false, waiting = false;

	for (unsigned int i = 0; i < intx_count; i++) {
		if (intx[i].line != line)
			continue;
		live |= intx[i].live;
		waiting |= intx[i].live && intx[i].waiting;
	}
	irqline_set_masked(line, !live || waiting);
}

/* Interrupt context, line masked: raise every live function's vector on it. */
static void line_interrupt(uint32_t line)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];
		struct vm *vm;

		if (x->line != line || !x->live || !(vm = vm_by_id(x->a->owner)) || vm->state != VM_RUNNING)
			continue;
		x->waiting = true;
		x->raised++;
		virq_raise(&vm->vcpu, x->a->intx_vector);
	}
	/* Nobody live to service it: it stays masked (line_update would say the same). */
}

unsigned int pci_irq_init(void)
{
	uint8_t next_vector[VM_MAX + 1];
	bool msi = irqmsg_available();

	for (uint32_t vm = 1; vm <= VM_MAX; vm++) {
		size_t cursor = 0;

		for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));)
			a->msix_writable = msi && a->msix_bar >= 0;
	}

	intx_count = 0;
	for (unsigned int i = 0; i <= VM_MAX; i++)
		next_vector[i] = UHV_INTX_VECTOR_BASE;
	for (uint32_t vm = 1; vm <= VM_MAX; vm++) {
		size_t cursor = 0;

		for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));) {
			const struct pci_device *d = a->dev;
			uint8_t vector = next_vector[vm]++;	/* fixed by policy order, routed or not */
			const char *how = "";
			uint32_t line;
			int err = irqline_of_pci(d, &line, &how);

			if (err == -HV_ENOENT)
				continue;	/* no interrupt pin */
			int host_vector = err ? err : irqline_claim(line, line_interrupt);
			if (host_vector < 0) {
				pr_warn("irq: %02x:%02x.%u (vm '%s'): %s not routed (%d): its driver must poll",
					PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf), a->owner_name,
					pin_names[d->interrupt_pin], host_vector);
				continue;
			}
			for (unsigned int j = 0; j < intx_count; j++)
				if (intx[j].line == line && intx[j].a->owner != a->owner)
					pr_warn("irq: GSI %u is shared by vm '%s' and vm '%s': each waits for the "
						"other's acknowledgement", line, intx[j].a->owner_name, a->owner_name);
			a->intx_vector = vector;
			intx[intx_count++] = (struct intx){ .a = a, .line = line };
			pr_info("irq: %02x:%02x.%u %s -> GSI %u (%s), host vector %#x, level: vm '%s' virtual "
				"vector %#x", PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf),
				pin_names[d->interrupt_pin], line, how, host_vector, a->owner_name, vector);
		}
	}
	return intx_count;
}

void pci_irq_start(struct vm *vm)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];

		if (x->a->owner != vm->id)
			continue;
		uint16_t cmd = pci_cfg_read16(x->a->dev->sbdf, PCI_COMMAND);
		if (cmd & PCI_COMMAND_INTX_DISABLE)
			pci_cfg_write16(x->a->dev->sbdf, PCI_COMMAND, cmd & ~(uint16_t)PCI_COMMAND_INTX_DISABLE);
		x->live = true;
		x->waiting = false;
		x->raised = x->acked = 0;
		line_update(x->line);
	}
}

/* MSI-X off in the capability (config space works whatever the command register says). */
static void msix_disable(const struct pci_assigned *a)
{
	pci_sbdf_t sbdf = a->dev->sbdf;
	uint16_t ctrl = pci_cfg_read16(sbdf, a->msix_cap + PCI_MSIX_FLAGS_REG);

	if (ctrl & PCI_MSIX_ENABLE)
		pci_cfg_write16(sbdf, a->msix_cap + PCI_MSIX_FLAGS_REG, (uint16_t)(ctrl & ~PCI_MSIX_ENABLE));
}

static void msix_stop(struct vm *vm)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));)
		if (a->msix_bar >= 0)
			msix_disable(a);
	for (unsigned int i = 0; i < ARRAY_SIZE(msix); i++) {
		struct msix_vec *m = &msix[i];
		pci_sbdf_t sbdf;

		if (!m->used || m->a->owner != vm->id)
			continue;
		sbdf = m->a->dev->sbdf;
		pr_info("irq: vm '%s': %02x:%02x.%u MSI-X entry %u: %llu interrupt(s) raised as vector %#x; "
			"the message interrupted %llu time(s) (IRTE %d released)", vm->cfg.name, PCI_BUS(sbdf),
			PCI_DEV(sbdf), PCI_FN(sbdf), m->entry, (unsigned long long)m->raised, m->vector,
			(unsigned long long)irqmsg_count(m->handle), irqmsg_entry(m->handle));
		irqmsg_release(m->handle);
		virq_clear(&vm->vcpu, m->vector);
		m->used = false;
	}
}

void pci_irq_stop(struct vm *vm)
{
	msix_stop(vm);
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];
		pci_sbdf_t sbdf = x->a->dev->sbdf;

		if (x->a->owner != vm->id || !x->live)
			continue;
		uint16_t cmd = pci_cfg_read16(sbdf, PCI_COMMAND);
		pci_cfg_write16(sbdf, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
		x->live = false;
		x->waiting = false;
		virq_clear(&vm->vcpu, x->a->intx_vector);
		line_update(x->line);
		pr_info("irq: vm '%s': %02x:%02x.%u GSI %u: %llu interrupt(s) raised as vector %#x, %llu "
			"acknowledged; the line has interrupted %llu time(s)", vm->cfg.name, PCI_BUS(sbdf),
			PCI_DEV(sbdf), PCI_FN(sbdf), x->line, (unsigned long long)x->raised, x->a->intx_vector,
			(unsigned long long)x->acked, (unsigned long long)irqline_count(x->line));
	}
}

int64_t pci_irq_ack(struct vm *vm, uint64_t vector)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];

		if (x->a->owner != vm->id || x->a->intx_vector != vector)
			continue;
		if (!x->waiting)
			return 0;
		x->waiting = false;
		x->acked++;
		line_update(x->line);
		return 1;
	}
	return -HV_EINVAL;
}

/* ---- MSI-X (HC_MSI_SETUP) ---- */

/* Interrupt context: an edge, so only the virtual vector to raise. */
static void msix_interrupt(unsigned int cookie)
{
	struct msix_vec *m = &msix[cookie];
	struct vm *vm;

	if (!m->used || !(vm = vm_by_id(m->a->owner)) || vm->state != VM_RUNNING)
		return;
	m->raised++;
	virq_raise(&vm->vcpu, m->vector);
}

/* Write one table entry, masked while address and data change; false if it did not take the write. */
static bool msix_entry_write(const struct pci_assigned *a, uint16_t entry, const struct irqmsg *msg, bool unmask)
{
	uint64_t at = a->msix_table + (uint64_t)entry * MSIX_ENTRY_SIZE;
	volatile uint32_t *e = ioremap(ALIGN_DOWN(at, FRAME_SIZE), FRAME_SIZE);

	e = (volatile uint32_t *)((volatile uint8_t *)e + (at & (FRAME_SIZE - 1)));
	e[MSIX_ENTRY_CTRL / 4] = e[MSIX_ENTRY_CTRL / 4] | MSIX_ENTRY_CTRL_MASK;
	e[MSIX_ENTRY_ADDR_LO / 4] = msg->address_lo;
	e[MSIX_ENTRY_ADDR_HI / 4] = msg->address_hi;
	e[MSIX_ENTRY_DATA / 4] = msg->data;
	if (unmask)
		e[MSIX_ENTRY_CTRL / 4] = e[MSIX_ENTRY_CTRL / 4] & ~(uint32_t)MSIX_ENTRY_CTRL_MASK;
	return e[MSIX_ENTRY_ADDR_LO / 4] == msg->address_lo && e[MSIX_ENTRY_DATA / 4] == msg->data;
}

static struct msix_vec *msix_find(const struct pci_assigned *a, uint16_t entry)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(msix); i++)
		if (msix[i].used && msix[i].a == a && msix[i].entry == entry)
			return &msix[i];
	return NULL;
}

int64_t pci_irq_msi_setup(struct vm *vm, uint64_t bdf, uint64_t entry, uint64_t vector)
{
	size_t cursor = 0;
	struct pci_assigned *a;

	if (bdf > 0xffff)
		return -HV_ENOENT;
	while ((a = pci_owner_next(vm->id, &cursor)) && PCI_BDF(a->dev->sbdf) != bdf)
		;
	if (!a || PCI_SEG(a->dev->sbdf) != 0)
		return -HV_ENOENT;
	if (a->msix_bar < 0 || !irqmsg_available())
		return -HV_ENODEV;
	if (entry >= a->msix_table_size / MSIX_ENTRY_SIZE)
		return -HV_ERANGE;
	if (vector != 0 && (vector < UHV_MSI_VECTOR_BASE || vector > UHV_MSI_VECTOR_LAST))
		return -HV_EINVAL;
	for (unsigned int i = 0; i < ARRAY_SIZE(msix); i++)
		if (vector && msix[i].used && msix[i].a->owner == vm->id && msix[i].vector == vector &&
		    !(msix[i].a == a && msix[i].entry == entry))
			return -HV_EBUSY;

	/* Whatever the entry delivered before goes first: masked, its remapping entry released. */
	struct msix_vec *m = msix_find(a, (uint16_t)entry);
	if (m) {
		msix_entry_write(a, m->entry, &(struct irqmsg){ 0 }, false);
		irqmsg_release(m->handle);
		virq_clear(&vm->vcpu, m->vector);
		m->used = false;
	}
	if (!vector)
		return 0;
	for (m = msix; m < msix + ARRAY_SIZE(msix) && m->used; m++)
		;
	if (m == msix + ARRAY_SIZE(msix))
		return -HV_ENOMEM;
	struct irqmsg msg;
	int handle = irqmsg_claim(a->dev->sbdf, msix_interrupt, (unsigned int)(m - msix), &msg);
	if (handle < 0)
		return handle;
	*m = (struct msix_vec){ .used = true, .a = a, .entry = (uint16_t)entry, .vector = (uint8_t)vector,
				.handle = handle };
	pci_sbdf_t sbdf = a->dev->sbdf;
	if (!msix_entry_write(a, m->entry, &msg, true)) {
		irqmsg_release(handle);
		m->used = false;
		return -HV_EIO;
	}
	pr_info("irq: vm '%s': %02x:%02x.%u MSI-X entry %u -> IRTE %d (remappable: address %#x data %#x, edge, "
		"source id verified) -> vm '%s' virtual vector %#x", vm->cfg.name, PCI_BUS(sbdf), PCI_DEV(sbdf),
		PCI_FN(sbdf), m->entry, irqmsg_entry(handle), msg.address_lo, msg.data, vm->cfg.name, m->vector);
	return 0;
}
