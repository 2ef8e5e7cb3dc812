/* SPDX-License-Identifier: MIT */
/*
 * Intel Virtualization Technology for Directed I/O (VT-d): the register
 * map of a DMA-remapping hardware unit (DRHD), the in-memory structures it
 * walks in legacy (non-scalable) mode, the invalidation descriptors, and
 * the pure helpers of arch/x86/vtd_format.c.
 *
 * Names and bit positions are those of the Intel VT-d Architecture
 * Specification, rev. 3.x/4.x: chapter 9 "Translation Structure Formats",
 * chapter 10 "Register Descriptions" (section numbers in the comments),
 * section 6.5.2 "Queued Invalidation" and 7.1.3 "Fault Reason Codes".
 */
#ifndef ARCH_VTD_H
#define ARCH_VTD_H

#include <arch/pagetable.h>
#include <hv/acpi.h>
#include <hv/types.h>

/* ---- Registers (10.4), offsets from the DRHD base address. ---- */

#define VTD_REG_SIZE			0x1000	/* one page; FRO/IRO registers lie inside it */

#define VTD_VER_REG			0x00	/* 32 */
# define VTD_VER_MIN			GENMASK(3, 0)
# define VTD_VER_MAX			GENMASK(7, 4)
# define VTD_VER_MAX_SHIFT		4
#define VTD_CAP_REG			0x08	/* 64 */
# define VTD_CAP_ND			GENMASK(2, 0)	/* domain ids: 2^(4 + 2 * ND) */
# define VTD_CAP_AFL			BIT(3)	/* advanced fault logging */
# define VTD_CAP_RWBF			BIT(4)	/* required write-buffer flushing */
# define VTD_CAP_PLMR			BIT(5)	/* protected low-memory region */
# define VTD_CAP_PHMR			BIT(6)	/* protected high-memory region */
# define VTD_CAP_CM			BIT(7)	/* caching mode: not-present entries may be cached */
# define VTD_CAP_SAGAW			GENMASK(12, 8)	/* supported adjusted guest address widths */
# define VTD_CAP_SAGAW_SHIFT		8
#  define VTD_SAGAW_39_3LEVEL		BIT(1)
#  define VTD_SAGAW_48_4LEVEL		BIT(2)
#  define VTD_SAGAW_57_5LEVEL		BIT(3)
# define VTD_CAP_MGAW			GENMASK(21, 16)	/* maximum guest address width - 1 */
# define VTD_CAP_MGAW_SHIFT		16
# define VTD_CAP_ZLR			BIT(22)	/* zero-length reads */
# define VTD_CAP_FRO			GENMASK(33, 24)	/* fault-recording register offset / 16 */
# define VTD_CAP_FRO_SHIFT		24
# define VTD_CAP_SLLPS_2M		BIT(34)	/* second-level large pages: 2 MiB */
# define VTD_CAP_SLLPS_1G		BIT(35)	/*                           1 GiB */
# define VTD_CAP_PSI			BIT(39)	/* page-selective invalidation */
# define VTD_CAP_NFR			GENMASK(47, 40)	/* number of fault-recording registers - 1 */
# define VTD_CAP_NFR_SHIFT		40
# define VTD_CAP_MAMV			GENMASK(53, 48)
# define VTD_CAP_DWD			BIT(54)	/* write draining */
# define VTD_CAP_DRD			BIT(55)	/* read draining */
# define VTD_CAP_PI			BIT(59)	/* posted interrupts */
#define VTD_ECAP_REG			0x10	/* 64 */
# define VTD_ECAP_C			BIT(0)	/* page-walk coherency: walks snoop the CPU caches */
# define VTD_ECAP_QI			BIT(1)	/* queued invalidation */
# define VTD_ECAP_DT			BIT(2)	/* device-TLBs */
# define VTD_ECAP_IR			BIT(3)	/* interrupt remapping */
# define VTD_ECAP_EIM			BIT(4)	/* extended interrupt mode (x2APIC ids) */
# define VTD_ECAP_PT			BIT(6)	/* pass-through translation type */
# define VTD_ECAP_SC			BIT(7)	/* snoop control: the SNP bit in leaves */
# define VTD_ECAP_IRO			GENMASK(17, 8)	/* IOTLB register offset / 16 */
# define VTD_ECAP_IRO_SHIFT		8
# define VTD_ECAP_MHMV			GENMASK(23, 20)
# define VTD_ECAP_SMTS			BIT(43)	/* scalable mode (unused: legacy mode here) */
#define VTD_GCMD_REG			0x18	/* 32, write only */
# define VTD_GCMD_CFI			(1U << 23)	/* compatibility format interrupts */
# define VTD_GCMD_SIRTP			(1U << 24)	/* set interrupt remap table pointer */
# define VTD_GCMD_IRE			(1U << 25)	/* interrupt remapping enable */
# define VTD_GCMD_QIE			(1U << 26)	/* queued invalidation enable */
# define VTD_GCMD_WBF			(1U << 27)	/* write buffer flush */
# define VTD_GCMD_SRTP			(1U << 30)	/* set root table pointer */
# define VTD_GCMD_TE			(1U << 31)	/* translation enable */
#define VTD_GSTS_REG			0x1c	/* 32: the status of each GCMD bit, same positions */
# define VTD_GSTS_CFIS			(1U << 23)
# define VTD_GSTS_IRTPS			(1U << 24)
# define VTD_GSTS_IRES			(1U << 25)
# define VTD_GSTS_QIES			(1U << 26)
# define VTD_GSTS_WBFS			(1U << 27)	/* 1 while a write-buffer flush runs */
# define VTD_GSTS_RTPS			(1U << 30)
# define VTD_GSTS_TES			(1U << 31)
/* The GSTS bits that are enables (kept on every GCMD write), not one-shot commands. */
# define VTD_GSTS_PERSISTENT		(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_CFIS)
#define VTD_RTADDR_REG			0x20	/* 64 */
# define VTD_RTADDR_RTA			GENMASK(63, 12)
# define VTD_RTADDR_TTM			GENMASK(11, 10)	/* 00: legacy mode */
#define VTD_CCMD_REG			0x28	/* 64: register-based context-cache invalidation */
# define VTD_CCMD_ICC			BIT(63)	/* set to invalidate; hardware clears it when done */
# define VTD_CCMD_CIRG_SHIFT		61	/* requested granularity */
# define VTD_CCMD_CAIG			GENMASK(60, 59)	/* actual granularity */
# define VTD_CCMD_FM_SHIFT		32
# define VTD_CCMD_SID_SHIFT		16
# define VTD_CCMD_DID			GENMASK(15, 0)
#  define VTD_CCMD_GLOBAL		1ULL
#  define VTD_CCMD_DOMAIN		2ULL
#  define VTD_CCMD_DEVICE		3ULL
#define VTD_FSTS_REG			0x34	/* 32 */
# define VTD_FSTS_PFO			(1U << 0)	/* primary fault overflow (RW1C) */
# define VTD_FSTS_PPF			(1U << 1)	/* primary pending fault: some FRCD has F set */
# define VTD_FSTS_IQE			(1U << 4)	/* invalidation queue error (RW1C) */
# define VTD_FSTS_ICE			(1U << 5)	/* invalidation completion error (RW1C) */
# define VTD_FSTS_ITE			(1U << 6)	/* invalidation time-out error (RW1C) */
# define VTD_FSTS_FRI			GENMASK(15, 8)	/* fault record index */
# define VTD_FSTS_FRI_SHIFT		8
#define VTD_FECTL_REG			0x38	/* 32: fault event control */
# define VTD_FECTL_IP			(1U << 30)	/* interrupt pending */
# define VTD_FECTL_IM			(1U << 31)	/* interrupt mask */
#define VTD_FEDATA_REG			0x3c	/* 32: MSI data (vector) */
#define VTD_FEADDR_REG			0x40	/* 32: MSI address */
#define VTD_FEUADDR_REG			0x44	/* 32: MSI upper address (x2APIC id bits 31:8) */
#define VTD_AFLOG_REG			0x58	/* 64: advanced fault log (CAP.AFL only) */
#define VTD_PMEN_REG			0x64	/* 32: protected memory enable */
# define VTD_PMEN_PRS			(1U << 0)	/* protected region status */
# define VTD_PMEN_EPM			(1U << 31)	/* enable protected memory */
#define VTD_PLMBASE_REG			0x68
#define VTD_PLMLIMIT_REG		0x6c
#define VTD_PHMBASE_REG			0x70
#define VTD_PHMLIMIT_REG		0x78
#define VTD_IQH_REG			0x80	/* 64: invalidation queue head */
#define VTD_IQT_REG			0x88	/* 64: invalidation queue tail */
# define VTD_IQ_INDEX_SHIFT		4	/* QH/QT: byte offset of a 128-bit descriptor */
# define VTD_IQ_INDEX			GENMASK(18, 4)
#define VTD_IQA_REG			0x90	/* 64: invalidation queue address */
# define VTD_IQA_IQA			GENMASK(63, 12)
# define VTD_IQA_DW			BIT(11)	/* 256-bit descriptors (scalable mode only) */
# define VTD_IQA_QS			GENMASK(2, 0)	/* queue size: 2^QS pages */
#define VTD_ICS_REG			0x9c	/* 32: invalidation completion status */
# define VTD_ICS_IWC			(1U << 0)	/* invalidation wait descriptor complete (RW1C) */
#define VTD_IECTL_REG			0xa0	/* 32: invalidation event control */
# define VTD_IECTL_IM			(1U << 31)
#define VTD_IEDATA_REG			0xa4
#define VTD_IEADDR_REG			0xa8
#define VTD_IEUADDR_REG			0xac
#define VTD_IQERCD_REG			0xb0	/* 64: invalidation queue error record */
#define VTD_IRTA_REG			0xb8	/* 64: interrupt remapping table address */
# define VTD_IRTA_IRTA			GENMASK(63, 12)
# define VTD_IRTA_EIME			BIT(11)	/* x2APIC format */
# define VTD_IRTA_S			GENMASK(3, 0)	/* 2^(S + 1) entries */

