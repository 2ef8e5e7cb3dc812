// SPDX-License-Identifier: MIT
/*
 * The guest network stack (guest-stubs/runtime/net/) on the host: two or
 * three netifs wired back to back through their xmit callbacks, the
 * stack's frames compared with frames QEMU's user-mode network really sent
 * (tests/fixtures/net/, tests/capture_net.py), and hostile frames each
 * dropped under the right counter.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <runtime/net/net.h>
#include <runtime/net/net_wire.h>

#include "unit.h"

#define FIX	"tests/fixtures/net/"

static uint64_t fake_now = 1000ULL * 1000 * 1000 * 1000;

/* A netif and what it transmitted, not yet delivered. */
struct port {
	struct netif nif;
	uint8_t out[64][NET_FRAME_MAX];
	size_t out_len[64];
	unsigned int head, count;
	int xmit_error;			/* returned by xmit when set */
};

static int port_xmit(void *ctx, const void *frame, size_t len)
{
	struct port *p = ctx;

	CHECK(len >= NET_ETH_HLEN && len <= NET_FRAME_MAX);
	if (p->xmit_error)
		return p->xmit_error;
	if (p->count == 64) {
		unit_fail(__FILE__, __LINE__, "transmit queue overflow");
		return -HV_ENOMEM;
	}
	unsigned int slot = (p->head + p->count++) % 64;
	memcpy(p->out[slot], frame, len);
	p->out_len[slot] = len;
	return 0;
}

static uint64_t port_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void port_setup(struct port *p, const uint8_t mac[6], uint32_t ip, uint8_t prefix, uint32_t gw)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->nif.cfg.mac, mac, 6);
	p->nif.cfg.ipv4 = ip;
	p->nif.cfg.prefix_len = prefix;
	p->nif.cfg.gateway = gw;
	p->nif.xmit = port_xmit;
	p->nif.now_ns = port_now;
	p->nif.ctx = p;
	CHECK_EQ(net_init(&p->nif), 0);
}

/* Take the oldest transmitted frame: its length, or 0 if none. */
static size_t port_take(struct port *p, uint8_t *frame)
{
	if (!p->count)
		return 0;
	size_t len = p->out_len[p->head];
	memcpy(frame, p->out[p->head], len);
	p->head = (p->head + 1) % 64;
	p->count--;
	return len;
}

/* Deliver every frame each port sends to every other port (a hub) until all are quiet. */
static void pump(struct port **ports, int n)
{
	static uint8_t frame[NET_FRAME_MAX];

	for (int rounds = 0; rounds < 10000; rounds++) {
		bool moved = false;

		for (int i = 0; i < n; i++) {
			size_t len = port_take(ports[i], frame);

			if (!len)
				continue;
			moved = true;
			for (int j = 0; j < n; j++)
				if (j != i)
					net_input(&ports[j]->nif, frame, len);
		}
		if (!moved)
			return;
	}
	unit_fail(__FILE__, __LINE__, "traffic never settles");
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_r[6] = { 0x02, 0, 0, 0, 0, 0xfe };
#define IP_A	net_ipv4(10, 0, 0, 1)
#define IP_B	net_ipv4(10, 0, 0, 2)
#define IP_R	net_ipv4(10, 0, 0, 254)

static struct port *pa, *pb, *pr;

static void pair(void)
{
	static struct port a, b;

	pa = &a;
	pb = &b;
	port_setup(pa, mac_a, IP_A, 24, 0);
	port_setup(pb, mac_b, IP_B, 24, 0);
}

static void pair_run(void)
{
	struct port *ports[] = { pa, pb };

	pump(ports, 2);
}

/* What a UDP handler saw last. */
static struct {
	int calls;
	struct net_udp_meta meta;
	uint8_t data[2048];
	size_t len;
} got;

static void record(struct netif *nif, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)nif;
	(void)arg;
	got.calls++;
	got.meta = *m;
	CHECK(len <= sizeof(got.data));
	memcpy(got.data, data, len);
	got.len = len;
}

/* An ARP packet from src_mac/spa about tpa, as a frame in f; returns its length. */
static size_t make_arp(uint8_t *f, uint16_t op, const uint8_t *src_mac, uint32_t spa, const uint8_t *dst_mac,
		       uint32_t tpa)
{
	memcpy(f + ETH_DST, dst_mac, 6);
	memcpy(f + ETH_SRC, src_mac, 6);
	net_store16(f + ETH_TYPE, ETH_TYPE_ARP);
	uint8_t *a = f + 14;
	net_store16(a + ARP_HTYPE, 1);
	net_store16(a + ARP_PTYPE, 0x0800);
	a[ARP_HLEN] = 6;
	a[ARP_PLEN] = 4;
	net_store16(a + ARP_OPER, op);
	memcpy(a + ARP_SHA, src_mac, 6);
	net_store_ip(a + ARP_SPA, spa);
	memset(a + ARP_THA, 0, 6);
	net_store_ip(a + ARP_TPA, tpa);
	return 42;
}

/* An independent RFC 1071 checksum, to fix up hand-made frames. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t drops_total(const struct netif *nif)
{
	uint64_t n = 0;

	for (int i = 0; i < NET_DROP_COUNT; i++)
		n += nif->stats.drop[i];
	return n;
}

/* ---- Checksums against references */

TEST(checksum_matches_rfc1071_example)
{
	/* RFC 1071 section 3: the sum of these bytes is 2ddf0, folded ddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ(net_checksum_fold(net_checksum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
	/* Odd length: the last byte is padded with zero. */
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	CHECK_EQ(net_checksum_fold(net_checksum_add(0, odd, 3)), (uint16_t)~(0x1234 + 0x5600));
	CHECK_EQ(net_checksum_fold(0), 0xffff);
}

TEST(checksum_of_a_hand_computed_ipv4_header)
{
	/* 192.168.0.1 -> 192.168.0.199, UDP, 115 bytes, DF: checksum b861 (computed by hand). */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0,
			  0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CHECK_EQ(net_checksum_fold(net_checksum_add(0, h, 20)), 0xb861);
	net_store16(h + IP_CHECKSUM, 0xb861);
	CHECK_EQ(net_checksum_fold(net_checksum_add(0, h, 20)), 0);
	CHECK_EQ(ref_csum(h, 20, 0), 0);
}

