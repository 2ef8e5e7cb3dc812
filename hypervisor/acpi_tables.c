// SPDX-License-Identifier: MIT
/*
 * ACPI table parsers: pure functions over table bytes (see hv/acpi_tables.h).
 *
 * Firmware tables are input like any other: every Length and count is
 * checked before a byte is read through it. The parsers that walk a list of
 * variable-length structures (MADT, DMAR) run the same walk twice: once to
 * check the whole table, once to extract, so that a table that turns out to
 * be malformed halfway leaves struct acpi_info untouched.
 */
#include <abi/errno.h>
#include <hv/acpi_tables.h>
#include <hv/string.h>

static uint8_t checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* Little-endian loads at any alignment (XSDT entries are 4-byte aligned only). */
static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int acpi_parse_rsdp(const void *buf, size_t avail, struct acpi_root *root)
{
	struct acpi_rsdp rsdp = { 0 };

	if (avail < ACPI_RSDP_V1_LENGTH)
		return -HV_EBADMSG;
	memcpy(&rsdp, buf, MIN(avail, sizeof(rsdp)));
	if (memcmp(rsdp.signature, ACPI_RSDP_SIGNATURE, sizeof(rsdp.signature)) ||
	    checksum(buf, ACPI_RSDP_V1_LENGTH))
		return -HV_EBADMSG;

	*root = (struct acpi_root){
		.revision = rsdp.revision,
		.rsdt = rsdp.rsdt_address,
	};
	memcpy(root->oem_id, rsdp.oem_id, sizeof(rsdp.oem_id));
	root->oem_id[sizeof(rsdp.oem_id)] = '\0';

	/* A 2.0 RSDP seen only through its 1.0 part (GRUB's old tag) is a 1.0 RSDP. */
	if (rsdp.revision >= 2 && avail >= sizeof(rsdp)) {
		if (rsdp.length < sizeof(rsdp) || rsdp.length > avail ||
		    checksum(buf, rsdp.length))
			return -HV_EBADMSG;
		root->xsdt = rsdp.xsdt_address;
	}
	return 0;
}

long acpi_table_check(const void *buf, size_t avail)
{
	struct acpi_table_header hdr;

	if (avail < sizeof(hdr))
		return -HV_EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.length < sizeof(hdr) || hdr.length > avail || checksum(buf, hdr.length))
		return -HV_EBADMSG;
	return (long)hdr.length;
}

int acpi_sdt_entries(const void *table, size_t len, bool xsdt, paddr_t *entries, unsigned int max)
{
	const uint8_t *p = (const uint8_t *)table + sizeof(struct acpi_table_header);
	size_t entry_size = xsdt ? 8 : 4;

	if (len < sizeof(struct acpi_table_header))
		return -HV_EBADMSG;
	size_t count = (len - sizeof(struct acpi_table_header)) / entry_size;
	if ((len - sizeof(struct acpi_table_header)) % entry_size || count > INT32_MAX)
		return -HV_EBADMSG;
	for (size_t i = 0; i < count && i < max; i++)
		entries[i] = xsdt ? load64(p + 8 * i) : load32(p + 4 * i);
	return (int)count;
}

/* ---- MADT ---- */

static size_t madt_min_length(uint8_t type)
{
	switch (type) {
	case ACPI_MADT_LOCAL_APIC:		return sizeof(struct acpi_madt_local_apic);
	case ACPI_MADT_IO_APIC:			return sizeof(struct acpi_madt_io_apic);
	case ACPI_MADT_INTERRUPT_OVERRIDE:	return sizeof(struct acpi_madt_interrupt_override);
	case ACPI_MADT_LOCAL_APIC_OVERRIDE:	return sizeof(struct acpi_madt_local_apic_override);
	case ACPI_MADT_LOCAL_X2APIC:		return sizeof(struct acpi_madt_local_x2apic);
	default:				return sizeof(struct acpi_subtable_header);
	}
}

/*
 * A CPU the OS may use: enabled now, or hot-pluggable later (ACPI 6.3+
 * Online Capable). Firmware lists the same CPU in both a LAPIC and an x2APIC
 * entry on some machines: keep each APIC id once.
 */
static void madt_add_cpu(struct acpi_info *info, uint32_t apic_id, uint32_t flags)
{
	if (!(flags & (ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE)))
		return;
	for (uint32_t i = 0; i < info->cpu_count; i++)
		if (info->lapic_ids[i] == apic_id)
			return;
	if (info->cpu_count == ACPI_MAX_CPUS) {
		info->truncated++;
		return;
	}
	info->lapic_ids[info->cpu_count++] = apic_id;
}

