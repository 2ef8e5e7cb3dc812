// SPDX-License-Identifier: MIT
/*
 * Boot-time calibration of the TSC and the LAPIC timer.
 *
 * Neither frequency is architecturally known (CPUID leaf 0x15 gives the
 * TSC's on recent Intel parts only, and emulators fill it as they like), so
 * both are counted against a clock of known frequency over a fixed window:
 * the HPET (period in femtoseconds in its capabilities register) when ACPI
 * describes one, else PIT channel 2 (1.193182 MHz), whose gate and output
 * are wired to port 0x61 so that it can be used without an interrupt.
 * Three windows are measured and the median kept; CPUID is only a
 * cross-check, or the last resort for the TSC.
 */
#include <abi/errno.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/timer.h>
#include <arch/traps.h>
#include <arch/tsc.h>
#include <hv/acpi.h>
#include <hv/clockmath.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/mm.h>
#include <hv/time.h>

/* HPET (IA-PC HPET specification 1.0a, 2.3). */
#define HPET_MMIO_SIZE			0x400
#define HPET_GENERAL_CAP_ID		0x000	/* 64 bits */
# define HPET_CAP_REV_ID		GENMASK(7, 0)
# define HPET_CAP_NUM_TIM_CAP_SHIFT	8
# define HPET_CAP_NUM_TIM_CAP		GENMASK(12, 8)	/* timers - 1 */
# define HPET_CAP_COUNT_SIZE_CAP	BIT(13)		/* 64-bit main counter */
# define HPET_CAP_COUNTER_CLK_PERIOD_SHIFT 32		/* bits 63:32, femtoseconds */
# define HPET_PERIOD_MAX_FS		100000000ULL	/* 100 ns: the spec's upper bound */
#define HPET_GENERAL_CONFIG		0x010
# define HPET_CFG_ENABLE		BIT(0)		/* main counter runs */
#define HPET_MAIN_COUNTER		0x0f0
#define FS_PER_SEC			1000000000000000ULL

/* PIT (Intel 8254 datasheet) and the PC's system control port B. */
#define PIT_HZ				1193182ULL
#define PIT_CHANNEL2			0x42
#define PIT_MODE			0x43
# define PIT_MODE_CHANNEL2		(2U << 6)
# define PIT_MODE_ACCESS_LOHI		(3U << 4)
# define PIT_MODE_0			(0U << 1)	/* interrupt on terminal count */
# define PIT_MODE_BINARY		0U
#define SYSTEM_CONTROL_B		0x61
# define SYSTEM_CONTROL_B_TIMER2_GATE	BIT(0)
# define SYSTEM_CONTROL_B_SPEAKER_DATA	BIT(1)
# define SYSTEM_CONTROL_B_TIMER2_OUT	BIT(5)

#define CPUID_80000007_EDX_INVARIANT_TSC BIT(8)

#define CALIBRATION_MS			10
#define CALIBRATION_RUNS		3
#define CALIBRATION_SPREAD_BP		50	/* 0.5% */
#define CALIBRATION_ATTEMPTS		3
#define SAMPLE_TRIES			8
#define SAMPLE_BRACKET_TSC		50000	/* TSC ticks: ~20 us at 2.5 GHz */
#define SPIN_LIMIT			100000000U	/* loop iterations before giving up on a clock */
#define TICK_HZ				1000
#define TICK_TEST_MS			20
#define TICK_LATE_FACTOR		10

struct sample {
	uint64_t tsc;
	uint32_t lapic;		/* current count: counts down */
	uint64_t ref;
};

struct refclock {
	const char *name;
	uint64_t hz_num, hz_den;	/* frequency = hz_num / hz_den */
	/* Measure one window; 0 or a negative error. */
	int (*measure)(const struct refclock *rc, struct sample *start, struct sample *end);
	volatile uint8_t *hpet;
	bool hpet_64bit;
	uint64_t hpet_saved_config;
};

static int pit_measure(const struct refclock *rc, struct sample *start, struct sample *end);

static const struct refclock pit_clock = {
	.name = "PIT", .hz_num = PIT_HZ, .hz_den = 1, .measure = pit_measure,
};

static uint64_t lapic_hz;

