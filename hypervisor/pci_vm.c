// SPDX-License-Identifier: MIT
/*
 * A VM's devices as resources: the ring-0 glue between the ownership table
 * (pci_owner.c) and a VM's lifecycle (vm.c). Memory BARs appear in the
 * owner's EPT/NPT at guest-physical = host-physical, uncached, so the
 * owner's driver uses the addresses it reads from the BARs; the MSI-X
 * table's pages are left out, so that touching them traps. I/O BARs are
 * opened in the owner's I/O bitmap through the backend. docs/devices.md.
 */
#include <abi/errno.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/mm.h>
#include <hv/pci_owner.h>
#include <hv/pci_vm.h>
#include <hv/policy.h>
#include <hv/vm.h>

#define BAR_PAGE	4096ULL

static int map_range(struct vm *vm, uint64_t start, uint64_t end)
{
	if (start >= end)
		return 0;
	/* Readable and writable, never executable: device registers are not code. */
	return pt_map(&vm->gpt, start, start, end - start, PT_WRITE | PT_USER | PT_UNCACHED,
		      PT_SIZE_4K | PT_SIZE_2M);
}

int pci_vm_map(struct vm *vm)
{
	size_t cursor = 0;

	for (const struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));) {
		const struct pci_device *d = a->dev;

		for (unsigned int i = 0; i < d->bar_count; i++) {
			const struct pci_bar *b = &d->bars[i];
			uint64_t start, end;
			int err;

			if ((b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) || !b->base)
				continue;
			/* policy_check_devices() made sure no other function shares these pages. */
			start = ALIGN_DOWN(b->base, BAR_PAGE);
			end = ALIGN_UP(b->base + b->size, BAR_PAGE);
			if (a->msix_bar == (int)i) {
				uint64_t hole = ALIGN_DOWN(a->msix_table, BAR_PAGE);
				uint64_t hole_end = ALIGN_UP(a->msix_table + a->msix_table_size, BAR_PAGE);

				err = map_range(vm, start, MIN(hole, end));
				if (!err)
					err = map_range(vm, MAX(hole_end, start), end);
				pr_info("pci: vm '%s': %02x:%02x.%u MSI-X table %#llx-%#llx left unmapped "
					"(interrupt remapping comes later)", vm->cfg.name, PCI_BUS(d->sbdf),
					PCI_DEV(d->sbdf), PCI_FN(d->sbdf), (unsigned long long)hole,
					(unsigned long long)(hole_end - 1));
			} else {
				err = map_range(vm, start, end);
			}
			if (err) {
				pr_err("vm '%s': cannot map %02x:%02x.%u BAR%u (%d)", vm->cfg.name,
				       PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf), i, err);
				return err;
			}
			pr_info("pci: vm '%s': %02x:%02x.%u BAR%u %#llx-%#llx mapped uncached at the same "
				"guest-physical address", vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf),
				PCI_FN(d->sbdf), i, (unsigned long long)b->base,
				(unsigned long long)(b->base + b->size - 1));
		}
	}
	return 0;
}

int pci_vm_start(struct vm *vm)
{
	size_t cursor = 0;

	vm->pci_config_address = 0;
	pci_owner_reset(vm->id);
	for (const struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));) {
		const struct pci_device *d = a->dev;

		for (unsigned int i = 0; i < d->bar_count; i++) {
			const struct pci_bar *b = &d->bars[i];

			if (b->type != PCI_BAR_IO || !b->base)
				continue;
			int err = vcpu_backend()->io_allow(&vm->vcpu, (uint16_t)b->base, (uint32_t)b->size);
			if (err) {
				pr_err("vm '%s': cannot open ports %#llx-%#llx of %02x:%02x.%u (%d)",
				       vm->cfg.name, (unsigned long long)b->base,
				       (unsigned long long)(b->base + b->size - 1), PCI_BUS(d->sbdf),
				       PCI_DEV(d->sbdf), PCI_FN(d->sbdf), err);
				return err;
			}
		}
	}
	return 0;
}

void pci_vm_release(struct vm *vm)
{
	pci_owner_reset(vm->id);
}

static void warn_unprotected_dma(const struct policy *pol)
{
	pr_warn("************************************************************************");
	pr_warn("* UNPROTECTED DMA: there is no IOMMU, and the policy assigns devices   *");
	pr_warn("* anyway (flags = unprotected-dma). Their DMA reaches ALL memory:      *");
	for (uint32_t i = 0; i < pol->assignment_count; i++) {
		const struct policy_assignment *a = &pol->assignments[i];

		pr_warn("*   vm '%s' (device '%s', %02x:%02x.%u) CAN OVERWRITE ANY MEMORY",
			pol->vms[a->owner - 1].name, pol->devices[a->device].name, PCI_BUS(a->sbdf),
			PCI_DEV(a->sbdf), PCI_FN(a->sbdf));
	}
	pr_warn("* the hypervisor's and every other VM's. Isolation holds only as long  *");
	pr_warn("* as those IOVMs and their devices behave. Do not run untrusted code.  *");
	pr_warn("************************************************************************");
}

int pci_vm_init(const struct policy *pol)
{
	int n = pci_owner_init(pol);

	if (n < 0) {
		pr_err("pci: an assigned function is missing from the device table (%d)", n);
		return n;
	}
	for (uint32_t i = 0; i < pol->assignment_count; i++) {
		const struct policy_assignment *a = &pol->assignments[i];
		const struct pci_device *d = pci_find(a->sbdf);

		pr_info("pci: %02x:%02x.%u %04x:%04x %s -> vm '%s' (device '%s')", PCI_BUS(a->sbdf),
			PCI_DEV(a->sbdf), PCI_FN(a->sbdf), d->vendor_id, d->device_id,
			pci_class_name(d->class_code, d->subclass), pol->vms[a->owner - 1].name,
			pol->devices[a->device].name);
	}
	if (pol->unprotected_dma)
		warn_unprotected_dma(pol);
	else if (pol->assignment_count)
		pr_warn("pci: assigned devices' DMA is not confined yet: the VT-d attach is not wired "
			"(next slice)");
	return 0;
}
