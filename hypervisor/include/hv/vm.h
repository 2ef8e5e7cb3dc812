/* SPDX-License-Identifier: MIT */
/*
 * Virtual machines: creation from a configuration, guest memory, lifecycle
 * (start, stop, fail, restart, destroy) and the containment rule: whatever a
 * VM does wrong ends that VM, never the hypervisor or another VM.
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <abi/policy.h>
#include <abi/vm_boot.h>
#include <arch/pagetable.h>
#include <hv/bootinfo.h>
#include <hv/vcpu.h>

#define VM_MAX		UHV_POLICY_MAX_VMS
#define VM_MAX_RESTARTS	8	/* a VM that keeps failing is left down after this many */

struct iommu_domain;

struct vm_config {
	char name[UHV_VM_NAME_MAX];
	enum uhv_vm_role role;
	uint64_t memory_size;		/* multiple of 2 MiB */
	const struct boot_module *image;
	uint32_t priority;		/* higher runs first */
	enum uhv_restart_policy restart;
};

enum vm_state {
	VM_EMPTY,		/* slot unused */
	VM_READY,		/* created: memory and tables exist, not started */
	VM_RUNNING,
	VM_STOPPED,		/* stopped itself (HC_STOP_SELF) */
	VM_FAILED,		/* contained after a fault; reason in fail_reason */
};

struct vm {
	uint32_t id;			/* 1-based */
	struct vm_config cfg;
	enum vm_state state;
	int exit_code;
	char fail_reason[128];

	paddr_t mem_hpa;		/* host-physical base of its memory (contiguous) */
	struct page_table gpt;		/* EPT or NPT: guest-physical -> host-physical */
	struct vcpu vcpu;		/* one vCPU per VM for now */
	uint32_t pci_config_address;	/* its CONFIG_ADDRESS (port 0xCF8), latched per VM */
	uint64_t ecam_accesses;		/* configuration accesses through the ECAM window, this start */
	uint64_t msix_accesses;		/* emulated accesses to its MSI-X table pages, this start */
	struct iommu_domain *dma_domain;	/* its devices' DMA space (IOVA = GPA), or NULL */
	uint64_t dma_faults;		/* DMA faults of its devices, over all its starts */

	/* A failure found in interrupt context (vm_request_fail), applied by the scheduler. */
	volatile bool fail_requested;
	char fail_request[128];

	uint32_t restart_count;
	uint64_t start_tsc;		/* the VM's clock starts here */

	/* Channels (channel.c): how many it is an end of, and HC_CHANNEL_NOTIFY counts, this start. */
	uint32_t channel_count;
	uint64_t notify_sent, notify_received;
	bool sched_boost;		/* a peer notified it: the next pick among its rank */
};

/* Create a VM: allocate and scrub its memory, build its EPT/NPT. */
int vm_create(const struct vm_config *cfg, struct vm **out);
/* Load the pristine image, build the boot state, create the vCPU, mark it runnable. */
int vm_start(struct vm *vm);
/* The VM asked to stop (HC_STOP_SELF). */
void vm_stop(struct vm *vm, int exit_code);
/* The VM misbehaved: contain it, say why (one log line naming the VM). */
void vm_fail(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/*
 * From interrupt context (a DMA fault of one of its devices): mark a
 * running vm to be failed with this reason. Only records it: the vCPU may
 * be inside the backend's run loop right now. The first request of a
 * start wins; vm_start() forgets any left over.
 */
void vm_request_fail(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/*
 * Outside interrupt context, with no vCPU running: if a failure was
 * requested for vm while it ran, fail it now (vm_fail). True if it did.
 */
bool vm_apply_requested_fail(struct vm *vm);
/* Apply the restart policy to a stopped or failed VM; true if it runs again. */
bool vm_maybe_restart(struct vm *vm);
/* Free everything the VM has; its memory is scrubbed first. */
void vm_destroy(struct vm *vm);

struct vm *vm_at(unsigned int index);	/* NULL for an empty slot */
struct vm *vm_by_id(uint32_t id);	/* NULL for an id with no VM */

struct policy;
/*
 * Create and start every VM of a validated policy, in policy order. Returns
 * 0, or the first error (already logged; VMs created so far are destroyed).
 */
int vm_start_all(const struct policy *pol, const struct boot_info *bi);
void vm_print_summary(const struct vm *vm);

/*
 * Copy between hypervisor and guest memory through the VM's EPT/NPT: every
 * page of [gpa, gpa + len) must be mapped to RAM with the needed access.
 * Returns 0 or -HV_EFAULT (nothing is copied to the guest on failure).
 */
int vm_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, size_t len);
int vm_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, size_t len);

/* Nanoseconds on the VM's clock (since its last start). */
uint64_t vm_time_ns(const struct vm *vm);

#endif /* HV_VM_H */
