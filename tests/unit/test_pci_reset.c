// SPDX-License-Identifier: MIT
/*
 * hypervisor/pci_reset.c: function-level reset over a simulated function
 * that behaves like hardware: Initiate FLR clears its header (BARs,
 * command, cache line size, interrupt line), Transactions Pending may stay
 * set, and a broken function may never answer again. The delays are
 * counted, not slept: the reset must wait at least 100 ms after Initiate
 * FLR and stay bounded when the function misbehaves. An e1000 without FLR
 * gets its own reset through a simulated register file in BAR 0.
 */
#include <string.h>

#include <abi/errno.h>
#include <hv/mm.h>
#include <hv/pci_reset.h>
#include <hv/time.h>

#include "unit.h"

void serial_write(const char *s, size_t len)
{
	(void)s;
	(void)len;
}

bool time_ns_since_boot(uint64_t *ns)
{
	(void)ns;
	return false;
}

#define SBDF		PCI_SBDF(0, 0, 3, 0)
#define EXP_CAP		0x80
#define BAR0		0xfebf0004U	/* 64-bit memory BAR, 16 KiB */
#define BAR1		0x00000000U

static uint8_t cfg[PCI_CFG_SPACE_SIZE];
static uint64_t delayed_us, delayed_at_flr;
static unsigned int flrs, writes;
static bool pending_forever, never_answers, flr_started;

/* The simulated e1000's registers (BAR 0), and how its reset behaves. */
#define E1000_BAR0	0xfebc0000ULL
#define CTRL_RST	(1U << 26)
static uint32_t e1000_regs[0x1000 / 4];
static bool rst_sticks;			/* a broken part: CTRL.RST never clears */
static unsigned int ioremaps;
static uint16_t command_at_rst;		/* the command register when RST was written */

static uint32_t get(uint16_t off, unsigned int size);

void time_delay_us(uint64_t us)
{
	delayed_us += us;
	if (e1000_regs[0] & CTRL_RST)
		command_at_rst = (uint16_t)get(PCI_COMMAND, 2);
	if (!rst_sticks)
		e1000_regs[0] &= ~CTRL_RST;	/* the reset completes during the first wait */
}

bool remap_reachable(paddr_t pa, size_t len)
{
	return pa + len <= (1ULL << 46);
}

void *ioremap(paddr_t pa, size_t len)
{
	CHECK_EQ(pa, E1000_BAR0);
	CHECK(len <= sizeof(e1000_regs));
	ioremaps++;
	return e1000_regs;
}

