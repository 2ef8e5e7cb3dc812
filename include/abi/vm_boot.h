/* SPDX-License-Identifier: MIT */
/*
 * The guest boot protocol: the state in which every VM (guest or IOVM)
 * starts, and the boot information it finds.
 *
 * CPU state at entry:
 *   64-bit long mode, CPL 0, paging on: the hypervisor has identity-mapped all
 *   of the VM's memory with 2 MiB pages (page tables at UHV_BOOT_PAGE_TABLES);
 *   CS = 0x08 (64-bit code), DS = ES = SS = 0x10, FS = GS = 0, GDT at
 *   UHV_BOOT_GDT; no IDT (the VM installs its own before enabling interrupts);
 *   RFLAGS = 0x2 (interrupts off); RIP = the image's ELF entry point;
 *   RSP = UHV_BOOT_STACK_TOP; RDI = UHV_BOOT_INFO (guest-physical, = virtual);
 *   all other general registers 0; EFER.LME|LMA|NXE, CR0.PE|PG|WP|NE, CR4.PAE.
 *
 * Guest-physical layout (everything below UHV_IMAGE_MIN is the hypervisor's
 * boot area inside the VM's memory; the VM may reuse it after boot):
 *   0x0000 - 0x0fff   not mapped in the VM's page tables (NULL faults)
 *   0x1000            struct uhv_boot_info
 *   0x2000            GDT
 *   0x3000 - 0x6fff   boot page tables (PML4, PDPT, PD, PT for the first 2 MiB)
 *   0x8000 - 0xffff   boot stack (grows down from UHV_BOOT_STACK_TOP)
 *   0x100000 -        the image's PT_LOAD segments at their physical addresses,
 *                     then free memory up to memory_size
 */
#ifndef ABI_VM_BOOT_H
#define ABI_VM_BOOT_H

#define UHV_BOOT_INFO		0x1000
#define UHV_BOOT_GDT		0x2000
#define UHV_BOOT_PAGE_TABLES	0x3000
#define UHV_BOOT_STACK_TOP	0x10000
#define UHV_IMAGE_MIN		0x100000
#define UHV_BOOT_CS		0x08
#define UHV_BOOT_DS		0x10

#define UHV_BOOT_MAGIC		0x6f6f6276687575ULL	/* "uuhvboo" */
#define UHV_VM_NAME_MAX		16

#include <abi/channel.h>

#ifndef __ASSEMBLER__
#include <stdint.h>

enum uhv_vm_role {
	UHV_ROLE_GUEST = 1,
	UHV_ROLE_IOVM = 2,
};

/* What HC_VM_INFO returns, and the start of struct uhv_boot_info. */
struct uhv_vm_info {
	uint32_t vm_id;			/* 1-based, stable across restarts */
	uint32_t role;			/* enum uhv_vm_role */
	char name[UHV_VM_NAME_MAX];	/* NUL-terminated */
	uint64_t memory_size;		/* bytes of RAM at guest-physical 0 */
	uint32_t restart_count;		/* 0 on the first start */
	uint32_t vcpu_count;
};

