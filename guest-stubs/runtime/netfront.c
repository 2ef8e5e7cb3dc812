// SPDX-License-Identifier: MIT
/* netfront: a guest's virtual NIC over a net channel (netfront.h). */
#include "netfront.h"
#include "runtime.h"

#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)

/* The netfront of each channel vector (0x80 + k), for the shared handler. */
static struct netfront *by_vector[UHV_VM_CHANNELS_MAX];

static void netfront_interrupt(struct trap_frame *frame)
{
	uint64_t k = frame->vector - UHV_CHANNEL_VECTOR_BASE;

	if (k < UHV_VM_CHANNELS_MAX && by_vector[k]) {
		by_vector[k]->irq_pending = true;
		by_vector[k]->stats.interrupts++;
	}
}

static uint64_t buf_gpa(const struct netfront *nf, unsigned int i)
{
	return nf->buffers_gpa + (uint64_t)i * UHV_NET_BUFFER_SIZE;
}

static uint8_t *buf_host(const struct netfront *nf, unsigned int i)
{
	return nf->buffers + (size_t)i * UHV_NET_BUFFER_SIZE;
}

static void kick(struct netfront *nf)
{
	if (hc_channel_notify(nf->ch->handle) == 0)
		nf->stats.kicks++;
}

static uint32_t backend_epoch(const struct netfront *nf)
{
	uint32_t state, epoch;

	rt_channel_peer(&nf->map, UHV_CHANNEL_FRONTEND, &state, &epoch);
	return epoch;
}

/* The backend says it serves no generation: it let go of the rings (or never held them). */
static bool backend_detached(const volatile struct uhv_net_shared *sh)
{
	return __atomic_load_n(&sh->backend_generation, __ATOMIC_ACQUIRE) == 0 &&
	       sh->backend_status == UHV_NET_BACKEND_DETACHED;
}

/*
 * Handshake step 2 (abi/net_channel.h): generation is 0; wait until the
 * backend acknowledged it (backend_generation 0, status DETACHED), so that
 * it no longer reads or writes the rings we are about to zero. A backend
 * that is not running (absent, failed, between a failure and its restart)
 * holds nothing: a restarted instance starts detached. A running backend
 * that does not answer within NETFRONT_DETACH_WAIT_NS: logged, and we go
 * on (it is hung; the hypervisor restarts it, and a restart detaches it).
 */
static void wait_backend_detached(struct netfront *nf)
{
	volatile struct uhv_net_shared *sh = nf->shared;
	uint32_t state, epoch;
	uint64_t deadline = 0;
	uint64_t flags = irq_save();

	for (;;) {
		nf->irq_pending = false;
		rt_channel_peer(&nf->map, UHV_CHANNEL_FRONTEND, &state, &epoch);
		if (state != UHV_PEER_READY || backend_detached(sh))
			break;
		if (!deadline) {
			/* Wake the backend: it acknowledges on its next pass. */
			deadline = time_ns() + NETFRONT_DETACH_WAIT_NS;
			kick(nf);
		} else if (time_ns() >= deadline) {
			nf->stats.detach_timeouts++;
			gprintf("netfront: channel '%s': backend '%s' did not let go of generation %u within %llu ms "
				"(status %u): reinitialising anyway\n", nf->ch->name, nf->ch->peer,
				sh->backend_generation, (unsigned long long)(NETFRONT_DETACH_WAIT_NS / NSEC_PER_MSEC),
				sh->backend_status);
			break;
		}
		/* The backend's notification (or a state change of its end) wakes us. */
		if (!nf->irq_pending)
			wait_interrupt_until(deadline);
	}
	irq_restore(flags);
}

/*
 * The handshake (abi/net_channel.h): generation 0 (full fence: the backend
 * that attaches after reading our old generation re-reads it after
 * publishing its own, so one of us sees the other), wait until the backend
 * let go, rings zeroed and set up as the driver, receive buffers posted,
 * header filled, then the new generation published with a release store,
 * then a notification.
 */
