/* SPDX-License-Identifier: MIT */
/*
 * netfront: a guest's virtual NIC over a net channel (include/abi/net_channel.h,
 * docs/channels.md "Net channels"). The guest is the virtio "driver": it owns
 * the rings' setup, posts receive buffers, makes transmit buffers available
 * and reaps them; the network IOVM's netback is the device.
 *
 * Buffers: the region from UHV_NET_BUFFERS_OFFSET to its end is carved into
 * UHV_NET_BUFFER_SIZE buffers, half for receive (all posted at connect,
 * re-posted after each frame is delivered) and half for transmit (a free
 * list), at most UHV_NET_QUEUE_SIZE each. Each buffer is one descriptor:
 * struct virtio_net_hdr_v1 then the frame.
 *
 * Notifications are batched: netfront_send() kicks once per call (and only
 * when vring_kick_needed() says the backend asked), netfront_poll() at most
 * once per call; ring interrupts are asked for only inside netfront_wait().
 *
 * Not reentrant; one netfront per channel; call with interrupts off (the
 * vector handler only sets a flag).
 */
#ifndef RUNTIME_NETFRONT_H
#define RUNTIME_NETFRONT_H

#include <abi/net_channel.h>
#include <hv/types.h>
#include <runtime/channel.h>
#include <runtime/net/net.h>
#include <runtime/vring.h>

#define NETFRONT_MAX_BUFFERS	UHV_NET_QUEUE_SIZE	/* per direction */
/* How long a (re)connect waits for a running backend to let go of the rings. */
#define NETFRONT_DETACH_WAIT_NS	(100ULL * 1000 * 1000)

struct netfront_counters {
	uint64_t tx_frames, tx_bytes;	/* frames made available to the backend */
	uint64_t rx_frames, rx_bytes;	/* frames delivered to the rx callback */
	uint64_t tx_full;		/* netfront_send() found no free transmit buffer */
	uint64_t kicks;			/* HC_CHANNEL_NOTIFY calls that reached the backend */
	uint64_t interrupts;		/* channel vector arrivals */
	uint64_t reconnects;		/* connects after the first */
	uint64_t rx_dropped;		/* used entries with a bad length (backend fault) */
	uint64_t waits;			/* netfront_wait() calls that blocked */
	uint64_t detach_timeouts;	/* (re)connects that gave up waiting for the backend to let go */
};

struct netfront {
	const struct uhv_channel_info *ch;
	struct rt_channel_map map;
	volatile struct uhv_net_shared *shared;
	struct vring rx, tx;
	struct vring_desc_state rx_state[UHV_NET_QUEUE_SIZE], tx_state[UHV_NET_QUEUE_SIZE];
	uint8_t *buffers;			/* host pointer of the buffer area */
	uint64_t buffers_gpa;
	unsigned int n_rx, n_tx;		/* buffers per direction */
	uint16_t rx_buf_of[UHV_NET_QUEUE_SIZE];	/* descriptor head -> receive buffer */
	uint16_t tx_buf_of[UHV_NET_QUEUE_SIZE];	/* descriptor head -> transmit buffer */
	uint16_t tx_free[NETFRONT_MAX_BUFFERS];	/* free transmit buffers (a stack) */
	unsigned int tx_free_n;
	uint32_t generation;			/* ours, last connect */
	uint32_t backend_epoch;			/* the backend's epoch at the last connect */
	bool attached;				/* the backend said ATTACHED for our generation */
	uint64_t connect_ns, attached_ns;	/* VM time of the last connect's start and its attach */
	volatile bool irq_pending;		/* set by the vector's handler */
	char last_error[UHV_NET_ERROR_MAX];	/* the backend's last RESET reason */
	bool quiet;				/* set by the guest: reconnects and attaches counted, not logged */
	struct netfront_counters stats;
};

/*
 * Map ch (a net channel whose frontend this VM is), register its vector,
 * carve the buffers and connect (the handshake of abi/net_channel.h: may
 * wait up to NETFRONT_DETACH_WAIT_NS for a running backend to let go of a
 * previous instance's generation).
 * Returns 0, or -HV_EINVAL (not a net frontend channel, region smaller than
 * UHV_NET_REGION_MIN), rt_channel_map()'s or irq_register()'s error.
 * Attaching is the backend's: netfront_connected() says when it has.
 */
int netfront_init(struct netfront *nf, const struct uhv_channel_info *ch);

/*
 * Reconnect now (a new generation), logging why: generation 0, wait
 * (bounded by NETFRONT_DETACH_WAIT_NS) until a running backend let go of
 * the rings, reinitialise them, publish the next generation, notify.
 * netfront_poll() does this by itself when the backend restarted or reset
 * us; a guest may also do it on purpose. Call with interrupts off.
 */
void netfront_reconnect(struct netfront *nf, const char *why);

/* The backend serves our current generation. */
bool netfront_connected(const struct netfront *nf);

/*
 * Copy one Ethernet frame (UHV_NET_FRAME_MIN..UHV_NET_FRAME_MAX bytes, no
 * FCS) behind a zero header into a transmit buffer and make it available;
 * kicks if the backend asked. Returns 0, -HV_EINVAL (length), -HV_EPIPE
 * (the backend does not serve us: not attached yet, reset, or gone),
 * -HV_ENOSPC (no transmit buffer free even after reclaiming).
 */
int netfront_send(struct netfront *nf, const void *frame, size_t len);

/*
 * Reclaim transmitted buffers, hand each received frame to rx (the frame
 * is valid during the call only; rx may call netfront_send), re-post the
 * receive buffers, kick at most once; reconnect if the backend restarted
 * (its epoch changed) or reset our generation, or a queue broke. Returns
 * the number of frames delivered.
 */
unsigned int netfront_poll(struct netfront *nf, void (*rx)(void *ctx, const void *frame, size_t len),
			   void *ctx);

/*
 * Ask for ring interrupts (receive always; transmit only when no transmit
 * buffer is free), re-check the rings, and block until an interrupt
 * (channel vector, timer, any) or VM time deadline_ns (0: none). Returns at
 * once if something is already there. Call with interrupts off.
 */
void netfront_wait(struct netfront *nf, uint64_t deadline_ns);

/*
 * Poll and wait until every transmit buffer has come back (the backend
 * copied every frame out) or deadline_ns. Returns true if all came back.
 */
bool netfront_flush(struct netfront *nf, uint64_t deadline_ns, void (*rx)(void *ctx, const void *frame, size_t len),
		    void *ctx);

/*
 * Fill nif->cfg from the channel's struct uhv_net_config, xmit =
 * netfront_send, now_ns = time_ns, ctx = nf, and net_init(nif). Returns
 * net_init()'s result.
 */
int netfront_netif_init(struct netfront *nf, struct netif *nif);

/* The rx callback that feeds a struct netif (ctx = the netif): net_input. */
void netfront_rx_to_netif(void *ctx, const void *frame, size_t len);

/* One line of counters into buf: "tx N frames N bytes, ..." */
void netfront_format_counters(const struct netfront *nf, char *buf, size_t size);

#endif /* RUNTIME_NETFRONT_H */
