// SPDX-License-Identifier: MIT
/*
 * PCI enumeration: find every function, decode its BARs and capabilities,
 * and keep the result in a table that device assignment uses later.
 *
 * Configuration access itself is the architecture's (pci_cfg_read/write);
 * everything here is plain logic over it, so the whole file also builds on
 * the host, where the unit tests run it against a simulated bus.
 *
 * Enumeration is brute force: every device number on every bus the access
 * method reaches, function 0 first and functions 1-7 only when function 0
 * sets the multi-function bit. A walk down the bridges would read fewer
 * registers, but it trusts the secondary/subordinate bus numbers that the
 * firmware programmed into each bridge; the brute-force scan finds every
 * function the firmware made reachable whatever the bridges say, and with
 * ECAM a full scan is a few thousand uncached reads (milliseconds).
 */
#include <abi/errno.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/pci.h>
#include <hv/string.h>

#define PCI_MAX_TABLE	128

static struct pci_device pci_table[PCI_MAX_TABLE];
static size_t pci_table_count;

/* ---- BARs ---- */

/*
 * A BAR's size is the lowest address bit that the device lets software set;
 * every bit above it must be writable too (PCI 3.0, 6.2.5.1). Returns 0 if
 * `mask` is not such a run of ones.
 */
static uint64_t size_from_mask(uint64_t mask)
{
	uint64_t size = mask & -mask;

	if ((mask | (size - 1)) != ~0ULL)
		return 0;
	return size;
}

int pci_bar_decode(const uint32_t *orig, const uint32_t *sized, unsigned int regs_left,
		   struct pci_bar *bar)
{
	uint32_t lo = orig[0], lo_sized = sized[0];
	uint64_t mask, base, size;

	*bar = (struct pci_bar){ .type = PCI_BAR_NONE };
	if (!regs_left)
		return -HV_EINVAL;

	if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
		mask = lo_sized & PCI_BASE_ADDRESS_IO_MASK;
		if (!mask)
			return 1;		/* unimplemented */
		if (!(lo_sized & PCI_BASE_ADDRESS_SPACE_IO))
			return -HV_EIO;		/* the space bit is read-only */
		/* A device that decodes only 16 I/O address bits may read back 0 above them. */
		if (!(mask & GENMASK(31, 16)))
			mask |= GENMASK(31, 16);
		size = size_from_mask(mask | GENMASK(63, 32));
		base = lo & PCI_BASE_ADDRESS_IO_MASK;
		if (!size || base & (size - 1) || base + size - 1 > UINT32_MAX)
			return -HV_EIO;
		*bar = (struct pci_bar){ .type = PCI_BAR_IO, .base = base, .size = size };
		return 1;
	}

	/* The space, type and prefetchable bits are read-only: sizing must not change them. */
	if (((lo ^ lo_sized) & GENMASK(3, 0)) && (lo_sized & PCI_BASE_ADDRESS_MEM_MASK))
		return -HV_EIO;

	switch (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) {
	case PCI_BASE_ADDRESS_MEM_TYPE_32:
	case PCI_BASE_ADDRESS_MEM_TYPE_1M:
		mask = lo_sized & PCI_BASE_ADDRESS_MEM_MASK;
		if (!mask)
			return 1;
		size = size_from_mask(mask | GENMASK(63, 32));
		base = lo & PCI_BASE_ADDRESS_MEM_MASK;
		if (!size || base & (size - 1) || base + size - 1 > UINT32_MAX)
			return -HV_EIO;
		*bar = (struct pci_bar){
			.type = PCI_BAR_MEM32,
			.prefetchable = lo & PCI_BASE_ADDRESS_MEM_PREFETCH,
			.base = base,
			.size = size,
		};
		return 1;

	case PCI_BASE_ADDRESS_MEM_TYPE_64:
		if (regs_left < 2)
			return -HV_EIO;		/* the upper half would be past the last BAR */
		mask = (uint64_t)sized[1] << 32 | (lo_sized & PCI_BASE_ADDRESS_MEM_MASK);
		if (!mask)
			return 2;
		size = size_from_mask(mask);
		base = (uint64_t)orig[1] << 32 | (lo & PCI_BASE_ADDRESS_MEM_MASK);
		if (!size || base & (size - 1) || range_wraps(base, size))
			return -HV_EIO;
		*bar = (struct pci_bar){
			.type = PCI_BAR_MEM64,
			.prefetchable = lo & PCI_BASE_ADDRESS_MEM_PREFETCH,
			.base = base,
			.size = size,
		};
		return 2;

	default:
		return -HV_EIO;			/* type 11b is reserved */
	}
}

