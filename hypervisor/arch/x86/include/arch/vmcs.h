/* SPDX-License-Identifier: MIT */
/*
 * The virtual-machine control structure: field encodings (Intel SDM vol. 3,
 * appendix B), basic exit reasons (appendix C) and the layouts of the
 * exit-information fields the VMX backend decodes (chapter 28 "VM Exits",
 * section "Exit Qualification" and the interruption-information formats of
 * chapter 25). Grouped under the SDM's headings, named with its words. The
 * control bits themselves and the capability MSRs are in arch/vmx_caps.h.
 *
 * Plain #defines only: the exit stub (vmx_entry.S) includes this file.
 *
 * An encoding says its own width and kind: bits 14:13 width (0 16-bit,
 * 1 64-bit, 2 32-bit, 3 natural), bits 11:10 type (0 control, 1 read-only
 * data, 2 guest state, 3 host state); bit 0 picks the high half of a 64-bit
 * field, which a 64-bit host never needs.
 */
#ifndef ARCH_VMCS_H
#define ARCH_VMCS_H

/* ---- B.1.1 16-Bit Control Fields ---- */
#define VMCS_VIRTUAL_PROCESSOR_ID		0x0000
#define VMCS_POSTED_INTERRUPT_NOTIFICATION	0x0002
#define VMCS_EPTP_INDEX				0x0004

/* ---- B.1.2 16-Bit Guest-State Fields ---- */
#define VMCS_GUEST_ES_SELECTOR			0x0800
#define VMCS_GUEST_CS_SELECTOR			0x0802
#define VMCS_GUEST_SS_SELECTOR			0x0804
#define VMCS_GUEST_DS_SELECTOR			0x0806
#define VMCS_GUEST_FS_SELECTOR			0x0808
#define VMCS_GUEST_GS_SELECTOR			0x080a
#define VMCS_GUEST_LDTR_SELECTOR		0x080c
#define VMCS_GUEST_TR_SELECTOR			0x080e
#define VMCS_GUEST_INTERRUPT_STATUS		0x0810
#define VMCS_GUEST_PML_INDEX			0x0812

/* ---- B.1.3 16-Bit Host-State Fields ---- */
#define VMCS_HOST_ES_SELECTOR			0x0c00
#define VMCS_HOST_CS_SELECTOR			0x0c02
#define VMCS_HOST_SS_SELECTOR			0x0c04
#define VMCS_HOST_DS_SELECTOR			0x0c06
#define VMCS_HOST_FS_SELECTOR			0x0c08
#define VMCS_HOST_GS_SELECTOR			0x0c0a
#define VMCS_HOST_TR_SELECTOR			0x0c0c

/* ---- B.2.1 64-Bit Control Fields ---- */
#define VMCS_IO_BITMAP_A			0x2000	/* ports 0000-7fff */
#define VMCS_IO_BITMAP_B			0x2002	/* ports 8000-ffff */
#define VMCS_MSR_BITMAPS			0x2004
#define VMCS_VM_EXIT_MSR_STORE_ADDRESS		0x2006
#define VMCS_VM_EXIT_MSR_LOAD_ADDRESS		0x2008
#define VMCS_VM_ENTRY_MSR_LOAD_ADDRESS		0x200a
#define VMCS_EXECUTIVE_VMCS_POINTER		0x200c
#define VMCS_PML_ADDRESS			0x200e
#define VMCS_TSC_OFFSET				0x2010
#define VMCS_VIRTUAL_APIC_ADDRESS		0x2012
#define VMCS_APIC_ACCESS_ADDRESS		0x2014
#define VMCS_POSTED_INTERRUPT_DESCRIPTOR	0x2016
#define VMCS_VM_FUNCTION_CONTROLS		0x2018
#define VMCS_EPT_POINTER			0x201a
#define VMCS_EOI_EXIT_BITMAP_0			0x201c
#define VMCS_EPTP_LIST_ADDRESS			0x2024
#define VMCS_VMREAD_BITMAP			0x2026
#define VMCS_VMWRITE_BITMAP			0x2028
#define VMCS_XSS_EXITING_BITMAP			0x202c
#define VMCS_TSC_MULTIPLIER			0x2032

/* ---- B.2.2 64-Bit Read-Only Data Field ---- */
#define VMCS_GUEST_PHYSICAL_ADDRESS		0x2400

