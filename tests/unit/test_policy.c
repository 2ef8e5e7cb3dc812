// SPDX-License-Identifier: MIT
/*
 * hypervisor/policy.c and lib/crc32.c: the binary policy parser and the
 * resource check. Policies come from two independent sources: built here
 * field by field (with a table-driven CRC that is not the hypervisor's),
 * and compiled by boot/mkpolicy.py (valid ones and every --corrupt kind).
 * Every rejection is checked for its exact message and error code.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/crc32.h>
#include <hv/policy.h>

#include "unit.h"

#define MiB_ (1024ULL * 1024)

/* ---- An independent CRC-32 (table-driven, built from the polynomial). */
static uint32_t ref_crc(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = ~0u;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* ---- Policies built field by field. */
struct blob {
	uint8_t bytes[UHV_POLICY_MAX_SIZE + 64];
	size_t len;
	uint32_t records;
};

static void blob_begin(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->len = sizeof(struct uhv_policy_header);
}

static struct uhv_policy_vm make_vm(const char *name, const char *image, uint32_t role,
				    uint64_t memory, uint32_t priority, uint32_t restart)
{
	struct uhv_policy_vm v = {
		.record = { .type = UHV_POLICY_RECORD_VM, .length = sizeof(v) },
		.role = role, .vcpus = 1, .memory_size = memory,
		.priority = priority, .restart = restart,
	};
	strncpy(v.name, name, sizeof(v.name));
	strncpy(v.image, image, sizeof(v.image));
	return v;
}

static void blob_add(struct blob *b, const void *rec, size_t len)
{
	memcpy(b->bytes + b->len, rec, len);
	b->len += len;
	b->records++;
}

/* Header fields from the contents; the checksum over the final bytes. */
static void blob_finish(struct blob *b)
{
	struct uhv_policy_header h = {
		.revision = UHV_POLICY_REVISION,
		.total_size = (uint32_t)b->len,
		.record_count = b->records,
	};
	memcpy(h.magic, UHV_POLICY_MAGIC, 8);
	memcpy(b->bytes, &h, sizeof(h));
	h.checksum = ref_crc(b->bytes, b->len);
	memcpy(b->bytes, &h, sizeof(h));
}

/* Rewrite the checksum after the test changed a header field. */
static void blob_reseal(struct blob *b)
{
	memset(b->bytes + 16, 0, 4);
	uint32_t c = ref_crc(b->bytes, b->len);
	memcpy(b->bytes + 16, &c, 4);
}

static void two_vms(struct blob *b)
{
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 200,
					   UHV_RESTART_ALWAYS);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 8 * MiB_, 10,
					   UHV_RESTART_ON_FAILURE);
	blob_begin(b);
	blob_add(b, &net, sizeof(net));
	blob_add(b, &app, sizeof(app));
	blob_finish(b);
}

/* Parse from an exact-size heap copy, so ASan catches any read past the end. */
static int parse(const void *bytes, size_t len, struct policy *pol, char *why)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, bytes, len);
	int err = policy_parse(copy, len, pol, why, POLICY_WHY_MAX);
	free(copy);
	return err;
}

static char path_buf[512];

static const char *policy_path(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", TEST_POLICY_DIR, name);
	return path_buf;
}

static void check_net_app(const struct policy *pol)
{
	CHECK_EQ(pol->vm_count, 2);
	CHECK_EQ(pol->total_memory, 12 * MiB_);
	CHECK(!pol->resources_checked);
	CHECK_EQ(pol->vms[0].id, 1);
	CHECK_STR_EQ(pol->vms[0].name, "net");
	CHECK_STR_EQ(pol->vms[0].image, "tiny.elf");
	CHECK_EQ(pol->vms[0].role, UHV_ROLE_IOVM);
	CHECK_EQ(pol->vms[0].vcpus, 1);
	CHECK_EQ(pol->vms[0].memory_size, 4 * MiB_);
	CHECK_EQ(pol->vms[0].priority, 200);
	CHECK_EQ(pol->vms[0].restart, UHV_RESTART_ALWAYS);
	CHECK_EQ(pol->vms[1].id, 2);
	CHECK_STR_EQ(pol->vms[1].name, "app");
	CHECK_EQ(pol->vms[1].role, UHV_ROLE_GUEST);
	CHECK_EQ(pol->vms[1].memory_size, 8 * MiB_);
	CHECK_EQ(pol->vms[1].priority, 10);
	CHECK_EQ(pol->vms[1].restart, UHV_RESTART_ON_FAILURE);
}