TEST(byte_order_helpers_are_unaligned_safe)
{
	uint8_t b[7] = { 0xee, 0x0a, 0x00, 0x02, 0x0f, 0xee, 0xee };

	CHECK_EQ(net_load16(b + 1), 0x0a00);
	CHECK_EQ(net_load32(b + 1), 0x0a00020f);
	CHECK_EQ(net_load_ip(b + 1), net_ipv4(10, 0, 2, 15));
	CHECK_EQ(net_ntohl(net_ipv4(10, 0, 2, 15)), 0x0a00020f);
	CHECK_EQ(net_htonl(0x0a00020f), net_ipv4(10, 0, 2, 15));
	net_store32(b + 3, 0x01020304);
	CHECK(b[3] == 1 && b[6] == 4 && b[2] == 0x00);
	net_store16(b + 1, 0xbeef);
	CHECK(b[1] == 0xbe && b[2] == 0xef);
}

/* ---- Real frames from QEMU's slirp (tests/capture_net.py) */

static const uint8_t mac_guest[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac_slirp[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

TEST(accepts_slirp_frames_and_sends_its_arp_request)
{
	static struct port g;
	uint8_t frame[NET_FRAME_MAX];
	size_t arp_req_len, arp_len, icmp_len, udp_len;
	uint8_t *arp_req = unit_read_file(FIX "req-arp.bin", &arp_req_len);
	uint8_t *arp = unit_read_file(FIX "slirp-arp.bin", &arp_len);
	uint8_t *icmp = unit_read_file(FIX "slirp-icmp.bin", &icmp_len);
	uint8_t *udp = unit_read_file(FIX "slirp-udp-dns.bin", &udp_len);

	port_setup(&g, mac_guest, net_ipv4(10, 0, 2, 15), 24, net_ipv4(10, 0, 2, 2));

	/* Off-link, via the gateway: our ARP request is the one built from RFC 826 by hand. */
	CHECK_EQ(net_ping_send(&g.nif, net_ipv4(8, 8, 8, 8), 0x1234, 1, 32), 0);
	size_t len = port_take(&g, frame);
	CHECK_EQ(len, arp_req_len);
	CHECK(memcmp(frame, arp_req, len) == 0);
	CHECK_EQ(g.count, 0);

	/* slirp's ARP reply, padded to 64 bytes: the pending echo request leaves for its MAC. */
	net_input(&g.nif, arp, arp_len);
	CHECK_EQ(g.nif.stats.rx_arp, 1);
	len = port_take(&g, frame);
	CHECK_EQ(len, NET_ETH_HLEN + 20 + 8 + 32);
	CHECK(memcmp(frame + ETH_DST, mac_slirp, 6) == 0);
	CHECK(memcmp(frame + ETH_SRC, mac_guest, 6) == 0);
	CHECK_EQ(net_load_ip(frame + NET_ETH_HLEN + IP_DST), net_ipv4(8, 8, 8, 8));

	/* Its echo reply (id 0x1234, seq 1, 32 bytes 00..1f: not our pattern). */
	net_input(&g.nif, icmp, icmp_len);
	struct net_ping_reply r;
	CHECK_EQ(net_ping_poll(&g.nif, &r), 1);
	CHECK_EQ(r.src_ip, net_ipv4(10, 0, 2, 2));
	CHECK(r.id == 0x1234 && r.seq == 1 && r.len == 32 && !r.payload_ok);
	CHECK_EQ(r.rx_time_ns, fake_now);
	CHECK_EQ(net_ping_poll(&g.nif, &r), 0);

	/* Its DNS answer: UDP checksum 528d verified, payload handed over whole. */
	CHECK_EQ(net_udp_bind(&g.nif, 40000, record, NULL), 0);
	memset(&got, 0, sizeof(got));
	net_input(&g.nif, udp, udp_len);
	CHECK_EQ(got.calls, 1);
	CHECK_EQ(got.meta.src_ip, net_ipv4(10, 0, 2, 3));
	CHECK_EQ(got.meta.dst_ip, net_ipv4(10, 0, 2, 15));
	CHECK(got.meta.src_port == 53 && got.meta.dst_port == 40000);
	CHECK_EQ(got.len, udp_len - 42);
	CHECK(memcmp(got.data, udp + 42, got.len) == 0);
	CHECK_EQ(drops_total(&g.nif), 0);
	free(arp_req);
	free(arp);
	free(icmp);
	free(udp);
}

TEST(answers_like_slirp_byte_for_byte)
{
	static struct port s;
	uint8_t frame[NET_FRAME_MAX];
	size_t len, req_len, ans_len;
	uint8_t *req, *ans;

	/* Playing 10.0.2.2: the ARP reply is slirp's, without its padding. */
	port_setup(&s, mac_slirp, net_ipv4(10, 0, 2, 2), 24, 0);
	req = unit_read_file(FIX "req-arp.bin", &req_len);
	ans = unit_read_file(FIX "slirp-arp.bin", &ans_len);
	net_input(&s.nif, req, req_len);
	len = port_take(&s, frame);
	CHECK_EQ(len, 42);
	CHECK(memcmp(frame, ans, 42) == 0);
	free(req);
	free(ans);

	/* The echo reply: ICMP bytes identical (checksum fcc9); our IP header differs in TTL and id only. */
	req = unit_read_file(FIX "req-icmp.bin", &req_len);
	ans = unit_read_file(FIX "slirp-icmp.bin", &ans_len);
	net_input(&s.nif, req, req_len);
	len = port_take(&s, frame);
	CHECK_EQ(len, ans_len);
	CHECK(memcmp(frame, ans, 14) == 0);
	CHECK(memcmp(frame + 34, ans + 34, len - 34) == 0);
	CHECK(memcmp(frame + 14 + IP_SRC, ans + 14 + IP_SRC, 8) == 0);
	CHECK_EQ(net_load16(frame + 14 + IP_FLAGS_FRAGMENT), IP_FLAG_DF);
	CHECK_EQ(frame[14 + IP_TTL], 64);
	CHECK_EQ(ref_csum(frame + 14, 20, 0), 0);
	free(req);
	free(ans);

	/* Playing 10.0.2.3, which learns 10.0.2.15 from its ARP request: the DNS answer's UDP bytes (528d). */
	port_setup(&s, mac_slirp, net_ipv4(10, 0, 2, 3), 24, 0);
	req = unit_read_file(FIX "req-arp.bin", &req_len);
	net_store_ip(req + 14 + ARP_TPA, net_ipv4(10, 0, 2, 3));
	net_input(&s.nif, req, req_len);
	CHECK_EQ(port_take(&s, frame), 42);
	free(req);
	ans = unit_read_file(FIX "slirp-udp-dns.bin", &ans_len);
	CHECK_EQ(net_udp_send(&s.nif, net_ipv4(10, 0, 2, 15), 53, 40000, ans + 42, ans_len - 42), 0);
	len = port_take(&s, frame);
	CHECK_EQ(len, ans_len);
	CHECK(memcmp(frame, ans, 14) == 0);
	CHECK(memcmp(frame + 34, ans + 34, len - 34) == 0);
	CHECK_EQ(net_load16(frame + 34 + UDP_CHECKSUM), 0x528d);
	free(ans);
}

/* ---- Back to back */

TEST(arp_resolution_sends_the_pending_packet)
{
	uint8_t frame[NET_FRAME_MAX];
	static const char msg[] = "first datagram";

	pair();
	CHECK_EQ(net_udp_echo_bind(&pb->nif, 7), 0);
	CHECK_EQ(net_udp_bind(&pa->nif, 5000, record, NULL), 0);
	memset(&got, 0, sizeof(got));

	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 5000, 7, msg, sizeof(msg)), 0);
	/* Only an ARP request left: who-has 10.0.0.2, tell 10.0.0.1, broadcast. */
	CHECK_EQ(pa->count, 1);
	size_t len = port_take(pa, frame);
	CHECK_EQ(len, 42);
	CHECK(memcmp(frame + ETH_DST, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	CHECK_EQ(net_load16(frame + ETH_TYPE), ETH_TYPE_ARP);
	CHECK_EQ(net_load16(frame + 14 + ARP_OPER), ARP_OP_REQUEST);
	CHECK_EQ(net_load_ip(frame + 14 + ARP_TPA), IP_B);
	CHECK_EQ(net_load_ip(frame + 14 + ARP_SPA), IP_A);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_INCOMPLETE);
	CHECK_EQ(pa->nif.arp[0].pending_len, 14 + 20 + 8 + sizeof(msg));

	net_input(&pb->nif, frame, len);
	pair_run();
	CHECK_EQ(got.calls, 1);
	CHECK_EQ(got.len, sizeof(msg));
	CHECK(memcmp(got.data, msg, sizeof(msg)) == 0);
	CHECK_EQ(got.meta.src_ip, IP_B);
	CHECK(got.meta.src_port == 7 && got.meta.dst_port == 5000);
	/* B learnt A from the request: it never had to ask. */
	CHECK_EQ(pb->nif.stats.tx_arp, 1);
	CHECK_EQ(pa->nif.stats.tx_arp, 1);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_RESOLVED);
	CHECK_EQ(pa->nif.arp[0].pending_len, 0);
	CHECK(memcmp(pa->nif.arp[0].mac, mac_b, 6) == 0);
	CHECK_EQ(pa->nif.stats.tx_udp, 1);
	CHECK_EQ(pb->nif.stats.rx_udp, 1);
	CHECK_EQ(pb->nif.stats.tx_udp, 1);
	CHECK_EQ(drops_total(&pa->nif) + drops_total(&pb->nif), 0);
}