/* ---- B.2.3 64-Bit Guest-State Fields ---- */
#define VMCS_LINK_POINTER			0x2800
#define VMCS_GUEST_IA32_DEBUGCTL		0x2802
#define VMCS_GUEST_IA32_PAT			0x2804
#define VMCS_GUEST_IA32_EFER			0x2806
#define VMCS_GUEST_IA32_PERF_GLOBAL_CTRL	0x2808
#define VMCS_GUEST_PDPTE0			0x280a

/* ---- B.2.4 64-Bit Host-State Fields ---- */
#define VMCS_HOST_IA32_PAT			0x2c00
#define VMCS_HOST_IA32_EFER			0x2c02
#define VMCS_HOST_IA32_PERF_GLOBAL_CTRL		0x2c04

/* ---- B.3.1 32-Bit Control Fields ---- */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL		0x4000
#define VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL	0x4002
#define VMCS_EXCEPTION_BITMAP			0x4004
#define VMCS_PAGE_FAULT_ERROR_CODE_MASK		0x4006
#define VMCS_PAGE_FAULT_ERROR_CODE_MATCH	0x4008
#define VMCS_CR3_TARGET_COUNT			0x400a
#define VMCS_VM_EXIT_CONTROLS			0x400c
#define VMCS_VM_EXIT_MSR_STORE_COUNT		0x400e
#define VMCS_VM_EXIT_MSR_LOAD_COUNT		0x4010
#define VMCS_VM_ENTRY_CONTROLS			0x4012
#define VMCS_VM_ENTRY_MSR_LOAD_COUNT		0x4014
#define VMCS_VM_ENTRY_INTERRUPTION_INFO		0x4016	/* format: VMCS_INTR_INFO_* */
#define VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE	0x4018
#define VMCS_VM_ENTRY_INSTRUCTION_LENGTH	0x401a
#define VMCS_TPR_THRESHOLD			0x401c
#define VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL 0x401e
#define VMCS_PLE_GAP				0x4020
#define VMCS_PLE_WINDOW				0x4022

/* ---- B.3.2 32-Bit Read-Only Data Fields ---- */
#define VMCS_VM_INSTRUCTION_ERROR		0x4400
#define VMCS_EXIT_REASON			0x4402
#define VMCS_VM_EXIT_INTERRUPTION_INFO		0x4404
#define VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE	0x4406
#define VMCS_IDT_VECTORING_INFO			0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE		0x440a
#define VMCS_VM_EXIT_INSTRUCTION_LENGTH		0x440c
#define VMCS_VM_EXIT_INSTRUCTION_INFO		0x440e

/* ---- B.3.3 32-Bit Guest-State Fields ---- */
#define VMCS_GUEST_ES_LIMIT			0x4800
#define VMCS_GUEST_CS_LIMIT			0x4802
#define VMCS_GUEST_SS_LIMIT			0x4804
#define VMCS_GUEST_DS_LIMIT			0x4806
#define VMCS_GUEST_FS_LIMIT			0x4808
#define VMCS_GUEST_GS_LIMIT			0x480a
#define VMCS_GUEST_LDTR_LIMIT			0x480c
#define VMCS_GUEST_TR_LIMIT			0x480e
#define VMCS_GUEST_GDTR_LIMIT			0x4810
#define VMCS_GUEST_IDTR_LIMIT			0x4812
#define VMCS_GUEST_ES_ACCESS_RIGHTS		0x4814
#define VMCS_GUEST_CS_ACCESS_RIGHTS		0x4816
# define VMX_AR_L				BIT(13)	/* 64-bit code segment (SDM 24.4.1) */
# define VMX_AR_DB				BIT(14)	/* default operation size 32 */
#define VMCS_GUEST_SS_ACCESS_RIGHTS		0x4818
#define VMCS_GUEST_DS_ACCESS_RIGHTS		0x481a
#define VMCS_GUEST_FS_ACCESS_RIGHTS		0x481c
#define VMCS_GUEST_GS_ACCESS_RIGHTS		0x481e
#define VMCS_GUEST_LDTR_ACCESS_RIGHTS		0x4820
#define VMCS_GUEST_TR_ACCESS_RIGHTS		0x4822
#define VMCS_GUEST_INTERRUPTIBILITY_STATE	0x4824	/* format: VMCS_INTERRUPTIBILITY_* */
#define VMCS_GUEST_ACTIVITY_STATE		0x4826
#define VMCS_GUEST_SMBASE			0x4828
#define VMCS_GUEST_IA32_SYSENTER_CS		0x482a
#define VMCS_VMX_PREEMPTION_TIMER_VALUE		0x482e

/* ---- B.3.4 32-Bit Host-State Field ---- */
#define VMCS_HOST_IA32_SYSENTER_CS		0x4c00

