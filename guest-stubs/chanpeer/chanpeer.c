// SPDX-License-Identifier: MIT
/*
 * chanpeer: one image for both ends of a channel (docs/channels.md). It
 * reads its end from the boot information; the prefix of the VM's name
 * picks the scenario, played on the VM's first channel:
 *
 *   pp-*   ping-pong: the frontend sends PP_ROUNDS messages through the
 *          region, each answered by the backend; each side blocks until
 *          its channel vector arrives (frontend: HC_BLOCK, backend:
 *          "sti; hlt") and checks every byte it receives. Then the
 *          frontend waits for the backend to stop and checks that a
 *          notification to a stopped peer is refused (-HV_EPIPE).
 *   ep-*   epoch: the frontend leaves a mark in the region; the backend
 *          checks it, leaves its own, and fails on purpose (triple fault:
 *          contained, restarted by its on-failure policy). The restarted
 *          backend (epoch 2) finds both marks; the frontend sees the epoch
 *          go from 1 to 2 and the backend ready again.
 *   hx-*   hostile: the frontend (restart on-failure) tries what a channel
 *          end must not do, one attempt per start: write the state page,
 *          execute from the region, write past the region's end (each
 *          contained by the hypervisor). Every start also checks that
 *          notifying a channel it is not an end of (or no channel at all)
 *          is refused with -HV_ENOENT. The last start notifies properly
 *          and tells the backend it is done; the backend logs the
 *          frontend's state and epoch each time it is woken.
 *
 * Every end logs, for the harness:
 *   TEST <vm>: channel <name>: handle <h>, <end>, vector <v>, peer <peer>, region <gpa> (<size>)
 *   TEST <vm>: peer <peer>: <absent|ready|failed>, epoch <n>
 */
#include <runtime/channel.h>
#include <runtime/paging.h>
#include <runtime/runtime.h>

#define PP_ROUNDS	100
#define PP_PAYLOAD	64

/* The ping-pong mailbox at the start of the region. */
struct pp_mailbox {
	volatile uint32_t req_seq;	/* written by the frontend */
	volatile uint32_t resp_seq;	/* written by the backend */
	uint8_t req[PP_PAYLOAD];
	uint8_t resp[PP_PAYLOAD];
};

/* The epoch and hostile scenarios' flags and marks. */
struct ep_area {
	volatile uint32_t front_mark_set;	/* frontend: mark written */
	volatile uint32_t back_mark_set;	/* backend epoch 1: mark written */
	volatile uint32_t back_checked;		/* backend epoch 2: both marks found */
	volatile uint32_t front_done;		/* frontend: finished (hostile: last start) */
	char front_mark[64];
	char back_mark[64];
};

static const char FRONT_MARK[] = "frontend: written before the restart";
static const char BACK_MARK[] = "backend epoch 1: written before failing";

static const struct uhv_channel_info *chan;
static struct rt_channel_map map;
static volatile uint64_t wakeups;
static uint32_t seen_state = ~0U, seen_epoch = ~0U;

static void on_channel_irq(struct trap_frame *f)
{
	(void)f;
	wakeups++;
}

static const char *end_name(unsigned int end)
{
	return end == UHV_CHANNEL_FRONTEND ? "frontend" : "backend";
}

/* Log the peer's state when it differs from what was logged last. */
static void log_peer(void)
{
	uint32_t st, ep;

	rt_channel_peer(&map, chan->end, &st, &ep);
	if (st == seen_state && ep == seen_epoch)
		return;
	seen_state = st;
	seen_epoch = ep;
	test_log("peer %s: %s, epoch %u", chan->peer, rt_peer_state_name(st), ep);
}

/*
 * Sleep until cond() holds, woken by the channel's vector. Interrupts are
 * off around each check; the interrupt that ends a wait stays pending until
 * taken, so none is lost between the check and the sleep.
 */
static void wait_for(bool (*cond)(void), bool use_hlt)
{
	irq_disable();
	while (!cond()) {
		if (use_hlt) {
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		} else {
			hc_block();
			__asm__ volatile("sti; nop; cli" ::: "memory");
		}
		log_peer();
	}
	log_peer();
}

