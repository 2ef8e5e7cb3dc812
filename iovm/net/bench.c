// SPDX-License-Identifier: MIT
/*
 * The network IOVM's bench mode, for a VM whose name starts with
 * "netbench" (docs/netvm.md, "Bench mode"; docs/testing.md, "Benchmark";
 * the stream is guest-stubs/netbench/netbench.h). Two phases in one run,
 * after the self-check:
 *
 * 1. iovm-forward: serve the guests as always, and watch every frame the
 *    switch hands to the uplink. From the first of the guests' bench
 *    datagrams (HC_VM_STATS and the clock read there) to the moment every
 *    frontend has stopped (read again), count them; print
 *      BENCH side=iovm-forward run=R packets=N bytes=B ns=T window_ns=W exits=E ...
 *    ns: first to last datagram (the rate); window_ns and the counters:
 *    first datagram to the guests' stop; run and the count come from the
 *    guest's headers. Times are the event-loop pass's (the switch's clock),
 *    so the measurement adds one HC_VM_STATS at the first datagram and
 *    nothing per frame.
 * 2. native: send the same number of datagrams of the same size from this
 *    IOVM's own MAC and 10.0.2.14 to the gateway, built here and handed to
 *    the NIC with tx_burst() in batches of NETVM_TX_BATCH (the uplink's
 *    batch), one event-loop pass (netvm_service()) between batches as in
 *    phase 1; wait until the NIC has completed all of them; print
 *      BENCH side=native run=R packets=N bytes=B ns=T exits=E ...
 */
#include <netbench/netbench.h>
#include <runtime/net/net.h>
#include <runtime/net/net_wire.h>
#include <runtime/runtime.h>

#include "netvm.h"

#define BENCH_GUEST_WAIT_NS	(600 * NSEC_PER_SEC)
#define BENCH_NATIVE_WAIT_NS	(120 * NSEC_PER_SEC)
#define BENCH_FRAME_LEN		(ETH_HLEN + 20 + 8 + NETBENCH_PAYLOAD)

/* Phase 1: the guests' stream as the switch hands it to the uplink. */
static struct bench_forward {
	uint64_t packets, bytes;	/* the guests' bench datagrams sent to the uplink */
	uint64_t first_ns, last_ns;	/* when the first and the last one were */
	uint64_t uplink_frames0;	/* switch port 0 tx frames before the first */
	struct uhv_vm_stats s0;		/* HC_VM_STATS at the first */
	uint32_t run, total;		/* from the first one's header */
} fwd;

static void bench_read_stats(struct uhv_vm_stats *s)
{
	if (hc_vm_stats(s, sizeof(*s)) != (int64_t)sizeof(*s))
		memset(s, 0, sizeof(*s));
}

/* The uplink_frame tap: count a frame if it is one of the guests' bench datagrams. */
static void bench_uplink_frame(struct netvm *vm, const uint8_t *f, size_t len)
{
	struct bench_forward *b = &fwd;
	const uint8_t *ip = f + ETH_HLEN, *udp = ip + 20, *p = udp + 8;

	if (len < ETH_HLEN + 20 + 8 + NETBENCH_HDR_LEN || net_load16(f + 12) != 0x0800 || ip[0] != 0x45 ||
	    ip[9] != IP_PROTO_UDP || net_load16(udp + 2) != NETBENCH_DST_PORT ||
	    netbench_get32(p + NETBENCH_HDR_MAGIC) != NETBENCH_MAGIC ||
	    netbench_get32(p + NETBENCH_HDR_SIDE) != NETBENCH_SIDE_GUEST)
		return;
	/* The pass's clock (switch_tick): reading the VM clock here would add a hypercall per frame. */
	uint64_t now = vm->sw.now_ns;
	if (!b->packets) {
		bench_read_stats(&b->s0);
		b->first_ns = now;
		/* This frame is not counted by the switch yet: it is being delivered. */
		b->uplink_frames0 = switch_counters(&vm->sw, SWITCH_UPLINK)->tx_frames - 1;
		b->run = netbench_get32(p + NETBENCH_HDR_RUN);
		b->total = netbench_get32(p + NETBENCH_HDR_TOTAL);
	}
	b->packets++;
	b->bytes += net_load16(udp + 4) - 8u;
	b->last_ns = now;
}

