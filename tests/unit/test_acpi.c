// SPDX-License-Identifier: MIT
/*
 * hypervisor/acpi_tables.c on tables captured from QEMU q35 (with
 * intel-iommu) and Bochs by the "acpidump" boot option, and on corrupted and
 * synthetic tables. The expected values are what those emulators really
 * report (see the fixtures' boot logs), not what the spec suggests: e.g.
 * QEMU 7.2's DRHD does not set INCLUDE_PCI_ALL but lists every device.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/acpi_tables.h>

#include "unit.h"

#define Q35	"tests/fixtures/acpi/qemu-q35/"
#define Q35_48	"tests/fixtures/acpi/qemu-q35-aw48/"
#define BOCHS	"tests/fixtures/acpi/bochs/"

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob fixture(const char *path)
{
	struct blob b;

	b.data = unit_read_file(path, &b.len);
	return b;
}

/* A fresh acpi_info filled with a pattern, to see exactly what a parser touched. */
static struct acpi_info *poisoned_info(void)
{
	struct acpi_info *info = malloc(sizeof(*info));

	memset(info, 0xa5, sizeof(*info));
	return info;
}

static struct acpi_info *zero_info(void)
{
	return calloc(1, sizeof(struct acpi_info));
}

/* A failing parser must leave acpi_info exactly as it was. */
#define CHECK_REJECTED(parser, data, len)					\
	do {									\
		struct acpi_info *before_ = poisoned_info(), *after_ = poisoned_info(); \
		CHECK_EQ(parser((data), (len), after_), -HV_EBADMSG);		\
		CHECK(memcmp(before_, after_, sizeof(*after_)) == 0);		\
		free(before_);							\
		free(after_);							\
	} while (0)

/* ---- Building synthetic tables ---- */

struct builder {
	uint8_t buf[4096];
	size_t len;
};

static void put(struct builder *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->buf))
		abort();
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put8(struct builder *b, uint8_t v) { put(b, &v, 1); }
static void put16(struct builder *b, uint16_t v) { put(b, &v, 2); }
static void put32(struct builder *b, uint32_t v) { put(b, &v, 4); }
static void put64(struct builder *b, uint64_t v) { put(b, &v, 8); }

static void begin_table(struct builder *b, const char *sig, uint8_t revision)
{
	struct acpi_table_header h = { .revision = revision };

	memcpy(h.signature, sig, 4);
	memcpy(h.oem_id, "UNIT  ", 6);
	b->len = 0;
	put(b, &h, sizeof(h));
}

/* Set Length to what was built and fix the checksum. */
static void end_table(struct builder *b)
{
	struct acpi_table_header *h = (struct acpi_table_header *)b->buf;
	uint8_t sum = 0;

	h->length = (uint32_t)b->len;
	h->checksum = 0;
	for (size_t i = 0; i < b->len; i++)
		sum = (uint8_t)(sum + b->buf[i]);
	h->checksum = (uint8_t)-sum;
}

/* Copy into an exactly-sized heap buffer so that ASan sees any overread. */
static uint8_t *exact(const void *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, p, len);
	return copy;
}

/* ---- Real tables: QEMU q35 with intel-iommu,intremap=on ---- */

TEST(q35_rsdp_is_acpi_1_0_with_rsdt)
{
	struct blob b = fixture(Q35 "RSDP.bin");
	struct acpi_root root;

	CHECK_EQ(acpi_parse_rsdp(b.data, b.len, &root), 0);
	CHECK_EQ(root.revision, 0);
	CHECK_STR_EQ(root.oem_id, "BOCHS ");
	CHECK_EQ(root.rsdt, 0x1ffe2340);
	CHECK_EQ(root.xsdt, 0);
	free(b.data);
}

TEST(q35_rsdt_lists_the_tables)
{
	struct blob b = fixture(Q35 "RSDT.bin");
	paddr_t e[8];

	CHECK_EQ(acpi_table_check(b.data, b.len), 60);
	CHECK_EQ(acpi_sdt_entries(b.data, b.len, false, e, 8), 6);
	/* FACP APIC HPET MCFG DMAR WAET, at the addresses the boot log reported. */
	CHECK_EQ(e[0], 0x1ffe20c8);
	CHECK_EQ(e[1], 0x1ffe21bc);
	CHECK_EQ(e[2], 0x1ffe2234);
	CHECK_EQ(e[3], 0x1ffe226c);
	CHECK_EQ(e[4], 0x1ffe22a8);
	CHECK_EQ(e[5], 0x1ffe2318);
	/* max smaller than the count: only max stored, full count returned. */
	paddr_t two[2] = { 0, 0 };
	CHECK_EQ(acpi_sdt_entries(b.data, b.len, false, two, 2), 6);
	CHECK_EQ(two[1], 0x1ffe21bc);
	free(b.data);
}

