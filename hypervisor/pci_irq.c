// SPDX-License-Identifier: MIT
/*
 * IOVM device interrupts (hv/pci_irq.h): INTx of an assigned function ->
 * host line (masked by the architecture when it fires) -> the owner's
 * virtual vector -> HC_IRQ_ACK -> line unmasked.
 *
 * Hostile owners: the vector an owner acknowledges is checked against its
 * own functions; acknowledging what is not waiting does nothing; an owner
 * that never acknowledges keeps its line masked, which costs the
 * hypervisor nothing. A stopped owner's functions get INTx Disable (PCI
 * 3.0, 6.2.2) so that a device left asserting cannot hold a shared line.
 *
 * MSI and MSI-X (with interrupt remapping only): the owner programs its
 * function's MSI capability and MSI-X table the normal way; what it writes
 * goes to a shadow (hv/msi.h), and a message it enables or unmasks is
 * checked and bound to a remapping entry of its own (edge, source id =
 * the function) that raises its virtual vector. The device only ever gets
 * the hypervisor's remappable message. The invariant: an MSI-X entry the
 * owner sees unmasked (an MSI capability it sees enabled) is bound and
 * unmasked (enabled) in the device; every other real entry is masked. MSI
 * and MSI-X are never enabled at once (PCI 3.0, 6.8): the second Enable is
 * dropped.
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/irqline.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/msi.h>
#include <hv/pci_irq.h>
#include <hv/pci_owner.h>
#include <hv/policy.h>
#include <hv/vm.h>

struct intx {
	struct pci_assigned *a;
	uint32_t line;
	bool live;		/* its owner is running */
	bool waiting;		/* raised, not acknowledged yet: the line stays masked */
	uint64_t raised;	/* this start */
	uint64_t acked;
};

static struct intx intx[POLICY_MAX_ASSIGNMENTS];
static unsigned int intx_count;

/* Messages bound to remapping entries: an MSI capability or an MSI-X table entry. */
#define MSG_MSI_CAP	(-1)	/* .entry of the MSI capability's binding */
struct msg_vec {
	bool used;
	struct pci_assigned *a;
	int entry;		/* MSI-X entry, or MSG_MSI_CAP */
	uint8_t vector;		/* the owner's virtual vector */
	int handle;		/* irqmsg_claim() */
	struct irqmsg msg;	/* what the device was given */
	uint64_t raised;
};
#define MSG_MAX_VECTORS	IRQMSG_MAX	/* one per host message vector */
static struct msg_vec msgs[MSG_MAX_VECTORS];
/*
 * Bindings one owner may hold at once: the host's message vectors split
 * evenly among the owners that can bind any (pci_irq_init()), so that an
 * owner unmasking every entry of a large table cannot leave another
 * without a vector.
 */
static unsigned int msg_share;
/*
 * Lines one function's messages may log per start (bindings, revectors,
 * refusals, releases while it runs): enough to follow a driver's setup and
 * to see a bug, not a flood from an owner that binds and unbinds in a loop
 * (each line is a busy wait on the serial port, in ring 0).
 */
#define MSG_LINES_LOGGED_MAX	16
#define PAGE_4K			4096ULL

#define BDF_FMT		"%02x:%02x.%u"
#define BDF_ARGS(a)	PCI_BUS((a)->dev->sbdf), PCI_DEV((a)->dev->sbdf), PCI_FN((a)->dev->sbdf)

static const char *const pin_names[] = { "?", "INTA", "INTB", "INTC", "INTD" };

/* Unmask line iff some function on it is live and none waits for its owner. */
static void line_update(uint32_t line)
{
	bool live = false, waiting = false;

	for (unsigned int i = 0; i < intx_count; i++) {
		if (intx[i].line != line)
			continue;
		live |= intx[i].live;
		waiting |= intx[i].live && intx[i].waiting;
	}
	irqline_set_masked(line, !live || waiting);
}

