/* SPDX-License-Identifier: MIT */
/*
 * Intel VMX capability reporting: the fields of the IA32_VMX_* capability
 * MSRs (Intel SDM vol. 3, appendix A) and the VM-execution, VM-exit and
 * VM-entry control bits they report on (SDM vol. 3, chapter 25 "Virtual
 * Machine Control Structures", tables 25-5 .. 25-15). The MSR numbers are
 * in arch/msr.h. Names follow the SDM's wording.
 *
 * The control MSRs all have one layout (SDM A.3-A.5): bits 31:0 are the
 * allowed-0 settings (a 1 there means the control must be 1), bits 63:32
 * the allowed-1 settings (a 0 there means the control must be 0).
 */
#ifndef ARCH_VMX_CAPS_H
#define ARCH_VMX_CAPS_H

#include <hv/types.h>

/* IA32_VMX_BASIC (SDM A.1) */
#define VMX_BASIC_VMCS_REVISION_ID	GENMASK(30, 0)
#define VMX_BASIC_VMCS_SIZE		GENMASK(44, 32)	/* bytes for VMXON region and VMCS */
#define  VMX_BASIC_VMCS_SIZE_SHIFT	32
#define VMX_BASIC_PHYS_ADDR_32BIT	BIT(48)		/* VMXON/VMCS/bitmaps below 4 GiB only */
#define VMX_BASIC_DUAL_MONITOR		BIT(49)		/* dual-monitor treatment of SMIs and SMM */
#define VMX_BASIC_MEMORY_TYPE		GENMASK(53, 50)	/* type for the VMCS and structures it points to */
#define  VMX_BASIC_MEMORY_TYPE_SHIFT	50
#define  VMX_BASIC_MEMORY_TYPE_UC	0
#define  VMX_BASIC_MEMORY_TYPE_WB	6
#define VMX_BASIC_INS_OUTS_INFO		BIT(54)		/* INS/OUTS exits report instruction information */
#define VMX_BASIC_TRUE_CTLS		BIT(55)		/* IA32_VMX_TRUE_*_CTLS exist: default-1 controls may be 0 */
#define VMX_BASIC_NO_HW_ERRCODE_CHECK	BIT(56)		/* entry may deliver any exception with/without error code */

/* Allowed settings of a control-capability MSR value */
static inline uint32_t vmx_ctls_allowed0(uint64_t msr)	{ return (uint32_t)msr; }
static inline uint32_t vmx_ctls_allowed1(uint64_t msr)	{ return (uint32_t)(msr >> 32); }

/* Pin-based VM-execution controls (SDM table 25-5); IA32_VMX_[TRUE_]PINBASED_CTLS */
#define PIN_BASED_EXTERNAL_INTERRUPT_EXITING	BIT(0)
#define PIN_BASED_NMI_EXITING			BIT(3)
#define PIN_BASED_VIRTUAL_NMIS			BIT(5)
#define PIN_BASED_ACTIVATE_VMX_PREEMPTION_TIMER	BIT(6)
#define PIN_BASED_PROCESS_POSTED_INTERRUPTS	BIT(7)

/* Primary processor-based VM-execution controls (SDM table 25-6); IA32_VMX_[TRUE_]PROCBASED_CTLS */
#define CPU_BASED_INTERRUPT_WINDOW_EXITING	BIT(2)
#define CPU_BASED_USE_TSC_OFFSETTING		BIT(3)
#define CPU_BASED_HLT_EXITING			BIT(7)
#define CPU_BASED_INVLPG_EXITING		BIT(9)
#define CPU_BASED_MWAIT_EXITING			BIT(10)
#define CPU_BASED_RDPMC_EXITING			BIT(11)
#define CPU_BASED_RDTSC_EXITING			BIT(12)
#define CPU_BASED_CR3_LOAD_EXITING		BIT(15)
#define CPU_BASED_CR3_STORE_EXITING		BIT(16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS	BIT(17)
#define CPU_BASED_CR8_LOAD_EXITING		BIT(19)
#define CPU_BASED_CR8_STORE_EXITING		BIT(20)
#define CPU_BASED_USE_TPR_SHADOW		BIT(21)
#define CPU_BASED_NMI_WINDOW_EXITING		BIT(22)
#define CPU_BASED_MOV_DR_EXITING		BIT(23)
#define CPU_BASED_UNCONDITIONAL_IO_EXITING	BIT(24)
#define CPU_BASED_USE_IO_BITMAPS		BIT(25)
#define CPU_BASED_MONITOR_TRAP_FLAG		BIT(27)
#define CPU_BASED_USE_MSR_BITMAPS		BIT(28)
#define CPU_BASED_MONITOR_EXITING		BIT(29)
#define CPU_BASED_PAUSE_EXITING			BIT(30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS	BIT(31)