/* ---- capability lists ---- */

int pci_cap_walk(pci_cfg_reader_t read, void *ctx, uint16_t ptr_reg,
		 struct pci_cap *caps, size_t max)
{
	/* One bit per dword of configuration space: a second visit is a loop. */
	uint64_t visited = 0;
	size_t n = 0;

	if (!(read(ctx, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;

	/*
	 * The low two bits of every pointer are reserved and software must
	 * mask them (PCI 3.0, 6.7): masked, every pointer is dword-aligned.
	 */
	uint16_t ptr = read(ctx, ptr_reg, 1) & 0xfc;

	while (ptr) {
		if (ptr < PCI_STD_HEADER_SIZEOF)
			return -HV_EBADMSG;	/* into the header: not a capability */
		if (visited & BIT(ptr / 4))
			return -HV_EBADMSG;
		visited |= BIT(ptr / 4);
		if (n == max)
			return -HV_E2BIG;
		caps[n++] = (struct pci_cap){
			.id = (uint8_t)read(ctx, ptr + PCI_CAP_LIST_ID, 1),
			.offset = ptr,
		};
		ptr = read(ctx, ptr + PCI_CAP_LIST_NEXT, 1) & 0xfc;
	}
	return (int)n;
}

int pci_ext_cap_walk(pci_cfg_reader_t read, void *ctx, struct pci_cap *caps, size_t max)
{
	uint64_t visited[PCI_CFG_SPACE_EXP_SIZE / 4 / 64] = { 0 };
	uint16_t ptr = PCI_CFG_SPACE_SIZE;
	size_t n = 0;

	do {
		uint32_t header = read(ctx, ptr + PCI_EXT_CAP_HEADER, 4);

		/* No extended capabilities: 0 (PCIe 7.6.3) or all ones (conventional PCI). */
		if (ptr == PCI_CFG_SPACE_SIZE && (header == 0 || header == UINT32_MAX))
			return 0;
		if (ptr < PCI_CFG_SPACE_SIZE)
			return -HV_EBADMSG;
		if (visited[ptr / 4 / 64] & BIT(ptr / 4 % 64))
			return -HV_EBADMSG;
		visited[ptr / 4 / 64] |= BIT(ptr / 4 % 64);
		if (n == max)
			return -HV_E2BIG;
		caps[n++] = (struct pci_cap){
			.id = (uint16_t)(header & PCI_EXT_CAP_ID_MASK),
			.offset = ptr,
		};
		/* Reserved low bits masked as for the classic list. */
		ptr = (uint16_t)((header & PCI_EXT_CAP_NEXT_MASK) >> PCI_EXT_CAP_NEXT_SHIFT) & 0xffc;
	} while (ptr);
	return (int)n;
}

/* ---- names ---- */

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
	static const struct { uint8_t class_code, subclass; const char *name; } specific[] = {
		{ 0x01, 0x01, "IDE controller" },	{ 0x01, 0x06, "SATA controller" },
		{ 0x01, 0x08, "NVMe controller" },	{ 0x02, 0x00, "Ethernet controller" },
		{ 0x03, 0x00, "VGA controller" },	{ 0x06, 0x00, "host bridge" },
		{ 0x06, 0x01, "ISA bridge" },		{ 0x06, 0x04, "PCI bridge" },
		{ 0x06, 0x80, "bridge" },		{ 0x0c, 0x03, "USB controller" },
		{ 0x0c, 0x05, "SMBus controller" },
	};
	static const char *const base[] = {
		[0x00] = "unclassified",	[0x01] = "storage controller",
		[0x02] = "network controller",	[0x03] = "display controller",
		[0x04] = "multimedia controller", [0x05] = "memory controller",
		[0x06] = "bridge",		[0x07] = "communication controller",
		[0x08] = "system peripheral",	[0x09] = "input device",
		[0x0a] = "docking station",	[0x0b] = "processor",
		[0x0c] = "serial bus controller", [0x0d] = "wireless controller",
		[0x0e] = "intelligent I/O",	[0x0f] = "satellite controller",
		[0x10] = "crypto controller",	[0x11] = "signal processing",
		[0x12] = "processing accelerator", [0x13] = "non-essential instrumentation",
	};

	for (size_t i = 0; i < ARRAY_SIZE(specific); i++)
		if (specific[i].class_code == class_code && specific[i].subclass == subclass)
			return specific[i].name;
	if (class_code < ARRAY_SIZE(base) && base[class_code])
		return base[class_code];
	return "unknown class";
}

const char *pci_cap_name(uint8_t id)
{
	static const char *const names[] = {
		[PCI_CAP_ID_PM] = "PM",		[PCI_CAP_ID_AGP] = "AGP",
		[PCI_CAP_ID_VPD] = "VPD",	[PCI_CAP_ID_SLOTID] = "slot-id",
		[PCI_CAP_ID_MSI] = "MSI",	[PCI_CAP_ID_HT] = "HT",
		[PCI_CAP_ID_VNDR] = "vendor",	[PCI_CAP_ID_DBG] = "debug",
		[PCI_CAP_ID_SSVID] = "SSVID",	[PCI_CAP_ID_EXP] = "PCIe",
		[PCI_CAP_ID_MSIX] = "MSI-X",	[PCI_CAP_ID_SATA] = "SATA",
		[PCI_CAP_ID_AF] = "AF",		[PCI_CAP_ID_EA] = "EA",
	};

	if (id < ARRAY_SIZE(names) && names[id])
		return names[id];
	return "?";
}

/* ---- enumeration ---- */

static uint32_t cfg_reader(void *ctx, uint16_t offset, unsigned int size)
{
	return pci_cfg_read(*(const pci_sbdf_t *)ctx, offset, size);
}

/* Read-modify-write of the command register only: the status register next to it is write-1-to-clear. */
static void set_command(pci_sbdf_t sbdf, uint16_t cmd)
{
	pci_cfg_write16(sbdf, PCI_COMMAND, cmd);
}

/*
 * Size and decode the BARs. Memory and I/O decoding is switched off while
 * all ones sit in a BAR, so that the device never claims a bogus range,
 * and the command register is restored afterwards. Host bridges are left
 * decoding (as Linux does): on some chipsets they route RAM. Assumes
 * nothing else touches the function meanwhile (boot, one CPU, interrupts
 * off).
 */
static void pci_read_bars(struct pci_device *d)
{
	pci_sbdf_t sbdf = d->sbdf;
	uint16_t cmd = pci_cfg_read16(sbdf, PCI_COMMAND);
	bool host_bridge = d->class_code == PCI_CLASS_BRIDGE && d->subclass == PCI_SUBCLASS_BRIDGE_HOST;
	bool quiesce = !host_bridge && (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY));

	if (quiesce)
		set_command(sbdf, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));

