// SPDX-License-Identifier: MIT
/*
 * The NPT entry format: the host format (pagetable.c) plus U/S on every
 * level. Everything else, including the cache bits of device mappings
 * (PCD|PWT select host PAT entry 3, UC, which the nested walk combines with
 * the guest's G_PAT type), is the host format's own logic, called through
 * pt_format_host rather than copied.
 */
#include <arch/npt.h>

static uint64_t npt_make_table(paddr_t table)
{
	return pt_format_host.make_table(table) | PTE_US;
}

static uint64_t npt_make_leaf(paddr_t pa, unsigned int attrs, int level)
{
	return pt_format_host.make_leaf(pa, attrs | PT_USER, level);
}

static bool npt_present(uint64_t entry)
{
	return pt_format_host.present(entry);
}

static bool npt_is_leaf(uint64_t entry, int level)
{
	return pt_format_host.is_leaf(entry, level);
}

static paddr_t npt_address(uint64_t entry)
{
	return pt_format_host.address(entry);
}

static unsigned int npt_attrs(uint64_t entry)
{
	return pt_format_host.attrs(entry);
}

const struct pt_format pt_format_npt = {
	.name = "NPT",
	.make_table = npt_make_table,
	.make_leaf = npt_make_leaf,
	.present = npt_present,
	.is_leaf = npt_is_leaf,
	.address = npt_address,
	.attrs = npt_attrs,
};
