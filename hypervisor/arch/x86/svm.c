// SPDX-License-Identifier: MIT
/*
 * The AMD SVM vcpu backend (AMD APM vol. 2, chapter 15): one VMCB per vCPU,
 * guest memory through nested paging (npt.c), every exit decoded here and
 * handed to the shared handlers (hv/vcpu.h) through one table indexed by a
 * dense exit slot. docs/svm.md explains the choices for a reader new to SVM.
 */
#include <abi/errno.h>
#include <abi/hypercall.h>
#include <arch/cpu.h>
#include <arch/cpu_features.h>
#include <arch/guest_boot.h>
#include <arch/guest_mmu.h>
#include <arch/msr.h>
#include <arch/npt.h>
#include <arch/vcpu_select.h>
#include <arch/svm_caps.h>
#include <arch/vmcb.h>
#include <hv/console.h>
#include <hv/frame.h>
#include <hv/mm.h>
#include <hv/panic.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#define SVM_GUEST_PAT		0x0007040600070406ULL	/* the power-on PAT: WB, WT, UC-, UC twice */
#define SVM_GUEST_DR6		0xffff0ff0ULL		/* DR6 and DR7 reset values */
#define SVM_GUEST_DR7		0x400ULL
#define SVM_ASID_MAX		VM_MAX	/* one per VM is all this hypervisor can use */
#define X86_MAX_INSN_LEN	15

/* In svm_entry.S. */
void svm_vmrun(struct vcpu_regs *regs, paddr_t guest_vmcb, paddr_t host_save);

static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }

/* Per physical CPU (there is one). */
static struct {
	paddr_t hsave_pa;		/* VM_HSAVE_PA: where VMRUN keeps the host's state */
	paddr_t host_state_pa;		/* VMSAVE/VMLOAD area for the host's FS, GS, TR, LDTR, MSRs */
	uint32_t asids;			/* usable ASIDs: 1 .. asids */
	bool nrip_save;			/* the VMCB's NRIP holds the next RIP after an intercept */
	bool flush_by_asid;
	bool asids_shared_warned;
	uint8_t asid_users[SVM_ASID_MAX + 1];
	/* The vCPU whose translations an ASID's TLB entries hold: a change of hands flushes. */
	const struct vcpu *asid_last[SVM_ASID_MAX + 1];
} svm;

struct svm_vcpu {
	bool in_use;
	struct vmcb *vmcb;
	paddr_t vmcb_pa;
	paddr_t iopm_pa;		/* 12 KiB, all ones (every port exits) but for io_allow() */
	paddr_t msrpm_pa;		/* 8 KiB, all ones: every MSR exits */
	uint32_t asid;
	bool flush_tlb;			/* flush before the next VMRUN (a fresh or restarted vCPU) */
};

static struct svm_vcpu svm_vcpus[VM_MAX];

/* ---- Per CPU. ---- */

static int svm_cpu_init(void)
{
	const struct svm_caps *caps = &cpu_caps_get()->svm;
	paddr_t hsave, host_state;

	/* SVM at all: CPUID Fn8000_0001 ECX.SVM. */
	if (!caps->supported) {
		pr_err("svm: the CPU has no SVM");
		return -HV_ENODEV;
	}
	/* The firmware may have disabled it (VM_CR.SVMDIS); Bochs cannot read VM_CR, so unknown counts as enabled. */
	if (caps->vm_cr_readable && (caps->vm_cr & VM_CR_SVMDIS)) {
		pr_err("svm: disabled by the firmware (VM_CR %#llx)", (unsigned long long)caps->vm_cr);
		return -HV_ENODEV;
	}
	/* Nested paging: the only way this hypervisor confines a guest's memory. */
	if (!(caps->features & SVM_CPUID_NP)) {
		pr_err("svm: no nested paging");
		return -HV_ENODEV;
	}
	/* At least one ASID besides the host's ASID 0, which VMRUN refuses. */
	if (caps->nasid < 2) {
		pr_err("svm: %u ASIDs: none left for guests", caps->nasid);
		return -HV_ENODEV;
	}
	if (wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME)) {
		pr_err("svm: EFER.SVME cannot be set");
		return -HV_EIO;
	}
	hsave = frame_alloc();
	host_state = frame_alloc();
	if (!hsave || !host_state) {
		if (hsave)
			BUG_ON(frame_free(hsave));
		return -HV_ENOMEM;
	}
	memset(phys_to_virt(hsave), 0, FRAME_SIZE);
	memset(phys_to_virt(host_state), 0, FRAME_SIZE);
	wrmsr(MSR_VM_HSAVE_PA, hsave);

	svm.hsave_pa = hsave;
	svm.host_state_pa = host_state;
	svm.asids = MIN(caps->nasid - 1, SVM_ASID_MAX);
	svm.nrip_save = caps->features & SVM_CPUID_NRIPS;
	svm.flush_by_asid = caps->features & SVM_CPUID_FLUSHBYASID;
	pr_info("svm: revision %u, %u ASIDs (%u used), NRIP save %s, flush by ASID %s, host save area at %#llx",
		caps->revision, caps->nasid, svm.asids, svm.nrip_save ? "yes" : "no (lengths decoded)",
		svm.flush_by_asid ? "yes" : "no", (unsigned long long)hsave);
	return 0;
}

