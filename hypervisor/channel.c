// SPDX-License-Identifier: MIT
/*
 * Channels (hv/channel.h, include/abi/channel.h, docs/channels.md): shared
 * memory between two VMs, mapped once at boot, a state page the hypervisor
 * keeps current, and notifications forwarded as virtual interrupts.
 *
 * Everything is mapped before the first VM starts and never changes while
 * the system runs (a restart keeps its EPT/NPT: only memory and vCPU are
 * renewed), so no EPT/NPT translation of a channel page is ever cached
 * stale: no INVEPT or ASID flush is needed here.
 */
#include <abi/errno.h>
#include <hv/channel.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/policy.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <hv/vm.h>

struct channel {
	char name[UHV_CHANNEL_NAME_MAX];
	enum uhv_channel_kind kind;
	uint32_t vm_id[2];			/* [UHV_CHANNEL_FRONTEND], [UHV_CHANNEL_BACKEND] */
	uint8_t vector[2];			/* the vector each end receives */
	uint64_t size;				/* region bytes */
	struct uhv_net_config net;
	paddr_t state_hpa, region_hpa;
	volatile struct uhv_channel_state *state;
};

static struct channel channels[UHV_CHANNELS_MAX];
static uint32_t channel_count;

static void compiler_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* The end of c that vm is, or -1. */
static int end_of(const struct channel *c, const struct vm *vm)
{
	if (c->vm_id[UHV_CHANNEL_FRONTEND] == vm->id)
		return UHV_CHANNEL_FRONTEND;
	if (c->vm_id[UHV_CHANNEL_BACKEND] == vm->id)
		return UHV_CHANNEL_BACKEND;
	return -1;
}

static int map_into(struct vm *vm, uint32_t handle, const struct channel *c)
{
	/* Readable only (never PT_WRITE, never PT_EXEC): a write or a fetch is an EPT/NPT fault. */
	int err = pt_map(&vm->gpt, UHV_CHANNEL_STATE_GPA(handle), c->state_hpa, UHV_CHANNEL_PAGE_SIZE,
			 PT_USER, PT_SIZE_4K);
	/* Write-back RAM like the VM's own, never executable: data only. */
	if (!err)
		err = pt_map(&vm->gpt, UHV_CHANNEL_REGION_GPA(handle), c->region_hpa, c->size,
			     PT_WRITE | PT_USER, PT_SIZE_4K);
	if (err)
		pr_err("channel '%s': cannot map it into vm '%s' (%d)", c->name, vm->cfg.name, err);
	return err;
}

int channel_setup_all(const struct policy *pol)
{
	uint8_t next_vector[VM_MAX + 1];

	memset(next_vector, UHV_CHANNEL_VECTOR_BASE, sizeof(next_vector));
	for (uint32_t i = 0; i < pol->channel_count && i < UHV_CHANNELS_MAX; i++) {
		const struct policy_channel *p = &pol->channels[i];
		struct channel *c = &channels[i];
		struct vm *ends[2] = { vm_by_id(p->frontend), vm_by_id(p->backend) };
		uint64_t frames = p->size / FRAME_SIZE;
		char size[32];

		BUG_ON(!ends[0] || !ends[1] || p->size % FRAME_SIZE);
		*c = (struct channel){ .kind = p->kind, .size = p->size, .net = p->net,
				       .vm_id = { p->frontend, p->backend } };
		memcpy(c->name, p->name, sizeof(c->name));
		c->state_hpa = frame_alloc();
		c->region_hpa = frame_alloc_contig(frames, 1);
		if (!c->state_hpa || !c->region_hpa) {
			pr_err("channel '%s': no memory for its pages", c->name);
			return -HV_ENOMEM;
		}
		/* Zeroed once, here: the region is never scrubbed again (it outlives restarts). */
		c->state = memset(phys_to_virt(c->state_hpa), 0, FRAME_SIZE);
		memset(phys_to_virt(c->region_hpa), 0, p->size);
		for (int e = 0; e < 2; e++) {
			c->vector[e] = next_vector[ends[e]->id]++;
			ends[e]->channel_count++;
			int err = map_into(ends[e], i, c);
			if (err)
				return err;
		}
		channel_count = i + 1;
		pr_info("channel '%s': handle %u, %s, %s region at guest-physical %#llx, state page at %#llx; "
			"frontend '%s' (vector %#x), backend '%s' (vector %#x)", c->name, i,
			policy_channel_kind_name(c->kind), format_size(size, sizeof(size), c->size),
			UHV_CHANNEL_REGION_GPA(i), UHV_CHANNEL_STATE_GPA(i), ends[0]->cfg.name,
			c->vector[0], ends[1]->cfg.name, c->vector[1]);
	}
	return 0;
}

