/* SPDX-License-Identifier: MIT */
/*
 * Channels: hypervisor-mediated shared memory between two VMs, the only path
 * from one VM to another (docs/channels.md).
 *
 * A channel is declared in the policy (include/abi/policy.h, record type
 * UHV_POLICY_RECORD_CHANNEL) between a frontend (a guest, the virtio
 * "driver" side) and a backend (an IOVM, the virtio "device" side). At boot,
 * before any VM starts, the hypervisor allocates for each channel:
 *
 *   - a state page (4 KiB, hypervisor-owned): struct uhv_channel_state,
 *     mapped read-only and non-executable into both VMs;
 *   - a shared region: size bytes of zeroed RAM, mapped read-write,
 *     non-executable, write-back into both VMs.
 *
 * Both appear at the same guest-physical addresses in both VMs, so a ring
 * descriptor may carry a guest-physical address that is valid at either end
 * (as virtio does). Channel i (0-based, policy order; its "handle") has a
 * fixed slot of UHV_CHANNEL_SLOT_SIZE bytes:
 *
 *   slot  = UHV_CHANNEL_GPA_BASE + i * UHV_CHANNEL_SLOT_SIZE
 *   slot + UHV_CHANNEL_STATE_OFFSET    the state page (4 KiB)
 *   slot + UHV_CHANNEL_REGION_OFFSET   the shared region (size bytes, <= 4 MiB)
 *
 * The rest of the slot is never mapped. The region is allocated once and is
 * never scrubbed or moved while the system runs: its contents survive a
 * restart of either end (the new instance finds what the old one left).
 *
 * A VM learns its channels from its boot information (vm_boot.h:
 * channel_count, channels[]); it must map the pages in its own page tables
 * itself (guest-stubs/runtime/channel.h does it for the guest runtime).
 */
#ifndef ABI_CHANNEL_H
#define ABI_CHANNEL_H

#define UHV_CHANNEL_FRONTEND	0	/* the guest side: virtio "driver" */
#define UHV_CHANNEL_BACKEND	1	/* the IOVM side: virtio "device" */

/* Peer states in struct uhv_channel_end_state.state. */
#define UHV_PEER_ABSENT		0	/* not started yet, or stopped (or being restarted) */
#define UHV_PEER_READY		1	/* running */
#define UHV_PEER_FAILED		2	/* contained after a fault; may be restarting */

#define UHV_CHANNEL_GPA_BASE		0x4000000000ULL	/* 256 GiB: above any RAM or MMIO of our machines */
#define UHV_CHANNEL_SLOT_SIZE		(8ULL << 20)
#define UHV_CHANNEL_STATE_OFFSET	0ULL
#define UHV_CHANNEL_REGION_OFFSET	(2ULL << 20)
#define UHV_CHANNEL_PAGE_SIZE		4096ULL
#define UHV_CHANNEL_REGION_MIN		UHV_CHANNEL_PAGE_SIZE
#define UHV_CHANNEL_REGION_MAX		(4ULL << 20)
#define UHV_CHANNELS_MAX		16	/* per system: UHV_POLICY_MAX_CHANNELS */
#define UHV_VM_CHANNELS_MAX		8	/* per VM */
#define UHV_CHANNEL_NAME_MAX		16	/* NUL included */

/*
 * The virtual interrupt a VM receives when the peer notifies it (or the
 * peer's state changes) on its k-th channel (k: index in its boot
 * information's channels[]): UHV_CHANNEL_VECTOR_BASE + k, 0x80..0x87.
 */
#define UHV_CHANNEL_VECTOR_BASE		0x80
#define UHV_CHANNEL_VECTOR_LAST		(UHV_CHANNEL_VECTOR_BASE + UHV_VM_CHANNELS_MAX - 1)

/* Guest-physical address of channel handle's state page and region. */
#define UHV_CHANNEL_SLOT(handle)	(UHV_CHANNEL_GPA_BASE + (unsigned long long)(handle) * UHV_CHANNEL_SLOT_SIZE)
#define UHV_CHANNEL_STATE_GPA(handle)	(UHV_CHANNEL_SLOT(handle) + UHV_CHANNEL_STATE_OFFSET)
#define UHV_CHANNEL_REGION_GPA(handle)	(UHV_CHANNEL_SLOT(handle) + UHV_CHANNEL_REGION_OFFSET)

#ifndef __ASSEMBLER__
#include <stdint.h>

_Static_assert(UHV_CHANNEL_STATE_OFFSET + UHV_CHANNEL_PAGE_SIZE <= UHV_CHANNEL_REGION_OFFSET,
	       "the state page lies below the region");
_Static_assert(UHV_CHANNEL_REGION_OFFSET + UHV_CHANNEL_REGION_MAX <= UHV_CHANNEL_SLOT_SIZE,
	       "the largest region fits in its slot");
_Static_assert(UHV_CHANNEL_GPA_BASE + UHV_CHANNELS_MAX * UHV_CHANNEL_SLOT_SIZE <= (1ULL << 47),
	       "every slot is below 2^47: identity-mappable and reachable by a 4-level EPT/NPT");

