// SPDX-License-Identifier: MIT
/*
 * VM lifecycle and guest memory. Vendor-neutral: the backend supplies the
 * EPT/NPT entry format and the vCPU mechanics through struct vcpu_backend.
 */
#include <abi/errno.h>
#include <arch/guest_boot.h>
#include <hv/channel.h>
#include <hv/console.h>
#include <hv/elf_image.h>
#include <hv/format.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/pci_vm.h>
#include <hv/policy.h>
#include <hv/string.h>
#include <hv/time.h>
#include <hv/vm.h>

static struct vm vms[VM_MAX];

/* EPT/NPT table pages come from the frame allocator like everything else. */
static void *gpt_alloc(paddr_t *pa)
{
	paddr_t frame = frame_alloc();

	if (!frame)
		return NULL;
	*pa = frame;
	return memset(phys_to_virt(frame), 0, FRAME_SIZE);
}

static void gpt_free(paddr_t pa)
{
	BUG_ON(frame_free(pa));
}

static const struct pt_memory gpt_memory = {
	.alloc = gpt_alloc,
	.free = gpt_free,
	.to_virt = phys_to_virt,
};

struct vm *vm_at(unsigned int index)
{
	return index < VM_MAX && vms[index].state != VM_EMPTY ? &vms[index] : NULL;
}

struct vm *vm_by_id(uint32_t id)
{
	return id ? vm_at(id - 1) : NULL;
}

static void *vm_memory(const struct vm *vm)
{
	return phys_to_virt(vm->mem_hpa);
}

int vm_create(const struct vm_config *cfg, struct vm **out)
{
	const struct vcpu_backend *be = vcpu_backend();
	struct vm *vm = NULL;

	if (!be)
		return -HV_ENODEV;
	for (unsigned int i = 0; i < VM_MAX && !vm; i++)
		if (vms[i].state == VM_EMPTY)
			vm = &vms[i];
	if (!vm)
		return -HV_EBUSY;
	if (!cfg->memory_size || !IS_ALIGNED(cfg->memory_size, 2 * MiB))
		return -HV_EINVAL;

	memset(vm, 0, sizeof(*vm));
	vm->id = (uint32_t)(vm - vms) + 1;
	vm->cfg = *cfg;
	vm->vcpu.vm = vm;

	/* One contiguous, 2 MiB-aligned block: EPT/NPT can then use 2 MiB leaves. */
	uint64_t frames = cfg->memory_size / FRAME_SIZE;
	vm->mem_hpa = frame_alloc_contig(frames, (2 * MiB) / FRAME_SIZE);
	if (!vm->mem_hpa)
		return -HV_ENOMEM;
	memset(vm_memory(vm), 0, cfg->memory_size);

	int err = pt_create(&vm->gpt, be->gpa_format, &gpt_memory);
	if (!err)
		err = pt_map(&vm->gpt, 0, vm->mem_hpa, cfg->memory_size,
			     PT_WRITE | PT_EXEC | PT_USER, PT_SIZE_4K | PT_SIZE_2M);
	if (!err)
		err = pci_vm_map(vm);	/* its devices' BARs */
	if (err) {
		if (vm->gpt.root)
			pt_destroy(&vm->gpt);
		BUG_ON(frame_free_contig(vm->mem_hpa, frames));
		return err;
	}
	vm->state = VM_READY;
	*out = vm;
	return 0;
}