/* IOTLB registers: at ECAP.IRO * 16 (10.4.8). */
#define VTD_IVA_REG(iro)		((iro) + 0x00)	/* 64: invalidate address */
# define VTD_IVA_ADDR			GENMASK(63, 12)
# define VTD_IVA_IH			BIT(6)
# define VTD_IVA_AM			GENMASK(5, 0)
#define VTD_IOTLB_REG(iro)		((iro) + 0x08)	/* 64 */
# define VTD_IOTLB_IVT			BIT(63)	/* set to invalidate; hardware clears it when done */
# define VTD_IOTLB_IIRG_SHIFT		60	/* requested granularity */
# define VTD_IOTLB_IAIG			GENMASK(58, 57)	/* actual granularity: 0 = refused */
# define VTD_IOTLB_DR			BIT(49)	/* drain reads */
# define VTD_IOTLB_DW			BIT(48)	/* drain writes */
# define VTD_IOTLB_DID_SHIFT		32
#  define VTD_IOTLB_GLOBAL		1ULL
#  define VTD_IOTLB_DOMAIN		2ULL
#  define VTD_IOTLB_PAGE		3ULL

/* Fault-recording registers: CAP.NFR + 1 of them, 16 bytes each, at CAP.FRO * 16 (10.4.14). */
#define VTD_FRCD_REG(fro, i)		((fro) + 16 * (i))
#define VTD_FRCD_SIZE			16
/* Bit positions within the 128-bit record, as lo (bits 63:0) and hi (127:64). */
# define VTD_FRCD_LO_FI			GENMASK(63, 12)	/* fault info: the page address */
# define VTD_FRCD_HI_SID		GENMASK(15, 0)	/* source id: the requester's bus/dev/fn (79:64) */
# define VTD_FRCD_HI_T2			BIT(28)	/* 92: type bit 2 (scalable mode) */
# define VTD_FRCD_HI_PRIV		BIT(29)	/* 93: privileged request */
# define VTD_FRCD_HI_EXE		BIT(30)	/* 94: execute request */
# define VTD_FRCD_HI_PP			BIT(31)	/* 95: PASID present */
# define VTD_FRCD_HI_FR			GENMASK(39, 32)	/* 103:96: fault reason */
# define VTD_FRCD_HI_FR_SHIFT		32
# define VTD_FRCD_HI_PV			GENMASK(59, 40)	/* 123:104: PASID value */
# define VTD_FRCD_HI_AT			GENMASK(61, 60)	/* 125:124: address type */
# define VTD_FRCD_HI_T1			BIT(62)	/* 126: type: 0 write, 1 read (or AtomicOp) */
# define VTD_FRCD_HI_F			BIT(63)	/* 127: fault: record valid; write 1 to clear */

