/* SPDX-License-Identifier: MIT */
/*
 * The AMD SVM virtual machine control block (AMD APM vol. 2, appendix B
 * "Layout of VMCB"), its intercept bits, exit codes (appendix C "SVM
 * Intercept Exit Codes") and the event-injection format (15.20 "Event
 * Injection"). Field names follow the APM; every offset the APM gives is
 * checked below at compile time.
 */
#ifndef ARCH_VMCB_H
#define ARCH_VMCB_H

#include <hv/types.h>

/* ---- Control area (table B-1), offset 0x000. ---- */

/* Intercept vector 0 (offset 0x00C) */
#define SVM_INTERCEPT_INTR		BIT(0)	/* physical maskable interrupt */
#define SVM_INTERCEPT_NMI		BIT(1)
#define SVM_INTERCEPT_SMI		BIT(2)
#define SVM_INTERCEPT_INIT		BIT(3)
#define SVM_INTERCEPT_VINTR		BIT(4)	/* virtual interrupt: the interrupt window */
#define SVM_INTERCEPT_CR0_SEL_WRITE	BIT(5)
#define SVM_INTERCEPT_IDTR_READ		BIT(6)
#define SVM_INTERCEPT_GDTR_READ		BIT(7)
#define SVM_INTERCEPT_LDTR_READ		BIT(8)
#define SVM_INTERCEPT_TR_READ		BIT(9)
#define SVM_INTERCEPT_IDTR_WRITE	BIT(10)
#define SVM_INTERCEPT_GDTR_WRITE	BIT(11)
#define SVM_INTERCEPT_LDTR_WRITE	BIT(12)
#define SVM_INTERCEPT_TR_WRITE		BIT(13)
#define SVM_INTERCEPT_RDTSC		BIT(14)
#define SVM_INTERCEPT_RDPMC		BIT(15)
#define SVM_INTERCEPT_PUSHF		BIT(16)
#define SVM_INTERCEPT_POPF		BIT(17)
#define SVM_INTERCEPT_CPUID		BIT(18)
#define SVM_INTERCEPT_RSM		BIT(19)
#define SVM_INTERCEPT_IRET		BIT(20)
#define SVM_INTERCEPT_INTN		BIT(21)
#define SVM_INTERCEPT_INVD		BIT(22)
#define SVM_INTERCEPT_PAUSE		BIT(23)
#define SVM_INTERCEPT_HLT		BIT(24)
#define SVM_INTERCEPT_INVLPG		BIT(25)
#define SVM_INTERCEPT_INVLPGA		BIT(26)
#define SVM_INTERCEPT_IOIO_PROT		BIT(27)	/* ports per IOPM_BASE_PA */
#define SVM_INTERCEPT_MSR_PROT		BIT(28)	/* MSRs per MSRPM_BASE_PA */
#define SVM_INTERCEPT_TASK_SWITCH	BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE	BIT(30)
#define SVM_INTERCEPT_SHUTDOWN		BIT(31)	/* triple fault */

/* Intercept vector 1 (offset 0x010) */
#define SVM_INTERCEPT_VMRUN		BIT(0)	/* must be set, else VMRUN fails */
#define SVM_INTERCEPT_VMMCALL		BIT(1)
#define SVM_INTERCEPT_VMLOAD		BIT(2)
#define SVM_INTERCEPT_VMSAVE		BIT(3)
#define SVM_INTERCEPT_STGI		BIT(4)
#define SVM_INTERCEPT_CLGI		BIT(5)
#define SVM_INTERCEPT_SKINIT		BIT(6)
#define SVM_INTERCEPT_RDTSCP		BIT(7)
#define SVM_INTERCEPT_ICEBP		BIT(8)
#define SVM_INTERCEPT_WBINVD		BIT(9)	/* WBINVD and WBNOINVD */
#define SVM_INTERCEPT_MONITOR		BIT(10)	/* MONITOR and MONITORX */
#define SVM_INTERCEPT_MWAIT		BIT(11)	/* MWAIT and MWAITX, unconditionally */
#define SVM_INTERCEPT_MWAIT_ARMED	BIT(12)
#define SVM_INTERCEPT_XSETBV		BIT(13)
#define SVM_INTERCEPT_RDPRU		BIT(14)
#define SVM_INTERCEPT_EFER_WRITE_TRAP	BIT(15)

