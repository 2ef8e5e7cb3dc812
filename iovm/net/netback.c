// SPDX-License-Identifier: MIT
/* netback: the network IOVM's end of its net channels (netback.h). */
#include <runtime/runtime.h>

#include "netback.h"
#include "nic.h"

#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)

static struct netback *self;	/* for the vector handler */

static void channel_interrupt(struct trap_frame *frame)
{
	uint64_t k = frame->vector - UHV_CHANNEL_VECTOR_BASE;

	if (self && k < UHV_VM_CHANNELS_MAX)
		self->pending |= (uint32_t)BIT(k);
}

const char *netback_drop_name(enum netback_drop reason)
{
	switch (reason) {
	case NETBACK_DROP_BAD_LENGTH:	return "bad-length";
	case NETBACK_DROP_NO_RX_BUFFER:	return "no-rx-buffer";
	case NETBACK_DROP_DETACHED:	return "detached";
	case NETBACK_DROP_REASONS:	break;
	}
	return "?";
}

static void notify(struct netback_port *p)
{
	if (hc_channel_notify(p->ch->handle) == 0)
		p->c.notifies++;
}

/*
 * One line about port p's handshake (reset, detach, release, attach,
 * withdrawn generation). The frontend decides how often these happen, so
 * each frontend epoch (a start of the guest) gets NETBACK_LOG_LINES of them,
 * then one line saying that further events are counted, not logged: a
 * guest reconnecting in a loop must not keep the IOVM (and, through the
 * console hypercall, everyone) busy printing. The counters go on.
 */
static void port_log(struct netback_port *p, const char *fmt, ...)
{
	char what[UHV_NET_ERROR_MAX + 96];
	va_list ap;

	if (p->log_lines >= NETBACK_LOG_LINES) {
		p->c.unlogged++;
		if (p->log_lines > NETBACK_LOG_LINES)
			return;
		p->log_lines++;
		gprintf("net: port %u (channel '%s', vm '%s'): further events on this port are counted, not logged "
			"until its frontend restarts (%u lines per frontend epoch)\n", p->port, p->ch->name, p->ch->peer,
			NETBACK_LOG_LINES);
		return;
	}
	p->log_lines++;
	p->c.logged++;
	va_start(ap, fmt);
	vformat(what, sizeof(what), fmt, ap);
	va_end(ap);
	gprintf("net: port %u (channel '%s', vm '%s'): %s\n", p->port, p->ch->name, p->ch->peer, what);
}

/*
 * Refuse or stop serving generation gen: the reason to the frontend
 * (backend_error, then status RESET, then backend_generation = gen with a
 * release store: it sees the reason before it sees its generation reset),
 * one log line, and a notification.
 */
