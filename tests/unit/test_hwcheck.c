// SPDX-License-Identifier: MIT
/*
 * hypervisor/arch/x86/hwcheck.c: the verdict from capability values.
 *
 * The machines below are the raw values uhv printed with the "hwcheck"
 * boot option ("cpu: VMX MSRs" / "cpu: SVM CPUID" lines) in Bochs 2.7 and
 * QEMU 7.2 TCG. Each requirement is then removed on its own from a machine
 * that has everything, and must produce its own reason and the right verdict.
 */
#include <stdio.h>
#include <string.h>

#include <arch/hwcheck.h>
#include <arch/msr.h>
#include <arch/svm_caps.h>
#include <arch/vmx_caps.h>

#include "unit.h"

/* Bochs corei7_skylake_x (TRUE controls, as cpu_features.c reads them). */
static struct cpu_caps bochs_skylake_x(void)
{
	return (struct cpu_caps){
		.vendor = CPU_VENDOR_INTEL,
		.vmx = {
			.supported = true,
			.msrs_readable = true,
			.feature_control_readable = true,
			.feature_control = 0x5,
			.basic = 0xd810000000002bULL,
			.pinbased_ctls = 0x7f00000016ULL,
			.procbased_ctls = 0xf7f9fffe04006172ULL,
			.procbased_ctls2 = 0x2177fff00000000ULL,
			.exit_ctls = 0x7fffff00036dfbULL,
			.entry_ctls = 0xffff000011fbULL,
			.misc = 0x600401e0ULL,
			.ept_vpid_cap = 0xf0106334141ULL,
		},
	};
}

/* Bochs corei7_sandy_bridge_2600k: no 1G EPT pages, no EPT A/D, fewer secondary controls. */
static struct cpu_caps bochs_sandy_bridge(void)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.procbased_ctls2 = 0xff00000000ULL;
	c.vmx.misc = 0x401e0ULL;
	c.vmx.ept_vpid_cap = 0xf0106114141ULL;
	return c;
}

/* Bochs core2_penryn_t9600: VMX, but no EPT, VPID, unrestricted guest, preemption timer. */
static struct cpu_caps bochs_penryn(void)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.pinbased_ctls = 0x3f00000016ULL;
	c.vmx.procbased_ctls2 = 0x4100000000ULL;
	c.vmx.exit_ctls = 0x3ffff00036dfbULL;
	c.vmx.entry_ctls = 0x3fff000011fbULL;
	c.vmx.misc = 0x401e0ULL;
	c.vmx.ept_vpid_cap = 0;
	return c;
}

/* QEMU 7.2 TCG -cpu max: SVM + NPT, 16 ASIDs, no NRIP save, no flush-by-ASID. */
static struct cpu_caps qemu_tcg_max(void)
{
	return (struct cpu_caps){
		.vendor = CPU_VENDOR_AMD,
		.hypervisor = true,
		.svm = {
			.supported = true,
			.revision = 1,
			.nasid = 16,
			.features = 0x10010001,
			.vm_cr_readable = true,
			.vm_cr = 0,
		},
	};
}

/* QEMU 7.2 TCG -cpu qemu64: SVM in CPUID, but no NPT. */
static struct cpu_caps qemu_tcg_qemu64(void)
{
	struct cpu_caps c = qemu_tcg_max();

	c.svm.features = 0;
	return c;
}

/* Bochs ryzen: SVM with NRIP save and flush-by-ASID, 32768 ASIDs. */
static struct cpu_caps bochs_ryzen(void)
{
	struct cpu_caps c = qemu_tcg_max();

	c.hypervisor = false;
	c.svm.nasid = 32768;
	c.svm.features = 0x44f;
	return c;
}

static const struct iommu_summary qemu_vtd = { .dmar_present = true, .drhd_count = 1 };
static const struct iommu_summary no_iommu = { .dmar_present = false, .drhd_count = 0 };

static struct hwcheck_result result;

static bool has_item(const struct hwcheck_item *items, unsigned int count, enum hwcheck_item_id id)
{
	for (unsigned int i = 0; i < count; i++)
		if (items[i].id == id)
			return true;
	return false;
}

static const char *item_text(const struct hwcheck_item *items, unsigned int count, enum hwcheck_item_id id)
{
	for (unsigned int i = 0; i < count; i++)
		if (items[i].id == id)
			return items[i].text;
	return "";
}

