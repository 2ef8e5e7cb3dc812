// SPDX-License-Identifier: MIT
/*
 * The guest network stack (net.h): Ethernet II demultiplexing, IPv4 input
 * and output, ICMP echo, UDP. ARP is in arp.c.
 *
 * Input validates in the order the bytes are trusted: a length is checked
 * against the bytes present before anything it covers is read, the IPv4
 * header checksum before any of its other fields is believed. Each refusal
 * is counted under one reason (enum net_drop). We never send ICMP errors:
 * a refused packet costs the sender nothing and us one counter.
 */
#include <abi/errno.h>
#include <hv/string.h>

#include "net_priv.h"
#include "net_wire.h"

#define IP_OFF		NET_ETH_HLEN			/* IPv4 header in nif->tx */
#define L4_OFF		(NET_ETH_HLEN + NET_IP_HLEN)	/* ICMP or UDP header in nif->tx */

static const char *const drop_names[NET_DROP_COUNT] = {
	[NET_DROP_TRUNCATED] = "truncated",
	[NET_DROP_OVERSIZE] = "oversize",
	[NET_DROP_NOT_FOR_US] = "not-for-us",
	[NET_DROP_BAD_SRC_MAC] = "bad-src-mac",
	[NET_DROP_ETHERTYPE] = "ethertype",
	[NET_DROP_ARP_INVALID] = "arp-invalid",
	[NET_DROP_ARP_UNSOLICITED] = "arp-unsolicited",
	[NET_DROP_ARP_CACHE_FULL] = "arp-cache-full",
	[NET_DROP_ARP_UNRESOLVED] = "arp-unresolved",
	[NET_DROP_IP_HEADER] = "ip-header",
	[NET_DROP_IP_CHECKSUM] = "ip-checksum",
	[NET_DROP_FRAGMENT] = "fragment",
	[NET_DROP_TTL] = "ttl",
	[NET_DROP_BAD_SRC_IP] = "bad-src-ip",
	[NET_DROP_PROTOCOL] = "protocol",
	[NET_DROP_ICMP_CHECKSUM] = "icmp-checksum",
	[NET_DROP_ICMP_IGNORED] = "icmp-ignored",
	[NET_DROP_PING_QUEUE_FULL] = "ping-queue-full",
	[NET_DROP_UDP_HEADER] = "udp-header",
	[NET_DROP_UDP_CHECKSUM] = "udp-checksum",
	[NET_DROP_UDP_NO_PORT] = "udp-no-port",
};

const char *net_drop_name(enum net_drop reason)
{
	if ((unsigned int)reason >= NET_DROP_COUNT || !drop_names[reason])
		return "?";
	return drop_names[reason];
}

/* ---- Checksums (RFC 1071) */

uint32_t net_checksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	for (; len >= 2; p += 2, len -= 2)
		acc += net_load16(p);
	if (len)
		acc += (uint32_t)p[0] << 8;	/* odd length: padded with a zero byte */
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t net_checksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The sum of the UDP pseudo-header (RFC 768): addresses, protocol, UDP length. */
static uint32_t udp_pseudo_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];

	net_store_ip(ph, src);
	net_store_ip(ph + 4, dst);
	ph[8] = 0;
	ph[9] = IP_PROTO_UDP;
	net_store16(ph + 10, udp_len);
	return net_checksum_add(0, ph, sizeof(ph));
}

/* ---- Addresses */

bool net_ip_is_broadcast(const struct netif *nif, uint32_t ip)
{
	if (ip == 0xffffffff)
		return true;
	/* /31 (RFC 3021) and /32 have no broadcast address. */
	return nif->cfg.prefix_len <= 30 && ip == (nif->cfg.ipv4 | ~nif->netmask);
}

/* 0.0.0.0/8, loopback 127/8, multicast 224/4 and reserved 240/4 (limited broadcast included). */
static bool ip_is_special(uint32_t ip)
{
	uint32_t h = net_ntohl(ip);

	return h >> 24 == 0 || h >> 24 == 127 || h >> 28 >= 0xe;
}

static uint32_t prefix_mask(uint8_t prefix_len)
{
	return net_htonl(prefix_len ? ~0U << (32 - prefix_len) : 0);
}

static bool on_link(const struct netif *nif, uint32_t ip)
{
	return ((ip ^ nif->cfg.ipv4) & nif->netmask) == 0;
}

