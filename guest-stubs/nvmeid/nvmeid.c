// SPDX-License-Identifier: MIT
/*
 * nvmeid: an IOVM's NVMe controller doing DMA through the IOMMU. The VM's
 * name picks the part it plays:
 *
 *   storage    finds its NVMe controller (class 01.08.02) through ports
 *              0xCF8/0xCFC, maps BAR0, turns on memory decode and bus
 *              mastering, resets the controller, puts the admin submission
 *              and completion queues in its own memory, enables it and
 *              submits Identify Controller and Identify Namespace 1 with
 *              their data buffers in its own memory. Each completes only
 *              if the controller's DMA reads the command and writes the
 *              data and the completion entry (phase bit) into this VM:
 *                TEST storage: identify PASS
 *   rogue      the same Identify first; on its first start it then points
 *              ASQ outside its RAM (0x10000000: host RAM beyond this VM)
 *              and rings the doorbell: the controller's fetch of the
 *              command must be blocked by the IOMMU and the hypervisor fail
 *              the VM. With restart = on-failure it comes back to a
 *              controller that the hypervisor reset when it stopped
 *              (function-level reset): it checks that the controller
 *              arrives disabled (CC.EN = 0, CSTS.RDY = 0), and Identify
 *              works again:
 *                TEST rogue: arrived-reset PASS, identify PASS
 *
 *   storage-msix   the admin completion queue interrupts by MSI-X entry 0,
 *              set with HC_MSI_SETUP (after the calls it must refuse)
 *   storage-msixt  the same, but entry 0 written into the MSI-X table
 *              itself (address 0xfee00000, data 0x61, unmask), which the
 *              hypervisor emulates; the entry must read back as written
 *   rawmsi     writes undeliverable messages into MSI-X entry 0 and
 *              unmasks it: a host vector (0x30) with a compatibility
 *              address, then a remappable-format address naming IRTE 0;
 *              each must be refused (the entry reads back masked) and no
 *              interrupt arrive; then Identify by polling
 *                TEST rawmsi: raw-msi PASS, identify PASS
 *
 * Registers and structures: NVM Express Base Specification 1.4, 3.1
 * (controller registers), 4.2 and 4.6 (submission and completion queue
 * entries), 5.15 (Identify), figures 247 and 249 (the data structures).
 */
#include <runtime/paging.h>
#include <runtime/pci.h>
#include <runtime/runtime.h>

#define NVME_CLASS		0x010802	/* mass storage, non-volatile memory, NVM Express */

/* Controller registers (NVMe 1.4, 3.1). */
#define NVME_CAP		0x00	/* 64 bits */
# define NVME_CAP_MQES(c)	((uint32_t)((c) & 0xffff))		/* maximum queue entries - 1 */
# define NVME_CAP_TO(c)		((uint32_t)(((c) >> 24) & 0xff))	/* ready timeout, 500 ms units */
# define NVME_CAP_DSTRD(c)	((uint32_t)(((c) >> 32) & 0xf))		/* doorbell stride: 4 << DSTRD */
# define NVME_CAP_CSS_NVM	BIT(37)
# define NVME_CAP_MPSMIN(c)	((uint32_t)(((c) >> 48) & 0xf))		/* 4 KiB << MPSMIN */
#define NVME_VS			0x08
#define NVME_CC			0x14
# define NVME_CC_EN		BIT(0)
# define NVME_CC_CSS_NVM	(0U << 4)
# define NVME_CC_MPS(n)		((uint32_t)(n) << 7)			/* 4 KiB << MPS */
# define NVME_CC_AMS_RR		(0U << 11)
# define NVME_CC_IOSQES(n)	((uint32_t)(n) << 16)			/* 2^n bytes */
# define NVME_CC_IOCQES(n)	((uint32_t)(n) << 20)
#define NVME_CSTS		0x1c
# define NVME_CSTS_RDY		BIT(0)
# define NVME_CSTS_CFS		BIT(1)
#define NVME_AQA		0x24
# define NVME_AQA_ASQS(n)	((uint32_t)(n) - 1)			/* 0-based sizes */
# define NVME_AQA_ACQS(n)	(((uint32_t)(n) - 1) << 16)
#define NVME_ASQ		0x28	/* 64 bits */
#define NVME_ACQ		0x30	/* 64 bits */
#define NVME_DOORBELLS		0x1000	/* SQ0TDBL, CQ0HDBL, SQ1TDBL, ... every 4 << DSTRD bytes */

