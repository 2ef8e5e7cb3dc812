// SPDX-License-Identifier: MIT
/*
 * The Intel VMX backend: VMXON, one VMCS per vCPU, guest memory through
 * EPT (ept.c), and the exit table. Policy is not decided here: every exit
 * that is a question of what a VM may do goes to the shared handlers in
 * hypervisor/vmexit.c; this file only decodes and applies their answer.
 * docs/vmx.md explains the design for a reader new to VMX.
 *
 * References are to the Intel SDM vol. 3 (chapter 25 "Virtual Machine
 * Control Structures", 27 "VMX Non-Root Operation", 28 "VM Entries",
 * 29 "VM Exits"... numbering as in the 2023 edition).
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <arch/cpu.h>
#include <arch/cpu_features.h>
#include <arch/ept.h>
#include <arch/guest_boot.h>
#include <arch/guest_mmu.h>
#include <arch/msr.h>
#include <arch/segment.h>
#include <arch/vcpu_select.h>
#include <arch/vmcs.h>
#include <arch/vmx_caps.h>
#include <arch/vmx_insn.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

/* Control-register bits the CR policy names (SDM vol. 3A, 2.5). */
#define CR0_MP		BIT(1)
#define CR0_EM		BIT(2)
#define CR0_TS		BIT(3)
#define CR0_WP		BIT(16)
#define CR0_AM		BIT(18)
#define CR4_TSD		BIT(2)
#define CR4_DE		BIT(3)
#define CR4_PSE		BIT(4)
#define CR4_MCE		BIT(6)
#define CR4_PGE		BIT(7)
#define CR4_PCE		BIT(8)
#define CR4_UMIP	BIT(11)
#define CR4_FSGSBASE	BIT(16)
#define CR4_PCIDE	BIT(17)
#define CR4_SMEP	BIT(20)
#define CR4_SMAP	BIT(21)

/*
 * Guest-owned CR0/CR4 bits (guest/host mask 0): the guest changes them
 * without an exit, because they only affect the guest's own execution and
 * the CPU itself rejects values it does not support (#GP in the guest).
 * Every other bit is owned by the hypervisor: the guest reads the read
 * shadow, and a MOV to CR0/CR4 that would change one exits (SDM 26.3.1.1).
 *   CR0: MP, EM, TS (FPU use), WP (its own write protection), AM.
 *        PE, PG, NE stay fixed: without "unrestricted guest" the CPU needs
 *        them; CD/NW would change caching of memory the VM shares with no
 *        one, but there is no reason to allow them yet.
 *   CR4: TSD, DE, PSE, PGE, PCE, UMIP, FSGSBASE, PCIDE, SMEP, SMAP.
 *        OSFXSR, OSXMMEXCPT and OSXSAVE stay off: the FPU/SSE/AVX registers
 *        are not switched between VMs yet, so a VM may not use them.
 *        VMXE is hidden (the shadow says 0; nested VMX is not offered).
 */
#define CR0_GUEST_OWNED	(CR0_MP | CR0_EM | CR0_TS | CR0_WP | CR0_AM)
#define CR4_GUEST_OWNED	(CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE | CR4_UMIP | \
			 CR4_FSGSBASE | CR4_PCIDE | CR4_SMEP | CR4_SMAP)
/*
 * Hypervisor-owned bits the guest may still set or clear: they live in the
 * read shadow only. CR4.MCE: a guest may ask for machine-check exceptions,
 * but the real bit stays 0 so that a machine check while it runs shuts the
 * guest down (a triple-fault exit: contained) instead of entering the
 * guest's handler with the host's error.
 */
#define CR4_SHADOW_ONLY	CR4_MCE

#define GUEST_PAT_POWER_ON	0x0007040600070406ULL	/* IA32_PAT reset value (SDM 12.12.4) */
#define DR7_RESET		0x400ULL

/* What vmx_entry.S provides. */
int vmx_enter(struct vcpu_regs *regs, int launched);
void vmx_exit_stub(void);

/* Per-vCPU state: v->arch points at one of these. */
struct vmx_vcpu {
	paddr_t vmcs;
	uint64_t eptp;
	uint16_t vpid;
	bool in_use;
	bool launched;			/* VMRESUME, not VMLAUNCH, next time */
	bool host_interrupt;		/* the last exit was a host interrupt: end the slice */
	uint32_t proc_based;		/* primary controls as last written */
	paddr_t io_bitmap[2];		/* its own A and B once io_allow() opened a port; else the shared ones */
	uint64_t guest_ticks;		/* TSC ticks from VM entry to VM exit */
	uint64_t handler_ticks;		/* TSC ticks in the exit handlers */
};

static struct vmx_vcpu vmx_vcpus[VM_MAX];

/* Per-CPU state (one CPU for now). */
static struct {
	uint32_t revision;		/* VMCS revision identifier */
	paddr_t vmxon_region;
	paddr_t current_vmcs;		/* the VMCS VMPTRLD made current, 0 if none */
	paddr_t io_bitmap_a, io_bitmap_b, msr_bitmap;
	uint32_t pin_based, proc_based, proc_based2, exit_controls, entry_controls;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t invept_type, invvpid_type;
} vmx;

void vmx_insn_failed(const char *insn, uint64_t field)
{
	uint64_t error = 0;

	/* The error field is readable if a VMCS is current (VMfailValid). */
	__asm__ volatile("vmread %[f], %[e]" : [e] "=r"(error) : [f] "r"((uint64_t)VMCS_VM_INSTRUCTION_ERROR) : "cc");
	panic("vmx: %s of VMCS field %#llx failed (VM-instruction error %llu)", insn,
	      (unsigned long long)field, (unsigned long long)error);
}

/* ---- The exit reasons' names: counters, log lines, containment messages. ---- */

