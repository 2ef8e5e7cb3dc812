/* SPDX-License-Identifier: MIT */
/*
 * The Intel 82540EM ("e1000") as IOVM drivers see it, named as the PCI/PCI-X
 * Family of Gigabit Ethernet Controllers Software Developer's Manual names
 * it: registers (13.4), legacy receive descriptor (3.2.3), legacy transmit
 * descriptor (3.3.3). One definition for every guest that drives the NIC.
 */
#ifndef RUNTIME_E1000_H
#define RUNTIME_E1000_H

#include <hv/types.h>

#define E1000_VENDOR		0x8086
#define E1000_DEVICE		0x100e	/* 82540EM */

/* Memory BAR 0 registers. */
#define E1000_CTRL		0x0000
# define E1000_CTRL_FD		BIT(0)	/* full duplex */
# define E1000_CTRL_LRST	BIT(3)	/* link reset */
# define E1000_CTRL_ASDE	BIT(5)	/* auto-speed detection enable */
# define E1000_CTRL_SLU		BIT(6)	/* set link up */
# define E1000_CTRL_ILOS	BIT(7)	/* invert loss-of-signal */
# define E1000_CTRL_FRCSPD	BIT(11)	/* force speed */
# define E1000_CTRL_FRCDPLX	BIT(12)	/* force duplex */
# define E1000_CTRL_RST		BIT(26)	/* device reset, self-clearing */
# define E1000_CTRL_VME		BIT(30)	/* VLAN mode enable */
# define E1000_CTRL_PHY_RST	BIT(31)	/* PHY reset */
#define E1000_STATUS		0x0008
# define E1000_STATUS_FD	BIT(0)	/* full duplex */
# define E1000_STATUS_LU	BIT(1)	/* link up */
# define E1000_STATUS_SPEED(s)	(((s) >> 6) & 3)	/* 0: 10, 1: 100, 2/3: 1000 Mb/s */
#define E1000_EERD		0x0014	/* EEPROM read (13.4.4, 82540EP/EM layout) */
# define E1000_EERD_START	BIT(0)
# define E1000_EERD_DONE	BIT(4)
# define E1000_EERD_ADDR(a)	((uint32_t)(a) << 8)	/* word address, bits 15:8 */
# define E1000_EERD_DATA(v)	((uint16_t)((v) >> 16))
#define E1000_EEPROM_MAC_WORDS	3	/* words 0-2: the Ethernet address, low byte first */
#define E1000_ICR		0x00c0	/* interrupt cause read (clears on read) */
#define E1000_ITR		0x00c4	/* interrupt throttling: minimum interval, 256 ns units */
#define E1000_IMS		0x00d0	/* interrupt mask set */
#define E1000_IMC		0x00d8	/* interrupt mask clear */
# define E1000_INT_TXDW		BIT(0)	/* transmit descriptor written back */
# define E1000_INT_TXQE		BIT(1)	/* transmit queue empty */
# define E1000_INT_LSC		BIT(2)	/* link status change */
# define E1000_INT_RXSEQ	BIT(3)	/* receive sequence error */
# define E1000_INT_RXDMT0	BIT(4)	/* receive descriptor minimum threshold reached */
# define E1000_INT_RXO		BIT(6)	/* receiver overrun */
# define E1000_INT_RXT0		BIT(7)	/* receiver timer: frames received */
#define E1000_RCTL		0x0100
# define E1000_RCTL_EN		BIT(1)
# define E1000_RCTL_UPE		BIT(3)	/* unicast promiscuous */
# define E1000_RCTL_MPE		BIT(4)	/* multicast promiscuous */
# define E1000_RCTL_LPE		BIT(5)	/* long packet enable */
# define E1000_RCTL_RDMTS_HALF	(0ULL << 8)	/* RXDMT0 at 1/2 of the ring free */
# define E1000_RCTL_BAM		BIT(15)	/* accept broadcast */
# define E1000_RCTL_BSIZE_2048	(0ULL << 16)	/* with BSEX 0 */
# define E1000_RCTL_SECRC	BIT(26)	/* strip the Ethernet CRC */
#define E1000_TCTL		0x0400
# define E1000_TCTL_EN		BIT(1)
# define E1000_TCTL_PSP		BIT(3)	/* pad short packets */
# define E1000_TCTL_CT(n)	((uint32_t)(n) << 4)	/* collision threshold, bits 11:4 */
# define E1000_TCTL_COLD(n)	((uint32_t)(n) << 12)	/* collision distance, bits 21:12 */
#define E1000_TIPG		0x0410	/* transmit inter-packet gap (13.4.34) */
# define E1000_TIPG_IPGT(n)	((uint32_t)(n) << 0)
# define E1000_TIPG_IPGR1(n)	((uint32_t)(n) << 10)
# define E1000_TIPG_IPGR2(n)	((uint32_t)(n) << 20)
#define E1000_RDBAL		0x2800
#define E1000_RDBAH		0x2804
#define E1000_RDLEN		0x2808
#define E1000_RDH		0x2810
#define E1000_RDT		0x2818
#define E1000_RDTR		0x2820	/* receive delay timer: 0 = interrupt at once */
#define E1000_TDBAL		0x3800
#define E1000_TDBAH		0x3804
#define E1000_TDLEN		0x3808
#define E1000_TDH		0x3810
#define E1000_TDT		0x3818
#define E1000_MTA(n)		(0x5200 + 4 * (n))	/* multicast table array, 128 entries */
#define E1000_MTA_ENTRIES	128
#define E1000_RAL(n)		(0x5400 + 8 * (n))	/* receive address n, 16 entries */
#define E1000_RAH(n)		(0x5404 + 8 * (n))
#define E1000_RA_ENTRIES	16
#define E1000_RAL0		E1000_RAL(0)	/* the MAC's first four bytes */
#define E1000_RAH0		E1000_RAH(0)
# define E1000_RAH_AV		BIT(31)	/* address valid */

