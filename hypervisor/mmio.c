// SPDX-License-Identifier: MIT
/*
 * Emulated MMIO: the ECAM window and the MSI-X table pages (hv/mmio.h). The guest's instruction is
 * hostile input like its port accesses: anything this file cannot perform
 * exactly as the CPU would is a contained failure of the VM, named with
 * the address, the function and the bytes at RIP.
 */
#include <abi/errno.h>
#include <arch/guest_mmu.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/mmio.h>
#include <hv/mmio_decode.h>
#include <hv/pci_irq.h>
#include <hv/pci_owner.h>
#include <hv/vm.h>

/* ECAM (PCIe 6.0, 7.2.2): 1 MiB per bus, 32 KiB per device, 4 KiB per function. */
#define ECAM_BUS_SHIFT		20
#define ECAM_DEV_SHIFT		15
#define ECAM_FN_SHIFT		12
#define ECAM_CFG_SIZE		4096

bool mmio_ecam_lookup(uint64_t gpa, pci_sbdf_t *sbdf, uint16_t *offset)
{
	const struct acpi_info *acpi = acpi_get();

	for (uint32_t i = 0; i < acpi->mcfg_count && i < ACPI_MAX_MCFG; i++) {
		const struct acpi_mcfg_segment *m = &acpi->mcfg[i];
		uint64_t first = m->base + ((uint64_t)m->bus_start << ECAM_BUS_SHIFT);
		uint64_t end = m->base + (((uint64_t)m->bus_end + 1) << ECAM_BUS_SHIFT);

		if (m->bus_end < m->bus_start || gpa < first || gpa >= end)
			continue;
		uint64_t rel = gpa - m->base;

		*sbdf = PCI_SBDF(m->segment, (rel >> ECAM_BUS_SHIFT) & 0xff, (rel >> ECAM_DEV_SHIFT) & 0x1f,
				 (rel >> ECAM_FN_SHIFT) & 0x7);
		*offset = (uint16_t)(rel & (ECAM_CFG_SIZE - 1));
		return true;
	}
	return false;
}

/* The general register ModRM numbers name, in struct vcpu_regs (whose order is not the encoding's). */
static uint64_t *gpr(struct vcpu_regs *r, unsigned int n)
{
	switch (n) {
	case MMIO_RAX: return &r->rax;
	case MMIO_RCX: return &r->rcx;
	case MMIO_RDX: return &r->rdx;
	case MMIO_RBX: return &r->rbx;
	case MMIO_RSP: return &r->rsp;
	case MMIO_RBP: return &r->rbp;
	case MMIO_RSI: return &r->rsi;
	case MMIO_RDI: return &r->rdi;
	case MMIO_R8: return &r->r8;
	case MMIO_R9: return &r->r9;
	case MMIO_R10: return &r->r10;
	case MMIO_R11: return &r->r11;
	case MMIO_R12: return &r->r12;
	case MMIO_R13: return &r->r13;
	case MMIO_R14: return &r->r14;
	default: return &r->r15;
	}
}

static void bytes_hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)format(out + at, cap - at, "%s%02x", i ? " " : "", b[i]);
	if (!n)
		format(out, cap, "none readable");
}

/*
 * One access of size bytes at offset of sbdf: 8-byte accesses are two
 * dword configuration accesses, low dword first.
 */
static void ecam_access(uint32_t vm, pci_sbdf_t sbdf, uint16_t off, unsigned int size, bool write,
			uint64_t *value)
{
	uint32_t part;

	if (size == 8) {
		uint32_t lo = (uint32_t)*value, hi = (uint32_t)(*value >> 32);

		vpci_cfg_access(vm, sbdf, off, 4, write, &lo);
		vpci_cfg_access(vm, sbdf, (uint16_t)(off + 4), 4, write, &hi);
		*value = (uint64_t)hi << 32 | lo;
		return;
	}
	part = (uint32_t)*value;
	vpci_cfg_access(vm, sbdf, off, size, write, &part);
	*value = part;
}

