/* SPDX-License-Identifier: MIT */
/*
 * A minimal IPv4 stack for guests: Ethernet II, ARP, IPv4 (no fragments,
 * no forwarding), ICMP echo and UDP. It knows nothing about how frames
 * move: it transmits through nif->xmit and is fed received frames with
 * net_input(). It reads the time only through nif->now_ns. Pure C, so the
 * same code runs in the guest runtime and on the host (unit tests,
 * fuzzing). docs/guest-runtime.md, "Guest network stack".
 *
 * Every received byte is untrusted: net_input() never reads beyond len and
 * checks every length field against the bytes actually present. What it
 * refuses it counts in nif->stats.drop[], by reason.
 *
 * Not reentrant and not interrupt-safe: one caller at a time per netif.
 *
 * IPv4 addresses are uint32_t in network byte order (the four bytes a.b.c.d
 * in memory order, as they come from the boot info): use net_ipv4(a,b,c,d)
 * to write one.
 */
#ifndef RUNTIME_NET_NET_H
#define RUNTIME_NET_NET_H

#include <hv/types.h>

#define NET_ETH_ALEN		6
#define NET_ETH_HLEN		14	/* destination, source, EtherType */
/* IEEE 802's local experimental EtherTypes: the test guests' raw frames
 * (nethostile: spoofed frames carry the first, its flood the second). */
#define NET_ETH_TYPE_EXP1	0x88b5
#define NET_ETH_TYPE_EXP2	0x88b6
#define NET_MTU			1500	/* IPv4 packet, header included */
#define NET_FRAME_MAX		(NET_ETH_HLEN + NET_MTU)	/* no FCS, no VLAN tag */
#define NET_IP_HLEN		20	/* without options (we never send any) */
#define NET_UDP_HLEN		8
#define NET_ICMP_ECHO_HLEN	8
#define NET_UDP_MAX_PAYLOAD	(NET_MTU - NET_IP_HLEN - NET_UDP_HLEN)		/* 1472 */
#define NET_PING_MAX_PAYLOAD	(NET_MTU - NET_IP_HLEN - NET_ICMP_ECHO_HLEN)	/* 1472 */

#define NET_ARP_ENTRIES		8	/* neighbours; each holds one pending frame */
#define NET_ARP_RETRIES		3	/* requests per resolution before giving up */
#define NET_ARP_RETRY_NS	(1000ULL * 1000 * 1000)		/* between requests */
#define NET_ARP_LIFETIME_NS	(60ULL * 1000 * 1000 * 1000)	/* of a resolved entry */
#define NET_UDP_BINDINGS	8
#define NET_PING_QUEUE		8	/* echo replies waiting for net_ping_poll */

struct netif;

/* The four bytes of a.b.c.d as a network-order uint32_t. */
static inline uint32_t net_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	__builtin_memcpy(&v, bytes, 4);
	return v;
}

/*
 * The interface's addresses; the same fields as struct uhv_net_config in the
 * boot info. gateway 0 = none (only on-link destinations are reachable).
 */
struct net_config {
	uint8_t mac[NET_ETH_ALEN];	/* unicast, not zero */
	uint8_t prefix_len;		/* 0..32 */
	uint32_t ipv4;			/* network order; not 0, multicast, broadcast or loopback */
	uint32_t gateway;		/* network order; 0 or an on-link address */
};

