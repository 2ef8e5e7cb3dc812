// SPDX-License-Identifier: MIT
/* Walking the guest's own page tables to read its instructions (arch/guest_mmu.h). */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/guest_mmu.h>
#include <arch/msr.h>
#include <arch/pagetable.h>
#include <hv/mm.h>
#include <hv/vm.h>

#define X86_CR4_LA57	BIT(12)	/* 5-level paging: not walked */

bool guest_in_64bit_mode(const struct guest_paging *p)
{
	return (p->efer & EFER_LMA) && p->cs_long;
}

int guest_translate(struct vm *vm, const struct guest_paging *p, uint64_t va, uint64_t *gpa)
{
	uint64_t table = p->cr3 & PTE_ADDR_MASK;

	if (!(p->cr0 & X86_CR0_PG)) {
		*gpa = va & 0xffffffff;
		return 0;
	}
	if (!(p->efer & EFER_LMA) || (p->cr4 & X86_CR4_LA57))
		return -HV_ENOTSUP;
	for (int level = PT_LEVELS; level >= 1; level--) {
		unsigned int index = (unsigned int)(va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
		uint64_t e;

		if (vm_copy_from_guest(vm, &e, table + index * sizeof(e), sizeof(e)) || !(e & PTE_P))
			return -HV_EFAULT;
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			uint64_t size = pt_level_size(level);

			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -HV_EFAULT;
}

size_t guest_fetch_insn(struct vm *vm, const struct guest_paging *p, uint64_t rip, uint8_t *buf, size_t len,
			int *err)
{
	uint64_t va = guest_in_64bit_mode(p) ? rip : (p->cs_base + rip) & 0xffffffff;
	size_t done = 0;

	*err = 0;
	while (done < len) {
		uint64_t gpa;
		size_t chunk = MIN(len - done, PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1)));

		*err = guest_translate(vm, p, va + done, &gpa);
		if (!*err && vm_copy_from_guest(vm, buf + done, gpa, chunk))
			*err = -HV_EFAULT;
		if (*err)
			break;
		done += chunk;
	}
	return done;
}
