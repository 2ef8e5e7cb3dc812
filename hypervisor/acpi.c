// SPDX-License-Identifier: MIT
/*
 * ACPI glue: find the RSDP, map and verify the tables, hand them to the
 * parsers in acpi_tables.c, report what was found, and power off via S5.
 *
 * Tables live in firmware memory (often "reserved" in the memory map): they
 * are only ever reached through memremap(), never by assuming a mapping.
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <hv/acpi.h>
#include <hv/acpi_tables.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/mm.h>
#include <hv/string.h>

/* BIOS areas searched for the RSDP when the loader gives none (ACPI 6.5 section 5.2.5.1). */
#define BDA_EBDA_SEGMENT	0x40e	/* real-mode segment of the EBDA, in the BIOS data area */
#define EBDA_SEARCH_LEN		1024	/* the first 1 KiB of the EBDA */
#define BIOS_ROM_START		0xe0000
#define BIOS_ROM_END		0x100000
#define RSDP_ALIGN		16

/* Larger than any real table (DSDTs run to a few hundred KiB): a bigger Length is corruption. */
#define ACPI_TABLE_MAX_LEN	(16 * MiB)

/* How long to wait for firmware to set SCI_EN after the ACPI-enable SMI. */
#define SCI_EN_POLLS		1000000

struct acpi_table {
	paddr_t pa;
	uint32_t len;
	const struct acpi_table_header *hdr;	/* mapped, checksum verified */
};

static struct acpi_info info;
static struct acpi_table tables[ACPI_MAX_TABLES];
static unsigned int table_count;

static struct acpi_root root;
static paddr_t rsdp_pa;			/* 0: the multiboot2 copy */
static uint8_t rsdp_copy[sizeof(struct acpi_rsdp)];
static size_t rsdp_len;

const struct acpi_info *acpi_get(void)
{
	return &info;
}

const struct acpi_table_header *acpi_find_table(const char signature[4], unsigned int instance)
{
	for (unsigned int i = 0; i < table_count; i++)
		if (!memcmp(tables[i].hdr->signature, signature, 4) && instance-- == 0)
			return tables[i].hdr;
	return NULL;
}

/* ---- Finding the RSDP ---- */

static int rsdp_scan(paddr_t start, paddr_t end)
{
	const uint8_t *area = memremap(start, end - start);

	for (paddr_t pa = start; pa + ACPI_RSDP_V1_LENGTH <= end; pa += RSDP_ALIGN) {
		const uint8_t *p = area + (pa - start);
		size_t avail = MIN((size_t)(end - pa), sizeof(rsdp_copy));

		if (memcmp(p, ACPI_RSDP_SIGNATURE, 8) || acpi_parse_rsdp(p, avail, &root))
			continue;
		rsdp_len = root.revision >= 2 && avail >= sizeof(struct acpi_rsdp) ?
			   sizeof(struct acpi_rsdp) : ACPI_RSDP_V1_LENGTH;
		memcpy(rsdp_copy, p, rsdp_len);
		rsdp_pa = pa;
		return 0;
	}
	return -HV_ENOENT;
}

static int rsdp_find(const struct boot_info *bi)
{
	if (bi->rsdp_len) {
		if (acpi_parse_rsdp(bi->rsdp, bi->rsdp_len, &root) == 0) {
			rsdp_len = MIN((size_t)bi->rsdp_len, sizeof(rsdp_copy));
			memcpy(rsdp_copy, bi->rsdp, rsdp_len);
			rsdp_pa = 0;
			return 0;
		}
		pr_warn("acpi: the loader's RSDP copy is invalid; searching the BIOS areas");
	}

	uint16_t ebda_segment;
	memcpy(&ebda_segment, memremap(BDA_EBDA_SEGMENT, sizeof(ebda_segment)), sizeof(ebda_segment));
	paddr_t ebda = (paddr_t)ebda_segment << 4;
	/* Only trust an EBDA pointer that lands in conventional memory below the VGA hole. */
	if (ebda >= 0x80000 && ebda + EBDA_SEARCH_LEN <= 0xa0000 && rsdp_scan(ebda, ebda + EBDA_SEARCH_LEN) == 0)
		return 0;
	return rsdp_scan(BIOS_ROM_START, BIOS_ROM_END);
}

/* ---- Mapping and checking tables ---- */

