// SPDX-License-Identifier: MIT
/*
 * Hypercall wrappers and the choice of instruction. The instruction itself
 * is in hypercall_entry.S.
 */
#include "cpu.h"
#include "hypercall.h"
#include "idt.h"
#include "timer.h"

uint8_t hc_instruction;

static struct {
	bool switched;		/* one #UD: now using the other instruction */
	bool dead;		/* both raised #UD */
} hc_state;

/* Both addresses of every HYPERCALL site (hypercall_entry.S), from the linker script. */
struct hc_site {
	uint64_t vmcall_rip, vmmcall_rip;
};
extern const struct hc_site __hc_sites_start[], __hc_sites_end[];

enum hc_abi_status hc_init(void)
{
	struct hc_probe p = { 0 };
	struct cpuid_regs r;

	r = cpuid(0);
	p.vendor = (struct hc_cpuid){ r.eax, r.ebx, r.ecx, r.edx };
	r = cpuid(UHV_CPUID_SIGNATURE);
	p.signature = (struct hc_cpuid){ r.eax, r.ebx, r.ecx, r.edx };
	if (p.signature.eax >= UHV_CPUID_FEATURES) {
		r = cpuid(UHV_CPUID_FEATURES);
		p.features = (struct hc_cpuid){ r.eax, r.ebx, r.ecx, r.edx };
	}

	struct hc_decision d = hc_decide(&p);
	hc_instruction = d.instruction;
	return d.status;
}

bool hc_instruction_switched(void)
{
	return hc_state.switched;
}

bool hc_usable(void)
{
	return !hc_state.dead;
}

bool hc_fixup_ud(struct trap_frame *f)
{
	for (const struct hc_site *s = __hc_sites_start; s < __hc_sites_end; s++) {
		if (f->rip != s->vmcall_rip && f->rip != s->vmmcall_rip)
			continue;
		if (hc_state.switched) {
			hc_state.dead = true;
			return false;
		}
		hc_state.switched = true;
		if (f->rip == s->vmcall_rip) {
			hc_instruction = UHV_HCALL_VMMCALL;
			f->rip = s->vmmcall_rip;
		} else {
			hc_instruction = UHV_HCALL_VMCALL;
			f->rip = s->vmcall_rip;
		}
		return true;
	}
	return false;
}

int64_t hc_console_write(const void *buf, size_t len)
{
	return hypercall5(HC_CONSOLE_WRITE, gpa_of(buf), len, 0, 0, 0);
}

int64_t hc_yield(void)
{
	return hypercall5(HC_YIELD, 0, 0, 0, 0, 0);
}

int64_t hc_block(void)
{
	return hypercall5(HC_BLOCK, 0, 0, 0, 0, 0);
}

int64_t hc_timer_set(uint64_t deadline_ns, unsigned int vector)
{
	int64_t ret = hypercall5(HC_TIMER_SET, deadline_ns, vector, 0, 0, 0);

	/* One timer per vCPU: whoever sets it, the runtime's record follows. */
	timer_note_set(deadline_ns, vector, ret);
	return ret;
}

int64_t hc_time_read(void)
{
	return hypercall5(HC_TIME_READ, 0, 0, 0, 0, 0);
}

int64_t hc_vm_info(struct uhv_vm_info *info, size_t size)
{
	return hypercall5(HC_VM_INFO, gpa_of(info), size, 0, 0, 0);
}

int64_t hc_vm_stats(struct uhv_vm_stats *stats, size_t size)
{
	return hypercall5(HC_VM_STATS, gpa_of(stats), size, 0, 0, 0);
}

int64_t hc_irq_ack(unsigned int vector)
{
	return hypercall5(HC_IRQ_ACK, vector, 0, 0, 0, 0);
}

int64_t hc_msi_setup(uint16_t bdf, uint64_t entry, uint64_t vector)
{
	return hypercall5(HC_MSI_SETUP, bdf, entry, vector, 0, 0);
}

void hc_stop_self(int code)
{
	if (hc_usable())
		hypercall5(HC_STOP_SELF, (uint64_t)(int64_t)code, 0, 0, 0, 0);
	cpu_halt_forever();
}