#define HAS_MISSING(id)	has_item(result.missing, result.missing_count, id)
#define HAS_NOTE(id)	has_item(result.notes, result.note_count, id)
#define CHECK_CONTAINS(hay, needle)					\
	do {								\
		if (!strstr((hay), (needle)))				\
			unit_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
				  (hay), (needle));			\
	} while (0)
#define CHECK_STARTS(s, prefix)	CHECK_EQ(strncmp((s), (prefix), strlen(prefix)), 0)

TEST(bochs_skylake_x_with_vtd_is_a_full_system)
{
	struct cpu_caps c = bochs_skylake_x();

	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_VMX);
	CHECK_EQ(result.timer, HWCHECK_TIMER_VMX_PREEMPTION);
	CHECK(result.iommu);
	CHECK_EQ(result.missing_count, 0);
	CHECK_EQ(result.note_count, 0);
	CHECK_STR_EQ(result.verdict_text, "full system: yes (VMX backend, VT-d IOMMU for device assignment)");
}

TEST(bochs_skylake_x_without_iommu_is_partial)
{
	struct cpu_caps c = bochs_skylake_x();

	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK_EQ(result.verdict, HWCHECK_PARTIAL);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_VMX);
	CHECK(!result.iommu);
	CHECK_EQ(result.missing_count, 1);
	CHECK(HAS_MISSING(HWCHECK_NO_IOMMU));
	CHECK_STR_EQ(result.verdict_text, "partial: VMs yes (VMX backend), device assignment NO "
		     "(no IOMMU: IOVMs would need unprotected DMA)");
}

TEST(dmar_without_drhd_is_no_iommu)
{
	struct cpu_caps c = bochs_skylake_x();
	struct iommu_summary empty_dmar = { .dmar_present = true, .drhd_count = 0 };

	hwcheck_evaluate(&c, &empty_dmar, &result);
	CHECK_EQ(result.verdict, HWCHECK_PARTIAL);
	CHECK(HAS_MISSING(HWCHECK_NO_IOMMU));
	CHECK_CONTAINS(item_text(result.missing, result.missing_count, HWCHECK_NO_IOMMU), "DRHD");
}

TEST(unusable_vtd_unit_means_no_device_assignment)
{
	struct cpu_caps c = bochs_skylake_x();
	/* QEMU's unit (aw-bits=39), as read from its registers. */
	struct iommu_summary vtd = { .dmar_present = true, .drhd_count = 1, .units_read = 1,
		.units = { { .ver = 0x10, .cap = 0x00d2008c22260206ULL, .ecap = 0xf00f4aULL } } };

	hwcheck_evaluate(&c, &vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	/* Only 5-level tables: uhv's domains cannot be walked by this unit. */
	vtd.units[0].cap = (vtd.units[0].cap & ~VTD_CAP_SAGAW) | (uint64_t)VTD_SAGAW_57_5LEVEL << VTD_CAP_SAGAW_SHIFT;
	hwcheck_evaluate(&c, &vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_PARTIAL);
	CHECK(HAS_MISSING(HWCHECK_IOMMU_UNIT_UNUSABLE));
	CHECK_CONTAINS(item_text(result.missing, result.missing_count, HWCHECK_IOMMU_UNIT_UNUSABLE),
		       "DRHD 0 is unusable: SAGAW");
	/* Registers reading all ones: no unit behind the DMAR's address. */
	vtd.units[0] = (struct vtd_caps){ .ver = ~0U, .cap = ~0ULL, .ecap = ~0ULL };
	hwcheck_evaluate(&c, &vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_PARTIAL);
	CHECK_CONTAINS(item_text(result.missing, result.missing_count, HWCHECK_IOMMU_UNIT_UNUSABLE),
		       "all ones");
}

TEST(bochs_sandy_bridge_runs_vmx)
{
	struct cpu_caps c = bochs_sandy_bridge();

	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_VMX);
	CHECK_EQ(result.missing_count, 0);
}

TEST(bochs_penryn_has_vmx_but_no_ept_vpid_unrestricted_guest)
{
	struct cpu_caps c = bochs_penryn();

	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_NONE);
	CHECK_EQ(result.timer, HWCHECK_TIMER_NONE);
	CHECK_EQ(result.missing_count, 3);
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_EPT));
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_VPID));
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_UNRESTRICTED_GUEST));
	CHECK(HAS_NOTE(HWCHECK_NOTE_VMX_NO_PREEMPTION_TIMER));
	CHECK_STR_EQ(result.verdict_text,
		     "no: VMX: no EPT (extended page tables); VMX: no VPID (tagged guest TLB entries); "
		     "VMX: no unrestricted guest: guests could not run in real mode");
}