static const char *const exit_reason_names[EXIT_REASON_COUNT] = {
	[EXIT_REASON_EXCEPTION_OR_NMI] = "exception or NMI",
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple fault",
	[EXIT_REASON_INIT_SIGNAL] = "INIT signal",
	[EXIT_REASON_SIPI] = "start-up IPI",
	[EXIT_REASON_IO_SMI] = "I/O SMI",
	[EXIT_REASON_OTHER_SMI] = "other SMI",
	[EXIT_REASON_INTERRUPT_WINDOW] = "interrupt window",
	[EXIT_REASON_NMI_WINDOW] = "NMI window",
	[EXIT_REASON_TASK_SWITCH] = "task switch",
	[EXIT_REASON_CPUID] = "CPUID",
	[EXIT_REASON_GETSEC] = "GETSEC",
	[EXIT_REASON_HLT] = "HLT",
	[EXIT_REASON_INVD] = "INVD",
	[EXIT_REASON_INVLPG] = "INVLPG",
	[EXIT_REASON_RDPMC] = "RDPMC",
	[EXIT_REASON_RDTSC] = "RDTSC",
	[EXIT_REASON_RSM] = "RSM",
	[EXIT_REASON_VMCALL] = "VMCALL",
	[EXIT_REASON_VMCLEAR] = "VMCLEAR",
	[EXIT_REASON_VMLAUNCH] = "VMLAUNCH",
	[EXIT_REASON_VMPTRLD] = "VMPTRLD",
	[EXIT_REASON_VMPTRST] = "VMPTRST",
	[EXIT_REASON_VMREAD] = "VMREAD",
	[EXIT_REASON_VMRESUME] = "VMRESUME",
	[EXIT_REASON_VMWRITE] = "VMWRITE",
	[EXIT_REASON_VMXOFF] = "VMXOFF",
	[EXIT_REASON_VMXON] = "VMXON",
	[EXIT_REASON_CR_ACCESS] = "control-register access",
	[EXIT_REASON_MOV_DR] = "MOV DR",
	[EXIT_REASON_IO_INSTRUCTION] = "I/O instruction",
	[EXIT_REASON_RDMSR] = "RDMSR",
	[EXIT_REASON_WRMSR] = "WRMSR",
	[EXIT_REASON_INVALID_GUEST_STATE] = "VM-entry failure due to invalid guest state",
	[EXIT_REASON_MSR_LOADING] = "VM-entry failure due to MSR loading",
	[EXIT_REASON_MWAIT] = "MWAIT",
	[EXIT_REASON_MONITOR_TRAP_FLAG] = "monitor trap flag",
	[EXIT_REASON_MONITOR] = "MONITOR",
	[EXIT_REASON_PAUSE] = "PAUSE",
	[EXIT_REASON_MACHINE_CHECK] = "VM-entry failure due to machine-check event",
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[EXIT_REASON_APIC_ACCESS] = "APIC access",
	[EXIT_REASON_VIRTUALIZED_EOI] = "virtualized EOI",
	[EXIT_REASON_GDTR_IDTR_ACCESS] = "access to GDTR or IDTR",
	[EXIT_REASON_LDTR_TR_ACCESS] = "access to LDTR or TR",
	[EXIT_REASON_EPT_VIOLATION] = "EPT violation",
	[EXIT_REASON_EPT_MISCONFIGURATION] = "EPT misconfiguration",
	[EXIT_REASON_INVEPT] = "INVEPT",
	[EXIT_REASON_RDTSCP] = "RDTSCP",
	[EXIT_REASON_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[EXIT_REASON_INVVPID] = "INVVPID",
	[EXIT_REASON_WBINVD] = "WBINVD or WBNOINVD",
	[EXIT_REASON_XSETBV] = "XSETBV",
	[EXIT_REASON_APIC_WRITE] = "APIC write",
	[EXIT_REASON_RDRAND] = "RDRAND",
	[EXIT_REASON_INVPCID] = "INVPCID",
	[EXIT_REASON_VMFUNC] = "VMFUNC",
	[EXIT_REASON_ENCLS] = "ENCLS",
	[EXIT_REASON_RDSEED] = "RDSEED",
	[EXIT_REASON_PML_FULL] = "page-modification log full",
	[EXIT_REASON_XSAVES] = "XSAVES",
	[EXIT_REASON_XRSTORS] = "XRSTORS",
	[EXIT_REASON_PCONFIG] = "PCONFIG",
	[EXIT_REASON_SPP_EVENT] = "SPP-related event",
	[EXIT_REASON_UMWAIT] = "UMWAIT",
	[EXIT_REASON_TPAUSE] = "TPAUSE",
	[EXIT_REASON_LOADIWKEY] = "LOADIWKEY",
	[EXIT_REASON_ENCLV] = "ENCLV",
	[EXIT_REASON_ENQCMD_PASID_FAILURE] = "ENQCMD PASID translation failure",
	[EXIT_REASON_ENQCMDS_PASID_FAILURE] = "ENQCMDS PASID translation failure",
	[EXIT_REASON_BUS_LOCK] = "bus lock",
	[EXIT_REASON_INSTRUCTION_TIMEOUT] = "instruction timeout",
	[EXIT_REASON_SEAMCALL] = "SEAMCALL",
	[EXIT_REASON_TDCALL] = "TDCALL",
};
_Static_assert(EXIT_REASON_COUNT <= VCPU_EXIT_SLOTS, "every basic exit reason has a counter slot");

static const char *exit_reason_name(unsigned int reason)
{
	return reason < EXIT_REASON_COUNT ? exit_reason_names[reason] : NULL;
}

static const char *vmx_exit_slot_name(unsigned int slot)
{
	return exit_reason_name(slot);
}

/* ---- Feature checks and the control settings, once per CPU. ---- */

enum vmx_control_field { PIN_BASED, PROC_BASED, PROC_BASED2, EXIT_CONTROLS, ENTRY_CONTROLS };

struct vmx_control {
	enum vmx_control_field field;
	uint32_t bit;
	const char *name;		/* the SDM's name of the control */
	bool required;			/* else used only if the CPU allows it */
};

/*
 * Every control this backend sets, with why (SDM tables 25-5 .. 25-15).
 * A required control the CPU cannot set refuses VMX at boot (the hwcheck
 * verdict covers the same ground for the report; this is the backend's own
 * check of what it is about to rely on).
 */
static const struct vmx_control vmx_controls[] = {
	/* A host interrupt (the scheduler's LAPIC deadline) must take the CPU back from any guest. */
	{ .field = PIN_BASED, .bit = PIN_BASED_EXTERNAL_INTERRUPT_EXITING,
	  .name = "external-interrupt exiting", .required = true },
	/* NMIs are the host's (they are fatal there today), never a guest's. */
	{ .field = PIN_BASED, .bit = PIN_BASED_NMI_EXITING, .name = "NMI exiting", .required = true },
	/* An idle guest gives its CPU back: HLT blocks the vCPU in the scheduler. */
	{ .field = PROC_BASED, .bit = CPU_BASED_HLT_EXITING, .name = "HLT exiting", .required = true },
	/* Every port is the hypervisor's to grant: the I/O bitmaps are all ones (every port exits). */
	{ .field = PROC_BASED, .bit = CPU_BASED_USE_IO_BITMAPS, .name = "use I/O bitmaps", .required = true },
	/* Likewise every MSR: the MSR bitmap is all ones. */
	{ .field = PROC_BASED, .bit = CPU_BASED_USE_MSR_BITMAPS, .name = "use MSR bitmaps", .required = true },
	/*
	 * In 64-bit mode MOV CR8 is the real local APIC's TPR: a guest that
	 * raised it could mask the host's timer and keep the CPU forever.
	 */
	{ .field = PROC_BASED, .bit = CPU_BASED_CR8_LOAD_EXITING, .name = "CR8-load exiting", .required = true },
	{ .field = PROC_BASED, .bit = CPU_BASED_CR8_STORE_EXITING, .name = "CR8-store exiting", .required = true },
	/* DR0-DR3/DR6 are not switched by VM entry/exit: a guest may not touch them. */
	{ .field = PROC_BASED, .bit = CPU_BASED_MOV_DR_EXITING, .name = "MOV-DR exiting", .required = true },
	/* Performance counters are the host's; MONITOR/MWAIT are hidden in CPUID. */
	{ .field = PROC_BASED, .bit = CPU_BASED_RDPMC_EXITING, .name = "RDPMC exiting", .required = true },
	{ .field = PROC_BASED, .bit = CPU_BASED_MONITOR_EXITING, .name = "MONITOR exiting", .required = true },
	{ .field = PROC_BASED, .bit = CPU_BASED_MWAIT_EXITING, .name = "MWAIT exiting", .required = true },
	/*
	 * A VM's TSC counts from its start (the TSC clock, abi/vm_boot.h):
	 * RDTSC and RDTSCP read the host TSC plus VMCS_TSC_OFFSET and do not
	 * exit (RDTSC exiting is never asked for). Optional: without it the
	 * VMs read their clock by HC_TIME_READ.
	 */
	{ .field = PROC_BASED, .bit = CPU_BASED_USE_TSC_OFFSETTING, .name = "use TSC offsetting" },
	/* EPT and VPID are secondary controls. */
	{ .field = PROC_BASED, .bit = CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
	  .name = "activate secondary controls", .required = true },
	/* Guest memory is what its EPT maps, nothing else. */
	{ .field = PROC_BASED2, .bit = SECONDARY_ENABLE_EPT, .name = "enable EPT", .required = true },
	/* Tagged TLB entries: no flush on every VM entry and exit. VPID = VM id. */
	{ .field = PROC_BASED2, .bit = SECONDARY_ENABLE_VPID, .name = "enable VPID", .required = true },
	/* WBINVD writes back everyone's caches: the exit lets the hypervisor decide (today: do it). */
	{ .field = PROC_BASED2, .bit = SECONDARY_WBINVD_EXITING, .name = "WBINVD exiting", .required = true },
	/*
	 * Guests see the host's CPUID feature bits for RDTSCP and INVPCID;
	 * without these controls the instructions would raise #UD. Both act
	 * on the guest only (INVPCID is confined to the VM's VPID).
	 */
	{ .field = PROC_BASED2, .bit = SECONDARY_ENABLE_RDTSCP, .name = "enable RDTSCP" },
	{ .field = PROC_BASED2, .bit = SECONDARY_ENABLE_INVPCID, .name = "enable INVPCID" },
	/* The hypervisor runs in 64-bit mode after every exit. */
	{ .field = EXIT_CONTROLS, .bit = VM_EXIT_HOST_ADDRESS_SPACE_SIZE, .name = "host address-space size",
	  .required = true },
	/* EFER and PAT differ between guest and host and are switched by the CPU on entry and exit. */
	{ .field = EXIT_CONTROLS, .bit = VM_EXIT_SAVE_IA32_EFER, .name = "save IA32_EFER", .required = true },
	{ .field = EXIT_CONTROLS, .bit = VM_EXIT_LOAD_IA32_EFER, .name = "load IA32_EFER", .required = true },
	{ .field = EXIT_CONTROLS, .bit = VM_EXIT_SAVE_IA32_PAT, .name = "save IA32_PAT", .required = true },
	{ .field = EXIT_CONTROLS, .bit = VM_EXIT_LOAD_IA32_PAT, .name = "load IA32_PAT", .required = true },
	/*
	 * Not set: "acknowledge interrupt on exit". The interrupt stays pending
	 * in the local APIC and the host takes it through its own IDT as soon
	 * as it enables interrupts, so one handler serves both cases.
	 */
	/* Guests start in 64-bit mode (arch/guest_boot.h). */
	{ .field = ENTRY_CONTROLS, .bit = VM_ENTRY_IA32E_MODE_GUEST, .name = "IA-32e mode guest", .required = true },
	{ .field = ENTRY_CONTROLS, .bit = VM_ENTRY_LOAD_IA32_EFER, .name = "load IA32_EFER", .required = true },
	{ .field = ENTRY_CONTROLS, .bit = VM_ENTRY_LOAD_IA32_PAT, .name = "load IA32_PAT", .required = true },
	/*
	 * Not set: "unrestricted guest". VMs start in long mode and may not
	 * leave it (CR0.PE/PG are hypervisor-owned), so paging is always on
	 * and the CPU's CR0 fixed bits can stay as VMX wants them.
	 */
};

static uint32_t *control_word(enum vmx_control_field f)
{
	static uint32_t *const words[] = {
		[PIN_BASED] = &vmx.pin_based, [PROC_BASED] = &vmx.proc_based,
		[PROC_BASED2] = &vmx.proc_based2, [EXIT_CONTROLS] = &vmx.exit_controls,
		[ENTRY_CONTROLS] = &vmx.entry_controls,
	};
	return words[f];
}

/*
 * Compute the five control words from the capability MSRs (the TRUE ones
 * when IA32_VMX_BASIC says they exist: cpu_features.c picked them): wanted
 * bits, plus what the CPU forces to 1 (allowed-0), minus what it cannot set
 * (allowed-1). Returns 0, or -HV_ENODEV naming a missing required control.
 */
static int vmx_compute_controls(const struct vmx_caps *caps)
{
	const uint64_t msr[] = {
		[PIN_BASED] = caps->pinbased_ctls, [PROC_BASED] = caps->procbased_ctls,
		[PROC_BASED2] = caps->procbased_ctls2, [EXIT_CONTROLS] = caps->exit_ctls,
		[ENTRY_CONTROLS] = caps->entry_ctls,
	};
	static const char *const field_name[] = {
		[PIN_BASED] = "pin-based", [PROC_BASED] = "primary processor-based",
		[PROC_BASED2] = "secondary processor-based", [EXIT_CONTROLS] = "VM-exit",
		[ENTRY_CONTROLS] = "VM-entry",
	};
	uint32_t want[ARRAY_SIZE(msr)] = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(vmx_controls); i++) {
		const struct vmx_control *c = &vmx_controls[i];

		if (vmx_ctls_allowed1(msr[c->field]) & c->bit)
			want[c->field] |= c->bit;
		else if (c->required) {
			pr_err("vmx: the CPU cannot set the %s control \"%s\"", field_name[c->field], c->name);
			return -HV_ENODEV;
		}
	}
	for (unsigned int f = 0; f < ARRAY_SIZE(msr); f++)
		*control_word(f) = (want[f] | vmx_ctls_allowed0(msr[f])) & vmx_ctls_allowed1(msr[f]);
	return 0;
}

