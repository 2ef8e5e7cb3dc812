// SPDX-License-Identifier: MIT
/* The network IOVM's L2 learning switch (iovm/net/switch.c): every rule of switch.h. */
#include <string.h>

#include <abi/errno.h>

#include "../../iovm/net/switch.h"
#include "unit.h"

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };	/* guest port 1 */
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };	/* guest port 2 */
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0c };	/* guest port 3 */
static const uint8_t MAC_GW[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };	/* behind the uplink */
static const uint8_t MAC_X[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };	/* nobody yet */
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

static uint8_t frame[1600];

static size_t make(const uint8_t *dst, const uint8_t *src, size_t len)
{
	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x08;
	return len;
}

/* Uplink 0, guests A (1), B (2), C (3). */
static void setup(struct l2_switch *sw)
{
	switch_init(sw);
	CHECK_EQ(switch_add_port(sw, SWITCH_PORT_UPLINK, NULL), 0);
	CHECK_EQ(switch_add_port(sw, SWITCH_PORT_GUEST, MAC_A), 1);
	CHECK_EQ(switch_add_port(sw, SWITCH_PORT_GUEST, MAC_B), 2);
	CHECK_EQ(switch_add_port(sw, SWITCH_PORT_LOCAL, MAC_C), 3);
}

static int fwd(struct l2_switch *sw, unsigned int in, const uint8_t *dst, const uint8_t *src, size_t len,
	       uint32_t *mask)
{
	return switch_forward(sw, in, frame, make(dst, src, len), mask);
}

TEST(add_port_rules)
{
	static struct l2_switch sw;
	static const uint8_t zero[6];

	switch_init(&sw);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, MAC_A), -HV_EINVAL);	/* uplink first */
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_UPLINK, NULL), 0);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_UPLINK, NULL), -HV_EINVAL);	/* only one, port 0 */
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, BCAST), -HV_EINVAL);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, MCAST), -HV_EINVAL);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, zero), -HV_EINVAL);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, NULL), -HV_EINVAL);
	CHECK_EQ(switch_add_port(&sw, (enum switch_port_kind)42, MAC_A), -HV_EINVAL);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, MAC_A), 1);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, MAC_A), -HV_EEXIST);
	uint8_t mac[6];
	memcpy(mac, MAC_A, 6);
	for (unsigned int p = 2; p < SWITCH_MAX_PORTS; p++) {
		mac[5]++;
		CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, mac), p);
	}
	CHECK_EQ(sw.nports, SWITCH_MAX_PORTS);
	mac[5]++;
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, mac), -HV_E2BIG);
}

TEST(broadcast_and_multicast_flood_all_but_ingress)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_A, 60, &mask), 0);
	CHECK_EQ(mask, 0xd);	/* 0, 2, 3 */
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_GW, 60, &mask), 0);
	CHECK_EQ(mask, 0xe);	/* 1, 2, 3: never back out of the uplink */
	CHECK_EQ(fwd(&sw, 2, MCAST, MAC_B, 90, &mask), 0);
	CHECK_EQ(mask, 0xb);
	CHECK_EQ(switch_counters(&sw, 1)->rx_frames, 1);
	CHECK_EQ(switch_counters(&sw, 1)->rx_bytes, 60);
	CHECK_EQ(switch_counters(&sw, 0)->tx_frames, 2);
	CHECK_EQ(switch_counters(&sw, 0)->tx_bytes, 150);
	CHECK_EQ(switch_counters(&sw, 3)->tx_frames, 3);
	CHECK_EQ(switch_counters(&sw, 2)->tx_frames, 2);
}

TEST(guest_to_guest_never_touches_the_uplink)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 1, MAC_B, MAC_A, 100, &mask), 0);
	CHECK_EQ(mask, 1U << 2);
	CHECK_EQ(fwd(&sw, 2, MAC_A, MAC_B, 100, &mask), 0);
	CHECK_EQ(mask, 1U << 1);
	CHECK_EQ(fwd(&sw, 0, MAC_C, MAC_GW, 100, &mask), 0);	/* uplink to a known guest: that port only */
	CHECK_EQ(mask, 1U << 3);
	CHECK_EQ(switch_counters(&sw, 0)->tx_frames, 0);
}