/* Interrupt context, line masked: raise every live function's vector on it. */
static void line_interrupt(uint32_t line)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];
		struct vm *vm;

		if (x->line != line || !x->live || !(vm = vm_by_id(x->a->owner)) || vm->state != VM_RUNNING)
			continue;
		x->waiting = true;
		x->raised++;
		virq_raise(&vm->vcpu, x->a->intx_vector);
	}
	/* Nobody live to service it: it stays masked (line_update would say the same). */
}

/* ---- Messages (MSI, MSI-X): the device side ---- */

/* Memory decode on for the hypervisor's own access to the table; returns what to restore. */
static uint16_t decode_on(const struct pci_assigned *a)
{
	uint16_t cmd = pci_cfg_read16(a->dev->sbdf, PCI_COMMAND);

	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_cfg_write16(a->dev->sbdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	return cmd;
}

static void decode_restore(const struct pci_assigned *a, uint16_t cmd)
{
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_cfg_write16(a->dev->sbdf, PCI_COMMAND, cmd);
}

/* The real table entry (find_msix_table() checked that the direct map reaches it). */
static volatile uint32_t *real_entry(const struct pci_assigned *a, unsigned int entry)
{
	uint64_t at = a->msix_table + (uint64_t)entry * MSIX_ENTRY_SIZE;
	volatile uint8_t *page = ioremap(ALIGN_DOWN(at, PAGE_4K), PAGE_4K);

	return (volatile uint32_t *)(page + (at & (PAGE_4K - 1)));
}

static void real_entry_mask(const struct pci_assigned *a, unsigned int entry, bool masked)
{
	volatile uint32_t *e = real_entry(a, entry);
	uint16_t cmd = decode_on(a);
	uint32_t ctrl = e[MSIX_ENTRY_VECTOR_CONTROL / 4];

	e[MSIX_ENTRY_VECTOR_CONTROL / 4] = masked ? ctrl | MSIX_ENTRY_CTRL_MASKBIT : ctrl & ~(uint32_t)MSIX_ENTRY_CTRL_MASKBIT;
	decode_restore(a, cmd);
}

/* Write the hypervisor's message into a real entry, masked while it changes; false if it did not take it. */
static bool real_entry_program(const struct pci_assigned *a, unsigned int entry, const struct irqmsg *msg,
			       bool unmask)
{
	volatile uint32_t *e = real_entry(a, entry);
	uint16_t cmd = decode_on(a);

	e[MSIX_ENTRY_VECTOR_CONTROL / 4] = e[MSIX_ENTRY_VECTOR_CONTROL / 4] | MSIX_ENTRY_CTRL_MASKBIT;
	e[MSIX_ENTRY_ADDRESS_LO / 4] = msg->address_lo;
	e[MSIX_ENTRY_ADDRESS_HI / 4] = msg->address_hi;
	e[MSIX_ENTRY_DATA / 4] = msg->data;
	if (unmask)
		e[MSIX_ENTRY_VECTOR_CONTROL / 4] = e[MSIX_ENTRY_VECTOR_CONTROL / 4] & ~(uint32_t)MSIX_ENTRY_CTRL_MASKBIT;
	bool took = e[MSIX_ENTRY_ADDRESS_LO / 4] == msg->address_lo && e[MSIX_ENTRY_DATA / 4] == msg->data;
	decode_restore(a, cmd);
	return took;
}

/*
 * At boot: the function's MSI-X and MSI states as the hypervisor wants them
 * before any owner runs. With interrupt remapping, a shadow table (every
 * entry masked, as after reset) and every real entry masked, whatever the
 * firmware left there; MSI-X Enable and MSI writable.
 */
static void msg_init(struct pci_assigned *a, bool remapping)
{
	a->msi_emulated = remapping && a->msi_cap;
	if (a->msix_bar < 0 || a->msix_refused || !remapping)
		return;
	uint64_t entries = a->msix_table_size / MSIX_ENTRY_SIZE;
	uint64_t frames = ALIGN_UP(a->msix_table_size, FRAME_SIZE) / FRAME_SIZE;
	paddr_t pa = frame_alloc_contig(frames, 1);

	if (!pa) {
		a->msix_refused = "no memory for its shadow table";
		pr_warn("pci: " BDF_FMT " MSI-X refused: %s", BDF_ARGS(a), a->msix_refused);
		return;
	}
	a->msix_shadow = phys_to_virt(pa);
	for (uint64_t i = 0; i < entries; i++) {
		a->msix_shadow[i] = MSIX_ENTRY_RESET;
		real_entry_mask(a, (unsigned int)i, true);
	}
	a->msix_writable = true;
	pr_info("pci: " BDF_FMT " MSI-X: %llu entries at %#llx (BAR%d), PBA at %#llx: table emulated, pages "
		"%#llx-%#llx trapped", BDF_ARGS(a), (unsigned long long)entries, (unsigned long long)a->msix_table,
		a->msix_bar, (unsigned long long)a->msix_pba, (unsigned long long)a->msix_page,
		(unsigned long long)(a->msix_page_end - 1));
}

/* ---- Bindings: a message to a remapping entry and a virtual vector ---- */

/* Interrupt context: an edge, so only the virtual vector to raise. */
static void msg_interrupt(unsigned int cookie)
{
	struct msg_vec *m = &msgs[cookie];
	struct vm *vm;

	if (!m->used || !(vm = vm_by_id(m->a->owner)) || vm->state != VM_RUNNING)
		return;
	m->raised++;
	virq_raise(&vm->vcpu, m->vector);
}

static struct msg_vec *binding(const struct pci_assigned *a, int entry)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++)
		if (msgs[i].used && msgs[i].a == a && msgs[i].entry == entry)
			return &msgs[i];
	return NULL;
}

