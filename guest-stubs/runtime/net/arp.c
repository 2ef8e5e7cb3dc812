// SPDX-License-Identifier: MIT
/*
 * ARP (RFC 826) for the guest network stack: answers requests for our
 * address, resolves next hops with a small cache, holds one packet per
 * unresolved neighbour.
 *
 * What we learn, and from whom: a reply only completes or refreshes an
 * entry we already have (an unsolicited reply cannot plant an entry); a
 * request that targets our address creates or refreshes the sender's
 * entry, since that sender is about to talk to us. Packets not aimed at
 * our address teach nothing, gratuitous ARP included (an entry that went
 * stale expires after NET_ARP_LIFETIME_NS and is resolved again).
 */
#include <abi/errno.h>
#include <hv/string.h>

#include "net_priv.h"
#include "net_wire.h"

static const uint8_t mac_broadcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint64_t now(struct netif *nif)
{
	return nif->now_ns(nif->ctx);
}

static bool on_link(const struct netif *nif, uint32_t ip)
{
	return ((ip ^ nif->cfg.ipv4) & nif->netmask) == 0;
}

/* Build and send one ARP packet (a 42-byte frame, on the stack: nif->tx may hold a packet being built). */
static void arp_send(struct netif *nif, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha, uint32_t tpa)
{
	uint8_t frame[NET_ETH_HLEN + ARP_LEN];
	uint8_t *arp = frame + NET_ETH_HLEN;

	memcpy(frame + ETH_DST, eth_dst, NET_ETH_ALEN);
	memcpy(frame + ETH_SRC, nif->cfg.mac, NET_ETH_ALEN);
	net_store16(frame + ETH_TYPE, ETH_TYPE_ARP);
	net_store16(arp + ARP_HTYPE, ARP_HTYPE_ETHERNET);
	net_store16(arp + ARP_PTYPE, ETH_TYPE_IPV4);
	arp[ARP_HLEN] = NET_ETH_ALEN;
	arp[ARP_PLEN] = 4;
	net_store16(arp + ARP_OPER, op);
	memcpy(arp + ARP_SHA, nif->cfg.mac, NET_ETH_ALEN);
	net_store_ip(arp + ARP_SPA, nif->cfg.ipv4);
	memcpy(arp + ARP_THA, tha, NET_ETH_ALEN);
	net_store_ip(arp + ARP_TPA, tpa);
	net_transmit(nif, frame, sizeof(frame));
}

static void arp_request(struct netif *nif, struct net_arp_entry *e)
{
	static const uint8_t unknown[NET_ETH_ALEN];

	e->requests++;
	e->time_ns = now(nif);
	arp_send(nif, ARP_OP_REQUEST, mac_broadcast, unknown, e->ip);
}

static void arp_free(struct netif *nif, struct net_arp_entry *e)
{
	if (e->pending_len)
		net_count_drop(nif, NET_DROP_ARP_UNRESOLVED);
	e->state = NET_ARP_FREE;
	e->pending_len = 0;
	e->requests = 0;
}

/*
 * The entry for ip, or NULL. A resolved entry past its lifetime is freed
 * here, so a stale MAC is never used however rarely net_timer runs.
 */
