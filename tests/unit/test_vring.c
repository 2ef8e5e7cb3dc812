// SPDX-License-Identifier: MIT
/*
 * The split virtqueue library (guest-stubs/runtime/vring.c): a driver and a
 * device over one simulated shared region. Normal operation, 16-bit index
 * wraparound, notification suppression and its races, then a hostile peer
 * on each side, each case asserting the exact broken reason. Last, the two
 * ends on two threads, checking that no notification is ever lost.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <runtime/vring.h>

#include "unit.h"

#define REGION_SIZE	(1024 * 1024)
#define REGION_GPA	0x80000000ULL
#define DATA_OFF	(512 * 1024)		/* buffers live here, rings below */
#define BUF_GPA(k)	(REGION_GPA + DATA_OFF + (uint64_t)(k) * 2048)
#define MAX_Q		1024

static uint8_t region_mem[REGION_SIZE] __attribute__((aligned(4096)));
static struct vring drv, dev;
static struct vring_desc_state state[MAX_Q];
static struct vring_config cfg;

/* Fresh, zeroed region with a queue of qsize at offset 0; both ends ready. */
static void setup_pair(uint32_t qsize, bool event_idx)
{
	struct vring_region r = { .host = region_mem, .gpa = REGION_GPA, .size = REGION_SIZE };

	memset(region_mem, 0xa5, sizeof(region_mem));	/* the driver must zero the rings */
	CHECK_EQ(vring_config_at(&cfg, &r, qsize, 0, event_idx), 0);
	CHECK_EQ(vring_driver_init(&drv, &cfg, state), 0);
	CHECK_EQ(vring_device_init(&dev, &cfg), 0);
}

/* The rings as the test (playing the hostile peer) writes them. */
static struct virtq_desc *D(void) { return cfg.desc; }
static struct virtq_avail *A(void) { return cfg.avail; }
static struct virtq_used *Uq(void) { return cfg.used; }
static le16 *used_event(void) { return &A()->ring[cfg.qsize]; }
static le16 *avail_event(void) { return (le16 *)&Uq()->ring[cfg.qsize]; }

static int add1(uint64_t gpa, uint32_t len, bool writable)
{
	struct vring_seg s = { .gpa = gpa, .len = len };

	return writable ? vring_add(&drv, NULL, 0, &s, 1) : vring_add(&drv, &s, 1, NULL, 0);
}

TEST(layout_offsets)
{
	struct vring_layout l;

	CHECK_EQ(vring_layout(256, 0, &l), 0);
	CHECK_EQ(l.desc_off, 0);
	CHECK_EQ(l.avail_off, 4096);
	CHECK_EQ(l.used_off, 4672);		/* 4096 + 6 + 512 = 4614, up to 64 */
	CHECK_EQ(l.end_off, 4672 + 6 + 8 * 256);
	CHECK_EQ(vring_layout(1, 5, &l), 0);
	CHECK_EQ(l.desc_off, 16);
	CHECK_EQ(l.avail_off, 32);
	CHECK_EQ(l.used_off, 64);
	CHECK_EQ(l.end_off, 78);
	CHECK_EQ(vring_layout(VIRTQ_MAX_SIZE, 4096, &l), 0);
	CHECK_EQ(l.end_off - l.desc_off, 16 * 32768 + 6 + 2 * 32768 + 58 + 6 + 8 * 32768);
	CHECK_EQ(vring_layout(0, 0, &l), -HV_EINVAL);
	CHECK_EQ(vring_layout(3, 0, &l), -HV_EINVAL);
	CHECK_EQ(vring_layout(65536, 0, &l), -HV_EINVAL);
	CHECK_EQ(vring_layout(8, UINT64_MAX - 100, &l), -HV_EOVERFLOW);
}

TEST(config_is_checked)
{
	struct vring_region r = { .host = region_mem, .gpa = REGION_GPA, .size = 4096 };
	struct vring_config c;
	struct vring q;

	CHECK_EQ(vring_config_at(&c, &r, 256, 0, false), -HV_ERANGE);	/* 6726 bytes > 4096 */
	CHECK_EQ(vring_config_at(&c, &r, 64, 0, false), 0);
	CHECK_EQ(vring_driver_init(&q, &c, state), 0);
	struct vring_config bad = c;
	bad.desc = region_mem + 8;		/* not 16-aligned */
	CHECK_EQ(vring_driver_init(&q, &bad, state), -HV_EINVAL);
	bad = c;
	bad.used = region_mem + 4096 - 8;	/* runs past the region */
	CHECK_EQ(vring_device_init(&q, &bad), -HV_EINVAL);
	bad = c;
	bad.avail = (uint8_t *)c.desc + 16;	/* overlaps the descriptor table */
	CHECK_EQ(vring_device_init(&q, &bad), -HV_EINVAL);
	bad = c;
	bad.qsize = 48;
	CHECK_EQ(vring_device_init(&q, &bad), -HV_EINVAL);
	bad = c;
	bad.region.gpa = REGION_GPA + 2;	/* GPA of the used area not 4-aligned */
	CHECK_EQ(vring_device_init(&q, &bad), -HV_EINVAL);
	CHECK_EQ(vring_driver_init(&q, &c, NULL), -HV_EINVAL);
}