/*
 * An ASID for a new vCPU: a free one if there is one, else the least shared
 * (QEMU has 15 for 16 possible VMs). Sharing is correct because a change of
 * hands on an ASID flushes the TLB before VMRUN (svm_prepare_tlb).
 */
static uint32_t svm_asid_alloc(void)
{
	uint32_t best = 1;

	for (uint32_t a = 1; a <= svm.asids; a++)
		if (svm.asid_users[a] < svm.asid_users[best])
			best = a;
	if (svm.asid_users[best] && !svm.asids_shared_warned) {
		pr_warn("svm: more vCPUs than the %u ASIDs: sharing ASID %u, flushing the TLB when it changes hands",
			svm.asids, best);
		svm.asids_shared_warned = true;
	}
	svm.asid_users[best]++;
	return best;
}

static void svm_asid_free(const struct vcpu *v, uint32_t asid)
{
	svm.asid_users[asid]--;
	if (svm.asid_last[asid] == v)
		svm.asid_last[asid] = NULL;
}

/* ---- The VMCB. ---- */

static void svm_set_segment(struct vmcb_segment *s, uint16_t selector, uint32_t vmx_ar, uint32_t limit)
{
	*s = (struct vmcb_segment){
		.selector = selector,
		.attrib = vmcb_attrib_from_vmx_ar(vmx_ar),
		.limit = limit,
		.base = 0,
	};
}

/* The architectural boot state (arch/guest_boot.h, abi/vm_boot.h) in the state-save area. */
static void svm_init_guest_state(struct vmcb_state_save_area *s, const struct vcpu_regs *regs)
{
	svm_set_segment(&s->cs, UHV_BOOT_CS, GUEST_BOOT_CS_AR, 0xffffffff);
	svm_set_segment(&s->ds, UHV_BOOT_DS, GUEST_BOOT_DS_AR, 0xffffffff);
	svm_set_segment(&s->es, UHV_BOOT_DS, GUEST_BOOT_DS_AR, 0xffffffff);
	svm_set_segment(&s->ss, UHV_BOOT_DS, GUEST_BOOT_DS_AR, 0xffffffff);
	svm_set_segment(&s->fs, 0, 0, 0);		/* null selectors: unusable, base 0 */
	svm_set_segment(&s->gs, 0, 0, 0);
	svm_set_segment(&s->ldtr, 0, 0, 0);
	/* TR: a busy 64-bit TSS of minimum size; the guest has no TSS of its own until it loads one. */
	svm_set_segment(&s->tr, 0, GUEST_BOOT_TR_AR, 0x67);
	s->gdtr.base = UHV_BOOT_GDT;
	s->gdtr.limit = GUEST_BOOT_GDT_LIMIT;
	s->idtr.base = 0;
	s->idtr.limit = 0;
	s->cpl = 0;
	/* EFER.SVME must be set in the guest too, or VMRUN fails (APM 15.5.1). */
	s->efer = GUEST_BOOT_EFER | EFER_SVME;
	s->cr0 = GUEST_BOOT_CR0;
	s->cr3 = GUEST_BOOT_CR3;
	s->cr4 = GUEST_BOOT_CR4;
	s->dr6 = SVM_GUEST_DR6;
	s->dr7 = SVM_GUEST_DR7;
	s->g_pat = SVM_GUEST_PAT;
	s->rflags = regs->rflags;
	s->rip = regs->rip;
	s->rsp = regs->rsp;
	s->rax = regs->rax;
}

/*
 * The intercepts, and why each (docs/svm.md has the long version):
 *   INTR, NMI     a host interrupt must end the guest's slice (V_INTR_MASKING
 *                 keeps the guest's IF from masking them)
 *   VINTR         only while a virtual interrupt waits for the guest's IF
 *   CPUID, VMMCALL, HLT, IOIO, MSR, SHUTDOWN: the shared handlers' policy
 *   INVD, WBINVD  INVD would drop the host's dirty cache lines; both are no-ops
 *   XSETBV        XCR0 is not switched by VMRUN
 *   VMRUN (required), VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA: the guest
 *                 has EFER.SVME (VMRUN demands it) but must not use SVM: these
 *                 take host-physical addresses, block host interrupts, or
 *                 flush other ASIDs
 *   MONITOR, MWAIT hidden in CPUID; a guest that uses them anyway is stopped
 *   INIT          would reset the physical CPU's state
 * Not intercepted: RDTSC and RDTSCP, which read the host TSC plus TSC_OFFSET
 * (minus the VM's start: its TSC clock, abi/vm_boot.h).
 * No CR or DR intercepts: the VMCB holds the guest's CR0/CR3/CR4/EFER and
 * DR6/DR7, VMRUN and #VMEXIT swap them, and with nested paging the guest's
 * CR3 needs no shadowing. Whatever the guest writes there changes only the
 * guest; VMRUN's own consistency checks catch impossible combinations.
 */
