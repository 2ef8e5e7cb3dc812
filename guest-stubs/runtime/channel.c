// SPDX-License-Identifier: MIT
/* Channels from inside a VM (channel.h). */
#include "channel.h"
#include "paging.h"
#include "runtime.h"

unsigned int rt_channel_count(void)
{
	const struct uhv_boot_info *b = rt_boot_info();

	return b->channel_count < UHV_VM_CHANNELS_MAX ? b->channel_count : UHV_VM_CHANNELS_MAX;
}

const struct uhv_channel_info *rt_channel(unsigned int i)
{
	return i < rt_channel_count() ? &rt_boot_info()->channels[i] : NULL;
}

const struct uhv_channel_info *rt_channel_by_name(const char *name)
{
	const struct uhv_channel_info *ch;

	for (unsigned int i = 0; (ch = rt_channel(i)) != NULL; i++)
		if (!strncmp(ch->name, name, UHV_CHANNEL_NAME_MAX))
			return ch;
	return NULL;
}

const struct uhv_channel_info *rt_channel_by_kind(enum uhv_channel_kind kind, unsigned int nth)
{
	const struct uhv_channel_info *ch;

	for (unsigned int i = 0; (ch = rt_channel(i)) != NULL; i++)
		if (ch->kind == kind && nth-- == 0)
			return ch;
	return NULL;
}

int64_t hc_channel_notify(uint32_t handle)
{
	return hypercall5(HC_CHANNEL_NOTIFY, handle, 0, 0, 0, 0);
}

int rt_channel_map(const struct uhv_channel_info *ch, struct rt_channel_map *out)
{
	int err;

	/* Only the slot abi/channel.h defines: a bad boot info must not make us map anything else. */
	if (ch->handle >= UHV_CHANNELS_MAX || ch->state_gpa != UHV_CHANNEL_STATE_GPA(ch->handle) ||
	    ch->region_gpa != UHV_CHANNEL_REGION_GPA(ch->handle) || !ch->region_size ||
	    ch->region_size > UHV_CHANNEL_REGION_MAX || ch->region_size % UHV_CHANNEL_PAGE_SIZE)
		return -HV_EINVAL;
	err = paging_map(ch->state_gpa, UHV_CHANNEL_PAGE_SIZE, 0);
	if (!err)
		err = paging_map(ch->region_gpa, ch->region_size, PAGING_WRITE);
	if (err)
		return err;
	*out = (struct rt_channel_map){
		.state = (const volatile struct uhv_channel_state *)(uintptr_t)ch->state_gpa,
		.region = (volatile void *)(uintptr_t)ch->region_gpa,
		.size = ch->region_size,
	};
	return 0;
}

const char *rt_peer_state_name(uint32_t state)
{
	switch (state) {
	case UHV_PEER_ABSENT:	return "absent";
	case UHV_PEER_READY:	return "ready";
	case UHV_PEER_FAILED:	return "failed";
	}
	return "?";
}
