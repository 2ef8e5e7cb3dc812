// SPDX-License-Identifier: MIT
/*
 * The network IOVM (docs/netvm.md): it owns the physical NIC, drives it
 * (nic.h, e1000.c) and switches frames between it and its ports (switch.h,
 * the port table in netvm.h). This file is the core: bring-up, the event
 * loop, the serving mode, and the pick of a mode by the VM's name.
 *
 * Ports: 0, the uplink (the NIC); the IOVM's own endpoint, a local port
 * with the NIC's MAC that the self-check talks through (selfcheck.c); and
 * one guest port per net channel whose backend this VM is (netback.h),
 * with its own vector in the event loop.
 *
 * The event loop runs with interrupts off except while it waits: the
 * handlers only set bits in `pending`, and all device and switch work is
 * done in the loop, so nothing is shared with an interrupt handler but
 * that word.
 *
 * Modes, by the VM's name: "netcheck..." runs the self-check (link, an ARP
 * request for 10.0.2.2 from 10.0.2.14 through the switch and the NIC, the
 * reply by interrupt) and stops with its verdict; "netbench..." runs it,
 * serves its guests while measuring what they send to the wire, then
 * sends the same stream itself as the native baseline and stops (bench.c,
 * docs/testing.md "Benchmark"); any other name runs the self-check once
 * for the log and then serves: forever without channels, else until every
 * channel's frontend has stopped (then it logs its counters and stops with
 * 0, so test runs end by themselves). "netcrash[N]..." serves like that,
 * but its first start crashes on purpose after its switch forwarded N
 * frames (crash.c; docs/netvm.md "When the IOVM fails").
 */
#include <runtime/runtime.h>

#include "netvm.h"

#define PENDING_NIC		BIT(0)	/* the NIC's INTx vector arrived (channel vectors: netback.pending) */

#define RX_BUDGET		64	/* frames per pass before other work gets a turn */
#define LINK_WAIT_NS		(3 * NSEC_PER_SEC)

static struct netvm netvm;

static void nic_interrupt(struct trap_frame *frame)
{
	(void)frame;
	netvm.pending |= PENDING_NIC;
}

/* ---- ports -------------------------------------------------------------- */

void netvm_uplink_flush(struct netvm *vm)
{
	unsigned int done = 0;

	for (unsigned int tries = 0; done < vm->tx_n && tries < 2; tries++) {
		if (tries)
			vm->nic.ops->tx_reclaim(&vm->nic);
		done += vm->nic.ops->tx_burst(&vm->nic, vm->tx_batch + done, vm->tx_n - done);
	}
	for (unsigned int i = done; i < vm->tx_n; i++)
		switch_tx_dropped(&vm->sw, SWITCH_UPLINK, vm->tx_batch[i].len);
	vm->tx_n = 0;
}

static void uplink_deliver(struct netvm *vm, unsigned int port, const uint8_t *frame, size_t len)
{
	(void)port;
	if (vm->taps.uplink_frame)
		vm->taps.uplink_frame(vm, frame, len);
	if (vm->tx_n == NETVM_TX_BATCH)
		netvm_uplink_flush(vm);
	vm->tx_batch[vm->tx_n++] = (struct nic_frame){ .data = frame, .len = len };
}

void netvm_switch_frame(struct netvm *vm, unsigned int in_port, const uint8_t *frame, size_t len)
{
	uint32_t mask;

	if (switch_forward(&vm->sw, in_port, frame, len, &mask))
		return;		/* dropped: counted by the switch */
	for (unsigned int p = 0; p < vm->sw.nports; p++)
		if (mask & BIT(p)) {
			if (vm->deliver[p])
				vm->deliver[p](vm, p, frame, len);
			else
				switch_tx_dropped(&vm->sw, p, len);
		}
	if (vm->taps.forwarded)
		vm->taps.forwarded(vm);
}

static void uplink_rx(void *ctx, const uint8_t *frame, size_t len)
{
	netvm_switch_frame(ctx, SWITCH_UPLINK, frame, len);
}

/* A guest port: into its channel's receive queue (copied before returning). */
static void guest_deliver(struct netvm *vm, unsigned int port, const uint8_t *frame, size_t len)
{
	netback_deliver(&vm->nb, port, frame, len);
}