static void svm_init_control(struct vmcb_control_area *c, const struct svm_vcpu *sv, paddr_t npt_root,
			     uint64_t tsc_offset)
{
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_INIT |
			     SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT |
			     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			     SVM_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_MONITOR |
			     SVM_INTERCEPT_MWAIT | SVM_INTERCEPT_XSETBV;
	c->iopm_base_pa = sv->iopm_pa;
	c->msrpm_base_pa = sv->msrpm_pa;
	c->guest_asid = sv->asid;
	c->vintr = SVM_V_INTR_MASKING;
	c->np_enable = SVM_NP_ENABLE;
	c->n_cr3 = npt_root;
	c->tsc_offset = tsc_offset;
}

static void svm_vcpu_free(struct vcpu *v, struct svm_vcpu *sv)
{
	if (sv->vmcb_pa)
		BUG_ON(frame_free(sv->vmcb_pa));
	if (sv->iopm_pa)
		BUG_ON(frame_free_contig(sv->iopm_pa, SVM_IOPM_SIZE / FRAME_SIZE));
	if (sv->msrpm_pa)
		BUG_ON(frame_free_contig(sv->msrpm_pa, SVM_MSRPM_SIZE / FRAME_SIZE));
	if (sv->asid)
		svm_asid_free(v, sv->asid);
	memset(sv, 0, sizeof(*sv));
	v->arch = NULL;
}

static int svm_vcpu_create(struct vcpu *v)
{
	struct svm_vcpu *sv = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(svm_vcpus) && !sv; i++)
		if (!svm_vcpus[i].in_use)
			sv = &svm_vcpus[i];
	if (!sv)
		return -HV_EBUSY;
	memset(sv, 0, sizeof(*sv));
	sv->in_use = true;
	v->arch = sv;

	sv->vmcb_pa = frame_alloc();
	sv->iopm_pa = frame_alloc_contig(SVM_IOPM_SIZE / FRAME_SIZE, 1);
	sv->msrpm_pa = frame_alloc_contig(SVM_MSRPM_SIZE / FRAME_SIZE, 1);
	if (!sv->vmcb_pa || !sv->iopm_pa || !sv->msrpm_pa) {
		svm_vcpu_free(v, sv);
		return -HV_ENOMEM;
	}
	sv->vmcb = memset(phys_to_virt(sv->vmcb_pa), 0, FRAME_SIZE);
	memset(phys_to_virt(sv->iopm_pa), 0xff, SVM_IOPM_SIZE);
	memset(phys_to_virt(sv->msrpm_pa), 0xff, SVM_MSRPM_SIZE);
	sv->asid = svm_asid_alloc();
	sv->flush_tlb = true;

	/* The guest's TSC counts from its start: guest TSC = host TSC - start (mod 2^64). */
	svm_init_control(&sv->vmcb->control, sv, v->vm->gpt.root_pa, -v->vm->start_tsc);
	svm_init_guest_state(&sv->vmcb->save, &v->regs);
	return 0;
}

/* VMCB TSC_OFFSET is architectural (APM vol. 2, "TSC Offset"): every SVM CPU applies it. */
static bool svm_tsc_offsetting(void)
{
	return true;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	if (v->arch)
		svm_vcpu_free(v, v->arch);
}

/* One bit per port, clear: no intercept (APM vol. 2, 15.10.1). */
static int svm_io_allow(struct vcpu *v, uint16_t port, uint32_t count)
{
	struct svm_vcpu *sv = v->arch;
	uint8_t *iopm;

	if (!sv || !count || port + count > 0x10000)
		return -HV_EINVAL;
	iopm = phys_to_virt(sv->iopm_pa);
	for (uint32_t p = port; p < port + count; p++)
		iopm[p / 8] &= (uint8_t)~(1U << (p % 8));
	return 0;
}

/* ---- Instruction lengths without NRIP save. ---- */

/* The opcode an intercept stands for; the last byte is compared under last_mask. */
struct svm_insn {
	uint8_t len;
	uint8_t opcode[3];
	uint8_t last_mask;
};

static const struct svm_insn insn_cpuid = { 2, { 0x0f, 0xa2 }, 0xff };
static const struct svm_insn insn_hlt = { 1, { 0xf4 }, 0xff };
static const struct svm_insn insn_vmmcall = { 3, { 0x0f, 0x01, 0xd9 }, 0xff };
static const struct svm_insn insn_rdmsr_wrmsr = { 2, { 0x0f, 0x30 }, 0xfd };	/* 0f 30 WRMSR, 0f 32 RDMSR */
static const struct svm_insn insn_xsetbv = { 3, { 0x0f, 0x01, 0xd1 }, 0xff };
static const struct svm_insn insn_invd = { 2, { 0x0f, 0x08 }, 0xff };
static const struct svm_insn insn_wbinvd = { 2, { 0x0f, 0x09 }, 0xff };	/* F3 0F 09 is WBNOINVD */