static void madt_apply(const uint8_t *entry, struct acpi_info *info)
{
	switch (entry[0]) {
	case ACPI_MADT_LOCAL_APIC: {
		struct acpi_madt_local_apic e;

		memcpy(&e, entry, sizeof(e));
		madt_add_cpu(info, e.apic_id, e.flags);
		break;
	}
	case ACPI_MADT_LOCAL_X2APIC: {
		struct acpi_madt_local_x2apic e;

		memcpy(&e, entry, sizeof(e));
		madt_add_cpu(info, e.x2apic_id, e.flags);
		break;
	}
	case ACPI_MADT_IO_APIC: {
		struct acpi_madt_io_apic e;

		memcpy(&e, entry, sizeof(e));
		if (info->ioapic_count == ACPI_MAX_IOAPICS) {
			info->truncated++;
			break;
		}
		info->ioapics[info->ioapic_count++] = (struct acpi_ioapic){
			.id = e.io_apic_id,
			.base = e.io_apic_address,
			.gsi_base = e.global_system_interrupt_base,
		};
		break;
	}
	case ACPI_MADT_INTERRUPT_OVERRIDE: {
		struct acpi_madt_interrupt_override e;

		memcpy(&e, entry, sizeof(e));
		if (e.bus != 0)		/* the only bus the spec defines is ISA */
			break;
		if (info->override_count == ACPI_MAX_OVERRIDES) {
			info->truncated++;
			break;
		}
		info->overrides[info->override_count++] = (struct acpi_irq_override){
			.source_irq = e.source,
			.gsi = e.global_system_interrupt,
			.flags = e.flags,
		};
		break;
	}
	case ACPI_MADT_LOCAL_APIC_OVERRIDE: {
		struct acpi_madt_local_apic_override e;

		memcpy(&e, entry, sizeof(e));
		info->lapic_base = e.local_apic_address;
		break;
	}
	default:
		break;		/* NMI wiring and types we do not use */
	}
}

/* Walk the Interrupt Controller Structures; with info NULL, only check them. */
static int madt_walk(const uint8_t *t, size_t len, struct acpi_info *info)
{
	size_t off = sizeof(struct acpi_madt);

	while (off < len) {
		if (len - off < sizeof(struct acpi_subtable_header))
			return -HV_EBADMSG;
		uint8_t type = t[off], length = t[off + 1];
		if (length < madt_min_length(type) || length > len - off)
			return -HV_EBADMSG;
		if (info)
			madt_apply(t + off, info);
		off += length;
	}
	return 0;
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_info *info)
{
	struct acpi_madt madt;

	if (len < sizeof(madt))
		return -HV_EBADMSG;
	memcpy(&madt, table, sizeof(madt));
	int err = madt_walk(table, len, NULL);
	if (err)
		return err;

	info->lapic_base = madt.local_apic_address;
	info->pcat_compat = madt.flags & ACPI_MADT_PCAT_COMPAT;
	info->cpu_count = 0;
	info->ioapic_count = 0;
	info->override_count = 0;
	return madt_walk(table, len, info);
}

/* ---- MCFG ---- */

int acpi_parse_mcfg(const void *table, size_t len, struct acpi_info *info)
{
	const uint8_t *t = table;

	if (len < sizeof(struct acpi_mcfg) ||
	    (len - sizeof(struct acpi_mcfg)) % sizeof(struct acpi_mcfg_allocation))
		return -HV_EBADMSG;
	size_t count = (len - sizeof(struct acpi_mcfg)) / sizeof(struct acpi_mcfg_allocation);

	for (size_t i = 0; i < count; i++) {
		struct acpi_mcfg_allocation a;

		memcpy(&a, t + sizeof(struct acpi_mcfg) + i * sizeof(a), sizeof(a));
		if (a.start_bus_number > a.end_bus_number || a.base_address == 0)
			return -HV_EBADMSG;
	}

	info->mcfg_count = 0;
	for (size_t i = 0; i < count; i++) {
		struct acpi_mcfg_allocation a;

		if (info->mcfg_count == ACPI_MAX_MCFG) {
			info->truncated++;
			continue;
		}
		memcpy(&a, t + sizeof(struct acpi_mcfg) + i * sizeof(a), sizeof(a));
		info->mcfg[info->mcfg_count++] = (struct acpi_mcfg_segment){
			.base = a.base_address,
			.segment = a.pci_segment_group,
			.bus_start = a.start_bus_number,
			.bus_end = a.end_bus_number,
		};
	}
	return 0;
}