TEST(real_tables_have_valid_checksums)
{
	static const char *const files[] = {
		Q35 "RSDT.bin", Q35 "FACP.bin", Q35 "APIC.bin", Q35 "HPET.bin", Q35 "MCFG.bin",
		Q35 "DMAR.bin", Q35 "WAET.bin", Q35 "DSDT.bin", Q35_48 "DMAR.bin",
		BOCHS "RSDT.bin", BOCHS "FACP.bin", BOCHS "APIC.bin", BOCHS "SSDT.bin",
		BOCHS "HPET.bin", BOCHS "DSDT.bin",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct blob b = fixture(files[i]);

		CHECK_EQ(acpi_table_check(b.data, b.len), b.len);
		free(b.data);
	}
}

TEST(q35_madt)
{
	struct blob b = fixture(Q35 "APIC.bin");
	struct acpi_info *info = zero_info();

	CHECK_EQ(acpi_parse_madt(b.data, b.len, info), 0);
	CHECK_EQ(info->lapic_base, 0xfee00000);
	CHECK(info->pcat_compat);
	CHECK_EQ(info->cpu_count, 1);
	CHECK_EQ(info->lapic_ids[0], 0);
	CHECK_EQ(info->ioapic_count, 1);
	CHECK_EQ(info->ioapics[0].id, 0);
	CHECK_EQ(info->ioapics[0].base, 0xfec00000);
	CHECK_EQ(info->ioapics[0].gsi_base, 0);
	/* IRQ0 -> GSI2 (PIT on IOAPIC pin 2), then the PCI IRQs 5, 9, 10, 11: level, active high. */
	CHECK_EQ(info->override_count, 5);
	CHECK_EQ(info->overrides[0].source_irq, 0);
	CHECK_EQ(info->overrides[0].gsi, 2);
	CHECK_EQ(info->overrides[0].flags, 0);
	static const uint8_t pci_irqs[] = { 5, 9, 10, 11 };
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(info->overrides[1 + i].source_irq, pci_irqs[i]);
		CHECK_EQ(info->overrides[1 + i].gsi, pci_irqs[i]);
		CHECK_EQ(info->overrides[1 + i].flags, 0xd);
	}
	CHECK_EQ(info->truncated, 0);
	free(info);
	free(b.data);
}

TEST(q35_mcfg_and_hpet)
{
	struct blob m = fixture(Q35 "MCFG.bin"), h = fixture(Q35 "HPET.bin");
	struct acpi_info *info = zero_info();

	CHECK_EQ(acpi_parse_mcfg(m.data, m.len, info), 0);
	CHECK_EQ(info->mcfg_count, 1);
	CHECK_EQ(info->mcfg[0].base, 0xb0000000);
	CHECK_EQ(info->mcfg[0].segment, 0);
	CHECK_EQ(info->mcfg[0].bus_start, 0);
	CHECK_EQ(info->mcfg[0].bus_end, 0xff);
	CHECK_EQ(acpi_parse_hpet(h.data, h.len, info), 0);
	CHECK_EQ(info->hpet_base, 0xfed00000);
	free(info);
	free(m.data);
	free(h.data);
}

TEST(q35_fadt_and_s5)
{
	struct blob f = fixture(Q35 "FACP.bin"), d = fixture(Q35 "DSDT.bin");
	struct acpi_info *info = zero_info();

	CHECK_EQ(acpi_parse_fadt(f.data, f.len, info), 0);
	CHECK(info->fadt_present);
	CHECK_EQ(info->pm1a_cnt_port, 0x604);
	CHECK_EQ(info->pm1b_cnt_port, 0);
	CHECK_EQ(info->dsdt, 0x1ffe0040);
	CHECK_EQ(info->sci_irq, 9);
	CHECK_EQ(info->smi_cmd_port, 0xb2);
	CHECK(info->reset_valid);
	CHECK_EQ(info->reset_reg.address_space_id, ACPI_GAS_SYSTEM_IO);
	CHECK_EQ(info->reset_reg.address, 0xcf9);
	CHECK_EQ(info->reset_value, 0xf);

	CHECK(!info->s5_valid);
	CHECK_EQ(acpi_parse_s5(d.data, d.len, info), 0);
	CHECK(info->s5_valid);
	CHECK_EQ(info->s5_slp_typ_a, 0);	/* PLATFORM.md: outw(0x604, 0x2000) is S5 */
	CHECK_EQ(info->s5_slp_typ_b, 0);
	free(info);
	free(f.data);
	free(d.data);
}

