// SPDX-License-Identifier: MIT
/*
 * dmatest: an IOVM's device doing DMA through the IOMMU, and a rogue driver
 * aiming it elsewhere. The VM's name picks the part it plays:
 *
 *   net        finds its e1000 through ports 0xCF8/0xCFC, turns on memory
 *              decode and bus mastering, puts a legacy transmit ring and
 *              one Ethernet frame in its own memory and transmits it:
 *              broadcast, source = the MAC in RAL0/RAH0, ethertype 0x88b5
 *              (IEEE local experimental), payload "uhv-dmatest: DMA through
 *              the IOMMU " then bytes 0x00, 0x01, ... It waits (bounded)
 *              for the descriptor's DD bit, which only the device's DMA
 *              write-back can set, and for TDH to move:
 *                TEST net: dma-tx PASS
 *   rogue      the same transmit first (so after a restart it proves the
 *              re-attach), then attempt number restart_count of ATTEMPTS:
 *              the ring or the frame's buffer at an address outside its
 *              RAM, one of them the bystander's canary. The IOMMU must block the DMA and the hypervisor fail
 *              the VM; with restart = on-failure the next start tries the
 *              next attempt. An attempt that is not contained within
 *              ATTEMPT_WAIT_NS is a failed check. After the last:
 *                TEST rogue: rogue-dma PASS, exit code 0
 *   bystander  a guest (it owns no device) that fills a canary buffer
 *              shaped like transmit descriptors asking for write-back,
 *              sleeps while the rogue works, then checks every byte:
 *                TEST bystander: canary PASS
 *
 * e1000 (82540EM) registers: Intel 8254x Software Developer's Manual, 13.4;
 * the legacy transmit descriptor, 3.3.3.
 */
#include <runtime/e1000.h>
#include <runtime/paging.h>
#include <runtime/pci.h>
#include <runtime/runtime.h>



#define RING_DESCS		8		/* 128 bytes: the smallest TDLEN */
#define ETHERTYPE_EXPERIMENTAL	0x88b5
#define FRAME_LEN		96
#define TX_WAIT_NS		(200 * NSEC_PER_MSEC)
#define ATTEMPT_WAIT_NS		(500 * NSEC_PER_MSEC)
#define HEAD_START_NS		(100 * NSEC_PER_MSEC)	/* the bystander lays its canary first */
#define BYSTANDER_WAIT_NS	(4 * NSEC_PER_SEC)

static const char payload_text[] = "uhv-dmatest: DMA through the IOMMU ";

static struct e1000_tx_desc ring[RING_DESCS] __aligned(4096);
static uint8_t frame[FRAME_LEN] __aligned(64);
static volatile uint32_t *regs;
static uint64_t memory_size;

static uint32_t reg_read(uint32_t reg) { return regs[reg / 4]; }
static void reg_write(uint32_t reg, uint32_t v) { regs[reg / 4] = v; }