/* ---- Translation structures (chapter 9), legacy mode. ---- */

/* Root entry (9.1): one per bus in a 4 KiB root table. */
struct vtd_root_entry {
	uint64_t lo;
	uint64_t hi;		/* reserved in legacy mode */
};
_Static_assert(sizeof(struct vtd_root_entry) == 16, "VT-d root entry is 128 bits");
#define VTD_ROOT_ENTRIES		256
# define VTD_ROOT_P			BIT(0)
# define VTD_ROOT_CTP			GENMASK(63, 12)	/* context-table pointer */

/* Context entry (9.3): one per device/function in a 4 KiB context table. */
struct vtd_context_entry {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_context_entry) == 16, "VT-d context entry is 128 bits");
#define VTD_CONTEXT_ENTRIES		256
# define VTD_CTX_LO_P			BIT(0)
# define VTD_CTX_LO_FPD			BIT(1)	/* fault processing disable */
# define VTD_CTX_LO_TT			GENMASK(3, 2)	/* translation type */
# define VTD_CTX_LO_TT_SHIFT		2
#  define VTD_CTX_TT_UNTRANSLATED	0ULL	/* second-level translation, no device-TLB */
#  define VTD_CTX_TT_DEVICE_TLB		1ULL
#  define VTD_CTX_TT_PASS_THROUGH	2ULL
# define VTD_CTX_LO_SLPTPTR		GENMASK(63, 12)	/* second-level page-table pointer */
# define VTD_CTX_HI_AW			GENMASK(2, 0)	/* address width: 1 = 39-bit, 2 = 48-bit */
# define VTD_CTX_HI_DID			GENMASK(23, 8)	/* domain identifier */
# define VTD_CTX_HI_DID_SHIFT		8