/* What the walk of the guest's page tables needs (arch/guest_mmu.h). */
static void svm_guest_paging(struct vcpu *v, struct guest_paging *p)
{
	const struct vmcb_state_save_area *s = &((struct svm_vcpu *)v->arch)->vmcb->save;

	*p = (struct guest_paging){
		.cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer,
		.cs_base = s->cs.base,
		.cs_long = s->cs.attrib & VMCB_ATTRIB_L,
		.cs_db = s->cs.attrib & VMCB_ATTRIB_DB,
	};
}

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e:	/* segment overrides */
	case 0x64: case 0x65:
	case 0x66: case 0x67:				/* operand and address size */
	case 0xf0: case 0xf2: case 0xf3:		/* LOCK, REPNE, REP */
		return true;
	default:
		return false;
	}
}

/*
 * The length of the intercepted instruction: prefixes (legacy, and REX in
 * 64-bit mode) then the expected opcode. 0 if the bytes at RIP are not that
 * instruction or cannot be read (*why says which).
 */
static unsigned int svm_decode_length(struct vcpu *v, const struct svm_insn *insn, const char **why)
{
	uint8_t b[X86_MAX_INSN_LEN];
	struct guest_paging gp;
	int err;

	svm_guest_paging(v, &gp);
	size_t n = guest_fetch_insn(v->vm, &gp, v->regs.rip, b, sizeof(b), &err);
	bool rex_ok = guest_in_64bit_mode(&gp);
	size_t i = 0;

	while (i < n && (is_legacy_prefix(b[i]) || (rex_ok && (b[i] & 0xf0) == 0x40)))
		i++;
	if (i + insn->len > n) {
		*why = err == -HV_ENOTSUP ? "the guest's paging mode is not decoded" :
		       "the instruction bytes are not readable";
		return 0;
	}
	for (unsigned int k = 0; k < insn->len; k++) {
		uint8_t mask = k + 1 == insn->len ? insn->last_mask : 0xff;

		if ((b[i + k] & mask) != insn->opcode[k]) {
			*why = "the bytes at RIP are not the intercepted instruction";
			return 0;
		}
	}
	return (unsigned int)(i + insn->len);
}

/* ---- Exit handlers. ---- */

typedef enum exit_action (*svm_exit_fn)(struct vcpu *v, struct vmcb *vmcb);

static enum exit_action svm_exit_cpuid(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	return vmexit_cpuid(v);
}

static enum exit_action svm_exit_vmmcall(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	return vmexit_hypercall(v);
}

static enum exit_action svm_exit_hlt(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	return vmexit_hlt(v);
}

/* EXITINFO1: port, size, direction, string/REP (APM 15.10.2). */
static enum exit_action svm_exit_ioio(struct vcpu *v, struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exitinfo1;
	uint16_t port = (uint16_t)((info & SVM_IOIO_PORT) >> SVM_IOIO_PORT_SHIFT);
	unsigned int size = info & SVM_IOIO_SZ8 ? 1 : info & SVM_IOIO_SZ16 ? 2 : 4;
	bool in = info & SVM_IOIO_TYPE_IN;
	uint32_t value = (uint32_t)v->regs.rax & (uint32_t)GENMASK(size * 8 - 1, 0);

	if (info & (SVM_IOIO_STR | SVM_IOIO_REP))
		return vmexit_unhandled(v, in ? "IOIO: INS (string port I/O is not emulated)" :
					"IOIO: OUTS (string port I/O is not emulated)", port);
	enum exit_action next = vmexit_io(v, port, size, in, &value);
	if (in && next != EXIT_STOP) {
		if (size == 4)
			v->regs.rax = value;	/* a 32-bit destination clears bits 63:32 */
		else
			v->regs.rax = (v->regs.rax & ~GENMASK(size * 8 - 1, 0)) | value;
	}
	return next;
}

static enum exit_action svm_exit_msr(struct vcpu *v, struct vmcb *vmcb)
{
	return vmexit_msr(v, (uint32_t)v->regs.rcx, vmcb->control.exitinfo1 == SVM_MSR_EXITINFO1_WRITE);
}

/* EXITINFO1 is a #PF error code for the nested walk, EXITINFO2 the guest-physical address. */
static enum exit_action svm_exit_npf(struct vcpu *v, struct vmcb *vmcb)
{
	uint64_t err = vmcb->control.exitinfo1;
	unsigned int access = err & SVM_NPF_ID ? MEM_EXEC : err & SVM_NPF_RW ? MEM_WRITE : MEM_READ;

	return vmexit_memory_fault(v, vmcb->control.exitinfo2, access);
}

static enum exit_action svm_exit_shutdown(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	return vmexit_triple_fault(v);
}

