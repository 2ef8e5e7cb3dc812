// SPDX-License-Identifier: MIT
/*
 * The VM policy: parse and validate the binary policy module, then check it
 * against this boot's modules and memory (hv/policy.h). Pure logic over
 * buffers, unit-tested on the host and fuzzed. The first problem found
 * stops validation: one precise line is more use to an operator than a
 * cascade of follow-on errors from the same broken record.
 */
#include <abi/errno.h>
#include <hv/crc32.h>
#include <hv/elf_image.h>
#include <hv/format.h>
#include <hv/policy.h>
#include <hv/string.h>

const char *policy_role_name(enum uhv_vm_role role)
{
	switch (role) {
	case UHV_ROLE_GUEST:	return "guest";
	case UHV_ROLE_IOVM:	return "iovm";
	}
	return "?";
}

const char *policy_channel_kind_name(enum uhv_channel_kind kind)
{
	switch (kind) {
	case UHV_CHANNEL_NET:	return "net";
	}
	return "?";
}

const char *policy_restart_name(enum uhv_restart_policy restart)
{
	switch (restart) {
	case UHV_RESTART_NEVER:		return "never";
	case UHV_RESTART_ON_FAILURE:	return "on-failure";
	case UHV_RESTART_ALWAYS:	return "always";
	}
	return "?";
}

/* CRC-32 of the policy's total bytes with the header's checksum field read as 0. */
static uint32_t policy_checksum(const uint8_t *blob, size_t total)
{
	static const uint8_t zero[sizeof(uint32_t)];
	const size_t at = offsetof(struct uhv_policy_header, checksum);
	uint32_t crc;

	crc = crc32(0, blob, at);
	crc = crc32(crc, zero, sizeof(zero));
	return crc32(crc, blob + at + sizeof(zero), total - at - sizeof(zero));
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Boot module names are shown in logs: printable ASCII, no spaces. */
static bool is_image_char(char c)
{
	return c > ' ' && c <= '~';
}

/* A name field of a VM or device record ("vm", "device"): the record's position names it until then. */
static int parse_name(const char *name, size_t size, const char *kind, uint32_t index,
		      char *why, size_t why_size)
{
	size_t n = strnlen(name, size);

	if (n == 0)
		return format_reject(why, why_size, -HV_EINVAL, "%s #%u: name is empty", kind, index);
	if (n == size)
		return format_reject(why, why_size, -HV_EINVAL,
			      "%s #%u: name is not NUL-terminated within its %zu bytes",
			      kind, index, size);
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(name[i]))
			return format_reject(why, why_size, -HV_EINVAL,
				      "%s #%u: name has character 0x%02x at position %zu "
				      "(only a-z, 0-9 and '-' are allowed)",
				      kind, index, (unsigned char)name[i], i);
	if (!all_zero(name + n, size - n))
		return format_reject(why, why_size, -HV_EINVAL,
			      "%s '%s': name field has nonzero bytes after its NUL", kind, name);
	return 0;
}

static int parse_image(const struct uhv_policy_vm *v, char *why, size_t why_size)
{
	size_t n = strnlen(v->image, sizeof(v->image));

	if (n == 0)
		return format_reject(why, why_size, -HV_EINVAL, "vm '%s': image name is empty", v->name);
	if (n == sizeof(v->image))
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': image name is not NUL-terminated within its %zu bytes",
			      v->name, sizeof(v->image));
	for (size_t i = 0; i < n; i++)
		if (!is_image_char(v->image[i]))
			return format_reject(why, why_size, -HV_EINVAL,
				      "vm '%s': image name has character 0x%02x at position %zu "
				      "(printable ASCII without spaces only)",
				      v->name, (unsigned char)v->image[i], i);
	if (!all_zero(v->image + n, sizeof(v->image) - n))
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': image field has nonzero bytes after its NUL", v->name);
	return 0;
}