/* ---- B.4.1 Natural-Width Control Fields ---- */
#define VMCS_CR0_GUEST_HOST_MASK		0x6000
#define VMCS_CR4_GUEST_HOST_MASK		0x6002
#define VMCS_CR0_READ_SHADOW			0x6004
#define VMCS_CR4_READ_SHADOW			0x6006
#define VMCS_CR3_TARGET_VALUE0			0x6008

/* ---- B.4.2 Natural-Width Read-Only Data Fields ---- */
#define VMCS_EXIT_QUALIFICATION			0x6400
#define VMCS_IO_RCX				0x6402
#define VMCS_IO_RSI				0x6404
#define VMCS_IO_RDI				0x6406
#define VMCS_IO_RIP				0x6408
#define VMCS_GUEST_LINEAR_ADDRESS		0x640a

/* ---- B.4.3 Natural-Width Guest-State Fields ---- */
#define VMCS_GUEST_CR0				0x6800
#define VMCS_GUEST_CR3				0x6802
#define VMCS_GUEST_CR4				0x6804
#define VMCS_GUEST_ES_BASE			0x6806
#define VMCS_GUEST_CS_BASE			0x6808
#define VMCS_GUEST_SS_BASE			0x680a
#define VMCS_GUEST_DS_BASE			0x680c
#define VMCS_GUEST_FS_BASE			0x680e
#define VMCS_GUEST_GS_BASE			0x6810
#define VMCS_GUEST_LDTR_BASE			0x6812
#define VMCS_GUEST_TR_BASE			0x6814
#define VMCS_GUEST_GDTR_BASE			0x6816
#define VMCS_GUEST_IDTR_BASE			0x6818
#define VMCS_GUEST_DR7				0x681a
#define VMCS_GUEST_RSP				0x681c
#define VMCS_GUEST_RIP				0x681e
#define VMCS_GUEST_RFLAGS			0x6820
#define VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS	0x6822
#define VMCS_GUEST_IA32_SYSENTER_ESP		0x6824
#define VMCS_GUEST_IA32_SYSENTER_EIP		0x6826

/* ---- B.4.4 Natural-Width Host-State Fields ---- */
#define VMCS_HOST_CR0				0x6c00
#define VMCS_HOST_CR3				0x6c02
#define VMCS_HOST_CR4				0x6c04
#define VMCS_HOST_FS_BASE			0x6c06
#define VMCS_HOST_GS_BASE			0x6c08
#define VMCS_HOST_TR_BASE			0x6c0a
#define VMCS_HOST_GDTR_BASE			0x6c0c
#define VMCS_HOST_IDTR_BASE			0x6c0e
#define VMCS_HOST_IA32_SYSENTER_ESP		0x6c10
#define VMCS_HOST_IA32_SYSENTER_EIP		0x6c12
#define VMCS_HOST_RSP				0x6c14
#define VMCS_HOST_RIP				0x6c16

/* ---- 25.9.1 Basic VM-Exit Information: the exit-reason field ---- */
#define VMCS_EXIT_REASON_BASIC			0xffff		/* bits 15:0 */
#define VMCS_EXIT_REASON_ENCLAVE_MODE		(1U << 27)
#define VMCS_EXIT_REASON_PENDING_MTF		(1U << 28)
#define VMCS_EXIT_REASON_FROM_VMX_ROOT		(1U << 29)
#define VMCS_EXIT_REASON_VM_ENTRY_FAILURE	(1U << 31)