TEST(only_the_newest_packet_waits_for_arp)
{
	pair();
	CHECK_EQ(net_udp_bind(&pb->nif, 9, record, NULL), 0);
	memset(&got, 0, sizeof(got));
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 1, 9, "old", 3), 0);
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 1, 9, "new!", 4), 0);
	CHECK_EQ(pa->count, 1);		/* one ARP request, not two */
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_UNRESOLVED], 1);
	pair_run();
	CHECK_EQ(got.calls, 1);
	CHECK(got.len == 4 && memcmp(got.data, "new!", 4) == 0);
}

TEST(ping_both_ways)
{
	struct net_ping_reply r;

	pair();
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 77, 1, 56), 0);
	pair_run();
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 1);
	CHECK(r.src_ip == IP_B && r.id == 77 && r.seq == 1 && r.len == 56 && r.payload_ok);
	CHECK_EQ(pb->nif.stats.rx_echo_requests, 1);

	for (uint16_t seq = 0; seq < 5; seq++) {
		CHECK_EQ(net_ping_send(&pb->nif, IP_A, 0xabcd, seq, seq * 300u), 0);
		pair_run();
		CHECK_EQ(net_ping_poll(&pb->nif, &r), 1);
		CHECK(r.src_ip == IP_A && r.id == 0xabcd && r.seq == seq && r.len == seq * 300u && r.payload_ok);
	}
	/* The largest: 1472 bytes of payload fill a 1500-byte packet. */
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 2, NET_PING_MAX_PAYLOAD), 0);
	pair_run();
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 1);
	CHECK(r.len == NET_PING_MAX_PAYLOAD && r.payload_ok);
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 2, NET_PING_MAX_PAYLOAD + 1), -HV_E2BIG);
	CHECK_EQ(drops_total(&pa->nif) + drops_total(&pb->nif), 0);
	CHECK_EQ(pa->nif.stats.tx_icmp, 2 + 5);	/* two requests, five replies */
	CHECK_EQ(pa->nif.stats.rx_icmp, 2 + 5);
}

TEST(ping_replies_queue_up_to_a_limit)
{
	struct net_ping_reply r;

	pair();
	for (uint16_t i = 0; i < NET_PING_QUEUE + 2; i++) {
		CHECK_EQ(net_ping_send(&pa->nif, IP_B, 5, i, 8), 0);
		pair_run();
	}
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_PING_QUEUE_FULL], 2);
	for (uint16_t i = 0; i < NET_PING_QUEUE; i++) {
		CHECK_EQ(net_ping_poll(&pa->nif, &r), 1);
		CHECK_EQ(r.seq, i);
	}
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 0);
}

TEST(a_corrupted_echo_payload_is_reported)
{
	uint8_t frame[NET_FRAME_MAX];
	struct net_ping_reply r;

	pair();
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 5, 6, 100), 0);
	pair_run();
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 1);
	/* B answers a request whose payload A did not send: checksum fixed, pattern wrong. */
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 5, 7, 100), 0);
	size_t len = port_take(pa, frame);
	frame[34 + 8 + 50] ^= 0x40;
	net_store16(frame + 34 + ICMP_CHECKSUM, 0);
	net_store16(frame + 34 + ICMP_CHECKSUM, ref_csum(frame + 34, len - 34, 0));
	net_input(&pb->nif, frame, len);
	pair_run();
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 1);
	CHECK(r.seq == 7 && r.len == 100 && !r.payload_ok);
}

TEST(udp_echo_is_byte_exact_for_every_size)
{
	static uint8_t data[NET_UDP_MAX_PAYLOAD];

	pair();
	CHECK_EQ(net_udp_echo_bind(&pb->nif, 7), 0);
	CHECK_EQ(net_udp_bind(&pa->nif, 40001, record, NULL), 0);
	for (size_t len = 0; len <= NET_UDP_MAX_PAYLOAD; len++) {
		for (size_t i = 0; i < len; i++)
			data[i] = (uint8_t)(i * 131 + len);
		memset(&got, 0, sizeof(got));
		CHECK_EQ(net_udp_send(&pa->nif, IP_B, 40001, 7, data, len), 0);
		pair_run();
		if (got.calls != 1 || got.len != len || memcmp(got.data, data, len)) {
			unit_fail(__FILE__, __LINE__, "echo of %zu bytes: %d calls, %zu bytes back", len,
				  got.calls, got.len);
			break;
		}
	}
	CHECK_EQ(pb->nif.stats.rx_udp, NET_UDP_MAX_PAYLOAD + 1);
	CHECK_EQ(pa->nif.stats.rx_udp, NET_UDP_MAX_PAYLOAD + 1);
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 40001, 7, data, NET_UDP_MAX_PAYLOAD + 1), -HV_E2BIG);
	CHECK_EQ(drops_total(&pa->nif) + drops_total(&pb->nif), 0);
}

