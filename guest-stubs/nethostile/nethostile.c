// SPDX-License-Identifier: MIT
/*
 * nethostile: a guest that attacks the network IOVM through its own net
 * channel (docs/netvm.md "Hostile guests"), beside a well-behaved pair on
 * the same switch. Test convention (tests/policies/vm-net-hostile.policy):
 * with our address and MAC at n, the soaking netping guest A is at n - 2,
 * its netecho peer B at n - 1 and the never-draining netsink guest D at
 * n + 1 (IPv4 address and MAC's last byte alike). In order:
 *
 *   meet     ping A, B and the gateway until each answers (the gateway's MAC
 *            comes from our ARP cache);
 *   spoof    NETHOSTILE_SPOOFS frames of EtherType NET_ETH_TYPE_EXP1 whose
 *            source is not our MAC: A's (to B), a random unicast (broadcast),
 *            the gateway's (to A); the IOVM drops and counts each (asserted by
 *            the harness); then every transmit buffer must come back and the
 *            gateway, A and B still answer our legitimate pings;
 *   flood    NETHOSTILE_FLOOD unicast frames to D (which never reads its
 *            receive queue) and NETHOSTILE_FLOOD_BCAST broadcasts, EtherType
 *            NET_ETH_TYPE_EXP2; then A and B still answer;
 *   corrupt  three times, on a quiet transmit queue (every buffer back): the
 *            available index moved more than a queue ahead; a descriptor
 *            naming the handshake page (outside the buffer area); a
 *            two-descriptor loop; each time a notification, then the IOVM
 *            must reset our port with the exact reason (checked against
 *            backend_error), netfront reconnects with a new generation, and
 *            the gateway answers a ping again;
 *   reconnect on purpose with frames in flight (UDP to B's echo port),
 *            with no detach timeout, then ping the gateway and B;
 *   tamper   with the backend's own handshake fields, each rewrite followed
 *            by a notification: after generation 0 (the IOVM lets go once)
 *            NETHOSTILE_TAMPERS times as if it still served us: it must not
 *            let go again; after a reset (avail.idx jump) NETHOSTILE_TAMPERS
 *            times naming another generation: it must not serve the reset one
 *            again. It keeps its own record and never reads its fields back.
 *            Each time netfront reconnects afterwards;
 *   churn    NETHOSTILE_CHURN reconnects in a row, each as soon as the last
 *            one is attached (netfront quiet: the counters say how many):
 *            the IOVM must serve each one, its lines about our port stay
 *            within its log budget (asserted by the harness), and A, B
 *            and the gateway still answer;
 *   end      "uhv-soak-stop" to A's soak port (A's traffic with B spans all
 *            of the above), every transmit buffer back, counters.
 * It stops with 0 if every check passed, else 1.
 */
#include <runtime/netguest.h>
#include <runtime/runtime.h>

#define NETHOSTILE_SPOOFS	20
#define NETHOSTILE_FLOOD	200
#define NETHOSTILE_FLOOD_BCAST	8
#define NETHOSTILE_IN_FLIGHT	16	/* UDP datagrams queued just before the deliberate reconnect */
#define NETHOSTILE_TAMPERS	16	/* rewrites of the backend's handshake fields */
#define TAMPER_GEN		0x7777	/* the backend_generation we pretend it wrote */
#define NETHOSTILE_CHURN	100	/* reconnects in a row */
#define TAMPER_WAIT_NS		(20 * NSEC_PER_MSEC)
#define PING_ID			0x6876
#define SRC_PORT		40017
#define ECHO_PORT		7
#define SOAK_PORT		40008	/* netping's */
#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define MEET_WAIT_NS		(20 * NSEC_PER_SEC)
#define REPLY_WAIT_NS		(3 * NSEC_PER_SEC)
#define RESET_WAIT_NS		(5 * NSEC_PER_SEC)
#define TIMER_NS		(200 * NSEC_PER_MSEC)

static const char SOAK_STOP[] = "uhv-soak-stop";
/* A locally administered unicast address nobody has. */
static const uint8_t random_mac[NET_ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x0f, 0x0f };

static struct netguest g;
static uint16_t seq;
static uint8_t frame[NET_FRAME_MAX];