int vm_start(struct vm *vm)
{
	const struct boot_module *img = vm->cfg.image;
	uint64_t entry, image_end;
	int err;

	memset(&vm->vcpu.regs, 0, sizeof(vm->vcpu.regs));
	memset(vm->vcpu.virq_pending, 0, sizeof(vm->vcpu.virq_pending));
	vm->vcpu.timer_deadline = 0;
	vm->exit_code = 0;
	vm->fail_reason[0] = '\0';
	vm->fail_requested = false;	/* a late request from the previous start */

	err = elf_image_load(phys_to_virt(img->start), img->end - img->start,
			     vm_memory(vm), vm->cfg.memory_size, &entry, &image_end);
	if (err) {
		pr_err("vm '%s': image '%s' cannot be loaded (%d)", vm->cfg.name, img->cmdline, err);
		return err;
	}
	err = guest_boot_setup(vm, vm_memory(vm), entry, image_end);
	if (err)
		return err;
	vm->start_tsc = time_tsc();	/* before vcpu_create: the guest's TSC offset is -start_tsc */
	err = vcpu_backend()->vcpu_create(&vm->vcpu);
	if (err) {
		pr_err("vm '%s': cannot create its vCPU (%d)", vm->cfg.name, err);
		return err;
	}
	err = pci_vm_start(vm);
	if (err) {
		vcpu_backend()->vcpu_destroy(&vm->vcpu);
		return err;
	}
	vm->vcpu.state = VCPU_RUNNABLE;
	vm->state = VM_RUNNING;
	channel_vm_started(vm);	/* after VM_RUNNING: its peers may notify it from now on */
	pr_info("vm '%s': started (id %u, %s, %llu MiB at %#llx, entry %#llx%s)", vm->cfg.name,
		vm->id, vm->cfg.role == UHV_ROLE_IOVM ? "IOVM" : "guest",
		(unsigned long long)(vm->cfg.memory_size / MiB), (unsigned long long)vm->mem_hpa,
		(unsigned long long)entry, vm->restart_count ? ", restarted" : "");
	return 0;
}

static void vm_halt_vcpu(struct vm *vm)
{
	vm->vcpu.state = VCPU_STOPPED;
	vcpu_backend()->vcpu_destroy(&vm->vcpu);
	pci_vm_release(vm);	/* a stopped VM's devices must not go on with DMA */
}

void vm_stop(struct vm *vm, int exit_code)
{
	if (vm->state != VM_RUNNING)
		return;
	vm->exit_code = exit_code;
	vm->state = VM_STOPPED;
	vm_halt_vcpu(vm);
	channel_vm_stopped(vm);
	log_msg(exit_code ? LOG_WARN : LOG_INFO, "hv", "vm '%s': stopped itself with exit code %d",
		vm->cfg.name, exit_code);
}

void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->state != VM_RUNNING)
		return;
	va_start(ap, fmt);
	vformat(vm->fail_reason, sizeof(vm->fail_reason), fmt, ap);
	va_end(ap);
	vm->state = VM_FAILED;
	vm_halt_vcpu(vm);
	channel_vm_failed(vm);
	pr_err("vm '%s': contained: %s", vm->cfg.name, vm->fail_reason);
}

void vm_request_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->state != VM_RUNNING || vm->fail_requested)
		return;
	va_start(ap, fmt);
	vformat(vm->fail_request, sizeof(vm->fail_request), fmt, ap);
	va_end(ap);
	/* The reason is complete before the flag the scheduler tests. */
	__asm__ volatile("" ::: "memory");
	vm->fail_requested = true;
}

bool vm_apply_requested_fail(struct vm *vm)
{
	if (!vm->fail_requested)
		return false;
	vm->fail_requested = false;
	if (vm->state != VM_RUNNING)
		return false;
	vm_fail(vm, "%s", vm->fail_request);
	return true;
}

