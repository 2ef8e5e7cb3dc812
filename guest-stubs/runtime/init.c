// SPDX-License-Identifier: MIT
/*
 * runtime_init(): everything between start.S and guest_main(). Order
 * matters: descriptor tables first (so a fault, including a #UD from the
 * wrong hypercall instruction, is caught and reported), then the hypercall
 * instruction, then the boot information, which can only be complained
 * about once the console works.
 */
#include "runtime.h"

static struct uhv_boot_info boot_copy;
static char vm_name[UHV_VM_NAME_MAX] = "?";

const struct uhv_boot_info *rt_boot_info(void)
{
	return &boot_copy;
}

const char *rt_vm_name(void)
{
	return vm_name;
}

static __noreturn void init_failed(void)
{
	console_emergency("FATAL %s: the guest runtime cannot start, stopping with exit code %d\n",
			  rt_vm_name(), RT_EXIT_RUNTIME);
	hc_stop_self(RT_EXIT_RUNTIME);
}

/* The boot information page as vm_boot.h defines it; reasons go to the console. */
static bool boot_info_ok(const struct uhv_boot_info *b)
{
	bool ok = true;

	if (b->magic != UHV_BOOT_MAGIC) {
		console_emergency("FATAL ?: boot info at %p: magic %#llx, expected %#llx\n", (const void *)b,
				  (unsigned long long)b->magic, (unsigned long long)UHV_BOOT_MAGIC);
		ok = false;
	}
	if (b->version != UHV_ABI_VERSION || b->size < sizeof(*b)) {
		console_emergency("FATAL ?: boot info version %u size %u, expected version %u size >= %zu\n",
				  b->version, b->size, UHV_ABI_VERSION, sizeof(*b));
		ok = false;
	}
	if (strnlen(b->vm.name, sizeof(b->vm.name)) == sizeof(b->vm.name)) {
		console_emergency("FATAL ?: VM name in the boot info is not NUL-terminated\n");
		ok = false;
	}
	return ok;
}

void runtime_init(const struct uhv_boot_info *boot)
{
	gdt_init();
	idt_init();

	enum hc_abi_status abi = hc_init();
	if (abi != HC_ABI_OK) {
		struct cpuid_regs v = cpuid(0);
		char vendor[13];

		memcpy(vendor, &v.ebx, 4);
		memcpy(vendor + 4, &v.edx, 4);
		memcpy(vendor + 8, &v.ecx, 4);
		vendor[12] = '\0';
		console_emergency("FATAL ?: %s; guessing %s from the CPU vendor \"%s\" to report it\n",
				  hc_abi_status_string(abi),
				  hc_instruction == UHV_HCALL_VMMCALL ? "VMMCALL" : "VMCALL", vendor);
		init_failed();
	}

	/* First hypercall: if CPUID named the wrong instruction, the #UD
	 * handler switches, and this guest reports the hypervisor's mistake. */
	int64_t t = hc_time_read();
	if (hc_instruction_switched()) {
		console_emergency("FATAL ?: CPUID 0x40000001 EBX names %s, but it raised #UD and %s works\n",
				  hc_instruction == UHV_HCALL_VMMCALL ? "VMCALL" : "VMMCALL",
				  hc_instruction == UHV_HCALL_VMMCALL ? "VMMCALL" : "VMCALL");
		init_failed();
	}
	if (t < 0) {
		console_emergency("FATAL ?: HC_TIME_READ failed with %lld\n", (long long)t);
		init_failed();
	}

	if (!boot_info_ok(boot))
		init_failed();
	boot_copy = *boot;
	memcpy(vm_name, boot->vm.name, sizeof(vm_name));

	timer_init();
}