/*
 * The backend's own feature checks, one per requirement (Jailhouse's
 * vmx_check_features). hwcheck has already judged the CPU as a whole; these
 * are the facts the code below relies on.
 */
static int vmx_check_features(const struct cpu_caps *caps)
{
	const struct vmx_caps *c = &caps->vmx;

	/* CPUID.1:ECX.VMX: the instructions exist at all. */
	if (!c->supported || !c->msrs_readable) {
		pr_err("vmx: no VMX, or its capability MSRs cannot be read");
		return -HV_ENODEV;
	}
	/* The VMXON region and each VMCS are one frame each. */
	if (((c->basic & VMX_BASIC_VMCS_SIZE) >> VMX_BASIC_VMCS_SIZE_SHIFT) > FRAME_SIZE) {
		pr_err("vmx: the VMCS is larger than a page");
		return -HV_ENODEV;
	}
	/* Frames come from anywhere in RAM: no 32-bit limit on VMCS and bitmap addresses. */
	if (c->basic & VMX_BASIC_PHYS_ADDR_32BIT) {
		pr_err("vmx: VMX structures limited to 32-bit addresses are not supported");
		return -HV_ENODEV;
	}
	/* The VMCS and EPT tables are ordinary write-back RAM. */
	if (((c->basic & VMX_BASIC_MEMORY_TYPE) >> VMX_BASIC_MEMORY_TYPE_SHIFT) != VMX_BASIC_MEMORY_TYPE_WB) {
		pr_err("vmx: the VMCS memory type is not write-back");
		return -HV_ENODEV;
	}
	/* ept_pointer() builds a 4-level, write-back EPTP. */
	if (!(c->ept_vpid_cap & VMX_EPT_PAGE_WALK_4) || !(c->ept_vpid_cap & VMX_EPT_MEMORY_TYPE_WB)) {
		pr_err("vmx: EPT cannot use a 4-level write-back walk");
		return -HV_ENODEV;
	}
	/* vm_create() maps guest RAM with 2 MiB EPT leaves. */
	if (!(c->ept_vpid_cap & VMX_EPT_PDE_2MB)) {
		pr_err("vmx: EPT has no 2 MiB pages");
		return -HV_ENODEV;
	}
	/* A VM's stale translations are flushed when it starts and stops. */
	if (!(c->ept_vpid_cap & VMX_EPT_INVEPT) ||
	    !(c->ept_vpid_cap & (VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT))) {
		pr_err("vmx: no INVEPT");
		return -HV_ENODEV;
	}
	vmx.invept_type = c->ept_vpid_cap & VMX_EPT_INVEPT_SINGLE_CONTEXT ? INVEPT_SINGLE_CONTEXT :
									      INVEPT_ALL_CONTEXT;
	/* Same for the VPID-tagged linear translations. */
	if (!(c->ept_vpid_cap & VMX_VPID_INVVPID) ||
	    !(c->ept_vpid_cap & (VMX_VPID_INVVPID_SINGLE_CONTEXT | VMX_VPID_INVVPID_ALL_CONTEXT))) {
		pr_err("vmx: no INVVPID");
		return -HV_ENODEV;
	}
	vmx.invvpid_type = c->ept_vpid_cap & VMX_VPID_INVVPID_SINGLE_CONTEXT ? INVVPID_SINGLE_CONTEXT :
										 INVVPID_ALL_CONTEXT;
	/* The controls (external-interrupt exiting, EPT, VPID, ...): see vmx_controls[]. */
	return vmx_compute_controls(c);
}

