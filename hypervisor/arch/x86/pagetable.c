// SPDX-License-Identifier: MIT
/*
 * The page-table builder. Pure logic over struct pt_memory, so it is unit
 * tested on the host with malloc'd table pages.
 */
#include <abi/errno.h>
#include <arch/pagetable.h>

static unsigned int index_at(uint64_t va, int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* ---- The host format: IA-32e paging with the PAT/PCD/PWT cache bits. ---- */

static uint64_t host_make_table(paddr_t table)
{
	/* Permissive at the upper levels: the leaf decides. */
	return (table & PTE_ADDR_MASK) | PTE_P | PTE_RW;
}

static uint64_t host_make_leaf(paddr_t pa, unsigned int attrs, int level)
{
	uint64_t e = (pa & PTE_ADDR_MASK) | PTE_P | PTE_A | PTE_D;

	if (level > 1)
		e |= PTE_PS;
	if (attrs & PT_WRITE)
		e |= PTE_RW;
	if (!(attrs & PT_EXEC))
		e |= PTE_NX;
	if (attrs & PT_USER)
		e |= PTE_US;
	if (attrs & PT_UNCACHED)
		e |= PTE_PCD | PTE_PWT;	/* PAT entry 3: UC with the power-on PAT */
	return e;
}

static bool host_present(uint64_t e)
{
	return e & PTE_P;
}

static bool host_is_leaf(uint64_t e, int level)
{
	return level == 1 || (e & PTE_PS);
}

static paddr_t host_address(uint64_t e)
{
	return e & PTE_ADDR_MASK;
}

static unsigned int host_attrs(uint64_t e)
{
	return (e & PTE_RW ? PT_WRITE : 0) | (e & PTE_NX ? 0 : PT_EXEC) |
	       (e & PTE_US ? PT_USER : 0) | (e & PTE_PCD ? PT_UNCACHED : 0);
}

const struct pt_format pt_format_host = {
	.name = "host",
	.make_table = host_make_table,
	.make_leaf = host_make_leaf,
	.present = host_present,
	.is_leaf = host_is_leaf,
	.address = host_address,
	.attrs = host_attrs,
};

/* ---- The walk. ---- */

int pt_create_levels(struct page_table *pt, const struct pt_format *fmt,
		     const struct pt_memory *mem, int levels)
{
	if (levels != 3 && levels != PT_LEVELS)
		return -HV_EINVAL;
	pt->fmt = fmt;
	pt->mem = mem;
	pt->levels = levels;
	pt->root = mem->alloc(&pt->root_pa);
	return pt->root ? 0 : -HV_ENOMEM;
}

int pt_create(struct page_table *pt, const struct pt_format *fmt, const struct pt_memory *mem)
{
	return pt_create_levels(pt, fmt, mem, PT_LEVELS);
}

static void written(const struct page_table *pt, const void *p, size_t len)
{
	if (pt->mem->written)
		pt->mem->written(p, len);
}

/*
 * A four-level table takes any address (the host's upper half included:
 * the index bits decide); a shorter one only what its root covers.
 */
static bool range_fits(const struct page_table *pt, uint64_t va, uint64_t size)
{
	uint64_t span = pt_level_size(pt->levels + 1);

	return pt->levels == PT_LEVELS || (va < span && size <= span - va);
}

/*
 * Replace the large leaf *entry (at level) by a table of level - 1 leaves
 * that map exactly the same memory with the same attributes.
 */
static int split_leaf(struct page_table *pt, uint64_t *entry, int level)
{
	paddr_t table_pa;
	uint64_t *table = pt->mem->alloc(&table_pa);

	if (!table)
		return -HV_ENOMEM;
	paddr_t base = pt->fmt->address(*entry);
	unsigned int attrs = pt->fmt->attrs(*entry);
	uint64_t step = pt_level_size(level - 1);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		table[i] = pt->fmt->make_leaf(base + i * step, attrs, level - 1);
	written(pt, table, PT_ENTRIES * sizeof(*table));
	*entry = pt->fmt->make_table(table_pa);
	written(pt, entry, sizeof(*entry));
	return 0;
}

/* The table that entry points to, creating it (or splitting a leaf) if needed. */
static uint64_t *next_table(struct page_table *pt, uint64_t *entry, int level, bool create)
{
	if (!pt->fmt->present(*entry)) {
		paddr_t table_pa;

		if (!create || !pt->mem->alloc)
			return NULL;
		if (!pt->mem->alloc(&table_pa))
			return NULL;
		*entry = pt->fmt->make_table(table_pa);
		written(pt, entry, sizeof(*entry));
	} else if (pt->fmt->is_leaf(*entry, level)) {
		if (!create || split_leaf(pt, entry, level))
			return NULL;
	}
	return pt->mem->to_virt(pt->fmt->address(*entry));
}

static bool leaf_fits(uint64_t va, paddr_t pa, uint64_t remaining, int level, unsigned int sizes)
{
	uint64_t size = pt_level_size(level);
	unsigned int flag = level == 1 ? PT_SIZE_4K : level == 2 ? PT_SIZE_2M :
			    level == 3 ? PT_SIZE_1G : 0;

	return (sizes & flag) && IS_ALIGNED(va, size) && IS_ALIGNED(pa, size) && remaining >= size;
}

int pt_map(struct page_table *pt, uint64_t va, paddr_t pa, uint64_t size,
	   unsigned int attrs, unsigned int sizes)
{
	if (!IS_ALIGNED(va | pa | size, 4096) || range_wraps(va, size) || range_wraps(pa, size) ||
	    !(sizes & PT_SIZE_4K) || !range_fits(pt, va, size))
		return -HV_EINVAL;

	while (size) {
		uint64_t *table = pt->root;
		int level = pt->levels;

		for (;;) {
			uint64_t *entry = &table[index_at(va, level)];

			/* A large leaf only where nothing finer is already built. */
			if (level <= 3 && leaf_fits(va, pa, size, level, sizes) &&
			    (!pt->fmt->present(*entry) || pt->fmt->is_leaf(*entry, level))) {
				*entry = pt->fmt->make_leaf(pa, attrs, level);
				written(pt, entry, sizeof(*entry));
				uint64_t step = pt_level_size(level);
				va += step;
				pa += step;
				size -= step;
				break;
			}
			table = next_table(pt, entry, level, true);
			if (!table)
				return -HV_ENOMEM;
			level--;
		}
	}
	return 0;
}

int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size)
{
	if (!IS_ALIGNED(va | size, 4096) || range_wraps(va, size) || !range_fits(pt, va, size))
		return -HV_EINVAL;

	while (size) {
		uint64_t *table = pt->root;
		int level = pt->levels;

		for (;;) {
			uint64_t *entry = &table[index_at(va, level)];
			uint64_t step = pt_level_size(level);
			uint64_t to_boundary = step - (va & (step - 1));

			if (!pt->fmt->present(*entry)) {
				/* Nothing here: skip to the end of this entry's span. */
				uint64_t skip = MIN(to_boundary, size);
				va += skip;
				size -= skip;
				break;
			}
			if (pt->fmt->is_leaf(*entry, level) && IS_ALIGNED(va, step) && size >= step) {
				*entry = 0;
				written(pt, entry, sizeof(*entry));
				va += step;
				size -= step;
				break;
			}
			table = next_table(pt, entry, level, true);	/* splits a partly covered leaf */
			if (!table)
				return -HV_ENOMEM;
			level--;
		}
	}
	return 0;
}

