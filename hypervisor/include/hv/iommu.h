/* SPDX-License-Identifier: MIT */
/*
 * DMA remapping: what core code may ask of the IOMMU, whatever its vendor.
 *
 * At boot iommu_init() turns DMA remapping on with no device attached:
 * every DMA of every device behind a remapping unit is blocked and
 * reported as a fault. A domain is an I/O address space (later: an IOVM's
 * guest-physical space); attaching a device to a domain lets its DMA reach
 * exactly what the domain maps. The implementation is arch/x86/vtd.c (Intel
 * VT-d); iommu.c holds the vendor-neutral fault accounting. docs/iommu.md
 * explains the mechanism.
 */
#ifndef HV_IOMMU_H
#define HV_IOMMU_H

#include <hv/pci.h>
#include <hv/types.h>

/*
 * Find the remapping units, check them, and enable DMA remapping with every
 * device blocked. Needs the ACPI tables, PCI enumeration, the LAPIC and a
 * calibrated clock. no_queued_invalidation (boot option iommu=noqi) makes
 * every unit use register-based invalidation, as on units without queued
 * invalidation (which interrupt remapping needs: it is then off). Returns 0;
 * -HV_ENODEV if the platform has no IOMMU; -HV_EIO if a unit is unusable or
 * did not acknowledge a command (then no device can be assigned:
 * iommu_present() stays false).
 */
int iommu_init(bool no_queued_invalidation);

/* True once iommu_init() succeeded: devices can be confined to domains. */
bool iommu_present(void);

/* Mapping permissions (readable is implied). */
#define IOMMU_WRITE		BIT(0)
#define IOMMU_UNCACHED		BIT(1)	/* device memory (peer-to-peer): no forced snooping */

struct iommu_domain;

/* A new, empty domain, or NULL (no IOMMU, no domain id or memory left). */
struct iommu_domain *iommu_domain_create(void);

/* Free a domain with no device attached. Returns 0 or -HV_EBUSY. */
int iommu_domain_destroy(struct iommu_domain *d);

/*
 * Map [iova, iova + size) to host-physical [pa, pa + size), 4 KiB aligned,
 * and invalidate the units' caches where devices of d may hold stale
 * translations. Returns 0, -HV_EINVAL (alignment, or beyond the domain's
 * address width: iommu_domain_limit()) or -HV_ENOMEM.
 */
int iommu_domain_map(struct iommu_domain *d, uint64_t iova, paddr_t pa, uint64_t size,
		     unsigned int flags);
int iommu_domain_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size);

/* The first I/O virtual address the domain cannot map. */
uint64_t iommu_domain_limit(const struct iommu_domain *d);

/*
 * Confine the device's DMA to domain d, and identity-map the firmware's
 * reserved regions (RMRR) that name it into d. Returns 0, -HV_ENODEV (no
 * unit translates this device), -HV_EBUSY (already attached) or -HV_ENOMEM.
 */
int iommu_attach(struct iommu_domain *d, pci_sbdf_t sbdf);

/* Block the device's DMA again. Returns 0 or -HV_ENOENT if it was not attached. */
int iommu_detach(pci_sbdf_t sbdf);

/*
 * Stop a device before taking its memory away: clear bus mastering in its
 * PCI command register, then detach it. Returns iommu_detach()'s result.
 */
int iommu_quiesce(pci_sbdf_t sbdf);

/* ---- Faults (vendor-neutral accounting in iommu.c) ---- */

enum iommu_fault_kind {
	IOMMU_FAULT_UNATTACHED,		/* the device is in no domain */
	IOMMU_FAULT_UNMAPPED,		/* the address is not mapped (or beyond the domain) */
	IOMMU_FAULT_READ_ONLY,		/* a write to a read-only mapping */
	IOMMU_FAULT_OTHER,		/* a malformed structure or an interrupt-remapping fault */
};

/* One blocked DMA, decoded. */
struct iommu_fault {
	pci_sbdf_t sbdf;		/* the requester */
	uint64_t address;		/* page address it asked for */
	bool write;			/* false: read */
	enum iommu_fault_kind kind;
	unsigned int reason;		/* the vendor's reason code */
	const char *reason_name;	/* the vendor specification's description */
	unsigned int unit;		/* which remapping unit reported it */
};

/*
 * Who owns a device, for fault messages: a VM name, or NULL for nobody.
 * Installed by the device-ownership code; until then every device is
 * owned by nobody.
 */
typedef const char *(*iommu_owner_lookup_t)(pci_sbdf_t sbdf);
void iommu_set_owner_lookup(iommu_owner_lookup_t lookup);

/*
 * What to do about a fault beyond logging it: the fault policy (contain
 * the owner), installed by the device-ownership code. Called for every
 * fault, logged or not, after it is counted; from the fault-event
 * interrupt or iommu_poll_faults(), so it may only record what is to be
 * done, never stop a VM itself.
 */
typedef void (*iommu_fault_policy_t)(const struct iommu_fault *f);
void iommu_set_fault_policy(iommu_fault_policy_t policy);

/*
 * Record and log one fault (the vendor driver's fault handler calls this
 * for each fault record): counted per source, logged with a rate limit
 * per source.
 */
void iommu_report_fault(const struct iommu_fault *f);

/*
 * Read the fault records now, for when interrupts are off. The interrupt
 * path does the same on its own. Returns the number of faults found.
 */
unsigned int iommu_poll_faults(void);

/*
 * Faults seen from this device so far; *last (if not NULL and the count is
 * not 0) receives the most recent one.
 */
uint64_t iommu_fault_count(pci_sbdf_t sbdf, struct iommu_fault *last);

/* Faults that arrived through the fault-event interrupt, all devices. */
uint64_t iommu_fault_interrupts(void);

#endif /* HV_IOMMU_H */