/* Intercept vector 2 (offset 0x014) */
#define SVM_INTERCEPT_INVLPGB		BIT(0)
#define SVM_INTERCEPT_INVLPGB_ILLEGAL	BIT(1)
#define SVM_INTERCEPT_INVPCID		BIT(2)
#define SVM_INTERCEPT_MCOMMIT		BIT(3)
#define SVM_INTERCEPT_TLBSYNC		BIT(4)

/* IOPM: one bit per port plus 3 pages' worth for accesses that wrap (15.10.1). */
#define SVM_IOPM_SIZE			(12 * KiB)
/* MSRPM: two bits (read, write) per MSR of three 8K-MSR ranges (15.11). */
#define SVM_MSRPM_SIZE			(8 * KiB)

/* GUEST_ASID_TLB_CONTROL (offset 0x058), bits 39:32 */
#define SVM_TLB_CONTROL_DO_NOTHING	0
#define SVM_TLB_CONTROL_FLUSH_ALL	1	/* every ASID: the only flush QEMU TCG offers */
#define SVM_TLB_CONTROL_FLUSH_ASID	3	/* needs CPUID FlushByAsid */

/* VINTR (offset 0x060) */
#define SVM_V_TPR			GENMASK(7, 0)
#define SVM_V_IRQ			BIT(8)	/* a virtual interrupt is pending */
#define SVM_V_GIF			BIT(9)
#define SVM_V_INTR_PRIO			GENMASK(19, 16)
#define SVM_V_IGN_TPR			BIT(20)	/* V_IRQ ignores V_TPR */
#define SVM_V_INTR_MASKING		BIT(24)	/* guest IF masks only virtual interrupts */
#define SVM_V_GIF_ENABLE		BIT(25)
#define SVM_AVIC_ENABLE			BIT(31)
#define SVM_V_INTR_VECTOR		GENMASK(39, 32)

/* Interrupt shadow (offset 0x068) */
#define SVM_INTERRUPT_SHADOW		BIT(0)	/* guest is in an STI/MOV SS shadow */
#define SVM_GUEST_INTERRUPT_MASK	BIT(1)	/* guest RFLAGS.IF with V_INTR_MASKING (written on exit) */

/* NP_ENABLE (offset 0x090) */
#define SVM_NP_ENABLE			BIT(0)
#define SVM_SEV_ENABLE			BIT(1)
#define SVM_SEV_ES_ENABLE		BIT(2)

/* EVENTINJ (offset 0x0A8) and EXITINTINFO (offset 0x088) share one format (15.20). */
#define SVM_EVTINJ_VECTOR		GENMASK(7, 0)
#define SVM_EVTINJ_TYPE_SHIFT		8
#define SVM_EVTINJ_TYPE			GENMASK(10, 8)
# define SVM_EVTINJ_TYPE_INTR		(0ULL << 8)	/* external (maskable) interrupt */
# define SVM_EVTINJ_TYPE_NMI		(2ULL << 8)
# define SVM_EVTINJ_TYPE_EXEPT		(3ULL << 8)	/* exception (fault/trap) */
# define SVM_EVTINJ_TYPE_SOFT		(4ULL << 8)	/* software interrupt (INTn) */
#define SVM_EVTINJ_EV			BIT(11)	/* ERRORCODE (bits 63:32) is valid */
#define SVM_EVTINJ_V			BIT(31)	/* valid */
#define SVM_EVTINJ_ERRORCODE_SHIFT	32

