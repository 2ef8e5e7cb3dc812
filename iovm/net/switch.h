/* SPDX-License-Identifier: MIT */
/*
 * The network IOVM's L2 learning switch: pure C, no device, no runtime
 * (host unit tests: tests/unit/test_switch.c). docs/netvm.md, "The switch".
 *
 * Ports: port 0 is the uplink (the physical NIC: any source MAC, learned);
 * ports 1.. are guest virtual NICs (and the IOVM's own endpoint), each
 * with the one MAC its channel's configuration gives it. The switch only
 * decides: switch_forward() returns the set of ports a frame goes out on
 * and counts; the caller moves the bytes.
 *
 * Rules, in order:
 *   1. a frame shorter than an Ethernet header is a runt, longer than
 *      SWITCH_FRAME_MAX oversized: dropped;
 *   2. a multicast source address is never valid: dropped;
 *   3. a guest port may only send with its own source MAC; the uplink may
 *      not send with a guest's MAC (it would steal the guest's traffic):
 *      both dropped as spoofed;
 *   4. the uplink's source MAC is learned (bounded table, aging, the
 *      oldest entry of a full set replaced): for switch_lookup() and the
 *      counters only, forwarding does not depend on it (rule 5);
 *   5. broadcast and multicast destinations: every port but the ingress;
 *      a guest's (or the local port's) unicast MAC: that port only, so
 *      guest to guest never touches the uplink; any other unicast: the
 *      uplink only, learned or not (a guest or local port has exactly
 *      one station, its own MAC, so nothing else can be behind it, and
 *      flooding would hand one guest's frames to the others);
 *   6. never back out of the ingress port (a unicast frame from the uplink
 *      that is for none of the guest/local ports, or a port's frame to its
 *      own MAC, is dropped as "to ingress").
 * Every out port's tx counters count the frame; a caller that then
 * cannot deliver it (queue full) says so with switch_tx_dropped().
 * The caller must keep its clock moving with switch_tick() for aging.
 */
#ifndef IOVM_NET_SWITCH_H
#define IOVM_NET_SWITCH_H

#include <hv/types.h>

#define SWITCH_MAX_PORTS	32	/* out masks are uint32_t */
#define SWITCH_UPLINK		0
#define SWITCH_FRAME_MIN	14	/* an Ethernet header */
#define SWITCH_FRAME_MAX	1518	/* 1514 + an 802.1Q tag, without FCS */
/* The learning table: SWITCH_FDB_SETS sets of SWITCH_FDB_WAYS entries, hashed by MAC. */
#define SWITCH_FDB_SETS		64
#define SWITCH_FDB_WAYS		4
#define SWITCH_FDB_SIZE		(SWITCH_FDB_SETS * SWITCH_FDB_WAYS)
#define SWITCH_AGE_NS		(300ULL * 1000000000ULL)	/* 802.1D's default ageing time */

enum switch_port_kind {
	SWITCH_PORT_UPLINK = 1,	/* the physical NIC: port 0, any source, learned */
	SWITCH_PORT_GUEST,	/* a guest's virtual NIC: its own source MAC only */
	SWITCH_PORT_LOCAL,	/* the IOVM's own endpoint (the NIC's MAC): rules of a guest port */
};

enum switch_drop {
	SWITCH_DROP_RUNT,		/* shorter than an Ethernet header */
	SWITCH_DROP_OVERSIZE,		/* longer than SWITCH_FRAME_MAX */
	SWITCH_DROP_BAD_SOURCE,		/* multicast/broadcast source address */
	SWITCH_DROP_SPOOFED,		/* source MAC not the port's own (or a guest's, from the uplink) */
	SWITCH_DROP_TO_INGRESS,		/* unicast to a station behind the ingress port itself */
	SWITCH_DROP_NO_PORT,		/* nowhere else to go (a switch with one port) */
	SWITCH_DROP_TX_FULL,		/* the caller could not deliver it (switch_tx_dropped) */
	SWITCH_DROP_REASONS
};

struct switch_port_counters {
	uint64_t rx_frames, rx_bytes;	/* frames received from this port and accepted */
	uint64_t tx_frames, tx_bytes;	/* frames sent out of this port */
	uint64_t drops[SWITCH_DROP_REASONS];	/* by reason: received from it (rx), or for it (TX_FULL) */
};

struct switch_port {
	enum switch_port_kind kind;	/* 0: unused */
	uint8_t mac[6];			/* guest and local ports */
	struct switch_port_counters c;
};

struct switch_fdb_entry {
	uint8_t mac[6];
	uint8_t port;
	bool valid;
	uint64_t seen_ns;
};

struct l2_switch {
	struct switch_port port[SWITCH_MAX_PORTS];
	unsigned int nports;
	struct switch_fdb_entry fdb[SWITCH_FDB_SETS][SWITCH_FDB_WAYS];
	uint64_t now_ns;		/* switch_tick() */
	uint64_t learned;		/* entries created */
	uint64_t replaced;		/* ... by evicting the oldest live entry of a full set */
	uint64_t aged;			/* ... in the place of an aged-out entry */
};

void switch_init(struct l2_switch *sw);

/*
 * Add a port; returns its number or a negative HV_E* code: -HV_EINVAL for
 * an uplink that is not the first port or a guest/local port before the
 * uplink, a multicast or all-zero MAC, an unknown kind; -HV_EEXIST for a
 * MAC another port has; -HV_E2BIG when all SWITCH_MAX_PORTS are used.
 * The uplink's mac argument is ignored (may be NULL).
 */
int switch_add_port(struct l2_switch *sw, enum switch_port_kind kind, const uint8_t *mac);

/* Set the switch's clock (VM time in ns) for learning and aging. */
void switch_tick(struct l2_switch *sw, uint64_t now_ns);

/*
 * Decide where a frame received on in_port goes. Returns 0 and the output
 * ports in *out_mask (never in_port), or the drop reason + 1 (> 0) with
 * *out_mask 0. Counts rx, tx and drops; learns the uplink's sources.
 */
int switch_forward(struct l2_switch *sw, unsigned int in_port, const void *frame, size_t len,
		   uint32_t *out_mask);

/* The caller could not deliver a frame switch_forward() sent out of port:
 * it moves from the port's tx counters to its TX_FULL drops. */
void switch_tx_dropped(struct l2_switch *sw, unsigned int port, size_t len);

/* The port the table says mac is behind: a guest's port, a learned entry, or -1. */
int switch_lookup(const struct l2_switch *sw, const uint8_t mac[6]);

const struct switch_port_counters *switch_counters(const struct l2_switch *sw, unsigned int port);

/* "runt", "spoofed", ... */
const char *switch_drop_name(enum switch_drop reason);

#endif /* IOVM_NET_SWITCH_H */
