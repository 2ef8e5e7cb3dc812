// SPDX-License-Identifier: MIT
/*
 * CPU feature discovery: CPUID and the VMX/SVM capability MSRs of the boot
 * CPU, gathered once into struct cpu_caps, and the short "cpu:" report
 * every boot prints. The decisions made from these values are elsewhere
 * (hwcheck.c for the verdict, the VMX/SVM backends for their controls).
 */
#include <arch/cpu.h>
#include <arch/cpu_features.h>
#include <arch/cpuid.h>
#include <arch/msr.h>
#include <arch/svm_caps.h>
#include <arch/vmx_caps.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/string.h>

static struct cpu_caps boot_cpu_caps;

const struct cpu_caps *cpu_caps_get(void)
{
	return &boot_cpu_caps;
}

static void read_identity(struct cpu_caps *c)
{
	struct cpuid_regs r = cpuid(CPUID_VENDOR);
	uint32_t eax, base_family, base_model;

	c->max_leaf = r.eax;
	memcpy(&c->vendor_id[0], &r.ebx, 4);
	memcpy(&c->vendor_id[4], &r.edx, 4);
	memcpy(&c->vendor_id[8], &r.ecx, 4);
	c->vendor_id[12] = '\0';
	if (!strcmp(c->vendor_id, "GenuineIntel"))
		c->vendor = CPU_VENDOR_INTEL;
	else if (!strcmp(c->vendor_id, "AuthenticAMD"))
		c->vendor = CPU_VENDOR_AMD;
	else
		c->vendor = CPU_VENDOR_OTHER;

	c->max_ext_leaf = cpuid(CPUID_EXT_MAX).eax;
	if (c->max_ext_leaf < CPUID_EXT_MAX || c->max_ext_leaf > CPUID_EXT_MAX + 0xffff)
		c->max_ext_leaf = 0;	/* no extended leaves: EAX is not a leaf number */

	/*
	 * Display family and model (SDM vol. 2A, CPUID EAX=1): the extended
	 * family counts only for base family 0xF; the extended model for 0xF,
	 * and on Intel also for family 6.
	 */
	eax = cpuid(CPUID_FEATURES).eax;
	base_family = (eax & CPUID_1_EAX_FAMILY) >> 8;
	base_model = (eax & CPUID_1_EAX_MODEL) >> 4;
	c->family = base_family;
	if (base_family == 0xf)
		c->family += (eax & CPUID_1_EAX_EXT_FAMILY) >> 20;
	c->model = base_model;
	if (base_family == 0xf || (base_family == 6 && c->vendor == CPU_VENDOR_INTEL))
		c->model += ((eax & CPUID_1_EAX_EXT_MODEL) >> 16) << 4;
	c->stepping = eax & CPUID_1_EAX_STEPPING;

	if (c->max_ext_leaf >= CPUID_BRAND_STRING + 2) {
		char raw[48];
		const char *p = raw;

		for (uint32_t i = 0; i < 3; i++) {
			r = cpuid(CPUID_BRAND_STRING + i);
			memcpy(&raw[16 * i + 0], &r.eax, 4);
			memcpy(&raw[16 * i + 4], &r.ebx, 4);
			memcpy(&raw[16 * i + 8], &r.ecx, 4);
			memcpy(&raw[16 * i + 12], &r.edx, 4);
		}
		/* Intel pads the brand string with leading blanks. */
		while (p < raw + sizeof(raw) && *p == ' ')
			p++;
		size_t len = strnlen(p, (size_t)(raw + sizeof(raw) - p));
		while (len && p[len - 1] == ' ')
			len--;
		memcpy(c->brand, p, len);
		c->brand[len] = '\0';
	}
}

static void read_general_features(struct cpu_caps *c)
{
	struct cpuid_regs r = cpuid(CPUID_FEATURES);

	c->hypervisor = r.ecx & CPUID_1_ECX_HYPERVISOR;
	c->x2apic = r.ecx & CPUID_1_ECX_X2APIC;
	c->tsc_deadline = r.ecx & CPUID_1_ECX_TSC_DEADLINE;
	c->pcid = r.ecx & CPUID_1_ECX_PCID;
	if (c->max_leaf >= CPUID_EXT_FEATURES)
		c->invpcid = cpuid_count(CPUID_EXT_FEATURES, 0).ebx & CPUID_7_EBX_INVPCID;

	if (c->max_ext_leaf >= CPUID_EXT_PROC_FEATURES) {
		r = cpuid(CPUID_EXT_PROC_FEATURES);
		c->nx = r.edx & CPUID_80000001_EDX_NX;
		c->page_1g = r.edx & CPUID_80000001_EDX_PAGE1GB;
	}
	if (c->max_ext_leaf >= CPUID_APM)
		c->invariant_tsc = cpuid(CPUID_APM).edx & CPUID_80000007_EDX_INVARIANT_TSC;
	c->phys_addr_bits = 36;		/* SDM: the default without leaf 0x80000008 */
	c->virt_addr_bits = 48;
	if (c->max_ext_leaf >= CPUID_ADDR_SIZES) {
		r = cpuid(CPUID_ADDR_SIZES);
		c->phys_addr_bits = (uint8_t)(r.eax & CPUID_80000008_EAX_PHYS_BITS);
		c->virt_addr_bits = (uint8_t)((r.eax & CPUID_80000008_EAX_VIRT_BITS) >> 8);
	}
}