TEST(empty_ring)
{
	struct vring_buf segs[4];
	struct vring_chain ch;
	uint32_t len;

	setup_pair(8, false);
	CHECK_EQ(A()->idx, 0);
	CHECK_EQ(Uq()->idx, 0);
	CHECK_EQ(D()[3].addr, 0);
	CHECK_EQ(vring_pop(&dev, segs, 4, &ch), -HV_EAGAIN);
	CHECK_EQ(vring_get_used(&drv, &len), -HV_EAGAIN);
	CHECK_EQ(vring_num_free(&drv), 8);
	CHECK(!vring_kick_needed(&drv));	/* nothing added */
	CHECK(!vring_notify_needed(&dev));	/* nothing pushed */
	CHECK(vring_broken(&drv) == NULL);
	CHECK(vring_broken(&dev) == NULL);
}

TEST(chain_round_trip)
{
	struct vring_seg out[2] = { { BUF_GPA(0), 12 }, { BUF_GPA(1) + 3, 100 } };
	struct vring_seg in[1] = { { BUF_GPA(2), 1500 } };
	struct vring_buf segs[4];
	struct vring_chain ch;
	uint32_t len = 0;

	setup_pair(8, false);
	memcpy(region_mem + DATA_OFF + 2048 + 3, "hello", 5);
	int head = vring_add(&drv, out, 2, in, 1);
	CHECK(head >= 0 && head < 8);
	CHECK_EQ(vring_num_free(&drv), 5);
	CHECK_EQ(A()->idx, 1);
	CHECK(vring_kick_needed(&drv));

	CHECK_EQ(vring_pop(&dev, segs, 4, &ch), head);
	CHECK_EQ(ch.head, head);
	CHECK_EQ(ch.n_out, 2);
	CHECK_EQ(ch.n_in, 1);
	CHECK_EQ(ch.out_len, 112);
	CHECK_EQ(ch.in_len, 1500);
	CHECK_EQ(segs[0].gpa, BUF_GPA(0));
	CHECK_EQ(segs[0].len, 12);
	CHECK(!segs[0].writable);
	CHECK(segs[1].host == region_mem + DATA_OFF + 2048 + 3);
	CHECK(!memcmp(segs[1].host, "hello", 5));
	CHECK(segs[2].writable);
	CHECK_EQ(segs[2].len, 1500);
	memcpy(segs[2].host, "reply", 5);
	CHECK_EQ(vring_pop(&dev, segs, 4, &ch), -HV_EAGAIN);

	CHECK_EQ(vring_push_used(&dev, ch.head, 5), 0);
	CHECK_EQ(Uq()->idx, 1);
	CHECK(vring_notify_needed(&dev));
	CHECK_EQ(vring_get_used(&drv, &len), head);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(region_mem + DATA_OFF + 4096, "reply", 5));
	CHECK_EQ(vring_num_free(&drv), 8);
	CHECK_EQ(vring_get_used(&drv, &len), -HV_EAGAIN);
}

TEST(full_ring)
{
	struct vring_buf segs[2];
	struct vring_chain ch;
	bool seen[8] = { 0 };
	uint32_t len;

	setup_pair(8, false);
	for (int k = 0; k < 8; k++) {
		int id = add1(BUF_GPA(k), 64, k & 1);
		CHECK(id >= 0 && id < 8 && !seen[id]);
		if (id >= 0 && id < 8)
			seen[id] = true;
	}
	CHECK_EQ(vring_num_free(&drv), 0);
	CHECK_EQ(add1(BUF_GPA(9), 64, false), -HV_ENOSPC);
	/* Popping does not free descriptors: only reaping does. */
	for (int k = 0; k < 8; k++)
		CHECK(vring_pop(&dev, segs, 2, &ch) >= 0);
	CHECK_EQ(vring_pop(&dev, segs, 2, &ch), -HV_EAGAIN);
	CHECK_EQ(add1(BUF_GPA(9), 64, false), -HV_ENOSPC);
	/* Used in another order than available: 7, 6, ..., 0. */
	for (int k = 7; k >= 0; k--)
		CHECK_EQ(vring_push_used(&dev, (uint16_t)k, 0), 0);
	CHECK_EQ(vring_push_used(&dev, 0, 0), -HV_EINVAL);	/* none in flight */
	for (int k = 7; k >= 0; k--)
		CHECK_EQ(vring_get_used(&drv, &len), k);
	CHECK_EQ(vring_num_free(&drv), 8);
	/* A chain needs as many free descriptors as segments. */
	struct vring_seg s[3] = { { BUF_GPA(0), 8 }, { BUF_GPA(1), 8 }, { BUF_GPA(2), 8 } };
	for (int k = 0; k < 3; k++)
		CHECK(vring_add(&drv, s, 2, NULL, 0) >= 0);
	CHECK_EQ(vring_num_free(&drv), 2);
	CHECK_EQ(vring_add(&drv, s, 3, NULL, 0), -HV_ENOSPC);
	CHECK(vring_add(&drv, s, 1, s + 1, 1) >= 0);
	CHECK_EQ(vring_num_free(&drv), 0);
}