struct station {
	const char *name;
	uint32_t ip;		/* network order */
	uint8_t mac[NET_ETH_ALEN];
	char ip_s[16];
};

static struct station st_a, st_b, st_d, st_gw;

/* Our address and MAC moved by delta (the test's convention for the other guests). */
static void neighbour(struct station *s, const char *name, int delta)
{
	s->name = name;
	s->ip = __builtin_bswap32((uint32_t)((int)__builtin_bswap32(g.nif.cfg.ipv4) + delta));
	memcpy(s->mac, g.nif.cfg.mac, NET_ETH_ALEN);
	s->mac[5] = (uint8_t)(s->mac[5] + delta);
	netguest_ip_str(s->ip, s->ip_s);
}

/* One ping to s; true if the reply came within wait_ns and checked out. */
static bool ping_once(const struct station *s, uint64_t wait_ns)
{
	uint16_t q = seq++;
	size_t size = (q * 61u) % 200;
	struct net_ping_reply r;

	if (net_ping_send(&g.nif, s->ip, PING_ID, q, size))
		return false;
	uint64_t deadline = time_ns() + wait_ns;
	while (time_ns() < deadline) {
		netguest_turn(&g, deadline);
		while (net_ping_poll(&g.nif, &r))
			if (r.src_ip == s->ip && r.id == PING_ID && r.seq == q)
				return r.len == size && r.payload_ok;
	}
	return false;
}

/* Ping s until it answers or MEET_WAIT_NS; logs and checks. */
static bool meet(const struct station *s)
{
	uint64_t deadline = time_ns() + MEET_WAIT_NS;
	unsigned int tries = 0;
	bool ok = false;

	while (!ok && time_ns() < deadline) {
		tries++;
		ok = ping_once(s, NSEC_PER_SEC);
	}
	return test_check(ok, "%s (%s) did not answer a ping within %llu s (%u tries)", s->name, s->ip_s,
			  (unsigned long long)(MEET_WAIT_NS / NSEC_PER_SEC), tries);
}

/* Every step after the meeting: s must answer the first ping (3 s). */
static bool answers(const struct station *s, const char *when)
{
	return test_check(ping_once(s, REPLY_WAIT_NS), "%s: %s (%s) did not answer a ping", when, s->name,
			  s->ip_s);
}

/* Send a raw frame, waiting for a transmit buffer when all are out. */
static int send_raw(const uint8_t *dst, const uint8_t *src, uint16_t type, unsigned int n, size_t len)
{
	memcpy(frame, dst, NET_ETH_ALEN);
	memcpy(frame + 6, src, NET_ETH_ALEN);
	frame[12] = (uint8_t)(type >> 8);
	frame[13] = (uint8_t)type;
	memset(frame + NET_ETH_HLEN, 0, len - NET_ETH_HLEN);
	format((char *)frame + NET_ETH_HLEN, len - NET_ETH_HLEN, "uhv-hostile %04x %u", type, n);
	uint64_t deadline = time_ns() + REPLY_WAIT_NS;
	for (;;) {
		int err = netfront_send(&g.nf, frame, len);
		if (err != -HV_ENOSPC || time_ns() >= deadline)
			return err;
		netguest_turn(&g, deadline);
	}
}

