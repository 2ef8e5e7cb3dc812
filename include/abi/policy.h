/* SPDX-License-Identifier: MIT */
/*
 * The policy: which VMs the hypervisor starts and what each may have.
 *
 * A binary boot module (GRUB "module2 /boot/policy.bin policy"), compiled
 * from a readable text file by boot/mkpolicy.py, so the VM layout can change
 * without rebuilding the hypervisor and ring 0 only checks fixed-size
 * records. The hypervisor validates the whole policy before it starts
 * anything; any error names the problem and nothing starts.
 *
 * Layout: struct uhv_policy_header, then header.record_count records, each
 * starting with struct uhv_policy_record and padded to a multiple of 8.
 * New kinds of records are new record types, not a new revision: a
 * hypervisor that does not know a type refuses the policy by that type.
 * All integers little-endian. Reserved fields and unknown flag bits must be
 * zero; an unknown record type is an error (a newer policy needs a newer
 * hypervisor).
 */
#ifndef ABI_POLICY_H
#define ABI_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <abi/channel.h>
#include <abi/vm_boot.h>

#define UHV_POLICY_MAGIC	"UHVPOLCY"	/* 8 bytes, no NUL */
#define UHV_POLICY_REVISION	1
#define UHV_POLICY_MAX_SIZE	(64 * 1024)
#define UHV_POLICY_MAX_VMS	16
#define UHV_POLICY_MAX_DEVICES	32
#define UHV_POLICY_DEVICE_NAME_MAX	16
#define UHV_POLICY_IMAGE_MAX	32
#define UHV_POLICY_MAX_CHANNELS	UHV_CHANNELS_MAX	/* 16 */

/*
 * VM memory comes in 2 MiB units: the hypervisor maps it with 2 MiB EPT/NPT
 * pages, and the guest's boot page tables identity-map it with 2 MiB pages.
 * Those boot tables have a single page directory (vm_boot.h: PML4, PDPT,
 * PD), which maps 512 x 2 MiB: hence at most 1 GiB per VM.
 */
#define UHV_POLICY_MEMORY_UNIT	(2ULL << 20)
#define UHV_POLICY_MEMORY_MAX	(1ULL << 30)
#define UHV_POLICY_PRIORITY_MAX	255

struct uhv_policy_header {
	char magic[8];
	uint32_t revision;		/* UHV_POLICY_REVISION */
	uint32_t total_size;		/* bytes, header included */
	uint32_t checksum;		/* CRC-32 (IEEE) of total_size bytes with this field 0 */
	uint32_t record_count;
	uint64_t reserved;
};

enum uhv_policy_record_type {
	UHV_POLICY_RECORD_VM = 1,
	UHV_POLICY_RECORD_DEVICE = 2,
	UHV_POLICY_RECORD_CHANNEL = 3,
};

struct uhv_policy_record {
	uint16_t type;			/* enum uhv_policy_record_type */
	uint16_t reserved;
	uint32_t length;		/* bytes, this header included; multiple of 8 */
};

enum uhv_restart_policy {
	UHV_RESTART_NEVER = 0,		/* a stopped or failed VM stays down */
	UHV_RESTART_ON_FAILURE = 1,	/* restart from the pristine image after a fault */
	UHV_RESTART_ALWAYS = 2,		/* ...and after a clean stop too */
};

struct uhv_policy_vm {
	struct uhv_policy_record record;	/* type UHV_POLICY_RECORD_VM */
	char name[UHV_VM_NAME_MAX];		/* NUL-terminated, [a-z0-9-], unique */
	char image[UHV_POLICY_IMAGE_MAX];	/* boot module name of its ELF image */
	uint32_t role;				/* enum uhv_vm_role */
	uint32_t vcpus;				/* 1 for now */
	uint64_t memory_size;			/* bytes at guest-physical 0; multiple of 2 MiB */
	uint32_t priority;			/* 0-255; higher runs first (IOVMs before guests) */
	uint32_t restart;			/* enum uhv_restart_policy */
	uint32_t flags;				/* none defined: must be 0 */
	uint32_t reserved[3];
};

/*
 * A device record gives PCI functions to an IOVM. Exactly one way of
 * matching functions; the fields of the other ways must be zero. A record
 * must match at least one function present at boot, and may match several
 * (by id or class): each goes to the owner.
 */