/* One VMX requirement removed from the Skylake-X values: exactly its reason, verdict "no". */
static void expect_only_reason(struct cpu_caps *c, enum hwcheck_item_id id, const char *text_part)
{
	hwcheck_evaluate(c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_NONE);
	CHECK_EQ(result.missing_count, 1);
	CHECK(HAS_MISSING(id));
	CHECK_CONTAINS(item_text(result.missing, result.missing_count, id), text_part);
	CHECK_CONTAINS(result.verdict_text, text_part);
	CHECK_STARTS(result.verdict_text, "no: VMX: ");
}

TEST(vmx_locked_off_by_firmware)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.feature_control = FEATURE_CONTROL_LOCKED;
	expect_only_reason(&c, HWCHECK_VMX_LOCKED_OFF, "IA32_FEATURE_CONTROL locked");

	/* Enabled only inside SMX is still off for uhv. */
	c.vmx.feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_IN_SMX;
	expect_only_reason(&c, HWCHECK_VMX_LOCKED_OFF, "firmware");
}

TEST(vmx_feature_control_unlocked_is_a_note)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.feature_control = 0;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK(HAS_NOTE(HWCHECK_NOTE_VMX_FEATURE_CONTROL_UNLOCKED));
}

TEST(vmx_capability_msrs_unreadable)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.msrs_readable = false;
	expect_only_reason(&c, HWCHECK_VMX_MSRS_UNREADABLE, "cannot be read");
}

TEST(vmx_vmcs_bigger_than_a_page)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.basic = (c.vmx.basic & ~VMX_BASIC_VMCS_SIZE) | (4097ULL << VMX_BASIC_VMCS_SIZE_SHIFT);
	expect_only_reason(&c, HWCHECK_VMX_VMCS_TOO_BIG, "4097 bytes");
}

TEST(vmx_vmcs_not_write_back)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.basic &= ~VMX_BASIC_MEMORY_TYPE;
	expect_only_reason(&c, HWCHECK_VMX_VMCS_NOT_WB, "memory type is 0");
}

TEST(vmx_each_missing_control_has_its_reason)
{
	static const struct {
		uint64_t mask;		/* allowed-1 bit to clear */
		int which;		/* 0 pin, 1 proc, 2 proc2, 3 exit */
		enum hwcheck_item_id id;
		const char *text;
	} cases[] = {
		{ PIN_BASED_EXTERNAL_INTERRUPT_EXITING, 0, HWCHECK_VMX_NO_EXTERNAL_INTERRUPT_EXITING,
		  "external-interrupt exiting" },
		{ CPU_BASED_HLT_EXITING, 1, HWCHECK_VMX_NO_HLT_EXITING, "HLT exiting" },
		{ CPU_BASED_USE_IO_BITMAPS, 1, HWCHECK_VMX_NO_IO_BITMAPS, "use I/O bitmaps" },
		{ CPU_BASED_USE_MSR_BITMAPS, 1, HWCHECK_VMX_NO_MSR_BITMAPS, "use MSR bitmaps" },
		{ SECONDARY_ENABLE_EPT, 2, HWCHECK_VMX_NO_EPT, "no EPT" },
		{ SECONDARY_ENABLE_VPID, 2, HWCHECK_VMX_NO_VPID, "no VPID" },
		{ SECONDARY_UNRESTRICTED_GUEST, 2, HWCHECK_VMX_NO_UNRESTRICTED_GUEST, "unrestricted guest" },
		{ VM_EXIT_HOST_ADDRESS_SPACE_SIZE, 3, HWCHECK_VMX_NO_HOST_ADDRESS_SPACE_SIZE,
		  "host address-space size" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cpu_caps c = bochs_skylake_x();
		uint64_t *msr[] = { &c.vmx.pinbased_ctls, &c.vmx.procbased_ctls,
				    &c.vmx.procbased_ctls2, &c.vmx.exit_ctls };

		*msr[cases[i].which] &= ~(cases[i].mask << 32);
		expect_only_reason(&c, cases[i].id, cases[i].text);
	}
}

TEST(vmx_no_secondary_controls_means_no_ept_vpid_unrestricted_guest)
{
	struct cpu_caps c = bochs_skylake_x();

	/* The secondary-controls MSR is not even read then: cpu_features.c leaves it 0. */
	c.vmx.procbased_ctls &= ~((uint64_t)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
	c.vmx.procbased_ctls2 = 0;
	c.vmx.ept_vpid_cap = 0;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.missing_count, 4);
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_SECONDARY_CONTROLS));
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_EPT));
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_VPID));
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_UNRESTRICTED_GUEST));

	/* A stale secondary value must not count when the primary control is off. */
	c = bochs_skylake_x();
	c.vmx.procbased_ctls &= ~((uint64_t)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_EPT));
}