static void check_q35_drhd(const struct acpi_info *info)
{
	/* QEMU 7.2 lists the devices explicitly instead of setting INCLUDE_PCI_ALL. */
	static const uint8_t endpoints[][2] = { { 0, 0 }, { 1, 0 }, { 0x1f, 0 }, { 0x1f, 2 }, { 0x1f, 3 } };
	const struct acpi_drhd *d = &info->drhd[0];

	CHECK(info->dmar_present);
	CHECK_EQ(info->dmar_flags, ACPI_DMAR_INTR_REMAP);
	CHECK_EQ(info->drhd_count, 1);
	CHECK_EQ(info->rmrr_count, 0);
	CHECK_EQ(d->base, 0xfed90000);
	CHECK_EQ(d->segment, 0);
	CHECK(!d->include_pci_all);
	CHECK_EQ(d->scope_count, 6);
	/* The IOAPIC, on the q35 pseudo bus 0xff. */
	CHECK_EQ(d->scopes[0].type, ACPI_DMAR_SCOPE_IOAPIC);
	CHECK_EQ(d->scopes[0].enumeration_id, 0);
	CHECK_EQ(d->scopes[0].start_bus, 0xff);
	CHECK_EQ(d->scopes[0].path_len, 1);
	for (int i = 0; i < 5; i++) {
		const struct acpi_dmar_scope *s = &d->scopes[1 + i];

		CHECK_EQ(s->type, ACPI_DMAR_SCOPE_PCI_ENDPOINT);
		CHECK_EQ(s->start_bus, 0);
		CHECK_EQ(s->path_len, 1);
		CHECK_EQ(s->path[0][0], endpoints[i][0]);
		CHECK_EQ(s->path[0][1], endpoints[i][1]);
	}
	CHECK_EQ(info->truncated, 0);
}

TEST(q35_dmar_39_bit)
{
	struct blob b = fixture(Q35 "DMAR.bin");
	struct acpi_info *info = zero_info();

	CHECK_EQ(acpi_parse_dmar(b.data, b.len, info), 0);
	CHECK_EQ(info->dmar_host_address_width, 38);
	check_q35_drhd(info);
	free(info);
	free(b.data);
}

TEST(q35_dmar_aw_bits_48)
{
	struct blob b = fixture(Q35_48 "DMAR.bin");
	struct acpi_info *info = zero_info();

	CHECK_EQ(acpi_parse_dmar(b.data, b.len, info), 0);
	CHECK_EQ(info->dmar_host_address_width, 47);
	check_q35_drhd(info);
	free(info);
	free(b.data);
}

/* ---- Real tables: Bochs 2.7, i440fx ---- */

TEST(bochs_tables)
{
	struct blob r = fixture(BOCHS "RSDP.bin"), t = fixture(BOCHS "RSDT.bin");
	struct blob a = fixture(BOCHS "APIC.bin"), h = fixture(BOCHS "HPET.bin");
	struct blob f = fixture(BOCHS "FACP.bin"), d = fixture(BOCHS "DSDT.bin"), s = fixture(BOCHS "SSDT.bin");
	struct acpi_info *info = zero_info();
	struct acpi_root root;
	paddr_t e[8];

	CHECK_EQ(acpi_parse_rsdp(r.data, r.len, &root), 0);
	CHECK_EQ(root.revision, 0);
	CHECK_EQ(root.rsdt, 0x1fff0000);
	CHECK_EQ(acpi_sdt_entries(t.data, t.len, false, e, 8), 4);	/* FACP APIC SSDT HPET */
	CHECK_EQ(e[0], 0x1fff0034);

	CHECK_EQ(acpi_parse_madt(a.data, a.len, info), 0);
	CHECK_EQ(info->lapic_base, 0xfee00000);
	CHECK_EQ(info->cpu_count, 1);
	CHECK_EQ(info->ioapic_count, 1);
	CHECK_EQ(info->ioapics[0].id, 1);	/* Bochs numbers its IOAPIC after the one CPU */
	CHECK_EQ(info->ioapics[0].base, 0xfec00000);
	CHECK_EQ(info->ioapics[0].gsi_base, 0);
	CHECK_EQ(info->override_count, 1);
	CHECK_EQ(info->overrides[0].source_irq, 0);
	CHECK_EQ(info->overrides[0].gsi, 2);

	CHECK_EQ(acpi_parse_hpet(h.data, h.len, info), 0);
	CHECK_EQ(info->hpet_base, 0xfed00000);

	/* An ACPI 1.0 FADT: 116 bytes, no X_ fields, no reset register. */
	CHECK_EQ(f.len, 116);
	CHECK_EQ(acpi_parse_fadt(f.data, f.len, info), 0);
	CHECK_EQ(info->pm1a_cnt_port, 0xb004);
	CHECK_EQ(info->pm1b_cnt_port, 0);
	CHECK_EQ(info->dsdt, 0x1fff0100);
	CHECK(!info->reset_valid);

	CHECK_EQ(acpi_parse_s5(s.data, s.len, info), -HV_ENOENT);
	CHECK(!info->s5_valid);
	CHECK_EQ(acpi_parse_s5(d.data, d.len, info), 0);
	CHECK(info->s5_valid);
	CHECK_EQ(info->s5_slp_typ_a, 0);	/* PLATFORM.md: outw(0xb004, 0x2000) is S5 */
	CHECK_EQ(info->s5_slp_typ_b, 0);
	free(info);
	free(r.data), free(t.data), free(a.data), free(h.data), free(f.data), free(d.data), free(s.data);
}

/* ---- Corrupted real tables ---- */

