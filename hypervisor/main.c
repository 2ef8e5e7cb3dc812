// SPDX-License-Identifier: MIT
/*
 * hv_main: the boot sequence, in order. Each step relies only on the ones
 * before it; the comments say why the order is what it is.
 */
#include <abi/errno.h>
#include <arch/cpu_features.h>
#include <arch/hwcheck.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/vcpu_select.h>
#include <arch/traps.h>
#include <arch/tsc.h>
#include <hv/acpi.h>
#include <hv/bootinfo.h>
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/iommu.h>
#include <hv/memory.h>
#include <hv/mm.h>
#include <hv/multiboot2.h>
#include <hv/panic.h>
#include <hv/pci.h>
#include <hv/pci_vm.h>
#include <hv/platform.h>
#include <hv/policy.h>
#include <hv/sched.h>
#include <hv/selftest.h>
#include <hv/symbols.h>
#include <hv/vm.h>

#define MBI_MAX_SIZE	(64 * KiB)	/* far beyond anything GRUB produces */

static struct boot_info boot_info;
static struct hv_options options;

static void report_bad_option(const char *what, const char *word, size_t len)
{
	pr_err("cmdline: %s '%.*s'", what, (int)len, word);
}

__noreturn void hv_main(uint32_t magic, uint32_t mbi_paddr);
__noreturn void hv_main(uint32_t magic, uint32_t mbi_paddr)
{
	/* The console first, so that every later failure can be reported. */
	serial_init();
	tsc_mark_boot();
	console_printf("\n");
	pr_info("uhv micro-hypervisor starting");

	/* Exceptions next: from here on a ring-0 fault is a readable panic. */
	gdt_init();
	traps_init();

	if (magic != MB2_BOOTLOADER_MAGIC)
		panic("not booted by a multiboot2 loader (magic %#x)", magic);
	if (mb2_parse(phys_to_virt(mbi_paddr), MBI_MAX_SIZE, &boot_info))
		panic("the multiboot2 boot information at %#x is malformed", mbi_paddr);
	symbols_init(boot_info.elf_sections, boot_info.elf_section_count);

	int bad = cmdline_parse(boot_info.cmdline, &options, report_bad_option);
	console_set_level(options.loglevel);
	platform_set_exit_method(options.exit_method);
	pr_info("boot: loader '%s', command line '%s'", boot_info.loader_name, boot_info.cmdline);
	pr_debug("boot: multiboot2 information at %#x, %u bytes", mbi_paddr, boot_info.mbi_size);
	if (bad) {
		/* An operator error, not a hypervisor bug: say so and stop cleanly. */
		pr_err("boot: refusing to start: %d boot option(s) not understood (see above)", bad);
		platform_exit(false);
	}

	/* Memory before anything that maps firmware tables or device registers. */
	mm_init(&boot_info);

	/* Firmware tables: what the platform has (CPUs, IOAPICs, ECAM, IOMMUs), and how to power off. */
	acpi_init(&boot_info);
	if (options.acpidump)
		acpi_dump_tables();

	/* Every boot reports the CPU; hwcheck does so inside its own frame. */
	cpu_features_init();
	if (options.hwcheck) {
		/* Report and verdict, then stop: after ACPI, which has the DMAR. */
		hwcheck_run(cpu_caps_get(), acpi_get());
		platform_exit(true);
	}
	cpu_features_report(cpu_caps_get(), false);

	/*
	 * Devices, after ACPI (HPET, MCFG and the x2APIC opt-out come from
	 * it): the LAPIC before calibration, which counts its timer; PCI
	 * next. Interrupts stay disabled throughout.
	 */
	lapic_init();
	ioapic_init();
	if (timer_calibrate())
		panic("timer: no working clock or LAPIC timer (see above)");
	if (pci_init() < 0)
		panic("pci: enumeration failed (see above)");
	/*
	 * DMA remapping last: it needs the PCI devices (which unit covers
	 * which), the LAPIC (fault events) and the clock (bounded waits). From
	 * here every device's DMA is blocked until it is attached to a domain.
	 * Without a usable IOMMU the boot goes on, without device assignment.
	 */
	iommu_init(options.iommu_noqi);

	/*
	 * The VM policy, checked in full against the modules and free memory
	 * before any VM exists. A bad policy is the operator's error: refuse
	 * it and end the run, no panic (hv/policy.h, docs/policy.md).
	 */
	if (policy_load(&boot_info, frame_free_count() * FRAME_SIZE) < 0) {
		pr_err("policy: nothing started");
		platform_exit(false);
	}
	/* Device ownership from the accepted policy, before any VM exists. */
	if (policy_get() && pci_vm_init(policy_get())) {
		pr_err("policy: nothing started");
		platform_exit(false);
	}

	if (options.test[0])
		platform_exit(selftest_run(options.test, &boot_info) == 0);

	pr_info("boot complete");
	if (!policy_get())
		platform_exit(true);

	/* The VMs of the policy, on whichever backend this CPU has. */
	if (vcpu_backend_init(cpu_caps_get()) || vm_start_all(policy_get(), &boot_info)) {
		pr_err("vm: nothing started");
		platform_exit(false);
	}
	sched_run();
}