	for (unsigned int i = 0; i < d->bar_count;) {
		uint32_t orig[2] = { 0, 0 }, sized[2] = { 0, 0 };
		unsigned int regs = pci_bar_is_mem64(pci_cfg_read32(sbdf, PCI_BASE_ADDRESS(i))) &&
				    i + 1 < d->bar_count ? 2 : 1;

		for (unsigned int r = 0; r < regs; r++) {
			uint16_t reg = PCI_BASE_ADDRESS(i + r);

			orig[r] = pci_cfg_read32(sbdf, reg);
			pci_cfg_write32(sbdf, reg, UINT32_MAX);
			sized[r] = pci_cfg_read32(sbdf, reg);
			pci_cfg_write32(sbdf, reg, orig[r]);
		}

		int used = pci_bar_decode(orig, sized, d->bar_count - i, &d->bars[i]);
		if (used < 0) {
			pr_warn("pci: %02x:%02x.%u BAR%u is malformed (%#x, sized %#x), ignored",
				PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), i, orig[0], sized[0]);
			used = 1;
		}
		i += (unsigned int)used;
	}

	if (quiesce)
		set_command(sbdf, cmd);
}

static void pci_read_caps(struct pci_device *d, bool extended)
{
	pci_sbdf_t sbdf = d->sbdf;
	uint16_t ptr_reg = d->header_type == PCI_HEADER_TYPE_CARDBUS ? PCI_CB_CAPABILITY_LIST
								       : PCI_CAPABILITY_LIST;
	int n = pci_cap_walk(cfg_reader, &sbdf, ptr_reg, d->caps, ARRAY_SIZE(d->caps));

	if (n < 0) {
		pr_warn("pci: %02x:%02x.%u capability list is malformed (%d), ignored",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), n);
		n = 0;
	}
	d->cap_count = (uint8_t)n;

	/* Only PCI Express functions have the extended list, and only ECAM reaches it. */
	if (!extended || !pci_find_cap(d, PCI_CAP_ID_EXP))
		return;
	n = pci_ext_cap_walk(cfg_reader, &sbdf, d->ext_caps, ARRAY_SIZE(d->ext_caps));
	if (n < 0) {
		pr_warn("pci: %02x:%02x.%u extended capability list is malformed (%d), ignored",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), n);
		n = 0;
	}
	d->ext_cap_count = (uint8_t)n;
}