int net_init(struct netif *nif)
{
	const struct net_config *c = &nif->cfg;

	if (!nif->xmit || !nif->now_ns || c->prefix_len > 32 ||
	    mac_is_multicast(c->mac) || mac_is_zero(c->mac) || ip_is_special(c->ipv4))
		return -HV_EINVAL;
	nif->netmask = prefix_mask(c->prefix_len);
	if (net_ip_is_broadcast(nif, c->ipv4) ||
	    (c->prefix_len <= 30 && !(c->ipv4 & ~nif->netmask)))	/* the subnet's own address */
		return -HV_EINVAL;
	if (c->gateway && (ip_is_special(c->gateway) || c->gateway == c->ipv4 ||
			   !on_link(nif, c->gateway) || net_ip_is_broadcast(nif, c->gateway)))
		return -HV_EINVAL;

	memset(&nif->stats, 0, sizeof(nif->stats));
	memset(nif->arp, 0, sizeof(nif->arp));
	memset(nif->udp, 0, sizeof(nif->udp));
	memset(nif->pings, 0, sizeof(nif->pings));
	nif->ping_head = nif->ping_count = 0;
	nif->ip_id = 1;
	return 0;
}

/* ---- Output */

int net_transmit(struct netif *nif, const uint8_t *frame, size_t len)
{
	struct net_stats *s = &nif->stats;
	uint16_t type = net_load16(frame + ETH_TYPE);

	s->tx_frames++;
	if (type == ETH_TYPE_ARP)
		s->tx_arp++;
	if (type == ETH_TYPE_IPV4) {
		s->tx_ipv4++;
		if (frame[IP_OFF + IP_PROTOCOL] == IP_PROTO_ICMP)
			s->tx_icmp++;
		if (frame[IP_OFF + IP_PROTOCOL] == IP_PROTO_UDP)
			s->tx_udp++;
	}
	int err = nif->xmit(nif->ctx, frame, len);
	if (err)
		s->tx_errors++;
	return err;
}

/*
 * Where a packet to dst goes: *next_hop (dst on-link, else the gateway),
 * or *broadcast. Returns 0, -HV_EINVAL for an address we never send to, or
 * -HV_ENOENT if dst is off-link and there is no gateway.
 */
static int route(const struct netif *nif, uint32_t dst, uint32_t *next_hop, bool *broadcast)
{
	*broadcast = net_ip_is_broadcast(nif, dst);
	if (*broadcast)
		return 0;
	if (dst == nif->cfg.ipv4 || ip_is_special(dst))
		return -HV_EINVAL;
	if (on_link(nif, dst))
		*next_hop = dst;
	else if (nif->cfg.gateway)
		*next_hop = nif->cfg.gateway;
	else
		return -HV_ENOENT;
	return 0;
}

/*
 * Send the l4_len bytes already at nif->tx + L4_OFF to dst (routed by the
 * caller) under a 20-byte IPv4 header: DF (we never fragment), TTL 64.
 */
static int ip_output(struct netif *nif, uint32_t dst, uint32_t next_hop, bool broadcast,
		     uint8_t protocol, size_t l4_len)
{
	uint8_t *ip = nif->tx + IP_OFF;
	size_t total = NET_IP_HLEN + l4_len;

	ip[IP_VER_IHL] = 0x40 | NET_IP_HLEN / 4;
	ip[IP_TOS] = 0;
	net_store16(ip + IP_TOTAL_LENGTH, (uint16_t)total);
	net_store16(ip + IP_IDENTIFICATION, nif->ip_id++);
	net_store16(ip + IP_FLAGS_FRAGMENT, IP_FLAG_DF);
	ip[IP_TTL] = IP_DEFAULT_TTL;
	ip[IP_PROTOCOL] = protocol;
	net_store16(ip + IP_CHECKSUM, 0);
	net_store_ip(ip + IP_SRC, nif->cfg.ipv4);
	net_store_ip(ip + IP_DST, dst);
	net_store16(ip + IP_CHECKSUM, net_checksum_fold(net_checksum_add(0, ip, NET_IP_HLEN)));

	memcpy(nif->tx + ETH_SRC, nif->cfg.mac, NET_ETH_ALEN);
	net_store16(nif->tx + ETH_TYPE, ETH_TYPE_IPV4);
	if (broadcast) {
		memset(nif->tx + ETH_DST, 0xff, NET_ETH_ALEN);
		return net_transmit(nif, nif->tx, NET_ETH_HLEN + total);
	}
	return arp_output(nif, next_hop, nif->tx, NET_ETH_HLEN + total);
}

