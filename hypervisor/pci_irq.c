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

void pci_irq_stop(struct vm *vm)
{
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