TEST(udp_checksum_on_the_wire_verifies_and_zero_is_never_sent)
{
	uint8_t frame[NET_FRAME_MAX];

	pair();
	net_udp_echo_bind(&pb->nif, 7);
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 1, 7, "x", 1), 0);
	pair_run();
	for (uint16_t port = 1; port < 3000; port++) {
		CHECK_EQ(net_udp_send(&pa->nif, IP_B, port, 9, "ab", 2), 0);
		size_t len = port_take(pa, frame);
		uint8_t pseudo[12];

		memcpy(pseudo, frame + 14 + IP_SRC, 8);
		pseudo[8] = 0;
		pseudo[9] = IP_PROTO_UDP;
		memcpy(pseudo + 10, frame + 34 + UDP_LENGTH, 2);
		CHECK(net_load16(frame + 34 + UDP_CHECKSUM) != 0);
		CHECK_EQ(ref_csum(frame + 34, len - 34, 0xffff & ~ref_csum(pseudo, 12, 0)), 0);
		CHECK_EQ(ref_csum(frame + 14, 20, 0), 0);
	}
}

TEST(udp_bindings)
{
	pair();
	CHECK_EQ(net_udp_bind(&pa->nif, 0, record, NULL), -HV_EINVAL);
	CHECK_EQ(net_udp_bind(&pa->nif, 1, NULL, NULL), -HV_EINVAL);
	for (uint16_t p = 1; p <= NET_UDP_BINDINGS; p++)
		CHECK_EQ(net_udp_bind(&pa->nif, p, record, NULL), 0);
	CHECK_EQ(net_udp_bind(&pa->nif, 3, record, NULL), -HV_EEXIST);
	CHECK_EQ(net_udp_bind(&pa->nif, 100, record, NULL), -HV_ENOMEM);
	CHECK_EQ(net_udp_unbind(&pa->nif, 3), 0);
	CHECK_EQ(net_udp_unbind(&pa->nif, 3), -HV_ENOENT);
	CHECK_EQ(net_udp_unbind(&pa->nif, 0), -HV_ENOENT);
	CHECK_EQ(net_udp_bind(&pa->nif, 100, record, NULL), 0);
}

TEST(send_refuses_impossible_destinations)
{
	pair();
	CHECK_EQ(net_udp_send(&pa->nif, IP_A, 1, 2, "", 0), -HV_EINVAL);
	CHECK_EQ(net_udp_send(&pa->nif, 0, 1, 2, "", 0), -HV_EINVAL);
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(224, 0, 0, 1), 1, 2, "", 0), -HV_EINVAL);
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(127, 0, 0, 1), 1, 2, "", 0), -HV_EINVAL);
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 1, 0, "", 0), -HV_EINVAL);
	/* Off-link without a gateway. */
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(10, 0, 1, 2), 1, 2, "", 0), -HV_ENOENT);
	CHECK_EQ(net_ping_send(&pa->nif, net_ipv4(192, 168, 1, 1), 1, 1, 0), -HV_ENOENT);
	CHECK_EQ(pa->count, 0);
	/* A failing xmit is counted and its error handed back. */
	pa->xmit_error = -HV_EIO;
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(255, 255, 255, 255), 1, 2, "", 0), -HV_EIO);
	CHECK_EQ(pa->nif.stats.tx_errors, 1);
}

TEST(net_init_refuses_bad_configurations)
{
	static struct port p;
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6];
	struct netif *n = &p.nif;

	port_setup(&p, mac_a, IP_A, 24, IP_R);
#define REFUSED(field, value)						\
	do {								\
		struct netif saved = *n;				\
		n->field = value;					\
		CHECK_EQ(net_init(n), -HV_EINVAL);			\
		*n = saved;						\
	} while (0)
	REFUSED(cfg.prefix_len, 33);
	REFUSED(cfg.ipv4, 0);
	REFUSED(cfg.ipv4, net_ipv4(10, 0, 0, 255));	/* the subnet's broadcast */
	REFUSED(cfg.ipv4, net_ipv4(10, 0, 0, 0));	/* the subnet itself */
	REFUSED(cfg.ipv4, net_ipv4(127, 0, 0, 1));
	REFUSED(cfg.ipv4, net_ipv4(239, 1, 1, 1));
	REFUSED(cfg.gateway, net_ipv4(10, 0, 1, 1));	/* off-link */
	REFUSED(cfg.gateway, IP_A);
	REFUSED(xmit, NULL);
	REFUSED(now_ns, NULL);
#undef REFUSED
	memcpy(n->cfg.mac, mcast, 6);
	CHECK_EQ(net_init(n), -HV_EINVAL);
	memcpy(n->cfg.mac, zero, 6);
	CHECK_EQ(net_init(n), -HV_EINVAL);
	memcpy(n->cfg.mac, mac_a, 6);
	CHECK_EQ(net_init(n), 0);
	/* /31 and /32 have no broadcast address: .255 is a host there. */
	n->cfg.ipv4 = net_ipv4(10, 0, 0, 255);
	n->cfg.prefix_len = 32;
	n->cfg.gateway = 0;
	CHECK_EQ(net_init(n), 0);
	n->cfg.prefix_len = 31;
	CHECK_EQ(net_init(n), 0);
	n->cfg.prefix_len = 0;
	CHECK_EQ(net_init(n), 0);
	CHECK_EQ(n->netmask, 0);
}