static void bench_print(const char *side, uint32_t run, uint64_t packets, uint64_t bytes, uint64_t ns,
			const struct uhv_vm_stats *s0, const struct uhv_vm_stats *s1, const char *extra)
{
	gprintf("BENCH side=%s run=%u packets=%llu bytes=%llu ns=%llu exits=%llu exits_hypercall=%llu "
		"exits_interrupt=%llu exits_hlt=%llu exits_memory=%llu notifies_sent=%llu notifies_received=%llu "
		"irqs=%llu%s\n", side, run, (unsigned long long)packets, (unsigned long long)bytes,
		(unsigned long long)ns, (unsigned long long)(s1->exits - s0->exits),
		(unsigned long long)(s1->exits_hypercall - s0->exits_hypercall),
		(unsigned long long)(s1->exits_interrupt - s0->exits_interrupt),
		(unsigned long long)(s1->exits_hlt - s0->exits_hlt),
		(unsigned long long)(s1->exits_memory - s0->exits_memory),
		(unsigned long long)(s1->notify_sent - s0->notify_sent),
		(unsigned long long)(s1->notify_received - s0->notify_received),
		(unsigned long long)(s1->virqs_delivered - s0->virqs_delivered), extra);
}

/* Phase 1. Returns the number of datagrams the guests announced (0: none came). */
static uint32_t bench_forward(struct netvm *vm)
{
	struct bench_forward *b = &fwd;
	struct uhv_vm_stats s1;
	char extra[160];

	test_begin("bench-forward");
	gprintf("net: bench: serving %u guest port(s), counting their datagrams to the uplink\n", vm->nb.nports);
	vm->taps.uplink_frame = bench_uplink_frame;
	bool stopped = netvm_run(vm, time_ns() + BENCH_GUEST_WAIT_NS, netvm_frontends_stopped);
	bench_read_stats(&s1);
	uint64_t stop_ns = s1.time_ns;
	vm->taps.uplink_frame = NULL;
	test_check(stopped, "the guests did not stop within %llu s",
		   (unsigned long long)(BENCH_GUEST_WAIT_NS / NSEC_PER_SEC));
	if (!test_check(b->packets > 0, "no bench datagram from a guest reached the uplink")) {
		test_end();
		return 0;
	}
	test_check(b->packets == b->total, "%llu of the %u datagrams announced reached the uplink",
		   (unsigned long long)b->packets, b->total);
	format(extra, sizeof(extra), " window_ns=%llu uplink_frames=%llu",
	       (unsigned long long)(stop_ns - b->first_ns),
	       (unsigned long long)(switch_counters(&vm->sw, SWITCH_UPLINK)->tx_frames - b->uplink_frames0));
	bench_print("iovm-forward", b->run, b->packets, b->bytes, b->last_ns - b->first_ns, &b->s0, &s1, extra);
	test_end();
	return b->total;
}

/* Datagram seq of the native stream: Ethernet, IPv4 and UDP headers with their checksums, the payload. */
static void bench_build_frame(struct netvm *vm, uint8_t *f, const uint8_t *gw_mac, uint32_t run, uint32_t seq,
			      uint32_t total)
{
	uint8_t *ip = f + ETH_HLEN, *udp = ip + 20;
	uint16_t udp_len = 8 + NETBENCH_PAYLOAD;

	memcpy(f, gw_mac, ETH_ALEN);
	memcpy(f + 6, vm->nic.mac, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + udp_len) >> 8);
	ip[3] = (uint8_t)(20 + udp_len);
	ip[4] = (uint8_t)(seq >> 8);
	ip[5] = (uint8_t)seq;
	ip[8] = 64;
	ip[9] = IP_PROTO_UDP;
	memcpy(ip + 12, netvm_local_ip, 4);
	memcpy(ip + 16, netvm_gateway_ip, 4);
	uint16_t ip_sum = net_checksum_fold(net_checksum_add(0, ip, 20));
	ip[10] = (uint8_t)(ip_sum >> 8);
	ip[11] = (uint8_t)ip_sum;

	udp[0] = NETBENCH_SRC_PORT_NATIVE >> 8;
	udp[1] = NETBENCH_SRC_PORT_NATIVE & 0xff;
	udp[2] = NETBENCH_DST_PORT >> 8;
	udp[3] = NETBENCH_DST_PORT & 0xff;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	udp[6] = udp[7] = 0;
	netbench_fill(udp + 8, NETBENCH_SIDE_NATIVE, run, seq, total);
	/* RFC 768: the pseudo-header (addresses, protocol, length), then the datagram; 0 is sent as 0xffff. */
	uint8_t pseudo[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, IP_PROTO_UDP, udp[4], udp[5] };
	memcpy(pseudo, netvm_local_ip, 4);
	memcpy(pseudo + 4, netvm_gateway_ip, 4);
	uint16_t sum = net_checksum_fold(net_checksum_add(net_checksum_add(0, pseudo, sizeof(pseudo)), udp, udp_len));
	if (!sum)
		sum = 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
}