static void hook_switch_frame(void *ctx, unsigned int in_port, const uint8_t *frame, size_t len)
{
	netvm_switch_frame(ctx, in_port, frame, len);
}

static void hook_flush(void *ctx)
{
	netvm_uplink_flush(ctx);
}

/* ---- the event loop ------------------------------------------------------ */

static void service_nic(struct netvm *vm)
{
	struct nic *nic = &vm->nic;

	if (vm->pending & PENDING_NIC) {
		vm->pending &= ~(uint32_t)PENDING_NIC;
		uint32_t ev = nic->ops->irq_service(nic);
		if (ev & NIC_EVENT_LINK) {
			bool up = nic->ops->link_up(nic);
			if (up != vm->link)
				gprintf("net: link %s\n", up ? "up" : "down");
			vm->link = up;
		}
	}
	/* Receive: every ready descriptor (up to the budget), through the switch. */
	unsigned int n = nic->ops->rx_poll(nic, RX_BUDGET, uplink_rx, vm);
	vm->rx_more = n == RX_BUDGET;
	nic->ops->tx_reclaim(nic);
}

/*
 * One pass: the NIC (received frames switched, guests' receive queues
 * filled), then the guest ports (their transmitted frames switched), then
 * one uplink transmit, then one notification per guest that asked.
 */
void netvm_service(struct netvm *vm, uint64_t now)
{
	vm->passes++;
	switch_tick(&vm->sw, now);
	service_nic(vm);
	netback_service(&vm->nb);
	netvm_uplink_flush(vm);
	netback_notify(&vm->nb);
}

bool netvm_run(struct netvm *vm, uint64_t deadline_ns, bool (*done)(struct netvm *vm))
{
	/* One clock read per pass, for the switch and the deadline (the
	 * previous pass's reading: a pass is short). */
	uint64_t now = time_ns();

	irq_disable();
	for (;;) {
		if (done && done(vm))
			return true;
		if (deadline_ns && now >= deadline_ns)
			return false;
		if (!vm->pending && !vm->rx_more && !netback_busy(&vm->nb)) {
			wait_interrupt_until(deadline_ns);
			vm->wakeups++;
		}
		now = time_ns();
		netvm_service(vm, now);
	}
}

/* ---- bring-up ------------------------------------------------------------- */

static bool link_is_up(struct netvm *vm)
{
	return vm->link;
}

static bool bring_up(struct netvm *vm, const struct uhv_boot_info *boot)
{
	char mac[18];
	struct nic *nic = &vm->nic;

	test_begin("nic-up");
	uint64_t dma_offset = (uint64_t)boot->dma_offset_2m * (2 * MiB);
	if (dma_offset)
		gprintf("net: no IOMMU: the NIC's DMA is untranslated, guest-physical + %#llx\n",
			(unsigned long long)dma_offset);
	int err = nic_probe(nic, dma_offset);
	if (!test_check(!err, "no NIC brought up: %d", err))
		return false;
	gprintf("net: %s at %02x:%02x.%u (%04x:%04x), MAC %s (%s), interrupt vector %#x\n", nic->ops->name,
		nic->pci.bus, nic->pci.dev, nic->pci.fn, nic->vendor, nic->device, nic_mac_str(nic->mac, mac),
		nic->mac_from_eeprom ? "from the EEPROM" : "from RAL0/RAH0: EEPROM read failed",
		nic->vector);
	test_check(nic->mac_from_eeprom, "the MAC did not come from the EEPROM");
	if (!test_check(nic->vector, "the NIC's INTx is not routed (Interrupt Line 0xff)") ||
	    !test_check(irq_register(nic->vector, nic_interrupt) == 0, "cannot register vector %#x",
			nic->vector))
		return false;

	switch_init(&vm->sw);
	int up = switch_add_port(&vm->sw, SWITCH_PORT_UPLINK, NULL);
	int local = switch_add_port(&vm->sw, SWITCH_PORT_LOCAL, nic->mac);
	if (!test_check(up == SWITCH_UPLINK && local > 0, "switch ports: uplink %d, local %d", up, local))
		return false;
	vm->deliver[SWITCH_UPLINK] = uplink_deliver;
	vm->deliver[local] = selfcheck_local_deliver;
	vm->local_port = (unsigned int)local;

	/* A guest port per net channel; the NIC accepts unicast to their MACs. */
	const struct netback_hooks hooks = { .switch_frame = hook_switch_frame, .flush = hook_flush, .ctx = vm };
	int guests = netback_init(&vm->nb, &vm->sw, &hooks);
	if (!test_check(guests >= 0, "guest ports: %d", guests))
		return false;
	for (unsigned int i = 0; i < vm->nb.nports; i++) {
		vm->deliver[vm->nb.ports[i].port] = guest_deliver;
		err = nic->ops->rx_filter_add(nic, vm->nb.ports[i].ch->net.mac);
		test_check(!err, "rx_filter_add(%s): %d", nic_mac_str(vm->nb.ports[i].ch->net.mac, mac), err);
	}

	nic->ops->irq_enable(nic);
	vm->link = nic->ops->link_up(nic);
	if (!vm->link)
		netvm_run(vm, time_ns() + LINK_WAIT_NS, link_is_up);
	gprintf("net: link %s\n", vm->link ? "up" : "down");
	test_check(vm->link, "link still down after %llu ms", (unsigned long long)(LINK_WAIT_NS / NSEC_PER_MSEC));
	test_end();
	return true;
}