static int parse_vm(const uint8_t *rec, struct policy *pol, char *why, size_t why_size)
{
	struct uhv_policy_vm v;
	uint32_t index = pol->vm_count + 1;
	char size[32];
	int err;

	memcpy(&v, rec, sizeof(v));
	err = parse_name(v.name, sizeof(v.name), "vm", index, why, why_size);
	if (err)
		return err;
	for (uint32_t i = 0; i < pol->vm_count; i++)
		if (!strcmp(pol->vms[i].name, v.name))
			return format_reject(why, why_size, -HV_EEXIST,
				      "vm '%s': duplicate name (vm #%u has it too)", v.name, i + 1);
	err = parse_image(&v, why, why_size);
	if (err)
		return err;
	if (v.role != UHV_ROLE_GUEST && v.role != UHV_ROLE_IOVM)
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': unknown role %u (1 guest, 2 iovm)", v.name, v.role);
	/* One vCPU per VM until the scheduler handles SMP guests. */
	if (v.vcpus != 1)
		return format_reject(why, why_size, -HV_ENOTSUP,
			      "vm '%s': %u vcpus, but only 1 per VM is supported (no SMP scheduling yet)",
			      v.name, v.vcpus);
	if (v.memory_size < UHV_POLICY_MEMORY_UNIT)
		return format_reject(why, why_size, -HV_ERANGE, "vm '%s': memory %s is less than the 2 MiB minimum",
			      v.name, format_size(size, sizeof(size), v.memory_size));
	if (v.memory_size % UHV_POLICY_MEMORY_UNIT)
		return format_reject(why, why_size, -HV_EINVAL, "vm '%s': memory %s is not a multiple of 2 MiB",
			      v.name, format_size(size, sizeof(size), v.memory_size));
	if (v.memory_size > UHV_POLICY_MEMORY_MAX)
		return format_reject(why, why_size, -HV_ERANGE,
			      "vm '%s': memory %s is more than the 1 GiB per-VM maximum",
			      v.name, format_size(size, sizeof(size), v.memory_size));
	if (v.priority > UHV_POLICY_PRIORITY_MAX)
		return format_reject(why, why_size, -HV_ERANGE, "vm '%s': priority %u is out of range (0-%u)",
			      v.name, v.priority, UHV_POLICY_PRIORITY_MAX);
	if (v.restart != UHV_RESTART_NEVER && v.restart != UHV_RESTART_ON_FAILURE &&
	    v.restart != UHV_RESTART_ALWAYS)
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': unknown restart policy %u (0 never, 1 on-failure, 2 always)",
			      v.name, v.restart);
	if (v.flags)
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': unknown field: flags %#x are not defined", v.name, v.flags);
	if (!all_zero(v.reserved, sizeof(v.reserved)))
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': unknown field: reserved bytes are not zero", v.name);

	struct policy_vm *vm = &pol->vms[pol->vm_count++];
	*vm = (struct policy_vm){
		.id = index,
		.role = (enum uhv_vm_role)v.role,
		.vcpus = v.vcpus,
		.memory_size = v.memory_size,
		.priority = v.priority,
		.restart = (enum uhv_restart_policy)v.restart,
	};
	memcpy(vm->name, v.name, sizeof(vm->name));
	memcpy(vm->image, v.image, sizeof(vm->image));
	pol->total_memory += v.memory_size;
	return 0;
}

const char *policy_device_match_str(const struct policy_device *d, char *buf, size_t size)
{
	switch (d->match) {
	case UHV_DEVICE_MATCH_BDF:
		if (PCI_SEG(d->sbdf))
			format(buf, size, "bdf %04x:%02x:%02x.%u", PCI_SEG(d->sbdf), PCI_BUS(d->sbdf),
			       PCI_DEV(d->sbdf), PCI_FN(d->sbdf));
		else
			format(buf, size, "bdf %02x:%02x.%u", PCI_BUS(d->sbdf), PCI_DEV(d->sbdf),
			       PCI_FN(d->sbdf));
		break;
	case UHV_DEVICE_MATCH_ID:
		format(buf, size, "id %04x:%04x", d->vendor_id, d->device_id);
		break;
	case UHV_DEVICE_MATCH_CLASS:
		format(buf, size, "class %02x.%02x.%02x/%06x", (d->class_code >> 16) & 0xff,
		       (d->class_code >> 8) & 0xff, d->class_code & 0xff, d->class_mask);
		break;
	default:
		format(buf, size, "?");
	}
	return buf;
}

/* The match fields of one mode; the others must be zero so that a record means one thing. */
static int parse_device_match(const struct uhv_policy_device *d, struct policy_device *out,
			      char *why, size_t why_size)
{
	bool bdf_set = d->segment || d->bus || d->devfn;
	bool id_set = d->vendor_id || d->device_id;
	bool class_set = d->class_code || d->class_mask;

	switch (d->match) {
	case UHV_DEVICE_MATCH_BDF:
		if (id_set || class_set)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': matches by bdf but has id or class fields set", d->name);
		out->sbdf = PCI_SBDF(d->segment, d->bus, d->devfn >> 3, d->devfn & 7);
		return 0;
	case UHV_DEVICE_MATCH_ID:
		if (bdf_set || class_set)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': matches by id but has bdf or class fields set", d->name);
		/* All ones is what an absent function reads; 0 is what some bridges answer. */
		if (d->vendor_id == PCI_VENDOR_ID_INVALID || d->vendor_id == 0)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': vendor id 0x%04x is not a vendor", d->name, d->vendor_id);
		out->vendor_id = d->vendor_id;
		out->device_id = d->device_id;
		return 0;
	case UHV_DEVICE_MATCH_CLASS:
		if (bdf_set || id_set)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': matches by class but has bdf or id fields set", d->name);
		if ((d->class_code | d->class_mask) & ~UHV_DEVICE_CLASS_MASK)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': class %#x or mask %#x is wider than 24 bits",
				      d->name, d->class_code, d->class_mask);
		if (!d->class_mask)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': class mask is 0, which would match every function", d->name);
		if (d->class_code & ~d->class_mask)
			return format_reject(why, why_size, -HV_EINVAL,
				      "device '%s': class %06x has bits outside its mask %06x",
				      d->name, d->class_code, d->class_mask);
		out->class_code = d->class_code;
		out->class_mask = d->class_mask;
		return 0;
	}
	return format_reject(why, why_size, -HV_EINVAL,
		      "device '%s': unknown match %u (1 bdf, 2 id, 3 class)", d->name, d->match);
}