enum uhv_device_match {
	UHV_DEVICE_MATCH_BDF = 1,	/* segment, bus, devfn */
	UHV_DEVICE_MATCH_ID = 2,	/* vendor_id, device_id */
	UHV_DEVICE_MATCH_CLASS = 3,	/* (class << 16 | subclass << 8 | prog-if) & class_mask */
};

/* Assign even without an IOMMU: the owner's device can then DMA into any memory. */
#define UHV_DEVICE_UNPROTECTED_DMA	(1U << 0)
/* Accept a function whose DMA the IOMMU cannot tell apart from its neighbours' (behind a bridge). */
#define UHV_DEVICE_SHARED_REQUESTER_ID_OK (1U << 1)
#define UHV_DEVICE_FLAGS		(UHV_DEVICE_UNPROTECTED_DMA | UHV_DEVICE_SHARED_REQUESTER_ID_OK)

#define UHV_DEVICE_CLASS_MASK		0xffffffU	/* class codes are 24 bits */

struct uhv_policy_device {
	struct uhv_policy_record record;	/* type UHV_POLICY_RECORD_DEVICE */
	char name[UHV_POLICY_DEVICE_NAME_MAX];	/* NUL-terminated, [a-z0-9-], unique among devices */
	char owner[UHV_VM_NAME_MAX];		/* the owning VM's name: an IOVM of this policy */
	uint32_t match;				/* enum uhv_device_match */
	uint32_t flags;				/* UHV_DEVICE_* */
	uint16_t segment;			/* UHV_DEVICE_MATCH_BDF */
	uint8_t bus;
	uint8_t devfn;				/* device << 3 | function */
	uint16_t vendor_id;			/* UHV_DEVICE_MATCH_ID */
	uint16_t device_id;
	uint32_t class_code;			/* UHV_DEVICE_MATCH_CLASS: 24 bits */
	uint32_t class_mask;			/* nonzero, 24 bits, covering every bit of class_code */
	uint32_t reserved[2];
};

/*
 * A channel between two VMs (abi/channel.h, docs/channels.md): the
 * frontend (any VM) and the backend (an IOVM) must be two different VMs of
 * this policy; at most UHV_POLICY_MAX_CHANNELS channels, at most
 * UHV_VM_CHANNELS_MAX per VM. Its handle is its position among the channel
 * records (0-based).
 */
struct uhv_policy_channel {
	struct uhv_policy_record record;	/* type UHV_POLICY_RECORD_CHANNEL */
	char name[UHV_CHANNEL_NAME_MAX];	/* NUL-terminated, [a-z0-9-], unique among channels */
	char frontend[UHV_VM_NAME_MAX];		/* a VM's name */
	char backend[UHV_VM_NAME_MAX];		/* an IOVM's name */
	uint32_t kind;				/* enum uhv_channel_kind */
	uint32_t flags;				/* none defined: must be 0 */
	uint64_t size;				/* region bytes: multiple of 4 KiB, 4 KiB .. 4 MiB */
	struct uhv_net_config net;		/* kind UHV_CHANNEL_NET; reserved fields 0 */
	uint32_t reserved;
};

_Static_assert(sizeof(struct uhv_policy_header) == 32, "policy header layout is ABI");
_Static_assert(sizeof(struct uhv_policy_record) == 8, "policy record header layout is ABI");
_Static_assert(sizeof(struct uhv_policy_vm) == 96, "policy VM record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_header, checksum) == 16, "boot/mkpolicy.py zeroes it here");
_Static_assert(offsetof(struct uhv_policy_vm, name) == 8, "policy VM record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_vm, image) == 24, "policy VM record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_vm, role) == 56, "policy VM record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_vm, memory_size) == 64, "policy VM record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_vm, flags) == 80, "policy VM record layout is ABI");
_Static_assert(sizeof(struct uhv_policy_device) == 72, "policy device record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_device, owner) == 24, "policy device record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_device, match) == 40, "policy device record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_device, segment) == 48, "policy device record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_device, vendor_id) == 52, "policy device record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_device, class_code) == 56, "policy device record layout is ABI");
_Static_assert(sizeof(struct uhv_policy_channel) == 96, "policy channel record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_channel, frontend) == 24, "policy channel record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_channel, backend) == 40, "policy channel record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_channel, kind) == 56, "policy channel record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_channel, size) == 64, "policy channel record layout is ABI");
_Static_assert(offsetof(struct uhv_policy_channel, net) == 72, "policy channel record layout is ABI");

#endif /* ABI_POLICY_H */
