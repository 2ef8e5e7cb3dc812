// SPDX-License-Identifier: MIT
/* GDT, IDT and exception handling of the guest (idt.h). */
#include "runtime.h"

/* Descriptors as the boot GDT has them, with the accessed bit preset so the
 * CPU never needs to write this table. */
#define GDT_CODE64		0x00209b0000000000ULL	/* present, DPL 0, code, L=1 */
#define GDT_DATA		0x0000930000000000ULL	/* present, DPL 0, writable data */
#define IDT_GATE_INTERRUPT	0x8e			/* present, DPL 0, 64-bit interrupt gate */

struct descriptor_table_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes (SDM 3A 6.14.1)");
_Static_assert(sizeof(struct descriptor_table_ptr) == 10, "LGDT/LIDT operand is 10 bytes");

static const uint64_t gdt[3] __aligned(16) = {
	[UHV_BOOT_CS / 8] = GDT_CODE64,
	[UHV_BOOT_DS / 8] = GDT_DATA,
};
_Static_assert(UHV_BOOT_CS / 8 < 3 && UHV_BOOT_DS / 8 < 3, "boot selectors fit the GDT");

extern const uint64_t trap_stubs[256];
static struct idt_gate idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];
static uint64_t irq_unexpected;
static unsigned int exception_depth;

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

void gdt_init(void)
{
	/* The GDT is const (.rodata): the accessed bits are preset, so the
	 * CPU only reads it, and the guest cannot scribble on it by mistake. */
	struct descriptor_table_ptr ptr = { .limit = sizeof(gdt) - 1, .base = (uint64_t)(uintptr_t)gdt };
	uint64_t scratch;

	__asm__ volatile("lgdt %1\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %0\n\t"
			 "pushq %0\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %3, %k0\n\t"
			 "movl %k0, %%ds\n\t"
			 "movl %k0, %%es\n\t"
			 "movl %k0, %%ss\n\t"
			 "xorl %k0, %k0\n\t"
			 "movl %k0, %%fs\n\t"
			 "movl %k0, %%gs"
			 : "=&r"(scratch)
			 : "m"(ptr), "i"(UHV_BOOT_CS), "i"(UHV_BOOT_DS)
			 : "memory");
}

void idt_init(void)
{
	struct descriptor_table_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt };

	for (unsigned int v = 0; v < 256; v++) {
		uint64_t handler = trap_stubs[v];

		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)handler,
			.selector = UHV_BOOT_CS,
			.ist = 0,
			.type_attr = IDT_GATE_INTERRUPT,
			.offset_mid = (uint16_t)(handler >> 16),
			.offset_high = (uint32_t)(handler >> 32),
		};
	}
	__asm__ volatile("lidt %0" :: "m"(ptr) : "memory");
}

int irq_register(unsigned int vector, irq_handler_t handler)
{
	if (vector < X86_NR_EXCEPTIONS || vector > 255 || !handler)
		return -HV_EINVAL;

	uint64_t flags = irq_save();
	int ret = 0;

	if (irq_handlers[vector])
		ret = -HV_EBUSY;
	else
		irq_handlers[vector] = handler;
	irq_restore(flags);
	return ret;
}

void irq_unregister(unsigned int vector)
{
	if (vector >= X86_NR_EXCEPTIONS && vector <= 255)
		irq_handlers[vector] = NULL;
}

uint64_t irq_unexpected_count(void)
{
	return irq_unexpected;
}

void trap_report(const struct trap_frame *f)
{
	const char *vm = rt_vm_name();
	const char *name = f->vector < X86_NR_EXCEPTIONS && exception_names[f->vector]
			   ? exception_names[f->vector] : "reserved exception";

	console_emergency("FATAL %s: exception %llu (%s), error code %#llx, RIP %#llx\n", vm,
			  (unsigned long long)f->vector, name, (unsigned long long)f->error_code,
			  (unsigned long long)f->rip);
	if (f->vector == X86_EXC_PF)
		console_emergency("FATAL %s: page fault address (CR2) %#llx: %s %s\n", vm,
				  (unsigned long long)read_cr2(),
				  f->error_code & BIT(0) ? "protection violation on" : "not-present page on",
				  f->error_code & BIT(4) ? "instruction fetch" :
				  f->error_code & BIT(1) ? "write" : "read");
	console_emergency("FATAL %s: RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", vm,
			  (unsigned long long)f->rax, (unsigned long long)f->rbx,
			  (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	console_emergency("FATAL %s: RSI %016llx RDI %016llx RBP %016llx RSP %016llx\n", vm,
			  (unsigned long long)f->rsi, (unsigned long long)f->rdi,
			  (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	console_emergency("FATAL %s: R8  %016llx R9  %016llx R10 %016llx R11 %016llx\n", vm,
			  (unsigned long long)f->r8, (unsigned long long)f->r9,
			  (unsigned long long)f->r10, (unsigned long long)f->r11);
	console_emergency("FATAL %s: R12 %016llx R13 %016llx R14 %016llx R15 %016llx\n", vm,
			  (unsigned long long)f->r12, (unsigned long long)f->r13,
			  (unsigned long long)f->r14, (unsigned long long)f->r15);
	console_emergency("FATAL %s: RFLAGS %08llx CS %04llx SS %04llx CR3 %016llx\n", vm,
			  (unsigned long long)f->rflags, (unsigned long long)f->cs,
			  (unsigned long long)f->ss, (unsigned long long)read_cr3());
}

/* Called by trap_common with interrupts off. */
void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (f->vector >= X86_NR_EXCEPTIONS) {
		irq_handler_t h = irq_handlers[f->vector];

		if (h) {
			h(f);
		} else {
			irq_unexpected++;
			gprintf("runtime: virtual interrupt on vector %llu without a handler, ignored\n",
				(unsigned long long)f->vector);
		}
		return;
	}

	if (f->vector == X86_EXC_UD && hc_fixup_ud(f))
		return;

	int code = RT_EXIT_EXCEPTION((int)f->vector);

	/* An exception while reporting one: stop without printing more. */
	if (exception_depth++ == 0) {
		trap_report(f);
		console_emergency("FATAL %s: unhandled exception, stopping with exit code %#x\n",
				  rt_vm_name(), code);
	}
	hc_stop_self(code);
}