int pt_lookup(const struct page_table *pt, uint64_t va, paddr_t *pa,
	      unsigned int *attrs, uint64_t *leaf_size)
{
	const uint64_t *table = pt->root;

	if (!range_fits(pt, va, 1))
		return -HV_ENOENT;
	for (int level = pt->levels; level >= 1; level--) {
		uint64_t e = table[index_at(va, level)];

		if (!pt->fmt->present(e))
			return -HV_ENOENT;
		if (level < PT_LEVELS && pt->fmt->is_leaf(e, level)) {
			uint64_t size = pt_level_size(level);

			if (pa)
				*pa = pt->fmt->address(e) + (va & (size - 1));
			if (attrs)
				*attrs = pt->fmt->attrs(e);
			if (leaf_size)
				*leaf_size = size;
			return 0;
		}
		table = pt->mem->to_virt(pt->fmt->address(e));
	}
	return -HV_ENOENT;
}

static void free_tables(struct page_table *pt, uint64_t *table, int level)
{
	for (unsigned int i = 0; i < PT_ENTRIES && level > 1; i++) {
		uint64_t e = table[i];

		if (pt->fmt->present(e) && !pt->fmt->is_leaf(e, level)) {
			paddr_t child = pt->fmt->address(e);

			free_tables(pt, pt->mem->to_virt(child), level - 1);
			pt->mem->free(child);
		}
	}
}

void pt_destroy(struct page_table *pt)
{
	free_tables(pt, pt->root, pt->levels);
	pt->mem->free(pt->root_pa);
	pt->root = NULL;
}