struct uhv_boot_info {
	uint64_t magic;			/* UHV_BOOT_MAGIC */
	uint32_t version;		/* UHV_ABI_VERSION */
	uint32_t size;			/* of this structure */
	struct uhv_vm_info vm;
	uint64_t image_end;		/* first guest-physical byte after the image */
	/*
	 * PCI segment 0's ECAM window (the machine's MCFG), emulated for every
	 * VM with the same view as ports 0xCF8/0xCFC; not mapped: a VM maps
	 * it in its own page tables (guest-physical = host-physical). 0: none.
	 */
	uint64_t ecam_base;		/* bus 0's configuration space, 1 MiB per bus */
	uint8_t ecam_bus_start, ecam_bus_end;
	uint16_t reserved;
	/*
	 * Where this IOVM's devices' DMA lands. 0 with an IOMMU (I/O address
	 * = guest-physical address), and for guests. Without one (devices
	 * assigned with unprotected-dma) a device sees host-physical
	 * addresses: guest-physical gpa is host-physical gpa +
	 * dma_offset_2m * 2 MiB (a VM's RAM is one 2 MiB-aligned block).
	 */
	uint32_t dma_offset_2m;
	/*
	 * The channels this VM is an end of (abi/channel.h, docs/channels.md),
	 * in policy order: channels[k] interrupts on UHV_CHANNEL_VECTOR_BASE + k.
	 * Entries past channel_count are zero.
	 */
	uint32_t channel_count;		/* 0 .. UHV_VM_CHANNELS_MAX */
	uint32_t reserved2;
	struct uhv_channel_info channels[UHV_VM_CHANNELS_MAX];
	/*
	 * The VM's clock without a VM exit (docs/vms.md, "Time"). With
	 * UHV_CLOCK_TSC in clock_flags, RDTSC (and RDTSCP) in this VM read the
	 * host TSC minus its value when the VM was (re)started, without an
	 * exit, and uhv_tsc_to_ns(RDTSC, tsc_hz) is exactly what HC_TIME_READ
	 * returns at that instant: same counter, same conversion. Without the
	 * flag the TSC means nothing: use HC_TIME_READ. HC_TIMER_SET deadlines
	 * are on the same clock either way.
	 */
	uint64_t tsc_hz;		/* the TSC frequency the hypervisor calibrated; 0: none */
	uint32_t clock_flags;		/* UHV_CLOCK_* */
	uint32_t reserved3;
};

/* clock_flags */
#define UHV_CLOCK_TSC		(1U << 0)	/* RDTSC + uhv_tsc_to_ns is the VM's clock */
/*
 * The CPU says its TSC is invariant (CPUID 0x80000007 EDX bit 8): its rate
 * does not follow power states. Without it the rate may (and the
 * hypervisor's own clock, the same TSC, with it): the TSC clock still
 * equals HC_TIME_READ, it is only as good.
 */
#define UHV_CLOCK_TSC_INVARIANT	(1U << 1)

/*
 * The highest tsc_hz the conversion below is exact for (18.4 GHz): the
 * hypervisor sets UHV_CLOCK_TSC only up to it.
 */
#define UHV_TSC_HZ_MAX		(UINT64_MAX / 1000000000ULL)

/*
 * Nanoseconds in `ticks` of a counter running at tsc_hz (1 .. UHV_TSC_HZ_MAX):
 * floor(ticks * 10^9 / tsc_hz), exact for every result that fits in 64 bits
 * (585 years). The one conversion behind HC_TIME_READ, HC_TIMER_SET and the
 * TSC clock: the hypervisor calls this very function. 0 if tsc_hz is 0.
 */
static inline uint64_t uhv_tsc_to_ns(uint64_t ticks, uint64_t tsc_hz)
{
	if (!tsc_hz)
		return 0;
	/* ticks = q * tsc_hz + r: q seconds, and r * 10^9 < tsc_hz * 10^9 fits. */
	return ticks / tsc_hz * 1000000000ULL + ticks % tsc_hz * 1000000000ULL / tsc_hz;
}

_Static_assert(sizeof(struct uhv_vm_info) == 40, "uhv_vm_info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_boot_info, dma_offset_2m) == 76, "uhv_boot_info layout is ABI");
_Static_assert(sizeof(struct uhv_boot_info) == 104 + UHV_VM_CHANNELS_MAX * 88, "uhv_boot_info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_boot_info, channel_count) == 80, "uhv_boot_info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_boot_info, channels) == 88, "uhv_boot_info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_boot_info, tsc_hz) == 88 + UHV_VM_CHANNELS_MAX * 88,
	       "uhv_boot_info layout is ABI");
_Static_assert(__builtin_offsetof(struct uhv_boot_info, clock_flags) == 96 + UHV_VM_CHANNELS_MAX * 88,
	       "uhv_boot_info layout is ABI");
_Static_assert(UHV_BOOT_INFO + sizeof(struct uhv_boot_info) <= UHV_BOOT_GDT, "the boot info fits in its page");
#endif

#endif /* ABI_VM_BOOT_H */
