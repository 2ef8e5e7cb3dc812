/* SPDX-License-Identifier: MIT */
/*
 * x86 page tables: one builder for every table the hypervisor makes. The
 * walk (9 bits per level, 4 KiB / 2 MiB / 1 GiB leaves) is the same for the
 * host's own tables, AMD NPT, Intel EPT and VT-d second-level tables; only
 * the bits of an entry differ, and those live behind struct pt_format.
 * Tables have four levels, except VT-d ones on a unit that walks only three
 * (pt_create_levels()).
 */
#ifndef ARCH_PAGETABLE_H
#define ARCH_PAGETABLE_H

#include <hv/types.h>

/* IA-32e paging entry bits (Intel SDM vol. 3A, 4.5; AMD APM vol. 2, 5.3). */
#define PTE_P		BIT(0)	/* present */
#define PTE_RW		BIT(1)	/* writable */
#define PTE_US		BIT(2)	/* user (NPT requires it on every level) */
#define PTE_PWT		BIT(3)	/* write-through: PAT index bit 0 */
#define PTE_PCD		BIT(4)	/* cache disable: PAT index bit 1 */
#define PTE_A		BIT(5)	/* accessed */
#define PTE_D		BIT(6)	/* dirty */
#define PTE_PS		BIT(7)	/* page size: leaf at level 2 or 3 */
#define PTE_G		BIT(8)	/* global */
#define PTE_NX		BIT(63)	/* execute disable (EFER.NXE) */
#define PTE_ADDR_MASK	GENMASK(51, 12)

#define PT_LEVELS	4
#define PT_ENTRIES	512

/* Vendor-neutral attributes of a mapping; readable is implied. */
#define PT_WRITE	BIT(0)
#define PT_EXEC		BIT(1)
#define PT_USER		BIT(2)
#define PT_UNCACHED	BIT(3)	/* device memory */

/* Leaf sizes a mapping may use, as a mask. */
#define PT_SIZE_4K	BIT(0)
#define PT_SIZE_2M	BIT(1)
#define PT_SIZE_1G	BIT(2)

/* Level n maps 4 KiB << 9 * (n - 1) per entry: 1 = 4K, 2 = 2M, 3 = 1G, 4 = 512G. */
static inline uint64_t pt_level_size(int level)
{
	return 4096ULL << (9 * (level - 1));
}

/* How the bits of one kind of entry are laid out. */
struct pt_format {
	const char *name;
	uint64_t (*make_table)(paddr_t table);			/* non-leaf entry */
	uint64_t (*make_leaf)(paddr_t pa, unsigned int attrs, int level);
	bool (*present)(uint64_t entry);
	bool (*is_leaf)(uint64_t entry, int level);
	paddr_t (*address)(uint64_t entry);
	unsigned int (*attrs)(uint64_t entry);
};

/* The host's own page tables. */
extern const struct pt_format pt_format_host;

/* Where table pages come from and how the builder reaches them. */
struct pt_memory {
	void *(*alloc)(paddr_t *pa);	/* a zeroed 4 KiB page, or NULL */
	void (*free)(paddr_t pa);
	void *(*to_virt)(paddr_t pa);
	/*
	 * Optional: called after the builder wrote [p, p + len) of a table,
	 * children before the entry that points to them. For a walker that
	 * does not snoop the CPU caches (VT-d without ECAP.C), which must be
	 * shown the write with a cache-line flush. NULL: nothing to do.
	 */
	void (*written)(const void *p, size_t len);
};

struct page_table {
	const struct pt_format *fmt;
	const struct pt_memory *mem;
	int levels;		/* 4, or 3: the root is a level-3 table covering 512 GiB */
	paddr_t root_pa;
	uint64_t *root;
};

/* Allocate an empty four-level top-level table. Returns 0 or -HV_ENOMEM. */
int pt_create(struct page_table *pt, const struct pt_format *fmt, const struct pt_memory *mem);

/*
 * The same with levels = 3 or 4. A three-level table maps only
 * [0, 512 GiB): pt_map() and pt_unmap() refuse addresses beyond it.
 * Returns 0, -HV_EINVAL or -HV_ENOMEM.
 */
int pt_create_levels(struct page_table *pt, const struct pt_format *fmt,
		     const struct pt_memory *mem, int levels);

/*
 * Map [va, va + size) to [pa, pa + size) with attrs, using the largest leaf
 * in sizes that alignment allows. Existing leaves in the range are replaced
 * (a large leaf that is only partly covered is split first, keeping the rest
 * of its mapping); invalidating the TLB is the caller's job. va, pa and size
 * must be 4 KiB aligned. Returns 0, -HV_EINVAL, or -HV_ENOMEM (the range may
 * then be partly mapped).
 */
int pt_map(struct page_table *pt, uint64_t va, paddr_t pa, uint64_t size,
	   unsigned int attrs, unsigned int sizes);

/* Remove every mapping in [va, va + size), splitting large leaves at the edges. */
int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size);

/*
 * Translate va. Returns 0 and fills *pa, *attrs and *leaf_size (any may be
 * NULL), or -HV_ENOENT if nothing is mapped there.
 */
int pt_lookup(const struct page_table *pt, uint64_t va, paddr_t *pa,
	      unsigned int *attrs, uint64_t *leaf_size);

/* Free every table page below the root, and the root. Mapped memory is untouched. */
void pt_destroy(struct page_table *pt);

#endif /* ARCH_PAGETABLE_H */
