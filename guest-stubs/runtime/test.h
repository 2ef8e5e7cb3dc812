/* SPDX-License-Identifier: MIT */
/*
 * Test reports in lines the emulator harness matches. With <vm> the VM's
 * name and <test> a name without spaces:
 *
 *   TEST <vm>: <test> START
 *   TEST <vm>: <test> check failed: <reason>          (each failed check)
 *   TEST <vm>: <test> PASS                           (exactly one verdict
 *   TEST <vm>: <test> FAIL: <first reason> (<n> checks failed)   per test)
 *   TEST <vm>: done, <n> passed, <n> failed           (test_finish)
 *   TEST <vm>: <free text>                            (test_log)
 *
 * The hypervisor prefixes every console line with the VM's tag, so the
 * harness should match "TEST <vm>: " anywhere in a line.
 */
#ifndef RUNTIME_TEST_H
#define RUNTIME_TEST_H

#include <hv/types.h>

/* Start a test; ends the previous one if it is still open. */
void test_begin(const char *name);

/* Record a check; on failure print the reason. Returns cond. */
bool test_check(bool cond, const char *fmt, ...) __printf(2, 3);

/* Print the verdict of the current test. */
void test_end(void);

/* A "TEST <vm>: ..." line, for progress and for announcing misbehaviour. */
void test_log(const char *fmt, ...) __printf(1, 2);

/* Tests finished so far. */
unsigned int test_passed_count(void);
unsigned int test_failed_count(void);

/* End any open test, print the summary and stop the VM: exit code 0 if
 * every test passed, RT_EXIT_TEST_FAILED otherwise. */
__noreturn void test_finish(void);

#endif /* RUNTIME_TEST_H */
