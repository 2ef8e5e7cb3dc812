// SPDX-License-Identifier: MIT
/*
 * hypervisor/pci.c: BAR decoding, capability walks, and the whole
 * enumeration run against a simulated bus that behaves like hardware
 * (read-only BAR bits, sizing by writing all ones, absent functions read
 * all ones).
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/console.h>
#include <hv/pci.h>
#include <hv/time.h>

#include "unit.h"

/* ---- what console.c needs on the host ---- */

static char console_log[65536];
static size_t console_len;

void serial_write(const char *s, size_t len)
{
	if (console_len + len < sizeof(console_log)) {
		memcpy(console_log + console_len, s, len);
		console_len += len;
		console_log[console_len] = '\0';
	}
}

bool time_ns_since_boot(uint64_t *ns)
{
	(void)ns;
	return false;
}

/* ---- BAR decoding ---- */

static int decode1(uint32_t orig, uint32_t sized, struct pci_bar *bar)
{
	return pci_bar_decode(&orig, &sized, 6, bar);
}

TEST(bar_mem32)
{
	struct pci_bar b;

	CHECK_EQ(decode1(0xfebc0000, 0xfffe0000, &b), 1);
	CHECK_EQ(b.type, PCI_BAR_MEM32);
	CHECK_EQ(b.base, 0xfebc0000);
	CHECK_EQ(b.size, 128 * 1024);
	CHECK(!b.prefetchable);
}

TEST(bar_mem32_prefetchable)
{
	struct pci_bar b;

	CHECK_EQ(decode1(0xfd000008, 0xff000008, &b), 1);
	CHECK_EQ(b.type, PCI_BAR_MEM32);
	CHECK(b.prefetchable);
	CHECK_EQ(b.base, 0xfd000000);
	CHECK_EQ(b.size, 16 * 1024 * 1024);
}

TEST(bar_mem64_small_and_above_4g)
{
	uint32_t orig[2] = { 0xfebf0004, 0 }, sized[2] = { 0xffffc004, 0xffffffff };
	uint32_t orig_big[2] = { 0x0000000c, 0x4 }, sized_big[2] = { 0x0000000c, 0xfffffffe };
	struct pci_bar b;

	CHECK_EQ(pci_bar_decode(orig, sized, 6, &b), 2);
	CHECK_EQ(b.type, PCI_BAR_MEM64);
	CHECK_EQ(b.base, 0xfebf0000);
	CHECK_EQ(b.size, 16 * 1024);

	/* 8 GiB, prefetchable, at 16 GiB: the low half's address bits all read back 0. */
	CHECK_EQ(pci_bar_decode(orig_big, sized_big, 2, &b), 2);
	CHECK_EQ(b.type, PCI_BAR_MEM64);
	CHECK(b.prefetchable);
	CHECK_EQ(b.base, 0x400000000ULL);
	CHECK_EQ(b.size, 0x200000000ULL);
}

TEST(bar_io_including_16_bit_decoders)
{
	struct pci_bar b;

	CHECK_EQ(decode1(0xc001, 0xffffffc1, &b), 1);
	CHECK_EQ(b.type, PCI_BAR_IO);
	CHECK_EQ(b.base, 0xc000);
	CHECK_EQ(b.size, 64);
	/* Upper 16 bits read back 0 on a device that decodes only 16 address bits. */
	CHECK_EQ(decode1(0xc041, 0x0000ffc1, &b), 1);
	CHECK_EQ(b.type, PCI_BAR_IO);
	CHECK_EQ(b.base, 0xc040);
	CHECK_EQ(b.size, 64);
}

TEST(bar_unimplemented)
{
	uint32_t z[2] = { 0, 0 }, orig64[2] = { 4, 0 };
	struct pci_bar b;

	CHECK_EQ(decode1(0, 0, &b), 1);
	CHECK_EQ(b.type, PCI_BAR_NONE);
	CHECK_EQ(b.size, 0);
	/* A 64-bit BAR that sizes to 0 still owns both registers. */
	CHECK_EQ(pci_bar_decode(orig64, orig64, 6, &b), 2);
	CHECK_EQ(b.type, PCI_BAR_NONE);
	CHECK_EQ(pci_bar_decode(z, z, 0, &b), -HV_EINVAL);
}