/*
 * A host interrupt ended the guest's slice. It is still pending: GIF is
 * set again but the host's IF is clear, so open a one-instruction window for
 * the host's own handler, then let the scheduler decide. RESCHEDULE without
 * an instruction to skip.
 */
static enum exit_action svm_exit_intr(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	v->exit_kind_count[VCPU_EXIT_INTERRUPT]++;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return EXIT_RESCHEDULE;
}

/* An NMI: the host takes it as soon as STGI sets GIF; the guest goes on. */
static enum exit_action svm_exit_nmi(struct vcpu *v, struct vmcb *vmcb)
{
	(void)v, (void)vmcb;
	return EXIT_RESUME;
}

/* The interrupt window opened: the loop injects the interrupt on the way back in. */
static enum exit_action svm_exit_vintr(struct vcpu *v, struct vmcb *vmcb)
{
	(void)v;
	vmcb->control.vintr &= ~SVM_V_IRQ;
	vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	return EXIT_RESUME;
}

static enum exit_action svm_exit_xsetbv(struct vcpu *v, struct vmcb *vmcb)
{
	(void)vmcb;
	return vmexit_xsetbv(v, (uint32_t)v->regs.rcx, (v->regs.rdx << 32) | (uint32_t)v->regs.rax);
}

/*
 * INVD and WBINVD are no-ops for a guest: its memory is ordinary write-back
 * RAM and it has no devices that bypass the cache. INVD itself would discard
 * dirty lines of the host and of other VMs.
 */
static enum exit_action svm_exit_cache_flush(struct vcpu *v, struct vmcb *vmcb)
{
	(void)v, (void)vmcb;
	return EXIT_ADVANCE;
}

/* VMRUN refused the VMCB: a hypervisor bug or a guest state VMRUN rejects; contain it and say what was loaded. */
static enum exit_action svm_exit_invalid(struct vcpu *v, struct vmcb *vmcb)
{
	const struct vmcb_state_save_area *s = &vmcb->save;

	vm_fail(v->vm, "VMRUN failed (VMEXIT_INVALID): a VMCB consistency check (APM 15.5.1) refused "
		"EFER %#llx CR0 %#llx CR3 %#llx CR4 %#llx RFLAGS %#llx CS %#x/%#x ASID %u",
		(unsigned long long)s->efer, (unsigned long long)s->cr0, (unsigned long long)s->cr3,
		(unsigned long long)s->cr4, (unsigned long long)s->rflags, s->cs.selector, s->cs.attrib,
		vmcb->control.guest_asid);
	return EXIT_STOP;
}

/* ---- The exit table. ---- */

/*
 * Dense counter slots (VCPU_EXIT_SLOTS): the exit codes 0x060..0x0a4 one to
 * one, then one slot per range (CR/DR accesses, exceptions) and per sparse
 * code (NPF and the AVIC/SEV codes, VMEXIT_INVALID), and one for codes no
 * APM revision known here defines.
 */
#define SVM_SLOT(code)	((unsigned int)((code) - SVM_EXIT_INTR))
enum {
	SVM_SLOT_CR_READ = SVM_SLOT(SVM_EXIT_TLBSYNC) + 1,
	SVM_SLOT_CR_WRITE,
	SVM_SLOT_DR_READ,
	SVM_SLOT_DR_WRITE,
	SVM_SLOT_EXCP,
	SVM_SLOT_NPF,
	SVM_SLOT_AVIC_INCOMPLETE_IPI,
	SVM_SLOT_AVIC_NOACCEL,
	SVM_SLOT_VMGEXIT,
	SVM_SLOT_INVALID,
	SVM_SLOT_UNKNOWN,
	SVM_SLOT_COUNT
};
_Static_assert(SVM_SLOT_COUNT <= VCPU_EXIT_SLOTS, "SVM exit slots fit the core's counters");

static unsigned int svm_exit_slot(uint64_t code)
{
	if (code >= SVM_EXIT_INTR && code <= SVM_EXIT_TLBSYNC)
		return SVM_SLOT(code);
	if (code < SVM_EXIT_WRITE_CR0)
		return SVM_SLOT_CR_READ;
	if (code < SVM_EXIT_READ_DR0)
		return SVM_SLOT_CR_WRITE;
	if (code < SVM_EXIT_WRITE_DR0)
		return SVM_SLOT_DR_READ;
	if (code < SVM_EXIT_EXCP_BASE)
		return SVM_SLOT_DR_WRITE;
	if (code < SVM_EXIT_INTR)
		return SVM_SLOT_EXCP;
	switch (code) {
	case SVM_EXIT_NPF:			return SVM_SLOT_NPF;
	case SVM_EXIT_AVIC_INCOMPLETE_IPI:	return SVM_SLOT_AVIC_INCOMPLETE_IPI;
	case SVM_EXIT_AVIC_NOACCEL:		return SVM_SLOT_AVIC_NOACCEL;
	case SVM_EXIT_VMGEXIT:			return SVM_SLOT_VMGEXIT;
	case SVM_EXIT_INVALID:			return SVM_SLOT_INVALID;
	default:				return SVM_SLOT_UNKNOWN;
	}
}