TEST(vmx_each_missing_ept_vpid_capability_has_its_reason)
{
	static const struct {
		uint64_t clear;
		enum hwcheck_item_id id;
		const char *text;
	} cases[] = {
		{ VMX_EPT_PAGE_WALK_4, HWCHECK_VMX_EPT_NO_4_LEVEL_WALK, "page-walk length of 4" },
		{ VMX_EPT_MEMORY_TYPE_WB, HWCHECK_VMX_EPT_NO_WB, "write-back" },
		{ VMX_EPT_INVEPT, HWCHECK_VMX_NO_INVEPT, "INVEPT" },
		{ VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT, HWCHECK_VMX_NO_INVEPT, "INVEPT" },
		{ VMX_VPID_INVVPID, HWCHECK_VMX_NO_INVVPID, "INVVPID" },
		{ VMX_VPID_INVVPID_SINGLE_CONTEXT | VMX_VPID_INVVPID_ALL_CONTEXT, HWCHECK_VMX_NO_INVVPID,
		  "INVVPID" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cpu_caps c = bochs_skylake_x();

		c.vmx.ept_vpid_cap &= ~cases[i].clear;
		expect_only_reason(&c, cases[i].id, cases[i].text);
	}
}

TEST(vmx_optional_ept_features_are_not_required)
{
	struct cpu_caps c = bochs_skylake_x();

	/* One INVEPT/INVVPID type is enough; 2M/1G pages, A/D, execute-only are extras. */
	c.vmx.ept_vpid_cap &= ~(VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_VPID_INVVPID_SINGLE_CONTEXT |
				VMX_EPT_PDE_2MB | VMX_EPT_PDPTE_1GB | VMX_EPT_ACCESSED_DIRTY |
				VMX_EPT_EXECUTE_ONLY);
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_EQ(result.missing_count, 0);
}

TEST(vmx_without_preemption_timer_falls_back_to_lapic_timer)
{
	struct cpu_caps c = bochs_skylake_x();

	c.vmx.pinbased_ctls &= ~((uint64_t)PIN_BASED_ACTIVATE_VMX_PREEMPTION_TIMER << 32);
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_EQ(result.timer, HWCHECK_TIMER_LAPIC);
	CHECK(HAS_NOTE(HWCHECK_NOTE_VMX_NO_PREEMPTION_TIMER));
	CHECK_CONTAINS(item_text(result.notes, result.note_count, HWCHECK_NOTE_VMX_NO_PREEMPTION_TIMER),
		       "LAPIC timer");
}

TEST(vmx_legacy_controls_force_cr3_exiting)
{
	struct cpu_caps c = bochs_skylake_x();

	/* IA32_VMX_PROCBASED_CTLS without TRUE_: CR3-load/store exiting are default-1. */
	c.vmx.basic &= ~VMX_BASIC_TRUE_CTLS;
	c.vmx.procbased_ctls |= CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK(HAS_NOTE(HWCHECK_NOTE_VMX_CR3_EXITING_FIXED));

	/* The Skylake-X TRUE controls let them be 0: no note. */
	c = bochs_skylake_x();
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK(!HAS_NOTE(HWCHECK_NOTE_VMX_CR3_EXITING_FIXED));
}

TEST(qemu_tcg_max_runs_svm_and_notes_missing_nrip_save)
{
	struct cpu_caps c = qemu_tcg_max();

	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK_EQ(result.verdict, HWCHECK_PARTIAL);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_SVM);
	CHECK_EQ(result.timer, HWCHECK_TIMER_LAPIC);
	CHECK_EQ(result.missing_count, 1);
	CHECK(HAS_MISSING(HWCHECK_NO_IOMMU));
	CHECK(HAS_NOTE(HWCHECK_NOTE_SVM_NO_NRIP_SAVE));
	CHECK_CONTAINS(item_text(result.notes, result.note_count, HWCHECK_NOTE_SVM_NO_NRIP_SAVE),
		       "decoded by the hypervisor");
	CHECK(HAS_NOTE(HWCHECK_NOTE_SVM_NO_FLUSH_BY_ASID));
	CHECK_STR_EQ(result.verdict_text, "partial: VMs yes (SVM backend), device assignment NO "
		     "(no IOMMU: IOVMs would need unprotected DMA)");

	/* QEMU with -device intel-iommu: the whole system. */
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_STR_EQ(result.verdict_text, "full system: yes (SVM backend, VT-d IOMMU for device assignment)");
}

