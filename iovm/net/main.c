// SPDX-License-Identifier: MIT
/*
 * The network IOVM (docs/netvm.md): it owns the physical NIC, drives it
 * (nic.h, e1000.c) and switches frames between it and its ports (switch.h).
 *
 * Ports: 0, the uplink (the NIC); the IOVM's own endpoint, a local port
 * with the NIC's MAC that the self-check talks through; and one guest port
 * per net channel whose backend this VM is (netback.h), with its own
 * vector in the event loop.
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
 * sends the same stream itself as the native baseline and stops (the
 * bench section below, docs/testing.md "Benchmark"); any other name runs
 * the self-check once for the log and then serves: forever without
 * channels, else until every channel's frontend has stopped (then it logs
 * its counters and stops with 0, so test runs end by themselves).
 * "netcrash[N]..." serves like that, but its first start crashes on
 * purpose after its switch forwarded N frames (fault injection, below;
 * docs/netvm.md "When the IOVM fails").
 */
#include <netbench/netbench.h>
#include <runtime/net/net.h>
#include <runtime/runtime.h>

#include "netback.h"
#include "nic.h"
#include "switch.h"

#define PENDING_NIC		BIT(0)	/* the NIC's INTx vector arrived (channel vectors: netback.pending) */

#define RX_BUDGET		64	/* frames per pass before other work gets a turn */
#define TX_BATCH		32	/* uplink frames collected per tail write */
#define LINK_WAIT_NS		(3 * NSEC_PER_SEC)
#define ARP_WAIT_NS		(5 * NSEC_PER_SEC)

#define ETHERTYPE_ARP		0x0806
#define ARP_LEN			28
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2

#define CRASH_PREFIX		"netcrash"
#define CRASH_DEFAULT_FRAMES	500	/* "netcrash" without a number */

/* QEMU user networking (and Bochs slirp): the gateway, and the address this IOVM uses. */
static const uint8_t local_ip[4] = { 10, 0, 2, 14 };
static const uint8_t gateway_ip[4] = { 10, 0, 2, 2 };

struct netvm;
/* Hand a frame to a port's side (the frame is valid during the call only, except for the uplink). */
typedef void (*port_deliver_fn)(struct netvm *vm, unsigned int port, const uint8_t *frame, size_t len);

/*
 * What a mode watches on the data path; NULL: nothing. Called in the
 * middle of a pass, so they only count and look.
 */
struct netvm_taps {
	/* A frame the switch hands to the uplink, before it joins the batch (bench mode). */
	void (*uplink_frame)(struct netvm *vm, const uint8_t *frame, size_t len);
	/* The switch has just handed a frame to every port it goes out on (fault injection). */
	void (*forwarded)(struct netvm *vm);
};

struct netvm {
	struct nic nic;
	struct l2_switch sw;
	struct netback nb;		/* the guest ports, one per net channel */
	port_deliver_fn deliver[SWITCH_MAX_PORTS];
	unsigned int local_port;
	volatile uint32_t pending;	/* PENDING_*: set by handlers, taken by the loop */
	bool rx_more;			/* the last poll stopped at its budget */
	bool link;
	/* Uplink frames waiting for one tx_burst (their buffers stay valid until the flush). */
	struct nic_frame tx_batch[TX_BATCH];
	unsigned int tx_n;
	uint64_t passes, wakeups;
	struct netvm_taps taps;
	/* The self-check's local endpoint. */
	uint8_t arp_frame[ETH_FRAME_MIN];
	bool got_reply;
	uint8_t reply[64];
	uint64_t sent_ns, reply_ns;
	uint64_t local_rx;
	/* Fault injection: crash when the switch has forwarded crash_after frames (0: never). */
	uint64_t crash_after, forwarded;
	/* Bench mode: the guests' stream as the switch hands it to the uplink. */
	struct bench_forward {
		uint64_t packets, bytes;	/* the guests' bench datagrams sent to the uplink */
		uint64_t first_ns, last_ns;	/* when the first and the last one were */
		uint64_t uplink_frames0;	/* switch port 0 tx frames before the first */
		struct uhv_vm_stats s0;		/* HC_VM_STATS at the first */
		uint32_t run, total;		/* from the first one's header */
	} fwd;
};