static int parse_device(const uint8_t *rec, struct policy *pol, char *why, size_t why_size)
{
	struct uhv_policy_device d;
	struct policy_device out = { 0 };
	uint32_t index = pol->device_count + 1;
	size_t n;
	int err;

	memcpy(&d, rec, sizeof(d));
	err = parse_name(d.name, sizeof(d.name), "device", index, why, why_size);
	if (err)
		return err;
	for (uint32_t i = 0; i < pol->device_count; i++)
		if (!strcmp(pol->devices[i].name, d.name))
			return format_reject(why, why_size, -HV_EEXIST,
				      "device '%s': duplicate name (device #%u has it too)", d.name, i + 1);
	/* The owner is resolved once every VM is known (records may come in any order). */
	n = strnlen(d.owner, sizeof(d.owner));
	if (n == 0)
		return format_reject(why, why_size, -HV_EINVAL, "device '%s': owner is empty", d.name);
	if (n == sizeof(d.owner))
		return format_reject(why, why_size, -HV_EINVAL,
			      "device '%s': owner is not NUL-terminated within its %zu bytes",
			      d.name, sizeof(d.owner));
	if (!all_zero(d.owner + n, sizeof(d.owner) - n))
		return format_reject(why, why_size, -HV_EINVAL,
			      "device '%s': owner field has nonzero bytes after its NUL", d.name);
	err = parse_device_match(&d, &out, why, why_size);
	if (err)
		return err;
	if (d.flags & ~UHV_DEVICE_FLAGS)
		return format_reject(why, why_size, -HV_EINVAL,
			      "device '%s': unknown field: flags %#x are not defined",
			      d.name, d.flags & ~UHV_DEVICE_FLAGS);
	if (!all_zero(d.reserved, sizeof(d.reserved)))
		return format_reject(why, why_size, -HV_EINVAL,
			      "device '%s': unknown field: reserved bytes are not zero", d.name);

	memcpy(out.name, d.name, sizeof(out.name));
	out.match = (enum uhv_device_match)d.match;
	out.flags = d.flags;
	/* owner: set by resolve_owners(), in record order, once every VM is known. */
	pol->devices[pol->device_count++] = out;
	return 0;
}

/* Every device's owner is a VM of this policy, and an IOVM. */
static int resolve_owners(const uint8_t *blob, const struct uhv_policy_header *hdr,
			  struct policy *pol, char *why, size_t why_size)
{
	size_t off = sizeof(*hdr);
	uint32_t k = 0;

	/* The records were all checked by parse_records(): lengths and types are sound. */
	for (uint32_t r = 0; r < hdr->record_count; r++) {
		struct uhv_policy_record rec;
		struct uhv_policy_device d;

		memcpy(&rec, blob + off, sizeof(rec));
		if (rec.type == UHV_POLICY_RECORD_DEVICE) {
			const struct policy_vm *owner = NULL;

			memcpy(&d, blob + off, sizeof(d));
			for (uint32_t i = 0; i < pol->vm_count && !owner; i++)
				if (!strcmp(pol->vms[i].name, d.owner))
					owner = &pol->vms[i];
			if (!owner)
				return format_reject(why, why_size, -HV_ENOENT,
					      "device '%s': owner '%s' is not a VM of this policy",
					      d.name, d.owner);
			if (owner->role != UHV_ROLE_IOVM)
				return format_reject(why, why_size, -HV_EPERM,
					      "device '%s': owner '%s' is a %s: only an IOVM may own devices",
					      d.name, d.owner, policy_role_name(owner->role));
			pol->devices[k++].owner = owner->id;
		}
		off += rec.length;
	}
	return 0;
}

/* ---- Channels. ---- */

/* A VM name field of a channel record ("frontend", "backend"): resolved later. */
static int parse_end_name(const char *field, size_t size, const char *what, const char *channel,
			  char *why, size_t why_size)
{
	size_t n = strnlen(field, size);

	if (n == 0)
		return format_reject(why, why_size, -HV_EINVAL, "channel '%s': %s is empty", channel, what);
	if (n == size)
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': %s is not NUL-terminated within its %zu bytes", channel, what, size);
	if (!all_zero(field + n, size - n))
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': %s field has nonzero bytes after its NUL", channel, what);
	return 0;
}

/* IPv4 addresses are stored in network byte order: as a number, most significant byte first. */
static uint32_t ipv4_value(uint32_t stored)
{
	const uint8_t *b = (const uint8_t *)&stored;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *ipv4_str(uint32_t v, char *buf, size_t size)
{
	format(buf, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
	return buf;
}

static const char *mac_str(const uint8_t mac[6], char *buf, size_t size)
{
	format(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

static int parse_net_config(const struct uhv_policy_channel *c, const struct policy *pol,
			    char *why, size_t why_size)
{
	static const uint8_t zero_mac[6];
	const struct uhv_net_config *n = &c->net;
	char a[20], b[20];

	if (!memcmp(n->mac, zero_mac, sizeof(zero_mac)))
		return format_reject(why, why_size, -HV_EINVAL, "channel '%s': MAC is zero", c->name);
	/* IEEE 802: the I/G bit, the least significant bit of the first octet. */
	if (n->mac[0] & 1)
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': MAC %s is a multicast address (a NIC needs a unicast one)",
			      c->name, mac_str(n->mac, a, sizeof(a)));
	for (uint32_t i = 0; i < pol->channel_count; i++)
		if (pol->channels[i].kind == UHV_CHANNEL_NET &&
		    !memcmp(pol->channels[i].net.mac, n->mac, sizeof(n->mac)))
			return format_reject(why, why_size, -HV_EEXIST,
				      "channel '%s': MAC %s is channel '%s''s too", c->name,
				      mac_str(n->mac, a, sizeof(a)), pol->channels[i].name);
	/* /31 and /32 leave no room for a host and a gateway with the network and broadcast addresses. */
	if (n->prefix_len < 1 || n->prefix_len > 30)
		return format_reject(why, why_size, -HV_ERANGE,
			      "channel '%s': prefix length %u is out of range (1-30)", c->name, n->prefix_len);

	uint32_t ip = ipv4_value(n->ipv4), gw = ipv4_value(n->gateway);
	uint32_t mask = ~0U << (32 - n->prefix_len);
	if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask)
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': ip %s is the %s address of its subnet /%u", c->name,
			      ipv4_str(ip, a, sizeof(a)), (ip & ~mask) ? "broadcast" : "network", n->prefix_len);
	if ((ip & mask) != (gw & mask))
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': gateway %s is not in the subnet of %s/%u", c->name,
			      ipv4_str(gw, b, sizeof(b)), ipv4_str(ip, a, sizeof(a)), n->prefix_len);
	if (ip == gw)
		return format_reject(why, why_size, -HV_EINVAL, "channel '%s': ip and gateway are both %s",
			      c->name, ipv4_str(ip, a, sizeof(a)));
	return 0;
}