TEST(bad_checksum_and_lengths_are_rejected)
{
	struct blob b = fixture(Q35 "APIC.bin");
	struct acpi_table_header *h = (struct acpi_table_header *)b.data;

	b.data[50] ^= 1;
	CHECK_EQ(acpi_table_check(b.data, b.len), -HV_EBADMSG);
	b.data[50] ^= 1;
	CHECK_EQ(acpi_table_check(b.data, b.len), b.len);

	/* Fewer bytes available than Length says (a truncated table). */
	for (size_t avail = 0; avail < b.len; avail++) {
		uint8_t *p = exact(b.data, avail);

		CHECK_EQ(acpi_table_check(p, avail), -HV_EBADMSG);
		free(p);
	}
	/* Length smaller than the header, and larger than the buffer. */
	h->length = 35;
	CHECK_EQ(acpi_table_check(b.data, b.len), -HV_EBADMSG);
	h->length = (uint32_t)b.len + 1;
	CHECK_EQ(acpi_table_check(b.data, b.len), -HV_EBADMSG);
	h->length = 0xffffffff;
	CHECK_EQ(acpi_table_check(b.data, b.len), -HV_EBADMSG);
	free(b.data);
}

TEST(bad_rsdp_is_rejected)
{
	struct blob b = fixture(Q35 "RSDP.bin");
	struct acpi_root root;

	CHECK_EQ(acpi_parse_rsdp(b.data, 19, &root), -HV_EBADMSG);
	b.data[9] ^= 0x20;			/* OEM id: checksum now wrong */
	CHECK_EQ(acpi_parse_rsdp(b.data, b.len, &root), -HV_EBADMSG);
	b.data[9] ^= 0x20;
	b.data[0] = 'X';
	CHECK_EQ(acpi_parse_rsdp(b.data, b.len, &root), -HV_EBADMSG);
	free(b.data);
}

/* An ACPI 2.0 RSDP: Length, XSDT address, extended checksum. */
static void make_rsdp2(struct acpi_rsdp *r, uint64_t xsdt)
{
	uint8_t *p = (uint8_t *)r, sum = 0;

	*r = (struct acpi_rsdp){ .revision = 2, .rsdt_address = 0x1000, .length = 36, .xsdt_address = xsdt };
	memcpy(r->signature, ACPI_RSDP_SIGNATURE, 8);
	memcpy(r->oem_id, "UNIT  ", 6);
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + p[i]);
	r->checksum = (uint8_t)-sum;
	sum = 0;
	for (int i = 0; i < 36; i++)
		sum = (uint8_t)(sum + p[i]);
	r->extended_checksum = (uint8_t)-sum;
}

TEST(rsdp_revision_2)
{
	struct acpi_rsdp r;
	struct acpi_root root;

	make_rsdp2(&r, 0x123456789000ULL);
	uint8_t *p = exact(&r, sizeof(r));
	CHECK_EQ(acpi_parse_rsdp(p, 36, &root), 0);
	CHECK_EQ(root.revision, 2);
	CHECK_EQ(root.rsdt, 0x1000);
	CHECK_EQ(root.xsdt, 0x123456789000ULL);
	/* Seen through 20 bytes only (GRUB's ACPI 1.0 tag): an RSDT-only RSDP. */
	CHECK_EQ(acpi_parse_rsdp(p, 20, &root), 0);
	CHECK_EQ(root.xsdt, 0);
	/* Extended checksum wrong; Length beyond what is available. */
	p[30] ^= 1;
	CHECK_EQ(acpi_parse_rsdp(p, 36, &root), -HV_EBADMSG);
	p[30] ^= 1;
	((struct acpi_rsdp *)p)->length = 37;
	CHECK_EQ(acpi_parse_rsdp(p, 36, &root), -HV_EBADMSG);
	free(p);
}

TEST(xsdt_entries_are_unaligned_64_bit)
{
	struct builder b;
	paddr_t e[4];

	begin_table(&b, "XSDT", 1);
	put64(&b, 0x100000000ULL);
	put64(&b, 0xfedcba9876543210ULL);
	end_table(&b);
	CHECK_EQ(acpi_sdt_entries(b.buf, b.len, true, e, 4), 2);
	CHECK_EQ(e[0], 0x100000000ULL);
	CHECK_EQ(e[1], 0xfedcba9876543210ULL);
	/* Not a whole number of entries. */
	CHECK_EQ(acpi_sdt_entries(b.buf, b.len - 4, true, e, 4), -HV_EBADMSG);
	CHECK_EQ(acpi_sdt_entries(b.buf, b.len - 1, false, e, 4), -HV_EBADMSG);
	CHECK_EQ(acpi_sdt_entries(b.buf, 35, false, e, 4), -HV_EBADMSG);
	CHECK_EQ(acpi_sdt_entries(b.buf, 36, false, e, 4), 0);
}

/* ---- MADT ---- */

static void begin_madt(struct builder *b)
{
	begin_table(b, "APIC", 5);
	put32(b, 0xfee00000);
	put32(b, ACPI_MADT_PCAT_COMPAT);
}

