/* SPDX-License-Identifier: MIT */
/*
 * AMD nested page tables (APM vol. 2, 15.25 "Nested Paging"): the
 * guest-physical to host-physical tables of the SVM backend, built by the
 * generic builder (arch/pagetable.h) in this format.
 */
#ifndef ARCH_NPT_H
#define ARCH_NPT_H

#include <arch/pagetable.h>

/*
 * The host's IA-32e entry format with U/S set in every entry: the nested
 * walk treats every guest-physical access as a user access (APM 15.25.5),
 * so an entry without U/S faults even for the guest's kernel.
 */
extern const struct pt_format pt_format_npt;

#endif /* ARCH_NPT_H */
