// SPDX-License-Identifier: MIT
/*
 * The boot area of a VM (include/abi/vm_boot.h): boot information, a GDT
 * and page tables that identity-map the VM's memory, all inside the VM's
 * own memory, and the vCPU registers for the first entry.
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <arch/cpu_features.h>
#include <arch/guest_boot.h>
#include <arch/memlayout.h>
#include <arch/pagetable.h>
#include <hv/acpi.h>
#include <hv/channel.h>
#include <hv/iommu.h>
#include <hv/panic.h>
#include <hv/pci_owner.h>
#include <hv/string.h>
#include <hv/time.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#define BOOT_TABLE_PAGES	4	/* PML4, PDPT, PD, PT for the first 2 MiB */
#define GUEST_MAX_MEMORY	(1ULL << 30)	/* one PD of 2 MiB pages */

/* Table pages are handed out in order from the boot area. */
static struct {
	uint8_t *mem;
	unsigned int used;
} boot_tables;

static void *boot_table_alloc(paddr_t *pa)
{
	if (boot_tables.used == BOOT_TABLE_PAGES)
		return NULL;
	*pa = UHV_BOOT_PAGE_TABLES + boot_tables.used++ * PAGE_SIZE;
	return memset(boot_tables.mem + *pa, 0, PAGE_SIZE);
}

/*
 * The TSC clock (abi/vm_boot.h): offered when the backend offsets the
 * guest's TSC by its start and the conversion is exact at this frequency.
 * Invariance does not decide it: HC_TIME_READ counts the same TSC with the
 * same conversion, so the two agree whether or not the TSC's rate follows
 * power states; the VM is told which.
 */
static uint32_t boot_clock_flags(uint64_t tsc_hz)
{
	uint32_t flags = 0;

	if (tsc_hz && tsc_hz <= UHV_TSC_HZ_MAX && vcpu_backend()->tsc_offsetting())
		flags |= UHV_CLOCK_TSC;
	if (cpu_caps_get()->invariant_tsc)
		flags |= UHV_CLOCK_TSC_INVARIANT;
	return flags;
}

static void *boot_table_virt(paddr_t pa)
{
	return boot_tables.mem + pa;
}

static void boot_table_free(paddr_t pa)
{
	(void)pa;	/* the boot area is part of guest memory: nothing to give back */
}

static const struct pt_memory boot_table_memory = {
	.alloc = boot_table_alloc,
	.free = boot_table_free,
	.to_virt = boot_table_virt,
};

int guest_boot_setup(struct vm *vm, void *mem, uint64_t entry, uint64_t image_end)
{
	struct page_table pt;
	uint64_t size = vm->cfg.memory_size;

	if (size > GUEST_MAX_MEMORY)
		return -HV_E2BIG;

	/* Identity map with 2 MiB pages; the first 2 MiB in 4 KiB pages without page 0. */
	boot_tables.mem = mem;
	boot_tables.used = 0;
	if (pt_create(&pt, &pt_format_host, &boot_table_memory) ||
	    pt_map(&pt, 0, 0, size, PT_WRITE | PT_EXEC, PT_SIZE_4K | PT_SIZE_2M) ||
	    pt_unmap(&pt, 0, PAGE_SIZE))
		return -HV_ENOMEM;
	BUG_ON(pt.root_pa != UHV_BOOT_PAGE_TABLES);

	uint64_t *gdt = (uint64_t *)((uint8_t *)mem + UHV_BOOT_GDT);
	gdt[0] = 0;
	gdt[UHV_BOOT_CS / 8] = 0x00209a0000000000ULL;	/* 64-bit code, DPL 0 */
	gdt[UHV_BOOT_DS / 8] = 0x0000920000000000ULL;	/* data, DPL 0 */

	struct uhv_boot_info *bi = (struct uhv_boot_info *)((uint8_t *)mem + UHV_BOOT_INFO);
	*bi = (struct uhv_boot_info){
		.magic = UHV_BOOT_MAGIC,
		.version = UHV_ABI_VERSION,
		.size = sizeof(*bi),
		.vm = {
			.vm_id = vm->id,
			.role = vm->cfg.role,
			.memory_size = size,
			.restart_count = vm->restart_count,
			.vcpu_count = 1,
		},
		.image_end = image_end,
		.tsc_hz = time_tsc_hz(),
		.clock_flags = boot_clock_flags(time_tsc_hz()),
	};
	memcpy(bi->vm.name, vm->cfg.name, sizeof(bi->vm.name));
	bi->channel_count = channel_boot_info(vm, bi->channels, UHV_VM_CHANNELS_MAX);
	for (uint32_t i = 0; i < acpi_get()->mcfg_count && i < ACPI_MAX_MCFG; i++) {
		const struct acpi_mcfg_segment *m = &acpi_get()->mcfg[i];

		if (m->segment == 0 && !bi->ecam_base) {
			bi->ecam_base = m->base;
			bi->ecam_bus_start = m->bus_start;
			bi->ecam_bus_end = m->bus_end;
		}
	}

	/* Without an IOMMU an IOVM's devices DMA to host-physical addresses: it needs its offset. */
	size_t cursor = 0;
	if (!iommu_present() && pci_owner_next(vm->id, &cursor))
		bi->dma_offset_2m = (uint32_t)(vm->mem_hpa / (2 * MiB));

	vm->vcpu.regs = (struct vcpu_regs){
		.rip = entry,
		.rsp = UHV_BOOT_STACK_TOP,
		.rdi = UHV_BOOT_INFO,
		.rflags = GUEST_BOOT_RFLAGS,
	};
	return 0;
}
