// SPDX-License-Identifier: MIT
/*
 * The network IOVM's driver for the Intel 82540EM ("e1000"), behind the NIC
 * interface (nic.h). References are to the PCI/PCI-X Family of Gigabit
 * Ethernet Controllers Software Developer's Manual: general initialization
 * (14.3), receive (3.2, 14.4) and transmit (3.3, 14.5) initialization,
 * registers (13.4), EEPROM map (5.6: words 0-2 hold the Ethernet address).
 *
 * Rings and buffers live in this IOVM's memory; the device reaches them by
 * DMA at I/O address = guest-physical address (the hypervisor's IOMMU
 * domain for this VM maps exactly its RAM; on a machine without an IOMMU
 * the policy said `unprotected-dma`). Everything read back from the device
 * (descriptor status and lengths, head registers) is checked before use: a
 * broken or hostile device can make this IOVM drop frames, never make it
 * read or write outside its buffers.
 */
#include <arch/io.h>
#include <runtime/e1000.h>
#include <runtime/paging.h>
#include <runtime/runtime.h>

#include "nic.h"

#define RX_DESCS		128
#define TX_DESCS		128
#define BUF_SIZE		2048	/* RCTL.BSIZE 2048: a whole frame per buffer (LPE off) */
#define RESET_WAIT_NS		(10 * NSEC_PER_MSEC)
#define EERD_WAIT_NS		(10 * NSEC_PER_MSEC)
/* ITR: at most one interrupt per 50 us (20000/s); frames in between are batched. */
#define ITR_INTERVAL		(50000 / 256)
/* TIPG for the 82540EP/EM, copper (13.4.34). */
#define TIPG_VALUE		(E1000_TIPG_IPGT(10) | E1000_TIPG_IPGR1(8) | E1000_TIPG_IPGR2(6))
/* TCTL: collision threshold 15, collision distance 64 byte times (full duplex), 13.4.33. */
#define TCTL_VALUE		(E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT(0x0f) | E1000_TCTL_COLD(0x40))
#define IMS_VALUE		(E1000_INT_RXT0 | E1000_INT_RXO | E1000_INT_RXDMT0 | E1000_INT_LSC | \
				 E1000_INT_TXDW)

_Static_assert(RX_DESCS * sizeof(struct e1000_rx_desc) % E1000_RING_ALIGN == 0, "RDLEN: 128-byte multiple");
_Static_assert(TX_DESCS * sizeof(struct e1000_tx_desc) % E1000_RING_ALIGN == 0, "TDLEN: 128-byte multiple");
_Static_assert(BUF_SIZE >= ETH_FRAME_MAX + 4, "a buffer holds a whole frame (plus a VLAN tag)");

struct e1000 {
	volatile uint8_t *regs;
	uint64_t dma_offset;		/* I/O address - guest-physical address (nic.h) */
	unsigned int rx_next;		/* the next descriptor the device may have filled */
	unsigned int tx_tail;		/* the next free descriptor (TDT) */
	unsigned int tx_clean;		/* the oldest descriptor not yet taken back */
	uint32_t rctl;
	unsigned int filters;		/* receive address entries in use (entry 0: our MAC) */
	bool filters_full;		/* a filter did not fit: unicast promiscuous instead */
	bool rx_discarding;		/* inside a frame that spans descriptors: dropped whole */
};

/* One device per IOVM: its rings and buffers are static, in the image's .bss. */
static struct e1000 dev;
static bool dev_taken;
static struct e1000_rx_desc rx_ring[RX_DESCS] __aligned(4096);
static struct e1000_tx_desc tx_ring[TX_DESCS] __aligned(4096);
static uint8_t rx_buf[RX_DESCS][BUF_SIZE] __aligned(4096);
static uint8_t tx_buf[TX_DESCS][BUF_SIZE] __aligned(4096);

static uint32_t rd(const struct e1000 *e, uint32_t reg)
{
	return mmio_read32(e->regs + reg);
}