static void madt_lapic(struct builder *b, uint8_t id, uint32_t flags)
{
	put8(b, ACPI_MADT_LOCAL_APIC), put8(b, 8), put8(b, id), put8(b, id), put32(b, flags);
}

static void madt_x2apic(struct builder *b, uint32_t id, uint32_t flags)
{
	put8(b, ACPI_MADT_LOCAL_X2APIC), put8(b, 16), put16(b, 0);
	put32(b, id), put32(b, flags), put32(b, id);
}

TEST(madt_cpus_x2apic_and_lapic_override)
{
	struct builder b;
	struct acpi_info *info = zero_info();

	begin_madt(&b);
	madt_lapic(&b, 0, ACPI_MADT_ENABLED);
	madt_lapic(&b, 1, 0);				/* disabled, not hot-pluggable: not a CPU */
	madt_lapic(&b, 2, ACPI_MADT_ONLINE_CAPABLE);
	madt_x2apic(&b, 0, ACPI_MADT_ENABLED);		/* the same CPU again */
	madt_x2apic(&b, 0x1234, ACPI_MADT_ENABLED);
	put8(&b, ACPI_MADT_LOCAL_APIC_NMI), put8(&b, 6), put8(&b, 0xff), put16(&b, 5), put8(&b, 1);
	put8(&b, 0x7f), put8(&b, 3), put8(&b, 0);	/* an unknown type, skipped by its length */
	put8(&b, ACPI_MADT_LOCAL_APIC_OVERRIDE), put8(&b, 12), put16(&b, 0), put64(&b, 0x123fee00000ULL);
	end_table(&b);

	uint8_t *p = exact(b.buf, b.len);
	CHECK_EQ(acpi_parse_madt(p, b.len, info), 0);
	CHECK_EQ(info->lapic_base, 0x123fee00000ULL);
	CHECK_EQ(info->cpu_count, 3);
	CHECK_EQ(info->lapic_ids[0], 0);
	CHECK_EQ(info->lapic_ids[1], 2);
	CHECK_EQ(info->lapic_ids[2], 0x1234);
	free(p);
	free(info);
}

TEST(madt_too_many_cpus_are_counted_as_truncated)
{
	struct builder b;
	struct acpi_info *info = zero_info();

	begin_madt(&b);
	for (unsigned int i = 0; i < ACPI_MAX_CPUS + 6; i++)
		madt_x2apic(&b, i, ACPI_MADT_ENABLED);
	end_table(&b);
	CHECK_EQ(acpi_parse_madt(b.buf, b.len, info), 0);
	CHECK_EQ(info->cpu_count, ACPI_MAX_CPUS);
	CHECK_EQ(info->lapic_ids[ACPI_MAX_CPUS - 1], ACPI_MAX_CPUS - 1);
	CHECK_EQ(info->truncated, 6);
	free(info);
}

TEST(madt_bad_structure_lengths_are_rejected)
{
	struct builder b;

	/* Length 0 would loop forever; length 1 cannot hold the header. */
	for (uint8_t bad = 0; bad < 2; bad++) {
		begin_madt(&b);
		madt_lapic(&b, 0, ACPI_MADT_ENABLED);
		put8(&b, 0x7f), put8(&b, bad);
		end_table(&b);
		CHECK_REJECTED(acpi_parse_madt, b.buf, b.len);
	}
	/* An IOAPIC entry shorter than an IOAPIC entry. */
	begin_madt(&b);
	put8(&b, ACPI_MADT_IO_APIC), put8(&b, 8), put8(&b, 0), put8(&b, 0), put32(&b, 0xfec00000);
	end_table(&b);
	CHECK_REJECTED(acpi_parse_madt, b.buf, b.len);
	/* An entry whose length runs past the table; a lone trailing byte. */
	begin_madt(&b);
	madt_lapic(&b, 0, ACPI_MADT_ENABLED);
	put8(&b, ACPI_MADT_LOCAL_APIC), put8(&b, 200), put8(&b, 0), put8(&b, 0), put32(&b, 1);
	end_table(&b);
	CHECK_REJECTED(acpi_parse_madt, b.buf, b.len);
	begin_madt(&b);
	madt_lapic(&b, 0, ACPI_MADT_ENABLED);
	put8(&b, 0);
	end_table(&b);
	CHECK_REJECTED(acpi_parse_madt, b.buf, b.len);
	/* Shorter than the fixed MADT fields. */
	CHECK_REJECTED(acpi_parse_madt, b.buf, 40);
}

/* ---- MCFG, HPET, FADT ---- */

TEST(mcfg_and_hpet_malformed)
{
	struct blob m = fixture(Q35 "MCFG.bin"), h = fixture(Q35 "HPET.bin");

	CHECK_REJECTED(acpi_parse_mcfg, m.data, m.len - 1);	/* partial allocation */
	m.data[44 + 10] = 0x80;					/* start bus 0x80 > end bus... */
	m.data[44 + 11] = 0x7f;					/* ...0x7f */
	CHECK_REJECTED(acpi_parse_mcfg, m.data, m.len);
	CHECK_REJECTED(acpi_parse_hpet, h.data, h.len - 1);
	h.data[40] = ACPI_GAS_SYSTEM_IO;			/* an HPET is never in I/O space */
	CHECK_REJECTED(acpi_parse_hpet, h.data, h.len);
	free(m.data);
	free(h.data);
}