TEST(crc32_matches_the_ieee_check_values)
{
	CHECK_EQ(crc32(0, "", 0), 0);
	CHECK_EQ(crc32(0, "123456789", 9), 0xcbf43926);
	CHECK_EQ(crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414fa339);
	/* Chained like zlib.crc32(b, crc32(a)). */
	CHECK_EQ(crc32(crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
	uint8_t bytes[1000];
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(crc32(0, bytes, sizeof(bytes)), ref_crc(bytes, sizeof(bytes)));
}

TEST(accepts_a_valid_two_vm_policy)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	two_vms(&b);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	check_net_app(&pol);
	CHECK_STR_EQ(policy_role_name(pol.vms[0].role), "iovm");
	CHECK_STR_EQ(policy_restart_name(pol.vms[0].restart), "always");
	CHECK_STR_EQ(policy_restart_name(pol.vms[1].restart), "on-failure");
}

TEST(mkpolicy_output_is_byte_identical_to_the_abi_structures)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX];
	size_t len;
	uint8_t *compiled = unit_read_file(policy_path("base.bin"), &len);

	two_vms(&b);
	CHECK_EQ(len, b.len);
	CHECK(len == b.len && !memcmp(compiled, b.bytes, len));
	CHECK_EQ(parse(compiled, len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	check_net_app(&pol);
	free(compiled);
}

TEST(accepts_the_maximum_of_sixteen_vms)
{
	static struct policy pol;
	char why[POLICY_WHY_MAX];
	size_t len;
	uint8_t *compiled = unit_read_file(policy_path("sixteen.bin"), &len);

	CHECK_EQ(parse(compiled, len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(pol.vm_count, 16);
	CHECK_STR_EQ(pol.vms[0].name, "vm-01");
	CHECK_STR_EQ(pol.vms[15].name, "vm-16");
	CHECK_EQ(pol.vms[15].id, 16);
	CHECK_EQ(pol.vms[3].role, UHV_ROLE_IOVM);	/* vm-04 */
	CHECK_EQ(pol.vms[15].priority, 240);
	uint64_t total = 0;
	for (int i = 1; i <= 16; i++)
		total += (4 + 2 * (i % 3)) * MiB_;
	CHECK_EQ(pol.total_memory, total);
	free(compiled);
}

/* ---- Every rejection, built here. mutate() changes the 2nd VM ('app') or the blob. */
struct reject_case {
	const char *what;
	void (*mutate)(struct blob *b, struct uhv_policy_vm *app);
	int err;
	const char *why;
};

static void vm_name_upper(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->name[0] = 'A'; }
static void vm_name_empty(struct blob *b, struct uhv_policy_vm *v) { (void)b; memset(v->name, 0, 16); }
static void vm_name_full(struct blob *b, struct uhv_policy_vm *v) { (void)b; memset(v->name, 'x', 16); }
static void vm_name_dot(struct blob *b, struct uhv_policy_vm *v) { (void)b; strcpy(v->name, "a.b"); }
static void vm_name_pad(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->name[15] = 1; }
static void vm_name_dup(struct blob *b, struct uhv_policy_vm *v) { (void)b; strcpy(v->name, "net"); }
static void vm_image_empty(struct blob *b, struct uhv_policy_vm *v) { (void)b; memset(v->image, 0, 32); }
static void vm_image_full(struct blob *b, struct uhv_policy_vm *v) { (void)b; memset(v->image, 'i', 32); }
static void vm_image_tab(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->image[2] = '\t'; }
static void vm_image_high(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->image[0] = (char)0xc3; }
static void vm_image_pad(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->image[31] = 'z'; }
static void vm_role0(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->role = 0; }
static void vm_role3(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->role = 3; }
static void vm_vcpus0(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->vcpus = 0; }
static void vm_vcpus4(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->vcpus = 4; }
static void vm_mem0(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = 0; }
static void vm_mem1(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = MiB_; }
static void vm_mem3(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = 3 * MiB_; }
static void vm_mem_odd(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = 4 * MiB_ + 1; }
static void vm_mem_big(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = 1026 * MiB_; }
static void vm_mem_huge(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = ~0ULL - (2 * MiB_ - 1); }
static void vm_mem_max(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->memory_size = 1024 * MiB_; }
static void vm_prio(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->priority = 256; }
static void vm_prio_max(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->priority = 255; }
static void vm_restart(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->restart = 3; }
static void vm_flags(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->flags = 0x80000000u; }
static void vm_reserved(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->reserved[1] = 5; }
static void rec_type(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.type = 4; }
static void rec_type0(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.type = 0; }
static void rec_reserved(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.reserved = 1; }
static void rec_len0(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 0; }
static void rec_len4(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 4; }
static void rec_len_odd(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 95; }
static void rec_len_short(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 88; }
static void rec_len_long(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 104; }
static void rec_len_huge(struct blob *b, struct uhv_policy_vm *v) { (void)b; v->record.length = 0xfffffff8u; }

static const struct reject_case vm_cases[] = {
	{ "uppercase name", vm_name_upper, -HV_EINVAL,
	  "vm #2: name has character 0x41 at position 0 (only a-z, 0-9 and '-' are allowed)" },
	{ "empty name", vm_name_empty, -HV_EINVAL, "vm #2: name is empty" },
	{ "unterminated name", vm_name_full, -HV_EINVAL,
	  "vm #2: name is not NUL-terminated within its 16 bytes" },
	{ "dot in name", vm_name_dot, -HV_EINVAL,
	  "vm #2: name has character 0x2e at position 1 (only a-z, 0-9 and '-' are allowed)" },
	{ "bytes after the name", vm_name_pad, -HV_EINVAL,
	  "vm 'app': name field has nonzero bytes after its NUL" },
	{ "duplicate name", vm_name_dup, -HV_EEXIST, "vm 'net': duplicate name (vm #1 has it too)" },
	{ "empty image", vm_image_empty, -HV_EINVAL, "vm 'app': image name is empty" },
	{ "unterminated image", vm_image_full, -HV_EINVAL,
	  "vm 'app': image name is not NUL-terminated within its 32 bytes" },
	{ "tab in image", vm_image_tab, -HV_EINVAL,
	  "vm 'app': image name has character 0x09 at position 2 (printable ASCII without spaces only)" },
	{ "non-ASCII image", vm_image_high, -HV_EINVAL,
	  "vm 'app': image name has character 0xc3 at position 0 (printable ASCII without spaces only)" },
	{ "bytes after the image", vm_image_pad, -HV_EINVAL,
	  "vm 'app': image field has nonzero bytes after its NUL" },
	{ "role 0", vm_role0, -HV_EINVAL, "vm 'app': unknown role 0 (1 guest, 2 iovm)" },
	{ "role 3", vm_role3, -HV_EINVAL, "vm 'app': unknown role 3 (1 guest, 2 iovm)" },
	{ "0 vcpus", vm_vcpus0, -HV_ENOTSUP,
	  "vm 'app': 0 vcpus, but only 1 per VM is supported (no SMP scheduling yet)" },
	{ "4 vcpus", vm_vcpus4, -HV_ENOTSUP,
	  "vm 'app': 4 vcpus, but only 1 per VM is supported (no SMP scheduling yet)" },
	{ "no memory", vm_mem0, -HV_ERANGE, "vm 'app': memory 0 bytes is less than the 2 MiB minimum" },
	{ "1 MiB", vm_mem1, -HV_ERANGE, "vm 'app': memory 1 MiB is less than the 2 MiB minimum" },
	{ "3 MiB", vm_mem3, -HV_EINVAL, "vm 'app': memory 3 MiB is not a multiple of 2 MiB" },
	{ "4 MiB + 1", vm_mem_odd, -HV_EINVAL,
	  "vm 'app': memory 0x400001 bytes is not a multiple of 2 MiB" },
	{ "1026 MiB", vm_mem_big, -HV_ERANGE,
	  "vm 'app': memory 1026 MiB is more than the 1 GiB per-VM maximum" },
	{ "2^64 - 2 MiB", vm_mem_huge, -HV_ERANGE,
	  "vm 'app': memory 17592186044414 MiB is more than the 1 GiB per-VM maximum" },
	{ "priority 256", vm_prio, -HV_ERANGE, "vm 'app': priority 256 is out of range (0-255)" },
	{ "restart 3", vm_restart, -HV_EINVAL,
	  "vm 'app': unknown restart policy 3 (0 never, 1 on-failure, 2 always)" },
	{ "flags", vm_flags, -HV_EINVAL, "vm 'app': unknown field: flags 0x80000000 are not defined" },
	{ "VM reserved", vm_reserved, -HV_EINVAL, "vm 'app': unknown field: reserved bytes are not zero" },
	{ "record type 4", rec_type, -HV_ENOTSUP, "record 2: unknown type 4 (written for a newer hypervisor?)" },
	{ "record type 0", rec_type0, -HV_ENOTSUP, "record 2: unknown type 0 (written for a newer hypervisor?)" },
	{ "record reserved", rec_reserved, -HV_EINVAL, "record 2: unknown field: reserved bytes are not zero" },
	{ "record length 0", rec_len0, -HV_EBADMSG,
	  "record 2 at offset 0x80: length 0 is smaller than a record header" },
	{ "record length 4", rec_len4, -HV_EBADMSG,
	  "record 2 at offset 0x80: length 4 is smaller than a record header" },
	{ "record length 95", rec_len_odd, -HV_EBADMSG,
	  "record 2 at offset 0x80: length 95 is not a multiple of 8" },
	{ "record length 88", rec_len_short, -HV_EBADMSG,
	  "record 2: VM record is 88 bytes, expected 96" },
	{ "record length 104", rec_len_long, -HV_EBADMSG,
	  "record 2 at offset 0x80: truncated (length 104, the policy ends at 0xe0)" },
	{ "record length 2^32 - 8", rec_len_huge, -HV_EBADMSG,
	  "record 2 at offset 0x80: truncated (length 4294967288, the policy ends at 0xe0)" },
};

static void build_with(struct blob *b, void (*mutate)(struct blob *, struct uhv_policy_vm *))
{
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 200,
					   UHV_RESTART_ALWAYS);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 8 * MiB_, 10,
					   UHV_RESTART_ON_FAILURE);
	blob_begin(b);
	blob_add(b, &net, sizeof(net));
	mutate(b, &app);
	blob_add(b, &app, sizeof(app));
	blob_finish(b);
}

static void check_reject(const void *bytes, size_t len, int err, const char *expect, const char *what)
{
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	memset(&pol, 0x5a, sizeof(pol));
	int got = parse(bytes, len, &pol, why);
	if (got != err || strcmp(why, expect))
		unit_fail(__FILE__, __LINE__, "%s: got %d \"%s\", expected %d \"%s\"",
			  what, got, why, err, expect);
	/* Nothing half-validated survives a rejection. */
	static const struct policy zero;
	CHECK(!memcmp(&pol, &zero, sizeof(pol)));
}

TEST(rejects_every_bad_vm_field_and_record_with_its_message)
{
	static struct blob b;

	for (size_t i = 0; i < sizeof(vm_cases) / sizeof(vm_cases[0]); i++) {
		build_with(&b, vm_cases[i].mutate);
		check_reject(b.bytes, b.len, vm_cases[i].err, vm_cases[i].why, vm_cases[i].what);
	}
}

TEST(boundary_values_are_accepted)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	build_with(&b, vm_mem_max);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_EQ(pol.vms[1].memory_size, 1024 * MiB_);
	build_with(&b, vm_prio_max);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_EQ(pol.vms[1].priority, 255);
	/* A 15-character name uses the whole field but its NUL. */
	struct uhv_policy_vm v = make_vm("abcdefghij-1234", "x", UHV_ROLE_GUEST, 2 * MiB_, 0, 0);
	blob_begin(&b);
	blob_add(&b, &v, sizeof(v));
	blob_finish(&b);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_STR_EQ(pol.vms[0].name, "abcdefghij-1234");
	CHECK_EQ(pol.vms[0].restart, UHV_RESTART_NEVER);
}

