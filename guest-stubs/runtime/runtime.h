/* SPDX-License-Identifier: MIT */
/*
 * The guest-stub runtime: what every test guest (and later every IOVM) is
 * built on. A guest provides guest_main(); start.S and runtime_init() give
 * it a stack, a cleared .bss, its own GDT and IDT, working hypercalls and a
 * checked copy of the boot information. docs/guest-runtime.md explains how
 * to write one.
 */
#ifndef RUNTIME_RUNTIME_H
#define RUNTIME_RUNTIME_H

#include <abi/errno.h>
#include <abi/hypercall.h>
#include <abi/vm_boot.h>
#include <hv/format.h>
#include <hv/string.h>
#include <hv/types.h>

#include "console.h"
#include "cpu.h"
#include "hypercall.h"
#include "idt.h"
#include "test.h"
#include "timer.h"

/* Exit codes the runtime itself stops with (HC_STOP_SELF). */
#define RT_EXIT_OK		0
#define RT_EXIT_TEST_FAILED	1	/* test_finish() with a failed test */
#define RT_EXIT_RUNTIME		2	/* no usable hypercall ABI, or bad boot info */
#define RT_EXIT_EXCEPTION(v)	(0x80 + (v))	/* unhandled exception v */

/*
 * The guest's program. Called with interrupts off, after runtime_init();
 * its return value is the VM's exit code. boot is the boot information
 * page itself (UHV_BOOT_INFO), already checked.
 */
int guest_main(const struct uhv_boot_info *boot);

/* Called by start.S. Stops the VM with RT_EXIT_RUNTIME if it cannot go on. */
void runtime_init(const struct uhv_boot_info *boot);

/* The runtime's copy of the boot information, taken before guest_main. */
const struct uhv_boot_info *rt_boot_info(void);

/* This VM's name ("?" until runtime_init has read it). */
const char *rt_vm_name(void);

/* The image's extent, from the linker script. */
extern char __image_start[], __image_end[];

#endif /* RUNTIME_RUNTIME_H */
