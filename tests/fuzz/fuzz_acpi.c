// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ACPI table parsers (hypervisor/acpi_tables.c).
 *
 * The first input byte picks the parser, the rest is the table. Every parser
 * gets an exactly-sized heap copy, so ASan reports any read past the end.
 * Beyond "no crash", it checks the parsers' contracts: a failed parse leaves
 * struct acpi_info untouched, and the counts stay within their arrays.
 *
 * Build and run from the top of the tree (clang 14 with compiler-rt):
 *
 *   clang -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -g -O1 \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       -Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include \
 *       -o build/fuzz_acpi tests/fuzz/fuzz_acpi.c hypervisor/acpi_tables.c
 *   mkdir -p build/fuzz-corpus && tests/fuzz/make_corpus.sh build/fuzz-corpus
 *   build/fuzz_acpi -max_total_time=60 build/fuzz-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hv/acpi_tables.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*parser_fn)(const void *, size_t, struct acpi_info *);

static const parser_fn parsers[] = {
	acpi_parse_madt, acpi_parse_mcfg, acpi_parse_hpet,
	acpi_parse_fadt, acpi_parse_dmar, acpi_parse_s5,
};

static void check_counts(const struct acpi_info *info)
{
	if (info->cpu_count > ACPI_MAX_CPUS || info->ioapic_count > ACPI_MAX_IOAPICS ||
	    info->override_count > ACPI_MAX_OVERRIDES || info->mcfg_count > ACPI_MAX_MCFG ||
	    info->drhd_count > ACPI_MAX_DRHD || info->rmrr_count > ACPI_MAX_RMRR)
		abort();
	for (uint32_t i = 0; i < info->drhd_count; i++)
		if (info->drhd[i].scope_count > ACPI_MAX_SCOPES)
			abort();
	for (uint32_t i = 0; i < info->rmrr_count; i++)
		if (info->rmrr[i].scope_count > ACPI_MAX_SCOPES)
			abort();
	if (info->s5_valid && (info->s5_slp_typ_a > 7 || info->s5_slp_typ_b > 7))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info, before;

	if (size < 1)
		return 0;
	unsigned int which = data[0];
	size--;
	uint8_t *table = malloc(size ? size : 1);
	memcpy(table, data + 1, size);

	if (which < sizeof(parsers) / sizeof(parsers[0])) {
		memset(&info, 0, sizeof(info));
		before = info;
		if (parsers[which](table, size, &info) < 0 && memcmp(&info, &before, sizeof(info)))
			abort();	/* a rejected table changed acpi_info */
		check_counts(&info);
	} else {
		struct acpi_root root;
		paddr_t entries[8];
		long len = acpi_table_check(table, size);

		if (len > (long)size)
			abort();
		(void)acpi_parse_rsdp(table, size, &root);
		if (acpi_sdt_entries(table, size, which & 1, entries, 8) > 0 && size < 36)
			abort();
	}
	free(table);
	return 0;
}
