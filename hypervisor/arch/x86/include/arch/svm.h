/* SPDX-License-Identifier: MIT */
/* The AMD SVM vcpu backend (arch/x86/svm.c, docs/svm.md). */
#ifndef ARCH_SVM_H
#define ARCH_SVM_H

#include <hv/vcpu.h>

extern const struct vcpu_backend svm_backend;

#endif /* ARCH_SVM_H */
