/* SPDX-License-Identifier: MIT */
/*
 * How a run ends. The method comes from the "exit=" boot option:
 *   exit=qemu   QEMU's isa-debug-exit device (port 0xf4): the emulator exits
 *               with status 1 on success and 3 on failure.
 *   exit=bochs  success: Bochs' magic breakpoint (xchg %bx,%bx) returns to
 *               the debugger script, which quits with status 0; failure: ACPI
 *               S5, which Bochs reports with status 1.
 *   exit=acpi   ACPI S5 soft-off either way (real hardware).
 *   exit=halt   (default) stop the CPU and leave the console for a person to read.
 * In every case the last console line is "hv: exit: success" or "hv: exit: failure".
 */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <hv/types.h>

enum exit_method { EXIT_HALT, EXIT_QEMU, EXIT_BOCHS, EXIT_ACPI };

void platform_set_exit_method(enum exit_method method);
__noreturn void platform_exit(bool success);

#endif /* HV_PLATFORM_H */