/* EXITINFO1 of an IOIO intercept (15.10.2, figure 15-2) */
#define SVM_IOIO_TYPE_IN		BIT(0)	/* 1 = IN, 0 = OUT */
#define SVM_IOIO_STR			BIT(2)	/* INS/OUTS */
#define SVM_IOIO_REP			BIT(3)
#define SVM_IOIO_SZ8			BIT(4)
#define SVM_IOIO_SZ16			BIT(5)
#define SVM_IOIO_SZ32			BIT(6)
#define SVM_IOIO_A16			BIT(7)
#define SVM_IOIO_A32			BIT(8)
#define SVM_IOIO_A64			BIT(9)
#define SVM_IOIO_SEG			GENMASK(12, 10)
#define SVM_IOIO_PORT_SHIFT		16
#define SVM_IOIO_PORT			GENMASK(31, 16)

/* EXITINFO1 of an MSR intercept */
#define SVM_MSR_EXITINFO1_WRITE		1	/* 0 = RDMSR */

/* EXITINFO1 of a nested page fault: a #PF error code (15.25.6) */
#define SVM_NPF_P			BIT(0)	/* the nested entry was present */
#define SVM_NPF_RW			BIT(1)	/* a write */
#define SVM_NPF_US			BIT(2)	/* user access (every NPT walk is) */
#define SVM_NPF_RSV			BIT(3)	/* reserved bit set */
#define SVM_NPF_ID			BIT(4)	/* an instruction fetch */
#define SVM_NPF_FINAL			BIT(32)	/* faulted on the final guest-physical address */
#define SVM_NPF_TABLE			BIT(33)	/* faulted on a guest page-table access */

/* ---- Exit codes (appendix C), EXITCODE at offset 0x070. ---- */
#define SVM_EXIT_READ_CR0		0x000	/* 0x000-0x00f: read of CR0-CR15 */
#define SVM_EXIT_WRITE_CR0		0x010	/* 0x010-0x01f: write of CR0-CR15 */
#define SVM_EXIT_READ_DR0		0x020	/* 0x020-0x02f: read of DR0-DR15 */
#define SVM_EXIT_WRITE_DR0		0x030	/* 0x030-0x03f: write of DR0-DR15 */
#define SVM_EXIT_EXCP_BASE		0x040	/* 0x040-0x05f: exception vector 0-31 */
#define SVM_EXIT_INTR			0x060
#define SVM_EXIT_NMI			0x061
#define SVM_EXIT_SMI			0x062
#define SVM_EXIT_INIT			0x063
#define SVM_EXIT_VINTR			0x064
#define SVM_EXIT_CR0_SEL_WRITE		0x065
#define SVM_EXIT_IDTR_READ		0x066
#define SVM_EXIT_GDTR_READ		0x067
#define SVM_EXIT_LDTR_READ		0x068
#define SVM_EXIT_TR_READ		0x069
#define SVM_EXIT_IDTR_WRITE		0x06a
#define SVM_EXIT_GDTR_WRITE		0x06b
#define SVM_EXIT_LDTR_WRITE		0x06c
#define SVM_EXIT_TR_WRITE		0x06d
#define SVM_EXIT_RDTSC			0x06e
#define SVM_EXIT_RDPMC			0x06f
#define SVM_EXIT_PUSHF			0x070
#define SVM_EXIT_POPF			0x071
#define SVM_EXIT_CPUID			0x072
#define SVM_EXIT_RSM			0x073
#define SVM_EXIT_IRET			0x074
#define SVM_EXIT_SWINT			0x075
#define SVM_EXIT_INVD			0x076
#define SVM_EXIT_PAUSE			0x077
#define SVM_EXIT_HLT			0x078
#define SVM_EXIT_INVLPG			0x079
#define SVM_EXIT_INVLPGA		0x07a
#define SVM_EXIT_IOIO			0x07b
#define SVM_EXIT_MSR			0x07c
#define SVM_EXIT_TASK_SWITCH		0x07d
#define SVM_EXIT_FERR_FREEZE		0x07e
#define SVM_EXIT_SHUTDOWN		0x07f
#define SVM_EXIT_VMRUN			0x080
#define SVM_EXIT_VMMCALL		0x081
#define SVM_EXIT_VMLOAD			0x082
#define SVM_EXIT_VMSAVE			0x083
#define SVM_EXIT_STGI			0x084
#define SVM_EXIT_CLGI			0x085
#define SVM_EXIT_SKINIT			0x086
#define SVM_EXIT_RDTSCP			0x087
#define SVM_EXIT_ICEBP			0x088
#define SVM_EXIT_WBINVD			0x089
#define SVM_EXIT_MONITOR		0x08a
#define SVM_EXIT_MWAIT			0x08b
#define SVM_EXIT_MWAIT_CONDITIONAL	0x08c
#define SVM_EXIT_XSETBV			0x08d
#define SVM_EXIT_RDPRU			0x08e
#define SVM_EXIT_EFER_WRITE_TRAP	0x08f
#define SVM_EXIT_CR0_WRITE_TRAP		0x090	/* 0x090-0x09f: CR0-CR15 write trap */
#define SVM_EXIT_INVLPGB		0x0a0
#define SVM_EXIT_INVLPGB_ILLEGAL	0x0a1
#define SVM_EXIT_INVPCID		0x0a2
#define SVM_EXIT_MCOMMIT		0x0a3
#define SVM_EXIT_TLBSYNC		0x0a4
#define SVM_EXIT_NPF			0x400	/* nested page fault */
#define SVM_EXIT_AVIC_INCOMPLETE_IPI	0x401
#define SVM_EXIT_AVIC_NOACCEL		0x402
#define SVM_EXIT_VMGEXIT		0x403
#define SVM_EXIT_INVALID		((uint64_t)-1)	/* VMRUN refused the VMCB */
#define SVM_EXIT_BUSY			((uint64_t)-2)

