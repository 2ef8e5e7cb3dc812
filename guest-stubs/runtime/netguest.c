// SPDX-License-Identifier: MIT
#include <runtime/netguest.h>
#include <runtime/runtime.h>

static void rx(void *ctx, const void *frame, size_t len)
{
	struct netguest *g = ctx;

	if (g->tap)
		g->tap(g, frame, len);
	net_input(&g->nif, frame, len);
}

unsigned int netguest_turn(struct netguest *g, uint64_t deadline)
{
	bool was_connected = netfront_connected(&g->nf);
	unsigned int got = netfront_poll(&g->nf, rx, g);
	uint64_t now = time_ns();

	if (now >= g->next_timer) {
		net_timer(&g->nif);
		g->next_timer = now + g->timer_period_ns;
	}
	/*
	 * Frames came in, or the IOVM just attached (or let go): the caller
	 * looks before anything waits.
	 */
	if (!got && netfront_connected(&g->nf) == was_connected)
		netfront_wait(&g->nf, deadline ? MIN(deadline, g->next_timer) : g->next_timer);
	return got;
}

int netguest_up(struct netguest *g, unsigned int nth, uint64_t timer_period_ns, uint64_t connect_wait_ns)
{
	g->ch = rt_channel_by_kind(UHV_CHANNEL_NET, nth);
	if (!g->ch) {
		gprintf("netguest: no net channel %u in the boot information\n", nth);
		return -HV_ENOENT;
	}
	int err = netfront_init(&g->nf, g->ch);
	if (err) {
		gprintf("netguest: netfront_init on channel '%s': %d\n", g->ch->name, err);
		return err;
	}
	err = netfront_netif_init(&g->nf, &g->nif);
	if (err) {
		gprintf("netguest: the stack refused channel '%s''s addresses: %d\n", g->ch->name, err);
		return err;
	}
	g->timer_period_ns = timer_period_ns;
	g->next_timer = 0;
	uint64_t deadline = time_ns() + connect_wait_ns;
	while (!netfront_connected(&g->nf) && time_ns() < deadline)
		netguest_turn(g, deadline);
	if (!netfront_connected(&g->nf)) {
		gprintf("netguest: channel '%s': not attached by '%s' within %llu ms\n", g->ch->name, g->ch->peer,
			(unsigned long long)(connect_wait_ns / NSEC_PER_MSEC));
		return -HV_EPIPE;
	}
	return 0;
}

const char *netguest_ip_str(uint32_t ip, char buf[16])
{
	const uint8_t *b = (const uint8_t *)&ip;

	format(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}