/* A zeroed frame, or 0. */
static paddr_t zeroed_frame(void)
{
	paddr_t pa = frame_alloc();

	if (pa)
		memset(phys_to_virt(pa), 0, FRAME_SIZE);
	return pa;
}

/* A frame of all ones: a bitmap in which every port or MSR exits. */
static paddr_t all_ones_frame(void)
{
	paddr_t pa = frame_alloc();

	if (pa)
		memset(phys_to_virt(pa), 0xff, FRAME_SIZE);
	return pa;
}

static int vmx_cpu_init(void)
{
	const struct cpu_caps *caps = cpu_caps_get();
	int err = vmx_check_features(caps);

	if (err)
		return err;

	/*
	 * IA32_FEATURE_CONTROL: VMXON raises #GP unless the MSR is locked with
	 * "VMX outside SMX" set. Firmware usually locks it; if it did not, we
	 * do (SDM 24.7). Locked without VMX means the firmware turned VT-x off.
	 */
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
		if (wrmsr_safe(MSR_IA32_FEATURE_CONTROL, fc)) {
			pr_err("vmx: cannot lock IA32_FEATURE_CONTROL");
			return -HV_EIO;
		}
	} else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		pr_err("vmx: disabled by the firmware (IA32_FEATURE_CONTROL)");
		return -HV_ENODEV;
	}

	/*
	 * CR0 and CR4 must obey the VMX fixed bits in VMX operation (SDM
	 * 24.8, A.7, A.8): GRUB leaves CR0.NE clear, and CR4.VMXE turns VMX on.
	 */
	vmx.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	write_cr0((read_cr0() | vmx.cr0_fixed0) & vmx.cr0_fixed1);
	write_cr4(((read_cr4() | vmx.cr4_fixed0) & vmx.cr4_fixed1) | X86_CR4_VMXE);

	vmx.revision = (uint32_t)(caps->vmx.basic & VMX_BASIC_VMCS_REVISION_ID);
	vmx.vmxon_region = zeroed_frame();
	vmx.io_bitmap_a = all_ones_frame();
	vmx.io_bitmap_b = all_ones_frame();
	vmx.msr_bitmap = all_ones_frame();
	if (!vmx.vmxon_region || !vmx.io_bitmap_a || !vmx.io_bitmap_b || !vmx.msr_bitmap)
		return -HV_ENOMEM;	/* at boot, with nothing else to free them for */
	*(uint32_t *)phys_to_virt(vmx.vmxon_region) = vmx.revision;
	if (vmxon(vmx.vmxon_region)) {
		pr_err("vmx: VMXON failed");
		return -HV_EIO;
	}
	pr_info("vmx: VMXON done (VMCS revision %#x); controls: pin %#x, primary %#x, secondary %#x, "
		"exit %#x, entry %#x", vmx.revision, vmx.pin_based, vmx.proc_based, vmx.proc_based2,
		vmx.exit_controls, vmx.entry_controls);
	return 0;
}

/* ---- The VMCS of one vCPU. ---- */

static void vmcs_load(paddr_t vmcs)
{
	if (vmx.current_vmcs == vmcs)
		return;
	if (vmptrld(vmcs))
		panic("vmx: VMPTRLD of %#llx failed", (unsigned long long)vmcs);
	vmx.current_vmcs = vmcs;
}

static void flush_vm_translations(const struct vmx_vcpu *x)
{
	if (invept(vmx.invept_type, x->eptp))
		panic("vmx: INVEPT failed");
	if (invvpid(vmx.invvpid_type, x->vpid))
		panic("vmx: INVVPID failed");
}

/* Base address of the descriptor at selector sel in the GDT at gdt (a 16-byte system descriptor). */
static uint64_t system_descriptor_base(uint64_t gdt, uint16_t sel)
{
	const uint64_t *d = (const uint64_t *)(uintptr_t)(gdt + (sel & ~7U));

	return ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) | (d[1] << 32);
}

/* The host state every VM exit restores: this CPU as it is now (SDM 25.5). */
static void vmcs_write_host_state(void)
{
	struct descriptor_table_ptr gdtr, idtr;
	uint16_t tr;

	__asm__ volatile("sgdt %0; sidt %1; str %2" : "=m"(gdtr), "=m"(idtr), "=r"(tr));
	BUG_ON(tr != GDT_TSS);	/* VM exits need a non-zero host TR: the hypervisor's TSS */

	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
	vmwrite(VMCS_HOST_SS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_DS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_ES_SELECTOR, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_FS_SELECTOR, 0);
	vmwrite(VMCS_HOST_GS_SELECTOR, 0);
	vmwrite(VMCS_HOST_TR_SELECTOR, tr);
	vmwrite(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmwrite(VMCS_HOST_TR_BASE, system_descriptor_base(gdtr.base, tr));
	vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit_stub);
	/* VMCS_HOST_RSP is written by vmx_enter: it is the stub's own stack pointer. */
}