static struct netvm netvm;

static void nic_interrupt(struct trap_frame *frame)
{
	(void)frame;
	netvm.pending |= PENDING_NIC;
}

/* ---- ports -------------------------------------------------------------- */

static void uplink_flush(struct netvm *vm)
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
	if (vm->tx_n == TX_BATCH)
		uplink_flush(vm);
	vm->tx_batch[vm->tx_n++] = (struct nic_frame){ .data = frame, .len = len };
}

/* ---- fault injection -----------------------------------------------------
 *
 * A VM named "netcrash" followed by a decimal N (or nothing: N = 500)
 * crashes on purpose on its first start (restart_count 0), when its switch
 * has forwarded its N-th frame: right after that frame went to its out
 * ports, in the middle of a service pass. Whatever the pass had taken by
 * then is lost with the instance: guests' transmitted frames already given
 * back to them (used) but still in the uplink batch, frames the e1000 has
 * received and not yet handed over. The crash is a triple fault (an empty
 * IDT, then ud2), which the hypervisor contains like any other; with
 * `restart = on-failure` it then resets the NIC and restarts the IOVM from
 * its image, and the restart (restart_count 1) serves normally. This is
 * the fault a fault-injection campaign needs: one place, chosen by name,
 * reproducible by frame count.
 */

/* N from "netcrash<N>": 0 if the name is not a crash name (or N is 0). */
static uint64_t crash_frames(const char *name)
{
	size_t k = sizeof(CRASH_PREFIX) - 1;
	uint64_t n = 0;

	if (strncmp(name, CRASH_PREFIX, k))
		return 0;
	if (name[k] < '0' || name[k] > '9')
		return CRASH_DEFAULT_FRAMES;
	for (; name[k] >= '0' && name[k] <= '9' && n < 1000000000ULL; k++)
		n = n * 10 + (uint64_t)(name[k] - '0');
	return n;
}

static __noreturn void crash_now(struct netvm *vm)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt = { 0, 0 };

	gprintf("net: fault injection: crashing on purpose after %llu frames forwarded, mid-pass "
		"(%u uplink frame(s) not yet handed to the NIC): triple fault\n",
		(unsigned long long)vm->forwarded, vm->tx_n);
	/* #UD with no IDT: #GP, then #DF, then a triple fault (shutdown): contained by the hypervisor. */
	__asm__ volatile("lidt %0; ud2" : : "m"(no_idt) : "memory");
	__builtin_unreachable();
}

static void crash_count(struct netvm *vm)
{
	if (++vm->forwarded == vm->crash_after)
		crash_now(vm);
}

/* Switch a frame that arrived on in_port and hand it to every port it goes out on. */
static void switch_frame(struct netvm *vm, unsigned int in_port, const uint8_t *frame, size_t len)
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
	switch_frame(ctx, SWITCH_UPLINK, frame, len);
}

/* A guest port: into its channel's receive queue (copied before returning). */
static void guest_deliver(struct netvm *vm, unsigned int port, const uint8_t *frame, size_t len)
{
	netback_deliver(&vm->nb, port, frame, len);
}

static void hook_switch_frame(void *ctx, unsigned int in_port, const uint8_t *frame, size_t len)
{
	switch_frame(ctx, in_port, frame, len);
}

static void hook_flush(void *ctx)
{
	uplink_flush(ctx);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The local endpoint: it only looks for the ARP reply to its request. */
static void local_deliver(struct netvm *vm, unsigned int port, const uint8_t *f, size_t len)
{
	(void)port;
	vm->local_rx++;
	if (vm->got_reply || len < ETH_HLEN + ARP_LEN || be16(f + 12) != ETHERTYPE_ARP)
		return;
	const uint8_t *arp = f + ETH_HLEN;
	if (be16(arp + 6) == ARP_OP_REPLY && !memcmp(arp + 14, gateway_ip, 4) &&
	    !memcmp(arp + 18, vm->nic.mac, ETH_ALEN) && !memcmp(arp + 24, local_ip, 4)) {
		memcpy(vm->reply, f, MIN(len, sizeof(vm->reply)));
		vm->got_reply = true;
		vm->reply_ns = time_ns();
	}
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
static void service(struct netvm *vm, uint64_t now)
{
	vm->passes++;
	switch_tick(&vm->sw, now);
	service_nic(vm);
	netback_service(&vm->nb);
	uplink_flush(vm);
	netback_notify(&vm->nb);
}

/*
 * Run the loop until done(vm) or VM time deadline_ns (0: forever).
 * Returns true if done() said so. Interrupts are off throughout, except
 * inside wait_interrupt_until().
 */
static bool netvm_run(struct netvm *vm, uint64_t deadline_ns, bool (*done)(struct netvm *vm))
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
		service(vm, now);
	}
}

