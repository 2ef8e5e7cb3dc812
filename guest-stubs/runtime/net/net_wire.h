/* SPDX-License-Identifier: MIT */
/*
 * Wire formats of the network stack (net.h), as byte offsets named after
 * the RFCs' field names, and the loads and stores that read and write them.
 * Frames are byte arrays of any alignment: fields are read and written one
 * byte at a time (big-endian values) or with memcpy (addresses), never
 * through a struct pointer cast into the frame.
 */
#ifndef RUNTIME_NET_NET_WIRE_H
#define RUNTIME_NET_NET_WIRE_H

#include <hv/types.h>

/* ---- Ethernet II (IEEE 802.3 clause 3.2, DIX framing) */
#define ETH_DST			0
#define ETH_SRC			6
#define ETH_TYPE		12
# define ETH_TYPE_IPV4		0x0800
# define ETH_TYPE_ARP		0x0806

/* ---- ARP for IPv4 over Ethernet (RFC 826), after the Ethernet header */
#define ARP_HTYPE		0	/* ar$hrd */
# define ARP_HTYPE_ETHERNET	1
#define ARP_PTYPE		2	/* ar$pro */
#define ARP_HLEN		4	/* ar$hln */
#define ARP_PLEN		5	/* ar$pln */
#define ARP_OPER		6	/* ar$op */
# define ARP_OP_REQUEST		1
# define ARP_OP_REPLY		2
#define ARP_SHA			8	/* ar$sha */
#define ARP_SPA			14	/* ar$spa */
#define ARP_THA			18	/* ar$tha */
#define ARP_TPA			24	/* ar$tpa */
#define ARP_LEN			28

/* ---- IPv4 header (RFC 791 section 3.1) */
#define IP_VER_IHL		0	/* version (high nibble), IHL in 32-bit words */
#define IP_TOS			1
#define IP_TOTAL_LENGTH		2
#define IP_IDENTIFICATION	4
#define IP_FLAGS_FRAGMENT	6
# define IP_FLAG_RESERVED	0x8000
# define IP_FLAG_DF		0x4000
# define IP_FLAG_MF		0x2000
# define IP_FRAGMENT_OFFSET	0x1fff
#define IP_TTL			8
# define IP_DEFAULT_TTL		64	/* RFC 1700 */
#define IP_PROTOCOL		9
# define IP_PROTO_ICMP		1
# define IP_PROTO_UDP		17
#define IP_CHECKSUM		10
#define IP_SRC			12
#define IP_DST			16
#define IP_MIN_HLEN		20
#define IP_MAX_HLEN		60

/* ---- ICMP echo and echo reply (RFC 792) */
#define ICMP_TYPE		0
# define ICMP_ECHO_REPLY	0
# define ICMP_ECHO_REQUEST	8
#define ICMP_CODE		1
#define ICMP_CHECKSUM		2
#define ICMP_ID			4
#define ICMP_SEQ		6
#define ICMP_ECHO_HLEN		8

/* ---- UDP (RFC 768) */
#define UDP_SRC_PORT		0
#define UDP_DST_PORT		2
#define UDP_LENGTH		4
#define UDP_CHECKSUM		6
#define UDP_HLEN		8

static inline uint16_t net_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t net_load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_store16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An IPv4 address, kept in network order: the four bytes as they are. */
static inline uint32_t net_load_ip(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

static inline void net_store_ip(uint8_t *p, uint32_t ip)
{
	__builtin_memcpy(p, &ip, 4);
}

/* Network-order address to host order (for masks and comparisons of ranges), and back. */
static inline uint32_t net_ntohl(uint32_t v)
{
	return net_load32((const uint8_t *)&v);
}

static inline uint32_t net_htonl(uint32_t v)
{
	uint32_t r;

	net_store32((uint8_t *)&r, v);
	return r;
}

#endif /* RUNTIME_NET_NET_WIRE_H */