/* Whether a may log one more line about its messages this start; says once when it may not. */
static bool msg_log_ok(struct pci_assigned *a)
{
	if (a->msg_lines_logged > MSG_LINES_LOGGED_MAX)
		return false;
	if (a->msg_lines_logged++ < MSG_LINES_LOGGED_MAX)
		return true;
	pr_warn("irq: vm '%s': " BDF_FMT " more bindings and refused messages: not logged until its next start",
		a->owner_name, BDF_ARGS(a));
	return false;
}

static void what_name(char *buf, size_t size, int entry)
{
	if (entry == MSG_MSI_CAP)
		format(buf, size, "MSI");
	else
		format(buf, size, "MSI-X entry %d", entry);
}

#define NO_VECTOR_LEFT	"no remapping entry or host vector left"
#define SHARE_USED	"its VM holds its whole share of the host's message vectors"

/* A remapping entry for a's message entry, delivering vector; NULL with *why (logged by the caller) if none. */
static struct msg_vec *bind(struct pci_assigned *a, int entry, uint8_t vector, const char **why)
{
	struct msg_vec *m, *slot = NULL;
	unsigned int held = 0;
	char what[24];

	for (m = msgs; m < msgs + ARRAY_SIZE(msgs); m++) {
		if (!m->used && !slot)
			slot = m;
		held += m->used && m->a->owner == a->owner;
	}
	*why = held >= msg_share ? SHARE_USED : NO_VECTOR_LEFT;
	if (held >= msg_share || !(m = slot))
		return NULL;
	struct irqmsg msg;
	int handle = irqmsg_claim(a->dev->sbdf, msg_interrupt, (unsigned int)(m - msgs), &msg);
	if (handle < 0)
		return NULL;
	*m = (struct msg_vec){ .used = true, .a = a, .entry = entry, .vector = vector, .handle = handle, .msg = msg };
	if (!msg_log_ok(a))
		return m;
	what_name(what, sizeof(what), entry);
	pr_info("irq: vm '%s': " BDF_FMT " %s -> IRTE %d (remappable: address %#x data %#x, edge, source id "
		"verified) -> vm '%s' virtual vector %#x", a->owner_name, BDF_ARGS(a), what, irqmsg_entry(handle),
		msg.address_lo, msg.data, a->owner_name, vector);
	return m;
}