/* ---- bring-up and the self-check ---------------------------------------- */

static bool link_is_up(struct netvm *vm)
{
	return vm->link;
}

static bool frontends_stopped(struct netvm *vm)
{
	return netback_frontends_stopped(&vm->nb);
}

static bool reply_arrived(struct netvm *vm)
{
	return vm->got_reply;
}

static void build_arp_request(struct netvm *vm)
{
	uint8_t *f = vm->arp_frame;
	const uint8_t *mac = vm->nic.mac;

	memset(f, 0, sizeof(vm->arp_frame));
	memset(f, 0xff, ETH_ALEN);
	memcpy(f + 6, mac, ETH_ALEN);
	f[12] = ETHERTYPE_ARP >> 8;
	f[13] = ETHERTYPE_ARP & 0xff;
	uint8_t *arp = f + ETH_HLEN;
	arp[1] = 1;		/* hardware type: Ethernet */
	arp[2] = 0x08;		/* protocol type: IPv4 */
	arp[4] = ETH_ALEN;
	arp[5] = 4;
	arp[7] = ARP_OP_REQUEST;
	memcpy(arp + 8, mac, ETH_ALEN);
	memcpy(arp + 14, local_ip, 4);
	memcpy(arp + 24, gateway_ip, 4);
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
	vm->deliver[local] = local_deliver;
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

static void log_counters(struct netvm *vm)
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

static void arp_selfcheck(struct netvm *vm)
{
	test_begin("arp");
	build_arp_request(vm);
	vm->sent_ns = time_ns();
	/* From the local port, through the switch: a broadcast, so out of the uplink. */
	switch_frame(vm, vm->local_port, vm->arp_frame, sizeof(vm->arp_frame));
	uplink_flush(vm);
	gprintf("net: ARP request sent: who has 10.0.2.2, tell 10.0.2.14; waiting for the reply by interrupt\n");
	bool ok = netvm_run(vm, vm->sent_ns + ARP_WAIT_NS, reply_arrived);
	if (test_check(ok, "no ARP reply within %llu ms", (unsigned long long)(ARP_WAIT_NS / NSEC_PER_MSEC))) {
		const uint8_t *a = vm->reply + ETH_HLEN;
		char mac[18];

		gprintf("net: ARP reply after %llu ms: 10.0.2.2 is at %s\n",
			(unsigned long long)((vm->reply_ns - vm->sent_ns) / NSEC_PER_MSEC),
			nic_mac_str(a + 8, mac));
		test_check(vm->nic.stats.interrupts >= 1, "the reply came without a NIC interrupt");
		test_check(switch_lookup(&vm->sw, a + 8) == SWITCH_UPLINK,
			   "the gateway's MAC was not learned on the uplink");
	}
	vm->nic.ops->tx_reclaim(&vm->nic);
	test_check(vm->nic.stats.tx_frames >= 1 && vm->nic.stats.tx_completed >= 1,
		   "the request's transmit descriptor was not written back (%llu queued, %llu completed)",
		   (unsigned long long)vm->nic.stats.tx_frames, (unsigned long long)vm->nic.stats.tx_completed);
	log_counters(vm);
	test_end();
}

/* ---- bench mode ---------------------------------------------------------
 *
 * Two phases in one run (docs/testing.md, "Benchmark"; the stream is
 * guest-stubs/netbench/netbench.h):
 *
 * 1. iovm-forward: serve the guests as always, and watch every frame the
 *    switch hands to the uplink. From the first of the guests' bench
 *    datagrams (HC_VM_STATS and the clock read there) to the moment every
 *    frontend has stopped (read again), count them; print
 *      BENCH side=iovm-forward run=R packets=N bytes=B ns=T window_ns=W exits=E ...
 *    ns: first to last datagram (the rate); window_ns and the counters:
 *    first datagram to the guests' stop; run and the count come from the
 *    guest's headers. Times are the event-loop pass's (the switch's clock),
 *    so the measurement adds one HC_VM_STATS at the first datagram and
 *    nothing per frame.
 * 2. native: send the same number of datagrams of the same size from this
 *    IOVM's own MAC and 10.0.2.14 to the gateway, built here and handed to
 *    the NIC with tx_burst() in batches of TX_BATCH (the uplink's batch),
 *    one event-loop pass (service()) between batches as in phase 1; wait
 *    until the NIC has completed all of them; print
 *      BENCH side=native run=R packets=N bytes=B ns=T exits=E ...
 */

#define BENCH_GUEST_WAIT_NS	(600 * NSEC_PER_SEC)
#define BENCH_NATIVE_WAIT_NS	(120 * NSEC_PER_SEC)
#define BENCH_FRAME_LEN		(ETH_HLEN + 20 + 8 + NETBENCH_PAYLOAD)
#define BENCH_IP_PROTO_UDP	17

static void bench_read_stats(struct uhv_vm_stats *s)
{
	if (hc_vm_stats(s, sizeof(*s)) != (int64_t)sizeof(*s))
		memset(s, 0, sizeof(*s));
}

/* A frame for the uplink: count it if it is one of the guests' bench datagrams. */
static void bench_uplink_frame(struct netvm *vm, const uint8_t *f, size_t len)
{
	struct bench_forward *b = &vm->fwd;
	const uint8_t *ip = f + ETH_HLEN, *udp = ip + 20, *p = udp + 8;

	if (len < ETH_HLEN + 20 + 8 + NETBENCH_HDR_LEN || be16(f + 12) != 0x0800 || ip[0] != 0x45 ||
	    ip[9] != BENCH_IP_PROTO_UDP || be16(udp + 2) != NETBENCH_DST_PORT ||
	    netbench_get32(p + NETBENCH_HDR_MAGIC) != NETBENCH_MAGIC ||
	    netbench_get32(p + NETBENCH_HDR_SIDE) != NETBENCH_SIDE_GUEST)
		return;
	/* The pass's clock (switch_tick): reading the VM clock here would add a hypercall per frame. */
	uint64_t now = vm->sw.now_ns;
	if (!b->packets) {
		bench_read_stats(&b->s0);
		b->first_ns = now;
		/* This frame is not counted by the switch yet: it is being delivered. */
		b->uplink_frames0 = switch_counters(&vm->sw, SWITCH_UPLINK)->tx_frames - 1;
		b->run = netbench_get32(p + NETBENCH_HDR_RUN);
		b->total = netbench_get32(p + NETBENCH_HDR_TOTAL);
	}
	b->packets++;
	b->bytes += be16(udp + 4) - 8u;
	b->last_ns = now;
}

static void bench_print(const char *side, uint32_t run, uint64_t packets, uint64_t bytes, uint64_t ns,
			const struct uhv_vm_stats *s0, const struct uhv_vm_stats *s1, const char *extra)
{
	gprintf("BENCH side=%s run=%u packets=%llu bytes=%llu ns=%llu exits=%llu exits_hypercall=%llu "
		"exits_interrupt=%llu exits_hlt=%llu exits_memory=%llu notifies_sent=%llu notifies_received=%llu "
		"irqs=%llu%s\n", side, run, (unsigned long long)packets, (unsigned long long)bytes,
		(unsigned long long)ns, (unsigned long long)(s1->exits - s0->exits),
		(unsigned long long)(s1->exits_hypercall - s0->exits_hypercall),
		(unsigned long long)(s1->exits_interrupt - s0->exits_interrupt),
		(unsigned long long)(s1->exits_hlt - s0->exits_hlt),
		(unsigned long long)(s1->exits_memory - s0->exits_memory),
		(unsigned long long)(s1->notify_sent - s0->notify_sent),
		(unsigned long long)(s1->notify_received - s0->notify_received),
		(unsigned long long)(s1->virqs_delivered - s0->virqs_delivered), extra);
}

/* Phase 1. Returns the number of datagrams the guests announced (0: none came). */
static uint32_t bench_forward(struct netvm *vm)
{
	struct bench_forward *b = &vm->fwd;
	struct uhv_vm_stats s1;
	char extra[160];

	test_begin("bench-forward");
	gprintf("net: bench: serving %u guest port(s), counting their datagrams to the uplink\n", vm->nb.nports);
	vm->taps.uplink_frame = bench_uplink_frame;
	bool stopped = netvm_run(vm, time_ns() + BENCH_GUEST_WAIT_NS, frontends_stopped);
	bench_read_stats(&s1);
	uint64_t stop_ns = s1.time_ns;
	vm->taps.uplink_frame = NULL;
	test_check(stopped, "the guests did not stop within %llu s",
		   (unsigned long long)(BENCH_GUEST_WAIT_NS / NSEC_PER_SEC));
	if (!test_check(b->packets > 0, "no bench datagram from a guest reached the uplink")) {
		test_end();
		return 0;
	}
	test_check(b->packets == b->total, "%llu of the %u datagrams announced reached the uplink",
		   (unsigned long long)b->packets, b->total);
	format(extra, sizeof(extra), " window_ns=%llu uplink_frames=%llu",
	       (unsigned long long)(stop_ns - b->first_ns),
	       (unsigned long long)(switch_counters(&vm->sw, SWITCH_UPLINK)->tx_frames - b->uplink_frames0));
	bench_print("iovm-forward", b->run, b->packets, b->bytes, b->last_ns - b->first_ns, &b->s0, &s1, extra);
	test_end();
	return b->total;
}

/* Datagram seq of the native stream: Ethernet, IPv4 and UDP headers with their checksums, the payload. */
static void bench_build_frame(struct netvm *vm, uint8_t *f, const uint8_t *gw_mac, uint32_t run, uint32_t seq,
			      uint32_t total)
{
	uint8_t *ip = f + ETH_HLEN, *udp = ip + 20;
	uint16_t udp_len = 8 + NETBENCH_PAYLOAD;

	memcpy(f, gw_mac, ETH_ALEN);
	memcpy(f + 6, vm->nic.mac, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + udp_len) >> 8);
	ip[3] = (uint8_t)(20 + udp_len);
	ip[4] = (uint8_t)(seq >> 8);
	ip[5] = (uint8_t)seq;
	ip[8] = 64;
	ip[9] = BENCH_IP_PROTO_UDP;
	memcpy(ip + 12, local_ip, 4);
	memcpy(ip + 16, gateway_ip, 4);
	uint16_t ip_sum = net_checksum_fold(net_checksum_add(0, ip, 20));
	ip[10] = (uint8_t)(ip_sum >> 8);
	ip[11] = (uint8_t)ip_sum;

	udp[0] = NETBENCH_SRC_PORT_NATIVE >> 8;
	udp[1] = NETBENCH_SRC_PORT_NATIVE & 0xff;
	udp[2] = NETBENCH_DST_PORT >> 8;
	udp[3] = NETBENCH_DST_PORT & 0xff;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	udp[6] = udp[7] = 0;
	netbench_fill(udp + 8, NETBENCH_SIDE_NATIVE, run, seq, total);
	/* RFC 768: the pseudo-header (addresses, protocol, length), then the datagram; 0 is sent as 0xffff. */
	uint8_t pseudo[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, BENCH_IP_PROTO_UDP, udp[4], udp[5] };
	memcpy(pseudo, local_ip, 4);
	memcpy(pseudo + 4, gateway_ip, 4);
	uint16_t sum = net_checksum_fold(net_checksum_add(net_checksum_add(0, pseudo, sizeof(pseudo)), udp, udp_len));
	if (!sum)
		sum = 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
}