/* Submission queue entry (4.2) and completion queue entry (4.6). */
struct nvme_command {
	uint8_t opcode;
	uint8_t flags;		/* FUSE, PSDT (0: PRPs) */
	uint16_t cid;
	uint32_t nsid;
	uint64_t reserved;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} __packed;
_Static_assert(sizeof(struct nvme_command) == 64, "NVMe submission queue entry");

struct nvme_completion {
	uint32_t result;	/* DW0: command specific */
	uint32_t reserved;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* bit 0: phase tag; 15:1 status field (SC 8:1, SCT 11:9) */
} __packed;
_Static_assert(sizeof(struct nvme_completion) == 16, "NVMe completion queue entry");
#define NVME_CQE_PHASE		BIT(0)

#define NVME_ADMIN_IDENTIFY	0x06
# define NVME_CNS_NAMESPACE	0x00
# define NVME_CNS_CONTROLLER	0x01

/* Identify Controller data (figure 247) and Identify Namespace data (figure 245). */
#define ID_CTRL_SN		4	/* 20 ASCII bytes, space padded */
#define ID_CTRL_MN		24	/* 40 */
#define ID_CTRL_FR		64	/* 8 */
#define ID_CTRL_NN		516	/* 32 bits: number of namespaces */
#define ID_NS_NSZE		0	/* 64 bits: size in logical blocks */
#define ID_NS_FLBAS		26	/* bits 3:0: the LBA format in use */
#define ID_NS_LBAF(n)		(128 + 4 * (n))	/* bits 23:16: LBADS, log2 of the block size */

#define QUEUE_ENTRIES		8
#define PAGE			4096
#define COMMAND_WAIT_NS		(500 * NSEC_PER_MSEC)
#define ROGUE_ASQ		0x10000000ULL	/* 256 MiB: host RAM beyond this VM */
#define ATTEMPT_WAIT_NS		(500 * NSEC_PER_MSEC)

static struct nvme_command admin_sq[QUEUE_ENTRIES] __aligned(PAGE);
static struct nvme_completion admin_cq[QUEUE_ENTRIES] __aligned(PAGE);
static uint8_t identify_data[PAGE] __aligned(PAGE);

static volatile uint8_t *regs;
static uint64_t bar0;
static struct pci_fn nvme_fn;

/* MSI-X (PCI 3.0, 6.8.2): the capability, and the admin CQ's interrupt (vector 0) by HC_MSI_SETUP. */
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_CTRL		0x02
# define MSIX_CTRL_ENABLE	BIT(15)
# define MSIX_CTRL_QSIZE	0x7ffU
#define MSIX_TABLE		0x04
#define MSIX_VECTOR		UHV_MSI_VECTOR_BASE
#define MSIX_TABLE_VECTOR	(UHV_MSI_VECTOR_BASE + 1)
#define RAW_VECTOR		0x30
#define MSIX_ENTRY_ADDR_LO	0x0
#define MSIX_ENTRY_ADDR_HI	0x4
#define MSIX_ENTRY_DATA		0x8
#define MSIX_ENTRY_CTRL		0xc
# define MSIX_ENTRY_MASKED	BIT(0)
static bool use_interrupts;
static unsigned int cq_vector = MSIX_VECTOR;
static volatile uint64_t cq_interrupts;
static uint64_t cap;
static uint32_t doorbell_stride;
static unsigned int sq_tail, cq_head;
static uint16_t cq_phase, next_cid;

