/* SPDX-License-Identifier: MIT */
/*
 * Hypercall wrappers (include/abi/hypercall.h). Each returns what the
 * hypervisor put in RAX: >= 0 on success, a negated HV_E* code on failure.
 * Pointers are passed as guest-physical addresses, which is right because
 * the runtime never leaves the boot identity map (vm_boot.h).
 */
#ifndef RUNTIME_HYPERCALL_H
#define RUNTIME_HYPERCALL_H

#include <abi/hypercall.h>
#include <abi/vm_boot.h>
#include <hv/types.h>

#include "hcdetect.h"
#include "hcregs.h"

struct trap_frame;

/* Set up by hc_init(): the instruction HYPERCALL executes (UHV_HCALL_*). */
extern uint8_t hc_instruction;

/*
 * Read CPUID and choose the instruction (hcdetect.h). Returns the status;
 * anything but HC_ABI_OK means the guest is not under a uhv it understands,
 * and runtime_init() reports that and stops.
 */
enum hc_abi_status hc_init(void);

/* True if a #UD made the runtime switch instruction (see hc_fixup_ud). */
bool hc_instruction_switched(void);

/*
 * Called by the #UD handler. If the fault is at a hypercall instruction and
 * the other instruction has not been tried, resume there and return true.
 * Once both have raised #UD no hypercall can work: hc_usable() turns false.
 */
bool hc_fixup_ud(struct trap_frame *f);
bool hc_usable(void);

/* The raw call, for tests that need to pass anything at all. */
int64_t hypercall5(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/*
 * Every general register but RSP, and RFLAGS, in slots HCR_* (hcregs.h).
 * hypercall_regs() loads them all from in (RAX = number, RDI.. = arguments),
 * makes the call and stores them all to out. in->r[HCR_RFLAGS] must leave
 * IF, TF, DF, AC and NT clear: the caller builds it from arithmetic flags.
 */
struct hc_regs {
	uint64_t r[HCR_COUNT];
};
void hypercall_regs(const struct hc_regs *in, struct hc_regs *out);

int64_t hc_console_write(const void *buf, size_t len);
int64_t hc_yield(void);
int64_t hc_block(void);
int64_t hc_timer_set(uint64_t deadline_ns, unsigned int vector);
int64_t hc_time_read(void);
int64_t hc_vm_info(struct uhv_vm_info *info, size_t size);
/* This VM's counters and clock (HC_VM_STATS): bytes copied, or -HV_EFAULT. */
int64_t hc_vm_stats(struct uhv_vm_stats *stats, size_t size);
/* Acknowledge the INTx that arrived on virtual vector (HC_IRQ_ACK): 1, 0 or -HV_EINVAL. */
int64_t hc_irq_ack(unsigned int vector);
/* Program MSI-X entry `entry` of own function bdf to raise vector (HC_MSI_SETUP): 0 or -HV_E*. */
int64_t hc_msi_setup(uint16_t bdf, uint64_t entry, uint64_t vector);

/* Stop this VM with exit code code (0 = success). Never returns: if the
 * hypervisor does return, the vCPU halts with interrupts off. */
__noreturn void hc_stop_self(int code);

#endif /* RUNTIME_HYPERCALL_H */