/* Release a binding (its remapping entry not present: a late message is dropped); with summary, say what it did. */
static void unbind(struct msg_vec *m, bool summary)
{
	struct vm *vm = vm_by_id(m->a->owner);
	char what[24];
	bool shared = false;

	what_name(what, sizeof(what), m->entry);
	if (summary)
		pr_info("irq: vm '%s': " BDF_FMT " %s: %llu interrupt(s) raised as vector %#x; the message "
			"interrupted %llu time(s) (IRTE %d released)", m->a->owner_name, BDF_ARGS(m->a), what,
			(unsigned long long)m->raised, m->vector, (unsigned long long)irqmsg_count(m->handle),
			irqmsg_entry(m->handle));
	irqmsg_release(m->handle);
	m->used = false;
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++)
		shared |= msgs[i].used && msgs[i].a->owner == m->a->owner && msgs[i].vector == m->vector;
	if (vm && !shared)
		virq_clear(&vm->vcpu, m->vector);
}

static void revector(struct msg_vec *m, uint8_t vector)
{
	uint8_t old = m->vector;
	char what[24];

	if (m->vector == vector)
		return;
	m->vector = vector;
	if (!msg_log_ok(m->a))
		return;
	what_name(what, sizeof(what), m->entry);
	pr_info("irq: vm '%s': " BDF_FMT " %s (IRTE %d) -> virtual vector %#x (was %#x)", m->a->owner_name,
		BDF_ARGS(m->a), what, irqmsg_entry(m->handle), vector, old);
}

/* A message the owner wrote was not taken: one line (msg_log_ok()), the VM runs on. */
static void refuse(struct pci_assigned *a, int entry, const struct msi_message *msg, const char *why)
{
	char what[24];

	if (!msg_log_ok(a))
		return;
	what_name(what, sizeof(what), entry);
	pr_warn("irq: vm '%s': " BDF_FMT " %s: message address %#x:%08x data %#x refused: %s (the device "
		"keeps it %s)", a->owner_name, BDF_ARGS(a), what, msg->address_hi, msg->address_lo, msg->data,
		why, entry == MSG_MSI_CAP ? "disabled or as it was" : "masked or as it was");
}

/* ---- MSI-X: the shadow table ---- */

/*
 * The owner's aligned dword at off of table entry `entry`. A masked entry
 * takes anything (it cannot fire); an entry that is, or becomes, unmasked
 * must hold a deliverable message, else the write is refused (the shadow
 * keeps its old value: an unmasked entry its old message, a masked one its
 * mask). Returns 0, -HV_EINVAL (refused message), -HV_ENOMEM (no
 * remapping entry or host vector left), -HV_EIO (the real entry did not
 * take the write).
 */
static int msix_shadow_write(struct pci_assigned *a, unsigned int entry, unsigned int off, uint32_t value)
{
	struct msix_entry *e = &a->msix_shadow[entry], next = *e;
	struct msg_vec *m = binding(a, (int)entry);
	bool was_masked = e->vector_control & MSIX_ENTRY_CTRL_MASKBIT;
	struct msi_message msg;
	uint8_t vector;
	const char *why;

	msix_entry_write(&next, off, value);
	if (next.vector_control & MSIX_ENTRY_CTRL_MASKBIT) {
		if (!was_masked && m)
			real_entry_mask(a, entry, true);
		*e = next;
		return 0;
	}
	msg = msix_entry_message(&next);
	if ((why = msi_message_check(&msg, &vector))) {
		refuse(a, (int)entry, &msg, why);
		return -HV_EINVAL;
	}
	if (!m) {
		if (!(m = bind(a, (int)entry, vector, &why))) {
			refuse(a, (int)entry, &msg, why);
			return -HV_ENOMEM;
		}
		if (!real_entry_program(a, entry, &m->msg, true)) {
			real_entry_mask(a, entry, true);
			unbind(m, false);
			refuse(a, (int)entry, &msg, "the device's table did not take the hypervisor's message");
			return -HV_EIO;
		}
	} else {
		revector(m, vector);
		if (was_masked)
			real_entry_mask(a, entry, false);
	}
	*e = next;
	return 0;
}