static uint32_t reg_read(uint32_t reg) { return *(volatile uint32_t *)(regs + reg); }
static void reg_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(regs + reg) = v; }

/* 64-bit registers as two dwords, low first: the base specification allows it (3.1). */
static uint64_t reg_read64(uint32_t reg)
{
	return reg_read(reg) | (uint64_t)reg_read(reg + 4) << 32;
}

static void reg_write64(uint32_t reg, uint64_t v)
{
	reg_write(reg, (uint32_t)v);
	reg_write(reg + 4, (uint32_t)(v >> 32));
}

static uint32_t sq_tail_doorbell(unsigned int qid) { return NVME_DOORBELLS + (2 * qid) * doorbell_stride; }
static uint32_t cq_head_doorbell(unsigned int qid) { return NVME_DOORBELLS + (2 * qid + 1) * doorbell_stride; }

/* Find the controller, map BAR0, memory decode and bus mastering on. */
static bool controller_find(void)
{
	struct pci_fn f;

	if (!test_check(pci_find_class(NVME_CLASS, &f), "no NVMe controller (class 01.08.02) among this "
			"VM's PCI functions"))
		return false;
	uint32_t id = pci_cfg_read32(f, PCI_VENDOR_ID);
	uint32_t lo = pci_cfg_read32(f, PCI_BAR(0)), hi = 0;
	if (!test_check(!(lo & 1), "BAR0 %#x is an I/O BAR", lo))
		return false;
	if ((lo & 6) == 4)	/* a 64-bit BAR: BAR1 holds the upper half */
		hi = pci_cfg_read32(f, PCI_BAR(1));
	uint64_t base = ((uint64_t)hi << 32) | (lo & ~0xfU);
	if (!test_check(base != 0, "BAR0 is not assigned (%#x %#x)", lo, hi) ||
	    !test_check(paging_map_identity(base) == 0, "cannot map BAR0 at %#llx", (unsigned long long)base))
		return false;
	regs = (volatile uint8_t *)(uintptr_t)base;
	bar0 = base;
	nvme_fn = f;
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);
	pci_cfg_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cmd = pci_cfg_read16(f, PCI_COMMAND);
	test_log("NVMe controller %04x:%04x at %02x:%02x.%u, BAR0 %#llx (%s), command %#x", id & 0xffff,
		 id >> 16, f.bus, f.dev, f.fn, (unsigned long long)base, (lo & 6) == 4 ? "64-bit" : "32-bit", cmd);
	return test_check((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
			  (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			  "memory decode and bus mastering did not stick (command %#x)", cmd);
}

/* Wait until CSTS.RDY is ready (bounded by CAP.TO); false on timeout or a fatal status. */
static bool wait_ready(bool ready)
{
	uint64_t timeout = (NVME_CAP_TO(cap) + 1) * 500 * NSEC_PER_MSEC;
	uint64_t deadline = time_ns() + timeout;
	uint32_t csts;

	while (((csts = reg_read(NVME_CSTS)) & NVME_CSTS_RDY) != (ready ? NVME_CSTS_RDY : 0)) {
		if (csts == UINT32_MAX || time_ns() >= deadline)
			return test_check(false, "CSTS.RDY did not become %u within %llu ms (CSTS %#x)", ready,
					  (unsigned long long)(timeout / NSEC_PER_MSEC), csts);
		__asm__ volatile("pause");
	}
	return true;
}

/*
 * Disable the controller, give it the admin queues at asq (an I/O address
 * = guest-physical) and admin_cq, and enable it. Returns false if it does
 * not come ready.
 */
static bool controller_enable(uint64_t asq)
{
	reg_write(NVME_CC, reg_read(NVME_CC) & ~(uint32_t)NVME_CC_EN);
	if (!wait_ready(false))
		return false;
	memset(admin_sq, 0, sizeof(admin_sq));
	memset(admin_cq, 0, sizeof(admin_cq));
	sq_tail = cq_head = 0;
	cq_phase = 1;		/* the controller writes entries with phase 1 on the first pass */
	reg_write(NVME_AQA, NVME_AQA_ASQS(QUEUE_ENTRIES) | NVME_AQA_ACQS(QUEUE_ENTRIES));
	reg_write64(NVME_ASQ, asq);
	reg_write64(NVME_ACQ, gpa_of(admin_cq));
	__asm__ volatile("mfence" ::: "memory");
	/* NVM command set, 4 KiB pages, round robin, 64-byte SQ and 16-byte CQ entries. */
	reg_write(NVME_CC, NVME_CC_CSS_NVM | NVME_CC_MPS(0) | NVME_CC_AMS_RR | NVME_CC_IOSQES(6) |
		  NVME_CC_IOCQES(4) | NVME_CC_EN);
	return wait_ready(true);
}

static bool controller_init(void)
{
	cap = reg_read64(NVME_CAP);
	doorbell_stride = 4U << NVME_CAP_DSTRD(cap);
	uint32_t vs = reg_read(NVME_VS);
	test_log("CAP %#llx: MQES %u, TO %u ms, DSTRD %u, MPSMIN %u; VS %u.%u.%u; CC %#x, CSTS %#x",
		 (unsigned long long)cap, NVME_CAP_MQES(cap) + 1, NVME_CAP_TO(cap) * 500, NVME_CAP_DSTRD(cap),
		 NVME_CAP_MPSMIN(cap), vs >> 16, (vs >> 8) & 0xff, vs & 0xff, reg_read(NVME_CC),
		 reg_read(NVME_CSTS));
	if (!test_check(cap & NVME_CAP_CSS_NVM, "CAP.CSS: no NVM command set") ||
	    !test_check(NVME_CAP_MPSMIN(cap) == 0, "CAP.MPSMIN %u: 4 KiB pages not supported", NVME_CAP_MPSMIN(cap)) ||
	    !test_check(NVME_CAP_MQES(cap) + 1 >= QUEUE_ENTRIES, "CAP.MQES %u: queues too short", NVME_CAP_MQES(cap)))
		return false;
	return controller_enable(gpa_of(admin_sq));
}

/*
 * Submit one admin command (its CID is filled in) and poll the completion
 * queue's phase bit, bounded. Returns the status field (0: success), or
 * -1 if no completion came.
 */
static int admin_command(struct nvme_command cmd)
{
	uint64_t interrupts = cq_interrupts;

	cmd.cid = next_cid++;
	admin_sq[sq_tail] = cmd;
	sq_tail = (sq_tail + 1) % QUEUE_ENTRIES;
	__asm__ volatile("mfence" ::: "memory");
	reg_write(sq_tail_doorbell(0), sq_tail);

	volatile struct nvme_completion *e = &admin_cq[cq_head];
	uint64_t deadline = time_ns() + COMMAND_WAIT_NS;
	/* With MSI-X: sleep until the completion's interrupt, then the entry must be there. */
	while (use_interrupts && cq_interrupts == interrupts && time_ns() < deadline)
		sleep_ns(NSEC_PER_MSEC);
	if (use_interrupts && !test_check(cq_interrupts != interrupts && (e->status & NVME_CQE_PHASE) == cq_phase,
					  "command %u (opcode %#x): no MSI-X interrupt with its completion within %llu ms "
					  "(interrupts %llu, phase %u)", cmd.cid, cmd.opcode,
					  (unsigned long long)(COMMAND_WAIT_NS / NSEC_PER_MSEC),
					  (unsigned long long)cq_interrupts, (unsigned int)(e->status & NVME_CQE_PHASE)))
		return -1;
	while ((e->status & NVME_CQE_PHASE) != cq_phase) {
		if (time_ns() >= deadline) {
			test_check(false, "no completion for command %u (opcode %#x) within %llu ms (CSTS %#x)",
				   cmd.cid, cmd.opcode, (unsigned long long)(COMMAND_WAIT_NS / NSEC_PER_MSEC),
				   reg_read(NVME_CSTS));
			return -1;
		}
		__asm__ volatile("pause");
	}
	uint16_t status = e->status, cid = e->cid;
	cq_head = (cq_head + 1) % QUEUE_ENTRIES;
	if (cq_head == 0)
		cq_phase ^= 1;
	reg_write(cq_head_doorbell(0), cq_head);
	if (!test_check(cid == cmd.cid, "completion for command %u, expected %u", cid, cmd.cid))
		return -1;
	return status >> 1;
}

static void cq_interrupt(struct trap_frame *frame)
{
	(void)frame;
	cq_interrupts++;
}

static uint16_t bdf_of(struct pci_fn f)
{
	return (uint16_t)(f.bus << 8 | f.dev << 3 | f.fn);
}

/*
 * The admin completion queue's interrupt (MSI-X entry 0) by HC_MSI_SETUP,
 * after the calls the hypervisor must refuse; then MSI-X Enable.
 */
static bool msix_setup(void)
{
	test_begin("msix");
	uint8_t msix_cap = pci_find_cap(nvme_fn, PCI_CAP_ID_MSIX);
	if (!test_check(msix_cap != 0, "no MSI-X capability")) {
		test_end();
		return false;
	}
	uint16_t ctrl = pci_cfg_read16(nvme_fn, msix_cap + MSIX_CTRL);
	uint32_t entries = (ctrl & MSIX_CTRL_QSIZE) + 1, bdf = bdf_of(nvme_fn);
	int64_t beyond = hc_msi_setup((uint16_t)bdf, entries, MSIX_VECTOR);
	int64_t bad_vector = hc_msi_setup((uint16_t)bdf, 0, 0x20);
	int64_t foreign = hc_msi_setup((uint16_t)(bdf ^ 0x08), 0, MSIX_VECTOR);	/* the next slot: not its own */
	test_check(beyond == -HV_ERANGE, "entry %u (beyond the table) returned %lld", entries, (long long)beyond);
	test_check(bad_vector == -HV_EINVAL, "vector 0x20 returned %lld", (long long)bad_vector);
	test_check(foreign == -HV_ENOENT, "another function's entry returned %lld", (long long)foreign);
	bool ok = test_check(irq_register(MSIX_VECTOR, cq_interrupt) == 0, "cannot register vector %#x", MSIX_VECTOR);
	int64_t ret = ok ? hc_msi_setup((uint16_t)bdf, 0, MSIX_VECTOR) : -1;
	ok = ok && test_check(ret == 0, "HC_MSI_SETUP(entry 0, vector %#x) returned %lld", MSIX_VECTOR, (long long)ret);
	if (ok) {
		pci_cfg_write16(nvme_fn, msix_cap + MSIX_CTRL, (uint16_t)(ctrl | MSIX_CTRL_ENABLE));
		ctrl = pci_cfg_read16(nvme_fn, msix_cap + MSIX_CTRL);
		ok = test_check(ctrl & MSIX_CTRL_ENABLE, "MSI-X Enable did not stick (message control %#x)", ctrl);
	}
	test_log("MSI-X capability at %#x, %u entries: entry 0 -> vector %#x, message control %#x; refused: "
		 "entry beyond %lld, vector 0x20 %lld, foreign function %lld", msix_cap, entries, MSIX_VECTOR, ctrl,
		 (long long)beyond, (long long)bad_vector, (long long)foreign);
	use_interrupts = ok;
	test_end();
	return ok;
}

/* Entry 0 of the MSI-X table, identity-mapped (the hypervisor traps and emulates its page); 0 on failure. */
static volatile uint32_t *msix_entry0(uint8_t msix_cap)
{
	uint32_t where = pci_cfg_read32(nvme_fn, msix_cap + MSIX_TABLE);
	uint64_t table = bar0 + (where & ~7U);

	if (!test_check((where & 7) == 0, "the MSI-X table is not in BAR0") ||
	    !test_check(paging_map_identity(table) == 0, "cannot map %#llx", (unsigned long long)table))
		return NULL;
	return (volatile uint32_t *)(uintptr_t)table;
}

/* MSI-X entry 0 written in the table itself: masked, address, data, unmasked; then MSI-X Enable. */
static bool msix_table_setup(void)
{
	test_begin("msix");
	uint8_t msix_cap = pci_find_cap(nvme_fn, PCI_CAP_ID_MSIX);
	volatile uint32_t *e = msix_cap ? msix_entry0(msix_cap) : NULL;
	if (!test_check(e != NULL, "no MSI-X table")) {
		test_end();
		return false;
	}
	bool ok = test_check(irq_register(MSIX_TABLE_VECTOR, cq_interrupt) == 0, "cannot register vector %#x",
			     MSIX_TABLE_VECTOR);
	uint32_t reset_ctrl = e[MSIX_ENTRY_CTRL / 4];
	e[MSIX_ENTRY_CTRL / 4] = MSIX_ENTRY_MASKED;
	e[MSIX_ENTRY_ADDR_LO / 4] = 0xfee00000;
	e[MSIX_ENTRY_ADDR_HI / 4] = 0;
	e[MSIX_ENTRY_DATA / 4] = MSIX_TABLE_VECTOR;
	e[MSIX_ENTRY_CTRL / 4] = 0;
	uint32_t lo = e[MSIX_ENTRY_ADDR_LO / 4], data = e[MSIX_ENTRY_DATA / 4], ctrl = e[MSIX_ENTRY_CTRL / 4];
	uint16_t mc = pci_cfg_read16(nvme_fn, msix_cap + MSIX_CTRL);
	uint32_t entries = (mc & MSIX_CTRL_QSIZE) + 1;
	/* The rest of the table's page, past the last entry, is passed through to the device (QEMU: nothing, 0). */
	uint32_t past = ((entries * 16) & 0xfff) ? e[entries * 4] : 0;
	pci_cfg_write16(nvme_fn, msix_cap + MSIX_CTRL, (uint16_t)(mc | MSIX_CTRL_ENABLE));
	mc = pci_cfg_read16(nvme_fn, msix_cap + MSIX_CTRL);
	test_log("past the table's %u entries (passed through): %#x", entries, past);
	test_log("MSI-X entry 0 written in the table at %#llx: vector control after reset %#x; reads back address "
		 "%#x data %#x vector control %#x; message control %#x", (unsigned long long)(uintptr_t)e, reset_ctrl,
		 lo, data, ctrl, mc);
	ok = ok && test_check(reset_ctrl & MSIX_ENTRY_MASKED, "entry 0 was not masked at start") &&
	     test_check(lo == 0xfee00000 && data == MSIX_TABLE_VECTOR && ctrl == 0, "entry 0 does not read back "
			"what was written") &&
	     test_check(mc & MSIX_CTRL_ENABLE, "MSI-X Enable did not stick (message control %#x)", mc);
	use_interrupts = ok;
	cq_vector = MSIX_TABLE_VECTOR;
	test_end();
	return ok;
}

static volatile uint64_t raw_interrupts;
static void raw_interrupt(struct trap_frame *frame)
{
	(void)frame;
	raw_interrupts++;
}

/*
 * Undeliverable messages written into MSI-X entry 0 and unmasked: the
 * hypervisor refuses each (the entry stays masked), and no interrupt comes.
 */
static void raw_msi_attempt(void)
{
	test_begin("raw-msi");
	uint8_t msix_cap = pci_find_cap(nvme_fn, PCI_CAP_ID_MSIX);
	volatile uint32_t *e = msix_cap ? msix_entry0(msix_cap) : NULL;
	if (!test_check(e != NULL, "no MSI-X table") ||
	    !test_check(irq_register(RAW_VECTOR, raw_interrupt) == 0, "cannot register vector %#x", RAW_VECTOR)) {
		test_end();
		return;
	}
	static const struct { uint32_t address, data; const char *what; } raw[] = {
		{ 0xfee00000, RAW_VECTOR, "compatibility format, host vector 0x30" },
		{ 0xfee00010, MSIX_VECTOR, "remappable format naming IRTE 0" },
	};
	uint16_t mc = pci_cfg_read16(nvme_fn, msix_cap + MSIX_CTRL);
	pci_cfg_write16(nvme_fn, msix_cap + MSIX_CTRL, (uint16_t)(mc | MSIX_CTRL_ENABLE));
	for (unsigned int i = 0; i < ARRAY_SIZE(raw); i++) {
		test_log("writing address %#x data %#x (%s) into MSI-X entry 0 at %#llx and unmasking it (expect: "
			 "refused)", raw[i].address, raw[i].data, raw[i].what, (unsigned long long)(uintptr_t)e);
		e[MSIX_ENTRY_CTRL / 4] = MSIX_ENTRY_MASKED;
		e[MSIX_ENTRY_ADDR_LO / 4] = raw[i].address;
		e[MSIX_ENTRY_ADDR_HI / 4] = 0;
		e[MSIX_ENTRY_DATA / 4] = raw[i].data;
		e[MSIX_ENTRY_CTRL / 4] = 0;
		uint32_t ctrl = e[MSIX_ENTRY_CTRL / 4];
		test_check(ctrl & MSIX_ENTRY_MASKED, "entry 0 reads back unmasked (%#x): the message was taken", ctrl);
	}
	use_interrupts = false;
	test_end();
}

static int identify(uint32_t nsid, uint32_t cns)
{
	memset(identify_data, 0, sizeof(identify_data));
	return admin_command((struct nvme_command){
		.opcode = NVME_ADMIN_IDENTIFY,
		.nsid = nsid,
		.prp1 = gpa_of(identify_data),	/* one 4 KiB page: no PRP2 */
		.cdw10 = cns,
	});
}

/* An identify string (ASCII, space padded) without its padding. */
static void id_string(char *out, size_t offset, size_t len)
{
	memcpy(out, identify_data + offset, len);
	out[len] = '\0';
	for (size_t i = len; i > 0 && (out[i - 1] == ' ' || out[i - 1] == '\0'); i--)
		out[i - 1] = '\0';
}

static uint64_t le(size_t offset, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = bytes; i > 0; i--)
		v = v << 8 | identify_data[offset + i - 1];
	return v;
}