static uint8_t bench_frames[TX_BATCH][BENCH_FRAME_LEN];

/* Phase 2: total datagrams from this IOVM straight to the NIC. */
static void bench_native(struct netvm *vm, uint32_t total)
{
	struct nic *nic = &vm->nic;
	struct nic_frame batch[TX_BATCH];
	struct uhv_vm_stats s0, s1;
	const uint8_t *gw_mac = vm->reply + ETH_HLEN + 8;	/* the ARP reply's sender */
	uint32_t run = netbench_run_id(), sent = 0;
	char extra[96];

	test_begin("bench-native");
	if (!test_check(vm->got_reply, "the gateway's MAC is unknown (no ARP reply)")) {
		test_end();
		return;
	}
	gprintf("net: bench: sending %u datagrams of %u bytes to 10.0.2.2:%u from 10.0.2.14 (run %u)\n", total,
		NETBENCH_PAYLOAD, NETBENCH_DST_PORT, run);
	uint64_t completed0 = nic->stats.tx_completed, bursts = 0;
	bench_read_stats(&s0);
	uint64_t deadline = s0.time_ns + BENCH_NATIVE_WAIT_NS;
	irq_disable();
	while (sent < total && time_ns() < deadline) {
		nic->ops->tx_reclaim(nic);
		unsigned int n = MIN(MIN((uint32_t)TX_BATCH, total - sent), nic->ops->tx_space(nic));
		if (!n) {
			/* The ring is full: wait for the NIC's transmit interrupt. */
			if (!vm->pending)
				wait_interrupt_until(time_ns() + 100 * NSEC_PER_MSEC);
			service(vm, time_ns());
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			bench_build_frame(vm, bench_frames[i], gw_mac, run, sent + i, total);
			batch[i] = (struct nic_frame){ .data = bench_frames[i], .len = BENCH_FRAME_LEN };
		}
		sent += nic->ops->tx_burst(nic, batch, n);
		bursts++;
		service(vm, time_ns());
	}
	while (nic->stats.tx_completed - completed0 < sent && time_ns() < deadline) {
		if (!vm->pending)
			wait_interrupt_until(time_ns() + 10 * NSEC_PER_MSEC);
		service(vm, time_ns());
	}
	bench_read_stats(&s1);
	uint64_t completed = nic->stats.tx_completed - completed0;
	test_check(sent == total, "sent %u of %u datagrams within %llu s", sent, total,
		   (unsigned long long)(BENCH_NATIVE_WAIT_NS / NSEC_PER_SEC));
	test_check(completed == sent, "the NIC completed %llu of %u", (unsigned long long)completed, sent);
	format(extra, sizeof(extra), " bursts=%llu completed=%llu", (unsigned long long)bursts,
	       (unsigned long long)completed);
	bench_print("native", run, sent, (uint64_t)sent * NETBENCH_PAYLOAD, s1.time_ns - s0.time_ns, &s0, &s1, extra);
	test_end();
}