uint64_t timer_lapic_hz(void)
{
	return lapic_hz;
}

int timer_lapic_count(uint64_t ns, uint32_t *count, unsigned int *divisor)
{
	if (!lapic_hz)
		return -HV_ENODEV;
	return period_to_count(lapic_hz, ns, 128, count, divisor);
}

/* ---- HPET ---- */

static uint64_t hpet_read_counter(const struct refclock *rc)
{
	if (rc->hpet_64bit)
		return mmio_read64(rc->hpet + HPET_MAIN_COUNTER);
	return mmio_read32(rc->hpet + HPET_MAIN_COUNTER);
}

static uint64_t hpet_elapsed(const struct refclock *rc, uint64_t from, uint64_t to)
{
	return rc->hpet_64bit ? to - from : (uint32_t)(to - from);
}

/*
 * One simultaneous reading of the TSC, the LAPIC timer and the reference.
 * Each read may take microseconds in an emulator, and the emulator's
 * thread can be descheduled between them (an SMI does the same on real
 * hardware), which would skew the whole window. So the reads are
 * bracketed by the TSC and retried until the bracket is short, keeping
 * the tightest one (as Linux's tsc_read_refs does); the TSC value is the
 * bracket's midpoint.
 */
static void take_sample(const struct refclock *rc, struct sample *s,
			uint64_t (*read_ref)(const struct refclock *))
{
	uint64_t best = UINT64_MAX;

	for (unsigned int i = 0; i < SAMPLE_TRIES && best > SAMPLE_BRACKET_TSC; i++) {
		uint64_t before = rdtsc();
		uint32_t lapic = lapic_timer_current();
		uint64_t ref = read_ref(rc);
		uint64_t bracket = rdtsc() - before;

		if (bracket < best) {
			best = bracket;
			*s = (struct sample){ .tsc = before + bracket / 2, .lapic = lapic, .ref = ref };
		}
	}
}

static int hpet_measure(const struct refclock *rc, struct sample *start, struct sample *end)
{
	uint64_t window = CALIBRATION_MS * (FS_PER_SEC / 1000) / rc->hz_den;
	unsigned int spins = 0;

	take_sample(rc, start, hpet_read_counter);
	while (hpet_elapsed(rc, start->ref, hpet_read_counter(rc)) < window)
		if (++spins == SPIN_LIMIT)
			return -HV_EIO;
	take_sample(rc, end, hpet_read_counter);
	end->ref = start->ref + hpet_elapsed(rc, start->ref, end->ref);
	return 0;
}

/* Put the configuration back as the firmware left it (the counter stopped, if it was). */
static void hpet_restore(const struct refclock *rc)
{
	mmio_write64(rc->hpet + HPET_GENERAL_CONFIG, rc->hpet_saved_config);
}

/*
 * Map and check the HPET; start its counter if the firmware left it
 * stopped. *enabled_here tells the caller to stop it again.
 */
static int hpet_setup(struct refclock *rc, paddr_t base, bool *enabled_here)
{
	volatile uint8_t *hpet = ioremap(base, HPET_MMIO_SIZE);
	uint64_t cap = mmio_read64(hpet + HPET_GENERAL_CAP_ID);
	uint64_t period = cap >> HPET_CAP_COUNTER_CLK_PERIOD_SHIFT;
	uint64_t cfg = mmio_read64(hpet + HPET_GENERAL_CONFIG);

	*enabled_here = false;
	if (cap == ~0ULL || period == 0 || period > HPET_PERIOD_MAX_FS) {
		pr_warn("timer: HPET at %#llx has capabilities %#llx: not usable",
			(unsigned long long)base, (unsigned long long)cap);
		return -HV_EIO;
	}
	*rc = (struct refclock){
		.name = "HPET",
		.hz_num = FS_PER_SEC,
		.hz_den = period,
		.measure = hpet_measure,
		.hpet = hpet,
		.hpet_64bit = cap & HPET_CAP_COUNT_SIZE_CAP,
		.hpet_saved_config = cfg,
	};
	if (!(cfg & HPET_CFG_ENABLE)) {
		mmio_write64(hpet + HPET_GENERAL_CONFIG, cfg | HPET_CFG_ENABLE);
		*enabled_here = true;
	}

	/* A counter that does not move would make every window last forever. */
	uint64_t first = hpet_read_counter(rc);
	unsigned int spins = 0;
	while (hpet_read_counter(rc) == first)
		if (++spins == SPIN_LIMIT) {
			pr_warn("timer: HPET main counter does not advance");
			if (*enabled_here)
				hpet_restore(rc);
			*enabled_here = false;
			return -HV_EIO;
		}

	pr_debug("timer: HPET at %#llx rev %llu, %llu timers, %s counter, period %llu fs%s",
		 (unsigned long long)base, (unsigned long long)(cap & HPET_CAP_REV_ID),
		 (unsigned long long)((cap & HPET_CAP_NUM_TIM_CAP) >> HPET_CAP_NUM_TIM_CAP_SHIFT) + 1,
		 rc->hpet_64bit ? "64-bit" : "32-bit", (unsigned long long)period,
		 *enabled_here ? ", enabled for calibration" : "");
	return 0;
}


