// SPDX-License-Identifier: MIT
/*
 * netirq: an IOVM's e1000 receiving by interrupt (docs/devices.md,
 * "Interrupts"). It reads its NIC's virtual INTx vector from the Interrupt
 * Line register, registers a handler there, sets up a receive ring in its
 * own memory (the device writes into it by DMA through the IOMMU), unmasks
 * RXT0 and LSC in IMS, and transmits one ARP request: who has 10.0.2.2,
 * tell 10.0.2.15 (QEMU's user network answers as the gateway). It never
 * looks at the receive ring outside its interrupt handler, which reads ICR
 * (clearing the device's interrupt), takes every received frame, and
 * acknowledges with HC_IRQ_ACK. It passes when a frame that arrived that
 * way is the ARP reply: opcode 2, sender 10.0.2.2, target our MAC and
 * 10.0.2.15:
 *   TEST <vm>: rx-irq PASS
 * On the way it checks that acknowledging a vector that is not its own is
 * refused (-HV_EINVAL), and that a NIC with interrupts masked (IMS = 0)
 * leaves the handler alone while frames are received.
 *
 * Run as "netmsi" it drives an e1000e (82574L, 8086:10d3, the same
 * registers for this) by plain MSI instead (docs/devices.md, "MSI and
 * MSI-X"): first two messages the hypervisor must refuse (an address
 * outside the interrupt range, and vector 0x30), each time checking that
 * MSI Enable reads back 0; then address 0xfee00000 and data 0x61 (its
 * virtual vector), Enable, and the same receive test, with the handler on
 * vector 0x61 and nothing to acknowledge (MSI is edge-triggered). With MSI
 * on it also sets MSI-X Enable, which the hypervisor must drop (never both
 * at once, PCI 3.0, 6.8): it reads back 0, and MSI still delivers:
 *   TEST netmsi: msi-refused PASS, msi PASS, msix-while-msi PASS, rx-irq PASS, masked-quiet PASS
 *
 * e1000 (82540EM): Intel 8254x Software Developer's Manual: registers
 * 13.4, receive descriptor 3.2.3, ICR bits 13.4.17.
 */
#include <runtime/e1000.h>
#include <runtime/paging.h>
#include <runtime/pci.h>
#include <runtime/runtime.h>




/* e1000e and the MSI capability (PCI 3.0, 6.8.1). */
#define E1000E_DEVICE		0x10d3	/* 82574L */
#define E1000_INT_TXDW		BIT(0)	/* transmit descriptor written back */
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_FLAGS		0x02
# define MSIX_FLAGS_ENABLE	BIT(15)
#define MSI_FLAGS		0x02
# define MSI_FLAGS_ENABLE	BIT(0)
# define MSI_FLAGS_64BIT	BIT(7)
#define MSI_ADDRESS_LO		0x04
#define MSI_ADDRESS_HI		0x08
#define MSI_VECTOR		(UHV_MSI_VECTOR_BASE + 1)
#define LINK_WAIT_NS		(2 * NSEC_PER_SEC)

#define RX_DESCS		8	/* 128 bytes: the smallest RDLEN */
#define RX_BUF_SIZE		2048
#define TX_DESCS		8
#define ARP_FRAME_LEN		60	/* 42 bytes of ARP, padded to the Ethernet minimum */
#define ETHERTYPE_ARP		0x0806
#define REPLY_WAIT_NS		(3 * NSEC_PER_SEC)
#define QUIET_WAIT_NS		(300 * NSEC_PER_MSEC)

static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t gateway_ip[4] = { 10, 0, 2, 2 };

static struct e1000_rx_desc rx_ring[RX_DESCS] __aligned(4096);
static uint8_t rx_buf[RX_DESCS][RX_BUF_SIZE] __aligned(4096);
static struct e1000_tx_desc tx_ring[TX_DESCS] __aligned(4096);
static uint8_t tx_frame[ARP_FRAME_LEN] __aligned(64);
static volatile uint32_t *regs;
static uint8_t mac[6];
static unsigned int vector;
static unsigned int rx_next;
static bool use_msi;
static struct pci_fn nic;

/* Filled by the interrupt handler only. */
static volatile uint64_t handler_runs, frames_seen, acks_taken;
static volatile uint32_t icr_seen;
static volatile bool got_reply;
static uint8_t reply[64];
static volatile uint16_t reply_len;

static uint32_t reg_read(uint32_t reg) { return regs[reg / 4]; }
static void reg_write(uint32_t reg, uint32_t v) { regs[reg / 4] = v; }

