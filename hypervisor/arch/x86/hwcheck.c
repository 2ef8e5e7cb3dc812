// SPDX-License-Identifier: MIT
/*
 * The hardware verdict (see arch/hwcheck.h). Pure logic over the raw
 * capability values: unit-tested on the host with values captured from
 * Bochs and QEMU, so nothing here may touch the hardware or the console.
 *
 * One commented check per requirement, in the manner of Jailhouse's
 * vmx_check_features(); unlike it, every check runs, so that the report
 * lists everything a machine lacks, not just the first thing.
 */
#include <arch/hwcheck.h>
#include <arch/msr.h>
#include <arch/svm_caps.h>
#include <arch/vmx_caps.h>
#include <hv/format.h>

#define PAGE_BYTES	4096

static void add_item(struct hwcheck_item *items, unsigned int *count,
		     enum hwcheck_item_id id, const char *fmt, ...) __printf(4, 5);

static void add_item(struct hwcheck_item *items, unsigned int *count,
		     enum hwcheck_item_id id, const char *fmt, ...)
{
	va_list ap;

	/* Each id is added at most once per evaluation, so the array cannot overflow. */
	if (*count >= HWCHECK_ITEM_COUNT)
		return;
	items[*count].id = id;
	va_start(ap, fmt);
	vformat(items[*count].text, sizeof(items[*count].text), fmt, ap);
	va_end(ap);
	(*count)++;
}

#define MISSING(res, id, ...)	add_item((res)->missing, &(res)->missing_count, id, __VA_ARGS__)
#define NOTE(res, id, ...)	add_item((res)->notes, &(res)->note_count, id, __VA_ARGS__)

static bool item_is_vmx(enum hwcheck_item_id id)
{
	return (id >= HWCHECK_VMX_LOCKED_OFF && id <= HWCHECK_VMX_NO_UNRESTRICTED_GUEST) ||
	       (id >= HWCHECK_NOTE_VMX_FEATURE_CONTROL_UNLOCKED && id <= HWCHECK_NOTE_VMX_CR3_EXITING_FIXED);
}

static bool item_is_svm(enum hwcheck_item_id id)
{
	return (id >= HWCHECK_SVM_DISABLED && id <= HWCHECK_SVM_TOO_FEW_ASIDS) ||
	       (id >= HWCHECK_NOTE_SVM_VM_CR_UNREADABLE && id <= HWCHECK_NOTE_SVM_NO_FLUSH_BY_ASID);
}

/* Drop the items of the backend that was not chosen (keeps the order of the rest). */
static void drop_items(struct hwcheck_item *items, unsigned int *count, bool (*drop)(enum hwcheck_item_id))
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < *count; i++)
		if (!drop(items[i].id))
			items[kept++] = items[i];
	*count = kept;
}

/*
 * The VMX backend's requirements. Returns true if it can run; every
 * missing feature is added to result->missing.
 */