static void port_reset(struct netback_port *p, uint32_t gen, const char *fmt, ...)
{
	volatile struct uhv_net_shared *sh = p->shared;
	char reason[UHV_NET_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (unsigned int i = 0; i < sizeof(reason); i++)
		sh->backend_error[i] = reason[i];
	sh->backend_status = UHV_NET_BACKEND_RESET;
	__atomic_store_n(&sh->backend_generation, gen, __ATOMIC_RELEASE);
	p->attached = false;
	p->generation = gen;
	p->status = UHV_NET_BACKEND_RESET;
	p->c.resets++;
	port_log(p, "reset: %s", reason);
	notify(p);
}

static void port_detach(struct netback_port *p, const char *why)
{
	p->attached = false;
	port_log(p, "detached: %s", why);
}

/*
 * The frontend set generation 0: say that this port serves no generation
 * (status DETACHED, then backend_generation 0 with a release store) and
 * notify, once: the frontend waits for exactly this before it zeroes the
 * rings. Not attached when called.
 */
static void port_release(struct netback_port *p)
{
	volatile struct uhv_net_shared *sh = p->shared;
	uint32_t old = p->generation;

	/* Our record, not the page: a frontend rewriting the fields would
	 * otherwise have us let go (log, notify) again at every pass. */
	if (!old && p->status == UHV_NET_BACKEND_DETACHED)
		return;
	sh->backend_status = UHV_NET_BACKEND_DETACHED;
	__atomic_store_n(&sh->backend_generation, 0, __ATOMIC_RELEASE);
	p->generation = 0;
	p->status = UHV_NET_BACKEND_DETACHED;
	p->c.releases++;
	port_log(p, "let go of generation %u: the frontend is reconnecting", old);
	notify(p);
}

/* Set up the device ends of both queues for generation gen after checking the header. */
static void port_attach(struct netback_port *p, uint32_t gen, uint32_t front_epoch)
{
	volatile struct uhv_net_shared *sh = p->shared;
	struct vring_region region = { .host = (void *)(uintptr_t)p->map.region, .gpa = p->ch->region_gpa,
				       .size = p->ch->region_size };
	struct vring_config rxc, txc;
	struct vring_layout rxl;
	uint32_t magic = sh->magic, version = sh->version, qsize = sh->queue_size;
	uint64_t features = sh->features;

	if (magic != UHV_NET_MAGIC) {
		port_reset(p, gen, "bad magic %#x (expected %#x)", magic, UHV_NET_MAGIC);
		return;
	}
	if (version != UHV_NET_VERSION) {
		port_reset(p, gen, "version %u (expected %u)", version, UHV_NET_VERSION);
		return;
	}
	if (qsize != UHV_NET_QUEUE_SIZE) {
		port_reset(p, gen, "queue_size %u (expected %u)", qsize, UHV_NET_QUEUE_SIZE);
		return;
	}
	if (features != UHV_NET_FEATURES) {
		port_reset(p, gen, "features %#llx (expected %#llx)", (unsigned long long)features,
			   (unsigned long long)UHV_NET_FEATURES);
		return;
	}
	/* The device ends may touch descriptors naming the buffer area only:
	 * never the rings or this page. */
	uint64_t area = p->ch->region_size - UHV_NET_BUFFERS_OFFSET;
	if (vring_layout(qsize, UHV_NET_RINGS_OFFSET, &rxl) ||
	    vring_config_at(&rxc, &region, qsize, UHV_NET_RINGS_OFFSET, true) ||
	    vring_config_at(&txc, &region, qsize, rxl.end_off, true) || vring_device_init(&p->rx, &rxc) ||
	    vring_device_init(&p->tx, &txc) ||
	    vring_restrict_buffers(&p->rx, p->ch->region_gpa + UHV_NET_BUFFERS_OFFSET, area) ||
	    vring_restrict_buffers(&p->tx, p->ch->region_gpa + UHV_NET_BUFFERS_OFFSET, area)) {
		port_reset(p, gen, "queues do not fit the region");
		return;
	}
	p->attached = true;
	p->generation = gen;
	p->status = UHV_NET_BACKEND_ATTACHED;
	p->front_epoch = front_epoch;
	p->c.attaches++;
	/* Status before generation: the frontend, matching its generation, never sees an old RESET. */
	sh->backend_status = UHV_NET_BACKEND_ATTACHED;
	__atomic_store_n(&sh->backend_generation, gen, __ATOMIC_RELEASE);
	/* A frontend that set generation 0 after we read gen, then found the
	 * backend_generation of before (0) and went on to zero the rings:
	 * after this fence either it saw our store (and waits for us to let
	 * go) or we see its 0 here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE) != gen) {
		p->attached = false;
		port_log(p, "generation %u withdrawn while attaching", gen);
		return;
	}
	/* Receive buffers are taken when a frame comes: no kick wanted for
	 * them. Only now: before the check above the frontend may have been
	 * zeroing the rings, and nothing of ours may be written into them. */
	vring_disable_kicks(&p->rx);
	port_log(p, "attached, generation %u", gen);
	notify(p);
}

/* The handshake's part of a pass: attach, re-attach or let go. */
static void port_handshake(struct netback_port *p)
{
	uint32_t state, epoch;

	rt_channel_peer(&p->map, UHV_CHANNEL_BACKEND, &state, &epoch);
	uint32_t gen = __atomic_load_n(&p->shared->generation, __ATOMIC_ACQUIRE);

	if (epoch != p->log_epoch) {
		/* A new instance of the guest (the hypervisor counts its starts): a new log budget. */
		p->log_epoch = epoch;
		p->log_lines = 0;
	}

	if (p->attached) {
		if (state != UHV_PEER_READY || epoch != p->front_epoch)
			port_detach(p, state != UHV_PEER_READY ? "frontend not running" : "frontend restarted");
		else if (gen != p->generation)
			port_detach(p, gen ? "frontend reconnected" : "frontend resetting");
	}
	/* Generation 0: the frontend is about to zero and set up the rings
	 * again and waits until we say we let go of them (handshake step 2).
	 * From here until the next attach nothing touches its rings. */
	if (!gen) {
		port_release(p);
		return;
	}
	if (p->attached || state != UHV_PEER_READY)
		return;
	/* A generation already attached or reset (by us, or by the instance
	 * before a restart of this IOVM) is not served again: the frontend
	 * reconnects with a new one when it sees our new epoch. Our record, not backend_generation: a
	 * frontend rewriting that would have a reset generation served (and
	 * reset) again at every pass. */
	if (gen == p->generation || gen == p->stale_generation)
		return;
	port_attach(p, gen, epoch);
}

/*
 * A start of this IOVM: the region survives restarts, so it holds what the
 * instance before left (nothing on the first start: the region starts
 * zeroed, generation 0 DETACHED). Whatever that was, this instance serves
 * no generation yet: it says so at once (status DETACHED, then
 * backend_generation 0, release) and notifies, so that a frontend already
 * reconnecting, which waits for exactly that (handshake step 2), goes on
 * without waiting for the first service pass, and never takes fields
 * written by a dead instance for an answer of this one. The generation
 * found there is remembered and never served: the frontend set up those
 * rings for the dead instance, whose device ends died with it; it comes
 * back with a new generation when it sees this instance's epoch. Read
 * once; from here on the port's own record decides.
 */
static void port_start_detached(struct netback_port *p)
{
	volatile struct uhv_net_shared *sh = p->shared;
	uint32_t found = __atomic_load_n(&sh->backend_generation, __ATOMIC_ACQUIRE);
	uint32_t status = sh->backend_status;

	p->generation = 0;
	p->status = UHV_NET_BACKEND_DETACHED;
	p->stale_generation = found;
	if (!found && status == UHV_NET_BACKEND_DETACHED)
		return;
	sh->backend_status = UHV_NET_BACKEND_DETACHED;
	__atomic_store_n(&sh->backend_generation, 0, __ATOMIC_RELEASE);
	gprintf("net: port %u (channel '%s', vm '%s'): found generation %u %s by an earlier instance: starting "
		"detached, serving only the frontend's next generation\n", p->port, p->ch->name, p->ch->peer, found,
		status == UHV_NET_BACKEND_ATTACHED ? "attached" : status == UHV_NET_BACKEND_RESET ? "reset" : "left");
	notify(p);
}

/* A slot in the staging area; flushes the uplink batch when all are in use. */
static uint8_t *stage_slot(struct netback *nb)
{
	if (nb->stage_n == NETBACK_STAGE) {
		nb->hooks.flush(nb->hooks.ctx);
		nb->stage_n = 0;
	}
	return nb->stage[nb->stage_n++];
}

/* Up to NETBACK_BUDGET transmitted frames of one attached port. */
static void port_transmit(struct netback *nb, struct netback_port *p)
{
	struct vring_buf segs[NETBACK_MAX_SEGS];
	struct vring_chain chain;
	unsigned int n = 0;

	while (p->attached && n < NETBACK_BUDGET) {
		int head = vring_pop(&p->tx, segs, NETBACK_MAX_SEGS, &chain);
		if (head == -HV_EAGAIN) {
			/* Ask for a kick at the next entry, then look once more (no lost
			 * kick). The look counts against the budget: a frontend moving
			 * avail.idx back and forth (another CPU) must not keep us here. */
			int more = vring_enable_kicks(&p->tx);
			if (more == 1) {
				n++;
				continue;
			}
			if (more < 0)
				port_reset(p, p->generation, "transmit queue: %s", vring_broken(&p->tx));
			return;
		}
		if (head < 0) {
			port_reset(p, p->generation, "transmit queue: %s", vring_broken(&p->tx));
			return;
		}
		n++;
		if (chain.n_in) {
			port_reset(p, p->generation, "transmit chain %u has %u device-writable descriptor(s)",
				   chain.head, chain.n_in);
			return;
		}
		if (chain.out_len < HDR_LEN + UHV_NET_FRAME_MIN || chain.out_len > HDR_LEN + UHV_NET_FRAME_MAX) {
			p->c.drops[NETBACK_DROP_BAD_LENGTH]++;
			vring_push_used(&p->tx, chain.head, 0);
			continue;
		}
		/* The one copy out of shared memory: checked and switched from here on. */
		uint8_t *f = stage_slot(nb);
		size_t at = 0;
		for (unsigned int i = 0; i < chain.n_out; i++) {
			memcpy(f + at, segs[i].host, segs[i].len);
			at += segs[i].len;
		}
		vring_push_used(&p->tx, chain.head, 0);
		const struct virtio_net_hdr_v1 *h = (const struct virtio_net_hdr_v1 *)f;
		if (h->flags || h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			nb->stage_n--;
			port_reset(p, p->generation, "transmit header: flags %#x gso_type %#x (no offloads)",
				   h->flags, h->gso_type);
			return;
		}
		p->c.from_guest_frames++;
		p->c.from_guest_bytes += at - HDR_LEN;
		nb->hooks.switch_frame(nb->hooks.ctx, p->port, f + HDR_LEN, at - HDR_LEN);
	}
	if (n == NETBACK_BUDGET)
		nb->more = true;
}

void netback_service(struct netback *nb)
{
	uint32_t pending = nb->pending;

	nb->pending = 0;
	nb->more = false;
	for (unsigned int i = 0; i < nb->nports; i++)
		if (pending & BIT(nb->ports[i].channel))
			nb->ports[i].c.kicks++;
	/* The batch from the last pass is gone: the staging area is free. */
	nb->hooks.flush(nb->hooks.ctx);
	nb->stage_n = 0;
	for (unsigned int i = 0; i < nb->nports; i++)
		port_handshake(&nb->ports[i]);
	/* Each pass starts at the next port: the uplink's transmit ring is
	 * shared, and when the wire is slower than we are the ports served
	 * last in a pass are the ones whose frames do not fit. */
	unsigned int first = nb->next_port;
	for (unsigned int i = 0; i < nb->nports; i++) {
		struct netback_port *p = &nb->ports[(first + i) % nb->nports];
		if (p->attached)
			port_transmit(nb, p);
	}
	if (nb->nports)
		nb->next_port = (first + 1) % nb->nports;
}

/* Pop a receive buffer of port p for one frame: true with *chain filled; false if
 * there is none (counted) or the queue is bad (port reset). */
static bool take_rx_buffer(struct netback_port *p, struct vring_buf *segs, struct vring_chain *chain)
{
	if (!p->attached) {
		p->c.drops[NETBACK_DROP_DETACHED]++;
		return false;
	}
	int head = vring_pop(&p->rx, segs, NETBACK_MAX_SEGS, chain);
	if (head == -HV_EAGAIN) {
		p->c.drops[NETBACK_DROP_NO_RX_BUFFER]++;
		return false;
	}
	if (head < 0)
		port_reset(p, p->generation, "receive queue: %s", vring_broken(&p->rx));
	else if (chain->n_out)
		port_reset(p, p->generation, "receive chain %u has %u device-readable descriptor(s)", chain->head,
			   chain->n_out);
	else if (chain->in_len < HDR_LEN + UHV_NET_FRAME_MAX)
		port_reset(p, p->generation, "receive buffer %u: %u bytes < %u", chain->head, chain->in_len,
			   (unsigned int)(HDR_LEN + UHV_NET_FRAME_MAX));
	else
		return true;
	return false;
}

void netback_deliver(struct netback *nb, unsigned int sw_port, const uint8_t *frame, size_t len)
{
	int k = sw_port < SWITCH_MAX_PORTS ? nb->by_switch_port[sw_port] : -1;
	struct vring_buf segs[NETBACK_MAX_SEGS];
	struct vring_chain chain;

	if (k < 0 || len < UHV_NET_FRAME_MIN || len > UHV_NET_FRAME_MAX ||
	    !take_rx_buffer(&nb->ports[k], segs, &chain)) {
		switch_tx_dropped(nb->sw, sw_port, len);
		return;
	}
	struct netback_port *p = &nb->ports[k];
	/* Header (num_buffers 1, no offloads) then the frame, across the chain's segments. */
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	const uint8_t *src[2] = { (const uint8_t *)&hdr, frame };
	size_t left[2] = { HDR_LEN, len };
	unsigned int s = 0;
	size_t seg_at = 0;
	for (unsigned int part = 0; part < 2; part++) {
		while (left[part]) {
			size_t n = MIN(left[part], segs[s].len - seg_at);
			memcpy((uint8_t *)segs[s].host + seg_at, src[part], n);
			src[part] += n;
			left[part] -= n;
			seg_at += n;
			if (seg_at == segs[s].len) {
				s++;
				seg_at = 0;
			}
		}
	}
	vring_push_used(&p->rx, chain.head, (uint32_t)(HDR_LEN + len));
	p->c.to_guest_frames++;
	p->c.to_guest_bytes += len;
}

void netback_notify(struct netback *nb)
{
	for (unsigned int i = 0; i < nb->nports; i++) {
		struct netback_port *p = &nb->ports[i];

		if (!p->attached)
			continue;
		/* Both calls: each moves its queue's "signalled" mark. */
		bool rx = vring_notify_needed(&p->rx);
		bool tx = vring_notify_needed(&p->tx);
		if (rx || tx)
			notify(p);
	}
}

bool netback_busy(const struct netback *nb)
{
	return nb->pending || nb->more;
}

bool netback_frontends_stopped(const struct netback *nb)
{
	if (!nb->nports)
		return false;
	for (unsigned int i = 0; i < nb->nports; i++) {
		uint32_t state, epoch;

		rt_channel_peer(&nb->ports[i].map, UHV_CHANNEL_BACKEND, &state, &epoch);
		if (state != UHV_PEER_ABSENT || epoch < 1)
			return false;
	}
	return true;
}

int netback_init(struct netback *nb, struct l2_switch *sw, const struct netback_hooks *hooks)
{
	const struct uhv_channel_info *ch;

	memset(nb, 0, sizeof(*nb));
	nb->sw = sw;
	nb->hooks = *hooks;
	for (unsigned int i = 0; i < SWITCH_MAX_PORTS; i++)
		nb->by_switch_port[i] = -1;
	self = nb;
	for (unsigned int k = 0; (ch = rt_channel(k)) != NULL; k++) {
		if (ch->kind != UHV_CHANNEL_NET || ch->end != UHV_CHANNEL_BACKEND)
			continue;
		struct netback_port *p = &nb->ports[nb->nports];
		char mac[18];
		int err;

		if (ch->region_size < UHV_NET_REGION_MIN || ch->vector != UHV_CHANNEL_VECTOR_BASE + k) {
			gprintf("net: channel '%s': region %llu bytes (at least %llu), vector %#x: unusable\n",
				ch->name, (unsigned long long)ch->region_size, (unsigned long long)UHV_NET_REGION_MIN,
				ch->vector);
			return -HV_EINVAL;
		}
		err = rt_channel_map(ch, &p->map);
		if (err) {
			gprintf("net: channel '%s': cannot map it: %d\n", ch->name, err);
			return err;
		}
		int port = switch_add_port(sw, SWITCH_PORT_GUEST, ch->net.mac);
		if (port < 0) {
			gprintf("net: channel '%s': no switch port for MAC %s: %d\n", ch->name,
				nic_mac_str(ch->net.mac, mac), port);
			return port;
		}
		err = irq_register(ch->vector, channel_interrupt);
		if (err) {
			gprintf("net: channel '%s': vector %#x: %d\n", ch->name, ch->vector, err);
			return err;
		}
		p->ch = ch;
		p->shared = (volatile struct uhv_net_shared *)p->map.region;
		p->channel = k;
		p->port = (unsigned int)port;
		nb->by_switch_port[port] = (int)nb->nports;
		nb->nports++;
		gprintf("net: port %u: channel '%s' (handle %u, vector %#x, %llu KiB) to vm '%s', MAC %s\n",
			p->port, ch->name, ch->handle, ch->vector, (unsigned long long)(ch->region_size / 1024),
			ch->peer, nic_mac_str(ch->net.mac, mac));
		port_start_detached(p);
	}
	return (int)nb->nports;
}

void netback_log_counters(const struct netback *nb)
{
	for (unsigned int i = 0; i < nb->nports; i++) {
		const struct netback_port *p = &nb->ports[i];
		const struct netback_counters *c = &p->c;
		char drops[128];
		int at = 0;

		drops[0] = 0;
		for (unsigned int r = 0; r < NETBACK_DROP_REASONS; r++)
			at += format(drops + at, sizeof(drops) - (size_t)at, " %s %llu", netback_drop_name(r),
				     (unsigned long long)c->drops[r]);
		gprintf("net: port %u (channel '%s', vm '%s'): from guest %llu frames %llu bytes, to guest %llu frames "
			"%llu bytes, drops:%s; %llu attach(es), %llu reset(s), %llu release(s), %llu notification(s) sent, "
			"%llu wake-up(s) by its vector; log: %llu event(s), %llu unlogged\n",
			p->port, p->ch->name, p->ch->peer, (unsigned long long)c->from_guest_frames,
			(unsigned long long)c->from_guest_bytes, (unsigned long long)c->to_guest_frames,
			(unsigned long long)c->to_guest_bytes, drops, (unsigned long long)c->attaches,
			(unsigned long long)c->resets, (unsigned long long)c->releases, (unsigned long long)c->notifies,
			(unsigned long long)c->kicks, (unsigned long long)c->logged, (unsigned long long)c->unlogged);
	}
}