/* Map the table at pa and verify its Length and checksum. Returns its header or NULL. */
static const struct acpi_table_header *table_map(paddr_t pa, uint32_t *len_out)
{
	if (pa == 0 || range_wraps(pa, sizeof(struct acpi_table_header))) {
		pr_warn("acpi: ignoring table pointer %#lx", pa);
		return NULL;
	}
	const struct acpi_table_header *hdr = memremap(pa, sizeof(*hdr));
	uint32_t len = hdr->length;

	if (len < sizeof(*hdr) || len > ACPI_TABLE_MAX_LEN || range_wraps(pa, len)) {
		pr_warn("acpi: ignoring table '%.4s' at %#lx: length %u", hdr->signature, pa, len);
		return NULL;
	}
	hdr = memremap(pa, len);
	if (acpi_table_check(hdr, len) < 0) {
		pr_warn("acpi: ignoring table '%.4s' at %#lx: bad checksum", hdr->signature, pa);
		return NULL;
	}
	*len_out = len;
	return hdr;
}

static const struct acpi_table_header *table_add(paddr_t pa, const char *expect)
{
	uint32_t len;
	const struct acpi_table_header *hdr = table_map(pa, &len);

	if (!hdr)
		return NULL;
	if (expect && memcmp(hdr->signature, expect, 4)) {
		pr_warn("acpi: ignoring table at %#lx: signature '%.4s', expected '%.4s'",
			pa, hdr->signature, expect);
		return NULL;
	}
	for (unsigned int i = 0; i < table_count; i++)
		if (tables[i].pa == pa)
			return tables[i].hdr;	/* listed twice (or the DSDT in the RSDT too) */
	if (table_count == ACPI_MAX_TABLES) {
		pr_warn("acpi: ignoring table '%.4s' at %#lx: more than %u tables",
			hdr->signature, pa, ACPI_MAX_TABLES);
		info.truncated++;
		return NULL;
	}
	tables[table_count++] = (struct acpi_table){ .pa = pa, .len = len, .hdr = hdr };
	pr_info("acpi: %.4s @%#lx len %u rev %u OEM '%.6s' '%.8s'", hdr->signature, pa, len,
		hdr->revision, hdr->oem_id, hdr->oem_table_id);
	return hdr;
}

/* Add the RSDT or XSDT and every table it lists. */
static int root_walk(paddr_t pa, bool xsdt)
{
	const struct acpi_table_header *sdt = table_add(pa, xsdt ? "XSDT" : "RSDT");
	paddr_t entries[ACPI_MAX_TABLES];

	if (!sdt)
		return -HV_EBADMSG;
	int count = acpi_sdt_entries(sdt, sdt->length, xsdt, entries, ARRAY_SIZE(entries));
	if (count < 0) {
		pr_warn("acpi: %.4s length %u is not a whole number of entries", sdt->signature, sdt->length);
		return count;
	}
	if ((unsigned int)count > ARRAY_SIZE(entries)) {
		pr_warn("acpi: %.4s lists %d tables; using the first %zu", sdt->signature, count,
			ARRAY_SIZE(entries));
		info.truncated += (uint32_t)count - ARRAY_SIZE(entries);
		count = (int)ARRAY_SIZE(entries);
	}
	for (int i = 0; i < count; i++)
		table_add(entries[i], NULL);
	return 0;
}

/* ---- Parsing and reporting ---- */

typedef int (*table_parser)(const void *table, size_t len, struct acpi_info *info);

static bool parse_one(const char *signature, table_parser parse)
{
	const struct acpi_table_header *t = acpi_find_table(signature, 0);

	if (!t)
		return false;
	if (parse(t, t->length, &info)) {
		pr_warn("acpi: %.4s is malformed; ignored", signature);
		return false;
	}
	return true;
}

static const char *scope_type_name(uint8_t type)
{
	switch (type) {
	case ACPI_DMAR_SCOPE_PCI_ENDPOINT:	return "endpoint";
	case ACPI_DMAR_SCOPE_PCI_BRIDGE:	return "bridge";
	case ACPI_DMAR_SCOPE_IOAPIC:		return "ioapic";
	case ACPI_DMAR_SCOPE_HPET:		return "hpet";
	case ACPI_DMAR_SCOPE_ACPI_NAMESPACE:	return "acpi-namespace";
	default:				return "unknown";
	}
}

static void report_scopes(const struct acpi_dmar_scope *scopes, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		const struct acpi_dmar_scope *s = &scopes[i];
		char path[4 * 6 + 1] = "";
		size_t n = 0;

		for (unsigned int j = 0; j < s->path_len; j++)
			n += (size_t)format(path + n, sizeof(path) - n, "/%02x.%x", s->path[j][0], s->path[j][1]);
		pr_info("acpi:   scope %s id %u bus %02x path %s", scope_type_name(s->type),
			s->enumeration_id, s->start_bus, path);
	}
}

