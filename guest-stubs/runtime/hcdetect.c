// SPDX-License-Identifier: MIT
/* Choosing the hypercall instruction from CPUID (hcdetect.h). */
#include <abi/hypercall.h>

#include "hcdetect.h"

/* Leaf 0 vendor strings, as the EBX, EDX, ECX words. */
#define VENDOR_AMD_EBX		0x68747541	/* "Auth" enticAMD */
#define VENDOR_AMD_EDX		0x69746e65	/* "enti" */
#define VENDOR_AMD_ECX		0x444d4163	/* "cAMD" */
#define VENDOR_HYGON_EBX	0x6f677948	/* "Hygo" nGenuine */
#define VENDOR_HYGON_EDX	0x6e65476e	/* "nGen" */
#define VENDOR_HYGON_ECX	0x656e6975	/* "uine" */

static uint8_t guess_from_vendor(const struct hc_cpuid *v)
{
	if ((v->ebx == VENDOR_AMD_EBX && v->edx == VENDOR_AMD_EDX && v->ecx == VENDOR_AMD_ECX) ||
	    (v->ebx == VENDOR_HYGON_EBX && v->edx == VENDOR_HYGON_EDX && v->ecx == VENDOR_HYGON_ECX))
		return UHV_HCALL_VMMCALL;
	return UHV_HCALL_VMCALL;
}

struct hc_decision hc_decide(const struct hc_probe *p)
{
	struct hc_decision d = { .status = HC_ABI_OK, .instruction = guess_from_vendor(&p->vendor) };

	if (p->signature.ebx != UHV_SIGNATURE_EBX || p->signature.ecx != UHV_SIGNATURE_ECX ||
	    p->signature.edx != UHV_SIGNATURE_EDX)
		d.status = HC_ABI_NO_SIGNATURE;
	else if (p->signature.eax < UHV_CPUID_FEATURES)
		d.status = HC_ABI_NO_FEATURES_LEAF;
	else if (p->features.eax != UHV_ABI_VERSION)
		d.status = HC_ABI_BAD_VERSION;
	else if (p->features.ebx != UHV_HCALL_VMCALL && p->features.ebx != UHV_HCALL_VMMCALL)
		d.status = HC_ABI_BAD_INSTRUCTION;
	else
		d.instruction = (uint8_t)p->features.ebx;
	return d;
}

const char *hc_abi_status_string(enum hc_abi_status s)
{
	switch (s) {
	case HC_ABI_OK:			return "uhv hypercall ABI present";
	case HC_ABI_NO_SIGNATURE:	return "CPUID 0x40000000 has no uhv signature";
	case HC_ABI_NO_FEATURES_LEAF:	return "CPUID 0x40000000 says leaf 0x40000001 does not exist";
	case HC_ABI_BAD_VERSION:	return "CPUID 0x40000001 EAX is not the ABI version this guest was built for";
	case HC_ABI_BAD_INSTRUCTION:	return "CPUID 0x40000001 EBX names no known hypercall instruction";
	}
	return "unknown status";
}