TEST(driver_refuses_bad_segments)
{
	struct vring_seg s = { BUF_GPA(0), 16 };

	setup_pair(8, false);
	CHECK_EQ(vring_add(&drv, NULL, 0, NULL, 0), -HV_EINVAL);
	CHECK_EQ(add1(REGION_GPA - 16, 16, false), -HV_EINVAL);
	CHECK_EQ(add1(REGION_GPA + REGION_SIZE - 8, 16, true), -HV_EINVAL);
	CHECK_EQ(add1(UINT64_MAX - 4, 16, false), -HV_EINVAL);
	CHECK_EQ(add1(BUF_GPA(0), 0, false), -HV_EINVAL);
	CHECK_EQ(vring_add(&drv, &s, 9, NULL, 0), -HV_EINVAL);	/* more than qsize */
	CHECK_EQ(vring_add_tx(&drv, BUF_GPA(0), 11), -HV_EINVAL);	/* shorter than the net header */
	CHECK_EQ(vring_num_free(&drv), 8);
	CHECK(vring_broken(&drv) == NULL);	/* our own mistakes do not break the queue */
	/* The device end has no driver calls and vice versa. */
	CHECK_EQ(vring_add(&dev, &s, 1, NULL, 0), -HV_EINVAL);
	CHECK_EQ(vring_push_used(&drv, 0, 0), -HV_EINVAL);
}

TEST(net_helpers)
{
	struct vring_buf segs[2];
	struct vring_chain ch;
	uint32_t len;

	setup_pair(4, false);
	int tx = vring_add_tx(&drv, BUF_GPA(0), sizeof(struct virtio_net_hdr_v1) + 60);
	int rx = vring_add_rx(&drv, BUF_GPA(1), 1526);
	CHECK(tx >= 0 && rx >= 0);
	CHECK_EQ(vring_pop(&dev, segs, 2, &ch), tx);
	CHECK(ch.n_out == 1 && ch.n_in == 0 && ch.out_len == 72 && !segs[0].writable);
	CHECK_EQ(vring_pop(&dev, segs, 2, &ch), rx);
	CHECK(ch.n_out == 0 && ch.n_in == 1 && ch.in_len == 1526 && segs[0].writable);
	CHECK_EQ(vring_push_used(&dev, (uint16_t)rx, 1526), 0);
	CHECK_EQ(vring_get_used(&drv, &len), rx);
	CHECK_EQ(len, 1526);
}

/* > 65536 operations through a small queue: both 16-bit indices wrap. */
static void wrap_run(uint32_t qsize, bool event_idx)
{
	uint64_t rng = 12345;
	uint32_t ops = 0, reaped = 0, kicks = 0;
	struct vring_buf segs[8];
	struct vring_chain ch;

	setup_pair(qsize, event_idx);
	vring_enable_kicks(&dev);
	while (ops < 70000 + qsize) {
		/* Fill with chains of 1..min(3, qsize) segments. */
		for (;;) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			unsigned n = 1 + (unsigned)(rng >> 60) % (qsize < 3 ? qsize : 3);
			struct vring_seg s[3];
			for (unsigned k = 0; k < n; k++)
				s[k] = (struct vring_seg){ BUF_GPA(k), 100 + (uint32_t)k };
			unsigned n_out = (unsigned)(rng >> 40) % (n + 1);
			int id = vring_add(&drv, s, n_out, s + n_out, n - n_out);
			if (id == -HV_ENOSPC)
				break;
			CHECK(id >= 0);
			if (id < 0)
				return;
			ops++;
		}
		if (vring_kick_needed(&drv))
			kicks++;
		int head;
		while ((head = vring_pop(&dev, segs, 8, &ch)) >= 0) {
			CHECK_EQ(ch.out_len + ch.in_len, 100u * (ch.n_out + ch.n_in) + (ch.n_out + ch.n_in) * (ch.n_out + ch.n_in - 1u) / 2);
			CHECK_EQ(vring_push_used(&dev, (uint16_t)head, ch.in_len), 0);
		}
		CHECK_EQ(head, -HV_EAGAIN);
		CHECK_EQ(vring_enable_kicks(&dev), 0);
		vring_notify_needed(&dev);
		uint32_t len;
		while ((head = vring_get_used(&drv, &len)) >= 0)
			reaped++;
		CHECK_EQ(head, -HV_EAGAIN);
		CHECK_EQ(vring_num_free(&drv), qsize);
		if (vring_broken(&drv) || vring_broken(&dev))
			break;
	}
	CHECK_EQ(reaped, ops);
	CHECK_EQ(A()->idx, (uint16_t)ops);
	CHECK_EQ(Uq()->idx, (uint16_t)ops);
	CHECK(ops > 65536);
	/* The device re-enabled kicks after each batch: one kick per batch. */
	CHECK(kicks > 0);
	CHECK(vring_broken(&drv) == NULL);
	CHECK(vring_broken(&dev) == NULL);
}