static int parse_channel(const uint8_t *rec, struct policy *pol, char *why, size_t why_size)
{
	struct uhv_policy_channel c;
	uint32_t index = pol->channel_count + 1;
	char size[32];
	int err;

	memcpy(&c, rec, sizeof(c));
	err = parse_name(c.name, sizeof(c.name), "channel", index, why, why_size);
	if (err)
		return err;
	for (uint32_t i = 0; i < pol->channel_count; i++)
		if (!strcmp(pol->channels[i].name, c.name))
			return format_reject(why, why_size, -HV_EEXIST,
				      "channel '%s': duplicate name (channel #%u has it too)", c.name, i + 1);
	err = parse_end_name(c.frontend, sizeof(c.frontend), "frontend", c.name, why, why_size);
	if (!err)
		err = parse_end_name(c.backend, sizeof(c.backend), "backend", c.name, why, why_size);
	if (err)
		return err;
	if (c.kind != UHV_CHANNEL_NET)
		return format_reject(why, why_size, -HV_EINVAL, "channel '%s': unknown kind %u (1 net)",
			      c.name, c.kind);
	if (c.flags)
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': unknown field: flags %#x are not defined", c.name, c.flags);
	if (c.reserved || c.net.reserved || c.net.reserved2)
		return format_reject(why, why_size, -HV_EINVAL,
			      "channel '%s': unknown field: reserved bytes are not zero", c.name);
	if (c.size < UHV_CHANNEL_REGION_MIN || c.size > UHV_CHANNEL_REGION_MAX)
		return format_reject(why, why_size, -HV_ERANGE,
			      "channel '%s': size %s is out of range (4 KiB to 4 MiB)", c.name,
			      format_size(size, sizeof(size), c.size));
	if (c.size % UHV_CHANNEL_PAGE_SIZE)
		return format_reject(why, why_size, -HV_EINVAL, "channel '%s': size %s is not a multiple of 4 KiB",
			      c.name, format_size(size, sizeof(size), c.size));
	err = parse_net_config(&c, pol, why, why_size);
	if (err)
		return err;

	struct policy_channel *ch = &pol->channels[pol->channel_count++];
	*ch = (struct policy_channel){
		.kind = (enum uhv_channel_kind)c.kind,
		.size = c.size,
		.net = c.net,
	};
	memcpy(ch->name, c.name, sizeof(ch->name));
	/* frontend, backend: set by resolve_channels() once every VM is known. */
	pol->channel_memory += c.size + UHV_CHANNEL_PAGE_SIZE;
	return 0;
}

static const struct policy_vm *vm_named(const struct policy *pol, const char *name)
{
	for (uint32_t i = 0; i < pol->vm_count; i++)
		if (!strcmp(pol->vms[i].name, name))
			return &pol->vms[i];
	return NULL;
}

/* Every channel's ends are two VMs of this policy, the backend an IOVM, each an end of at most 8. */
static int resolve_channels(const uint8_t *blob, const struct uhv_policy_header *hdr,
			    struct policy *pol, char *why, size_t why_size)
{
	uint32_t per_vm[UHV_POLICY_MAX_VMS] = { 0 };
	size_t off = sizeof(*hdr);
	uint32_t k = 0;

	/* The records were all checked by parse_records(): lengths and types are sound. */
	for (uint32_t r = 0; r < hdr->record_count; r++) {
		struct uhv_policy_record rec;
		struct uhv_policy_channel c;

		memcpy(&rec, blob + off, sizeof(rec));
		off += rec.length;
		if (rec.type != UHV_POLICY_RECORD_CHANNEL)
			continue;
		memcpy(&c, blob + off - rec.length, sizeof(c));
		const struct policy_vm *fe = vm_named(pol, c.frontend);
		const struct policy_vm *be = vm_named(pol, c.backend);
		if (!fe)
			return format_reject(why, why_size, -HV_ENOENT,
				      "channel '%s': frontend '%s' is not a VM of this policy", c.name, c.frontend);
		if (!be)
			return format_reject(why, why_size, -HV_ENOENT,
				      "channel '%s': backend '%s' is not a VM of this policy", c.name, c.backend);
		if (fe == be)
			return format_reject(why, why_size, -HV_EINVAL,
				      "channel '%s': frontend and backend are both vm '%s'", c.name, c.frontend);
		if (be->role != UHV_ROLE_IOVM)
			return format_reject(why, why_size, -HV_EPERM,
				      "channel '%s': backend '%s' is a %s: a backend must be an IOVM",
				      c.name, c.backend, policy_role_name(be->role));
		const struct policy_vm *ends[2] = { fe, be };
		for (int e = 0; e < 2; e++)
			if (++per_vm[ends[e]->id - 1] > UHV_VM_CHANNELS_MAX)
				return format_reject(why, why_size, -HV_E2BIG,
					      "channel '%s': vm '%s' would be an end of more than %u channels",
					      c.name, ends[e]->name, UHV_VM_CHANNELS_MAX);
		pol->channels[k].frontend = fe->id;
		pol->channels[k].backend = be->id;
		k++;
	}
	return 0;
}