/* Second-level paging entries (9.8). */
#define VTD_SL_R			BIT(0)	/* read */
#define VTD_SL_W			BIT(1)	/* write */
#define VTD_SL_X			BIT(2)	/* execute: ignored in legacy mode */
#define VTD_SL_EMT			GENMASK(5, 3)	/* ignored in legacy mode */
#define VTD_SL_IPAT			BIT(6)	/* ignored in legacy mode */
#define VTD_SL_PS			BIT(7)	/* page size: leaf at level 2 (2 MiB) or 3 (1 GiB) */
#define VTD_SL_SNP			BIT(11)	/* snoop: force snooped access (ECAP.SC) */
#define VTD_SL_TM			BIT(62)	/* transient mapping (ECAP.DT) */
#define VTD_SL_ADDR			GENMASK(51, 12)

/* Fault-recording register contents, as read: low and high quadword. */
struct vtd_fault_record {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_fault_record) == VTD_FRCD_SIZE, "VT-d fault record is 128 bits");

/* ---- Invalidation descriptors (6.5.2), 128-bit (legacy mode). ---- */

struct vtd_inv_desc {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_inv_desc) == 16, "VT-d invalidation descriptor is 128 bits");
#define VTD_INV_TYPE			GENMASK(3, 0)
# define VTD_INV_CONTEXT		1ULL	/* context-cache invalidate (6.5.2.1) */
# define VTD_INV_IOTLB			2ULL	/* IOTLB invalidate (6.5.2.3) */
# define VTD_INV_IEC			4ULL	/* interrupt entry cache invalidate (6.5.2.7) */
# define VTD_INV_WAIT			5ULL	/* invalidation wait (6.5.2.8) */
/* Context-cache: G bits 5:4 as VTD_CCMD_{GLOBAL,DOMAIN,DEVICE}; DID 31:16, SID 47:32, FM 49:48. */
# define VTD_INV_CC_G_SHIFT		4
# define VTD_INV_CC_DID_SHIFT		16
# define VTD_INV_CC_SID_SHIFT		32
# define VTD_INV_CC_FM_SHIFT		48
/* IOTLB: G bits 5:4 as VTD_IOTLB_{GLOBAL,DOMAIN,PAGE}; DW 6, DR 7, DID 31:16; hi: ADDR, IH 6, AM 5:0. */
# define VTD_INV_IOTLB_G_SHIFT		4
# define VTD_INV_IOTLB_DW		BIT(6)
# define VTD_INV_IOTLB_DR		BIT(7)
# define VTD_INV_IOTLB_DID_SHIFT	16
/* Interrupt entry cache: G bit 4 (0 global, 1 index), IM 31:27, IIDX 47:32. */
# define VTD_INV_IEC_G_INDEX		BIT(4)
# define VTD_INV_IEC_IM_SHIFT		27
# define VTD_INV_IEC_IIDX_SHIFT		32
/* Invalidation wait: IF 4, SW 5 (write status data), FN 6; status data 63:32; hi: status address. */
# define VTD_INV_WAIT_IF		BIT(4)
# define VTD_INV_WAIT_SW		BIT(5)
# define VTD_INV_WAIT_FN		BIT(6)
# define VTD_INV_WAIT_DATA_SHIFT	32

