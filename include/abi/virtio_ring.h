/* SPDX-License-Identifier: MIT */
/*
 * The virtio 1.x split virtqueue, as the virtio 1.1 specification names it
 * (section 2.6 "Split Virtqueues"), and the virtio-net packet header
 * (section 5.1.6). Guests and IOVMs exchange buffers over channels in this
 * format; docs/rings.md describes how a channel uses it, and
 * guest-stubs/runtime/vring.h is the one implementation both ends use.
 *
 * Every field is little-endian (leNN). All uhv targets are x86-64, so the
 * leNN types are the native integers; the names keep the wire order visible.
 * No legacy (pre-1.0) layout: the three areas are placed independently with
 * the 1.x alignments below.
 */
#ifndef ABI_VIRTIO_RING_H
#define ABI_VIRTIO_RING_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio_ring.h: leNN fields are declared as native integers (little-endian targets only)"
#endif

typedef uint16_t le16;
typedef uint32_t le32;
typedef uint64_t le64;

/* Feature bits (section 6 "Reserved Feature Bits"). */
#define VIRTIO_F_INDIRECT_DESC	28	/* not offered by uhv: INDIRECT is refused */
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

/* The largest queue size of a split virtqueue (2.6: "Queue Size ... 32768"). */
#define VIRTQ_MAX_SIZE		32768

/* 2.6 "Alignment requirements" (1.x, not the legacy page-aligned layout). */
#define VIRTQ_DESC_ALIGN	16
#define VIRTQ_AVAIL_ALIGN	2
#define VIRTQ_USED_ALIGN	4

/* 2.6.5 The Virtqueue Descriptor Table. */
struct virtq_desc {
	le64 addr;		/* guest-physical address of the buffer */
	le32 len;
	le16 flags;
	le16 next;		/* the next descriptor of the chain, if flags & NEXT */
};
#define VIRTQ_DESC_F_NEXT	1	/* the chain continues in next */
#define VIRTQ_DESC_F_WRITE	2	/* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT	4	/* the buffer holds a table of descriptors */

/* 2.6.6 The Virtqueue Available Ring: written by the driver only. */
struct virtq_avail {
	le16 flags;
	le16 idx;		/* where the driver puts the next entry, mod 2^16 */
	le16 ring[];		/* [queue size] descriptor chain heads */
	/* le16 used_event;	   after ring[queue size]: only with VIRTIO_F_EVENT_IDX */
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

/* 2.6.8 The Virtqueue Used Ring: written by the device only. */
struct virtq_used_elem {
	le32 id;		/* head of the used descriptor chain */
	le32 len;		/* bytes written into the chain's writable buffers */
};

struct virtq_used {
	le16 flags;
	le16 idx;		/* where the device puts the next entry, mod 2^16 */
	struct virtq_used_elem ring[];	/* [queue size] */
	/* le16 avail_event;	   after ring[queue size]: only with VIRTIO_F_EVENT_IDX */
};
#define VIRTQ_USED_F_NO_NOTIFY		1

/* Sizes of the three areas for a queue of qsize entries (2.6, the table of
 * sizes), event fields included. */
#define VIRTQ_DESC_SIZE(qsize)	(16ULL * (qsize))
#define VIRTQ_AVAIL_SIZE(qsize)	(6ULL + 2ULL * (qsize))
#define VIRTQ_USED_SIZE(qsize)	(6ULL + 8ULL * (qsize))

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes (2.6.5)");
_Static_assert(offsetof(struct virtq_desc, len) == 8, "virtq_desc layout");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtq_desc layout");
_Static_assert(offsetof(struct virtq_desc, next) == 14, "virtq_desc layout");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header is flags + idx");
_Static_assert(offsetof(struct virtq_avail, ring) == 4, "virtq_avail layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes (2.6.8)");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header is flags + idx");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "virtq_used layout");
_Static_assert(VIRTQ_AVAIL_SIZE(4) == 4 + 2 * 4 + 2, "avail area: header, ring, used_event");
_Static_assert(VIRTQ_USED_SIZE(4) == 4 + 8 * 4 + 2, "used area: header, ring, avail_event");

/*
 * 5.1.6 Device Operation: the header in front of every packet, in both
 * directions, once VIRTIO_F_VERSION_1 is negotiated (num_buffers always
 * present).
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	le16 hdr_len;
	le16 gso_size;
	le16 csum_start;
	le16 csum_offset;
	le16 num_buffers;
};
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_F_RSC_INFO	4
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio_net_hdr_v1 is 12 bytes (5.1.6)");
_Static_assert(offsetof(struct virtio_net_hdr_v1, hdr_len) == 2, "virtio_net_hdr_v1 layout");
_Static_assert(offsetof(struct virtio_net_hdr_v1, csum_start) == 6, "virtio_net_hdr_v1 layout");
_Static_assert(offsetof(struct virtio_net_hdr_v1, num_buffers) == 10, "virtio_net_hdr_v1 layout");

#endif /* ABI_VIRTIO_RING_H */
