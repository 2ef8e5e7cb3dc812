// SPDX-License-Identifier: MIT
/*
 * The local APIC of the boot CPU.
 *
 * Two access paths to the same registers: xAPIC, memory-mapped at the
 * address in IA32_APIC_BASE, and x2APIC, one MSR per register. Everything
 * above lapic_read()/lapic_write() is the same for both. x2APIC is used
 * when the CPU has it and the firmware does not object (DMAR opt-out flag),
 * or when the firmware already switched to it (there is no way back
 * without disabling the APIC).
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/msr.h>
#include <arch/traps.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/mm.h>
#include <hv/panic.h>

#define CPUID_1_EDX_APIC		BIT(9)
#define CPUID_1_ECX_X2APIC		BIT(21)
#define APIC_BASE_ADDR_MASK		GENMASK(51, 12)

/* The 8259 pair (Intel 8259A datasheet: ICW1-ICW4, OCW1). */
#define I8259_MASTER_CMD		0x20
#define I8259_MASTER_DATA		0x21
#define I8259_SLAVE_CMD			0xa0
#define I8259_SLAVE_DATA		0xa1
# define I8259_ICW1_INIT		BIT(4)
# define I8259_ICW1_ICW4		BIT(0)
# define I8259_ICW3_MASTER_SLAVE_IR2	BIT(2)	/* master: a slave on IR2 */
# define I8259_ICW3_SLAVE_ID		2	/* slave: cascade identity */
# define I8259_ICW4_8086		BIT(0)
# define I8259_OCW1_MASK_ALL		0xff

static volatile uint8_t *lapic_mmio;
static bool x2apic_mode;
static bool ready;
static unsigned int timer_divisor = 1;
static uint64_t spurious_count;

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	return mmio_read32(lapic_mmio + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic_mode)
		wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
	else
		mmio_write32(lapic_mmio + reg, v);
}

bool lapic_ready(void)
{
	return ready;
}

uint64_t lapic_spurious_count(void)
{
	return spurious_count;
}

