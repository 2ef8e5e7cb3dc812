// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the policy parser must reject or accept any byte string
 * without reading outside it; what it accepts must satisfy every rule it
 * claims to check; and the resource check must cope with any accepted
 * policy (here against modules that are the input itself).
 *
 * Each input is parsed twice: as it is, and with total_size and the CRC
 * made to match, so that mutations reach the record and field checks
 * instead of nearly all dying at the checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hv/crc32.h>
#include <hv/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *fuzz_input;

static const void *map_input(paddr_t pa, size_t len)
{
	(void)pa;
	(void)len;
	return fuzz_input;
}

static void check_invariants(const struct policy *pol)
{
	uint64_t total = 0;

	if (pol->vm_count < 1 || pol->vm_count > UHV_POLICY_MAX_VMS || pol->resources_checked)
		abort();
	for (uint32_t i = 0; i < pol->vm_count; i++) {
		const struct policy_vm *vm = &pol->vms[i];
		size_t n = strnlen(vm->name, sizeof(vm->name));

		if (n == 0 || n == sizeof(vm->name) || vm->id != i + 1)
			abort();
		for (size_t k = 0; k < n; k++)
			if (!((vm->name[k] >= 'a' && vm->name[k] <= 'z') ||
			      (vm->name[k] >= '0' && vm->name[k] <= '9') || vm->name[k] == '-'))
				abort();
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(pol->vms[j].name, vm->name))
				abort();
		n = strnlen(vm->image, sizeof(vm->image));
		if (n == 0 || n == sizeof(vm->image))
			abort();
		if ((vm->role != UHV_ROLE_GUEST && vm->role != UHV_ROLE_IOVM) || vm->vcpus != 1 ||
		    vm->memory_size < UHV_POLICY_MEMORY_UNIT || vm->memory_size % UHV_POLICY_MEMORY_UNIT ||
		    vm->memory_size > UHV_POLICY_MEMORY_MAX || vm->priority > UHV_POLICY_PRIORITY_MAX ||
		    vm->restart > UHV_RESTART_ALWAYS)
			abort();
		total += vm->memory_size;
	}
	if (total != pol->total_memory)
		abort();
	if (pol->device_count > UHV_POLICY_MAX_DEVICES)
		abort();
	for (uint32_t i = 0; i < pol->device_count; i++) {
		const struct policy_device *d = &pol->devices[i];
		size_t n = strnlen(d->name, sizeof(d->name));

		if (n == 0 || n == sizeof(d->name) || d->owner < 1 || d->owner > pol->vm_count ||
		    pol->vms[d->owner - 1].role != UHV_ROLE_IOVM || d->flags & ~UHV_DEVICE_FLAGS ||
		    d->match < UHV_DEVICE_MATCH_BDF || d->match > UHV_DEVICE_MATCH_CLASS)
			abort();
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(pol->devices[j].name, d->name))
				abort();
	}
	/* Channels: two different VMs, an IOVM backend, at most 8 per VM, a sane region and NIC. */
	uint32_t per_vm[UHV_POLICY_MAX_VMS] = { 0 };
	uint64_t channel_memory = 0;
	if (pol->channel_count > UHV_POLICY_MAX_CHANNELS)
		abort();
	for (uint32_t i = 0; i < pol->channel_count; i++) {
		const struct policy_channel *c = &pol->channels[i];
		size_t n = strnlen(c->name, sizeof(c->name));

		if (n == 0 || n == sizeof(c->name) || c->frontend < 1 || c->frontend > pol->vm_count ||
		    c->backend < 1 || c->backend > pol->vm_count || c->frontend == c->backend ||
		    pol->vms[c->backend - 1].role != UHV_ROLE_IOVM || c->kind != UHV_CHANNEL_NET ||
		    c->size < UHV_CHANNEL_REGION_MIN || c->size > UHV_CHANNEL_REGION_MAX ||
		    c->size % UHV_CHANNEL_PAGE_SIZE || (c->net.mac[0] & 1) || c->net.prefix_len < 1 ||
		    c->net.prefix_len > 30 || c->net.ipv4 == c->net.gateway ||
		    ++per_vm[c->frontend - 1] > UHV_VM_CHANNELS_MAX || ++per_vm[c->backend - 1] > UHV_VM_CHANNELS_MAX)
			abort();
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(pol->channels[j].name, c->name) ||
			    !memcmp(pol->channels[j].net.mac, c->net.mac, sizeof(c->net.mac)))
				abort();
		channel_memory += c->size + UHV_CHANNEL_PAGE_SIZE;
	}
	if (channel_memory != pol->channel_memory)
		abort();
}

