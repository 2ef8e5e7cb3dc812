/* SPDX-License-Identifier: MIT */
/*
 * The vcpu interface: what core code needs from a CPU virtualization
 * backend (VMX in arch/x86/vmx.c, SVM in arch/x86/svm.c), and the
 * vendor-neutral exit handlers the backends call.
 *
 * Division of labour. A backend owns the hardware structures (VMCS, VMCB),
 * enters the guest, decodes each exit through its own table indexed by its
 * exit reason, and calls the shared handler for anything that is policy
 * rather than mechanism: CPUID, port I/O, MSRs, hypercalls, memory faults.
 * Core code never tests the vendor.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <arch/pagetable.h>
#include <hv/types.h>

struct vm;
struct guest_paging;

/* Guest general registers. RSP, RIP and RFLAGS are synced by the backend around every exit. */
struct vcpu_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rsp, rip, rflags;
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_BLOCKED,		/* HLT or HC_BLOCK: waits for a virtual interrupt */
	VCPU_STOPPED,
};

#define VCPU_EXIT_SLOTS	96	/* per-backend dense exit-reason counters */

/*
 * Vendor-neutral exit categories (HC_VM_STATS): counted by the shared
 * handlers (hypercall, HLT, memory fault) and, for host interrupts, by each
 * backend's handler of that exit.
 */
enum vcpu_exit_kind {
	VCPU_EXIT_HYPERCALL,
	VCPU_EXIT_INTERRUPT,
	VCPU_EXIT_HLT,
	VCPU_EXIT_MEMORY,
	VCPU_EXIT_KINDS
};

struct vcpu {
	struct vm *vm;
	struct vcpu_regs regs;
	enum vcpu_state state;
	void *arch;			/* the backend's state (VMCS/VMCB and friends) */

	uint64_t virq_pending[4];	/* virtual interrupt vectors waiting for delivery */
	uint64_t timer_deadline;	/* TSC value of the one-shot virtual timer, 0 = off */
	uint8_t timer_vector;

	uint64_t exits;
	uint64_t exit_count[VCPU_EXIT_SLOTS];
	uint64_t exit_kind_count[VCPU_EXIT_KINDS];
	uint64_t virqs_delivered;	/* vectors injected (virq_delivered) */
	uint8_t emulated_len;		/* with EXIT_EMULATED: the bytes of the instruction emulated */
};

/* What a shared exit handler tells the backend to do next. */
enum exit_action {
	EXIT_ADVANCE,		/* the instruction is done: skip it and resume */
	EXIT_RESUME,		/* resume at the same RIP (event injected, fault fixed...) */
	EXIT_RESCHEDULE,	/* skip the instruction, then let the scheduler pick */
	EXIT_STOP,		/* the VM is stopped or failed: do not resume */
	/*
	 * The core emulated the instruction at RIP (an MMIO access it decoded
	 * itself): skip v->emulated_len bytes, not the exit's own length
	 * (undefined for EPT violations, absent for NPT faults), end any
	 * interrupt shadow, resume.
	 */
	EXIT_EMULATED,
};

enum mem_access {
	MEM_READ = BIT(0),
	MEM_WRITE = BIT(1),
	MEM_EXEC = BIT(2),
};

struct vcpu_backend {
	const char *name;			/* "VMX", "SVM" */
	const struct pt_format *gpa_format;	/* EPT or NPT entries */
	uint32_t hypercall_insn;		/* UHV_HCALL_VMCALL or UHV_HCALL_VMMCALL */

	/* Per physical CPU: turn virtualization on (VMXON, EFER.SVME). */
	int (*cpu_init)(void);
	/* Allocate and fill the hardware structures for v (boot state in v->regs). */
	int (*vcpu_create)(struct vcpu *v);
	void (*vcpu_destroy)(struct vcpu *v);
	/*
	 * Enter the guest and handle exits until one needs the scheduler:
	 * returns when v blocked, stopped, yielded, or its slice ended (a host
	 * interrupt arrived). Delivers pending virtual interrupts when the guest
	 * can take them and asks for an interrupt window when it cannot.
	 */
	void (*vcpu_run)(struct vcpu *v);
	/* Name of exit counter slot i, or NULL if unused. */
	const char *(*exit_slot_name)(unsigned int slot);
	/*
	 * Let v reach ports [port, port + count) without an exit (a device's
	 * I/O BAR its VM owns). Until vcpu_destroy, which closes them all:
	 * call it again after every vcpu_create. Returns 0, -HV_EINVAL for a
	 * range past port 0xffff or empty, -HV_ENOMEM.
	 */
	int (*io_allow)(struct vcpu *v, uint16_t port, uint32_t count);
	/* The guest's paging registers and code segment at the current exit (arch/guest_mmu.h). */
	void (*guest_paging)(struct vcpu *v, struct guest_paging *out);
	/*
	 * Whether the guest's RDTSC and RDTSCP read the host TSC minus
	 * v->vm->start_tsc without an exit: vcpu_create sets that offset from
	 * start_tsc as it is then (the TSC clock, abi/vm_boot.h). Valid after
	 * cpu_init.
	 */
	bool (*tsc_offsetting)(void);
};

/* The backend chosen at boot from CPUID (NULL if the CPU has none). */
const struct vcpu_backend *vcpu_backend(void);
void vcpu_backend_set(const struct vcpu_backend *b);

/* ---- Shared exit handlers, called by both backends. ---- */

/* CPUID: fills rax..rdx from regs->rax/rcx through the guest CPUID policy. */
enum exit_action vmexit_cpuid(struct vcpu *v);
/* Hypercall (VMCALL/VMMCALL): number and arguments in v->regs. */
enum exit_action vmexit_hypercall(struct vcpu *v);
/* Port I/O: size 1, 2 or 4; *value is written (OUT) or filled (IN). */
enum exit_action vmexit_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *value);
/* RDMSR/WRMSR: for RDMSR the handler fills regs rax/rdx. */
enum exit_action vmexit_msr(struct vcpu *v, uint32_t msr, bool write);
/*
 * EPT violation / NPT fault on gpa with the attempted access: an access to
 * the ECAM window is emulated (EXIT_EMULATED), anything else stops the VM.
 */
enum exit_action vmexit_memory_fault(struct vcpu *v, uint64_t gpa, unsigned int access);
/* HLT: block until a virtual interrupt is pending. */
enum exit_action vmexit_hlt(struct vcpu *v);
/*
 * XSETBV: XCR0 is per CPU and neither VMRUN nor a VM exit switches it, nor
 * is any VM's extended FPU state saved: denied, a contained failure.
 */
enum exit_action vmexit_xsetbv(struct vcpu *v, uint32_t xcr, uint64_t value);
/* The guest triple-faulted (shutdown). */
enum exit_action vmexit_triple_fault(struct vcpu *v);
/* An exit the backend does not handle: a contained failure of the VM. */
enum exit_action vmexit_unhandled(struct vcpu *v, const char *what, uint64_t code);

/* ---- Virtual interrupts. ---- */

void virq_raise(struct vcpu *v, uint8_t vector);
/* Highest pending vector, or -1. */
int virq_highest(const struct vcpu *v);
void virq_clear(struct vcpu *v, uint8_t vector);
/* The backend injected vector into the guest: no longer pending, and counted. */
void virq_delivered(struct vcpu *v, uint8_t vector);
/* Raise the virtual timer's vector if its deadline has passed. */
void vcpu_check_timer(struct vcpu *v, uint64_t now_tsc);

#endif /* HV_VCPU_H */