int net_udp_send(struct netif *nif, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		 const void *data, size_t len)
{
	uint32_t next_hop = 0;
	bool broadcast;
	uint8_t *udp = nif->tx + L4_OFF;

	if (!dst_port)
		return -HV_EINVAL;
	if (len > NET_UDP_MAX_PAYLOAD)
		return -HV_E2BIG;
	int err = route(nif, dst_ip, &next_hop, &broadcast);
	if (err)
		return err;

	uint16_t udp_len = (uint16_t)(UDP_HLEN + len);

	net_store16(udp + UDP_SRC_PORT, src_port);
	net_store16(udp + UDP_DST_PORT, dst_port);
	net_store16(udp + UDP_LENGTH, udp_len);
	net_store16(udp + UDP_CHECKSUM, 0);
	memmove(udp + UDP_HLEN, data, len);
	uint16_t sum = net_checksum_fold(net_checksum_add(udp_pseudo_sum(nif->cfg.ipv4, dst_ip, udp_len),
							  udp, udp_len));
	net_store16(udp + UDP_CHECKSUM, sum ? sum : 0xffff);	/* 0 means "no checksum" */
	return ip_output(nif, dst_ip, next_hop, broadcast, IP_PROTO_UDP, udp_len);
}

uint8_t net_ping_pattern(uint16_t id, uint16_t seq, size_t i)
{
	return (uint8_t)(i * 7 + seq + (id >> 8) + id);
}

/* An echo or echo reply of payload_len bytes at nif->tx + L4_OFF + 8, whose header we fill. */
static void icmp_echo_header(struct netif *nif, uint8_t type, uint16_t id, uint16_t seq, size_t payload_len)
{
	uint8_t *icmp = nif->tx + L4_OFF;

	icmp[ICMP_TYPE] = type;
	icmp[ICMP_CODE] = 0;
	net_store16(icmp + ICMP_CHECKSUM, 0);
	net_store16(icmp + ICMP_ID, id);
	net_store16(icmp + ICMP_SEQ, seq);
	net_store16(icmp + ICMP_CHECKSUM,
		    net_checksum_fold(net_checksum_add(0, icmp, ICMP_ECHO_HLEN + payload_len)));
}

int net_ping_send(struct netif *nif, uint32_t dst_ip, uint16_t id, uint16_t seq, size_t payload_len)
{
	uint32_t next_hop = 0;
	bool broadcast;
	uint8_t *payload = nif->tx + L4_OFF + ICMP_ECHO_HLEN;

	if (payload_len > NET_PING_MAX_PAYLOAD)
		return -HV_E2BIG;
	int err = route(nif, dst_ip, &next_hop, &broadcast);
	if (err)
		return err;
	for (size_t i = 0; i < payload_len; i++)
		payload[i] = net_ping_pattern(id, seq, i);
	icmp_echo_header(nif, ICMP_ECHO_REQUEST, id, seq, payload_len);
	return ip_output(nif, dst_ip, next_hop, broadcast, IP_PROTO_ICMP, ICMP_ECHO_HLEN + payload_len);
}

int net_ping_poll(struct netif *nif, struct net_ping_reply *out)
{
	if (!nif->ping_count)
		return 0;
	*out = nif->pings[nif->ping_head];
	nif->ping_head = (nif->ping_head + 1) % NET_PING_QUEUE;
	nif->ping_count--;
	return 1;
}

/* ---- UDP bindings and the echo service */

static struct net_udp_binding *udp_find(struct netif *nif, uint16_t port)
{
	for (int i = 0; i < NET_UDP_BINDINGS; i++)
		if (nif->udp[i].port == port)
			return &nif->udp[i];
	return NULL;
}

int net_udp_bind(struct netif *nif, uint16_t port, net_udp_handler handler, void *arg)
{
	if (!port || !handler)
		return -HV_EINVAL;
	if (udp_find(nif, port))
		return -HV_EEXIST;

	struct net_udp_binding *b = udp_find(nif, 0);

	if (!b)
		return -HV_ENOMEM;
	*b = (struct net_udp_binding){ .port = port, .handler = handler, .arg = arg };
	return 0;
}

