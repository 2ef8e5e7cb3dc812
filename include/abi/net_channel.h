/* SPDX-License-Identifier: MIT */
/*
 * A virtual NIC over a channel (kind UHV_CHANNEL_NET, include/abi/channel.h):
 * the layout of the shared region and the attach handshake between the
 * frontend (the guest's netfront: virtio "driver") and the backend (the
 * network IOVM's netback: virtio "device"). docs/channels.md has the
 * picture; docs/rings.md the ring format.
 *
 * Region layout (offsets from the region's first byte):
 *
 *   0                      struct uhv_net_shared: the handshake page
 *   UHV_NET_RINGS_OFFSET   receive queue (virtqueue 0, "receiveq1"): its
 *                          descriptor table, available and used rings,
 *                          placed by vring_layout(UHV_NET_QUEUE_SIZE,
 *                          UHV_NET_RINGS_OFFSET); then the transmit queue
 *                          (virtqueue 1, "transmitq1"), placed by
 *                          vring_layout(UHV_NET_QUEUE_SIZE, end of the
 *                          receive queue)
 *   UHV_NET_BUFFERS_OFFSET the packet buffers, to the end of the region:
 *                          the frontend carves them as it likes; every
 *                          descriptor must name bytes in this area only
 *                          (the backend refuses anything else, so a
 *                          descriptor can never point the backend at the
 *                          rings or the handshake page)
 *
 * Every packet in either direction is one buffer holding a struct
 * virtio_net_hdr_v1 followed by the Ethernet frame (no FCS). No offloads are
 * negotiated: the header is all zero except num_buffers = 1 on receive.
 *
 * Handshake. The frontend owns the rings' initial state. To (re)connect it:
 *   1. notes prev = the largest of its own last generation, generation and
 *      backend_generation, and sets generation = 0 (a full fence after
 *      the store);
 *   2. if the backend runs (UHV_PEER_READY in the channel's state page)
 *      and does not already say backend_generation == 0 with
 *      backend_status == UHV_NET_BACKEND_DETACHED, notifies it and waits,
 *      blocked on its channel vector, until it does: the backend's
 *      acknowledgement that it let go of the rings. The wait is bounded
 *      (the netfront waits 100 ms, then logs and goes on: such a backend
 *      is hung, and the hypervisor restarts it). A backend that does not
 *      run (absent, failed) is not waited for: a (re)started instance
 *      starts detached;
 *   3. zeroes both queues and initialises them as a driver, posts receive
 *      buffers, fills magic, version, queue_size and features;
 *   4. sets generation = prev + 1 (a release store: everything above is
 *      visible first) and notifies.
 * The backend, on every wake-up, reads generation (acquire):
 *   - 0: it stops serving the port (if it did), then writes
 *     backend_status = UHV_NET_BACKEND_DETACHED and backend_generation = 0
 *     (release) and notifies, once; it touches neither queue until the
 *     next attach;
 *   - nonzero and different from backend_generation: it validates the
 *     header, initialises its device ends of both queues, writes
 *     backend_status = UHV_NET_BACKEND_ATTACHED and backend_generation =
 *     generation (release), then (full fence) reads generation again and
 *     serves only if it is unchanged: a frontend that set 0 meanwhile and
 *     found the old backend_generation 0 (step 2) is then never served
 *     from rings it is zeroing;
 *   - equal to backend_generation: nothing (a generation attached or reset
 *     once, also by a previous instance of the backend, is never served
 *     again).
 * A (re)started backend instance finds in backend_generation and
 * backend_status what the instance before it left (the region survives
 * restarts). Before anything else it writes backend_status =
 * UHV_NET_BACKEND_DETACHED and backend_generation = 0 (release) and
 * notifies: it holds no rings, and a frontend waiting in step 2 must not
 * wait on fields a dead instance wrote. It remembers the generation it
 * found there and never serves it: those rings were set up for the dead
 * instance, whose device ends died with it; the frontend comes back with a
 * new generation when it sees the backend's new epoch.
 * A bad header or a queue that breaks (vring_broken()) makes the backend
 * set backend_status = UHV_NET_BACKEND_RESET with a reason in
 * backend_error, then backend_generation, and ignore the channel until
 * the next generation: only that port is reset. The frontend reconnects
 * when it sees the backend's epoch change in the channel's state page
 * (the IOVM restarted), backend_status RESET for its generation, or one of
 * its own queue ends broken.
 */
