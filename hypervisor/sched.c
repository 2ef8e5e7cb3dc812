// SPDX-License-Identifier: MIT
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/platform.h>
#include <hv/sched.h>
#include <hv/time.h>
#include <hv/vm.h>

/*
 * IOVMs always run before guests (guests wait on them, never the other way
 * round); within a role the policy's priority decides.
 */
static unsigned int sched_rank(const struct vm *vm)
{
	return (vm->cfg.role == UHV_ROLE_IOVM ? 256 : 0) + vm->cfg.priority;
}

/* Within a rank, a VM a channel peer just notified goes first (it is what the notifier waits for). */
static unsigned int sched_key(const struct vm *vm)
{
	return sched_rank(vm) * 2 + (vm->sched_boost ? 1 : 0);
}

static uint64_t idle_halts;	/* times the CPU halted with nothing to run */

/* Print every VM's summary and end the run; success iff all stopped cleanly. */
static __noreturn void sched_finish(void)
{
	bool success = true;
	unsigned int n = 0;

	pr_info("sched: no VM left running");
	for (unsigned int i = 0; i < VM_MAX; i++) {
		struct vm *vm = vm_at(i);

		if (!vm)
			continue;
		vm_print_summary(vm);
		success &= vm->state == VM_STOPPED && vm->exit_code == 0;
		n++;
	}
	pr_info("sched: idle: halted %llu times", (unsigned long long)idle_halts);
	pr_info("sched: %u VM(s): %s", n, success ? "all stopped cleanly" : "some failed or stopped with errors");
	platform_exit(success);
}

__noreturn void sched_run(void)
{
	const struct vcpu_backend *be = vcpu_backend();
	unsigned int next_index = 0;
	bool warned_stuck = false;

	for (;;) {
		uint64_t now = time_tsc();
		uint64_t next_deadline = UINT64_MAX;
		struct vcpu *pick = NULL;
		unsigned int pick_index = 0;
		bool alive = false;

		for (unsigned int n = 0; n < VM_MAX; n++) {
			unsigned int i = (next_index + n) % VM_MAX;
			struct vm *vm = vm_at(i);

			if (!vm)
				continue;
			/* A DMA fault while it was blocked or another VM ran. */
			if (vm_apply_requested_fail(vm))
				vm_maybe_restart(vm);
			if (vm->state != VM_RUNNING)
				continue;
			alive = true;
			struct vcpu *v = &vm->vcpu;
			vcpu_check_timer(v, now);
			if (v->timer_deadline)
				next_deadline = MIN(next_deadline, v->timer_deadline);
			if (v->state == VCPU_RUNNABLE && (!pick || sched_key(vm) > sched_key(pick->vm))) {
				pick = v;
				pick_index = i;
			}
		}
		if (!alive)
			sched_finish();

		if (!pick) {
			/* Idle: halt until the earliest virtual timer (or any interrupt). */
			if (next_deadline != UINT64_MAX)
				timer_arm_deadline(next_deadline);
			else if (!warned_stuck) {
				pr_warn("sched: every VM is blocked and none has a timer armed");
				warned_stuck = true;
			}
			idle_halts++;
			irq_enable_and_halt();
			irq_disable();
			continue;
		}

		next_index = pick_index + 1;	/* round robin among equal priorities */
		pick->vm->sched_boost = false;
		timer_arm_deadline(MIN(now + time_ns_to_tsc(SCHED_SLICE_NS), next_deadline));
		be->vcpu_run(pick);

		struct vm *vm = pick->vm;
		/* A DMA fault of its devices while it ran: the interrupt that reported it ended the run. */
		vm_apply_requested_fail(vm);
		if (vm->state == VM_STOPPED || vm->state == VM_FAILED)
			vm_maybe_restart(vm);
	}
}
