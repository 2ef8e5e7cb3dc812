/* SPDX-License-Identifier: MIT */
/*
 * Interrupt remapping on x86: what the interrupt plumbing (IOAPIC lines,
 * device MSI-X) asks of the IOMMU. Implemented by the VT-d driver
 * (arch/x86/vtd.c); docs/iommu.md, "Interrupt remapping".
 *
 * Once on, every interrupt message a device or an IOAPIC sends must be in
 * remappable format and name a present entry of the hypervisor's table,
 * which alone decides vector and destination; compatibility-format
 * messages (the raw address/data a VM could choose) are blocked and
 * reported as faults.
 */
#ifndef ARCH_INTREMAP_H
#define ARCH_INTREMAP_H

#include <hv/types.h>

/* True once every remapping unit has interrupt remapping enabled (iommu_init()). */
bool intremap_enabled(void);

/*
 * Allocate and fill an entry: fixed delivery of vector to this CPU, edge or
 * level, accepted only from requester id source_id. Returns the entry's
 * index (>= 0), -HV_ENODEV if remapping is off, -HV_ENOMEM if the table is
 * full, -HV_EIO if a unit did not invalidate its entry cache.
 */
int intremap_alloc(uint8_t vector, bool level, uint16_t source_id);

/* Make entry index not present again (and invalidated). Returns 0 or -HV_EINVAL / -HV_EIO. */
int intremap_free(int index);

/* The requester id IOAPIC ioapic_id's messages carry, from the DMAR. Returns 0 or -HV_ENOENT. */
int intremap_ioapic_source(uint8_t ioapic_id, uint16_t *source_id);

/* The MSI address and data that make a device send entry index (remappable format). */
void intremap_msi_message(int index, uint32_t *address_lo, uint32_t *address_hi, uint32_t *data);

#endif /* ARCH_INTREMAP_H */
