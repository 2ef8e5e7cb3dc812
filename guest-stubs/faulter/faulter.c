// SPDX-License-Identifier: MIT
/*
 * faulter: misbehaves on purpose so the hypervisor's containment can be
 * tested. The VM's name picks the misbehaviour ("fault-msr", or with a
 * suffix such as "fault-msr-2"):
 *
 *   fault-hvmem     read guest-physical addresses outside the VM where
 *                   hypervisors, APICs, VT-d and PCIe ECAM live on real
 *                   machines                     -> EPT/NPT violation
 *   fault-othervm   write just past the VM's memory and where a neighbour
 *                   VM of the same size would be -> EPT/NPT violation
 *   fault-unmapped  touch guest-virtual addresses the VM's own page tables
 *                   do not map (NULL, 1 TiB, non-canonical)
 *                                                -> guest #PF/#GP: the runtime
 *                   reports it and stops with RT_EXIT_EXCEPTION(vector)
 *   fault-ioport    IN/OUT to COM1, the PCI configuration ports at a size
 *                   or alignment mechanism #1 does not have (the ports
 *                   themselves are every VM's), the keyboard controller's
 *                   and 0xcf9's reset             -> port I/O exit, VM stopped
 *   fault-msr       WRMSR/RDMSR of IA32_APIC_BASE, EFER, LSTAR, ...
 *                                                -> MSR exit, VM stopped
 *   fault-triple    load an empty IDT and raise #UD -> triple fault
 *   fault-ecam      touch the PCI ECAM window (boot info) in ways the
 *                   hypervisor does not emulate: a misaligned access and a
 *                   read-modify-write (a fetch from it cannot be tried: the
 *                   runtime maps it no-execute)
 *                                                -> contained (machines with MCFG)
 *
 * Each mode has a list of attempts. A contained attempt ends this run, so
 * attempt number restart_count is the first one made: with the policy's
 * restart-on-failure, each restart tries the next. Before each attempt:
 *   TEST <vm>: attempting <what> (expect <containment>)
 * If an attempt is not contained, the guest goes on:
 *   TEST <vm>: <mode> check failed: attempt <i>: <what> was not contained
 * and tries the rest. Once restart_count has passed the last attempt:
 *   TEST <vm>: <mode> PASS    (all N attempts were contained), exit code 0
 * An unknown name: FAIL and exit code 1.
 */
#include <arch/io.h>
#include <runtime/paging.h>
#include <runtime/runtime.h>

#define MSR_IA32_FEATURE_CONTROL	0x0000003a
#define MSR_IA32_APIC_BASE		0x0000001b
#define MSR_IA32_SYSENTER_EIP		0x00000176
#define MSR_IA32_VMX_BASIC		0x00000480
#define MSR_EFER			0xc0000080
# define EFER_LME			BIT(8)
# define EFER_LMA			BIT(10)
# define EFER_NXE			BIT(11)
#define MSR_LSTAR			0xc0000082
#define MSR_AMD_VM_HSAVE_PA		0xc0010117

struct attempt {
	const char *what;
	void (*fn)(const struct attempt *a);
	uint64_t addr;		/* address, port or MSR */
	uint64_t value;
	const char *expect;
};

struct mode {
	const char *name;
	const struct attempt *attempts;
	size_t count;
};

static uint64_t memory_size;

/* Make gpa reachable through the guest's own page tables, so the access
 * reaches the hypervisor's EPT/NPT instead of faulting in the guest. */
static bool map_for_access(uint64_t gpa)
{
	int ret = paging_map_identity(gpa);

	return test_check(ret == 0, "cannot map %#llx in the guest's page tables: %d",
			  (unsigned long long)gpa, ret);
}

static void read_physical(const struct attempt *a)
{
	if (!map_for_access(a->addr))
		return;
	uint64_t v = *(volatile uint64_t *)(uintptr_t)a->addr;
	test_log("read %#llx from %#llx", (unsigned long long)v, (unsigned long long)a->addr);
}

static void write_physical(const struct attempt *a)
{
	if (!map_for_access(a->addr))
		return;
	*(volatile uint64_t *)(uintptr_t)a->addr = a->value;
	test_log("wrote %#llx to %#llx", (unsigned long long)a->value, (unsigned long long)a->addr);
}

/* Addresses relative to the VM's size: addr is a multiple of memory_size plus value. */
static void write_neighbour(const struct attempt *a)
{
	uint64_t gpa = a->addr * memory_size + a->value;

	if (!map_for_access(gpa))
		return;
	*(volatile uint64_t *)(uintptr_t)gpa = 0x216d767265687421ULL;	/* "!theothervm!" */
	test_log("wrote to %#llx", (unsigned long long)gpa);
}

static void read_virtual(const struct attempt *a)
{
	uint64_t v = *(volatile uint64_t *)(uintptr_t)a->addr;
	test_log("read %#llx from %#llx", (unsigned long long)v, (unsigned long long)a->addr);
}