static void identify_test(void)
{
	char sn[21], mn[41], fr[9];

	test_begin("identify");
	int status = identify(0, NVME_CNS_CONTROLLER);
	if (!test_check(status == 0, "Identify Controller: status %#x", status)) {
		test_end();
		return;
	}
	id_string(sn, ID_CTRL_SN, 20);
	id_string(mn, ID_CTRL_MN, 40);
	id_string(fr, ID_CTRL_FR, 8);
	uint32_t nn = (uint32_t)le(ID_CTRL_NN, 4);
	if (use_interrupts)
		test_log("completion by MSI-X interrupt: %llu interrupt(s) on vector %#x so far",
			 (unsigned long long)cq_interrupts, cq_vector);
	test_log("Identify Controller by DMA into %#llx: model '%s', serial '%s', firmware '%s', %u namespace(s)",
		 (unsigned long long)gpa_of(identify_data), mn, sn, fr, nn);
	test_check(sn[0] && mn[0], "empty serial or model number: the data never arrived");
	if (nn >= 1) {
		status = identify(1, NVME_CNS_NAMESPACE);
		if (test_check(status == 0, "Identify Namespace 1: status %#x", status)) {
			uint64_t blocks = le(ID_NS_NSZE, 8);
			unsigned int lbads = (unsigned int)(le(ID_NS_LBAF(identify_data[ID_NS_FLBAS] & 0xf), 4) >> 16) & 0xff;

			test_log("namespace 1: %llu blocks of %u bytes (%llu KiB)", (unsigned long long)blocks,
				 1U << lbads, (unsigned long long)((blocks << lbads) / 1024));
			test_check(blocks != 0 && lbads >= 9, "namespace 1 has no size");
		}
	}
	test_end();
}

