// SPDX-License-Identifier: MIT
/*
 * netecho: a guest that serves over its virtual NIC (runtime/netfront.h):
 * it answers pings (the stack does) and runs the UDP echo service (RFC 862)
 * on port 7 with the stack's own echo handler. One datagram is special:
 * the payload "uhv-echo-stop" (what tests/hostclient.py and netping send
 * last) is not echoed but makes it stop cleanly: every transmit buffer
 * back from the IOVM, counters logged, exit 0.
 *
 * Logs "netecho: ready on <ip> udp 7" once the IOVM has attached its
 * channel: from then on it serves (the harness's clients wait for it).
 * Frames of EtherType NET_ETH_TYPE_EXP1 (the hostile-guest test's spoofed
 * frames, which must never be delivered) are counted and logged.
 */
#include <runtime/netguest.h>
#include <runtime/runtime.h>

#define ECHO_PORT		7
#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define FLUSH_WAIT_NS		(2 * NSEC_PER_SEC)
#define TIMER_NS		(500 * NSEC_PER_MSEC)

static const char STOP[] = "uhv-echo-stop";

static struct netguest g;
static bool stop;
static uint64_t echoed;
static uint64_t echoed_at_reconnect;	/* echoed when the netfront last reconnected */
static uint64_t exp1_frames;	/* frames of EtherType NET_ETH_TYPE_EXP1 received */

/* The stack's echo handler, wrapped. */
static net_udp_handler stack_echo;
static void *stack_echo_arg;

static void on_echo(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)arg;
	if (len == sizeof(STOP) - 1 && !memcmp(data, STOP, len)) {
		stop = true;
		return;
	}
	echoed++;
	stack_echo(n, m, data, len, stack_echo_arg);
}

/* Count frames of EtherType NET_ETH_TYPE_EXP1 before the stack sees them. */
static void tap(struct netguest *guest, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	(void)guest;
	if (len >= NET_ETH_HLEN && (f[12] << 8 | f[13]) == NET_ETH_TYPE_EXP1)
		exp1_frames++;
}

/* Bind the stack's echo service on port, then put on_echo in front of it. */
static int bind_echo(uint16_t port)
{
	int err = net_udp_echo_bind(&g.nif, port);

	if (err)
		return err;
	for (unsigned int i = 0; i < NET_UDP_BINDINGS; i++)
		if (g.nif.udp[i].port == port) {
			stack_echo = g.nif.udp[i].handler;
			stack_echo_arg = g.nif.udp[i].arg;
		}
	net_udp_unbind(&g.nif, port);
	return stack_echo ? net_udp_bind(&g.nif, port, on_echo, NULL) : -HV_ENOENT;
}

int guest_main(const struct uhv_boot_info *boot)
{
	char line[320], ip[16];
	(void)boot;

	test_begin("serve");
	irq_disable();
	g.tap = tap;
	int err = netguest_up(&g, 0, TIMER_NS, CONNECT_WAIT_NS);
	if (!test_check(err == 0, "the virtual NIC did not come up: %d", err))
		test_finish();
	err = bind_echo(ECHO_PORT);
	if (!test_check(err == 0, "echo service on port %u: %d", ECHO_PORT, err))
		test_finish();
	gprintf("netecho: ready on %s udp %u\n", netguest_ip_str(g.nif.cfg.ipv4, ip), ECHO_PORT);
	uint64_t reconnects = 0;
	while (!stop) {
		netguest_turn(&g, 0);
		if (g.nf.stats.reconnects != reconnects) {
			reconnects = g.nf.stats.reconnects;
			echoed_at_reconnect = echoed;
		}
	}
	bool flushed = netfront_flush(&g.nf, time_ns() + FLUSH_WAIT_NS, netfront_rx_to_netif, &g.nif);
	test_check(flushed, "transmit buffers still out after %llu ms",
		   (unsigned long long)(FLUSH_WAIT_NS / NSEC_PER_MSEC));
	test_log("netecho: stop datagram received after %llu echoes, %llu echo request(s) answered",
		 (unsigned long long)echoed, (unsigned long long)g.nif.stats.rx_echo_requests);
	if (reconnects)
		test_log("netecho: reconnected %llu time(s): %llu echoes before the last reconnect, %llu after it",
			 (unsigned long long)reconnects, (unsigned long long)echoed_at_reconnect,
			 (unsigned long long)(echoed - echoed_at_reconnect));
	netfront_format_counters(&g.nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_log("netecho: %llu frame(s) of EtherType %#x received", (unsigned long long)exp1_frames,
		 NET_ETH_TYPE_EXP1);
	test_end();
	test_finish();
}