/* Passed through to the device: its registers on the table's pages, the PBA. */
static void passthrough(uint64_t pa, unsigned int size, bool write, uint64_t *value)
{
	volatile uint8_t *p = (volatile uint8_t *)ioremap(ALIGN_DOWN(pa, PAGE_4K), PAGE_4K) + (pa & (PAGE_4K - 1));

	switch (size) {
	case 1: if (write) *p = (uint8_t)*value; else *value = *p; break;
	case 2: if (write) *(volatile uint16_t *)p = (uint16_t)*value; else *value = *(volatile uint16_t *)p; break;
	case 4: if (write) *(volatile uint32_t *)p = (uint32_t)*value; else *value = *(volatile uint32_t *)p; break;
	default: if (write) *(volatile uint64_t *)p = *value; else *value = *(volatile uint64_t *)p; break;
	}
}

int pci_irq_msix_mmio(struct pci_assigned *a, uint64_t gpa, unsigned int size, bool write, uint64_t *value,
		      const char **why)
{
	if (a->msix_refused) {
		*why = a->msix_refused;
		return -HV_ENOTSUP;
	}
	if (gpa & (size - 1)) {
		*why = "a misaligned access";
		return -HV_EINVAL;
	}
	if (gpa >= a->msix_table && gpa < a->msix_table + a->msix_table_size) {
		uint64_t rel = gpa - a->msix_table;

		if (size != 4 && size != 8) {
			*why = "the table takes aligned dwords and qwords only (PCI 3.0, 6.8.2)";
			return -HV_EINVAL;
		}
		if (!a->msix_shadow) {
			*why = "no interrupt remapping on this machine: MSI-X is refused (use INTx)";
			return -HV_ENOTSUP;
		}
		/* A qword is its two dwords, low first (address, then upper address; data, then control). */
		for (unsigned int i = 0; i < size / 4; i++) {
			unsigned int entry = (unsigned int)((rel + 4 * i) / MSIX_ENTRY_SIZE);
			unsigned int off = (unsigned int)((rel + 4 * i) % MSIX_ENTRY_SIZE);

			if (write) {
				msix_shadow_write(a, entry, off, (uint32_t)(*value >> (32 * i)));
			} else {
				if (!i)
					*value = 0;
				*value |= (uint64_t)msix_entry_read(&a->msix_shadow[entry], off) << (32 * i);
			}
		}
		return 0;
	}
	if (write && a->msix_pba_size && gpa >= a->msix_pba && gpa < a->msix_pba + a->msix_pba_size)
		return 0;	/* the PBA is read-only (6.8.2.7): dropped */
	passthrough(gpa, size, write, value);
	return 0;
}

/* ---- MSI or MSI-X, never both ---- */