enum uhv_channel_kind {
	UHV_CHANNEL_NET = 1,		/* a virtual NIC: struct uhv_net_config */
	/* to come: block */
};

/*
 * One end's lifecycle as the hypervisor publishes it. epoch counts the
 * starts of that end's VM: 0 = never started, 1 after the first start, +1 at
 * every restart. state is UHV_PEER_*.
 */
struct uhv_channel_end_state {
	uint32_t state;
	uint32_t epoch;
};

/*
 * The state page. Written only by the hypervisor, with plain stores in this
 * order:
 *   start:  state = ABSENT; epoch = epoch + 1; state = READY
 *   stop:   state = ABSENT
 *   fail:   state = FAILED
 * Read protocol (uhv_channel_read_end() below): read epoch, then state, then
 * epoch again; if the two epochs differ, start over. The pair (state, epoch)
 * is then one that the end really had: READY with epoch e means instance e
 * runs (or ran until a stop or failure not yet published); ABSENT with epoch
 * e means instance e is starting or has stopped. A reader that needs to know
 * whether its peer restarted compares the epoch with the one it saw last.
 * x86 keeps stores in order and loads in order (TSO), so only the compiler
 * must be kept from reordering: a compiler barrier between the reads.
 */
struct uhv_channel_state {
	struct uhv_channel_end_state end[2];	/* [UHV_CHANNEL_FRONTEND], [UHV_CHANNEL_BACKEND] */
	uint8_t reserved[4096 - 16];		/* zero */
};

/*
 * A virtual NIC (kind UHV_CHANNEL_NET): the frontend's MAC, IPv4 address
 * and prefix, and gateway. The backend sees the same values: it must only
 * accept frames from the frontend with this source MAC.
 */
struct uhv_net_config {
	uint8_t mac[6];			/* unicast, not zero, unique among channels */
	uint8_t prefix_len;		/* 1..30 */
	uint8_t reserved;
	uint32_t ipv4, gateway;		/* network byte order; in the same subnet */
	uint32_t reserved2;
};

/* One of a VM's channels, in its boot information (vm_boot.h). */
struct uhv_channel_info {
	uint32_t handle;		/* global channel index (policy order): HC_CHANNEL_NOTIFY's argument */
	uint16_t kind;			/* enum uhv_channel_kind */
	uint8_t end;			/* this VM's end: UHV_CHANNEL_FRONTEND or UHV_CHANNEL_BACKEND */
	uint8_t vector;			/* virtual interrupt raised here when the peer notifies */
	char name[UHV_CHANNEL_NAME_MAX];	/* the channel's name in the policy, NUL-terminated */
	char peer[UHV_CHANNEL_NAME_MAX];	/* the peer VM's name, NUL-terminated */
	uint64_t region_gpa;		/* UHV_CHANNEL_REGION_GPA(handle) */
	uint64_t region_size;		/* bytes: a multiple of 4 KiB, 4 KiB .. 4 MiB */
	uint64_t state_gpa;		/* UHV_CHANNEL_STATE_GPA(handle): struct uhv_channel_state */
	struct uhv_net_config net;	/* kind UHV_CHANNEL_NET; zero otherwise */
	uint32_t reserved;		/* zero (explicit padding to 8 bytes) */
};

_Static_assert(sizeof(struct uhv_channel_end_state) == 8, "channel state layout is ABI");
_Static_assert(sizeof(struct uhv_channel_state) == 4096, "the state page is one page");
_Static_assert(sizeof(struct uhv_net_config) == 20, "net config layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_net_config, ipv4) == 8, "net config layout is ABI");
_Static_assert(sizeof(struct uhv_channel_info) == 88, "channel info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_channel_info, name) == 8, "channel info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_channel_info, region_gpa) == 40, "channel info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_channel_info, net) == 64, "channel info layout is ABI");

/*
 * The consistent read of end `which` of the state page (protocol above):
 * fills *state (UHV_PEER_*) and *epoch.
 */
static inline void uhv_channel_read_end(const volatile struct uhv_channel_state *s, unsigned int which,
					uint32_t *state, uint32_t *epoch)
{
	const volatile struct uhv_channel_end_state *e = &s->end[which & 1];
	uint32_t e1, st, e2;

	do {
		e1 = e->epoch;
		__asm__ volatile("" ::: "memory");
		st = e->state;
		__asm__ volatile("" ::: "memory");
		e2 = e->epoch;
	} while (e1 != e2);
	*state = st;
	*epoch = e1;
}

/* The same for the peer of end `mine` (pass your own end, uhv_channel_info.end). */
static inline void uhv_channel_peer(const volatile struct uhv_channel_state *s, unsigned int mine,
				    uint32_t *state, uint32_t *epoch)
{
	uhv_channel_read_end(s, (mine & 1) ^ 1, state, epoch);
}
#endif

#endif /* ABI_CHANNEL_H */
