// SPDX-License-Identifier: MIT
/*
 * Vendor-neutral exit handling: the policy half of every VM exit. Both
 * backends decode their exits and call these; each says what the VM may do
 * and turns everything else into a contained failure of that VM with the
 * address, port or MSR and the access in the log line.
 */
#include <abi/hypercall.h>
#include <arch/cpu.h>
#include <arch/cpuid.h>
#include <hv/channel.h>
#include <hv/console.h>
#include <hv/mmio.h>
#include <hv/pci_owner.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

static const struct vcpu_backend *backend;

const struct vcpu_backend *vcpu_backend(void)
{
	return backend;
}

void vcpu_backend_set(const struct vcpu_backend *b)
{
	backend = b;
}

/* ---- CPUID: the host's answers, minus what a VM must not see. ---- */

enum exit_action vmexit_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.rax, subleaf = (uint32_t)v->regs.rcx;
	struct cpuid_regs r = { 0 };

	if (leaf == UHV_CPUID_SIGNATURE) {
		r = (struct cpuid_regs){ .eax = UHV_CPUID_FEATURES, .ebx = UHV_SIGNATURE_EBX,
					 .ecx = UHV_SIGNATURE_ECX, .edx = UHV_SIGNATURE_EDX };
	} else if (leaf == UHV_CPUID_FEATURES) {
		r.eax = UHV_ABI_VERSION;
		r.ebx = backend->hypercall_insn;
	} else if (leaf >= 0x40000000 && leaf <= 0x4fffffff) {
		/* Other hypervisor ranges: nothing (and never the host's own hypervisor's). */
	} else {
		r = cpuid_count(leaf, subleaf);
		if (leaf == 1) {
			r.ecx &= ~(uint32_t)(BIT(5) /* VMX */ | BIT(3) /* MONITOR */ |
					     BIT(21) /* x2APIC: no virtual APIC */);
			r.ecx |= (uint32_t)BIT(31);	/* running under a hypervisor */
		} else if (leaf == 0x80000001) {
			r.ecx &= ~(uint32_t)BIT(2);	/* SVM */
		}
	}
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	return EXIT_ADVANCE;
}

/* ---- Port I/O and MSRs: deny by default. ---- */

/*
 * The PCI configuration ports are every VM's (its own virtual view, see
 * hv/pci_owner.h); an owner's I/O BARs never exit (opened in its bitmap).
 * Any other port is denied.
 */
enum exit_action vmexit_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *value)
{
	if (vpci_port_io(v->vm->id, &v->vm->pci_config_address, port, size, in, value))
		return EXIT_ADVANCE;
	vm_fail(v->vm, "port I/O denied: %s port %#x (%u byte%s) at RIP %#llx", in ? "IN from" : "OUT to",
		port, size, size == 1 ? "" : "s", (unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

enum exit_action vmexit_msr(struct vcpu *v, uint32_t msr, bool write)
{
	if (write)
		vm_fail(v->vm, "MSR access denied: WRMSR %#x value %#llx at RIP %#llx", msr,
			(unsigned long long)((v->regs.rdx << 32) | (uint32_t)v->regs.rax),
			(unsigned long long)v->regs.rip);
	else
		vm_fail(v->vm, "MSR access denied: RDMSR %#x at RIP %#llx", msr,
			(unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

/* ---- Memory, HLT, shutdown, the rest. ---- */

enum exit_action vmexit_memory_fault(struct vcpu *v, uint64_t gpa, unsigned int access)
{
	enum exit_action emulated;

	v->exit_kind_count[VCPU_EXIT_MEMORY]++;
	/* The ECAM window and the MSI-X table pages (hv/mmio.h); anything else is not the VM's. */
	if (mmio_emulate(v, gpa, access, &emulated))
		return emulated;
	char what[80];
	if (channel_describe_gpa(v->vm, gpa, what, sizeof(what))) {
		vm_fail(v->vm, "%s %s at guest-physical %#llx: %s at RIP %#llx",
			backend->gpa_format->name,
			access & MEM_EXEC ? "instruction fetch" : access & MEM_WRITE ? "write" : "read",
			(unsigned long long)gpa, what, (unsigned long long)v->regs.rip);
		return EXIT_STOP;
	}
	vm_fail(v->vm, "%s %s at guest-physical %#llx (not its memory) at RIP %#llx",
		backend->gpa_format->name,
		access & MEM_EXEC ? "instruction fetch" : access & MEM_WRITE ? "write" : "read",
		(unsigned long long)gpa, (unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

enum exit_action vmexit_hlt(struct vcpu *v)
{
	v->exit_kind_count[VCPU_EXIT_HLT]++;
	if (virq_highest(v) >= 0)
		return EXIT_ADVANCE;	/* an interrupt is already waiting: HLT ends at once */
	v->state = VCPU_BLOCKED;
	return EXIT_RESCHEDULE;
}

enum exit_action vmexit_xsetbv(struct vcpu *v, uint32_t xcr, uint64_t value)
{
	vm_fail(v->vm, "XSETBV denied: XCR%u = %#llx at RIP %#llx (extended FPU state is not virtualized)",
		xcr, (unsigned long long)value, (unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

enum exit_action vmexit_triple_fault(struct vcpu *v)
{
	vm_fail(v->vm, "triple fault (shutdown) at RIP %#llx", (unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

enum exit_action vmexit_unhandled(struct vcpu *v, const char *what, uint64_t code)
{
	vm_fail(v->vm, "unhandled exit: %s (%#llx) at RIP %#llx", what, (unsigned long long)code,
		(unsigned long long)v->regs.rip);
	return EXIT_STOP;
}

/* ---- Virtual interrupts. ---- */

void virq_raise(struct vcpu *v, uint8_t vector)
{
	v->virq_pending[vector / 64] |= BIT(vector % 64);
	if (v->state == VCPU_BLOCKED)
		v->state = VCPU_RUNNABLE;
}

int virq_highest(const struct vcpu *v)
{
	for (int w = 3; w >= 0; w--)
		if (v->virq_pending[w])
			return w * 64 + 63 - __builtin_clzll(v->virq_pending[w]);
	return -1;
}

void virq_clear(struct vcpu *v, uint8_t vector)
{
	v->virq_pending[vector / 64] &= ~BIT(vector % 64);
}

void virq_delivered(struct vcpu *v, uint8_t vector)
{
	virq_clear(v, vector);
	v->virqs_delivered++;
}

void vcpu_check_timer(struct vcpu *v, uint64_t now_tsc)
{
	if (v->timer_deadline && now_tsc >= v->timer_deadline) {
		v->timer_deadline = 0;
		virq_raise(v, v->timer_vector);
	}
}
