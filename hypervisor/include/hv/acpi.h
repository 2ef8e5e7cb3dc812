/* SPDX-License-Identifier: MIT */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <hv/types.h>

/* Enter ACPI S5 (soft-off) if the FADT and \_S5 were found; returns if not. */
void acpi_power_off(void);

#endif /* HV_ACPI_H */
