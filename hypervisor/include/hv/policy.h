/* SPDX-License-Identifier: MIT */
/*
 * The VM policy as the hypervisor keeps it: which VMs to start, what each
 * may have. Read from the binary boot module named "policy" (format:
 * include/abi/policy.h, compiler: boot/mkpolicy.py, guide: docs/policy.md).
 *
 * Three pure steps, host-tested (the first two fuzzed too):
 *   policy_parse()            the blob itself: structure, checksum, every field;
 *   policy_check_resources()  the policy against this boot: images present
 *                             and loadable, memory available;
 *   policy_check_devices()    device records against the PCI functions found:
 *                             which function goes to which IOVM.
 * Each stops at the first problem and describes it in one line, naming the
 * VM: "vm 'net': memory 3 MiB is not a multiple of 2 MiB". Nothing starts
 * unless both steps pass.
 */
#ifndef HV_POLICY_H
#define HV_POLICY_H

#include <abi/policy.h>
#include <hv/bootinfo.h>
#include <hv/pci.h>
#include <hv/types.h>

/* Room for any message policy_parse() or policy_check_resources() writes. */
#define POLICY_WHY_MAX	256

struct policy_vm {
	uint32_t id;				/* 1-based position in the policy: stable across restarts */
	char name[UHV_VM_NAME_MAX];		/* [a-z0-9-]+, unique */
	char image[UHV_POLICY_IMAGE_MAX];	/* boot module name (its command line) */
	enum uhv_vm_role role;
	uint32_t vcpus;				/* always 1 for now */
	uint64_t memory_size;			/* bytes at guest-physical 0, 2 MiB multiple */
	uint32_t priority;			/* 0-255, higher runs first */
	enum uhv_restart_policy restart;

	/* Filled in by policy_check_resources(): */
	uint32_t image_module;			/* index into boot_info.modules */
	uint64_t image_entry;			/* guest-physical entry point */
	uint64_t image_end;			/* first guest-physical byte after the image */
};

struct policy_device {
	char name[UHV_POLICY_DEVICE_NAME_MAX];	/* [a-z0-9-]+, unique among devices */
	uint32_t owner;				/* the owning IOVM's id (struct policy_vm.id) */
	enum uhv_device_match match;
	pci_sbdf_t sbdf;			/* UHV_DEVICE_MATCH_BDF */
	uint16_t vendor_id, device_id;		/* UHV_DEVICE_MATCH_ID */
	uint32_t class_code, class_mask;	/* UHV_DEVICE_MATCH_CLASS */
	uint32_t flags;				/* UHV_DEVICE_* */
};

struct policy_channel {
	char name[UHV_CHANNEL_NAME_MAX];	/* [a-z0-9-]+, unique among channels */
	uint32_t frontend, backend;		/* VM ids (struct policy_vm.id): different; backend an IOVM */
	enum uhv_channel_kind kind;
	uint64_t size;				/* region bytes: 4 KiB multiple, 4 KiB .. 4 MiB */
	struct uhv_net_config net;		/* UHV_CHANNEL_NET: unicast unique MAC, prefix 1..30, same subnet */
};

/* Room for every function the device records may match. */
#define POLICY_MAX_ASSIGNMENTS	64

/* One PCI function given to a VM, found by policy_check_devices(). */
struct policy_assignment {
	pci_sbdf_t sbdf;
	uint32_t owner;				/* VM id */
	uint32_t device;			/* index into policy.devices: the record that matched */
};

struct policy {
	uint32_t vm_count;			/* 1 to UHV_POLICY_MAX_VMS */
	uint64_t total_memory;			/* sum of memory_size */
	bool resources_checked;			/* policy_check_resources() passed */
	struct policy_vm vms[UHV_POLICY_MAX_VMS];

	uint32_t device_count;			/* 0 to UHV_POLICY_MAX_DEVICES */
	struct policy_device devices[UHV_POLICY_MAX_DEVICES];

	uint32_t channel_count;			/* 0 to UHV_POLICY_MAX_CHANNELS; index = handle */
	uint64_t channel_memory;		/* regions and state pages of every channel */
	struct policy_channel channels[UHV_POLICY_MAX_CHANNELS];

	/* Filled in by policy_check_devices(): */
	bool devices_checked;
	bool unprotected_dma;			/* assigned without an IOMMU (every record allowed it) */
	uint32_t assignment_count;
	struct policy_assignment assignments[POLICY_MAX_ASSIGNMENTS];
};