TEST(off_link_goes_through_the_gateway)
{
	static struct port a, r;
	uint8_t frame[NET_FRAME_MAX];

	port_setup(&a, mac_a, IP_A, 24, IP_R);
	port_setup(&r, mac_r, IP_R, 24, 0);
	pa = &a;
	pr = &r;
	CHECK_EQ(net_udp_send(&a.nif, net_ipv4(192, 168, 1, 5), 1234, 53, "query", 5), 0);
	size_t len = port_take(&a, frame);
	CHECK_EQ(net_load_ip(frame + 14 + ARP_TPA), IP_R);	/* who-has the gateway */
	net_input(&r.nif, frame, len);
	len = port_take(&r, frame);
	net_input(&a.nif, frame, len);
	len = port_take(&a, frame);
	CHECK_EQ(len, 14 + 20 + 8 + 5);
	CHECK(memcmp(frame + ETH_DST, mac_r, 6) == 0);
	CHECK_EQ(net_load_ip(frame + 14 + IP_DST), net_ipv4(192, 168, 1, 5));
	CHECK_EQ(net_load_ip(frame + 14 + IP_SRC), IP_A);
	CHECK_EQ(frame[14 + IP_TTL], 64);
	CHECK_EQ(net_load16(frame + 14 + IP_FLAGS_FRAGMENT), IP_FLAG_DF);
	/* The router's stack does not forward: not for it. */
	net_input(&r.nif, frame, len);
	CHECK_EQ(r.nif.stats.drop[NET_DROP_NOT_FOR_US], 1);
	/* A second off-link destination reuses the gateway's entry: no ARP. */
	CHECK_EQ(net_ping_send(&a.nif, net_ipv4(1, 1, 1, 1), 1, 1, 0), 0);
	len = port_take(&a, frame);
	CHECK_EQ(net_load16(frame + ETH_TYPE), ETH_TYPE_IPV4);
	CHECK(memcmp(frame + ETH_DST, mac_r, 6) == 0);
	CHECK_EQ(a.nif.stats.tx_arp, 1);
	/* Consecutive packets carry consecutive identifications. */
	CHECK_EQ(net_load16(frame + 14 + IP_IDENTIFICATION), 2);
}

TEST(broadcasts_need_no_arp_and_get_no_echo)
{
	uint8_t frame[NET_FRAME_MAX];
	struct net_ping_reply r;

	pair();
	net_udp_echo_bind(&pb->nif, 7);
	net_udp_bind(&pb->nif, 8, record, NULL);
	memset(&got, 0, sizeof(got));
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(255, 255, 255, 255), 1, 8, "hi", 2), 0);
	size_t len = port_take(pa, frame);
	CHECK(memcmp(frame + ETH_DST, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	CHECK_EQ(net_load16(frame + ETH_TYPE), ETH_TYPE_IPV4);
	net_input(&pb->nif, frame, len);
	CHECK_EQ(got.calls, 1);
	CHECK_EQ(got.meta.dst_ip, net_ipv4(255, 255, 255, 255));
	/* The echo service does not answer a broadcast, directed or limited. */
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(10, 0, 0, 255), 1, 7, "hi", 2), 0);
	pair_run();
	CHECK_EQ(pb->nif.stats.rx_udp, 2);
	CHECK_EQ(pb->nif.stats.tx_frames, 0);
	/* Nor does ICMP. */
	CHECK_EQ(net_ping_send(&pa->nif, net_ipv4(10, 0, 0, 255), 1, 1, 4), 0);
	pair_run();
	CHECK_EQ(pb->nif.stats.drop[NET_DROP_ICMP_IGNORED], 1);
	CHECK_EQ(net_ping_poll(&pa->nif, &r), 0);
	CHECK_EQ(pb->nif.stats.tx_frames, 0);
}

TEST(arp_retries_a_bounded_number_of_times)
{
	uint8_t frame[NET_FRAME_MAX];
	uint32_t nobody = net_ipv4(10, 0, 0, 99);

	pair();
	CHECK_EQ(net_udp_send(&pa->nif, nobody, 1, 2, "lost", 4), 0);
	CHECK_EQ(pa->nif.stats.tx_arp, 1);
	net_timer(&pa->nif);			/* too early */
	CHECK_EQ(pa->nif.stats.tx_arp, 1);
	for (int i = 0; i < 10; i++) {
		fake_now += NET_ARP_RETRY_NS;
		net_timer(&pa->nif);
	}
	CHECK_EQ(pa->nif.stats.tx_arp, NET_ARP_RETRIES);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_UNRESOLVED], 1);
	CHECK_EQ(pa->nif.stats.tx_udp, 0);
	for (int i = 0; i < NET_ARP_ENTRIES; i++)
		CHECK_EQ(pa->nif.arp[i].state, NET_ARP_FREE);
	while (port_take(pa, frame))
		CHECK_EQ(net_load_ip(frame + 14 + ARP_TPA), nobody);
	/* A late reply is unsolicited now: not learnt. */
	static const uint8_t mac_n[6] = { 0x02, 9, 9, 9, 9, 9 };
	make_arp(frame, ARP_OP_REPLY, mac_n, nobody, mac_a, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_UNSOLICITED], 1);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_FREE);
}

TEST(resolved_entries_expire)
{
	pair();
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 1, 0), 0);
	pair_run();
	CHECK_EQ(pa->nif.stats.tx_arp, 1);
	fake_now += NET_ARP_LIFETIME_NS - 1;
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 2, 0), 0);
	pair_run();
	CHECK_EQ(pa->nif.stats.tx_arp, 1);
	/* At exactly the lifetime the entry is gone: A asks again. */
	fake_now += 1;
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 3, 0), 0);
	pair_run();
	CHECK_EQ(pa->nif.stats.tx_arp, 2);
	/* The timer frees expired entries too. */
	fake_now += NET_ARP_LIFETIME_NS;
	net_timer(&pa->nif);
	for (int i = 0; i < NET_ARP_ENTRIES; i++)
		CHECK_EQ(pa->nif.arp[i].state, NET_ARP_FREE);
	struct net_ping_reply r;
	int n = 0;
	while (net_ping_poll(&pa->nif, &r))
		n++;
	CHECK_EQ(n, 3);
}

TEST(arp_cache_full_and_eviction)
{
	uint8_t frame[NET_FRAME_MAX];
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	pair();
	/* Every entry waiting for an answer: a new destination cannot be resolved. */
	for (int i = 0; i < NET_ARP_ENTRIES; i++)
		CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(10, 0, 0, (uint8_t)(100 + i)), 1, 2, "", 0), 0);
	CHECK_EQ(net_udp_send(&pa->nif, net_ipv4(10, 0, 0, 200), 1, 2, "", 0), -HV_EBUSY);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_CACHE_FULL], 1);
	/* Nor can a requester be learnt, but it still gets its answer. */
	pa->head = pa->count = 0;
	make_arp(frame, ARP_OP_REQUEST, mac_b, IP_B, bcast, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_CACHE_FULL], 2);
	CHECK_EQ(pa->count, 1);
	CHECK_EQ(net_load16(pa->out[0] + 14 + ARP_OPER), ARP_OP_REPLY);

	/* Resolved entries are reused, the least recently confirmed first. */
	pair();
	for (int i = 0; i < NET_ARP_ENTRIES; i++) {
		uint8_t mac[6] = { 0x02, 1, 1, 1, 1, (uint8_t)i };

		fake_now += 1000;
		make_arp(frame, ARP_OP_REQUEST, mac, net_ipv4(10, 0, 0, (uint8_t)(100 + i)), bcast, IP_A);
		net_input(&pa->nif, frame, 42);
	}
	make_arp(frame, ARP_OP_REQUEST, mac_b, IP_B, bcast, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_CACHE_FULL], 0);
	bool have_b = false, have_100 = false;
	for (int i = 0; i < NET_ARP_ENTRIES; i++) {
		have_b |= pa->nif.arp[i].ip == IP_B;
		have_100 |= pa->nif.arp[i].ip == net_ipv4(10, 0, 0, 100);
	}
	CHECK(have_b && !have_100);
}

