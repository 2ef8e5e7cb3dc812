// SPDX-License-Identifier: MIT
/* The network IOVM's L2 learning switch (switch.h). Pure C: host unit tests link it as is. */
#include <abi/errno.h>
#include <hv/string.h>

#include "switch.h"

#define ETH_DEST		0
#define ETH_SOURCE		6

static bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;	/* the I/G bit; broadcast is a multicast address too */
}

static bool mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, 6);
}

/* FNV-1a over the six bytes: a MAC's set in the table. */
static unsigned int fdb_set(const uint8_t *mac)
{
	uint32_t h = 2166136261U;

	for (unsigned int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619U;
	return (h ^ (h >> 16)) % SWITCH_FDB_SETS;
}

static bool fdb_live(const struct l2_switch *sw, const struct switch_fdb_entry *e)
{
	return e->valid && sw->now_ns - e->seen_ns < SWITCH_AGE_NS;
}

void switch_init(struct l2_switch *sw)
{
	memset(sw, 0, sizeof(*sw));
}

int switch_add_port(struct l2_switch *sw, enum switch_port_kind kind, const uint8_t *mac)
{
	if (sw->nports == SWITCH_MAX_PORTS)
		return -HV_E2BIG;
	switch (kind) {
	case SWITCH_PORT_UPLINK:
		if (sw->nports != SWITCH_UPLINK)
			return -HV_EINVAL;
		sw->port[0] = (struct switch_port){ .kind = kind };
		return (int)sw->nports++;
	case SWITCH_PORT_GUEST:
	case SWITCH_PORT_LOCAL:
		if (sw->nports == SWITCH_UPLINK || !mac || mac_is_multicast(mac) || mac_is_zero(mac))
			return -HV_EINVAL;
		for (unsigned int p = 1; p < sw->nports; p++)
			if (!memcmp(sw->port[p].mac, mac, 6))
				return -HV_EEXIST;
		break;
	default:
		return -HV_EINVAL;
	}
	struct switch_port *port = &sw->port[sw->nports];
	*port = (struct switch_port){ .kind = kind };
	memcpy(port->mac, mac, 6);
	/* A station the uplink taught us under this MAC is a guest's now. */
	struct switch_fdb_entry *set = sw->fdb[fdb_set(mac)];
	for (unsigned int w = 0; w < SWITCH_FDB_WAYS; w++)
		if (set[w].valid && !memcmp(set[w].mac, mac, 6))
			set[w].valid = false;
	return (int)sw->nports++;
}

void switch_tick(struct l2_switch *sw, uint64_t now_ns)
{
	if (now_ns > sw->now_ns)
		sw->now_ns = now_ns;
}

/* The guest or local port with this MAC, or 0 (the uplink never has a fixed MAC). */
static unsigned int static_port(const struct l2_switch *sw, const uint8_t *mac)
{
	for (unsigned int p = 1; p < sw->nports; p++)
		if (!memcmp(sw->port[p].mac, mac, 6))
			return p;
	return 0;
}

int switch_lookup(const struct l2_switch *sw, const uint8_t mac[6])
{
	unsigned int p = static_port(sw, mac);

	if (p)
		return (int)p;
	const struct switch_fdb_entry *set = sw->fdb[fdb_set(mac)];
	for (unsigned int w = 0; w < SWITCH_FDB_WAYS; w++)
		if (fdb_live(sw, &set[w]) && !memcmp(set[w].mac, mac, 6))
			return set[w].port;
	return -1;
}

/* Learn (or refresh) mac behind port: a free way of its set, else an aged one, else the oldest. */
static void learn(struct l2_switch *sw, const uint8_t *mac, unsigned int port)
{
	struct switch_fdb_entry *set = sw->fdb[fdb_set(mac)], *victim = NULL;
	unsigned int w;

	for (w = 0; w < SWITCH_FDB_WAYS; w++)
		if (set[w].valid && !memcmp(set[w].mac, mac, 6)) {
			set[w].port = (uint8_t)port;
			set[w].seen_ns = sw->now_ns;
			return;
		}
	for (w = 0; w < SWITCH_FDB_WAYS && !victim; w++)
		if (!set[w].valid)
			victim = &set[w];
	for (w = 0; w < SWITCH_FDB_WAYS && !victim; w++)
		if (!fdb_live(sw, &set[w]))
			victim = &set[w];
	if (victim) {
		if (victim->valid)
			sw->aged++;
	} else {
		victim = &set[0];
		for (w = 1; w < SWITCH_FDB_WAYS; w++)
			if (set[w].seen_ns < victim->seen_ns)
				victim = &set[w];
		sw->replaced++;
	}
	sw->learned++;
	*victim = (struct switch_fdb_entry){ .port = (uint8_t)port, .valid = true, .seen_ns = sw->now_ns };
	memcpy(victim->mac, mac, 6);
}

static int drop(struct switch_port *in, enum switch_drop why, uint32_t *out_mask)
{
	in->c.drops[why]++;
	*out_mask = 0;
	return (int)why + 1;
}

int switch_forward(struct l2_switch *sw, unsigned int in_port, const void *frame, size_t len,
		   uint32_t *out_mask)
{
	const uint8_t *f = frame;

	*out_mask = 0;
	if (in_port >= sw->nports)
		return SWITCH_DROP_NO_PORT + 1;	/* no port to count it on */
	struct switch_port *in = &sw->port[in_port];
	if (len < SWITCH_FRAME_MIN)
		return drop(in, SWITCH_DROP_RUNT, out_mask);
	if (len > SWITCH_FRAME_MAX)
		return drop(in, SWITCH_DROP_OVERSIZE, out_mask);

	const uint8_t *dst = f + ETH_DEST, *src = f + ETH_SOURCE;
	if (mac_is_multicast(src))
		return drop(in, SWITCH_DROP_BAD_SOURCE, out_mask);
	if (in->kind == SWITCH_PORT_UPLINK) {
		if (static_port(sw, src))
			return drop(in, SWITCH_DROP_SPOOFED, out_mask);
		learn(sw, src, in_port);
	} else if (memcmp(src, in->mac, 6)) {
		return drop(in, SWITCH_DROP_SPOOFED, out_mask);
	}

	uint32_t all = (sw->nports == SWITCH_MAX_PORTS ? UINT32_MAX : (uint32_t)BIT(sw->nports) - 1);
	uint32_t mask;
	if (mac_is_multicast(dst)) {
		mask = all & ~(uint32_t)BIT(in_port);
	} else {
		/* Behind a guest or the local port there is exactly one station,
		 * its own MAC (checked above); every other unicast address can
		 * only be behind the uplink, learned or not. Flooding an unknown
		 * one would hand a guest's frames to every other guest whenever
		 * the station is not (or no longer: the table's hash is public)
		 * in the table. */
		unsigned int p = static_port(sw, dst);

		if (p == in_port)
			return drop(in, SWITCH_DROP_TO_INGRESS, out_mask);
		mask = (uint32_t)BIT(p);
	}
	if (!mask)
		return drop(in, SWITCH_DROP_NO_PORT, out_mask);

	in->c.rx_frames++;
	in->c.rx_bytes += len;
	for (unsigned int p = 0; p < sw->nports; p++)
		if (mask & BIT(p)) {
			sw->port[p].c.tx_frames++;
			sw->port[p].c.tx_bytes += len;
		}
	*out_mask = mask;
	return 0;
}

void switch_tx_dropped(struct l2_switch *sw, unsigned int port, size_t len)
{
	if (port >= sw->nports)
		return;
	struct switch_port_counters *c = &sw->port[port].c;
	if (c->tx_frames) {
		c->tx_frames--;
		c->tx_bytes -= MIN(c->tx_bytes, (uint64_t)len);
	}
	c->drops[SWITCH_DROP_TX_FULL]++;
}

const struct switch_port_counters *switch_counters(const struct l2_switch *sw, unsigned int port)
{
	return port < sw->nports ? &sw->port[port].c : NULL;
}

const char *switch_drop_name(enum switch_drop reason)
{
	static const char *const names[SWITCH_DROP_REASONS] = {
		[SWITCH_DROP_RUNT] = "runt",
		[SWITCH_DROP_OVERSIZE] = "oversize",
		[SWITCH_DROP_BAD_SOURCE] = "bad-source",
		[SWITCH_DROP_SPOOFED] = "spoofed",
		[SWITCH_DROP_TO_INGRESS] = "to-ingress",
		[SWITCH_DROP_NO_PORT] = "no-port",
		[SWITCH_DROP_TX_FULL] = "tx-full",
	};

	return (unsigned int)reason < SWITCH_DROP_REASONS ? names[reason] : "?";
}
