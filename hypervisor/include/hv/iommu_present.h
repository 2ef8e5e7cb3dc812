/* SPDX-License-Identifier: MIT */
/*
 * Whether DMA remapping hardware exists: device assignment without it
 * needs the policy's unprotected-dma flag. Today the ACPI DMAR table says
 * so; the VT-d slice points this at its driver (hv/iommu.h).
 */
#ifndef HV_IOMMU_PRESENT_H
#define HV_IOMMU_PRESENT_H

#include <hv/acpi.h>

static inline bool iommu_present(void) { return acpi_get()->dmar_present; }

#endif /* HV_IOMMU_PRESENT_H */
