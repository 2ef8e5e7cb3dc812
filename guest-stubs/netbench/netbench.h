/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's stream, as the guest `netbench` and the network IOVM's
 * bench mode (iovm/net, a VM named "netbench...") both send it, and as
 * tests/bench.py's host sink counts it (docs/testing.md, "Benchmark").
 *
 * Each datagram: UDP from NETBENCH_SRC_PORT_GUEST (the guest) or
 * NETBENCH_SRC_PORT_NATIVE (the IOVM's own baseline) to 10.0.2.2 port
 * NETBENCH_DST_PORT (QEMU's user network hands it to 127.0.0.1 on the
 * host), NETBENCH_PAYLOAD bytes: struct netbench_header, then
 * netbench_fill() bytes. How many: NETBENCH_PACKETS, or
 * NETBENCH_SMOKE_PACKETS for a guest whose VM name contains "smoke"; the
 * IOVM takes the count from the guest's headers (total), so the two sides
 * always send the same number, and runs its native phase with it.
 */
#ifndef NETBENCH_NETBENCH_H
#define NETBENCH_NETBENCH_H

#include <hv/types.h>

#define NETBENCH_PACKETS	20000
#define NETBENCH_SMOKE_PACKETS	500
#define NETBENCH_PAYLOAD	1024	/* UDP payload bytes per datagram */
#define NETBENCH_DST_PORT	40009	/* on 10.0.2.2: the host's 127.0.0.1 under QEMU -netdev user */
#define NETBENCH_SRC_PORT_GUEST	40010
#define NETBENCH_SRC_PORT_NATIVE 40011
#define NETBENCH_MAGIC		0x55485642U	/* "UHVB", big-endian on the wire */

#define NETBENCH_SIDE_GUEST	'G'
#define NETBENCH_SIDE_NATIVE	'N'

/*
 * The first bytes of every payload, big-endian on the wire (so the host
 * sink reads them with struct.unpack(">IIII")): magic, side, the sender's
 * run id (a per-run random value that its BENCH line prints as run=, so
 * the sink can tell this run's datagrams from any other's), the sequence
 * number 0..total-1 and total.
 */
#define NETBENCH_HDR_MAGIC	0
#define NETBENCH_HDR_SIDE	4	/* uint32: NETBENCH_SIDE_* */
#define NETBENCH_HDR_RUN	8
#define NETBENCH_HDR_SEQ	12
#define NETBENCH_HDR_TOTAL	16
#define NETBENCH_HDR_LEN	20

static inline void netbench_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t netbench_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Write the payload of datagram seq of total into p (NETBENCH_PAYLOAD bytes). */
static inline void netbench_fill(uint8_t *p, uint32_t side, uint32_t run, uint32_t seq, uint32_t total)
{
	netbench_put32(p + NETBENCH_HDR_MAGIC, NETBENCH_MAGIC);
	netbench_put32(p + NETBENCH_HDR_SIDE, side);
	netbench_put32(p + NETBENCH_HDR_RUN, run);
	netbench_put32(p + NETBENCH_HDR_SEQ, seq);
	netbench_put32(p + NETBENCH_HDR_TOTAL, total);
	for (unsigned int i = NETBENCH_HDR_LEN; i < NETBENCH_PAYLOAD; i++)
		p[i] = (uint8_t)(seq + i);
}

/* A run id: the low bits of the TSC, never 0. */
static inline uint32_t netbench_run_id(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (lo ^ hi * 2654435761U) | 1;
}

#endif /* NETBENCH_NETBENCH_H */