static void guest_segment(uint32_t sel_field, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	/* The four fields of one segment are at the same offset in their groups. */
	uint32_t n = sel_field - VMCS_GUEST_ES_SELECTOR;

	vmwrite(sel_field, sel);
	vmwrite(VMCS_GUEST_ES_BASE + n, base);
	vmwrite(VMCS_GUEST_ES_LIMIT + n, limit);
	vmwrite(VMCS_GUEST_ES_ACCESS_RIGHTS + n, ar);
}

/* The architectural start state of every VM (arch/guest_boot.h; SDM 25.4). */
static void vmcs_write_guest_state(void)
{
	vmwrite(VMCS_GUEST_CR0, (GUEST_BOOT_CR0 | vmx.cr0_fixed0) & vmx.cr0_fixed1);
	vmwrite(VMCS_GUEST_CR3, GUEST_BOOT_CR3);
	vmwrite(VMCS_GUEST_CR4, (GUEST_BOOT_CR4 | vmx.cr4_fixed0) & vmx.cr4_fixed1);
	vmwrite(VMCS_CR0_GUEST_HOST_MASK, ~(uint64_t)CR0_GUEST_OWNED);
	vmwrite(VMCS_CR4_GUEST_HOST_MASK, ~(uint64_t)CR4_GUEST_OWNED);
	vmwrite(VMCS_CR0_READ_SHADOW, GUEST_BOOT_CR0);
	vmwrite(VMCS_CR4_READ_SHADOW, GUEST_BOOT_CR4);	/* VMXE hidden */
	vmwrite(VMCS_GUEST_DR7, DR7_RESET);
	vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);

	guest_segment(VMCS_GUEST_CS_SELECTOR, UHV_BOOT_CS, 0, 0xffffffff, GUEST_BOOT_CS_AR);
	guest_segment(VMCS_GUEST_SS_SELECTOR, UHV_BOOT_DS, 0, 0xffffffff, GUEST_BOOT_DS_AR);
	guest_segment(VMCS_GUEST_DS_SELECTOR, UHV_BOOT_DS, 0, 0xffffffff, GUEST_BOOT_DS_AR);
	guest_segment(VMCS_GUEST_ES_SELECTOR, UHV_BOOT_DS, 0, 0xffffffff, GUEST_BOOT_DS_AR);
	guest_segment(VMCS_GUEST_FS_SELECTOR, UHV_BOOT_DS, 0, 0xffffffff, GUEST_BOOT_DS_AR);
	guest_segment(VMCS_GUEST_GS_SELECTOR, UHV_BOOT_DS, 0, 0xffffffff, GUEST_BOOT_DS_AR);
	/* VM entry needs a usable TR even in long mode: a busy 64-bit TSS the guest never uses. */
	guest_segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0x67, GUEST_BOOT_TR_AR);
	guest_segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, VMCS_AR_UNUSABLE);
	vmwrite(VMCS_GUEST_GDTR_BASE, UHV_BOOT_GDT);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, GUEST_BOOT_GDT_LIMIT);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);	/* no IDT yet: an early exception is a triple fault */
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);

	vmwrite(VMCS_GUEST_IA32_EFER, GUEST_BOOT_EFER);
	vmwrite(VMCS_GUEST_IA32_PAT, GUEST_PAT_POWER_ON);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, VMCS_ACTIVITY_ACTIVE);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
	vmwrite(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
	vmwrite(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
	/* RIP, RSP and RFLAGS are written from v->regs before every entry. */
}

static void vmcs_write_controls(const struct vmx_vcpu *x, uint64_t tsc_offset)
{
	vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROL, vmx.pin_based);
	vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL, x->proc_based);
	vmwrite(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL, vmx.proc_based2);
	vmwrite(VMCS_VM_EXIT_CONTROLS, vmx.exit_controls);
	vmwrite(VMCS_VM_ENTRY_CONTROLS, vmx.entry_controls);
	vmwrite(VMCS_EXCEPTION_BITMAP, 0);	/* guest exceptions go to the guest's IDT */
	vmwrite(VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
	vmwrite(VMCS_IO_BITMAP_A, vmx.io_bitmap_a);
	vmwrite(VMCS_IO_BITMAP_B, vmx.io_bitmap_b);
	vmwrite(VMCS_MSR_BITMAPS, vmx.msr_bitmap);
	vmwrite(VMCS_TSC_OFFSET, tsc_offset);
	vmwrite(VMCS_EPT_POINTER, x->eptp);
	vmwrite(VMCS_VIRTUAL_PROCESSOR_ID, x->vpid);
}

static int vmx_vcpu_create(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vmx_vcpu *x;

	BUG_ON(vm->id < 1 || vm->id > VM_MAX);
	x = &vmx_vcpus[vm->id - 1];
	BUG_ON(x->in_use);
	*x = (struct vmx_vcpu){
		.vmcs = zeroed_frame(),
		.eptp = ept_pointer(vm->gpt.root_pa),
		.vpid = (uint16_t)vm->id,	/* never 0: VPID 0 is the host's */
		.proc_based = vmx.proc_based,
	};
	if (!x->vmcs)
		return -HV_ENOMEM;
	*(uint32_t *)phys_to_virt(x->vmcs) = vmx.revision;
	if (vmclear(x->vmcs) || vmptrld(x->vmcs)) {
		BUG_ON(frame_free(x->vmcs));
		return -HV_EIO;
	}
	vmx.current_vmcs = x->vmcs;
	vmcs_write_controls(x, -vm->start_tsc);	/* guest TSC = host TSC - start (mod 2^64) */
	vmcs_write_host_state();
	vmcs_write_guest_state();
	/* The EPT was just built (or the VPID used by an earlier VM): no stale translations. */
	flush_vm_translations(x);
	x->in_use = true;
	v->arch = x;
	return 0;
}

/* RDTSC and RDTSCP read the host TSC plus the offset, without an exit. */
static bool vmx_tsc_offsetting(void)
{
	return (vmx.proc_based & CPU_BASED_USE_TSC_OFFSETTING) && !(vmx.proc_based & CPU_BASED_RDTSC_EXITING);
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = v->arch;

	if (!x)
		return;
	pr_debug("vmx: vm '%s': %llu exits; TSC ticks: %llu in the guest, %llu in exit handlers (%llu per exit)",
		 v->vm->cfg.name, (unsigned long long)v->exits, (unsigned long long)x->guest_ticks,
		 (unsigned long long)x->handler_ticks,
		 (unsigned long long)(v->exits ? x->handler_ticks / v->exits : 0));
	/* VMCLEAR writes the VMCS back and makes it not current: the frame can go. */
	if (vmclear(x->vmcs))
		panic("vmx: VMCLEAR of %#llx failed", (unsigned long long)x->vmcs);
	if (vmx.current_vmcs == x->vmcs)
		vmx.current_vmcs = 0;
	flush_vm_translations(x);
	BUG_ON(frame_free(x->vmcs));
	for (unsigned int i = 0; i < ARRAY_SIZE(x->io_bitmap); i++)
		if (x->io_bitmap[i])
			BUG_ON(frame_free(x->io_bitmap[i]));
	x->in_use = false;
	v->arch = NULL;
}