/* ---- HPET ---- */

int acpi_parse_hpet(const void *table, size_t len, struct acpi_info *info)
{
	struct acpi_hpet hpet;

	if (len < sizeof(hpet))
		return -HV_EBADMSG;
	memcpy(&hpet, table, sizeof(hpet));
	/* The HPET spec allows only a memory-mapped block. */
	if (hpet.base_address.address_space_id != ACPI_GAS_SYSTEM_MEMORY ||
	    hpet.base_address.address == 0)
		return -HV_EBADMSG;
	info->hpet_base = hpet.base_address.address;
	return 0;
}

/* ---- FADT ---- */

/* The FADT grew with each ACPI revision: a field exists only if Length covers it. */
#define FADT_HAS(len, field) \
	((len) >= offsetof(struct acpi_fadt, field) + sizeof(((struct acpi_fadt *)0)->field))

/*
 * A PM1 control block is an I/O port: the X_ GAS supersedes the 32-bit
 * field when it is present and non-zero (ACPI 6.5 table 5.6), but only an
 * I/O-space one is usable here.
 */
static uint16_t fadt_pm1_port(uint32_t legacy, const struct acpi_generic_address *x, bool have_x)
{
	if (have_x && x->address != 0)
		return x->address_space_id == ACPI_GAS_SYSTEM_IO && x->address <= 0xffff ?
			(uint16_t)x->address : 0;
	return legacy <= 0xffff ? (uint16_t)legacy : 0;
}

int acpi_parse_fadt(const void *table, size_t len, struct acpi_info *info)
{
	struct acpi_fadt fadt = { 0 };

	/* ACPI 1.0's FADT ends after Flags. */
	if (len < offsetof(struct acpi_fadt, reset_reg))
		return -HV_EBADMSG;
	memcpy(&fadt, table, MIN(len, sizeof(fadt)));
	bool v2 = fadt.header.revision >= 2;

	info->fadt_present = true;
	info->fadt_flags = fadt.flags;
	info->sci_irq = fadt.sci_int;
	info->smi_cmd_port = fadt.smi_cmd <= 0xffff ? (uint16_t)fadt.smi_cmd : 0;
	info->acpi_enable = fadt.acpi_enable;
	info->dsdt = v2 && FADT_HAS(len, x_dsdt) && fadt.x_dsdt ? fadt.x_dsdt : fadt.dsdt;

	/* Hardware-reduced platforms have no fixed PM1 registers at all. */
	if (fadt.flags & ACPI_FADT_HW_REDUCED_ACPI) {
		info->pm1a_cnt_port = 0;
		info->pm1b_cnt_port = 0;
	} else {
		info->pm1a_cnt_port = fadt_pm1_port(fadt.pm1a_cnt_blk, &fadt.x_pm1a_cnt_blk,
						    v2 && FADT_HAS(len, x_pm1a_cnt_blk));
		info->pm1b_cnt_port = fadt_pm1_port(fadt.pm1b_cnt_blk, &fadt.x_pm1b_cnt_blk,
						    v2 && FADT_HAS(len, x_pm1b_cnt_blk));
	}

	info->reset_valid = FADT_HAS(len, reset_value) && (fadt.flags & ACPI_FADT_RESET_REG_SUP) &&
			    fadt.reset_reg.address != 0;
	if (info->reset_valid) {
		info->reset_reg = fadt.reset_reg;
		info->reset_value = fadt.reset_value;
	}
	return 0;
}

/* ---- \_S5_ in AML (ACPI 6.5 chapter 20) ---- */

#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_PACKAGE_OP		0x12
#define AML_ROOT_CHAR		'\\'

/*
 * Decode a PkgLength at aml[*pos] (section 20.2.4): the lead byte's bits 7-6
 * count the bytes that follow; with none, bits 5-0 are the length, else
 * bits 3-0 are its low nibble. The length counts from the PkgLength itself.
 * On success *pos is past the PkgLength and *end is where the package ends.
 */