#ifndef __ASSEMBLER__

struct vmcb_control_area {
	uint32_t intercept_cr;		/* 0x000: 15:0 reads, 31:16 writes of CR0-CR15 */
	uint32_t intercept_dr;		/* 0x004: 15:0 reads, 31:16 writes of DR0-DR15 */
	uint32_t intercept_exceptions;	/* 0x008: one bit per vector */
	uint32_t intercept_misc1;	/* 0x00c: SVM_INTERCEPT_INTR.. */
	uint32_t intercept_misc2;	/* 0x010: SVM_INTERCEPT_VMRUN.. */
	uint32_t intercept_misc3;	/* 0x014: SVM_INTERCEPT_INVLPGB.. */
	uint8_t reserved_018[0x03c - 0x018];
	uint16_t pause_filter_threshold; /* 0x03c */
	uint16_t pause_filter_count;	/* 0x03e */
	uint64_t iopm_base_pa;		/* 0x040 */
	uint64_t msrpm_base_pa;		/* 0x048 */
	uint64_t tsc_offset;		/* 0x050 */
	uint32_t guest_asid;		/* 0x058 */
	uint8_t tlb_control;		/* 0x05c: SVM_TLB_CONTROL_* */
	uint8_t reserved_05d[3];
	uint64_t vintr;			/* 0x060: V_TPR, V_IRQ, V_INTR_MASKING.. */
	uint64_t interrupt_shadow;	/* 0x068 */
	uint64_t exitcode;		/* 0x070 */
	uint64_t exitinfo1;		/* 0x078 */
	uint64_t exitinfo2;		/* 0x080 */
	uint64_t exitintinfo;		/* 0x088: EVENTINJ format */
	uint64_t np_enable;		/* 0x090 */
	uint64_t avic_apic_bar;		/* 0x098 */
	uint64_t ghcb_pa;		/* 0x0a0 */
	uint64_t eventinj;		/* 0x0a8 */
	uint64_t n_cr3;			/* 0x0b0: nested page table root */
	uint64_t lbr_virtualization_enable; /* 0x0b8 */
	uint32_t vmcb_clean;		/* 0x0c0 */
	uint32_t reserved_0c4;
	uint64_t nrip;			/* 0x0c8: next RIP, with NRIP save */
	uint8_t bytes_fetched;		/* 0x0d0: with decode assists */
	uint8_t guest_instruction_bytes[15]; /* 0x0d1 */
	uint64_t avic_apic_backing_page; /* 0x0e0 */
	uint64_t reserved_0e8;
	uint64_t avic_logical_table;	/* 0x0f0 */
	uint64_t avic_physical_table;	/* 0x0f8 */
	uint64_t reserved_100;
	uint64_t vmsa_pointer;		/* 0x108 */
	uint8_t reserved_110[0x400 - 0x110];
};

