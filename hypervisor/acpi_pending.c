// SPDX-License-Identifier: MIT
/*
 * TEMPORARY, delete when the ACPI work (branch "acpi") is merged: acpi_get()
 * is declared in hv/acpi.h but not implemented yet, and hwcheck calls it.
 * This weak definition keeps the build linking until then and honours the
 * header's contract ("all-zero before acpi_init()"); the real, strong
 * acpi_get() replaces it at link time, so the merge cannot silently keep
 * this one.
 */
#include <hv/acpi.h>

__attribute__((weak)) const struct acpi_info *acpi_get(void)
{
	static const struct acpi_info no_tables;

	return &no_tables;
}