static __noreturn void bench(struct netvm *vm)
{
	uint32_t total = bench_forward(vm);

	log_counters(vm);
	bench_native(vm, total ? total : NETBENCH_PACKETS);
	log_counters(vm);
	test_finish();
}

int guest_main(const struct uhv_boot_info *boot)
{
	struct netvm *vm = &netvm;
	bool check_only = !strncmp(boot->vm.name, "netcheck", 8);

	if (!boot->vm.restart_count)
		vm->crash_after = crash_frames(boot->vm.name);
	if (vm->crash_after) {
		gprintf("net: fault injection: this start crashes after %llu frames forwarded\n",
			(unsigned long long)vm->crash_after);
		vm->taps.forwarded = crash_count;
	}
	if (!bring_up(vm, boot))
		test_finish();
	arp_selfcheck(vm);
	if (check_only)
		test_finish();
	if (!strncmp(boot->vm.name, "netbench", 8))
		bench(vm);
	if (!vm->nb.nports) {
		gprintf("net: serving\n");
		netvm_run(vm, 0, NULL);
		return 0;
	}
	/* With guest ports the run ends when every frontend has stopped. */
	gprintf("net: serving %u guest port(s)\n", vm->nb.nports);
	netvm_run(vm, 0, frontends_stopped);
	gprintf("net: every frontend has stopped: stopping\n");
	log_counters(vm);
	return 0;
}