/* ---- Interrupt remapping (9.10, 5.1.5), remapped format (IM = 0), xAPIC mode (no EIM). ---- */

/* Interrupt remapping table entry (9.10): 2^(IRTA.S + 1) of them in the table IRTA points at. */
struct vtd_irte {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct vtd_irte) == 16, "VT-d interrupt remapping table entry is 128 bits");
# define VTD_IRTE_LO_P			BIT(0)	/* present */
# define VTD_IRTE_LO_FPD		BIT(1)	/* fault processing disable */
# define VTD_IRTE_LO_DM			BIT(2)	/* destination mode: 0 physical, 1 logical */
# define VTD_IRTE_LO_RH			BIT(3)	/* redirection hint */
# define VTD_IRTE_LO_TM			BIT(4)	/* trigger mode: 0 edge, 1 level */
# define VTD_IRTE_LO_DLM		GENMASK(7, 5)	/* delivery mode: 000 fixed */
# define VTD_IRTE_LO_AVAIL		GENMASK(11, 8)	/* software's */
# define VTD_IRTE_LO_IM			BIT(15)	/* 0: remapped, 1: posted */
# define VTD_IRTE_LO_V			GENMASK(23, 16)	/* vector */
# define VTD_IRTE_LO_V_SHIFT		16
# define VTD_IRTE_LO_DST_XAPIC		GENMASK(47, 40)	/* xAPIC destination id: DST bits 15:8 */
# define VTD_IRTE_LO_DST_XAPIC_SHIFT	40
# define VTD_IRTE_HI_SID		GENMASK(15, 0)	/* 79:64 source id */
# define VTD_IRTE_HI_SQ			GENMASK(17, 16)	/* 81:80 source-id qualifier: 0 = all 16 bits */
# define VTD_IRTE_HI_SQ_SHIFT		16
# define VTD_IRTE_HI_SVT		GENMASK(19, 18)	/* 83:82 source validation type */
# define VTD_IRTE_HI_SVT_SHIFT		18
#  define VTD_SVT_NONE			0ULL
#  define VTD_SVT_SID			1ULL	/* requester id must equal SID (under SQ's mask) */
#  define VTD_SVT_BUS			2ULL	/* requester bus in SID[15:8]..SID[7:0] */
#define VTD_IRT_S			7	/* IRTA.S: 2^(7 + 1) = 256 entries, one 4 KiB page */
#define VTD_IRT_ENTRIES			(1U << (VTD_IRT_S + 1))
_Static_assert(VTD_IRT_ENTRIES * sizeof(struct vtd_irte) == 4096, "the remapping table is one page");