TEST(spoofed_sources_are_dropped_and_counted)
{
	static struct l2_switch sw;
	uint32_t mask = 123;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_B, 60, &mask), SWITCH_DROP_SPOOFED + 1);	/* B's MAC from A's port */
	CHECK_EQ(mask, 0);
	CHECK_EQ(fwd(&sw, 1, MAC_GW, MAC_X, 60, &mask), SWITCH_DROP_SPOOFED + 1);	/* any other MAC */
	CHECK_EQ(fwd(&sw, 3, BCAST, MAC_A, 60, &mask), SWITCH_DROP_SPOOFED + 1);	/* local port too */
	CHECK_EQ(switch_counters(&sw, 1)->drops[SWITCH_DROP_SPOOFED], 2);
	CHECK_EQ(switch_counters(&sw, 3)->drops[SWITCH_DROP_SPOOFED], 1);
	CHECK_EQ(switch_counters(&sw, 1)->rx_frames, 0);
	/* The uplink may not claim a guest's MAC: it would steal its traffic. */
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_A, 60, &mask), SWITCH_DROP_SPOOFED + 1);
	CHECK_EQ(switch_counters(&sw, 0)->drops[SWITCH_DROP_SPOOFED], 1);
	CHECK_EQ(switch_lookup(&sw, MAC_A), 1);
	/* Multicast sources are never valid, on any port. */
	CHECK_EQ(fwd(&sw, 0, BCAST, MCAST, 60, &mask), SWITCH_DROP_BAD_SOURCE + 1);
	CHECK_EQ(fwd(&sw, 2, BCAST, BCAST, 60, &mask), SWITCH_DROP_BAD_SOURCE + 1);
	CHECK_EQ(switch_lookup(&sw, MCAST), -1);
	for (unsigned int p = 0; p < 4; p++)
		CHECK_EQ(switch_counters(&sw, p)->tx_frames, 0);
}

TEST(runts_and_oversized_frames)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_A, 13, &mask), SWITCH_DROP_RUNT + 1);
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_GW, 0, &mask), SWITCH_DROP_RUNT + 1);
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_A, 14, &mask), 0);	/* a bare header is a frame */
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_A, SWITCH_FRAME_MAX, &mask), 0);
	CHECK_EQ(fwd(&sw, 1, BCAST, MAC_A, SWITCH_FRAME_MAX + 1, &mask), SWITCH_DROP_OVERSIZE + 1);
	CHECK_EQ(switch_counters(&sw, 1)->drops[SWITCH_DROP_RUNT], 1);
	CHECK_EQ(switch_counters(&sw, 0)->drops[SWITCH_DROP_RUNT], 1);
	CHECK_EQ(switch_counters(&sw, 1)->drops[SWITCH_DROP_OVERSIZE], 1);
	CHECK_EQ(switch_counters(&sw, 1)->rx_frames, 2);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), -1);	/* a runt teaches nothing */
	/* A port that does not exist: nothing counted anywhere, no output. */
	CHECK_EQ(fwd(&sw, 9, BCAST, MAC_A, 60, &mask), SWITCH_DROP_NO_PORT + 1);
	CHECK_EQ(mask, 0);
}

TEST(unknown_unicast_goes_to_the_uplink_only_and_is_learned_there)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	switch_tick(&sw, 1000);
	CHECK_EQ(fwd(&sw, 1, MAC_GW, MAC_A, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 0);	/* unknown: it can only be behind the uplink */
	CHECK_EQ(fwd(&sw, 0, MAC_A, MAC_GW, 60, &mask), 0);	/* the gateway answers: learned */
	CHECK_EQ(mask, 1U << 1);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), 0);
	CHECK_EQ(sw.learned, 1);
	CHECK_EQ(fwd(&sw, 1, MAC_GW, MAC_A, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 0);	/* known: the same */
	/* A station on the uplink talking to another one there: never sent back out. */
	CHECK_EQ(fwd(&sw, 0, MAC_GW, MAC_X, 60, &mask), SWITCH_DROP_TO_INGRESS + 1);
	CHECK_EQ(mask, 0);
	CHECK_EQ(switch_counters(&sw, 0)->drops[SWITCH_DROP_TO_INGRESS], 1);
	/* A guest sending to itself: not reflected. */
	CHECK_EQ(fwd(&sw, 2, MAC_B, MAC_B, 60, &mask), SWITCH_DROP_TO_INGRESS + 1);
}

