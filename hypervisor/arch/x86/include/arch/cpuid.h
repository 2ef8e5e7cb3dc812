/* SPDX-License-Identifier: MIT */
/*
 * CPUID leaves and the feature bits the hypervisor looks at, named as in
 * the Intel SDM vol. 2A (CPUID) and the AMD APM vol. 3 appendix E:
 * CPUID_<leaf>_<register>_<name>. The SVM leaf is in arch/svm_caps.h.
 */
#ifndef ARCH_CPUID_H
#define ARCH_CPUID_H

#include <hv/types.h>

#define CPUID_VENDOR			0x00000000	/* EAX max basic leaf; EBX EDX ECX vendor */
#define CPUID_FEATURES			0x00000001
# define CPUID_1_EAX_STEPPING		GENMASK(3, 0)
# define CPUID_1_EAX_MODEL		GENMASK(7, 4)
# define CPUID_1_EAX_FAMILY		GENMASK(11, 8)
# define CPUID_1_EAX_EXT_MODEL		GENMASK(19, 16)
# define CPUID_1_EAX_EXT_FAMILY		GENMASK(27, 20)
# define CPUID_1_ECX_VMX		BIT(5)
# define CPUID_1_ECX_PCID		BIT(17)
# define CPUID_1_ECX_X2APIC		BIT(21)
# define CPUID_1_ECX_TSC_DEADLINE	BIT(24)
# define CPUID_1_ECX_HYPERVISOR		BIT(31)	/* running under a hypervisor */
# define CPUID_1_EDX_APIC		BIT(9)
#define CPUID_EXT_FEATURES		0x00000007	/* subleaf 0 */
# define CPUID_7_EBX_INVPCID		BIT(10)
#define CPUID_EXT_MAX			0x80000000	/* EAX max extended leaf */
#define CPUID_EXT_PROC_FEATURES		0x80000001
# define CPUID_80000001_ECX_SVM		BIT(2)
# define CPUID_80000001_EDX_NX		BIT(20)
# define CPUID_80000001_EDX_PAGE1GB	BIT(26)
# define CPUID_80000001_EDX_LM		BIT(29)
#define CPUID_BRAND_STRING		0x80000002	/* ..0x80000004: 48 bytes */
#define CPUID_APM			0x80000007	/* advanced power management */
# define CPUID_80000007_EDX_INVARIANT_TSC BIT(8)
#define CPUID_ADDR_SIZES		0x80000008
# define CPUID_80000008_EAX_PHYS_BITS	GENMASK(7, 0)
# define CPUID_80000008_EAX_VIRT_BITS	GENMASK(15, 8)

#endif /* ARCH_CPUID_H */