/*
 * Bitmap A covers ports 0-0x7fff, B 0x8000-0xffff, one bit each: clear, no
 * exit (SDM 25.6.4). A vCPU starts on the shared all-ones pair and gets
 * its own copy the first time a port is opened to it.
 */
static int vmx_io_allow(struct vcpu *v, uint16_t port, uint32_t count)
{
	struct vmx_vcpu *x = v->arch;

	if (!x || !count || port + count > 0x10000)
		return -HV_EINVAL;
	if (!x->io_bitmap[0]) {
		paddr_t a = all_ones_frame(), b = all_ones_frame();

		if (!a || !b) {
			if (a)
				BUG_ON(frame_free(a));
			if (b)
				BUG_ON(frame_free(b));
			return -HV_ENOMEM;
		}
		x->io_bitmap[0] = a;
		x->io_bitmap[1] = b;
		vmcs_load(x->vmcs);
		vmwrite(VMCS_IO_BITMAP_A, a);
		vmwrite(VMCS_IO_BITMAP_B, b);
	}
	for (uint32_t p = port; p < port + count; p++) {
		uint8_t *bitmap = phys_to_virt(x->io_bitmap[p / 0x8000]);

		bitmap[(p % 0x8000) / 8] &= (uint8_t)~(1U << (p % 8));
	}
	return 0;
}

/* ---- Exit handlers: decode, call the shared policy, apply. ---- */

struct vmx_exit {
	uint32_t reason;		/* basic exit reason */
	uint64_t qualification;
};

typedef enum exit_action (*vmx_exit_handler_t)(struct vcpu *v, const struct vmx_exit *e);

static enum exit_action exit_unhandled(struct vcpu *v, const struct vmx_exit *e)
{
	const char *name = exit_reason_name(e->reason);

	return vmexit_unhandled(v, name ? name : "unknown VMX exit reason", e->reason);
}

/* An NMI that arrived while the guest ran is the host's: the host handles it as if it ran. */
static enum exit_action exit_exception_or_nmi(struct vcpu *v, const struct vmx_exit *e)
{
	uint32_t info = (uint32_t)vmread(VMCS_VM_EXIT_INTERRUPTION_INFO);

	if ((info & VMCS_INTR_INFO_VALID) && (info & VMCS_INTR_INFO_TYPE) == VMCS_INTR_TYPE_NMI) {
		__asm__ volatile("int $2" ::: "memory");
		return EXIT_RESUME;
	}
	/* The exception bitmap is 0: no guest exception should ever exit. */
	return vmexit_unhandled(v, exit_reason_names[e->reason], info);
}

/*
 * A host interrupt is pending in the local APIC (not acknowledged on exit):
 * open a one-instruction window so the host IDT handler runs (the LAPIC
 * timer's EOIs), then end the slice: the scheduler decides what runs next.
 */
static enum exit_action exit_external_interrupt(struct vcpu *v, const struct vmx_exit *e)
{
	struct vmx_vcpu *x = v->arch;

	(void)e;
	v->exit_kind_count[VCPU_EXIT_INTERRUPT]++;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	x->host_interrupt = true;
	return EXIT_RESUME;
}

static enum exit_action exit_triple_fault(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_triple_fault(v);
}

/* The guest can take an interrupt now: the run loop injects it on the way in. */
static enum exit_action exit_interrupt_window(struct vcpu *v, const struct vmx_exit *e)
{
	(void)v, (void)e;
	return EXIT_RESUME;
}

static enum exit_action exit_cpuid(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_cpuid(v);
}

static enum exit_action exit_hlt(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_hlt(v);
}

static enum exit_action exit_vmcall(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_hypercall(v);
}

/*
 * WBINVD: write back and invalidate, as the guest asked; it only costs
 * time. INVD would throw away dirty lines of the hypervisor and every other
 * VM, so it is done as WBINVD: the guest cannot tell the difference for
 * its own memory.
 */
static enum exit_action exit_wbinvd(struct vcpu *v, const struct vmx_exit *e)
{
	(void)v, (void)e;
	__asm__ volatile("wbinvd" ::: "memory");
	return EXIT_ADVANCE;
}

/* VMX instructions in the guest always exit: nested virtualization is not offered. */
static enum exit_action exit_vmx_instruction(struct vcpu *v, const struct vmx_exit *e)
{
	static char what[64];

	format(what, sizeof(what), "%s (nested VMX is not offered)", exit_reason_names[e->reason]);
	return vmexit_unhandled(v, what, e->reason);
}