TEST(rejects_bad_headers_with_their_messages)
{
	static struct blob b;
	char expect[POLICY_WHY_MAX];
	struct uhv_policy_header *h = (void *)b.bytes;

	two_vms(&b);
	check_reject(b.bytes, 0, -HV_EBADMSG, "the module is 0 bytes, smaller than the 32-byte header", "empty");
	check_reject(b.bytes, 31, -HV_EBADMSG, "the module is 31 bytes, smaller than the 32-byte header", "31 bytes");

	two_vms(&b);
	h->magic[7] = 'X';
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_EBADMSG,
		     "bad magic: not a uhv policy (compile it with boot/mkpolicy.py)", "magic");

	two_vms(&b);
	h->revision = 0;
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_ENOTSUP,
		     "revision 0 is not supported (this hypervisor reads revision 1)", "revision");

	two_vms(&b);
	h->total_size = UHV_POLICY_MAX_SIZE + 1;
	check_reject(b.bytes, b.len, -HV_E2BIG, "size 65537 is more than the 65536 bytes allowed", "too big");

	two_vms(&b);
	check_reject(b.bytes, b.len - 8, -HV_EBADMSG,
		     "the header says 224 bytes but the module is 216 bytes", "module shorter");
	check_reject(b.bytes, b.len + 8, -HV_EBADMSG,
		     "the header says 224 bytes but the module is 232 bytes", "module longer");

	two_vms(&b);
	uint32_t good = h->checksum;
	b.bytes[100] ^= 0x10;	/* one flipped bit in the first VM's image name */
	/* The hypervisor computes over the bytes with the checksum field as 0. */
	memset(b.bytes + 16, 0, 4);
	snprintf(expect, sizeof(expect),
		 "checksum %#010x does not match the contents (%#010x): the file is damaged",
		 good, ref_crc(b.bytes, b.len));
	memcpy(b.bytes + 16, &good, 4);
	check_reject(b.bytes, b.len, -HV_EBADMSG, expect, "checksum");

	two_vms(&b);
	h->reserved = 1ULL << 63;
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_EINVAL, "unknown field: header reserved bytes are not zero",
		     "header reserved");

	two_vms(&b);
	h->record_count = 0;
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_EBADMSG, "192 bytes after the last of 0 records", "count 0");

	two_vms(&b);
	h->record_count = 1;
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_EBADMSG, "96 bytes after the last of 1 records", "count 1");

	two_vms(&b);
	h->record_count = 0xffffffffu;
	blob_reseal(&b);
	check_reject(b.bytes, b.len, -HV_EBADMSG,
		     "record 3 at offset 0xe0: truncated (the policy ends at 0xe0)", "count 2^32-1");

	blob_begin(&b);
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_EINVAL, "no VMs (at least one is needed)", "no VMs");
}

TEST(rejects_a_seventeenth_vm)
{
	static struct blob b;
	char name[16];

	blob_begin(&b);
	for (int i = 0; i < UHV_POLICY_MAX_VMS + 1; i++) {
		snprintf(name, sizeof(name), "vm-%d", i);
		struct uhv_policy_vm v = make_vm(name, "x", UHV_ROLE_GUEST, 2 * MiB_, 0, 0);
		blob_add(&b, &v, sizeof(v));
	}
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_E2BIG, "more than 16 VMs", "17 VMs");
}

TEST(every_truncation_is_rejected_without_reading_past_the_end)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	two_vms(&b);
	for (size_t n = 0; n < b.len; n++) {
		CHECK(parse(b.bytes, n, &pol, why) < 0);
		CHECK(why[0] != '\0');
	}
}

TEST(the_reason_buffer_may_be_small_or_absent)
{
	static struct blob b;
	static struct policy pol;
	char tiny[8];

	build_with(&b, vm_mem3);
	CHECK_EQ(policy_parse(b.bytes, b.len, &pol, NULL, 0), -HV_EINVAL);
	CHECK_EQ(policy_parse(b.bytes, b.len, &pol, tiny, sizeof(tiny)), -HV_EINVAL);
	CHECK_STR_EQ(tiny, "vm 'app");
	two_vms(&b);
	CHECK_EQ(policy_parse(b.bytes, b.len, &pol, NULL, 0), 0);
}

/* ---- What boot/mkpolicy.py --corrupt=KIND produces, and what the hypervisor says. */
static const struct {
	const char *kind;
	int err;
	const char *why;	/* NULL: computed in the test (checksum) */
} corrupt_cases[] = {
	{ "magic", -HV_EBADMSG, "bad magic: not a uhv policy (compile it with boot/mkpolicy.py)" },
	{ "revision", -HV_ENOTSUP, "revision 2 is not supported (this hypervisor reads revision 1)" },
	{ "checksum", -HV_EBADMSG, NULL },
	{ "size-mismatch", -HV_EBADMSG, "the header says 232 bytes but the module is 224 bytes" },
	{ "too-big", -HV_E2BIG, "size 65544 is more than the 65536 bytes allowed" },
	{ "header-reserved", -HV_EINVAL, "unknown field: header reserved bytes are not zero" },
	{ "no-vms", -HV_EINVAL, "no VMs (at least one is needed)" },
	{ "too-many-vms", -HV_E2BIG, "more than 16 VMs" },
	{ "truncated", -HV_EBADMSG, "record 2 at offset 0x80: truncated (length 96, the policy ends at 0xb8)" },
	{ "record-count", -HV_EBADMSG, "record 3 at offset 0xe0: truncated (the policy ends at 0xe0)" },
	{ "trailing", -HV_EBADMSG, "8 bytes after the last of 2 records" },
	{ "record-type", -HV_ENOTSUP, "record 2: unknown type 7 (written for a newer hypervisor?)" },
	{ "record-reserved", -HV_EINVAL, "record 2: unknown field: reserved bytes are not zero" },
	{ "record-length", -HV_EBADMSG, "record 2: VM record is 104 bytes, expected 96" },
	{ "record-misaligned", -HV_EBADMSG, "record 2 at offset 0x80: length 100 is not a multiple of 8" },
	{ "name-empty", -HV_EINVAL, "vm #2: name is empty" },
	{ "name-unterminated", -HV_EINVAL, "vm #2: name is not NUL-terminated within its 16 bytes" },
	{ "name-chars", -HV_EINVAL,
	  "vm #2: name has character 0x48 at position 0 (only a-z, 0-9 and '-' are allowed)" },
	{ "name-padding", -HV_EINVAL, "vm 'app': name field has nonzero bytes after its NUL" },
	{ "duplicate-name", -HV_EEXIST, "vm 'net': duplicate name (vm #1 has it too)" },
	{ "image-empty", -HV_EINVAL, "vm 'app': image name is empty" },
	{ "image-unterminated", -HV_EINVAL, "vm 'app': image name is not NUL-terminated within its 32 bytes" },
	{ "image-chars", -HV_EINVAL,
	  "vm 'app': image name has character 0x20 at position 5 (printable ASCII without spaces only)" },
	{ "role", -HV_EINVAL, "vm 'app': unknown role 3 (1 guest, 2 iovm)" },
	{ "vcpus", -HV_ENOTSUP, "vm 'app': 2 vcpus, but only 1 per VM is supported (no SMP scheduling yet)" },
	{ "memory-small", -HV_ERANGE, "vm 'app': memory 1 MiB is less than the 2 MiB minimum" },
	{ "memory-unaligned", -HV_EINVAL, "vm 'app': memory 3 MiB is not a multiple of 2 MiB" },
	{ "memory-huge", -HV_ERANGE, "vm 'app': memory 2 GiB is more than the 1 GiB per-VM maximum" },
	{ "priority", -HV_ERANGE, "vm 'app': priority 256 is out of range (0-255)" },
	{ "restart", -HV_EINVAL, "vm 'app': unknown restart policy 3 (0 never, 1 on-failure, 2 always)" },
	{ "flags", -HV_EINVAL, "vm 'app': unknown field: flags 0x1 are not defined" },
	{ "vm-reserved", -HV_EINVAL, "vm 'app': unknown field: reserved bytes are not zero" },
	{ "device-owner-guest", -HV_EPERM, "device 'owned': owner 'app' is a guest: only an IOVM may own devices" },
	{ "channel-frontend-missing", -HV_ENOENT, "channel 'net-a': frontend 'nobody' is not a VM of this policy" },
	{ "channel-same-ends", -HV_EINVAL, "channel 'net-a': frontend and backend are both vm 'net'" },
	{ "channel-backend-guest", -HV_EPERM, "channel 'net-a': backend 'app' is a guest: a backend must be an IOVM" },
	{ "channel-kind", -HV_EINVAL, "channel 'net-a': unknown kind 2 (1 net)" },
	{ "channel-size-unaligned", -HV_EINVAL, "channel 'net-a': size 0x40200 bytes is not a multiple of 4 KiB" },
	{ "channel-size-huge", -HV_ERANGE, "channel 'net-a': size 8 MiB is out of range (4 KiB to 4 MiB)" },
	{ "channel-mac-zero", -HV_EINVAL, "channel 'net-a': MAC is zero" },
	{ "channel-mac-multicast", -HV_EINVAL,
	  "channel 'net-a': MAC 01:00:5e:00:00:01 is a multicast address (a NIC needs a unicast one)" },
	{ "channel-mac-duplicate", -HV_EEXIST, "channel 'net-b': MAC 52:54:00:00:00:10 is channel 'net-a''s too" },
	{ "channel-prefix", -HV_ERANGE, "channel 'net-a': prefix length 31 is out of range (1-30)" },
	{ "channel-subnet", -HV_EINVAL, "channel 'net-a': gateway 10.0.3.2 is not in the subnet of 10.0.2.15/24" },
	{ "channel-duplicate-name", -HV_EEXIST, "channel 'net-a': duplicate name (channel #1 has it too)" },
	{ "channel-too-many", -HV_E2BIG, "more than 16 channels" },
	{ "channel-per-vm", -HV_E2BIG, "channel 'net-8': vm 'app' would be an end of more than 8 channels" },
	{ "channel-reserved", -HV_EINVAL, "channel 'net-a': unknown field: reserved bytes are not zero" },
	{ "channel-record-length", -HV_EBADMSG, "record 3: channel record is 104 bytes, expected 96" },
};