TEST(index_wraparound)
{
	wrap_run(1, false);
	wrap_run(2, true);
	wrap_run(4, false);
	wrap_run(8, true);
}

TEST(need_event_arithmetic)
{
	/* Entries old..new-1 were just published: is entry event among them? */
	CHECK(vring_need_event(0, 1, 0));
	CHECK(!vring_need_event(1, 1, 1));		/* nothing new */
	CHECK(vring_need_event(5, 9, 2));
	CHECK(vring_need_event(2, 9, 2));		/* the first new entry */
	CHECK(vring_need_event(8, 9, 2));		/* the last new entry */
	CHECK(!vring_need_event(9, 9, 2));		/* not published yet */
	CHECK(!vring_need_event(1, 9, 2));		/* already before old: told then */
	/* Across the wrap: entries 0xfffe, 0xffff, 0, 1, 2. */
	CHECK(vring_need_event(0xfffe, 0x0003, 0xfffe));
	CHECK(vring_need_event(0xffff, 0x0003, 0xfffe));
	CHECK(vring_need_event(0x0000, 0x0003, 0xfffe));
	CHECK(vring_need_event(0x0002, 0x0003, 0xfffe));
	CHECK(!vring_need_event(0x0003, 0x0003, 0xfffe));
	CHECK(!vring_need_event(0xfffd, 0x0003, 0xfffe));
	CHECK(!vring_need_event(0x8000, 0x0003, 0xfffe));
	CHECK(vring_need_event(0xffff, 0x0000, 0xffff));
	/* A full 2^16 window is empty (new == old). */
	CHECK(!vring_need_event(0x1234, 0x5678, 0x5678));
}

TEST(kick_suppression)
{
	struct vring_buf segs[1];
	struct vring_chain ch;

	/* Flags: the device's NO_NOTIFY hint. */
	setup_pair(8, false);
	CHECK(add1(BUF_GPA(0), 8, false) >= 0);
	CHECK(vring_kick_needed(&drv));
	CHECK(!vring_kick_needed(&drv));		/* nothing new since */
	vring_disable_kicks(&dev);
	CHECK_EQ(Uq()->flags, VIRTQ_USED_F_NO_NOTIFY);
	CHECK(add1(BUF_GPA(1), 8, false) >= 0);
	CHECK(!vring_kick_needed(&drv));
	CHECK_EQ(vring_enable_kicks(&dev), 1);		/* the race: two arrived unkicked */
	CHECK_EQ(Uq()->flags, 0);

	/* Event index: avail_event says which entry to kick for. */
	setup_pair(8, true);
	CHECK_EQ(vring_enable_kicks(&dev), 0);
	CHECK_EQ(*avail_event(), 0);
	CHECK(add1(BUF_GPA(0), 8, false) >= 0);
	CHECK(vring_kick_needed(&drv));			/* entry 0 added */
	CHECK(add1(BUF_GPA(1), 8, false) >= 0);
	CHECK(!vring_kick_needed(&drv));		/* the device has not asked again */
	CHECK(vring_pop(&dev, segs, 1, &ch) >= 0);
	CHECK_EQ(vring_enable_kicks(&dev), 1);		/* entry 1 is there: pop it first */
	CHECK(vring_pop(&dev, segs, 1, &ch) >= 0);
	CHECK_EQ(vring_enable_kicks(&dev), 0);
	CHECK_EQ(*avail_event(), 2);
	CHECK(add1(BUF_GPA(2), 8, false) >= 0);
	CHECK(add1(BUF_GPA(3), 8, false) >= 0);
	CHECK(vring_kick_needed(&drv));			/* entry 2 in (1, 3] */
	vring_disable_kicks(&dev);
	CHECK_EQ(Uq()->flags, 0);			/* flags stay 0 with event index */
	CHECK(add1(BUF_GPA(4), 8, false) >= 0);
	CHECK(!vring_kick_needed(&drv));
}