/* Find the NIC, map BAR0, memory decode and bus mastering on, NIC interrupts off. */
static bool nic_init(void)
{
	struct pci_fn a;

	if (!test_check(pci_find_id(E1000_VENDOR, E1000_DEVICE, &a), "no e1000 among this VM's PCI functions"))
		return false;
	uint32_t bar0 = pci_cfg_read32(a, PCI_BAR(0));
	uint64_t base = bar0 & ~0xfULL;
	if (!test_check(!(bar0 & 1) && base, "e1000 BAR0 is %#x: not an assigned memory BAR", bar0))
		return false;
	if (!test_check(paging_map_identity(base) == 0, "cannot map BAR0 at %#llx", (unsigned long long)base))
		return false;
	regs = (volatile uint32_t *)(uintptr_t)base;
	uint32_t cmd = pci_cfg_read32(a, PCI_COMMAND);
	pci_cfg_write32(a, PCI_COMMAND, (cmd & 0xffff) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cmd = pci_cfg_read32(a, PCI_COMMAND);
	test_log("e1000 at %02x:%02x.%u, BAR0 %#llx, command %#x", a.bus, a.dev, a.fn,
		 (unsigned long long)base, cmd & 0xffff);
	if (!test_check((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
			(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			"memory decode and bus mastering did not stick (command %#x)", cmd & 0xffff))
		return false;
	reg_write(E1000_IMC, 0xffffffffU);
	return true;
}

/* Broadcast, from the NIC's own address (RAL0/RAH0, or a fixed local one), ethertype 0x88b5. */
static void build_frame(void)
{
	uint32_t ral = reg_read(E1000_RAL0), rah = reg_read(E1000_RAH0);
	uint8_t mac[6] = { 0x02, 0x75, 0x68, 0x76, 0x00, 0x01 };	/* locally administered */

	if ((rah & E1000_RAH_AV) && (ral || (rah & 0xffff)))
		for (unsigned int i = 0; i < 6; i++)
			mac[i] = (uint8_t)(i < 4 ? ral >> (8 * i) : rah >> (8 * (i - 4)));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = ETHERTYPE_EXPERIMENTAL >> 8;
	frame[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
	size_t text = sizeof(payload_text) - 1;
	memcpy(frame + 14, payload_text, text);
	for (size_t i = 14 + text; i < FRAME_LEN; i++)
		frame[i] = (uint8_t)(i - 14 - text);
	test_log("frame: %u bytes, ff:ff:ff:ff:ff:ff <- %02x:%02x:%02x:%02x:%02x:%02x, ethertype %#x",
		 FRAME_LEN, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ETHERTYPE_EXPERIMENTAL);
}

/*
 * Program the transmit ring at ring_addr (an I/O address = guest-physical)
 * with one descriptor for the frame at buffer_addr, and hand it to the
 * NIC. Descriptor 0 is filled only if the ring is ours.
 */
static void transmit(uint64_t ring_addr, uint64_t buffer_addr)
{
	reg_write(E1000_TCTL, 0);
	memset(ring, 0, sizeof(ring));
	ring[0] = (struct e1000_tx_desc){
		.buffer_addr = buffer_addr,
		.length = FRAME_LEN,
		.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
	};
	__asm__ volatile("mfence" ::: "memory");
	reg_write(E1000_TDBAL, (uint32_t)ring_addr);
	reg_write(E1000_TDBAH, (uint32_t)(ring_addr >> 32));
	reg_write(E1000_TDLEN, sizeof(ring));
	reg_write(E1000_TDH, 0);
	reg_write(E1000_TDT, 0);
	reg_write(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	reg_write(E1000_TDT, 1);	/* one descriptor to send: the NIC fetches it now */
}

/* The legitimate transmit: ring and frame in our RAM; DD must come back by DMA. */
static void legit_transmit(void)
{
	test_begin("dma-tx");
	build_frame();
	transmit((uint64_t)(uintptr_t)ring, (uint64_t)(uintptr_t)frame);
	uint64_t deadline = time_ns() + TX_WAIT_NS;
	while (!(((volatile struct e1000_tx_desc *)ring)->status & E1000_TXD_STA_DD) && time_ns() < deadline)
		__asm__ volatile("pause");
	uint8_t status = ((volatile struct e1000_tx_desc *)ring)->status;
	uint32_t head = reg_read(E1000_TDH);
	test_log("ring at %#llx, frame at %#llx: descriptor status %#x, TDH %u",
		 (unsigned long long)(uintptr_t)ring, (unsigned long long)(uintptr_t)frame, status, head);
	if (test_check(status & E1000_TXD_STA_DD, "no descriptor write-back (DD) within %llu ms: the device's DMA "
		       "did not reach this VM's memory", (unsigned long long)(TX_WAIT_NS / NSEC_PER_MSEC)) &&
	    test_check(head == 1, "TDH is %u after one descriptor, expected 1", head))
		test_log("DD written back by the device: its DMA reached this VM's memory through the IOMMU");
	test_end();
}

struct attempt {
	const char *what;
	bool ring_elsewhere;	/* false: the ring is ours, the frame's buffer is at addr */
	uint64_t addr;		/* absolute, or (relative) a multiple of the VM's memory size */
	bool relative;
	bool at_canary;		/* plus the canary's guest-physical address */
};

static struct e1000_tx_desc canary[4096] __aligned(4096);

static const struct attempt attempts[] = {
	{ "transmit ring at 0x10000000 (256 MiB: host RAM beyond this VM, where the hypervisor "
	  "keeps its frames)", true, 0x10000000ULL, false, false },
	{ "transmit ring at the first byte past this VM's memory (where another VM would be)", true, 1, true, false },
	/*
	 * Same image, same link address: the bystander's canary is at the
	 * guest-physical address ours is at. VMs of one size are allocated side
	 * by side (the rogue first), so 2 x its size + that address is the
	 * bystander's canary in host-physical terms: without an IOMMU (or with
	 * an identity domain) this DMA would fetch a canary descriptor and
	 * write its DD bit back. The harness checks the layout in the log.
	 */
	{ "transmit ring over the bystander's canary (its host-physical address when VMs lie side by "
	  "side)", true, 2, true, true },
	{ "transmit ring at 0x7ffffff000 (the top of the I/O address space: nothing mapped)", true,
	  0x7ffffff000ULL, false, false },
	{ "frame buffer at 0x10000000 (ring in its own memory, buffer in host RAM)", false,
	  0x10000000ULL, false, false },
};

static int rogue(uint32_t start)
{
	legit_transmit();
	test_begin("rogue-dma");
	test_log("%zu attempts, this is start %u", ARRAY_SIZE(attempts), start);
	for (size_t i = start; i < ARRAY_SIZE(attempts); i++) {
		const struct attempt *a = &attempts[i];
		uint64_t addr = (a->relative ? a->addr * memory_size : a->addr) +
				(a->at_canary ? (uint64_t)(uintptr_t)canary : 0);

		test_log("attempting DMA %s: I/O address %#llx (expect: blocked, VM stopped)", a->what,
			 (unsigned long long)addr);
		console_flush();
		if (a->ring_elsewhere)
			transmit(addr, (uint64_t)(uintptr_t)frame);
		else
			transmit((uint64_t)(uintptr_t)ring, addr);
		/* The fault interrupt ends this VM at once; give it time anyway. */
		uint64_t deadline = time_ns() + ATTEMPT_WAIT_NS;
		while (time_ns() < deadline)
			__asm__ volatile("pause");
		test_check(false, "attempt %zu: DMA %s was not contained (descriptor status %#x, TDH %u)", i,
			   a->what, ring[0].status, reg_read(E1000_TDH));
	}
	if (start >= ARRAY_SIZE(attempts))
		test_log("all %zu attempts were blocked and contained (one per start)", ARRAY_SIZE(attempts));
	test_end();
	return 0;
}

/* The canary: shaped like transmit descriptors that ask for write-back, so a stray DMA marks it. */
static struct e1000_tx_desc canary_desc(size_t i)
{
	return (struct e1000_tx_desc){
		.buffer_addr = 0x5a5a000000000000ULL | i,
		.length = 64,
		.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
		.special = (uint16_t)i,
	};
}

static void bystander(void)
{
	test_begin("canary");
	for (size_t i = 0; i < ARRAY_SIZE(canary); i++)
		canary[i] = canary_desc(i);
	test_log("canary: %zu KiB at %#llx; sleeping %llu ms while the rogue works",
		 sizeof(canary) / 1024, (unsigned long long)(uintptr_t)canary,
		 (unsigned long long)(BYSTANDER_WAIT_NS / NSEC_PER_MSEC));
	sleep_ns(BYSTANDER_WAIT_NS);
	size_t bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(canary); i++) {
		struct e1000_tx_desc want = canary_desc(i);

		if (memcmp(&canary[i], &want, sizeof(want)))
			bad++;
	}
	test_check(bad == 0, "%zu of %zu canary descriptors changed", bad, ARRAY_SIZE(canary));
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	const char *name = boot->vm.name;

	memory_size = boot->vm.memory_size;
	if (!strcmp(name, "bystander")) {
		bystander();
		test_finish();
	}
	test_begin("nic");
	bool ok = nic_init();
	test_end();
	if (!ok)
		test_finish();
	if (!strcmp(name, "net")) {
		legit_transmit();
	} else if (!strcmp(name, "rogue")) {
		/* Let the bystander lay its canary before the first attempt. */
		sleep_ns(HEAD_START_NS);
		rogue(boot->vm.restart_count);
	} else {
		test_begin("dmatest-role");
		test_check(false, "no part is named \"%s\": net, rogue or bystander", name);
		test_end();
	}
	test_finish();
}