/*
 * Validate the policy blob[0, size) (size: the boot module's size) and
 * translate it into *out. Checks magic, revision, total_size == size,
 * CRC-32, every record's bounds, type and length, every field, unique
 * names, 1 to UHV_POLICY_MAX_VMS VMs; reserved fields and flags must be 0;
 * channels: endpoints are two different VMs of the policy, the backend an
 * IOVM, region size a 4 KiB multiple in 4 KiB..4 MiB, at most
 * UHV_POLICY_MAX_CHANNELS channels and UHV_VM_CHANNELS_MAX per VM, a known
 * kind; net: unicast nonzero MAC unique among channels, prefix 1..30, ip
 * and gateway different and in the same subnet.
 *
 * Returns 0, or a negative HV_E* code with the reason in why[why_size]
 * (one line, no "policy:" prefix; why may be NULL) and *out zeroed:
 * -HV_EBADMSG malformed structure or checksum, -HV_ENOTSUP newer revision
 * or record type or unsupported value, -HV_EINVAL bad field, -HV_ERANGE
 * value out of range, -HV_EEXIST duplicate name or MAC, -HV_E2BIG too big,
 * -HV_ENOENT a channel end that is not a VM, -HV_EPERM a backend that is
 * not an IOVM.
 */
int policy_parse(const void *blob, size_t size, struct policy *out, char *why, size_t why_size);

/*
 * Check a parsed policy against this boot: each VM's image is exactly one
 * boot module whose command line is the image name, and a valid VM image
 * that fits in that VM's memory (hv/elf_image.h); the VMs' memory together
 * fits in free_bytes of free RAM. map(pa, len) must make a module's bytes
 * readable (the direct map in ring 0, a test buffer on the host).
 *
 * Fills each VM's image_module, image_entry and image_end and sets
 * resources_checked. Returns 0, or a negative HV_E* code with the reason in
 * why[why_size]: -HV_ENOENT image missing, -HV_EEXIST image given twice,
 * the ELF check's code for a bad image, -HV_ENOMEM not enough memory.
 * Necessary, not sufficient: the allocator may still be too fragmented.
 */
int policy_check_resources(struct policy *pol, const struct boot_info *bi, uint64_t free_bytes,
			   const void *(*map)(paddr_t pa, size_t len), char *why, size_t why_size);

/*
 * Check the device records against the PCI functions found at boot,
 * devs[count] (pci_devices() in ring 0, a made-up bus on the host). Each
 * record must match at least one function; no function may be matched
 * twice; bridges are never assignable; a function on segment 0 only (VMs
 * reach configuration space through mechanism #1); a conventional PCI
 * function behind a bridge shares its requester id with its neighbours and
 * needs UHV_DEVICE_SHARED_REQUESTER_ID_OK, and functions sharing one must
 * go to the same VM; memory BARs must not overlap the owner's RAM (they
 * appear at guest-physical = host-physical) nor share a page with another
 * function's BAR, and I/O BARs must not cover ports 0xCF8-0xCFF. Without
 * an IOMMU every record needs UHV_DEVICE_UNPROTECTED_DMA.
 *
 * Fills assignments[], unprotected_dma and devices_checked. Returns 0, or
 * a negative HV_E* code with the reason in why[why_size]: -HV_ENODEV no
 * match, -HV_EEXIST matched twice, -HV_EPERM not assignable (bridge,
 * shared requester id, no IOMMU), -HV_ERANGE a BAR in the way,
 * -HV_E2BIG too many functions.
 */
int policy_check_devices(struct policy *pol, const struct pci_device *devs, size_t count,
			 bool iommu, char *why, size_t why_size);

/*
 * The bridge whose requester id f's DMA may carry instead of its own (a
 * conventional PCI function behind a PCIe-to-PCI bridge), or NULL: the
 * IOMMU must then translate the bridge's ids as f's owner's too.
 */
const struct pci_device *policy_requester_id_alias(const struct pci_device *f,
						   const struct pci_device *devs, size_t count);

/* "bdf 00:02.0", "id 8086:100e", "class 02.00.00/ffff00": the text format's match. */
const char *policy_device_match_str(const struct policy_device *d, char *buf, size_t size);

/* "net" (the text format's word), "?" for an unknown kind. */
const char *policy_channel_kind_name(enum uhv_channel_kind kind);

/* "guest", "iovm"; "never", "on-failure", "always" (the text format's words). */
const char *policy_role_name(enum uhv_vm_role role);
const char *policy_restart_name(enum uhv_restart_policy restart);

/*
 * Ring 0 only (hypervisor/policy_boot.c): find the boot module named
 * "policy", parse and check it, log the VM table. Returns 1 if a policy was
 * accepted, 0 if none was given, or a negative HV_E* code after logging
 * "policy: refused: <reason>".
 */
int policy_load(const struct boot_info *bi, uint64_t free_bytes);

/* The accepted policy, or NULL if none was given (or it was refused). */
const struct policy *policy_get(void);

#endif /* HV_POLICY_H */