/* ---- Appendix C: VMX Basic Exit Reasons ---- */
#define EXIT_REASON_EXCEPTION_OR_NMI		0
#define EXIT_REASON_EXTERNAL_INTERRUPT		1
#define EXIT_REASON_TRIPLE_FAULT		2
#define EXIT_REASON_INIT_SIGNAL			3
#define EXIT_REASON_SIPI			4
#define EXIT_REASON_IO_SMI			5
#define EXIT_REASON_OTHER_SMI			6
#define EXIT_REASON_INTERRUPT_WINDOW		7
#define EXIT_REASON_NMI_WINDOW			8
#define EXIT_REASON_TASK_SWITCH			9
#define EXIT_REASON_CPUID			10
#define EXIT_REASON_GETSEC			11
#define EXIT_REASON_HLT				12
#define EXIT_REASON_INVD			13
#define EXIT_REASON_INVLPG			14
#define EXIT_REASON_RDPMC			15
#define EXIT_REASON_RDTSC			16
#define EXIT_REASON_RSM				17
#define EXIT_REASON_VMCALL			18
#define EXIT_REASON_VMCLEAR			19
#define EXIT_REASON_VMLAUNCH			20
#define EXIT_REASON_VMPTRLD			21
#define EXIT_REASON_VMPTRST			22
#define EXIT_REASON_VMREAD			23
#define EXIT_REASON_VMRESUME			24
#define EXIT_REASON_VMWRITE			25
#define EXIT_REASON_VMXOFF			26
#define EXIT_REASON_VMXON			27
#define EXIT_REASON_CR_ACCESS			28
#define EXIT_REASON_MOV_DR			29
#define EXIT_REASON_IO_INSTRUCTION		30
#define EXIT_REASON_RDMSR			31
#define EXIT_REASON_WRMSR			32
#define EXIT_REASON_INVALID_GUEST_STATE		33	/* VM-entry failure */
#define EXIT_REASON_MSR_LOADING			34	/* VM-entry failure */
#define EXIT_REASON_MWAIT			36
#define EXIT_REASON_MONITOR_TRAP_FLAG		37
#define EXIT_REASON_MONITOR			39
#define EXIT_REASON_PAUSE			40
#define EXIT_REASON_MACHINE_CHECK		41	/* VM-entry failure */
#define EXIT_REASON_TPR_BELOW_THRESHOLD		43
#define EXIT_REASON_APIC_ACCESS			44
#define EXIT_REASON_VIRTUALIZED_EOI		45
#define EXIT_REASON_GDTR_IDTR_ACCESS		46
#define EXIT_REASON_LDTR_TR_ACCESS		47
#define EXIT_REASON_EPT_VIOLATION		48
#define EXIT_REASON_EPT_MISCONFIGURATION	49
#define EXIT_REASON_INVEPT			50
#define EXIT_REASON_RDTSCP			51
#define EXIT_REASON_PREEMPTION_TIMER		52
#define EXIT_REASON_INVVPID			53
#define EXIT_REASON_WBINVD			54	/* WBINVD or WBNOINVD */
#define EXIT_REASON_XSETBV			55
#define EXIT_REASON_APIC_WRITE			56
#define EXIT_REASON_RDRAND			57
#define EXIT_REASON_INVPCID			58
#define EXIT_REASON_VMFUNC			59
#define EXIT_REASON_ENCLS			60
#define EXIT_REASON_RDSEED			61
#define EXIT_REASON_PML_FULL			62
#define EXIT_REASON_XSAVES			63
#define EXIT_REASON_XRSTORS			64
#define EXIT_REASON_PCONFIG			65
#define EXIT_REASON_SPP_EVENT			66
#define EXIT_REASON_UMWAIT			67
#define EXIT_REASON_TPAUSE			68
#define EXIT_REASON_LOADIWKEY			69
#define EXIT_REASON_ENCLV			70
#define EXIT_REASON_ENQCMD_PASID_FAILURE	72
#define EXIT_REASON_ENQCMDS_PASID_FAILURE	73
#define EXIT_REASON_BUS_LOCK			74
#define EXIT_REASON_INSTRUCTION_TIMEOUT		75
#define EXIT_REASON_SEAMCALL			76
#define EXIT_REASON_TDCALL			77
#define EXIT_REASON_COUNT			78	/* one past the highest defined */

/* ---- Table 28-3: Exit Qualification for Control-Register Accesses ---- */
#define CR_QUAL_CR_NUMBER			0xfULL		/* bits 3:0 */
#define CR_QUAL_ACCESS_TYPE_SHIFT		4		/* bits 5:4 */
#define  CR_ACCESS_MOV_TO_CR			0
#define  CR_ACCESS_MOV_FROM_CR			1
#define  CR_ACCESS_CLTS				2
#define  CR_ACCESS_LMSW				3
#define CR_QUAL_LMSW_MEMORY_OPERAND		(1ULL << 6)
#define CR_QUAL_GPR_SHIFT			8		/* bits 11:8: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
#define CR_QUAL_LMSW_SOURCE_SHIFT		16		/* bits 31:16 */

/* ---- Table 28-5: Exit Qualification for I/O Instructions ---- */
#define IO_QUAL_SIZE_MINUS_1			0x7ULL		/* bits 2:0: 0, 1 or 3 */
#define IO_QUAL_DIRECTION_IN			(1ULL << 3)
#define IO_QUAL_STRING				(1ULL << 4)
#define IO_QUAL_REP				(1ULL << 5)
#define IO_QUAL_OPERAND_IMMEDIATE		(1ULL << 6)
#define IO_QUAL_PORT_SHIFT			16		/* bits 31:16 */

