/* SPDX-License-Identifier: MIT */
/*
 * The virtio 1.x split virtqueue (include/abi/virtio_ring.h), both ends:
 * the driver (a guest: makes buffers available, reaps used ones) and the
 * device (an IOVM: pops available chains, returns them used). Pure C with
 * no runtime dependency: it is linked into every guest and IOVM, and tested
 * on the host (tests/unit/test_vring.c, tests/fuzz/fuzz_vring.c).
 *
 * The ring lives in a channel's shared region, mapped at the same
 * guest-physical address in both VMs, so descriptor addresses are
 * guest-physical and every buffer must lie inside that region. Each end
 * treats everything the peer writes as hostile: a bad index, id, length or
 * address puts the queue in the broken state (vring_broken() says which
 * field had which value) and every later call fails with -HV_EIO until the
 * queue is initialised again. docs/rings.md is the full contract.
 *
 * Not thread-safe: one vCPU drives one end of one queue. The two ends run
 * concurrently on different CPUs; the barriers that takes are inside.
 */
#ifndef RUNTIME_VRING_H
#define RUNTIME_VRING_H

#include <abi/errno.h>
#include <abi/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The used area is put on its own cache line: the device writes it while
 * the driver writes the avail area just before it. */
#define VRING_USED_LAYOUT_ALIGN	64

#define VRING_REASON_MAX	128

/* Where a queue of qsize entries goes in a region, from a start offset. */
struct vring_layout {
	uint64_t desc_off;	/* VIRTQ_DESC_ALIGN-aligned, at or after the start */
	uint64_t avail_off;	/* right after the descriptor table */
	uint64_t used_off;	/* VRING_USED_LAYOUT_ALIGN-aligned */
	uint64_t end_off;	/* first byte after the used area */
};

/*
 * Compute the layout of a queue of qsize entries placed at or after offset
 * `start` of a region. Both ends call it with the same arguments and get the
 * same offsets. Returns 0, or -HV_EINVAL if qsize is not a power of two in
 * [1, VIRTQ_MAX_SIZE], -HV_EOVERFLOW if the offsets overflow.
 */
int vring_layout(uint32_t qsize, uint64_t start, struct vring_layout *out);

/* The shared region: its mapping in this VM, and its guest-physical range. */
struct vring_region {
	void *host;		/* this VM's pointer to the region's first byte */
	uint64_t gpa;		/* the region's guest-physical base (same in both VMs) */
	uint64_t size;		/* bytes */
};

/* What both ends must agree on for one queue. */
struct vring_config {
	uint32_t qsize;			/* power of two, 1..VIRTQ_MAX_SIZE */
	struct vring_region region;
	void *desc;			/* the three areas, inside the region */
	void *avail;
	void *used;
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
};

/*
 * Fill cfg for a queue laid out by vring_layout(qsize, start, ...) in
 * region. Returns 0, or the vring_layout() error, or -HV_ERANGE if the
 * queue does not fit in the region.
 */
int vring_config_at(struct vring_config *cfg, const struct vring_region *region, uint32_t qsize,
		    uint64_t start, bool event_idx);

/* Driver-private bookkeeping, one per descriptor (caller-provided array). */
struct vring_desc_state {
	uint16_t next;		/* free list link, or the next descriptor of a chain we built */
	uint16_t chain_len;	/* for an outstanding head: descriptors in its chain; else 0 */
	uint32_t in_len;	/* for an outstanding head: its writable bytes */
};

enum vring_role { VRING_DRIVER = 1, VRING_DEVICE = 2 };

/* One queue end. All fields are private to vring.c. */
struct vring {
	enum vring_role role;
	uint32_t qsize;
	uint16_t mask;
	bool event_idx;
	struct vring_region region;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	volatile le16 *used_event;	/* after avail->ring[qsize] */
	volatile le16 *avail_event;	/* after used->ring[qsize] */
	bool broken;
	char reason[VRING_REASON_MAX];

	/* driver */
	struct vring_desc_state *state;
	uint16_t free_head;
	uint32_t num_free;	/* free descriptors */
	uint32_t outstanding;	/* chains made available and not yet reaped */
	uint16_t avail_idx;	/* our copy of avail->idx */
	uint16_t kicked_idx;	/* avail_idx at the last vring_kick_needed() */
	uint16_t last_used;	/* next used entry to reap */
	bool irq_enabled;	/* interrupts wanted (vring_enable_interrupts()) */

	/* device */
	uint16_t last_avail;	/* next avail entry to pop */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_idx;	/* used_idx at the last vring_notify_needed() */
	uint32_t in_flight;	/* chains popped and not yet pushed */
};

/*
 * The event-index test of the spec (2.6.7.2 / 2.6.10.2). The index just
 * moved from old_idx to new_idx, publishing entries old_idx .. new_idx - 1;
 * the other side asked to be told when entry event_idx is published. True
 * if it is among them (old_idx <= event_idx < new_idx, mod 2^16).
 */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* NULL if the queue works; else why it broke ("used.ring[3]: id 9 >= qsize 8"). */
const char *vring_broken(const struct vring *vq);

/* ---- Driver: makes buffers available, reaps used ones. ---- */

/*
 * Set up the driver end over cfg: zero all three areas (the driver owns
 * the queue's setup, as in virtio) and chain every descriptor into the free
 * list kept in state[cfg->qsize] (private memory, never shared). Returns 0,
 * or -HV_EINVAL if cfg is inconsistent (qsize, an area outside the region
 * or misaligned).
 */
int vring_driver_init(struct vring *vq, const struct vring_config *cfg, struct vring_desc_state *state);

