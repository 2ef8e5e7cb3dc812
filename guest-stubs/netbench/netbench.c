// SPDX-License-Identifier: MIT
/*
 * netbench: the guest half of `make bench` (docs/testing.md, "Benchmark").
 *
 * Brings up netfront on its first net channel and the guest network stack
 * on it, resolves the gateway (an echo request to it: the ARP exchange goes
 * guest -> network IOVM -> wire and back), then sends the stream of
 * netbench.h as fast as the transmit ring allows: when netfront_send() says
 * -HV_ENOSPC, netfront_poll() reclaims what the IOVM has taken, and if that
 * freed nothing, netfront_wait() blocks until the IOVM's interrupt. The
 * clock and the hypervisor's counters (HC_VM_STATS) are read right before
 * the first datagram and after every transmit buffer has come back
 * (netfront_flush: the IOVM has copied the last frame out), and the
 * differences are printed as one line:
 *
 *   BENCH side=guest run=R packets=N bytes=B ns=T exits=E exits_hypercall=...
 *       exits_interrupt=... exits_hlt=... exits_memory=... notifies_sent=...
 *       notifies_received=... irqs=... kicks=... tx_full=... waits=...
 *
 * packets/bytes: datagrams and UDP payload bytes handed to the stack and
 * accepted by it; notifies_*, irqs: HC_VM_STATS deltas (notifications are
 * the hypervisor's count, kicks netfront's own). Then it stops with 0; any
 * failure to get there is a TEST check failure (exit 1).
 *
 * N is NETBENCH_PACKETS, or NETBENCH_SMOKE_PACKETS if the VM's name
 * contains "smoke" (the emulator smoke case).
 */
#include <runtime/netguest.h>
#include <runtime/runtime.h>

#include "netbench.h"

#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)	/* the IOVM first runs its own ARP check (~1 s) */
#define RESOLVE_WAIT_NS		(10 * NSEC_PER_SEC)
#define FLUSH_WAIT_NS		(10 * NSEC_PER_SEC)
#define TIMER_NS		(100 * NSEC_PER_MSEC)
#define STALL_NS		(5 * NSEC_PER_SEC)	/* no transmit buffer came back for this long */

static struct netguest g;
static uint8_t payload[NETBENCH_PAYLOAD];

static bool gateway_resolved(void)
{
	for (unsigned int i = 0; i < NET_ARP_ENTRIES; i++)
		if (g.nif.arp[i].state == NET_ARP_RESOLVED && g.nif.arp[i].ip == g.nif.cfg.gateway)
			return true;
	return false;
}

/* An echo request to the gateway makes the stack ARP for it; wait until the reply is in. */
static bool resolve_gateway(uint64_t deadline)
{
	int err = net_ping_send(&g.nif, g.nif.cfg.gateway, 1, 0, 0);

	if (!test_check(err == 0, "echo request to the gateway: %d", err))
		return false;
	while (!gateway_resolved()) {
		if (time_ns() >= deadline)
			return false;
		netguest_turn(&g, deadline);
	}
	return true;
}

static bool name_has(const char *name, const char *word)
{
	size_t n = strnlen(name, UHV_VM_NAME_MAX), w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (!strncmp(name + i, word, w))
			return true;
	return false;
}

static bool read_stats(struct uhv_vm_stats *s)
{
	int64_t r = hc_vm_stats(s, sizeof(*s));

	return test_check(r == (int64_t)sizeof(*s), "HC_VM_STATS returned %lld", (long long)r);
}

