// SPDX-License-Identifier: MIT
/* hypervisor/cmdline.c: every boot option, bad values, and unknown words. */
#include <string.h>

#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/time.h>

#include "unit.h"

/* console.c, linked for console_parse_level, needs an output and a clock. */
void serial_write(const char *s, size_t len)
{
	(void)s;
	(void)len;
}

bool time_ns_since_boot(uint64_t *ns)
{
	*ns = 0;
	return false;
}

/* Every report() call, as "what: word" lines. */
static char reports[1024];
static int report_count;

static void record(const char *what, const char *word, size_t len)
{
	size_t n = strlen(reports);

	snprintf(reports + n, sizeof(reports) - n, "%s: %.*s\n", what, (int)len, word);
	report_count++;
}

static struct hv_options opts;

static int parse(const char *cmdline)
{
	reports[0] = '\0';
	report_count = 0;
	memset(&opts, 0xa5, sizeof(opts));	/* defaults must be set by the parser */
	return cmdline_parse(cmdline, &opts, record);
}

TEST(empty_cmdline_gives_defaults)
{
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(opts.loglevel, LOG_INFO);
	CHECK_EQ(opts.exit_method, EXIT_HALT);
	CHECK(!opts.hwcheck);
	CHECK(!opts.acpidump);
	CHECK(!opts.iommu_noqi);
	CHECK_STR_EQ(opts.test, "");
	CHECK_EQ(report_count, 0);

	CHECK_EQ(parse("   "), 0);
	CHECK_EQ(opts.loglevel, LOG_INFO);
}

TEST(iommu_noqi)
{
	CHECK_EQ(parse("iommu=noqi"), 0);
	CHECK(opts.iommu_noqi);
	CHECK_EQ(parse("iommu=qi"), 1);
	CHECK_STR_EQ(reports, "bad value in option: iommu=qi\n");
	CHECK_EQ(parse("iommu"), 1);
	CHECK_EQ(report_count, 1);
}

TEST(every_loglevel)
{
	static const struct { const char *word; enum log_level level; } levels[] = {
		{ "loglevel=error", LOG_ERROR }, { "loglevel=warn", LOG_WARN },
		{ "loglevel=info", LOG_INFO }, { "loglevel=debug", LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		CHECK_EQ(parse(levels[i].word), 0);
		CHECK_EQ(opts.loglevel, levels[i].level);
	}
}

TEST(every_exit_method)
{
	static const struct { const char *word; enum exit_method method; } methods[] = {
		{ "exit=qemu", EXIT_QEMU }, { "exit=bochs", EXIT_BOCHS },
		{ "exit=acpi", EXIT_ACPI }, { "exit=halt", EXIT_HALT },
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		CHECK_EQ(parse(methods[i].word), 0);
		CHECK_EQ(opts.exit_method, methods[i].method);
	}
}

TEST(flags_and_test_name)
{
	CHECK_EQ(parse("hwcheck"), 0);
	CHECK(opts.hwcheck);
	CHECK(!opts.acpidump);
	CHECK_EQ(parse("acpidump"), 0);
	CHECK(opts.acpidump);
	CHECK(!opts.hwcheck);
	CHECK_EQ(parse("test=ring0-gp"), 0);
	CHECK_STR_EQ(opts.test, "ring0-gp");
}

TEST(several_options_and_extra_spaces)
{
	CHECK_EQ(parse("  exit=qemu   loglevel=debug hwcheck acpidump test=extable  "), 0);
	CHECK_EQ(opts.exit_method, EXIT_QEMU);
	CHECK_EQ(opts.loglevel, LOG_DEBUG);
	CHECK(opts.hwcheck);
	CHECK(opts.acpidump);
	CHECK_STR_EQ(opts.test, "extable");
	CHECK_EQ(report_count, 0);
}

TEST(later_option_wins)
{
	CHECK_EQ(parse("exit=qemu exit=bochs loglevel=debug loglevel=warn"), 0);
	CHECK_EQ(opts.exit_method, EXIT_BOCHS);
	CHECK_EQ(opts.loglevel, LOG_WARN);
}

TEST(unknown_options_are_reported_with_the_word)
{
	CHECK_EQ(parse("bogus=1"), 1);
	CHECK_STR_EQ(reports, "unknown option: bogus=1\n");

	CHECK_EQ(parse("exit=qemu nosuchflag loglevel=debug x"), 2);
	CHECK_STR_EQ(reports, "unknown option: nosuchflag\nunknown option: x\n");
	/* The good options around them still count. */
	CHECK_EQ(opts.exit_method, EXIT_QEMU);
	CHECK_EQ(opts.loglevel, LOG_DEBUG);

	/* Near misses are not guessed at. */
	CHECK_EQ(parse("Exit=qemu loglevel"), 2);
	CHECK_STR_EQ(reports, "unknown option: Exit=qemu\nunknown option: loglevel\n");
}

TEST(flags_with_values_are_refused)
{
	CHECK_EQ(parse("hwcheck=1 acpidump=yes"), 2);
	CHECK_STR_EQ(reports, "unknown option: hwcheck=1\nunknown option: acpidump=yes\n");
	CHECK(!opts.hwcheck);
	CHECK(!opts.acpidump);
}

TEST(bad_values_are_reported_with_the_word)
{
	CHECK_EQ(parse("exit=reboot"), 1);
	CHECK_STR_EQ(reports, "bad value in option: exit=reboot\n");
	CHECK_EQ(opts.exit_method, EXIT_HALT);

	CHECK_EQ(parse("loglevel=verbose"), 1);
	CHECK_STR_EQ(reports, "bad value in option: loglevel=verbose\n");
	CHECK_EQ(opts.loglevel, LOG_INFO);

	CHECK_EQ(parse("loglevel= exit="), 2);
	CHECK_STR_EQ(reports, "bad value in option: loglevel=\nbad value in option: exit=\n");

	/* Longer than any level name: must not overflow the parser's buffer. */
	CHECK_EQ(parse("loglevel=debugdebugdebug"), 1);
	CHECK_EQ(parse("exit=qemuqemu"), 1);
}

TEST(test_names_must_fit)
{
	char cmdline[64];

	CHECK_EQ(parse("test="), 1);
	CHECK_STR_EQ(reports, "unknown option: test=\n");

	/* 31 characters fit in test[32]; 32 do not. */
	snprintf(cmdline, sizeof(cmdline), "test=%031d", 0);
	CHECK_EQ(parse(cmdline), 0);
	CHECK_EQ(strlen(opts.test), 31);
	snprintf(cmdline, sizeof(cmdline), "test=%032d", 0);
	CHECK_EQ(parse(cmdline), 1);
	CHECK_STR_EQ(opts.test, "");
}
