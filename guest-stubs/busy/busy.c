// SPDX-License-Identifier: MIT
/*
 * busy: a CPU hog for preemption tests. It counts in a loop that never
 * yields, blocks or enables interrupts, so only the hypervisor's scheduler
 * can take the CPU away from it. It stops itself after BUSY_REPORTS reports.
 *
 * Every BUSY_REPORT_EVERY iterations it prints
 *   TEST <vm>: progress <k>: <iterations> iterations, time <ms> ms, longest gap <us> us
 * where the longest gap is the largest step of the VM clock between two
 * samples taken every BUSY_SAMPLE_EVERY iterations: a large value means the
 * VM was preempted (or the clock jumped). After BUSY_REPORTS_FOR_PASS
 * reports with a clock that never went backwards it prints
 *   TEST <vm>: clock-monotonic PASS
 * and stops with 0; a clock going backwards prints a FAIL and stops with 1.
 * Two busy VMs prove preemption when their progress lines interleave.
 */
#include <runtime/runtime.h>

#define BUSY_SAMPLE_EVERY	(1ULL << 16)
#define BUSY_REPORT_EVERY	(1ULL << 20)
#define BUSY_REPORTS_FOR_PASS	24

int guest_main(const struct uhv_boot_info *boot)
{
	uint64_t start = time_ns(), last = start, longest_gap = 0;
	uint64_t reports = 0;

	(void)boot;
	test_log("busy loop starting: never yields, reports every %llu iterations",
		 (unsigned long long)BUSY_REPORT_EVERY);
	test_begin("clock-monotonic");
	for (uint64_t i = 1;; i++) {
		/* Keep the loop a real loop: the compiler may not fold the count. */
		__asm__ volatile("" : "+r"(i));
		if (i % BUSY_SAMPLE_EVERY)
			continue;

		uint64_t now = time_ns();
		if (!test_check(now >= last, "VM clock went backwards: %llu ns after %llu ns",
				(unsigned long long)now, (unsigned long long)last))
			test_finish();
		longest_gap = MAX(longest_gap, now - last);
		last = now;

		if (i % BUSY_REPORT_EVERY)
			continue;
		reports++;
		test_log("progress %llu: %llu iterations, time %llu ms, longest gap %llu us",
			 (unsigned long long)reports, (unsigned long long)i,
			 (unsigned long long)((now - start) / NSEC_PER_MSEC),
			 (unsigned long long)(longest_gap / NSEC_PER_USEC));
		longest_gap = 0;
		if (reports == BUSY_REPORTS_FOR_PASS) {
			test_check(now > start, "VM clock did not advance in %llu iterations",
				   (unsigned long long)i);
			test_end();
			test_finish();
		}
	}
}
