/* SPDX-License-Identifier: MIT */
/*
 * Reading a guest's instruction bytes: guest-virtual to guest-physical
 * through the guest's own page tables, each table read through the VM's
 * EPT/NPT (vm_copy_from_guest). Vendor-neutral: a backend only reports the
 * guest state the walk needs (vcpu_backend.guest_paging). Used for the
 * lengths of SVM intercepts without NRIP save and for decoding MMIO
 * accesses (hv/mmio_decode.h).
 */
#ifndef ARCH_GUEST_MMU_H
#define ARCH_GUEST_MMU_H

#include <hv/types.h>

struct vm;

/* The guest's paging and code segment at the exit. */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t cs_base;
	bool cs_long;		/* CS.L: 64-bit code (with EFER.LMA) */
	bool cs_db;		/* CS.D/B: 32-bit default operand and address size */
};

/* 64-bit mode: IA-32e active and a 64-bit code segment. */
bool guest_in_64bit_mode(const struct guest_paging *p);

/*
 * Guest-virtual va to guest-physical: 4-level long-mode paging, or paging
 * off. Returns 0, -HV_ENOTSUP for another paging mode (32-bit, PAE without
 * long mode, 5-level), -HV_EFAULT for a missing translation or a table the
 * VM's EPT/NPT does not map to its RAM. Checks presence only: the guest
 * executed from va, so its own permissions allowed the fetch.
 */
int guest_translate(struct vm *vm, const struct guest_paging *p, uint64_t va, uint64_t *gpa);

/*
 * Copy up to len bytes of the instruction at rip (CS-relative outside
 * 64-bit mode) into buf; returns how many could be read, *err the reason
 * the copy stopped short (0 if it did not).
 */
size_t guest_fetch_insn(struct vm *vm, const struct guest_paging *p, uint64_t rip, uint8_t *buf, size_t len,
			int *err);

#endif /* ARCH_GUEST_MMU_H */