bool mmio_emulate(struct vcpu *v, uint64_t gpa, unsigned int access, enum exit_action *action)
{
	struct vm *vm = v->vm;
	pci_sbdf_t sbdf = 0;
	uint16_t off = 0;
	struct pci_assigned *msix = NULL;
	struct guest_paging gp;
	uint8_t b[MMIO_INSN_MAX_LEN];
	char hex[3 * MMIO_INSN_MAX_LEN + 16], where[96];
	struct mmio_insn insn;
	const char *why = NULL;
	int err, rc;
	size_t n;

	if (mmio_ecam_lookup(gpa, &sbdf, &off))
		format(where, sizeof(where), "ECAM %s at guest-physical %#llx (%02x:%02x.%u register %#x)",
		       access & MEM_WRITE ? "write" : "read", (unsigned long long)gpa, PCI_BUS(sbdf), PCI_DEV(sbdf),
		       PCI_FN(sbdf), off);
	else if ((msix = pci_owner_msix_page_at(vm->id, gpa)))
		format(where, sizeof(where), "%s at guest-physical %#llx (the MSI-X table page of %02x:%02x.%u)",
		       access & MEM_WRITE ? "write" : "read", (unsigned long long)gpa, PCI_BUS(msix->dev->sbdf),
		       PCI_DEV(msix->dev->sbdf), PCI_FN(msix->dev->sbdf));
	else
		return false;
	*action = EXIT_STOP;
	if (access & MEM_EXEC) {
		vm_fail(vm, "instruction fetch from %s at guest-physical %#llx at RIP %#llx",
			msix ? "an MSI-X table page" : "the ECAM window", (unsigned long long)gpa,
			(unsigned long long)v->regs.rip);
		return true;
	}

	vcpu_backend()->guest_paging(v, &gp);
	n = guest_fetch_insn(vm, &gp, v->regs.rip, b, sizeof(b), &err);
	bytes_hex(hex, sizeof(hex), b, MIN(n, (size_t)8));
	if (guest_in_64bit_mode(&gp))
		rc = mmio_decode(b, n, MMIO_MODE_64, &insn);
	else if (gp.cs_db)
		rc = mmio_decode(b, n, MMIO_MODE_32, &insn);
	else
		rc = -HV_ENOTSUP, why = "16-bit code is not decoded";

	if (rc == -HV_ERANGE && err)
		why = err == -HV_ENOTSUP ? "the guest's paging mode is not decoded" :
		      "the instruction bytes are not readable";
	else if (rc && !why)
		why = "not a MOV or MOVZX to or from memory (the only instructions emulated here)";
	else if (!rc && insn.write != !!(access & MEM_WRITE))
		why = insn.write ? "the instruction stores but the fault was a read" :
		      "the instruction loads but the fault was a write";
	else if (!rc && !msix && (off & (insn.size - 1)))
		why = "a misaligned configuration access";

	uint64_t value = !why && insn.write ? mmio_store_value(&insn, *gpr(&v->regs, insn.reg)) : 0;

	if (!why && msix)
		pci_irq_msix_mmio(msix, gpa, insn.size, insn.write, &value, &why);
	if (why) {
		vm_fail(vm, "%s not emulated: %s (bytes at RIP %#llx: %s)", where, why,
			(unsigned long long)v->regs.rip, hex);
		return true;
	}
	if (msix) {
		vm->msix_accesses++;
	} else {
		ecam_access(vm->id, sbdf, off, insn.size, insn.write, &value);
		vm->ecam_accesses++;
	}
	if (!insn.write) {
		uint64_t *dst = gpr(&v->regs, insn.reg);

		*dst = mmio_load_result(&insn, *dst, value);
	}
	v->emulated_len = insn.len;
	*action = EXIT_EMULATED;
	return true;
}
