// SPDX-License-Identifier: MIT
/*
 * netping: a guest that exercises its virtual NIC (runtime/netfront.h) with
 * the guest network stack (runtime/net/net.h), through the network IOVM.
 *
 * Test convention: the peer is the next address of our subnet, our own
 * IPv4 address + 1 (the policy gives guest A 10.0.2.15 and its peer, a
 * netecho guest, 10.0.2.16). In order:
 *   1. NETPING_PEER_PINGS echo requests to the peer, payload sizes varied,
 *      every reply's source, id, sequence, length and payload checked;
 *   2. NETPING_GW_PINGS echo requests to the gateway from the channel's
 *      configuration (QEMU's and Bochs' user network answer for 10.0.2.2):
 *      these frames cross the wire;
 *   3. NETPING_ECHOES UDP round trips to the peer's port 7, sizes 1..1472,
 *      every reply compared byte for byte;
 *   4. soak, only in a VM whose name starts with "soak": UDP round trips
 *      (and every tenth a ping) to the peer, checked as above, one every
 *      SOAK_PAUSE_NS or so, until the datagram "uhv-soak-stop" arrives on
 *      port SOAK_PORT (from anyone: the hostile-guest test's nethostile
 *      sends it when its sequence is over), at most SOAK_MAX_NS; so the
 *      pair's traffic spans the other guest's whole run;
 *   5. the datagram "uhv-echo-stop" to the peer's port 7 (the peer stops on
 *      it), waiting until every transmit buffer came back;
 * then its counters, and it stops: 0 if every check passed, else 1.
 * Every frame of EtherType NET_ETH_TYPE_EXP1 that reaches it is counted and
 * logged: the hostile-guest test's spoofed frames carry it, and must never
 * be delivered.
 */
#include <runtime/netguest.h>
#include <runtime/runtime.h>

#define NETPING_PEER_PINGS	20
#define NETPING_GW_PINGS	3
#define NETPING_ECHOES		100
#define NETPING_ID		0x7568
#define SRC_PORT		40007
#define ECHO_PORT		7
#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define REPLY_WAIT_NS		(3 * NSEC_PER_SEC)
#define TIMER_NS		(200 * NSEC_PER_MSEC)
#define SOAK_PORT		40008
#define SOAK_MAX_NS		(60 * NSEC_PER_SEC)
#define SOAK_PAUSE_NS		(2 * NSEC_PER_MSEC)

static const char STOP[] = "uhv-echo-stop";
static const char SOAK_STOP[] = "uhv-soak-stop";

static struct netguest g;

/* The last UDP reply on SRC_PORT. */
static uint8_t reply[NET_UDP_MAX_PAYLOAD];
static size_t reply_len;
static bool have_reply;
static uint8_t sent[NET_UDP_MAX_PAYLOAD];
static bool soak_stop;
static uint32_t soak_stop_from;
static uint64_t exp1_frames;	/* frames of EtherType NET_ETH_TYPE_EXP1 received */

static void on_reply(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)n;
	(void)arg;
	(void)m;
	memcpy(reply, data, len);
	reply_len = len;
	have_reply = true;
}

static void on_soak_stop(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)n;
	(void)arg;
	if (len == sizeof(SOAK_STOP) - 1 && !memcmp(data, SOAK_STOP, len)) {
		soak_stop = true;
		soak_stop_from = m->src_ip;
	}
}

/* Count frames of EtherType NET_ETH_TYPE_EXP1 before the stack sees them. */
static void tap(struct netguest *guest, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	(void)guest;
	if (len >= NET_ETH_HLEN && (f[12] << 8 | f[13]) == NET_ETH_TYPE_EXP1)
		exp1_frames++;
}

static uint32_t next_address(uint32_t ip)
{
	return __builtin_bswap32(__builtin_bswap32(ip) + 1);
}