TEST(rejects_every_mkpolicy_corruption_with_its_message)
{
	char name[64], expect[POLICY_WHY_MAX];

	for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		size_t len;

		snprintf(name, sizeof(name), "corrupt-%s.bin", corrupt_cases[i].kind);
		uint8_t *bytes = unit_read_file(policy_path(name), &len);
		const char *want = corrupt_cases[i].why;
		if (!want) {
			uint32_t stored;
			memcpy(&stored, bytes + 16, 4);
			memset(bytes + 16, 0, 4);
			snprintf(expect, sizeof(expect),
				 "checksum %#010x does not match the contents (%#010x): the file is damaged",
				 stored, ref_crc(bytes, len));
			memcpy(bytes + 16, &stored, 4);
			want = expect;
		}
		check_reject(bytes, len, corrupt_cases[i].err, want, corrupt_cases[i].kind);
		free(bytes);
	}
}

TEST(every_mkpolicy_corruption_kind_is_covered_here)
{
	DIR *d = opendir(TEST_POLICY_DIR);
	int files = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "corrupt-", 8) || n < 12 || strcmp(e->d_name + n - 4, ".bin"))
			continue;
		files++;
		bool known = false;
		for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++)
			if (strlen(corrupt_cases[i].kind) == n - 12 &&
			    !strncmp(corrupt_cases[i].kind, e->d_name + 8, n - 12))
				known = true;
		if (!known)
			unit_fail(__FILE__, __LINE__, "%s has no expected message here", e->d_name);
	}
	closedir(d);
	CHECK_EQ(files, sizeof(corrupt_cases) / sizeof(corrupt_cases[0]));
}

/* ---- policy_check_resources() against fake boot modules. */
static struct {
	paddr_t pa;
	const void *bytes;
} fake_modules[BOOT_MAX_MODULES];
static int fake_module_count;

static const void *fake_map(paddr_t pa, size_t len)
{
	(void)len;
	for (int i = 0; i < fake_module_count; i++)
		if (fake_modules[i].pa == pa)
			return fake_modules[i].bytes;
	abort();
}

static void add_module(struct boot_info *bi, const char *cmdline, const void *bytes, size_t len)
{
	uint32_t i = bi->module_count++;
	paddr_t pa = 0x1000000 + (paddr_t)i * 0x100000;

	bi->modules[i].start = pa;
	bi->modules[i].end = pa + len;
	strncpy(bi->modules[i].cmdline, cmdline, sizeof(bi->modules[i].cmdline) - 1);
	fake_modules[fake_module_count].pa = pa;
	fake_modules[fake_module_count].bytes = bytes;
	fake_module_count++;
}

static void parse_two_vms(struct policy *pol)
{
	static struct blob b;
	char why[POLICY_WHY_MAX];

	two_vms(&b);
	CHECK_EQ(policy_parse(b.bytes, b.len, pol, why, sizeof(why)), 0);
}

static void check_resources_reject(struct policy *pol, struct boot_info *bi, uint64_t free_bytes,
				   int err, const char *expect)
{
	char why[POLICY_WHY_MAX];
	int got = policy_check_resources(pol, bi, free_bytes, fake_map, why, sizeof(why));

	if (got != err || strcmp(why, expect))
		unit_fail(__FILE__, __LINE__, "got %d \"%s\", expected %d \"%s\"", got, why, err, expect);
	CHECK(!pol->resources_checked);
}

TEST(resources_ok_fills_in_the_images)
{
	static struct policy pol;
	static struct boot_info bi;
	char why[POLICY_WHY_MAX];
	size_t len;
	uint8_t *image = unit_read_file(TEST_IMAGE, &len);
	static const char not_elf[] = "not an ELF";

	fake_module_count = 0;
	memset(&bi, 0, sizeof(bi));
	add_module(&bi, "policy", not_elf, sizeof(not_elf));
	add_module(&bi, "tiny.elf", image, len);
	parse_two_vms(&pol);
	CHECK_EQ(policy_check_resources(&pol, &bi, 12 * MiB_, fake_map, why, sizeof(why)), 0);
	CHECK_STR_EQ(why, "");
	CHECK(pol.resources_checked);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(pol.vms[i].image_module, 1);
		CHECK_EQ(pol.vms[i].image_entry, 0x100000);
		CHECK_EQ(pol.vms[i].image_end, 0x302000);	/* .bss end, tests/images/tiny.S */
	}
	free(image);
}

TEST(resources_rejections_name_the_vm_and_the_problem)
{
	static struct policy pol;
	static struct boot_info bi;
	size_t len;
	uint8_t *image = unit_read_file(TEST_IMAGE, &len);
	static const char not_elf[] = "not an ELF";

	/* No module for the image. */
	fake_module_count = 0;
	memset(&bi, 0, sizeof(bi));
	add_module(&bi, "tiny.elf2", image, len);
	add_module(&bi, "tiny", image, len);
	parse_two_vms(&pol);
	check_resources_reject(&pol, &bi, 1024 * MiB_, -HV_ENOENT,
			       "vm 'net': image 'tiny.elf' is not among the boot modules");

	/* Two modules with the same name: which one is meant? */
	add_module(&bi, "tiny.elf", image, len);
	add_module(&bi, "tiny.elf", image, len);
	check_resources_reject(&pol, &bi, 1024 * MiB_, -HV_EEXIST,
			       "vm 'net': image 'tiny.elf' is given by more than one boot module");

	/* Not an ELF file. */
	fake_module_count = 0;
	memset(&bi, 0, sizeof(bi));
	add_module(&bi, "tiny.elf", not_elf, sizeof(not_elf));
	check_resources_reject(&pol, &bi, 1024 * MiB_, -HV_EBADMSG,
			       "vm 'net': image 'tiny.elf': 11 bytes, too small for an ELF header");

	/* An image that needs more than the VM's memory: 2 MiB VM, image ends at 0x302000. */
	fake_module_count = 0;
	memset(&bi, 0, sizeof(bi));
	add_module(&bi, "tiny.elf", image, len);
	pol.vms[0].memory_size = 2 * MiB_;
	check_resources_reject(&pol, &bi, 1024 * MiB_, -HV_ERANGE,
			       "vm 'net': image 'tiny.elf': segment 1 (0x101000-0x301fff) "
			       "does not fit in the VM's 2 MiB of memory");

	/* More memory than is free: the VM that crosses the line is named. */
	parse_two_vms(&pol);
	check_resources_reject(&pol, &bi, 12 * MiB_ - 4096, -HV_ENOMEM,
			       "vm 'app': its 8 MiB of memory bring the total to 12 MiB, "
			       "more than the 11 MiB of free RAM");
	check_resources_reject(&pol, &bi, 4 * MiB_ - 1, -HV_ENOMEM,
			       "vm 'net': memory 4 MiB is more than the 3 MiB of free RAM");
	/* Exactly enough is enough. */
	char why[POLICY_WHY_MAX];
	CHECK_EQ(policy_check_resources(&pol, &bi, 12 * MiB_, fake_map, why, sizeof(why)), 0);
	free(image);
}

/* ---- Device records: parsing, then the check against a made-up bus. */

static struct uhv_policy_device make_device(const char *name, const char *owner)
{
	struct uhv_policy_device d = {
		.record = { .type = UHV_POLICY_RECORD_DEVICE, .length = sizeof(d) },
		.match = UHV_DEVICE_MATCH_ID, .vendor_id = 0x8086, .device_id = 0x100e,
	};
	strncpy(d.name, name, sizeof(d.name));
	strncpy(d.owner, owner, sizeof(d.owner));
	return d;
}

/* net (IOVM, 4 MiB), app (guest, 8 MiB), then the device record d (after mutate). */
static void build_device(struct blob *b, void (*mutate)(struct uhv_policy_device *d))
{
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 200,
					   UHV_RESTART_ALWAYS);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 8 * MiB_, 10,
					   UHV_RESTART_ON_FAILURE);
	struct uhv_policy_device d = make_device("nic", "net");

	blob_begin(b);
	/* A device before the VMs: owners are resolved once every VM is known. */
	if (mutate)
		mutate(&d);
	blob_add(b, &d, sizeof(d));
	blob_add(b, &net, sizeof(net));
	blob_add(b, &app, sizeof(app));
	blob_finish(b);
}