static int aml_pkg_length(const uint8_t *aml, size_t len, size_t *pos, size_t *end)
{
	size_t start = *pos;

	if (start >= len)
		return -HV_EBADMSG;
	uint8_t lead = aml[start];
	unsigned int follow = lead >> 6;
	if (follow > len - start - 1)
		return -HV_EBADMSG;

	uint32_t pkg_len = follow ? lead & 0x0f : lead & 0x3f;
	for (unsigned int i = 0; i < follow; i++)
		pkg_len |= (uint32_t)aml[start + 1 + i] << (4 + 8 * i);

	if (pkg_len < 1 + follow || pkg_len > len - start)
		return -HV_EBADMSG;
	*pos = start + 1 + follow;
	*end = start + pkg_len;
	return 0;
}

/* Decode a ComputationalData integer at aml[*pos], not past end. */
static int aml_integer(const uint8_t *aml, size_t end, size_t *pos, uint64_t *value)
{
	size_t p = *pos, size;

	if (p >= end)
		return -HV_EBADMSG;
	switch (aml[p]) {
	case AML_ZERO_OP:	*value = 0; *pos = p + 1; return 0;
	case AML_ONE_OP:	*value = 1; *pos = p + 1; return 0;
	case AML_BYTE_PREFIX:	size = 1; break;
	case AML_WORD_PREFIX:	size = 2; break;
	case AML_DWORD_PREFIX:	size = 4; break;
	case AML_QWORD_PREFIX:	size = 8; break;
	default:		return -HV_EBADMSG;	/* not an integer constant */
	}
	if (size > end - p - 1)
		return -HV_EBADMSG;
	*value = 0;
	for (size_t i = 0; i < size; i++)
		*value |= (uint64_t)aml[p + 1 + i] << (8 * i);
	*pos = p + 1 + size;
	return 0;
}

/* Decode the package after "_S5_" at aml[pos]: PackageOp PkgLength NumElements elements. */
static int s5_package(const uint8_t *aml, size_t len, size_t pos, uint8_t *typ_a, uint8_t *typ_b)
{
	size_t end;
	uint64_t a, b;

	if (pos >= len || aml[pos] != AML_PACKAGE_OP)
		return -HV_EBADMSG;
	pos++;
	if (aml_pkg_length(aml, len, &pos, &end) || pos >= end)
		return -HV_EBADMSG;
	uint8_t num_elements = aml[pos++];

	if (num_elements == 0 || aml_integer(aml, end, &pos, &a))
		return -HV_EBADMSG;
	if (num_elements >= 2) {
		if (aml_integer(aml, end, &pos, &b))
			return -HV_EBADMSG;
	} else {
		/* A one-element package packs SLP_TYPb into the second byte (as ACPICA reads it). */
		b = (a >> 8) & 0xff;
		a &= 0xff;
	}
	/* SLP_TYP is a 3-bit field of PM1_CNT. */
	if (a > 7 || b > 7)
		return -HV_EBADMSG;
	*typ_a = (uint8_t)a;
	*typ_b = (uint8_t)b;
	return 0;
}

int acpi_parse_s5(const void *table, size_t len, struct acpi_info *info)
{
	const uint8_t *aml = table;
	int err = -HV_ENOENT;

	if (len < sizeof(struct acpi_table_header))
		return -HV_EBADMSG;
	for (size_t i = sizeof(struct acpi_table_header) + 1; i + 4 <= len; i++) {
		if (memcmp(aml + i, "_S5_", 4))
			continue;
		/* NameOp NameString: "_S5_" or "\_S5_". Anything else is a reference, not the definition. */
		bool name_op = aml[i - 1] == AML_NAME_OP ||
			       (aml[i - 1] == AML_ROOT_CHAR && i >= sizeof(struct acpi_table_header) + 2 &&
				aml[i - 2] == AML_NAME_OP);
		if (!name_op)
			continue;
		uint8_t a, b;
		err = s5_package(aml, len, i + 4, &a, &b);
		if (err)
			continue;	/* keep looking; report malformed if nothing better turns up */
		info->s5_valid = true;
		info->s5_slp_typ_a = a;
		info->s5_slp_typ_b = b;
		return 0;
	}
	return err;
}

/* ---- DMAR ---- */

/*
 * Walk the Device Scopes in [p, p + len) of one DRHD or RMRR. With out NULL,
 * only check them; else store them in out[], counting in *count those that
 * fit (a path deeper than struct acpi_dmar_scope holds is dropped and
 * counted as truncated rather than stored cut short).
 */
