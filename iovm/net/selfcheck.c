// SPDX-License-Identifier: MIT
/*
 * The network IOVM's ARP self-check (docs/netvm.md, "Self-check"): from
 * the local port (the IOVM's own endpoint, with the NIC's MAC), an ARP
 * request for 10.0.2.2 from 10.0.2.14, through the switch and out of the
 * NIC; the reply comes back by interrupt, through the switch, to the local
 * port. Checked: the reply, at least one NIC interrupt, the gateway
 * learned on the uplink, the request's descriptor written back.
 *
 * Every VM runs it once after bring-up: "netcheck..." stops with its
 * verdict, the others log it and go on (bench mode uses the gateway's MAC
 * it found).
 */
#include <runtime/net/net_wire.h>
#include <runtime/runtime.h>

#include "netvm.h"

#define ARP_WAIT_NS		(5 * NSEC_PER_SEC)

const uint8_t netvm_local_ip[4] = { 10, 0, 2, 14 };
const uint8_t netvm_gateway_ip[4] = { 10, 0, 2, 2 };

/* The local endpoint's side of the exchange. */
static struct {
	uint8_t request[ETH_FRAME_MIN];
	bool got_reply;
	uint8_t reply[64];
	uint64_t sent_ns, reply_ns;
} check;

/* The local endpoint: it only looks for the ARP reply to its request. */
void selfcheck_local_deliver(struct netvm *vm, unsigned int port, const uint8_t *f, size_t len)
{
	(void)port;
	if (check.got_reply || len < ETH_HLEN + ARP_LEN || net_load16(f + 12) != ETH_TYPE_ARP)
		return;
	const uint8_t *arp = f + ETH_HLEN;
	if (net_load16(arp + 6) == ARP_OP_REPLY && !memcmp(arp + 14, netvm_gateway_ip, 4) &&
	    !memcmp(arp + 18, vm->nic.mac, ETH_ALEN) && !memcmp(arp + 24, netvm_local_ip, 4)) {
		memcpy(check.reply, f, MIN(len, sizeof(check.reply)));
		check.got_reply = true;
		check.reply_ns = time_ns();
	}
}

const uint8_t *selfcheck_gateway_mac(void)
{
	return check.got_reply ? check.reply + ETH_HLEN + 8 : NULL;	/* the ARP reply's sender */
}

static bool reply_arrived(struct netvm *vm)
{
	(void)vm;
	return check.got_reply;
}

static void build_arp_request(struct netvm *vm)
{
	uint8_t *f = check.request;
	const uint8_t *mac = vm->nic.mac;

	memset(f, 0, sizeof(check.request));
	memset(f, 0xff, ETH_ALEN);
	memcpy(f + 6, mac, ETH_ALEN);
	f[12] = ETH_TYPE_ARP >> 8;
	f[13] = ETH_TYPE_ARP & 0xff;
	uint8_t *arp = f + ETH_HLEN;
	arp[1] = 1;		/* hardware type: Ethernet */
	arp[2] = 0x08;		/* protocol type: IPv4 */
	arp[4] = ETH_ALEN;
	arp[5] = 4;
	arp[7] = ARP_OP_REQUEST;
	memcpy(arp + 8, mac, ETH_ALEN);
	memcpy(arp + 14, netvm_local_ip, 4);
	memcpy(arp + 24, netvm_gateway_ip, 4);
}

void selfcheck_arp(struct netvm *vm)
{
	test_begin("arp");
	build_arp_request(vm);
	check.sent_ns = time_ns();
	/* From the local port, through the switch: a broadcast, so out of the uplink. */
	netvm_switch_frame(vm, vm->local_port, check.request, sizeof(check.request));
	netvm_uplink_flush(vm);
	gprintf("net: ARP request sent: who has 10.0.2.2, tell 10.0.2.14; waiting for the reply by interrupt\n");
	bool ok = netvm_run(vm, check.sent_ns + ARP_WAIT_NS, reply_arrived);
	if (test_check(ok, "no ARP reply within %llu ms", (unsigned long long)(ARP_WAIT_NS / NSEC_PER_MSEC))) {
		const uint8_t *a = check.reply + ETH_HLEN;
		char mac[18];

		gprintf("net: ARP reply after %llu ms: 10.0.2.2 is at %s\n",
			(unsigned long long)((check.reply_ns - check.sent_ns) / NSEC_PER_MSEC),
			nic_mac_str(a + 8, mac));
		test_check(vm->nic.stats.interrupts >= 1, "the reply came without a NIC interrupt");
		test_check(switch_lookup(&vm->sw, a + 8) == SWITCH_UPLINK,
			   "the gateway's MAC was not learned on the uplink");
	}
	vm->nic.ops->tx_reclaim(&vm->nic);
	test_check(vm->nic.stats.tx_frames >= 1 && vm->nic.stats.tx_completed >= 1,
		   "the request's transmit descriptor was not written back (%llu queued, %llu completed)",
		   (unsigned long long)vm->nic.stats.tx_frames, (unsigned long long)vm->nic.stats.tx_completed);
	netvm_log_counters(vm);
	test_end();
}