static void dev_name_empty(struct uhv_policy_device *d) { memset(d->name, 0, sizeof(d->name)); }
static void dev_name_upper(struct uhv_policy_device *d) { d->name[1] = 'I'; }
static void dev_owner_empty(struct uhv_policy_device *d) { memset(d->owner, 0, sizeof(d->owner)); }
static void dev_owner_full(struct uhv_policy_device *d) { memset(d->owner, 'o', sizeof(d->owner)); }
static void dev_owner_pad(struct uhv_policy_device *d) { d->owner[15] = 'x'; }
static void dev_owner_missing(struct uhv_policy_device *d) { strcpy(d->owner, "store"); }
static void dev_owner_guest(struct uhv_policy_device *d) { strcpy(d->owner, "app"); }
static void dev_match0(struct uhv_policy_device *d) { d->match = 0; }
static void dev_match4(struct uhv_policy_device *d) { d->match = 4; }
static void dev_bdf_with_id(struct uhv_policy_device *d) { d->match = UHV_DEVICE_MATCH_BDF; d->bus = 1; }
static void dev_id_with_bdf(struct uhv_policy_device *d) { d->devfn = 8; }
static void dev_id_with_class(struct uhv_policy_device *d) { d->class_mask = 0xff0000; }
static void dev_vendor_ffff(struct uhv_policy_device *d) { d->vendor_id = 0xffff; }
static void dev_vendor_0(struct uhv_policy_device *d) { d->vendor_id = 0; }
static void dev_class_with_id(struct uhv_policy_device *d)
{
	d->match = UHV_DEVICE_MATCH_CLASS;
	d->class_code = 0x020000;
	d->class_mask = 0xff0000;
}
static void dev_class_wide(struct uhv_policy_device *d)
{
	*d = make_device("nic", "net");
	d->vendor_id = d->device_id = 0;
	d->match = UHV_DEVICE_MATCH_CLASS;
	d->class_code = 0x020000;
	d->class_mask = 0x1ff0000;
}
static void dev_class_mask0(struct uhv_policy_device *d) { dev_class_wide(d); d->class_code = 0; d->class_mask = 0; }
static void dev_class_outside(struct uhv_policy_device *d) { dev_class_wide(d); d->class_code = 0x020001; d->class_mask = 0xffff00; }
static void dev_flags(struct uhv_policy_device *d) { d->flags = 0x5; }
static void dev_reserved(struct uhv_policy_device *d) { d->reserved[1] = 1; }
static void dev_len(struct uhv_policy_device *d) { d->record.length = 64; }

static const struct {
	const char *what;
	void (*mutate)(struct uhv_policy_device *d);
	int err;
	const char *why;
} device_cases[] = {
	{ "empty name", dev_name_empty, -HV_EINVAL, "device #1: name is empty" },
	{ "uppercase name", dev_name_upper, -HV_EINVAL,
	  "device #1: name has character 0x49 at position 1 (only a-z, 0-9 and '-' are allowed)" },
	{ "empty owner", dev_owner_empty, -HV_EINVAL, "device 'nic': owner is empty" },
	{ "unterminated owner", dev_owner_full, -HV_EINVAL,
	  "device 'nic': owner is not NUL-terminated within its 16 bytes" },
	{ "bytes after the owner", dev_owner_pad, -HV_EINVAL,
	  "device 'nic': owner field has nonzero bytes after its NUL" },
	{ "no such owner", dev_owner_missing, -HV_ENOENT,
	  "device 'nic': owner 'store' is not a VM of this policy" },
	{ "owner is a guest", dev_owner_guest, -HV_EPERM,
	  "device 'nic': owner 'app' is a guest: only an IOVM may own devices" },
	{ "match 0", dev_match0, -HV_EINVAL, "device 'nic': unknown match 0 (1 bdf, 2 id, 3 class)" },
	{ "match 4", dev_match4, -HV_EINVAL, "device 'nic': unknown match 4 (1 bdf, 2 id, 3 class)" },
	{ "bdf with id", dev_bdf_with_id, -HV_EINVAL, "device 'nic': matches by bdf but has id or class fields set" },
	{ "id with bdf", dev_id_with_bdf, -HV_EINVAL, "device 'nic': matches by id but has bdf or class fields set" },
	{ "id with class", dev_id_with_class, -HV_EINVAL,
	  "device 'nic': matches by id but has bdf or class fields set" },
	{ "vendor ffff", dev_vendor_ffff, -HV_EINVAL, "device 'nic': vendor id 0xffff is not a vendor" },
	{ "vendor 0", dev_vendor_0, -HV_EINVAL, "device 'nic': vendor id 0x0000 is not a vendor" },
	{ "class with id", dev_class_with_id, -HV_EINVAL,
	  "device 'nic': matches by class but has bdf or id fields set" },
	{ "class mask 25 bits", dev_class_wide, -HV_EINVAL,
	  "device 'nic': class 0x20000 or mask 0x1ff0000 is wider than 24 bits" },
	{ "class mask 0", dev_class_mask0, -HV_EINVAL,
	  "device 'nic': class mask is 0, which would match every function" },
	{ "class outside its mask", dev_class_outside, -HV_EINVAL,
	  "device 'nic': class 020001 has bits outside its mask ffff00" },
	{ "flags", dev_flags, -HV_EINVAL, "device 'nic': unknown field: flags 0x4 are not defined" },
	{ "reserved", dev_reserved, -HV_EINVAL, "device 'nic': unknown field: reserved bytes are not zero" },
	{ "length", dev_len, -HV_EBADMSG, "record 1: device record is 64 bytes, expected 72" },
};

TEST(rejects_every_bad_device_field_with_its_message)
{
	static struct blob b;

	for (size_t i = 0; i < sizeof(device_cases) / sizeof(device_cases[0]); i++) {
		build_device(&b, device_cases[i].mutate);
		check_reject(b.bytes, b.len, device_cases[i].err, device_cases[i].why, device_cases[i].what);
	}
}

TEST(accepts_device_records_in_any_order_and_resolves_owners)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX], m[40];

	build_device(&b, NULL);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(pol.vm_count, 2);
	CHECK_EQ(pol.device_count, 1);
	CHECK_STR_EQ(pol.devices[0].name, "nic");
	CHECK_EQ(pol.devices[0].owner, 1);
	CHECK_EQ(pol.devices[0].match, UHV_DEVICE_MATCH_ID);
	CHECK_STR_EQ(policy_device_match_str(&pol.devices[0], m, sizeof(m)), "id 8086:100e");

	/* Two devices with one name. */
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 0, 0);
	struct uhv_policy_device d = make_device("nic", "net");
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &d, sizeof(d));
	blob_add(&b, &d, sizeof(d));
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_EEXIST, "device 'nic': duplicate name (device #1 has it too)", "dup");

	/* Thirty-three devices. */
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	for (int i = 0; i < 33; i++) {
		snprintf(d.name, sizeof(d.name), "d%d", i);
		blob_add(&b, &d, sizeof(d));
	}
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_E2BIG, "more than 32 devices", "33 devices");
}

/* ---- Channel records. */

static struct uhv_policy_channel make_channel(const char *name, const char *frontend, const char *backend,
					      uint8_t mac_last)
{
	struct uhv_policy_channel c = {
		.record = { .type = UHV_POLICY_RECORD_CHANNEL, .length = sizeof(c) },
		.kind = UHV_CHANNEL_NET, .size = 256 * 1024,
		.net = { .mac = { 0x52, 0x54, 0x00, 0x00, 0x00, mac_last }, .prefix_len = 24,
			 .ipv4 = 0x0f02000a /* 10.0.2.15 in network byte order */,
			 .gateway = 0x0202000a /* 10.0.2.2 */ },
	};
	strncpy(c.name, name, sizeof(c.name));
	strncpy(c.frontend, frontend, sizeof(c.frontend));
	strncpy(c.backend, backend, sizeof(c.backend));
	return c;
}

/* The channel record c (after mutate) before net (IOVM) and app (guest): ends are resolved at the end. */
static void build_channel(struct blob *b, void (*mutate)(struct uhv_policy_channel *c))
{
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 200,
					   UHV_RESTART_ALWAYS);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 8 * MiB_, 10,
					   UHV_RESTART_ON_FAILURE);
	struct uhv_policy_channel c = make_channel("net-a", "app", "net", 0x0a);

	blob_begin(b);
	if (mutate)
		mutate(&c);
	blob_add(b, &c, sizeof(c));
	blob_add(b, &net, sizeof(net));
	blob_add(b, &app, sizeof(app));
	blob_finish(b);
}