uint32_t channel_boot_info(const struct vm *vm, struct uhv_channel_info *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < channel_count && n < max; i++) {
		const struct channel *c = &channels[i];
		int e = end_of(c, vm);

		if (e < 0)
			continue;
		const struct vm *peer = vm_by_id(c->vm_id[e ^ 1]);
		out[n] = (struct uhv_channel_info){
			.handle = i,
			.kind = (uint16_t)c->kind,
			.end = (uint8_t)e,
			.vector = c->vector[e],
			.region_gpa = UHV_CHANNEL_REGION_GPA(i),
			.region_size = c->size,
			.state_gpa = UHV_CHANNEL_STATE_GPA(i),
			.net = c->net,
		};
		memcpy(out[n].name, c->name, sizeof(out[n].name));
		if (peer)
			memcpy(out[n].peer, peer->cfg.name, sizeof(out[n].peer));
		n++;
	}
	return n;
}

/*
 * Publish vm's state on each of its channels, in the order the read
 * protocol needs (abi/channel.h): a new epoch first goes through ABSENT,
 * so a reader never pairs the new epoch with the old instance's state.
 */
static void publish(struct vm *vm, uint32_t state, bool new_epoch)
{
	for (uint32_t i = 0; i < channel_count; i++) {
		struct channel *c = &channels[i];
		int e = end_of(c, vm);

		if (e < 0)
			continue;
		volatile struct uhv_channel_end_state *es = &c->state->end[e];
		if (new_epoch) {
			es->state = UHV_PEER_ABSENT;
			compiler_barrier();
			es->epoch = es->epoch + 1;
			compiler_barrier();
		}
		es->state = state;
		compiler_barrier();
		/* Wake a peer that waits for a notification: it has something to look at. */
		struct vm *peer = vm_by_id(c->vm_id[e ^ 1]);
		if (peer && peer->state == VM_RUNNING)
			virq_raise(&peer->vcpu, c->vector[e ^ 1]);
	}
}

void channel_vm_started(struct vm *vm)
{
	publish(vm, UHV_PEER_READY, true);
}

void channel_vm_stopped(struct vm *vm)
{
	publish(vm, UHV_PEER_ABSENT, false);
}

void channel_vm_failed(struct vm *vm)
{
	publish(vm, UHV_PEER_FAILED, false);
}

int64_t channel_notify(struct vcpu *v, uint64_t handle)
{
	struct vm *self = v->vm;

	if (handle >= channel_count)
		return -HV_ENOENT;
	struct channel *c = &channels[handle];
	int e = end_of(c, self);
	if (e < 0)
		return -HV_ENOENT;
	struct vm *peer = vm_by_id(c->vm_id[e ^ 1]);
	if (!peer || peer->state != VM_RUNNING)
		return -HV_EPIPE;

	/*
	 * The caller keeps the CPU: handing it over at every notification
	 * makes a streaming sender and its peer ping-pong one packet per
	 * switch on one pCPU (docs/channels.md).
	 */
	virq_raise(&peer->vcpu, c->vector[e ^ 1]);
	peer->sched_boost = true;
	self->notify_sent++;
	peer->notify_received++;
	return 0;
}

bool channel_describe_gpa(const struct vm *vm, uint64_t gpa, char *buf, size_t size)
{
	for (uint32_t i = 0; i < channel_count; i++) {
		const struct channel *c = &channels[i];

		if (end_of(c, vm) < 0)
			continue;
		if (gpa - UHV_CHANNEL_STATE_GPA(i) < UHV_CHANNEL_PAGE_SIZE) {
			format(buf, size, "channel '%s' state page (read-only, not executable)", c->name);
			return true;
		}
		if (gpa - UHV_CHANNEL_REGION_GPA(i) < c->size) {
			format(buf, size, "channel '%s' shared region (not executable)", c->name);
			return true;
		}
	}
	return false;
}