static int dmar_scopes(const uint8_t *p, size_t len, struct acpi_dmar_scope *out, uint8_t *count,
		       uint32_t *truncated)
{
	size_t off = 0;

	while (off < len) {
		struct acpi_dmar_device_scope s;

		if (len - off < sizeof(s))
			return -HV_EBADMSG;
		memcpy(&s, p + off, sizeof(s));
		/* At least one path entry; the path is (device, function) pairs. */
		if (s.length < sizeof(s) + 2 || s.length > len - off || (s.length - sizeof(s)) % 2)
			return -HV_EBADMSG;

		if (out) {
			size_t path_len = (s.length - sizeof(s)) / 2;

			if (*count == ACPI_MAX_SCOPES || path_len > ARRAY_SIZE(out->path)) {
				(*truncated)++;
			} else {
				struct acpi_dmar_scope *d = &out[(*count)++];

				*d = (struct acpi_dmar_scope){
					.type = s.type,
					.enumeration_id = s.enumeration_id,
					.start_bus = s.start_bus_number,
					.path_len = (uint8_t)path_len,
				};
				memcpy(d->path, p + off + sizeof(s), 2 * path_len);
			}
		}
		off += s.length;
	}
	return 0;
}

/* Walk the Remapping Structures; with info NULL, only check them. */
static int dmar_walk(const uint8_t *t, size_t len, struct acpi_info *info)
{
	size_t off = sizeof(struct acpi_dmar);

	while (off < len) {
		struct acpi_dmar_header h;
		int err = 0;

		if (len - off < sizeof(h))
			return -HV_EBADMSG;
		memcpy(&h, t + off, sizeof(h));
		if (h.length < sizeof(h) || h.length > len - off)
			return -HV_EBADMSG;

		if (h.type == ACPI_DMAR_TYPE_DRHD) {
			struct acpi_dmar_hardware_unit u;

			if (h.length < sizeof(u))
				return -HV_EBADMSG;
			memcpy(&u, t + off, sizeof(u));
			const uint8_t *scopes = t + off + sizeof(u);
			size_t scopes_len = h.length - sizeof(u);

			if (!info) {
				err = dmar_scopes(scopes, scopes_len, NULL, NULL, NULL);
			} else if (info->drhd_count == ACPI_MAX_DRHD) {
				info->truncated++;
			} else {
				struct acpi_drhd *d = &info->drhd[info->drhd_count++];

				*d = (struct acpi_drhd){
					.base = u.register_base_address,
					.segment = u.segment_number,
					.include_pci_all = u.flags & ACPI_DRHD_INCLUDE_PCI_ALL,
				};
				err = dmar_scopes(scopes, scopes_len, d->scopes, &d->scope_count,
						  &info->truncated);
			}
		} else if (h.type == ACPI_DMAR_TYPE_RMRR) {
			struct acpi_dmar_reserved_memory r;

			if (h.length < sizeof(r))
				return -HV_EBADMSG;
			memcpy(&r, t + off, sizeof(r));
			const uint8_t *scopes = t + off + sizeof(r);
			size_t scopes_len = h.length - sizeof(r);

			if (r.reserved_memory_region_limit_address < r.reserved_memory_region_base_address)
				return -HV_EBADMSG;
			if (!info) {
				err = dmar_scopes(scopes, scopes_len, NULL, NULL, NULL);
			} else if (info->rmrr_count == ACPI_MAX_RMRR) {
				info->truncated++;
			} else {
				struct acpi_rmrr *m = &info->rmrr[info->rmrr_count++];

				*m = (struct acpi_rmrr){
					.base = r.reserved_memory_region_base_address,
					.limit = r.reserved_memory_region_limit_address,
					.segment = r.segment_number,
				};
				err = dmar_scopes(scopes, scopes_len, m->scopes, &m->scope_count,
						  &info->truncated);
			}
		}
		/* ATSR, RHSA, ANDD, SATC, SIDP and future types: skipped by their Length. */
		if (err)
			return err;
		off += h.length;
	}
	return 0;
}

int acpi_parse_dmar(const void *table, size_t len, struct acpi_info *info)
{
	struct acpi_dmar dmar;

	if (len < sizeof(dmar))
		return -HV_EBADMSG;
	memcpy(&dmar, table, sizeof(dmar));
	int err = dmar_walk(table, len, NULL);
	if (err)
		return err;

	info->dmar_present = true;
	info->dmar_host_address_width = dmar.host_address_width;
	info->dmar_flags = dmar.flags;
	info->drhd_count = 0;
	info->rmrr_count = 0;
	return dmar_walk(table, len, info);
}