static uint32_t get(uint16_t off, unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

static void put(uint16_t off, unsigned int size, uint32_t v)
{
	for (unsigned int i = 0; i < size; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

int pci_cfg_init(struct pci_cfg_range *ranges, size_t max)
{
	(void)ranges;
	(void)max;
	return 0;
}

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	CHECK_EQ(sbdf, SBDF);
	CHECK((offset & (size - 1)) == 0 && offset + size <= PCI_CFG_SPACE_SIZE);
	if (flr_started && never_answers)
		return size == 4 ? UINT32_MAX : (1U << (8 * size)) - 1;
	return get(offset, size);
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	CHECK_EQ(sbdf, SBDF);
	CHECK((offset & (size - 1)) == 0 && offset + size <= PCI_CFG_SPACE_SIZE);
	writes++;
	if (offset == EXP_CAP + PCI_EXP_DEVCTL && (value & PCI_EXP_DEVCTL_BCR_FLR)) {
		CHECK(get(EXP_CAP + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
		/* The reset: the header's writable registers go back to their defaults. */
		flrs++;
		flr_started = true;
		delayed_at_flr = delayed_us;
		put(PCI_COMMAND, 2, 0);
		put(PCI_BASE_ADDRESS(0), 4, BAR0 & 0xf);
		put(PCI_BASE_ADDRESS(1), 4, 0);
		put(PCI_CACHE_LINE_SIZE, 2, 0);
		put(PCI_INTERRUPT_LINE, 1, 0);
		if (!pending_forever)
			put(EXP_CAP + PCI_EXP_DEVSTA, 2, 0);
		return;
	}
	if (offset == PCI_BASE_ADDRESS(0) || offset == PCI_BASE_ADDRESS(1)) {
		CHECK_EQ(size, 4);
		CHECK_EQ(get(PCI_COMMAND, 2) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 0);
	}
	put(offset, size, value & (offset == PCI_BASE_ADDRESS(0) ? ~0x3fffU : UINT32_MAX));
	if (offset == PCI_BASE_ADDRESS(0))
		put(offset, 1, (cfg[offset] & 0xf0) | (BAR0 & 0xf));
}

static struct pci_device dev;

/* 00:03.0 1b36:0010, BAR0 64-bit at 0xfebf0000, a PCIe capability at 0x80 (FLR if flr). */
static void build(bool flr, bool pending)
{
	memset(cfg, 0, sizeof(cfg));
	put(PCI_VENDOR_ID, 2, 0x1b36);
	put(PCI_DEVICE_ID, 2, 0x0010);
	put(PCI_BASE_ADDRESS(0), 4, BAR0);
	put(PCI_BASE_ADDRESS(1), 4, BAR1);
	put(PCI_CACHE_LINE_SIZE, 1, 0x10);
	put(PCI_LATENCY_TIMER, 1, 0x20);
	put(PCI_INTERRUPT_LINE, 1, 11);
	put(EXP_CAP + PCI_EXP_DEVCAP, 4, flr ? PCI_EXP_DEVCAP_FLR | 0x8000 : 0x8000);
	put(EXP_CAP + PCI_EXP_DEVCTL, 2, 0x2810);
	put(EXP_CAP + PCI_EXP_DEVSTA, 2, pending ? PCI_EXP_DEVSTA_TRPND : 0);
	dev = (struct pci_device){
		.sbdf = SBDF, .vendor_id = 0x1b36, .device_id = 0x0010, .bar_count = 6, .cap_count = 1,
		.caps = { { .id = PCI_CAP_ID_EXP, .offset = EXP_CAP } },
		.bars = { { .type = PCI_BAR_MEM64, .base = 0xfebf0000, .size = 0x4000 } },
	};
	delayed_us = delayed_at_flr = 0;
	flrs = writes = 0;
	pending_forever = never_answers = flr_started = false;
}

TEST(flr_resets_waits_and_restores_the_header)
{
	enum pci_reset_method how = PCI_RESET_NONE;

	build(true, false);
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_FLR);
	CHECK_EQ(flrs, 1);
	CHECK(delayed_us - delayed_at_flr >= PCI_FLR_WAIT_US);
	CHECK_EQ(get(PCI_BASE_ADDRESS(0), 4), BAR0);
	CHECK_EQ(get(PCI_BASE_ADDRESS(1), 4), BAR1);
	CHECK_EQ(get(PCI_CACHE_LINE_SIZE, 1), 0x10);
	CHECK_EQ(get(PCI_LATENCY_TIMER, 1), 0x20);
	CHECK_EQ(get(PCI_INTERRUPT_LINE, 1), 11);
	CHECK_EQ(get(PCI_COMMAND, 2), 0);	/* decoding and bus mastering stay off */
}

TEST(no_flr_capability_means_no_reset_and_no_write)
{
	enum pci_reset_method how = PCI_RESET_FLR;

	build(false, false);
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_NONE);
	CHECK_EQ(writes, 0);
	dev.cap_count = 0;	/* conventional PCI: no PCIe capability at all */
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_NONE);
	CHECK_EQ(writes, 0);
}

TEST(transactions_pending_delays_the_flr_boundedly)
{
	enum pci_reset_method how;

	build(true, true);
	pending_forever = true;
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(flrs, 1);
	CHECK(delayed_at_flr >= PCI_FLR_PENDING_WAIT_US);
	CHECK(delayed_at_flr <= PCI_FLR_PENDING_WAIT_US + 1000);
}

TEST(a_function_that_never_comes_back_fails_boundedly)
{
	enum pci_reset_method how;

	build(true, false);
	never_answers = true;
	CHECK_EQ(pci_reset_function(&dev, &how), -HV_EIO);
	CHECK_EQ(how, PCI_RESET_FLR);
	CHECK(delayed_us <= PCI_FLR_WAIT_US + PCI_FLR_READY_WAIT_US + 1000);
}

/* 00:03.0 as an 82540EM: conventional PCI (no FLR), BAR 0 32-bit memory with its registers. */
static void build_e1000(void)
{
	build(false, false);
	put(PCI_VENDOR_ID, 2, 0x8086);
	put(PCI_DEVICE_ID, 2, 0x100e);
	dev.vendor_id = 0x8086;
	dev.device_id = 0x100e;
	dev.cap_count = 0;
	dev.bars[0] = (struct pci_bar){ .type = PCI_BAR_MEM32, .base = E1000_BAR0, .size = 0x20000 };
	memset(e1000_regs, 0, sizeof(e1000_regs));
	e1000_regs[0] = 0x00140248;	/* CTRL as a driver left it (SLU, ASDE...) */
	e1000_regs[0xd0 / 4] = 0x9d;	/* IMS: interrupts the driver enabled */
	rst_sticks = false;
	ioremaps = 0;
	command_at_rst = 0xffff;
}

TEST(e1000_without_flr_gets_its_own_reset)
{
	enum pci_reset_method how = PCI_RESET_NONE;

	build_e1000();
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_DEVICE);
	CHECK_EQ(ioremaps, 1);
	CHECK_EQ(e1000_regs[0] & CTRL_RST, 0);		/* written, and cleared by the device */
	CHECK_EQ(e1000_regs[0xd8 / 4], UINT32_MAX);	/* IMC: every cause masked */
	CHECK(delayed_us >= 1);				/* waited before reading CTRL back */
	CHECK_EQ(command_at_rst, PCI_COMMAND_MEMORY);	/* decoding on, bus mastering off meanwhile */
	CHECK_EQ(get(PCI_COMMAND, 2), 0);		/* decoding off again, bus mastering never on */
}

/*
 * A stopped owner's function has INTx Disable set (pci_irq_stop) and the
 * owner's bits off (pci_owner_reset) before the reset: the reset keeps
 * INTx Disable, so a device that asserts its line cannot hold a shared one.
 */
TEST(e1000_reset_keeps_intx_disable)
{
	enum pci_reset_method how;

	build_e1000();
	put(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_DEVICE);
	CHECK_EQ(command_at_rst, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(get(PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
}

TEST(e1000_reset_bit_that_never_clears_fails_boundedly)
{
	enum pci_reset_method how;

	build_e1000();
	rst_sticks = true;
	CHECK_EQ(pci_reset_function(&dev, &how), -HV_EIO);
	CHECK_EQ(how, PCI_RESET_DEVICE);
	CHECK(delayed_us <= 10000 + 1000 + 1);
	CHECK_EQ(get(PCI_COMMAND, 2), 0);
}

TEST(e1000_with_registers_out_of_reach_is_only_quiesced)
{
	enum pci_reset_method how = PCI_RESET_FLR;

	build_e1000();
	dev.bars[0] = (struct pci_bar){ .type = PCI_BAR_IO, .base = 0xc000, .size = 0x40 };
	CHECK_EQ(pci_reset_function(&dev, &how), 0);
	CHECK_EQ(how, PCI_RESET_NONE);
	CHECK_EQ(ioremaps, 0);
	CHECK_EQ(writes, 0);
}
