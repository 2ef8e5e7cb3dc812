// SPDX-License-Identifier: MIT
/*
 * The MMIO instruction decoder (hypervisor/mmio_decode.c) over real
 * encodings: each byte string is what GNU as emits for the AT&T line in
 * its comment (checked with `as --64` / `as --32` and objdump).
 */
#include <string.h>

#include <abi/errno.h>
#include <hv/mmio_decode.h>

#include "unit.h"

struct good {
	const char *as;		/* the assembly it came from */
	enum mmio_cpu_mode mode;
	uint8_t bytes[MMIO_INSN_MAX_LEN];
	uint8_t len;
	struct mmio_insn want;
};

#define M64	MMIO_MODE_64
#define M32	MMIO_MODE_32

static const struct good goods[] = {
	{ "mov (%rdi),%eax", M64, { 0x8b, 0x07 }, 2,
	  { .len = 2, .size = 4, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "mov %eax,(%rdi)", M64, { 0x89, 0x07 }, 2,
	  { .len = 2, .size = 4, .write = true, .reg = MMIO_RAX } },
	{ "mov 0x10(%rbx),%r9", M64, { 0x4c, 0x8b, 0x4b, 0x10 }, 4,
	  { .len = 4, .size = 8, .reg = MMIO_R9, .reg_size = 8 } },
	{ "mov %r10d,0x1234(%rsi,%rcx,4)", M64, { 0x44, 0x89, 0x94, 0x8e, 0x34, 0x12, 0x00, 0x00 }, 8,
	  { .len = 8, .size = 4, .write = true, .reg = MMIO_R10 } },
	{ "mov %ax,0x2(%rdx)", M64, { 0x66, 0x89, 0x42, 0x02 }, 4,
	  { .len = 4, .size = 2, .write = true, .reg = MMIO_RAX } },
	{ "mov 0x2(%rdx),%cx", M64, { 0x66, 0x8b, 0x4a, 0x02 }, 4,
	  { .len = 4, .size = 2, .reg = MMIO_RCX, .reg_size = 2 } },
	{ "mov %ah,(%rax)", M64, { 0x88, 0x20 }, 2,
	  { .len = 2, .size = 1, .write = true, .reg = MMIO_RAX, .high_byte = true } },
	{ "mov (%rax),%bh", M64, { 0x8a, 0x38 }, 2,
	  { .len = 2, .size = 1, .reg = MMIO_RBX, .high_byte = true, .reg_size = 1 } },
	{ "mov (%rax),%sil", M64, { 0x40, 0x8a, 0x30 }, 3,
	  { .len = 3, .size = 1, .reg = MMIO_RSI, .reg_size = 1 } },
	{ "mov %r12b,0x3(%r13)", M64, { 0x45, 0x88, 0x65, 0x03 }, 4,
	  { .len = 4, .size = 1, .write = true, .reg = MMIO_R12 } },
	{ "movl $0xdeadbeef,0x8(%rdi)", M64, { 0xc7, 0x47, 0x08, 0xef, 0xbe, 0xad, 0xde }, 7,
	  { .len = 7, .size = 4, .write = true, .has_imm = true, .imm = 0xdeadbeef } },
	{ "movq $-2,(%rax)", M64, { 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 7,
	  { .len = 7, .size = 8, .write = true, .has_imm = true, .imm = 0xfffffffffffffffeULL } },
	{ "movw $0x1234,(%rax)", M64, { 0x66, 0xc7, 0x00, 0x34, 0x12 }, 5,
	  { .len = 5, .size = 2, .write = true, .has_imm = true, .imm = 0x1234 } },
	{ "movb $0x5a,(%rax)", M64, { 0xc6, 0x00, 0x5a }, 3,
	  { .len = 3, .size = 1, .write = true, .has_imm = true, .imm = 0x5a } },
	{ "movzbl 0x3c(%rdi),%eax", M64, { 0x0f, 0xb6, 0x47, 0x3c }, 4,
	  { .len = 4, .size = 1, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "movzwl 0x2(%rdi),%r11d", M64, { 0x44, 0x0f, 0xb7, 0x5f, 0x02 }, 5,
	  { .len = 5, .size = 2, .reg = MMIO_R11, .reg_size = 4 } },
	{ "movzbq (%rdi),%rax", M64, { 0x48, 0x0f, 0xb6, 0x07 }, 4,
	  { .len = 4, .size = 1, .reg = MMIO_RAX, .reg_size = 8 } },
	{ "movzbw (%rdi),%dx", M64, { 0x66, 0x0f, 0xb6, 0x17 }, 4,
	  { .len = 4, .size = 1, .reg = MMIO_RDX, .reg_size = 2 } },
	{ "mov %fs:(%rax),%eax", M64, { 0x64, 0x8b, 0x00 }, 3,
	  { .len = 3, .size = 4, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "mov 0x0(%rip),%eax", M64, { 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00 }, 6,
	  { .len = 6, .size = 4, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "addr32 mov (%eax),%edx", M64, { 0x67, 0x8b, 0x10 }, 3,
	  { .len = 3, .size = 4, .reg = MMIO_RDX, .reg_size = 4 } },
	{ "mov 0x0(,%rcx,8),%eax", M64, { 0x8b, 0x04, 0xcd, 0x00, 0x00, 0x00, 0x00 }, 7,
	  { .len = 7, .size = 4, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "mov (%rsp),%eax", M64, { 0x8b, 0x04, 0x24 }, 3,
	  { .len = 3, .size = 4, .reg = MMIO_RAX, .reg_size = 4 } },
	{ "mov 0x80(%rbp),%esp", M64, { 0x8b, 0xa5, 0x80, 0x00, 0x00, 0x00 }, 6,
	  { .len = 6, .size = 4, .reg = MMIO_RSP, .reg_size = 4 } },
	/* 32-bit protected mode: no REX; the same ModRM forms. */
	{ "mov 0xb0000010,%ecx (as --32)", M32, { 0x8b, 0x0d, 0x10, 0x00, 0x00, 0xb0 }, 6,
	  { .len = 6, .size = 4, .reg = MMIO_RCX, .reg_size = 4 } },
	{ "mov %dl,0x4(%esi) (as --32)", M32, { 0x88, 0x56, 0x04 }, 3,
	  { .len = 3, .size = 1, .write = true, .reg = MMIO_RDX } },
};

static bool same(const struct mmio_insn *a, const struct mmio_insn *b)
{
	return a->len == b->len && a->size == b->size && a->write == b->write && a->has_imm == b->has_imm &&
	       a->imm == b->imm && a->reg == b->reg && a->high_byte == b->high_byte &&
	       a->reg_size == b->reg_size;
}

TEST(decodes_driver_moves)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct mmio_insn d;
		int rc = mmio_decode(g->bytes, g->len, g->mode, &d);

		if (rc || !same(&d, &g->want))
			unit_fail(__FILE__, __LINE__, "%s: rc %d len %u size %u write %d reg %u hi %d rsz %u imm %#llx",
				  g->as, rc, d.len, d.size, d.write, d.reg, d.high_byte, d.reg_size,
				  (unsigned long long)d.imm);
	}
}

/* The bytes after the instruction do not matter; the bytes before its end all do. */
TEST(length_is_exact_and_truncation_is_detected)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		uint8_t buf[MMIO_INSN_MAX_LEN];
		struct mmio_insn d;

		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, g->bytes, g->len);
		CHECK_EQ(mmio_decode(buf, sizeof(buf), g->mode, &d), 0);
		CHECK_EQ(d.len, g->len);
		for (size_t n = 0; n < g->len; n++)
			if (mmio_decode(g->bytes, n, g->mode, &d) != -HV_ERANGE)
				unit_fail(__FILE__, __LINE__, "%s truncated to %zu bytes is not -HV_ERANGE", g->as, n);
	}
}

TEST(refuses_everything_else)
{
	static const struct {
		const char *as;
		enum mmio_cpu_mode mode;
		uint8_t bytes[8];
		uint8_t len;
	} bad[] = {
		{ "lock addl $0x1,(%rax)", M64, { 0xf0, 0x83, 0x00, 0x01 }, 4 },
		{ "lock mov (lock prefix on a MOV: #UD)", M64, { 0xf0, 0x8b, 0x07 }, 3 },
		{ "rep movsb", M64, { 0xf3, 0xa4 }, 2 },
		{ "mov %eax,%ebx (no memory operand)", M64, { 0x89, 0xc3 }, 2 },
		{ "movzbl %al,%eax (no memory operand)", M64, { 0x0f, 0xb6, 0xc0 }, 3 },
		{ "add (%rax),%eax", M64, { 0x03, 0x00 }, 2 },
		{ "movabs 0xb0000000,%eax (moffs)", M64, { 0xa1, 0, 0, 0, 0xb0, 0, 0, 0 }, 8 },
		{ "c7 /1: not MOV", M64, { 0xc7, 0x08, 1, 2, 3, 4 }, 6 },
		{ "xbegin (c7 f8)", M64, { 0xc7, 0xf8, 0, 0, 0, 0 }, 6 },
		{ "inc %eax then mov (32-bit: 40 is INC, not REX)", M32, { 0x40, 0x8b, 0x07 }, 3 },
		{ "addr16 mov (32-bit: 16-bit addressing)", M32, { 0x67, 0x8b, 0x07 }, 3 },
		{ "rex then 66 (REX must come last)", M64, { 0x48, 0x66, 0x8b, 0x07 }, 4 },
		{ "0f 0b (ud2)", M64, { 0x0f, 0x0b }, 2 },
		{ "vex c5", M64, { 0xc5, 0xf8, 0x77 }, 3 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mmio_insn d;
		int rc = mmio_decode(bad[i].bytes, bad[i].len, bad[i].mode, &d);

		if (rc != -HV_ENOTSUP)
			unit_fail(__FILE__, __LINE__, "%s: rc %d, not -HV_ENOTSUP", bad[i].as, rc);
	}
}

TEST(fifteen_bytes_at_most)
{
	uint8_t buf[32];
	struct mmio_insn d;

	/* 14 operand-size prefixes and MOV (%rdi),%ax: 16 bytes, one past the limit. */
	memset(buf, 0x66, 14);
	buf[14] = 0x8b;
	buf[15] = 0x07;
	CHECK_EQ(mmio_decode(buf, sizeof(buf), M64, &d), -HV_ERANGE);
	/* 13 prefixes: 15 bytes, allowed. */
	CHECK_EQ(mmio_decode(buf + 1, sizeof(buf) - 1, M64, &d), 0);
	CHECK_EQ(d.len, 15);
	CHECK_EQ(d.size, 2);
}

TEST(load_results_merge_like_the_cpu)
{
	struct mmio_insn d;
	const uint64_t old = 0x1122334455667788ULL;

	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x8b, 0x07 }, 2, M64, &d), 0);		/* mov (%rdi),%eax */
	CHECK_EQ(mmio_load_result(&d, old, 0xdeadbeef), 0xdeadbeef);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x66, 0x8b, 0x4a, 0x02 }, 4, M64, &d), 0);	/* mov 2(%rdx),%cx */
	CHECK_EQ(mmio_load_result(&d, old, 0xbeef), 0x112233445566beefULL);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x8a, 0x38 }, 2, M64, &d), 0);		/* mov (%rax),%bh */
	CHECK_EQ(mmio_load_result(&d, old, 0xab), 0x112233445566ab88ULL);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x40, 0x8a, 0x30 }, 3, M64, &d), 0);	/* mov (%rax),%sil */
	CHECK_EQ(mmio_load_result(&d, old, 0xab), 0x11223344556677abULL);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x0f, 0xb6, 0x47, 0x3c }, 4, M64, &d), 0);	/* movzbl */
	CHECK_EQ(mmio_load_result(&d, old, 0xff), 0xff);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x66, 0x0f, 0xb6, 0x17 }, 4, M64, &d), 0);	/* movzbw */
	CHECK_EQ(mmio_load_result(&d, old, 0x1ff), 0x11223344556600ffULL);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x4c, 0x8b, 0x4b, 0x10 }, 4, M64, &d), 0);	/* mov 0x10(%rbx),%r9 */
	CHECK_EQ(mmio_load_result(&d, old, 0x0123456789abcdefULL), 0x0123456789abcdefULL);
}

TEST(store_values)
{
	struct mmio_insn d;

	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x88, 0x20 }, 2, M64, &d), 0);		/* mov %ah,(%rax) */
	CHECK_EQ(mmio_store_value(&d, 0x1234), 0x12);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x66, 0x89, 0x42, 0x02 }, 4, M64, &d), 0);	/* mov %ax,2(%rdx) */
	CHECK_EQ(mmio_store_value(&d, 0xaabbccdd), 0xccdd);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 7, M64, &d), 0);
	CHECK_EQ(mmio_store_value(&d, 0), 0xfffffffffffffffeULL);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0xc6, 0x00, 0x5a }, 3, M64, &d), 0);	/* movb $0x5a,(%rax) */
	CHECK_EQ(mmio_store_value(&d, 0xffff), 0x5a);
}