/* Descriptor rings: RDLEN/TDLEN are multiples of 128 bytes, bases 16-byte aligned (3.2.6, 3.4). */
#define E1000_RING_ALIGN	128

/* I/O BAR: an address/data window onto the same registers. */
#define E1000_IOADDR		0x00
#define E1000_IODATA		0x04

struct e1000_rx_desc {
	uint64_t buffer_addr;
	uint16_t length;
	uint16_t checksum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __packed;
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "e1000 legacy receive descriptor");
#define E1000_RXD_STA_DD	BIT(0)	/* descriptor done */
#define E1000_RXD_STA_EOP	BIT(1)	/* end of packet */
#define E1000_RXD_ERR_CE	BIT(0)	/* CRC or alignment error */
#define E1000_RXD_ERR_SE	BIT(1)	/* symbol error */
#define E1000_RXD_ERR_SEQ	BIT(2)	/* sequence error */
#define E1000_RXD_ERR_CXE	BIT(4)	/* carrier extension error */
#define E1000_RXD_ERR_RXE	BIT(7)	/* RX data error */
#define E1000_RXD_ERR_FRAME	(E1000_RXD_ERR_CE | E1000_RXD_ERR_SE | E1000_RXD_ERR_SEQ | \
				 E1000_RXD_ERR_CXE | E1000_RXD_ERR_RXE)

struct e1000_tx_desc {
	uint64_t buffer_addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
} __packed;
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "e1000 legacy transmit descriptor");
#define E1000_TXD_CMD_EOP	BIT(0)	/* end of packet */
#define E1000_TXD_CMD_IFCS	BIT(1)	/* insert the FCS */
#define E1000_TXD_CMD_RS	BIT(3)	/* report status: write DD back */
#define E1000_TXD_STA_DD	BIT(0)

#endif /* RUNTIME_E1000_H */