/* The Enable bits as the device has them (the MSI shadow's Enable is set only together with the device's). */
static bool msi_on(const struct pci_assigned *a)
{
	return a->msi_cap && (pci_cfg_read16(a->dev->sbdf, a->msi_cap + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
}

static bool msix_on(const struct pci_assigned *a)
{
	return a->msix_cap && (pci_cfg_read16(a->dev->sbdf, a->msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE);
}

/*
 * PCI 3.0, 6.8: software must not enable MSI and MSI-X at once; what a
 * device then sends is undefined. The second Enable is dropped (it reads
 * back 0) and named, within the function's log budget; the VM runs on.
 */
static void refuse_second_enable(struct pci_assigned *a, const char *second, const char *first)
{
	if (!msg_log_ok(a))
		return;
	pr_warn("irq: vm '%s': " BDF_FMT " %s Enable refused: its %s is enabled (PCI 3.0, 6.8: never both at "
		"once; disable %s first)", a->owner_name, BDF_ARGS(a), second, first, first);
}

/* What the owner may write of MSI-X Message Control. */
#define PCI_MSIX_FLAGS_OWNER	(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)

void pci_irq_msix_control_write(struct pci_assigned *a, uint8_t upper)
{
	pci_sbdf_t sbdf = a->dev->sbdf;
	uint16_t at = a->msix_cap + PCI_MSIX_FLAGS, ctrl = pci_cfg_read16(sbdf, at);
	uint16_t want = (uint16_t)((ctrl & ~PCI_MSIX_FLAGS_OWNER) | (((uint16_t)upper << 8) & PCI_MSIX_FLAGS_OWNER));

	if ((want & ~ctrl & PCI_MSIX_FLAGS_ENABLE) && msi_on(a)) {
		refuse_second_enable(a, "MSI-X", "MSI");
		want &= (uint16_t)~PCI_MSIX_FLAGS_ENABLE;
	}
	if (want != ctrl)
		pci_cfg_write16(sbdf, at, want);
}

/* ---- MSI: the shadow capability ---- */

static void msi_device_disable(const struct pci_assigned *a)
{
	uint16_t at = a->msi_cap + PCI_MSI_FLAGS, ctrl = pci_cfg_read16(a->dev->sbdf, at);

	if (ctrl & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE))
		pci_cfg_write16(a->dev->sbdf, at, (uint16_t)(ctrl & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)));
}

void pci_irq_msi_cap_write(struct pci_assigned *a, uint16_t off, unsigned int size, uint32_t value)
{
	const struct msi_cap_layout *l = &a->msi_layout;
	pci_sbdf_t sbdf = a->dev->sbdf;
	struct msi_cap_shadow next = a->msi_shadow;
	struct msg_vec *m = binding(a, MSG_MSI_CAP);
	bool was = a->msi_shadow.control & PCI_MSI_FLAGS_ENABLE;
	uint8_t vector;
	const char *why;

	msi_cap_write(l, &next, off, size, value);
	if (next.control & PCI_MSI_FLAGS_QSIZE) {
		/* One vector per function: Multiple Message Enable stays 0 (one message), what the spec allows. */
		refuse(a, MSG_MSI_CAP, &next.msg, "Multiple Message Enable: uhv gives a function one MSI vector");
		next.control &= (uint16_t)~PCI_MSI_FLAGS_QSIZE;
	}
	if (l->maskable && next.mask != a->msi_shadow.mask)
		pci_cfg_write32(sbdf, a->msi_cap + l->mask, next.mask);	/* per-vector masking is the device's */
	if ((next.control & PCI_MSI_FLAGS_ENABLE) && !was && msix_on(a)) {
		refuse_second_enable(a, "MSI", "MSI-X");
		next.control &= (uint16_t)~PCI_MSI_FLAGS_ENABLE;	/* the message is kept, as while disabled */
	}
	if (!(next.control & PCI_MSI_FLAGS_ENABLE)) {
		if (was) {
			msi_device_disable(a);
			if (m)
				unbind(m, msg_log_ok(a));
		}
		a->msi_shadow = next;
		return;
	}
	if ((why = msi_message_check(&next.msg, &vector))) {
		refuse(a, MSG_MSI_CAP, &next.msg, why);
		next.msg = a->msi_shadow.msg;		/* neither the message nor the enable is taken */
		next.control = a->msi_shadow.control;
		a->msi_shadow = next;
		return;
	}
	if (!m) {
		if (!(m = bind(a, MSG_MSI_CAP, vector, &why))) {
			refuse(a, MSG_MSI_CAP, &next.msg, why);
			next.msg = a->msi_shadow.msg;
			next.control = a->msi_shadow.control;
			a->msi_shadow = next;
			return;
		}
		/* The message first, then Enable with one message (MME 0). */
		pci_cfg_write32(sbdf, a->msi_cap + PCI_MSI_ADDRESS_LO, m->msg.address_lo);
		if (l->is64)
			pci_cfg_write32(sbdf, a->msi_cap + PCI_MSI_ADDRESS_HI, m->msg.address_hi);
		pci_cfg_write16(sbdf, a->msi_cap + l->data, (uint16_t)m->msg.data);
		uint16_t ctrl = pci_cfg_read16(sbdf, a->msi_cap + PCI_MSI_FLAGS);
		pci_cfg_write16(sbdf, a->msi_cap + PCI_MSI_FLAGS,
				(uint16_t)((ctrl & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE));
	} else {
		revector(m, vector);
	}
	a->msi_shadow = next;
}

/* ---- Start and stop ---- */

static void msg_start(struct vm *vm)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));)
		if (a->msix_shadow)
			for (uint64_t i = 0; i < a->msix_table_size / MSIX_ENTRY_SIZE; i++)
				a->msix_shadow[i] = MSIX_ENTRY_RESET;
}

