// SPDX-License-Identifier: MIT
#include <hv/acpi.h>

/*
 * Until acpi_init() lands (branch acpi), the table set is what the
 * interface promises before acpi_init(): all zero, so that users take
 * their no-ACPI paths (PIT, configuration ports).
 */
static struct acpi_info acpi_info;

const struct acpi_info *acpi_get(void)
{
	return &acpi_info;
}

void acpi_power_off(void)
{
}
