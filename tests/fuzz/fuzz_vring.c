// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the consuming side of both ends of the split
 * virtqueue (guest-stubs/runtime/vring.c), where the peer's bytes come in.
 *
 * Input: byte 0 picks the end (bit 0: 0 device, 1 driver) and event index
 * (bit 1); byte 1 the queue size (1 << (byte % 6): 1..32); byte 2 the
 * device's segment array size (1 + byte % 16). Then:
 *
 *   device: the rest is a ring image copied over the region from offset 0
 *     (descriptor table, then avail area), as a hostile driver left it, and
 *     up to 4 more avail areas it writes each time the device has drained
 *     the ring; the device pops until empty or broken, touching every byte
 *     of every segment it is given (ASan sees any outside the region) and
 *     pushing every third chain back (so chains stay in flight).
 *   driver: up to 8 rounds of: a count and shape bytes of chains the driver
 *     adds through the library, then a used.idx and a used-ring image a
 *     hostile device wrote, then reaping until empty or broken.
 *
 * Beyond "no crash", each end's decisions are checked against a reference
 * written independently and naively (a visited set instead of a length
 * bound, a shadow of what is outstanding): accepted exactly when valid,
 * results as the reference says, and broken is final.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <runtime/vring.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REGION_SIZE	4096
#define REGION_GPA	0x10000ULL
#define MAX_Q		32

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t next_byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* ---- Device: pop from an arbitrary ring image. ---- */

