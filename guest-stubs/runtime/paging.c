// SPDX-License-Identifier: MIT
/* Extra identity mappings on the boot page tables (paging.h). */
#include "paging.h"
#include "runtime.h"

#define PTE_PRESENT		BIT(0)
#define PTE_WRITE		BIT(1)
#define PTE_PWT			BIT(3)
#define PTE_PCD			BIT(4)
#define PTE_LARGE		BIT(7)
#define PTE_NX			BIT(63)
#define PTE_ADDR_MASK		GENMASK(51, 12)
#define CANONICAL_LIMIT		(1ULL << 47)
#define SPARE_TABLES		32	/* MMIO windows, and up to 2 per channel (channel.c) */
#define SMALL_PAGE		4096ULL

static uint64_t spare_tables[SPARE_TABLES][512] __aligned(4096);
static unsigned int spare_used;

/* The table the entry points to, allocating a zeroed one if it is absent.
 * Tables are identity-mapped like everything else, so physical = virtual. */
static uint64_t *next_table(uint64_t *entry)
{
	if (*entry & PTE_PRESENT)
		return (*entry & PTE_LARGE) ? NULL : (uint64_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
	if (spare_used == SPARE_TABLES)
		return NULL;
	uint64_t *t = spare_tables[spare_used++];
	*entry = gpa_of(t) | PTE_PRESENT | PTE_WRITE;
	return t;
}

static int map_identity(uint64_t gpa, uint64_t attrs)
{
	if (gpa >= CANONICAL_LIMIT)
		return -HV_ERANGE;

	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	uint64_t *pdpt = next_table(&pml4[(gpa >> 39) & 511]);
	if (!pdpt)
		return -HV_ENOMEM;
	uint64_t *pdpte = &pdpt[(gpa >> 30) & 511];
	if (*pdpte & PTE_LARGE)
		return 0;	/* a 1 GiB page covers it */
	uint64_t *pd = next_table(pdpte);
	if (!pd)
		return -HV_ENOMEM;
	uint64_t *pde = &pd[(gpa >> 21) & 511];
	if (*pde & PTE_PRESENT)
		return 0;
	*pde = ALIGN_DOWN(gpa, PAGING_LARGE_PAGE) | PTE_PRESENT | PTE_WRITE | PTE_LARGE | PTE_NX | attrs;
	invlpg(ALIGN_DOWN(gpa, PAGING_LARGE_PAGE));
	return 0;
}

int paging_map_identity(uint64_t gpa)
{
	return map_identity(gpa, 0);
}

/* PCD + PWT with PAT bit 0 select PAT entry 3, UC in the power-on PAT (SDM 11.12.3). */
int paging_map_mmio(uint64_t gpa)
{
	return map_identity(gpa, PTE_PCD | PTE_PWT);
}

/* The leaf entry's attribute bits. */
static uint64_t leaf_bits(unsigned int flags)
{
	return PTE_PRESENT | (flags & PAGING_WRITE ? PTE_WRITE : 0) | (flags & PAGING_EXEC ? 0 : PTE_NX);
}

/* The page directory for gpa, allocating the tables above it. */
static uint64_t *page_directory(uint64_t gpa)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	uint64_t *pdpt = next_table(&pml4[(gpa >> 39) & 511]);

	return pdpt ? next_table(&pdpt[(gpa >> 30) & 511]) : NULL;
}

int paging_map(uint64_t gpa, uint64_t size, unsigned int flags)
{
	if (!size || (gpa | size) & (SMALL_PAGE - 1) || (flags & ~(PAGING_WRITE | PAGING_EXEC)))
		return -HV_EINVAL;
	if (gpa >= CANONICAL_LIMIT || size > CANONICAL_LIMIT - gpa)
		return -HV_ERANGE;
	for (uint64_t at = gpa; at < gpa + size;) {
		uint64_t *pd = page_directory(at);
		if (!pd)
			return -HV_ENOMEM;
		uint64_t *pde = &pd[(at >> 21) & 511];
		if (IS_ALIGNED(at, PAGING_LARGE_PAGE) && gpa + size - at >= PAGING_LARGE_PAGE) {
			*pde = at | leaf_bits(flags) | PTE_LARGE;
			invlpg(at);
			at += PAGING_LARGE_PAGE;
			continue;
		}
		if ((*pde & PTE_PRESENT) && (*pde & PTE_LARGE))
			return -HV_EEXIST;
		uint64_t *pt = next_table(pde);
		if (!pt)
			return -HV_ENOMEM;
		pt[(at >> 12) & 511] = at | leaf_bits(flags);
		invlpg(at);
		at += SMALL_PAGE;
	}
	return 0;
}