/* ---- PIT channel 2 ---- */

static int pit_measure(const struct refclock *rc, struct sample *start, struct sample *end)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATION_MS / 1000);
	uint8_t saved = inb(SYSTEM_CONTROL_B);
	unsigned int spins = 0;
	int err = 0;

	(void)rc;
	/* Gate high so channel 2 counts; speaker data low so nothing beeps. */
	outb(SYSTEM_CONTROL_B, (saved & ~SYSTEM_CONTROL_B_SPEAKER_DATA) | SYSTEM_CONTROL_B_TIMER2_GATE);
	/* Mode 0: OUT drops when the mode is written and rises when the count reaches 0. */
	outb(PIT_MODE, PIT_MODE_CHANNEL2 | PIT_MODE_ACCESS_LOHI | PIT_MODE_0 | PIT_MODE_BINARY);
	outb(PIT_CHANNEL2, (uint8_t)count);
	outb(PIT_CHANNEL2, (uint8_t)(count >> 8));	/* counting starts on the next PIT clock */

	start->lapic = lapic_timer_current();
	start->tsc = rdtsc();
	start->ref = 0;
	while (!(inb(SYSTEM_CONTROL_B) & SYSTEM_CONTROL_B_TIMER2_OUT)) {
		if (++spins == SPIN_LIMIT) {
			err = -HV_EIO;
			break;
		}
	}
	end->lapic = lapic_timer_current();
	end->tsc = rdtsc();
	end->ref = count;
	outb(SYSTEM_CONTROL_B, saved);
	return err;
}

/* ---- calibration ---- */