static bool is_arp_reply(const uint8_t *f, unsigned int len)
{
	return len >= 42 && f[12] == (ETHERTYPE_ARP >> 8) && f[13] == (ETHERTYPE_ARP & 0xff) &&
	       f[20] == 0 && f[21] == 2;
}

/* Take every frame the device has written back, in ring order, and give the buffers back. */
static void rx_drain(void)
{
	for (;;) {
		volatile struct e1000_rx_desc *d = &rx_ring[rx_next];

		if (!(d->status & E1000_RXD_STA_DD))
			return;
		unsigned int len = d->length;
		frames_seen++;
		if (!got_reply && (d->status & E1000_RXD_STA_EOP) && is_arp_reply(rx_buf[rx_next], len)) {
			reply_len = (uint16_t)MIN(len, sizeof(reply));
			memcpy(reply, rx_buf[rx_next], reply_len);
			got_reply = true;
		}
		d->status = 0;
		reg_write(E1000_RDT, rx_next);	/* this buffer is the device's again */
		rx_next = (rx_next + 1) % RX_DESCS;
	}
}

static void nic_interrupt(struct trap_frame *frame)
{
	(void)frame;
	uint32_t icr = reg_read(E1000_ICR);	/* read-to-clear: the device deasserts INTx */

	handler_runs++;
	icr_seen |= icr;
	if (icr & E1000_INT_RXT0)
		rx_drain();
	if (!use_msi && hc_irq_ack(vector) == 1)
		acks_taken++;
}

