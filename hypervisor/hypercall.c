// SPDX-License-Identifier: MIT
/*
 * Hypercalls (include/abi/hypercall.h). One table indexed by number; every
 * handler validates its arguments and touches guest memory only through
 * vm_copy_from_guest/vm_copy_to_guest, which translate through the VM's own
 * EPT/NPT. A failed call has no effect.
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <hv/channel.h>
#include <hv/console.h>
#include <hv/pci_irq.h>
#include <hv/string.h>
#include <hv/time.h>
#include <hv/vm.h>

struct hc_args {
	uint64_t a1, a2, a3, a4, a5;
};

typedef int64_t (*hc_handler_t)(struct vcpu *v, const struct hc_args *a, enum exit_action *next);

/*
 * Console output is tagged with the VM's name. Control characters other
 * than newline and tab are shown as '?': a VM must not be able to drive the
 * operator's terminal with escape sequences.
 */
static int64_t hc_console_write(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	char buf[HC_CONSOLE_MAX + 1];
	uint64_t len = a->a2;

	(void)next;
	if (len > HC_CONSOLE_MAX)
		return -HV_EINVAL;
	if (vm_copy_from_guest(v->vm, buf, a->a1, len))
		return -HV_EFAULT;

	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n') {
			unsigned char c = (unsigned char)buf[i];
			if ((c < 0x20 && c != '\t') || c >= 0x7f)
				buf[i] = '?';
			continue;
		}
		if (i > start || (i < len && buf[i] == '\n'))
			log_msg(LOG_INFO, v->vm->cfg.name, "%.*s", (int)(i - start), buf + start);
		start = i + 1;
	}
	return (int64_t)len;
}

static int64_t hc_yield(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)v, (void)a;
	*next = EXIT_RESCHEDULE;
	return 0;
}

static int64_t hc_block(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)a;
	if (virq_highest(v) < 0) {
		v->state = VCPU_BLOCKED;
		*next = EXIT_RESCHEDULE;
	}
	return 0;
}

static int64_t hc_timer_set(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)next;
	if (a->a1 == 0) {
		v->timer_deadline = 0;
		return 0;
	}
	if (a->a2 < 32 || a->a2 > 255)
		return -HV_EINVAL;
	/* Deadlines far beyond any uptime are clamped rather than overflowing. */
	uint64_t ns = MIN(a->a1, 1ULL << 62);
	v->timer_vector = (uint8_t)a->a2;
	v->timer_deadline = v->vm->start_tsc + time_ns_to_tsc(ns);
	if (!v->timer_deadline)
		v->timer_deadline = 1;
	return 0;
}

static int64_t hc_time_read(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)a, (void)next;
	return (int64_t)vm_time_ns(v->vm);
}

static int64_t hc_vm_info(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	const struct vm *vm = v->vm;
	struct uhv_vm_info info = {
		.vm_id = vm->id,
		.role = vm->cfg.role,
		.memory_size = vm->cfg.memory_size,
		.restart_count = vm->restart_count,
		.vcpu_count = 1,
	};
	size_t len = MIN(a->a2, sizeof(info));

	(void)next;
	memcpy(info.name, vm->cfg.name, sizeof(info.name));
	if (vm_copy_to_guest(v->vm, a->a1, &info, len))
		return -HV_EFAULT;
	return (int64_t)len;
}

static int64_t hc_vm_stats(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	const struct vm *vm = v->vm;
	struct uhv_vm_stats stats = {
		.time_ns = vm_time_ns(vm),
		.exits = v->exits,
		.exits_hypercall = v->exit_kind_count[VCPU_EXIT_HYPERCALL],
		.exits_interrupt = v->exit_kind_count[VCPU_EXIT_INTERRUPT],
		.exits_hlt = v->exit_kind_count[VCPU_EXIT_HLT],
		.exits_memory = v->exit_kind_count[VCPU_EXIT_MEMORY],
		.notify_sent = vm->notify_sent,
		.notify_received = vm->notify_received,
		.virqs_delivered = v->virqs_delivered,
	};
	size_t len = MIN(a->a2, sizeof(stats));

	(void)next;
	if (vm_copy_to_guest(v->vm, a->a1, &stats, len))
		return -HV_EFAULT;
	return (int64_t)len;
}

static int64_t hc_stop_self(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	vm_stop(v->vm, (int)a->a1);
	*next = EXIT_STOP;
	return 0;
}

static int64_t hc_irq_ack(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)next;
	return pci_irq_ack(v->vm, a->a1);
}

static int64_t hc_msi_setup(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)next;
	return pci_irq_msi_setup(v->vm, a->a1, a->a2, a->a3);
}

static int64_t hc_channel_notify(struct vcpu *v, const struct hc_args *a, enum exit_action *next)
{
	(void)next;
	return channel_notify(v, a->a1);
}

static const struct {
	hc_handler_t fn;
	const char *name;
} hypercalls[HC_COUNT] = {
	[HC_CONSOLE_WRITE] = { hc_console_write, "console_write" },
	[HC_YIELD] = { hc_yield, "yield" },
	[HC_BLOCK] = { hc_block, "block" },
	[HC_TIMER_SET] = { hc_timer_set, "timer_set" },
	[HC_TIME_READ] = { hc_time_read, "time_read" },
	[HC_VM_INFO] = { hc_vm_info, "vm_info" },
	[HC_STOP_SELF] = { hc_stop_self, "stop_self" },
	[HC_IRQ_ACK] = { hc_irq_ack, "irq_ack" },
	[HC_MSI_SETUP] = { hc_msi_setup, "msi_setup" },
	[HC_CHANNEL_NOTIFY] = { hc_channel_notify, "channel_notify" },
	[HC_VM_STATS] = { hc_vm_stats, "vm_stats" },
};

enum exit_action vmexit_hypercall(struct vcpu *v)
{
	uint64_t nr = v->regs.rax;
	struct hc_args a = { v->regs.rdi, v->regs.rsi, v->regs.rdx, v->regs.r10, v->regs.r8 };
	enum exit_action next = EXIT_ADVANCE;
	int64_t ret;

	v->exit_kind_count[VCPU_EXIT_HYPERCALL]++;
	if (nr < HC_COUNT && hypercalls[nr].fn)
		ret = hypercalls[nr].fn(v, &a, &next);
	else
		ret = -HV_ENOSYS;
	if (next != EXIT_STOP)
		v->regs.rax = (uint64_t)ret;
	return next;
}