/* count pings of varied sizes to dst, one at a time; returns the replies that checked out. */
static unsigned int ping_run(uint32_t dst, unsigned int count, uint16_t first_seq)
{
	unsigned int good = 0;
	char ip[16];

	for (unsigned int i = 0; i < count; i++) {
		uint16_t seq = (uint16_t)(first_seq + i);
		size_t size = (i * 97) % (NET_PING_MAX_PAYLOAD + 1);
		struct net_ping_reply r;
		bool got = false;

		int err = net_ping_send(&g.nif, dst, NETPING_ID, seq, size);
		if (!test_check(err == 0, "ping %s seq %u: send: %d", netguest_ip_str(dst, ip), seq, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!got && time_ns() < deadline) {
			netguest_turn(&g, deadline);
			while (net_ping_poll(&g.nif, &r)) {
				if (r.src_ip != dst || r.id != NETPING_ID || r.seq != seq)
					continue;	/* a late reply to an earlier one */
				got = true;
				if (test_check(r.len == size && r.payload_ok,
					       "ping %s seq %u: reply of %u bytes, payload %s (sent %u)",
					       netguest_ip_str(dst, ip), seq, r.len, r.payload_ok ? "ok" : "wrong",
					       (unsigned int)size))
					good++;
			}
		}
		test_check(got, "ping %s seq %u (%u bytes): no reply within %llu ms", netguest_ip_str(dst, ip), seq,
			   (unsigned int)size, (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	}
	return good;
}

/* count UDP round trips to dst, or until *stop (then fewer); *done: how many were sent. */
static unsigned int echo_run(uint32_t dst, unsigned int count, const bool *stop, unsigned int *done)
{
	unsigned int good = 0, i;

	for (i = 0; i < count && !(stop && *stop); i++) {
		size_t size = i == 0 ? 1 : i == 1 ? NET_UDP_MAX_PAYLOAD : 1 + (i * 389) % NET_UDP_MAX_PAYLOAD;

		for (size_t k = 0; k < size; k++)
			sent[k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
		sent[0] = (uint8_t)i;		/* never the stop word */
		have_reply = false;
		int err = net_udp_send(&g.nif, dst, SRC_PORT, ECHO_PORT, sent, size);
		if (!test_check(err == 0, "udp echo %u: send: %d", i, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!have_reply && time_ns() < deadline)
			netguest_turn(&g, deadline);
		if (!test_check(have_reply, "udp echo %u (%u bytes): no reply within %llu ms", i, (unsigned int)size,
				(unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC)))
			continue;
		if (test_check(reply_len == size && !memcmp(reply, sent, size),
			       "udp echo %u: reply of %u bytes differs from the %u sent", i, (unsigned int)reply_len,
			       (unsigned int)size))
			good++;
	}
	if (done)
		*done = i;
	return good;
}

/* Step 4: pings and UDP round trips to the peer until the stop word or SOAK_MAX_NS. */
static void soak_run(uint32_t peer, const char *peer_s)
{
	uint64_t deadline = time_ns() + SOAK_MAX_NS;
	unsigned int pings = 0, pings_good = 0, echoes = 0, echoes_good = 0;
	char from[16];

	while (!soak_stop && time_ns() < deadline) {
		unsigned int n;

		if (echoes % 10 == 0) {
			pings_good += ping_run(peer, 1, (uint16_t)(2000 + pings));
			pings++;
		}
		echoes_good += echo_run(peer, 1, &soak_stop, &n);
		echoes += n;
		/* A pause after each round trip: steady traffic, but the CPU
		 * stays free for the other guests most of the time. */
		for (uint64_t until = time_ns() + SOAK_PAUSE_NS; !soak_stop && time_ns() < until;)
			netguest_turn(&g, until);
	}
	test_check(soak_stop, "no \"%s\" within %llu s", SOAK_STOP, (unsigned long long)(SOAK_MAX_NS / NSEC_PER_SEC));
	test_check(echoes >= 10 && pings >= 1, "soak: only %u echo(es), %u ping(s)", echoes, pings);
	test_log("netping: soak: %u/%u UDP echoes and %u/%u pings to %s good until \"%s\" from %s", echoes_good,
		 echoes, pings_good, pings, peer_s, SOAK_STOP, netguest_ip_str(soak_stop_from, from));
}

static void log_counters(void)
{
	char line[320];

	netfront_format_counters(&g.nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_log("stack: rx %llu frames (arp %llu, ipv4 %llu, icmp %llu, udp %llu), tx %llu frames, %llu tx error(s)",
		 (unsigned long long)g.nif.stats.rx_frames, (unsigned long long)g.nif.stats.rx_arp,
		 (unsigned long long)g.nif.stats.rx_ipv4, (unsigned long long)g.nif.stats.rx_icmp,
		 (unsigned long long)g.nif.stats.rx_udp, (unsigned long long)g.nif.stats.tx_frames,
		 (unsigned long long)g.nif.stats.tx_errors);
	test_log("netping: %llu frame(s) of EtherType %#x received", (unsigned long long)exp1_frames,
		 NET_ETH_TYPE_EXP1);
}

int guest_main(const struct uhv_boot_info *boot)
{
	char ip[16], peer_s[16], gw_s[16];
	bool soak = !strncmp(boot->vm.name, "soak", 4);

	test_begin("connect");
	irq_disable();
	g.tap = tap;
	int err = netguest_up(&g, 0, TIMER_NS, CONNECT_WAIT_NS);
	if (!test_check(err == 0, "the virtual NIC did not come up: %d", err))
		test_finish();
	err = net_udp_bind(&g.nif, SRC_PORT, on_reply, NULL);
	test_check(err == 0, "net_udp_bind(%u): %d", SRC_PORT, err);
	if (soak) {
		err = net_udp_bind(&g.nif, SOAK_PORT, on_soak_stop, NULL);
		test_check(err == 0, "net_udp_bind(%u): %d", SOAK_PORT, err);
	}
	uint32_t peer = next_address(g.nif.cfg.ipv4), gw = g.nif.cfg.gateway;
	test_log("netping: %s on channel '%s', peer %s, gateway %s", netguest_ip_str(g.nif.cfg.ipv4, ip), g.ch->name,
		 netguest_ip_str(peer, peer_s), netguest_ip_str(gw, gw_s));
	test_end();

	test_begin("ping-peer");
	unsigned int good = ping_run(peer, NETPING_PEER_PINGS, 1);
	test_log("netping: %u/%u replies from %s, payloads checked", good, NETPING_PEER_PINGS, peer_s);
	test_end();

	test_begin("ping-gateway");
	good = ping_run(gw, NETPING_GW_PINGS, 1000);
	test_log("netping: %u/%u replies from gateway %s, payloads checked", good, NETPING_GW_PINGS, gw_s);
	test_end();

	test_begin("udp-echo");
	good = echo_run(peer, NETPING_ECHOES, NULL, NULL);
	test_log("netping: %u/%u UDP echoes from %s:%u byte-exact", good, NETPING_ECHOES, peer_s, ECHO_PORT);
	test_end();

	if (soak) {
		test_begin("soak");
		soak_run(peer, peer_s);
		test_end();
	}

	test_begin("stop-peer");
	err = net_udp_send(&g.nif, peer, SRC_PORT, ECHO_PORT, STOP, sizeof(STOP) - 1);
	test_check(err == 0, "stop datagram: %d", err);
	bool flushed = netfront_flush(&g.nf, time_ns() + REPLY_WAIT_NS, netfront_rx_to_netif, &g.nif);
	test_check(flushed, "transmit buffers still out after %llu ms",
		   (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	test_log("netping: sent %s to %s:%u", STOP, peer_s, ECHO_PORT);
	test_end();
	log_counters();
	test_finish();
}