static bool check_vmx(const struct vmx_caps *vmx, struct hwcheck_result *result)
{
	unsigned int missing_before = result->missing_count;
	uint32_t pin, proc, proc2, exit;
	uint64_t ept;

	/* VMXON faults if firmware locked IA32_FEATURE_CONTROL without "VMX outside SMX". */
	if (vmx->feature_control_readable) {
		if (!(vmx->feature_control & FEATURE_CONTROL_LOCKED))
			NOTE(result, HWCHECK_NOTE_VMX_FEATURE_CONTROL_UNLOCKED,
			     "VMX: IA32_FEATURE_CONTROL is unlocked: uhv sets \"VMX outside SMX\" and locks it");
		else if (!(vmx->feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
			MISSING(result, HWCHECK_VMX_LOCKED_OFF,
				"VMX: disabled by the firmware (IA32_FEATURE_CONTROL locked without "
				"\"VMX outside SMX\"): enable VT-x in the firmware setup");
	}

	/* Without the capability MSRs nothing else can be judged. */
	if (!vmx->msrs_readable) {
		MISSING(result, HWCHECK_VMX_MSRS_UNREADABLE,
			"VMX: the IA32_VMX_* capability MSRs cannot be read");
		return false;
	}

	/* The VMXON region and each VMCS get one page of write-back memory. */
	uint64_t vmcs_size = (vmx->basic & VMX_BASIC_VMCS_SIZE) >> VMX_BASIC_VMCS_SIZE_SHIFT;
	if (vmcs_size > PAGE_BYTES)
		MISSING(result, HWCHECK_VMX_VMCS_TOO_BIG,
			"VMX: the VMCS needs %llu bytes, more than a page",
			(unsigned long long)vmcs_size);
	uint64_t vmcs_type = (vmx->basic & VMX_BASIC_MEMORY_TYPE) >> VMX_BASIC_MEMORY_TYPE_SHIFT;
	if (vmcs_type != VMX_BASIC_MEMORY_TYPE_WB)
		MISSING(result, HWCHECK_VMX_VMCS_NOT_WB,
			"VMX: the VMCS memory type is %llu, not write-back (6)",
			(unsigned long long)vmcs_type);

	/*
	 * The control MSRs in cpu_caps are the TRUE_ ones when the CPU has them,
	 * so "may be 1" below is what the backend will really be allowed.
	 */
	pin = vmx_ctls_allowed1(vmx->pinbased_ctls);
	proc = vmx_ctls_allowed1(vmx->procbased_ctls);
	proc2 = (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ? vmx_ctls_allowed1(vmx->procbased_ctls2) : 0;
	exit = vmx_ctls_allowed1(vmx->exit_ctls);
	ept = vmx->ept_vpid_cap;

	/* Host interrupts must reach the hypervisor while a guest runs. */
	if (!(pin & PIN_BASED_EXTERNAL_INTERRUPT_EXITING))
		MISSING(result, HWCHECK_VMX_NO_EXTERNAL_INTERRUPT_EXITING,
			"VMX: no \"external-interrupt exiting\": a guest could keep host interrupts away");

	/* An idle guest must give its CPU back. */
	if (!(proc & CPU_BASED_HLT_EXITING))
		MISSING(result, HWCHECK_VMX_NO_HLT_EXITING,
			"VMX: no \"HLT exiting\": an idle guest would keep its CPU");

	/* Port I/O is passed through or trapped per port (an IOVM owns its device's ports). */
	if (!(proc & CPU_BASED_USE_IO_BITMAPS))
		MISSING(result, HWCHECK_VMX_NO_IO_BITMAPS,
			"VMX: no \"use I/O bitmaps\": port I/O cannot be assigned per port");

	/* MSR accesses are passed through or trapped per MSR. */
	if (!(proc & CPU_BASED_USE_MSR_BITMAPS))
		MISSING(result, HWCHECK_VMX_NO_MSR_BITMAPS,
			"VMX: no \"use MSR bitmaps\": every guest MSR access would exit");

	/* EPT, VPID and unrestricted guest are all secondary controls. */
	if (!(proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		MISSING(result, HWCHECK_VMX_NO_SECONDARY_CONTROLS,
			"VMX: no \"activate secondary controls\" (needed for EPT, VPID, unrestricted guest)");

	/* The hypervisor is a 64-bit program: VM exits must return to long mode. */
	if (!(exit & VM_EXIT_HOST_ADDRESS_SPACE_SIZE))
		MISSING(result, HWCHECK_VMX_NO_HOST_ADDRESS_SPACE_SIZE,
			"VMX: no \"host address-space size\" exit control: cannot exit to a 64-bit host");

	/* Guest memory is isolated by EPT with uhv's 4-level, write-back tables. */
	if (!(proc2 & SECONDARY_ENABLE_EPT)) {
		MISSING(result, HWCHECK_VMX_NO_EPT, "VMX: no EPT (extended page tables)");
	} else {
		if (!(ept & VMX_EPT_PAGE_WALK_4))
			MISSING(result, HWCHECK_VMX_EPT_NO_4_LEVEL_WALK,
				"VMX: EPT has no page-walk length of 4");
		if (!(ept & VMX_EPT_MEMORY_TYPE_WB))
			MISSING(result, HWCHECK_VMX_EPT_NO_WB,
				"VMX: EPT paging structures cannot be write-back");
		/* Changing a guest's memory map needs stale translations flushed. */
		if (!(ept & VMX_EPT_INVEPT) ||
		    !(ept & (VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT)))
			MISSING(result, HWCHECK_VMX_NO_INVEPT,
				"VMX: no INVEPT (single- or all-context): EPT changes could not be flushed");
	}

	/* Tagged TLBs: a VM exit must not flush every guest's translations. */
	if (!(proc2 & SECONDARY_ENABLE_VPID)) {
		MISSING(result, HWCHECK_VMX_NO_VPID, "VMX: no VPID (tagged guest TLB entries)");
	} else if (!(ept & VMX_VPID_INVVPID) ||
		   !(ept & (VMX_VPID_INVVPID_SINGLE_CONTEXT | VMX_VPID_INVVPID_ALL_CONTEXT))) {
		MISSING(result, HWCHECK_VMX_NO_INVVPID,
			"VMX: no INVVPID (single- or all-context): a VPID could not be reused safely");
	}

	/* Guests start in real mode, as on bare metal: no real-mode emulator in uhv. */
	if (!(proc2 & SECONDARY_UNRESTRICTED_GUEST))
		MISSING(result, HWCHECK_VMX_NO_UNRESTRICTED_GUEST,
			"VMX: no unrestricted guest: guests could not run in real mode");

	/* The end of a time slice: the preemption timer, else the LAPIC timer. */
	if (pin & PIN_BASED_ACTIVATE_VMX_PREEMPTION_TIMER) {
		result->timer = HWCHECK_TIMER_VMX_PREEMPTION;
	} else {
		result->timer = HWCHECK_TIMER_LAPIC;
		NOTE(result, HWCHECK_NOTE_VMX_NO_PREEMPTION_TIMER,
		     "VMX: no preemption timer: time slices end with a LAPIC timer interrupt "
		     "(external-interrupt exiting)");
	}

	/* Without TRUE controls, CR3-load/store exiting are fixed to 1 (SDM A.3.2). */
	uint32_t proc_must_be_1 = vmx_ctls_allowed0(vmx->procbased_ctls);
	if (proc_must_be_1 & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING))
		NOTE(result, HWCHECK_NOTE_VMX_CR3_EXITING_FIXED,
		     "VMX: CR3-load/store exiting cannot be turned off: every guest CR3 access exits");

	return result->missing_count == missing_before;
}

/* The SVM backend's requirements, as check_vmx(). */
static bool check_svm(const struct svm_caps *svm, struct hwcheck_result *result)
{
	unsigned int missing_before = result->missing_count;

	/* Firmware may set VM_CR.SVMDIS; EFER.SVME then faults. */
	if (!svm->vm_cr_readable)
		NOTE(result, HWCHECK_NOTE_SVM_VM_CR_UNREADABLE,
		     "SVM: MSR VM_CR cannot be read (an emulator?): SVMDIS assumed clear");
	else if (svm->vm_cr & VM_CR_SVMDIS)
		MISSING(result, HWCHECK_SVM_DISABLED,
			"SVM: disabled by the firmware (VM_CR.SVMDIS%s): enable SVM in the firmware setup",
			(svm->vm_cr & VM_CR_LOCK) ? ", locked" : "");

	/* Guest memory is isolated by nested paging. */
	if (!(svm->features & SVM_CPUID_NP))
		MISSING(result, HWCHECK_SVM_NO_NPT, "SVM: no NPT (nested paging)");

	/* ASID 0 is the host's: a guest needs at least one more. */
	if (svm->nasid < 2)
		MISSING(result, HWCHECK_SVM_TOO_FEW_ASIDS,
			"SVM: %u ASID(s): at least 2 needed (ASID 0 is the host's)", svm->nasid);

	/* Optional: without NRIP save the exit handlers decode instruction lengths. */
	if (!(svm->features & SVM_CPUID_NRIPS))
		NOTE(result, HWCHECK_NOTE_SVM_NO_NRIP_SAVE,
		     "SVM: no NRIP save: instruction lengths are decoded by the hypervisor");

	/* Optional: without flush-by-ASID a TLB flush drops every guest's entries. */
	if (!(svm->features & SVM_CPUID_FLUSHBYASID))
		NOTE(result, HWCHECK_NOTE_SVM_NO_FLUSH_BY_ASID,
		     "SVM: no flush-by-ASID: a guest TLB flush flushes all ASIDs");

	return result->missing_count == missing_before;
}

/*
 * Device assignment needs DMA remapping: a DMAR table with at least one
 * DRHD, and every unit whose registers were read usable (the driver's own
 * check, vtd_caps_problem(); the first unusable unit is named).
 */
static bool check_iommu(const struct iommu_summary *iommu, struct hwcheck_result *result)
{
	if (!iommu->dmar_present) {
		MISSING(result, HWCHECK_NO_IOMMU, "IOMMU: no ACPI DMAR table (no VT-d IOMMU found)");
		return false;
	}
	if (iommu->drhd_count == 0) {
		MISSING(result, HWCHECK_NO_IOMMU,
			"IOMMU: the ACPI DMAR table lists no remapping hardware unit (DRHD)");
		return false;
	}
	for (uint32_t i = 0; i < iommu->units_read && i < ACPI_MAX_DRHD; i++) {
		const char *problem = vtd_caps_problem(&iommu->units[i]);

		if (problem) {
			MISSING(result, HWCHECK_IOMMU_UNIT_UNUSABLE, "IOMMU: DRHD %u is unusable: %s", i, problem);
			return false;
		}
	}
	return true;
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	int n = format(buf + *len, size - *len, "%s", s);

	*len = MIN(*len + (size_t)n, size - 1);
}

static void write_verdict(struct hwcheck_result *result)
{
	char *buf = result->verdict_text;
	size_t size = sizeof(result->verdict_text), len = 0;

	switch (result->verdict) {
	case HWCHECK_FULL:
		format(buf, size, "full system: yes (%s backend, VT-d IOMMU for device assignment)",
		       hwcheck_backend_name(result->backend));
		return;
	case HWCHECK_PARTIAL:
		format(buf, size, "partial: VMs yes (%s backend), device assignment NO "
		       "(no IOMMU: IOVMs would need unprotected DMA)",
		       hwcheck_backend_name(result->backend));
		return;
	case HWCHECK_NO:
		append(buf, size, &len, "no:");
		for (unsigned int i = 0; i < result->missing_count; i++) {
			if (result->missing[i].id == HWCHECK_NO_IOMMU ||
			    result->missing[i].id == HWCHECK_IOMMU_UNIT_UNUSABLE)
				continue;	/* not why VMs cannot run */
			append(buf, size, &len, len > 3 ? "; " : " ");
			append(buf, size, &len, result->missing[i].text);
		}
		return;
	}
}

void hwcheck_evaluate(const struct cpu_caps *caps, const struct iommu_summary *iommu,
		      struct hwcheck_result *result)
{
	bool vmx_ok = false, svm_ok = false;
	enum hwcheck_timer vmx_timer = HWCHECK_TIMER_NONE;

	*result = (struct hwcheck_result){ 0 };

	if (!caps->vmx.supported && !caps->svm.supported)
		MISSING(result, HWCHECK_NO_VIRTUALIZATION,
			"CPU: neither VMX (CPUID.1:ECX[5]) nor SVM (CPUID 8000_0001h:ECX[2])%s",
			caps->hypervisor ? "; we run under a hypervisor without nested virtualization"
					 : "");
	if (caps->vmx.supported) {
		vmx_ok = check_vmx(&caps->vmx, result);
		vmx_timer = result->timer;
	}
	if (caps->svm.supported)
		svm_ok = check_svm(&caps->svm, result);

	if (vmx_ok) {
		result->backend = HWCHECK_BACKEND_VMX;
		result->timer = vmx_timer;
	} else if (svm_ok) {
		result->backend = HWCHECK_BACKEND_SVM;
		/* SVM has no preemption timer: the LAPIC timer plus the INTR intercept. */
		result->timer = HWCHECK_TIMER_LAPIC;
	} else {
		result->timer = HWCHECK_TIMER_NONE;
	}
	if (result->backend == HWCHECK_BACKEND_VMX) {
		drop_items(result->missing, &result->missing_count, item_is_svm);
		drop_items(result->notes, &result->note_count, item_is_svm);
	} else if (result->backend == HWCHECK_BACKEND_SVM) {
		drop_items(result->missing, &result->missing_count, item_is_vmx);
		drop_items(result->notes, &result->note_count, item_is_vmx);
	}

	result->iommu = check_iommu(iommu, result);

	if (result->backend == HWCHECK_BACKEND_NONE)
		result->verdict = HWCHECK_NO;
	else if (result->iommu)
		result->verdict = HWCHECK_FULL;
	else
		result->verdict = HWCHECK_PARTIAL;
	write_verdict(result);
}

struct iommu_summary hwcheck_iommu_from_acpi(const struct acpi_info *acpi)
{
	return (struct iommu_summary){
		.dmar_present = acpi->dmar_present,
		.drhd_count = acpi->drhd_count,
	};
}

const char *hwcheck_backend_name(enum hwcheck_backend backend)
{
	switch (backend) {
	case HWCHECK_BACKEND_VMX:	return "VMX";
	case HWCHECK_BACKEND_SVM:	return "SVM";
	case HWCHECK_BACKEND_NONE:	break;
	}
	return "none";
}

const char *hwcheck_timer_name(enum hwcheck_timer timer)
{
	switch (timer) {
	case HWCHECK_TIMER_VMX_PREEMPTION:	return "VMX-preemption timer";
	case HWCHECK_TIMER_LAPIC:		return "LAPIC timer";
	case HWCHECK_TIMER_NONE:		break;
	}
	return "none";
}