static bool nic_init(void)
{
	struct pci_fn a;

	if (!test_check(pci_find_id(E1000_VENDOR, use_msi ? E1000E_DEVICE : E1000_DEVICE, &a),
			"no %s among this VM's PCI functions", use_msi ? "e1000e" : "e1000"))
		return false;
	nic = a;
	vector = pci_cfg_read8(a, PCI_INTERRUPT_LINE);
	uint8_t pin = pci_cfg_read8(a, PCI_INTERRUPT_PIN);
	test_log("%s at %02x:%02x.%u: interrupt pin %u, Interrupt Line (its virtual vector) %#x",
		 use_msi ? "e1000e" : "e1000", a.bus, a.dev, a.fn, pin, vector);
	if (!test_check(pin == 1 && vector >= 32 && vector < 0xff, "no routed INTx (pin %u, line %#x)", pin,
			vector))
		return false;
	uint32_t bar0 = pci_cfg_read32(a, PCI_BAR(0));
	uint64_t base = bar0 & ~0xfULL;
	if (!test_check(!(bar0 & 1) && base, "e1000 BAR0 is %#x: not an assigned memory BAR", bar0) ||
	    !test_check(paging_map_identity(base) == 0, "cannot map BAR0 at %#llx", (unsigned long long)base))
		return false;
	regs = (volatile uint32_t *)(uintptr_t)base;
	uint32_t cmd = pci_cfg_read32(a, PCI_COMMAND);
	pci_cfg_write32(a, PCI_COMMAND, (cmd & 0xffff) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	reg_write(E1000_IMC, 0xffffffffU);
	(void)reg_read(E1000_ICR);
	uint32_t ral = reg_read(E1000_RAL0), rah = reg_read(E1000_RAH0);
	for (unsigned int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(i < 4 ? ral >> (8 * i) : rah >> (8 * (i - 4)));
	reg_write(E1000_CTRL, reg_read(E1000_CTRL) | E1000_CTRL_SLU);
	uint64_t deadline = time_ns() + LINK_WAIT_NS;
	while (use_msi && !(reg_read(E1000_STATUS) & E1000_STATUS_LU) && time_ns() < deadline)
		sleep_ns(10 * NSEC_PER_MSEC);	/* the e1000e's link comes up after autonegotiation */
	test_log("MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 reg_read(E1000_STATUS) & E1000_STATUS_LU ? "up" : "down");
	if (use_msi)
		vector = MSI_VECTOR;	/* the INTx vector stays unused: MSI replaces it */
	return test_check(irq_register(vector, nic_interrupt) == 0, "cannot register vector %#x", vector);
}

static void rx_init(void)
{
	for (unsigned int i = 0; i < RX_DESCS; i++)
		rx_ring[i] = (struct e1000_rx_desc){ .buffer_addr = (uint64_t)(uintptr_t)rx_buf[i] };
	rx_next = 0;
	__asm__ volatile("mfence" ::: "memory");
	reg_write(E1000_RDBAL, (uint32_t)(uintptr_t)rx_ring);
	reg_write(E1000_RDBAH, 0);
	reg_write(E1000_RDLEN, sizeof(rx_ring));
	reg_write(E1000_RDH, 0);
	reg_write(E1000_RDT, RX_DESCS - 1);	/* all but one buffer the device's */
	reg_write(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
}

static void arp_request(void)
{
	uint8_t *f = tx_frame;

	memset(f, 0, sizeof(tx_frame));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETHERTYPE_ARP >> 8;
	f[13] = ETHERTYPE_ARP & 0xff;
	f[15] = 1;		/* hardware type Ethernet */
	f[16] = 0x08;		/* protocol IPv4 */
	f[18] = 6;
	f[19] = 4;
	f[21] = 1;		/* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, our_ip, 4);
	memcpy(f + 38, gateway_ip, 4);
	memset(tx_ring, 0, sizeof(tx_ring));
	tx_ring[0] = (struct e1000_tx_desc){ .buffer_addr = (uint64_t)(uintptr_t)f, .length = ARP_FRAME_LEN,
				       .cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS };
	__asm__ volatile("mfence" ::: "memory");
	reg_write(E1000_TDBAL, (uint32_t)(uintptr_t)tx_ring);
	reg_write(E1000_TDBAH, 0);
	reg_write(E1000_TDLEN, sizeof(tx_ring));
	reg_write(E1000_TDH, 0);
	reg_write(E1000_TDT, 0);
	reg_write(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	reg_write(E1000_TDT, 1);
}

/* Sleep (interrupts delivered meanwhile) until cond() or the deadline. */
static void wait_for(volatile bool *flag, uint64_t ns)
{
	uint64_t deadline = time_ns() + ns;

	while (!*flag && time_ns() < deadline)
		sleep_ns(10 * NSEC_PER_MSEC);
}

/* Program the MSI capability with address/data and set Enable; returns what Enable reads back. */
static bool msi_program(uint8_t cap, uint32_t address, uint16_t data)
{
	uint16_t flags = pci_cfg_read16(nic, cap + MSI_FLAGS);
	uint8_t data_at = flags & MSI_FLAGS_64BIT ? 0x0c : 0x08;

	pci_cfg_write16(nic, cap + MSI_FLAGS, (uint16_t)(flags & ~MSI_FLAGS_ENABLE));
	pci_cfg_write32(nic, cap + MSI_ADDRESS_LO, address);
	if (flags & MSI_FLAGS_64BIT)
		pci_cfg_write32(nic, cap + MSI_ADDRESS_HI, 0);
	pci_cfg_write16(nic, cap + data_at, data);
	pci_cfg_write16(nic, cap + MSI_FLAGS, (uint16_t)(flags | MSI_FLAGS_ENABLE));
	return pci_cfg_read16(nic, cap + MSI_FLAGS) & MSI_FLAGS_ENABLE;
}

/* MSI is on: MSI-X Enable must not stick (PCI 3.0, 6.8: never both), MSI stays on. */
static bool msix_while_msi(void)
{
	test_begin("msix-while-msi");
	uint8_t cap = pci_find_cap(nic, PCI_CAP_ID_MSIX), msi = pci_find_cap(nic, PCI_CAP_ID_MSI);
	if (!test_check(cap != 0, "no MSI-X capability")) {
		test_end();
		return false;
	}
	uint16_t flags = pci_cfg_read16(nic, cap + MSIX_FLAGS);
	pci_cfg_write16(nic, cap + MSIX_FLAGS, (uint16_t)(flags | MSIX_FLAGS_ENABLE));
	uint16_t after = pci_cfg_read16(nic, cap + MSIX_FLAGS);
	bool msi_on = pci_cfg_read16(nic, msi + MSI_FLAGS) & MSI_FLAGS_ENABLE;
	test_log("MSI-X capability at %#x, message control %#x: Enable with MSI on -> %#x, MSI Enable %u", cap, flags,
		 after, msi_on);
	bool ok = test_check(!(after & MSIX_FLAGS_ENABLE), "MSI-X Enable stuck while MSI was enabled") &&
		  test_check(msi_on, "MSI went off");
	test_end();
	return ok;
}

/* Two messages the hypervisor must refuse (Enable stays 0), then the real one. */
static bool msi_setup(void)
{
	test_begin("msi-refused");
	uint8_t cap = pci_find_cap(nic, PCI_CAP_ID_MSI);
	if (!test_check(cap != 0, "no MSI capability")) {
		test_end();
		return false;
	}
	uint16_t flags = pci_cfg_read16(nic, cap + MSI_FLAGS);
	bool ram = msi_program(cap, 0x10000000, MSI_VECTOR);	/* a DMA write to RAM, not an interrupt */
	bool host = msi_program(cap, 0xfee00000, 0x30);		/* a host vector */
	test_log("MSI capability at %#x, message control %#x: address 0x10000000 -> Enable %u; vector 0x30 -> "
		 "Enable %u", cap, flags, ram, host);
	test_check(!ram && !host, "an undeliverable message was enabled");
	test_end();

	test_begin("msi");
	bool on = msi_program(cap, 0xfee00000, MSI_VECTOR);
	uint8_t data_at = flags & MSI_FLAGS_64BIT ? 0x0c : 0x08;
	uint32_t address = pci_cfg_read32(nic, cap + MSI_ADDRESS_LO);
	uint16_t data = pci_cfg_read16(nic, cap + data_at);
	test_log("MSI: address %#x data %#x (as written, read back), Enable %u, virtual vector %#x", address, data,
		 on, MSI_VECTOR);
	bool ok = test_check(on, "MSI Enable did not stick") &&
		  test_check(address == 0xfee00000 && data == MSI_VECTOR, "the capability does not read back "
			     "what was written");
	test_end();
	if (ok)
		ok = msix_while_msi();
	return ok;
}

static void rx_by_interrupt(void)
{
	test_begin("rx-irq");
	int64_t bogus = hc_irq_ack(vector + 1);
	test_check(bogus == -HV_EINVAL, "HC_IRQ_ACK of vector %#x (not its device's) returned %lld, expected "
		   "-HV_EINVAL", vector + 1, (long long)bogus);
	rx_init();
	reg_write(E1000_IMS, E1000_INT_RXT0 | E1000_INT_LSC | (use_msi ? E1000_INT_TXDW : 0));
	arp_request();
	test_log("ARP request sent: who has 10.0.2.2, tell 10.0.2.15; waiting for the reply by interrupt");
	wait_for(&got_reply, REPLY_WAIT_NS);
	test_log("interrupt handler ran %llu time(s) on vector %#x (ICR bits seen %#x), %llu frame(s) received, "
		 "%llu acknowledgement(s) unmasked the line", (unsigned long long)handler_runs, vector,
		 icr_seen, (unsigned long long)frames_seen, (unsigned long long)acks_taken);
	if (test_check(handler_runs >= 1, "the interrupt handler never ran") &&
	    test_check(use_msi || acks_taken >= 1, "no HC_IRQ_ACK found an interrupt waiting") &&
	    test_check(got_reply, "no ARP reply reached the handler within %llu ms",
		       (unsigned long long)(REPLY_WAIT_NS / NSEC_PER_MSEC))) {
		const uint8_t *r = reply;
		test_log("ARP reply: opcode %u, sender %02x:%02x:%02x:%02x:%02x:%02x %u.%u.%u.%u, target "
			 "%u.%u.%u.%u", r[21], r[22], r[23], r[24], r[25], r[26], r[27], r[28], r[29], r[30],
			 r[31], r[38], r[39], r[40], r[41]);
		test_check(!memcmp(r + 28, gateway_ip, 4), "the reply's sender is not 10.0.2.2");
		test_check(!memcmp(r + 32, mac, 6) && !memcmp(r + 38, our_ip, 4) && !memcmp(r, mac, 6),
			   "the reply is not addressed to us");
	}
	test_end();
}

/* IMS = 0: the device must not interrupt, so the handler must not run, even with frames arriving. */
static void quiet_when_masked(void)
{
	test_begin("masked-quiet");
	reg_write(E1000_IMC, 0xffffffffU);
	uint64_t runs = handler_runs;
	bool never = false;
	got_reply = false;
	arp_request();
	wait_for(&never, QUIET_WAIT_NS);
	uint32_t rdh = reg_read(E1000_RDH);
	test_log("with IMS = 0: handler ran %llu more time(s); RDH %u", (unsigned long long)(handler_runs - runs),
		 rdh);
	test_check(handler_runs == runs, "the handler ran with the device's interrupts masked");
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	use_msi = !strcmp(boot->vm.name, "netmsi");
	test_begin("nic");
	bool ok = nic_init();
	test_end();
	if (ok && use_msi)
		ok = msi_setup();
	if (ok) {
		rx_by_interrupt();
		quiet_when_masked();
	}
	test_finish();
}
