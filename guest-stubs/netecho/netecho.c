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
 */
#include <runtime/channel.h>
#include <runtime/net/net.h>
#include <runtime/netfront.h>
#include <runtime/runtime.h>

#define ECHO_PORT		7
#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define FLUSH_WAIT_NS		(2 * NSEC_PER_SEC)
#define TIMER_NS		(500 * NSEC_PER_MSEC)

static const char STOP[] = "uhv-echo-stop";

static struct netfront nf;
static struct netif nif;
static uint64_t next_timer;
static bool stop;
static uint64_t echoed;

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

static void turn(uint64_t deadline)
{
	unsigned int got = netfront_poll(&nf, netfront_rx_to_netif, &nif);
	uint64_t now = time_ns();
	if (now >= next_timer) {
		net_timer(&nif);
		next_timer = now + TIMER_NS;
	}
	if (!stop && !got)
		netfront_wait(&nf, deadline ? MIN(deadline, next_timer) : next_timer);
}

/* Bind the stack's echo service on port, then put on_echo in front of it. */
static int bind_echo(uint16_t port)
{
	int err = net_udp_echo_bind(&nif, port);

	if (err)
		return err;
	for (unsigned int i = 0; i < NET_UDP_BINDINGS; i++)
		if (nif.udp[i].port == port) {
			stack_echo = nif.udp[i].handler;
			stack_echo_arg = nif.udp[i].arg;
		}
	net_udp_unbind(&nif, port);
	return stack_echo ? net_udp_bind(&nif, port, on_echo, NULL) : -HV_ENOENT;
}

int guest_main(const struct uhv_boot_info *boot)
{
	const struct uhv_channel_info *ch = rt_channel_by_kind(UHV_CHANNEL_NET, 0);
	const uint8_t *ip;
	char line[320];
	(void)boot;

	test_begin("serve");
	if (!test_check(ch != NULL, "no net channel"))
		test_finish();
	int err = netfront_init(&nf, ch);
	if (!test_check(err == 0, "netfront_init: %d", err))
		test_finish();
	err = netfront_netif_init(&nf, &nif);
	if (!test_check(err == 0, "netfront_netif_init: %d", err))
		test_finish();
	err = bind_echo(ECHO_PORT);
	if (!test_check(err == 0, "echo service on port %u: %d", ECHO_PORT, err))
		test_finish();
	irq_disable();
	uint64_t deadline = time_ns() + CONNECT_WAIT_NS;
	while (!netfront_connected(&nf) && time_ns() < deadline)
		turn(deadline);
	if (!test_check(netfront_connected(&nf), "not attached by '%s' within %llu s", ch->peer,
			(unsigned long long)(CONNECT_WAIT_NS / NSEC_PER_SEC)))
		test_finish();
	ip = (const uint8_t *)&nif.cfg.ipv4;
	gprintf("netecho: ready on %u.%u.%u.%u udp %u\n", ip[0], ip[1], ip[2], ip[3], ECHO_PORT);
	while (!stop)
		turn(0);
	bool flushed = netfront_flush(&nf, time_ns() + FLUSH_WAIT_NS, netfront_rx_to_netif, &nif);
	test_check(flushed, "transmit buffers still out after %llu ms",
		   (unsigned long long)(FLUSH_WAIT_NS / NSEC_PER_MSEC));
	test_log("netecho: stop datagram received after %llu echoes, %llu echo request(s) answered",
		 (unsigned long long)echoed, (unsigned long long)nif.stats.rx_echo_requests);
	netfront_format_counters(&nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_end();
	test_finish();
}
