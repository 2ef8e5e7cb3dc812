/* SPDX-License-Identifier: MIT */
/* Segment selectors and descriptors (Intel SDM vol. 3A, 3.4 and 7.2.3). */
#ifndef ARCH_SEGMENT_H
#define ARCH_SEGMENT_H

#define GDT_KERNEL_CS		0x08
#define GDT_KERNEL_DS		0x10
#define GDT_TSS			0x18	/* 16-byte system descriptor: two slots */
#define GDT_ENTRIES		5

/* 64-bit code: P, DPL0, S, type execute/read, L. Data: P, S, read/write. */
#define GDT_KERNEL_CODE64_DESC	0x00209a0000000000
#define GDT_KERNEL_DATA_DESC	0x0000920000000000

/* Interrupt stack table slots (1-based as the TSS numbers them). */
#define IST_DOUBLE_FAULT	1
#define IST_NMI			2
#define IST_MACHINE_CHECK	3
#define IST_COUNT		3

#ifndef __ASSEMBLER__
#include <hv/types.h>

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");
_Static_assert(offsetof(struct tss64, ist) == 0x24, "TSS IST1 offset");

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P | DPL | type */
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

#define IDT_GATE_INTERRUPT	0x8e	/* present, DPL0, 64-bit interrupt gate */

struct descriptor_table_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;
_Static_assert(sizeof(struct descriptor_table_ptr) == 10, "lgdt/lidt operand");

#endif /* !__ASSEMBLER__ */
#endif /* ARCH_SEGMENT_H */