TEST(bar_malformed_is_rejected)
{
	uint32_t orig64[2] = { 0xfebf0004, 0 }, sized64[2] = { 0xffffc004, 0xffffffff };
	struct pci_bar b;

	CHECK_EQ(decode1(0xfe000000, 0xfff0f000, &b), -HV_EIO);	/* mask with a hole */
	CHECK_EQ(decode1(0xfe000006, 0xfff00006, &b), -HV_EIO);	/* memory type 11b is reserved */
	CHECK_EQ(decode1(0xfebc1000, 0xfffe0000, &b), -HV_EIO);	/* base not aligned to size */
	CHECK_EQ(decode1(0x00000000, 0xfffe0008, &b), -HV_EIO);	/* read-only prefetch bit changed */
	CHECK_EQ(decode1(0xc001, 0xffffffc0, &b), -HV_EIO);	/* I/O space bit lost */
	CHECK_EQ(decode1(0xc001, 0xff00ffc1, &b), -HV_EIO);	/* I/O mask with a hole */
	CHECK_EQ(pci_bar_decode(orig64, sized64, 1, &b), -HV_EIO);	/* 64-bit in the last register */
	CHECK_EQ(b.type, PCI_BAR_NONE);
}

/* ---- capability lists over a synthetic configuration space ---- */

struct space {
	uint8_t b[PCI_CFG_SPACE_EXP_SIZE];
};

static uint32_t space_read(void *ctx, uint16_t off, unsigned int size)
{
	const struct space *s = ctx;
	uint32_t v = 0;

	if (off + size > sizeof(s->b)) {
		unit_fail(__FILE__, __LINE__, "read past configuration space at %#x", off);
		return UINT32_MAX;
	}
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)s->b[off + i] << (8 * i);
	return v;
}

static void put16(struct space *s, uint16_t off, uint16_t v) { s->b[off] = (uint8_t)v; s->b[off + 1] = (uint8_t)(v >> 8); }
static void put32(struct space *s, uint16_t off, uint32_t v) { put16(s, off, (uint16_t)v); put16(s, off + 2, (uint16_t)(v >> 16)); }

static void add_cap(struct space *s, uint8_t at, uint8_t id, uint8_t next)
{
	s->b[at + PCI_CAP_LIST_ID] = id;
	s->b[at + PCI_CAP_LIST_NEXT] = next;
}

static void with_cap_list(struct space *s, uint8_t first)
{
	memset(s, 0, sizeof(*s));
	put16(s, PCI_STATUS, PCI_STATUS_CAP_LIST);
	s->b[PCI_CAPABILITY_LIST] = first;
}

TEST(cap_walk_follows_the_list)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	with_cap_list(&s, 0x40);
	add_cap(&s, 0x40, PCI_CAP_ID_MSIX, 0x80);
	add_cap(&s, 0x80, PCI_CAP_ID_EXP, 0x60);
	add_cap(&s, 0x60, PCI_CAP_ID_PM, 0x00);
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), 3);
	CHECK_EQ(caps[0].id, PCI_CAP_ID_MSIX);
	CHECK_EQ(caps[0].offset, 0x40);
	CHECK_EQ(caps[1].id, PCI_CAP_ID_EXP);
	CHECK_EQ(caps[1].offset, 0x80);
	CHECK_EQ(caps[2].id, PCI_CAP_ID_PM);
	CHECK_EQ(caps[2].offset, 0x60);
}

TEST(cap_walk_needs_the_status_bit)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	with_cap_list(&s, 0x40);
	add_cap(&s, 0x40, PCI_CAP_ID_MSI, 0);
	put16(&s, PCI_STATUS, 0);
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), 0);
}

TEST(cap_walk_rejects_loops)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	with_cap_list(&s, 0x40);
	add_cap(&s, 0x40, PCI_CAP_ID_MSI, 0x50);
	add_cap(&s, 0x50, PCI_CAP_ID_PM, 0x40);		/* back to the first */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), -HV_EBADMSG);

	add_cap(&s, 0x40, PCI_CAP_ID_MSI, 0x40);	/* to itself */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), -HV_EBADMSG);

	/* A long loop is caught even with room for many entries. */
	with_cap_list(&s, 0x40);
	for (unsigned int at = 0x40; at < 0xfc; at += 4)
		add_cap(&s, (uint8_t)at, PCI_CAP_ID_VNDR, (uint8_t)(at + 4));
	add_cap(&s, 0xfc, PCI_CAP_ID_VNDR, 0x80);
	struct pci_cap many[64];
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, many, 64), -HV_EBADMSG);
}

