/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM capability reporting: CPUID Fn8000_000A (AMD APM vol. 3,
 * appendix E.4.9 "Function 8000_000Ah - SVM Revision and Feature
 * Identification"), named as the APM names the bits. SVM itself is
 * CPUID Fn8000_0001 ECX (arch/cpuid.h); the VM_CR MSR is in arch/msr.h.
 */
#ifndef ARCH_SVM_CAPS_H
#define ARCH_SVM_CAPS_H

#include <hv/types.h>

#define CPUID_SVM_FEATURES		0x8000000a	/* valid only if CPUID Fn8000_0001 ECX.SVM */

/* EAX */
#define SVM_CPUID_EAX_SVMREV		GENMASK(7, 0)	/* SVM revision number */

/* EBX: NASID, the number of address space identifiers (ASID 0 is the host's) */

/* EDX: SVM feature identification */
#define SVM_CPUID_NP			BIT(0)	/* nested paging */
#define SVM_CPUID_LBRVIRT		BIT(1)	/* LBR virtualization */
#define SVM_CPUID_SVML			BIT(2)	/* SVM lock (VM_CR.LOCK/SVMDIS with a key) */
#define SVM_CPUID_NRIPS			BIT(3)	/* NRIP save: next RIP in the VMCB on #VMEXIT */
#define SVM_CPUID_TSCRATEMSR		BIT(4)	/* MSR-based TSC rate control */
#define SVM_CPUID_VMCBCLEAN		BIT(5)	/* VMCB clean bits */
#define SVM_CPUID_FLUSHBYASID		BIT(6)	/* TLB_CONTROL may flush only this ASID */
#define SVM_CPUID_DECODEASSISTS		BIT(7)	/* instruction bytes and operands in the VMCB */
#define SVM_CPUID_PAUSEFILTER		BIT(10)	/* PAUSE intercept filter count */
#define SVM_CPUID_PAUSEFILTERTHRESHOLD	BIT(12)
#define SVM_CPUID_AVIC			BIT(13)	/* advanced virtual interrupt controller */
#define SVM_CPUID_VMSAVEVIRT		BIT(15)	/* virtualized VMSAVE/VMLOAD */
#define SVM_CPUID_VGIF			BIT(16)	/* virtualized global interrupt flag */
#define SVM_CPUID_GMET			BIT(17)	/* guest mode execute trap */
#define SVM_CPUID_X2AVIC		BIT(18)
#define SVM_CPUID_SSSCHECK		BIT(19)	/* supervisor shadow stack restrictions */
#define SVM_CPUID_SPECCTRL		BIT(20)	/* SPEC_CTRL virtualization */
#define SVM_CPUID_ROGPT			BIT(21)	/* read-only guest page tables */
#define SVM_CPUID_HOST_MCE_OVERRIDE	BIT(23)
#define SVM_CPUID_TLBICTL		BIT(24)	/* INVLPGB/TLBSYNC interception control */
#define SVM_CPUID_VNMI			BIT(25)	/* virtual NMI */
#define SVM_CPUID_IBSVIRT		BIT(26)	/* IBS virtualization */

#endif /* ARCH_SVM_CAPS_H */
