// SPDX-License-Identifier: MIT
/*
 * Bitmap frame allocator. Pure logic over a map() callback, so it runs
 * unchanged in the host unit tests.
 */
#include <abi/errno.h>
#include <hv/frame.h>
#include <hv/string.h>

static struct {
	uint64_t *bits;		/* bit set = frame free */
	uint64_t *usable;	/* bit set = RAM, not reserved: may be handed out at all */
	uint64_t frames;	/* frames covered by the bitmap */
	uint64_t free;
	uint64_t total;
	uint64_t hint;		/* word index where the last single-frame search ended */
	paddr_t bitmap_pa;
} fa;

static bool frame_is_free(uint64_t f)
{
	return fa.bits[f / 64] & BIT(f % 64);
}

static bool frame_is_usable(uint64_t f)
{
	return fa.usable[f / 64] & BIT(f % 64);
}

static void frame_set_free(uint64_t f, bool is_free)
{
	if (is_free)
		fa.bits[f / 64] |= BIT(f % 64);
	else
		fa.bits[f / 64] &= ~BIT(f % 64);
}

/* Frames wholly inside [base, base + size): rounded inward. */
static void frames_inside(const struct phys_range *r, uint64_t *first, uint64_t *end)
{
	*first = ALIGN_UP(r->base, FRAME_SIZE) / FRAME_SIZE;
	*end = ALIGN_DOWN(r->base + r->size, FRAME_SIZE) / FRAME_SIZE;
}

/* Frames touched by [base, base + size): rounded outward. */
static void frames_touched(const struct phys_range *r, uint64_t *first, uint64_t *end)
{
	*first = ALIGN_DOWN(r->base, FRAME_SIZE) / FRAME_SIZE;
	*end = ALIGN_UP(r->base + r->size, FRAME_SIZE) / FRAME_SIZE;
}

/*
 * Lowest address in RAM below limit where len bytes fit without touching a
 * reserved range; 0 if there is none.
 */
static paddr_t find_bitmap_home(const struct phys_range *ram, size_t ram_count,
				const struct phys_range *reserved, size_t reserved_count,
				uint64_t len, paddr_t limit)
{
	paddr_t best = 0;

	for (size_t i = 0; i < ram_count; i++) {
		paddr_t start = ALIGN_UP(ram[i].base, FRAME_SIZE);
		paddr_t end = ALIGN_DOWN(ram[i].base + ram[i].size, FRAME_SIZE);
		if (!start)
			start = FRAME_SIZE;	/* frame 0 is never used */

		bool moved = true;
		while (moved && start + len <= end) {
			moved = false;
			for (size_t j = 0; j < reserved_count; j++) {
				if (ranges_overlap(start, len, reserved[j].base, reserved[j].size)) {
					start = ALIGN_UP(reserved[j].base + reserved[j].size, FRAME_SIZE);
					moved = true;
				}
			}
		}
		if (start + len <= end && start + len <= limit && (!best || start < best))
			best = start;
	}
	return best;
}

int frame_init(const struct phys_range *ram, size_t ram_count,
	       const struct phys_range *reserved, size_t reserved_count,
	       paddr_t bitmap_limit, void *(*map)(paddr_t pa, size_t len))
{
	paddr_t top = 0;

	memset(&fa, 0, sizeof(fa));
	for (size_t i = 0; i < ram_count; i++) {
		if (range_wraps(ram[i].base, ram[i].size))
			return -HV_EINVAL;
		top = MAX(top, ram[i].base + ram[i].size);
	}
	for (size_t i = 0; i < reserved_count; i++)
		if (range_wraps(reserved[i].base, reserved[i].size))
			return -HV_EINVAL;

	uint64_t frames = ALIGN_DOWN(top, FRAME_SIZE) / FRAME_SIZE;
	uint64_t words = ALIGN_UP(frames, 64) / 64;
	uint64_t bitmap_len = ALIGN_UP(2 * words * 8, FRAME_SIZE);	/* free + usable */
	paddr_t home = find_bitmap_home(ram, ram_count, reserved, reserved_count,
					bitmap_len, bitmap_limit);
	if (!frames || !home)
		return -HV_ENOMEM;

	fa.bits = map(home, bitmap_len);
	fa.usable = fa.bits + words;
	fa.frames = frames;
	fa.bitmap_pa = home;
	memset(fa.bits, 0, bitmap_len);

	for (size_t i = 0; i < ram_count; i++) {
		uint64_t first, end;

		frames_inside(&ram[i], &first, &end);
		for (uint64_t f = first; f < end && f < frames; f++)
			frame_set_free(f, true);
	}
	const struct phys_range self = { .base = home, .size = bitmap_len };
	for (size_t i = 0; i <= reserved_count; i++) {
		const struct phys_range *r = i < reserved_count ? &reserved[i] : &self;
		uint64_t first, end;

		frames_touched(r, &first, &end);
		for (uint64_t f = first; f < end && f < frames; f++)
			frame_set_free(f, false);
	}
	frame_set_free(0, false);

	memcpy(fa.usable, fa.bits, words * 8);
	for (uint64_t f = 0; f < frames; f++)
		fa.free += frame_is_free(f);
	fa.total = fa.free;
	return 0;
}

paddr_t frame_alloc(void)
{
	uint64_t words = ALIGN_UP(fa.frames, 64) / 64;

	for (uint64_t n = 0; n < words; n++) {
		uint64_t w = (fa.hint + n) % words;

		if (!fa.bits[w])
			continue;
		uint64_t f = w * 64 + (uint64_t)__builtin_ctzll(fa.bits[w]);
		frame_set_free(f, false);
		fa.free--;
		fa.hint = w;
		return f * FRAME_SIZE;
	}
	return 0;
}

paddr_t frame_alloc_contig(uint64_t count, uint64_t align_frames)
{
	if (!count || !align_frames || (align_frames & (align_frames - 1)) || count > fa.free)
		return 0;

	for (uint64_t start = align_frames; start + count <= fa.frames; start += align_frames) {
		uint64_t i = 0;

		while (i < count && frame_is_free(start + i))
			i++;
		if (i == count) {
			for (i = 0; i < count; i++)
				frame_set_free(start + i, false);
			fa.free -= count;
			return start * FRAME_SIZE;
		}
		/* Skip past the allocated frame that ended this run. */
		start = ALIGN_DOWN(start + i, align_frames);
	}
	return 0;
}

int frame_free_contig(paddr_t pa, uint64_t count)
{
	uint64_t first = pa / FRAME_SIZE;

	if (!IS_ALIGNED(pa, FRAME_SIZE) || !first || !count || first + count > fa.frames ||
	    first + count < first)
		return -HV_EINVAL;
	for (uint64_t f = first; f < first + count; f++)
		if (frame_is_free(f) || !frame_is_usable(f))
			return -HV_EINVAL;	/* double free, or never ours: nothing changes */
	for (uint64_t f = first; f < first + count; f++)
		frame_set_free(f, true);
	fa.free += count;
	return 0;
}

int frame_free(paddr_t pa)
{
	return frame_free_contig(pa, 1);
}

uint64_t frame_free_count(void)
{
	return fa.free;
}

uint64_t frame_total_count(void)
{
	return fa.total;
}

paddr_t frame_bitmap_base(void)
{
	return fa.bitmap_pa;
}