TEST(cap_walk_rejects_pointers_into_the_header)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	with_cap_list(&s, 0x10);			/* first pointer at BAR0 */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), -HV_EBADMSG);

	with_cap_list(&s, 0x40);
	add_cap(&s, 0x40, PCI_CAP_ID_MSI, 0x3c);	/* next pointer at 0x3c */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), -HV_EBADMSG);
}

TEST(cap_walk_masks_reserved_pointer_bits)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	with_cap_list(&s, 0x43);
	add_cap(&s, 0x40, PCI_CAP_ID_MSI, 0x52);
	add_cap(&s, 0x50, PCI_CAP_ID_PM, 0x01);		/* 0x01 masks to 0: end */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), 2);
	CHECK_EQ(caps[0].offset, 0x40);
	CHECK_EQ(caps[1].offset, 0x50);
}

TEST(cap_walk_bounds)
{
	struct space s;
	struct pci_cap caps[64];

	/* The longest legal list: every dword from 0x40 to 0xfc. */
	with_cap_list(&s, 0x40);
	for (unsigned int at = 0x40; at < 0xfc; at += 4)
		add_cap(&s, (uint8_t)at, PCI_CAP_ID_VNDR, (uint8_t)(at + 4));
	add_cap(&s, 0xfc, PCI_CAP_ID_VNDR, 0);
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, 64), 48);
	CHECK_EQ(caps[47].offset, 0xfc);
	/* More than the caller has room for. */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, 2), -HV_E2BIG);
}

TEST(cap_walk_of_a_vanished_device_terminates)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_CAPS];

	memset(&s, 0xff, sizeof(s));			/* every read all ones */
	CHECK_EQ(pci_cap_walk(space_read, &s, PCI_CAPABILITY_LIST, caps, PCI_MAX_CAPS), -HV_EBADMSG);
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, PCI_MAX_CAPS), 0);
}

TEST(ext_cap_walk)
{
	struct space s;
	struct pci_cap caps[PCI_MAX_EXT_CAPS];

	memset(&s, 0, sizeof(s));
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, PCI_MAX_EXT_CAPS), 0);

	put32(&s, 0x100, PCI_EXT_CAP_ID_ERR | 1U << PCI_EXT_CAP_VER_SHIFT | 0x148U << PCI_EXT_CAP_NEXT_SHIFT);
	put32(&s, 0x148, PCI_EXT_CAP_ID_SRIOV | 1U << PCI_EXT_CAP_VER_SHIFT);
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, PCI_MAX_EXT_CAPS), 2);
	CHECK_EQ(caps[0].id, PCI_EXT_CAP_ID_ERR);
	CHECK_EQ(caps[0].offset, 0x100);
	CHECK_EQ(caps[1].id, PCI_EXT_CAP_ID_SRIOV);
	CHECK_EQ(caps[1].offset, 0x148);

	put32(&s, 0x148, PCI_EXT_CAP_ID_SRIOV | 0x100U << PCI_EXT_CAP_NEXT_SHIFT);	/* loop */
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, PCI_MAX_EXT_CAPS), -HV_EBADMSG);
	put32(&s, 0x148, PCI_EXT_CAP_ID_SRIOV | 0x080U << PCI_EXT_CAP_NEXT_SHIFT);	/* below 0x100 */
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, PCI_MAX_EXT_CAPS), -HV_EBADMSG);
	put32(&s, 0x148, PCI_EXT_CAP_ID_SRIOV | 0x200U << PCI_EXT_CAP_NEXT_SHIFT);
	put32(&s, 0x200, PCI_EXT_CAP_ID_ATS);
	CHECK_EQ(pci_ext_cap_walk(space_read, &s, caps, 2), -HV_E2BIG);
}

/* ---- a simulated bus for the enumeration ---- */

struct fake_fn {
	pci_sbdf_t sbdf;
	struct space cfg;
	uint32_t bar_writable[PCI_NUM_BARS];	/* bits software can set in each BAR */
	bool decode_violation;			/* all ones written to a BAR while decoding */
	bool accessed_beyond_256;
};

#define MAX_FAKE 16
static struct fake_fn fakes[MAX_FAKE];
static unsigned int fake_count;
static unsigned long cfg_reads;		/* since the last build_bus() */

static struct fake_fn *fake_find(pci_sbdf_t sbdf)
{
	for (unsigned int i = 0; i < fake_count; i++)
		if (fakes[i].sbdf == sbdf)
			return &fakes[i];
	return NULL;
}