/* MSI-X and MSI off in the capabilities (config space works whatever the command register says). */
static void msg_stop(struct vm *vm)
{
	size_t cursor = 0;

	for (struct pci_assigned *a; (a = pci_owner_next(vm->id, &cursor));) {
		pci_sbdf_t sbdf = a->dev->sbdf;

		if (a->msix_bar >= 0) {
			uint16_t ctrl = pci_cfg_read16(sbdf, a->msix_cap + PCI_MSIX_FLAGS);

			if (ctrl & PCI_MSIX_FLAGS_ENABLE)
				pci_cfg_write16(sbdf, a->msix_cap + PCI_MSIX_FLAGS, (uint16_t)(ctrl & ~PCI_MSIX_FLAGS_ENABLE));
		}
		if (a->msi_emulated)
			msi_device_disable(a);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
		struct msg_vec *m = &msgs[i];

		if (!m->used || m->a->owner != vm->id)
			continue;
		if (m->entry != MSG_MSI_CAP)
			real_entry_mask(m->a, (unsigned int)m->entry, true);
		unbind(m, true);
	}
}

unsigned int pci_irq_init(void)
{
	uint8_t next_vector[VM_MAX + 1];
	bool msi = irqmsg_available();
	unsigned int msg_owners = 0;

	for (uint32_t vm = 1; vm <= VM_MAX; vm++) {
		size_t cursor = 0;
		bool binds = false;

		for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));) {
			msg_init(a, msi);
			binds |= a->msix_shadow || a->msi_emulated;
		}
		msg_owners += binds;
	}
	msg_share = MSG_MAX_VECTORS / MAX(msg_owners, 1u);
	if (msg_owners > 1)
		pr_info("irq: %u VMs own functions with MSI or MSI-X: each may bind at most %u message(s) at once",
			msg_owners, msg_share);

	intx_count = 0;
	for (unsigned int i = 0; i <= VM_MAX; i++)
		next_vector[i] = UHV_INTX_VECTOR_BASE;
	for (uint32_t vm = 1; vm <= VM_MAX; vm++) {
		size_t cursor = 0;

		for (struct pci_assigned *a; (a = pci_owner_next(vm, &cursor));) {
			const struct pci_device *d = a->dev;
			uint8_t vector = next_vector[vm]++;	/* fixed by policy order, routed or not */
			const char *how = "";
			uint32_t line;
			int err = irqline_of_pci(d, &line, &how);

			if (err == -HV_ENOENT)
				continue;	/* no interrupt pin */
			int host_vector = err ? err : irqline_claim(line, line_interrupt);
			if (host_vector < 0) {
				pr_warn("irq: %02x:%02x.%u (vm '%s'): %s not routed (%d): its driver must poll",
					PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf), a->owner_name,
					pin_names[d->interrupt_pin], host_vector);
				continue;
			}
			for (unsigned int j = 0; j < intx_count; j++)
				if (intx[j].line == line && intx[j].a->owner != a->owner)
					pr_warn("irq: GSI %u is shared by vm '%s' and vm '%s': each waits for the "
						"other's acknowledgement", line, intx[j].a->owner_name, a->owner_name);
			a->intx_vector = vector;
			intx[intx_count++] = (struct intx){ .a = a, .line = line };
			pr_info("irq: %02x:%02x.%u %s -> GSI %u (%s), host vector %#x, level: vm '%s' virtual "
				"vector %#x", PCI_BUS(d->sbdf), PCI_DEV(d->sbdf), PCI_FN(d->sbdf),
				pin_names[d->interrupt_pin], line, how, host_vector, a->owner_name, vector);
		}
	}
	return intx_count;
}

