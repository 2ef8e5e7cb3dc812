// SPDX-License-Identifier: MIT
/*
 * The one place that knows which vcpu backends exist. Core code only ever
 * sees the struct vcpu_backend chosen here.
 */
#include <abi/errno.h>
#include <arch/hwcheck.h>
#include <arch/vcpu_select.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/string.h>
#include <hv/vcpu.h>

/* Every backend built into the hypervisor, named as hwcheck names them. */
static const struct vcpu_backend *const backends[] = {
	&vmx_backend,
	&svm_backend,
	NULL,	/* the list ends with NULL */
};

int vcpu_backend_init(const struct cpu_caps *caps)
{
	static struct hwcheck_result hw;	/* large: keep it off the stack */
	struct iommu_summary iommu = hwcheck_iommu_from_acpi(acpi_get());

	hwcheck_evaluate(caps, &iommu, &hw);
	if (hw.backend == HWCHECK_BACKEND_NONE) {
		pr_err("vcpu: this CPU can run no VM: %s", hw.verdict_text);
		return -HV_ENODEV;
	}

	const char *want = hwcheck_backend_name(hw.backend);
	for (const struct vcpu_backend *const *b = backends; *b; b++) {
		if (strcmp((*b)->name, want))
			continue;
		int err = (*b)->cpu_init();
		if (err) {
			pr_err("vcpu: %s backend: cannot enable virtualization on this CPU (%d)", want, err);
			return err;
		}
		vcpu_backend_set(*b);
		pr_info("vcpu: %s backend, guest memory through %s", want, (*b)->gpa_format->name);
		return 0;
	}
	pr_err("vcpu: the CPU needs the %s backend, which this build does not have", want);
	return -HV_ENODEV;
}
