/* SPDX-License-Identifier: MIT */
/*
 * A guest on the virtual network: its netfront (runtime/netfront.h), the
 * stack on top (runtime/net/net.h), and the event loop every network guest
 * runs. docs/guest-runtime.md, "Network guests".
 *
 *	static struct netguest g;
 *	if (netguest_up(&g, 0, 200 * NSEC_PER_MSEC, 20 * NSEC_PER_SEC))
 *		...					// logged already
 *	net_udp_echo_bind(&g.nif, 7);
 *	for (;;)
 *		netguest_turn(&g, 0);			// interrupts off
 */
#ifndef RUNTIME_NETGUEST_H
#define RUNTIME_NETGUEST_H

#include <runtime/channel.h>
#include <runtime/net/net.h>
#include <runtime/netfront.h>

struct netguest {
	struct netfront nf;
	struct netif nif;
	const struct uhv_channel_info *ch;
	uint64_t timer_period_ns;	/* how often net_timer() runs (ARP retries, expiry) */
	uint64_t next_timer;
	/* Sees every received frame before the stack does (NULL: none). */
	void (*tap)(struct netguest *g, const void *frame, size_t len);
};

/*
 * Bring up the VM's nth channel of kind net: netfront, the stack with the
 * channel's addresses, then turns of the loop until the IOVM has attached
 * (at most connect_wait_ns). Call with interrupts off; set g->tap first if
 * wanted. Returns 0; -HV_ENOENT (no such channel), netfront_init() or
 * net_init() errors, or -HV_EPIPE (not attached in time); each failure is
 * logged with the reason.
 */
int netguest_up(struct netguest *g, unsigned int nth, uint64_t timer_period_ns, uint64_t connect_wait_ns);

/*
 * One turn of the loop: received frames (the tap, then net_input), the
 * stack's timers when due, and, only if no frame came in and the
 * connection did not change, sleep until deadline (0: none), the next
 * timer or an interrupt. Interrupts off. Returns the frames received.
 */
unsigned int netguest_turn(struct netguest *g, uint64_t deadline);

/* Dotted-quad text of an address in network byte order, into buf[16]. */
const char *netguest_ip_str(uint32_t ip, char buf[16]);

#endif /* RUNTIME_NETGUEST_H */