/* A segment register in the state-save area: the attribute packs the descriptor's bits 47:40 and 55:52. */
#define VMCB_ATTRIB_L			BIT(9)	/* 64-bit code segment */
#define VMCB_ATTRIB_DB			BIT(10)	/* 32-bit default operand size */
struct vmcb_segment {
	uint16_t selector;
	uint16_t attrib;	/* 7:0 type, S, DPL, P; 11:8 AVL, L, D/B, G */
	uint32_t limit;
	uint64_t base;
};

/* ---- State-save area (table B-2), offset 0x400. ---- */
struct vmcb_state_save_area {
	struct vmcb_segment es;		/* 0x400 */
	struct vmcb_segment cs;		/* 0x410 */
	struct vmcb_segment ss;		/* 0x420 */
	struct vmcb_segment ds;		/* 0x430 */
	struct vmcb_segment fs;		/* 0x440 */
	struct vmcb_segment gs;		/* 0x450 */
	struct vmcb_segment gdtr;	/* 0x460: only limit and base */
	struct vmcb_segment ldtr;	/* 0x470 */
	struct vmcb_segment idtr;	/* 0x480: only limit and base */
	struct vmcb_segment tr;		/* 0x490 */
	uint8_t reserved_4a0[0x4cb - 0x4a0];
	uint8_t cpl;			/* 0x4cb */
	uint32_t reserved_4cc;
	uint64_t efer;			/* 0x4d0 */
	uint8_t reserved_4d8[0x548 - 0x4d8];
	uint64_t cr4;			/* 0x548 */
	uint64_t cr3;			/* 0x550 */
	uint64_t cr0;			/* 0x558 */
	uint64_t dr7;			/* 0x560 */
	uint64_t dr6;			/* 0x568 */
	uint64_t rflags;		/* 0x570 */
	uint64_t rip;			/* 0x578 */
	uint8_t reserved_580[0x5d8 - 0x580];
	uint64_t rsp;			/* 0x5d8 */
	uint64_t s_cet;			/* 0x5e0 */
	uint64_t ssp;			/* 0x5e8 */
	uint64_t isst_addr;		/* 0x5f0 */
	uint64_t rax;			/* 0x5f8 */
	uint64_t star;			/* 0x600 */
	uint64_t lstar;			/* 0x608 */
	uint64_t cstar;			/* 0x610 */
	uint64_t sfmask;		/* 0x618 */
	uint64_t kernel_gs_base;	/* 0x620 */
	uint64_t sysenter_cs;		/* 0x628 */
	uint64_t sysenter_esp;		/* 0x630 */
	uint64_t sysenter_eip;		/* 0x638 */
	uint64_t cr2;			/* 0x640 */
	uint8_t reserved_648[0x668 - 0x648];
	uint64_t g_pat;			/* 0x668 */
	uint64_t dbgctl;		/* 0x670 */
	uint64_t br_from;		/* 0x678 */
	uint64_t br_to;			/* 0x680 */
	uint64_t lastexcpfrom;		/* 0x688 */
	uint64_t lastexcpto;		/* 0x690 */
	uint8_t reserved_698[0x1000 - 0x698];
};

