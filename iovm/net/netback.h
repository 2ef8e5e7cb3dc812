/* SPDX-License-Identifier: MIT */
/*
 * netback: the network IOVM's end of its net channels (include/abi/net_channel.h,
 * docs/netvm.md "Guest ports"). Each channel whose backend this IOVM is
 * becomes one guest port of the switch with the channel's MAC; the IOVM is
 * the virtio "device" of the channel's two queues.
 *
 * Everything runs in the IOVM's event loop. The channel vectors' handler
 * only sets a bit in `pending`; netback_service() does the work:
 *   - per port, the handshake: attach to a new generation (header checked,
 *     device ends restricted to the buffer area), let go when the
 *     frontend resets, stops, fails or restarts;
 *   - per attached port, up to NETBACK_BUDGET transmitted frames: each
 *     copied once out of shared memory, checked, handed to the switch.
 * netback_deliver() puts a frame into a guest's receive queue (dropped and
 * counted when the guest has no buffer posted: a guest that does not drain
 * its ring loses its own frames, never stalls the others).
 * netback_notify() notifies, once per pass, each guest that asked for it.
 *
 * A port whose frontend breaks a queue or writes a bad header is reset
 * (backend_status RESET, the reason in backend_error, one log line) and
 * left alone until the frontend's next generation; the other ports go on.
 * The handshake's log lines (attach, detach, release, reset) are at most
 * NETBACK_LOG_LINES per port and frontend epoch; past that they are counted.
 */
#ifndef IOVM_NET_NETBACK_H
#define IOVM_NET_NETBACK_H

#include <abi/net_channel.h>
#include <hv/types.h>
#include <runtime/channel.h>
#include <runtime/vring.h>

#include "switch.h"

#define NETBACK_BUDGET		64	/* frames per port per pass */
#define NETBACK_STAGE		32	/* frames copied out of guests per uplink flush */
#define NETBACK_MAX_SEGS	4	/* descriptors per chain we accept */
#define NETBACK_LOG_LINES	32	/* handshake lines per port per frontend epoch (port_log()) */

enum netback_drop {
	NETBACK_DROP_BAD_LENGTH,	/* transmitted: header + frame not 12 + 14..1514 bytes */
	NETBACK_DROP_NO_RX_BUFFER,	/* for the guest: its receive queue was empty */
	NETBACK_DROP_DETACHED,		/* for the guest: port not attached (or frontend not running) */
	NETBACK_DROP_REASONS
};

struct netback_counters {
	uint64_t from_guest_frames, from_guest_bytes;	/* transmitted by the guest, accepted */
	uint64_t to_guest_frames, to_guest_bytes;	/* written into its receive queue */
	uint64_t drops[NETBACK_DROP_REASONS];
	uint64_t attaches, resets;
	uint64_t releases;				/* generations let go for a reconnect (generation 0) */
	uint64_t notifies;				/* HC_CHANNEL_NOTIFY to the guest */
	uint64_t kicks;					/* its vector arrived */
	uint64_t logged, unlogged;			/* handshake events with and without their log line */
};

struct netback_port {
	const struct uhv_channel_info *ch;
	struct rt_channel_map map;
	volatile struct uhv_net_shared *shared;
	unsigned int channel;		/* k: index in the boot info, vector 0x80 + k */
	unsigned int port;		/* switch port */
	struct vring rx, tx;		/* device ends */
	bool attached;
	/* What this port last wrote into backend_generation and backend_status.
	 * The frontend can write those fields too: they are read once, at
	 * netback_init (what an instance before a restart left), and never
	 * again; the handshake goes by this record. */
	uint32_t generation;		/* attached, withdrawn or reset generation; 0 after letting go */
	uint32_t status;		/* UHV_NET_BACKEND_* */
	/* The generation an earlier instance of this IOVM left in
	 * backend_generation (attached or reset by it; 0: none): never served
	 * by this one, whose device ends know nothing of those rings. */
	uint32_t stale_generation;
	uint32_t front_epoch;		/* the frontend's epoch at attach */
	/* The log budget: lines of this frontend epoch (log_epoch), at most NETBACK_LOG_LINES + 1. */
	uint32_t log_epoch;
	unsigned int log_lines;
	struct netback_counters c;
};

struct netback_hooks {
	/* Switch a frame received on in_port and deliver it (main.c's netvm_switch_frame). */
	void (*switch_frame)(void *ctx, unsigned int in_port, const uint8_t *frame, size_t len);
	/* Transmit the uplink batch: afterwards no staged frame is referenced. */
	void (*flush)(void *ctx);
	void *ctx;
};

struct netback {
	struct netback_port ports[UHV_VM_CHANNELS_MAX];
	unsigned int nports;
	int by_switch_port[SWITCH_MAX_PORTS];	/* switch port -> ports[] index, -1 */
	struct l2_switch *sw;
	struct netback_hooks hooks;
	volatile uint32_t pending;		/* BIT(k): channel k's vector arrived */
	bool more;				/* a port stopped at its budget */
	unsigned int next_port;			/* ports[] index the next pass transmits from first */
	/* Frames copied out of guests, referenced by the uplink batch until the next flush. */
	uint8_t stage[NETBACK_STAGE][sizeof(struct virtio_net_hdr_v1) + UHV_NET_FRAME_MAX];
	unsigned int stage_n;
};

/*
 * Take every channel of this VM whose end is BACKEND and kind NET: map it,
 * add a guest port with its MAC, register its vector. Returns the number
 * of ports, or a negative error (logged) if a channel cannot be used.
 */
int netback_init(struct netback *nb, struct l2_switch *sw, const struct netback_hooks *hooks);

/* One pass over every port: handshake, then transmitted frames (budgeted). */
void netback_service(struct netback *nb);

/* Write a frame the switch sent out of guest port sw_port into its receive queue. */
void netback_deliver(struct netback *nb, unsigned int sw_port, const uint8_t *frame, size_t len);

/* End of a pass: notify the guests whose queues asked for it. */
void netback_notify(struct netback *nb);

/* Work is waiting: a vector arrived or a port stopped at its budget. */
bool netback_busy(const struct netback *nb);

/* There is at least one port and every frontend has stopped (ABSENT, epoch >= 1). */
bool netback_frontends_stopped(const struct netback *nb);

/* One line per port: frames and bytes each way, drops by reason, attaches, resets, notifications, log budget. */
void netback_log_counters(const struct netback *nb);

const char *netback_drop_name(enum netback_drop reason);

#endif /* IOVM_NET_NETBACK_H */
