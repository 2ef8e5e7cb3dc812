// SPDX-License-Identifier: MIT
/*
 * hypervisor/pci_irq.c, the MSI/MSI-X half, driven by hostile owners over
 * simulated devices: a table in memory standing for the device's MSI-X
 * BAR, a configuration space per function, and a host with as many
 * message vectors as the real one (arch/x86/irqline.c). What is checked is
 * what one owner must never be able to do to another or to the hypervisor:
 * take every host vector, or flood the console.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>
#include <abi/hypercall.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/irqline.h>
#include <hv/mm.h>
#include <hv/pci_irq.h>
#include <hv/pci_owner.h>
#include <hv/vm.h>

#include "unit.h"

/* ---- The console: counted lines. ---- */

static char console_log[1 << 20];
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

static unsigned int log_count(const char *what)
{
	unsigned int n = 0;

	for (const char *p = console_log; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static unsigned int log_lines(void)
{
	return log_count("\n");
}

/* ---- The host: message vectors and remapping entries, as many as irqline.c has. ---- */

#define HOST_MSG_VECTORS	64
static bool host_msg_used[HOST_MSG_VECTORS];

bool irqmsg_available(void) { return true; }

int irqmsg_claim(pci_sbdf_t sbdf, irqmsg_handler_t handler, unsigned int cookie, struct irqmsg *msg)
{
	(void)sbdf, (void)handler, (void)cookie;
	for (int i = 0; i < HOST_MSG_VECTORS; i++) {
		if (host_msg_used[i])
			continue;
		host_msg_used[i] = true;
		/* Remappable format naming IRTE i (VT-d 5.1.5.2): what the device is given. */
		*msg = (struct irqmsg){ .address_lo = 0xfee00010U | (uint32_t)i << 5, .data = 0 };
		return i;
	}
	return -HV_ENOMEM;
}

void irqmsg_release(int handle)
{
	CHECK(handle >= 0 && handle < HOST_MSG_VECTORS && host_msg_used[handle]);
	host_msg_used[handle] = false;
}

int irqmsg_entry(int handle) { return handle; }
uint64_t irqmsg_count(int handle) { (void)handle; return 0; }

static unsigned int host_msg_in_use(void)
{
	unsigned int n = 0;

	for (int i = 0; i < HOST_MSG_VECTORS; i++)
		n += host_msg_used[i];
	return n;
}

/* No INTx in these tests: every function is without an interrupt pin. */
int irqline_of_pci(const struct pci_device *d, uint32_t *line, const char **how)
{
	(void)d, (void)line, (void)how;
	return -HV_ENOENT;
}
int irqline_claim(uint32_t line, irqline_handler_t handler) { (void)line, (void)handler; return -HV_ENODEV; }
void irqline_set_masked(uint32_t line, bool masked) { (void)line, (void)masked; }
uint64_t irqline_count(uint32_t line) { (void)line; return 0; }

/* ---- Memory: the shadow tables' frames, and the devices' MSI-X BARs. ---- */

static uint8_t frames[4][16384] __attribute__((aligned(4096)));
static unsigned int frames_used;

paddr_t frame_alloc_contig(uint64_t count, uint64_t align_frames)
{
	(void)align_frames;
	CHECK(count * FRAME_SIZE <= sizeof(frames[0]) && frames_used < ARRAY_SIZE(frames));
	/* phys_to_virt() adds DIRECT_MAP_BASE: hand out the address that lands on the buffer. */
	return (paddr_t)((uintptr_t)frames[frames_used++] - DIRECT_MAP_BASE);
}

#define BAR_BASE(n)	(0xfe000000ULL + (uint64_t)(n) * 0x10000)
#define TABLE_ENTRIES	256
static uint8_t bars[2][TABLE_ENTRIES * MSIX_ENTRY_SIZE] __attribute__((aligned(4096)));

void *ioremap(paddr_t pa, size_t len)
{
	for (unsigned int n = 0; n < ARRAY_SIZE(bars); n++)
		if (pa >= BAR_BASE(n) && pa + len <= BAR_BASE(n) + sizeof(bars[n]))
			return bars[n] + (pa - BAR_BASE(n));
	unit_fail(__FILE__, __LINE__, "ioremap(%#llx) outside the simulated BARs", (unsigned long long)pa);
	abort();
}

/* ---- Configuration space: enough for the command register and the MSI and MSI-X capabilities. ---- */

#define MSI_CAP		0x50
#define MSIX_CAP	0x70
static uint8_t cfg[2][256];

uint32_t pci_cfg_read(pci_sbdf_t sbdf, uint16_t offset, unsigned int size)
{
	uint32_t v = 0;

	CHECK(PCI_DEV(sbdf) < ARRAY_SIZE(cfg) && offset + size <= 256);
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)cfg[PCI_DEV(sbdf)][offset + i] << (8 * i);
	return v;
}

void pci_cfg_write(pci_sbdf_t sbdf, uint16_t offset, unsigned int size, uint32_t value)
{
	CHECK(PCI_DEV(sbdf) < ARRAY_SIZE(cfg) && offset + size <= 256);
	for (unsigned int i = 0; i < size; i++)
		cfg[PCI_DEV(sbdf)][offset + i] = (uint8_t)(value >> (8 * i));
}

/* ---- Two IOVMs, each owning one function with MSI and a 256-entry MSI-X table. ---- */

static struct vm vms[2];
static struct pci_device devs[2];
static struct pci_assigned owned[2];

struct vm *vm_by_id(uint32_t id)
{
	return id >= 1 && id <= ARRAY_SIZE(vms) ? &vms[id - 1] : NULL;
}

void virq_raise(struct vcpu *v, uint8_t vector) { v->virq_pending[vector / 64] |= 1ULL << (vector % 64); }
void virq_clear(struct vcpu *v, uint8_t vector) { v->virq_pending[vector / 64] &= ~(1ULL << (vector % 64)); }

struct pci_assigned *pci_owner_next(uint32_t vm, size_t *cursor)
{
	while (*cursor < ARRAY_SIZE(owned)) {
		struct pci_assigned *a = &owned[(*cursor)++];

		if (a->owner == vm)
			return a;
	}
	return NULL;
}

static void setup(void)
{
	memset(host_msg_used, 0, sizeof(host_msg_used));
	memset(frames, 0, sizeof(frames));
	frames_used = 0;
	memset(bars, 0xff, sizeof(bars));
	memset(cfg, 0, sizeof(cfg));
	console_len = 0;
	console_log[0] = '\0';
	for (unsigned int i = 0; i < 2; i++) {
		vms[i] = (struct vm){ .id = i + 1, .state = VM_RUNNING };
		vms[i].vcpu.vm = &vms[i];
		memcpy(vms[i].cfg.name, i ? "iovm-b" : "iovm-a", 7);
		devs[i] = (struct pci_device){ .sbdf = PCI_SBDF(0, 0, i, 0) };
		owned[i] = (struct pci_assigned){
			.dev = &devs[i], .owner = i + 1, .msix_bar = 0,
			.msix_table = BAR_BASE(i), .msix_table_size = TABLE_ENTRIES * MSIX_ENTRY_SIZE,
			.msix_page = BAR_BASE(i), .msix_page_end = BAR_BASE(i) + sizeof(bars[i]),
			.msi_cap = MSI_CAP, .msix_cap = MSIX_CAP, .msix_cap_len = PCI_MSIX_CAP_LEN,
		};
		memcpy(owned[i].owner_name, vms[i].cfg.name, 7);
		msi_cap_layout(PCI_MSI_FLAGS_64BIT, &owned[i].msi_layout);
		owned[i].msi_cap_len = owned[i].msi_layout.len;
	}
	pci_irq_init();
	for (unsigned int i = 0; i < 2; i++)
		pci_irq_start(&vms[i]);
}

/* The owner's own write of one dword of a table entry, as the MMIO decoder hands it over. */
static void table_write(struct pci_assigned *a, unsigned int entry, unsigned int off, uint32_t value)
{
	uint64_t v = value;
	const char *why = NULL;

	CHECK_EQ(pci_irq_msix_mmio(a, a->msix_table + entry * MSIX_ENTRY_SIZE + off, 4, true, &v, &why), 0);
}

static void table_unmask(struct pci_assigned *a, unsigned int entry, uint8_t vector)
{
	table_write(a, entry, MSIX_ENTRY_ADDRESS_LO, 0xfee00000U);
	table_write(a, entry, MSIX_ENTRY_DATA, vector);
	table_write(a, entry, MSIX_ENTRY_VECTOR_CONTROL, 0);
}

static uint32_t real_control(unsigned int n, unsigned int entry)
{
	uint32_t v;

	memcpy(&v, bars[n] + entry * MSIX_ENTRY_SIZE + MSIX_ENTRY_VECTOR_CONTROL, 4);
	return v;
}

TEST(boot_masks_every_real_entry)
{
	setup();
	for (unsigned int e = 0; e < TABLE_ENTRIES; e++)
		CHECK_EQ(real_control(0, e) & MSIX_ENTRY_CTRL_MASKBIT, 1);
	CHECK_EQ(host_msg_in_use(), 0);
}

/*
 * One hostile owner unmasks every entry of its big table: it gets its
 * share of the host's message vectors and no more, and the other owner
 * can still bind its own entry.
 */
TEST(one_owner_cannot_take_every_host_vector)
{
	setup();
	struct pci_assigned *a = &owned[0], *b = &owned[1];

	for (unsigned int e = 0; e < TABLE_ENTRIES; e++)
		table_unmask(a, e, UHV_MSI_VECTOR_BASE + e % 32);
	CHECK(host_msg_in_use() <= HOST_MSG_VECTORS / 2);
	CHECK(host_msg_in_use() >= 1);
	/* What it could not bind stays masked in the device and in the shadow it reads back. */
	for (unsigned int e = host_msg_in_use(); e < TABLE_ENTRIES; e++)
		CHECK_EQ(real_control(0, e) & MSIX_ENTRY_CTRL_MASKBIT, 1);
	CHECK_EQ(pci_irq_msi_setup(&vms[1], PCI_BDF(b->dev->sbdf), 0, UHV_MSI_VECTOR_BASE), 0);
	CHECK_EQ(real_control(1, 0) & MSIX_ENTRY_CTRL_MASKBIT, 0);
	/* The refusals were logged, but not one line per entry. */
	CHECK(log_count("refused") < 20);

	/* Stopping the hostile owner gives every vector back. */
	pci_irq_stop(&vms[0]);
	CHECK_EQ(host_msg_in_use(), 1);
}

/* An owner that binds and unbinds in a loop (HC_MSI_SETUP, MSI Enable) must not flood the console. */
TEST(binding_in_a_loop_does_not_flood_the_console)
{
	setup();
	struct pci_assigned *a = &owned[0];
	unsigned int before = log_lines();

	for (unsigned int i = 0; i < 1000; i++) {
		CHECK_EQ(pci_irq_msi_setup(&vms[0], PCI_BDF(a->dev->sbdf), 0, UHV_MSI_VECTOR_BASE + i % 2), 0);
		CHECK_EQ(pci_irq_msi_setup(&vms[0], PCI_BDF(a->dev->sbdf), 0, 0), 0);
	}
	/* Revectoring a bound entry in a loop. */
	CHECK_EQ(pci_irq_msi_setup(&vms[0], PCI_BDF(a->dev->sbdf), 1, UHV_MSI_VECTOR_BASE), 0);
	for (unsigned int i = 0; i < 1000; i++)
		table_write(a, 1, MSIX_ENTRY_DATA, UHV_MSI_VECTOR_BASE + 1 + i % 2);
	/* MSI: Enable on and off. */
	pci_irq_msi_cap_write(a, PCI_MSI_ADDRESS_LO, 4, 0xfee00000U);
	pci_irq_msi_cap_write(a, PCI_MSI_DATA_64, 2, UHV_MSI_VECTOR_BASE + 5);
	for (unsigned int i = 0; i < 1000; i++) {
		pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
		CHECK_EQ(cfg[0][MSI_CAP + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE, 1);
		pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, 0);
		CHECK_EQ(cfg[0][MSI_CAP + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE, 0);
	}
	CHECK(log_lines() - before < 64);
	CHECK(log_count("not logged until its next start") >= 1);
	/* The bindings themselves still work: entry 1 bound, nothing else left behind. */
	CHECK_EQ(host_msg_in_use(), 1);
	CHECK_EQ(real_control(0, 1) & MSIX_ENTRY_CTRL_MASKBIT, 0);

	/* A new start has its budget back: the first binding is logged again. */
	pci_irq_stop(&vms[0]);
	a->msg_lines_logged = 0;	/* pci_owner_reset() does this at every start */
	pci_irq_start(&vms[0]);
	console_len = 0;
	console_log[0] = '\0';
	CHECK_EQ(pci_irq_msi_setup(&vms[0], PCI_BDF(a->dev->sbdf), 0, UHV_MSI_VECTOR_BASE), 0);
	CHECK_EQ(log_count("MSI-X entry 0 -> IRTE"), 1);
}

/* The owner's MSI Enable and MSI-X Enable, as the device has them. */
static bool msi_enabled(unsigned int n)
{
	return cfg[n][MSI_CAP + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE;
}

static bool msix_enabled(unsigned int n)
{
	return (cfg[n][MSIX_CAP + PCI_MSIX_FLAGS + 1] << 8) & PCI_MSIX_FLAGS_ENABLE;
}

/*
 * MSI and MSI-X are never enabled at once (PCI 3.0, 6.8: software must
 * not; what the device then does is undefined): the second Enable is
 * dropped (it reads back 0) with one line naming the first; once the
 * first is off, the other may go on.
 */
TEST(msi_and_msix_are_never_enabled_at_once)
{
	setup();
	struct pci_assigned *a = &owned[0], *b = &owned[1];
	const uint8_t msix_enable = PCI_MSIX_FLAGS_ENABLE >> 8, function_mask = PCI_MSIX_FLAGS_MASKALL >> 8;

	/* MSI on with a deliverable message; then MSI-X Enable (with Function Mask): only the mask is taken. */
	pci_irq_msi_cap_write(a, PCI_MSI_ADDRESS_LO, 4, 0xfee00000U);
	pci_irq_msi_cap_write(a, PCI_MSI_DATA_64, 2, UHV_MSI_VECTOR_BASE);
	pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	CHECK(msi_enabled(0));
	CHECK_EQ(host_msg_in_use(), 1);
	pci_irq_msix_control_write(a, msix_enable | function_mask);
	CHECK(!msix_enabled(0));
	CHECK_EQ((cfg[0][MSIX_CAP + PCI_MSIX_FLAGS + 1] << 8) & PCI_MSIX_FLAGS_MASKALL, PCI_MSIX_FLAGS_MASKALL);
	CHECK(msi_enabled(0));
	CHECK_EQ(log_count("W hv: irq: vm 'iovm-a': 00:00.0 MSI-X Enable refused: its MSI is enabled (PCI 3.0, "
			   "6.8: never both at once; disable MSI first)"), 1);
	/* The other owner's function is not concerned. */
	pci_irq_msix_control_write(b, msix_enable);
	CHECK(msix_enabled(1));

	/* MSI off: now MSI-X goes on. */
	pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, 0);
	CHECK(!msi_enabled(0));
	CHECK_EQ(host_msg_in_use(), 0);
	pci_irq_msix_control_write(a, msix_enable);
	CHECK(msix_enabled(0));

	/* MSI-X on: MSI Enable is refused, the owner reads it back as 0, nothing is bound. */
	pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	CHECK(!msi_enabled(0));
	CHECK_EQ(a->msi_shadow.control & PCI_MSI_FLAGS_ENABLE, 0);
	CHECK_EQ(host_msg_in_use(), 0);
	CHECK(msix_enabled(0));
	CHECK_EQ(log_count("W hv: irq: vm 'iovm-a': 00:00.0 MSI Enable refused: its MSI-X is enabled (PCI 3.0, "
			   "6.8: never both at once; disable MSI-X first)"), 1);
	/* The message written with it is kept, as any write while disabled: MSI-X off, then Enable binds it. */
	pci_irq_msi_cap_write(a, PCI_MSI_DATA_64, 2, UHV_MSI_VECTOR_BASE + 3);
	pci_irq_msix_control_write(a, 0);
	pci_irq_msi_cap_write(a, PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	CHECK(msi_enabled(0));
	CHECK_EQ(host_msg_in_use(), 1);
	CHECK(!msix_enabled(0));

	/* Trying in a loop stays within the function's log budget; the device never has both. */
	unsigned int before = log_lines();
	for (unsigned int i = 0; i < 1000; i++) {
		pci_irq_msix_control_write(a, msix_enable);
		CHECK(!msix_enabled(0) && msi_enabled(0));
	}
	CHECK(log_lines() - before <= 16 + 1);
	CHECK_EQ(log_count("not logged until its next start"), 1);
}