static void write_virtual(const struct attempt *a)
{
	*(volatile uint64_t *)(uintptr_t)a->addr = a->value;
}

static void call_virtual(const struct attempt *a)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)a->addr;

	fn();
}

static void port_out8(const struct attempt *a)
{
	outb((uint16_t)a->addr, (uint8_t)a->value);
}

static void port_out16(const struct attempt *a)
{
	outw((uint16_t)a->addr, (uint16_t)a->value);
}

static void port_in16(const struct attempt *a)
{
	uint16_t v = inw((uint16_t)a->addr);

	test_log("read %#x from port %#llx", v, (unsigned long long)a->addr);
}

static void msr_write(const struct attempt *a)
{
	__asm__ volatile("wrmsr" :: "c"((uint32_t)a->addr), "a"((uint32_t)a->value),
			 "d"((uint32_t)(a->value >> 32)) : "memory");
}

static void msr_read(const struct attempt *a)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"((uint32_t)a->addr));
	test_log("read %#llx from MSR %#llx", (unsigned long long)hi << 32 | lo, (unsigned long long)a->addr);
}

static void triple_fault(const struct attempt *a)
{
	struct __packed { uint16_t limit; uint64_t base; } empty = { 0, 0 };

	(void)a;
	/* #UD cannot be delivered through an empty IDT: #GP, then #DF, then shutdown. */
	__asm__ volatile("lidt %0; ud2" :: "m"(empty) : "memory");
}

#define EXPECT_EPT	"EPT/NPT violation stops the VM"
#define EXPECT_IO	"port I/O exit stops the VM"
#define EXPECT_MSR	"MSR exit stops the VM"

static const struct attempt hvmem[] = {
	{ "read of guest-physical 0xfee00000 (local APIC)", read_physical, 0xfee00000ULL, 0, EXPECT_EPT },
	{ "write to guest-physical 0xfee000b0 (local APIC EOI)", write_physical, 0xfee000b0ULL, 0, EXPECT_EPT },
	{ "read of guest-physical 0xfec00000 (I/O APIC)", read_physical, 0xfec00000ULL, 0, EXPECT_EPT },
	{ "read of guest-physical 0xfed90000 (VT-d registers)", read_physical, 0xfed90000ULL, 0, EXPECT_EPT },
	{ "read of guest-physical 0xe0000000 (PCIe ECAM)", read_physical, 0xe0000000ULL, 0, EXPECT_EPT },
	{ "write to guest-physical 0xfebc0000 (a NIC's memory BAR)", write_physical, 0xfebc0000ULL,
	  0x4000000, EXPECT_EPT },
	{ "write to guest-physical 0x10000000 (256 MiB: host RAM beyond the VM)", write_physical,
	  0x10000000ULL, 0xdeadbeef, EXPECT_EPT },
	{ "read of guest-physical 0x100000000 (4 GiB)", read_physical, 0x100000000ULL, 0, EXPECT_EPT },
};

static const struct attempt othervm[] = {
	{ "write to the first byte past the VM's memory", write_neighbour, 1, 0, EXPECT_EPT },
	{ "write to one page past the VM's memory", write_neighbour, 1, 4096, EXPECT_EPT },
	{ "write to the last word of a same-size neighbour", write_neighbour, 2, (uint64_t)-8, EXPECT_EPT },
	{ "write to the middle of a neighbour two VMs up", write_neighbour, 2, 0x100000, EXPECT_EPT },
};

static const struct attempt unmapped[] = {
	{ "read of guest-virtual 0x0 (NULL)", read_virtual, 0, 0, "guest #PF, exit code 0x8e" },
	{ "write to guest-virtual 0x8 (NULL)", write_virtual, 8, 0x5a, "guest #PF, exit code 0x8e" },
	{ "call to guest-virtual 0x0 (NULL)", call_virtual, 0, 0, "guest #PF, exit code 0x8e" },
	{ "read of guest-virtual 0x10000000000 (1 TiB, not mapped)", read_virtual, 1ULL << 40, 0,
	  "guest #PF, exit code 0x8e" },
	{ "read of non-canonical 0x800000000000", read_virtual, 1ULL << 47, 0,
	  "guest #GP, exit code 0x8d" },
};

static const struct attempt ioport[] = {
	{ "OUT 'X' to port 0x3f8 (COM1)", port_out8, 0x3f8, 'X', EXPECT_IO },
	{ "OUT 0x8000 to port 0xcf8 as a word (CONFIG_ADDRESS takes 32 bits only)", port_out16, 0xcf8,
	  0x8000, EXPECT_IO },
	{ "IN from port 0xcfd as a word (misaligned PCI config data)", port_in16, 0xcfd, 0, EXPECT_IO },
	{ "OUT 0xfe to port 0x64 (keyboard controller: resets the machine)", port_out8, 0x64, 0xfe, EXPECT_IO },
	{ "OUT 0x06 to port 0xcf9 (reset control: resets the machine)", port_out8, 0xcf9, 0x06, EXPECT_IO },
	{ "OUT 0 to port 0x80 (POST code)", port_out8, 0x80, 0, EXPECT_IO },
};