TEST(arp_learns_only_what_it_should)
{
	uint8_t frame[NET_FRAME_MAX];
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	pair();
	/* An unsolicited reply plants nothing. */
	make_arp(frame, ARP_OP_REPLY, mac_b, IP_B, mac_a, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_ARP_UNSOLICITED], 1);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_FREE);
	/* A request for someone else: not for us, not learnt, not answered. */
	make_arp(frame, ARP_OP_REQUEST, mac_b, IP_B, bcast, net_ipv4(10, 0, 0, 3));
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.stats.drop[NET_DROP_NOT_FOR_US], 1);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_FREE);
	/* A probe (sender 0.0.0.0) is answered, not learnt. */
	make_arp(frame, ARP_OP_REQUEST, mac_b, 0, bcast, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_FREE);
	CHECK_EQ(pa->count, 1);
	CHECK_EQ(net_load_ip(pa->out[0] + 14 + ARP_TPA), 0);
	CHECK(memcmp(pa->out[0] + ETH_DST, mac_b, 6) == 0);
	/* An off-link requester is answered, not learnt (we would route via the gateway). */
	make_arp(frame, ARP_OP_REQUEST, mac_b, net_ipv4(10, 9, 9, 9), bcast, IP_A);
	net_input(&pa->nif, frame, 42);
	CHECK_EQ(pa->nif.arp[0].state, NET_ARP_FREE);
	CHECK_EQ(pa->count, 2);
	CHECK_EQ(drops_total(&pa->nif), 2);
}

/* ---- Hostile frames: each dropped under exactly one, the right, reason */

/*
 * Feed a frame to b; it must be dropped under reason, with nothing sent and
 * no counter changed but rx_frames (and rx_ipv4, for a drop in ICMP or UDP).
 */
static void expect_drop(const uint8_t *frame, size_t len, enum net_drop reason, int line)
{
	struct net_stats before = pb->nif.stats;

	net_input(&pb->nif, frame, len);
	struct net_stats after = pb->nif.stats;
	after.rx_frames--;
	after.drop[reason]--;
	if (after.rx_ipv4 == before.rx_ipv4 + 1)
		after.rx_ipv4--;
	if (memcmp(&before, &after, sizeof(before)) || pb->count) {
		unit_fail(__FILE__, line, "frame of %zu bytes: expected one '%s' drop only", len,
			  net_drop_name(reason));
		for (int i = 0; i < NET_DROP_COUNT; i++)
			if (pb->nif.stats.drop[i] != before.drop[i])
				printf("    %s: %" PRIu64 " -> %" PRIu64 "\n", net_drop_name((enum net_drop)i),
				       before.drop[i], pb->nif.stats.drop[i]);
		pb->head = pb->count = 0;
	}
}
#define EXPECT_DROP(f, len, reason)	expect_drop(f, len, reason, __LINE__)

/* A valid UDP frame from A to B's port 9 (bound), and its length. */
static uint8_t good[NET_FRAME_MAX];
static size_t good_len;

static void hostile_setup(size_t payload)
{
	static uint8_t data[NET_UDP_MAX_PAYLOAD];

	pair();
	CHECK_EQ(net_udp_bind(&pb->nif, 9, record, NULL), 0);
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 1, 0), 0);
	pair_run();
	for (size_t i = 0; i < payload; i++)
		data[i] = (uint8_t)i;
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 4000, 9, data, payload), 0);
	good_len = port_take(pa, good);
	CHECK_EQ(good_len, 42 + payload);
	memset(&got, 0, sizeof(got));
	net_input(&pb->nif, good, good_len);
	CHECK_EQ(got.calls, 1);
	got.calls = 0;
}

static void fix_ip_checksum(uint8_t *f)
{
	size_t hlen = (size_t)(f[14] & 0xf) * 4;

	net_store16(f + 14 + IP_CHECKSUM, 0);
	net_store16(f + 14 + IP_CHECKSUM, ref_csum(f + 14, hlen, 0));
}

static void fix_udp_checksum(uint8_t *f, size_t udp_len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, f + 14 + IP_SRC, 8);
	pseudo[8] = 0;
	pseudo[9] = IP_PROTO_UDP;
	net_store16(pseudo + 10, (uint16_t)udp_len);
	net_store16(f + 34 + UDP_CHECKSUM, 0);
	uint16_t c = ref_csum(f + 34, udp_len, 0xffff & ~ref_csum(pseudo, 12, 0));
	net_store16(f + 34 + UDP_CHECKSUM, c ? c : 0xffff);
}

TEST(hostile_truncated_at_every_length)
{
	uint8_t f[NET_FRAME_MAX];

	hostile_setup(100);
	for (size_t len = 0; len < good_len; len++) {
		memcpy(f, good, len);
		EXPECT_DROP(f, len, NET_DROP_TRUNCATED);
	}
	CHECK_EQ(got.calls, 0);
	/* The same for an ARP request, and an echo request. */
	make_arp(f, ARP_OP_REQUEST, mac_a, IP_A, mac_b, IP_B);
	for (size_t len = 0; len < 42; len++)
		EXPECT_DROP(f, len, NET_DROP_TRUNCATED);
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 1, 1, 30), 0);
	size_t len = port_take(pa, f);
	for (size_t l = 0; l < len; l++)
		EXPECT_DROP(f, l, NET_DROP_TRUNCATED);
	/* Ethernet padding after the packet is not part of it. */
	memcpy(f, good, good_len);
	memset(f + good_len, 0xa5, 64);
	net_input(&pb->nif, f, good_len + 64);
	CHECK_EQ(got.calls, 1);
	CHECK_EQ(got.len, 100);
	memset(f, 0, sizeof(f));
	memcpy(f, good, good_len);
	EXPECT_DROP(f, NET_FRAME_MAX + 1, NET_DROP_OVERSIZE);
}

