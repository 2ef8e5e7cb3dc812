// SPDX-License-Identifier: MIT
/*
 * The hypervisor's GDT and TSS. Long mode barely uses segmentation, but VMX
 * needs a non-zero host TR on every VM exit and the TSS holds the interrupt
 * stacks (IST) that let a double fault or NMI be reported even when the
 * current stack is gone.
 */
#include <arch/memlayout.h>
#include <arch/segment.h>
#include <arch/traps.h>

static uint64_t gdt[GDT_ENTRIES] __aligned(16);
static struct tss64 tss __aligned(16);
static uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __aligned(16);

static void gdt_set_tss(uint64_t *slot, const struct tss64 *t)
{
	uint64_t base = (uint64_t)t;
	uint64_t limit = sizeof(*t) - 1;

	/* 64-bit available TSS (type 9), present (SDM vol. 3A, 8.2.3). */
	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		  ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	slot[1] = base >> 32;
}

void gdt_init(void)
{
	struct descriptor_table_ptr ptr = { .limit = sizeof(gdt) - 1, .base = (uint64_t)gdt };

	gdt[0] = 0;
	gdt[GDT_KERNEL_CS / 8] = GDT_KERNEL_CODE64_DESC;
	gdt[GDT_KERNEL_DS / 8] = GDT_KERNEL_DATA_DESC;
	for (int i = 0; i < IST_COUNT; i++)
		tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss);	/* no I/O permission bitmap */
	gdt_set_tss(&gdt[GDT_TSS / 8], &tss);

	__asm__ volatile("lgdt %0\n"
			 "pushq %1\n"
			 "leaq 1f(%%rip), %%rax\n"
			 "pushq %%rax\n"
			 "lretq\n"
			 "1:\n"
			 "movl %2, %%eax\n"
			 "movl %%eax, %%ds\n"
			 "movl %%eax, %%es\n"
			 "movl %%eax, %%ss\n"
			 "ltr %w3\n"
			 :: "m"(ptr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"(GDT_TSS)
			 : "rax", "memory");
}