TEST(interrupt_suppression_and_race)
{
	struct vring_buf segs[1];
	struct vring_chain ch;
	uint32_t len;

	for (int ev = 0; ev < 2; ev++) {
		setup_pair(8, ev);
		for (int k = 0; k < 4; k++)
			CHECK(add1(BUF_GPA(k), 8, true) >= 0);
		for (int k = 0; k < 4; k++)
			CHECK(vring_pop(&dev, segs, 1, &ch) >= 0);
		/* Interrupts wanted: the first push signals. */
		CHECK_EQ(vring_enable_interrupts(&drv), 0);
		CHECK_EQ(vring_push_used(&dev, 0, 1), 0);
		CHECK(vring_notify_needed(&dev));
		/* The driver polls with interrupts off: no signal. */
		vring_disable_interrupts(&drv);
		CHECK_EQ(A()->flags, ev ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT);
		CHECK_EQ(vring_get_used(&drv, &len), 0);
		CHECK_EQ(vring_push_used(&dev, 1, 1), 0);
		CHECK(!vring_notify_needed(&dev));
		/* The race: re-enabling finds entry 1 pending, so the driver
		 * must not wait for an interrupt that will not come. */
		CHECK_EQ(vring_enable_interrupts(&drv), 1);
		CHECK_EQ(vring_get_used(&drv, &len), 1);
		CHECK_EQ(vring_enable_interrupts(&drv), 0);
		if (ev)
			CHECK_EQ(*used_event(), 2);
		CHECK_EQ(vring_push_used(&dev, 2, 1), 0);
		CHECK(vring_notify_needed(&dev));
		if (ev) {
			/* Not reaped yet: the driver has not asked about entry 3. */
			CHECK_EQ(vring_push_used(&dev, 3, 1), 0);
			CHECK(!vring_notify_needed(&dev));
		}
	}
}

/* ---- A hostile driver, seen from the device. ---- */

static void forge_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	D()[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void forge_avail(uint16_t head)
{
	A()->ring[A()->idx & (cfg.qsize - 1)] = head;
	A()->idx++;
}

/* Pop what was forged; expect the queue broken with exactly this reason. */
static void expect_dev_broken(unsigned max_segs, const char *reason)
{
	struct vring_buf segs[16];
	struct vring_chain ch;

	CHECK_EQ(vring_pop(&dev, segs, max_segs, &ch), -HV_EIO);
	CHECK(vring_broken(&dev) != NULL);
	if (vring_broken(&dev))
		CHECK_STR_EQ(vring_broken(&dev), reason);
	/* Fails fast from now on, whatever the ring says. */
	CHECK_EQ(vring_pop(&dev, segs, max_segs, &ch), -HV_EIO);
	CHECK_EQ(vring_push_used(&dev, 0, 0), -HV_EIO);
	CHECK(!vring_notify_needed(&dev));
	CHECK_EQ(vring_enable_kicks(&dev), -HV_EIO);
}

TEST(hostile_descriptor_loop)
{
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT, 1);
	forge_desc(1, BUF_GPA(1), 16, VIRTQ_DESC_F_NEXT, 0);
	forge_avail(0);
	expect_dev_broken(16, "desc chain from head 0 loops (more than qsize 8 descriptors)");
	/* A descriptor pointing at itself. */
	setup_pair(8, false);
	forge_desc(5, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	forge_avail(5);
	expect_dev_broken(4, "desc chain from head 5 loops (more than qsize 8 descriptors)");
}

TEST(hostile_next_out_of_range)
{
	setup_pair(8, false);
	forge_desc(2, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT, 3);
	forge_desc(3, BUF_GPA(1), 16, VIRTQ_DESC_F_NEXT, 8);
	forge_avail(2);
	expect_dev_broken(16, "desc 3: next 8 >= qsize 8");
	setup_pair(8, false);
	forge_avail(0xffff);
	expect_dev_broken(16, "avail.ring[0]: head 65535 >= qsize 8");
}

TEST(hostile_chain_too_long)
{
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT, 1);
	forge_desc(1, BUF_GPA(1), 16, VIRTQ_DESC_F_NEXT, 2);
	forge_desc(2, BUF_GPA(2), 16, 0, 0);
	forge_avail(0);
	expect_dev_broken(2, "desc chain from head 0: 3 descriptors > 2 segments");
	/* The same chain fits three segments. */
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT, 1);
	forge_desc(1, BUF_GPA(1), 16, VIRTQ_DESC_F_NEXT, 2);
	forge_desc(2, BUF_GPA(2), 16, 0, 0);
	forge_avail(0);
	struct vring_buf segs[3];
	struct vring_chain ch;
	CHECK_EQ(vring_pop(&dev, segs, 3, &ch), 0);
	CHECK_EQ(ch.n_out, 3);
}

