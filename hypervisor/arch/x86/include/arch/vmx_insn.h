/* SPDX-License-Identifier: MIT */
/*
 * The VMX instructions (Intel SDM vol. 3, chapter 31 "VMX Instruction
 * Reference"). Each reports VMfailInvalid through CF and VMfailValid through
 * ZF (31.2 "Conventions"); the wrappers turn either into a nonzero return.
 * VMREAD and VMWRITE of a field this backend uses cannot fail while a VMCS
 * is current, so a failure there is a hypervisor bug: vmx_insn_failed()
 * panics with the VM-instruction error.
 */
#ifndef ARCH_VMX_INSN_H
#define ARCH_VMX_INSN_H

#include <arch/vmcs.h>
#include <hv/types.h>

__noreturn void vmx_insn_failed(const char *insn, uint64_t field);

/* VMXON, VMCLEAR, VMPTRLD take the physical address in memory. */
#define VMX_INSN_PA(name, insn)						\
static inline bool name(paddr_t pa)					\
{									\
	bool fail;							\
	__asm__ volatile(insn " %[pa]" : "=@ccbe"(fail) : [pa] "m"(pa) : "memory"); \
	return fail;							\
}
VMX_INSN_PA(vmxon, "vmxon")
VMX_INSN_PA(vmclear, "vmclear")
VMX_INSN_PA(vmptrld, "vmptrld")
#undef VMX_INSN_PA

static inline uint64_t vmread(uint64_t field)
{
	uint64_t value;
	bool fail;

	__asm__ volatile("vmread %[field], %[value]" : [value] "=r"(value), "=@ccbe"(fail) : [field] "r"(field));
	if (unlikely(fail))
		vmx_insn_failed("VMREAD", field);
	return value;
}

static inline void vmwrite(uint64_t field, uint64_t value)
{
	bool fail;

	__asm__ volatile("vmwrite %[value], %[field]" : "=@ccbe"(fail) : [value] "rm"(value), [field] "r"(field));
	if (unlikely(fail))
		vmx_insn_failed("VMWRITE", field);
}

/* INVEPT and INVVPID types (SDM 31.3, "INVEPT" and "INVVPID"). */
#define INVEPT_SINGLE_CONTEXT		1
#define INVEPT_ALL_CONTEXT		2
#define INVVPID_INDIVIDUAL_ADDRESS	0
#define INVVPID_SINGLE_CONTEXT		1
#define INVVPID_ALL_CONTEXT		2

struct invept_descriptor {
	uint64_t eptp;
	uint64_t reserved;	/* must be 0 */
};
_Static_assert(sizeof(struct invept_descriptor) == 16, "INVEPT descriptor is 128 bits");

struct invvpid_descriptor {
	uint16_t vpid;
	uint16_t reserved[3];	/* must be 0 */
	uint64_t linear_address;
};
_Static_assert(sizeof(struct invvpid_descriptor) == 16, "INVVPID descriptor is 128 bits");

static inline bool invept(uint64_t type, uint64_t eptp)
{
	struct invept_descriptor d = { .eptp = eptp };
	bool fail;

	__asm__ volatile("invept %[d], %[type]" : "=@ccbe"(fail) : [d] "m"(d), [type] "r"(type) : "memory");
	return fail;
}

static inline bool invvpid(uint64_t type, uint16_t vpid)
{
	struct invvpid_descriptor d = { .vpid = vpid };
	bool fail;

	__asm__ volatile("invvpid %[d], %[type]" : "=@ccbe"(fail) : [d] "m"(d), [type] "r"(type) : "memory");
	return fail;
}

#endif /* ARCH_VMX_INSN_H */
