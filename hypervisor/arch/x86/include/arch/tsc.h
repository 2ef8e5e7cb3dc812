/* SPDX-License-Identifier: MIT */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <hv/types.h>

/* Remember the TSC value that "time since boot" counts from. */
void tsc_mark_boot(void);
/* Set the TSC frequency measured by timer calibration. */
void tsc_set_frequency(uint64_t hz);

#endif /* ARCH_TSC_H */