/*
 * The VMX capability MSRs. Which ones exist depends on the others (SDM
 * appendix A), so each is read only when the SDM says it is there; a fault
 * on one that should exist marks the set unreadable.
 */
static void read_vmx_caps(struct vmx_caps *vmx)
{
	bool ok = true, true_ctls;

	vmx->supported = cpuid(CPUID_FEATURES).ecx & CPUID_1_ECX_VMX;
	if (!vmx->supported)
		return;

	vmx->feature_control_readable = !rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &vmx->feature_control);

	ok &= !rdmsr_safe(MSR_IA32_VMX_BASIC, &vmx->basic);
	true_ctls = vmx->basic & VMX_BASIC_TRUE_CTLS;
	ok &= !rdmsr_safe(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
			  &vmx->pinbased_ctls);
	ok &= !rdmsr_safe(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
			  &vmx->procbased_ctls);
	ok &= !rdmsr_safe(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			  &vmx->exit_ctls);
	ok &= !rdmsr_safe(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			  &vmx->entry_ctls);
	ok &= !rdmsr_safe(MSR_IA32_VMX_MISC, &vmx->misc);

	if (vmx_ctls_allowed1(vmx->procbased_ctls) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		ok &= !rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &vmx->procbased_ctls2);
		if (vmx_ctls_allowed1(vmx->procbased_ctls2) & (SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID))
			ok &= !rdmsr_safe(MSR_IA32_VMX_EPT_VPID_CAP, &vmx->ept_vpid_cap);
	}
	vmx->msrs_readable = ok;
}

static void read_svm_caps(const struct cpu_caps *c, struct svm_caps *svm)
{
	if (c->max_ext_leaf < CPUID_EXT_PROC_FEATURES)
		return;
	svm->supported = cpuid(CPUID_EXT_PROC_FEATURES).ecx & CPUID_80000001_ECX_SVM;
	if (!svm->supported)
		return;

	if (c->max_ext_leaf >= CPUID_SVM_FEATURES) {
		struct cpuid_regs r = cpuid(CPUID_SVM_FEATURES);

		svm->revision = r.eax & SVM_CPUID_EAX_SVMREV;
		svm->nasid = r.ebx;
		svm->features = r.edx;
	}
	/* Bochs raises #GP for VM_CR even on its AMD models. */
	svm->vm_cr_readable = !rdmsr_safe(MSR_VM_CR, &svm->vm_cr);
	if (!svm->vm_cr_readable)
		svm->vm_cr = 0;
}

void cpu_features_init(void)
{
	struct cpu_caps *c = &boot_cpu_caps;

	memset(c, 0, sizeof(*c));
	read_identity(c);
	read_general_features(c);
	read_vmx_caps(&c->vmx);
	read_svm_caps(c, &c->svm);
}

/* One console line built piece by piece (the console has no partial lines). */
struct report_line {
	char buf[320];
	size_t len;
};

static void add(struct report_line *l, const char *fmt, ...) __printf(2, 3);

static void add(struct report_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
}

static const char *yes_no(uint64_t v)
{
	return v ? "yes" : "NO";
}