TEST(hostile_ethernet)
{
	uint8_t f[NET_FRAME_MAX];

	hostile_setup(20);
#define MUTATE(stmt, reason)						\
	do {								\
		memcpy(f, good, good_len);				\
		stmt;							\
		EXPECT_DROP(f, good_len, reason);			\
	} while (0)
	MUTATE(f[5] ^= 1, NET_DROP_NOT_FOR_US);				/* another MAC */
	MUTATE(memcpy(f, "\x01\x00\x5e\x00\x00\x01", 6), NET_DROP_NOT_FOR_US);	/* multicast */
	MUTATE(memset(f + 6, 0xff, 6), NET_DROP_BAD_SRC_MAC);		/* broadcast source */
	MUTATE(f[6] |= 1, NET_DROP_BAD_SRC_MAC);			/* multicast source */
	MUTATE(memset(f + 6, 0, 6), NET_DROP_BAD_SRC_MAC);
	MUTATE(memcpy(f + 6, mac_b, 6), NET_DROP_BAD_SRC_MAC);		/* our own */
	MUTATE(net_store16(f + 12, 0x86dd), NET_DROP_ETHERTYPE);	/* IPv6 */
	MUTATE(net_store16(f + 12, 0x8100), NET_DROP_ETHERTYPE);	/* a VLAN tag */
	MUTATE(net_store16(f + 12, 60), NET_DROP_ETHERTYPE);		/* an 802.3 length */
	CHECK_EQ(got.calls, 0);
}

TEST(hostile_ipv4_header)
{
	uint8_t f[NET_FRAME_MAX];
	uint8_t *ip = f + 14;

	hostile_setup(20);
	MUTATE(ip[0] = 0x65, NET_DROP_IP_HEADER);			/* version 6 */
	MUTATE(ip[0] = 0x44, NET_DROP_IP_HEADER);			/* IHL 4 */
	MUTATE(ip[0] = 0x40, NET_DROP_IP_HEADER);			/* IHL 0 */
	MUTATE(ip[0] = 0x4f, NET_DROP_TRUNCATED);			/* IHL 15: 60 > 48 bytes */
	MUTATE((ip[0] = 0x4b, fix_ip_checksum(f)), NET_DROP_TRUNCATED);	/* IHL 11: 4 bytes left for UDP */
	MUTATE(ip[IP_CHECKSUM] ^= 0x10, NET_DROP_IP_CHECKSUM);
	MUTATE(ip[IP_SRC] ^= 0x01, NET_DROP_IP_CHECKSUM);
	MUTATE(net_store16(ip + IP_TOTAL_LENGTH, (uint16_t)(good_len - 14 + 1)), NET_DROP_TRUNCATED);
	MUTATE(net_store16(ip + IP_TOTAL_LENGTH, 0xffff), NET_DROP_TRUNCATED);
	MUTATE((net_store16(ip + IP_TOTAL_LENGTH, 19), fix_ip_checksum(f)), NET_DROP_IP_HEADER);
	MUTATE((net_store16(ip + IP_FLAGS_FRAGMENT, IP_FLAG_MF), fix_ip_checksum(f)), NET_DROP_FRAGMENT);
	MUTATE((net_store16(ip + IP_FLAGS_FRAGMENT, IP_FLAG_DF | 1), fix_ip_checksum(f)), NET_DROP_FRAGMENT);
	MUTATE((net_store16(ip + IP_FLAGS_FRAGMENT, 0x1fff), fix_ip_checksum(f)), NET_DROP_FRAGMENT);
	MUTATE((net_store16(ip + IP_FLAGS_FRAGMENT, IP_FLAG_RESERVED), fix_ip_checksum(f)),
	       NET_DROP_IP_HEADER);
	MUTATE((ip[IP_TTL] = 0, fix_ip_checksum(f)), NET_DROP_TTL);
	MUTATE((net_store_ip(ip + IP_DST, net_ipv4(10, 0, 0, 3)), fix_ip_checksum(f)), NET_DROP_NOT_FOR_US);
	MUTATE((net_store_ip(ip + IP_DST, net_ipv4(10, 0, 0, 0)), fix_ip_checksum(f)), NET_DROP_NOT_FOR_US);
	MUTATE((net_store_ip(ip + IP_DST, net_ipv4(224, 0, 0, 1)), fix_ip_checksum(f)), NET_DROP_NOT_FOR_US);
	static const uint8_t bad_src[][4] = {
		{ 255, 255, 255, 255 }, { 10, 0, 0, 255 }, { 224, 0, 0, 1 }, { 240, 1, 2, 3 },
		{ 0, 0, 0, 0 }, { 127, 0, 0, 1 }, { 10, 0, 0, 2 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_src); i++)
		MUTATE((net_store_ip(ip + IP_SRC, net_ipv4(bad_src[i][0], bad_src[i][1], bad_src[i][2],
							    bad_src[i][3])), fix_ip_checksum(f)),
		       NET_DROP_BAD_SRC_IP);
	MUTATE((ip[IP_PROTOCOL] = 6, fix_ip_checksum(f)), NET_DROP_PROTOCOL);	/* TCP */
	MUTATE((ip[IP_PROTOCOL] = 0, fix_ip_checksum(f)), NET_DROP_PROTOCOL);
	CHECK_EQ(got.calls, 0);

	/* Accepted: TTL 1, IP options (skipped), DF clear. */
	memcpy(f, good, good_len);
	ip[IP_TTL] = 1;
	net_store16(ip + IP_FLAGS_FRAGMENT, 0);
	fix_ip_checksum(f);
	net_input(&pb->nif, f, good_len);
	CHECK_EQ(got.calls, 1);
	memmove(f + 38, good + 34, good_len - 34);
	memcpy(f + 34, "\x01\x01\x01\x00", 4);		/* NOP NOP NOP EOL */
	ip[0] = 0x46;
	net_store16(ip + IP_TOTAL_LENGTH, (uint16_t)(good_len - 14 + 4));
	fix_ip_checksum(f);
	net_input(&pb->nif, f, good_len + 4);
	CHECK_EQ(got.calls, 2);
	CHECK(got.len == 20 && got.data[19] == 19);
}

