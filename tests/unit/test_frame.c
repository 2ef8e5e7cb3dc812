// SPDX-License-Identifier: MIT
/* hypervisor/mm/frame.c: the frame allocator over a simulated memory map. */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/frame.h>

#include "unit.h"

#define MiB_ (1024ULL * 1024)

static void *bitmap_storage;
static paddr_t bitmap_pa;

static void *fake_map(paddr_t pa, size_t len)
{
	free(bitmap_storage);
	bitmap_storage = malloc(len);
	memset(bitmap_storage, 0xa5, len);	/* frame_init must not rely on zeroed memory */
	bitmap_pa = pa;
	return bitmap_storage;
}

/* QEMU q35 with 512 MiB, as GRUB reports it (the RAM entries). */
static const struct phys_range qemu_ram[] = {
	{ .base = 0, .size = 0x9fc00 },
	{ .base = 0x100000, .size = 0x1ffdf000 - 0x100000 },
};

static bool in_range(paddr_t pa, const struct phys_range *r)
{
	return pa >= r->base && pa < r->base + r->size;
}

TEST(never_hands_out_reserved_frames_or_the_bitmap)
{
	const struct phys_range reserved[] = {
		{ .base = 0, .size = MiB_ },			/* low memory */
		{ .base = 0x200000, .size = 0x25000 },		/* the image */
		{ .base = 0x300000, .size = 12345 },		/* an odd-sized module */
	};
	CHECK_EQ(frame_init(qemu_ram, 2, reserved, 3, 4096 * MiB_, fake_map), 0);
	uint64_t free_before = frame_free_count();
	CHECK(free_before > 0);
	CHECK(!in_range(bitmap_pa, &reserved[0]) && !in_range(bitmap_pa, &reserved[1]));

	uint64_t n = 0;
	paddr_t pa;
	uint64_t bitmap_len = 2 * ((0x1ffdf000 / 4096 + 63) / 64) * 8;
	while ((pa = frame_alloc()) != 0) {
		CHECK(pa % 4096 == 0);
		for (int i = 0; i < 3; i++)
			CHECK(!in_range(pa, &reserved[i]) &&
			      !in_range(pa + 4095, &reserved[i]));
		CHECK(pa < bitmap_pa || pa >= bitmap_pa + bitmap_len);
		CHECK(pa + 4096 <= 0x1ffdf000);
		n++;
	}
	CHECK_EQ(n, free_before);
	CHECK_EQ(frame_free_count(), 0);
	/* 0x300000 + 12345 rounds outward: the module's last partial frame is reserved. */
	CHECK_EQ(frame_free(0x303000), -HV_EINVAL);
}

TEST(frames_are_distinct_and_reusable)
{
	const struct phys_range reserved[] = { { .base = 0, .size = MiB_ } };
	CHECK_EQ(frame_init(qemu_ram, 2, reserved, 1, 4096 * MiB_, fake_map), 0);

	paddr_t a = frame_alloc(), b = frame_alloc(), c = frame_alloc();
	CHECK(a && b && c && a != b && b != c && a != c);
	uint64_t free_now = frame_free_count();
	CHECK_EQ(frame_free(b), 0);
	CHECK_EQ(frame_free_count(), free_now + 1);
	CHECK_EQ(frame_free(b), -HV_EINVAL);		/* double free */
	CHECK_EQ(frame_free_count(), free_now + 1);
	CHECK_EQ(frame_free(0x1000), -HV_EINVAL);	/* reserved, never ours */
	CHECK_EQ(frame_free(a + 1), -HV_EINVAL);	/* unaligned */
	CHECK_EQ(frame_free(0x40000000), -HV_EINVAL);	/* beyond RAM */
}

TEST(contiguous_runs_respect_alignment_and_holes)
{
	const struct phys_range ram[] = {
		{ .base = 0x100000, .size = 0x300000 },		/* 1-4 MiB */
		{ .base = 0x500000, .size = 0x600000 },		/* 5-11 MiB */
	};
	const struct phys_range reserved[] = { { .base = 0x100000, .size = 0x1000 } };
	CHECK_EQ(frame_init(ram, 2, reserved, 1, 4096 * MiB_, fake_map), 0);

	paddr_t big = frame_alloc_contig(512, 512);		/* 2 MiB, 2 MiB aligned */
	CHECK_EQ(big, 0x200000);				/* the lowest aligned run */
	/* The next one may not straddle the 4-5 MiB hole: 6-8 MiB. */
	paddr_t next = frame_alloc_contig(512, 512);
	CHECK_EQ(next, 0x600000);
	/* Unaligned runs fill the gaps first: 0x102000 is the first frame after the bitmap. */
	CHECK_EQ(frame_alloc_contig(3, 1), 0x102000);
	CHECK_EQ(frame_free_contig(next, 512), 0);
	CHECK_EQ(frame_alloc_contig(0, 1), 0);
	CHECK_EQ(frame_alloc_contig(1, 3), 0);			/* alignment not a power of two */
	CHECK_EQ(frame_alloc_contig(4096, 1), 0);		/* more than exists */
	CHECK_EQ(frame_free_contig(big, 512), 0);
	CHECK_EQ(frame_alloc_contig(512, 512), big);		/* the same run is found again */
}

TEST(rejects_wrapping_ranges_and_memory_without_room)
{
	const struct phys_range wraps[] = { { .base = ~0ULL - 4095, .size = 8192 } };
	CHECK_EQ(frame_init(wraps, 1, NULL, 0, 4096 * MiB_, fake_map), -HV_EINVAL);

	const struct phys_range tiny[] = { { .base = 0, .size = 4096 } };
	CHECK_EQ(frame_init(tiny, 1, NULL, 0, 4096 * MiB_, fake_map), -HV_ENOMEM);

	/* RAM only above the bitmap limit: nowhere to put the bitmap. */
	const struct phys_range high[] = { { .base = 8192 * MiB_, .size = 64 * MiB_ } };
	CHECK_EQ(frame_init(high, 1, NULL, 0, 4096 * MiB_, fake_map), -HV_ENOMEM);
}