static void pci_print(const struct pci_device *d)
{
	static const char *const bar_types[] = {
		[PCI_BAR_IO] = "io", [PCI_BAR_MEM32] = "mem32", [PCI_BAR_MEM64] = "mem64",
	};
	pci_sbdf_t s = d->sbdf;
	char seg[8] = "";

	if (PCI_SEG(s))
		format(seg, sizeof(seg), "%04x:", PCI_SEG(s));
	pr_info("pci: %s%02x:%02x.%u %04x:%04x class %02x.%02x.%02x %s", seg, PCI_BUS(s),
		PCI_DEV(s), PCI_FN(s), d->vendor_id, d->device_id, d->class_code, d->subclass,
		d->prog_if, pci_class_name(d->class_code, d->subclass));
	if (d->header_type == PCI_HEADER_TYPE_BRIDGE)
		pr_info("pci:   bridge to buses %02x-%02x", d->secondary_bus, d->subordinate_bus);
	if (d->interrupt_pin)
		pr_info("pci:   INT%c, firmware line %u", 'A' + d->interrupt_pin - 1, d->interrupt_line);

	for (unsigned int i = 0; i < d->bar_count; i++) {
		const struct pci_bar *b = &d->bars[i];
		char size[16];

		if (b->type == PCI_BAR_NONE)
			continue;
		format_size(size, sizeof(size), b->size);
		pr_info("pci:   BAR%u %s%s %#llx size %s%s", i, bar_types[b->type],
			b->prefetchable ? " prefetchable" : "", (unsigned long long)b->base, size,
			b->base ? "" : " (not assigned)");
	}

	if (d->cap_count) {
		char line[160];
		size_t n = 0;

		for (unsigned int i = 0; i < d->cap_count && n < sizeof(line); i++)
			n += (size_t)format(line + n, sizeof(line) - n, " %s(%02x)@%02x",
					    pci_cap_name((uint8_t)d->caps[i].id), d->caps[i].id,
					    d->caps[i].offset);
		pr_info("pci:   capabilities:%s", line);
	}
	if (d->ext_cap_count) {
		char line[160];
		size_t n = 0;

		for (unsigned int i = 0; i < d->ext_cap_count && n < sizeof(line); i++)
			n += (size_t)format(line + n, sizeof(line) - n, " %04x@%03x",
					    d->ext_caps[i].id, d->ext_caps[i].offset);
		pr_info("pci:   extended capabilities:%s", line);
	}
}

/*
 * Read one function into the table. Returns its header type byte (with
 * the multi-function bit), or -HV_ENOENT if no function answers here.
 */
