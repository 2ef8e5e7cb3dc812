/* SPDX-License-Identifier: MIT */
/*
 * The hardware verdict: can uhv run on this machine, with which CPU
 * backend, and with or without device assignment?
 *
 * hwcheck_evaluate() is a pure function of the capabilities gathered at
 * boot (arch/cpu_features.h) and a summary of the ACPI DMAR table: no
 * hardware access, so it is unit-tested on the host (tests/unit/
 * test_hwcheck.c). Every missing requirement becomes one item with its own
 * human-readable reason; acceptable shortcomings (no NRIP save, no
 * preemption timer, ...) become notes that say how uhv copes.
 *
 * hwcheck_run() is the "hwcheck" boot option: the CPU report, the IOMMU
 * summary and the verdict, framed by "hwcheck:" lines.
 */
#ifndef ARCH_HWCHECK_H
#define ARCH_HWCHECK_H

#include <arch/cpu_features.h>
#include <arch/vtd.h>
#include <hv/acpi.h>
#include <hv/types.h>

/* What hwcheck needs to know about DMA remapping hardware (VT-d). */
struct iommu_summary {
	bool dmar_present;		/* an ACPI DMAR table was found */
	uint32_t drhd_count;		/* remapping hardware units it lists */
	uint32_t units_read;		/* units[0..units_read) hold register values */
	struct vtd_caps units[ACPI_MAX_DRHD];	/* VER/CAP/ECAP of each DRHD, in order */
};

enum hwcheck_backend {
	HWCHECK_BACKEND_NONE,
	HWCHECK_BACKEND_VMX,		/* Intel VMX + EPT */
	HWCHECK_BACKEND_SVM,		/* AMD SVM + NPT */
};

/* How the hypervisor takes the CPU back from a guest at the end of a time slice. */
enum hwcheck_timer {
	HWCHECK_TIMER_NONE,
	HWCHECK_TIMER_VMX_PREEMPTION,	/* VMX-preemption timer */
	HWCHECK_TIMER_LAPIC,		/* LAPIC timer interrupt + external-interrupt exit/intercept */
};

enum hwcheck_verdict {
	HWCHECK_NO,			/* no usable CPU backend */
	HWCHECK_PARTIAL,		/* VMs, but no device assignment (no IOMMU) */
	HWCHECK_FULL,			/* a CPU backend and an IOMMU */
};

/* One per requirement (a missing one stops that backend or device assignment) or note. */
enum hwcheck_item_id {
	/* requirements */
	HWCHECK_NO_VIRTUALIZATION,		/* neither VMX nor SVM in CPUID */
	HWCHECK_VMX_LOCKED_OFF,			/* IA32_FEATURE_CONTROL locked without VMX */
	HWCHECK_VMX_MSRS_UNREADABLE,
	HWCHECK_VMX_VMCS_TOO_BIG,		/* VMCS region larger than a page */
	HWCHECK_VMX_VMCS_NOT_WB,		/* VMCS memory type is not write-back */
	HWCHECK_VMX_NO_EXTERNAL_INTERRUPT_EXITING,
	HWCHECK_VMX_NO_HLT_EXITING,
	HWCHECK_VMX_NO_IO_BITMAPS,
	HWCHECK_VMX_NO_MSR_BITMAPS,
	HWCHECK_VMX_NO_SECONDARY_CONTROLS,
	HWCHECK_VMX_NO_HOST_ADDRESS_SPACE_SIZE,	/* cannot return to a 64-bit host */
	HWCHECK_VMX_NO_EPT,
	HWCHECK_VMX_EPT_NO_4_LEVEL_WALK,
	HWCHECK_VMX_EPT_NO_WB,
	HWCHECK_VMX_NO_INVEPT,
	HWCHECK_VMX_NO_VPID,
	HWCHECK_VMX_NO_INVVPID,
	HWCHECK_VMX_NO_UNRESTRICTED_GUEST,
	HWCHECK_SVM_DISABLED,			/* VM_CR.SVMDIS: firmware turned SVM off */
	HWCHECK_SVM_NO_NPT,
	HWCHECK_SVM_TOO_FEW_ASIDS,
	HWCHECK_NO_IOMMU,			/* no DMAR table, or one without DRHD */
	HWCHECK_IOMMU_UNIT_UNUSABLE,		/* a DRHD lacks what uhv needs (vtd_caps_problem) */
	/* notes: shortcomings uhv works around */
	HWCHECK_NOTE_VMX_FEATURE_CONTROL_UNLOCKED,	/* uhv will enable and lock it */
	HWCHECK_NOTE_VMX_NO_PREEMPTION_TIMER,		/* LAPIC timer fallback */
	HWCHECK_NOTE_VMX_CR3_EXITING_FIXED,		/* CR3 accesses always exit */
	HWCHECK_NOTE_SVM_VM_CR_UNREADABLE,
	HWCHECK_NOTE_SVM_NO_NRIP_SAVE,			/* the hypervisor decodes lengths */
	HWCHECK_NOTE_SVM_NO_FLUSH_BY_ASID,
	HWCHECK_ITEM_COUNT
};

#define HWCHECK_TEXT_MAX	160
#define HWCHECK_VERDICT_MAX	640

struct hwcheck_item {
	enum hwcheck_item_id id;
	char text[HWCHECK_TEXT_MAX];	/* "VMX: ..." / "SVM: ..." / "IOMMU: ..." */
};

struct hwcheck_result {
	enum hwcheck_verdict verdict;
	enum hwcheck_backend backend;	/* VMX preferred if both could run */
	enum hwcheck_timer timer;	/* of the chosen backend */
	bool iommu;			/* DMA remapping for device assignment */
	unsigned int missing_count;
	struct hwcheck_item missing[HWCHECK_ITEM_COUNT];
	unsigned int note_count;
	struct hwcheck_item notes[HWCHECK_ITEM_COUNT];
	/* "full system: yes ...", "partial: ...", "no: <reasons>" */
	char verdict_text[HWCHECK_VERDICT_MAX];
};

/* The IOMMU facts hwcheck needs, taken from the parsed ACPI tables (no unit registers read). */
struct iommu_summary hwcheck_iommu_from_acpi(const struct acpi_info *acpi);

/*
 * Decide what uhv can do on a machine with these capabilities. Pure: reads
 * only its arguments and fills *result completely. When a backend can run,
 * the missing items and notes of the other one (a CPU advertising both VMX
 * and SVM) are left out: they would only confuse the report.
 */
void hwcheck_evaluate(const struct cpu_caps *caps, const struct iommu_summary *iommu,
		      struct hwcheck_result *result);

const char *hwcheck_backend_name(enum hwcheck_backend backend);
const char *hwcheck_timer_name(enum hwcheck_timer timer);

/*
 * The "hwcheck" boot option: print the CPU report, the IOMMU units with
 * their capabilities (read from their registers) and the verdict with one
 * line per reason. Returns; the caller ends the run.
 */
void hwcheck_run(const struct cpu_caps *caps, const struct acpi_info *acpi);

#endif /* ARCH_HWCHECK_H */