/* A small bus for the device check: a host bridge, an e1000, a bridge with a conventional function behind it. */
static const struct pci_device fuzz_bus[] = {
	{ .sbdf = PCI_SBDF(0, 0, 0, 0), .vendor_id = 0x8086, .device_id = 0x29c0, .class_code = 6 },
	{ .sbdf = PCI_SBDF(0, 0, 2, 0), .vendor_id = 0x8086, .device_id = 0x100e, .class_code = 2,
	  .bar_count = 6, .bars = { { .type = PCI_BAR_MEM32, .base = 0xfebc0000, .size = 0x20000 },
				    { .type = PCI_BAR_IO, .base = 0xc000, .size = 0x40 } } },
	{ .sbdf = PCI_SBDF(0, 0, 0x1e, 0), .vendor_id = 0x8086, .device_id = 0x244e, .class_code = 6,
	  .subclass = 4, .header_type = 1, .secondary_bus = 1, .subordinate_bus = 1, .bar_count = 2 },
	{ .sbdf = PCI_SBDF(0, 1, 3, 0), .vendor_id = 0x10ec, .device_id = 0x8139, .class_code = 2,
	  .bar_count = 6, .bars = { { .type = PCI_BAR_MEM32, .base = 0x100000, .size = 0x1000 } } },
};

static void parse_one(uint8_t *copy, size_t size)
{
	static struct policy pol;
	static struct boot_info bi;
	char why[POLICY_WHY_MAX];

	int err = policy_parse(copy, size, &pol, why, sizeof(why));
	if (err > 0 || (err < 0 && (!why[0] || strnlen(why, sizeof(why)) == sizeof(why))))
		abort();
	if (err)
		return;
	check_invariants(&pol);
	/* Every VM's image resolves to the input itself: not an ELF image. */
	memset(&bi, 0, sizeof(bi));
	for (uint32_t i = 0; i < pol.vm_count && bi.module_count < BOOT_MAX_MODULES; i++) {
		struct boot_module *m = &bi.modules[bi.module_count++];
		m->start = 0x1000000;
		m->end = m->start + size;
		memcpy(m->cmdline, pol.vms[i].image, sizeof(pol.vms[i].image));
	}
	fuzz_input = copy;
	err = policy_check_resources(&pol, &bi, 1ULL << 40, map_input, why, sizeof(why));
	if (err > 0 || (err == 0) != pol.resources_checked)
		abort();
	for (int iommu = 0; iommu < 2; iommu++) {
		err = policy_check_devices(&pol, fuzz_bus, ARRAY_SIZE(fuzz_bus), iommu, why, sizeof(why));
		if (err > 0 || (err == 0) != pol.devices_checked || (err && pol.assignment_count))
			abort();
		for (uint32_t a = 0; a < pol.assignment_count; a++)
			if (pol.vms[pol.assignments[a].owner - 1].role != UHV_ROLE_IOVM ||
			    fuzz_bus[0].sbdf == pol.assignments[a].sbdf)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	struct uhv_policy_header hdr;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	parse_one(copy, size);
	if (size >= sizeof(hdr)) {
		memcpy(copy, data, size);
		memcpy(&hdr, copy, sizeof(hdr));
		hdr.total_size = (uint32_t)size;
		hdr.checksum = 0;
		memcpy(copy, &hdr, sizeof(hdr));
		hdr.checksum = crc32(0, copy, size);
		memcpy(copy, &hdr, sizeof(hdr));
		parse_one(copy, size);
	}
	free(copy);
	return 0;
}