static int pci_probe_function(pci_sbdf_t sbdf, bool extended)
{
	uint32_t id = pci_cfg_read32(sbdf, PCI_VENDOR_ID);
	uint16_t vendor = (uint16_t)id;

	/* All ones: nothing decodes the address. 0: some bridges' answer for an empty slot. */
	if (vendor == PCI_VENDOR_ID_INVALID || vendor == 0)
		return -HV_ENOENT;

	uint8_t header = pci_cfg_read8(sbdf, PCI_HEADER_TYPE);
	if (pci_table_count == ARRAY_SIZE(pci_table)) {
		pr_warn("pci: %02x:%02x.%u not recorded: the device table is full (%zu)",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), ARRAY_SIZE(pci_table));
		return header;
	}

	struct pci_device *d = &pci_table[pci_table_count];
	uint32_t class_rev = pci_cfg_read32(sbdf, PCI_REVISION_ID);

	*d = (struct pci_device){
		.sbdf = sbdf,
		.vendor_id = vendor,
		.device_id = (uint16_t)(id >> 16),
		.revision = (uint8_t)class_rev,
		.prog_if = (uint8_t)(class_rev >> 8),
		.subclass = (uint8_t)(class_rev >> 16),
		.class_code = (uint8_t)(class_rev >> 24),
		.header_type = header & PCI_HEADER_TYPE_MASK,
		.multi_function = header & PCI_HEADER_TYPE_MULTI_FUNCTION,
	};

	switch (d->header_type) {
	case PCI_HEADER_TYPE_NORMAL:
		d->bar_count = 6;
		d->interrupt_line = pci_cfg_read8(sbdf, PCI_INTERRUPT_LINE);
		d->interrupt_pin = pci_cfg_read8(sbdf, PCI_INTERRUPT_PIN);
		break;
	case PCI_HEADER_TYPE_BRIDGE:
		d->bar_count = 2;
		d->secondary_bus = pci_cfg_read8(sbdf, PCI_SECONDARY_BUS);
		d->subordinate_bus = pci_cfg_read8(sbdf, PCI_SUBORDINATE_BUS);
		d->interrupt_line = pci_cfg_read8(sbdf, PCI_INTERRUPT_LINE);
		d->interrupt_pin = pci_cfg_read8(sbdf, PCI_INTERRUPT_PIN);
		break;
	case PCI_HEADER_TYPE_CARDBUS:
		d->bar_count = 1;
		break;
	default:
		pr_warn("pci: %02x:%02x.%u has unknown header type %#x: BARs and capabilities not read",
			PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), d->header_type);
		pci_table_count++;
		return header;
	}
	if (d->interrupt_pin > 4)
		d->interrupt_pin = 0;		/* only INTA..INTD exist */

	pci_read_bars(d);
	pci_read_caps(d, extended);
	pci_table_count++;
	pci_print(d);
	return header;
}

static void pci_scan_bus(uint16_t segment, uint8_t bus, bool extended)
{
	for (uint8_t dev = 0; dev < PCI_MAX_DEVICES_PER_BUS; dev++) {
		int header = pci_probe_function(PCI_SBDF(segment, bus, dev, 0), extended);

		/* Functions 1-7 exist only behind a function 0 that says so (PCI 3.0, 6.2.1). */
		if (header < 0 || !(header & PCI_HEADER_TYPE_MULTI_FUNCTION))
			continue;
		for (uint8_t fn = 1; fn < PCI_MAX_FUNCTIONS; fn++)
			pci_probe_function(PCI_SBDF(segment, bus, dev, fn), extended);
	}
}

int pci_init(void)
{
	struct pci_cfg_range ranges[PCI_MAX_CFG_RANGES];
	int nranges = pci_cfg_init(ranges, ARRAY_SIZE(ranges));

	if (nranges < 0) {
		pr_err("pci: no configuration access method (%d)", nranges);
		return nranges;
	}

	pci_table_count = 0;
	for (int r = 0; r < nranges; r++)
		for (unsigned int bus = ranges[r].bus_start; bus <= ranges[r].bus_end; bus++)
			pci_scan_bus(ranges[r].segment, (uint8_t)bus, ranges[r].extended);

	pr_info("pci: %zu function(s) found", pci_table_count);
	return (int)pci_table_count;
}

const struct pci_device *pci_devices(size_t *count)
{
	*count = pci_table_count;
	return pci_table;
}

const struct pci_device *pci_find(pci_sbdf_t sbdf)
{
	for (size_t i = 0; i < pci_table_count; i++)
		if (pci_table[i].sbdf == sbdf)
			return &pci_table[i];
	return NULL;
}

uint16_t pci_find_cap(const struct pci_device *dev, uint8_t id)
{
	for (unsigned int i = 0; i < dev->cap_count; i++)
		if (dev->caps[i].id == id)
			return dev->caps[i].offset;
	return 0;
}
