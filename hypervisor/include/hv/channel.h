/* SPDX-License-Identifier: MIT */
/*
 * Channels in ring 0 (include/abi/channel.h, docs/channels.md): the shared
 * memory between two VMs, its state page, the notifications. Mechanism
 * only: the hypervisor allocates and maps the pages once, publishes each
 * end's lifecycle in the state page and forwards notifications; it never
 * reads what the VMs put in the region.
 */
#ifndef HV_CHANNEL_H
#define HV_CHANNEL_H

#include <abi/channel.h>
#include <hv/types.h>
#include <hv/vcpu.h>

struct policy;
struct vm;

/*
 * After every VM of pol exists (vm_create) and before any starts: allocate
 * each channel's zeroed state page and region and map them into both ends'
 * EPT/NPT at the channel's slot (4 KiB pages, never executable; the state
 * page read-only). Returns 0, or -HV_ENOMEM / the page-table builder's
 * error (logged); channels set up so far stay (the caller gives up the boot).
 */
int channel_setup_all(const struct policy *pol);

/*
 * vm's channels for its boot information, in policy order: fills out[0..n)
 * (n <= max) and returns n. Vectors are UHV_CHANNEL_VECTOR_BASE + index.
 */
uint32_t channel_boot_info(const struct vm *vm, struct uhv_channel_info *out, uint32_t max);

/*
 * Lifecycle hooks (vm.c): publish vm's new state on the state page of each
 * of its channels, and raise the peer's vector so that a peer waiting for
 * a notification sees the change. started: epoch + 1, READY; stopped:
 * ABSENT; failed: FAILED.
 */
void channel_vm_started(struct vm *vm);
void channel_vm_stopped(struct vm *vm);
void channel_vm_failed(struct vm *vm);

/* HC_CHANNEL_NOTIFY from v (include/abi/hypercall.h): 0, -HV_ENOENT or -HV_EPIPE. */
int64_t channel_notify(struct vcpu *v, uint64_t handle);

/*
 * If gpa lies in one of vm's channel pages, describe it for a fault report
 * ("channel 'net-a' state page (read-only)") in buf and return true.
 */
bool channel_describe_gpa(const struct vm *vm, uint64_t gpa, char *buf, size_t size);

#endif /* HV_CHANNEL_H */
