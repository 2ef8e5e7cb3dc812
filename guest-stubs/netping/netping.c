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
 *   4. the datagram "uhv-echo-stop" to the peer's port 7 (the peer stops on
 *      it), waiting until every transmit buffer came back;
 * then its counters, and it stops: 0 if every check passed, else 1.
 */
#include <runtime/channel.h>
#include <runtime/net/net.h>
#include <runtime/netfront.h>
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

static const char STOP[] = "uhv-echo-stop";

static struct netfront nf;
static struct netif nif;
static uint64_t next_timer;

/* The last UDP reply on SRC_PORT. */
static uint8_t reply[NET_UDP_MAX_PAYLOAD];
static size_t reply_len;
static bool have_reply;
static uint8_t sent[NET_UDP_MAX_PAYLOAD];

static void on_reply(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)n;
	(void)arg;
	(void)m;
	memcpy(reply, data, len);
	reply_len = len;
	have_reply = true;
}

/* One turn of the loop: frames in, timers, then sleep until something happens or deadline. */
static void turn(uint64_t deadline)
{
	unsigned int got = netfront_poll(&nf, netfront_rx_to_netif, &nif);
	uint64_t now = time_ns();
	if (now >= next_timer) {
		net_timer(&nif);
		next_timer = now + TIMER_NS;
	}
	/* Frames came in: the caller looks at them before anything waits. */
	if (!got)
		netfront_wait(&nf, MIN(deadline, next_timer));
}

static const char *ip_str(uint32_t ip, char *buf)
{
	const uint8_t *b = (const uint8_t *)&ip;

	format(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
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

		int err = net_ping_send(&nif, dst, NETPING_ID, seq, size);
		if (!test_check(err == 0, "ping %s seq %u: send: %d", ip_str(dst, ip), seq, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!got && time_ns() < deadline) {
			turn(deadline);
			while (net_ping_poll(&nif, &r)) {
				if (r.src_ip != dst || r.id != NETPING_ID || r.seq != seq)
					continue;	/* a late reply to an earlier one */
				got = true;
				if (test_check(r.len == size && r.payload_ok,
					       "ping %s seq %u: reply of %u bytes, payload %s (sent %u)",
					       ip_str(dst, ip), seq, r.len, r.payload_ok ? "ok" : "wrong",
					       (unsigned int)size))
					good++;
			}
		}
		test_check(got, "ping %s seq %u (%u bytes): no reply within %llu ms", ip_str(dst, ip), seq,
			   (unsigned int)size, (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	}
	return good;
}

static unsigned int echo_run(uint32_t dst, unsigned int count)
{
	unsigned int good = 0;

	for (unsigned int i = 0; i < count; i++) {
		size_t size = i == 0 ? 1 : i == 1 ? NET_UDP_MAX_PAYLOAD : 1 + (i * 389) % NET_UDP_MAX_PAYLOAD;

		for (size_t k = 0; k < size; k++)
			sent[k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
		sent[0] = (uint8_t)i;		/* never the stop word */
		have_reply = false;
		int err = net_udp_send(&nif, dst, SRC_PORT, ECHO_PORT, sent, size);
		if (!test_check(err == 0, "udp echo %u: send: %d", i, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!have_reply && time_ns() < deadline)
			turn(deadline);
		if (!test_check(have_reply, "udp echo %u (%u bytes): no reply within %llu ms", i, (unsigned int)size,
				(unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC)))
			continue;
		if (test_check(reply_len == size && !memcmp(reply, sent, size),
			       "udp echo %u: reply of %u bytes differs from the %u sent", i, (unsigned int)reply_len,
			       (unsigned int)size))
			good++;
	}
	return good;
}

static void log_counters(void)
{
	char line[320];

	netfront_format_counters(&nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_log("stack: rx %llu frames (arp %llu, ipv4 %llu, icmp %llu, udp %llu), tx %llu frames, %llu tx error(s)",
		 (unsigned long long)nif.stats.rx_frames, (unsigned long long)nif.stats.rx_arp,
		 (unsigned long long)nif.stats.rx_ipv4, (unsigned long long)nif.stats.rx_icmp,
		 (unsigned long long)nif.stats.rx_udp, (unsigned long long)nif.stats.tx_frames,
		 (unsigned long long)nif.stats.tx_errors);
}

int guest_main(const struct uhv_boot_info *boot)
{
	const struct uhv_channel_info *ch = rt_channel_by_kind(UHV_CHANNEL_NET, 0);
	char ip[16], peer_s[16], gw_s[16];
	(void)boot;

	test_begin("connect");
	if (!test_check(ch != NULL, "no net channel"))
		test_finish();
	int err = netfront_init(&nf, ch);
	if (!test_check(err == 0, "netfront_init: %d", err))
		test_finish();
	err = netfront_netif_init(&nf, &nif);
	if (!test_check(err == 0, "netfront_netif_init: %d", err))
		test_finish();
	err = net_udp_bind(&nif, SRC_PORT, on_reply, NULL);
	test_check(err == 0, "net_udp_bind(%u): %d", SRC_PORT, err);
	irq_disable();
	uint64_t deadline = time_ns() + CONNECT_WAIT_NS;
	while (!netfront_connected(&nf) && time_ns() < deadline)
		turn(deadline);
	if (!test_check(netfront_connected(&nf), "not attached by '%s' within %llu s", ch->peer,
			(unsigned long long)(CONNECT_WAIT_NS / NSEC_PER_SEC)))
		test_finish();
	uint32_t peer = next_address(nif.cfg.ipv4), gw = nif.cfg.gateway;
	test_log("netping: %s on channel '%s', peer %s, gateway %s", ip_str(nif.cfg.ipv4, ip), ch->name,
		 ip_str(peer, peer_s), ip_str(gw, gw_s));
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
	good = echo_run(peer, NETPING_ECHOES);
	test_log("netping: %u/%u UDP echoes from %s:%u byte-exact", good, NETPING_ECHOES, peer_s, ECHO_PORT);
	test_end();

	test_begin("stop-peer");
	err = net_udp_send(&nif, peer, SRC_PORT, ECHO_PORT, STOP, sizeof(STOP) - 1);
	test_check(err == 0, "stop datagram: %d", err);
	bool flushed = netfront_flush(&nf, time_ns() + REPLY_WAIT_NS, netfront_rx_to_netif, &nif);
	test_check(flushed, "transmit buffers still out after %llu ms",
		   (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	test_log("netping: sent %s to %s:%u", STOP, peer_s, ECHO_PORT);
	test_end();
	log_counters();
	test_finish();
}
