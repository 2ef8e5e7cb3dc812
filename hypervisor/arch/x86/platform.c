// SPDX-License-Identifier: MIT
/* Ending a run: see hv/platform.h for the methods and what each emulator does. */
#include <arch/cpu.h>
#include <arch/io.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/platform.h>

#define QEMU_DEBUG_EXIT_PORT	0xf4	/* -device isa-debug-exit,iobase=0xf4 */
#define BOCHS_SHUTDOWN_PORT	0x8900	/* writing "Shutdown" powers Bochs off */

static enum exit_method exit_method = EXIT_HALT;

void platform_set_exit_method(enum exit_method method)
{
	exit_method = method;
}

static void bochs_magic_break(void)
{
	__asm__ volatile("xchgw %%bx, %%bx" ::: "memory");
}

static void bochs_shutdown(void)
{
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
}

__noreturn void platform_exit(bool success)
{
	irq_disable();
	log_msg(success ? LOG_INFO : LOG_ERROR, "hv", "exit: %s", success ? "success" : "failure");
	serial_flush();

	switch (exit_method) {
	case EXIT_QEMU:
		/* QEMU exits with (value << 1) | 1: 1 for success, 3 for failure. */
		outl(QEMU_DEBUG_EXIT_PORT, success ? 0 : 1);
		break;
	case EXIT_BOCHS:
		if (success)
			bochs_magic_break();
		else
			bochs_shutdown();
		break;
	case EXIT_ACPI:
		acpi_power_off();
		break;
	case EXIT_HALT:
		break;
	}
	/* Still here: the method is not available on this machine. */
	pr_info("exit: system halted");
	for (;;)
		cpu_halt();
}
