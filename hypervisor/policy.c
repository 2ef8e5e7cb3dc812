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

static int parse_name(const struct uhv_policy_vm *v, uint32_t index, char *why, size_t why_size)
{
	size_t n = strnlen(v->name, sizeof(v->name));

	if (n == 0)
		return format_reject(why, why_size, -HV_EINVAL, "vm #%u: name is empty", index);
	if (n == sizeof(v->name))
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm #%u: name is not NUL-terminated within its %zu bytes",
			      index, sizeof(v->name));
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(v->name[i]))
			return format_reject(why, why_size, -HV_EINVAL,
				      "vm #%u: name has character 0x%02x at position %zu "
				      "(only a-z, 0-9 and '-' are allowed)",
				      index, (unsigned char)v->name[i], i);
	if (!all_zero(v->name + n, sizeof(v->name) - n))
		return format_reject(why, why_size, -HV_EINVAL,
			      "vm '%s': name field has nonzero bytes after its NUL", v->name);
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
	err = parse_name(&v, index, why, why_size);
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
		if (rec.type != UHV_POLICY_RECORD_VM)
			return format_reject(why, why_size, -HV_ENOTSUP,
				      "record %u: unknown type %u (written for a newer hypervisor?)",
				      r, rec.type);
		if (rec.reserved)
			return format_reject(why, why_size, -HV_EINVAL,
				      "record %u: unknown field: reserved bytes are not zero", r);
		if (rec.length != sizeof(struct uhv_policy_vm))
			return format_reject(why, why_size, -HV_EBADMSG,
				      "record %u: VM record is %u bytes, expected %zu",
				      r, rec.length, sizeof(struct uhv_policy_vm));
		if (pol->vm_count == UHV_POLICY_MAX_VMS)
			return format_reject(why, why_size, -HV_E2BIG, "more than %u VMs", UHV_POLICY_MAX_VMS);
		err = parse_vm(blob + off, pol, why, why_size);
		if (err)
			return err;
		off += rec.length;
	}
	if (off != total)
		return format_reject(why, why_size, -HV_EBADMSG,
			      "%zu bytes after the last of %u records", total - off, hdr->record_count);
	if (!pol->vm_count)
		return format_reject(why, why_size, -HV_EINVAL, "no VMs (at least one is needed)");
	return 0;
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
	pol->resources_checked = true;
	return 0;
}
