// SPDX-License-Identifier: MIT
#include <abi/errno.h>
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/memory.h>
#include <hv/mm.h>
#include <hv/selftest.h>
#include <hv/string.h>

static const struct boot_info *boot;

/* A read of a non-canonical address: #GP in ring 0, which must panic. */
static int test_ring0_gp(void)
{
	volatile uint64_t *p = (volatile uint64_t *)0x8000000000000000ULL;

	pr_info("selftest: reading non-canonical address %p", (void *)p);
	(void)*p;
	return -HV_EIO;		/* not reached */
}

/* A write to an unmapped page: #PF in ring 0, which must panic. */
static int test_ring0_pagefault(void)
{
	volatile uint64_t *p = (volatile uint64_t *)0x1000;	/* low half: unmapped */

	pr_info("selftest: writing unmapped address %p", (void *)p);
	*p = 0xdead;
	return -HV_EIO;
}

/* An invalid opcode in ring 0. */
static int test_ring0_ud(void)
{
	pr_info("selftest: executing ud2");
	__asm__ volatile("ud2");
	return -HV_EIO;
}

/* A write to the hypervisor's own code: W^X must turn it into a #PF. */
static int test_write_text(void)
{
	volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)test_ring0_ud;

	pr_info("selftest: writing to hypervisor text at %p", (void *)code);
	*code = 0xcc;
	return -HV_EIO;
}

static bool frame_is_ram(paddr_t pa)
{
	for (uint32_t i = 0; i < boot->mmap_count; i++) {
		const struct boot_mem_region *r = &boot->mmap[i];

		if (r->type == BOOT_MEM_AVAILABLE && pa >= r->base &&
		    pa + FRAME_SIZE <= r->base + r->length)
			return true;
	}
	return false;
}

/*
 * Take every free frame on this machine's real memory map and check that
 * each is RAM and outside every reserved range, then give them all back.
 */
static int test_frames(void)
{
	struct phys_range reserved[4 + BOOT_MAX_MODULES + BOOT_MAX_ELF_SECTIONS];
	size_t nres = mm_reserved_ranges(boot, reserved, ARRAY_SIZE(reserved));
	uint64_t free_before = frame_free_count(), taken = 0, bad = 0;
	paddr_t pa, first = 0, last = 0;

	while ((pa = frame_alloc()) != 0) {
		bool ok = frame_is_ram(pa);

		for (size_t i = 0; i < nres && ok; i++)
			ok = !ranges_overlap(pa, FRAME_SIZE, reserved[i].base, reserved[i].size);
		if (!ok && bad++ < 5)
			pr_err("selftest: frame %#llx is reserved or not RAM", (unsigned long long)pa);
		/* Chain the frames through their first word to free them afterwards. */
		*(paddr_t *)phys_to_virt(pa) = first;
		first = pa;
		last = MAX(last, pa);
		taken++;
	}
	while (first) {
		paddr_t next = *(paddr_t *)phys_to_virt(first);

		if (frame_free(first))
			bad++;
		first = next;
	}
	pr_info("selftest: %llu frames allocated (highest %#llx), %llu bad, %llu free again",
		(unsigned long long)taken, (unsigned long long)last, (unsigned long long)bad,
		(unsigned long long)frame_free_count());
	return !bad && taken == free_before && frame_free_count() == free_before ? 0 : -HV_EIO;
}

/*
 * Unbounded recursion: the stack runs into the unmapped guard page, the
 * CPU cannot push the page-fault frame, and the double fault arrives on its
 * own IST stack, where it can still be reported.
 */
static volatile int recursion_limit = 1 << 30;	/* never reached: the guard page is */

static int recurse(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth >= recursion_limit)
		return 0;
	return recurse(depth + 1) + pad[0];
}

static int test_stack_overflow(void)
{
	pr_info("selftest: recursing until the boot stack overflows");
	return recurse(0);
}

/*
 * An exception at an instruction listed in .ex_table resumes at its fixup
 * (the mechanism behind rdmsr_safe). A ud2 is used because emulators differ
 * on which MSRs fault: QEMU's TCG returns 0 for unknown ones.
 */
static int test_extable(void)
{
	int err = 0;

	__asm__ volatile(ASM_FAULT_SAFE("ud2") : [err] "+r"(err) : [eio] "i"(-HV_EIO));
	if (err != -HV_EIO) {
		pr_err("selftest: ud2 under .ex_table did not reach its fixup");
		return -HV_EIO;
	}
	pr_info("selftest: recovered from #UD through .ex_table");
	return 0;
}

static const struct {
	const char *name;
	int (*run)(void);
} selftests[] = {
	{ "ring0-gp", test_ring0_gp },
	{ "ring0-pagefault", test_ring0_pagefault },
	{ "ring0-ud", test_ring0_ud },
	{ "extable", test_extable },
	{ "stack-overflow", test_stack_overflow },
	{ "write-text", test_write_text },
	{ "frames", test_frames },
	{ "vtd-blocked-dma", selftest_vtd_blocked_dma },	/* selftest_iommu.c */
};

int selftest_run(const char *name, const struct boot_info *bi)
{
	boot = bi;
	for (size_t i = 0; i < sizeof(selftests) / sizeof(selftests[0]); i++) {
		if (!strcmp(name, selftests[i].name)) {
			int err = selftests[i].run();

			pr_info("selftest: %s %s", name, err ? "FAILED" : "passed");
			return err;
		}
	}
	pr_err("selftest: no test named '%s'", name);
	return -HV_ENOENT;
}
