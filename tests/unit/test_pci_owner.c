// SPDX-License-Identifier: MIT
/*
 * hypervisor/pci_owner.c: the ownership table and the configuration space a
 * VM sees through ports 0xCF8/0xCFC, driven the way a hostile VM would:
 * every port size and alignment, BAR sizing and relocation, writes to
 * read-only registers and to MSI/MSI-X. The bus is simulated like hardware
 * (read-only BAR bits, write-1-to-clear status) and records every write
 * that reaches a device, so a filter that lets too much through fails.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <hv/console.h>
#include <hv/pci_owner.h>
#include <hv/policy.h>
#include <hv/time.h>

#include "unit.h"

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

/* The direct map's limit, as the test wants it (the real one is 64 TiB). */
static uint64_t reachable_limit = 0x0000400000000000ULL;
bool remap_reachable(paddr_t pa, size_t len)
{
	return len && pa + len >= pa && pa + len <= reachable_limit;
}

/* pci_irq.c's half of the MSI capability: applies the write to the shadow, as it would with a good message. */
static unsigned int msi_cap_writes;
void pci_irq_msi_cap_write(struct pci_assigned *a, uint16_t off, unsigned int size, uint32_t value)
{
	msi_cap_writes++;
	msi_cap_write(&a->msi_layout, &a->msi_shadow, off, size, value);
}

/* pci_irq.c's half of MSI-X Message Control: the owner's bits into the device, as it would with MSI off. */
void pci_irq_msix_control_write(struct pci_assigned *a, uint8_t upper)
{
	uint16_t at = a->msix_cap + PCI_MSIX_FLAGS, ctrl = pci_cfg_read16(a->dev->sbdf, at);
	uint16_t owner = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL;

	pci_cfg_write16(a->dev->sbdf, at, (uint16_t)((ctrl & ~owner) | (((uint16_t)upper << 8) & owner)));
}