/* Remappable-format MSI address (5.1.5.2): 0xFEE, handle[14:0] 19:5, IF 4, SHV 3, handle[15] 2. */
#define VTD_MSI_REMAP_BASE		0xfee00000U
# define VTD_MSI_REMAP_HANDLE_LO_SHIFT	5
# define VTD_MSI_REMAP_HANDLE_LO	GENMASK(19, 5)
# define VTD_MSI_REMAP_IF		BIT(4)	/* interrupt format: 1 = remappable */
# define VTD_MSI_REMAP_SHV		BIT(3)	/* subhandle valid: index = handle + data[15:0] */
# define VTD_MSI_REMAP_HANDLE_15	BIT(2)

/* ---- Fault reason codes (7.1.3, table "Unrecoverable Fault Reason Codes"). ---- */

#define VTD_FR_ROOT_ENTRY_P		0x01
#define VTD_FR_CONTEXT_ENTRY_P		0x02
#define VTD_FR_CONTEXT_ENTRY_INV	0x03
#define VTD_FR_ADDR_BEYOND_AW		0x04
#define VTD_FR_WRITE			0x05
#define VTD_FR_READ			0x06
#define VTD_FR_PAGING_ENTRY_ACCESS	0x07
#define VTD_FR_ROOT_TABLE_ACCESS	0x08
#define VTD_FR_CONTEXT_TABLE_ACCESS	0x09
#define VTD_FR_ROOT_ENTRY_RSVD		0x0a
#define VTD_FR_CONTEXT_ENTRY_RSVD	0x0b
#define VTD_FR_PAGING_ENTRY_RSVD	0x0c
#define VTD_FR_CONTEXT_ENTRY_TT		0x0d
#define VTD_FR_IR_REQ_RSVD		0x20	/* interrupt remapping faults: 0x20-0x26 */
#define VTD_FR_IR_INDEX_OVER		0x21
#define VTD_FR_IR_ENTRY_P		0x22
#define VTD_FR_IR_ROOT_INVAL		0x23
#define VTD_FR_IR_IRTE_RSVD		0x24
#define VTD_FR_IR_COMPAT_BLOCKED	0x25
#define VTD_FR_IR_SID_ERR		0x26

/* ---- Pure helpers (vtd_format.c; unit-tested in tests/unit/test_vtd.c). ---- */

/* What we read from one unit's VER/CAP/ECAP registers. */
struct vtd_caps {
	uint32_t ver;
	uint64_t cap;
	uint64_t ecap;
};

/* Second-level entries; pt_format_vtd_snoop also sets SNP in leaves of cacheable mappings. */
extern const struct pt_format pt_format_vtd;
extern const struct pt_format pt_format_vtd_snoop;

/* Page-table levels the unit walks, preferring 4; 0 if it supports neither 3 nor 4. */
int vtd_levels(const struct vtd_caps *c);
/* Domain ids the unit has: 2^(4 + 2 * ND). */
uint32_t vtd_domain_count(const struct vtd_caps *c);
uint32_t vtd_fault_record_count(const struct vtd_caps *c);
uint32_t vtd_fault_record_offset(const struct vtd_caps *c);
uint32_t vtd_iotlb_offset(const struct vtd_caps *c);
/* Largest input address width: MGAW + 1 bits. */
unsigned int vtd_mgaw(const struct vtd_caps *c);
/* PT_SIZE_* leaves the unit can walk (4K always; 2M, 1G per CAP.SLLPS). */
unsigned int vtd_leaf_sizes(const struct vtd_caps *c);

/*
 * Why this unit cannot be used by uhv, or NULL if it can. Checks that the
 * registers were there (not all ones) and every capability uhv needs.
 */
const char *vtd_caps_problem(const struct vtd_caps *c);