static void ch_name_empty(struct uhv_policy_channel *c) { memset(c->name, 0, sizeof(c->name)); }
static void ch_name_upper(struct uhv_policy_channel *c) { c->name[0] = 'N'; }
static void ch_fe_empty(struct uhv_policy_channel *c) { memset(c->frontend, 0, sizeof(c->frontend)); }
static void ch_fe_full(struct uhv_policy_channel *c) { memset(c->frontend, 'f', sizeof(c->frontend)); }
static void ch_be_pad(struct uhv_policy_channel *c) { c->backend[15] = 'x'; }
static void ch_fe_missing(struct uhv_policy_channel *c) { strcpy(c->frontend, "web"); }
static void ch_be_missing(struct uhv_policy_channel *c) { strcpy(c->backend, "store"); }
static void ch_same(struct uhv_policy_channel *c) { strcpy(c->frontend, "net"); }
static void ch_be_guest(struct uhv_policy_channel *c) { strcpy(c->frontend, "net"); strcpy(c->backend, "app"); }
static void ch_kind0(struct uhv_policy_channel *c) { c->kind = 0; }
static void ch_kind2(struct uhv_policy_channel *c) { c->kind = 2; }
static void ch_flags(struct uhv_policy_channel *c) { c->flags = 2; }
static void ch_reserved(struct uhv_policy_channel *c) { c->reserved = 1; }
static void ch_net_reserved(struct uhv_policy_channel *c) { c->net.reserved = 1; }
static void ch_net_reserved2(struct uhv_policy_channel *c) { c->net.reserved2 = 1; }
static void ch_size0(struct uhv_policy_channel *c) { c->size = 0; }
static void ch_size_big(struct uhv_policy_channel *c) { c->size = 4 * MiB_ + 4096; }
static void ch_size_odd(struct uhv_policy_channel *c) { c->size = 4096 + 512; }
static void ch_mac_zero(struct uhv_policy_channel *c) { memset(c->net.mac, 0, 6); }
static void ch_mac_multicast(struct uhv_policy_channel *c) { c->net.mac[0] = 0x01; }
static void ch_prefix0(struct uhv_policy_channel *c) { c->net.prefix_len = 0; }
static void ch_prefix31(struct uhv_policy_channel *c) { c->net.prefix_len = 31; }
static void ch_ip_network(struct uhv_policy_channel *c) { c->net.ipv4 = 0x0002000a; }
static void ch_ip_broadcast(struct uhv_policy_channel *c) { c->net.ipv4 = 0xff02000a; }
static void ch_gw_subnet(struct uhv_policy_channel *c) { c->net.gateway = 0x0203000a; }
static void ch_gw_same(struct uhv_policy_channel *c) { c->net.gateway = c->net.ipv4; }
static void ch_len(struct uhv_policy_channel *c) { c->record.length = 104; }

static const struct {
	const char *what;
	void (*mutate)(struct uhv_policy_channel *c);
	int err;
	const char *why;
} channel_cases[] = {
	{ "empty name", ch_name_empty, -HV_EINVAL, "channel #1: name is empty" },
	{ "uppercase name", ch_name_upper, -HV_EINVAL,
	  "channel #1: name has character 0x4e at position 0 (only a-z, 0-9 and '-' are allowed)" },
	{ "empty frontend", ch_fe_empty, -HV_EINVAL, "channel 'net-a': frontend is empty" },
	{ "unterminated frontend", ch_fe_full, -HV_EINVAL,
	  "channel 'net-a': frontend is not NUL-terminated within its 16 bytes" },
	{ "bytes after the backend", ch_be_pad, -HV_EINVAL,
	  "channel 'net-a': backend field has nonzero bytes after its NUL" },
	{ "no such frontend", ch_fe_missing, -HV_ENOENT,
	  "channel 'net-a': frontend 'web' is not a VM of this policy" },
	{ "no such backend", ch_be_missing, -HV_ENOENT,
	  "channel 'net-a': backend 'store' is not a VM of this policy" },
	{ "one VM at both ends", ch_same, -HV_EINVAL, "channel 'net-a': frontend and backend are both vm 'net'" },
	{ "backend is a guest", ch_be_guest, -HV_EPERM,
	  "channel 'net-a': backend 'app' is a guest: a backend must be an IOVM" },
	{ "kind 0", ch_kind0, -HV_EINVAL, "channel 'net-a': unknown kind 0 (1 net)" },
	{ "kind 2", ch_kind2, -HV_EINVAL, "channel 'net-a': unknown kind 2 (1 net)" },
	{ "flags", ch_flags, -HV_EINVAL, "channel 'net-a': unknown field: flags 0x2 are not defined" },
	{ "reserved", ch_reserved, -HV_EINVAL, "channel 'net-a': unknown field: reserved bytes are not zero" },
	{ "net reserved", ch_net_reserved, -HV_EINVAL,
	  "channel 'net-a': unknown field: reserved bytes are not zero" },
	{ "net reserved2", ch_net_reserved2, -HV_EINVAL,
	  "channel 'net-a': unknown field: reserved bytes are not zero" },
	{ "size 0", ch_size0, -HV_ERANGE, "channel 'net-a': size 0 bytes is out of range (4 KiB to 4 MiB)" },
	{ "size 4 MiB + 4 KiB", ch_size_big, -HV_ERANGE,
	  "channel 'net-a': size 4100 KiB is out of range (4 KiB to 4 MiB)" },
	{ "size 4.5 KiB", ch_size_odd, -HV_EINVAL, "channel 'net-a': size 0x1200 bytes is not a multiple of 4 KiB" },
	{ "zero MAC", ch_mac_zero, -HV_EINVAL, "channel 'net-a': MAC is zero" },
	{ "multicast MAC", ch_mac_multicast, -HV_EINVAL,
	  "channel 'net-a': MAC 01:54:00:00:00:0a is a multicast address (a NIC needs a unicast one)" },
	{ "prefix 0", ch_prefix0, -HV_ERANGE, "channel 'net-a': prefix length 0 is out of range (1-30)" },
	{ "prefix 31", ch_prefix31, -HV_ERANGE, "channel 'net-a': prefix length 31 is out of range (1-30)" },
	{ "network address", ch_ip_network, -HV_EINVAL,
	  "channel 'net-a': ip 10.0.2.0 is the network address of its subnet /24" },
	{ "broadcast address", ch_ip_broadcast, -HV_EINVAL,
	  "channel 'net-a': ip 10.0.2.255 is the broadcast address of its subnet /24" },
	{ "gateway elsewhere", ch_gw_subnet, -HV_EINVAL,
	  "channel 'net-a': gateway 10.0.3.2 is not in the subnet of 10.0.2.15/24" },
	{ "gateway is the ip", ch_gw_same, -HV_EINVAL, "channel 'net-a': ip and gateway are both 10.0.2.15" },
	{ "length", ch_len, -HV_EBADMSG, "record 1: channel record is 104 bytes, expected 96" },
};

TEST(channel_memory_counts_against_free_ram)
{
	static struct policy pol;
	static struct boot_info bi;
	static struct blob b;
	char why[POLICY_WHY_MAX];
	size_t len;
	uint8_t *image = unit_read_file(TEST_IMAGE, &len);
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 200, 0);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 8 * MiB_, 10, 0);
	struct uhv_policy_channel c = make_channel("net-a", "app", "net", 0x0a);

	fake_module_count = 0;
	memset(&bi, 0, sizeof(bi));
	add_module(&bi, "tiny.elf", image, len);
	c.size = 4 * MiB_;
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	blob_add(&b, &c, sizeof(c));
	blob_finish(&b);
	CHECK_EQ(policy_parse(b.bytes, b.len, &pol, why, sizeof(why)), 0);
	/* 12 MiB of VMs, 4 MiB + 4 KiB of channel. */
	CHECK_EQ(policy_check_resources(&pol, &bi, 16 * MiB_ + 4096, fake_map, why, sizeof(why)), 0);
	check_resources_reject(&pol, &bi, 16 * MiB_, -HV_ENOMEM,
			       "channels: their 4100 KiB of shared memory bring the total to 16388 KiB, "
			       "more than the 16 MiB of free RAM");
	free(image);
}

TEST(rejects_every_bad_channel_field_with_its_message)
{
	static struct blob b;

	for (size_t i = 0; i < sizeof(channel_cases) / sizeof(channel_cases[0]); i++) {
		build_channel(&b, channel_cases[i].mutate);
		check_reject(b.bytes, b.len, channel_cases[i].err, channel_cases[i].why, channel_cases[i].what);
	}
}

