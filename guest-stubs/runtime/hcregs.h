/* SPDX-License-Identifier: MIT */
/*
 * Register slots of struct hc_regs (hypercall.h), shared by C and by
 * hypercall_entry.S: the assembly indexes the array with these, so the two
 * cannot disagree about the layout.
 */
#ifndef RUNTIME_HCREGS_H
#define RUNTIME_HCREGS_H

#define HCR_RAX		0
#define HCR_RBX		1
#define HCR_RCX		2
#define HCR_RDX		3
#define HCR_RSI		4
#define HCR_RDI		5
#define HCR_RBP		6
#define HCR_R8		7
#define HCR_R9		8
#define HCR_R10		9
#define HCR_R11		10
#define HCR_R12		11
#define HCR_R13		12
#define HCR_R14		13
#define HCR_R15		14
#define HCR_RFLAGS	15
#define HCR_COUNT	16

#endif /* RUNTIME_HCREGS_H */
