// SPDX-License-Identifier: MIT
/*
 * Time from the TSC. The frequency is not architecturally known, so it is
 * measured against a fixed-frequency clock at boot (timer.c) and handed in
 * through tsc_set_frequency(); until then there is no time of day.
 */
#include <abi/vm_boot.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include <hv/time.h>

static uint64_t tsc_at_boot;
static uint64_t tsc_hz;

void tsc_mark_boot(void)
{
	tsc_at_boot = rdtsc();
}

void tsc_set_frequency(uint64_t hz)
{
	tsc_hz = hz;
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t time_tsc(void)
{
	return rdtsc();
}

/*
 * The VMs' clocks are this conversion too: a VM with the TSC clock
 * (abi/vm_boot.h) computes it itself, so it is the ABI's, not ours.
 */
uint64_t time_tsc_to_ns(uint64_t ticks)
{
	return uhv_tsc_to_ns(ticks, tsc_hz);
}

/* Splits the division like the conversion above so that 64 bits never overflow. */
uint64_t time_ns_to_tsc(uint64_t ns)
{
	return ns / 1000000000ULL * tsc_hz + ns % 1000000000ULL * tsc_hz / 1000000000ULL;
}

bool time_ns_since_boot(uint64_t *ns)
{
	if (!tsc_hz)
		return false;
	*ns = time_tsc_to_ns(rdtsc() - tsc_at_boot);
	return true;
}

void time_delay_us(uint64_t us)
{
	uint64_t start = rdtsc();
	uint64_t ticks = us * (tsc_hz / 1000000);

	while (rdtsc() - start < ticks)
		cpu_relax();
}