bool lapic_is_x2apic(void)
{
	return x2apic_mode;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return x2apic_mode ? id : id >> LAPIC_ID_XAPIC_SHIFT;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/*
 * The 8259s are not used, but GRUB leaves them programmed at the BIOS
 * vectors 0x08-0x0f, which are exceptions. Move them out of the way and
 * mask every line; even a masked 8259 can signal a spurious IRQ 7 or 15,
 * which then arrives at a harmless vector (and only if LINT0 lets it in).
 */
static void i8259_disable(void)
{
	outb(I8259_MASTER_CMD, I8259_ICW1_INIT | I8259_ICW1_ICW4);
	outb(I8259_SLAVE_CMD, I8259_ICW1_INIT | I8259_ICW1_ICW4);
	outb(I8259_MASTER_DATA, VECTOR_I8259_BASE);
	outb(I8259_SLAVE_DATA, VECTOR_I8259_BASE + 8);
	outb(I8259_MASTER_DATA, I8259_ICW3_MASTER_SLAVE_IR2);
	outb(I8259_SLAVE_DATA, I8259_ICW3_SLAVE_ID);
	outb(I8259_MASTER_DATA, I8259_ICW4_8086);
	outb(I8259_SLAVE_DATA, I8259_ICW4_8086);
	outb(I8259_MASTER_DATA, I8259_OCW1_MASK_ALL);
	outb(I8259_SLAVE_DATA, I8259_OCW1_MASK_ALL);
}

/* A spurious interrupt is not in service: it must not be acknowledged (SDM 11.9). */
static void lapic_spurious(struct trap_frame *frame)
{
	(void)frame;
	spurious_count++;
}

/*
 * Pick the access path. Returns the physical base for xAPIC (the MMIO
 * window is mapped), or 0 in x2APIC mode.
 */
static paddr_t lapic_select_mode(void)
{
	struct cpuid_regs id1 = cpuid(1);
	const struct acpi_info *acpi = acpi_get();
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	paddr_t pa = base & APIC_BASE_ADDR_MASK;

	if (!(id1.edx & CPUID_1_EDX_APIC))
		panic("lapic: this CPU has no local APIC (CPUID.1:EDX.APIC = 0)");
	if (acpi->lapic_base && acpi->lapic_base != pa)
		pr_warn("lapic: MADT says %#llx, IA32_APIC_BASE says %#llx: using the MSR",
			(unsigned long long)acpi->lapic_base, (unsigned long long)pa);

	/* Globally disabled (EN = 0): enable in xAPIC mode first, the only legal step (SDM 11.12.5). */
	if (!(base & APIC_BASE_EN)) {
		base = (base & ~APIC_BASE_EXTD) | APIC_BASE_EN;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}

	if (base & APIC_BASE_EXTD) {
		x2apic_mode = true;
		return 0;
	}
	if ((id1.ecx & CPUID_1_ECX_X2APIC) && !(acpi->dmar_flags & ACPI_DMAR_X2APIC_OPT_OUT) &&
	    wrmsr_safe(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD) == 0 &&
	    (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD)) {
		x2apic_mode = true;
		return 0;
	}
	if (id1.ecx & CPUID_1_ECX_X2APIC)
		pr_info("lapic: x2APIC available but not enabled (firmware opt-out or refused)");

	lapic_mmio = ioremap(pa, LAPIC_MMIO_SIZE);
	return pa;
}

void lapic_init(void)
{
	paddr_t pa = lapic_select_mode();
	uint32_t version = lapic_read(LAPIC_VERSION);
	unsigned int max_lvt = (unsigned int)((version & LAPIC_VERSION_MAX_LVT) >> LAPIC_VERSION_MAX_LVT_SHIFT);

	i8259_disable();

	/*
	 * Every local interrupt source masked except LINT1, the NMI line by
	 * PC convention; LINT0 would carry the 8259's ExtINT, not used. Entries
	 * beyond the timer, LINT0/1 and error exist depending on max LVT:
	 * 4 adds PMC, 5 thermal, 6 CMCI (as Linux's clear_local_APIC reads it).
	 */
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_LAPIC_TIMER);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | LAPIC_LVT_DELIVERY_EXTINT);
	lapic_write(LAPIC_LVT_LINT1, LAPIC_LVT_DELIVERY_NMI);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
	if (max_lvt >= 4)
		lapic_write(LAPIC_LVT_PMC, LAPIC_LVT_MASKED);
	if (max_lvt >= 5)
		lapic_write(LAPIC_LVT_THERMAL, LAPIC_LVT_MASKED);
	if (max_lvt >= 6)
		lapic_write(LAPIC_LVT_CMCI, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_TIMER_INITIAL_COUNT, 0);

	/* The error status register latches on a write (SDM 11.5.3). */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_TPR, 0);			/* accept every priority class */

	irq_set_handler(VECTOR_SPURIOUS, lapic_spurious);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VECTOR_SPURIOUS);

	/* Whatever the loader left in service would block lower-priority vectors: retire it. */
	for (unsigned int i = 0; i < 256; i++) {
		bool in_service = false;

		for (unsigned int r = 0; r < 8; r++)
			in_service |= lapic_read(LAPIC_ISR + r * 0x10) != 0;
		if (!in_service)
			break;
		lapic_eoi();
	}

	lapic_timer_set_divide(1);
	ready = true;

	if (x2apic_mode)
		pr_info("lapic: x2APIC mode, id %u, version %#x, max LVT %u",
			lapic_id(), (unsigned int)(version & LAPIC_VERSION_VERSION), max_lvt);
	else
		pr_info("lapic: xAPIC at %#llx, id %u, version %#x, max LVT %u",
			(unsigned long long)pa, lapic_id(), (unsigned int)(version & LAPIC_VERSION_VERSION), max_lvt);
}

int lapic_timer_set_divide(unsigned int divisor)
{
	unsigned int log2 = 0;

	if (!divisor || divisor > 128 || (divisor & (divisor - 1)))
		return -HV_EINVAL;
	while ((1U << log2) != divisor)
		log2++;
	/* Divide by 2^(v+1) for v = 0..6 and by 1 for v = 7; v's bit 2 goes in register bit 3 (SDM 11.5.4). */
	unsigned int v = (log2 - 1) & 7;
	lapic_write(LAPIC_TIMER_DIVIDE_CONFIG, (v & 3) | ((v & 4) << 1));
	timer_divisor = divisor;
	return 0;
}

unsigned int lapic_timer_divide(void)
{
	return timer_divisor;
}

static void lapic_timer_start(uint32_t lvt, uint32_t count)
{
	/* The LVT first: writing the initial count starts the countdown. */
	lapic_write(LAPIC_LVT_TIMER, lvt);
	lapic_write(LAPIC_TIMER_INITIAL_COUNT, count);
}

void lapic_timer_oneshot(uint8_t vector, uint32_t count, bool masked)
{
	lapic_timer_start(LAPIC_LVT_TIMER_ONESHOT | vector | (masked ? LAPIC_LVT_MASKED : 0), count);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	lapic_timer_start(LAPIC_LVT_TIMER_PERIODIC | vector, count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL_COUNT, 0);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CURRENT_COUNT);
}
