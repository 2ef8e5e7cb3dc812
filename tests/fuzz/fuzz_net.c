// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the guest network stack's receive path. Each input is one
 * Ethernet frame given to net_input() (from a buffer of exactly its size,
 * so AddressSanitizer sees any read past it) on a netif in a lived-in state:
 * 10.0.2.15/24 behind gateway 10.0.2.2, like QEMU's user network, with
 * 10.0.2.3 resolved in the ARP cache, a packet pending for 10.0.2.2, the
 * UDP echo service on port 40000 and a handler reading every byte on 53.
 * Afterwards the clock jumps and net_timer() runs.
 *
 * Whatever comes in, every frame the stack sends must be well formed: our
 * MAC and address as source, lengths and checksums right (abort otherwise).
 * Seeds: frames captured from QEMU (tests/fixtures/net, tests/fuzz/make_net_seeds.py).
 */
#include <stdlib.h>
#include <string.h>

#include <runtime/net/net.h>
#include <runtime/net/net_wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static uint64_t fake_now;
static volatile uint8_t sink;

static uint64_t now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static uint16_t sum_of(const uint8_t *p, size_t len, uint32_t initial)
{
	return net_checksum_fold(net_checksum_add(initial, p, len));
}

/* Every frame out must be one a correct stack would send. */
static int check_xmit(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	(void)ctx;

	if (len < NET_ETH_HLEN + ARP_LEN || len > NET_FRAME_MAX || memcmp(f + ETH_SRC, our_mac, 6))
		abort();
	if (net_load16(f + ETH_TYPE) == ETH_TYPE_ARP) {
		if (len != NET_ETH_HLEN + ARP_LEN || net_load_ip(f + 14 + ARP_SPA) != net_ipv4(10, 0, 2, 15))
			abort();
		return 0;
	}
	const uint8_t *ip = f + 14, *l4 = f + 34;
	size_t l4_len = len - 34;

	if (net_load16(f + ETH_TYPE) != ETH_TYPE_IPV4 || ip[0] != 0x45 ||
	    net_load16(ip + IP_TOTAL_LENGTH) != len - 14 || sum_of(ip, 20, 0) ||
	    net_load_ip(ip + IP_SRC) != net_ipv4(10, 0, 2, 15) || ip[IP_TTL] != 64 ||
	    net_load16(ip + IP_FLAGS_FRAGMENT) != IP_FLAG_DF)
		abort();
	if (ip[IP_PROTOCOL] == IP_PROTO_ICMP) {
		if (l4_len < 8 || sum_of(l4, l4_len, 0))
			abort();
	} else if (ip[IP_PROTOCOL] == IP_PROTO_UDP) {
		uint8_t pseudo[12];

		memcpy(pseudo, ip + IP_SRC, 8);
		pseudo[8] = 0;
		pseudo[9] = IP_PROTO_UDP;
		net_store16(pseudo + 10, (uint16_t)l4_len);
		if (l4_len < 8 || net_load16(l4 + UDP_LENGTH) != l4_len || !net_load16(l4 + UDP_CHECKSUM) ||
		    sum_of(l4, l4_len, net_checksum_add(0, pseudo, 12)))
			abort();
	} else {
		abort();
	}
	return 0;
}

static void read_all(struct netif *nif, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	const uint8_t *p = data;
	uint8_t x = 0;

	(void)nif;
	(void)m;
	(void)arg;
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

static void setup(struct netif *nif)
{
	uint8_t arp[42];

	memset(nif, 0, sizeof(*nif));
	memcpy(nif->cfg.mac, our_mac, 6);
	nif->cfg.ipv4 = net_ipv4(10, 0, 2, 15);
	nif->cfg.prefix_len = 24;
	nif->cfg.gateway = net_ipv4(10, 0, 2, 2);
	nif->xmit = check_xmit;
	nif->now_ns = now;
	fake_now = 1000000000000ULL;
	if (net_init(nif) || net_udp_echo_bind(nif, 40000) || net_udp_bind(nif, 53, read_all, NULL))
		abort();

	/* 10.0.2.3 asks for us: learnt. */
	memset(arp, 0xff, 6);
	memcpy(arp + ETH_SRC, slirp_mac, 6);
	net_store16(arp + ETH_TYPE, ETH_TYPE_ARP);
	net_store16(arp + 14 + ARP_HTYPE, ARP_HTYPE_ETHERNET);
	net_store16(arp + 14 + ARP_PTYPE, ETH_TYPE_IPV4);
	arp[14 + ARP_HLEN] = 6;
	arp[14 + ARP_PLEN] = 4;
	net_store16(arp + 14 + ARP_OPER, ARP_OP_REQUEST);
	memcpy(arp + 14 + ARP_SHA, slirp_mac, 6);
	net_store_ip(arp + 14 + ARP_SPA, net_ipv4(10, 0, 2, 3));
	memset(arp + 14 + ARP_THA, 0, 6);
	net_store_ip(arp + 14 + ARP_TPA, nif->cfg.ipv4);
	net_input(nif, arp, sizeof(arp));
	/* A ping to the outside waits for the gateway. */
	if (net_ping_send(nif, net_ipv4(8, 8, 8, 8), 1, 1, 16))
		abort();
	if (nif->stats.rx_arp != 1 || nif->stats.tx_arp != 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netif nif;
	struct net_ping_reply reply;
	uint8_t *frame = malloc(size ? size : 1);
	uint64_t drops = 0;

	if (!frame)
		abort();
	memcpy(frame, data, size);
	setup(&nif);
	net_input(&nif, frame, size);
	free(frame);

	for (int i = 0; i < NET_DROP_COUNT; i++)
		drops += nif.stats.drop[i];
	if (drops > 1 || nif.stats.rx_frames != 2 || nif.ping_count > 1)
		abort();
	while (net_ping_poll(&nif, &reply))
		if (reply.len > NET_PING_MAX_PAYLOAD)
			abort();
	for (int i = 0; i < 4; i++) {
		fake_now += NET_ARP_LIFETIME_NS / 2;
		net_timer(&nif);
	}
	for (int i = 0; i < NET_ARP_ENTRIES; i++)
		if (nif.arp[i].state != NET_ARP_FREE || nif.arp[i].pending_len)
			abort();
	return 0;
}
