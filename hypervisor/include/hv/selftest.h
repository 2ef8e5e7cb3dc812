/* SPDX-License-Identifier: MIT */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include <hv/bootinfo.h>

/*
 * Built-in ring-0 self-tests, selected with "test=NAME" on the command line
 * and run at the end of boot. They exist so the emulator tests can prove
 * that failure paths work: a fault in the hypervisor must produce the full
 * report and a failure status. Returns -HV_ENOENT for an unknown name.
 */
int selftest_run(const char *name, const struct boot_info *bi);

/* Self-tests in files of their own, listed in selftest.c's table. */
int selftest_vtd_blocked_dma(void);

#endif /* HV_SELFTEST_H */