/* The reference: would a correct device accept the next chain? */
static bool ref_chain_ok(const struct vring_config *c, uint16_t last_avail, uint32_t in_flight, unsigned max_segs)
{
	const struct virtq_avail *a = c->avail;
	const struct virtq_desc *d = c->desc;
	uint16_t pending = (uint16_t)(a->idx - last_avail);
	bool visited[MAX_Q] = { 0 };
	bool seen_writable = false;
	uint64_t total = 0;
	unsigned n = 0;

	if (pending == 0 || pending > c->qsize || in_flight >= c->qsize)
		return false;
	uint32_t i = a->ring[last_avail % c->qsize];
	for (;;) {
		if (i >= c->qsize || visited[i])
			return false;
		visited[i] = true;
		const struct virtq_desc *e = &d[i];
		if (e->flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE) || !e->len)
			return false;
		if (seen_writable && !(e->flags & VIRTQ_DESC_F_WRITE))
			return false;
		seen_writable = e->flags & VIRTQ_DESC_F_WRITE;
		if (e->addr < REGION_GPA || e->addr - REGION_GPA > REGION_SIZE ||
		    e->len > REGION_SIZE - (e->addr - REGION_GPA))
			return false;
		total += e->len;
		if (total > REGION_SIZE || ++n > max_segs)
			return false;
		if (!(e->flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = e->next;
	}
}

static void fuzz_device(struct input *in, uint8_t *mem, uint32_t qsize, bool event_idx, unsigned max_segs)
{
	struct vring_region r = { .host = mem, .gpa = REGION_GPA, .size = REGION_SIZE };
	struct vring_config cfg;
	struct vring vq;
	struct vring_buf segs[16];
	struct vring_chain ch;
	uint32_t in_flight = 0;
	uint16_t last_avail = 0;
	int refills = 0;

	if (vring_config_at(&cfg, &r, qsize, 0, event_idx) || vring_device_init(&vq, &cfg))
		abort();
	/* The first image: descriptor table and avail area. */
	size_t avail_end = (size_t)((uint8_t *)cfg.avail - mem) + VIRTQ_AVAIL_SIZE(qsize), n;
	n = in->left < avail_end ? in->left : avail_end;
	memcpy(mem, in->p, n);
	in->p += n;
	in->left -= n;

	for (int round = 0; round < 8 * MAX_Q; round++) {
		/* Drained: the driver rewrites its avail area (up to 4 times). */
		if (((const struct virtq_avail *)cfg.avail)->idx == last_avail && in->left && refills++ < 4) {
			n = in->left < VIRTQ_AVAIL_SIZE(qsize) ? in->left : VIRTQ_AVAIL_SIZE(qsize);
			memcpy(cfg.avail, in->p, n);
			in->p += n;
			in->left -= n;
		}
		bool expect_ok = ref_chain_ok(&cfg, last_avail, in_flight, max_segs);
		bool empty = ((const struct virtq_avail *)cfg.avail)->idx == last_avail;
		int head = vring_pop(&vq, segs, max_segs, &ch);

		if (head == -HV_EAGAIN) {
			if (!empty || vring_broken(&vq))
				abort();
			break;
		}
		if (head == -HV_EIO) {
			if (expect_ok || !vring_broken(&vq) || !vring_broken(&vq)[0] ||
			    vring_pop(&vq, segs, max_segs, &ch) != -HV_EIO || vring_push_used(&vq, 0, 0) != -HV_EIO)
				abort();
			break;
		}
		if (!expect_ok || head < 0 || (uint32_t)head >= qsize || ch.head != head ||
		    ch.n_out + ch.n_in > max_segs || ch.n_out + ch.n_in == 0)
			abort();
		uint64_t out_len = 0, in_len = 0;
		unsigned sum = 0;
		for (unsigned k = 0; k < (unsigned)(ch.n_out + ch.n_in); k++) {
			const struct vring_buf *s = &segs[k];
			if (s->writable != (k >= ch.n_out) || !s->len || s->gpa < REGION_GPA ||
			    s->gpa - REGION_GPA + s->len > REGION_SIZE || (uint8_t *)s->host != mem + (s->gpa - REGION_GPA))
				abort();
			/* Touch every byte the device was given. */
			if (s->writable) {
				memset(s->host, 0x5a, s->len);
				in_len += s->len;
			} else {
				for (uint32_t b = 0; b < s->len; b++)
					sum += ((const uint8_t *)s->host)[b];
				out_len += s->len;
			}
		}
		(void)sum;
		if (out_len != ch.out_len || in_len != ch.in_len || out_len + in_len > REGION_SIZE)
			abort();
		last_avail++;
		in_flight++;
		/* Give back every third chain, so in-flight chains accumulate too. */
		if (round % 3 == 2) {
			if (vring_push_used(&vq, ch.head, ch.in_len))
				abort();
			in_flight--;
		}
		(void)vring_notify_needed(&vq);
		(void)vring_enable_kicks(&vq);
	}
}

/* ---- Driver: reap an arbitrary used ring after adding buffers. ---- */

static void fuzz_driver(struct input *in, uint8_t *mem, uint32_t qsize, bool event_idx)
{
	struct vring_region r = { .host = mem, .gpa = REGION_GPA, .size = REGION_SIZE };
	struct vring_desc_state state[MAX_Q];
	struct vring_config cfg;
	struct vring vq;
	/* The shadow: which heads are outstanding and their writable bytes. */
	bool outstanding[MAX_Q] = { 0 };
	uint32_t in_len[MAX_Q] = { 0 }, chain_len[MAX_Q] = { 0 };
	uint32_t n_outstanding = 0, n_free = qsize;
	uint16_t last_used = 0;

	if (vring_config_at(&cfg, &r, qsize, 0, event_idx) || vring_driver_init(&vq, &cfg, state))
		abort();
	struct virtq_used *used = cfg.used;

	for (int round = 0; round < 8 && in->left; round++) {
		/* Add chains: shape byte = readable count (bits 0-1), writable (2-3), length (4-7). */
		unsigned adds = next_byte(in) % (qsize + 1);
		for (unsigned a = 0; a < adds; a++) {
			uint8_t shape = next_byte(in);
			unsigned n_out = shape & 3, n_in = (shape >> 2) & 3;
			struct vring_seg segs[6];
			uint32_t len = 1 + (shape >> 4) * 37, want_in = 0;

			for (unsigned k = 0; k < n_out + n_in; k++) {
				segs[k] = (struct vring_seg){ .gpa = REGION_GPA + 2048 + 64 * k, .len = len + k };
				if (k >= n_out)
					want_in += len + k;
			}
			int id = vring_add(&vq, segs, n_out, segs + n_out, n_in);
			if (vring_broken(&vq)) {
				if (id != -HV_EIO)
					abort();
				break;
			}
			if (n_out + n_in == 0 || n_out + n_in > qsize) {
				if (id != -HV_EINVAL)
					abort();
				continue;
			}
			if (n_out + n_in > n_free) {
				if (id != -HV_ENOSPC)
					abort();
				continue;
			}
			if (id < 0 || (uint32_t)id >= qsize || outstanding[id])
				abort();
			outstanding[id] = true;
			in_len[id] = want_in;
			chain_len[id] = n_out + n_in;
			n_free -= n_out + n_in;
			n_outstanding++;
		}
		(void)vring_kick_needed(&vq);

		/* The hostile device: a used.idx and ring entries. */
		uint16_t idx = next_byte(in);
		idx |= (uint16_t)(next_byte(in) << 8);
		used->idx = idx;
		size_t ring_bytes = 8 * (size_t)qsize, n = in->left < ring_bytes ? in->left : ring_bytes;
		memcpy(used->ring, in->p, n);
		in->p += n;
		in->left -= n;

		for (;;) {
			/* What a correct driver must do with the next entry. */
			uint16_t pending = (uint16_t)(used->idx - last_used);
			const struct virtq_used_elem *e = &used->ring[last_used % qsize];
			int expect;
			if (vring_broken(&vq))
				expect = -HV_EIO;
			else if (!pending)
				expect = -HV_EAGAIN;
			else if (pending > n_outstanding || e->id >= qsize || !outstanding[e->id] || e->len > in_len[e->id])
				expect = -HV_EIO;
			else
				expect = (int)e->id;
			uint32_t len = 0xdeadbeef;
			int got = vring_get_used(&vq, &len);

			if (got != expect)
				abort();
			if (got < 0) {
				if (got == -HV_EIO && (!vring_broken(&vq) || !vring_broken(&vq)[0] || vring_num_free(&vq)))
					abort();
				break;
			}
			if (len != e->len)
				abort();
			outstanding[got] = false;
			n_free += chain_len[got];
			n_outstanding--;
			last_used++;
			if (vring_num_free(&vq) != n_free)
				abort();
		}
		if (round & 1)
			vring_disable_interrupts(&vq);
		else
			(void)vring_enable_interrupts(&vq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool driver = data[0] & 1, event_idx = data[0] & 2;
	uint32_t qsize = 1u << (data[1] % 6);
	unsigned max_segs = 1 + data[2] % 16;
	struct input in = { .p = data + 3, .left = size - 3 };
	/* Exactly the region, on the heap: ASan sees any access outside it. */
	uint8_t *mem = malloc(REGION_SIZE);

	if (!mem)
		return 0;
	memset(mem, 0, REGION_SIZE);
	if (driver)
		fuzz_driver(&in, mem, qsize, event_idx);
	else
		fuzz_device(&in, mem, qsize, event_idx, max_segs);
	free(mem);
	return 0;
}