static void report_madt(void)
{
	char ids[ACPI_MAX_CPUS * 11 + 1] = "";
	size_t n = 0;

	for (unsigned int i = 0; i < info.cpu_count; i++)
		n += (size_t)format(ids + n, sizeof(ids) - n, " %u", info.lapic_ids[i]);
	pr_info("acpi: MADT: LAPIC %#lx, %u CPU(s), APIC ids:%s%s", info.lapic_base, info.cpu_count,
		ids, info.pcat_compat ? ", 8259 PICs present" : "");
	for (unsigned int i = 0; i < info.ioapic_count; i++)
		pr_info("acpi: MADT: IOAPIC id %u at %#lx, GSI base %u", info.ioapics[i].id,
			info.ioapics[i].base, info.ioapics[i].gsi_base);
	for (unsigned int i = 0; i < info.override_count; i++)
		pr_info("acpi: MADT: override IRQ %u -> GSI %u flags %#x", info.overrides[i].source_irq,
			info.overrides[i].gsi, info.overrides[i].flags);
}

static void report_dmar(void)
{
	pr_info("acpi: DMAR: host address width %u bits, flags %#x%s%s", info.dmar_host_address_width + 1,
		info.dmar_flags, info.dmar_flags & ACPI_DMAR_INTR_REMAP ? " INTR_REMAP" : "",
		info.dmar_flags & ACPI_DMAR_X2APIC_OPT_OUT ? " X2APIC_OPT_OUT" : "");
	for (unsigned int i = 0; i < info.drhd_count; i++) {
		const struct acpi_drhd *d = &info.drhd[i];

		pr_info("acpi: DMAR: DRHD %#lx segment %u%s, %u scope(s)", d->base, d->segment,
			d->include_pci_all ? " INCLUDE_PCI_ALL" : "", d->scope_count);
		report_scopes(d->scopes, d->scope_count);
	}
	for (unsigned int i = 0; i < info.rmrr_count; i++) {
		const struct acpi_rmrr *r = &info.rmrr[i];

		pr_info("acpi: DMAR: RMRR %#lx-%#lx segment %u, %u scope(s)", r->base, r->limit,
			r->segment, r->scope_count);
		report_scopes(r->scopes, r->scope_count);
	}
}

/* The DSDT is reached through the FADT, not the RSDT; \_S5_ is in it or in an SSDT. */
static void find_s5(void)
{
	const struct acpi_table_header *t = NULL;

	if (info.dsdt)
		t = table_add(info.dsdt, "DSDT");
	if (t && acpi_parse_s5(t, t->length, &info) == 0)
		return;
	for (unsigned int i = 0; (t = acpi_find_table("SSDT", i)); i++)
		if (acpi_parse_s5(t, t->length, &info) == 0)
			return;
	pr_warn("acpi: no valid \\_S5_ package: ACPI power-off unavailable");
}

int acpi_init(const struct boot_info *bi)
{
	if (rsdp_find(bi)) {
		pr_warn("acpi: no valid RSDP: running without ACPI");
		return -HV_ENOENT;
	}
	info.revision = root.revision;
	memcpy(info.oem_id, root.oem_id, sizeof(info.oem_id));
	if (rsdp_pa)
		pr_info("acpi: RSDP @%#lx rev %u OEM '%s'", rsdp_pa, root.revision, root.oem_id);
	else
		pr_info("acpi: RSDP (multiboot2 copy) rev %u OEM '%s'", root.revision, root.oem_id);

	/* The XSDT supersedes the RSDT when the RSDP offers one; a broken one is not fatal. */
	if (!root.xsdt || root_walk(root.xsdt, true)) {
		if (root.xsdt)
			pr_warn("acpi: XSDT unusable; falling back to the RSDT");
		if (root_walk(root.rsdt, false)) {
			pr_warn("acpi: no usable RSDT: running without ACPI tables");
			return -HV_EBADMSG;
		}
	}

	if (parse_one("APIC", acpi_parse_madt))
		report_madt();
	if (parse_one("MCFG", acpi_parse_mcfg))
		for (unsigned int i = 0; i < info.mcfg_count; i++)
			pr_info("acpi: MCFG: segment %u ECAM %#lx buses %02x-%02x", info.mcfg[i].segment,
				info.mcfg[i].base, info.mcfg[i].bus_start, info.mcfg[i].bus_end);
	if (parse_one("HPET", acpi_parse_hpet))
		pr_info("acpi: HPET: base %#lx", info.hpet_base);
	if (parse_one("FACP", acpi_parse_fadt)) {
		find_s5();
		pr_info("acpi: FADT: PM1a_CNT %#x PM1b_CNT %#x SCI IRQ %u, S5 %s SLP_TYPa %u SLP_TYPb %u",
			info.pm1a_cnt_port, info.pm1b_cnt_port, info.sci_irq,
			info.s5_valid ? "found" : "missing", info.s5_slp_typ_a, info.s5_slp_typ_b);
		if (info.reset_valid)
			pr_info("acpi: FADT: reset register space %u address %#lx value %#x",
				info.reset_reg.address_space_id, info.reset_reg.address, info.reset_value);
	}
	if (parse_one("DMAR", acpi_parse_dmar))
		report_dmar();
	if (info.truncated)
		pr_warn("acpi: %u entries did not fit the tables in struct acpi_info", info.truncated);
	return 0;
}