TEST(bochs_ryzen_has_nrip_save_and_flush_by_asid)
{
	struct cpu_caps c = bochs_ryzen();

	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_SVM);
	CHECK_EQ(result.note_count, 0);
}

TEST(qemu_tcg_qemu64_has_svm_without_npt)
{
	struct cpu_caps c = qemu_tcg_qemu64();

	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.missing_count, 1);
	CHECK(HAS_MISSING(HWCHECK_SVM_NO_NPT));
	CHECK_STR_EQ(result.verdict_text, "no: SVM: no NPT (nested paging)");
}

TEST(svm_disabled_by_firmware)
{
	struct cpu_caps c = bochs_ryzen();

	c.svm.vm_cr = VM_CR_SVMDIS | VM_CR_LOCK;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.missing_count, 1);
	CHECK(HAS_MISSING(HWCHECK_SVM_DISABLED));
	CHECK_CONTAINS(result.verdict_text, "VM_CR.SVMDIS, locked");

	/* Unreadable VM_CR (value 0): a note, not a verdict. */
	c.svm.vm_cr_readable = false;
	c.svm.vm_cr = 0;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
	CHECK(HAS_NOTE(HWCHECK_NOTE_SVM_VM_CR_UNREADABLE));
}

TEST(svm_needs_two_asids)
{
	struct cpu_caps c = qemu_tcg_max();

	c.svm.nasid = 1;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK(HAS_MISSING(HWCHECK_SVM_TOO_FEW_ASIDS));
	CHECK_CONTAINS(result.verdict_text, "SVM: 1 ASID(s)");

	c.svm.nasid = 0;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK(HAS_MISSING(HWCHECK_SVM_TOO_FEW_ASIDS));

	c.svm.nasid = 2;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
}

TEST(no_virtualization_at_all)
{
	struct cpu_caps c = { .vendor = CPU_VENDOR_INTEL };

	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK_EQ(result.missing_count, 2);
	CHECK(HAS_MISSING(HWCHECK_NO_VIRTUALIZATION));
	CHECK(HAS_MISSING(HWCHECK_NO_IOMMU));
	/* The IOMMU is not why VMs cannot run: it is not in the verdict line. */
	CHECK_STR_EQ(result.verdict_text, "no: CPU: neither VMX (CPUID.1:ECX[5]) nor SVM (CPUID 8000_0001h:ECX[2])");

	c.hypervisor = true;
	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK_CONTAINS(result.verdict_text, "nested virtualization");
}

TEST(both_backends_advertised_report_only_the_chosen_one)
{
	struct cpu_caps c = bochs_skylake_x();

	/* Working VMX, broken SVM: VMX, and SVM's complaints are left out. */
	c.svm = qemu_tcg_qemu64().svm;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_VMX);
	CHECK_EQ(result.missing_count, 0);
	CHECK_EQ(result.note_count, 0);

	/* Broken VMX, working SVM: SVM. */
	c.svm = qemu_tcg_max().svm;
	c.vmx.procbased_ctls2 &= ~((uint64_t)SECONDARY_ENABLE_EPT << 32);
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.backend, HWCHECK_BACKEND_SVM);
	CHECK(!HAS_MISSING(HWCHECK_VMX_NO_EPT));
	CHECK(HAS_NOTE(HWCHECK_NOTE_SVM_NO_NRIP_SAVE));

	/* Both broken: every reason of both. */
	c.svm.features = 0;
	hwcheck_evaluate(&c, &qemu_vtd, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK(HAS_MISSING(HWCHECK_VMX_NO_EPT));
	CHECK(HAS_MISSING(HWCHECK_SVM_NO_NPT));
	CHECK_STR_EQ(result.verdict_text, "no: VMX: no EPT (extended page tables); SVM: no NPT (nested paging)");
}