static void wr(struct e1000 *e, uint32_t reg, uint32_t v)
{
	mmio_write32(e->regs + reg, v);
}

/* The address the device must be given for our buffer p. */
static uint64_t dma_addr(const struct e1000 *e, const void *p)
{
	return gpa_of(p) + e->dma_offset;
}

/* Descriptor writes must be visible to the device before the tail write that hands them over. */
static inline void dma_wmb(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

static bool e1000_match(uint16_t vendor, uint16_t device)
{
	return vendor == E1000_VENDOR && device == E1000_DEVICE;
}

/* Busy-wait on the VM clock until (reg & mask) == want; false on timeout. */
static bool wait_reg(struct e1000 *e, uint32_t reg, uint32_t mask, uint32_t want, uint64_t ns, uint32_t *last)
{
	uint64_t deadline = time_ns() + ns;
	uint32_t v;

	do {
		v = rd(e, reg);
		if ((v & mask) == want)
			break;
		cpu_relax();
	} while (time_ns() < deadline);
	if (last)
		*last = v;
	return (v & mask) == want;
}

/* EEPROM word addr through EERD (13.4.4); false if the read never completes. */
static bool eeprom_read(struct e1000 *e, uint8_t addr, uint16_t *out)
{
	uint32_t v;

	wr(e, E1000_EERD, E1000_EERD_ADDR(addr) | E1000_EERD_START);
	if (!wait_reg(e, E1000_EERD, E1000_EERD_DONE, E1000_EERD_DONE, EERD_WAIT_NS, &v))
		return false;
	*out = E1000_EERD_DATA(v);
	return true;
}

static void read_mac(struct nic *nic, struct e1000 *e)
{
	uint16_t w[E1000_EEPROM_MAC_WORDS];
	unsigned int i;

	for (i = 0; i < E1000_EEPROM_MAC_WORDS; i++)
		if (!eeprom_read(e, (uint8_t)i, &w[i]))
			break;
	if (i == E1000_EEPROM_MAC_WORDS) {
		for (i = 0; i < ETH_ALEN; i++)
			nic->mac[i] = (uint8_t)(w[i / 2] >> (8 * (i % 2)));
		nic->mac_from_eeprom = true;
		return;
	}
	/* The firmware or the reset loaded RAL0/RAH0 from the EEPROM: second best. */
	uint32_t ral = rd(e, E1000_RAL0), rah = rd(e, E1000_RAH0);
	for (i = 0; i < ETH_ALEN; i++)
		nic->mac[i] = (uint8_t)(i < 4 ? ral >> (8 * i) : rah >> (8 * (i - 4)));
	nic->mac_from_eeprom = false;
	gprintf("e1000: EEPROM read (EERD) of word %u did not complete: MAC taken from RAL0/RAH0 instead\n", i);
}

static void set_receive_address(struct e1000 *e, unsigned int n, const uint8_t *mac)
{
	wr(e, E1000_RAL(n), (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 |
	   (uint32_t)mac[3] << 24);
	wr(e, E1000_RAH(n), (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | (uint32_t)E1000_RAH_AV);
}

static void rx_init(struct e1000 *e)
{
	for (unsigned int i = 0; i < RX_DESCS; i++)
		rx_ring[i] = (struct e1000_rx_desc){ .buffer_addr = dma_addr(e, rx_buf[i]) };
	e->rx_next = 0;
	e->rx_discarding = false;
	dma_wmb();
	wr(e, E1000_RDBAL, (uint32_t)dma_addr(e, rx_ring));
	wr(e, E1000_RDBAH, (uint32_t)(dma_addr(e, rx_ring) >> 32));
	wr(e, E1000_RDLEN, sizeof(rx_ring));
	wr(e, E1000_RDH, 0);
	/* Head == tail means "no buffer": the device gets all but one. */
	wr(e, E1000_RDT, RX_DESCS - 1);
	wr(e, E1000_RDTR, 0);
	e->rctl = E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048 |
		  E1000_RCTL_RDMTS_HALF;
	wr(e, E1000_RCTL, e->rctl);
}

static void tx_init(struct e1000 *e)
{
	for (unsigned int i = 0; i < TX_DESCS; i++)
		tx_ring[i] = (struct e1000_tx_desc){ .buffer_addr = dma_addr(e, tx_buf[i]),
						     .status = E1000_TXD_STA_DD };
	e->tx_tail = e->tx_clean = 0;
	dma_wmb();
	wr(e, E1000_TDBAL, (uint32_t)dma_addr(e, tx_ring));
	wr(e, E1000_TDBAH, (uint32_t)(dma_addr(e, tx_ring) >> 32));
	wr(e, E1000_TDLEN, sizeof(tx_ring));
	wr(e, E1000_TDH, 0);
	wr(e, E1000_TDT, 0);
	wr(e, E1000_TIPG, TIPG_VALUE);
	wr(e, E1000_TCTL, TCTL_VALUE);
}

static int e1000_init(struct nic *nic, struct pci_fn fn)
{
	struct e1000 *e = &dev;

	if (dev_taken)
		return -HV_EBUSY;
	uint32_t bar0 = pci_cfg_read32(fn, PCI_BAR(0));
	uint64_t base = bar0 & ~0xfULL;
	if ((bar0 & 1) || !base) {
		gprintf("e1000: BAR0 is %#x: not an assigned memory BAR\n", bar0);
		return -HV_ENODEV;
	}
	if ((bar0 & 6) == 4)	/* 64-bit BAR: BAR1 holds the upper half */
		base |= (uint64_t)pci_cfg_read32(fn, PCI_BAR(1)) << 32;
	int err = paging_map_mmio(base);
	if (err) {
		gprintf("e1000: cannot map BAR0 at %#llx: %d\n", (unsigned long long)base, err);
		return err;
	}
	e->regs = (volatile uint8_t *)(uintptr_t)base;
	e->dma_offset = nic->dma_offset;
	uint16_t cmd = pci_cfg_read16(fn, PCI_COMMAND);
	pci_cfg_write16(fn, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));

	/* 14.3: interrupts off, global reset, interrupts off again (the reset does not clear IMS on all parts). */
	wr(e, E1000_IMC, UINT32_MAX);
	wr(e, E1000_CTRL, rd(e, E1000_CTRL) | E1000_CTRL_RST);
	uint64_t settle = time_ns() + 1000;	/* at least 1 us before the next access (13.4.1) */
	while (time_ns() < settle)
		cpu_relax();
	uint32_t ctrl;
	if (!wait_reg(e, E1000_CTRL, E1000_CTRL_RST, 0, RESET_WAIT_NS, &ctrl)) {
		gprintf("e1000: CTRL.RST still set %llu ms after the reset (CTRL %#x)\n",
			(unsigned long long)(RESET_WAIT_NS / NSEC_PER_MSEC), ctrl);
		return -HV_EIO;
	}
	wr(e, E1000_IMC, UINT32_MAX);
	(void)rd(e, E1000_ICR);

	/* Link: let the MAC follow the PHY's auto-negotiation (14.3: SLU, ASDE; nothing forced). */
	ctrl &= ~(uint32_t)(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_ILOS | E1000_CTRL_FRCSPD |
			    E1000_CTRL_FRCDPLX | E1000_CTRL_VME);
	wr(e, E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);

	read_mac(nic, e);
	set_receive_address(e, 0, nic->mac);
	for (unsigned int i = 1; i < E1000_RA_ENTRIES; i++) {
		wr(e, E1000_RAL(i), 0);
		wr(e, E1000_RAH(i), 0);
	}
	e->filters = 1;
	e->filters_full = false;
	for (unsigned int i = 0; i < E1000_MTA_ENTRIES; i++)
		wr(e, E1000_MTA(i), 0);

	rx_init(e);
	tx_init(e);
	wr(e, E1000_ITR, ITR_INTERVAL);

	nic->priv = e;
	dev_taken = true;
	return 0;
}

static bool e1000_link_up(struct nic *nic)
{
	struct e1000 *e = nic->priv;

	return rd(e, E1000_STATUS) & E1000_STATUS_LU;
}

static void e1000_irq_enable(struct nic *nic)
{
	struct e1000 *e = nic->priv;

	(void)rd(e, E1000_ICR);
	wr(e, E1000_IMS, IMS_VALUE);
}

/* The head registers must name a descriptor of the ring; anything else is a broken device. */
static bool heads_sane(struct nic *nic, struct e1000 *e)
{
	uint32_t rdh = rd(e, E1000_RDH), tdh = rd(e, E1000_TDH);

	if (rdh < RX_DESCS && tdh < TX_DESCS)
		return true;
	if (!nic->stats.device_errors++)
		gprintf("e1000: device reports RDH %u, TDH %u: outside the %u/%u-descriptor rings "
			"(counted, not used)\n", rdh, tdh, RX_DESCS, TX_DESCS);
	return false;
}

static uint32_t e1000_irq_service(struct nic *nic)
{
	struct e1000 *e = nic->priv;
	uint32_t icr = rd(e, E1000_ICR);	/* read-to-clear: the device deasserts INTx */
	uint32_t ev = 0;

	if (nic->vector)
		(void)hc_irq_ack(nic->vector);
	if (!icr)
		return 0;
	nic->stats.interrupts++;
	if (icr & (E1000_INT_RXT0 | E1000_INT_RXDMT0 | E1000_INT_RXO))
		ev |= NIC_EVENT_RX;
	if (icr & E1000_INT_RXO) {
		nic->stats.rx_overruns++;
		ev |= NIC_EVENT_RX_OVERRUN;
	}
	if (icr & (E1000_INT_TXDW | E1000_INT_TXQE))
		ev |= NIC_EVENT_TX_DONE;
	if (icr & E1000_INT_LSC)
		ev |= NIC_EVENT_LINK;
	if (!heads_sane(nic, e))
		ev |= NIC_EVENT_ERROR;
	return ev;
}

static unsigned int tx_free(const struct e1000 *e)
{
	/* One descriptor stays unused: tail == head means "empty" to the device. */
	return (e->tx_clean + TX_DESCS - e->tx_tail - 1) % TX_DESCS;
}

static unsigned int e1000_tx_reclaim(struct nic *nic)
{
	struct e1000 *e = nic->priv;
	unsigned int n = 0;

	/* Only descriptors handed to the device (clean .. tail) are looked at. */
	while (e->tx_clean != e->tx_tail) {
		volatile struct e1000_tx_desc *d = &tx_ring[e->tx_clean];

		if (!(d->status & E1000_TXD_STA_DD))
			break;
		e->tx_clean = (e->tx_clean + 1) % TX_DESCS;
		n++;
	}
	nic->stats.tx_completed += n;
	return n;
}

static unsigned int e1000_tx_space(struct nic *nic)
{
	return tx_free(nic->priv);
}

static unsigned int e1000_tx_burst(struct nic *nic, const struct nic_frame *frames, unsigned int n)
{
	struct e1000 *e = nic->priv;
	unsigned int queued = 0, i;

	if (tx_free(e) < n)
		e1000_tx_reclaim(nic);
	for (i = 0; i < n; i++) {
		size_t len = frames[i].len;

		if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
			nic->stats.tx_drops++;	/* the caller's frame is bad: dropped, counted here */
			continue;
		}
		if (!tx_free(e))
			break;
		unsigned int t = e->tx_tail;
		memcpy(tx_buf[t], frames[i].data, len);
		tx_ring[t] = (struct e1000_tx_desc){
			.buffer_addr = dma_addr(e, tx_buf[t]),
			.length = (uint16_t)len,
			.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
		};
		e->tx_tail = (t + 1) % TX_DESCS;
		nic->stats.tx_frames++;
		nic->stats.tx_bytes += len;
		queued++;
	}
	if (queued) {
		dma_wmb();
		wr(e, E1000_TDT, e->tx_tail);
	}
	return i;
}

static unsigned int e1000_rx_poll(struct nic *nic, unsigned int budget, nic_rx_fn fn, void *ctx)
{
	struct e1000 *e = nic->priv;
	unsigned int taken = 0;

	/* At most RX_DESCS - 1 descriptors are the device's at any time. */
	budget = MIN(budget, RX_DESCS - 1);
	while (taken < budget) {
		volatile struct e1000_rx_desc *d = &rx_ring[e->rx_next];
		uint8_t status = d->status;

		if (!(status & E1000_RXD_STA_DD))
			break;
		__asm__ volatile("" ::: "memory");	/* status before length and data (x86 keeps load order) */
		uint16_t len = d->length;
		uint8_t errors = d->errors;
		bool eop = status & E1000_RXD_STA_EOP;

		if (e->rx_discarding || !eop || (errors & E1000_RXD_ERR_FRAME) || len < ETH_HLEN ||
		    len > BUF_SIZE) {
			/* A frame over several buffers cannot happen with LPE off and 2 KiB buffers. */
			if (len > BUF_SIZE && !nic->stats.device_errors++)
				gprintf("e1000: receive descriptor %u says %u bytes in a %u-byte buffer "
					"(counted, dropped)\n", e->rx_next, len, BUF_SIZE);
			nic->stats.rx_drops++;
			e->rx_discarding = !eop;
		} else {
			nic->stats.rx_frames++;
			nic->stats.rx_bytes += len;
			fn(ctx, rx_buf[e->rx_next], len);
		}
		d->status = 0;
		d->buffer_addr = dma_addr(e, rx_buf[e->rx_next]);
		e->rx_next = (e->rx_next + 1) % RX_DESCS;
		taken++;
	}
	if (taken) {
		dma_wmb();
		/* The one just taken stays ours: the device owns head .. tail - 1. */
		wr(e, E1000_RDT, (e->rx_next + RX_DESCS - 1) % RX_DESCS);
	}
	return taken;
}

static int e1000_rx_filter_add(struct nic *nic, const uint8_t mac[ETH_ALEN])
{
	struct e1000 *e = nic->priv;

	if (e->filters < E1000_RA_ENTRIES) {
		set_receive_address(e, e->filters++, mac);
		return 0;
	}
	e->filters_full = true;
	e->rctl |= E1000_RCTL_UPE;
	wr(e, E1000_RCTL, e->rctl);
	return 0;
}

static void e1000_rx_mode(struct nic *nic, uint32_t modes)
{
	struct e1000 *e = nic->priv;

	e->rctl &= ~(uint32_t)(E1000_RCTL_UPE | E1000_RCTL_MPE);
	if (modes & NIC_RX_PROMISC || e->filters_full)
		e->rctl |= E1000_RCTL_UPE;
	if (modes & NIC_RX_ALLMULTI)
		e->rctl |= E1000_RCTL_MPE;
	wr(e, E1000_RCTL, e->rctl);
}

const struct nic_ops e1000_nic_ops = {
	.name = "e1000 (82540EM)",
	.match = e1000_match,
	.init = e1000_init,
	.link_up = e1000_link_up,
	.irq_enable = e1000_irq_enable,
	.irq_service = e1000_irq_service,
	.tx_burst = e1000_tx_burst,
	.tx_reclaim = e1000_tx_reclaim,
	.tx_space = e1000_tx_space,
	.rx_poll = e1000_rx_poll,
	.rx_filter_add = e1000_rx_filter_add,
	.rx_mode = e1000_rx_mode,
};