/* A buffer given to vring_add(): guest-physical address and length. */
struct vring_seg {
	uint64_t gpa;
	uint32_t len;
};

/*
 * Make one chain available: n_out device-readable segments, then n_in
 * device-writable ones, each inside the region and non-empty, and publish
 * it (avail->idx). Returns the chain's head id (0..qsize-1, what
 * vring_get_used() gives back), -HV_ENOSPC if fewer than n_out + n_in
 * descriptors are free, -HV_EINVAL for a bad segment or count, -HV_EIO if
 * broken.
 */
int vring_add(struct vring *vq, const struct vring_seg *out, unsigned n_out, const struct vring_seg *in,
	      unsigned n_in);

/* Free descriptors right now (a chain of n needs n). */
unsigned vring_num_free(const struct vring *vq);

/*
 * After one or more vring_add(): true if the device asked to be notified
 * of what was added since the last call (event index, or no
 * VIRTQ_USED_F_NO_NOTIFY). The caller then kicks the channel.
 */
bool vring_kick_needed(struct vring *vq);

/*
 * Reap the next used chain: returns its head id and *len (bytes the device
 * wrote), and frees its descriptors; -HV_EAGAIN if none is pending; -HV_EIO
 * if broken. Breaks the queue if used->idx ran ahead of what is
 * outstanding, or the entry names an id that is out of range or not an
 * outstanding head, or a len beyond the chain's writable bytes.
 */
int vring_get_used(struct vring *vq, uint32_t *len);

/* Ask the device not to interrupt (a hint: interrupts may still come). */
void vring_disable_interrupts(struct vring *vq);

/*
 * Ask for an interrupt at the next used entry, then look again: returns 0
 * if nothing is pending (safe to wait for the interrupt), 1 if used entries
 * arrived meanwhile (reap them first: the device may not interrupt for
 * them), -HV_EIO if broken. The classic loop:
 *   for (;;) { while (vring_get_used(...) >= 0) ...; if (vring_enable_interrupts(vq) == 0) break; }
 */
int vring_enable_interrupts(struct vring *vq);

/* ---- Device: pops available chains, returns them used. ---- */

/*
 * Set up the device end over cfg: next avail entry 0, next used entry 0
 * (the driver zeroed the areas). Writes nothing. Returns 0 or -HV_EINVAL.
 */
int vring_device_init(struct vring *vq, const struct vring_config *cfg);

/*
 * Narrow the range descriptors may name to [gpa, gpa + size), which must lie
 * inside the queue's region (either role; call it right after the init).
 * A channel whose rings share the region with its buffers uses it so that
 * no descriptor can name the rings or a handshake page: vring_pop() then
 * breaks the queue on such a descriptor, vring_add() refuses such a
 * segment. Returns 0, or -HV_EINVAL if the range is empty or not inside
 * the region.
 */
int vring_restrict_buffers(struct vring *vq, uint64_t gpa, uint64_t size);

/* One validated segment of a popped chain: inside the region, non-empty. */
struct vring_buf {
	void *host;		/* this VM's pointer to the segment */
	uint64_t gpa;
	uint32_t len;
	bool writable;		/* device-writable (the chain's readable ones come first) */
};

/* What vring_pop() found besides its segments. */
struct vring_chain {
	uint16_t head;		/* the id to give back to vring_push_used() */
	uint16_t n_out;		/* readable segments: segs[0 .. n_out-1] */
	uint16_t n_in;		/* writable segments: segs[n_out .. n_out+n_in-1] */
	uint32_t out_len;	/* readable bytes */
	uint32_t in_len;	/* writable bytes: the most vring_push_used() may claim */
};

/*
 * Pop the next available chain into segs[max_segs] (1 <= max_segs). Each
 * descriptor is read once from shared memory, then validated: avail->idx
 * at most qsize ahead, head and every next < qsize, at most qsize
 * descriptors (a loop otherwise), at most max_segs, no INDIRECT and no
 * unknown flag, readable before writable, each non-empty and inside the
 * region, total at most the region size. Returns the head id with *chain
 * filled, -HV_EAGAIN if nothing is available, -HV_EIO if broken (now or
 * before).
 */
int vring_pop(struct vring *vq, struct vring_buf *segs, unsigned max_segs, struct vring_chain *chain);

/*
 * Give a popped chain back with the bytes written into it, and publish it
 * (used->idx). Returns 0; -HV_EINVAL if no chain is in flight or head is
 * out of range (a bug of the caller, the queue stays usable); -HV_EIO if
 * broken.
 */
int vring_push_used(struct vring *vq, uint16_t head, uint32_t len);

/*
 * After one or more vring_push_used(): true if the driver asked for an
 * interrupt for what was pushed since the last call (event index, or no
 * VIRTQ_AVAIL_F_NO_INTERRUPT). The caller then notifies the channel.
 */
bool vring_notify_needed(struct vring *vq);

/* Ask the driver not to kick (a hint). */
void vring_disable_kicks(struct vring *vq);

/*
 * Ask for a kick at the next available entry (with event index: set
 * avail_event to the next entry we will pop), then look again: returns 0
 * if nothing is available (safe to wait for the kick), 1 if chains arrived
 * meanwhile (pop them first), -HV_EIO if broken.
 */
int vring_enable_kicks(struct vring *vq);

/* ---- The common virtio-net case: one buffer = virtio_net_hdr_v1 + frame. ---- */

/* Driver: make one transmit buffer (header + frame, len bytes) available. */
int vring_add_tx(struct vring *vq, uint64_t gpa, uint32_t len);

/* Driver: make one empty receive buffer of len bytes available. */
int vring_add_rx(struct vring *vq, uint64_t gpa, uint32_t len);

#endif /* RUNTIME_VRING_H */