bool vm_maybe_restart(struct vm *vm)
{
	/* A nonzero exit code is a failure too: the guest reported one itself. */
	bool failed = vm->state == VM_FAILED || vm->exit_code != 0;
	bool want = vm->cfg.restart == UHV_RESTART_ALWAYS ||
		    (vm->cfg.restart == UHV_RESTART_ON_FAILURE && failed);

	if (!want || (vm->state != VM_STOPPED && vm->state != VM_FAILED))
		return false;
	if (vm->restart_count >= VM_MAX_RESTARTS) {
		pr_err("vm '%s': not restarted: %u restarts already", vm->cfg.name, vm->restart_count);
		return false;
	}
	vm_print_summary(vm);
	/* Restart from the pristine image into scrubbed memory: nothing survives. */
	memset(vm_memory(vm), 0, vm->cfg.memory_size);
	vm->restart_count++;
	memset(vm->vcpu.exit_count, 0, sizeof(vm->vcpu.exit_count));
	vm->ecam_accesses = 0;
	vm->msix_accesses = 0;
	vm->vcpu.exits = 0;
	memset(vm->vcpu.exit_kind_count, 0, sizeof(vm->vcpu.exit_kind_count));
	vm->vcpu.virqs_delivered = 0;
	vm->notify_sent = vm->notify_received = 0;
	vm->sched_boost = false;
	pr_info("vm '%s': restarting (restart %u)", vm->cfg.name, vm->restart_count);
	if (vm_start(vm)) {
		vm->state = VM_FAILED;
		return false;
	}
	return true;
}

void vm_destroy(struct vm *vm)
{
	if (vm->state == VM_RUNNING)
		vm_halt_vcpu(vm);
	pci_vm_destroy(vm);		/* its devices detached, its DMA domain freed */
	memset(vm_memory(vm), 0, vm->cfg.memory_size);
	pt_destroy(&vm->gpt);		/* its RAM and its devices' BARs */
	BUG_ON(frame_free_contig(vm->mem_hpa, vm->cfg.memory_size / FRAME_SIZE));
	memset(vm, 0, sizeof(*vm));
}

void vm_print_summary(const struct vm *vm)
{
	const struct vcpu_backend *be = vcpu_backend();
	char line[256];
	size_t n = 0;

	static const char *const state_name[] = {
		[VM_EMPTY] = "empty", [VM_READY] = "ready", [VM_RUNNING] = "running",
		[VM_STOPPED] = "stopped", [VM_FAILED] = "failed",
	};
	if (vm->state == VM_FAILED)
		pr_info("vm '%s': %s (%s), %llu exits", vm->cfg.name, state_name[vm->state],
			vm->fail_reason, (unsigned long long)vm->vcpu.exits);
	else
		pr_info("vm '%s': %s, exit code %d, %llu exits", vm->cfg.name, state_name[vm->state],
			vm->exit_code, (unsigned long long)vm->vcpu.exits);
	if (vm->ecam_accesses)
		pr_info("vm '%s': %llu configuration access(es) through the ECAM window emulated", vm->cfg.name,
			(unsigned long long)vm->ecam_accesses);
	if (vm->channel_count)
		pr_info("vm '%s': channel notifications: sent %llu, received %llu", vm->cfg.name,
			(unsigned long long)vm->notify_sent, (unsigned long long)vm->notify_received);
	if (vm->msix_accesses)
		pr_info("vm '%s': %llu access(es) to MSI-X table pages emulated", vm->cfg.name,
			(unsigned long long)vm->msix_accesses);
	if (vm->dma_faults)
		pr_info("vm '%s': %llu DMA fault(s) of its devices blocked", vm->cfg.name,
			(unsigned long long)vm->dma_faults);

	for (unsigned int s = 0; s < VCPU_EXIT_SLOTS; s++) {
		uint64_t c = vm->vcpu.exit_count[s];

		if (!c)
			continue;
		const char *name = be->exit_slot_name(s);
		int w = format(line + n, sizeof(line) - n, "%s%s %llu", n ? ", " : "",
			       name ? name : "?", (unsigned long long)c);
		if ((size_t)w >= sizeof(line) - n) {
			pr_info("vm '%s': exits: %s", vm->cfg.name, line);
			n = 0;
			s--;	/* print this one on the next line */
			continue;
		}
		n += (size_t)w;
	}
	if (n)
		pr_info("vm '%s': exits: %s", vm->cfg.name, line);
}

/*
 * Translate one page of guest-physical space through the VM's own EPT/NPT.
 * Only RAM leaves count: an uncached (device) mapping is never a buffer.
 */