static uint8_t bench_frames[NETVM_TX_BATCH][BENCH_FRAME_LEN];

/* Phase 2: total datagrams from this IOVM straight to the NIC. */
static void bench_native(struct netvm *vm, uint32_t total)
{
	struct nic *nic = &vm->nic;
	struct nic_frame batch[NETVM_TX_BATCH];
	struct uhv_vm_stats s0, s1;
	const uint8_t *gw_mac = selfcheck_gateway_mac();
	uint32_t run = netbench_run_id(), sent = 0;
	char extra[96];

	test_begin("bench-native");
	if (!test_check(gw_mac != NULL, "the gateway's MAC is unknown (no ARP reply)")) {
		test_end();
		return;
	}
	gprintf("net: bench: sending %u datagrams of %u bytes to 10.0.2.2:%u from 10.0.2.14 (run %u)\n", total,
		NETBENCH_PAYLOAD, NETBENCH_DST_PORT, run);
	uint64_t completed0 = nic->stats.tx_completed, bursts = 0;
	bench_read_stats(&s0);
	uint64_t deadline = s0.time_ns + BENCH_NATIVE_WAIT_NS;
	irq_disable();
	while (sent < total && time_ns() < deadline) {
		nic->ops->tx_reclaim(nic);
		unsigned int n = MIN(MIN((uint32_t)NETVM_TX_BATCH, total - sent), nic->ops->tx_space(nic));
		if (!n) {
			/* The ring is full: wait for the NIC's transmit interrupt. */
			if (!vm->pending)
				wait_interrupt_until(time_ns() + 100 * NSEC_PER_MSEC);
			netvm_service(vm, time_ns());
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			bench_build_frame(vm, bench_frames[i], gw_mac, run, sent + i, total);
			batch[i] = (struct nic_frame){ .data = bench_frames[i], .len = BENCH_FRAME_LEN };
		}
		sent += nic->ops->tx_burst(nic, batch, n);
		bursts++;
		netvm_service(vm, time_ns());
	}
	while (nic->stats.tx_completed - completed0 < sent && time_ns() < deadline) {
		if (!vm->pending)
			wait_interrupt_until(time_ns() + 10 * NSEC_PER_MSEC);
		netvm_service(vm, time_ns());
	}
	bench_read_stats(&s1);
	uint64_t completed = nic->stats.tx_completed - completed0;
	test_check(sent == total, "sent %u of %u datagrams within %llu s", sent, total,
		   (unsigned long long)(BENCH_NATIVE_WAIT_NS / NSEC_PER_SEC));
	test_check(completed == sent, "the NIC completed %llu of %u", (unsigned long long)completed, sent);
	format(extra, sizeof(extra), " bursts=%llu completed=%llu", (unsigned long long)bursts,
	       (unsigned long long)completed);
	bench_print("native", run, sent, (uint64_t)sent * NETBENCH_PAYLOAD, s1.time_ns - s0.time_ns, &s0, &s1, extra);
	test_end();
}

__noreturn void bench_run(struct netvm *vm)
{
	uint32_t total = bench_forward(vm);

	netvm_log_counters(vm);
	bench_native(vm, total ? total : NETBENCH_PACKETS);
	netvm_log_counters(vm);
	test_finish();
}
