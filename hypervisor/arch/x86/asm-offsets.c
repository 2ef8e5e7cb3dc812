// SPDX-License-Identifier: MIT
/*
 * Structure offsets for assembly, computed by the compiler. The build
 * compiles this file to assembly and turns each "@@@ NAME value" marker into
 * a #define in generated/asm-offsets.h: no offset is ever typed by hand.
 */
#include <arch/traps.h>

#define DEFINE(sym, val) __asm__ volatile("\n@@@ " #sym " %0" :: "i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(TRAP_FRAME_SIZE, sizeof(struct trap_frame));
	OFFSET(TRAP_FRAME_VECTOR, struct trap_frame, vector);
	OFFSET(TRAP_FRAME_RIP, struct trap_frame, rip);
}