void pci_irq_start(struct vm *vm)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];

		if (x->a->owner != vm->id)
			continue;
		uint16_t cmd = pci_cfg_read16(x->a->dev->sbdf, PCI_COMMAND);
		if (cmd & PCI_COMMAND_INTX_DISABLE)
			pci_cfg_write16(x->a->dev->sbdf, PCI_COMMAND, cmd & ~(uint16_t)PCI_COMMAND_INTX_DISABLE);
		x->live = true;
		x->waiting = false;
		x->raised = x->acked = 0;
		line_update(x->line);
		if (vm->restart_count)
			pr_info("irq: vm '%s': %02x:%02x.%u GSI %u re-attached: raised as vector %#x again",
				vm->cfg.name, PCI_BUS(x->a->dev->sbdf), PCI_DEV(x->a->dev->sbdf),
				PCI_FN(x->a->dev->sbdf), x->line, x->a->intx_vector);
	}
	msg_start(vm);
}

void pci_irq_stop(struct vm *vm)
{
	msg_stop(vm);
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];
		pci_sbdf_t sbdf = x->a->dev->sbdf;

		if (x->a->owner != vm->id || !x->live)
			continue;
		uint16_t cmd = pci_cfg_read16(sbdf, PCI_COMMAND);
		pci_cfg_write16(sbdf, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
		x->live = false;
		x->waiting = false;
		virq_clear(&vm->vcpu, x->a->intx_vector);
		line_update(x->line);
		pr_info("irq: vm '%s': %02x:%02x.%u GSI %u: %llu interrupt(s) raised as vector %#x, %llu "
			"acknowledged; the line has interrupted %llu time(s)", vm->cfg.name, PCI_BUS(sbdf),
			PCI_DEV(sbdf), PCI_FN(sbdf), x->line, (unsigned long long)x->raised, x->a->intx_vector,
			(unsigned long long)x->acked, (unsigned long long)irqline_count(x->line));
	}
}

int64_t pci_irq_ack(struct vm *vm, uint64_t vector)
{
	for (unsigned int i = 0; i < intx_count; i++) {
		struct intx *x = &intx[i];

		if (x->a->owner != vm->id || x->a->intx_vector != vector)
			continue;
		if (!x->waiting)
			return 0;
		x->waiting = false;
		x->acked++;
		line_update(x->line);
		return 1;
	}
	return -HV_EINVAL;
}

/* ---- HC_MSI_SETUP: the same shadow, written by the hypervisor for the owner ---- */

int64_t pci_irq_msi_setup(struct vm *vm, uint64_t bdf, uint64_t entry, uint64_t vector)
{
	size_t cursor = 0;
	struct pci_assigned *a;

	if (bdf > 0xffff)
		return -HV_ENOENT;
	while ((a = pci_owner_next(vm->id, &cursor)) && PCI_BDF(a->dev->sbdf) != bdf)
		;
	if (!a || PCI_SEG(a->dev->sbdf) != 0)
		return -HV_ENOENT;
	if (a->msix_bar < 0 || !a->msix_shadow)
		return -HV_ENODEV;
	if (entry >= a->msix_table_size / MSIX_ENTRY_SIZE)
		return -HV_ERANGE;
	if (vector != 0 && (vector < UHV_MSI_VECTOR_BASE || vector > UHV_MSI_VECTOR_LAST))
		return -HV_EINVAL;
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++)
		if (vector && msgs[i].used && msgs[i].a->owner == vm->id && msgs[i].vector == vector &&
		    !(msgs[i].a == a && msgs[i].entry == (int)entry))
			return -HV_EBUSY;

	/* Masked first; vector 0 also gives the remapping entry back. */
	unsigned int e = (unsigned int)entry;
	struct msg_vec *m;
	msix_shadow_write(a, e, MSIX_ENTRY_VECTOR_CONTROL, MSIX_ENTRY_CTRL_MASKBIT);
	if (!vector) {
		if ((m = binding(a, (int)e)))
			unbind(m, false);
		return 0;
	}
	msix_shadow_write(a, e, MSIX_ENTRY_ADDRESS_LO, MSI_ADDRESS_BASE);
	msix_shadow_write(a, e, MSIX_ENTRY_ADDRESS_HI, 0);
	msix_shadow_write(a, e, MSIX_ENTRY_DATA, (uint32_t)vector);
	return msix_shadow_write(a, e, MSIX_ENTRY_VECTOR_CONTROL, 0);
}