static int parse_records(const uint8_t *blob, const struct uhv_policy_header *hdr,
			 struct policy *pol, char *why, size_t why_size)
{
	size_t total = hdr->total_size;
	size_t off = sizeof(*hdr);

	for (uint32_t r = 1; r <= hdr->record_count; r++) {
		struct uhv_policy_record rec;
		int err;

		if (total - off < sizeof(rec))
			return format_reject(why, why_size, -HV_EBADMSG,
				      "record %u at offset %#zx: truncated (the policy ends at %#zx)",
				      r, off, total);
		memcpy(&rec, blob + off, sizeof(rec));
		if (rec.length < sizeof(rec))
			return format_reject(why, why_size, -HV_EBADMSG,
				      "record %u at offset %#zx: length %u is smaller than a record header",
				      r, off, rec.length);
		if (rec.length % 8)
			return format_reject(why, why_size, -HV_EBADMSG,
				      "record %u at offset %#zx: length %u is not a multiple of 8",
				      r, off, rec.length);
		if (rec.length > total - off)
			return format_reject(why, why_size, -HV_EBADMSG,
				      "record %u at offset %#zx: truncated (length %u, the policy ends at %#zx)",
				      r, off, rec.length, total);
		if (rec.type != UHV_POLICY_RECORD_VM && rec.type != UHV_POLICY_RECORD_DEVICE &&
		    rec.type != UHV_POLICY_RECORD_CHANNEL)
			return format_reject(why, why_size, -HV_ENOTSUP,
				      "record %u: unknown type %u (written for a newer hypervisor?)",
				      r, rec.type);
		if (rec.reserved)
			return format_reject(why, why_size, -HV_EINVAL,
				      "record %u: unknown field: reserved bytes are not zero", r);
		if (rec.type == UHV_POLICY_RECORD_VM) {
			if (rec.length != sizeof(struct uhv_policy_vm))
				return format_reject(why, why_size, -HV_EBADMSG,
					      "record %u: VM record is %u bytes, expected %zu",
					      r, rec.length, sizeof(struct uhv_policy_vm));
			if (pol->vm_count == UHV_POLICY_MAX_VMS)
				return format_reject(why, why_size, -HV_E2BIG, "more than %u VMs",
						     UHV_POLICY_MAX_VMS);
			err = parse_vm(blob + off, pol, why, why_size);
		} else if (rec.type == UHV_POLICY_RECORD_CHANNEL) {
			if (rec.length != sizeof(struct uhv_policy_channel))
				return format_reject(why, why_size, -HV_EBADMSG,
					      "record %u: channel record is %u bytes, expected %zu",
					      r, rec.length, sizeof(struct uhv_policy_channel));
			if (pol->channel_count == UHV_POLICY_MAX_CHANNELS)
				return format_reject(why, why_size, -HV_E2BIG, "more than %u channels",
						     UHV_POLICY_MAX_CHANNELS);
			err = parse_channel(blob + off, pol, why, why_size);
		} else {
			if (rec.length != sizeof(struct uhv_policy_device))
				return format_reject(why, why_size, -HV_EBADMSG,
					      "record %u: device record is %u bytes, expected %zu",
					      r, rec.length, sizeof(struct uhv_policy_device));
			if (pol->device_count == UHV_POLICY_MAX_DEVICES)
				return format_reject(why, why_size, -HV_E2BIG, "more than %u devices",
						     UHV_POLICY_MAX_DEVICES);
			err = parse_device(blob + off, pol, why, why_size);
		}
		if (err)
			return err;
		off += rec.length;
	}
	if (off != total)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "%zu bytes after the last of %u records", total - off, hdr->record_count);
	if (!pol->vm_count)
		return format_reject(why, why_size, -HV_EINVAL, "no VMs (at least one is needed)");
	int err = resolve_owners(blob, hdr, pol, why, why_size);
	if (err)
		return err;
	return resolve_channels(blob, hdr, pol, why, why_size);
}

