// SPDX-License-Identifier: MIT
/*
 * hello: the first guest. Prints its boot information and what HC_VM_INFO
 * says, checks that the two agree with each other and with vm_boot.h, and
 * stops with 0 if they do.
 *
 * Output (besides START/PASS lines per test.h):
 *   TEST <vm>: boot info: magic ... version ... size ... image_end ...
 *   TEST <vm>: boot info: vm_id ... role ... name ... memory_size ... restart_count ... vcpu_count ...
 *   TEST <vm>: HC_VM_INFO returned 40: vm_id ... (same fields)
 *   TEST <vm>: HC_VM_STATS: 11 hypercall exit(s) across 10 HC_TIME_READ calls and the read itself ...
 *   TEST <vm>: clock: tsc_hz ... flags ... time_ns() by RDTSC ...
 *   TEST <vm>: clock: 100000 time_ns() reads over ... ns: 1 hypercall exit(s) ...
 *   TEST <vm>: done, 7 passed, 0 failed
 */
#include <runtime/runtime.h>

static void print_vm_info(const char *what, const struct uhv_vm_info *vm)
{
	test_log("%s: vm_id %u role %u name \"%.*s\" memory_size %#llx restart_count %u vcpu_count %u",
		 what, vm->vm_id, vm->role, (int)sizeof(vm->name), vm->name,
		 (unsigned long long)vm->memory_size, vm->restart_count, vm->vcpu_count);
}