struct svm_exit {
	const char *name;		/* the APM's name (appendix C), for counters and messages */
	svm_exit_fn handle;		/* NULL: a contained failure of the VM, named */
	const struct svm_insn *insn;	/* the intercepted instruction, to skip on EXIT_ADVANCE */
	bool next_rip_in_exitinfo2;	/* IOIO: the APM puts the next RIP in EXITINFO2 */
};

#define SVM_EXIT_NAME(code, str)	[SVM_SLOT(code)] = { .name = (str) }

static const struct svm_exit svm_exits[SVM_SLOT_COUNT] = {
	[SVM_SLOT(SVM_EXIT_INTR)] = { "INTR", svm_exit_intr, NULL, false },
	[SVM_SLOT(SVM_EXIT_NMI)] = { "NMI", svm_exit_nmi, NULL, false },
	[SVM_SLOT(SVM_EXIT_VINTR)] = { "VINTR", svm_exit_vintr, NULL, false },
	[SVM_SLOT(SVM_EXIT_CPUID)] = { "CPUID", svm_exit_cpuid, &insn_cpuid, false },
	[SVM_SLOT(SVM_EXIT_INVD)] = { "INVD", svm_exit_cache_flush, &insn_invd, false },
	[SVM_SLOT(SVM_EXIT_HLT)] = { "HLT", svm_exit_hlt, &insn_hlt, false },
	[SVM_SLOT(SVM_EXIT_IOIO)] = { "IOIO", svm_exit_ioio, NULL, true },
	[SVM_SLOT(SVM_EXIT_MSR)] = { "MSR", svm_exit_msr, &insn_rdmsr_wrmsr, false },
	[SVM_SLOT(SVM_EXIT_SHUTDOWN)] = { "SHUTDOWN", svm_exit_shutdown, NULL, false },
	[SVM_SLOT(SVM_EXIT_VMMCALL)] = { "VMMCALL", svm_exit_vmmcall, &insn_vmmcall, false },
	[SVM_SLOT(SVM_EXIT_WBINVD)] = { "WBINVD", svm_exit_cache_flush, &insn_wbinvd, false },
	[SVM_SLOT(SVM_EXIT_XSETBV)] = { "XSETBV", svm_exit_xsetbv, &insn_xsetbv, false },
	[SVM_SLOT_NPF] = { "NPF", svm_exit_npf, NULL, false },
	[SVM_SLOT_INVALID] = { "VMEXIT_INVALID", svm_exit_invalid, NULL, false },
	/* Named only: intercepted so that they stop the VM, or never enabled. */
	SVM_EXIT_NAME(SVM_EXIT_SMI, "SMI"),
	SVM_EXIT_NAME(SVM_EXIT_INIT, "INIT"),
	SVM_EXIT_NAME(SVM_EXIT_CR0_SEL_WRITE, "CR0_SEL_WRITE"),
	SVM_EXIT_NAME(SVM_EXIT_IDTR_READ, "IDTR_READ"),
	SVM_EXIT_NAME(SVM_EXIT_GDTR_READ, "GDTR_READ"),
	SVM_EXIT_NAME(SVM_EXIT_LDTR_READ, "LDTR_READ"),
	SVM_EXIT_NAME(SVM_EXIT_TR_READ, "TR_READ"),
	SVM_EXIT_NAME(SVM_EXIT_IDTR_WRITE, "IDTR_WRITE"),
	SVM_EXIT_NAME(SVM_EXIT_GDTR_WRITE, "GDTR_WRITE"),
	SVM_EXIT_NAME(SVM_EXIT_LDTR_WRITE, "LDTR_WRITE"),
	SVM_EXIT_NAME(SVM_EXIT_TR_WRITE, "TR_WRITE"),
	SVM_EXIT_NAME(SVM_EXIT_RDTSC, "RDTSC"),
	SVM_EXIT_NAME(SVM_EXIT_RDPMC, "RDPMC"),
	SVM_EXIT_NAME(SVM_EXIT_PUSHF, "PUSHF"),
	SVM_EXIT_NAME(SVM_EXIT_POPF, "POPF"),
	SVM_EXIT_NAME(SVM_EXIT_RSM, "RSM"),
	SVM_EXIT_NAME(SVM_EXIT_IRET, "IRET"),
	SVM_EXIT_NAME(SVM_EXIT_SWINT, "SWINT"),
	SVM_EXIT_NAME(SVM_EXIT_PAUSE, "PAUSE"),
	SVM_EXIT_NAME(SVM_EXIT_INVLPG, "INVLPG"),
	SVM_EXIT_NAME(SVM_EXIT_INVLPGA, "INVLPGA"),
	SVM_EXIT_NAME(SVM_EXIT_TASK_SWITCH, "TASK_SWITCH"),
	SVM_EXIT_NAME(SVM_EXIT_FERR_FREEZE, "FERR_FREEZE"),
	SVM_EXIT_NAME(SVM_EXIT_VMRUN, "VMRUN"),
	SVM_EXIT_NAME(SVM_EXIT_VMLOAD, "VMLOAD"),
	SVM_EXIT_NAME(SVM_EXIT_VMSAVE, "VMSAVE"),
	SVM_EXIT_NAME(SVM_EXIT_STGI, "STGI"),
	SVM_EXIT_NAME(SVM_EXIT_CLGI, "CLGI"),
	SVM_EXIT_NAME(SVM_EXIT_SKINIT, "SKINIT"),
	SVM_EXIT_NAME(SVM_EXIT_RDTSCP, "RDTSCP"),
	SVM_EXIT_NAME(SVM_EXIT_ICEBP, "ICEBP"),
	SVM_EXIT_NAME(SVM_EXIT_MONITOR, "MONITOR"),
	SVM_EXIT_NAME(SVM_EXIT_MWAIT, "MWAIT"),
	SVM_EXIT_NAME(SVM_EXIT_MWAIT_CONDITIONAL, "MWAIT_CONDITIONAL"),
	SVM_EXIT_NAME(SVM_EXIT_RDPRU, "RDPRU"),
	SVM_EXIT_NAME(SVM_EXIT_EFER_WRITE_TRAP, "EFER_WRITE_TRAP"),
	SVM_EXIT_NAME(SVM_EXIT_CR0_WRITE_TRAP, "CR0_WRITE_TRAP"),
	SVM_EXIT_NAME(SVM_EXIT_CR0_WRITE_TRAP + 3, "CR3_WRITE_TRAP"),
	SVM_EXIT_NAME(SVM_EXIT_CR0_WRITE_TRAP + 4, "CR4_WRITE_TRAP"),
	SVM_EXIT_NAME(SVM_EXIT_CR0_WRITE_TRAP + 8, "CR8_WRITE_TRAP"),
	SVM_EXIT_NAME(SVM_EXIT_INVLPGB, "INVLPGB"),
	SVM_EXIT_NAME(SVM_EXIT_INVLPGB_ILLEGAL, "INVLPGB_ILLEGAL"),
	SVM_EXIT_NAME(SVM_EXIT_INVPCID, "INVPCID"),
	SVM_EXIT_NAME(SVM_EXIT_MCOMMIT, "MCOMMIT"),
	SVM_EXIT_NAME(SVM_EXIT_TLBSYNC, "TLBSYNC"),
	[SVM_SLOT_CR_READ] = { .name = "CR_READ" },
	[SVM_SLOT_CR_WRITE] = { .name = "CR_WRITE" },
	[SVM_SLOT_DR_READ] = { .name = "DR_READ" },
	[SVM_SLOT_DR_WRITE] = { .name = "DR_WRITE" },
	[SVM_SLOT_EXCP] = { .name = "EXCP" },
	[SVM_SLOT_AVIC_INCOMPLETE_IPI] = { .name = "AVIC_INCOMPLETE_IPI" },
	[SVM_SLOT_AVIC_NOACCEL] = { .name = "AVIC_NOACCEL" },
	[SVM_SLOT_VMGEXIT] = { .name = "VMGEXIT" },
	[SVM_SLOT_UNKNOWN] = { .name = "unknown exit code" },
};

