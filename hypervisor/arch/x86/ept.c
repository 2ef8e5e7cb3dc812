// SPDX-License-Identifier: MIT
/*
 * The EPT entry format (arch/ept.h). Pure bit manipulation, unit-tested on
 * the host (tests/unit/test_ept.c); flushing translations (INVEPT) is the
 * VMX backend's job because only it knows when an EPT is in use.
 *
 * Choices:
 * - Readable is implied by every mapping: EPT has no "present" bit, an
 *   entry is present when any of R/W/X is set, and write-only is a
 *   misconfiguration (SDM 29.3.3.1).
 * - Non-leaf entries allow R/W/X: the leaf decides (as for the host
 *   tables); their bits 7:3 are reserved and stay 0.
 * - RAM is write-back with "ignore PAT" clear, so the guest's own PAT still
 *   combines with it (SDM 12.11.3) as on bare metal. PT_UNCACHED (device
 *   memory) is UC with "ignore PAT" set: a guest cannot make a device
 *   mapping cacheable through its PAT.
 * - There is no user/supervisor distinction in guest-physical space:
 *   PT_USER (which NPT needs on every level) has no EPT bit.
 */
#include <arch/ept.h>

static uint64_t ept_make_table(paddr_t table)
{
	return (table & EPT_ADDR_MASK) | EPT_RWX;
}

static uint64_t ept_make_leaf(paddr_t pa, unsigned int attrs, int level)
{
	uint64_t e = (pa & EPT_ADDR_MASK) | EPT_READ;

	if (attrs & PT_WRITE)
		e |= EPT_WRITE;
	if (attrs & PT_EXEC)
		e |= EPT_EXECUTE;
	if (attrs & PT_UNCACHED)
		e |= ((uint64_t)EPT_MT_UC << EPT_MEMORY_TYPE_SHIFT) | EPT_IGNORE_PAT;
	else
		e |= (uint64_t)EPT_MT_WB << EPT_MEMORY_TYPE_SHIFT;
	if (level > 1)
		e |= EPT_LARGE_PAGE;
	return e;
}

static bool ept_present(uint64_t e)
{
	return e & EPT_RWX;
}

static bool ept_is_leaf(uint64_t e, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & EPT_LARGE_PAGE));
}

static paddr_t ept_address(uint64_t e)
{
	return e & EPT_ADDR_MASK;
}

static unsigned int ept_attrs(uint64_t e)
{
	unsigned int mt = (unsigned int)((e & EPT_MEMORY_TYPE) >> EPT_MEMORY_TYPE_SHIFT);

	return (e & EPT_WRITE ? PT_WRITE : 0) | (e & EPT_EXECUTE ? PT_EXEC : 0) |
	       (mt == EPT_MT_UC ? PT_UNCACHED : 0);
}

const struct pt_format pt_format_ept = {
	.name = "EPT",
	.make_table = ept_make_table,
	.make_leaf = ept_make_leaf,
	.present = ept_present,
	.is_leaf = ept_is_leaf,
	.address = ept_address,
	.attrs = ept_attrs,
};

uint64_t ept_pointer(paddr_t pml4)
{
	return (pml4 & EPTP_ADDR_MASK) | EPT_MT_WB | (uint64_t)(PT_LEVELS - 1) << EPTP_WALK_LENGTH_SHIFT;
}