static void sort_runs(uint64_t v[CALIBRATION_RUNS])
{
	for (int i = 0; i < CALIBRATION_RUNS; i++)
		for (int j = i + 1; j < CALIBRATION_RUNS; j++)
			if (v[j] < v[i]) {
				uint64_t t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
}

/*
 * Count the TSC and the LAPIC timer (divide by 1, masked one-shot from the
 * top) over CALIBRATION_RUNS windows; return both frequencies per window,
 * sorted.
 */
static int calibrate_windows(const struct refclock *rc, uint64_t tsc[CALIBRATION_RUNS],
			     uint64_t apic[CALIBRATION_RUNS])
{
	lapic_timer_set_divide(1);
	for (int i = 0; i < CALIBRATION_RUNS; i++) {
		struct sample s0, s1;
		int err;

		lapic_timer_oneshot(VECTOR_LAPIC_TIMER, UINT32_MAX, true);
		err = rc->measure(rc, &s0, &s1);
		lapic_timer_stop();
		if (err) {
			pr_warn("timer: %s did not complete a %u ms window", rc->name, CALIBRATION_MS);
			return err;
		}
		/* Reaching 0 means it ran out during the window: the count would be meaningless. */
		if (s1.lapic == 0) {
			pr_warn("timer: the LAPIC timer ran out within %u ms", CALIBRATION_MS);
			return -HV_ERANGE;
		}
		err = freq_from_reference(s1.tsc - s0.tsc, s1.ref - s0.ref, rc->hz_num, rc->hz_den, &tsc[i]);
		if (!err)
			err = freq_from_reference(s0.lapic - s1.lapic, s1.ref - s0.ref, rc->hz_num,
						  rc->hz_den, &apic[i]);
		if (err)
			return err;
		pr_debug("timer: window %d: %llu TSC ticks, %u LAPIC ticks, %llu %s ticks", i,
			 (unsigned long long)(s1.tsc - s0.tsc), s0.lapic - s1.lapic,
			 (unsigned long long)(s1.ref - s0.ref), rc->name);
	}
	sort_runs(tsc);
	sort_runs(apic);
	return 0;
}

/*
 * Both frequencies: the median window of a set. An emulator whose host is
 * busy can stall the reference clock against the TSC for part of a window. Windows that disagree by more than
 * CALIBRATION_SPREAD_BP hundredths of a percent are measured again (up to
 * CALIBRATION_ATTEMPTS sets); the last set is used whatever its spread.
 */
static int calibrate_against(const struct refclock *rc, uint64_t *tsc_hz, uint64_t *apic_hz)
{
	uint64_t tsc[CALIBRATION_RUNS], apic[CALIBRATION_RUNS];

	for (int attempt = 1;; attempt++) {
		int err = calibrate_windows(rc, tsc, apic);
		uint64_t median, spread_bp = UINT64_MAX;

		if (err)
			return err;
		median = tsc[CALIBRATION_RUNS / 2];
		if (median)
			mul_div_u64(tsc[CALIBRATION_RUNS - 1] - tsc[0], 10000, median, &spread_bp, NULL);
		if (spread_bp <= CALIBRATION_SPREAD_BP)
			break;
		if (attempt == CALIBRATION_ATTEMPTS) {
			pr_warn("timer: calibration windows still disagree by %llu.%02llu%%: using the median",
				(unsigned long long)spread_bp / 100, (unsigned long long)spread_bp % 100);
			break;
		}
		pr_info("timer: calibration windows disagree by %llu.%02llu%%: measuring again",
			(unsigned long long)spread_bp / 100, (unsigned long long)spread_bp % 100);
	}
	*tsc_hz = tsc[CALIBRATION_RUNS / 2];
	*apic_hz = apic[CALIBRATION_RUNS / 2];
	if (!*tsc_hz || !*apic_hz)
		return -HV_EIO;
	return 0;
}

/* "2.600 GHz" style. */
static void format_hz(char *buf, size_t len, uint64_t hz)
{
	if (hz >= 1000000000ULL)
		format(buf, len, "%llu.%03llu GHz", (unsigned long long)(hz / 1000000000ULL),
		       (unsigned long long)(hz / 1000000 % 1000));
	else
		format(buf, len, "%llu.%03llu MHz", (unsigned long long)(hz / 1000000),
		       (unsigned long long)(hz / 1000 % 1000));
}

/*
 * CPUID's own statement of the TSC frequency: leaf 0x15 (TSC/crystal ratio
 * and crystal Hz) or, less precisely, leaf 0x16 (base MHz). 0 if neither.
 */
static uint64_t cpuid_tsc_hz(void)
{
	uint32_t max_leaf = cpuid(0).eax;
	uint64_t hz = 0;

	if (max_leaf >= 0x15) {
		struct cpuid_regs r = cpuid(0x15);

		if (r.eax && r.ebx && r.ecx) {
			hz = (uint64_t)r.ecx * r.ebx / r.eax;
			pr_info("timer: CPUID.15H: crystal %u Hz x %u/%u = TSC %llu Hz",
				r.ecx, r.ebx, r.eax, (unsigned long long)hz);
		} else if (r.eax && r.ebx) {
			pr_info("timer: CPUID.15H: TSC/crystal %u/%u, crystal frequency not given", r.ebx, r.eax);
		}
	}
	if (max_leaf >= 0x16) {
		struct cpuid_regs r = cpuid(0x16);

		if (r.eax & 0xffff) {
			pr_info("timer: CPUID.16H: base %u MHz, max %u MHz, bus %u MHz",
				r.eax & 0xffff, r.ebx & 0xffff, r.ecx & 0xffff);
			if (!hz)
				hz = (uint64_t)(r.eax & 0xffff) * 1000000;
		}
	}
	return hz;
}

/* measured - stated, in hundredths of a percent of stated. */
static long long difference_bp(uint64_t measured, uint64_t stated)
{
	uint64_t diff = measured > stated ? measured - stated : stated - measured;
	uint64_t bp;

	if (!mul_div_u64(diff, 10000, stated, &bp, NULL))
		return 0;
	return measured > stated ? (long long)bp : -(long long)bp;
}

/* ---- proving the timer interrupts ---- */

static volatile uint32_t tick_count;
static volatile uint64_t tick_first_tsc, tick_last_tsc;

static void tick_handler(struct trap_frame *frame)
{
	uint64_t now = rdtsc();

	(void)frame;
	if (!tick_count)
		tick_first_tsc = now;
	tick_last_tsc = now;
	tick_count++;
	lapic_eoi();
}

static uint64_t tsc_to_us(uint64_t ticks, uint64_t tsc_hz)
{
	uint64_t us = 0;

	mul_div_u64(ticks, 1000000, tsc_hz, &us, NULL);
	return us;
}

/* With interrupts enabled, wait until `want` ticks have arrived or `limit_us` has passed. */
static void wait_for_ticks(uint32_t want, uint64_t limit_us, uint64_t tsc_hz)
{
	uint64_t start = rdtsc(), limit = 0;

	mul_div_u64(limit_us, tsc_hz, 1000000, &limit, NULL);
	irq_enable();
	while (tick_count < want && rdtsc() - start < limit)
		cpu_relax();
	irq_disable();
}

/*
 * A one-shot must interrupt exactly once. A periodic timer at TICK_HZ must
 * deliver TICK_TEST_MS ticks in about TICK_TEST_MS of TSC time. Early is
 * a failure (a wrong count or divider); late is tolerated up to
 * TICK_LATE_FACTOR times, with a warning, because an emulator on a busy
 * host delivers timer interrupts late; a dead timer never gets there.
 */
static int lapic_timer_selftest(uint64_t tsc_hz)
{
	const uint64_t period_us = 1000000 / TICK_HZ, test_us = TICK_TEST_MS * 1000;
	const uint32_t want = TICK_TEST_MS * TICK_HZ / 1000;
	uint32_t count, oneshot_ticks, ticks;
	unsigned int divisor;
	uint64_t start, elapsed_us, mean_ns = 0;
	int err = timer_lapic_count(period_us * 1000, &count, &divisor);

	if (err)
		return err;
	irq_set_handler(VECTOR_LAPIC_TIMER, tick_handler);
	lapic_timer_set_divide(divisor);

	/* One-shot: the interrupt, then three more periods of silence. */
	tick_count = 0;
	lapic_timer_oneshot(VECTOR_LAPIC_TIMER, count, false);
	wait_for_ticks(1, TICK_LATE_FACTOR * test_us, tsc_hz);
	wait_for_ticks(2, 3 * period_us, tsc_hz);
	oneshot_ticks = tick_count;
	lapic_timer_stop();

	tick_count = 0;
	start = rdtsc();
	lapic_timer_periodic(VECTOR_LAPIC_TIMER, count);
	wait_for_ticks(want, TICK_LATE_FACTOR * test_us, tsc_hz);
	lapic_timer_stop();
	elapsed_us = tsc_to_us(rdtsc() - start, tsc_hz);
	ticks = tick_count;
	lapic_timer_set_divide(1);

	if (ticks > 1)
		mul_div_u64(tick_last_tsc - tick_first_tsc, 1000000000ULL, tsc_hz * (ticks - 1), &mean_ns, NULL);
	pr_info("timer: LAPIC timer %u Hz (count %u, divide %u): one-shot %u interrupt(s); "
		"periodic %u interrupts in %llu us (expected %llu us), mean period %llu.%03llu us",
		TICK_HZ, count, divisor, oneshot_ticks, ticks, (unsigned long long)elapsed_us,
		(unsigned long long)test_us, (unsigned long long)(mean_ns / 1000),
		(unsigned long long)(mean_ns % 1000));
	pr_debug("timer: %llu spurious interrupt(s) so far", (unsigned long long)lapic_spurious_count());

	if (oneshot_ticks != 1) {
		pr_err("timer: a one-shot LAPIC timer interrupted %u times, not once", oneshot_ticks);
		return -HV_EIO;
	}
	if (ticks < want) {
		pr_err("timer: only %u of %u LAPIC timer interrupts within %llu us", ticks, want,
		       (unsigned long long)elapsed_us);
		return -HV_EIO;
	}
	/* The first tick comes one period after the start: `want` ticks take at least want - 1 periods. */
	if (elapsed_us < (want - 1) * period_us * 3 / 4) {
		pr_err("timer: %u LAPIC timer interrupts came in %llu us: too fast", ticks,
		       (unsigned long long)elapsed_us);
		return -HV_EIO;
	}
	if (elapsed_us > test_us * 3 / 2)
		pr_warn("timer: LAPIC timer interrupts arrive late (%llu us for %llu): a busy emulator host?",
			(unsigned long long)elapsed_us, (unsigned long long)test_us);
	return 0;
}

int timer_calibrate(void)
{
	const struct acpi_info *acpi = acpi_get();
	struct refclock rc = pit_clock;
	bool hpet_enabled_here = false, have_hpet = false;
	uint64_t tsc_hz = 0, stated_hz, apic_hz = 0;
	char tsc_text[24], apic_text[24];
	int err = -HV_ENODEV;

	if (acpi->hpet_base && hpet_setup(&rc, acpi->hpet_base, &hpet_enabled_here) == 0)
		have_hpet = true;
	else
		rc = pit_clock;

	err = calibrate_against(&rc, &tsc_hz, &apic_hz);
	if (err && have_hpet) {
		pr_warn("timer: calibration against the HPET failed (%d): trying the PIT", err);
		if (hpet_enabled_here)
			hpet_restore(&rc);
		have_hpet = hpet_enabled_here = false;
		rc = pit_clock;
		err = calibrate_against(&rc, &tsc_hz, &apic_hz);
	}

	stated_hz = cpuid_tsc_hz();
	if (err) {
		if (!stated_hz) {
			pr_err("timer: no clock to calibrate against (%d), and CPUID states no TSC frequency", err);
			return -HV_ENODEV;
		}
		pr_warn("timer: calibration failed (%d): trusting CPUID for the TSC; no LAPIC timer", err);
		tsc_set_frequency(stated_hz);
		return -HV_ENODEV;
	}

	tsc_set_frequency(tsc_hz);
	lapic_hz = apic_hz;
	format_hz(tsc_text, sizeof(tsc_text), tsc_hz);
	format_hz(apic_text, sizeof(apic_text), apic_hz);
	pr_info("timer: TSC %s, LAPIC timer %s (calibrated against %s over %u ms)",
		tsc_text, apic_text, rc.name, CALIBRATION_MS);
	pr_debug("timer: TSC %llu Hz, LAPIC timer %llu Hz", (unsigned long long)tsc_hz,
		 (unsigned long long)apic_hz);
	if (stated_hz) {
		long long bp = difference_bp(tsc_hz, stated_hz);

		pr_info("timer: measured TSC differs from CPUID's figure by %s%lld.%02lld%%",
			bp < 0 ? "-" : "+", (bp < 0 ? -bp : bp) / 100, (bp < 0 ? -bp : bp) % 100);
	}
	if (!(cpuid(0x80000000).eax >= 0x80000007 &&
	      (cpuid(0x80000007).edx & CPUID_80000007_EDX_INVARIANT_TSC)))
		pr_info("timer: the TSC is not invariant: its rate may follow power states");

	/* time_delay_us() is TSC-only: check it against the HPET while that still runs. */
	if (have_hpet) {
		uint64_t h0 = hpet_read_counter(&rc), fs = 0;

		time_delay_us(2000);
		mul_div_u64(hpet_elapsed(&rc, h0, hpet_read_counter(&rc)), rc.hz_den, 1, &fs, NULL);
		pr_info("timer: time_delay_us(2000) took %llu us by the HPET",
			(unsigned long long)(fs / (FS_PER_SEC / 1000000)));
	}
	if (hpet_enabled_here)
		hpet_restore(&rc);

	return lapic_timer_selftest(tsc_hz);
}