/*
 * Secondary processor-based VM-execution controls (SDM table 25-7);
 * IA32_VMX_PROCBASED_CTLS2 exists only if "activate secondary controls"
 * may be 1. It has no TRUE_ variant: every default is 0.
 */
#define SECONDARY_VIRTUALIZE_APIC_ACCESSES	BIT(0)
#define SECONDARY_ENABLE_EPT			BIT(1)
#define SECONDARY_DESCRIPTOR_TABLE_EXITING	BIT(2)
#define SECONDARY_ENABLE_RDTSCP			BIT(3)
#define SECONDARY_VIRTUALIZE_X2APIC_MODE	BIT(4)
#define SECONDARY_ENABLE_VPID			BIT(5)
#define SECONDARY_WBINVD_EXITING		BIT(6)
#define SECONDARY_UNRESTRICTED_GUEST		BIT(7)
#define SECONDARY_APIC_REGISTER_VIRTUALIZATION	BIT(8)
#define SECONDARY_VIRTUAL_INTERRUPT_DELIVERY	BIT(9)
#define SECONDARY_PAUSE_LOOP_EXITING		BIT(10)
#define SECONDARY_RDRAND_EXITING		BIT(11)
#define SECONDARY_ENABLE_INVPCID		BIT(12)
#define SECONDARY_ENABLE_VM_FUNCTIONS		BIT(13)
#define SECONDARY_VMCS_SHADOWING		BIT(14)
#define SECONDARY_ENABLE_ENCLS_EXITING		BIT(15)
#define SECONDARY_RDSEED_EXITING		BIT(16)
#define SECONDARY_ENABLE_PML			BIT(17)
#define SECONDARY_EPT_VIOLATION_VE		BIT(18)
#define SECONDARY_CONCEAL_VMX_FROM_PT		BIT(19)
#define SECONDARY_ENABLE_XSAVES_XRSTORS		BIT(20)
#define SECONDARY_MODE_BASED_EXECUTE_CONTROL	BIT(22)
#define SECONDARY_SUB_PAGE_WRITE_PERMISSIONS	BIT(23)
#define SECONDARY_PT_USES_GUEST_PHYS_ADDR	BIT(24)
#define SECONDARY_USE_TSC_SCALING		BIT(25)
#define SECONDARY_ENABLE_USER_WAIT_AND_PAUSE	BIT(26)
#define SECONDARY_ENABLE_ENCLV_EXITING		BIT(28)

/* Primary VM-exit controls (SDM table 25-13); IA32_VMX_[TRUE_]EXIT_CTLS */
#define VM_EXIT_SAVE_DEBUG_CONTROLS		BIT(2)
#define VM_EXIT_HOST_ADDRESS_SPACE_SIZE		BIT(9)	/* host is in 64-bit mode after the exit */
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL	BIT(12)
#define VM_EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT	BIT(15)
#define VM_EXIT_SAVE_IA32_PAT			BIT(18)
#define VM_EXIT_LOAD_IA32_PAT			BIT(19)
#define VM_EXIT_SAVE_IA32_EFER			BIT(20)
#define VM_EXIT_LOAD_IA32_EFER			BIT(21)
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE	BIT(22)