TEST(result_is_reset_between_evaluations)
{
	struct cpu_caps bad = bochs_penryn(), good = bochs_skylake_x();

	hwcheck_evaluate(&bad, &no_iommu, &result);
	CHECK(result.missing_count > 0);
	hwcheck_evaluate(&good, &qemu_vtd, &result);
	CHECK_EQ(result.missing_count, 0);
	CHECK_EQ(result.note_count, 0);
	CHECK_EQ(result.verdict, HWCHECK_FULL);
}

TEST(every_item_has_a_distinct_text)
{
	/* The many-reasons machine: nothing at all of what VMX needs. */
	struct cpu_caps c = { .vmx = { .supported = true, .msrs_readable = true,
				       .feature_control_readable = true, .feature_control = 0 } };

	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK_EQ(result.verdict, HWCHECK_NO);
	CHECK(result.missing_count >= 10);
	for (unsigned int i = 0; i < result.missing_count; i++) {
		CHECK(strlen(result.missing[i].text) > 10);
		CHECK(strlen(result.missing[i].text) < HWCHECK_TEXT_MAX - 1);	/* not truncated */
		for (unsigned int j = 0; j < i; j++)
			CHECK(strcmp(result.missing[i].text, result.missing[j].text) != 0);
	}
	/* The verdict text lists them all, truncated safely if it has to be. */
	CHECK(strlen(result.verdict_text) < sizeof(result.verdict_text));
	CHECK_STARTS(result.verdict_text, "no: VMX: ");
}

static void check_no_text_truncated(void)
{
	for (unsigned int i = 0; i < result.missing_count; i++)
		CHECK(strlen(result.missing[i].text) < HWCHECK_TEXT_MAX - 1);
	for (unsigned int i = 0; i < result.note_count; i++)
		CHECK(strlen(result.notes[i].text) < HWCHECK_TEXT_MAX - 1);
}

TEST(no_reason_or_note_is_truncated)
{
	struct cpu_caps c = bochs_penryn();

	c.vmx.feature_control = FEATURE_CONTROL_LOCKED;
	c.vmx.basic &= ~(VMX_BASIC_TRUE_CTLS | VMX_BASIC_MEMORY_TYPE);
	c.vmx.basic |= VMX_BASIC_VMCS_SIZE;
	c.vmx.procbased_ctls = 0xffffffffffffffffULL & ~((uint64_t)CPU_BASED_HLT_EXITING << 32);
	c.svm = qemu_tcg_qemu64().svm;
	c.svm.vm_cr = VM_CR_SVMDIS | VM_CR_LOCK;
	c.svm.nasid = 0;
	c.hypervisor = true;
	hwcheck_evaluate(&c, &no_iommu, &result);
	CHECK(result.missing_count >= 8);
	CHECK(result.note_count >= 3);
	check_no_text_truncated();

	c = (struct cpu_caps){ .hypervisor = true };
	hwcheck_evaluate(&c, &no_iommu, &result);
	check_no_text_truncated();

	c = bochs_skylake_x();
	c.vmx.feature_control = 0;
	c.svm = qemu_tcg_max().svm;
	c.svm.vm_cr_readable = false;
	c.vmx.procbased_ctls2 = 0;
	hwcheck_evaluate(&c, &no_iommu, &result);
	check_no_text_truncated();
}

TEST(iommu_summary_comes_from_the_dmar_fields)
{
	static struct acpi_info acpi;
	struct iommu_summary s;

	s = hwcheck_iommu_from_acpi(&acpi);
	CHECK(!s.dmar_present);
	CHECK_EQ(s.drhd_count, 0);
	acpi.dmar_present = true;
	acpi.drhd_count = 2;
	s = hwcheck_iommu_from_acpi(&acpi);
	CHECK(s.dmar_present);
	CHECK_EQ(s.drhd_count, 2);
}

TEST(names)
{
	CHECK_STR_EQ(hwcheck_backend_name(HWCHECK_BACKEND_VMX), "VMX");
	CHECK_STR_EQ(hwcheck_backend_name(HWCHECK_BACKEND_SVM), "SVM");
	CHECK_STR_EQ(hwcheck_backend_name(HWCHECK_BACKEND_NONE), "none");
	CHECK_STR_EQ(hwcheck_timer_name(HWCHECK_TIMER_VMX_PREEMPTION), "VMX-preemption timer");
	CHECK_STR_EQ(hwcheck_timer_name(HWCHECK_TIMER_LAPIC), "LAPIC timer");
}
