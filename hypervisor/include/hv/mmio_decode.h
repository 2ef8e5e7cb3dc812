/* SPDX-License-Identifier: MIT */
/*
 * Decoding the instruction that touched emulated MMIO (docs/devices.md,
 * "The ECAM window"). Neither an EPT violation nor an NPT fault says what
 * the access was beyond its guest-physical address (no decode assists on
 * the AMD side, and on Intel the exit's instruction length is not defined
 * for EPT violations), so the core reads the bytes at RIP and decodes them.
 *
 * Only what a driver uses for register access is decoded, in 64-bit mode
 * or 32-bit protected mode with 32-bit addressing:
 *   88 /r      MOV r/m8, r8            8A /r      MOV r8, r/m8
 *   89 /r      MOV r/m16/32/64, r      8B /r      MOV r16/32/64, r/m
 *   C6 /0 ib   MOV r/m8, imm8          C7 /0 iz   MOV r/m16/32/64, imm16/32
 *   0F B6 /r   MOVZX r16/32/64, r/m8   0F B7 /r   MOVZX r32/64, r/m16
 * with a memory operand (any ModRM/SIB/displacement form), the 66 operand
 * size prefix, segment overrides, 67 (64-bit mode only) and REX (64-bit
 * mode, immediately before the opcode). LOCK, REP/REPNE, string
 * instructions, read-modify-write instructions, VEX and everything else
 * are "not decodable": the caller contains the VM.
 *
 * Pure: bounds-checked over a byte buffer, host-tested and fuzzed.
 */
#ifndef HV_MMIO_DECODE_H
#define HV_MMIO_DECODE_H

#include <hv/types.h>

#define MMIO_INSN_MAX_LEN	15	/* the architectural limit (SDM vol. 2, 2.3.11) */

/* General register numbers as ModRM.reg and REX.R encode them. */
enum mmio_gpr {
	MMIO_RAX, MMIO_RCX, MMIO_RDX, MMIO_RBX, MMIO_RSP, MMIO_RBP, MMIO_RSI, MMIO_RDI,
	MMIO_R8, MMIO_R9, MMIO_R10, MMIO_R11, MMIO_R12, MMIO_R13, MMIO_R14, MMIO_R15,
};

struct mmio_insn {
	uint8_t len;		/* bytes, prefixes included: RIP advances by this much */
	uint8_t size;		/* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;		/* a store (to MMIO); else a load into reg */
	bool has_imm;		/* a store of imm rather than of reg */
	uint64_t imm;		/* already sign-extended to size bytes (C7 with REX.W) */
	uint8_t reg;		/* enum mmio_gpr: the load's destination or the store's source */
	bool high_byte;		/* reg is AH, CH, DH or BH (bits 15:8 of reg - 4's register) */
	uint8_t reg_size;	/* bytes of reg a load writes: size, or wider for MOVZX */
};

enum mmio_cpu_mode {
	MMIO_MODE_32,		/* protected mode, 32-bit code segment */
	MMIO_MODE_64,		/* IA-32e mode, 64-bit code segment */
};

/*
 * Decode the instruction at buf[0..len). Returns 0 and fills *out, or
 * -HV_ENOTSUP if it is not one of the instructions above (or not a memory
 * access), -HV_ERANGE if buf ends inside what would be one.
 */
int mmio_decode(const uint8_t *buf, size_t len, enum mmio_cpu_mode mode, struct mmio_insn *out);

/*
 * The new value of a load's destination register: value (the size bytes
 * read) zero-extended to reg_size and merged into old as the CPU would (a
 * 32-bit destination clears bits 63:32, 8- and 16-bit ones keep the rest;
 * high_byte puts it in bits 15:8).
 */
uint64_t mmio_load_result(const struct mmio_insn *insn, uint64_t old, uint64_t value);

/* The value a store writes: the immediate, or the bytes of the source register (reg_value). */
uint64_t mmio_store_value(const struct mmio_insn *insn, uint64_t reg_value);

#endif /* HV_MMIO_DECODE_H */
