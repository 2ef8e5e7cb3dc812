// SPDX-License-Identifier: MIT
/* Test reports (test.h). */
#include "runtime.h"

#define REASON_MAX	160

static struct {
	const char *name;		/* NULL: no test open */
	unsigned int failed_checks;
	char first_reason[REASON_MAX];
	unsigned int passed, failed;
} t;

void test_begin(const char *name)
{
	if (t.name)
		test_end();
	t.name = name;
	t.failed_checks = 0;
	t.first_reason[0] = '\0';
	gprintf("TEST %s: %s START\n", rt_vm_name(), name);
}

bool test_check(bool cond, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;

	if (cond)
		return true;
	if (!t.name)
		test_begin("unnamed");
	va_start(ap, fmt);
	vformat(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (t.failed_checks++ == 0)
		memcpy(t.first_reason, reason, sizeof(reason));
	gprintf("TEST %s: %s check failed: %s\n", rt_vm_name(), t.name, reason);
	return false;
}

void test_end(void)
{
	if (!t.name)
		return;
	if (t.failed_checks) {
		t.failed++;
		gprintf("TEST %s: %s FAIL: %s (%u checks failed)\n", rt_vm_name(), t.name,
			t.first_reason, t.failed_checks);
	} else {
		t.passed++;
		gprintf("TEST %s: %s PASS\n", rt_vm_name(), t.name);
	}
	t.name = NULL;
}

void test_log(const char *fmt, ...)
{
	char text[REASON_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vformat(text, sizeof(text), fmt, ap);
	va_end(ap);
	gprintf("TEST %s: %s\n", rt_vm_name(), text);
}

unsigned int test_passed_count(void)
{
	return t.passed;
}

unsigned int test_failed_count(void)
{
	return t.failed;
}

void test_finish(void)
{
	test_end();
	gprintf("TEST %s: done, %u passed, %u failed\n", rt_vm_name(), t.passed, t.failed);
	console_flush();
	hc_stop_self(t.failed ? RT_EXIT_TEST_FAILED : RT_EXIT_OK);
}