#ifndef ABI_NET_CHANNEL_H
#define ABI_NET_CHANNEL_H

#include <abi/channel.h>
#include <abi/virtio_ring.h>

#define UHV_NET_MAGIC		0x6e766875U	/* "uhvn" */
#define UHV_NET_VERSION		1
#define UHV_NET_QUEUE_SIZE	256	/* entries per queue */
#define UHV_NET_RXQ		0	/* receiveq1: backend -> frontend */
#define UHV_NET_TXQ		1	/* transmitq1: frontend -> backend */
#define UHV_NET_RINGS_OFFSET	4096ULL
#define UHV_NET_BUFFERS_OFFSET	(64ULL << 10)	/* both queues' rings fit below */
#define UHV_NET_BUFFER_SIZE	2048	/* what the netfront uses: header + the largest frame fits */
#define UHV_NET_FRAME_MAX	1514	/* Ethernet header + 1500, no FCS, no VLAN tag */
#define UHV_NET_FRAME_MIN	14
/* The features a frontend may ask for: exactly these two for version 1. */
#define UHV_NET_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_EVENT_IDX))
/* A region holds the rings and at least one buffer per queue (the netfront posts what fits). */
#define UHV_NET_REGION_MIN	(UHV_NET_BUFFERS_OFFSET + 2ULL * UHV_NET_BUFFER_SIZE)

#define UHV_NET_BACKEND_DETACHED 0	/* serving no generation: with backend_generation 0, the rings are free */
#define UHV_NET_BACKEND_ATTACHED 1	/* serving backend_generation */
#define UHV_NET_BACKEND_RESET	2	/* refused or broke backend_generation: see backend_error */

#define UHV_NET_ERROR_MAX	96

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The handshake page at offset 0 of the region. */
struct uhv_net_shared {
	/* Written by the frontend. */
	uint32_t magic;			/* UHV_NET_MAGIC */
	uint32_t version;		/* UHV_NET_VERSION */
	uint32_t queue_size;		/* UHV_NET_QUEUE_SIZE */
	uint32_t generation;		/* 0 = (re)connecting; else bumped on every (re)connect */
	uint64_t features;		/* UHV_NET_FEATURES */
	uint64_t reserved[5];
	/* Written by the backend. */
	uint32_t backend_generation;	/* the generation it attached to (or reset) */
	uint32_t backend_status;	/* UHV_NET_BACKEND_* */
	char backend_error[UHV_NET_ERROR_MAX];	/* NUL-terminated reason of a RESET */
};

_Static_assert(sizeof(struct uhv_net_shared) == 64 + 8 + UHV_NET_ERROR_MAX, "net handshake layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_net_shared, backend_generation) == 64,
	       "the backend's fields start on their own cache line");
_Static_assert(UHV_NET_BUFFER_SIZE >= sizeof(struct virtio_net_hdr_v1) + UHV_NET_FRAME_MAX,
	       "a buffer holds the header and the largest frame");
/* Two queues of 256: 2 x (4096 + 6 + 512 + 64-aligned 6 + 2048) bytes from offset 4096: < 64 KiB. */
_Static_assert(UHV_NET_RINGS_OFFSET + 2 * (16 * UHV_NET_QUEUE_SIZE + 6 + 2 * UHV_NET_QUEUE_SIZE + 64 +
					   6 + 8 * UHV_NET_QUEUE_SIZE + 64) <= UHV_NET_BUFFERS_OFFSET,
	       "both queues' rings fit below the buffers");
#endif

#endif /* ABI_NET_CHANNEL_H */
