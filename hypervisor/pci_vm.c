// SPDX-License-Identifier: MIT
/*
 * A VM's devices as resources: the ring-0 glue between the ownership table
 * (pci_owner.c) and a VM's lifecycle (vm.c). Memory BARs appear in the
 * owner's EPT/NPT at guest-physical = host-physical, uncached, so the
 * owner's driver uses the addresses it reads from the BARs; the MSI-X
 * table's pages are left out, so that touching them traps (and is
 * emulated: hv/mmio.h). I/O BARs are
 * opened in the owner's I/O bitmap through the backend. With an IOMMU, the
 * owner's functions are attached to its DMA domain while it runs (I/O
 * virtual address = guest-physical address, exactly its RAM), and a DMA
 * fault of one of them fails the owner (contain_dma_fault). docs/devices.md,
 * docs/iommu.md.
 */
#include <abi/errno.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/iommu.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/pci_irq.h>
#include <hv/pci_owner.h>
#include <hv/pci_reset.h>
#include <hv/pci_vm.h>
#include <hv/policy.h>
#include <hv/vm.h>

#define BAR_PAGE	4096ULL
#define MAX_DMA_IDS	2	/* requester ids besides its own a function's DMA may carry */

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
				err = map_range(vm, start, a->msix_page);
				if (!err)
					err = map_range(vm, a->msix_page_end, end);
				pr_info("pci: vm '%s': %02x:%02x.%u MSI-X table page(s) %#llx-%#llx left unmapped "
					"(%s)", vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf),
					(unsigned long long)a->msix_page, (unsigned long long)(a->msix_page_end - 1),
					a->msix_refused ? "MSI-X refused: an access there stops the VM" :
					"emulated: the table from a shadow, other registers passed through");
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

/*
 * The requester ids, besides its own, that f's DMA may carry: behind a
 * PCIe-to-PCI bridge, the bridge's own id and its secondary bus's device 0
 * function 0 (PCIe-to-PCI bridge spec 1.0, 2.3: which one depends on the
 * bridge; Linux's pci_for_each_dma_alias covers both too). Returns how many.
 */
static unsigned int dma_alias_ids(const struct pci_device *f, pci_sbdf_t ids[MAX_DMA_IDS])
{
	size_t count;
	const struct pci_device *devs = pci_devices(&count);
	const struct pci_device *bridge = policy_requester_id_alias(f, devs, count);

	if (!bridge)
		return 0;
	ids[0] = bridge->sbdf;
	ids[1] = PCI_SBDF(PCI_SEG(bridge->sbdf), bridge->secondary_bus, 0, 0);
	return ids[1] == f->sbdf ? 1 : 2;
}

static void log_sbdf(char *buf, size_t size, pci_sbdf_t sbdf)
{
	format(buf, size, "%02x:%02x.%u", PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf));
}

/*
 * vm's DMA domain: I/O virtual addresses equal its guest-physical ones, and
 * it maps exactly its RAM, read/write. Not its BARs (no peer-to-peer), not
 * the boot area beyond its RAM, nothing of other VMs or the hypervisor.
 */
static int dma_domain_create(struct vm *vm)
{
	struct iommu_domain *d = iommu_domain_create();

	if (!d) {
		pr_err("vm '%s': no IOMMU domain left for its devices", vm->cfg.name);
		return -HV_ENOMEM;
	}
	int err = iommu_domain_map(d, 0, vm->mem_hpa, vm->cfg.memory_size, IOMMU_WRITE);
	if (err) {
		pr_err("vm '%s': cannot map its RAM into its DMA domain (%d)", vm->cfg.name, err);
		BUG_ON(iommu_domain_destroy(d));
		return err;
	}
	vm->dma_domain = d;
	pr_info("iommu: vm '%s': DMA domain: I/O addresses 0-%#llx -> its RAM at %#llx, read/write; "
		"nothing else", vm->cfg.name, (unsigned long long)(vm->cfg.memory_size - 1),
		(unsigned long long)vm->mem_hpa);
	return 0;
}

/* Attach id to vm's domain. An alias shared by two of its functions is attached once. */
static int dma_attach_id(struct vm *vm, pci_sbdf_t id, bool alias, const struct pci_device *f)
{
	char s[16], t[16];
	int err = iommu_attach(vm->dma_domain, id);

	log_sbdf(s, sizeof(s), id);
	log_sbdf(t, sizeof(t), f->sbdf);
	if (err == -HV_EBUSY && alias)
		return 0;	/* another of its functions behind the same bridge brought it */
	if (err) {
		pr_err("vm '%s': cannot attach %s%s%s to its DMA domain (%d): its DMA would not be "
		       "confined", vm->cfg.name, s, alias ? ", requester-id alias of " : "", alias ? t : "",
		       err);
		return err;
	}
	if (alias)
		pr_info("iommu: vm '%s': %s (requester-id alias of %s) attached to its DMA domain",
			vm->cfg.name, s, t);
	else
		pr_info("iommu: vm '%s': %s attached to its DMA domain", vm->cfg.name, s);
	return 0;
}

