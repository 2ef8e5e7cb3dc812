// SPDX-License-Identifier: MIT
/*
 * netping: a guest that exercises its virtual NIC (runtime/netfront.h) with
 * the guest network stack (runtime/net/net.h), through the network IOVM.
 *
 * Test convention: the peer is the next address of our subnet, our own
 * IPv4 address + 1 (the policy gives guest A 10.0.2.15 and its peer, a
 * netecho guest, 10.0.2.16). In order:
 *   1. NETPING_PEER_PINGS echo requests to the peer, payload sizes varied,
 *      every reply's source, id, sequence, length and payload checked;
 *   2. NETPING_GW_PINGS echo requests to the gateway from the channel's
 *      configuration (QEMU's and Bochs' user network answer for 10.0.2.2):
 *      these frames cross the wire;
 *   3. NETPING_ECHOES UDP round trips to the peer's port 7, sizes 1..1472,
 *      every reply compared byte for byte;
 *   4. soak, only in a VM whose name starts with "soak": UDP round trips
 *      (and every tenth a ping) to the peer, checked as above, one every
 *      SOAK_PAUSE_NS or so, until the datagram "uhv-soak-stop" arrives on
 *      port SOAK_PORT (from anyone: the hostile-guest test's nethostile
 *      sends it when its sequence is over), at most SOAK_MAX_NS; so the
 *      pair's traffic spans the other guest's whole run;
 *   4'. outage, only in a VM whose name starts with "outage": the same
 *      loop, plus a ping to the gateway every tenth round trip, across a
 *      crash and restart of the network IOVM (tests: its name "netcrash..."
 *      makes it crash once, docs/netvm.md "When the IOVM fails"). A round
 *      trip not answered within OUTAGE_WAIT_NS is lost. Losses are allowed
 *      only around a restart: from the IOVM's crash (the netfront reconnects
 *      when it sees the backend's new epoch) until that kind of round trip
 *      (UDP echo to the peer, ping to the peer, ping to the gateway) has
 *      worked once after the reconnect; every one of them is counted and
 *      reported, with the time from the first loss to the first good round
 *      trip. A loss followed by a good round trip with no reconnect in
 *      between, or any loss after the recovery, fails the test. It ends
 *      when each kind has OUTAGE_GOOD_AFTER good round trips after the
 *      recovery (at most OUTAGE_MAX_NS);
 *   5. the datagram "uhv-echo-stop" to the peer's port 7 (the peer stops on
 *      it), waiting until every transmit buffer came back;
 * then its counters, and it stops: 0 if every check passed, else 1.
 * Every frame of EtherType NET_ETH_TYPE_EXP1 that reaches it is counted and
 * logged: the hostile-guest test's spoofed frames carry it, and must never
 * be delivered.
 */
#include <runtime/netguest.h>
#include <runtime/runtime.h>

#define NETPING_PEER_PINGS	20
#define NETPING_GW_PINGS	3
#define NETPING_ECHOES		100
#define NETPING_ID		0x7568
#define SRC_PORT		40007
#define ECHO_PORT		7
#define CONNECT_WAIT_NS		(20 * NSEC_PER_SEC)
#define REPLY_WAIT_NS		(3 * NSEC_PER_SEC)
#define TIMER_NS		(200 * NSEC_PER_MSEC)
#define SOAK_PORT		40008
#define SOAK_MAX_NS		(60 * NSEC_PER_SEC)
#define SOAK_PAUSE_NS		(2 * NSEC_PER_MSEC)
#define OUTAGE_WAIT_NS		(250 * NSEC_PER_MSEC)
#define OUTAGE_MAX_NS		(90 * NSEC_PER_SEC)
#define OUTAGE_GOOD_AFTER	100	/* UDP echoes after the recovery; pings: a tenth of it */
#define OUTAGE_SEQ_MAGIC	0x6f757400U	/* "out\0": the outage loop's echo payloads start with it + seq */

static const char STOP[] = "uhv-echo-stop";
static const char SOAK_STOP[] = "uhv-soak-stop";

static struct netguest g;

/* The last UDP reply on SRC_PORT. */
static uint8_t reply[NET_UDP_MAX_PAYLOAD];
static size_t reply_len;
static bool have_reply;
static uint8_t sent[NET_UDP_MAX_PAYLOAD];
static bool soak_stop;
static uint32_t soak_stop_from;
static uint64_t exp1_frames;	/* frames of EtherType NET_ETH_TYPE_EXP1 received */