static void *guest_page(struct vm *vm, uint64_t gpa, bool write)
{
	paddr_t hpa;
	unsigned int attrs;

	/* The 4-level walk indexes bits 47:0 only: a larger address would alias a low one. */
	if (gpa >= pt_level_size(PT_LEVELS) * PT_ENTRIES)
		return NULL;
	if (pt_lookup(&vm->gpt, gpa, &hpa, &attrs, NULL))
		return NULL;
	if ((write && !(attrs & PT_WRITE)) || (attrs & PT_UNCACHED))
		return NULL;
	return phys_to_virt(hpa);
}

static int guest_range_ok(struct vm *vm, uint64_t gpa, size_t len, bool write)
{
	if (!len)
		return 0;
	if (range_wraps(gpa, len))
		return -HV_EFAULT;
	if (!len)
		return 0;
	/* By the last page rather than gpa + len, which is 0 for a buffer ending at 2^64. */
	uint64_t last = ALIGN_DOWN(gpa + len - 1, PAGE_SIZE);
	for (uint64_t p = ALIGN_DOWN(gpa, PAGE_SIZE);; p += PAGE_SIZE) {
		if (!guest_page(vm, p, write))
			return -HV_EFAULT;
		if (p == last)
			return 0;
	}
}

int vm_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, size_t len)
{
	if (guest_range_ok(vm, gpa, len, false))
		return -HV_EFAULT;
	for (size_t done = 0; done < len;) {
		size_t chunk = MIN(len - done, PAGE_SIZE - ((gpa + done) & (PAGE_SIZE - 1)));

		memcpy((char *)dst + done, guest_page(vm, gpa + done, false), chunk);
		done += chunk;
	}
	return 0;
}

int vm_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, size_t len)
{
	/* Check the whole range first so a failed copy writes nothing. */
	if (guest_range_ok(vm, gpa, len, true))
		return -HV_EFAULT;
	for (size_t done = 0; done < len;) {
		size_t chunk = MIN(len - done, PAGE_SIZE - ((gpa + done) & (PAGE_SIZE - 1)));

		memcpy(guest_page(vm, gpa + done, true), (const char *)src + done, chunk);
		done += chunk;
	}
	return 0;
}

uint64_t vm_time_ns(const struct vm *vm)
{
	return time_tsc_to_ns(time_tsc() - vm->start_tsc);
}

static void vm_destroy_all(void)
{
	for (unsigned int k = 0; k < VM_MAX; k++)
		if (vm_at(k))
			vm_destroy(vm_at(k));
}

int vm_start_all(const struct policy *pol, const struct boot_info *bi)
{
	int err;

	for (uint32_t i = 0; i < pol->vm_count; i++) {
		const struct policy_vm *p = &pol->vms[i];
		struct vm_config cfg = {
			.role = p->role,
			.memory_size = p->memory_size,
			.image = &bi->modules[p->image_module],
			.priority = p->priority,
			.restart = p->restart,
		};
		struct vm *vm;

		memcpy(cfg.name, p->name, sizeof(cfg.name));
		err = vm_create(&cfg, &vm);
		/* Device ownership (pci_owner.c) and channels name VMs by policy id: slot order must match it. */
		BUG_ON(!err && vm->id != p->id);
		if (err) {
			pr_err("vm '%s': cannot be created (%d)", p->name, err);
			vm_destroy_all();
			return err;
		}
	}
	/* Every VM exists and none runs: channels are mapped into both ends now, once (channel.c). */
	err = channel_setup_all(pol);
	if (err) {
		vm_destroy_all();	/* the boot ends here: the channels' frames are not worth freeing */
		return err;
	}
	for (uint32_t i = 0; i < pol->vm_count; i++) {
		err = vm_start(vm_by_id(pol->vms[i].id));
		if (err) {
			vm_destroy_all();
			return err;
		}
	}
	return 0;
}
