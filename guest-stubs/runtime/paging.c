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
#define SPARE_TABLES		8

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
