/* SPDX-License-Identifier: MIT */
/* What net.c (Ethernet, IPv4, ICMP, UDP) and arp.c share; not an API. */
#ifndef RUNTIME_NET_NET_PRIV_H
#define RUNTIME_NET_NET_PRIV_H

#include "net.h"

static inline void net_count_drop(struct netif *nif, enum net_drop reason)
{
	nif->stats.drop[reason]++;
}

static inline bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	return __builtin_memcmp(a, b, NET_ETH_ALEN) == 0;
}

/* The group bit: multicast, broadcast included (IEEE 802 section 8.2). */
static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool mac_is_zero(const uint8_t *mac)
{
	for (int i = 0; i < NET_ETH_ALEN; i++)
		if (mac[i])
			return false;
	return true;
}

static inline bool mac_is_broadcast(const uint8_t *mac)
{
	for (int i = 0; i < NET_ETH_ALEN; i++)
		if (mac[i] != 0xff)
			return false;
	return true;
}

/* 255.255.255.255, or the directed broadcast of our subnet (prefixes up to /30). */
bool net_ip_is_broadcast(const struct netif *nif, uint32_t ip);

/* Hand a complete frame to xmit, counting it by protocol; returns xmit's result. */
int net_transmit(struct netif *nif, const uint8_t *frame, size_t len);

/* ARP (arp.c). */
void arp_input(struct netif *nif, const uint8_t *eth_src, const uint8_t *arp, size_t len);

/*
 * Send the frame (Ethernet destination still to fill) to next_hop, an
 * on-link unicast address: now if its MAC is known, else after an ARP
 * reply (the frame is copied). Returns 0, -HV_EBUSY or xmit's error.
 */
int arp_output(struct netif *nif, uint32_t next_hop, uint8_t *frame, size_t len);

void arp_timer(struct netif *nif);

#endif /* RUNTIME_NET_NET_PRIV_H */