static unsigned int log_count(const char *what)
{
	unsigned int n = 0;

	for (const char *p = console_log; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* ---- The simulated bus. ---- */

struct fake_fn {
	pci_sbdf_t sbdf;
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];	/* extended space too: ECAM reaches it */
	uint32_t bar_writable[PCI_NUM_BARS];
	unsigned int bar_writes;	/* writes that reached a BAR after enumeration */
	unsigned int writes;		/* every write after enumeration */
};

static struct fake_fn fakes[3];
static bool enumerated;

static struct fake_fn *fake_find(pci_sbdf_t sbdf)
{
	for (size_t i = 0; i < ARRAY_SIZE(fakes); i++)
		if (fakes[i].sbdf == sbdf)
			return &fakes[i];
	return NULL;
}

static uint32_t get(const struct fake_fn *f, uint16_t off, unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

static void put(struct fake_fn *f, uint16_t off, unsigned int size, uint32_t v)
{
	for (unsigned int i = 0; i < size; i++)
		f->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

int pci_cfg_init(struct pci_cfg_range *ranges, size_t max)
{
	CHECK(max >= 1);
	ranges[0] = (struct pci_cfg_range){ .segment = 0, .bus_start = 0, .bus_end = 0 };
	return 1;
}

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	struct fake_fn *f = fake_find(sbdf);

	CHECK(size == 1 || size == 2 || size == 4);
	CHECK((offset & (size - 1)) == 0 && offset + size <= PCI_CFG_SPACE_EXP_SIZE);
	if (!f)
		return size == 4 ? UINT32_MAX : (1U << (8 * size)) - 1;
	return get(f, offset, size);
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	struct fake_fn *f = fake_find(sbdf);

	CHECK(size == 1 || size == 2 || size == 4);
	CHECK((offset & (size - 1)) == 0 && offset + size <= PCI_CFG_SPACE_EXP_SIZE);
	if (!f)
		return;
	if (enumerated)
		f->writes++;
	if (offset < PCI_STATUS + 2 && offset + size > PCI_STATUS)
		unit_fail(__FILE__, __LINE__, "write reached the status register (write-1-to-clear)");
	if (offset >= PCI_BASE_ADDRESS_0 && offset < PCI_BASE_ADDRESS(PCI_NUM_BARS)) {
		unsigned int n = (offset - PCI_BASE_ADDRESS_0) / 4;
		uint32_t old = get(f, offset, 4);

		CHECK_EQ(size, 4);
		if (enumerated)
			f->bar_writes++;
		put(f, offset, 4, (old & ~f->bar_writable[n]) | (value & f->bar_writable[n]));
		return;
	}
	put(f, offset, size, value);
}

/*
 * 00:02.0 e1000: BAR0 mem32 128 KiB, BAR1 io 64 bytes, PM capability at 0x50.
 * 00:03.0 NVMe: BAR0 mem64 16 KiB with the MSI-X table at +0x2000 (8
 * vectors); MSI (64-bit, maskable) at 0x40, MSI-X at 0x60.
 * 00:04.0 another function nobody owns.
 */
static void build_bus(void)
{
	struct fake_fn *f;

	memset(fakes, 0, sizeof(fakes));
	enumerated = false;
	f = &fakes[0];
	f->sbdf = PCI_SBDF(0, 0, 2, 0);
	put(f, PCI_VENDOR_ID, 4, 0x100e8086);
	put(f, PCI_REVISION_ID, 4, 0x02000003);
	put(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	put(f, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	put(f, PCI_BASE_ADDRESS(0), 4, 0xfebc0000);
	f->bar_writable[0] = 0xfffe0000;
	put(f, PCI_BASE_ADDRESS(1), 4, 0xc001);
	f->bar_writable[1] = 0xffffffc0;
	put(f, PCI_ROM_ADDRESS, 4, 0xfeb80000);
	f->cfg[PCI_CAPABILITY_LIST] = 0x50;
	f->cfg[0x50] = PCI_CAP_ID_PM;
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 11;

	f = &fakes[1];
	f->sbdf = PCI_SBDF(0, 0, 3, 0);
	put(f, PCI_VENDOR_ID, 4, 0x00101b36);
	put(f, PCI_REVISION_ID, 4, 0x01080202);
	put(f, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	put(f, PCI_BASE_ADDRESS(0), 4, 0xfebf0004);
	f->bar_writable[0] = 0xffffc000;
	put(f, PCI_BASE_ADDRESS(1), 4, 0);
	f->bar_writable[1] = 0xffffffff;
	f->cfg[PCI_CAPABILITY_LIST] = 0x40;
	f->cfg[0x40] = PCI_CAP_ID_MSI;
	f->cfg[0x41] = 0x60;
	put(f, 0x42, 2, BIT(7) | BIT(8));			/* 64-bit, per-vector masking: 0x18 bytes */
	f->cfg[0x60] = PCI_CAP_ID_MSIX;
	put(f, 0x62, 2, 7);					/* 8 vectors */
	put(f, 0x64, 4, 0x2000 | 0);				/* table in BAR0 at 0x2000 */
	put(f, 0x68, 4, 0x3000 | 0);				/* PBA */

	f = &fakes[2];
	f->sbdf = PCI_SBDF(0, 0, 4, 0);
	put(f, PCI_VENDOR_ID, 4, 0x11111234);
	put(f, PCI_REVISION_ID, 4, 0x03000000);
}

static struct policy pol;
static uint32_t addr[4];	/* CONFIG_ADDRESS latched per VM id 1..3 */

/* vm 1 'net' owns both functions; vm 2 'store' is an IOVM that owns none; vm 3 'app' a guest. */
/* Set what pci_irq_init() would: the virtual INTx vector of vm 1's function at device dev. */
static void table_for_test_set_intx(uint8_t dev, uint8_t vector)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(1, &cursor));)
		if (PCI_DEV(a->dev->sbdf) == dev)
			a->intx_vector = vector;
}

static void setup(void)
{
	build_bus();
	CHECK(pci_init() == 3);
	memset(&pol, 0, sizeof(pol));
	pol.vm_count = 3;
	strcpy(pol.vms[0].name, "net");
	strcpy(pol.vms[1].name, "store");
	strcpy(pol.vms[2].name, "app");
	pol.device_count = 1;
	strcpy(pol.devices[0].name, "nic");
	pol.assignment_count = 2;
	pol.assignments[0] = (struct policy_assignment){ .sbdf = PCI_SBDF(0, 0, 2, 0), .owner = 1 };
	pol.assignments[1] = (struct policy_assignment){ .sbdf = PCI_SBDF(0, 0, 3, 0), .owner = 1 };
	CHECK_EQ(pci_owner_init(&pol), 2);
	enumerated = true;
	memset(addr, 0, sizeof(addr));
	console_len = 0;
	console_log[0] = '\0';
}

static bool io(uint32_t vm, uint16_t port, unsigned int size, bool in, uint32_t *value)
{
	return vpci_port_io(vm, &addr[vm], port, size, in, value);
}

static void select_reg(uint32_t vm, uint8_t dev, uint8_t reg)
{
	uint32_t a = BIT(31) | (uint32_t)dev << 11 | reg;

	CHECK(io(vm, 0xcf8, 4, false, &a));
}

static uint32_t rd(uint32_t vm, uint8_t dev, uint8_t off, unsigned int size)
{
	uint32_t v = 0x5a5a5a5a;

	select_reg(vm, dev, off & 0xfc);
	CHECK(io(vm, (uint16_t)(0xcfc + (off & 3)), size, true, &v));
	return v;
}

static void wr(uint32_t vm, uint8_t dev, uint8_t off, unsigned int size, uint32_t v)
{
	select_reg(vm, dev, off & 0xfc);
	CHECK(io(vm, (uint16_t)(0xcfc + (off & 3)), size, false, &v));
}

TEST(the_table_knows_the_owners_and_the_msix_tables)
{
	setup();
	CHECK_EQ(pci_owner(PCI_SBDF(0, 0, 2, 0)), 1);
	CHECK_EQ(pci_owner(PCI_SBDF(0, 0, 3, 0)), 1);
	CHECK_EQ(pci_owner(PCI_SBDF(0, 0, 4, 0)), 0);
	CHECK(pci_owner_msix_page_at(1, 0xfebf2000) != NULL);
	CHECK(pci_owner_msix_page_at(1, 0xfebf2080) != NULL);	/* past the 8 entries, on their page */
	CHECK(pci_owner_msix_page_at(1, 0xfebf1fff) == NULL);
	CHECK(pci_owner_msix_page_at(2, 0xfebf2000) == NULL);	/* not store's */
	size_t cursor = 0;
	CHECK(pci_owner_next(2, &cursor) == NULL);
	cursor = 0;
	const struct pci_assigned *a = pci_owner_next(1, &cursor);
	CHECK(a && a->dev->sbdf == PCI_SBDF(0, 0, 2, 0) && a->msix_bar == -1 && !a->msi_cap);
	a = pci_owner_next(1, &cursor);
	CHECK(a && a->msix_bar == 0 && a->msix_table == 0xfebf2000 && a->msix_table_size == 128);
	CHECK(a && a->msi_cap == 0x40 && a->msi_cap_len == 0x18 && a->msix_cap == 0x60);
	CHECK(a && a->msix_pba == 0xfebf3000 && a->msix_pba_size == 8 && !a->msix_refused);
	CHECK(a && a->msix_page == 0xfebf2000 && a->msix_page_end == 0xfebf3000);
	CHECK(pci_owner_msix_page_at(1, 0xfebf2ffc) == a && pci_owner_msix_page_at(1, 0xfebf3000) == NULL);
	CHECK(pci_owner_next(1, &cursor) == NULL);

	/* A function that vanished from the device table. */
	pol.assignments[1].sbdf = PCI_SBDF(0, 0, 9, 0);
	CHECK_EQ(pci_owner_init(&pol), -HV_ENODEV);
}

TEST(config_address_is_latched_per_vm_32_bits_only)
{
	uint32_t v;

	setup();
	v = 0xffffffff;
	CHECK(io(1, 0xcf8, 4, false, &v));
	CHECK(io(1, 0xcf8, 4, true, &v));
	CHECK_EQ(v, 0x80fffffc);		/* reserved bits 30:24 and 1:0 read 0 */
	CHECK(io(2, 0xcf8, 4, true, &v));
	CHECK_EQ(v, 0);				/* another VM's latch is its own */
	/* Other sizes and the ports inside the address register are not mechanism #1. */
	CHECK(!io(1, 0xcf8, 1, false, &v));
	CHECK(!io(1, 0xcf8, 2, true, &v));
	CHECK(!io(1, 0xcf9, 1, false, &v));
	CHECK(!io(1, 0xcfa, 2, false, &v));
	CHECK(!io(1, 0xcfb, 1, true, &v));
	CHECK(!io(1, 0xcf7, 4, true, &v));
	CHECK(!io(1, 0xd00, 1, true, &v));
	/* Data: naturally aligned 1, 2 or 4 bytes only. */
	CHECK(!io(1, 0xcfd, 2, true, &v));
	CHECK(!io(1, 0xcff, 2, true, &v));
	CHECK(!io(1, 0xcfe, 4, true, &v));
	CHECK(!io(1, 0xcfd, 4, false, &v));
	CHECK(!io(1, 0xcfc, 3, true, &v));
	CHECK(!io(1, 0xcfc, 8, true, &v));
	CHECK(io(1, 0xcfe, 2, true, &v));
	CHECK(io(1, 0xcff, 1, true, &v));
}

TEST(functions_a_vm_does_not_own_are_absent_and_untouched)
{
	uint32_t v;

	setup();
	for (uint32_t vm = 2; vm <= 3; vm++) {
		for (uint8_t dev = 2; dev <= 4; dev++) {
			CHECK_EQ(rd(vm, dev, PCI_VENDOR_ID, 4), UINT32_MAX);
			CHECK_EQ(rd(vm, dev, PCI_COMMAND, 2), 0xffff);
			CHECK_EQ(rd(vm, dev, PCI_HEADER_TYPE, 1), 0xff);
			wr(vm, dev, PCI_COMMAND, 2, 0);
			wr(vm, dev, PCI_BASE_ADDRESS(0), 4, 0);
			wr(vm, dev, PCI_INTERRUPT_LINE, 1, 5);
		}
	}
	/* The owner's own functions, but without the enable bit: no configuration cycle. */
	v = 0x00001000;
	CHECK(io(1, 0xcf8, 4, false, &v));
	CHECK(io(1, 0xcfc, 4, true, &v));
	CHECK_EQ(v, UINT32_MAX);
	v = 0;
	CHECK(io(1, 0xcfc, 4, false, &v));
	/* 00:04.0 is nobody's: even the owner of the others sees nothing there. */
	CHECK_EQ(rd(1, 4, PCI_VENDOR_ID, 4), UINT32_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(fakes); i++)
		CHECK_EQ(fakes[i].writes, 0);
}

TEST(the_owner_reads_through_and_sizes_bars_without_touching_them)
{
	setup();
	CHECK_EQ(rd(1, 2, PCI_VENDOR_ID, 4), 0x100e8086);
	CHECK_EQ(rd(1, 2, PCI_DEVICE_ID, 2), 0x100e);
	CHECK_EQ(rd(1, 2, PCI_CLASS_CODE, 1), 0x02);
	CHECK_EQ(rd(1, 2, PCI_CAPABILITY_LIST, 1), 0x50);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(rd(1, 2, PCI_ROM_ADDRESS, 4), 0);		/* no ROM */

	/* Sizing, every BAR kind; then the original value back. */
	wr(1, 2, PCI_BASE_ADDRESS(0), 4, UINT32_MAX);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfffe0000);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0) + 2, 2), 0xfffe);
	wr(1, 2, PCI_BASE_ADDRESS(1), 4, UINT32_MAX);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(1), 4), 0xffffffc1);
	wr(1, 2, PCI_BASE_ADDRESS(2), 4, UINT32_MAX);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(2), 4), 0);		/* unimplemented */
	wr(1, 2, PCI_ROM_ADDRESS, 4, 0xfffff800);
	CHECK_EQ(rd(1, 2, PCI_ROM_ADDRESS, 4), 0);
	wr(1, 3, PCI_BASE_ADDRESS(0), 4, UINT32_MAX);
	wr(1, 3, PCI_BASE_ADDRESS(1), 4, UINT32_MAX);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(0), 4), 0xffffc004);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(1), 4), 0xffffffff);
	wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0xfebc0000);
	wr(1, 2, PCI_BASE_ADDRESS(1), 4, 0xc001);
	wr(1, 2, PCI_BASE_ADDRESS(2), 4, 0);
	wr(1, 3, PCI_BASE_ADDRESS(0), 4, 0xfebf0004);
	wr(1, 3, PCI_BASE_ADDRESS(1), 4, 0);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(1), 4), 0xc001);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(0), 4), 0xfebf0004);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(1), 4), 0);
	CHECK_EQ(log_count("relocation"), 0);
	CHECK_EQ(fakes[0].bar_writes + fakes[1].bar_writes, 0);

	/* Any other value is a relocation: ignored, logged once per start. */
	wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0xfec00000);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	wr(1, 3, PCI_BASE_ADDRESS(1), 4, 1);			/* the upper half of a 64-bit BAR */
	wr(1, 2, PCI_BASE_ADDRESS(0) + 3, 1, 0xff);		/* one byte of it */
	wr(1, 2, PCI_BASE_ADDRESS(0), 2, 0xffff);		/* a sizing attempt with half the bits */
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(1), 4), 0);
	CHECK_EQ(fakes[0].bar_writes + fakes[1].bar_writes, 0);
	CHECK_EQ(get(&fakes[0], PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(log_count("00:02.0 BAR0 relocation to 0xfec00000 refused"), 1);
	CHECK_EQ(log_count("relocation"), 2);			/* once per function */
}

TEST(the_owner_writes_only_what_the_allow_list_says)
{
	setup();
	uint16_t before = (uint16_t)get(&fakes[0], PCI_COMMAND, 2);

	/* Command: I/O, memory and bus master only; the other bits keep the device's value. */
	wr(1, 2, PCI_COMMAND, 2, 0);
	CHECK_EQ(get(&fakes[0], PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
	wr(1, 2, PCI_COMMAND, 4, 0xffffffff);			/* with the status half: dropped */
	CHECK_EQ(get(&fakes[0], PCI_COMMAND, 2), before);
	wr(1, 2, PCI_COMMAND, 1, 0);
	CHECK_EQ(get(&fakes[0], PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
	wr(1, 2, PCI_COMMAND + 1, 1, 0);			/* INTx disable is not the owner's */
	CHECK_EQ(get(&fakes[0], PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
	wr(1, 2, PCI_STATUS, 2, 0xffff);
	CHECK_EQ(get(&fakes[0], PCI_STATUS, 2), PCI_STATUS_CAP_LIST);

	/* Cache line size, latency timer: yes; interrupt line, header type, BIST, ids, pin: no. */
	wr(1, 2, PCI_CACHE_LINE_SIZE, 4, 0x5a5a4010);
	CHECK_EQ(get(&fakes[0], PCI_CACHE_LINE_SIZE, 4), 0x00004010);
	wr(1, 2, PCI_INTERRUPT_LINE, 4, 0xffff0405);
	CHECK_EQ(get(&fakes[0], PCI_INTERRUPT_LINE, 4), 0x0000010b);
	/* The interrupt line reads the owner's virtual INTx vector: 0xff while not routed. */
	CHECK_EQ(rd(1, 2, PCI_INTERRUPT_LINE, 1), 0xff);
	CHECK_EQ(rd(1, 2, PCI_INTERRUPT_LINE, 4), 0x000001ff);
	CHECK_EQ(rd(1, 2, PCI_INTERRUPT_PIN, 1), 1);
	table_for_test_set_intx(2, 0x51);
	CHECK_EQ(rd(1, 2, PCI_INTERRUPT_LINE, 2), 0x0151);
	table_for_test_set_intx(2, 0);
	wr(1, 2, PCI_LATENCY_TIMER, 1, 0x20);
	CHECK_EQ(fakes[0].cfg[PCI_LATENCY_TIMER], 0x20);
	wr(1, 2, PCI_VENDOR_ID, 4, 0);
	wr(1, 2, PCI_REVISION_ID, 4, 0);
	wr(1, 2, PCI_SUBSYSTEM_VENDOR_ID, 4, 0x12345678);
	wr(1, 2, PCI_CAPABILITY_LIST, 1, 0);
	wr(1, 2, 0x50, 4, 0xffffffff);				/* the PM capability: dropped, silently */
	wr(1, 2, 0xfc, 4, 0xffffffff);				/* the last dword */
	wr(1, 2, 0xff, 1, 0xff);
	CHECK_EQ(get(&fakes[0], PCI_VENDOR_ID, 4), 0x100e8086);
	CHECK_EQ(get(&fakes[0], PCI_REVISION_ID, 4), 0x02000003);
	CHECK_EQ(get(&fakes[0], 0x50, 4), PCI_CAP_ID_PM);
	CHECK_EQ(get(&fakes[0], 0xfc, 4), 0);
	CHECK_EQ(rd(1, 2, 0xff, 1), 0);

	/* MSI and MSI-X: refused and logged once. */
	wr(1, 3, 0x44, 4, 0xfee00000);
	wr(1, 3, 0x42, 2, 1);
	wr(1, 3, 0x62, 2, 0x8000);
	wr(1, 3, 0x3c, 4, 0xffffff00);				/* 0x3c-0x3f: not the capability */
	CHECK_EQ(get(&fakes[1], 0x44, 4), 0);
	CHECK_EQ(get(&fakes[1], 0x42, 2), BIT(7) | BIT(8));
	CHECK_EQ(get(&fakes[1], 0x62, 2), 7);
	CHECK_EQ(log_count("00:03.0 write to its MSI capability at 0x44 refused (no interrupt remapping: a raw "
			   "message could name any vector)"), 1);
	CHECK_EQ(log_count("capability at"), 1);
	CHECK_EQ(fakes[0].bar_writes + fakes[1].bar_writes, 0);
}

/* With interrupt remapping (pci_irq_init sets msix_writable): MSI-X Enable and Function Mask only. */
TEST(msix_enable_and_function_mask_are_writable_with_remapping)
{
	setup();
	size_t cursor = 0;
	struct pci_assigned *nvme = NULL;
	for (struct pci_assigned *a; (a = pci_owner_next(1, &cursor));)
		if (a->msix_bar >= 0)
			nvme = a;
	CHECK(nvme != NULL);
	nvme->msix_writable = true;

	wr(1, 3, 0x62, 2, 0xffff);				/* all bits: only 15 and 14 stick */
	CHECK_EQ(get(&fakes[1], 0x62, 2), 0xc000 | 7);
	wr(1, 3, 0x63, 1, 0x40);				/* byte write: Enable off, Function Mask on */
	CHECK_EQ(get(&fakes[1], 0x62, 2), 0x4000 | 7);
	wr(1, 3, 0x60, 4, 0x8000ffff);				/* dword at the capability: id/next dropped */
	CHECK_EQ(get(&fakes[1], 0x60, 4), (0x8007U << 16) | PCI_CAP_ID_MSIX);
	CHECK_EQ(log_count("capability at"), 0);

	/* The table offset and the MSI capability's raw address/data stay refused, logged once. */
	wr(1, 3, 0x64, 4, 0x12345678);
	wr(1, 3, 0x44, 4, 0xfee00000);
	CHECK_EQ(get(&fakes[1], 0x44, 4), 0);
	CHECK_EQ(log_count("00:03.0 write to its MSI-X capability at 0x64 refused (only MSI-X Enable and "
			   "Function Mask are writable; the table entries are in the table)"), 1);
	CHECK_EQ(log_count("capability at"), 1);
}

/* With interrupt remapping the MSI capability is emulated: writes go to pci_irq.c, reads give the shadow. */
TEST(msi_capability_is_shadowed_with_remapping)
{
	setup();
	size_t cursor = 0;
	struct pci_assigned *nvme = NULL;
	for (struct pci_assigned *a; (a = pci_owner_next(1, &cursor));)
		if (a->msi_cap)
			nvme = a;
	CHECK(nvme != NULL);
	nvme->msi_emulated = true;
	msi_cap_writes = 0;
	unsigned int writes = fakes[1].writes;

	wr(1, 3, 0x44, 4, 0xfee01003);				/* address: bits 1:0 reserved */
	wr(1, 3, 0x48, 4, 0);
	wr(1, 3, 0x4c, 2, 0x61);
	wr(1, 3, 0x42, 2, 0xffff);				/* Enable and MME in the shadow only */
	CHECK_EQ(msi_cap_writes, 4);
	CHECK_EQ(fakes[1].writes, writes);			/* nothing reached the device here */
	CHECK_EQ(rd(1, 3, 0x44, 4), 0xfee01000);
	CHECK_EQ(rd(1, 3, 0x4c, 2), 0x61);
	CHECK_EQ(rd(1, 3, 0x40, 4), (uint32_t)(BIT(7) | BIT(8) | 0x71) << 16 | 0x6000 | PCI_CAP_ID_MSI);
	CHECK_EQ(get(&fakes[1], 0x44, 4), 0);
	CHECK_EQ(log_count("capability at"), 0);
	pci_owner_reset(1);					/* a new start forgets the shadow */
	CHECK_EQ(rd(1, 3, 0x44, 4), 0);
}

/* An MSI-X table the hypervisor cannot reach through its direct map is refused, named, and never panics. */
TEST(msix_table_beyond_the_direct_map_is_refused)
{
	build_bus();
	put(&fakes[1], PCI_BASE_ADDRESS(1), 4, 0x5000);		/* BAR0 at 0x5000_febf0000: 80 TiB */
	CHECK(pci_init() == 3);
	memset(&pol, 0, sizeof(pol));
	pol.vm_count = 1;
	strcpy(pol.vms[0].name, "net");
	strcpy(pol.devices[0].name, "disk");
	pol.device_count = 1;
	pol.assignment_count = 1;
	pol.assignments[0] = (struct policy_assignment){ .sbdf = PCI_SBDF(0, 0, 3, 0), .owner = 1 };
	console_len = 0;
	CHECK_EQ(pci_owner_init(&pol), 1);
	size_t cursor = 0;
	struct pci_assigned *a = pci_owner_next(1, &cursor);
	CHECK(a && a->msix_bar == 0 && a->msix_refused != NULL);
	CHECK(a && a->msix_page == 0x5000febf2000ULL && a->msix_page_end == 0x5000febf3000ULL);
	CHECK(pci_owner_msix_page_at(1, 0x5000febf2010ULL) == a);	/* still kept from the owner */
	CHECK_EQ(log_count("pci: 00:03.0 MSI-X refused: table at 0x5000febf2000 (8 entries, BAR0): the table lies "
			   "beyond the hypervisor's direct map"), 1);

	/* A table that reaches past its BAR: refused too. */
	build_bus();
	put(&fakes[1], 0x64, 4, 0x3ff8);			/* 8 x 16 bytes from 0x3ff8: past 16 KiB */
	CHECK(pci_init() == 3);
	console_len = 0;
	CHECK_EQ(pci_owner_init(&pol), 1);
	cursor = 0;
	a = pci_owner_next(1, &cursor);
	CHECK(a && a->msix_refused != NULL && a->msix_page_end == 0xfebf4000);
	CHECK_EQ(log_count("the table reaches beyond its BAR"), 1);
}

TEST(reset_quiesces_the_functions_and_forgets_the_emulated_state)
{
	setup();
	wr(1, 3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wr(1, 3, PCI_BASE_ADDRESS(0), 4, UINT32_MAX);
	wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0x1000);
	CHECK_EQ(log_count("relocation"), 1);
	pci_owner_reset(2);					/* not its functions: nothing happens */
	CHECK_EQ(get(&fakes[1], PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_owner_reset(1);
	CHECK_EQ(get(&fakes[0], PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(get(&fakes[1], PCI_COMMAND, 2), 0);
	CHECK_EQ(rd(1, 3, PCI_BASE_ADDRESS(0), 4), 0xfebf0004);	/* sizing forgotten */
	wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0x1000);
	CHECK_EQ(log_count("relocation"), 2);			/* logged again after a restart */
	CHECK_EQ(get(&fakes[2], PCI_COMMAND, 2), 0);
	CHECK_EQ(fakes[2].writes, 0);
}

/* The ECAM path (vpci_cfg_access): the ports' view, plus extended configuration space. */
static uint32_t ecam_rd(uint32_t vm, uint8_t dev, uint16_t off, unsigned int size)
{
	uint32_t v = 0x5a5a5a5a;

	vpci_cfg_access(vm, PCI_SBDF(0, 0, dev, 0), off, size, false, &v);
	return v;
}

static void ecam_wr(uint32_t vm, uint8_t dev, uint16_t off, unsigned int size, uint32_t v)
{
	vpci_cfg_access(vm, PCI_SBDF(0, 0, dev, 0), off, size, true, &v);
}

TEST(ecam_accesses_see_what_the_ports_see_and_extended_space)
{
	setup();
	put(&fakes[0], 0x100, 4, 0x00010001);		/* an AER extended capability header */
	put(&fakes[0], 0xffc, 4, 0xcafef00d);
	CHECK_EQ(ecam_rd(1, 2, PCI_VENDOR_ID, 4), rd(1, 2, PCI_VENDOR_ID, 4));
	CHECK_EQ(ecam_rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(ecam_rd(1, 2, PCI_ROM_ADDRESS, 4), 0);
	CHECK_EQ(ecam_rd(1, 2, 0x100, 4), 0x00010001);
	CHECK_EQ(ecam_rd(1, 2, 0x102, 2), 0x0001);
	CHECK_EQ(ecam_rd(1, 2, 0xfff, 1), 0xca);
	/* Not its own, at any offset: nothing answers. */
	CHECK_EQ(ecam_rd(3, 2, 0x100, 4), UINT32_MAX);
	CHECK_EQ(ecam_rd(3, 2, PCI_VENDOR_ID, 2), 0xffff);
	CHECK_EQ(ecam_rd(1, 4, PCI_VENDOR_ID, 4), UINT32_MAX);

	/* Sizing and relocation go through the same BAR emulation; extended space is read-only. */
	ecam_wr(1, 2, PCI_BASE_ADDRESS(0), 4, UINT32_MAX);
	CHECK_EQ(ecam_rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfffe0000);
	CHECK_EQ(rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfffe0000);	/* one state, two paths */
	ecam_wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0xfebc0000);
	ecam_wr(1, 2, PCI_BASE_ADDRESS(0), 4, 0xfec00000);
	CHECK_EQ(ecam_rd(1, 2, PCI_BASE_ADDRESS(0), 4), 0xfebc0000);
	CHECK_EQ(log_count("BAR0 relocation to 0xfec00000 refused"), 1);
	ecam_wr(1, 2, 0x100, 4, 0);
	ecam_wr(1, 2, 0xffe, 2, 0);
	CHECK_EQ(fakes[0].writes, 0);
	CHECK_EQ(fakes[0].bar_writes, 0);

	/* The command register's allowed bits, as through the ports. */
	ecam_wr(1, 2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(rd(1, 2, PCI_COMMAND, 2) & PCI_OWNER_COMMAND_BITS, PCI_COMMAND_MEMORY);

	/* Another VM's write to it is ignored and named. */
	unsigned int before = fakes[0].writes;
	ecam_wr(3, 2, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	CHECK_EQ(fakes[0].writes, before);
	CHECK_EQ(log_count("vm 'app': write of 0x4 to 00:02.0 register 0x4 ignored: not its device"), 1);
}
