// SPDX-License-Identifier: MIT
/*
 * netsink: a guest that connects its virtual NIC and then never drains its
 * receive queue (docs/netvm.md "Hostile guests"). The IOVM fills the
 * buffers netfront posted at connect and must then drop, and count, every
 * further frame for it, without stalling anyone else.
 *
 * It never calls netfront_poll() after connecting (which would reap and
 * re-post): it sees the attach in the handshake page and watches the
 * receive queue's used index in the region, both read-only. Once the queue
 * is full it stays up for SINK_HOLD_NS more, checks that the IOVM wrote
 * nothing beyond the posted buffers, and stops: 0 if every check passed.
 */
#include <runtime/channel.h>
#include <runtime/netfront.h>
#include <runtime/runtime.h>

#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define FILL_WAIT_NS		(30 * NSEC_PER_SEC)
#define SINK_HOLD_NS		(2 * NSEC_PER_SEC)
#define POLL_NS			(10 * NSEC_PER_MSEC)

static struct netfront nf;

/* Frames the IOVM has written into our receive queue (used.idx), from the shared ring. */
static uint16_t rx_used(void)
{
	struct vring_layout rxl;

	vring_layout(UHV_NET_QUEUE_SIZE, UHV_NET_RINGS_OFFSET, &rxl);
	const volatile struct virtq_used *used =
		(const volatile struct virtq_used *)((const uint8_t *)(uintptr_t)nf.map.region + rxl.used_off);
	return __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
}

static bool attached(void)
{
	return __atomic_load_n(&nf.shared->backend_generation, __ATOMIC_ACQUIRE) == nf.generation &&
	       nf.shared->backend_status == UHV_NET_BACKEND_ATTACHED;
}

/* Sleep in POLL_NS steps until cond() or deadline; returns cond(). */
static bool wait_for(bool (*cond)(void), uint64_t deadline)
{
	while (!cond() && time_ns() < deadline)
		sleep_ns(POLL_NS);
	return cond();
}

static bool full(void)
{
	return rx_used() >= nf.n_rx;
}

int guest_main(const struct uhv_boot_info *boot)
{
	const struct uhv_channel_info *ch = rt_channel_by_kind(UHV_CHANNEL_NET, 0);
	(void)boot;

	test_begin("sink");
	if (!test_check(ch != NULL, "no net channel"))
		test_finish();
	int err = netfront_init(&nf, ch);
	if (!test_check(err == 0, "netfront_init: %d", err))
		test_finish();
	if (!test_check(wait_for(attached, time_ns() + CONNECT_WAIT_NS), "not attached by '%s' within %llu s",
			ch->peer, (unsigned long long)(CONNECT_WAIT_NS / NSEC_PER_SEC)))
		test_finish();
	gprintf("netsink: attached (generation %u, %u receive buffers posted): never reading them\n", nf.generation,
		nf.n_rx);
	uint64_t t0 = time_ns();
	if (test_check(wait_for(full, t0 + FILL_WAIT_NS), "receive queue not full after %llu s: %u of %u used",
		       (unsigned long long)(FILL_WAIT_NS / NSEC_PER_SEC), rx_used(), nf.n_rx)) {
		uint64_t filled = time_ns();
		sleep_ns(SINK_HOLD_NS);
		uint16_t n = rx_used();
		test_check(n == nf.n_rx, "the IOVM wrote %u frames into %u posted buffers", n, nf.n_rx);
		test_check(attached(), "the port did not stay attached (status %u)", nf.shared->backend_status);
		test_log("netsink: receive queue full after %llu ms: %u/%u buffers used, none read; held %llu ms, "
			 "still %u used", (unsigned long long)((filled - t0) / NSEC_PER_MSEC), n, nf.n_rx,
			 (unsigned long long)(SINK_HOLD_NS / NSEC_PER_MSEC), n);
	}
	test_end();
	test_finish();
}