int pci_cfg_init(struct pci_cfg_range *ranges, size_t max)
{
	CHECK(max >= 1);
	ranges[0] = (struct pci_cfg_range){ .segment = 0, .bus_start = 0, .bus_end = 2, .extended = true };
	return 1;
}

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	struct fake_fn *f = fake_find(sbdf);

	cfg_reads++;
	CHECK(size == 1 || size == 2 || size == 4);
	CHECK((offset & (size - 1)) == 0);
	if (!f)
		return size == 4 ? UINT32_MAX : (1U << (8 * size)) - 1;
	return space_read(&f->cfg, offset, size);
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	struct fake_fn *f = fake_find(sbdf);

	CHECK((offset & (size - 1)) == 0);
	if (!f)
		return;
	if (offset == PCI_COMMAND && size == 2) {
		put16(&f->cfg, PCI_COMMAND, (uint16_t)value);
		return;
	}
	if (offset == PCI_STATUS || (offset == PCI_COMMAND && size == 4)) {
		unit_fail(__FILE__, __LINE__, "write to the status register (write-1-to-clear)");
		return;
	}
	if (offset >= PCI_BASE_ADDRESS_0 && offset < PCI_BASE_ADDRESS(PCI_NUM_BARS) && size == 4) {
		unsigned int n = (offset - PCI_BASE_ADDRESS_0) / 4;
		uint32_t old = space_read(&f->cfg, offset, 4);
		uint16_t cmd = (uint16_t)space_read(&f->cfg, PCI_COMMAND, 2);
		bool host_bridge = f->cfg.b[PCI_CLASS_CODE] == 0x06 && f->cfg.b[PCI_CLASS_DEVICE] == 0x00;

		if (value == UINT32_MAX && (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) && !host_bridge &&
		    f->bar_writable[n])
			f->decode_violation = true;
		put32(&f->cfg, offset, (old & ~f->bar_writable[n]) | (value & f->bar_writable[n]));
		return;
	}
	unit_fail(__FILE__, __LINE__, "unexpected configuration write at %#x", offset);
}