static bool setup(void)
{
	unsigned int k = 0;

	chan = rt_channel(0);
	if (!test_check(chan != NULL, "no channel in the boot information (%u)", rt_channel_count()))
		return false;
	test_check(rt_channel_by_name(chan->name) == chan, "rt_channel_by_name('%s') is not channel 0", chan->name);
	test_check(rt_channel_by_kind(UHV_CHANNEL_NET, 0) == chan, "rt_channel_by_kind(net, 0) is not channel 0");
	test_check(chan->vector == UHV_CHANNEL_VECTOR_BASE, "vector %#x, expected %#x", chan->vector,
		   UHV_CHANNEL_VECTOR_BASE);
	test_log("channel %s: handle %u, %s, vector %#x, peer %s, region %#llx (%llu KiB), state %#llx",
		 chan->name, chan->handle, end_name(chan->end), chan->vector, chan->peer,
		 (unsigned long long)chan->region_gpa, (unsigned long long)(chan->region_size / 1024),
		 (unsigned long long)chan->state_gpa);
	int err = rt_channel_map(chan, &map);
	if (!test_check(err == 0, "rt_channel_map: %d", err))
		return false;
	/* Every channel's vector: the others' are raised too (their peers start and stop). */
	for (const struct uhv_channel_info *c; (c = rt_channel(k)) != NULL; k++) {
		err = irq_register(c->vector, on_channel_irq);
		if (!test_check(err == 0, "irq_register(%#x): %d", c->vector, err))
			return false;
	}
	/* Our own end, as the hypervisor published it: running, started restart_count + 1 times. */
	uint32_t st, ep;
	uhv_channel_read_end(map.state, chan->end, &st, &ep);
	test_check(st == UHV_PEER_READY && ep == rt_boot_info()->vm.restart_count + 1,
		   "own end reads %s, epoch %u; expected ready, epoch %u", rt_peer_state_name(st), ep,
		   rt_boot_info()->vm.restart_count + 1);
	log_peer();
	return true;
}

static bool notify(void)
{
	int64_t r = hc_channel_notify(chan->handle);

	return test_check(r == 0, "HC_CHANNEL_NOTIFY(%u): %lld", chan->handle, (long long)r);
}

static uint32_t peer_state(void)
{
	uint32_t st, ep;

	rt_channel_peer(&map, chan->end, &st, &ep);
	return st;
}

static uint32_t peer_epoch(void)
{
	uint32_t st, ep;

	rt_channel_peer(&map, chan->end, &st, &ep);
	return ep;
}

static bool peer_ready(void)
{
	return peer_state() == UHV_PEER_READY;
}

static bool peer_absent(void)
{
	return peer_state() == UHV_PEER_ABSENT;
}

/* ---- ping-pong ---- */

static struct pp_mailbox *mbox(void)
{
	return (struct pp_mailbox *)(uintptr_t)map.region;
}

static uint32_t pp_round;

static bool pp_answered(void)
{
	return mbox()->resp_seq == pp_round;
}

static bool pp_asked(void)
{
	return mbox()->req_seq == pp_round;
}

static uint8_t pp_byte(uint32_t round, unsigned int k)
{
	return (uint8_t)(round * 7 + k * 13 + 1);
}