/* FNV-1a set of a MAC, as switch.c computes it (the hash is no secret: anyone on the wire can compute it). */
static unsigned int set_of(const uint8_t *mac)
{
	uint32_t h = 2166136261U;

	for (unsigned int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619U;
	return (h ^ (h >> 16)) % SWITCH_FDB_SETS;
}

/*
 * A station on the wire evicts the gateway from the table with a few
 * broadcasts whose sources fall into the gateway's set. A guest's frames to
 * the gateway must still go to the uplink only, never to the other guests:
 * no station but its own MAC can be behind a guest or the local port.
 */
TEST(unicast_to_a_station_not_learned_never_reaches_other_guests)
{
	static struct l2_switch sw;
	uint32_t mask;
	uint8_t mac[6] = { 0x02, 0x66, 0, 0, 0, 0 };
	unsigned int evictors = 0;

	setup(&sw);
	switch_tick(&sw, 1000);
	CHECK_EQ(fwd(&sw, 0, MAC_A, MAC_GW, 60, &mask), 0);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), 0);
	for (uint32_t i = 0; evictors < SWITCH_FDB_WAYS && i < 0x10000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		if (set_of(mac) != set_of(MAC_GW))
			continue;
		switch_tick(&sw, 2000 + i);
		CHECK_EQ(fwd(&sw, 0, BCAST, mac, 60, &mask), 0);
		evictors++;
	}
	CHECK_EQ(evictors, SWITCH_FDB_WAYS);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), -1);	/* evicted */
	uint64_t b_tx = switch_counters(&sw, 2)->tx_frames, c_tx = switch_counters(&sw, 3)->tx_frames;
	CHECK_EQ(fwd(&sw, 1, MAC_GW, MAC_A, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 0);	/* the uplink only */
	CHECK_EQ(fwd(&sw, 1, MAC_X, MAC_A, 60, &mask), 0);	/* never seen at all: the same */
	CHECK_EQ(mask, 1U << 0);
	CHECK_EQ(switch_counters(&sw, 2)->tx_frames, b_tx);
	CHECK_EQ(switch_counters(&sw, 3)->tx_frames, c_tx);
	/* From the wire, a unicast for none of our ports goes nowhere (the NIC in promiscuous mode sees such). */
	CHECK_EQ(fwd(&sw, 0, MAC_X, MAC_GW, 60, &mask), SWITCH_DROP_TO_INGRESS + 1);
	CHECK_EQ(mask, 0);
}

TEST(learned_entries_age_out)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	switch_tick(&sw, 5);
	CHECK_EQ(fwd(&sw, 0, MAC_A, MAC_GW, 60, &mask), 0);
	switch_tick(&sw, 5 + SWITCH_AGE_NS - 1);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), 0);
	switch_tick(&sw, 5 + SWITCH_AGE_NS);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), -1);
	CHECK_EQ(fwd(&sw, 1, MAC_GW, MAC_A, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 0);	/* unknown again: still the uplink only */
	switch_tick(&sw, 7);	/* the clock never goes back */
	CHECK_EQ(sw.now_ns, 5 + SWITCH_AGE_NS);
	/* Seen again: its own aged entry is refreshed, no new one made. */
	CHECK_EQ(fwd(&sw, 0, MAC_A, MAC_GW, 60, &mask), 0);
	CHECK_EQ(switch_lookup(&sw, MAC_GW), 0);
	CHECK_EQ(sw.learned, 1);
}