TEST(hostile_udp)
{
	uint8_t f[NET_FRAME_MAX];
	uint8_t *udp = f + 34;
	size_t udp_len;

	hostile_setup(20);
	udp_len = good_len - 34;
	MUTATE(udp[UDP_CHECKSUM] ^= 1, NET_DROP_UDP_CHECKSUM);
	MUTATE(udp[8] ^= 0x80, NET_DROP_UDP_CHECKSUM);
	MUTATE(net_store16(udp + UDP_LENGTH, (uint16_t)(udp_len + 1)), NET_DROP_TRUNCATED);
	MUTATE(net_store16(udp + UDP_LENGTH, 0xffff), NET_DROP_TRUNCATED);
	MUTATE((net_store16(udp + UDP_LENGTH, 7), fix_udp_checksum(f, 7)), NET_DROP_UDP_HEADER);
	MUTATE((net_store16(udp + UDP_DST_PORT, 0), fix_udp_checksum(f, udp_len)), NET_DROP_UDP_HEADER);
	MUTATE((net_store16(udp + UDP_DST_PORT, 10), fix_udp_checksum(f, udp_len)), NET_DROP_UDP_NO_PORT);
	CHECK_EQ(got.calls, 0);

	/* Checksum 0: none, accepted. A UDP length shorter than the packet: the rest is not data. */
	memcpy(f, good, good_len);
	net_store16(udp + UDP_CHECKSUM, 0);
	udp[8] ^= 0xff;
	net_input(&pb->nif, f, good_len);
	CHECK(got.calls == 1 && got.len == 20 && got.data[0] == 0xff);
	memcpy(f, good, good_len);
	net_store16(udp + UDP_LENGTH, 8 + 5);
	fix_udp_checksum(f, 8 + 5);
	net_input(&pb->nif, f, good_len);
	CHECK(got.calls == 2 && got.len == 5);
	/*
	 * A datagram whose checksum computes to 0 travels as 0xffff (RFC 768):
	 * add the checksum to a data word (one's complement) to make one.
	 */
	memcpy(f, good, good_len);
	net_store16(udp + UDP_CHECKSUM, 0);
	uint8_t pseudo[12];
	memcpy(pseudo, f + 14 + IP_SRC, 8);
	pseudo[8] = 0;
	pseudo[9] = IP_PROTO_UDP;
	net_store16(pseudo + 10, (uint16_t)udp_len);
	uint32_t w = net_load16(udp + 8) + ref_csum(udp, udp_len, 0xffff & ~ref_csum(pseudo, 12, 0));
	net_store16(udp + 8, (uint16_t)(w + (w >> 16)));
	CHECK_EQ(ref_csum(udp, udp_len, 0xffff & ~ref_csum(pseudo, 12, 0)), 0);
	net_store16(udp + UDP_CHECKSUM, 0xffff);
	net_input(&pb->nif, f, good_len);
	CHECK_EQ(got.calls, 3);
	CHECK_EQ(pb->nif.stats.drop[NET_DROP_UDP_CHECKSUM], 2);
	/* And our sender writes it so. */
	pb->head = pb->count = 0;
	CHECK_EQ(net_udp_send(&pa->nif, IP_B, 4000, 9, udp + 8, udp_len - 8), 0);
	CHECK_EQ(port_take(pa, f), good_len);
	CHECK_EQ(net_load16(udp + UDP_CHECKSUM), 0xffff);
}

TEST(hostile_icmp_and_arp)
{
	uint8_t f[NET_FRAME_MAX], echo[NET_FRAME_MAX];
	size_t echo_len;

	hostile_setup(20);
	CHECK_EQ(net_ping_send(&pa->nif, IP_B, 3, 3, 16), 0);
	echo_len = port_take(pa, echo);
#define MUTATE_ECHO(stmt, reason)					\
	do {								\
		memcpy(f, echo, echo_len);				\
		stmt;							\
		EXPECT_DROP(f, echo_len, reason);			\
	} while (0)
	MUTATE_ECHO(f[34 + ICMP_CHECKSUM] ^= 1, NET_DROP_ICMP_CHECKSUM);
	MUTATE_ECHO(f[34 + 8 + 3] ^= 1, NET_DROP_ICMP_CHECKSUM);
	MUTATE_ECHO((f[34] = 13, net_store16(f + 34 + 2, 0),
		     net_store16(f + 34 + 2, ref_csum(f + 34, echo_len - 34, 0))), NET_DROP_ICMP_IGNORED);
	MUTATE_ECHO((f[35] = 1, net_store16(f + 34 + 2, 0),
		     net_store16(f + 34 + 2, ref_csum(f + 34, echo_len - 34, 0))), NET_DROP_ICMP_IGNORED);
	MUTATE_ECHO((net_store16(f + 14 + IP_TOTAL_LENGTH, 20 + 7), fix_ip_checksum(f)), NET_DROP_TRUNCATED);
	net_input(&pb->nif, echo, echo_len);
	CHECK_EQ(pb->count, 1);
	pb->head = pb->count = 0;

	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t arp[NET_FRAME_MAX];
#define MUTATE_ARP(stmt, reason)					\
	do {								\
		make_arp(arp, ARP_OP_REQUEST, mac_a, IP_A, bcast, IP_B);	\
		stmt;							\
		EXPECT_DROP(arp, 42, reason);				\
	} while (0)
	MUTATE_ARP(arp[14 + ARP_HTYPE + 1] = 6, NET_DROP_ARP_INVALID);
	MUTATE_ARP(arp[14 + ARP_PTYPE] = 0x86, NET_DROP_ARP_INVALID);
	MUTATE_ARP(arp[14 + ARP_HLEN] = 8, NET_DROP_ARP_INVALID);
	MUTATE_ARP(arp[14 + ARP_PLEN] = 16, NET_DROP_ARP_INVALID);
	MUTATE_ARP(net_store16(arp + 14 + ARP_OPER, 3), NET_DROP_ARP_INVALID);
	MUTATE_ARP(arp[14 + ARP_SHA + 5] ^= 1, NET_DROP_ARP_INVALID);		/* sender MAC != frame's */
	MUTATE_ARP(net_store_ip(arp + 14 + ARP_SPA, IP_B), NET_DROP_ARP_INVALID);	/* claims our address */
	MUTATE_ARP(net_store_ip(arp + 14 + ARP_SPA, net_ipv4(10, 0, 0, 255)), NET_DROP_ARP_INVALID);
	MUTATE_ARP(net_store_ip(arp + 14 + ARP_SPA, net_ipv4(224, 0, 0, 5)), NET_DROP_ARP_INVALID);
	MUTATE_ARP((net_store16(arp + 14 + ARP_OPER, ARP_OP_REPLY), net_store_ip(arp + 14 + ARP_SPA, 0)),
		   NET_DROP_ARP_INVALID);
	MUTATE_ARP(net_store_ip(arp + 14 + ARP_TPA, net_ipv4(10, 0, 0, 7)), NET_DROP_NOT_FOR_US);
}

TEST(drop_reasons_all_have_names)
{
	for (int i = 0; i < NET_DROP_COUNT; i++)
		CHECK(strcmp(net_drop_name((enum net_drop)i), "?") != 0);
	CHECK_STR_EQ(net_drop_name(NET_DROP_COUNT), "?");
	CHECK_STR_EQ(net_drop_name(NET_DROP_IP_CHECKSUM), "ip-checksum");
}