struct vmcb {
	struct vmcb_control_area control;
	struct vmcb_state_save_area save;
};

#define VMCB_CHECK(field, off) \
	_Static_assert(offsetof(struct vmcb, field) == (off), "VMCB " #field " at " #off " (APM vol. 2, appendix B)")

_Static_assert(sizeof(struct vmcb) == 4096, "the VMCB is one 4 KiB page");
_Static_assert(sizeof(struct vmcb_control_area) == 0x400, "control area ends at 0x400");
_Static_assert(sizeof(struct vmcb_segment) == 16, "VMCB segment is 16 bytes");
VMCB_CHECK(control.intercept_cr, 0x000);
VMCB_CHECK(control.intercept_exceptions, 0x008);
VMCB_CHECK(control.intercept_misc1, 0x00c);
VMCB_CHECK(control.intercept_misc2, 0x010);
VMCB_CHECK(control.intercept_misc3, 0x014);
VMCB_CHECK(control.pause_filter_count, 0x03e);
VMCB_CHECK(control.iopm_base_pa, 0x040);
VMCB_CHECK(control.msrpm_base_pa, 0x048);
VMCB_CHECK(control.tsc_offset, 0x050);
VMCB_CHECK(control.guest_asid, 0x058);
VMCB_CHECK(control.tlb_control, 0x05c);
VMCB_CHECK(control.vintr, 0x060);
VMCB_CHECK(control.interrupt_shadow, 0x068);
VMCB_CHECK(control.exitcode, 0x070);
VMCB_CHECK(control.exitinfo1, 0x078);
VMCB_CHECK(control.exitinfo2, 0x080);
VMCB_CHECK(control.exitintinfo, 0x088);
VMCB_CHECK(control.np_enable, 0x090);
VMCB_CHECK(control.eventinj, 0x0a8);
VMCB_CHECK(control.n_cr3, 0x0b0);
VMCB_CHECK(control.vmcb_clean, 0x0c0);
VMCB_CHECK(control.nrip, 0x0c8);
VMCB_CHECK(control.guest_instruction_bytes, 0x0d1);
VMCB_CHECK(control.vmsa_pointer, 0x108);
VMCB_CHECK(save.es, 0x400);
VMCB_CHECK(save.cs, 0x410);
VMCB_CHECK(save.ds, 0x430);
VMCB_CHECK(save.gs, 0x450);
VMCB_CHECK(save.gdtr, 0x460);
VMCB_CHECK(save.ldtr, 0x470);
VMCB_CHECK(save.idtr, 0x480);
VMCB_CHECK(save.tr, 0x490);
VMCB_CHECK(save.cpl, 0x4cb);
VMCB_CHECK(save.efer, 0x4d0);
VMCB_CHECK(save.cr4, 0x548);
VMCB_CHECK(save.cr3, 0x550);
VMCB_CHECK(save.cr0, 0x558);
VMCB_CHECK(save.dr7, 0x560);
VMCB_CHECK(save.dr6, 0x568);
VMCB_CHECK(save.rflags, 0x570);
VMCB_CHECK(save.rip, 0x578);
VMCB_CHECK(save.rsp, 0x5d8);
VMCB_CHECK(save.rax, 0x5f8);
VMCB_CHECK(save.star, 0x600);
VMCB_CHECK(save.kernel_gs_base, 0x620);
VMCB_CHECK(save.sysenter_eip, 0x638);
VMCB_CHECK(save.cr2, 0x640);
VMCB_CHECK(save.g_pat, 0x668);
VMCB_CHECK(save.dbgctl, 0x670);
#undef VMCB_CHECK

/* VMX-layout access rights (bits 7:0 and 15:12) to the VMCB's packed attribute. */
static inline uint16_t vmcb_attrib_from_vmx_ar(uint32_t ar)
{
	return (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

#endif /* !__ASSEMBLER__ */
#endif /* ARCH_VMCB_H */