TEST(accepts_channel_records_and_resolves_their_ends)
{
	static struct blob b;
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	build_channel(&b, NULL);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(pol.channel_count, 1);
	CHECK_STR_EQ(pol.channels[0].name, "net-a");
	CHECK_EQ(pol.channels[0].frontend, 2);
	CHECK_EQ(pol.channels[0].backend, 1);
	CHECK_EQ(pol.channels[0].kind, UHV_CHANNEL_NET);
	CHECK_EQ(pol.channels[0].size, 256 * 1024);
	CHECK_EQ(pol.channels[0].net.mac[5], 0x0a);
	CHECK_EQ(pol.channels[0].net.prefix_len, 24);
	CHECK_EQ(pol.channel_memory, 256 * 1024 + 4096);
	CHECK_STR_EQ(policy_channel_kind_name(UHV_CHANNEL_NET), "net");

	/* Boundaries: 4 KiB and 4 MiB regions, /1 and /30. */
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 0, 0);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 4 * MiB_, 0, 0);
	struct uhv_policy_channel c1 = make_channel("small", "app", "net", 1);
	struct uhv_policy_channel c2 = make_channel("large", "app", "net", 2);
	c1.size = 4096;
	c1.net.prefix_len = 1;
	c2.size = 4 * MiB_;
	c2.net.prefix_len = 30;
	c2.net.ipv4 = 0x0102000a;	/* 10.0.2.1/30: host 1 of 0..3 */
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	blob_add(&b, &c1, sizeof(c1));
	blob_add(&b, &c2, sizeof(c2));
	blob_finish(&b);
	CHECK_EQ(parse(b.bytes, b.len, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK_EQ(pol.channel_count, 2);
	CHECK_EQ(pol.channel_memory, 4096 + 4 * MiB_ + 2 * 4096);

	/* Two channels with one name; two with one MAC. */
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	blob_add(&b, &c1, sizeof(c1));
	strcpy(c2.name, "small");
	blob_add(&b, &c2, sizeof(c2));
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_EEXIST, "channel 'small': duplicate name (channel #1 has it too)", "dup");
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	blob_add(&b, &c1, sizeof(c1));
	strcpy(c2.name, "large");
	memcpy(c2.net.mac, c1.net.mac, 6);
	blob_add(&b, &c2, sizeof(c2));
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_EEXIST,
		     "channel 'large': MAC 52:54:00:00:00:01 is channel 'small''s too", "dup MAC");
}

TEST(channel_counts_are_limited_per_vm_and_in_all)
{
	static struct blob b;
	struct uhv_policy_vm net = make_vm("net", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 0, 0);
	struct uhv_policy_vm app = make_vm("app", "tiny.elf", UHV_ROLE_GUEST, 4 * MiB_, 0, 0);
	struct uhv_policy_vm web = make_vm("web", "tiny.elf", UHV_ROLE_GUEST, 4 * MiB_, 0, 0);
	struct uhv_policy_vm net2 = make_vm("net2", "tiny.elf", UHV_ROLE_IOVM, 4 * MiB_, 0, 0);
	static struct policy pol;
	char why[POLICY_WHY_MAX];

	/* Eight per VM is the maximum; a ninth is refused. */
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	for (int i = 0; i < 9; i++) {
		struct uhv_policy_channel c = make_channel("", "app", "net", (uint8_t)(2 * i + 2));
		snprintf(c.name, sizeof(c.name), "c%d", i);
		blob_add(&b, &c, sizeof(c));
		if (i == 7) {
			struct blob ok = b;
			blob_finish(&ok);
			CHECK_EQ(parse(ok.bytes, ok.len, &pol, why), 0);
			CHECK_EQ(pol.channel_count, 8);
		}
	}
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_E2BIG, "channel 'c8': vm 'app' would be an end of more than 8 channels",
		     "nine");

	/* Sixteen in all, eight per VM: accepted; a seventeenth: refused. */
	blob_begin(&b);
	blob_add(&b, &net, sizeof(net));
	blob_add(&b, &app, sizeof(app));
	blob_add(&b, &web, sizeof(web));
	blob_add(&b, &net2, sizeof(net2));
	for (int i = 0; i < 17; i++) {
		struct uhv_policy_channel c = make_channel("", i % 2 ? "app" : "web", i < 8 ? "net" : "net2",
							   (uint8_t)(2 * i + 2));
		snprintf(c.name, sizeof(c.name), "c%d", i);
		blob_add(&b, &c, sizeof(c));
		if (i == 15) {
			struct blob ok = b;
			blob_finish(&ok);
			CHECK_EQ(parse(ok.bytes, ok.len, &pol, why), 0);
			CHECK_STR_EQ(why, "");
			CHECK_EQ(pol.channel_count, 16);
		}
	}
	blob_finish(&b);
	check_reject(b.bytes, b.len, -HV_E2BIG, "more than 16 channels", "seventeen");
}

/* ---- policy_check_devices() against a bus made up here. */

static struct pci_device bus[12];
static size_t bus_count;

static struct pci_device *add_fn(uint8_t b, uint8_t d, uint8_t f, uint16_t vendor, uint16_t device,
				 uint32_t class, uint8_t header)
{
	struct pci_device *p = &bus[bus_count++];

	*p = (struct pci_device){
		.sbdf = PCI_SBDF(0, b, d, f), .vendor_id = vendor, .device_id = device,
		.class_code = (uint8_t)(class >> 16), .subclass = (uint8_t)(class >> 8), .prog_if = (uint8_t)class,
		.header_type = header, .bar_count = header == PCI_HEADER_TYPE_NORMAL ? 6 : 2,
	};
	return p;
}

static void add_bar(struct pci_device *p, unsigned int n, enum pci_bar_type type, uint64_t base, uint64_t size)
{
	p->bars[n] = (struct pci_bar){ .type = type, .base = base, .size = size };
}

static void make_bus(void)
{
	struct pci_device *p;

	bus_count = 0;
	add_fn(0, 0, 0, 0x8086, 0x29c0, 0x060000, PCI_HEADER_TYPE_NORMAL);		/* host bridge */
	p = add_fn(0, 2, 0, 0x8086, 0x100e, 0x020000, PCI_HEADER_TYPE_NORMAL);	/* e1000 */
	add_bar(p, 0, PCI_BAR_MEM32, 0xfebc0000, 0x20000);
	add_bar(p, 1, PCI_BAR_IO, 0xc000, 0x40);
	p = add_fn(0, 3, 0, 0x1b36, 0x0010, 0x010802, PCI_HEADER_TYPE_NORMAL);	/* PCIe NVMe */
	add_bar(p, 0, PCI_BAR_MEM64, 0xfebf0000, 0x4000);
	p->caps[p->cap_count++] = (struct pci_cap){ .id = PCI_CAP_ID_EXP, .offset = 0x80 };
	p = add_fn(0, 0x1e, 0, 0x8086, 0x244e, 0x060400, PCI_HEADER_TYPE_BRIDGE);	/* PCIe-to-PCI bridge */
	p->secondary_bus = p->subordinate_bus = 1;
	p = add_fn(1, 3, 0, 0x10ec, 0x8139, 0x020000, PCI_HEADER_TYPE_NORMAL);	/* conventional, behind it */
	add_bar(p, 0, PCI_BAR_MEM32, 0xfe800000, 0x1000);
	p = add_fn(1, 4, 0, 0x10ec, 0x8139, 0x020000, PCI_HEADER_TYPE_NORMAL);
	add_bar(p, 0, PCI_BAR_MEM32, 0xfe801000, 0x1000);
	p = add_fn(0, 5, 0, 0x1234, 0x0001, 0x078000, PCI_HEADER_TYPE_NORMAL);	/* BAR inside RAM */
	add_bar(p, 0, PCI_BAR_MEM32, 0x200000, 0x1000);
	p = add_fn(0, 6, 0, 0x1234, 0x0002, 0x078000, PCI_HEADER_TYPE_NORMAL);	/* 256 bytes ... */
	add_bar(p, 0, PCI_BAR_MEM32, 0xfe900000, 0x100);
	p = add_fn(0, 7, 0, 0x1234, 0x0003, 0x078000, PCI_HEADER_TYPE_NORMAL);	/* ... in the same page */
	add_bar(p, 0, PCI_BAR_MEM32, 0xfe900100, 0x100);
	p = add_fn(0, 8, 0, 0x1234, 0x0004, 0x078000, PCI_HEADER_TYPE_NORMAL);	/* I/O BAR over 0xcf8 */
	add_bar(p, 0, PCI_BAR_IO, 0xcf0, 0x10);
}