TEST(hostile_addr_outside_region)
{
	static const struct { uint64_t addr; uint32_t len; const char *reason; } cases[] = {
		{ REGION_GPA - 1, 16, "desc 0: addr 0x7fffffff len 16 outside region 0x80000000 size 0x100000" },
		{ REGION_GPA + REGION_SIZE - 15, 16,
		  "desc 0: addr 0x800ffff1 len 16 outside region 0x80000000 size 0x100000" },
		{ REGION_GPA + REGION_SIZE, 1, "desc 0: addr 0x80100000 len 1 outside region 0x80000000 size 0x100000" },
		{ 0xfffffffffffffff0ULL, 0x20,
		  "desc 0: addr 0xfffffffffffffff0 len 32 outside region 0x80000000 size 0x100000" },
		{ REGION_GPA + 16, 0xffffffff,
		  "desc 0: addr 0x80000010 len 4294967295 outside region 0x80000000 size 0x100000" },
		{ 0, 16, "desc 0: addr 0x0 len 16 outside region 0x80000000 size 0x100000" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		setup_pair(8, false);
		forge_desc(0, cases[k].addr, cases[k].len, 0, 0);
		forge_avail(0);
		expect_dev_broken(16, cases[k].reason);
	}
	/* The last byte of the region is fine. */
	setup_pair(8, false);
	forge_desc(0, REGION_GPA + REGION_SIZE - 1, 1, 0, 0);
	forge_avail(0);
	struct vring_buf segs[1];
	struct vring_chain ch;
	CHECK_EQ(vring_pop(&dev, segs, 1, &ch), 0);
	CHECK(segs[0].host == region_mem + REGION_SIZE - 1);
}

/* A channel keeps descriptors out of its rings: vring_restrict_buffers(). */
TEST(restricted_buffer_area)
{
	struct vring_buf segs[1];
	struct vring_chain ch;

	setup_pair(8, false);
	CHECK_EQ(vring_restrict_buffers(&dev, REGION_GPA + DATA_OFF, REGION_SIZE - DATA_OFF), 0);
	forge_desc(0, REGION_GPA, 16, 0, 0);	/* the descriptor table itself */
	forge_avail(0);
	expect_dev_broken(1, "desc 0: addr 0x80000000 len 16 outside region 0x80080000 size 0x80000");
	/* Inside the area: the host pointer follows. */
	setup_pair(8, false);
	CHECK_EQ(vring_restrict_buffers(&dev, REGION_GPA + DATA_OFF, REGION_SIZE - DATA_OFF), 0);
	forge_desc(0, BUF_GPA(1), 16, 0, 0);
	forge_avail(0);
	CHECK_EQ(vring_pop(&dev, segs, 1, &ch), 0);
	CHECK(segs[0].host == region_mem + DATA_OFF + 2048);
	/* The driver refuses such a segment as the caller's mistake. */
	CHECK_EQ(vring_restrict_buffers(&drv, REGION_GPA + DATA_OFF, REGION_SIZE - DATA_OFF), 0);
	CHECK_EQ(add1(REGION_GPA + 64, 16, false), -HV_EINVAL);
	CHECK(vring_broken(&drv) == NULL);
	/* Only a non-empty range inside the region. */
	CHECK_EQ(vring_restrict_buffers(&dev, REGION_GPA + DATA_OFF, 0), -HV_EINVAL);
	CHECK_EQ(vring_restrict_buffers(&dev, REGION_GPA - 4096, 8192), -HV_EINVAL);
	CHECK_EQ(vring_restrict_buffers(&dev, REGION_GPA + REGION_SIZE, 1), -HV_EINVAL);
}

TEST(hostile_flags_and_lengths)
{
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	forge_desc(1, BUF_GPA(1), 16, 0, 0);
	forge_avail(0);
	expect_dev_broken(16, "desc 1: readable after writable");

	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_INDIRECT, 0);
	forge_avail(0);
	expect_dev_broken(16, "desc 0: INDIRECT not negotiated");

	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, VIRTQ_DESC_F_NEXT, 1);
	forge_desc(1, BUF_GPA(0), 16, 0x8 | VIRTQ_DESC_F_WRITE, 0);
	forge_avail(0);
	expect_dev_broken(16, "desc 1: unknown flags 0xa");

	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 0, 0, 0);
	forge_avail(0);
	expect_dev_broken(16, "desc 0: len 0");

	/* Each segment in the region, the same bytes named many times. */
	setup_pair(8, false);
	for (uint16_t i = 0; i < 8; i++)
		forge_desc(i, REGION_GPA, REGION_SIZE / 4, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	D()[7].flags = 0;
	forge_avail(0);
	expect_dev_broken(16, "desc chain from head 0: total length 1310720 > 1048576");
}