static const char *svm_exit_slot_name(unsigned int slot)
{
	return slot < SVM_SLOT_COUNT ? svm_exits[slot].name : NULL;
}

/* ---- Entering the guest. ---- */

/*
 * Deliver the highest pending virtual interrupt if the guest can take it
 * now (RFLAGS.IF set, no STI/MOV SS shadow, no event already being
 * re-injected); otherwise ask for an exit as soon as it can: V_IRQ with
 * V_IGN_TPR makes a virtual interrupt pending, and the VINTR intercept
 * turns its acceptance into an exit (APM 15.21.4) before anything is
 * delivered.
 */
static void svm_deliver_interrupt(struct vcpu *v, struct vmcb *vmcb)
{
	struct vmcb_control_area *c = &vmcb->control;
	int vector = virq_highest(v);

	c->vintr &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_VECTOR);
	c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	if (vector < 0)
		return;
	if (!(c->eventinj & SVM_EVTINJ_V) && (v->regs.rflags & X86_RFLAGS_IF) &&
	    !(c->interrupt_shadow & SVM_INTERRUPT_SHADOW)) {
		c->eventinj = (uint64_t)vector | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_V;
		virq_delivered(v, (uint8_t)vector);
		return;
	}
	c->vintr |= SVM_V_IRQ | SVM_V_IGN_TPR | ((uint64_t)vector << 32);
	c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
}

/*
 * An exit in the middle of delivering an event (EXITINTINFO valid) lost
 * that event unless it is injected again. Software interrupts and INT3/INTO
 * are not: RIP still points at their instruction, which raises them again.
 */
