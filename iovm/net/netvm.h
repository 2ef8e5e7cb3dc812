/* SPDX-License-Identifier: MIT */
/*
 * The network IOVM's core (main.c) as its modes see it: the IOVM's state
 * with its port table, and the few core functions a mode drives.
 * docs/netvm.md.
 *
 * The core serves: bring-up, the event loop, the ports. The modes, picked
 * by the VM's name in main.c, are the ARP self-check (selfcheck.c), the
 * benchmark (bench.c) and fault injection (crash.c). A mode sees the data
 * path only through struct netvm_taps.
 */
#ifndef IOVM_NET_NETVM_H
#define IOVM_NET_NETVM_H

#include <runtime/runtime.h>

#include "netback.h"
#include "nic.h"
#include "switch.h"

#define NETVM_TX_BATCH		32	/* uplink frames collected per tail write */

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

/*
 * Ports: 0, the uplink (the NIC); the IOVM's own endpoint, a local port
 * with the NIC's MAC that the self-check talks through; and one guest port
 * per net channel whose backend this VM is (netback.h).
 */
struct netvm {
	struct nic nic;
	struct l2_switch sw;
	struct netback nb;		/* the guest ports, one per net channel */
	port_deliver_fn deliver[SWITCH_MAX_PORTS];
	unsigned int local_port;
	volatile uint32_t pending;	/* PENDING_* (main.c): set by handlers, taken by the loop */
	bool rx_more;			/* the last poll stopped at its budget */
	bool link;
	/* Uplink frames waiting for one tx_burst (their buffers stay valid until the flush). */
	struct nic_frame tx_batch[NETVM_TX_BATCH];
	unsigned int tx_n;
	uint64_t passes, wakeups;
	struct netvm_taps taps;
};

/* ---- the core (main.c) --------------------------------------------------- */

/*
 * Run the event loop until done(vm) or VM time deadline_ns (0: forever).
 * Returns true if done() said so. Interrupts are off throughout, except
 * inside wait_interrupt_until().
 */
bool netvm_run(struct netvm *vm, uint64_t deadline_ns, bool (*done)(struct netvm *vm));

/* One pass of the loop at time now (for a mode that runs its own loop). Interrupts off. */
void netvm_service(struct netvm *vm, uint64_t now);

/* Switch a frame that arrived on in_port and hand it to every port it goes out on. */
void netvm_switch_frame(struct netvm *vm, unsigned int in_port, const uint8_t *frame, size_t len);

/* Hand the uplink batch to the NIC; what does not fit is counted as dropped on port 0. */
void netvm_uplink_flush(struct netvm *vm);

/* A done() for netvm_run: there are guest ports and every frontend has stopped. */
bool netvm_frontends_stopped(struct netvm *vm);

/* The NIC's, every switch port's, every guest port's and the loop's counters, one line each. */
void netvm_log_counters(struct netvm *vm);

/* ---- the modes ------------------------------------------------------------ */

/* QEMU user networking (and Bochs slirp): the address this IOVM uses, and the gateway (selfcheck.c). */
extern const uint8_t netvm_local_ip[4], netvm_gateway_ip[4];

/* The local port's deliver function: it looks for the self-check's ARP reply. */
void selfcheck_local_deliver(struct netvm *vm, unsigned int port, const uint8_t *frame, size_t len);

/* The ARP self-check (test "arp"): request, reply by interrupt, counters logged. */
void selfcheck_arp(struct netvm *vm);

/* The gateway's MAC from the ARP reply; NULL if no reply has come. */
const uint8_t *selfcheck_gateway_mac(void);

/* Bench mode: the forward phase, then the native baseline; stops with the verdict. */
__noreturn void bench_run(struct netvm *vm);

/* Fault injection: if the VM's name asks for it and this is its first start, arm the crash (logged). */
void crash_arm(struct netvm *vm, const struct uhv_boot_info *boot);

#endif /* IOVM_NET_NETVM_H */