/* Block every id of vm's functions again, bus mastering off first; then drain stale faults. */
static void dma_detach(struct vm *vm)
{
	size_t cursor = 0;

	if (!vm->dma_domain)
		return;
	for (const struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));) {
		pci_sbdf_t ids[MAX_DMA_IDS];
		unsigned int n = dma_alias_ids(a->dev, ids);

		if (iommu_quiesce(a->dev->sbdf) == 0)
			pr_info("iommu: vm '%s': %02x:%02x.%u detached: its DMA is blocked", vm->cfg.name,
				PCI_BUS(a->dev->sbdf), PCI_DEV(a->dev->sbdf), PCI_FN(a->dev->sbdf));
		for (unsigned int i = 0; i < n; i++)
			iommu_detach(ids[i]);	/* -HV_ENOENT: a function before this one did it */
	}
	/*
	 * A fault recorded before bus mastering went off may not have been
	 * reported yet: report it now, while vm is not running, so that it
	 * cannot fail the next start.
	 */
	iommu_poll_faults();
}

static int dma_attach(struct vm *vm)
{
	size_t cursor = 0;
	int err = 0;

	if (!iommu_present() || !pci_owner_next(vm->id, &cursor))
		return 0;
	if (!vm->dma_domain && (err = dma_domain_create(vm)) != 0)
		return err;
	cursor = 0;
	for (const struct pci_assigned *a; !err && (a = pci_owner_next(vm->id, &cursor));) {
		pci_sbdf_t ids[MAX_DMA_IDS];
		unsigned int n = dma_alias_ids(a->dev, ids);

		err = dma_attach_id(vm, a->dev->sbdf, false, a->dev);
		for (unsigned int i = 0; i < n && !err; i++)
			err = dma_attach_id(vm, ids[i], true, a->dev);
	}
	if (err)
		dma_detach(vm);
	return err;
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
	/* After vm_start loaded the image into scrubbed memory: the device sees only that. */
	int err = dma_attach(vm);
	if (!err)
		pci_irq_start(vm);
	return err;
}

/* Reset each of vm's functions that can be (pci_reset.c), and say how. */
static void reset_functions(struct vm *vm)
{
	size_t cursor = 0;

	for (const struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));) {
		const struct pci_device *d = a->dev;
		enum pci_reset_method how;
		int err = pci_reset_function(d, &how);

		if (err)
			pr_err("pci: vm '%s': %02x:%02x.%u reset failed (%d): left quiesced (decoding, bus "
			       "mastering off, DMA blocked)", vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf),
			       PCI_FN(d->sbdf), err);
		else if (how == PCI_RESET_FLR)
			pr_info("pci: vm '%s': %02x:%02x.%u reset: function-level reset (FLR), BARs restored",
				vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf));
		else if (how == PCI_RESET_DEVICE)
			pr_info("pci: vm '%s': %02x:%02x.%u reset: device-specific (its own reset register), "
				"interrupts masked", vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf),
				PCI_FN(d->sbdf));
		else
			pr_info("pci: vm '%s': %02x:%02x.%u reset: none (no FLR): quiesced only, its next driver "
				"resets it", vm->cfg.name, PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf));
	}
}

void pci_vm_release(struct vm *vm)
{
	pci_irq_stop(vm);		/* INTx disabled, its lines masked, nothing pending */
	pci_owner_reset(vm->id);	/* decoding and bus mastering off */
	dma_detach(vm);
	reset_functions(vm);		/* nothing its driver programmed survives into the next start */
}

void pci_vm_destroy(struct vm *vm)
{
	/* vm_destroy released (and reset) them if it was running: quiesce again, no second reset. */
	pci_owner_reset(vm->id);
	dma_detach(vm);
	if (vm->dma_domain) {
		BUG_ON(iommu_domain_destroy(vm->dma_domain));
		vm->dma_domain = NULL;
	}
}

/*
 * The VM whose DMA comes with requester id sbdf: the owner of the function,
 * or of a function whose requester-id alias it is. Interrupt context.
 */
static struct vm *dma_owner(pci_sbdf_t sbdf)
{
	struct vm *vm = vm_by_id(pci_owner(sbdf));

	for (uint32_t id = 1; !vm && id <= VM_MAX; id++) {
		size_t cursor = 0;

		for (const struct pci_assigned *a; !vm && (a = pci_owner_next(id, &cursor));) {
			pci_sbdf_t ids[MAX_DMA_IDS];
			unsigned int n = dma_alias_ids(a->dev, ids);

			for (unsigned int i = 0; i < n; i++)
				if (ids[i] == sbdf)
					vm = vm_by_id(id);
		}
	}
	return vm;
}

static const char *dma_owner_name(pci_sbdf_t sbdf)
{
	struct vm *vm = dma_owner(sbdf);

	return vm ? vm->cfg.name : NULL;
}

/*
 * The fault policy: a device's DMA went outside its owner's memory, so the
 * owner's driver is buggy or hostile. The owner fails; the scheduler applies
 * it (vm_apply_requested_fail), and releasing the VM quiesces the device.
 * Called in interrupt context.
 */
static void contain_dma_fault(const struct iommu_fault *f)
{
	struct vm *vm = dma_owner(f->sbdf);

	if (!vm)
		return;
	vm->dma_faults++;
	vm_request_fail(vm, "DMA fault: its device %02x:%02x.%u %s at I/O address %#llx blocked (%s)",
			PCI_BUS(f->sbdf), PCI_DEV(f->sbdf), PCI_FN(f->sbdf), f->write ? "write" : "read",
			(unsigned long long)f->address, f->reason_name);
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
	pci_irq_init();
	if (iommu_present()) {
		iommu_set_owner_lookup(dma_owner_name);
		iommu_set_fault_policy(contain_dma_fault);
		if (pol->assignment_count)
			pr_info("pci: assigned devices' DMA is confined by the IOMMU: each IOVM's devices reach "
				"only its RAM; a DMA fault fails the IOVM");
	} else if (pol->unprotected_dma) {
		warn_unprotected_dma(pol);
	}
	return 0;
}