static void svm_requeue_event(struct vmcb *vmcb)
{
	uint64_t info = vmcb->control.exitintinfo;
	uint64_t type = info & SVM_EVTINJ_TYPE;
	uint64_t vector = info & SVM_EVTINJ_VECTOR;

	if (!(info & SVM_EVTINJ_V) || type == SVM_EVTINJ_TYPE_SOFT ||
	    (type == SVM_EVTINJ_TYPE_EXEPT && (vector == 3 || vector == 4)))
		return;
	vmcb->control.eventinj = info;
}

/* Flush the TLB if the ASID last ran another vCPU (shared ASIDs) or this vCPU is new. */
static void svm_prepare_tlb(struct vcpu *v, struct svm_vcpu *sv)
{
	struct vmcb_control_area *c = &sv->vmcb->control;

	c->tlb_control = SVM_TLB_CONTROL_DO_NOTHING;
	if (sv->flush_tlb || svm.asid_last[sv->asid] != v) {
		c->tlb_control = svm.flush_by_asid ? SVM_TLB_CONTROL_FLUSH_ASID : SVM_TLB_CONTROL_FLUSH_ALL;
		svm.asid_last[sv->asid] = v;
		sv->flush_tlb = false;
	}
}

/*
 * Where the guest resumes after the intercepted instruction: NRIP if the
 * CPU saves it, EXITINFO2 for IOIO (APM 15.10.2), else decoded from the
 * instruction bytes. False, and the VM stopped, if it cannot be known.
 */
static bool svm_next_rip(struct vcpu *v, struct vmcb *vmcb, const struct svm_exit *e, uint64_t *next)
{
	const char *why = NULL;
	unsigned int len;

	if (svm.nrip_save) {
		*next = vmcb->control.nrip;
		return true;
	}
	if (e->next_rip_in_exitinfo2) {
		*next = vmcb->control.exitinfo2;
		return true;
	}
	len = svm_decode_length(v, e->insn, &why);
	if (!len) {
		vm_fail(v->vm, "%s exit at RIP %#llx: the instruction's length is unknown: %s", e->name,
			(unsigned long long)v->regs.rip, why);
		return false;
	}
	*next = v->regs.rip + len;
	return true;
}

static void svm_vcpu_run(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;
	struct vmcb *vmcb = sv->vmcb;

	for (;;) {
		svm_deliver_interrupt(v, vmcb);
		svm_prepare_tlb(v, sv);
		vmcb->save.rip = v->regs.rip;
		vmcb->save.rsp = v->regs.rsp;
		vmcb->save.rflags = v->regs.rflags;
		vmcb->save.rax = v->regs.rax;

		/*
		 * GIF = 0 holds every interrupt off until STGI. The host's IF is set
		 * for VMRUN because, with V_INTR_MASKING, the host IF saved by VMRUN
		 * is what lets a physical interrupt cause the INTR exit (APM 15.21.1).
		 */
		svm_clgi();
		irq_enable();
		svm_vmrun(&v->regs, sv->vmcb_pa, svm.host_state_pa);
		irq_disable();
		svm_stgi();

		uint64_t code = vmcb->control.exitcode;
		unsigned int slot = svm_exit_slot(code);
		const struct svm_exit *e = &svm_exits[slot];
		bool skips_insn = (e->insn || e->next_rip_in_exitinfo2) && e->handle;
		uint64_t next = 0;

		v->exits++;
		v->exit_count[slot]++;
		v->regs.rip = vmcb->save.rip;
		v->regs.rsp = vmcb->save.rsp;
		v->regs.rflags = vmcb->save.rflags;
		v->regs.rax = vmcb->save.rax;
		svm_requeue_event(vmcb);

		/* The length first: a handler's effect must not happen if RIP cannot then move past it. */
		if (skips_insn && !svm_next_rip(v, vmcb, e, &next))
			return;

		enum exit_action act = e->handle ? e->handle(v, vmcb) : vmexit_unhandled(v, e->name, code);

		/* A stopped VM's VMCB is gone (vcpu_destroy). */
		if (act == EXIT_STOP || v->state == VCPU_STOPPED)
			return;
		if (act == EXIT_EMULATED) {
			next = v->regs.rip + v->emulated_len;
			skips_insn = true;
		}
		if ((act == EXIT_ADVANCE || act == EXIT_RESCHEDULE || act == EXIT_EMULATED) && skips_insn) {
			v->regs.rip = next;
			vmcb->control.interrupt_shadow &= ~SVM_INTERRUPT_SHADOW;
		}
		if (act == EXIT_RESCHEDULE)
			return;
	}
}

const struct vcpu_backend svm_backend = {
	.name = "SVM",
	.gpa_format = &pt_format_npt,
	.hypercall_insn = UHV_HCALL_VMMCALL,
	.cpu_init = svm_cpu_init,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.io_allow = svm_io_allow,
	.vcpu_run = svm_vcpu_run,
	.exit_slot_name = svm_exit_slot_name,
	.guest_paging = svm_guest_paging,
	.tsc_offsetting = svm_tsc_offsetting,
};