static void pp_frontend(void)
{
	struct pp_mailbox *m = mbox();
	unsigned int bad = 0;

	test_begin("ping-pong");
	wait_for(peer_ready, false);
	for (pp_round = 1; pp_round <= PP_ROUNDS; pp_round++) {
		for (unsigned int k = 0; k < PP_PAYLOAD; k++)
			m->req[k] = pp_byte(pp_round, k);
		__asm__ volatile("" ::: "memory");	/* the payload before the sequence number (x86: stores in order) */
		m->req_seq = pp_round;
		if (!notify())
			break;
		wait_for(pp_answered, false);
		for (unsigned int k = 0; k < PP_PAYLOAD; k++) {
			unsigned int want = 0xffU ^ pp_byte(pp_round, k);

			if (m->resp[k] != want)
				bad++;
		}
	}
	test_check(bad == 0, "%u bytes of the answers were wrong", bad);
	test_log("ping-pong: %u messages answered, %llu channel interrupts", PP_ROUNDS,
		 (unsigned long long)wakeups);
	test_end();

	test_begin("notify-errors");
	wait_for(peer_absent, false);
	int64_t r = hc_channel_notify(chan->handle);
	test_check(r == -HV_EPIPE, "notify to a stopped peer: %lld, expected %d", (long long)r, -HV_EPIPE);
	r = hc_channel_notify(UHV_CHANNELS_MAX + 3);
	test_check(r == -HV_ENOENT, "notify with handle %u: %lld, expected %d", UHV_CHANNELS_MAX + 3,
		   (long long)r, -HV_ENOENT);
	r = hypercall5(HC_CHANNEL_NOTIFY, 1ULL << 32 | chan->handle, 0, 0, 0, 0);
	test_check(r == -HV_ENOENT, "notify with handle 2^32 + %u: %lld, expected %d", chan->handle,
		   (long long)r, -HV_ENOENT);
	test_log("notify-errors: stopped peer %d, bad handles %d", -HV_EPIPE, -HV_ENOENT);
	test_end();
}

static void pp_backend(void)
{
	struct pp_mailbox *m = mbox();
	unsigned int bad = 0;

	test_begin("ping-pong");
	for (pp_round = 1; pp_round <= PP_ROUNDS; pp_round++) {
		wait_for(pp_asked, true);
		for (unsigned int k = 0; k < PP_PAYLOAD; k++) {
			uint8_t b = m->req[k];

			if (b != pp_byte(pp_round, k))
				bad++;
			m->resp[k] = (uint8_t)~b;
		}
		__asm__ volatile("" ::: "memory");
		m->resp_seq = pp_round;
		if (!notify())
			break;
	}
	test_check(bad == 0, "%u bytes of the requests were wrong", bad);
	test_log("ping-pong: %u messages answered, %llu channel interrupts", PP_ROUNDS,
		 (unsigned long long)wakeups);
	test_end();
}

/* ---- epoch ---- */

static struct ep_area *area(void)
{
	return (struct ep_area *)(uintptr_t)map.region;
}

static bool ep_back_marked(void) { return area()->back_mark_set; }
static bool ep_back_checked(void) { return area()->back_checked; }
static bool ep_front_marked(void) { return area()->front_mark_set; }
static bool ep_front_done(void) { return area()->front_done; }
static bool ep_restarted(void) { return peer_epoch() >= 2; }

static void ep_frontend(void)
{
	struct ep_area *a = area();

	test_begin("epoch");
	wait_for(peer_ready, false);
	test_check(peer_epoch() == 1, "the backend's first epoch is %u", peer_epoch());
	memcpy(a->front_mark, FRONT_MARK, sizeof(FRONT_MARK));
	a->front_mark_set = 1;
	notify();
	wait_for(ep_back_marked, false);
	wait_for(ep_restarted, false);
	wait_for(ep_back_checked, false);
	log_peer();
	test_check(peer_state() == UHV_PEER_READY && peer_epoch() == 2,
		   "the backend is %s, epoch %u; expected ready, epoch 2", rt_peer_state_name(peer_state()),
		   peer_epoch());
	test_check(!memcmp(a->front_mark, FRONT_MARK, sizeof(FRONT_MARK)), "the frontend's mark is gone");
	test_check(!memcmp(a->back_mark, BACK_MARK, sizeof(BACK_MARK)), "the backend's mark is gone");
	test_log("epoch: the backend went from epoch 1 to 2; both marks survived its restart");
	a->front_done = 1;
	notify();
	test_end();
}

static __noreturn void triple_fault(void)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(empty) : "memory");
	__builtin_unreachable();
}