static struct net_arp_entry *arp_find(struct netif *nif, uint32_t ip)
{
	for (int i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &nif->arp[i];

		if (e->state == NET_ARP_FREE || e->ip != ip)
			continue;
		if (e->state == NET_ARP_RESOLVED && now(nif) - e->time_ns >= NET_ARP_LIFETIME_NS) {
			arp_free(nif, e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

/*
 * A free entry for ip: an unused one, else the resolved entry confirmed
 * longest ago. Unresolved entries are never taken over (each may hold a
 * packet and is bounded by its retries). NULL if all are unresolved.
 */
static struct net_arp_entry *arp_alloc(struct netif *nif, uint32_t ip)
{
	struct net_arp_entry *victim = NULL;

	for (int i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &nif->arp[i];

		if (e->state == NET_ARP_FREE) {
			victim = e;
			break;
		}
		if (e->state == NET_ARP_RESOLVED && (!victim || e->time_ns < victim->time_ns))
			victim = e;
	}
	if (!victim)
		return NULL;
	arp_free(nif, victim);
	victim->ip = ip;
	return victim;
}

/* Record ip at mac, and send the packet that was waiting for it. */
static void arp_resolved(struct netif *nif, struct net_arp_entry *e, const uint8_t *mac)
{
	memcpy(e->mac, mac, NET_ETH_ALEN);
	e->state = NET_ARP_RESOLVED;
	e->time_ns = now(nif);
	e->requests = 0;
	if (e->pending_len) {
		size_t len = e->pending_len;

		e->pending_len = 0;
		memcpy(e->pending + ETH_DST, mac, NET_ETH_ALEN);
		net_transmit(nif, e->pending, len);
	}
}

void arp_input(struct netif *nif, const uint8_t *eth_src, const uint8_t *arp, size_t len)
{
	if (len < ARP_LEN) {
		net_count_drop(nif, NET_DROP_TRUNCATED);
		return;
	}

	uint16_t op = net_load16(arp + ARP_OPER);
	const uint8_t *sha = arp + ARP_SHA;
	uint32_t spa = net_load_ip(arp + ARP_SPA);
	uint32_t tpa = net_load_ip(arp + ARP_TPA);
	uint32_t spa_host = net_ntohl(spa);

	/*
	 * Only Ethernet/IPv4 ARP. The sender MAC must be the frame's (no
	 * proxying on a virtual switch), and the sender address a possible
	 * unicast host: 0.0.0.0 only in a request (an RFC 5227 probe, which we
	 * answer without learning). A sender claiming our own address is a
	 * conflict: refused, never learnt.
	 */
	if (net_load16(arp + ARP_HTYPE) != ARP_HTYPE_ETHERNET ||
	    net_load16(arp + ARP_PTYPE) != ETH_TYPE_IPV4 ||
	    arp[ARP_HLEN] != NET_ETH_ALEN || arp[ARP_PLEN] != 4 ||
	    (op != ARP_OP_REQUEST && op != ARP_OP_REPLY) ||
	    !mac_equal(sha, eth_src) ||
	    (spa == 0 && op != ARP_OP_REQUEST) ||
	    spa == nif->cfg.ipv4 || net_ip_is_broadcast(nif, spa) ||
	    spa_host >> 28 >= 0xe || spa_host >> 24 == 127) {
		net_count_drop(nif, NET_DROP_ARP_INVALID);
		return;
	}
	if (tpa != nif->cfg.ipv4) {
		net_count_drop(nif, NET_DROP_NOT_FOR_US);
		return;
	}
	nif->stats.rx_arp++;

	struct net_arp_entry *e = spa ? arp_find(nif, spa) : NULL;

	if (op == ARP_OP_REPLY) {
		if (!e) {
			net_count_drop(nif, NET_DROP_ARP_UNSOLICITED);
			return;
		}
		arp_resolved(nif, e, sha);
		return;
	}

	/* A request for our address: learn the sender if it is a neighbour, then answer. */
	if (spa && on_link(nif, spa)) {
		if (!e)
			e = arp_alloc(nif, spa);
		if (e)
			arp_resolved(nif, e, sha);
		else
			net_count_drop(nif, NET_DROP_ARP_CACHE_FULL);
	}
	arp_send(nif, ARP_OP_REPLY, sha, sha, spa);
}

int arp_output(struct netif *nif, uint32_t next_hop, uint8_t *frame, size_t len)
{
	struct net_arp_entry *e = arp_find(nif, next_hop);

	if (e && e->state == NET_ARP_RESOLVED) {
		memcpy(frame + ETH_DST, e->mac, NET_ETH_ALEN);
		return net_transmit(nif, frame, len);
	}
	if (!e) {
		e = arp_alloc(nif, next_hop);
		if (!e) {
			net_count_drop(nif, NET_DROP_ARP_CACHE_FULL);
			return -HV_EBUSY;
		}
		e->state = NET_ARP_INCOMPLETE;
		e->requests = 0;
	}
	/* One packet waits per neighbour: the newest, as in 4.4BSD's la_hold. */
	if (e->pending_len)
		net_count_drop(nif, NET_DROP_ARP_UNRESOLVED);
	memcpy(e->pending, frame, len);
	e->pending_len = (uint16_t)len;
	if (!e->requests)
		arp_request(nif, e);
	return 0;
}

void arp_timer(struct netif *nif)
{
	uint64_t t = now(nif);

	for (int i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &nif->arp[i];

		if (e->state == NET_ARP_RESOLVED && t - e->time_ns >= NET_ARP_LIFETIME_NS)
			arp_free(nif, e);
		if (e->state != NET_ARP_INCOMPLETE || t - e->time_ns < NET_ARP_RETRY_NS)
			continue;
		if (e->requests >= NET_ARP_RETRIES)
			arp_free(nif, e);
		else
			arp_request(nif, e);
	}
}