TEST(hostile_avail_idx_jump)
{
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, 0, 0);
	A()->idx = 9;
	expect_dev_broken(16, "avail.idx 9 is 9 ahead of last seen 0 (qsize 8)");

	/* Exactly qsize ahead is fine; then far ahead of what was seen. */
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, 0, 0);
	A()->idx = 8;
	struct vring_buf segs[1];
	struct vring_chain ch;
	CHECK_EQ(vring_pop(&dev, segs, 1, &ch), 0);
	A()->idx = 0x8001;
	expect_dev_broken(16, "avail.idx 32769 is 32768 ahead of last seen 1 (qsize 8)");

	/* The same head over and over: more chains in flight than descriptors. */
	setup_pair(8, false);
	forge_desc(0, BUF_GPA(0), 16, 0, 0);
	for (int k = 0; k < 8; k++)
		forge_avail(0);
	for (int k = 0; k < 8; k++)
		CHECK_EQ(vring_pop(&dev, segs, 1, &ch), 0);
	forge_avail(0);
	expect_dev_broken(16, "avail.idx 9: more than qsize 8 chains in flight");
}

TEST(device_reinit_clears_broken)
{
	struct vring_buf segs[1];
	struct vring_chain ch;

	setup_pair(8, false);
	forge_avail(8);
	expect_dev_broken(1, "avail.ring[0]: head 8 >= qsize 8");
	memset(cfg.avail, 0, VIRTQ_AVAIL_SIZE(8));
	CHECK_EQ(vring_device_init(&dev, &cfg), 0);
	CHECK(vring_broken(&dev) == NULL);
	CHECK_EQ(vring_pop(&dev, segs, 1, &ch), -HV_EAGAIN);
}

/* ---- A hostile device, seen from the driver. ---- */

static void forge_used(uint32_t id, uint32_t len)
{
	Uq()->ring[Uq()->idx & (cfg.qsize - 1)] = (struct virtq_used_elem){ .id = id, .len = len };
	Uq()->idx++;
}

static void expect_drv_broken(const char *reason)
{
	uint32_t len;

	CHECK_EQ(vring_get_used(&drv, &len), -HV_EIO);
	CHECK(vring_broken(&drv) != NULL);
	if (vring_broken(&drv))
		CHECK_STR_EQ(vring_broken(&drv), reason);
	CHECK_EQ(vring_get_used(&drv, &len), -HV_EIO);
	CHECK_EQ(add1(BUF_GPA(0), 16, false), -HV_EIO);
	CHECK(!vring_kick_needed(&drv));
	CHECK_EQ(vring_enable_interrupts(&drv), -HV_EIO);
	CHECK_EQ(vring_num_free(&drv), 0);
}

TEST(hostile_used_id)
{
	uint32_t len;

	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, true), 0);
	forge_used(8, 0);
	expect_drv_broken("used.ring[0]: id 8 >= qsize 8");

	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, true), 0);
	forge_used(0x80000000u, 0);
	expect_drv_broken("used.ring[0]: id 2147483648 >= qsize 8");

	/* A free descriptor. */
	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, true), 0);
	forge_used(1, 0);
	expect_drv_broken("used.ring[0]: id 1 not outstanding");

	/* The second descriptor of an outstanding chain is not a head. */
	setup_pair(8, false);
	struct vring_seg s[2] = { { BUF_GPA(0), 16 }, { BUF_GPA(1), 16 } };
	CHECK_EQ(vring_add(&drv, s, 1, s + 1, 1), 0);
	forge_used(1, 0);
	expect_drv_broken("used.ring[0]: id 1 not outstanding");

	/* Returned twice. */
	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, true), 0);
	CHECK_EQ(add1(BUF_GPA(1), 16, true), 1);
	forge_used(0, 16);
	forge_used(0, 16);
	CHECK_EQ(vring_get_used(&drv, &len), 0);
	expect_drv_broken("used.ring[1]: id 0 not outstanding");
}

TEST(hostile_used_len_and_idx)
{
	uint32_t len;

	setup_pair(8, false);
	struct vring_seg s[3] = { { BUF_GPA(0), 50 }, { BUF_GPA(1), 60 }, { BUF_GPA(2), 40 } };
	CHECK_EQ(vring_add(&drv, s, 1, s + 1, 2), 0);
	forge_used(0, 101);
	expect_drv_broken("used.ring[0]: len 101 > writable 100 of id 0");

	/* A chain with nothing writable: any len but 0 is a lie. */
	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, false), 0);
	forge_used(0, 1);
	expect_drv_broken("used.ring[0]: len 1 > writable 0 of id 0");

	/* Exactly the writable length is fine. */
	setup_pair(8, false);
	CHECK_EQ(vring_add(&drv, s, 1, s + 1, 2), 0);
	forge_used(0, 100);
	CHECK_EQ(vring_get_used(&drv, &len), 0);
	CHECK_EQ(len, 100);

	/* used.idx ahead of what is outstanding. */
	setup_pair(8, false);
	CHECK_EQ(add1(BUF_GPA(0), 16, true), 0);
	Uq()->idx = 3;
	expect_drv_broken("used.idx 3 is 3 ahead of last seen 0, 1 outstanding");
	setup_pair(8, false);
	Uq()->idx = 0xffff;				/* backwards */
	expect_drv_broken("used.idx 65535 is 65535 ahead of last seen 0, 0 outstanding");
}