static int connect(struct netfront *nf)
{
	volatile struct uhv_net_shared *sh = nf->shared;
	struct vring_region region = { .host = (void *)(uintptr_t)nf->map.region, .gpa = nf->ch->region_gpa,
				       .size = nf->ch->region_size };
	struct vring_config rxc, txc;
	struct vring_layout rxl;
	/* Never a generation the backend has seen: above ours, the page's and the backend's. */
	uint32_t prev = MAX(nf->generation, MAX(sh->generation, sh->backend_generation));
	int err;

	nf->attached = false;
	nf->connect_ns = time_ns();
	__atomic_store_n(&sh->generation, 0, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wait_backend_detached(nf);
	err = vring_layout(UHV_NET_QUEUE_SIZE, UHV_NET_RINGS_OFFSET, &rxl);
	if (!err)
		err = vring_config_at(&rxc, &region, UHV_NET_QUEUE_SIZE, UHV_NET_RINGS_OFFSET, true);
	if (!err)
		err = vring_config_at(&txc, &region, UHV_NET_QUEUE_SIZE, rxl.end_off, true);
	if (!err)
		err = vring_driver_init(&nf->rx, &rxc, nf->rx_state);
	if (!err)
		err = vring_driver_init(&nf->tx, &txc, nf->tx_state);
	uint64_t area = nf->ch->region_size - UHV_NET_BUFFERS_OFFSET;
	if (!err)
		err = vring_restrict_buffers(&nf->rx, nf->buffers_gpa, area);
	if (!err)
		err = vring_restrict_buffers(&nf->tx, nf->buffers_gpa, area);
	if (err)
		return err;
	/* No interrupts until netfront_wait() asks for them. */
	vring_disable_interrupts(&nf->rx);
	vring_disable_interrupts(&nf->tx);
	nf->tx_free_n = 0;
	for (unsigned int i = 0; i < nf->n_tx; i++)
		nf->tx_free[nf->tx_free_n++] = (uint16_t)(nf->n_rx + i);
	for (unsigned int i = 0; i < nf->n_rx; i++) {
		int id = vring_add_rx(&nf->rx, buf_gpa(nf, i), UHV_NET_BUFFER_SIZE);
		if (id < 0)
			return id;
		nf->rx_buf_of[id] = (uint16_t)i;
	}
	(void)vring_kick_needed(&nf->rx);	/* the connect's notification covers them */
	sh->magic = UHV_NET_MAGIC;
	sh->version = UHV_NET_VERSION;
	sh->queue_size = UHV_NET_QUEUE_SIZE;
	sh->features = UHV_NET_FEATURES;
	for (unsigned int i = 0; i < ARRAY_SIZE(sh->reserved); i++)
		sh->reserved[i] = 0;
	nf->generation = prev + 1 ? prev + 1 : 1;
	nf->backend_epoch = backend_epoch(nf);
	__atomic_store_n(&sh->generation, nf->generation, __ATOMIC_RELEASE);
	kick(nf);
	return 0;
}

static void reconnect(struct netfront *nf, const char *why)
{
	if (!nf->quiet)
		gprintf("netfront: channel '%s': %s: reconnecting\n", nf->ch->name, why);
	nf->stats.reconnects++;
	int err = connect(nf);
	if (err)
		gprintf("netfront: channel '%s': reconnect failed: %d\n", nf->ch->name, err);
}

void netfront_reconnect(struct netfront *nf, const char *why)
{
	reconnect(nf, why);
}

int netfront_init(struct netfront *nf, const struct uhv_channel_info *ch)
{
	int err;

	if (!ch || ch->kind != UHV_CHANNEL_NET || ch->end != UHV_CHANNEL_FRONTEND ||
	    ch->region_size < UHV_NET_REGION_MIN || ch->vector < UHV_CHANNEL_VECTOR_BASE ||
	    ch->vector > UHV_CHANNEL_VECTOR_LAST)
		return -HV_EINVAL;
	memset(nf, 0, sizeof(*nf));
	nf->ch = ch;
	err = rt_channel_map(ch, &nf->map);
	if (err)
		return err;
	nf->shared = (volatile struct uhv_net_shared *)nf->map.region;
	nf->buffers = (uint8_t *)(uintptr_t)nf->map.region + UHV_NET_BUFFERS_OFFSET;
	nf->buffers_gpa = ch->region_gpa + UHV_NET_BUFFERS_OFFSET;
	unsigned int n = (unsigned int)((ch->region_size - UHV_NET_BUFFERS_OFFSET) / UHV_NET_BUFFER_SIZE);
	nf->n_rx = MIN(n / 2, NETFRONT_MAX_BUFFERS);
	nf->n_tx = MIN(n - nf->n_rx, NETFRONT_MAX_BUFFERS);
	by_vector[ch->vector - UHV_CHANNEL_VECTOR_BASE] = nf;
	err = irq_register(ch->vector, netfront_interrupt);
	if (err)
		return err;
	return connect(nf);
}

bool netfront_connected(const struct netfront *nf)
{
	const volatile struct uhv_net_shared *sh = nf->shared;
	uint32_t state, epoch;

	/* attached: netfront_poll() saw the backend's answer (and logged it). */
	if (!nf->attached)
		return false;
	rt_channel_peer(&nf->map, UHV_CHANNEL_FRONTEND, &state, &epoch);
	return state == UHV_PEER_READY && epoch == nf->backend_epoch &&
	       __atomic_load_n(&sh->backend_generation, __ATOMIC_ACQUIRE) == nf->generation &&
	       sh->backend_status == UHV_NET_BACKEND_ATTACHED && !vring_broken(&nf->rx) && !vring_broken(&nf->tx);
}

static void reclaim_tx(struct netfront *nf)
{
	uint32_t len;
	int id;

	while ((id = vring_get_used(&nf->tx, &len)) >= 0)
		nf->tx_free[nf->tx_free_n++] = nf->tx_buf_of[id];
}

int netfront_send(struct netfront *nf, const void *frame, size_t len)
{
	if (len < UHV_NET_FRAME_MIN || len > UHV_NET_FRAME_MAX)
		return -HV_EINVAL;
	if (!netfront_connected(nf))
		return -HV_EPIPE;
	if (!nf->tx_free_n)
		reclaim_tx(nf);
	if (!nf->tx_free_n) {
		nf->stats.tx_full++;
		return -HV_ENOSPC;
	}
	uint16_t b = nf->tx_free[--nf->tx_free_n];
	uint8_t *p = buf_host(nf, b);

	memset(p, 0, HDR_LEN);			/* no offloads: an all-zero header */
	memcpy(p + HDR_LEN, frame, len);
	int id = vring_add_tx(&nf->tx, buf_gpa(nf, b), (uint32_t)(HDR_LEN + len));
	if (id < 0) {
		nf->tx_free[nf->tx_free_n++] = b;
		return id == -HV_EIO ? -HV_EPIPE : id;
	}
	nf->tx_buf_of[id] = b;
	nf->stats.tx_frames++;
	nf->stats.tx_bytes += len;
	if (vring_kick_needed(&nf->tx))
		kick(nf);
	return 0;
}

/* Reconnect if the backend restarted, reset us, or a queue broke. Returns true if it did. */
static bool check_backend(struct netfront *nf)
{
	volatile struct uhv_net_shared *sh = nf->shared;
	uint32_t state, epoch;
	char why[UHV_NET_ERROR_MAX + 64];

	rt_channel_peer(&nf->map, UHV_CHANNEL_FRONTEND, &state, &epoch);
	/* A backend that had never started when we connected attaches to our
	 * generation when it comes: nothing to redo. */
	if (!nf->backend_epoch)
		nf->backend_epoch = epoch;
	if (epoch != nf->backend_epoch && state == UHV_PEER_READY) {
		format(why, sizeof(why), "backend restarted (epoch %u -> %u)", nf->backend_epoch, epoch);
		reconnect(nf, why);
		return true;
	}
	uint32_t gen = __atomic_load_n(&sh->backend_generation, __ATOMIC_ACQUIRE);
	uint32_t status = sh->backend_status;
	if (gen == nf->generation && status == UHV_NET_BACKEND_RESET) {
		for (unsigned int i = 0; i < sizeof(nf->last_error); i++)
			nf->last_error[i] = sh->backend_error[i];
		nf->last_error[sizeof(nf->last_error) - 1] = 0;
		format(why, sizeof(why), "backend reset generation %u: %s", gen, nf->last_error);
		reconnect(nf, why);
		return true;
	}
	const char *broken = vring_broken(&nf->rx) ? vring_broken(&nf->rx) : vring_broken(&nf->tx);
	if (broken) {
		format(why, sizeof(why), "%s queue broken: %s", vring_broken(&nf->rx) ? "receive" : "transmit",
		       broken);
		reconnect(nf, why);
		return true;
	}
	if (!nf->attached && gen == nf->generation && status == UHV_NET_BACKEND_ATTACHED) {
		nf->attached = true;
		nf->attached_ns = time_ns();
		if (nf->quiet)
			;
		else if (nf->stats.reconnects)
			gprintf("netfront: channel '%s': attached by '%s' (generation %u, %u+%u buffers), %llu ms after "
				"the reconnect began\n", nf->ch->name, nf->ch->peer, gen, nf->n_rx, nf->n_tx,
				(unsigned long long)((nf->attached_ns - nf->connect_ns) / NSEC_PER_MSEC));
		else
			gprintf("netfront: channel '%s': attached by '%s' (generation %u, %u+%u buffers)\n",
				nf->ch->name, nf->ch->peer, gen, nf->n_rx, nf->n_tx);
	}
	return false;
}

unsigned int netfront_poll(struct netfront *nf, void (*rx)(void *ctx, const void *frame, size_t len), void *ctx)
{
	/* The frame as handed to rx: copied out of shared memory first, so
	 * the backend cannot change it while the stack parses it. */
	static uint8_t copy[UHV_NET_FRAME_MAX];
	unsigned int delivered = 0;
	uint32_t len;
	int id;

	check_backend(nf);
	reclaim_tx(nf);
	for (unsigned int n = 0; n < nf->n_rx && (id = vring_get_used(&nf->rx, &len)) >= 0; n++) {
		uint16_t b = nf->rx_buf_of[id];

		if (len < HDR_LEN + UHV_NET_FRAME_MIN || len > HDR_LEN + UHV_NET_FRAME_MAX) {
			nf->stats.rx_dropped++;
		} else {
			size_t flen = len - HDR_LEN;
			memcpy(copy, buf_host(nf, b) + HDR_LEN, flen);
			nf->stats.rx_frames++;
			nf->stats.rx_bytes += flen;
			delivered++;
			if (rx)
				rx(ctx, copy, flen);
		}
		int nid = vring_add_rx(&nf->rx, buf_gpa(nf, b), UHV_NET_BUFFER_SIZE);
		if (nid >= 0)
			nf->rx_buf_of[nid] = b;
	}
	bool k = vring_kick_needed(&nf->rx);
	if (vring_kick_needed(&nf->tx) || k)
		kick(nf);
	return delivered;
}

void netfront_wait(struct netfront *nf, uint64_t deadline_ns)
{
	if (nf->irq_pending) {
		nf->irq_pending = false;
		return;
	}
	int more = vring_enable_interrupts(&nf->rx);
	if (!more && !nf->tx_free_n)
		more = vring_enable_interrupts(&nf->tx);
	if (!more) {
		nf->stats.waits++;
		wait_interrupt_until(deadline_ns);
	}
	nf->irq_pending = false;
	vring_disable_interrupts(&nf->rx);
	vring_disable_interrupts(&nf->tx);
}

bool netfront_flush(struct netfront *nf, uint64_t deadline_ns, void (*rx)(void *ctx, const void *frame, size_t len),
		    void *ctx)
{
	for (;;) {
		netfront_poll(nf, rx, ctx);
		if (nf->tx_free_n == nf->n_tx)
			return true;
		if (deadline_ns && time_ns() >= deadline_ns)
			return false;
		/* Ask for the transmit interrupt too: that is what we wait for. */
		if (vring_enable_interrupts(&nf->tx) == 0)
			netfront_wait(nf, deadline_ns);
	}
}

static int netif_xmit(void *ctx, const void *frame, size_t len)
{
	return netfront_send(ctx, frame, len);
}

static uint64_t netif_now(void *ctx)
{
	(void)ctx;
	return time_ns();
}

int netfront_netif_init(struct netfront *nf, struct netif *nif)
{
	const struct uhv_net_config *c = &nf->ch->net;

	memcpy(nif->cfg.mac, c->mac, sizeof(nif->cfg.mac));
	nif->cfg.prefix_len = c->prefix_len;
	nif->cfg.ipv4 = c->ipv4;
	nif->cfg.gateway = c->gateway;
	nif->xmit = netif_xmit;
	nif->now_ns = netif_now;
	nif->ctx = nf;
	return net_init(nif);
}

void netfront_rx_to_netif(void *ctx, const void *frame, size_t len)
{
	net_input(ctx, frame, len);
}

void netfront_format_counters(const struct netfront *nf, char *buf, size_t size)
{
	const struct netfront_counters *c = &nf->stats;

	format(buf, size,
	       "tx %llu frames %llu bytes, rx %llu frames %llu bytes, tx-full %llu, kicks %llu, interrupts %llu, "
	       "waits %llu, reconnects %llu, rx-dropped %llu, detach-timeouts %llu",
	       (unsigned long long)c->tx_frames, (unsigned long long)c->tx_bytes, (unsigned long long)c->rx_frames,
	       (unsigned long long)c->rx_bytes, (unsigned long long)c->tx_full, (unsigned long long)c->kicks,
	       (unsigned long long)c->interrupts, (unsigned long long)c->waits, (unsigned long long)c->reconnects,
	       (unsigned long long)c->rx_dropped, (unsigned long long)c->detach_timeouts);
}
