// SPDX-License-Identifier: MIT
/*
 * Loading the VM policy at boot: the ring-0 glue around the pure checks in
 * policy.c. A policy that fails a check is the operator's error, not a
 * hypervisor bug: it is reported and refused, never a panic.
 */
#include <abi/errno.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/iommu.h>
#include <hv/mm.h>
#include <hv/policy.h>
#include <hv/string.h>

#define POLICY_MODULE_NAME	"policy"

static struct policy active_policy;
static bool policy_accepted;

/* Boot modules are RAM that the allocator never hands out: the direct map reaches them. */
static const void *map_module(paddr_t pa, size_t len)
{
	(void)len;
	return phys_to_virt(pa);
}

static void print_table(const struct policy *pol)
{
	pr_info("policy: %u VM(s), %llu MiB of memory in all", pol->vm_count,
		(unsigned long long)(pol->total_memory / MiB));
	pr_info("policy: %3s %-15s %-5s %9s %-16s %4s %s",
		"id", "name", "role", "memory", "image", "prio", "restart");
	for (uint32_t i = 0; i < pol->vm_count; i++) {
		const struct policy_vm *vm = &pol->vms[i];

		pr_info("policy: %3u %-15s %-5s %5llu MiB %-16s %4u %s", vm->id, vm->name,
			policy_role_name(vm->role), (unsigned long long)(vm->memory_size / MiB),
			vm->image, vm->priority, policy_restart_name(vm->restart));
	}
	for (uint32_t i = 0; i < pol->device_count; i++) {
		const struct policy_device *d = &pol->devices[i];
		char match[40];

		pr_info("policy: device %-15s -> vm '%s', %s%s%s", d->name, pol->vms[d->owner - 1].name,
			policy_device_match_str(d, match, sizeof(match)),
			d->flags & UHV_DEVICE_UNPROTECTED_DMA ? ", unprotected-dma" : "",
			d->flags & UHV_DEVICE_SHARED_REQUESTER_ID_OK ? ", shared-requester-id-ok" : "");
	}
	for (uint32_t i = 0; i < pol->channel_count; i++) {
		const struct policy_channel *c = &pol->channels[i];
		const struct uhv_net_config *n = &c->net;
		const uint8_t *ip = (const uint8_t *)&n->ipv4, *gw = (const uint8_t *)&n->gateway;
		char size[32];

		pr_info("policy: channel %-13s %s: frontend '%s', backend '%s', %s, "
			"mac %02x:%02x:%02x:%02x:%02x:%02x ip %u.%u.%u.%u/%u gateway %u.%u.%u.%u",
			c->name, policy_channel_kind_name(c->kind), pol->vms[c->frontend - 1].name,
			pol->vms[c->backend - 1].name, format_size(size, sizeof(size), c->size),
			n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			ip[0], ip[1], ip[2], ip[3], n->prefix_len, gw[0], gw[1], gw[2], gw[3]);
	}
}

int policy_load(const struct boot_info *bi, uint64_t free_bytes)
{
	const struct boot_module *mod = NULL;
	char why[POLICY_WHY_MAX];
	int err;

	for (uint32_t i = 0; i < bi->module_count; i++) {
		if (strcmp(bi->modules[i].cmdline, POLICY_MODULE_NAME))
			continue;
		if (mod) {
			pr_err("policy: refused: more than one boot module is named '%s'",
			       POLICY_MODULE_NAME);
			return -HV_EEXIST;
		}
		mod = &bi->modules[i];
	}
	if (!mod) {
		pr_info("policy: none given: no VMs to start");
		return 0;
	}

	size_t size = (size_t)(mod->end - mod->start);
	err = policy_parse(map_module(mod->start, size), size, &active_policy, why, sizeof(why));
	if (!err)
		err = policy_check_resources(&active_policy, bi, free_bytes, map_module,
					     why, sizeof(why));
	if (!err) {
		size_t count;
		const struct pci_device *devs = pci_devices(&count);

		err = policy_check_devices(&active_policy, devs, count, iommu_present(), why, sizeof(why));
	}
	if (err) {
		pr_err("policy: refused: %s", why);
		memset(&active_policy, 0, sizeof(active_policy));
		return err;
	}
	policy_accepted = true;
	print_table(&active_policy);
	return 1;
}

const struct policy *policy_get(void)
{
	return policy_accepted ? &active_policy : NULL;
}