static bool name_is_valid(const char *name)
{
	size_t n = strnlen(name, UHV_VM_NAME_MAX);

	if (n == 0 || n == UHV_VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static void check_boot_info(const struct uhv_boot_info *b)
{
	uint64_t image_end = (uint64_t)(uintptr_t)__image_end;

	test_begin("boot-info");
	test_log("boot info at %p: magic %#llx version %u size %u image_end %#llx", (const void *)b,
		 (unsigned long long)b->magic, b->version, b->size, (unsigned long long)b->image_end);
	print_vm_info("boot info", &b->vm);
	test_check((uint64_t)(uintptr_t)b == UHV_BOOT_INFO, "RDI at entry was %p, not %#x",
		   (const void *)b, UHV_BOOT_INFO);
	test_check(b->magic == UHV_BOOT_MAGIC, "magic %#llx", (unsigned long long)b->magic);
	test_check(b->version == UHV_ABI_VERSION, "version %u", b->version);
	test_check(b->size == sizeof(*b), "size %u, expected %zu", b->size, sizeof(*b));
	test_check(b->image_end == image_end, "image_end %#llx, but the image ends at %#llx",
		   (unsigned long long)b->image_end, (unsigned long long)image_end);
	test_check(b->vm.vm_id >= 1, "vm_id %u (1-based)", b->vm.vm_id);
	test_check(b->vm.role == UHV_ROLE_GUEST, "role %u, expected %u (guest)", b->vm.role, UHV_ROLE_GUEST);
	test_check(name_is_valid(b->vm.name), "name is not 1-15 characters of [a-z0-9-]");
	test_check(b->vm.memory_size % (2 * MiB) == 0, "memory_size %#llx is not a multiple of 2 MiB",
		   (unsigned long long)b->vm.memory_size);
	test_check(b->vm.memory_size > image_end, "memory_size %#llx does not hold the image (ends %#llx)",
		   (unsigned long long)b->vm.memory_size, (unsigned long long)image_end);
	test_check(b->vm.vcpu_count == 1, "vcpu_count %u", b->vm.vcpu_count);
	test_end();
}

static void check_vm_info(const struct uhv_boot_info *b)
{
	struct uhv_vm_info info;

	test_begin("vm-info-matches-boot-info");
	memset(&info, 0xa5, sizeof(info));
	int64_t ret = hc_vm_info(&info, sizeof(info));
	test_log("HC_VM_INFO returned %lld", (long long)ret);
	if (test_check(ret == (int64_t)sizeof(info), "HC_VM_INFO returned %lld, expected %zu",
		       (long long)ret, sizeof(info))) {
		print_vm_info("HC_VM_INFO", &info);
		test_check(info.vm_id == b->vm.vm_id, "vm_id %u vs boot info %u", info.vm_id, b->vm.vm_id);
		test_check(info.role == b->vm.role, "role %u vs boot info %u", info.role, b->vm.role);
		test_check(memcmp(info.name, b->vm.name, sizeof(info.name)) == 0,
			   "name \"%.*s\" vs boot info \"%.*s\"", (int)sizeof(info.name), info.name,
			   (int)sizeof(b->vm.name), b->vm.name);
		test_check(info.memory_size == b->vm.memory_size, "memory_size %#llx vs boot info %#llx",
			   (unsigned long long)info.memory_size, (unsigned long long)b->vm.memory_size);
		test_check(info.restart_count == b->vm.restart_count, "restart_count %u vs boot info %u",
			   info.restart_count, b->vm.restart_count);
		test_check(info.vcpu_count == b->vm.vcpu_count, "vcpu_count %u vs boot info %u",
			   info.vcpu_count, b->vm.vcpu_count);
	}
	test_end();
}

static void check_cpu_state(void)
{
	uint64_t cs, ss;

	test_begin("cpu-state");
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	test_check(cs == UHV_BOOT_CS, "CS %#llx", (unsigned long long)cs);
	test_check(ss == UHV_BOOT_DS, "SS %#llx", (unsigned long long)ss);
	test_check(!(read_rflags() & RFLAGS_IF), "interrupts are on in guest_main");
	test_check(hc_time_read() >= 0, "HC_TIME_READ failed");
	test_check(hc_yield() == 0, "HC_YIELD did not return 0");
	test_end();
}

/*
 * HC_VM_STATS: two reads with HC_TIME_READ_CALLS hypercalls between them
 * see exactly that many hypercall exits plus the second read's own; a sleep
 * (HC_TIMER_SET, HC_BLOCK, the timer's interrupt) shows up as a delivered
 * virtual interrupt; a short buffer gets only its bytes.
 */
#define HC_TIME_READ_CALLS	10

static void check_vm_stats(void)
{
	struct uhv_vm_stats a, b, c;
	uint8_t partial[sizeof(struct uhv_vm_stats)];

	test_begin("vm-stats");
	int64_t r1 = hc_vm_stats(&a, sizeof(a));
	for (unsigned int i = 0; i < HC_TIME_READ_CALLS; i++)
		(void)hc_time_read();
	int64_t r2 = hc_vm_stats(&b, sizeof(b));
	if (!test_check(r1 == (int64_t)sizeof(a) && r2 == (int64_t)sizeof(b),
			"HC_VM_STATS returned %lld and %lld, expected %zu", (long long)r1, (long long)r2, sizeof(a))) {
		test_end();
		return;
	}
	uint64_t hcalls = b.exits_hypercall - a.exits_hypercall;
	test_log("HC_VM_STATS: %llu hypercall exit(s) across %u HC_TIME_READ calls and the read itself; "
		 "%llu exit(s) in all; clock %llu -> %llu ns",
		 (unsigned long long)hcalls, HC_TIME_READ_CALLS, (unsigned long long)(b.exits - a.exits),
		 (unsigned long long)a.time_ns, (unsigned long long)b.time_ns);
	test_check(hcalls == HC_TIME_READ_CALLS + 1, "hypercall exits grew by %llu, expected %u",
		   (unsigned long long)hcalls, HC_TIME_READ_CALLS + 1);
	test_check(b.exits - a.exits >= hcalls, "exits grew by %llu, fewer than the hypercalls",
		   (unsigned long long)(b.exits - a.exits));
	test_check(b.time_ns >= a.time_ns && a.time_ns > 0, "clock %llu -> %llu ns",
		   (unsigned long long)a.time_ns, (unsigned long long)b.time_ns);
	test_check(b.exits >= b.exits_hypercall + b.exits_interrupt + b.exits_hlt + b.exits_memory,
		   "exits %llu < the sum of its categories", (unsigned long long)b.exits);
	test_check(b.notify_sent == 0 && b.notify_received == 0, "notifications %llu/%llu without a channel",
		   (unsigned long long)b.notify_sent, (unsigned long long)b.notify_received);

	sleep_ns(NSEC_PER_MSEC);
	int64_t r3 = hc_vm_stats(&c, sizeof(c));
	test_check(r3 == (int64_t)sizeof(c) && c.virqs_delivered > b.virqs_delivered,
		   "no virtual interrupt counted across a sleep (%llu -> %llu)",
		   (unsigned long long)b.virqs_delivered, (unsigned long long)c.virqs_delivered);

	memset(partial, 0xa5, sizeof(partial));
	int64_t r4 = hc_vm_stats((struct uhv_vm_stats *)partial, 8);
	bool rest_untouched = true;
	for (size_t i = 8; i < sizeof(partial); i++)
		rest_untouched &= partial[i] == 0xa5;
	test_check(r4 == 8 && rest_untouched, "an 8-byte buffer: returned %lld, bytes after it %s",
		   (long long)r4, rest_untouched ? "untouched" : "written");
	test_end();
}

/*
 * The TSC clock (abi/vm_boot.h): both our platforms offer it (VMX TSC
 * offsetting on Bochs, the VMCB's TSC_OFFSET on QEMU), so it must be on.
 * Every TSC reading taken between two HC_TIME_READ calls lies between
 * their values (the same clock, to the nanosecond: this also proves the
 * guest's TSC counts from its start, not the host's); RDTSCP agrees too;
 * consecutive readings never go back; TSC_CLOCK_READS of them cost no
 * hypercall exit; a sleep lasts at least what was asked on both clocks.
 */
#define TSC_CLOCK_PAIRS		1000
#define TSC_CLOCK_READS		100000
#define TSC_CLOCK_SLEEP_NS	(2 * NSEC_PER_MSEC)
#define CPUID_80000001_EDX_RDTSCP	(1U << 27)

static uint64_t rdtscp_ns(uint64_t tsc_hz)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
	return uhv_tsc_to_ns((uint64_t)hi << 32 | lo, tsc_hz);
}

static void check_tsc_clock(const struct uhv_boot_info *b)
{
	struct uhv_vm_stats s0, s1;
	bool rdtscp = cpuid(0x80000000).eax >= 0x80000001 &&
		      (cpuid(0x80000001).edx & CPUID_80000001_EDX_RDTSCP);

	test_begin("tsc-clock");
	test_log("clock: tsc_hz %llu, flags %#x (%s%s), time_ns() by %s, RDTSCP %s",
		 (unsigned long long)b->tsc_hz, b->clock_flags,
		 b->clock_flags & UHV_CLOCK_TSC ? "TSC" : "HC_TIME_READ",
		 b->clock_flags & UHV_CLOCK_TSC_INVARIANT ? ", invariant" : "",
		 time_uses_tsc() ? "RDTSC" : "HC_TIME_READ", rdtscp ? "yes" : "no");
	if (!test_check((b->clock_flags & UHV_CLOCK_TSC) && b->tsc_hz && time_uses_tsc(),
			"the TSC clock is not offered (flags %#x, tsc_hz %llu)", b->clock_flags,
			(unsigned long long)b->tsc_hz)) {
		test_end();
		return;
	}

	unsigned int outside = 0, outside_rdtscp = 0;
	uint64_t first_bad[3] = { 0 }, widest = 0;
	for (unsigned int i = 0; i < TSC_CLOCK_PAIRS; i++) {
		uint64_t h0 = time_ns_hypercall();
		uint64_t t = time_ns();
		uint64_t tp = rdtscp ? rdtscp_ns(b->tsc_hz) : t;
		uint64_t h1 = time_ns_hypercall();

		if ((t < h0 || t > h1) && !outside++) {
			first_bad[0] = h0;
			first_bad[1] = t;
			first_bad[2] = h1;
		}
		if (tp < t || tp > h1)
			outside_rdtscp++;
		widest = MAX(widest, h1 - h0);
	}
	test_log("clock: %u HC_TIME_READ/TSC/HC_TIME_READ triples, widest bracket %llu ns",
		 TSC_CLOCK_PAIRS, (unsigned long long)widest);
	test_check(outside == 0, "%u of %u TSC readings outside their HC_TIME_READ bracket, first %llu <= %llu <= %llu",
		   outside, TSC_CLOCK_PAIRS, (unsigned long long)first_bad[0],
		   (unsigned long long)first_bad[1], (unsigned long long)first_bad[2]);
	test_check(outside_rdtscp == 0, "%u of %u RDTSCP readings before the RDTSC one or after the bracket",
		   outside_rdtscp,
		   TSC_CLOCK_PAIRS);

	unsigned int backwards = 0;
	int64_t r0 = hc_vm_stats(&s0, sizeof(s0));
	uint64_t prev = time_ns(), start = prev;
	for (unsigned int i = 0; i < TSC_CLOCK_READS; i++) {
		uint64_t now = time_ns();
		backwards += now < prev;
		prev = now;
	}
	int64_t r1 = hc_vm_stats(&s1, sizeof(s1));
	test_log("clock: %u time_ns() reads over %llu ns: %llu hypercall exit(s), %llu exit(s) in all",
		 TSC_CLOCK_READS, (unsigned long long)(prev - start),
		 (unsigned long long)(s1.exits_hypercall - s0.exits_hypercall),
		 (unsigned long long)(s1.exits - s0.exits));
	test_check(backwards == 0, "the clock went back %u times in %u reads", backwards, TSC_CLOCK_READS);
	test_check(prev > start, "the clock did not advance over %u reads", TSC_CLOCK_READS);
	/* The second HC_VM_STATS is the one hypercall in the window. */
	test_check(r0 == (int64_t)sizeof(s0) && r1 == (int64_t)sizeof(s1) &&
		   s1.exits_hypercall - s0.exits_hypercall == 1,
		   "%u TSC clock reads cost %llu hypercall exit(s) besides HC_VM_STATS", TSC_CLOCK_READS,
		   (unsigned long long)(s1.exits_hypercall - s0.exits_hypercall - 1));

	uint64_t h0 = time_ns_hypercall(), t0 = time_ns();
	int ret = sleep_ns(TSC_CLOCK_SLEEP_NS);
	uint64_t t1 = time_ns(), h1 = time_ns_hypercall();
	test_log("clock: sleep_ns(%llu) slept %llu ns by the TSC, %llu ns by HC_TIME_READ",
		 (unsigned long long)TSC_CLOCK_SLEEP_NS, (unsigned long long)(t1 - t0),
		 (unsigned long long)(h1 - h0));
	test_check(ret == 0 && t1 - t0 >= TSC_CLOCK_SLEEP_NS && h1 - h0 >= TSC_CLOCK_SLEEP_NS,
		   "sleep_ns(%llu) returned %d after %llu ns (TSC), %llu ns (HC_TIME_READ)",
		   (unsigned long long)TSC_CLOCK_SLEEP_NS, ret, (unsigned long long)(t1 - t0),
		   (unsigned long long)(h1 - h0));
	test_end();
}

/*
 * Initialized data that every run changes: a restart must bring it back,
 * because the hypervisor reloads the image into scrubbed memory.
 */
static volatile uint64_t pristine_marker = 0x70726973746e65ULL;	/* "pristne" */

static void check_pristine(const struct uhv_boot_info *boot)
{
	test_begin("pristine-image");
	test_check(pristine_marker == 0x70726973746e65ULL,
		   "initialized data is %#llx on start %u: memory was not reloaded",
		   (unsigned long long)pristine_marker, boot->vm.restart_count);
	pristine_marker = boot->vm.restart_count + 1;
	gprintf("start %u of this VM\n", boot->vm.restart_count + 1);
	test_end();
}

/*
 * The hypervisor image sits at host-physical 2 MiB and starts with its
 * multiboot2 header. The same guest-physical address must be this VM's own
 * (scrubbed) memory: seeing the header would mean guest-physical space maps
 * host memory it does not own.
 */
static void check_not_hypervisor(void)
{
	const volatile uint32_t *two_mib = (const volatile uint32_t *)(uintptr_t)0x200000;

	test_begin("own-memory-at-2mib");
	test_check(*two_mib != 0xe85250d6, "guest-physical 0x200000 holds the hypervisor's multiboot2 header");
	test_check(*two_mib == 0, "guest-physical 0x200000 is %#x, not scrubbed memory", *two_mib);
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	gprintf("hello from %s: uhv guest runtime, hypercalls by %s\n", rt_vm_name(),
		hc_instruction == UHV_HCALL_VMMCALL ? "VMMCALL" : "VMCALL");
	check_boot_info(boot);
	check_vm_info(boot);
	check_cpu_state();
	check_vm_stats();
	check_tsc_clock(boot);
	check_pristine(boot);
	check_not_hypervisor();
	test_finish();
}