/* ---- counters ------------------------------------------------------------ */

void netvm_log_counters(struct netvm *vm)
{
	const struct nic_counters *c = &vm->nic.stats;

	gprintf("net: nic: tx %llu frames %llu bytes, %llu completed, %llu dropped; rx %llu frames %llu bytes, %llu dropped, "
		"%llu overrun(s); %llu interrupt(s), %llu device error(s)\n",
		(unsigned long long)c->tx_frames, (unsigned long long)c->tx_bytes,
		(unsigned long long)c->tx_completed, (unsigned long long)c->tx_drops, (unsigned long long)c->rx_frames,
		(unsigned long long)c->rx_bytes, (unsigned long long)c->rx_drops,
		(unsigned long long)c->rx_overruns, (unsigned long long)c->interrupts,
		(unsigned long long)c->device_errors);
	for (unsigned int p = 0; p < vm->sw.nports; p++) {
		const struct switch_port_counters *s = switch_counters(&vm->sw, p);
		char drops[160];
		int at = 0;

		drops[0] = 0;
		for (unsigned int r = 0; r < SWITCH_DROP_REASONS; r++)
			if (s->drops[r] && at < (int)sizeof(drops))
				at += format(drops + at, sizeof(drops) - (size_t)at, " %s %llu",
					     switch_drop_name(r), (unsigned long long)s->drops[r]);
		gprintf("net: switch port %u (%s): rx %llu frames %llu bytes, tx %llu frames %llu bytes, "
			"drops:%s\n", p, p == SWITCH_UPLINK ? "uplink" : p == vm->local_port ? "local" : "guest",
			(unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
			(unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes, at ? drops : " none");
	}
	netback_log_counters(&vm->nb);
	gprintf("net: event loop: %llu pass(es), %llu wake-up(s); switch table: %llu learned\n",
		(unsigned long long)vm->passes, (unsigned long long)vm->wakeups,
		(unsigned long long)vm->sw.learned);
}

/* ---- serving, and the modes by name -------------------------------------- */

bool netvm_frontends_stopped(struct netvm *vm)
{
	return netback_frontends_stopped(&vm->nb);
}

/* Serve: forever without guest ports, else until every frontend has stopped. */
static int serve(struct netvm *vm)
{
	if (!vm->nb.nports) {
		gprintf("net: serving\n");
		netvm_run(vm, 0, NULL);
		return 0;
	}
	/* With guest ports the run ends when every frontend has stopped. */
	gprintf("net: serving %u guest port(s)\n", vm->nb.nports);
	netvm_run(vm, 0, netvm_frontends_stopped);
	gprintf("net: every frontend has stopped: stopping\n");
	netvm_log_counters(vm);
	return 0;
}

int guest_main(const struct uhv_boot_info *boot)
{
	struct netvm *vm = &netvm;

	crash_arm(vm, boot);				/* "netcrash<N>...": serves, first start crashes */
	if (!bring_up(vm, boot))
		test_finish();
	selfcheck_arp(vm);
	if (!strncmp(boot->vm.name, "netcheck", 8))	/* the self-check's verdict */
		test_finish();
	if (!strncmp(boot->vm.name, "netbench", 8))
		bench_run(vm);
	return serve(vm);
}
