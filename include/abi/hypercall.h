/* SPDX-License-Identifier: MIT */
/*
 * The hypercall ABI: the one way a VM asks the hypervisor for something.
 *
 * Instruction: VMCALL on Intel, VMMCALL on AMD. A VM learns which from
 * CPUID leaf UHV_CPUID_FEATURES (EBX) and need not know the CPU vendor.
 *
 * Registers (identical for both instructions):
 *   RAX        hypercall number (HC_*)
 *   RDI, RSI, RDX, R10, R8   arguments 1 to 5
 *   RAX        result: >= 0 success, or a negated HV_E* error code
 *   every other register, and RFLAGS, are preserved.
 *
 * Addresses passed to hypercalls are guest-physical. Every one is checked
 * against the calling VM's own memory (its EPT/NPT): a buffer must lie
 * entirely in memory the VM owns with the access the hypercall needs, or
 * the call fails with -HV_EFAULT and has no effect. Unknown numbers return
 * -HV_ENOSYS.
 *
 * Precisely, so that a VM can test the checks (guest-stubs/hostile):
 *   - RAX is compared as a full 64-bit number: 0x100000001 is unknown.
 *   - Scalar arguments are checked before buffers: a call that is wrong in
 *     both ways returns -HV_EINVAL, not -HV_EFAULT.
 *   - A buffer that wraps past 2^64 - 1 is a bad address (-HV_EFAULT).
 *   - A zero-length buffer is never accessed and never faults, wherever it is.
 *   - Guest-physical page 0 is the VM's own memory like any other; that the
 *     boot page tables leave it unmapped (vm_boot.h) changes nothing here.
 */
#ifndef ABI_HYPERCALL_H
#define ABI_HYPERCALL_H

#include <abi/errno.h>

/* CPUID leaves the hypervisor answers for its VMs. */
#define UHV_CPUID_SIGNATURE	0x40000000	/* EAX: max leaf; EBX,ECX,EDX: "uhvUHVuhvUHV" */
#define UHV_CPUID_FEATURES	0x40000001	/* EAX: ABI version; EBX: UHV_HCALL_* */
#define UHV_SIGNATURE_EBX	0x55766875	/* "uhvU" */
#define UHV_SIGNATURE_ECX	0x68755648	/* "HVuh" */
#define UHV_SIGNATURE_EDX	0x56485576	/* "vUHV" */
#define UHV_ABI_VERSION		1
#define UHV_HCALL_VMCALL	0
#define UHV_HCALL_VMMCALL	1

/* Write len bytes at guest-physical buf to the console, tagged with the VM's name.
 * len <= HC_CONSOLE_MAX, else -HV_EINVAL. Returns len. */
#define HC_CONSOLE_WRITE	1
#define HC_CONSOLE_MAX		1024

/* Give up the rest of this time slice. Returns 0. */
#define HC_YIELD		2

/* Sleep until a virtual interrupt is pending for this VM (timer, channel,
 * device). Returns 0 once one is; it is delivered when RFLAGS.IF allows. */
#define HC_BLOCK		3

/* One-shot virtual timer: raise virtual interrupt vector (arg 2, 32..255, else
 * -HV_EINVAL) when the VM's clock (HC_TIME_READ) reaches deadline_ns (arg 1);
 * a deadline already passed raises it at once. Deadline 0 cancels and
 * ignores the vector. A new call replaces the previous one. Returns 0. */
#define HC_TIMER_SET		4

/* Nanoseconds since this VM was (re)started. */
#define HC_TIME_READ		5

/* Copy struct uhv_vm_info to guest-physical arg 1 (arg 2 = buffer size): the
 * first min(arg 2, sizeof(struct uhv_vm_info)) bytes, and only those must be
 * the VM's memory. Returns bytes copied. */
#define HC_VM_INFO		6

/* Stop this VM with exit code arg 1 (0 = success); does not return. */
#define HC_STOP_SELF		7

/*
 * Acknowledge the legacy interrupt (INTx) of one of this VM's PCI functions,
 * by the virtual vector it arrived on (arg 1). Each function with an
 * interrupt pin that the hypervisor could route gets a fixed virtual vector,
 * UHV_INTX_VECTOR_BASE + its index among the VM's functions in policy order,
 * and the VM reads it as the function's Interrupt Line register (offset
 * 0x3c; 0xff: not routed, poll the device). When the device interrupts,
 * the hypervisor masks the host line and raises that vector once; the line
 * stays masked until this call. Service the device first (so that it no
 * longer asserts the line: e1000 reads ICR), then acknowledge: a line still
 * asserted interrupts again at once. Returns 1 if an interrupt was waiting
 * for this acknowledgement, 0 if none was (harmless); -HV_EINVAL if the
 * vector is not one of this VM's functions' INTx vectors. docs/devices.md,
 * "Interrupts".
 */
#define HC_IRQ_ACK		8
#define UHV_INTX_VECTOR_BASE	0x50