/* ---- acpidump ---- */

static void dump_bytes(const char *signature, paddr_t pa, const uint8_t *p, size_t len)
{
	console_printf("acpidump: %.4s @0x%lx len %zu\n", signature, pa, len);
	for (size_t off = 0; off < len; off += 16) {
		char line[16 * 3 + 1];
		size_t n = 0;

		for (size_t i = off; i < len && i < off + 16; i++)
			n += (size_t)format(line + n, sizeof(line) - n, " %02x", p[i]);
		console_printf("acpidump: %04zx:%s\n", off, line);
	}
	console_printf("acpidump: end %.4s\n", signature);
}

void acpi_dump_tables(void)
{
	/* The RSDP address is 0 when only the loader's copy is known. */
	if (rsdp_len)
		dump_bytes("RSDP", rsdp_pa, rsdp_copy, rsdp_len);
	for (unsigned int i = 0; i < table_count; i++)
		dump_bytes(tables[i].hdr->signature, tables[i].pa, (const uint8_t *)tables[i].hdr,
			   tables[i].len);
}

/* ---- Power off ---- */

/*
 * Firmware that starts in legacy mode ignores PM1 writes until the OS asks
 * for ACPI mode through SMI_CMD (ACPI 6.5 section 4.8.2.1.1 / 16.3.1).
 */
static void acpi_enable_mode(void)
{
	if ((inw(info.pm1a_cnt_port) & ACPI_PM1_CNT_SCI_EN) || !info.smi_cmd_port || !info.acpi_enable)
		return;
	pr_debug("acpi: SCI_EN clear: writing ACPI_ENABLE %#x to SMI_CMD %#x", info.acpi_enable,
		 info.smi_cmd_port);
	outb(info.smi_cmd_port, info.acpi_enable);
	for (unsigned int i = 0; i < SCI_EN_POLLS; i++) {
		if (inw(info.pm1a_cnt_port) & ACPI_PM1_CNT_SCI_EN)
			return;
		cpu_relax();
	}
	pr_warn("acpi: firmware did not enter ACPI mode; trying S5 anyway");
}

static void pm1_write(uint16_t port, uint8_t slp_typ, bool enable)
{
	uint16_t v = inw(port) & (uint16_t)~(ACPI_PM1_CNT_SLP_TYP | ACPI_PM1_CNT_SLP_EN);

	v |= (uint16_t)(slp_typ << ACPI_PM1_CNT_SLP_TYP_SHIFT);
	if (enable)
		v |= ACPI_PM1_CNT_SLP_EN;
	outw(port, v);
}

void acpi_power_off(void)
{
	if (!info.fadt_present || !info.s5_valid || !info.pm1a_cnt_port) {
		pr_warn("acpi: power-off needs the FADT's PM1a_CNT and \\_S5_: not available");
		return;
	}
	acpi_enable_mode();
	pr_info("acpi: entering S5");
	/* SLP_TYP first, then SLP_EN, to both blocks: the order ACPICA uses. */
	pm1_write(info.pm1a_cnt_port, info.s5_slp_typ_a, false);
	if (info.pm1b_cnt_port)
		pm1_write(info.pm1b_cnt_port, info.s5_slp_typ_b, false);
	pm1_write(info.pm1a_cnt_port, info.s5_slp_typ_a, true);
	if (info.pm1b_cnt_port)
		pm1_write(info.pm1b_cnt_port, info.s5_slp_typ_b, true);
	for (unsigned int i = 0; i < SCI_EN_POLLS; i++)
		cpu_relax();
	pr_err("acpi: still running after the S5 request");
}