/* ---- Table 28-7: Exit Qualification for EPT Violations ---- */
#define EPT_QUAL_DATA_READ			(1ULL << 0)
#define EPT_QUAL_DATA_WRITE			(1ULL << 1)
#define EPT_QUAL_INSTRUCTION_FETCH		(1ULL << 2)
#define EPT_QUAL_READABLE			(1ULL << 3)	/* what the translation allowed */
#define EPT_QUAL_WRITABLE			(1ULL << 4)
#define EPT_QUAL_EXECUTABLE			(1ULL << 5)
#define EPT_QUAL_GUEST_LINEAR_VALID		(1ULL << 7)
#define EPT_QUAL_NMI_UNBLOCKING			(1ULL << 12)

/*
 * ---- 25.8.3 / 25.9.2 / 25.9.3: VM-entry interruption information,
 * VM-exit interruption information and IDT-vectoring information share
 * one format. ----
 */
#define VMCS_INTR_INFO_VECTOR			0xffU		/* bits 7:0 */
#define VMCS_INTR_INFO_TYPE_SHIFT		8		/* bits 10:8 */
#define VMCS_INTR_INFO_TYPE			(7U << 8)
#define  VMCS_INTR_TYPE_EXTERNAL_INTERRUPT	(0U << 8)
#define  VMCS_INTR_TYPE_NMI			(2U << 8)
#define  VMCS_INTR_TYPE_HARDWARE_EXCEPTION	(3U << 8)
#define  VMCS_INTR_TYPE_SOFTWARE_INTERRUPT	(4U << 8)
#define  VMCS_INTR_TYPE_PRIV_SOFTWARE_EXCEPTION	(5U << 8)
#define  VMCS_INTR_TYPE_SOFTWARE_EXCEPTION	(6U << 8)
#define  VMCS_INTR_TYPE_OTHER_EVENT		(7U << 8)
#define VMCS_INTR_INFO_DELIVER_ERROR_CODE	(1U << 11)
#define VMCS_INTR_INFO_NMI_UNBLOCKING		(1U << 12)	/* exit information only */
#define VMCS_INTR_INFO_VALID			(1U << 31)

/* ---- Table 25-3: Format of Interruptibility State ---- */
#define VMCS_INTERRUPTIBILITY_STI		(1U << 0)	/* blocking by STI */
#define VMCS_INTERRUPTIBILITY_MOV_SS		(1U << 1)	/* blocking by MOV SS */
#define VMCS_INTERRUPTIBILITY_SMI		(1U << 2)
#define VMCS_INTERRUPTIBILITY_NMI		(1U << 3)
#define VMCS_INTERRUPTIBILITY_ENCLAVE		(1U << 4)

/* ---- 25.4.2 Guest Non-Register State: activity state ---- */
#define VMCS_ACTIVITY_ACTIVE			0
#define VMCS_ACTIVITY_HLT			1
#define VMCS_ACTIVITY_SHUTDOWN			2
#define VMCS_ACTIVITY_WAIT_FOR_SIPI		3

/* ---- 25.4.1 Guest Register State: segment access rights (the VMX layout) ---- */
#define VMCS_AR_UNUSABLE			(1U << 16)

/* ---- 25.4.2 Guest Non-Register State: the VMCS link pointer when there is no shadow VMCS ---- */
#define VMCS_LINK_POINTER_NONE			0xffffffffffffffffULL

/* ---- 31.4 VM Instruction Error Numbers (the ones worth naming) ---- */
#define VMX_ERROR_VMCALL_IN_VMX_ROOT		1
#define VMX_ERROR_VMCLEAR_INVALID_ADDRESS	2
#define VMX_ERROR_VMLAUNCH_NONCLEAR_VMCS	4
#define VMX_ERROR_VMRESUME_NONLAUNCHED_VMCS	5
#define VMX_ERROR_ENTRY_INVALID_CONTROL_FIELD	7
#define VMX_ERROR_ENTRY_INVALID_HOST_STATE	8
#define VMX_ERROR_VMPTRLD_INVALID_ADDRESS	9
#define VMX_ERROR_VMPTRLD_WRONG_REVISION	11
#define VMX_ERROR_UNSUPPORTED_VMCS_COMPONENT	12
#define VMX_ERROR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS 26
#define VMX_ERROR_INVALID_INVEPT_INVVPID_OPERAND 28

/* ---- 25.11.4 / 25.6.9: bitmaps ---- */
#define VMX_IO_BITMAP_SIZE			4096	/* each of A and B */
#define VMX_MSR_BITMAP_SIZE			4096	/* read low, read high, write low, write high */

#endif /* ARCH_VMCS_H */