static void ep_backend(void)
{
	struct ep_area *a = area();

	if (rt_boot_info()->vm.restart_count == 0) {
		test_begin("epoch-1");
		wait_for(ep_front_marked, true);
		test_check(!memcmp(a->front_mark, FRONT_MARK, sizeof(FRONT_MARK)), "the frontend's mark is wrong");
		memcpy(a->back_mark, BACK_MARK, sizeof(BACK_MARK));
		a->back_mark_set = 1;
		notify();
		test_end();
		test_log("failing on purpose: triple fault (expect: contained, restarted as epoch 2)");
		triple_fault();
	}
	test_begin("epoch-2");
	test_check(a->front_mark_set && !memcmp(a->front_mark, FRONT_MARK, sizeof(FRONT_MARK)),
		   "the frontend's mark did not survive the restart");
	test_check(a->back_mark_set && !memcmp(a->back_mark, BACK_MARK, sizeof(BACK_MARK)),
		   "epoch 1's mark did not survive the restart");
	test_log("epoch 2: the region still holds both marks");
	a->back_checked = 1;
	notify();
	wait_for(ep_front_done, true);
	test_end();
}

/* ---- hostile ---- */

static void hx_bad_handles(void)
{
	unsigned int refused = 0;

	test_begin("foreign-handles");
	for (uint32_t h = 0; h < UHV_CHANNELS_MAX + 2; h++) {
		if (h == chan->handle)
			continue;
		int64_t r = hc_channel_notify(h);
		if (test_check(r == -HV_ENOENT, "notify(%u), not one of its channels: %lld", h, (long long)r))
			refused++;
	}
	test_log("notify on %u handles that are not its channels: all -HV_ENOENT", refused);
	test_end();
}

static void hx_write_state(void)
{
	int err = paging_map(chan->state_gpa, UHV_CHANNEL_PAGE_SIZE, PAGING_WRITE);

	test_check(err == 0, "paging_map: %d", err);
	test_log("attempt: write the state page at %#llx (expect: contained)", (unsigned long long)chan->state_gpa);
	*(volatile uint32_t *)(uintptr_t)chan->state_gpa = UHV_PEER_READY;
	test_check(false, "the write to the state page was not contained");
}

static void hx_exec_region(void)
{
	int err = paging_map(chan->region_gpa, UHV_CHANNEL_PAGE_SIZE, PAGING_WRITE | PAGING_EXEC);
	volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)(chan->region_gpa + 0x800);

	test_check(err == 0, "paging_map: %d", err);
	code[0] = 0xc3;	/* ret */
	test_log("attempt: execute from the region at %#llx (expect: contained)", (unsigned long long)gpa_of(code));
	((void (*)(void))(uintptr_t)code)();
	test_check(false, "the instruction fetch from the region was not contained");
}

static void hx_past_region(void)
{
	uint64_t gpa = chan->region_gpa + chan->region_size;
	int err = paging_map(gpa, UHV_CHANNEL_PAGE_SIZE, PAGING_WRITE);

	test_check(err == 0, "paging_map: %d", err);
	test_log("attempt: write past the region's end at %#llx (expect: contained)", (unsigned long long)gpa);
	*(volatile uint32_t *)(uintptr_t)gpa = 1;
	test_check(false, "the write past the region was not contained");
}

static void hx_frontend(void)
{
	static void (*const attempts[])(void) = { hx_write_state, hx_exec_region, hx_past_region };
	uint32_t n = rt_boot_info()->vm.restart_count;

	hx_bad_handles();
	if (n < sizeof(attempts) / sizeof(attempts[0])) {
		test_begin("attempt");
		attempts[n]();
		test_end();
		return;
	}
	test_begin("hostile");
	area()->front_done = 1;
	notify();
	test_log("all %zu attempts were contained; the channel still works", sizeof(attempts) / sizeof(attempts[0]));
	test_end();
}

static void hx_backend(void)
{
	test_begin("serve");
	wait_for(ep_front_done, true);
	log_peer();
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	const char *name = boot->vm.name;

	test_begin("setup");
	if (!setup()) {
		test_finish();
	}
	test_end();
	bool front = chan->end == UHV_CHANNEL_FRONTEND;
	if (!strncmp(name, "pp-", 3))
		front ? pp_frontend() : pp_backend();
	else if (!strncmp(name, "ep-", 3))
		front ? ep_frontend() : ep_backend();
	else if (!strncmp(name, "hx-", 3))
		front ? hx_frontend() : hx_backend();
	else
		test_check(false, "unknown scenario for vm '%s' (pp-*, ep-*, hx-*)", name);
	test_finish();
}