static struct fake_fn *fake_add(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
				uint32_t class_rev, uint8_t header)
{
	struct fake_fn *f = &fakes[fake_count++];

	memset(f, 0, sizeof(*f));
	f->sbdf = PCI_SBDF(0, bus, dev, fn);
	put16(&f->cfg, PCI_VENDOR_ID, vendor);
	put16(&f->cfg, PCI_DEVICE_ID, device);
	put32(&f->cfg, PCI_REVISION_ID, class_rev);
	f->cfg.b[PCI_HEADER_TYPE] = header;
	put16(&f->cfg, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return f;
}

/* A BAR with the given firmware-assigned value and size; type bits come from `value`. */
static void fake_bar(struct fake_fn *f, unsigned int n, uint32_t value, uint32_t size_mask)
{
	put32(&f->cfg, PCI_BASE_ADDRESS(n), value);
	f->bar_writable[n] = size_mask;
}

static void build_bus(void)
{
	struct fake_fn *f;

	fake_count = 0;
	cfg_reads = 0;
	/* 00:00.0 host bridge: no BARs. */
	fake_add(0, 0, 0, 0x8086, 0x29c0, 0x06000000, PCI_HEADER_TYPE_NORMAL);

	/* 00:02.0 e1000: BAR0 mem32 128 KiB, BAR1 io 64 bytes, INTA. */
	f = fake_add(0, 2, 0, 0x8086, 0x100e, 0x02000003, PCI_HEADER_TYPE_NORMAL);
	fake_bar(f, 0, 0xfebc0000, 0xfffe0000);
	fake_bar(f, 1, 0x0000c001, 0xffffffc0);
	f->cfg.b[PCI_INTERRUPT_PIN] = 1;
	f->cfg.b[PCI_INTERRUPT_LINE] = 11;

	/* 00:03.0 NVMe: BAR0 mem64 16 KiB; MSI-X, PCIe, PM; AER and SR-IOV extended. */
	f = fake_add(0, 3, 0, 0x1b36, 0x0010, 0x01080202, PCI_HEADER_TYPE_NORMAL);
	fake_bar(f, 0, 0xfebf0004, 0xffffc000);
	fake_bar(f, 1, 0x00000000, 0xffffffff);		/* upper half of BAR0 */
	put16(&f->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	f->cfg.b[PCI_CAPABILITY_LIST] = 0x40;
	add_cap(&f->cfg, 0x40, PCI_CAP_ID_MSIX, 0x80);
	add_cap(&f->cfg, 0x80, PCI_CAP_ID_EXP, 0x60);
	add_cap(&f->cfg, 0x60, PCI_CAP_ID_PM, 0x00);
	put32(&f->cfg, 0x100, PCI_EXT_CAP_ID_ERR | 0x148U << PCI_EXT_CAP_NEXT_SHIFT);
	put32(&f->cfg, 0x148, PCI_EXT_CAP_ID_SRIOV);

	/* 00:04.0 multi-function: functions 0 and 3. */
	fake_add(0, 4, 0, 0x8086, 0x2918, 0x06010002, PCI_HEADER_TYPE_NORMAL | PCI_HEADER_TYPE_MULTI_FUNCTION);
	f = fake_add(0, 4, 3, 0x8086, 0x2930, 0x0c050002, PCI_HEADER_TYPE_NORMAL);
	fake_bar(f, 4, 0x00000701, 0xffffffc0);

	/* 00:05.0 single-function, yet something answers at 00:05.1: must not be listed. */
	fake_add(0, 5, 0, 0x1234, 0x1111, 0x03000002, PCI_HEADER_TYPE_NORMAL);
	fake_add(0, 5, 1, 0x1234, 0x1111, 0x03000002, PCI_HEADER_TYPE_NORMAL);

	/* 00:06.0 with a malformed BAR (mask with a hole) and a looping capability list. */
	f = fake_add(0, 6, 0, 0x10ec, 0x8139, 0x02000020, PCI_HEADER_TYPE_NORMAL);
	fake_bar(f, 0, 0xfe000000, 0xfff0f000);
	fake_bar(f, 2, 0xfd000000, 0xfff00000);
	put16(&f->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	f->cfg.b[PCI_CAPABILITY_LIST] = 0x50;
	add_cap(&f->cfg, 0x50, PCI_CAP_ID_MSI, 0x50);

	/* 00:1e.0 PCI-to-PCI bridge to bus 1; 01:00.0 behind it with a 64-bit BAR above 4 GiB. */
	f = fake_add(0, 0x1e, 0, 0x8086, 0x244e, 0x06040092, PCI_HEADER_TYPE_BRIDGE);
	f->cfg.b[PCI_SECONDARY_BUS] = 1;
	f->cfg.b[PCI_SUBORDINATE_BUS] = 1;
	f = fake_add(1, 0, 0, 0x8086, 0x10d3, 0x02000000, PCI_HEADER_TYPE_NORMAL);
	fake_bar(f, 2, 0x0000000c, 0x00000000);
	fake_bar(f, 3, 0x00000001, 0xffffffff);		/* 4 GiB at 4 GiB */
}

TEST(enumeration_finds_every_function_and_only_those)
{
	size_t n;
	const struct pci_device *all;

	build_bus();
	CHECK_EQ(pci_init(), 9);
	all = pci_devices(&n);
	CHECK_EQ(n, 9);
	CHECK_EQ(all[0].sbdf, PCI_SBDF(0, 0, 0, 0));
	CHECK_EQ(all[n - 1].sbdf, PCI_SBDF(0, 1, 0, 0));
	CHECK(pci_find(PCI_SBDF(0, 4, 3, 0)) == NULL);	/* that is 00:00.3 */
	CHECK(pci_find(PCI_SBDF(0, 0, 4, 3)) != NULL);
	CHECK(pci_find(PCI_SBDF(0, 0, 4, 1)) == NULL);
	CHECK(pci_find(PCI_SBDF(0, 0, 5, 1)) == NULL);	/* multi-function bit clear */
	CHECK(pci_find(PCI_SBDF(0, 2, 0, 0)) == NULL);
	/* Brute force: 3 buses x 32 devices probed, not 3 x 256 functions. */
	CHECK(cfg_reads < 3 * 32 * 2 + 400);
}

TEST(enumeration_records_ids_class_and_interrupt)
{
	build_bus();
	pci_init();
	const struct pci_device *d = pci_find(PCI_SBDF(0, 0, 2, 0));

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ(d->vendor_id, 0x8086);
	CHECK_EQ(d->device_id, 0x100e);
	CHECK_EQ(d->class_code, 0x02);
	CHECK_EQ(d->subclass, 0x00);
	CHECK_EQ(d->revision, 0x03);
	CHECK_EQ(d->interrupt_pin, 1);
	CHECK_EQ(d->interrupt_line, 11);
	CHECK(strstr(console_log, "pci: 00:02.0 8086:100e class 02.00.00 Ethernet controller") != NULL);

	const struct pci_device *br = pci_find(PCI_SBDF(0, 0, 0x1e, 0));
	CHECK(br != NULL);
	if (br) {
		CHECK_EQ(br->header_type, PCI_HEADER_TYPE_BRIDGE);
		CHECK_EQ(br->bar_count, 2);
		CHECK_EQ(br->secondary_bus, 1);
	}
}

TEST(enumeration_sizes_bars_with_decoding_off_and_restores)
{
	build_bus();
	pci_init();

	const struct pci_device *e1000 = pci_find(PCI_SBDF(0, 0, 2, 0));
	const struct pci_device *nvme = pci_find(PCI_SBDF(0, 0, 3, 0));
	const struct pci_device *big = pci_find(PCI_SBDF(0, 1, 0, 0));
	CHECK(e1000 && nvme && big);
	if (!e1000 || !nvme || !big)
		return;

	CHECK_EQ(e1000->bars[0].type, PCI_BAR_MEM32);
	CHECK_EQ(e1000->bars[0].base, 0xfebc0000);
	CHECK_EQ(e1000->bars[0].size, 0x20000);
	CHECK_EQ(e1000->bars[1].type, PCI_BAR_IO);
	CHECK_EQ(e1000->bars[1].base, 0xc000);
	CHECK_EQ(e1000->bars[1].size, 64);
	CHECK_EQ(e1000->bars[2].type, PCI_BAR_NONE);

	CHECK_EQ(nvme->bars[0].type, PCI_BAR_MEM64);
	CHECK_EQ(nvme->bars[0].size, 0x4000);
	CHECK_EQ(nvme->bars[1].type, PCI_BAR_NONE);	/* the upper half */

	CHECK_EQ(big->bars[2].type, PCI_BAR_MEM64);
	CHECK(big->bars[2].prefetchable);
	CHECK_EQ(big->bars[2].base, 0x100000000ULL);
	CHECK_EQ(big->bars[2].size, 0x100000000ULL);

	for (unsigned int i = 0; i < fake_count; i++) {
		struct fake_fn *f = &fakes[i];

		CHECK(!f->decode_violation);
		/* Command register and BARs hold what firmware put there. */
		CHECK_EQ(space_read(&f->cfg, PCI_COMMAND, 2), PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	CHECK_EQ(space_read(&fakes[1].cfg, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(space_read(&fakes[1].cfg, PCI_BASE_ADDRESS(1), 4), 0xc001);
	CHECK_EQ(space_read(&fakes[2].cfg, PCI_BASE_ADDRESS(0), 4), 0xfebf0004);
}

TEST(enumeration_survives_malformed_functions)
{
	build_bus();
	console_len = 0;
	pci_init();

	const struct pci_device *d = pci_find(PCI_SBDF(0, 0, 6, 0));
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ(d->bars[0].type, PCI_BAR_NONE);	/* malformed: ignored */
	CHECK_EQ(d->bars[2].type, PCI_BAR_MEM32);	/* the next one still decoded */
	CHECK_EQ(d->bars[2].size, 0x100000);
	CHECK_EQ(d->cap_count, 0);			/* looping list: none recorded */
	CHECK(strstr(console_log, "00:06.0 BAR0 is malformed") != NULL);
	CHECK(strstr(console_log, "00:06.0 capability list is malformed") != NULL);
}

TEST(enumeration_records_capabilities)
{
	build_bus();
	pci_init();

	const struct pci_device *d = pci_find(PCI_SBDF(0, 0, 3, 0));
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ(d->cap_count, 3);
	CHECK_EQ(pci_find_cap(d, PCI_CAP_ID_MSIX), 0x40);
	CHECK_EQ(pci_find_cap(d, PCI_CAP_ID_EXP), 0x80);
	CHECK_EQ(pci_find_cap(d, PCI_CAP_ID_PM), 0x60);
	CHECK_EQ(pci_find_cap(d, PCI_CAP_ID_MSI), 0);
	CHECK_EQ(d->ext_cap_count, 2);
	CHECK_EQ(d->ext_caps[1].id, PCI_EXT_CAP_ID_SRIOV);
	CHECK_EQ(d->ext_caps[1].offset, 0x148);

	/* Not PCI Express: the extended space is not walked. */
	const struct pci_device *e = pci_find(PCI_SBDF(0, 0, 2, 0));
	CHECK(e && e->ext_cap_count == 0);
}
