/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's boot options, from the multiboot2 command line:
 *
 *   loglevel=error|warn|info|debug   console verbosity (default info)
 *   exit=qemu|bochs|acpi|halt        how the run ends (see hv/platform.h)
 *   hwcheck                          print the hardware report and verdict, then exit
 *   acpidump                         hex-dump every ACPI table to the console
 *   test=NAME                        run a built-in ring-0 self-test (tests/ only)
 *
 * Unknown options are reported, not ignored silently.
 */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <hv/console.h>
#include <hv/platform.h>

struct hv_options {
	enum log_level loglevel;
	enum exit_method exit_method;
	bool hwcheck;
	bool acpidump;
	bool iommu_noqi;	/* iommu=noqi: register-based invalidation even where queued invalidation exists */
	char test[32];
};

/*
 * Parse cmdline into opts (defaults first). Returns the number of options
 * that could not be understood; each one is described through report().
 */
int cmdline_parse(const char *cmdline, struct hv_options *opts,
		  void (*report)(const char *what, const char *word, size_t len));

#endif /* HV_CMDLINE_H */