/* Why a received frame, or a packet waiting for ARP, was dropped. */
enum net_drop {
	NET_DROP_TRUNCATED,		/* shorter than a header, or than a length field says */
	NET_DROP_OVERSIZE,		/* frame longer than NET_FRAME_MAX */
	NET_DROP_NOT_FOR_US,		/* MAC or IP destination, or ARP target, is not ours */
	NET_DROP_BAD_SRC_MAC,		/* source MAC multicast, broadcast, zero or ours */
	NET_DROP_ETHERTYPE,		/* not IPv4 or ARP (IPv6, VLAN tags, 802.3 lengths...) */
	NET_DROP_ARP_INVALID,		/* hardware/protocol type or size, opcode, sender */
	NET_DROP_ARP_UNSOLICITED,	/* a reply for an address we did not ask about */
	NET_DROP_ARP_CACHE_FULL,	/* no entry free or reusable for a new neighbour */
	NET_DROP_ARP_UNRESOLVED,	/* pending packet: retries exhausted, or replaced by a newer one */
	NET_DROP_IP_HEADER,		/* version, IHL, total length < IHL, reserved flag */
	NET_DROP_IP_CHECKSUM,
	NET_DROP_FRAGMENT,		/* MF set or fragment offset non-zero */
	NET_DROP_TTL,			/* TTL 0 */
	NET_DROP_BAD_SRC_IP,		/* source 0, ours, broadcast, multicast or loopback */
	NET_DROP_PROTOCOL,		/* IP protocol other than ICMP and UDP */
	NET_DROP_ICMP_CHECKSUM,
	NET_DROP_ICMP_IGNORED,		/* ICMP other than echo, or echo to a broadcast address */
	NET_DROP_PING_QUEUE_FULL,	/* echo reply arrived, net_ping_poll queue full */
	NET_DROP_UDP_HEADER,		/* UDP length < 8, or destination port 0 */
	NET_DROP_UDP_CHECKSUM,
	NET_DROP_UDP_NO_PORT,		/* no handler bound to the destination port */
	NET_DROP_COUNT
};

/* A short name for a drop reason ("truncated", "ip-checksum", ...). */
const char *net_drop_name(enum net_drop reason);

struct net_stats {
	uint64_t rx_frames, tx_frames;	/* every frame given to net_input / xmit */
	uint64_t tx_errors;		/* xmit returned an error */
	uint64_t rx_arp, tx_arp;
	uint64_t rx_ipv4, tx_ipv4;	/* accepted for us / sent */
	uint64_t rx_icmp, tx_icmp;
	uint64_t rx_udp, tx_udp;	/* delivered to a handler / sent */
	uint64_t rx_echo_requests, rx_echo_replies;
	uint64_t drop[NET_DROP_COUNT];
};

enum net_arp_state { NET_ARP_FREE, NET_ARP_INCOMPLETE, NET_ARP_RESOLVED };

struct net_arp_entry {
	enum net_arp_state state;
	uint32_t ip;
	uint8_t mac[NET_ETH_ALEN];	/* valid when RESOLVED */
	uint8_t requests;		/* sent so far, INCOMPLETE */
	uint64_t time_ns;		/* RESOLVED: when confirmed; INCOMPLETE: last request */
	uint16_t pending_len;		/* 0 = no packet waiting for this neighbour */
	uint8_t pending[NET_FRAME_MAX];	/* whole frame, destination MAC filled on resolution */
};

struct net_udp_meta {
	uint32_t src_ip, dst_ip;	/* dst_ip may be a broadcast address */
	uint16_t src_port, dst_port;	/* host byte order */
};

/*
 * Called from net_input() with a datagram's payload, which lives in the
 * received frame: valid only during the call. May send (net_udp_send).
 */
typedef void (*net_udp_handler)(struct netif *nif, const struct net_udp_meta *meta,
				const void *data, size_t len, void *arg);

struct net_udp_binding {
	uint16_t port;			/* host order; 0 = free */
	net_udp_handler handler;
	void *arg;
};

/* An echo reply, as net_ping_poll() hands it out. */
struct net_ping_reply {
	uint32_t src_ip;
	uint16_t id, seq;
	uint16_t len;			/* payload bytes */
	bool payload_ok;		/* payload is exactly what net_ping_send sent for id/seq/len */
	uint64_t rx_time_ns;		/* nif->now_ns when it arrived */
};

struct netif {
	/* Filled by the caller before net_init(). */
	struct net_config cfg;
	/*
	 * Send one Ethernet frame (NET_ETH_HLEN..NET_FRAME_MAX bytes, no FCS,
	 * not padded to 60). The frame is only valid during the call: copy it.
	 * Must not call net_input() on this netif. Returns 0 or a negative
	 * error, which is counted and handed back to the sender.
	 */
	int (*xmit)(void *ctx, const void *frame, size_t len);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	void *ctx;			/* given to xmit and now_ns */

