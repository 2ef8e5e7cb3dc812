/* SPDX-License-Identifier: MIT */
/*
 * Which hypercall instruction to use, decided from CPUID answers alone:
 * pure logic, unit-tested on the host (tests/unit/test_guest_runtime.c).
 */
#ifndef RUNTIME_HCDETECT_H
#define RUNTIME_HCDETECT_H

#include <hv/types.h>

struct hc_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

/* The CPUID leaves that matter; features is only read if signature says it exists. */
struct hc_probe {
	struct hc_cpuid vendor;		/* leaf 0: EBX, EDX, ECX spell the vendor */
	struct hc_cpuid signature;	/* UHV_CPUID_SIGNATURE */
	struct hc_cpuid features;	/* UHV_CPUID_FEATURES */
};

enum hc_abi_status {
	HC_ABI_OK,
	HC_ABI_NO_SIGNATURE,		/* leaf 0x40000000 does not say "uhvUHVuhvUHV" */
	HC_ABI_NO_FEATURES_LEAF,	/* signature, but max leaf < UHV_CPUID_FEATURES */
	HC_ABI_BAD_VERSION,		/* ABI version other than UHV_ABI_VERSION */
	HC_ABI_BAD_INSTRUCTION,		/* EBX names neither VMCALL nor VMMCALL */
};

struct hc_decision {
	enum hc_abi_status status;
	uint8_t instruction;		/* UHV_HCALL_VMCALL or UHV_HCALL_VMMCALL */
};

/*
 * The instruction CPUID names when status is HC_ABI_OK. Otherwise a guess
 * from the CPU vendor (VMMCALL on AMD and Hygon, VMCALL elsewhere), good
 * enough to report the problem on the console before stopping.
 */
struct hc_decision hc_decide(const struct hc_probe *p);

/* One line of text for a status, for the report. */
const char *hc_abi_status_string(enum hc_abi_status s);

#endif /* RUNTIME_HCDETECT_H */