static void report_vmx(const struct vmx_caps *vmx)
{
	struct report_line l = { .len = 0 };
	uint32_t pin = vmx_ctls_allowed1(vmx->pinbased_ctls);
	uint32_t proc2 = vmx_ctls_allowed1(vmx->procbased_ctls2);
	uint64_t ept = vmx->ept_vpid_cap;

	if (vmx->feature_control_readable && (vmx->feature_control & FEATURE_CONTROL_LOCKED) &&
	    !(vmx->feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		pr_info("cpu: VMX: DISABLED by the firmware (IA32_FEATURE_CONTROL %#llx)",
			(unsigned long long)vmx->feature_control);
	if (!vmx->msrs_readable) {
		pr_info("cpu: VMX: in CPUID, but the capability MSRs cannot be read");
		return;
	}

	add(&l, "cpu: VMX: EPT %s", yes_no(proc2 & SECONDARY_ENABLE_EPT));
	if (proc2 & SECONDARY_ENABLE_EPT) {
		add(&l, " (%s", (ept & VMX_EPT_PAGE_WALK_4) ? "4-level" : "NO 4-level walk");
		if (ept & VMX_EPT_PAGE_WALK_5)
			add(&l, ", 5-level");
		add(&l, ", %s", (ept & VMX_EPT_MEMORY_TYPE_WB) ? "WB" : "NO WB");
		if (ept & VMX_EPT_PDE_2MB)
			add(&l, ", 2M");
		if (ept & VMX_EPT_PDPTE_1GB)
			add(&l, ", 1G");
		if (ept & VMX_EPT_ACCESSED_DIRTY)
			add(&l, ", A/D");
		if (ept & VMX_EPT_EXECUTE_ONLY)
			add(&l, ", exec-only");
		add(&l, ", INVEPT %s)", !(ept & VMX_EPT_INVEPT) ? "NO" :
		    (ept & VMX_EPT_INVEPT_SINGLE_CONTEXT) ? "single+all" : "all only");
	}
	add(&l, ", VPID %s", yes_no(proc2 & SECONDARY_ENABLE_VPID));
	if (proc2 & SECONDARY_ENABLE_VPID)
		add(&l, " (INVVPID %s)", yes_no(ept & VMX_VPID_INVVPID));
	add(&l, ", unrestricted guest %s", yes_no(proc2 & SECONDARY_UNRESTRICTED_GUEST));
	add(&l, ", preemption timer %s", yes_no(pin & PIN_BASED_ACTIVATE_VMX_PREEMPTION_TIMER));
	if (pin & PIN_BASED_ACTIVATE_VMX_PREEMPTION_TIMER)
		add(&l, " (TSC/%llu)", 1ULL << (vmx->misc & VMX_MISC_PREEMPTION_TIMER_RATE));
	add(&l, ", true controls %s", yes_no(vmx->basic & VMX_BASIC_TRUE_CTLS));
	add(&l, ", VMCS revision %#llx", (unsigned long long)(vmx->basic & VMX_BASIC_VMCS_REVISION_ID));
	pr_info("%s", l.buf);
}

static void report_svm(const struct svm_caps *svm)
{
	struct report_line l = { .len = 0 };

	add(&l, "cpu: SVM: ");
	if (!svm->vm_cr_readable)
		add(&l, "VM_CR unreadable, ");
	else if (svm->vm_cr & VM_CR_SVMDIS)
		add(&l, "DISABLED by the firmware (VM_CR.SVMDIS), ");
	add(&l, "NPT %s, ASIDs %u, NRIP save %s", yes_no(svm->features & SVM_CPUID_NP), svm->nasid,
	    yes_no(svm->features & SVM_CPUID_NRIPS));
	if (!(svm->features & SVM_CPUID_NRIPS))
		add(&l, " (lengths are decoded by the hypervisor)");
	add(&l, ", flush-by-ASID %s, decode assists %s, VMCB clean bits %s",
	    yes_no(svm->features & SVM_CPUID_FLUSHBYASID),
	    yes_no(svm->features & SVM_CPUID_DECODEASSISTS),
	    yes_no(svm->features & SVM_CPUID_VMCBCLEAN));
	pr_info("%s", l.buf);
}

void cpu_features_report(const struct cpu_caps *c, bool raw)
{
	pr_info("cpu: %s family %u model %u stepping %u \"%s\"", c->vendor_id, c->family, c->model,
		c->stepping, c->brand);
	pr_info("cpu: leaves %#x/%#x, %u-bit phys, x2APIC %s, TSC-deadline %s, invariant TSC %s, NX %s, "
		"1G pages %s, PCID %s, INVPCID %s, under a hypervisor %s",
		c->max_leaf, c->max_ext_leaf, c->phys_addr_bits, yes_no(c->x2apic),
		yes_no(c->tsc_deadline), yes_no(c->invariant_tsc), yes_no(c->nx), yes_no(c->page_1g),
		yes_no(c->pcid), yes_no(c->invpcid), c->hypervisor ? "yes" : "no");
	if (c->vmx.supported)
		report_vmx(&c->vmx);
	if (c->svm.supported)
		report_svm(&c->svm);
	if (!c->vmx.supported && !c->svm.supported)
		pr_info("cpu: no hardware virtualization: neither VMX nor SVM in CPUID");

	if (!raw)
		return;
	/* The values as read: what a unit test needs to reproduce this machine. */
	if (c->vmx.supported) {
		pr_info("cpu: VMX MSRs: feature_control %#llx%s basic %#llx misc %#llx ept_vpid_cap %#llx",
			(unsigned long long)c->vmx.feature_control,
			c->vmx.feature_control_readable ? "" : " (unreadable)",
			(unsigned long long)c->vmx.basic, (unsigned long long)c->vmx.misc,
			(unsigned long long)c->vmx.ept_vpid_cap);
		pr_info("cpu: VMX %s controls: pinbased %#llx procbased %#llx procbased2 %#llx "
			"exit %#llx entry %#llx",
			(c->vmx.basic & VMX_BASIC_TRUE_CTLS) ? "TRUE" : "legacy",
			(unsigned long long)c->vmx.pinbased_ctls, (unsigned long long)c->vmx.procbased_ctls,
			(unsigned long long)c->vmx.procbased_ctls2, (unsigned long long)c->vmx.exit_ctls,
			(unsigned long long)c->vmx.entry_ctls);
	}
	if (c->svm.supported)
		pr_info("cpu: SVM CPUID 8000_000Ah: revision %u nasid %u features %#x; VM_CR %#llx%s",
			c->svm.revision, c->svm.nasid, c->svm.features,
			(unsigned long long)c->svm.vm_cr, c->svm.vm_cr_readable ? "" : " (unreadable)");
}