TEST(fadt_x_fields_and_short_tables)
{
	struct blob f = fixture(Q35 "FACP.bin");
	struct acpi_fadt *fadt = (struct acpi_fadt *)f.data;
	struct acpi_info *info = zero_info();

	CHECK_REJECTED(acpi_parse_fadt, f.data, 115);
	/* X_DSDT and X_PM1a_CNT_BLK supersede the 32-bit fields. */
	fadt->x_dsdt = 0x100002000ULL;
	fadt->x_pm1a_cnt_blk = (struct acpi_generic_address){
		.address_space_id = ACPI_GAS_SYSTEM_IO, .register_bit_width = 16, .address = 0x1804,
	};
	CHECK_EQ(acpi_parse_fadt(f.data, f.len, info), 0);
	CHECK_EQ(info->dsdt, 0x100002000ULL);
	CHECK_EQ(info->pm1a_cnt_port, 0x1804);
	/* ...but not past the table's Length (an ACPI 1.0-sized view). */
	CHECK_EQ(acpi_parse_fadt(f.data, 116, info), 0);
	CHECK_EQ(info->dsdt, 0x1ffe0040);
	CHECK_EQ(info->pm1a_cnt_port, 0x604);
	CHECK(!info->reset_valid);
	/* A memory-space PM1 block is unusable for port I/O. */
	fadt->x_pm1a_cnt_blk.address_space_id = ACPI_GAS_SYSTEM_MEMORY;
	CHECK_EQ(acpi_parse_fadt(f.data, f.len, info), 0);
	CHECK_EQ(info->pm1a_cnt_port, 0);
	/* Hardware-reduced ACPI has no PM1 blocks. */
	fadt->x_pm1a_cnt_blk.address_space_id = ACPI_GAS_SYSTEM_IO;
	fadt->flags |= ACPI_FADT_HW_REDUCED_ACPI;
	CHECK_EQ(acpi_parse_fadt(f.data, f.len, info), 0);
	CHECK_EQ(info->pm1a_cnt_port, 0);
	free(info);
	free(f.data);
}

/* ---- \_S5_ ---- */

/* A DSDT holding just the given AML bytes. */
static void aml_table(struct builder *b, const uint8_t *aml, size_t n)
{
	begin_table(b, "DSDT", 2);
	put(b, aml, n);
	end_table(b);
}

static int s5(const uint8_t *aml, size_t n, struct acpi_info *info)
{
	struct builder b;

	aml_table(&b, aml, n);
	uint8_t *p = exact(b.buf, b.len);
	int err = acpi_parse_s5(p, b.len, info);
	free(p);
	return err;
}

TEST(s5_package_encodings)
{
	struct acpi_info *info = zero_info();

	/* Name (\_S5, Package (0x04) { 0x05, 0x07, Zero, Zero }) */
	static const uint8_t bytes[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
					 0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };
	CHECK_EQ(s5(bytes, sizeof(bytes), info), 0);
	CHECK_EQ(info->s5_slp_typ_a, 5);
	CHECK_EQ(info->s5_slp_typ_b, 7);

	/* A two-byte PkgLength must count its own two bytes: 0x41 0x00 (length 1) is rejected... */
	static const uint8_t short_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x00, 0x02, 0x01, 0x01 };
	CHECK_EQ(s5(short_pkg, sizeof(short_pkg), info), -HV_EBADMSG);
	/* ...a correct one (0x47 0x00: length 7) is decoded; OneOp and WordPrefix integers. */
	static const uint8_t long_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02,
					    0x01, 0x0b, 0x03, 0x00 };
	CHECK_EQ(s5(long_pkg, sizeof(long_pkg), info), 0);
	CHECK_EQ(info->s5_slp_typ_a, 1);
	CHECK_EQ(info->s5_slp_typ_b, 3);

	/* One element: SLP_TYPb in its second byte. */
	static const uint8_t packed[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x06, 0x04 };
	CHECK_EQ(s5(packed, sizeof(packed), info), 0);
	CHECK_EQ(info->s5_slp_typ_a, 6);
	CHECK_EQ(info->s5_slp_typ_b, 4);

	/* A reference to _S5_ (no NameOp) before the definition is skipped. */
	static const uint8_t ref_first[] = { 0x70, '_', 'S', '5', '_', 0x60,
					     0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x02, 0x00 };
	CHECK_EQ(s5(ref_first, sizeof(ref_first), info), 0);
	CHECK_EQ(info->s5_slp_typ_a, 2);
	CHECK_EQ(info->s5_slp_typ_b, 0);
	free(info);
}