static int parse(const uint8_t *blob, size_t size, struct policy *out, char *why, size_t why_size)
{
	struct uhv_policy_header hdr;

	if (size < sizeof(hdr))
		return format_reject(why, why_size, -HV_EBADMSG,
			      "the module is %zu bytes, smaller than the %zu-byte header",
			      size, sizeof(hdr));
	memcpy(&hdr, blob, sizeof(hdr));
	if (memcmp(hdr.magic, UHV_POLICY_MAGIC, sizeof(hdr.magic)))
		return format_reject(why, why_size, -HV_EBADMSG,
			      "bad magic: not a uhv policy (compile it with boot/mkpolicy.py)");
	if (hdr.revision != UHV_POLICY_REVISION)
		return format_reject(why, why_size, -HV_ENOTSUP,
			      "revision %u is not supported (this hypervisor reads revision %u)",
			      hdr.revision, UHV_POLICY_REVISION);
	if (hdr.total_size > UHV_POLICY_MAX_SIZE)
		return format_reject(why, why_size, -HV_E2BIG, "size %u is more than the %u bytes allowed",
			      hdr.total_size, UHV_POLICY_MAX_SIZE);
	if (hdr.total_size != size)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "the header says %u bytes but the module is %zu bytes",
			      hdr.total_size, size);
	uint32_t crc = policy_checksum(blob, size);
	if (hdr.checksum != crc)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "checksum %#010x does not match the contents (%#010x): the file is damaged",
			      hdr.checksum, crc);
	if (hdr.reserved)
		return format_reject(why, why_size, -HV_EINVAL,
			      "unknown field: header reserved bytes are not zero");
	return parse_records(blob, &hdr, out, why, why_size);
}

int policy_parse(const void *blob, size_t size, struct policy *out, char *why, size_t why_size)
{
	int err;

	if (why && why_size)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	err = parse(blob, size, out, why, why_size);
	if (err)
		memset(out, 0, sizeof(*out));	/* nothing half-validated survives */
	return err;
}

/* The index of the one module whose command line is name, or a negative HV_E* code. */
static int find_module(const struct boot_info *bi, const char *name, uint32_t *found)
{
	bool seen = false;

	for (uint32_t i = 0; i < bi->module_count && i < BOOT_MAX_MODULES; i++) {
		if (strncmp(bi->modules[i].cmdline, name, sizeof(bi->modules[i].cmdline)))
			continue;
		if (seen)
			return -HV_EEXIST;
		*found = i;
		seen = true;
	}
	return seen ? 0 : -HV_ENOENT;
}

int policy_check_resources(struct policy *pol, const struct boot_info *bi, uint64_t free_bytes,
			   const void *(*map)(paddr_t pa, size_t len), char *why, size_t why_size)
{
	uint64_t total = 0;
	char reason[POLICY_WHY_MAX];
	char a[32], b[32];

	if (why && why_size)
		why[0] = '\0';
	pol->resources_checked = false;
	for (uint32_t i = 0; i < pol->vm_count && i < UHV_POLICY_MAX_VMS; i++) {
		struct policy_vm *vm = &pol->vms[i];
		struct elf_image_info info;
		uint32_t m = 0;
		int err;

		err = find_module(bi, vm->image, &m);
		if (err == -HV_ENOENT)
			return format_reject(why, why_size, err,
				      "vm '%s': image '%s' is not among the boot modules", vm->name, vm->image);
		if (err)
			return format_reject(why, why_size, err,
				      "vm '%s': image '%s' is given by more than one boot module",
				      vm->name, vm->image);

		const struct boot_module *mod = &bi->modules[m];
		if (mod->end < mod->start)
			return format_reject(why, why_size, -HV_EINVAL,
				      "vm '%s': image '%s': boot module ends before it starts",
				      vm->name, vm->image);
		size_t len = (size_t)(mod->end - mod->start);
		err = elf_image_check(map(mod->start, len), len, vm->memory_size, &info,
				      reason, sizeof(reason));
		if (err)
			return format_reject(why, why_size, err, "vm '%s': image '%s': %s",
				      vm->name, vm->image, reason);

		total += vm->memory_size;
		if (total > free_bytes && total == vm->memory_size)
			return format_reject(why, why_size, -HV_ENOMEM,
				      "vm '%s': memory %s is more than the %llu MiB of free RAM", vm->name,
				      format_size(a, sizeof(a), vm->memory_size),
				      (unsigned long long)(free_bytes / MiB));
		if (total > free_bytes)
			return format_reject(why, why_size, -HV_ENOMEM,
				      "vm '%s': its %s of memory bring the total to %s, "
				      "more than the %llu MiB of free RAM", vm->name,
				      format_size(a, sizeof(a), vm->memory_size),
				      format_size(b, sizeof(b), total),
				      (unsigned long long)(free_bytes / MiB));
		vm->image_module = m;
		vm->image_entry = info.entry;
		vm->image_end = info.image_end;
	}
	total += pol->channel_memory;
	if (total > free_bytes)
		return format_reject(why, why_size, -HV_ENOMEM,
			      "channels: their %s of shared memory bring the total to %s, "
			      "more than the %llu MiB of free RAM",
			      format_size(a, sizeof(a), pol->channel_memory), format_size(b, sizeof(b), total),
			      (unsigned long long)(free_bytes / MiB));
	pol->resources_checked = true;
	return 0;
}

/* ---- Devices against the PCI functions present. ---- */

/* "00:02.0", with the segment only when it is not 0. */
static const char *sbdf_str(pci_sbdf_t s, char *buf, size_t size)
{
	if (PCI_SEG(s))
		format(buf, size, "%04x:%02x:%02x.%u", PCI_SEG(s), PCI_BUS(s), PCI_DEV(s), PCI_FN(s));
	else
		format(buf, size, "%02x:%02x.%u", PCI_BUS(s), PCI_DEV(s), PCI_FN(s));
	return buf;
}