/*
 * Program MSI-X table entry arg 2 of this VM's PCI function arg 1 (bus << 8 |
 * device << 3 | function, segment 0) to raise virtual vector arg 3
 * (UHV_MSI_VECTOR_BASE..UHV_MSI_VECTOR_LAST). A convenience: the VM may
 * equally write the entry into the table itself (address 0xfee00000 with
 * the destination ignored, data = the vector, then clear the entry's mask
 * bit), which the hypervisor emulates (the table's page is trapped: reads
 * return what the VM wrote). This call writes the same shadow entry: masked,
 * address 0xfee00000, data vector, unmasked. Either way the hypervisor
 * writes the device's real entry in remappable format (VT-d interrupt
 * remapping), naming an entry of its own table that delivers a host vector,
 * accepted only from this function's requester id; a message it cannot
 * deliver (address outside 0xFEEx_xxxx or in remappable format, upper
 * address not 0, vector outside the range, delivery mode not fixed or
 * lowest priority, level trigger) is refused and logged, the entry stays
 * masked, and the device never sees it. The interrupt is edge-triggered:
 * each message raises the virtual vector once, with nothing to acknowledge
 * (no HC_IRQ_ACK). Vector 0 tears the entry down (masked, its remapping
 * entry released). The VM then sets MSI-X Enable (message control bit 15)
 * in the capability, the one bit it may write there besides Function Mask
 * (14). Plain MSI has no call: the VM programs its MSI capability the
 * normal way, with the same rules (docs/devices.md, "MSI and MSI-X").
 * Returns 0; -HV_ENOENT: not one of this VM's functions; -HV_ENODEV: no
 * MSI-X capability, MSI-X refused for it (a table the hypervisor cannot
 * reach), or no interrupt remapping on this machine (use INTx);
 * -HV_ERANGE: entry beyond the table; -HV_EINVAL: vector outside the
 * range; -HV_EBUSY: the vector is in use by another of its entries;
 * -HV_ENOMEM: no host vector or remapping entry left, or the VM holds its
 * share of them (docs/devices.md, "Shares"); -HV_EIO: the
 * device's entry did not take the write. docs/devices.md, "Interrupts".
 */
#define HC_MSI_SETUP		9
#define UHV_MSI_VECTOR_BASE	0x60
#define UHV_MSI_VECTOR_LAST	0x7f

/*
 * Notify the peer on channel arg 1 (its handle, struct uhv_channel_info in
 * the boot information; abi/channel.h, docs/channels.md). The caller must be
 * one end of that channel, else -HV_ENOENT (also for a handle that names no
 * channel). If the peer VM is running, the hypervisor raises the peer's
 * vector for this channel (virtual interrupt UHV_CHANNEL_VECTOR_BASE + the
 * channel's index among the peer's channels: that pending bit is the
 * notification; several notifications before the peer takes the interrupt
 * arrive as one), wakes the peer if it is blocked (HC_BLOCK, HLT), makes it
 * the scheduler's next pick among the VMs of its rank (IOVMs still rank above
 * guests). The caller keeps the CPU: the peer runs when the caller blocks,
 * yields or its slice ends, so a sender that streams fills the ring before
 * the peer drains it in one pass, and one that waits for an answer hands
 * over at once by blocking. Returns 0. If the peer is not running (never started, stopped, failed,
 * or between a failure and its restart) nothing is raised or recorded and
 * the call returns -HV_EPIPE: a peer that (re)starts reads the channel's
 * state itself. Only successful calls count in the VMs' summaries
 * ("channel notifications: sent N, received M").
 */
#define HC_CHANNEL_NOTIFY	10

/*
 * Copy struct uhv_vm_stats (below) for the calling VM to guest-physical arg 1
 * (arg 2 = buffer size), with HC_VM_INFO's conventions: the first
 * min(arg 2, sizeof(struct uhv_vm_stats)) bytes are copied, and only those
 * must be the VM's memory (else -HV_EFAULT, nothing copied). Returns bytes
 * copied. The counters are the VM's since its last (re)start, like the
 * end-of-run summary's, and include this call's own exit: two calls with k
 * other hypercalls between them see exits_hypercall grow by exactly k + 1.
 * A counter that is not kept reads 0. For measurements (make bench,
 * docs/testing.md "Benchmark"): read it before and after, subtract.
 */
#define HC_VM_STATS		11

#define HC_COUNT		12

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * What the hypervisor counted for one VM. Exit categories are neutral (the
 * same on VMX and SVM); an exit of another kind (CPUID, an interrupt
 * window, port I/O...) counts only in exits, so exits >= the sum of the
 * categories.
 */
struct uhv_vm_stats {
	uint64_t time_ns;		/* the VM's clock (HC_TIME_READ) when the copy was made */
	uint64_t exits;			/* every VM exit */
	uint64_t exits_hypercall;	/* VMCALL/VMMCALL, HC_VM_STATS itself included */
	uint64_t exits_interrupt;	/* a host (external) interrupt ended the slice */
	uint64_t exits_hlt;		/* HLT */
	uint64_t exits_memory;		/* EPT violation / NPT fault: emulated MMIO (ECAM, MSI-X table) */
	uint64_t notify_sent;		/* successful HC_CHANNEL_NOTIFY calls by this VM */
	uint64_t notify_received;	/* ... by its peers to it */
	uint64_t virqs_delivered;	/* virtual interrupts injected into it (timer, channels, devices) */
};

_Static_assert(sizeof(struct uhv_vm_stats) == 72, "uhv_vm_stats layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_vm_stats, exits_hypercall) == 16, "uhv_vm_stats layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_vm_stats, notify_sent) == 48, "uhv_vm_stats layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_vm_stats, virqs_delivered) == 64, "uhv_vm_stats layout is ABI");
#endif

#endif /* ABI_HYPERCALL_H */