TEST(s5_malformed_packages_are_rejected)
{
	static const struct {
		const char *what;
		uint8_t aml[16];
		size_t n;
	} cases[] = {
		{ "name at the very end", { 0x08, '_', 'S', '5', '_' }, 5 },
		{ "not a package", { 0x08, '_', 'S', '5', '_', 0x0a, 0x05 }, 7 },
		{ "no PkgLength", { 0x08, '_', 'S', '5', '_', 0x12 }, 6 },
		{ "PkgLength past the table", { 0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00 }, 10 },
		{ "PkgLength follow bytes missing", { 0x08, '_', 'S', '5', '_', 0x12, 0xc0, 0x01 }, 8 },
		{ "no NumElements", { 0x08, '_', 'S', '5', '_', 0x12, 0x01 }, 7 },
		{ "no elements", { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 }, 8 },
		{ "second element outside the package", { 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x00, 0x00 }, 10 },
		{ "BytePrefix without its byte", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0a, 0x01 }, 11 },
		{ "SLP_TYP wider than 3 bits", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00 }, 11 },
		{ "not an integer", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0d, 0x00, 0x00 }, 11 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct acpi_info *info = zero_info();
		int err = s5(cases[i].aml, cases[i].n, info);

		if (err != -HV_EBADMSG || info->s5_valid)
			unit_fail(__FILE__, __LINE__, "%s: err %d valid %d", cases[i].what, err, info->s5_valid);
		free(info);
	}
	struct acpi_info *info = zero_info();
	static const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x03, 0x01, 0x00 };
	CHECK_EQ(s5(none, sizeof(none), info), -HV_ENOENT);
	free(info);
}

TEST(s5_in_truncated_real_dsdt)
{
	struct blob d = fixture(Q35 "DSDT.bin");
	const uint8_t *name = memmem(d.data, d.len, "\x08_S5_", 5);

	CHECK(name != NULL);
	if (name) {
		/* Cut the DSDT at every point inside the package: never accepted, never read past. */
		size_t at = (size_t)(name - d.data);
		for (size_t cut = at + 1; cut < at + 12 && cut < d.len; cut++) {
			struct acpi_info *info = zero_info();
			uint8_t *p = exact(d.data, cut);
			int err = acpi_parse_s5(p, cut, info);

			CHECK(err == -HV_EBADMSG || err == -HV_ENOENT);
			CHECK(!info->s5_valid);
			free(p);
			free(info);
		}
	}
	free(d.data);
}

/* ---- DMAR ---- */

static void begin_dmar(struct builder *b)
{
	begin_table(b, "DMAR", 1);
	put8(b, 47);
	put8(b, ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT);
	for (int i = 0; i < 10; i++)
		put8(b, 0);
}

static void dmar_scope(struct builder *b, uint8_t type, uint8_t id, uint8_t bus, const uint8_t *path,
		       size_t pairs)
{
	put8(b, type), put8(b, (uint8_t)(6 + 2 * pairs)), put16(b, 0), put8(b, id), put8(b, bus);
	put(b, path, 2 * pairs);
}

TEST(dmar_drhd_rmrr_and_unknown_types)
{
	struct builder b;
	struct acpi_info *info = zero_info();
	static const uint8_t path2[] = { 0x1c, 0x00, 0x00, 0x01 };
	static const uint8_t path5[] = { 1, 0, 2, 0, 3, 0, 4, 0, 5, 0 };

	begin_dmar(&b);
	/* DRHD, INCLUDE_PCI_ALL, segment 1, one IOAPIC scope. */
	put16(&b, ACPI_DMAR_TYPE_DRHD), put16(&b, 16 + 8), put8(&b, ACPI_DRHD_INCLUDE_PCI_ALL), put8(&b, 0);
	put16(&b, 1), put64(&b, 0xfed91000);
	dmar_scope(&b, ACPI_DMAR_SCOPE_IOAPIC, 2, 0xf0, path2, 1);
	/* An RHSA (type 3) and a future type 0x99: skipped by length. */
	put16(&b, ACPI_DMAR_TYPE_RHSA), put16(&b, 20), put32(&b, 0), put64(&b, 0xfed91000), put32(&b, 0);
	put16(&b, 0x99), put16(&b, 6), put16(&b, 0);
	/* RMRR with a bridge path of two hops and a too-deep path (dropped, counted). */
	put16(&b, ACPI_DMAR_TYPE_RMRR), put16(&b, 24 + 10 + 16), put16(&b, 0), put16(&b, 0);
	put64(&b, 0x7f000000), put64(&b, 0x7f0fffff);
	dmar_scope(&b, ACPI_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, path2, 2);
	dmar_scope(&b, ACPI_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, path5, 5);
	end_table(&b);

	uint8_t *p = exact(b.buf, b.len);
	CHECK_EQ(acpi_parse_dmar(p, b.len, info), 0);
	CHECK_EQ(info->dmar_host_address_width, 47);
	CHECK_EQ(info->dmar_flags, ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT);
	CHECK_EQ(info->drhd_count, 1);
	CHECK_EQ(info->drhd[0].base, 0xfed91000);
	CHECK_EQ(info->drhd[0].segment, 1);
	CHECK(info->drhd[0].include_pci_all);
	CHECK_EQ(info->drhd[0].scope_count, 1);
	CHECK_EQ(info->drhd[0].scopes[0].type, ACPI_DMAR_SCOPE_IOAPIC);
	CHECK_EQ(info->drhd[0].scopes[0].enumeration_id, 2);
	CHECK_EQ(info->drhd[0].scopes[0].start_bus, 0xf0);
	CHECK_EQ(info->rmrr_count, 1);
	CHECK_EQ(info->rmrr[0].base, 0x7f000000);
	CHECK_EQ(info->rmrr[0].limit, 0x7f0fffff);
	CHECK_EQ(info->rmrr[0].scope_count, 1);
	CHECK_EQ(info->rmrr[0].scopes[0].path_len, 2);
	CHECK_EQ(info->rmrr[0].scopes[0].path[1][0], 0x00);
	CHECK_EQ(info->rmrr[0].scopes[0].path[1][1], 0x01);
	CHECK_EQ(info->truncated, 1);
	free(p);
	free(info);
}

