// SPDX-License-Identifier: MIT
/*
 * The hypervisor's own address space (layout in arch/memlayout.h).
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/pagetable.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/string.h>

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];
extern char boot_stack_guard[];

static struct page_table host_pt;
static bool mmu_ready;
static unsigned int large_pages;	/* PT_SIZE_* the CPU supports */

static void *table_alloc(paddr_t *pa)
{
	paddr_t frame = frame_alloc();

	if (!frame)
		return NULL;
	/* Before the switch only the boot direct map exists: it covers 4 GiB. */
	BUG_ON(!mmu_ready && frame >= (paddr_t)BOOT_IDENTITY_GIB * GiB);
	*pa = frame;
	return memset(phys_to_virt(frame), 0, FRAME_SIZE);
}

static void table_free(paddr_t pa)
{
	BUG_ON(frame_free(pa));
}

static const struct pt_memory host_tables = {
	.alloc = table_alloc,
	.free = table_free,
	.to_virt = phys_to_virt,
};

static void map_or_panic(uint64_t va, paddr_t pa, uint64_t size, unsigned int attrs,
			 unsigned int sizes, const char *what)
{
	if (pt_map(&host_pt, va, pa, size, attrs, sizes))
		panic("mmu: out of memory mapping %s", what);
}

/* One section of the image at its link address with its own permissions. */
static void map_image_section(const char *start, const char *end, unsigned int attrs,
			      const char *what)
{
	uint64_t va = (uint64_t)start;
	uint64_t size = ALIGN_UP((uint64_t)end, PAGE_SIZE) - va;

	map_or_panic(va, va - KERNEL_VBASE, size, attrs, PT_SIZE_4K, what);
}

static bool is_direct_mapped_type(uint32_t type)
{
	return type == BOOT_MEM_AVAILABLE || type == BOOT_MEM_ACPI_RECLAIMABLE ||
	       type == BOOT_MEM_NVS;
}

void mmu_init(const struct boot_info *bi)
{
	large_pages = PT_SIZE_4K | PT_SIZE_2M;
	if (cpuid(0x80000001).edx & BIT(26))	/* Page1GB */
		large_pages |= PT_SIZE_1G;

	if (pt_create(&host_pt, &pt_format_host, &host_tables))
		panic("mmu: no memory for the top-level page table");

	/* RAM and ACPI memory, cached, read/write, never executable. */
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_region *r = &bi->mmap[i];

		if (!is_direct_mapped_type(r->type))
			continue;
		paddr_t base = ALIGN_DOWN(r->base, PAGE_SIZE);
		paddr_t end = ALIGN_UP(r->base + r->length, PAGE_SIZE);
		if (end > DIRECT_MAP_SIZE)
			panic("mmu: memory at %#llx is beyond the direct map", (unsigned long long)end);
		map_or_panic(DIRECT_MAP_BASE + base, base, end - base, PT_WRITE, large_pages,
			     "the direct map");
	}

	/* The image's physical pages are read-only through the direct map: W^X holds for aliases too. */
	paddr_t image_pa = (paddr_t)__text_start - KERNEL_VBASE;
	paddr_t image_end = ALIGN_UP((paddr_t)__bss_end - KERNEL_VBASE, PAGE_SIZE);
	map_or_panic(DIRECT_MAP_BASE + image_pa, image_pa, image_end - image_pa, 0, PT_SIZE_4K,
		     "the image alias");

	map_image_section(__text_start, __text_end, PT_EXEC, "text");
	map_image_section(__rodata_start, __rodata_end, 0, "rodata");
	map_image_section(__data_start, __bss_end, PT_WRITE, "data");
	/* A stack overflow hits this hole and becomes a double fault on its own stack. */
	if (pt_unmap(&host_pt, (uint64_t)boot_stack_guard, PAGE_SIZE))
		panic("mmu: cannot unmap the stack guard page");

	write_cr3(host_pt.root_pa);
	mmu_ready = true;
	pr_info("mmu: hypervisor page tables at %#llx: text R-X, rodata R--, data RW-, "
		"direct map RW- (%s pages), low half unmapped",
		(unsigned long long)host_pt.root_pa,
		large_pages & PT_SIZE_1G ? "4K/2M/1G" : "4K/2M");
}

/*
 * Before mmu_init the boot page tables map the first BOOT_IDENTITY_GIB GiB
 * of physical space cached; that is enough for the firmware tables and
 * device registers early boot touches.
 */
bool remap_reachable(paddr_t pa, size_t len)
{
	return len && !range_wraps(pa, len) && pa + len <= DIRECT_MAP_SIZE;
}

static void *remap(paddr_t pa, size_t len, unsigned int attrs)
{
	if (!remap_reachable(pa, len))
		panic("remap: bad range %#llx+%#zx", (unsigned long long)pa, len);
	if (!mmu_ready) {
		if (pa + len > (paddr_t)BOOT_IDENTITY_GIB * GiB)
			panic("remap: %#llx is outside the boot direct map", (unsigned long long)pa);
		return phys_to_virt(pa);
	}

	paddr_t first = ALIGN_DOWN(pa, PAGE_SIZE);
	paddr_t end = ALIGN_UP(pa + len, PAGE_SIZE);
	for (paddr_t p = first; p < end; p += PAGE_SIZE) {
		unsigned int have;

		if (pt_lookup(&host_pt, DIRECT_MAP_BASE + p, NULL, &have, NULL) == 0) {
			if ((have & PT_UNCACHED) != (attrs & PT_UNCACHED))
				panic("remap: %#llx is already mapped %s", (unsigned long long)p,
				      have & PT_UNCACHED ? "uncached" : "cached");
			continue;
		}
		map_or_panic(DIRECT_MAP_BASE + p, p, PAGE_SIZE, attrs, PT_SIZE_4K, "a remap");
		invlpg(DIRECT_MAP_BASE + p);
	}
	return phys_to_virt(pa);
}

void *memremap(paddr_t pa, size_t len)
{
	return remap(pa, len, PT_WRITE);
}

void *ioremap(paddr_t pa, size_t len)
{
	return remap(pa, len, PT_WRITE | PT_UNCACHED);
}
