# SPDX-License-Identifier: MIT
"""Emulator test cases for tests/harness.py: data only, one dict per case.

Fields:
  name      unique; the case's files go to build/tests/<name>/
  emulator  "qemu" or "bochs"
  cmdline   hypervisor command line; the harness puts exit=<emulator> first
  args      (optional) extra emulator arguments: QEMU command-line words, or Bochs
            configuration lines appended to boot/bochsrc.in
  expect    regexes that must match the serial log, in this order
  forbid    (optional) regexes that must match nowhere in the serial log
  outcome   "success" or "failure": the emulator's exit status and the last
            serial line ("hv: exit: success|failure") must both say so
  timeout   seconds before the emulator's process group is killed
"""

# An exception report: the vector, where it hit, the registers, a backtrace
# that reaches the self-test dispatcher, then the panic and a failed exit.
# registers: extra regexes for the register dump (e.g. CR2 for a page fault).
def exception_report(vector_regex, registers=()):
    return [
        r"E hv: exception " + vector_regex + r".* in ring 0 at RIP 0x[0-9a-f]{16}",
        r"E hv: RAX [0-9a-f]{16} RBX [0-9a-f]{16}",
        r"E hv: RIP [0-9a-f]{16} RFLAGS",
        *registers,
        r"E hv: backtrace:",
        r"E hv: +#\d+ +0x[0-9a-f]{16} selftest_run\+0x[0-9a-f]+",
        r"E hv: PANIC: ",
    ]

# Signs that something went wrong in a run that must succeed.
NO_ERRORS = [r"PANIC", r"exception \d+", r"^\[[^\]]*\] E "]

GP = r"13 \(#GP"
PF = r"14 \(#PF"
UD = r"6 \(#UD"