/* A policy: net (IOVM, 4 MiB), store (IOVM, 4 MiB), app (guest); devices as given. */
static void devices_policy(struct policy *pol, const struct policy_device *devs, uint32_t n)
{
	memset(pol, 0, sizeof(*pol));
	pol->vm_count = 3;
	pol->vms[0] = (struct policy_vm){ .id = 1, .name = "net", .role = UHV_ROLE_IOVM, .memory_size = 4 * MiB_ };
	pol->vms[1] = (struct policy_vm){ .id = 2, .name = "store", .role = UHV_ROLE_IOVM, .memory_size = 4 * MiB_ };
	pol->vms[2] = (struct policy_vm){ .id = 3, .name = "app", .role = UHV_ROLE_GUEST, .memory_size = 4 * MiB_ };
	if (n)
		memcpy(pol->devices, devs, n * sizeof(*devs));
	pol->device_count = n;
}

#define BY_ID(nm, own, v, d, fl) { .name = nm, .owner = own, .match = UHV_DEVICE_MATCH_ID, .vendor_id = v, .device_id = d, .flags = fl }
#define BY_BDF(nm, own, b, dv, fn, fl) { .name = nm, .owner = own, .match = UHV_DEVICE_MATCH_BDF, .sbdf = PCI_SBDF(0, b, dv, fn), .flags = fl }
#define BY_CLASS(nm, own, c, m, fl) { .name = nm, .owner = own, .match = UHV_DEVICE_MATCH_CLASS, .class_code = c, .class_mask = m, .flags = fl }

static int check_devs(const struct policy_device *devs, uint32_t n, bool iommu, struct policy *pol, char *why)
{
	make_bus();
	devices_policy(pol, devs, n);
	return policy_check_devices(pol, bus, bus_count, iommu, why, POLICY_WHY_MAX);
}

TEST(devices_are_assigned_to_their_owners)
{
	static struct policy pol;
	char why[POLICY_WHY_MAX];
	const struct policy_device devs[] = {
		BY_ID("nic", 1, 0x8086, 0x100e, 0),
		BY_CLASS("nvme", 2, 0x010802, 0xffffff, 0),
		BY_CLASS("old", 1, 0x020000, 0xffff00, UHV_DEVICE_SHARED_REQUESTER_ID_OK),
	};

	/* "old" matches 00:02.0 too, which "nic" has: refused, naming both owners. */
	CHECK_EQ(check_devs(devs, 3, true, &pol, why), -HV_EEXIST);
	CHECK_STR_EQ(why, "device 'old': 00:02.0 is matched twice: device 'nic' gives it to vm 'net', "
			  "device 'old' to vm 'net'");
	CHECK(!pol.devices_checked);
	CHECK_EQ(pol.assignment_count, 0);

	const struct policy_device ok[] = {
		BY_ID("nic", 1, 0x8086, 0x100e, 0),
		BY_CLASS("nvme", 2, 0x010802, 0xffffff, 0),
		BY_ID("old", 1, 0x10ec, 0x8139, UHV_DEVICE_SHARED_REQUESTER_ID_OK),
	};
	CHECK_EQ(check_devs(ok, 3, true, &pol, why), 0);
	CHECK_STR_EQ(why, "");
	CHECK(pol.devices_checked);
	CHECK(!pol.unprotected_dma);
	CHECK_EQ(pol.assignment_count, 4);
	CHECK_EQ(pol.assignments[0].sbdf, PCI_SBDF(0, 0, 2, 0));
	CHECK_EQ(pol.assignments[0].owner, 1);
	CHECK_EQ(pol.assignments[1].sbdf, PCI_SBDF(0, 0, 3, 0));
	CHECK_EQ(pol.assignments[1].owner, 2);
	CHECK_EQ(pol.assignments[1].device, 1);
	CHECK_EQ(pol.assignments[2].sbdf, PCI_SBDF(0, 1, 3, 0));
	CHECK_EQ(pol.assignments[3].sbdf, PCI_SBDF(0, 1, 4, 0));
	CHECK_EQ(pol.assignments[3].device, 2);

	/* Without an IOMMU: only with unprotected-dma on every record. */
	CHECK_EQ(check_devs(ok, 1, false, &pol, why), -HV_EPERM);
	CHECK_STR_EQ(why, "device 'nic': no IOMMU (no ACPI DMAR table): 00:02.0 could DMA into any memory; "
			  "add flags = unprotected-dma to assign it anyway");
	const struct policy_device unprotected[] = { BY_ID("nic", 1, 0x8086, 0x100e, UHV_DEVICE_UNPROTECTED_DMA) };
	CHECK_EQ(check_devs(unprotected, 1, false, &pol, why), 0);
	CHECK(pol.unprotected_dma);
	/* The same record with an IOMMU: nothing unprotected. */
	CHECK_EQ(check_devs(unprotected, 1, true, &pol, why), 0);
	CHECK(!pol.unprotected_dma);
	/* No device records at all. */
	CHECK_EQ(check_devs(NULL, 0, false, &pol, why), 0);
	CHECK(pol.devices_checked);
	CHECK(!pol.unprotected_dma);
}

TEST(device_refusals_name_the_record_and_the_reason)
{
	static struct policy pol;
	char why[POLICY_WHY_MAX];
	static const struct {
		struct policy_device dev[2];
		uint32_t n;
		int err;
		const char *why;
	} cases[] = {
		{ { BY_BDF("nvme", 1, 0, 0x1f, 7, 0) }, 1, -HV_ENODEV,
		  "device 'nvme' (bdf 00:1f.7) matches no PCI function present" },
		{ { BY_ID("x", 1, 0x1af4, 0x1000, 0) }, 1, -HV_ENODEV,
		  "device 'x' (id 1af4:1000) matches no PCI function present" },
		{ { BY_CLASS("gpu", 1, 0x030000, 0xff0000, 0) }, 1, -HV_ENODEV,
		  "device 'gpu' (class 03.00.00/ff0000) matches no PCI function present" },
		{ { BY_BDF("hb", 1, 0, 0, 0, 0) }, 1, -HV_EPERM,
		  "device 'hb': 00:00.0 (8086:29c0, class 06.00.00) is a bridge: bridges are never assignable" },
		{ { BY_CLASS("bridges", 1, 0x060400, 0xffff00, 0) }, 1, -HV_EPERM,
		  "device 'bridges': 00:1e.0 (8086:244e, class 06.04.00) is a bridge: bridges are never assignable" },
		{ { BY_BDF("old", 1, 1, 3, 0, 0) }, 1, -HV_EPERM,
		  "device 'old': 01:03.0 shares its requester id with every function behind bridge 00:1e.0 "
		  "(conventional PCI behind a bridge: the IOMMU cannot tell their DMA apart); "
		  "add flags = shared-requester-id-ok to accept that" },
		{ { BY_BDF("a", 1, 1, 3, 0, UHV_DEVICE_SHARED_REQUESTER_ID_OK),
		    BY_BDF("b", 2, 1, 4, 0, UHV_DEVICE_SHARED_REQUESTER_ID_OK) }, 2, -HV_EPERM,
		  "device 'b': 01:04.0 and 01:03.0 share a requester id behind bridge 00:1e.0 "
		  "but would go to vm 'store' and vm 'net'" },
		{ { BY_ID("ram", 1, 0x1234, 0x0001, 0) }, 1, -HV_ERANGE,
		  "device 'ram': 00:05.0 BAR0 0x200000-0x200fff is overlapping memory: vm 'net' has RAM at "
		  "0-0x3fffff, and BARs appear at their host-physical address" },
		{ { BY_ID("small", 2, 0x1234, 0x0002, 0) }, 1, -HV_ERANGE,
		  "device 'small': 00:06.0 BAR0 0xfe900000 shares its pages with 00:07.0 BAR0 0xfe900100: "
		  "mapping it would expose the other function" },
		{ { BY_ID("cf8", 1, 0x1234, 0x0004, 0) }, 1, -HV_ERANGE,
		  "device 'cf8': 00:08.0 BAR0 ports 0xcf0-0xcff overlap the PCI configuration ports 0xcf8-0xcff" },
		{ { BY_ID("nic", 1, 0x8086, 0x100e, 0), BY_BDF("nic2", 2, 0, 2, 0, 0) }, 2, -HV_EEXIST,
		  "device 'nic2': 00:02.0 is matched twice: device 'nic' gives it to vm 'net', device 'nic2' to vm 'store'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = check_devs(cases[i].dev, cases[i].n, true, &pol, why);

		if (got != cases[i].err || strcmp(why, cases[i].why))
			unit_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\", expected %d \"%s\"",
				  i, got, why, cases[i].err, cases[i].why);
		CHECK(!pol.devices_checked);
		CHECK_EQ(pol.assignment_count, 0);
	}
}