/* The GPR numbering of exit qualifications (SDM table 28-3): RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15. */
static uint64_t *guest_gpr(struct vcpu *v, unsigned int n)
{
	struct vcpu_regs *r = &v->regs;
	uint64_t *const gprs[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return gprs[n & 15];
}

/*
 * MOV to CR0/CR4 that would change a hypervisor-owned bit (the only kind
 * that exits): bits in shadow_only are recorded in the read shadow, any
 * other change ends the VM. Guest-owned bits of the same write are applied
 * as the CPU would have.
 */
static enum exit_action write_cr_policy(struct vcpu *v, const char *what, uint64_t value, uint32_t guest_field,
					uint32_t shadow_field, uint64_t guest_owned, uint64_t shadow_only)
{
	uint64_t shadow = vmread(shadow_field);
	uint64_t changed = (value ^ shadow) & ~guest_owned;

	if (changed & ~shadow_only)
		return vmexit_unhandled(v, what, value);
	vmwrite(guest_field, (vmread(guest_field) & ~guest_owned) | (value & guest_owned));
	vmwrite(shadow_field, (shadow & guest_owned) | (value & ~guest_owned));
	return EXIT_ADVANCE;
}

static enum exit_action exit_cr_access(struct vcpu *v, const struct vmx_exit *e)
{
	unsigned int cr = (unsigned int)(e->qualification & CR_QUAL_CR_NUMBER);
	unsigned int type = (unsigned int)(e->qualification >> CR_QUAL_ACCESS_TYPE_SHIFT) & 3;
	uint64_t *gpr = guest_gpr(v, (unsigned int)(e->qualification >> CR_QUAL_GPR_SHIFT));

	if (type == CR_ACCESS_MOV_TO_CR && cr == 0)
		return write_cr_policy(v, "MOV to CR0 changing a bit the hypervisor owns (PE, PG, NE, CD, NW...)",
				       *gpr, VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW, CR0_GUEST_OWNED, 0);
	if (type == CR_ACCESS_MOV_TO_CR && cr == 4)
		return write_cr_policy(v, "MOV to CR4 changing a bit the hypervisor owns (PAE, VMXE, OSFXSR...)",
				       *gpr, VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW, CR4_GUEST_OWNED,
				       CR4_SHADOW_ONLY);
	if (cr == 8 && type == CR_ACCESS_MOV_FROM_CR) {
		*gpr = 0;	/* no virtual APIC: the task priority is always 0 */
		return EXIT_ADVANCE;
	}
	if (cr == 8 && type == CR_ACCESS_MOV_TO_CR && *gpr == 0)
		return EXIT_ADVANCE;	/* priority 0 masks nothing: nothing to do */
	if (cr == 8)
		return vmexit_unhandled(v, "MOV to CR8: interrupt priorities are not virtualized", *gpr);
	/*
	 * CR3 exits only on CPUs that force CR3-load/store exiting (no TRUE
	 * controls). With EPT the guest's CR3 is its own business: do the move.
	 * VPID-tagged translations are flushed as a real MOV to CR3 would.
	 */
	if (cr == 3 && type == CR_ACCESS_MOV_FROM_CR) {
		*gpr = vmread(VMCS_GUEST_CR3);
		return EXIT_ADVANCE;
	}
	if (cr == 3 && type == CR_ACCESS_MOV_TO_CR) {
		vmwrite(VMCS_GUEST_CR3, *gpr & ~BIT(63));	/* bit 63: PCID no-flush hint */
		if (invvpid(vmx.invvpid_type, ((struct vmx_vcpu *)v->arch)->vpid))
			panic("vmx: INVVPID failed");
		return EXIT_ADVANCE;
	}
	/* CLTS and LMSW only touch guest-owned bits and PE (always 1): they cannot exit. */
	return vmexit_unhandled(v, "control-register access", e->qualification);
}

static enum exit_action exit_io_instruction(struct vcpu *v, const struct vmx_exit *e)
{
	unsigned int size = (unsigned int)(e->qualification & IO_QUAL_SIZE_MINUS_1) + 1;
	bool in = e->qualification & IO_QUAL_DIRECTION_IN;
	uint16_t port = (uint16_t)(e->qualification >> IO_QUAL_PORT_SHIFT);
	uint32_t mask = size == 4 ? 0xffffffffU : (1U << (size * 8)) - 1;

	if (e->qualification & IO_QUAL_STRING) {
		/*
		 * INS/OUTS (with or without REP): the port policy decides first,
		 * with no data (today it denies every port). Moving data between
		 * a port and guest-linear memory is not emulated: if the policy
		 * ever grants a port, a string access to it still stops the VM.
		 */
		uint32_t none = 0;
		enum exit_action a = vmexit_io(v, port, size, in, &none);

		if (a == EXIT_STOP)
			return a;
		return vmexit_unhandled(v, "INS/OUTS: string port I/O is not emulated", port);
	}
	uint32_t value = in ? 0 : (uint32_t)v->regs.rax & mask;
	enum exit_action a = vmexit_io(v, port, size, in, &value);
	if (in && a != EXIT_STOP) {
		/* IN to EAX zero-extends into RAX; to AL/AX it leaves the rest of RAX alone. */
		if (size == 4)
			v->regs.rax = value;
		else
			v->regs.rax = (v->regs.rax & ~(uint64_t)mask) | (value & mask);
	}
	return a;
}

static enum exit_action exit_rdmsr(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_msr(v, (uint32_t)v->regs.rcx, false);
}

static enum exit_action exit_wrmsr(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_msr(v, (uint32_t)v->regs.rcx, true);
}

static enum exit_action exit_ept_violation(struct vcpu *v, const struct vmx_exit *e)
{
	unsigned int access = (e->qualification & EPT_QUAL_DATA_READ ? MEM_READ : 0) |
			      (e->qualification & EPT_QUAL_DATA_WRITE ? MEM_WRITE : 0) |
			      (e->qualification & EPT_QUAL_INSTRUCTION_FETCH ? MEM_EXEC : 0);

	return vmexit_memory_fault(v, vmread(VMCS_GUEST_PHYSICAL_ADDRESS), access);
}

/* The CPU found an EPT entry it cannot use: the hypervisor built it, so it is the hypervisor's bug. */
static enum exit_action exit_ept_misconfiguration(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	panic("vmx: EPT misconfiguration at guest-physical %#llx in vm '%s'",
	      (unsigned long long)vmread(VMCS_GUEST_PHYSICAL_ADDRESS), v->vm->cfg.name);
}

/*
 * XSETBV: refused. CR4.OSXSAVE is hypervisor-owned and stays 0 (the
 * extended register state is not switched between VMs yet), so a correct
 * guest never gets here; the CPU raises #UD for XSETBV with OSXSAVE clear
 * before any exit. The value the guest wanted for XCR0 is in the message.
 */
static enum exit_action exit_xsetbv(struct vcpu *v, const struct vmx_exit *e)
{
	(void)e;
	return vmexit_xsetbv(v, (uint32_t)v->regs.rcx, (v->regs.rdx << 32) | (uint32_t)v->regs.rax);
}

/* Indexed by basic exit reason; a reason without a handler is a contained failure named by the SDM. */
static const vmx_exit_handler_t exit_handlers[EXIT_REASON_COUNT] = {
	[EXIT_REASON_EXCEPTION_OR_NMI] = exit_exception_or_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = exit_interrupt_window,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_HLT] = exit_hlt,
	[EXIT_REASON_INVD] = exit_wbinvd,
	[EXIT_REASON_VMCALL] = exit_vmcall,
	[EXIT_REASON_VMCLEAR] = exit_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRST] = exit_vmx_instruction,
	[EXIT_REASON_VMREAD] = exit_vmx_instruction,
	[EXIT_REASON_VMRESUME] = exit_vmx_instruction,
	[EXIT_REASON_VMWRITE] = exit_vmx_instruction,
	[EXIT_REASON_VMXOFF] = exit_vmx_instruction,
	[EXIT_REASON_VMXON] = exit_vmx_instruction,
	[EXIT_REASON_INVEPT] = exit_vmx_instruction,
	[EXIT_REASON_INVVPID] = exit_vmx_instruction,
	[EXIT_REASON_VMFUNC] = exit_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = exit_io_instruction,
	[EXIT_REASON_RDMSR] = exit_rdmsr,
	[EXIT_REASON_WRMSR] = exit_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIGURATION] = exit_ept_misconfiguration,
	[EXIT_REASON_WBINVD] = exit_wbinvd,
	[EXIT_REASON_XSETBV] = exit_xsetbv,
};

/* ---- The run loop. ---- */

static void set_interrupt_window_exiting(struct vmx_vcpu *x, bool on)
{
	uint32_t want = on ? x->proc_based | CPU_BASED_INTERRUPT_WINDOW_EXITING :
			     x->proc_based & ~(uint32_t)CPU_BASED_INTERRUPT_WINDOW_EXITING;

	if (want != x->proc_based) {
		x->proc_based = want;
		vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL, want);
	}
}

/*
 * Before an entry: inject the highest pending virtual interrupt if the
 * guest can take one now (RFLAGS.IF set, no STI or MOV-SS shadow, no event
 * already being injected); otherwise ask for an exit as soon as it can.
 */