int guest_main(const struct uhv_boot_info *boot)
{
	uint32_t total = name_has(boot->vm.name, "smoke") ? NETBENCH_SMOKE_PACKETS : NETBENCH_PACKETS;
	uint32_t run = netbench_run_id();
	struct uhv_vm_stats s0, s1;

	test_begin("netfront-up");
	irq_disable();
	int err = netguest_up(&g, 0, TIMER_NS, CONNECT_WAIT_NS);
	if (!test_check(err == 0, "the virtual NIC did not come up: %d", err))
		test_finish();
	if (!test_check(resolve_gateway(time_ns() + RESOLVE_WAIT_NS), "the gateway was not resolved within %llu s",
			(unsigned long long)(RESOLVE_WAIT_NS / NSEC_PER_SEC)))
		test_finish();
	test_end();

	test_begin("stream");
	test_log("sending %u datagrams of %u bytes to 10.0.2.2:%u (run %#x)", total, NETBENCH_PAYLOAD,
		 NETBENCH_DST_PORT, run);
	struct netfront_counters c0 = g.nf.stats;
	if (!read_stats(&s0))
		test_finish();
	uint32_t sent = 0;
	uint64_t progress_ns = s0.time_ns;
	while (sent < total) {
		netbench_fill(payload, NETBENCH_SIDE_GUEST, run, sent, total);
		err = net_udp_send(&g.nif, g.nif.cfg.gateway, NETBENCH_SRC_PORT_GUEST, NETBENCH_DST_PORT, payload,
				   sizeof(payload));
		if (err == 0) {
			sent++;
			continue;
		}
		if (err != -HV_ENOSPC) {
			test_check(false, "datagram %u: net_udp_send: %d", sent, err);
			break;
		}
		/* The ring is full: take back what the IOVM consumed; if nothing yet, sleep until it says. */
		netfront_poll(&g.nf, netfront_rx_to_netif, &g.nif);
		if (g.nf.tx_free_n) {
			progress_ns = time_ns();
			continue;
		}
		if (time_ns() - progress_ns > STALL_NS) {
			test_check(false, "datagram %u: no transmit buffer came back for %llu s", sent,
				   (unsigned long long)(STALL_NS / NSEC_PER_SEC));
			break;
		}
		netfront_wait(&g.nf, time_ns() + 100 * NSEC_PER_MSEC);
	}
	bool flushed = netfront_flush(&g.nf, time_ns() + FLUSH_WAIT_NS, netfront_rx_to_netif, &g.nif);
	if (!read_stats(&s1))
		test_finish();
	test_check(flushed, "the IOVM did not take every frame within %llu s",
		   (unsigned long long)(FLUSH_WAIT_NS / NSEC_PER_SEC));
	test_check(sent == total, "sent %u of %u datagrams", sent, total);

	struct netfront_counters c1 = g.nf.stats;
	gprintf("BENCH side=guest run=%u packets=%u bytes=%llu ns=%llu exits=%llu exits_hypercall=%llu "
		"exits_interrupt=%llu exits_hlt=%llu exits_memory=%llu notifies_sent=%llu notifies_received=%llu "
		"irqs=%llu kicks=%llu tx_full=%llu waits=%llu\n",
		run, sent, (unsigned long long)sent * NETBENCH_PAYLOAD, (unsigned long long)(s1.time_ns - s0.time_ns),
		(unsigned long long)(s1.exits - s0.exits),
		(unsigned long long)(s1.exits_hypercall - s0.exits_hypercall),
		(unsigned long long)(s1.exits_interrupt - s0.exits_interrupt),
		(unsigned long long)(s1.exits_hlt - s0.exits_hlt),
		(unsigned long long)(s1.exits_memory - s0.exits_memory),
		(unsigned long long)(s1.notify_sent - s0.notify_sent),
		(unsigned long long)(s1.notify_received - s0.notify_received),
		(unsigned long long)(s1.virqs_delivered - s0.virqs_delivered),
		(unsigned long long)(c1.kicks - c0.kicks), (unsigned long long)(c1.tx_full - c0.tx_full),
		(unsigned long long)(c1.waits - c0.waits));
	char counters[256];
	netfront_format_counters(&g.nf, counters, sizeof(counters));
	test_log("netfront: %s", counters);
	test_end();
	test_finish();
}