static void on_reply(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)n;
	(void)arg;
	(void)m;
	memcpy(reply, data, len);
	reply_len = len;
	have_reply = true;
}

static void on_soak_stop(struct netif *n, const struct net_udp_meta *m, const void *data, size_t len, void *arg)
{
	(void)n;
	(void)arg;
	if (len == sizeof(SOAK_STOP) - 1 && !memcmp(data, SOAK_STOP, len)) {
		soak_stop = true;
		soak_stop_from = m->src_ip;
	}
}

/* Count frames of EtherType NET_ETH_TYPE_EXP1 before the stack sees them. */
static void tap(struct netguest *guest, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	(void)guest;
	if (len >= NET_ETH_HLEN && (f[12] << 8 | f[13]) == NET_ETH_TYPE_EXP1)
		exp1_frames++;
}

static uint32_t next_address(uint32_t ip)
{
	return __builtin_bswap32(__builtin_bswap32(ip) + 1);
}

/* count pings of varied sizes to dst, one at a time; returns the replies that checked out. */
static unsigned int ping_run(uint32_t dst, unsigned int count, uint16_t first_seq)
{
	unsigned int good = 0;
	char ip[16];

	for (unsigned int i = 0; i < count; i++) {
		uint16_t seq = (uint16_t)(first_seq + i);
		size_t size = (i * 97) % (NET_PING_MAX_PAYLOAD + 1);
		struct net_ping_reply r;
		bool got = false;

		int err = net_ping_send(&g.nif, dst, NETPING_ID, seq, size);
		if (!test_check(err == 0, "ping %s seq %u: send: %d", netguest_ip_str(dst, ip), seq, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!got && time_ns() < deadline) {
			netguest_turn(&g, deadline);
			while (net_ping_poll(&g.nif, &r)) {
				if (r.src_ip != dst || r.id != NETPING_ID || r.seq != seq)
					continue;	/* a late reply to an earlier one */
				got = true;
				if (test_check(r.len == size && r.payload_ok,
					       "ping %s seq %u: reply of %u bytes, payload %s (sent %u)",
					       netguest_ip_str(dst, ip), seq, r.len, r.payload_ok ? "ok" : "wrong",
					       (unsigned int)size))
					good++;
			}
		}
		test_check(got, "ping %s seq %u (%u bytes): no reply within %llu ms", netguest_ip_str(dst, ip), seq,
			   (unsigned int)size, (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	}
	return good;
}

/* count UDP round trips to dst, or until *stop (then fewer); *done: how many were sent. */
static unsigned int echo_run(uint32_t dst, unsigned int count, const bool *stop, unsigned int *done)
{
	unsigned int good = 0, i;

	for (i = 0; i < count && !(stop && *stop); i++) {
		size_t size = i == 0 ? 1 : i == 1 ? NET_UDP_MAX_PAYLOAD : 1 + (i * 389) % NET_UDP_MAX_PAYLOAD;

		for (size_t k = 0; k < size; k++)
			sent[k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
		sent[0] = (uint8_t)i;		/* never the stop word */
		have_reply = false;
		int err = net_udp_send(&g.nif, dst, SRC_PORT, ECHO_PORT, sent, size);
		if (!test_check(err == 0, "udp echo %u: send: %d", i, err))
			continue;
		uint64_t deadline = time_ns() + REPLY_WAIT_NS;
		while (!have_reply && time_ns() < deadline)
			netguest_turn(&g, deadline);
		if (!test_check(have_reply, "udp echo %u (%u bytes): no reply within %llu ms", i, (unsigned int)size,
				(unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC)))
			continue;
		if (test_check(reply_len == size && !memcmp(reply, sent, size),
			       "udp echo %u: reply of %u bytes differs from the %u sent", i, (unsigned int)reply_len,
			       (unsigned int)size))
			good++;
	}
	if (done)
		*done = i;
	return good;
}

/* Step 4: pings and UDP round trips to the peer until the stop word or SOAK_MAX_NS. */
static void soak_run(uint32_t peer, const char *peer_s)
{
	uint64_t deadline = time_ns() + SOAK_MAX_NS;
	unsigned int pings = 0, pings_good = 0, echoes = 0, echoes_good = 0;
	char from[16];

	while (!soak_stop && time_ns() < deadline) {
		unsigned int n;

		if (echoes % 10 == 0) {
			pings_good += ping_run(peer, 1, (uint16_t)(2000 + pings));
			pings++;
		}
		echoes_good += echo_run(peer, 1, &soak_stop, &n);
		echoes += n;
		/* A pause after each round trip: steady traffic, but the CPU
		 * stays free for the other guests most of the time. */
		for (uint64_t until = time_ns() + SOAK_PAUSE_NS; !soak_stop && time_ns() < until;)
			netguest_turn(&g, until);
	}
	test_check(soak_stop, "no \"%s\" within %llu s", SOAK_STOP, (unsigned long long)(SOAK_MAX_NS / NSEC_PER_SEC));
	test_check(echoes >= 10 && pings >= 1, "soak: only %u echo(es), %u ping(s)", echoes, pings);
	test_log("netping: soak: %u/%u UDP echoes and %u/%u pings to %s good until \"%s\" from %s", echoes_good,
		 echoes, pings_good, pings, peer_s, SOAK_STOP, netguest_ip_str(soak_stop_from, from));
}

/* ---- step 4': across an IOVM crash ------------------------------------- */

enum rt_result { RT_GOOD, RT_LOST, RT_WRONG };

/* One kind of round trip through the outage. */
struct outage_flow {
	const char *what;
	unsigned int sent, good_before, good_after, wrong;
	unsigned int after;		/* sent from its first good round trip after the reconnect on */
	unsigned int lost_outage;	/* lost around the restart: allowed, counted */
	unsigned int lost_bad;		/* lost with no restart to explain it, or after the recovery */
	unsigned int pending;		/* lost before any reconnect, not yet explained */
	uint64_t first_loss_ns;		/* send time of its first lost round trip (0: none) */
	uint64_t recovered_ns;		/* send time of its first good round trip after the reconnect */
	bool recovered;
};

static unsigned int reconnects(void)
{
	return (unsigned int)g.nf.stats.reconnects;
}

/* Account one round trip of f sent at sent_ns (rules: the file's comment, step 4'). */
static void outage_account(struct outage_flow *f, enum rt_result r, uint64_t sent_ns)
{
	f->sent++;
	if (f->recovered || (r == RT_GOOD && reconnects()))
		f->after++;
	if (r == RT_WRONG) {
		f->wrong++;
		return;
	}
	if (r == RT_LOST) {
		if (f->recovered) {
			f->lost_bad++;
			test_check(false, "outage: %s: round trip %u lost after the recovery", f->what, f->sent);
			return;
		}
		if (!f->first_loss_ns)
			f->first_loss_ns = sent_ns;
		if (reconnects()) {
			f->lost_outage++;
		} else {
			f->pending++;
		}
		return;
	}
	if (f->pending) {
		/* Lost before the netfront reconnected: explained only if it reconnected since. */
		if (reconnects()) {
			f->lost_outage += f->pending;
		} else {
			f->lost_bad += f->pending;
			test_check(false, "outage: %s: %u lost, then good again with no IOVM restart", f->what,
				   f->pending);
		}
		f->pending = 0;
	}
	if (!reconnects()) {
		f->good_before++;
		return;
	}
	f->good_after++;
	if (!f->recovered) {
		f->recovered = true;
		f->recovered_ns = sent_ns;
	}
}

/* One ping to dst with a short wait; late replies to earlier ones are skipped. */
static enum rt_result outage_ping(uint32_t dst, uint16_t seq)
{
	size_t size = (seq * 97u) % (NET_PING_MAX_PAYLOAD + 1);
	struct net_ping_reply r;

	if (net_ping_send(&g.nif, dst, NETPING_ID, seq, size))
		return RT_LOST;		/* not connected (the IOVM is down or we reconnect) */
	uint64_t deadline = time_ns() + OUTAGE_WAIT_NS;
	while (time_ns() < deadline) {
		netguest_turn(&g, deadline);
		while (net_ping_poll(&g.nif, &r))
			if (r.src_ip == dst && r.id == NETPING_ID && r.seq == seq)
				return r.len == size && r.payload_ok ? RT_GOOD : RT_WRONG;
	}
	return RT_LOST;
}

/* One UDP round trip to the peer: the payload starts with a magic and seq, so a late reply is told apart. */
static enum rt_result outage_echo(uint32_t dst, uint32_t seq)
{
	size_t size = 8 + (seq * 389u) % (NET_UDP_MAX_PAYLOAD - 8);
	uint32_t hdr[2] = { OUTAGE_SEQ_MAGIC, seq };

	for (size_t k = 0; k < size; k++)
		sent[k] = (uint8_t)(seq * 31 + k * 7 + (k >> 8));
	memcpy(sent, hdr, sizeof(hdr));
	have_reply = false;
	if (net_udp_send(&g.nif, dst, SRC_PORT, ECHO_PORT, sent, size))
		return RT_LOST;
	uint64_t deadline = time_ns() + OUTAGE_WAIT_NS;
	while (time_ns() < deadline) {
		netguest_turn(&g, deadline);
		if (!have_reply)
			continue;
		have_reply = false;
		if (reply_len < sizeof(hdr) || memcmp(reply, hdr, sizeof(hdr)))
			continue;	/* a late reply to an earlier round trip */
		return reply_len == size && !memcmp(reply, sent, size) ? RT_GOOD : RT_WRONG;
	}
	return RT_LOST;
}

static void outage_report(const struct outage_flow *f)
{
	uint64_t gap = f->first_loss_ns && f->recovered ? f->recovered_ns - f->first_loss_ns : 0;

	test_log("netping: outage: %s: %u good before, %u lost during the outage, then %u/%u good; "
		 "first good %llu ms after the first loss", f->what, f->good_before, f->lost_outage, f->good_after,
		 f->after, (unsigned long long)(gap / NSEC_PER_MSEC));
	test_check(!f->wrong, "outage: %s: %u wrong repl(ies)", f->what, f->wrong);
	test_check(!f->lost_bad && !f->pending, "outage: %s: %u lost outside the outage", f->what,
		   f->lost_bad + f->pending);
	test_check(f->recovered, "outage: %s: never good after the reconnect", f->what);
}

/* Step 4': round trips to the peer and the gateway until the IOVM has restarted and each kind works again. */
static void outage_run(uint32_t peer, uint32_t gw, const char *peer_s, const char *gw_s)
{
	char what[3][48];
	struct outage_flow fl[3] = { { .what = what[0] }, { .what = what[1] }, { .what = what[2] } };
	struct outage_flow *echo = &fl[0], *pping = &fl[1], *gping = &fl[2];
	uint64_t start = time_ns(), deadline = start + OUTAGE_MAX_NS;
	uint32_t i;

	format(what[0], sizeof(what[0]), "UDP echoes to %s", peer_s);
	format(what[1], sizeof(what[1]), "pings to %s", peer_s);
	format(what[2], sizeof(what[2]), "pings to gateway %s", gw_s);
	for (i = 0; time_ns() < deadline; i++) {
		if (echo->good_after >= OUTAGE_GOOD_AFTER && pping->good_after >= OUTAGE_GOOD_AFTER / 10 &&
		    gping->good_after >= OUTAGE_GOOD_AFTER / 10)
			break;
		uint64_t t = time_ns();
		if (i % 10 == 0)
			outage_account(pping, outage_ping(peer, (uint16_t)(3000 + i / 10)), t);
		else if (i % 10 == 5)
			outage_account(gping, outage_ping(gw, (uint16_t)(6000 + i / 10)), t);
		t = time_ns();
		outage_account(echo, outage_echo(peer, i), t);
		for (uint64_t until = time_ns() + SOAK_PAUSE_NS; time_ns() < until;)
			netguest_turn(&g, until);
	}
	test_check(reconnects() == 1, "outage: the netfront reconnected %u time(s), expected once (IOVM restart)",
		   reconnects());
	if (reconnects())
		test_log("netping: outage: reconnect began at %llu ms (VM time), attached %llu ms later",
			 (unsigned long long)(g.nf.connect_ns / NSEC_PER_MSEC),
			 (unsigned long long)((g.nf.attached_ns - g.nf.connect_ns) / NSEC_PER_MSEC));
	for (unsigned int k = 0; k < 3; k++)
		outage_report(&fl[k]);
	uint64_t first_loss = 0, last_recovery = 0;
	for (unsigned int k = 0; k < 3; k++) {
		if (fl[k].first_loss_ns && (!first_loss || fl[k].first_loss_ns < first_loss))
			first_loss = fl[k].first_loss_ns;
		last_recovery = MAX(last_recovery, fl[k].recovered_ns);
	}
	unsigned int lost = echo->lost_outage + pping->lost_outage + gping->lost_outage;
	test_log("netping: outage: %u round trip(s) lost in all, from the first loss at %llu ms to every kind good "
		 "again: %llu ms; %u round trips in %llu ms", lost, (unsigned long long)(first_loss / NSEC_PER_MSEC),
		 (unsigned long long)(first_loss && last_recovery > first_loss ?
				      (last_recovery - first_loss) / NSEC_PER_MSEC : 0),
		 echo->sent + pping->sent + gping->sent, (unsigned long long)((time_ns() - start) / NSEC_PER_MSEC));
}

static void log_counters(void)
{
	char line[320];

	netfront_format_counters(&g.nf, line, sizeof(line));
	test_log("netfront: %s", line);
	test_log("stack: rx %llu frames (arp %llu, ipv4 %llu, icmp %llu, udp %llu), tx %llu frames, %llu tx error(s)",
		 (unsigned long long)g.nif.stats.rx_frames, (unsigned long long)g.nif.stats.rx_arp,
		 (unsigned long long)g.nif.stats.rx_ipv4, (unsigned long long)g.nif.stats.rx_icmp,
		 (unsigned long long)g.nif.stats.rx_udp, (unsigned long long)g.nif.stats.tx_frames,
		 (unsigned long long)g.nif.stats.tx_errors);
	test_log("netping: %llu frame(s) of EtherType %#x received", (unsigned long long)exp1_frames,
		 NET_ETH_TYPE_EXP1);
}

int guest_main(const struct uhv_boot_info *boot)
{
	char ip[16], peer_s[16], gw_s[16];
	bool soak = !strncmp(boot->vm.name, "soak", 4);
	bool outage = !strncmp(boot->vm.name, "outage", 6);

	test_begin("connect");
	irq_disable();
	g.tap = tap;
	int err = netguest_up(&g, 0, TIMER_NS, CONNECT_WAIT_NS);
	if (!test_check(err == 0, "the virtual NIC did not come up: %d", err))
		test_finish();
	err = net_udp_bind(&g.nif, SRC_PORT, on_reply, NULL);
	test_check(err == 0, "net_udp_bind(%u): %d", SRC_PORT, err);
	if (soak) {
		err = net_udp_bind(&g.nif, SOAK_PORT, on_soak_stop, NULL);
		test_check(err == 0, "net_udp_bind(%u): %d", SOAK_PORT, err);
	}
	uint32_t peer = next_address(g.nif.cfg.ipv4), gw = g.nif.cfg.gateway;
	test_log("netping: %s on channel '%s', peer %s, gateway %s", netguest_ip_str(g.nif.cfg.ipv4, ip), g.ch->name,
		 netguest_ip_str(peer, peer_s), netguest_ip_str(gw, gw_s));
	test_end();

	test_begin("ping-peer");
	unsigned int good = ping_run(peer, NETPING_PEER_PINGS, 1);
	test_log("netping: %u/%u replies from %s, payloads checked", good, NETPING_PEER_PINGS, peer_s);
	test_end();

	test_begin("ping-gateway");
	good = ping_run(gw, NETPING_GW_PINGS, 1000);
	test_log("netping: %u/%u replies from gateway %s, payloads checked", good, NETPING_GW_PINGS, gw_s);
	test_end();

	test_begin("udp-echo");
	good = echo_run(peer, NETPING_ECHOES, NULL, NULL);
	test_log("netping: %u/%u UDP echoes from %s:%u byte-exact", good, NETPING_ECHOES, peer_s, ECHO_PORT);
	test_end();

	if (soak) {
		test_begin("soak");
		soak_run(peer, peer_s);
		test_end();
	}

	if (outage) {
		test_begin("outage");
		outage_run(peer, gw, peer_s, gw_s);
		test_end();
	}

	test_begin("stop-peer");
	err = net_udp_send(&g.nif, peer, SRC_PORT, ECHO_PORT, STOP, sizeof(STOP) - 1);
	test_check(err == 0, "stop datagram: %d", err);
	bool flushed = netfront_flush(&g.nf, time_ns() + REPLY_WAIT_NS, netfront_rx_to_netif, &g.nif);
	test_check(flushed, "transmit buffers still out after %llu ms",
		   (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC));
	test_log("netping: sent %s to %s:%u", STOP, peer_s, ECHO_PORT);
	test_end();
	log_counters();
	test_finish();
}