static void deliver_virtual_interrupt(struct vcpu *v, struct vmx_vcpu *x)
{
	int vector = virq_highest(v);

	if (vector < 0) {
		set_interrupt_window_exiting(x, false);
		return;
	}
	bool busy = vmread(VMCS_VM_ENTRY_INTERRUPTION_INFO) & VMCS_INTR_INFO_VALID;
	bool shadow = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE) &
		      (VMCS_INTERRUPTIBILITY_STI | VMCS_INTERRUPTIBILITY_MOV_SS);
	if (!busy && !shadow && (v->regs.rflags & X86_RFLAGS_IF)) {
		vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO,
			(uint32_t)vector | VMCS_INTR_TYPE_EXTERNAL_INTERRUPT | VMCS_INTR_INFO_VALID);
		virq_delivered(v, (uint8_t)vector);
		vector = virq_highest(v);	/* more waiting: exit once the handler re-enables */
	}
	set_interrupt_window_exiting(x, vector >= 0);
}

/*
 * An exit that interrupted the delivery of an event through the guest's
 * IDT (IDT-vectoring information valid, SDM 28.2.4) must deliver it again
 * on the next entry, or the event is lost.
 */
static void reinject_interrupted_event(void)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);

	if (!(info & VMCS_INTR_INFO_VALID))
		return;
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, info & ~VMCS_INTR_INFO_NMI_UNBLOCKING);
	if (info & VMCS_INTR_INFO_DELIVER_ERROR_CODE)
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(VMCS_IDT_VECTORING_ERROR_CODE));
	vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LENGTH, vmread(VMCS_VM_EXIT_INSTRUCTION_LENGTH));
}

/* Skip the instruction that exited; it completed, so its STI/MOV-SS shadow is over too. */
static void advance_rip(struct vcpu *v, uint64_t len)
{
	v->regs.rip += len;
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	if (intr & (VMCS_INTERRUPTIBILITY_STI | VMCS_INTERRUPTIBILITY_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE,
			intr & ~(uint64_t)(VMCS_INTERRUPTIBILITY_STI | VMCS_INTERRUPTIBILITY_MOV_SS));
}

/* What the walk of the guest's page tables needs (arch/guest_mmu.h); CR0/CR4 as the CPU uses them, not the shadows. */
static void vmx_guest_paging(struct vcpu *v, struct guest_paging *p)
{
	uint64_t cs_ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);

	(void)v;	/* its VMCS is the current one */
	*p = (struct guest_paging){
		.cr0 = vmread(VMCS_GUEST_CR0), .cr3 = vmread(VMCS_GUEST_CR3), .cr4 = vmread(VMCS_GUEST_CR4),
		.efer = vmread(VMCS_GUEST_IA32_EFER),
		.cs_base = vmread(VMCS_GUEST_CS_BASE),
		.cs_long = cs_ar & VMX_AR_L,
		.cs_db = cs_ar & VMX_AR_DB,
	};
}

static const char *vm_instruction_error_name(uint64_t error)
{
	switch (error) {
	case VMX_ERROR_VMLAUNCH_NONCLEAR_VMCS: return "VMLAUNCH with non-clear VMCS";
	case VMX_ERROR_VMRESUME_NONLAUNCHED_VMCS: return "VMRESUME with non-launched VMCS";
	case VMX_ERROR_ENTRY_INVALID_CONTROL_FIELD: return "VM entry with invalid control field(s)";
	case VMX_ERROR_ENTRY_INVALID_HOST_STATE: return "VM entry with invalid host-state field(s)";
	case VMX_ERROR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS: return "VM entry with events blocked by MOV SS";
	default: return "see SDM 31.4";
	}
}

static void vmx_vcpu_run(struct vcpu *v)
{
	struct vmx_vcpu *x = v->arch;

	vmcs_load(x->vmcs);
	for (;;) {
		deliver_virtual_interrupt(v, x);
		vmwrite(VMCS_GUEST_RIP, v->regs.rip);
		vmwrite(VMCS_GUEST_RSP, v->regs.rsp);
		vmwrite(VMCS_GUEST_RFLAGS, v->regs.rflags);

		uint64_t entry_tsc = rdtsc();
		if (vmx_enter(&v->regs, x->launched)) {
			/* VMfailValid: the VMCS is ours, so this is our bug, but only this VM pays for it. */
			uint64_t error = vmread(VMCS_VM_INSTRUCTION_ERROR);

			pr_err("vmx: vm '%s': %s failed: VM-instruction error %llu (%s)", v->vm->cfg.name,
			       x->launched ? "VMRESUME" : "VMLAUNCH", (unsigned long long)error,
			       vm_instruction_error_name(error));
			vmexit_unhandled(v, "VM entry failed (VM-instruction error)", error);
			return;
		}
		uint64_t exit_tsc = rdtsc();
		x->guest_ticks += exit_tsc - entry_tsc;
		x->launched = true;

		uint32_t exit_reason = (uint32_t)vmread(VMCS_EXIT_REASON);
		struct vmx_exit e = {
			.reason = exit_reason & VMCS_EXIT_REASON_BASIC,
			.qualification = vmread(VMCS_EXIT_QUALIFICATION),
		};
		v->exits++;
		if (e.reason < VCPU_EXIT_SLOTS)
			v->exit_count[e.reason]++;
		v->regs.rip = vmread(VMCS_GUEST_RIP);
		v->regs.rsp = vmread(VMCS_GUEST_RSP);
		v->regs.rflags = vmread(VMCS_GUEST_RFLAGS);

		enum exit_action action;
		if (exit_reason & VMCS_EXIT_REASON_VM_ENTRY_FAILURE)
			action = exit_unhandled(v, &e);	/* invalid guest state, MSR loading, machine check */
		else if (e.reason < EXIT_REASON_COUNT && exit_handlers[e.reason])
			action = exit_handlers[e.reason](v, &e);
		else
			action = exit_unhandled(v, &e);
		x->handler_ticks += rdtsc() - exit_tsc;

		/* A stopped VM's VMCS is gone (vcpu_destroy ran inside the handler). */
		if (action == EXIT_STOP || v->state == VCPU_STOPPED)
			return;
		reinject_interrupted_event();
		if (action == EXIT_ADVANCE || action == EXIT_RESCHEDULE)
			advance_rip(v, vmread(VMCS_VM_EXIT_INSTRUCTION_LENGTH));
		else if (action == EXIT_EMULATED)
			advance_rip(v, v->emulated_len);	/* the exit's length is undefined for EPT violations */
		if (action == EXIT_RESCHEDULE || v->state != VCPU_RUNNABLE)
			return;
		if (x->host_interrupt) {
			x->host_interrupt = false;
			return;
		}
	}
}

const struct vcpu_backend vmx_backend = {
	.name = "VMX",
	.gpa_format = &pt_format_ept,
	.hypercall_insn = UHV_HCALL_VMCALL,
	.cpu_init = vmx_cpu_init,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.io_allow = vmx_io_allow,
	.vcpu_run = vmx_vcpu_run,
	.exit_slot_name = vmx_exit_slot_name,
	.guest_paging = vmx_guest_paging,
	.tsc_offsetting = vmx_tsc_offsetting,
};
