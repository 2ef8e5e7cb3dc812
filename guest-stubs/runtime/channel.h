/* SPDX-License-Identifier: MIT */
/*
 * Channels from inside a VM (include/abi/channel.h, docs/channels.md): find
 * this VM's channels in the boot information, map their pages, notify the
 * peer, read the peer's state.
 *
 * Waiting for the peer: register a handler for the channel's vector
 * (irq_register(info->vector, ...)), then block (HC_BLOCK, or "sti; hlt")
 * until it has run. The vector is raised when the peer notifies and also
 * when the peer's state changes (start, stop, failure): always look at the
 * region and the state page after a wake-up, never count interrupts.
 */
#ifndef RUNTIME_CHANNEL_H
#define RUNTIME_CHANNEL_H

#include <abi/channel.h>
#include <abi/vm_boot.h>
#include <hv/types.h>

/* The VM's i-th channel (0 .. rt_channel_count() - 1), or NULL. */
const struct uhv_channel_info *rt_channel(unsigned int i);
unsigned int rt_channel_count(void);

/* The channel with this name, or NULL. */
const struct uhv_channel_info *rt_channel_by_name(const char *name);

/* The nth (0-based) channel of this kind, or NULL. */
const struct uhv_channel_info *rt_channel_by_kind(enum uhv_channel_kind kind, unsigned int nth);

/*
 * HC_CHANNEL_NOTIFY: raise the peer's vector for channel handle. Returns 0,
 * -HV_ENOENT (not one of this VM's channels) or -HV_EPIPE (the peer is not
 * running: nothing was raised).
 */
int64_t hc_channel_notify(uint32_t handle);

/* A channel's pages as this VM sees them once mapped (identity: virtual = guest-physical). */
struct rt_channel_map {
	const volatile struct uhv_channel_state *state;	/* read-only */
	volatile void *region;				/* read-write, never executable */
	uint64_t size;					/* bytes of region */
};

/*
 * Map ch's state page (read-only, no-execute) and region (read-write,
 * no-execute) into this VM's own page tables at their guest-physical
 * addresses and fill *out. Idempotent. Returns 0, -HV_EINVAL for a channel
 * whose addresses are not where abi/channel.h puts them, or paging_map()'s
 * error (-HV_ENOMEM: the runtime's spare page tables are used up).
 */
int rt_channel_map(const struct uhv_channel_info *ch, struct rt_channel_map *out);

/* The peer's (state, epoch), read consistently (abi/channel.h); mine: this VM's end. */
static inline void rt_channel_peer(const struct rt_channel_map *m, unsigned int mine,
				   uint32_t *state, uint32_t *epoch)
{
	uhv_channel_peer(m->state, mine, state, epoch);
}

/* "absent", "ready", "failed", or "?". */
const char *rt_peer_state_name(uint32_t state);

#endif /* RUNTIME_CHANNEL_H */