/* After a restart: the hypervisor reset the controller when this VM stopped. */
static bool arrived_reset(void)
{
	uint32_t cc = reg_read(NVME_CC), csts = reg_read(NVME_CSTS);

	test_begin("arrived-reset");
	test_log("on arrival: CC %#x, CSTS %#x, AQA %#x", cc, csts, reg_read(NVME_AQA));
	bool ok = test_check(!(cc & NVME_CC_EN) && !(csts & NVME_CSTS_RDY),
			     "the controller is still enabled from the last start: it was not reset");
	test_end();
	return ok;
}

/* Point the admin submission queue outside this VM's RAM and ring the doorbell. */
static void rogue_attempt(void)
{
	test_begin("rogue-dma");
	test_log("attempting DMA: ASQ at I/O address %#llx (expect: blocked, VM stopped)",
		 (unsigned long long)ROGUE_ASQ);
	console_flush();
	reg_write(NVME_CC, reg_read(NVME_CC) & ~(uint32_t)NVME_CC_EN);
	if (!wait_ready(false)) {
		test_end();
		return;
	}
	reg_write64(NVME_ASQ, ROGUE_ASQ);
	reg_write(NVME_CC, NVME_CC_CSS_NVM | NVME_CC_MPS(0) | NVME_CC_AMS_RR | NVME_CC_IOSQES(6) |
		  NVME_CC_IOCQES(4) | NVME_CC_EN);
	if (!wait_ready(true)) {
		test_end();
		return;
	}
	reg_write(sq_tail_doorbell(0), 1);	/* the controller fetches entry 0 from ROGUE_ASQ now */
	uint64_t deadline = time_ns() + ATTEMPT_WAIT_NS;
	while (time_ns() < deadline)
		__asm__ volatile("pause");
	test_check(false, "the fetch from %#llx was not contained (CSTS %#x)", (unsigned long long)ROGUE_ASQ,
		   reg_read(NVME_CSTS));
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	const char *name = boot->vm.name;
	bool is_rogue = !strcmp(name, "rogue"), is_msix = !strcmp(name, "storage-msix");
	bool is_raw = !strcmp(name, "rawmsi"), is_table = !strcmp(name, "storage-msixt");

	if (strcmp(name, "storage") && !is_rogue && !is_msix && !is_raw && !is_table) {
		test_begin("nvmeid-role");
		test_check(false, "no part is named \"%s\": storage, storage-msix, storage-msixt, rawmsi or rogue",
			   name);
		test_finish();
	}
	test_begin("controller");
	bool ok = controller_find();
	test_end();
	if (ok && is_rogue && boot->vm.restart_count > 0)
		ok = arrived_reset();
	/* Before the controller is enabled: QEMU's NVMe binds the admin queue's vector when CC.EN is set. */
	if (ok && is_msix)
		ok = msix_setup();
	if (ok && is_table)
		ok = msix_table_setup();
	if (ok && is_raw)
		raw_msi_attempt();
	if (ok) {
		test_begin("enable");
		ok = controller_init();
		test_end();
	}
	if (ok)
		identify_test();
	if (ok && is_raw) {
		test_begin("raw-msi-quiet");
		test_log("interrupts on vector %#x: %llu", RAW_VECTOR, (unsigned long long)raw_interrupts);
		test_check(raw_interrupts == 0, "a refused message interrupted");
		test_end();
	}
	if (ok && is_rogue && boot->vm.restart_count == 0)
		rogue_attempt();
	test_finish();
}