int net_udp_unbind(struct netif *nif, uint16_t port)
{
	struct net_udp_binding *b = port ? udp_find(nif, port) : NULL;

	if (!b)
		return -HV_ENOENT;
	*b = (struct net_udp_binding){ .port = 0 };
	return 0;
}

static void udp_echo(struct netif *nif, const struct net_udp_meta *m, const void *data, size_t len,
		     void *arg)
{
	(void)arg;
	/* Never answer a broadcast (one datagram, a reply from every host) or port 0 (no reply wanted). */
	if (m->dst_ip != nif->cfg.ipv4 || !m->src_port)
		return;
	net_udp_send(nif, m->src_ip, m->dst_port, m->src_port, data, len);
}

int net_udp_echo_bind(struct netif *nif, uint16_t port)
{
	return net_udp_bind(nif, port, udp_echo, NULL);
}

/* ---- Input */

static void icmp_input(struct netif *nif, uint32_t src, bool broadcast, const uint8_t *icmp, size_t len)
{
	if (len < ICMP_ECHO_HLEN) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}
	if (net_checksum_fold(net_checksum_add(0, icmp, len))) {
		net_count_drop(nif, NET_DROP_ICMP_CHECKSUM);
		return;
	}

	uint8_t type = icmp[ICMP_TYPE];
	uint16_t id = net_load16(icmp + ICMP_ID), seq = net_load16(icmp + ICMP_SEQ);
	const uint8_t *payload = icmp + ICMP_ECHO_HLEN;
	size_t payload_len = len - ICMP_ECHO_HLEN;

	/* Echo to a broadcast address: ignored, as RFC 1122 3.2.2.6 allows (no smurf amplifier). */
	if (icmp[ICMP_CODE] != 0 || broadcast ||
	    (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY)) {
		net_count_drop(nif, NET_DROP_ICMP_IGNORED);
		return;
	}
	nif->stats.rx_icmp++;

	if (type == ICMP_ECHO_REQUEST) {
		uint32_t next_hop = 0;
		bool bcast;

		nif->stats.rx_echo_requests++;
		/* The received header may carry options: the reply is 20 + len <= NET_MTU bytes anyway. */
		if (route(nif, src, &next_hop, &bcast) || bcast)
			return;
		memcpy(nif->tx + L4_OFF + ICMP_ECHO_HLEN, payload, payload_len);
		icmp_echo_header(nif, ICMP_ECHO_REPLY, id, seq, payload_len);
		ip_output(nif, src, next_hop, false, IP_PROTO_ICMP, len);
		return;
	}

	nif->stats.rx_echo_replies++;
	if (nif->ping_count == NET_PING_QUEUE) {
		net_count_drop(nif, NET_DROP_PING_QUEUE_FULL);
		return;
	}

	struct net_ping_reply *r = &nif->pings[(nif->ping_head + nif->ping_count++) % NET_PING_QUEUE];
	bool ok = true;

	for (size_t i = 0; i < payload_len && ok; i++)
		ok = payload[i] == net_ping_pattern(id, seq, i);
	*r = (struct net_ping_reply){
		.src_ip = src, .id = id, .seq = seq, .len = (uint16_t)payload_len,
		.payload_ok = ok, .rx_time_ns = nif->now_ns(nif->ctx),
	};
}

static void udp_input(struct netif *nif, uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
	if (len < UDP_HLEN) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}

	uint16_t udp_len = net_load16(udp + UDP_LENGTH);
	struct net_udp_meta m = {
		.src_ip = src, .dst_ip = dst,
		.src_port = net_load16(udp + UDP_SRC_PORT), .dst_port = net_load16(udp + UDP_DST_PORT),
	};

	if (udp_len > len) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}
	if (udp_len < UDP_HLEN || !m.dst_port) {
		net_count_drop(nif, NET_DROP_UDP_HEADER);
		return;
	}
	/* Bytes after udp_len (inside the IP packet) are not part of the datagram. */
	if (net_load16(udp + UDP_CHECKSUM) &&
	    net_checksum_fold(net_checksum_add(udp_pseudo_sum(src, dst, udp_len), udp, udp_len))) {
		net_count_drop(nif, NET_DROP_UDP_CHECKSUM);
		return;
	}

	struct net_udp_binding *b = udp_find(nif, m.dst_port);

	if (!b) {
		net_count_drop(nif, NET_DROP_UDP_NO_PORT);
		return;
	}
	nif->stats.rx_udp++;
	b->handler(nif, &m, udp + UDP_HLEN, udp_len - UDP_HLEN, b->arg);
}