/* One line: "version 1.0, SAGAW 3-level, MGAW 39, 65536 domains, ...". */
void vtd_caps_describe(const struct vtd_caps *c, char *buf, size_t size);

/* Root and context entries. levels: 3 or 4; did: the domain id. */
struct vtd_root_entry vtd_root_entry(paddr_t context_table);
struct vtd_context_entry vtd_context_entry(paddr_t sl_root, int levels, uint16_t did);

/* Invalidation requests: as queue descriptors and as register values. */
struct vtd_inv_desc vtd_inv_context_desc(uint64_t granularity, uint16_t did);
struct vtd_inv_desc vtd_inv_iotlb_desc(uint64_t granularity, uint16_t did, const struct vtd_caps *c);
struct vtd_inv_desc vtd_inv_wait_desc(paddr_t status, uint32_t data);
uint64_t vtd_ccmd_value(uint64_t granularity, uint16_t did);
uint64_t vtd_iotlb_value(uint64_t granularity, uint16_t did, const struct vtd_caps *c);

/* A decoded fault record. */
struct vtd_fault {
	uint16_t source_id;	/* bus << 8 | dev << 3 | fn */
	uint64_t address;	/* page address of the request */
	uint8_t reason;		/* VTD_FR_* */
	bool write;		/* false: a read (or AtomicOp) */
};

/* Decode a record; false if its F bit is clear (nothing recorded there). */
bool vtd_fault_decode(const struct vtd_fault_record *r, struct vtd_fault *f);

/* The specification's description of a fault reason; "reserved" for unknown ones. */
const char *vtd_fault_reason_name(uint8_t reason);

/* FEADDR/FEDATA for a fixed, edge-triggered MSI to one xAPIC id (5.1.6, 10.4.23). */
uint32_t vtd_msi_address(uint32_t apic_id);

/*
 * A remapped-format entry: fixed delivery of vector to xAPIC id apic_id
 * (physical mode), edge or level, accepted only from requester id sid
 * (SVT = 01, SQ = 00: all 16 bits compared). 9.10.
 */
struct vtd_irte vtd_irte_remapped(uint8_t vector, uint8_t apic_id, bool level, uint16_t sid);

/*
 * The MSI address and data that name entry `handle` in remappable format
 * (5.1.5.2): SHV set with subhandle 0 in the data, so the index is exactly
 * the handle.
 */
uint32_t vtd_msi_remap_address(uint16_t handle);
#define VTD_MSI_REMAP_DATA		0U

/* The interrupt entry cache invalidation of one entry (index) or all (6.5.2.7). */
struct vtd_inv_desc vtd_inv_iec_desc(bool global, uint16_t index);

/*
 * The source id of IOAPIC ioapic_id from a DMAR device scope of type
 * IOAPIC (bus and the path's last device/function); false if s is not
 * that IOAPIC's scope.
 */
bool vtd_scope_ioapic_sid(const struct acpi_dmar_scope *s, uint8_t ioapic_id, uint16_t *sid);

/*
 * Does this DMAR device scope name bdf (for an endpoint: exactly; for a
 * bridge: a device on a bus below it)? A path longer than one element
 * goes through bridges; bridge(ctx, bus, dev, fn, &secondary,
 * &subordinate) reads a bridge's bus numbers (false: not a bridge).
 */
typedef bool (*vtd_bridge_reader_t)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn,
				    uint8_t *secondary, uint8_t *subordinate);
bool vtd_scope_matches(const struct acpi_dmar_scope *s, uint16_t bdf,
		       vtd_bridge_reader_t bridge, void *ctx);

/*
 * The pages an RMRR covers: [*base, *base + *size), 4 KiB aligned. Returns
 * false for a malformed one (limit below base, wrapping).
 */
bool vtd_rmrr_pages(const struct acpi_rmrr *r, uint64_t *base, uint64_t *size);

/* ---- The driver (vtd.c) ---- */

/* Read a unit's VER, CAP and ECAP registers (all ones: no unit there). */
void vtd_read_caps(paddr_t base, struct vtd_caps *c);

#endif /* ARCH_VTD_H */