static bool device_matches(const struct policy_device *d, const struct pci_device *f)
{
	uint32_t class = (uint32_t)f->class_code << 16 | (uint32_t)f->subclass << 8 | f->prog_if;

	switch (d->match) {
	case UHV_DEVICE_MATCH_BDF:	return f->sbdf == d->sbdf;
	case UHV_DEVICE_MATCH_ID:	return f->vendor_id == d->vendor_id && f->device_id == d->device_id;
	case UHV_DEVICE_MATCH_CLASS:	return (class & d->class_mask) == d->class_code;
	}
	return false;
}

static bool is_pcie(const struct pci_device *f)
{
	for (unsigned int i = 0; i < f->cap_count; i++)
		if (f->caps[i].id == PCI_CAP_ID_EXP)
			return true;
	return false;
}

/*
 * The bridge whose requester id f's DMA may carry instead of its own, or
 * NULL. A conventional PCI function has no requester id of its own on a
 * PCIe fabric: the PCIe-to-PCI bridge above it forwards its DMA under the
 * bridge's id or its secondary bus's (PCIe-to-PCI bridge spec 1.0, 2.3),
 * so every function on that bus looks alike to the IOMMU. Detected from the
 * topology: conventional (no PCI Express capability) on a bus that is some
 * bridge's secondary bus.
 */
const struct pci_device *policy_requester_id_alias(const struct pci_device *f,
						  const struct pci_device *devs, size_t count)
{
	if (is_pcie(f))
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (devs[i].header_type == PCI_HEADER_TYPE_BRIDGE &&
		    PCI_SEG(devs[i].sbdf) == PCI_SEG(f->sbdf) && devs[i].secondary_bus == PCI_BUS(f->sbdf))
			return &devs[i];
	return NULL;
}

/* Host, ISA, PCI-to-PCI, CardBus...: whoever owns a bridge steers other devices' traffic. */
static bool is_bridge(const struct pci_device *f)
{
	return f->header_type != PCI_HEADER_TYPE_NORMAL || f->class_code == PCI_CLASS_BRIDGE;
}

#define PCI_CONFIG_PORTS	0xcf8	/* CONFIG_ADDRESS and CONFIG_DATA: the hypervisor's */
#define PCI_CONFIG_PORTS_COUNT	8
#define GPA_LIMIT		(1ULL << 48)	/* 4-level EPT/NPT */
#define MAP_GRANULE		4096ULL		/* the smallest EPT/NPT page */

/* The BARs of f that would reach the owner: inside guest-physical space, clear of RAM and of other functions. */
static int check_bars(const struct policy *pol, const struct policy_device *d, const struct pci_device *f,
		      const struct pci_device *devs, size_t count, char *why, size_t why_size)
{
	uint64_t ram = pol->vms[d->owner - 1].memory_size;
	char s[20], t[20];

	for (unsigned int i = 0; i < f->bar_count && i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &f->bars[i];

		if (b->type == PCI_BAR_NONE || !b->base)
			continue;	/* not implemented, or not assigned by the firmware: never mapped */
		if (b->type == PCI_BAR_IO) {
			if (ranges_overlap(b->base, b->size, PCI_CONFIG_PORTS, PCI_CONFIG_PORTS_COUNT))
				return format_reject(why, why_size, -HV_ERANGE,
					      "device '%s': %s BAR%u ports %#llx-%#llx overlap the PCI "
					      "configuration ports 0xcf8-0xcff", d->name,
					      sbdf_str(f->sbdf, s, sizeof(s)), i, (unsigned long long)b->base,
					      (unsigned long long)(b->base + b->size - 1));
			continue;
		}
		if (ranges_overlap(b->base, b->size, 0, ram))
			return format_reject(why, why_size, -HV_ERANGE,
				      "device '%s': %s BAR%u %#llx-%#llx is overlapping memory: vm '%s' has "
				      "RAM at 0-%#llx, and BARs appear at their host-physical address",
				      d->name, sbdf_str(f->sbdf, s, sizeof(s)), i, (unsigned long long)b->base,
				      (unsigned long long)(b->base + b->size - 1), pol->vms[d->owner - 1].name,
				      (unsigned long long)(ram - 1));
		if (b->base + b->size > GPA_LIMIT)
			return format_reject(why, why_size, -HV_ERANGE,
				      "device '%s': %s BAR%u %#llx is beyond the 48-bit guest-physical space",
				      d->name, sbdf_str(f->sbdf, s, sizeof(s)), i, (unsigned long long)b->base);
		/* Mapping works in pages: a smaller BAR brings the rest of its page along. */
		uint64_t first = ALIGN_DOWN(b->base, MAP_GRANULE);
		uint64_t len = ALIGN_UP(b->base + b->size, MAP_GRANULE) - first;
		for (size_t k = 0; k < count; k++) {
			if (devs[k].sbdf == f->sbdf)
				continue;
			for (unsigned int j = 0; j < devs[k].bar_count && j < PCI_NUM_BARS; j++) {
				const struct pci_bar *o = &devs[k].bars[j];

				if (o->type == PCI_BAR_NONE || o->type == PCI_BAR_IO || !o->base)
					continue;
				if (ranges_overlap(first, len, o->base, o->size))
					return format_reject(why, why_size, -HV_ERANGE,
						      "device '%s': %s BAR%u %#llx shares its pages with %s BAR%u "
						      "%#llx: mapping it would expose the other function",
						      d->name, sbdf_str(f->sbdf, s, sizeof(s)), i,
						      (unsigned long long)b->base,
						      sbdf_str(devs[k].sbdf, t, sizeof(t)), j,
						      (unsigned long long)o->base);
			}
		}
	}
	return 0;
}

