/* SPDX-License-Identifier: MIT */
/*
 * Intel extended page tables: the entry format for the generic page-table
 * builder (arch/pagetable.h) and the EPT pointer that names a table to the
 * CPU (Intel SDM vol. 3, 29.3.2 "EPT Translation Mechanism" and 25.6.11
 * "Extended-Page-Table Pointer (EPTP)").
 */
#ifndef ARCH_EPT_H
#define ARCH_EPT_H

#include <arch/pagetable.h>
#include <hv/types.h>

/* EPT paging-structure entries (SDM tables 29-1 .. 29-6). */
#define EPT_READ		BIT(0)
#define EPT_WRITE		BIT(1)
#define EPT_EXECUTE		BIT(2)	/* supervisor-mode execute without MBEC */
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMORY_TYPE		GENMASK(5, 3)	/* leaves only */
#define  EPT_MEMORY_TYPE_SHIFT	3
#define EPT_IGNORE_PAT		BIT(6)	/* leaves only: the EPT type alone decides */
#define EPT_LARGE_PAGE		BIT(7)	/* leaf at level 2 (2 MiB) or 3 (1 GiB) */
#define EPT_ACCESSED		BIT(8)	/* only with EPTP A/D enabled */
#define EPT_DIRTY		BIT(9)
#define EPT_USER_EXECUTE	BIT(10)	/* mode-based execute control only */
#define EPT_SUPPRESS_VE		BIT(63)
#define EPT_ADDR_MASK		GENMASK(51, 12)

/* Memory types (SDM 12.3, table 12-2), used in leaves and in the EPTP. */
#define EPT_MT_UC		0
#define EPT_MT_WC		1
#define EPT_MT_WT		4
#define EPT_MT_WP		5
#define EPT_MT_WB		6

/* The EPT pointer (SDM table 25-9). */
#define EPTP_MEMORY_TYPE	GENMASK(2, 0)	/* of the paging structures */
#define EPTP_WALK_LENGTH_SHIFT	3		/* bits 5:3: page-walk length minus 1 */
#define EPTP_ACCESSED_DIRTY	BIT(6)
#define EPTP_ADDR_MASK		GENMASK(51, 12)

/* EPT entries for the page-table builder. Attributes: PT_WRITE, PT_EXEC, PT_UNCACHED. */
extern const struct pt_format pt_format_ept;

/* The EPTP for a 4-level table rooted at pml4: write-back structures, no A/D flags. */
uint64_t ept_pointer(paddr_t pml4);

#endif /* ARCH_EPT_H */