CASES = [
    # Normal boot, both emulators.
    dict(name="qemu-boot", emulator="qemu", cmdline="",
         expect=[r"I hv: uhv micro-hypervisor starting",
                 r"I hv: boot: loader 'GRUB [^']*', command line 'exit=qemu'",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=30),
    dict(name="bochs-boot", emulator="bochs", cmdline="",
         expect=[r"I hv: uhv micro-hypervisor starting",
                 r"I hv: boot: loader 'GRUB [^']*', command line 'exit=bochs'",
                 r"I hv: cpu: VMX: EPT yes \(4-level, WB.*\), VPID yes.*, unrestricted guest yes",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=60),

    # hwcheck: the report a user runs first on real hardware, and its verdict.
    dict(name="qemu-hwcheck-vtd", emulator="qemu", cmdline="hwcheck",
         args=["-device", "intel-iommu,intremap=on"],
         expect=[r"I hv: hwcheck: ===== uhv hardware check =====",
                 r"I hv: cpu: SVM: NPT yes, ASIDs 16",
                 r"I hv: iommu: VT-d: ACPI DMAR table with 1 remapping unit\(s\)",
                 r"I hv: iommu: DRHD 0: registers at 0xfed90000",
                 r"I hv: hwcheck: verdict: full system: yes \(SVM backend, VT-d IOMMU",
                 r"I hv: hwcheck: ===== end of hardware check ====="],
         forbid=NO_ERRORS + [r"boot complete"], outcome="success", timeout=30),
    dict(name="qemu-hwcheck-no-iommu", emulator="qemu", cmdline="hwcheck",
         expect=[r"I hv: hwcheck: missing: IOMMU: no ACPI DMAR table",
                 r"I hv: hwcheck: verdict: partial: VMs yes \(SVM backend\), device assignment NO"],
         forbid=NO_ERRORS + [r"boot complete"], outcome="success", timeout=30),
    dict(name="bochs-hwcheck", emulator="bochs", cmdline="hwcheck",
         expect=[r"I hv: hwcheck: ===== uhv hardware check =====",
                 r"I hv: cpu: VMX: EPT yes \(4-level, WB, 2M, 1G.*\), VPID yes.*unrestricted guest yes, preemption timer yes",
                 r"I hv: hwcheck: CPU backend: VMX",
                 r"I hv: hwcheck: verdict: partial: VMs yes \(VMX backend\), device assignment NO"],
         forbid=NO_ERRORS + [r"boot complete"], outcome="success", timeout=60),
    dict(name="bochs-hwcheck-penryn", emulator="bochs", cmdline="hwcheck",
         args=["cpu: model=core2_penryn_t9600, count=1, ips=100000000, reset_on_triple_fault=0"],
         expect=[r"I hv: hwcheck: verdict: no: VMX: no EPT"],
         forbid=NO_ERRORS + [r"boot complete"], outcome="success", timeout=60),

    # acpidump: every table, in the format tests/tools/acpidump2bin.py reads back.
    dict(name="qemu-acpidump", emulator="qemu", cmdline="acpidump",
         expect=[r"^acpidump: DSDT @0x[0-9a-f]+ len \d+",
                 r"^acpidump: 0000: 44 53 44 54",
                 r"^acpidump: end DSDT",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=30),

    # exit=acpi: ACPI S5 soft-off found through the FADT and \\_S5, on both.
    dict(name="qemu-exit-acpi", emulator="qemu", cmdline="exit=acpi",
         expect=[r"I hv: boot complete", r"I hv: exit: success", r"I hv: acpi: entering S5"],
         forbid=NO_ERRORS + [r"system halted"], outcome="poweroff", timeout=30),
    dict(name="bochs-exit-acpi", emulator="bochs", cmdline="exit=acpi",
         expect=[r"I hv: boot complete", r"I hv: exit: success", r"I hv: acpi: entering S5"],
         forbid=NO_ERRORS + [r"system halted"], outcome="poweroff", timeout=60),

    # The debug log level shows the multiboot2 location (used to capture fixtures).
    dict(name="qemu-loglevel-debug", emulator="qemu", cmdline="loglevel=debug",
         expect=[r"D hv: boot: multiboot2 information at 0x[0-9a-f]+, \d+ bytes",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=30),

    # Ring-0 faults must panic with a full report.
    dict(name="qemu-ring0-gp", emulator="qemu", cmdline="test=ring0-gp",
         expect=[r"I hv: selftest: reading non-canonical address"] + exception_report(GP),
         forbid=[r"boot complete", r"selftest: ring0-gp (passed|FAILED)"],
         outcome="failure", timeout=30),
    dict(name="qemu-ring0-pagefault", emulator="qemu", cmdline="test=ring0-pagefault",
         expect=[r"I hv: selftest: writing unmapped address"] + exception_report(PF, [r"CR2 0000000000001000"]),
         forbid=[r"boot complete", r"selftest: ring0-pagefault (passed|FAILED)"],
         outcome="failure", timeout=30),
    dict(name="qemu-ring0-ud", emulator="qemu", cmdline="test=ring0-ud",
         expect=[r"I hv: selftest: executing ud2"] + exception_report(UD),
         forbid=[r"boot complete", r"selftest: ring0-ud (passed|FAILED)"],
         outcome="failure", timeout=30),
    dict(name="bochs-ring0-ud", emulator="bochs", cmdline="test=ring0-ud",
         expect=[r"I hv: selftest: executing ud2"] + exception_report(UD),
         forbid=[r"boot complete", r"selftest: ring0-ud (passed|FAILED)"],
         outcome="failure", timeout=60),
    dict(name="bochs-ring0-gp", emulator="bochs", cmdline="test=ring0-gp",
         expect=[r"I hv: selftest: reading non-canonical address"] + exception_report(GP),
         forbid=[r"boot complete", r"selftest: ring0-gp (passed|FAILED)"],
         outcome="failure", timeout=60),

    # A stack overflow hits the guard page; the double fault is reported from its IST stack.
    dict(name="qemu-stack-overflow", emulator="qemu", cmdline="test=stack-overflow",
         expect=[r"I hv: selftest: recursing until the boot stack overflows",
                 r"E hv: exception 8 \(#DF double fault\)",
                 r"E hv: +#\d+ +0x[0-9a-f]{16} recurse\+0x[0-9a-f]+",
                 r"E hv: PANIC: unhandled exception 8"],
         forbid=[r"boot complete"], outcome="failure", timeout=30),

    # W^X: the hypervisor's own code is not writable.
    dict(name="qemu-write-text", emulator="qemu", cmdline="test=write-text",
         expect=[r"I hv: selftest: writing to hypervisor text",
                 r"E hv: exception 14 \(#PF",
                 r"E hv: page fault address \(CR2\) 0xffffffff8[0-9a-f]+: protection violation on write",
                 r"E hv: +#0 +0x[0-9a-f]{16} test_write_text\+0x[0-9a-f]+",
                 r"E hv: PANIC: "],
         forbid=[r"boot complete"], outcome="failure", timeout=30),
    dict(name="bochs-write-text", emulator="bochs", cmdline="test=write-text",
         expect=[r"I hv: selftest: writing to hypervisor text",
                 r"E hv: exception 14 \(#PF",
                 r"E hv: page fault address \(CR2\) 0xffffffff8[0-9a-f]+: protection violation on write",
                 r"E hv: PANIC: "],
         forbid=[r"boot complete"], outcome="failure", timeout=60),

    # Every free frame on the real memory map is RAM and outside every reserved range.
    dict(name="qemu-frames", emulator="qemu", cmdline="test=frames",
         expect=[r"I hv: selftest: \d{5,} frames allocated \(highest 0x[0-9a-f]+\), 0 bad, \d+ free again",
                 r"I hv: selftest: frames passed"],
         forbid=NO_ERRORS, outcome="success", timeout=60),
    dict(name="bochs-frames", emulator="bochs", cmdline="test=frames",
         expect=[r"I hv: selftest: \d{5,} frames allocated \(highest 0x[0-9a-f]+\), 0 bad, \d+ free again",
                 r"I hv: selftest: frames passed"],
         forbid=NO_ERRORS, outcome="success", timeout=120),

    # An exception under .ex_table resumes at its fixup.
    dict(name="qemu-extable", emulator="qemu", cmdline="test=extable",
         expect=[r"I hv: selftest: recovered from #UD through .ex_table",
                 r"I hv: selftest: extable passed"],
         forbid=NO_ERRORS, outcome="success", timeout=30),

    # Bad boot options are refused by name, and the run fails.
    dict(name="qemu-bad-option", emulator="qemu", cmdline="bogus=1",
         expect=[r"E hv: cmdline: unknown option 'bogus=1'",
                 r"E hv: boot: refusing to start: 1 boot option\(s\) not understood"],
         forbid=[r"boot complete", r"PANIC"], outcome="failure", timeout=30),
    dict(name="qemu-bad-test-name", emulator="qemu", cmdline="test=no-such-test",
         expect=[r"E hv: selftest: no test named 'no-such-test'"],
         forbid=[r"PANIC", r"boot complete"], outcome="failure", timeout=30),
]
