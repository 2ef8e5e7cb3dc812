// SPDX-License-Identifier: MIT
/*
 * The MMIO instruction decoder (hv/mmio_decode.h). Encodings from the SDM
 * vol. 2, chapter 2 (prefixes, REX, ModRM, SIB) and the MOV/MOVZX pages.
 * Every byte read is checked against the buffer's length; the input is the
 * guest's, so any sequence of bytes must give a clean answer.
 */
#include <abi/errno.h>
#include <hv/mmio_decode.h>

#define REX_W		BIT(3)
#define REX_R		BIT(2)
#define MODRM_MOD(b)	((b) >> 6)
#define MODRM_REG(b)	(((b) >> 3) & 7)
#define MODRM_RM(b)	((b) & 7)
#define SIB_BASE(b)	((b) & 7)

static bool is_segment_override(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/*
 * The bytes ModRM (at buf[at]), SIB and displacement take, for a memory
 * operand with 32- or 64-bit addressing; 0 for a register operand (mod 3).
 */
static size_t modrm_length(const uint8_t *buf, size_t len, size_t at, int *err)
{
	uint8_t modrm, mod;
	size_t n = 1;

	if (at >= len) {
		*err = -HV_ERANGE;
		return 0;
	}
	modrm = buf[at];
	mod = MODRM_MOD(modrm);
	if (mod == 3)
		return 0;
	if (MODRM_RM(modrm) == 4) {		/* SIB follows */
		if (at + 1 >= len) {
			*err = -HV_ERANGE;
			return 0;
		}
		n++;
		if (mod == 0 && SIB_BASE(buf[at + 1]) == 5)
			n += 4;			/* no base: disp32 */
	} else if (mod == 0 && MODRM_RM(modrm) == 5) {
		n += 4;				/* disp32 (RIP-relative in 64-bit mode) */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

int mmio_decode(const uint8_t *buf, size_t len, enum mmio_cpu_mode mode, struct mmio_insn *out)
{
	bool opsize16 = false, long_mode = mode == MMIO_MODE_64;
	uint8_t rex = 0, op;
	size_t i = 0, rm_len;
	int err = 0;
	struct mmio_insn d = { 0 };

	if (len > MMIO_INSN_MAX_LEN)
		len = MMIO_INSN_MAX_LEN;
	for (;; i++) {
		if (i >= len)
			return -HV_ERANGE;
		if (buf[i] == 0x66)
			opsize16 = true;
		else if (buf[i] == 0x67 && long_mode)
			continue;		/* 32-bit addressing: the same ModRM forms */
		else if (!is_segment_override(buf[i]))
			break;			/* the address is the exit's: the segment does not matter */
	}
	if (long_mode && (buf[i] & 0xf0) == 0x40) {
		rex = buf[i++];
		if (i >= len)
			return -HV_ERANGE;
	}
	op = buf[i++];
	bool wide = rex & REX_W;
	unsigned int full = wide ? 8 : opsize16 ? 2 : 4;	/* the operand size of 89, 8B, C7 */

	switch (op) {
	case 0x88: d = (struct mmio_insn){ .write = true, .size = 1 }; break;
	case 0x89: d = (struct mmio_insn){ .write = true, .size = (uint8_t)full }; break;
	case 0x8a: d = (struct mmio_insn){ .size = 1, .reg_size = 1 }; break;
	case 0x8b: d = (struct mmio_insn){ .size = (uint8_t)full, .reg_size = (uint8_t)full }; break;
	case 0xc6: d = (struct mmio_insn){ .write = true, .has_imm = true, .size = 1 }; break;
	case 0xc7: d = (struct mmio_insn){ .write = true, .has_imm = true, .size = (uint8_t)full }; break;
	case 0x0f:
		if (i >= len)
			return -HV_ERANGE;
		op = buf[i++];
		if (op != 0xb6 && op != 0xb7)
			return -HV_ENOTSUP;
		d = (struct mmio_insn){ .size = op == 0xb6 ? 1 : 2, .reg_size = (uint8_t)full };
		break;
	default:
		return -HV_ENOTSUP;
	}

	if (i >= len)
		return -HV_ERANGE;
	uint8_t modrm = buf[i];

	rm_len = modrm_length(buf, len, i, &err);
	if (err)
		return err;
	if (!rm_len)
		return -HV_ENOTSUP;	/* a register operand: no memory access to emulate */
	if (d.has_imm && MODRM_REG(modrm) != 0)
		return -HV_ENOTSUP;	/* C6/C7 with reg != 0: not MOV (XABORT/XBEGIN, or undefined) */
	d.reg = (uint8_t)(MODRM_REG(modrm) | (rex & REX_R ? 8 : 0));
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (!d.has_imm && ((d.write && d.size == 1) || d.reg_size == 1) && !rex && d.reg >= 4) {
		d.high_byte = true;
		d.reg -= 4;
	}
	i += rm_len;
	if (i > len)
		return -HV_ERANGE;

	if (d.has_imm) {
		unsigned int imm_len = d.size == 8 ? 4 : d.size;	/* REX.W C7: imm32, sign-extended */

		if (i + imm_len > len)
			return -HV_ERANGE;
		for (unsigned int k = 0; k < imm_len; k++)
			d.imm |= (uint64_t)buf[i + k] << (8 * k);
		if (d.size == 8 && (d.imm & BIT(31)))
			d.imm |= 0xffffffff00000000ULL;
		i += imm_len;
		d.reg = 0;
	}
	d.len = (uint8_t)i;
	*out = d;
	return 0;
}

static uint64_t bytes_mask(unsigned int size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

uint64_t mmio_load_result(const struct mmio_insn *insn, uint64_t old, uint64_t value)
{
	value &= bytes_mask(insn->size);
	if (insn->high_byte)
		return (old & ~0xff00ULL) | (value << 8);
	if (insn->reg_size >= 4)
		return value;		/* 32-bit destinations clear bits 63:32 */
	return (old & ~bytes_mask(insn->reg_size)) | value;
}

uint64_t mmio_store_value(const struct mmio_insn *insn, uint64_t reg_value)
{
	if (insn->has_imm)
		return insn->imm & bytes_mask(insn->size);
	if (insn->high_byte)
		return (reg_value >> 8) & 0xff;
	return reg_value & bytes_mask(insn->size);
}
