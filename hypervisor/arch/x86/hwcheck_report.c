// SPDX-License-Identifier: MIT
/*
 * The "hwcheck" boot option: everything uhv knows about the machine's
 * virtualization hardware and what it can do with it, on the console.
 * The decisions are hwcheck_evaluate()'s (hwcheck.c); this file only prints.
 */
#include <arch/hwcheck.h>
#include <hv/console.h>
#include <hv/string.h>

/* The verdict may list many reasons: continue it over several console lines. */
static void print_verdict(const char *text)
{
	const int chunk = 240;
	size_t len = strlen(text);

	pr_info("hwcheck: verdict: %.*s", chunk, text);
	for (size_t done = (size_t)chunk; done < len; done += (size_t)chunk)
		pr_info("hwcheck: verdict (continued): %.*s", chunk, text + done);
}

void hwcheck_run(const struct cpu_caps *caps, const struct acpi_info *acpi)
{
	static struct iommu_summary iommu;
	/* Too big for the boot stack; hwcheck runs once, on one CPU. */
	static struct hwcheck_result result;

	iommu = hwcheck_iommu_from_acpi(acpi);
	/* The units' own capability registers, as the driver reads them. */
	for (; iommu.units_read < MIN(acpi->drhd_count, ACPI_MAX_DRHD); iommu.units_read++)
		vtd_read_caps(acpi->drhd[iommu.units_read].base, &iommu.units[iommu.units_read]);
	hwcheck_evaluate(caps, &iommu, &result);

	pr_info("hwcheck: ===== uhv hardware check =====");
	cpu_features_report(caps, true);
	/* An all-zero acpi_info means no tables were parsed (see hv/acpi.h). */
	if (!acpi->oem_id[0] && !acpi->cpu_count && !acpi->dmar_present)
		pr_info("iommu: no ACPI information (tables not found or not parsed): no VT-d IOMMU known");
	else if (!iommu.dmar_present)
		pr_info("iommu: no ACPI DMAR table: no VT-d IOMMU");
	else
		pr_info("iommu: VT-d: ACPI DMAR table with %u remapping unit(s) (DRHD)", iommu.drhd_count);
	for (unsigned int i = 0; i < iommu.units_read; i++) {
		char line[200];
		const char *problem = vtd_caps_problem(&iommu.units[i]);

		pr_info("iommu: DRHD %u: registers at %#llx, segment %u%s", i,
			(unsigned long long)acpi->drhd[i].base, acpi->drhd[i].segment,
			acpi->drhd[i].include_pci_all ? ", all other PCI devices" : "");
		vtd_caps_describe(&iommu.units[i], line, sizeof(line));
		pr_info("iommu: DRHD %u: %s", i, line);
		pr_info("iommu: DRHD %u: VER %#x CAP %#llx ECAP %#llx", i, iommu.units[i].ver,
			(unsigned long long)iommu.units[i].cap, (unsigned long long)iommu.units[i].ecap);
		if (problem)
			pr_info("iommu: DRHD %u: unusable: %s", i, problem);
		else
			pr_info("iommu: DRHD %u: usable, %d-level domain tables", i, vtd_levels(&iommu.units[i]));
	}

	pr_info("hwcheck: CPU backend: %s", hwcheck_backend_name(result.backend));
	if (result.backend != HWCHECK_BACKEND_NONE)
		pr_info("hwcheck: guest time slices: %s", hwcheck_timer_name(result.timer));
	pr_info("hwcheck: device assignment: %s", result.iommu ? "yes (VT-d)" : "NO");
	for (unsigned int i = 0; i < result.missing_count; i++)
		pr_info("hwcheck: missing: %s", result.missing[i].text);
	for (unsigned int i = 0; i < result.note_count; i++)
		pr_info("hwcheck: note: %s", result.notes[i].text);
	print_verdict(result.verdict_text);
	pr_info("hwcheck: ===== end of hardware check =====");
}
