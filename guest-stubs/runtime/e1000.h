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
# define E1000_CTRL_SLU		BIT(6)	/* set link up */
#define E1000_STATUS		0x0008
# define E1000_STATUS_LU	BIT(1)	/* link up */
#define E1000_ICR		0x00c0	/* interrupt cause read (clears on read) */
#define E1000_IMS		0x00d0	/* interrupt mask set */
#define E1000_IMC		0x00d8	/* interrupt mask clear */
# define E1000_INT_LSC		BIT(2)	/* link status change */
# define E1000_INT_RXT0		BIT(7)	/* receiver timer: frames received */
#define E1000_RCTL		0x0100
# define E1000_RCTL_EN		BIT(1)
# define E1000_RCTL_BAM		BIT(15)	/* accept broadcast */
# define E1000_RCTL_SECRC	BIT(26)	/* strip the Ethernet CRC; BSIZE 00 = 2048-byte buffers */
#define E1000_TCTL		0x0400
# define E1000_TCTL_EN		BIT(1)
# define E1000_TCTL_PSP		BIT(3)	/* pad short packets */
#define E1000_RDBAL		0x2800
#define E1000_RDBAH		0x2804
#define E1000_RDLEN		0x2808
#define E1000_RDH		0x2810
#define E1000_RDT		0x2818
#define E1000_TDBAL		0x3800
#define E1000_TDBAH		0x3804
#define E1000_TDLEN		0x3808
#define E1000_TDH		0x3810
#define E1000_TDT		0x3818
#define E1000_RAL0		0x5400	/* receive address low: the MAC's first four bytes */
#define E1000_RAH0		0x5404
# define E1000_RAH_AV		BIT(31)	/* address valid */

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
