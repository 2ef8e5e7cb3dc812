/* SPDX-License-Identifier: MIT */
#ifndef ARCH_VCPU_SELECT_H
#define ARCH_VCPU_SELECT_H

#include <arch/cpu_features.h>
#include <hv/vcpu.h>

/* The backends (one line each). */
extern const struct vcpu_backend vmx_backend;	/* arch/x86/vmx.c */
extern const struct vcpu_backend svm_backend;	/* arch/x86/svm.c */

/*
 * Pick the vcpu backend this CPU can run (the hwcheck verdict decides, VMX
 * preferred), turn virtualization on for this CPU and install the backend.
 * Returns 0, or -HV_ENODEV with the reasons logged.
 */
int vcpu_backend_init(const struct cpu_caps *caps);

#endif /* ARCH_VCPU_SELECT_H */