/* VM-entry controls (SDM table 25-15); IA32_VMX_[TRUE_]ENTRY_CTLS */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS		BIT(2)
#define VM_ENTRY_IA32E_MODE_GUEST		BIT(9)
#define VM_ENTRY_ENTRY_TO_SMM			BIT(10)
#define VM_ENTRY_DEACTIVATE_DUAL_MONITOR	BIT(11)
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL	BIT(13)
#define VM_ENTRY_LOAD_IA32_PAT			BIT(14)
#define VM_ENTRY_LOAD_IA32_EFER			BIT(15)

/* IA32_VMX_MISC (SDM A.6) */
#define VMX_MISC_PREEMPTION_TIMER_RATE	GENMASK(4, 0)	/* timer ticks when TSC bit N changes */
#define VMX_MISC_STORE_EFER_LMA		BIT(5)		/* exits store EFER.LMA in "IA-32e mode guest" */
#define VMX_MISC_ACTIVITY_HLT		BIT(6)
#define VMX_MISC_ACTIVITY_SHUTDOWN	BIT(7)
#define VMX_MISC_ACTIVITY_WAIT_FOR_SIPI	BIT(8)
#define VMX_MISC_PT_IN_VMX		BIT(14)		/* Intel PT usable in VMX operation */
#define VMX_MISC_SMBASE_READABLE	BIT(15)		/* RDMSR of IA32_SMBASE in SMM */
#define VMX_MISC_CR3_TARGET_COUNT	GENMASK(24, 16)
#define  VMX_MISC_CR3_TARGET_COUNT_SHIFT 16
#define VMX_MISC_MAX_MSR_LIST		GENMASK(27, 25)	/* recommended max: 512 * (N + 1) entries */
#define  VMX_MISC_MAX_MSR_LIST_SHIFT	25
#define VMX_MISC_SMM_MONITOR_CTL_BIT2	BIT(28)		/* IA32_SMM_MONITOR_CTL bit 2 can be 1 */
#define VMX_MISC_VMWRITE_ANY_FIELD	BIT(29)		/* VMWRITE may write VM-exit information fields */
#define VMX_MISC_ZERO_LENGTH_INJECTION	BIT(30)		/* software interrupts/exceptions with length 0 */
#define VMX_MISC_MSEG_REVISION_ID	GENMASK(63, 32)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10); exists if "enable EPT" or "enable VPID" may be 1 */
#define VMX_EPT_EXECUTE_ONLY		BIT(0)		/* execute-only translations */
#define VMX_EPT_PAGE_WALK_4		BIT(6)		/* page-walk length of 4 */
#define VMX_EPT_PAGE_WALK_5		BIT(7)		/* page-walk length of 5 */
#define VMX_EPT_MEMORY_TYPE_UC		BIT(8)		/* paging structures may be uncacheable */
#define VMX_EPT_MEMORY_TYPE_WB		BIT(14)		/* paging structures may be write-back */
#define VMX_EPT_PDE_2MB			BIT(16)		/* EPT PDE may map a 2-MByte page */
#define VMX_EPT_PDPTE_1GB		BIT(17)		/* EPT PDPTE may map a 1-GByte page */
#define VMX_EPT_INVEPT			BIT(20)
#define VMX_EPT_ACCESSED_DIRTY		BIT(21)		/* accessed and dirty flags for EPT */
#define VMX_EPT_ADVANCED_EXIT_INFO	BIT(22)		/* advanced VM-exit information for EPT violations */
#define VMX_EPT_SUPERVISOR_SHADOW_STACK	BIT(23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT	BIT(25)
#define VMX_EPT_INVEPT_ALL_CONTEXT	BIT(26)
#define VMX_VPID_INVVPID		BIT(32)
#define VMX_VPID_INVVPID_INDIVIDUAL_ADDR BIT(40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT	BIT(41)
#define VMX_VPID_INVVPID_ALL_CONTEXT	BIT(42)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS BIT(43)

#endif /* ARCH_VMX_CAPS_H */