TEST(dmar_malformed_structures_are_rejected)
{
	struct blob real = fixture(Q35 "DMAR.bin");
	uint8_t *d = real.data;

	/* The real DRHD starts at 48; its first scope (the IOAPIC) at 64, 8 bytes long. */
	CHECK_EQ(d[48], ACPI_DMAR_TYPE_DRHD);
	CHECK_EQ(d[64], ACPI_DMAR_SCOPE_IOAPIC);
	static const struct {
		const char *what;
		size_t offset;
		uint8_t value;
	} patches[] = {
		{ "structure length 0", 50, 0 },
		{ "structure length 3", 50, 3 },
		{ "structure length past the table", 50, 113 },
		{ "DRHD shorter than a DRHD", 50, 15 },
		{ "scope length 0", 65, 0 },
		{ "scope length without a path", 65, 6 },
		{ "scope length odd", 65, 9 },
		{ "scope overruns its DRHD", 65, 100 },
	};
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		uint8_t *p = exact(d, real.len);
		struct acpi_info *before = poisoned_info(), *after = poisoned_info();

		p[patches[i].offset] = patches[i].value;
		if (acpi_parse_dmar(p, real.len, after) != -HV_EBADMSG ||
		    memcmp(before, after, sizeof(*after)))
			unit_fail(__FILE__, __LINE__, "%s: accepted or acpi_info changed", patches[i].what);
		free(p);
		free(before);
		free(after);
	}
	/* A scope cut short by the structure's own (shrunk) length. */
	uint8_t *p = exact(d, real.len);
	p[50] = 16 + 7;
	CHECK_REJECTED(acpi_parse_dmar, p, real.len);
	free(p);
	/* The table cut off mid-structure. */
	CHECK_REJECTED(acpi_parse_dmar, d, 50);
	CHECK_REJECTED(acpi_parse_dmar, d, 47);

	/* RMRR limit below base. */
	struct builder b;
	begin_dmar(&b);
	put16(&b, ACPI_DMAR_TYPE_RMRR), put16(&b, 24), put16(&b, 0), put16(&b, 0);
	put64(&b, 0x2000), put64(&b, 0x1fff - 1);
	end_table(&b);
	CHECK_REJECTED(acpi_parse_dmar, b.buf, b.len);
	free(real.data);
}

/* ---- Every parser on every prefix of every real table ---- */

typedef int (*parser_fn)(const void *, size_t, struct acpi_info *);

TEST(every_parser_survives_every_prefix_of_every_table)
{
	static const char *const files[] = {
		Q35 "RSDP.bin", Q35 "RSDT.bin", Q35 "FACP.bin", Q35 "APIC.bin", Q35 "HPET.bin",
		Q35 "MCFG.bin", Q35 "DMAR.bin", Q35 "WAET.bin", BOCHS "FACP.bin", BOCHS "APIC.bin",
		BOCHS "SSDT.bin", BOCHS "DSDT.bin",
	};
	static const parser_fn parsers[] = {
		acpi_parse_madt, acpi_parse_mcfg, acpi_parse_hpet, acpi_parse_fadt,
		acpi_parse_dmar, acpi_parse_s5,
	};
	struct acpi_info *info = zero_info();

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct blob b = fixture(files[f]);

		for (size_t len = 0; len <= b.len; len++) {
			uint8_t *p = exact(b.data, len);
			struct acpi_root root;
			paddr_t e[4];

			for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
				(void)parsers[i](p, len, info);
			(void)acpi_parse_rsdp(p, len, &root);
			(void)acpi_table_check(p, len);
			(void)acpi_sdt_entries(p, len, false, e, 4);
			(void)acpi_sdt_entries(p, len, true, e, 4);
			free(p);
		}
		free(b.data);
	}
	free(info);
}
