/* SPDX-License-Identifier: MIT */
#ifndef HV_TIME_H
#define HV_TIME_H

#include <hv/types.h>

/*
 * Time since boot in nanoseconds, from the TSC. Returns false (and leaves
 * *ns alone) until the TSC has been calibrated.
 */
bool time_ns_since_boot(uint64_t *ns);

/* Calibrated frequencies in Hz (0 until calibration). */
uint64_t time_tsc_hz(void);

/* The raw monotonic counter (the TSC) and conversions; valid after calibration. */
uint64_t time_tsc(void);
uint64_t time_tsc_to_ns(uint64_t ticks);
uint64_t time_ns_to_tsc(uint64_t ns);

/* Busy-wait; only valid after calibration. */
void time_delay_us(uint64_t us);

#endif /* HV_TIME_H */