/* Assign f to d's owner, or say why it cannot be. */
static int assign_function(struct policy *pol, uint32_t di, const struct pci_device *f,
			   const struct pci_device *devs, size_t count, char *why, size_t why_size)
{
	const struct policy_device *d = &pol->devices[di];
	const struct pci_device *alias;
	char s[20], t[20], u[20];

	if (is_bridge(f))
		return format_reject(why, why_size, -HV_EPERM,
			      "device '%s': %s (%04x:%04x, class %02x.%02x.%02x) is a bridge: bridges are "
			      "never assignable", d->name, sbdf_str(f->sbdf, s, sizeof(s)), f->vendor_id,
			      f->device_id, f->class_code, f->subclass, f->prog_if);
	for (uint32_t a = 0; a < pol->assignment_count; a++) {
		const struct policy_assignment *other = &pol->assignments[a];

		if (other->sbdf == f->sbdf)
			return format_reject(why, why_size, -HV_EEXIST,
				      "device '%s': %s is matched twice: device '%s' gives it to vm '%s', "
				      "device '%s' to vm '%s'", d->name, sbdf_str(f->sbdf, s, sizeof(s)),
				      pol->devices[other->device].name, pol->vms[other->owner - 1].name,
				      d->name, pol->vms[d->owner - 1].name);
	}
	if (PCI_SEG(f->sbdf))
		return format_reject(why, why_size, -HV_EPERM,
			      "device '%s': %s is on segment %u: VMs reach segment 0 only "
			      "(configuration mechanism #1)", d->name, sbdf_str(f->sbdf, s, sizeof(s)),
			      PCI_SEG(f->sbdf));
	alias = policy_requester_id_alias(f, devs, count);
	if (alias && !(d->flags & UHV_DEVICE_SHARED_REQUESTER_ID_OK))
		return format_reject(why, why_size, -HV_EPERM,
			      "device '%s': %s shares its requester id with every function behind "
			      "bridge %s (conventional PCI behind a bridge: the IOMMU cannot tell their "
			      "DMA apart); add flags = shared-requester-id-ok to accept that",
			      d->name, sbdf_str(f->sbdf, s, sizeof(s)), sbdf_str(alias->sbdf, t, sizeof(t)));
	if (alias)
		for (uint32_t a = 0; a < pol->assignment_count; a++) {
			const struct policy_assignment *other = &pol->assignments[a];
			const struct pci_device *of = NULL;

			for (size_t k = 0; k < count && !of; k++)
				if (devs[k].sbdf == other->sbdf)
					of = &devs[k];
			if (of && other->owner != d->owner && policy_requester_id_alias(of, devs, count) == alias)
				return format_reject(why, why_size, -HV_EPERM,
					      "device '%s': %s and %s share a requester id behind bridge %s "
					      "but would go to vm '%s' and vm '%s'",
					      d->name, sbdf_str(f->sbdf, s, sizeof(s)),
					      sbdf_str(other->sbdf, t, sizeof(t)),
					      sbdf_str(alias->sbdf, u, sizeof(u)),
					      pol->vms[d->owner - 1].name, pol->vms[other->owner - 1].name);
		}
	int err = check_bars(pol, d, f, devs, count, why, why_size);
	if (err)
		return err;
	if (pol->assignment_count == POLICY_MAX_ASSIGNMENTS)
		return format_reject(why, why_size, -HV_E2BIG, "device '%s': more than %u functions assigned",
			      d->name, POLICY_MAX_ASSIGNMENTS);
	pol->assignments[pol->assignment_count++] = (struct policy_assignment){
		.sbdf = f->sbdf, .owner = d->owner, .device = di,
	};
	return 0;
}

int policy_check_devices(struct policy *pol, const struct pci_device *devs, size_t count,
			 bool iommu, char *why, size_t why_size)
{
	char m[40], s[20];

	if (why && why_size)
		why[0] = '\0';
	pol->devices_checked = false;
	pol->unprotected_dma = false;
	pol->assignment_count = 0;
	for (uint32_t di = 0; di < pol->device_count && di < UHV_POLICY_MAX_DEVICES; di++) {
		const struct policy_device *d = &pol->devices[di];
		const struct pci_device *first = NULL;

		for (size_t k = 0; k < count; k++) {
			if (!device_matches(d, &devs[k]))
				continue;
			int err = assign_function(pol, di, &devs[k], devs, count, why, why_size);
			if (err) {
				pol->assignment_count = 0;
				return err;
			}
			if (!first)
				first = &devs[k];
		}
		if (!first) {
			pol->assignment_count = 0;
			return format_reject(why, why_size, -HV_ENODEV,
				      "device '%s' (%s) matches no PCI function present", d->name,
				      policy_device_match_str(d, m, sizeof(m)));
		}
		/* Without remapping, a device's DMA reaches every byte of host memory. */
		if (!iommu && !(d->flags & UHV_DEVICE_UNPROTECTED_DMA)) {
			pol->assignment_count = 0;
			return format_reject(why, why_size, -HV_EPERM,
				      "device '%s': no IOMMU (no ACPI DMAR table): %s could DMA into any "
				      "memory; add flags = unprotected-dma to assign it anyway",
				      d->name, sbdf_str(first->sbdf, s, sizeof(s)));
		}
	}
	pol->unprotected_dma = !iommu && pol->assignment_count;
	pol->devices_checked = true;
	return 0;
}