TEST(table_is_bounded_oldest_replaced)
{
	static struct l2_switch sw;
	uint32_t mask;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	setup(&sw);
	/* Far more stations than entries: the table never grows past its size. */
	for (unsigned int i = 0; i < 4 * SWITCH_FDB_SIZE; i++) {
		mac[3] = (uint8_t)(i >> 8);
		mac[4] = (uint8_t)i;
		switch_tick(&sw, 10 + i);
		CHECK_EQ(fwd(&sw, 0, BCAST, mac, 60, &mask), 0);
	}
	unsigned int live = 0;
	for (unsigned int s = 0; s < SWITCH_FDB_SETS; s++)
		for (unsigned int w = 0; w < SWITCH_FDB_WAYS; w++)
			live += sw.fdb[s][w].valid;
	CHECK(live <= SWITCH_FDB_SIZE);
	CHECK(sw.replaced >= 3 * SWITCH_FDB_SIZE);
	/* The newest station is known; the very first was replaced (oldest in its full set). */
	CHECK_EQ(switch_lookup(&sw, mac), 0);
	mac[3] = 0;
	mac[4] = 0;
	CHECK_EQ(switch_lookup(&sw, mac), -1);
	/* Guests stay reachable whatever the table holds. */
	CHECK_EQ(fwd(&sw, 0, MAC_B, MAC_GW, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 2);
}

TEST(refresh_keeps_an_active_station)
{
	static struct l2_switch sw;
	uint32_t mask;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	setup(&sw);
	switch_tick(&sw, 1);
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_GW, 60, &mask), 0);
	/* Fill the table while the gateway keeps talking: it is never the oldest. */
	for (unsigned int i = 0; i < 4 * SWITCH_FDB_SIZE; i++) {
		mac[3] = (uint8_t)(i >> 8);
		mac[4] = (uint8_t)i;
		switch_tick(&sw, 10 + 2 * i);
		CHECK_EQ(fwd(&sw, 0, BCAST, mac, 60, &mask), 0);
		switch_tick(&sw, 11 + 2 * i);
		CHECK_EQ(fwd(&sw, 0, BCAST, MAC_GW, 60, &mask), 0);
	}
	CHECK_EQ(switch_lookup(&sw, MAC_GW), 0);
}

TEST(adding_a_guest_forgets_a_learned_station_with_its_mac)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_X, 60, &mask), 0);
	CHECK_EQ(switch_lookup(&sw, MAC_X), 0);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_GUEST, MAC_X), 4);
	CHECK_EQ(switch_lookup(&sw, MAC_X), 4);
	CHECK_EQ(fwd(&sw, 0, MAC_X, MAC_GW, 60, &mask), 0);
	CHECK_EQ(mask, 1U << 4);
}

TEST(single_port_switch_has_nowhere_to_send)
{
	static struct l2_switch sw;
	uint32_t mask;

	switch_init(&sw);
	CHECK_EQ(switch_add_port(&sw, SWITCH_PORT_UPLINK, NULL), 0);
	CHECK_EQ(fwd(&sw, 0, BCAST, MAC_GW, 60, &mask), SWITCH_DROP_NO_PORT + 1);
	CHECK_EQ(switch_counters(&sw, 0)->drops[SWITCH_DROP_NO_PORT], 1);
}

TEST(tx_dropped_moves_the_count)
{
	static struct l2_switch sw;
	uint32_t mask;

	setup(&sw);
	CHECK_EQ(fwd(&sw, 1, MAC_B, MAC_A, 100, &mask), 0);
	switch_tx_dropped(&sw, 2, 100);
	CHECK_EQ(switch_counters(&sw, 2)->tx_frames, 0);
	CHECK_EQ(switch_counters(&sw, 2)->tx_bytes, 0);
	CHECK_EQ(switch_counters(&sw, 2)->drops[SWITCH_DROP_TX_FULL], 1);
	switch_tx_dropped(&sw, 77, 100);	/* no such port: ignored */
	CHECK(switch_counters(&sw, 77) == NULL);
	CHECK_STR_EQ(switch_drop_name(SWITCH_DROP_SPOOFED), "spoofed");
	CHECK_STR_EQ(switch_drop_name(SWITCH_DROP_REASONS), "?");
}
