// SPDX-License-Identifier: MIT
/*
 * test=vtd-blocked-dma: a real device's DMA, blocked by the IOMMU.
 *
 * QEMU's e1000 (82540EM) is told to transmit from a ring in host memory.
 * No device is attached to a domain at boot, so its first DMA (the read of
 * the transmit descriptor) must be blocked: reported as a fault from the
 * e1000's requester id, a read of the ring's page, "device not attached"
 * (VT-d: root/context entry not present), through the fault-event
 * interrupt; and the ring must be untouched (a transmit that went through
 * would write the descriptor's DD status bit back).
 *
 * e1000 registers used (Intel 8254x Family of Gigabit Ethernet Controllers
 * Software Developer's Manual, 13.4): IMC (interrupt mask clear), TCTL
 * (transmit control: EN, PSP), TDBAL/TDBAH (descriptor ring base),
 * TDLEN (ring length in bytes, a multiple of 128), TDH/TDT (head, tail:
 * the NIC fetches descriptors from head up to tail). The legacy transmit
 * descriptor is 3.3.3.
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/iommu.h>
#include <hv/mm.h>
#include <hv/pci.h>
#include <hv/selftest.h>
#include <hv/string.h>
#include <hv/time.h>

#define E1000_VENDOR		0x8086
#define E1000_DEVICE_82540EM	0x100e
#define E1000_MMIO_SIZE		(128 * KiB)

#define E1000_IMC		0x00d8
#define E1000_TCTL		0x0400
# define E1000_TCTL_EN		BIT(1)
# define E1000_TCTL_PSP		BIT(3)	/* pad short packets */
#define E1000_TDBAL		0x3800
#define E1000_TDBAH		0x3804
#define E1000_TDLEN		0x3808
#define E1000_TDH		0x3810
#define E1000_TDT		0x3818

/* Legacy transmit descriptor (3.3.3). */
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
#define E1000_TXD_CMD_IFCS	BIT(1)	/* insert FCS */
#define E1000_TXD_CMD_RS	BIT(3)	/* report status: write DD back */
#define E1000_TXD_STA_DD	BIT(0)	/* descriptor done */

#define RING_DESCS		8	/* 128 bytes, the smallest TDLEN */
#define FAULT_WAIT_NS		(1000 * 1000 * 1000ULL)

static int failures;

static void check(bool ok, const char *what)
{
	pr_info("selftest: vtd-blocked-dma: %s %s", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

static const struct pci_device *find_e1000(void)
{
	size_t count;
	const struct pci_device *devs = pci_devices(&count);

	for (size_t i = 0; i < count; i++)
		if (devs[i].vendor_id == E1000_VENDOR && devs[i].device_id == E1000_DEVICE_82540EM)
			return &devs[i];
	return NULL;
}

/* Wait with interrupts on for a fault from sbdf; true if one arrived in time. */
static bool wait_for_fault(pci_sbdf_t sbdf)
{
	uint64_t deadline = time_tsc() + time_ns_to_tsc(FAULT_WAIT_NS);
	bool seen;

	irq_enable();
	while (!(seen = iommu_fault_count(sbdf, NULL) != 0) && time_tsc() < deadline)
		cpu_relax();
	irq_disable();
	return seen;
}

int selftest_vtd_blocked_dma(void)
{
	const struct pci_device *nic = find_e1000();
	paddr_t ring_pa = frame_alloc(), buf_pa = frame_alloc();
	static uint8_t before[FRAME_SIZE];

	failures = 0;
	if (!iommu_present() || !nic || nic->bars[0].type != PCI_BAR_MEM32 || !nic->bars[0].base ||
	    !ring_pa || !buf_pa) {
		pr_err("selftest: vtd-blocked-dma: needs DMA remapping (%s), an e1000 with BAR0 (%s) "
		       "and two frames", iommu_present() ? "yes" : "no", nic ? "yes" : "no");
		return -HV_ENODEV;
	}
	pci_sbdf_t sbdf = nic->sbdf;
	volatile uint8_t *regs = ioremap(nic->bars[0].base, E1000_MMIO_SIZE);
	struct e1000_tx_desc *ring = memset(phys_to_virt(ring_pa), 0, FRAME_SIZE);

	memset(phys_to_virt(buf_pa), 0xa5, 64);
	ring[0] = (struct e1000_tx_desc){
		.buffer_addr = buf_pa,
		.length = 64,
		.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
	};
	memcpy(before, ring, FRAME_SIZE);
	uint64_t faults_before = iommu_fault_count(sbdf, NULL);
	uint64_t irq_before = iommu_fault_interrupts();

	pr_info("selftest: vtd-blocked-dma: e1000 at %02x:%02x.%u, transmit ring at %#llx",
		PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf), (unsigned long long)ring_pa);
	mmio_write32(regs + E1000_IMC, 0xffffffffU);	/* no device interrupts */
	pci_cfg_write16(sbdf, PCI_COMMAND,
			pci_cfg_read16(sbdf, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	mmio_write32(regs + E1000_TDBAL, (uint32_t)ring_pa);
	mmio_write32(regs + E1000_TDBAH, (uint32_t)(ring_pa >> 32));
	mmio_write32(regs + E1000_TDLEN, RING_DESCS * sizeof(struct e1000_tx_desc));
	mmio_write32(regs + E1000_TDH, 0);
	mmio_write32(regs + E1000_TDT, 0);
	mmio_write32(regs + E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	mmio_write32(regs + E1000_TDT, 1);	/* one descriptor to send: the NIC reads it */

	bool by_interrupt = wait_for_fault(sbdf);
	if (!by_interrupt)
		iommu_poll_faults();
	struct iommu_fault f;
	uint64_t faults = iommu_fault_count(sbdf, &f) - faults_before;

	check(faults > 0, "the NIC's DMA was reported as a fault");
	check(by_interrupt && iommu_fault_interrupts() > irq_before,
	      "the fault arrived through the fault-event interrupt");
	if (faults > 0) {
		pr_info("selftest: vtd-blocked-dma: fault from %02x:%02x.%u, %s at %#llx, reason %#x \"%s\"",
			PCI_BUS(f.sbdf), PCI_DEV(f.sbdf), PCI_FN(f.sbdf), f.write ? "write" : "read",
			(unsigned long long)f.address, f.reason, f.reason_name);
		check(f.sbdf == sbdf, "the fault names the e1000 as requester");
		check(!f.write, "the blocked access is a read (the descriptor fetch)");
		check(f.address == ring_pa, "the faulting address is the transmit ring's page");
		check(f.kind == IOMMU_FAULT_UNATTACHED, "the reason is 'device not attached' (no root/context entry)");
	}
	check(!memcmp(before, ring, FRAME_SIZE), "the transmit ring is unchanged (no DD written back)");

	/* Stop the NIC: transmit off, then bus mastering off (it is attached nowhere). */
	mmio_write32(regs + E1000_TCTL, 0);
	int err = iommu_quiesce(sbdf);
	check(err == -HV_ENOENT && !(pci_cfg_read16(sbdf, PCI_COMMAND) & PCI_COMMAND_MASTER),
	      "quiesced: bus mastering off, nothing to detach");
	frame_free(ring_pa);
	frame_free(buf_pa);
	return failures ? -HV_EIO : 0;
}