TEST(driver_reinit_clears_broken)
{
	uint32_t len;

	setup_pair(8, false);
	Uq()->idx = 1;
	expect_drv_broken("used.idx 1 is 1 ahead of last seen 0, 0 outstanding");
	CHECK_EQ(vring_driver_init(&drv, &cfg, state), 0);
	CHECK(vring_broken(&drv) == NULL);
	CHECK_EQ(Uq()->idx, 0);
	CHECK_EQ(vring_get_used(&drv, &len), -HV_EAGAIN);
	CHECK_EQ(vring_num_free(&drv), 8);
}

/* ---- Both ends on two threads: data intact, no notification lost. ---- */

#define THREAD_PACKETS	200000
#define THREAD_Q	16

static volatile int kick_pending, irq_pending;
static volatile int stop_threads;

/* Wait for *flag for at most 5 s; false on timeout (a lost notification). */
static bool wait_flag(volatile int *flag)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned spins = 0;; spins++) {
		if (__atomic_exchange_n(flag, 0, __ATOMIC_SEQ_CST))
			return true;
		if (stop_threads)
			return false;
		if (spins % 64 == 0) {
			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 5)
				return false;
		}
	}
}

static int device_errors;

static void *device_thread(void *arg)
{
	struct vring_buf segs[2];
	struct vring_chain ch;
	uint32_t expect = 0;

	(void)arg;
	while (expect < THREAD_PACKETS) {
		int head = vring_pop(&dev, segs, 2, &ch);

		if (head == -HV_EAGAIN) {
			if (vring_enable_kicks(&dev) == 1)
				continue;
			if (!wait_flag(&kick_pending)) {
				device_errors++;	/* lost kick */
				break;
			}
			continue;
		}
		if (head < 0 || ch.n_out != 1 || ch.n_in != 1) {
			device_errors++;
			break;
		}
		vring_disable_kicks(&dev);
		uint32_t seq;
		memcpy(&seq, segs[0].host, 4);
		if (seq != expect++)
			device_errors++;
		seq = ~seq;
		memcpy(segs[1].host, &seq, 4);
		vring_push_used(&dev, (uint16_t)head, 4);
		if (vring_notify_needed(&dev))
			__atomic_store_n(&irq_pending, 1, __ATOMIC_SEQ_CST);
	}
	if (device_errors)
		stop_threads = 1;	/* the driver stops waiting */
	return NULL;
}

static void run_threads(bool event_idx)
{
	static uint32_t seq_of[THREAD_Q];
	uint32_t sent = 0, done = 0, bad = 0, lost = 0;
	pthread_t t;

	setup_pair(THREAD_Q, event_idx);
	kick_pending = irq_pending = stop_threads = 0;
	device_errors = 0;
	CHECK_EQ(pthread_create(&t, NULL, device_thread, NULL), 0);
	while (done < THREAD_PACKETS && !stop_threads) {
		while (sent < THREAD_PACKETS && vring_num_free(&drv) >= 2) {
			/* Packet n: out buffer 2 * (n % 64), in buffer 2 * (n % 64) + 1
			 * (at most 8 chains outstanding, so never reused early). */
			struct vring_seg out = { BUF_GPA(2 * (sent % 64)), 4 }, in = { BUF_GPA(2 * (sent % 64) + 1), 4 };
			memcpy(region_mem + (out.gpa - REGION_GPA), &sent, 4);
			int id = vring_add(&drv, &out, 1, &in, 1);
			if (id < 0) {
				bad++;
				break;
			}
			seq_of[id] = sent++;
		}
		if (vring_kick_needed(&drv))
			__atomic_store_n(&kick_pending, 1, __ATOMIC_SEQ_CST);
		uint32_t len;
		int id;
		bool got = false;
		while ((id = vring_get_used(&drv, &len)) >= 0) {
			uint32_t reply;
			memcpy(&reply, region_mem + DATA_OFF + (2 * (seq_of[id] % 64) + 1) * 2048, 4);
			if (len != 4 || reply != ~seq_of[id])
				bad++;
			done++;
			got = true;
		}
		if (id != -HV_EAGAIN) {
			bad++;
			break;
		}
		if (got)
			continue;
		if (vring_enable_interrupts(&drv) == 1) {
			vring_disable_interrupts(&drv);
			continue;
		}
		if (!wait_flag(&irq_pending)) {
			lost++;
			break;
		}
		vring_disable_interrupts(&drv);
	}
	stop_threads = 1;
	pthread_join(t, NULL);
	CHECK_EQ(done, THREAD_PACKETS);
	CHECK_EQ(bad, 0);
	CHECK_EQ(lost, 0);
	CHECK_EQ(device_errors, 0);
	CHECK(vring_broken(&drv) == NULL && vring_broken(&dev) == NULL);
}

TEST(two_threads_flags)
{
	run_threads(false);
}

TEST(two_threads_event_idx)
{
	run_threads(true);
}
