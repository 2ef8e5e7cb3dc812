/* SPDX-License-Identifier: MIT */
/*
 * What this CPU can do, read once at boot from CPUID and the capability MSRs.
 *
 * General features are decoded into booleans. The VMX and SVM capabilities
 * are kept as the raw register values, exactly as the hardware reported
 * them: the VMX/SVM backends compute their control settings from these
 * (arch/vmx_caps.h, arch/svm_caps.h), and the hwcheck verdict
 * (arch/hwcheck.h) decodes them the same way, so it can be unit-tested on
 * the host with values captured from real CPUs and emulators.
 */
#ifndef ARCH_CPU_FEATURES_H
#define ARCH_CPU_FEATURES_H

#include <hv/types.h>

enum cpu_vendor {
	CPU_VENDOR_OTHER,
	CPU_VENDOR_INTEL,	/* "GenuineIntel" */
	CPU_VENDOR_AMD,		/* "AuthenticAMD" */
};

struct vmx_caps {
	bool supported;			/* CPUID.1:ECX.VMX */
	/*
	 * False if an IA32_VMX_* MSR that must exist faulted (only seen on
	 * broken emulators); the values below are then incomplete.
	 */
	bool msrs_readable;
	bool feature_control_readable;
	uint64_t feature_control;	/* IA32_FEATURE_CONTROL */
	uint64_t basic;			/* IA32_VMX_BASIC */
	/*
	 * The control capabilities the backend must obey: the IA32_VMX_TRUE_*
	 * MSRs when IA32_VMX_BASIC.TRUE_CTLS is set, else the legacy ones.
	 * Read them with vmx_ctls_allowed0/1().
	 */
	uint64_t pinbased_ctls;
	uint64_t procbased_ctls;
	uint64_t procbased_ctls2;	/* 0 if there are no secondary controls */
	uint64_t exit_ctls;
	uint64_t entry_ctls;
	uint64_t misc;			/* IA32_VMX_MISC */
	uint64_t ept_vpid_cap;		/* 0 if neither EPT nor VPID may be enabled */
};

struct svm_caps {
	bool supported;			/* CPUID Fn8000_0001 ECX.SVM */
	uint32_t revision;		/* Fn8000_000A EAX[7:0] */
	uint32_t nasid;			/* Fn8000_000A EBX: number of ASIDs */
	uint32_t features;		/* Fn8000_000A EDX: SVM_CPUID_* */
	bool vm_cr_readable;		/* Bochs faults on this AMD MSR */
	uint64_t vm_cr;			/* MSR VM_CR, 0 if unreadable */
};

struct cpu_caps {
	enum cpu_vendor vendor;
	char vendor_id[13];		/* CPUID.0 EBX EDX ECX, NUL-terminated */
	char brand[49];			/* CPUID 0x80000002..4, leading blanks dropped; "" if absent */
	uint32_t max_leaf;		/* highest basic CPUID leaf */
	uint32_t max_ext_leaf;		/* highest extended CPUID leaf */
	uint32_t family, model, stepping;	/* "display" values: extended fields folded in */

	bool hypervisor;		/* CPUID.1:ECX[31]: we are someone's guest */
	bool x2apic;
	bool tsc_deadline;
	bool pcid;
	bool invpcid;
	bool nx;
	bool page_1g;
	bool invariant_tsc;
	uint8_t phys_addr_bits;		/* 36 if CPUID 0x80000008 is absent */
	uint8_t virt_addr_bits;

	struct vmx_caps vmx;
	struct svm_caps svm;
};

/*
 * Read CPUID and the capability MSRs of the boot CPU. Needs the exception
 * handlers (rdmsr_safe). Call once, before anything asks cpu_caps_get().
 */
void cpu_features_init(void);

/* The boot CPU's capabilities; all-zero before cpu_features_init(). */
const struct cpu_caps *cpu_caps_get(void);

/*
 * Print the compact report ("cpu: ..." lines) that every boot shows; with
 * raw, also the capability values as read (for hwcheck and bug reports).
 */
void cpu_features_report(const struct cpu_caps *caps, bool raw);

#endif /* ARCH_CPU_FEATURES_H */