	/* The stack's state: read-only for the caller. */
	struct net_stats stats;
	uint32_t netmask;		/* network order, from prefix_len */
	uint16_t ip_id;			/* next IPv4 identification */
	struct net_arp_entry arp[NET_ARP_ENTRIES];
	struct net_udp_binding udp[NET_UDP_BINDINGS];
	struct net_ping_reply pings[NET_PING_QUEUE];
	unsigned int ping_head, ping_count;
	uint8_t tx[NET_FRAME_MAX];	/* the frame being built */
};

/*
 * Check nif->cfg and reset the stack's state (statistics, ARP cache, UDP
 * bindings, ping queue); the caller's fields are kept. Returns 0, or
 * -HV_EINVAL if the configuration is unusable (see struct net_config) or a
 * callback is missing.
 */
int net_init(struct netif *nif);

/*
 * Process one received Ethernet frame (no FCS; padding after the IP packet
 * is ignored). Anything invalid is dropped and counted; valid traffic may
 * make the stack transmit (ARP and echo replies, UDP handlers, pending
 * packets of a neighbour just resolved).
 */
void net_input(struct netif *nif, const void *frame, size_t len);

/*
 * Timers: ARP retries (every NET_ARP_RETRY_NS, NET_ARP_RETRIES requests,
 * then the pending packet is dropped) and expiry of resolved entries. Call
 * it regularly, every few hundred milliseconds.
 */
void net_timer(struct netif *nif);

/*
 * Send a UDP datagram of len (0..NET_UDP_MAX_PAYLOAD) bytes. Ports in host
 * order, dst_port not 0. Returns 0 when sent or, if the next hop's MAC is
 * not known yet, queued behind an ARP request (a later packet to the same
 * next hop replaces it). Errors: -HV_EINVAL (destination 0, ours,
 * multicast or loopback; dst_port 0), -HV_E2BIG, -HV_ENOENT (off-link and no
 * gateway), -HV_EBUSY (ARP cache full of unresolved entries), or xmit's.
 * dst_ip may be 255.255.255.255 or the subnet broadcast (no ARP).
 */
int net_udp_send(struct netif *nif, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		 const void *data, size_t len);

/*
 * Deliver datagrams for port (host order, not 0) to handler. Returns 0,
 * -HV_EINVAL, -HV_EEXIST (port bound) or -HV_ENOMEM (table full).
 */
int net_udp_bind(struct netif *nif, uint16_t port, net_udp_handler handler, void *arg);
int net_udp_unbind(struct netif *nif, uint16_t port);	/* 0 or -HV_ENOENT */

/*
 * The UDP echo service (RFC 862): bind port and send every datagram
 * addressed to our unicast address back to its sender, byte for byte.
 * Datagrams to a broadcast address or from port 0 get no answer.
 */
int net_udp_echo_bind(struct netif *nif, uint16_t port);

/*
 * Send an ICMP echo request with payload_len (0..NET_PING_MAX_PAYLOAD)
 * bytes of net_ping_pattern(). Returns as net_udp_send.
 */
int net_ping_send(struct netif *nif, uint32_t dst_ip, uint16_t id, uint16_t seq, size_t payload_len);

/* Byte i of the payload net_ping_send sends for id/seq. */
uint8_t net_ping_pattern(uint16_t id, uint16_t seq, size_t i);

/* Take the oldest echo reply received: 1 and *out filled, or 0 if none. */
int net_ping_poll(struct netif *nif, struct net_ping_reply *out);

/*
 * The Internet checksum (RFC 1071). net_checksum_add adds len bytes, read
 * as big-endian 16-bit words, to a partial sum (start from 0); every piece
 * but the last must have an even length. net_checksum_fold returns the
 * checksum in host order, ready for net_store16: over data that contains
 * a correct checksum field it is 0.
 */
uint32_t net_checksum_add(uint32_t sum, const void *data, size_t len);
uint16_t net_checksum_fold(uint32_t sum);

#endif /* RUNTIME_NET_NET_H */