static bool flush(const char *when)
{
	return test_check(netfront_flush(&g.nf, time_ns() + REPLY_WAIT_NS, netfront_rx_to_netif, &g.nif),
			  "%s: transmit buffers still out after %llu ms", when,
			  (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
}

static void step_meet(void)
{
	test_begin("meet");
	meet(&st_a);
	meet(&st_b);
	if (meet(&st_gw)) {
		for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++)
			if (g.nif.arp[i].state == NET_ARP_RESOLVED && g.nif.arp[i].ip == st_gw.ip)
				memcpy(st_gw.mac, g.nif.arp[i].mac, NET_ETH_ALEN);
	}
	test_log("nethostile: %s, %s and gateway %s (%02x:%02x:%02x:%02x:%02x:%02x) answer", st_a.ip_s, st_b.ip_s,
		 st_gw.ip_s, st_gw.mac[0], st_gw.mac[1], st_gw.mac[2], st_gw.mac[3], st_gw.mac[4], st_gw.mac[5]);
	test_end();
}

static void step_spoof(void)
{
	static const uint8_t broadcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned int sent = 0;

	test_begin("spoof");
	for (unsigned int i = 0; i < NETHOSTILE_SPOOFS; i++) {
		const uint8_t *src = i % 3 == 0 ? st_a.mac : i % 3 == 1 ? random_mac : st_gw.mac;
		const uint8_t *dst = i % 3 == 0 ? st_b.mac : i % 3 == 1 ? broadcast : st_a.mac;
		int err = send_raw(dst, src, NET_ETH_TYPE_EXP1, i, 60 + i * 8);
		if (test_check(err == 0, "spoofed frame %u: %d", i, err))
			sent++;
	}
	flush("after the spoofed frames");
	test_log("nethostile: sent %u frames with a source MAC not ours (%u as %s's, %u random, %u as the gateway's)",
		 sent, (NETHOSTILE_SPOOFS + 2) / 3, st_a.name, (NETHOSTILE_SPOOFS + 1) / 3, NETHOSTILE_SPOOFS / 3);
	unsigned int good = 0;
	for (unsigned int i = 0; i < 3; i++)
		good += ping_once(&st_gw, REPLY_WAIT_NS);
	test_check(good == 3, "after spoofing: %u/3 gateway pings", good);
	answers(&st_a, "after spoofing");
	answers(&st_b, "after spoofing");
	test_log("nethostile: after spoofing: %u/3 gateway pings answered, %s and %s answer", good, st_a.ip_s,
		 st_b.ip_s);
	test_end();
}

static void step_flood(void)
{
	static const uint8_t broadcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned int sent = 0, bcast = 0;

	test_begin("flood");
	for (unsigned int i = 0; i < NETHOSTILE_FLOOD; i++)
		if (!send_raw(st_d.mac, g.nif.cfg.mac, NET_ETH_TYPE_EXP2, i, 60 + (i * 37) % 1400))
			sent++;
	for (unsigned int i = 0; i < NETHOSTILE_FLOOD_BCAST; i++)
		if (!send_raw(broadcast, g.nif.cfg.mac, NET_ETH_TYPE_EXP2, i, 60))
			bcast++;
	test_check(sent == NETHOSTILE_FLOOD && bcast == NETHOSTILE_FLOOD_BCAST, "flood: sent %u + %u", sent, bcast);
	flush("after the flood");
	test_log("nethostile: flooded %s (%s) with %u unicast frames and everyone with %u broadcasts", st_d.name,
		 st_d.ip_s, sent, bcast);
	answers(&st_a, "after the flood");
	answers(&st_b, "after the flood");
	test_end();
}

/* The transmit queue's shared areas, from the ABI layout (not from netfront's private state). */
struct txq {
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
};

static void tx_queue(struct txq *q)
{
	struct vring_layout rxl, txl;
	uint8_t *region = (uint8_t *)(uintptr_t)g.nf.map.region;

	vring_layout(UHV_NET_QUEUE_SIZE, UHV_NET_RINGS_OFFSET, &rxl);
	vring_layout(UHV_NET_QUEUE_SIZE, rxl.end_off, &txl);
	q->desc = (volatile struct virtq_desc *)(region + txl.desc_off);
	q->avail = (volatile struct virtq_avail *)(region + txl.avail_off);
}

enum corruption { AVAIL_JUMP, DESC_OUTSIDE, DESC_LOOP };

/*
 * Corrupt the quiet transmit queue one way, write the reason the IOVM must
 * give into expect, and notify.
 */
static void corrupt(enum corruption how, char *expect, size_t size)
{
	struct txq q;
	uint64_t buffers = g.nf.ch->region_gpa + UHV_NET_BUFFERS_OFFSET;
	uint64_t area = g.nf.ch->region_size - UHV_NET_BUFFERS_OFFSET;

	tx_queue(&q);
	uint16_t idx = q.avail->idx;	/* ours: every entry before it was popped (flushed) */
	switch (how) {
	case AVAIL_JUMP:
		__atomic_store_n(&q.avail->idx, (uint16_t)(idx + 300), __ATOMIC_RELEASE);
		format(expect, size, "transmit queue: avail.idx %u is 300 ahead of last seen %u (qsize %u)",
		       (uint16_t)(idx + 300), idx, UHV_NET_QUEUE_SIZE);
		break;
	case DESC_OUTSIDE:
		/* The handshake page: a backend that used it would overwrite its own status. */
		q.desc[0].addr = g.nf.ch->region_gpa;
		q.desc[0].len = 64;
		q.desc[0].flags = 0;
		q.desc[0].next = 0;
		q.avail->ring[idx % UHV_NET_QUEUE_SIZE] = 0;
		__atomic_store_n(&q.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
		format(expect, size, "transmit queue: desc 0: addr %#llx len 64 outside region %#llx size %#llx",
		       (unsigned long long)g.nf.ch->region_gpa, (unsigned long long)buffers, (unsigned long long)area);
		break;
	case DESC_LOOP:
		for (unsigned int d = 0; d < 2; d++) {
			q.desc[d].addr = buffers + d * UHV_NET_BUFFER_SIZE;
			q.desc[d].len = 60;
			q.desc[d].flags = VIRTQ_DESC_F_NEXT;
			q.desc[d].next = (uint16_t)(1 - d);
		}
		q.avail->ring[idx % UHV_NET_QUEUE_SIZE] = 0;
		__atomic_store_n(&q.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
		format(expect, size, "transmit queue: desc chain from head 0 loops (more than qsize %u descriptors)",
		       UHV_NET_QUEUE_SIZE);
		break;
	}
	hc_channel_notify(g.nf.ch->handle);
}

static void step_corrupt(enum corruption how, const char *name)
{
	char expect[UHV_NET_ERROR_MAX];
	uint64_t reconnects = g.nf.stats.reconnects;
	uint32_t gen = g.nf.generation;

	test_begin(name);
	if (!flush("before corrupting"))
		goto out;
	corrupt(how, expect, sizeof(expect));
	test_log("nethostile: generation %u: corrupted the transmit queue (%s), expecting \"%s\"", gen, name, expect);
	/* netfront_poll() sees the RESET and reconnects by itself. */
	uint64_t deadline = time_ns() + RESET_WAIT_NS;
	while ((g.nf.stats.reconnects == reconnects || !netfront_connected(&g.nf)) && time_ns() < deadline)
		netguest_turn(&g, deadline);
	if (!test_check(g.nf.stats.reconnects == reconnects + 1 && netfront_connected(&g.nf),
			"no reset and reattach within %llu ms (reconnects %llu -> %llu)",
			(unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC), (unsigned long long)reconnects,
			(unsigned long long)g.nf.stats.reconnects))
		goto out;
	test_check(!strcmp(g.nf.last_error, expect), "the IOVM's reason \"%s\" is not \"%s\"", g.nf.last_error, expect);
	bool ok = answers(&st_gw, "after reconnecting");
	test_log("nethostile: reset with the reason expected, reattached as generation %u, gateway %s", g.nf.generation,
		 ok ? "answers" : "silent");
out:
	test_end();
}

/* Reconnect on purpose while our frames are in flight (and B's echoes are coming back). */
static void step_reconnect(void)
{
	static uint8_t payload[512];
	uint64_t timeouts = g.nf.stats.detach_timeouts;
	uint32_t gen = g.nf.generation;
	unsigned int queued = 0;

	test_begin("reconnect");
	for (unsigned int i = 0; i < NETHOSTILE_IN_FLIGHT; i++) {
		memset(payload, (int)(0x40 + i), sizeof(payload));
		if (!net_udp_send(&g.nif, st_b.ip, SRC_PORT, ECHO_PORT, payload, sizeof(payload)))
			queued++;
	}
	netfront_reconnect(&g.nf, "deliberate reconnect with frames in flight");
	uint64_t deadline = time_ns() + RESET_WAIT_NS;
	while (!netfront_connected(&g.nf) && time_ns() < deadline)
		netguest_turn(&g, deadline);
	test_check(netfront_connected(&g.nf), "not reattached within %llu ms",
		   (unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC));
	test_check(g.nf.stats.detach_timeouts == timeouts, "the backend did not let go of generation %u in time", gen);
	bool gw = answers(&st_gw, "after the deliberate reconnect");
	bool b = answers(&st_b, "after the deliberate reconnect");
	test_log("nethostile: reconnected on purpose with %u datagram(s) queued: generation %u -> %u, gateway %s, %s %s",
		 queued, gen, g.nf.generation, gw ? "answers" : "silent", st_b.ip_s, b ? "answers" : "silent");
	test_end();
}

/*
 * Give the IOVM a pass: notify it and block until it notifies us back or
 * TAMPER_WAIT_NS (it runs as soon as we block).
 */
static void kick_and_wait(void)
{
	hc_channel_notify(g.nf.ch->handle);
	if (!g.nf.irq_pending)
		wait_interrupt_until(time_ns() + TAMPER_WAIT_NS);
	g.nf.irq_pending = false;
}

/* Wait (notifying the IOVM) until its fields say status with generation gen; false after RESET_WAIT_NS. */
static bool backend_says(uint32_t status, uint32_t gen)
{
	volatile struct uhv_net_shared *sh = g.nf.shared;
	uint64_t deadline = time_ns() + RESET_WAIT_NS;

	while ((sh->backend_generation != gen || sh->backend_status != status) && time_ns() < deadline)
		kick_and_wait();
	return sh->backend_generation == gen && sh->backend_status == status;
}

/* Rewrite the backend's fields NETHOSTILE_TAMPERS times, each with a pass; how often the IOVM wrote them back to want. */
static unsigned int rewrite_backend_fields(uint32_t status, uint32_t want)
{
	volatile struct uhv_net_shared *sh = g.nf.shared;
	unsigned int n = 0;

	for (unsigned int i = 0; i < NETHOSTILE_TAMPERS; i++) {
		sh->backend_status = status;
		__atomic_store_n(&sh->backend_generation, TAMPER_GEN, __ATOMIC_RELEASE);
		kick_and_wait();
		n += sh->backend_generation == want;
	}
	return n;
}

/* The frontend rewrites the backend's fields: the IOVM must go by its own record of them. */
static void step_tamper(void)
{
	volatile struct uhv_net_shared *sh = g.nf.shared;
	char expect[UHV_NET_ERROR_MAX];
	uint32_t gen = g.nf.generation;
	unsigned int released = 0, reattached = 0;

	test_begin("tamper");
	if (!flush("before tampering"))
		goto out;
	/* Generation 0, as a reconnect starts: the IOVM lets go of gen, once. */
	__atomic_store_n(&sh->generation, 0, __ATOMIC_SEQ_CST);
	if (!test_check(backend_says(UHV_NET_BACKEND_DETACHED, 0), "the IOVM did not let go of generation %u", gen))
		goto out;
	/* Its fields say it serves a generation: an IOVM that reads them back lets go again, at every pass. */
	released = rewrite_backend_fields(UHV_NET_BACKEND_ATTACHED, 0);
	sh->backend_status = UHV_NET_BACKEND_DETACHED;
	__atomic_store_n(&sh->backend_generation, 0, __ATOMIC_RELEASE);
	netfront_reconnect(&g.nf, "after tampering with the backend's fields");
	uint64_t deadline = time_ns() + RESET_WAIT_NS;
	while (!netfront_connected(&g.nf) && time_ns() < deadline)
		netguest_turn(&g, deadline);
	if (!test_check(netfront_connected(&g.nf), "not reattached within %llu ms after tampering",
			(unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC)) ||
	    !flush("after reattaching"))
		goto out;
	/* A generation it reset, with its field saying another one: an IOVM that reads it back serves the
	 * reset generation again (and resets it again), at every pass. */
	gen = g.nf.generation;
	corrupt(AVAIL_JUMP, expect, sizeof(expect));
	if (!test_check(backend_says(UHV_NET_BACKEND_RESET, gen), "generation %u was not reset", gen))
		goto out;
	reattached = rewrite_backend_fields(UHV_NET_BACKEND_RESET, gen);
	test_check(!released && !reattached,
		   "with its fields rewritten the IOVM let go %u more time(s) and served reset generation %u again "
		   "%u time(s)", released, gen, reattached);
	/* What it really says; netfront then reconnects by itself. */
	__atomic_store_n(&sh->backend_generation, gen, __ATOMIC_RELEASE);
	deadline = time_ns() + RESET_WAIT_NS;
	while ((g.nf.generation == gen || !netfront_connected(&g.nf)) && time_ns() < deadline)
		netguest_turn(&g, deadline);
	test_check(g.nf.generation != gen && netfront_connected(&g.nf), "not reattached within %llu ms after the reset",
		   (unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC));
	bool gw = answers(&st_gw, "after tampering");
	test_log("nethostile: rewrote the backend's fields %u times after a release and %u times after a reset: "
		 "let go %u more time(s), served the reset generation %u time(s); now generation %u, gateway %s",
		 NETHOSTILE_TAMPERS, NETHOSTILE_TAMPERS, released, reattached, g.nf.generation, gw ? "answers" : "silent");
out:
	test_end();
}

/* Reconnect NETHOSTILE_CHURN times in a row, each as soon as the IOVM attached the last generation. */
static void step_churn(void)
{
	uint64_t timeouts = g.nf.stats.detach_timeouts, start = time_ns();
	uint32_t gen = g.nf.generation;
	unsigned int done = 0;

	test_begin("churn");
	if (!flush("before the churn"))
		goto out;
	g.nf.quiet = true;
	while (done < NETHOSTILE_CHURN) {
		netfront_reconnect(&g.nf, "churn");
		uint64_t deadline = time_ns() + RESET_WAIT_NS;
		/* Not netguest_turn(): it waits for its timer even after the poll saw the attach. */
		for (;;) {
			netfront_poll(&g.nf, netfront_rx_to_netif, &g.nif);
			if (netfront_connected(&g.nf) || time_ns() >= deadline)
				break;
			netfront_wait(&g.nf, deadline);
		}
		if (!netfront_connected(&g.nf))
			break;
		done++;
	}
	g.nf.quiet = false;
	uint64_t ms = (time_ns() - start) / NSEC_PER_MSEC;
	test_check(done == NETHOSTILE_CHURN, "reconnect %u of %u not attached within %llu ms", done + 1,
		   NETHOSTILE_CHURN, (unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC));
	test_check(g.nf.stats.detach_timeouts == timeouts, "the backend did not let go in time during the churn");
	bool gw = answers(&st_gw, "after the churn");
	bool a = answers(&st_a, "after the churn");
	bool b = answers(&st_b, "after the churn");
	test_log("nethostile: reconnected %u times in a row in %llu ms: generation %u -> %u, gateway %s, %s %s, %s %s",
		 done, (unsigned long long)ms, gen, g.nf.generation, gw ? "answers" : "silent", st_a.ip_s,
		 a ? "answers" : "silent", st_b.ip_s, b ? "answers" : "silent");
out:
	test_end();
}

static void step_end(void)
{
	char line[320];

	test_begin("end");
	answers(&st_a, "at the end");
	answers(&st_b, "at the end");
	int err = net_udp_send(&g.nif, st_a.ip, SRC_PORT, SOAK_PORT, SOAK_STOP, sizeof(SOAK_STOP) - 1);
	test_check(err == 0, "%s to %s: %d", SOAK_STOP, st_a.ip_s, err);
	flush("at the end");
	test_log("nethostile: sent %s to %s:%u", SOAK_STOP, st_a.ip_s, SOAK_PORT);
	netfront_format_counters(&g.nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	(void)boot;

	test_begin("connect");
	irq_disable();
	int err = netguest_up(&g, 0, TIMER_NS, CONNECT_WAIT_NS);
	if (!test_check(err == 0, "the virtual NIC did not come up: %d", err))
		test_finish();
	neighbour(&st_a, "A", -2);
	neighbour(&st_b, "B", -1);
	neighbour(&st_d, "D", 1);
	st_gw.name = "the gateway";
	st_gw.ip = g.nif.cfg.gateway;
	netguest_ip_str(st_gw.ip, st_gw.ip_s);
	test_end();

	step_meet();
	step_spoof();
	step_flood();
	step_corrupt(AVAIL_JUMP, "avail-jump");
	step_corrupt(DESC_OUTSIDE, "desc-outside");
	step_corrupt(DESC_LOOP, "desc-loop");
	step_reconnect();
	step_tamper();
	step_churn();
	step_end();
	test_finish();
}