static void ip_input(struct netif *nif, const uint8_t *ip, size_t len)
{
	if (len < IP_MIN_HLEN) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}

	size_t hlen = (size_t)(ip[IP_VER_IHL] & 0xf) * 4;
	size_t total = net_load16(ip + IP_TOTAL_LENGTH);

	if (ip[IP_VER_IHL] >> 4 != 4 || hlen < IP_MIN_HLEN) {
		net_count_drop(nif, NET_DROP_IP_HEADER);
		return;
	}
	if (hlen > len || total > len) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}
	if (total < hlen) {
		net_count_drop(nif, NET_DROP_IP_HEADER);
		return;
	}
	if (net_checksum_fold(net_checksum_add(0, ip, hlen))) {
		net_count_drop(nif, NET_DROP_IP_CHECKSUM);
		return;
	}

	uint16_t frag = net_load16(ip + IP_FLAGS_FRAGMENT);
	uint32_t src = net_load_ip(ip + IP_SRC), dst = net_load_ip(ip + IP_DST);
	bool broadcast = net_ip_is_broadcast(nif, dst);

	if (frag & IP_FLAG_RESERVED) {
		net_count_drop(nif, NET_DROP_IP_HEADER);
		return;
	}
	if (frag & (IP_FLAG_MF | IP_FRAGMENT_OFFSET)) {
		net_count_drop(nif, NET_DROP_FRAGMENT);
		return;
	}
	/* RFC 1122 3.2.1.7: no discarding for TTL < 2, but 0 means a router broke the rules. */
	if (ip[IP_TTL] == 0) {
		net_count_drop(nif, NET_DROP_TTL);
		return;
	}
	if (dst != nif->cfg.ipv4 && !broadcast) {
		net_count_drop(nif, NET_DROP_NOT_FOR_US);
		return;
	}
	/* RFC 1122 3.2.1.3: a source is never a broadcast, multicast, loopback or "this host" address. */
	if (src == nif->cfg.ipv4 || ip_is_special(src) || net_ip_is_broadcast(nif, src)) {
		net_count_drop(nif, NET_DROP_BAD_SRC_IP);
		return;
	}

	const uint8_t *l4 = ip + hlen;
	size_t l4_len = total - hlen;

	switch (ip[IP_PROTOCOL]) {
	case IP_PROTO_ICMP:
		nif->stats.rx_ipv4++;
		icmp_input(nif, src, broadcast, l4, l4_len);
		break;
	case IP_PROTO_UDP:
		nif->stats.rx_ipv4++;
		udp_input(nif, src, dst, l4, l4_len);
		break;
	default:
		net_count_drop(nif, NET_DROP_PROTOCOL);
		break;
	}
}

void net_input(struct netif *nif, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	nif->stats.rx_frames++;
	if (len < NET_ETH_HLEN) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}
	if (len > NET_FRAME_MAX) {
		net_count_drop(nif, NET_DROP_OVERSIZE);
		return;
	}
	/* Unicast to us or broadcast; other multicast is for protocols we do not speak. */
	if (!mac_equal(f + ETH_DST, nif->cfg.mac) && !mac_is_broadcast(f + ETH_DST)) {
		net_count_drop(nif, NET_DROP_NOT_FOR_US);
		return;
	}
	if (mac_is_multicast(f + ETH_SRC) || mac_is_zero(f + ETH_SRC) || mac_equal(f + ETH_SRC, nif->cfg.mac)) {
		net_count_drop(nif, NET_DROP_BAD_SRC_MAC);
		return;
	}

	switch (net_load16(f + ETH_TYPE)) {
	case ETH_TYPE_ARP:
		arp_input(nif, f + ETH_SRC, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
		break;
	case ETH_TYPE_IPV4:
		ip_input(nif, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
		break;
	default:
		net_count_drop(nif, NET_DROP_ETHERTYPE);
		break;
	}
}

void net_timer(struct netif *nif)
{
	arp_timer(nif);
}
