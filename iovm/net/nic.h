/* SPDX-License-Identifier: MIT */
/*
 * The network IOVM's view of a physical NIC: one small interface that the
 * e1000 driver implements today and an e1000e or virtio-net driver can
 * implement later. Frames are plain Ethernet frames (destination, source,
 * type, payload; no FCS, no virtio header). docs/netvm.md.
 *
 * Everything runs in the IOVM's event loop, never in an interrupt handler:
 * the handler only notes that the NIC's vector arrived, and the loop calls
 * irq_service(), rx_poll() and tx_reclaim(). No locking is needed.
 *
 * Buffers: the driver owns its receive and transmit buffers, in the IOVM's
 * own memory (the device's DMA reaches nothing else). tx_burst() copies
 * each frame into a transmit buffer, so the caller's buffers are free
 * again when it returns; rx_poll() hands the callback a pointer into a
 * receive buffer that is valid only during the call.
 */
#ifndef IOVM_NET_NIC_H
#define IOVM_NET_NIC_H

#include <hv/types.h>
#include <runtime/pci.h>

#define ETH_ALEN		6
#define ETH_HLEN		14	/* destination, source, type */
#define ETH_FRAME_MAX		1514	/* header + 1500 bytes of payload, without FCS */
#define ETH_FRAME_MIN		60	/* without FCS; shorter frames are padded on transmit */

struct nic;

/* One frame to transmit. */
struct nic_frame {
	const void *data;
	size_t len;
};

/* Called by rx_poll() once per received frame; frame is valid during the call only. */
typedef void (*nic_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

/* What irq_service() found (a mask). */
#define NIC_EVENT_RX		BIT(0)	/* frames (may) wait in the receive ring */
#define NIC_EVENT_TX_DONE	BIT(1)	/* transmit descriptors were written back */
#define NIC_EVENT_LINK		BIT(2)	/* the link changed: ask link_up() */
#define NIC_EVENT_RX_OVERRUN	BIT(3)	/* the device ran out of receive buffers */
#define NIC_EVENT_ERROR		BIT(4)	/* the device reported something impossible (counted) */

/* Receive filter modes (rx_mode). */
#define NIC_RX_PROMISC		BIT(0)	/* every unicast destination */
#define NIC_RX_ALLMULTI		BIT(1)	/* every multicast destination */

struct nic_counters {
	uint64_t tx_frames, tx_bytes;	/* queued to the device */
	uint64_t tx_completed;		/* written back by the device (descriptor done) */
	uint64_t tx_drops;		/* refused by tx_burst for their length */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_drops;		/* errored, truncated or impossible descriptors */
	uint64_t rx_overruns;		/* the device said it had no buffer (RXO) */
	uint64_t interrupts;		/* irq_service() calls that found a cause */
	uint64_t device_errors;		/* values read back from the device out of bounds */
};

struct nic_ops {
	const char *name;
	/* True if this driver drives vendor:device. */
	bool (*match)(uint16_t vendor, uint16_t device);
	/*
	 * Take the PCI function: map its registers, reset the device, read
	 * its MAC (nic->mac), set up its rings and interrupts (left masked
	 * until irq_enable). Returns 0 or a negative HV_E* code (logged).
	 */
	int (*init)(struct nic *nic, struct pci_fn fn);
	bool (*link_up)(struct nic *nic);
	/* Let the device interrupt (on nic->vector) for receive, transmit and link events. */
	void (*irq_enable)(struct nic *nic);
	/*
	 * After the NIC's vector arrived: read and clear the device's cause,
	 * acknowledge the interrupt to the hypervisor, return NIC_EVENT_*.
	 */
	uint32_t (*irq_service)(struct nic *nic);
	/*
	 * Queue up to n frames, in order, and tell the device once (one tail
	 * write). Returns how many frames it took: queued, or refused for
	 * their length (shorter than ETH_HLEN or longer than ETH_FRAME_MAX:
	 * counted in tx_drops). frames[ret..n) did not fit in the ring; the
	 * caller keeps or drops them.
	 */
	unsigned int (*tx_burst)(struct nic *nic, const struct nic_frame *frames, unsigned int n);
	/* Take back the transmit descriptors the device is done with; returns how many. */
	unsigned int (*tx_reclaim)(struct nic *nic);
	/* Free transmit slots right now. */
	unsigned int (*tx_space)(struct nic *nic);
	/*
	 * Hand every received frame (at most budget) to fn in ring order,
	 * give the buffers back to the device (one tail write). Returns the
	 * number of descriptors taken (delivered or dropped).
	 */
	unsigned int (*rx_poll)(struct nic *nic, unsigned int budget, nic_rx_fn fn, void *ctx);
	/* Also accept unicast frames to mac (exact filter, or promiscuous when full). */
	int (*rx_filter_add)(struct nic *nic, const uint8_t mac[ETH_ALEN]);
	void (*rx_mode)(struct nic *nic, uint32_t modes);
};

struct nic {
	const struct nic_ops *ops;
	struct pci_fn pci;
	uint16_t vendor, device;
	uint8_t mac[ETH_ALEN];
	bool mac_from_eeprom;		/* false: read back from the receive address registers */
	unsigned int vector;		/* virtual INTx vector (Interrupt Line); 0: none, poll */
	/* Added to a guest-physical address to give the device: 0 behind an IOMMU
	 * (I/O address = guest-physical), else the host-physical offset of this
	 * VM's RAM (boot info dma_offset_2m, unprotected DMA). */
	uint64_t dma_offset;
	struct nic_counters stats;
	void *priv;			/* the driver's */
};

/* The drivers this IOVM has (nic.c). */
extern const struct nic_ops e1000_nic_ops;

/*
 * Find the first of this VM's PCI functions that a driver takes, and
 * initialize it; dma_offset as in struct nic. Returns 0 or a negative
 * HV_E* code (-HV_ENODEV: no NIC).
 */
int nic_probe(struct nic *nic, uint64_t dma_offset);

/* "52:54:00:12:34:56" into buf (at least 18 bytes); returns buf. */
const char *nic_mac_str(const uint8_t mac[ETH_ALEN], char *buf);

#endif /* IOVM_NET_NIC_H */
