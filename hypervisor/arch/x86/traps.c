// SPDX-License-Identifier: MIT
/*
 * The hypervisor's own exceptions and interrupts.
 *
 * An exception in ring 0 is a hypervisor bug: it is reported in full
 * (vector, error code, registers, control registers, backtrace) and the run
 * ends with a failure status. The one exception to that rule is an
 * instruction listed in .ex_table (rdmsr_safe and friends), which resumes at
 * its fixup instead.
 */
#include <arch/cpu.h>
#include <arch/segment.h>
#include <arch/traps.h>
#include <hv/console.h>
#include <hv/panic.h>
#include <hv/platform.h>

struct ex_table_entry {
	uint64_t fault_rip;
	uint64_t fixup_rip;
};

extern const struct ex_table_entry __ex_table_start[], __ex_table_end[];
extern const uint64_t trap_stubs[256];

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];

static const char *const exception_names[X86_NR_EXCEPTIONS] = {
	[0] = "#DE divide error",	[1] = "#DB debug",
	[2] = "NMI",			[3] = "#BP breakpoint",
	[4] = "#OF overflow",		[5] = "#BR bound range",
	[6] = "#UD invalid opcode",	[7] = "#NM device not available",
	[8] = "#DF double fault",	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",	[11] = "#NP segment not present",
	[12] = "#SS stack fault",	[13] = "#GP general protection",
	[14] = "#PF page fault",	[16] = "#MF x87 error",
	[17] = "#AC alignment check",	[18] = "#MC machine check",
	[19] = "#XM SIMD exception",	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
};

static void idt_set_gate(unsigned int vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
		.offset_low = (uint16_t)handler,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = IDT_GATE_INTERRUPT,
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_high = (uint32_t)(handler >> 32),
	};
}

void traps_init(void)
{
	struct descriptor_table_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };

	for (unsigned int v = 0; v < 256; v++)
		idt_set_gate(v, trap_stubs[v], 0);
	idt_set_gate(X86_EXC_DF, trap_stubs[X86_EXC_DF], IST_DOUBLE_FAULT);
	idt_set_gate(X86_EXC_NMI, trap_stubs[X86_EXC_NMI], IST_NMI);
	idt_set_gate(X86_EXC_MC, trap_stubs[X86_EXC_MC], IST_MACHINE_CHECK);
	__asm__ volatile("lidt %0" :: "m"(ptr));
}

void irq_set_handler(uint8_t vector, irq_handler_t handler)
{
	BUG_ON(vector < X86_NR_EXCEPTIONS);
	irq_handlers[vector] = handler;
}

static const struct ex_table_entry *ex_table_find(uint64_t rip)
{
	for (const struct ex_table_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->fault_rip == rip)
			return e;
	return NULL;
}

void trap_report(const struct trap_frame *f)
{
	const char *name = f->vector < X86_NR_EXCEPTIONS && exception_names[f->vector]
			   ? exception_names[f->vector] : "reserved exception";

	pr_err("exception %llu (%s), error code %#llx, in ring 0 at RIP %#llx",
	       (unsigned long long)f->vector, name, (unsigned long long)f->error_code,
	       (unsigned long long)f->rip);
	if (f->vector == X86_EXC_PF)
		pr_err("page fault address (CR2) %#llx: %s %s, %s", (unsigned long long)read_cr2(),
		       f->error_code & BIT(0) ? "protection violation on" : "not-present page on",
		       f->error_code & BIT(4) ? "instruction fetch" :
		       f->error_code & BIT(1) ? "write" : "read",
		       f->error_code & BIT(2) ? "user mode" : "supervisor mode");
	pr_err("RAX %016llx RBX %016llx RCX %016llx RDX %016llx",
	       (unsigned long long)f->rax, (unsigned long long)f->rbx,
	       (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	pr_err("RSI %016llx RDI %016llx RBP %016llx RSP %016llx",
	       (unsigned long long)f->rsi, (unsigned long long)f->rdi,
	       (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	pr_err("R8  %016llx R9  %016llx R10 %016llx R11 %016llx",
	       (unsigned long long)f->r8, (unsigned long long)f->r9,
	       (unsigned long long)f->r10, (unsigned long long)f->r11);
	pr_err("R12 %016llx R13 %016llx R14 %016llx R15 %016llx",
	       (unsigned long long)f->r12, (unsigned long long)f->r13,
	       (unsigned long long)f->r14, (unsigned long long)f->r15);
	pr_err("RIP %016llx RFLAGS %08llx CS %04llx SS %04llx",
	       (unsigned long long)f->rip, (unsigned long long)f->rflags,
	       (unsigned long long)f->cs, (unsigned long long)f->ss);
	pr_err("CR0 %016llx CR2 %016llx CR3 %016llx CR4 %016llx",
	       (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
	       (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
	backtrace_print(f->rip, f->rbp);
}

/* Called by trap_common with interrupts disabled. */
void trap_dispatch(struct trap_frame *frame);
void trap_dispatch(struct trap_frame *frame)
{
	if (frame->vector >= X86_NR_EXCEPTIONS) {
		irq_handler_t h = irq_handlers[frame->vector];

		if (h)
			h(frame);
		else
			pr_warn("traps: unexpected interrupt on vector %llu, ignored",
				(unsigned long long)frame->vector);
		return;
	}

	const struct ex_table_entry *fixup = ex_table_find(frame->rip);
	if (fixup && (frame->vector == X86_EXC_GP || frame->vector == X86_EXC_UD)) {
		frame->rip = fixup->fixup_rip;
		return;
	}

	trap_report(frame);
	panic_reported("unhandled exception %llu in the hypervisor", (unsigned long long)frame->vector);
}