static const struct attempt msr[] = {
	{ "WRMSR IA32_APIC_BASE = 0xfee00900", msr_write, MSR_IA32_APIC_BASE, 0xfee00900ULL, EXPECT_MSR },
	{ "WRMSR EFER = LME|LMA|NXE (its current value)", msr_write, MSR_EFER,
	  EFER_LME | EFER_LMA | EFER_NXE, EXPECT_MSR },
	{ "WRMSR LSTAR = 0", msr_write, MSR_LSTAR, 0, EXPECT_MSR },
	{ "WRMSR IA32_SYSENTER_EIP = 0x100000", msr_write, MSR_IA32_SYSENTER_EIP, 0x100000, EXPECT_MSR },
	{ "WRMSR IA32_FEATURE_CONTROL = 1 (lock)", msr_write, MSR_IA32_FEATURE_CONTROL, 1, EXPECT_MSR },
	{ "WRMSR VM_HSAVE_PA (AMD) = 0", msr_write, MSR_AMD_VM_HSAVE_PA, 0, EXPECT_MSR },
	{ "RDMSR IA32_VMX_BASIC", msr_read, MSR_IA32_VMX_BASIC, 0, EXPECT_MSR },
};

/* ECAM attempts: addr is an offset into the window from the boot info. */
static uint64_t ecam_base;

static volatile uint8_t *ecam_at(const struct attempt *a)
{
	if (!test_check(ecam_base != 0, "the boot info names no ECAM window") ||
	    !map_for_access(ecam_base + a->addr))
		return NULL;
	return (volatile uint8_t *)(uintptr_t)(ecam_base + a->addr);
}

static void ecam_read32(const struct attempt *a)
{
	volatile uint8_t *p = ecam_at(a);

	if (p)
		test_log("read %#x", *(volatile uint32_t *)p);
}

static void ecam_add(const struct attempt *a)
{
	volatile uint8_t *p = ecam_at(a);

	if (p)
		__asm__ volatile("addl $1, (%0)" :: "r"(p) : "memory");
}

static const struct attempt ecam[] = {
	{ "misaligned dword read at ECAM + 1", ecam_read32, 1, 0, "not emulated: VM stopped" },
	{ "ADD to the vendor id at ECAM + 0 (not a MOV)", ecam_add, 0, 0, "not emulated: VM stopped" },
};

static const struct attempt triple[] = {
	{ "LIDT of an empty IDT, then UD2", triple_fault, 0, 0, "triple fault stops the VM" },
};

static const struct mode modes[] = {
	{ "fault-hvmem", hvmem, ARRAY_SIZE(hvmem) },
	{ "fault-othervm", othervm, ARRAY_SIZE(othervm) },
	{ "fault-unmapped", unmapped, ARRAY_SIZE(unmapped) },
	{ "fault-ioport", ioport, ARRAY_SIZE(ioport) },
	{ "fault-msr", msr, ARRAY_SIZE(msr) },
	{ "fault-triple", triple, ARRAY_SIZE(triple) },
	{ "fault-ecam", ecam, ARRAY_SIZE(ecam) },
};

/* "fault-msr" matches "fault-msr" and "fault-msr-2", not "fault-msrx". */
static const struct mode *find_mode(const char *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		size_t n = strlen(modes[i].name);

		if (strncmp(vm, modes[i].name, n) == 0 && (vm[n] == '\0' || vm[n] == '-'))
			return &modes[i];
	}
	return NULL;
}

int guest_main(const struct uhv_boot_info *boot)
{
	const struct mode *m = find_mode(boot->vm.name);
	uint32_t first = boot->vm.restart_count;

	memory_size = boot->vm.memory_size;
	ecam_base = boot->ecam_base;
	if (!m) {
		test_begin("faulter-mode");
		test_check(false, "no misbehaviour is named \"%s\"; names start with fault-hvmem, "
			   "fault-othervm, fault-unmapped, fault-ioport, fault-msr, fault-triple or fault-ecam",
			   boot->vm.name);
		test_finish();
	}

	test_begin(m->name);
	test_log("%s: %zu attempts, this is start %u", m->name, m->count, first);
	for (size_t i = first; i < m->count; i++) {
		const struct attempt *a = &m->attempts[i];

		test_log("attempting %s (expect: %s)", a->what, a->expect);
		console_flush();
		a->fn(a);
		test_check(false, "attempt %zu: %s was not contained", i, a->what);
	}
	if (first >= m->count)
		test_log("all %zu attempts were contained (one per start)", m->count);
	test_finish();
}
