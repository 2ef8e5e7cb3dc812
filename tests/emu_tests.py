# SPDX-License-Identifier: MIT
"""Emulator test cases for tests/harness.py: data only, one dict per case.

Fields:
  name      unique; the case's files go to build/tests/<name>/
  emulator  "qemu" or "bochs"
  cmdline   hypervisor command line; the harness puts exit=<emulator> first
  args      (optional) extra emulator arguments: QEMU command-line words, or Bochs
            configuration lines appended to boot/bochsrc.in
  expect    regexes that must match the serial log, in this order
  expect_any (optional) regexes that must each match somewhere in the serial log, in any
            order (lines of VMs whose output interleaves differently from run to run)
  forbid    (optional) regexes that must match nowhere in the serial log
  outcome   "success" or "failure": the emulator's exit status and the last
            serial line ("hv: exit: success|failure") must both say so
  timeout   seconds before the emulator's process group is killed
  policy    (optional) a text policy to compile with boot/mkpolicy.py and boot as
            module "policy"; or {"path": ..., "corrupt": KIND} for a broken one
  images    (optional) guest names: build/guests/<name>.elf as module "<name>.elf"
  pcap_expect (optional) hex bytes (a string, or a list of them) that must appear in
            <case dir>/wire.pcap, which the case's QEMU args write (filter-dump;
            "{workdir}" in args is the case dir)
  pcap_forbid (optional) hex byte strings that must not appear in that dump
  disk_images (optional) {file name: size in bytes}: fresh zero-filled files the harness
            creates in the case dir before the run, for args to name ("{workdir}/disk.img")
  client    (optional) a host-side client run during the case (tests/hostclient.py):
            {"kind": "udp-echo", "ready": regex, ...}; QEMU args reach it through a
            hostfwd on 127.0.0.1:{hostport} (the harness picks a free port)
"""

import re

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

# Where Bochs' i440fx puts the e1000 of boot/bochsrc.in (pci: slot1=e1000).
BOCHS_E1000 = "00:02.0"

# Signs that something went wrong in a run that must succeed.
NO_ERRORS = [r"PANIC", r"exception \d+", r"^\[[^\]]*\] E "]

# QEMU's VT-d unit with interrupt remapping, and an e1000 whose DMA it translates.
VTD_ARGS = ["-device", "intel-iommu,intremap=on", "-device", "e1000,netdev=n1", "-netdev", "user,id=n1"]

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
                 r"I hv: iommu: DRHD 0: version 1\.0, SAGAW 3-level, MGAW 39, 65536 domains, 1 fault record\(s\), "
                 r"large pages 2M\+1G, QI yes, IR yes, PT yes, C no, SC no, RWBF no, CM no",
                 r"I hv: iommu: DRHD 0: usable, 3-level domain tables",
                 r"I hv: hwcheck: device assignment: yes \(VT-d\)",
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

    # VT-d DMA remapping: enabled at boot with every device blocked.
    dict(name="qemu-vtd-boot", emulator="qemu", cmdline="", args=VTD_ARGS,
         expect=[r"I hv: iommu: unit 0 at 0xfed90000: version 1\.0, SAGAW 3-level, MGAW 39, \d+ domains, "
                 r"1 fault record\(s\), large pages 2M\+1G, QI yes, IR yes, PT yes, C no, SC no",
                 r"I hv: iommu: DMA remapping enabled, all device DMA blocked \(6 device\(s\) behind 1 unit\(s\); "
                 r"domains: 3-level VT-d tables, 512 GiB",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"behind no remapping unit"], outcome="success", timeout=30),
    dict(name="qemu-vtd-4level", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on,aw-bits=48"],
         expect=[r"I hv: iommu: unit 0 at 0xfed90000: version 1\.0, SAGAW 3\+4-level, MGAW 48,",
                 r"I hv: iommu: DMA remapping enabled, all device DMA blocked \(.*domains: 4-level VT-d tables, "
                 r"262144 GiB",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=30),
    dict(name="qemu-vtd-blocked-dma", emulator="qemu", cmdline="test=vtd-blocked-dma", args=VTD_ARGS,
         expect=[r"I hv: iommu: DMA remapping enabled, all device DMA blocked",
                 r"I hv: selftest: vtd-blocked-dma: e1000 at 00:02\.0, transmit ring at (0x[0-9a-f]+)",
                 r"W hv: iommu: DMA fault: 00:02\.0 \(owned by nobody\) read at 0x[0-9a-f]+000 blocked: "
                 r"reason 0x1 \"root entry not present\" \(unit 0\)",
                 r"I hv: selftest: vtd-blocked-dma: PASS the NIC's DMA was reported as a fault",
                 r"I hv: selftest: vtd-blocked-dma: PASS the fault arrived through the fault-event interrupt",
                 r"I hv: selftest: vtd-blocked-dma: fault from 00:02\.0, read at 0x[0-9a-f]+, reason 0x1 "
                 r"\"root entry not present\"",
                 r"I hv: selftest: vtd-blocked-dma: PASS the fault names the e1000",
                 r"I hv: selftest: vtd-blocked-dma: PASS the blocked access is a read",
                 r"I hv: selftest: vtd-blocked-dma: PASS the faulting address is the transmit ring's page",
                 r"I hv: selftest: vtd-blocked-dma: PASS the reason is 'device not attached'",
                 r"I hv: selftest: vtd-blocked-dma: PASS the transmit ring is unchanged",
                 r"I hv: selftest: vtd-blocked-dma: PASS quiesced",
                 r"I hv: selftest: vtd-blocked-dma passed"],
         forbid=NO_ERRORS + [r"vtd-blocked-dma: FAIL"], outcome="success", timeout=30),
    dict(name="bochs-no-iommu", emulator="bochs", cmdline="",
         expect=[r"I hv: iommu: no DMA remapping hardware \(no ACPI DMAR table or no DRHD\): "
                 r"device DMA is not confined, no device can be assigned to a VM",
                 r"I hv: boot complete"],
         forbid=NO_ERRORS, outcome="success", timeout=60),

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


# ---------------------------------------------------------------------------
# VMs: the same suite on both CPU backends. QEMU runs the SVM backend, Bochs
# the VMX one; every case below is generated for each.

BACKENDS = {"qemu": dict(timeout=90, gpa="NPT"), "bochs": dict(timeout=240, gpa="EPT")}


def vm_lines(vm, passed):
    """A guest's own test report, then its clean stop."""
    return [rf"I {vm}: TEST {vm}: done, {passed} passed, 0 failed",
            rf"I hv: vm '{vm}': stopped itself with exit code 0"]


def vm_case(emulator, name, policy, images, expect, outcome="success", forbid=(), **kw):
    return dict(name=f"{emulator}-vm-{name}", emulator=emulator, cmdline="",
                policy=f"tests/policies/vm-{name}.policy", images=images,
                expect=expect, forbid=[r"PANIC", *forbid], outcome=outcome,
                timeout=kw.get("timeout", BACKENDS[emulator]["timeout"]))


# Containment: each misbehaviour, the log line that must name it.
FAULTS = {  # every attempt of each mode, in order: each must be named by the hypervisor
    "hvmem": [rf"contained: {{gpa}} {access} at guest-physical {addr} \(not its memory\)"
              for access, addr in [("read", "0xfee00000"), ("write", "0xfee000b0"),
                                   ("read", "0xfec00000"), ("read", "0xfed90000"),
                                   ("read", "0xe0000000"), ("write", "0xfebc0000"),
                                   ("write", "0x10000000"), ("read", "0x100000000")]],
    "othervm": [rf"contained: {{gpa}} write at guest-physical {addr} \(not its memory\)"
                for addr in ["0x400000", "0x401000", "0x7ffff8", "0x900000"]],
    # Unmapped guest-virtual addresses fault inside the guest (its own page
    # tables), which reports the exception and stops itself: #PF 0x8e, #GP 0x8d.
    "unmapped": [r"stopped itself with exit code 142"] * 4 + [r"stopped itself with exit code 141"],
    "ioport": [r"contained: port I/O denied: OUT to port 0x3f8 \(1 byte\)",
               r"contained: port I/O denied: OUT to port 0xcf8 \(2 bytes\)",
               r"contained: port I/O denied: IN from port 0xcfd \(2 bytes\)",
               r"contained: port I/O denied: OUT to port 0x64 \(1 byte\)",
               r"contained: port I/O denied: OUT to port 0xcf9 \(1 byte\)",
               r"contained: port I/O denied: OUT to port 0x80 \(1 byte\)"],
    "msr": [r"contained: MSR access denied: WRMSR 0x1b value 0xfee00900",
            r"contained: MSR access denied: WRMSR 0xc0000080",
            r"contained: MSR access denied: WRMSR 0xc0000082",
            r"contained: MSR access denied: WRMSR 0x176",
            r"contained: MSR access denied: WRMSR 0x3a",
            r"contained: MSR access denied: WRMSR 0xc0010117",
            r"contained: MSR access denied: RDMSR 0x480"],
    "triple": [r"contained: triple fault"],
}


# The bystander's summary line, printed after every VM has stopped: busy stops
# with exit code 0 only after "clock-monotonic PASS", which may come before or
# after the other VM's lines depending on timing.
BYSTANDER_DONE = r"I hv: vm 'bystander': stopped, exit code 0, \d+ exits"
BYSTANDER_FAILED = r"I bystander: TEST bystander: .*(FAIL|check failed)"


def vm_cases(emulator):
    gpa = BACKENDS[emulator]["gpa"]
    cases = [
        vm_case(emulator, "hello", "vm-hello", ["hello"],
                [r"I hv: vcpu: (VMX|SVM) backend",
                 r"I hv: vm 'hello': started \(id 1, guest, 4 MiB",
                 r"I hello: TEST hello: boot-info PASS",
                 r"I hello: TEST hello: vm-info-matches-boot-info PASS",
                 r"I hello: TEST hello: HC_VM_STATS: 11 hypercall exit\(s\) across 10 HC_TIME_READ calls",
                 r"I hello: TEST hello: vm-stats PASS",
                 r"I hello: TEST hello: clock: tsc_hz [1-9]\d*, flags 0x[0-9a-f]+ \(TSC.*\), time_ns\(\) by RDTSC",
                 r"I hello: TEST hello: clock: 100000 time_ns\(\) reads over \d+ ns: 1 hypercall exit\(s\)",
                 r"I hello: TEST hello: tsc-clock PASS",
                 *vm_lines("hello", 7),
                 r"I hv: vm 'hello': stopped, exit code 0, \d+ exits",
                 r"I hv: vm 'hello': exits: .*",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"]),
        # Preemption: neither busy VM ever yields, so their progress interleaves
        # only if the scheduler takes the CPU away.
        vm_case(emulator, "preempt", "vm-preempt", ["busy"],
                # Only the alternation counts: how many reports fit in one 10 ms slice depends on
                # the emulator (QEMU TCG: four or five) and on the host's load (a slice can also
                # end before the first report), so any progress line, b first.
                [r"I busy-b: TEST busy-b: progress \d+:", r"I busy-a: TEST busy-a: progress \d+:",
                 r"I busy-b: TEST busy-b: progress \d+:", r"I busy-a: TEST busy-a: progress \d+:",
                 r"I busy-b: TEST busy-b: progress \d+:", r"I busy-a: TEST busy-a: progress \d+:",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"]),
        # Priorities: a runnable higher-ranked vCPU is never preempted for a lower
        # one, so the hogs finish strictly in rank order: the IOVM, then by priority.
        vm_case(emulator, "priority", "vm-priority", ["busy"],
                [r"I iovm: TEST iovm: clock-monotonic PASS",
                 r"I high: TEST high: progress 1:",
                 r"I high: TEST high: clock-monotonic PASS",
                 r"I low: TEST low: progress 1:",
                 r"I low: TEST low: clock-monotonic PASS",
                 r"I hv: sched: 3 VM\(s\): all stopped cleanly"],
                forbid=[r"I (high|low): TEST \w+: progress 1:[\s\S]*I iovm: TEST iovm: progress"]),
        # A blocked guest wakes on its virtual timer; meanwhile the CPU halts.
        vm_case(emulator, "sleeper", "vm-sleeper", ["sleeper"],
                [r"I sleeper: TEST sleeper: sleep-interrupts-off PASS",
                 r"I sleeper: TEST sleeper: sleep-interrupts-on PASS",
                 r"I sleeper: TEST sleeper: sleep-hlt PASS",
                 *vm_lines("sleeper", r"\d+"),
                 r"I hv: vm 'sleeper': exits: .*\bHLT [1-9]",
                 r"I hv: sched: idle: halted [1-9]\d* times",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"]),
        # Hostile hypercalls get errors and change nothing; the bystander finishes.
        # Which VM finishes first depends on the emulator (Bochs sends the storm's
        # console output at 115200 baud of guest time, QEMU at once), so the
        # bystander's verdict is checked in the end-of-run summary, which comes
        # after all guest output in VM order: exit code 0 is its "done, 1 passed".
        vm_case(emulator, "hostile", "vm-hostile", ["hostile", "busy"],
                # Which VM finishes first is timing; the summaries at the end come in VM order,
                # and the bystander (busy) stops with 0 only after its clock-monotonic PASS.
                [*vm_lines("hostile", r"\d+"),
                 BYSTANDER_DONE,
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
                forbid=[BYSTANDER_FAILED]),
        # Restart from the pristine image (hello checks its initialized data).
        vm_case(emulator, "restart", "vm-restart", ["hello"],
                [r"I hello: TEST hello: pristine-image PASS",
                 r"I hv: vm 'hello': restarting \(restart 1\)",
                 r"I hello: TEST hello: pristine-image PASS",
                 r"I hv: vm 'hello': restarting \(restart 8\)",
                 r"I hello: TEST hello: pristine-image PASS",
                 r"E hv: vm 'hello': not restarted: 8 restarts already",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"]),
    ]
    # Channels (docs/channels.md): shared memory between a guest and an IOVM, notifications,
    # the state page's epochs, and what a hostile end cannot do.
    cases += [
        vm_case(emulator, "chan-pingpong", "vm-chan-pingpong", ["chanpeer"],
                [r"I hv: policy: channel pp +net: frontend 'pp-front', backend 'pp-back', 256 KiB, "
                 r"mac 52:54:00:00:00:0a ip 10\.0\.2\.15/24 gateway 10\.0\.2\.2",
                 r"I hv: channel 'pp': handle 0, net, 256 KiB region at guest-physical 0x4000200000, state page "
                 r"at 0x4000000000; frontend 'pp-front' \(vector 0x80\), backend 'pp-back' \(vector 0x80\)",
                 r"I pp-back: TEST pp-back: channel pp: handle 0, backend, vector 0x80, peer pp-front, "
                 r"region 0x4000200000 \(256 KiB\), state 0x4000000000",
                 r"I pp-back: TEST pp-back: peer pp-front: ready, epoch 1",
                 r"I pp-front: TEST pp-front: channel pp: handle 0, frontend, vector 0x80, peer pp-back",
                 r"I pp-front: TEST pp-front: peer pp-back: ready, epoch 1",
                 r"I pp-back: TEST pp-back: ping-pong: 100 messages answered",
                 r"I pp-back: TEST pp-back: ping-pong PASS",
                 # The frontend sees the stop when it next wakes: before or after its own verdict.
                 r"I pp-front: TEST pp-front: peer pp-back: absent, epoch 1",
                 r"I pp-front: TEST pp-front: notify-errors: stopped peer -32, bad handles -2",
                 *vm_lines("pp-front", 3),
                 r"I hv: vm 'pp-front': channel notifications: sent 100, received 100",
                 r"I hv: vm 'pp-back': channel notifications: sent 100, received 100",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
                forbid=[r"check failed", r"FAIL", r"contained"]),
        vm_case(emulator, "chan-epoch", "vm-chan-epoch", ["chanpeer"],
                [r"I ep-front: TEST ep-front: peer ep-back: ready, epoch 1",
                 r"I ep-back: TEST ep-back: failing on purpose",
                 r"E hv: vm 'ep-back': contained: triple fault",
                 r"I hv: vm 'ep-back': restarting \(restart 1\)",
                 r"I ep-back: TEST ep-back: epoch 2: the region still holds both marks",
                 r"I ep-front: TEST ep-front: peer ep-back: ready, epoch 2",
                 r"I ep-front: TEST ep-front: epoch: the backend went from epoch 1 to 2; both marks survived",
                 r"I ep-front: TEST ep-front: epoch PASS",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
                forbid=[r"check failed", r"FAIL"]),
        vm_case(emulator, "chan-hostile", "vm-chan-hostile", ["chanpeer", "busy"],
                [rf"E hv: vm 'hx-front': contained: {gpa} write at guest-physical 0x4000000000: channel 'hx' "
                 r"state page \(read-only, not executable\)",
                 rf"E hv: vm 'hx-front': contained: {gpa} instruction fetch at guest-physical 0x4000200800: "
                 r"channel 'hx' shared region \(not executable\)",
                 rf"E hv: vm 'hx-front': contained: {gpa} write at guest-physical 0x4000204000 \(not its memory\)",
                 # The backend (an IOVM: it runs first) sees each restart as a new epoch.
                 r"I hx-back: TEST hx-back: peer hx-front: ready, epoch 4",
                 r"I hx-front: TEST hx-front: notify on 17 handles that are not its channels: all -HV_ENOENT",
                 r"I hx-front: TEST hx-front: all 3 attempts were contained; the channel still works",
                 r"I hx-front: TEST hx-front: hostile PASS",
                 # The backend's verdict comes when it sees the frontend gone, before or after the
                 # frontend's last lines depending on the slices: its clean stop is what counts.
                 r"I hv: vm 'hx-back': stopped, exit code 0",
                 BYSTANDER_DONE,
                 r"I hv: sched: 3 VM\(s\): all stopped cleanly"],
                forbid=[BYSTANDER_FAILED, r"check failed", r"was not contained"]),
    ]
    # Isolation: every misbehaviour is contained and named; the VM is restarted
    # for the next attempt; the bystander finishes its work untouched.
    for mode, lines in FAULTS.items():
        vm = f"fault-{mode}"
        cases.append(vm_case(
            emulator, f"fault-{mode}", f"vm-fault-{mode}", ["faulter", "busy"],
            [*(rf"hv: vm '{vm}': " + line.format(gpa=gpa) for line in lines),
             rf"I {vm}: TEST {vm}: {vm} PASS",	# the faulter's test is named after its mode, fault-*
             BYSTANDER_DONE,
             r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
            forbid=[BYSTANDER_FAILED]))
    return cases


# A policy that fails validation starts nothing (no CPU backend involved).
POLICY_CASES = [
    dict(name="qemu-policy-missing-image", emulator="qemu", cmdline="",
         policy="tests/policies/vm-hello.policy", images=[],
         expect=[r"E hv: policy: refused: vm 'hello': image 'hello.elf' is not among the boot modules",
                 r"E hv: policy: nothing started"],
         forbid=[r"PANIC", r"vm 'hello': started"], outcome="failure", timeout=30),
    dict(name="qemu-policy-bad-checksum", emulator="qemu", cmdline="",
         policy={"path": "tests/policies/vm-hello.policy", "corrupt": "checksum"}, images=["hello"],
         expect=[r"E hv: policy: refused: .*checksum",
                 r"E hv: policy: nothing started"],
         forbid=[r"PANIC", r"vm 'hello': started"], outcome="failure", timeout=30),
    # Bad channel records (mkpolicy --corrupt adds them between the first guest and the first IOVM).
    *(dict(name=f"qemu-policy-{kind}", emulator="qemu", cmdline="",
           policy={"path": "tests/policies/vm-chan-pingpong.policy", "corrupt": kind}, images=["chanpeer"],
           expect=[r"E hv: policy: refused: " + message, r"E hv: policy: nothing started"],
           forbid=[r"PANIC", r"vm '[a-z-]+': started", r"I hv: channel '"], outcome="failure", timeout=30)
      for kind, message in [
          ("channel-backend-guest", r"channel 'net-a': backend 'pp-front' is a guest: a backend must be an IOVM"),
          ("channel-mac-multicast", r"channel 'net-a': MAC 01:00:5e:00:00:01 is a multicast address"),
          ("channel-per-vm", r"channel 'net-8': vm 'pp-front' would be an end of more than 8 channels")]),
    dict(name="qemu-policy-good", emulator="qemu", cmdline="",
         policy="tests/policies/vm-hostile.policy", images=["hostile", "busy"],
         expect=[r"I hv: policy: 2 VM\(s\), 8 MiB of memory in all",
                 r"I hv: policy: +1 hostile +guest +4 MiB hostile.elf",
                 r"I hv: policy: +2 bystander +guest +4 MiB busy.elf"],
         forbid=[r"PANIC"], outcome="success", timeout=90),
]


# ---------------------------------------------------------------------------
# PCI ownership: an IOVM that owns the e1000 sees it (and only it) through
# ports 0xCF8/0xCFC, reaches its registers, cannot move its BARs; a guest
# sees nothing; bad device records are refused before anything starts.

QEMU_E1000 = ["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1", "-device", "e1000,netdev=n1"]


def pci_iovm_lines(bdf, bar0, io, foreign_exists=False, ecam=False):
    """pcienum in the IOVM 'net' that owns the e1000 at bdf, then in the guest 'app'.

    foreign_exists: 00:1f.2 is a real function (q35), so the hypervisor names
    the write each VM makes to it.
    ecam: the machine has MCFG (q35): both VMs reach configuration space
    through the emulated ECAM window too, and the IOVM's first BAR relocation
    (the one named, once per start) is made through ECAM.
    """
    b = re.escape(bdf)
    foreign = [rf"W hv: pci: vm '{{vm}}': write of 0x6 to 00:1f\.2 register 0x4 ignored: not its device"
               ] if foreign_exists else []
    refused = rf"W hv: pci: vm 'net': {b} BAR0 relocation to 0x[0-9a-f]+ refused \(BARs stay where the firmware put them\)"
    not_mine = r"I {vm}: TEST {vm}: {f} through ECAM \(not this VM's\): id 0xffffffff, after a command write 0xffffffff, extended 0xffffffff"
    ecam_net = [
        r"I net: TEST net: ECAM window at 0xb0000000, buses 00-ff",
        rf"I net: TEST net: {b} through ECAM: 8086:100e header 00 BAR0 {bar0}, extended space at 0x100: 0x[0-9a-f]+",
        refused,
        rf"I net: TEST net: {b} BAR0 through ECAM: wrote 0x[0-9a-f]+, reads {bar0} \(ports {bar0}\)",
        not_mine.format(vm="net", f=r"00:00\.0"),
        not_mine.format(vm="net", f=r"00:1f\.2"),
    ] if ecam else [r"I net: TEST net: no ECAM window \(the machine has no MCFG\): ECAM checks skipped"]
    ecam_app = [
        r"I app: TEST app: ECAM window at 0xb0000000, buses 00-ff",
        not_mine.format(vm="app", f=r"00:00\.0"),
        r"W hv: pci: vm 'app': write of 0x6 to 00:1f\.2 register 0x4 ignored: not its device",
        not_mine.format(vm="app", f=r"00:1f\.2"),
        rf"W hv: pci: vm 'app': write of 0x6 to {b} register 0x4 ignored: not its device",
        not_mine.format(vm="app", f=b),
    ] if ecam else [r"I app: TEST app: no ECAM window \(the machine has no MCFG\): ECAM checks skipped"]
    return [
        rf"I hv: pci: vm 'net': {b} BAR0 {bar0}-0x[0-9a-f]+ mapped uncached at the same guest-physical address",
        rf"I net: TEST net: config-address PASS",
        rf"I net: TEST net: 1 function\(s\) found",
        rf"I net: TEST net: enumerate PASS",
        *ecam_net,
        r"I net: TEST net: ecam PASS",
        rf"I net: TEST net: found {b} 8086:100e class 02.00.00 header 00",
        rf"I net: TEST net: {b} BAR0 mem32 {bar0} size 0x20000",
        rf"I net: TEST net: {b} BAR1 io {io} size 0x40",
        rf"I net: TEST net: {b} ROM BAR sizes to 0 \(no ROM\)",
        rf"I net: TEST net: bars PASS",
        rf"I net: TEST net: {b} e1000 STATUS = 0x[0-9a-f]+",
        rf"I net: TEST net: {b} e1000 RDBAL write/read back through the mapped BAR: 0x12345670",
        rf"I net: TEST net: mmio PASS",
        rf"I net: TEST net: {b} e1000 I/O window at port {io} reached: IOADDR (0|0x[0-9a-f]+), IODATA (0|0x[0-9a-f]+)",
        rf"I net: TEST net: io PASS",
        *([] if ecam else [refused]),
        rf"I net: TEST net: {b} BAR0: wrote 0x[0-9a-f]+, reads {bar0}",
        rf"I net: TEST net: relocate PASS",
        *(line.format(vm="net") for line in foreign),
        r"I net: TEST net: foreign-function-write PASS",
        *vm_lines("net", 8),
        r"I app: TEST app: 0 function\(s\) found",
        r"I app: TEST app: enumerate PASS",
        *ecam_app,
        r"I app: TEST app: ecam PASS",
        *(line.format(vm="app") for line in foreign),
        r"I app: TEST app: foreign-function-write PASS",
        *vm_lines("app", 4),
        # The hypervisor's own count: the VMs really went through the emulated window.
        *([r"I hv: vm 'net': 17 configuration access\(es\) through the ECAM window emulated",
           r"I hv: vm 'app': 11 configuration access\(es\) through the ECAM window emulated"] if ecam else []),
        r"I hv: sched: 2 VM\(s\): all stopped cleanly",
    ]


def pci_refused(name, emulator, policy, message, args=(), images=("pcienum",)):
    return dict(name=f"{emulator}-pci-{name}", emulator=emulator, cmdline="", args=list(args),
                policy=policy, images=list(images),
                expect=[r"E hv: policy: refused: " + message, r"E hv: policy: nothing started"],
                forbid=[r"PANIC", r"vm '\w+': started"], outcome="failure",
                timeout=BACKENDS[emulator]["timeout"])


PCI_CASES = [
    dict(name="qemu-pci-iovm", emulator="qemu", cmdline="", args=QEMU_E1000,
         policy="tests/policies/vm-pci-iovm.policy", images=["pcienum"],
         expect=[r"I hv: policy: device nic +-> vm 'net', id 8086:100e$",
                 r"I hv: pci: 00:02.0 8086:100e Ethernet controller -> vm 'net' \(device 'nic'\)",
                 r"I hv: pci: assigned devices' DMA is confined by the IOMMU",
                 # BARs are mapped when the VM is created, the device attached when it starts.
                 *pci_iovm_lines("00:02.0", r"0xfeb[0-9a-f]+", r"0x[0-9a-f]+", ecam=True)[:1],
                 r"I hv: iommu: vm 'net': DMA domain: I/O addresses 0-0x3fffff -> its RAM at 0x[0-9a-f]+, "
                 r"read/write; nothing else",
                 r"I hv: iommu: vm 'net': 00:02\.0 attached to its DMA domain",
                 *pci_iovm_lines("00:02.0", r"0xfeb[0-9a-f]+", r"0x[0-9a-f]+", foreign_exists=True, ecam=True)[1:]],
         forbid=[r"PANIC", r"check failed", r"UNPROTECTED DMA", r"port I/O denied", r"^\[[^\]]*\] E "],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    dict(name="bochs-pci-unprotected", emulator="bochs", cmdline="",
         policy="tests/policies/vm-pci-unprotected.policy", images=["pcienum"],
         expect=[r"I hv: policy: device nic +-> vm 'net', class 02.00.00/ffffff, unprotected-dma",
                 r"W hv: \*{72}",
                 r"W hv: \* UNPROTECTED DMA: there is no IOMMU",
                 r"W hv: \*   vm 'net' \(device 'nic', 00:0[0-9a-f].0\) CAN OVERWRITE ANY MEMORY",
                 r"W hv: \* as those IOVMs and their devices behave",
                 r"I hv: vcpu: VMX backend",
                 *pci_iovm_lines(BOCHS_E1000, r"0x[0-9a-f]+", r"0x[0-9a-f]+")],
         forbid=[r"PANIC", r"check failed", r"port I/O denied", r"^\[[^\]]*\] E "],
         outcome="success", timeout=BACKENDS["bochs"]["timeout"]),
    pci_refused("twice", "qemu", "tests/policies/vm-pci-twice.policy",
                r"device 'any-nic': 00:02.0 is matched twice: device 'nic' gives it to vm 'net', "
                r"device 'any-nic' to vm 'store'$", QEMU_E1000),
    pci_refused("owner-guest", "qemu", {"path": "tests/policies/vm-pci-iovm.policy", "corrupt": "device-owner-guest"},
                r"device 'owned': owner 'app' is a guest: only an IOVM may own devices$", QEMU_E1000),
    pci_refused("no-match", "qemu", "tests/policies/vm-pci-no-match.policy",
                r"device 'nvme' \(bdf 00:1f.7\) matches no PCI function present$", QEMU_E1000),
    pci_refused("shared-rid", "qemu", "tests/policies/vm-netvm-bridge-shared.policy",
                r"device 'nic': 01:03\.0 shares its requester id with every function behind bridge 00:05\.0 "
                r"\(conventional PCI behind a bridge: the IOMMU cannot tell their DMA apart\); "
                r"add flags = shared-requester-id-ok to accept that$",
                ["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
                 "-device", "pci-bridge,id=br1,bus=pcie.0,addr=0x5,chassis_nr=1",
                 "-device", "e1000,netdev=n1,bus=br1,addr=0x3"], images=("iovm-net",)),
    pci_refused("no-iommu", "bochs", "tests/policies/vm-pci-no-iommu.policy",
                r"device 'nic': no IOMMU \(no ACPI DMAR table\): 00:0[0-9a-f].0 could DMA into any memory; "
                r"add flags = unprotected-dma to assign it anyway$"),
]


# ---------------------------------------------------------------------------
# DMA through the IOMMU: an IOVM's e1000 reaches its RAM (I/O address =
# guest-physical) and nothing else; a DMA fault fails the IOVM.

DMA_MAC = "52:54:00:75:68:76"
# What dmatest transmits: broadcast, from the NIC's MAC (read back from RAL0/RAH0), ethertype
# 0x88b5, then the start of its payload text.
DMA_FRAME = "ff" * 6 + DMA_MAC.replace(":", "") + "88b5" + b"uhv-dmatest: DMA through the IOMMU ".hex()


def qemu_dma_args(dump):
    return ["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
            "-device", f"e1000,netdev=n1,mac={DMA_MAC}",
            *(["-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"] if dump else [])]


def dma_attach_lines(vm, restart=None):
    return [*([rf"I hv: vm '{vm}': restarting \(restart {restart}\)"] if restart else []),
            rf"I hv: iommu: vm '{vm}': 00:02\.0 attached to its DMA domain",
            rf"I hv: vm '{vm}': started \(id 1, IOVM, 4 MiB at 0x[0-9a-f]+, entry 0x[0-9a-f]+"
            + (", restarted" if restart else ""),
            rf"I {vm}: TEST {vm}: ring at 0x[0-9a-f]+, frame at 0x[0-9a-f]+: descriptor status 0x1, TDH 1",
            rf"I {vm}: TEST {vm}: DD written back by the device: its DMA reached this VM's memory",
            rf"I {vm}: TEST {vm}: dma-tx PASS"]


def dma_blocked_lines(vm, address, start):
    """One rogue attempt at address (a regex): blocked at exactly the address tried, the VM
    contained, restarted, re-attached, and its legit DMA working again."""
    return [rf"I {vm}: TEST {vm}: attempting DMA .*: I/O address ({address}) \(expect: blocked, VM stopped\)\n"
            rf".*W hv: iommu: DMA fault: 00:02\.0 \(vm '{vm}'\) read at \1 blocked: reason 0x6 "
            r"\"read of a page without read permission \(not mapped\)\"",
            rf"I hv: iommu: vm '{vm}': 00:02\.0 detached: its DMA is blocked",
            rf"E hv: vm '{vm}': contained: DMA fault: its device 00:02\.0 read at I/O address {address} blocked",
            *dma_attach_lines(vm, start + 1)]


DMA_CASES = [
    # (a) Legit DMA through VT-d: the descriptor's DD comes back, the frame is on the wire.
    dict(name="qemu-dma-net", emulator="qemu", cmdline="", args=qemu_dma_args(dump=True),
         policy="tests/policies/vm-dma-net.policy", images=["dmatest"],
         expect=[r"I hv: pci: assigned devices' DMA is confined by the IOMMU",
                 r"I hv: iommu: vm 'net': DMA domain: I/O addresses 0-0x3fffff -> its RAM at 0x[0-9a-f]+, "
                 r"read/write; nothing else",
                 *dma_attach_lines("net"),
                 r"I net: TEST net: done, 2 passed, 0 failed",
                 r"I hv: iommu: vm 'net': 00:02\.0 detached: its DMA is blocked",
                 r"I hv: pci: vm 'net': 00:02\.0 reset: device-specific \(its own reset register\), interrupts masked",
                 r"I hv: vm 'net': stopped itself with exit code 0",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed"], pcap_expect=DMA_FRAME,
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # (b) Each rogue DMA blocked, logged with requester, address and owner; the IOVM fails and
    # (c) is restarted, re-attached, and its legit DMA works again. The bystander's canary holds.
    dict(name="qemu-dma-rogue", emulator="qemu", cmdline="", args=qemu_dma_args(dump=False),
         policy="tests/policies/vm-dma-rogue.policy", images=["dmatest"],
         # The canary attempt assumes the VMs lie side by side, the bystander 2 x 4 MiB up.
         expect=[*dma_attach_lines("rogue")[:2],
                 r"I hv: vm 'bystander': started \(id 2, guest, 4 MiB at 0x800000,",
                 r"I bystander: TEST bystander: canary: 64 KiB at 0x[0-9a-f]+;",
                 *dma_attach_lines("rogue")[2:],
                 *dma_blocked_lines("rogue", "0x10000000", 0),
                 *dma_blocked_lines("rogue", "0x400000", 1),
                 *dma_blocked_lines("rogue", "0x9[0-9a-f]{5}", 2),  # 0x800000 + the canary's address
                 *dma_blocked_lines("rogue", "0x7ffffff000", 3),
                 *dma_blocked_lines("rogue", "0x10000000", 4),
                 r"I rogue: TEST rogue: all 5 attempts were blocked and contained",
                 r"I rogue: TEST rogue: rogue-dma PASS",
                 r"I hv: vm 'rogue': stopped, exit code 0, \d+ exits",
                 r"I hv: vm 'rogue': 5 DMA fault\(s\) of its devices blocked",
                 r"I hv: vm 'bystander': stopped, exit code 0, \d+ exits",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=[r"PANIC", r"check failed", r"FAIL", r"owned by nobody"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # Device interrupts: the e1000's INTx (q35: slot 2 INTA -> PIRQG -> GSI 22) is routed to the
    # IOVM's virtual vector; it receives QEMU user-net's ARP reply in its interrupt handler, which
    # acknowledges with HC_IRQ_ACK; the CPU-hog guest beside it still runs to its end.
    dict(name="qemu-net-irq", emulator="qemu", cmdline="", args=qemu_dma_args(dump=True),
         policy="tests/policies/vm-net-irq.policy", images=["netirq", "busy"],
         expect=[r"I hv: ioapic: id \d+ at 0xfec00000, version 0x20, GSI 0-23: all 24 entries masked",
                 r"I hv: iommu: unit 0: interrupt remapping on: 256-entry table at 0x[0-9a-f]+, xAPIC "
                 r"destinations, compatibility-format interrupts blocked",
                 # The line reaches the CPU only through IRTE 0 (remappable format, source id checked).
                 r"I hv: irq: GSI 22: IOAPIC 0 entry in remappable format -> IRTE 0 \(vector 0x30, level, "
                 r"source id ff:00\.0 verified\)",
                 r"I hv: irq: 00:02\.0 INTA -> GSI 22 \(q35: .*\), host vector 0x30, level: "
                 r"vm 'netirq' virtual vector 0x50",
                 r"I netirq: TEST netirq: e1000 at 00:02\.0: interrupt pin 1, Interrupt Line \(its virtual "
                 r"vector\) 0x50",
                 r"I netirq: TEST netirq: interrupt handler ran [1-9]\d* time\(s\) on vector 0x50 "
                 r"\(ICR bits seen 0x[0-9a-f]*[89a-f][0-9a-f]\), [1-9]\d* frame\(s\) received, [1-9]\d* "
                 r"acknowledgement\(s\) unmasked the line",
                 r"I netirq: TEST netirq: ARP reply: opcode 2, sender 52:55:0a:00:02:02 10\.0\.2\.2, "
                 r"target 10\.0\.2\.15",
                 r"I netirq: TEST netirq: rx-irq PASS",
                 r"I netirq: TEST netirq: masked-quiet PASS",
                 r"I hv: irq: vm 'netirq': 00:02\.0 GSI 22: [1-9]\d* interrupt\(s\) raised as vector 0x50, "
                 r"[1-9]\d* acknowledged; the line has interrupted [1-9]\d* time\(s\)",
                 r"I hv: vm 'netirq': stopped, exit code 0, \d+ exits",
                 r"I hv: vm 'busy': stopped, exit code 0, \d+ exits",  # its clock-monotonic PASS
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"not routed"],
         pcap_expect="0806000108000604000252550a0002020a000202" + DMA_MAC.replace(":", "") + "0a00020f",
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
]

# ---------------------------------------------------------------------------
# Storage: an NVMe IOVM identifies its controller by DMA through VT-d; a rogue
# one is contained, its controller reset (FLR) and identified again.

NVME_SERIAL = "uhv-nvme-0042"
NVME_DISK_SIZE = 16 * 1024 * 1024


def qemu_nvme_args(net):
    return ["-device", "intel-iommu,intremap=on",
            *(["-netdev", "user,id=n1", "-device", f"e1000,netdev=n1,mac={DMA_MAC}"] if net else []),
            "-drive", "file={workdir}/disk.img,if=none,id=nvd0,format=raw",
            "-device", f"nvme,drive=nvd0,serial={NVME_SERIAL}"]


def nvme_identify_lines(vm, bdf="00:03.0"):
    """The IOVM's NVMe controller found, enabled, and identified by DMA into its memory."""
    return [rf"I {vm}: TEST {vm}: NVMe controller 1b36:0010 at {re.escape(bdf)}, BAR0 0x[0-9a-f]+ \(64-bit\), "
            r"command 0x[0-9a-f]*[67]\b",
            rf"I {vm}: TEST {vm}: CAP 0x[0-9a-f]+: .*; VS 1\.\d\.\d",
            rf"I {vm}: TEST {vm}: enable PASS",
            rf"I {vm}: TEST {vm}: Identify Controller by DMA into 0x[0-9a-f]+: model 'QEMU NVMe Ctrl', "
            rf"serial '{NVME_SERIAL}', firmware '[^']+'",
            rf"I {vm}: TEST {vm}: namespace 1: {NVME_DISK_SIZE // 512} blocks of 512 bytes",
            rf"I {vm}: TEST {vm}: identify PASS"]


NVME_CASES = [
    # The storage IOVM identifies its controller by DMA through VT-d, beside the e1000 IOVM.
    dict(name="qemu-nvme-id", emulator="qemu", cmdline="", args=qemu_nvme_args(net=True),
         disk_images={"disk.img": NVME_DISK_SIZE},
         policy="tests/policies/vm-nvme-id.policy", images=["nvmeid", "dmatest"],
         expect=[r"I hv: pci: 00:03\.0 1b36:0010 class 01\.08\.02 NVMe controller",
                 r"I hv: pci: 00:03\.0 1b36:0010 NVMe controller -> vm 'storage' \(device 'disk'\)",
                 r"I hv: pci: 00:02\.0 8086:100e Ethernet controller -> vm 'net' \(device 'nic'\)",
                 r"I hv: iommu: vm 'storage': 00:03\.0 attached to its DMA domain",
                 r"I hv: iommu: vm 'net': 00:02\.0 attached to its DMA domain",
                 *nvme_identify_lines("storage"),
                 r"I storage: TEST storage: done, 3 passed, 0 failed",
                 r"I hv: iommu: vm 'storage': 00:03\.0 detached: its DMA is blocked",
                 r"I hv: pci: vm 'storage': 00:03\.0 reset: function-level reset \(FLR\), BARs restored",
                 r"I hv: vm 'storage': stopped itself with exit code 0",
                 r"I bystander: TEST bystander: canary PASS",
                 r"I hv: sched: 3 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # The rogue IOVM's fetch from outside its RAM is blocked and fails it; its controller gets a
    # function-level reset, and the restarted IOVM finds it disabled and identifies it again.
    dict(name="qemu-nvme-rogue", emulator="qemu", cmdline="", args=qemu_nvme_args(net=False),
         disk_images={"disk.img": NVME_DISK_SIZE},
         policy="tests/policies/vm-nvme-rogue.policy", images=["nvmeid", "dmatest"],
         expect=[r"I hv: iommu: vm 'rogue': 00:02\.0 attached to its DMA domain",
                 r"I hv: vm 'rogue': started \(id 1, IOVM, 4 MiB at 0x[0-9a-f]+, entry 0x[0-9a-f]+\)",
                 *nvme_identify_lines("rogue", "00:02.0"),
                 r"I rogue: TEST rogue: attempting DMA: ASQ at I/O address 0x10000000 \(expect: blocked, VM stopped\)",
                 r"W hv: iommu: DMA fault: 00:02\.0 \(vm 'rogue'\) read at 0x10000000 blocked: reason 0x6 "
                 r"\"read of a page without read permission \(not mapped\)\"",
                 r"I hv: iommu: vm 'rogue': 00:02\.0 detached: its DMA is blocked",
                 r"I hv: pci: vm 'rogue': 00:02\.0 reset: function-level reset \(FLR\), BARs restored",
                 r"E hv: vm 'rogue': contained: DMA fault: its device 00:02\.0 read at I/O address 0x10000000 "
                 r"blocked",
                 r"I hv: vm 'rogue': restarting \(restart 1\)",
                 r"I hv: iommu: vm 'rogue': 00:02\.0 attached to its DMA domain",
                 r"I hv: vm 'rogue': started \(id 1, IOVM, .*, restarted\)",
                 nvme_identify_lines("rogue", "00:02.0")[0],
                 r"I rogue: TEST rogue: on arrival: CC 0, CSTS 0,",
                 r"I rogue: TEST rogue: arrived-reset PASS",
                 *nvme_identify_lines("rogue", "00:02.0")[1:],
                 r"I rogue: TEST rogue: done, 4 passed, 0 failed",
                 r"I hv: pci: vm 'rogue': 00:02\.0 reset: function-level reset \(FLR\), BARs restored",
                 r"I hv: vm 'rogue': stopped itself with exit code 0",
                 r"I bystander: TEST bystander: canary PASS",
                 r"I hv: vm 'rogue': stopped, exit code 0, \d+ exits",
                 r"I hv: vm 'rogue': 1 DMA fault\(s\) of its devices blocked",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=[r"PANIC", r"check failed", r"FAIL", r"owned by nobody", r"reset failed"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
]

# A hostile ECAM access (q35 has MCFG; Bochs has none): each form the
# hypervisor does not emulate stops the VM, named, while the bystander finishes.
CASES.append(dict(
    name="qemu-vm-fault-ecam", emulator="qemu", cmdline="",
    policy="tests/policies/vm-fault-ecam.policy", images=["faulter", "busy"],
    expect=[r"hv: vm 'fault-ecam': contained: ECAM read at guest-physical 0xb0000001 \(00:00\.0 register 0x1\) "
            r"not emulated: a misaligned configuration access",
            r"hv: vm 'fault-ecam': contained: ECAM (read|write) at guest-physical 0xb0000000 .*not emulated: "
            r"not a MOV or MOVZX",
            r"I fault-ecam: TEST fault-ecam: fault-ecam PASS",
            BYSTANDER_DONE,
            r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
    forbid=[r"PANIC", BYSTANDER_FAILED], outcome="success", timeout=BACKENDS["qemu"]["timeout"]))

# MSI-X through interrupt remapping: the storage IOVM's admin completion queue interrupts on MSI-X
# entry 0, which the hypervisor programs (HC_MSI_SETUP) in remappable format naming an IRTE that
# accepts only 00:03.0; Identify completes by interrupt, not by polling.
MSIX_CASES = [
    dict(name="qemu-nvme-msix", emulator="qemu", cmdline="", args=qemu_nvme_args(net=True),
         disk_images={"disk.img": NVME_DISK_SIZE},
         policy="tests/policies/vm-nvme-msix.policy", images=["nvmeid", "dmatest"],
         expect=[r"I hv: iommu: unit 0: interrupt remapping on: 256-entry table at 0x[0-9a-f]+, xAPIC "
                 r"destinations, compatibility-format interrupts blocked",
                 r"I hv: iommu: vm 'storage-msix': 00:03\.0 attached to its DMA domain",
                 r"I hv: irq: vm 'storage-msix': 00:03\.0 MSI-X entry 0 -> IRTE (\d+) \(remappable: address "
                 r"0xfee[0-9a-f]{5} data 0, edge, source id verified\) -> vm 'storage-msix' virtual vector 0x60",
                 r"I storage-msix: TEST storage-msix: MSI-X capability at 0x[0-9a-f]+, \d+ entries: entry 0 -> "
                 r"vector 0x60, message control 0x[89a-f][0-9a-f]{3}; refused: entry beyond -34, vector 0x20 "
                 r"-22, foreign function -2",
                 r"I storage-msix: TEST storage-msix: msix PASS",
                 r"I storage-msix: TEST storage-msix: enable PASS",
                 r"I storage-msix: TEST storage-msix: completion by MSI-X interrupt: [1-9]\d* interrupt\(s\) "
                 r"on vector 0x60 so far",
                 r"I storage-msix: TEST storage-msix: Identify Controller by DMA into 0x[0-9a-f]+: model "
                 rf"'QEMU NVMe Ctrl', serial '{NVME_SERIAL}'",
                 r"I storage-msix: TEST storage-msix: identify PASS",
                 r"I storage-msix: TEST storage-msix: done, 4 passed, 0 failed",
                 r"I hv: irq: vm 'storage-msix': 00:03\.0 MSI-X entry 0: ([1-9]\d*) interrupt\(s\) raised as "
                 r"vector 0x60; the message interrupted \1 time\(s\) \(IRTE \d+ released\)",
                 r"I hv: vm 'storage-msix': stopped itself with exit code 0",
                 r"I bystander: TEST bystander: canary PASS",
                 r"I hv: sched: 3 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL", r"interrupt remapping"
                             r" .*fault"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # MSI-X entry 0 written into the table itself: the table's page is trapped, the write goes to the
    # shadow, and the unmask binds an IRTE; Identify completes by MSI-X as with HC_MSI_SETUP.
    dict(name="qemu-nvme-msix-table", emulator="qemu", cmdline="", args=qemu_nvme_args(net=False),
         disk_images={"disk.img": NVME_DISK_SIZE},
         policy="tests/policies/vm-nvme-msixt.policy", images=["nvmeid"],
         expect=[r"I hv: pci: 00:02\.0 MSI-X: 65 entries at 0x[0-9a-f]+ \(BAR0\), PBA at 0x[0-9a-f]+: table "
                 r"emulated, pages 0x[0-9a-f]+-0x[0-9a-f]+ trapped",
                 r"I hv: pci: vm 'storage-msixt': 00:02\.0 MSI-X table page\(s\) 0x[0-9a-f]+-0x[0-9a-f]+ left "
                 r"unmapped \(emulated: the table from a shadow, other registers passed through\)",
                 r"I hv: irq: vm 'storage-msixt': 00:02\.0 MSI-X entry 0 -> IRTE (\d+) \(remappable: address "
                 r"0xfee[0-9a-f]{5} data 0, edge, source id verified\) -> vm 'storage-msixt' virtual vector 0x61",
                 r"I storage-msixt: TEST storage-msixt: MSI-X entry 0 written in the table at 0x[0-9a-f]+: vector "
                 r"control after reset 0x1; reads back address 0xfee00000 data 0x61 vector control 0; message "
                 r"control 0x[89a-f][0-9a-f]{3}",
                 r"I storage-msixt: TEST storage-msixt: msix PASS",
                 r"I storage-msixt: TEST storage-msixt: completion by MSI-X interrupt: [1-9]\d* interrupt\(s\) "
                 r"on vector 0x61 so far",
                 r"I storage-msixt: TEST storage-msixt: identify PASS",
                 r"I storage-msixt: TEST storage-msixt: done, 4 passed, 0 failed",
                 r"I hv: irq: vm 'storage-msixt': 00:02\.0 MSI-X entry 0: ([1-9]\d*) interrupt\(s\) raised as "
                 r"vector 0x61; the message interrupted \1 time\(s\) \(IRTE \d+ released\)",
                 r"I hv: vm 'storage-msixt': [1-9]\d* access\(es\) to MSI-X table pages emulated",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL", r"refused"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # Undeliverable messages written into the MSI-X table and unmasked (a host vector; a
    # remappable-format address naming IRTE 0): refused and logged, the entry stays masked, no
    # interrupt comes, and the IOVM runs on and identifies its controller by polling.
    dict(name="qemu-nvme-rawmsi", emulator="qemu", cmdline="", args=qemu_nvme_args(net=False),
         disk_images={"disk.img": NVME_DISK_SIZE},
         policy="tests/policies/vm-nvme-rawmsi.policy", images=["nvmeid"],
         expect=[r"I rawmsi: TEST rawmsi: writing address 0xfee00000 data 0x30 \(compatibility format, host "
                 r"vector 0x30\) into MSI-X entry 0",
                 r"W hv: irq: vm 'rawmsi': 00:02\.0 MSI-X entry 0: message address 0:fee00000 data 0x30 refused: "
                 r"the vector is outside 0x60-0x7f",
                 r"I rawmsi: TEST rawmsi: writing address 0xfee00010 data 0x60 \(remappable format naming IRTE 0\)",
                 r"W hv: irq: vm 'rawmsi': 00:02\.0 MSI-X entry 0: message address 0:fee00010 data 0x60 refused: "
                 r"a remappable-format address",
                 r"I rawmsi: TEST rawmsi: raw-msi PASS",
                 r"I rawmsi: TEST rawmsi: identify PASS",
                 r"I rawmsi: TEST rawmsi: interrupts on vector 0x30: 0",
                 r"I rawmsi: TEST rawmsi: done, 5 passed, 0 failed",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"],
         forbid=[r"PANIC", r"check failed", r"FAIL", r"MSI-X entry 0 -> IRTE", r"contained"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
]

# ---------------------------------------------------------------------------
# The network IOVM (iovm/net, docs/netvm.md): its own e1000 driver behind the
# NIC interface, its L2 switch, its event loop. In self-check mode it sends an
# ARP request (10.0.2.14 asks for 10.0.2.2) from its local switch port out of
# the uplink and waits, by interrupt, for the user network's reply.

NETVM_MAC = "52:54:00:6e:65:74"
BOCHS_MAC = "52:54:00:12:34:56"  # boot/bochsrc.in


def netvm_arp_request(mac):
    """The request's bytes on the wire: broadcast from mac, ARP, sender mac/10.0.2.14, target 10.0.2.2."""
    m = mac.replace(":", "")
    return "ff" * 6 + m + "0806" + "0001080006040001" + m + "0a00020e" + "00" * 6 + "0a000202"


def netvm_lines(vm, mac, bdf, vector, reply):
    return [rf"I {vm}: net: e1000 \(82540EM\) at {re.escape(bdf)} \(8086:100e\), MAC {mac} \(from the EEPROM\), "
            rf"interrupt vector {vector}",
            rf"I {vm}: net: link up",
            rf"I {vm}: TEST {vm}: nic-up PASS",
            rf"I {vm}: net: ARP request sent: who has 10\.0\.2\.2, tell 10\.0\.2\.14",
            *([rf"I {vm}: net: ARP reply after \d+ ms: 10\.0\.2\.2 is at 52:55:0a:00:02:02"] if reply else []),
            rf"I {vm}: net: nic: tx 1 frames 60 bytes, 1 completed, 0 dropped; rx [1-9]\d* frames \d+ bytes, "
            r"0 dropped, 0 overrun\(s\); [1-9]\d* interrupt\(s\), 0 device error\(s\)",
            rf"I {vm}: net: switch port 0 \(uplink\): rx [1-9]\d* frames \d+ bytes, tx 1 frames 60 bytes",
            rf"I {vm}: net: switch port 1 \(local\): rx 1 frames 60 bytes, tx [1-9]\d* frames \d+ bytes, "
            r"drops: none",
            rf"I {vm}: TEST {vm}: arp PASS",
            rf"I {vm}: TEST {vm}: done, 2 passed, 0 failed"]


NETVM_CASES = [
    # QEMU q35 with VT-d: the request is on the wire from the EEPROM's MAC (the mac= given to
    # QEMU), the reply arrives by interrupt (INTx, HC_IRQ_ACK); the CPU-hog guest runs to its end.
    dict(name="qemu-netvm", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
               "-device", f"e1000,netdev=n1,mac={NETVM_MAC}",
               "-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"],
         policy="tests/policies/vm-netvm.policy", images=["iovm-net", "busy"],
         expect=[r"I hv: irq: 00:02\.0 INTA -> GSI 22 .*vm 'netcheck' virtual vector 0x50",
                 r"I hv: iommu: vm 'netcheck': 00:02\.0 attached to its DMA domain",
                 *netvm_lines("netcheck", NETVM_MAC, "00:02.0", "0x50", reply=True),
                 r"I hv: irq: vm 'netcheck': 00:02\.0 GSI 22: [1-9]\d* interrupt\(s\) raised as vector 0x50, "
                 r"[1-9]\d* acknowledged",
                 r"I hv: vm 'netcheck': stopped itself with exit code 0",
                 r"I hv: vm 'busy': stopped, exit code 0, \d+ exits",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"not routed", r"DMA is untranslated"],
         pcap_expect=netvm_arp_request(NETVM_MAC),
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # Behind a conventional PCI-to-PCI bridge at 00:05.0 (the e1000 at 01:03.0): the policy accepts
    # the shared requester id, the IOMMU attaches both ids, and INTA swizzles to the bridge's INTD
    # ((3 + 0) mod 4), which slot 5 sends to PIRQ E + (5 + 3) mod 4 = E: GSI 20.
    dict(name="qemu-netvm-bridge", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
               "-device", "pci-bridge,id=br1,bus=pcie.0,addr=0x5,chassis_nr=1",
               "-device", f"e1000,netdev=n1,mac={NETVM_MAC},bus=br1,addr=0x3"],
         policy="tests/policies/vm-netvm-bridge.policy", images=["iovm-net"],
         expect=[r"I hv: irq: 01:03\.0 INTA -> GSI 20 \(q35: swizzled through its bridges, then PIRQ E-H by "
                 r"slot\).*vm 'netcheck' virtual vector 0x50",
                 r"I hv: iommu: vm 'netcheck': 01:03\.0 attached to its DMA domain",
                 *netvm_lines("netcheck", NETVM_MAC, "01:03.0", "0x50", reply=True),
                 r"I hv: irq: vm 'netcheck': 01:03\.0 GSI 20: [1-9]\d* interrupt\(s\) raised as vector 0x50, "
                 r"[1-9]\d* acknowledged",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"not routed"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # The same with iommu=noqi: every context-cache and IOTLB invalidation (attach at start, detach
    # at stop) goes through the CCMD/IOTLB registers, and interrupt remapping (which needs queued
    # invalidation) is off: the e1000's INTx arrives through a compatibility-format IOAPIC entry.
    dict(name="qemu-vtd-noqi", emulator="qemu", cmdline="iommu=noqi",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
               "-device", f"e1000,netdev=n1,mac={NETVM_MAC}",
               "-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"],
         policy="tests/policies/vm-netvm.policy", images=["iovm-net", "busy"],
         expect=[r"I hv: iommu: unit 0: queued invalidation not used \(iommu=noqi\): register-based invalidation",
                 r"W hv: iommu: not every unit has interrupt remapping and queued invalidation",
                 r"I hv: iommu: vm 'netcheck': 00:02\.0 attached to its DMA domain",
                 *netvm_lines("netcheck", NETVM_MAC, "00:02.0", "0x50", reply=True),
                 r"I hv: iommu: vm 'netcheck': 00:02\.0 detached: its DMA is blocked",
                 r"I hv: vm 'netcheck': stopped itself with exit code 0",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"interrupt remapping on"],
         pcap_expect=netvm_arp_request(NETVM_MAC),
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # Bochs (i440fx, VMX, no IOMMU): the same program with an unprotected-dma device record (the boot
    # info gives it its RAM's host-physical offset for DMA); Bochs' slirp backend plays the user
    # network (same addresses as QEMU's, gateway 52:55:0a:00:02:02).
    dict(name="bochs-netvm", emulator="bochs", cmdline="",
         args=[f"e1000: enabled=1, mac={BOCHS_MAC}, ethmod=slirp"],
         policy="tests/policies/vm-netvm-unprotected.policy", images=["iovm-net"],
         expect=[r"W hv: \* UNPROTECTED DMA: there is no IOMMU",
                 # Untranslated DMA: the driver gives the device host-physical addresses.
                 r"I hv: vm 'netcheck': started \(id 1, IOVM, 4 MiB at (0x[0-9a-f]+),.*\n(.*\n)*?"
                 r".*I netcheck: net: no IOMMU: the NIC's DMA is untranslated, guest-physical \+ \1\n",
                 *netvm_lines("netcheck", BOCHS_MAC, BOCHS_E1000, r"0x5\d", reply=True),
                 r"I hv: irq: vm 'netcheck': 00:02\.0 GSI \d+: [1-9]\d* interrupt\(s\) raised as vector 0x5\d, "
                 r"[1-9]\d* acknowledged",
                 r"I hv: vm 'netcheck': stopped itself with exit code 0",
                 r"I hv: sched: 1 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"check failed", r"not routed"],
         outcome="success", timeout=BACKENDS["bochs"]["timeout"]),
]

# The benchmark's smoke run (make bench: tests/bench.py, docs/testing.md "Benchmark"): the guest
# netbench streams 500 datagrams (its name contains "smoke") through netfront, the network IOVM's
# netback and switch to the wire; the IOVM, in bench mode, counts them at the uplink, then sends 500
# itself. Checked: every BENCH line, each side's packets and bytes, the forward side's run id equal
# to the guest's (it read them from the guest's headers), VM exits counted; never a speed.
BENCH_FIELDS = (r"exits=[1-9]\d* exits_hypercall=\d+ exits_interrupt=\d+ exits_hlt=\d+ exits_memory=\d+ "
                r"notifies_sent=\d+ notifies_received=\d+ irqs=\d+")
NETBENCH_CASES = [
    dict(name="qemu-netbench-smoke", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
               "-device", f"e1000,netdev=n1,mac={NETVM_MAC}"],
         policy="tests/policies/vm-netbench-smoke.policy", images=["iovm-net", "netbench"],
         expect=[r"I netbench: TEST netbench: arp PASS",
                 r"I bench-smoke: TEST bench-smoke: netfront-up PASS",
                 r"I bench-smoke: TEST bench-smoke: sending 500 datagrams of 1024 bytes to 10\.0\.2\.2:40009",
                 # The guest's line, then the IOVM's for the same run (a backreference: one regex).
                 r"I bench-smoke: BENCH side=guest run=(\d+) packets=500 bytes=512000 ns=[1-9]\d* "
                 + BENCH_FIELDS + r" kicks=\d+ tx_full=\d+ waits=\d+\n(.*\n)*?"
                 r".*I netbench: BENCH side=iovm-forward run=\1 packets=500 bytes=512000 ns=[1-9]\d* "
                 + BENCH_FIELDS + r" window_ns=[1-9]\d* uplink_frames=([5-9]\d\d|[1-9]\d{3,})\n",
                 r"I netbench: TEST netbench: bench-forward PASS",
                 r"I netbench: BENCH side=native run=\d+ packets=500 bytes=512000 ns=[1-9]\d* "
                 + BENCH_FIELDS + r" bursts=[1-9]\d* completed=500\n",
                 r"I netbench: TEST netbench: bench-native PASS",
                 r"I netbench: TEST netbench: done, 4 passed, 0 failed",
                 r"I hv: vm 'netbench': stopped itself with exit code 0",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL"],
         outcome="success", timeout=120),
]

# Plain MSI: the e1000e (8086:10d3) has an MSI capability (QEMU: at 0xd0, 64-bit, one vector, no
# masking). Its IOVM programs it the normal way; undeliverable messages are refused (Enable reads 0),
# the real one becomes an IRTE, MSI-X Enable is dropped while MSI is on (never both), and the ARP reply
# arrives in its MSI handler.
MSI_CASES = [
    dict(name="qemu-net-msi", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
               "-device", f"e1000e,netdev=n1,mac={DMA_MAC}"],
         policy="tests/policies/vm-net-msi.policy", images=["netirq", "busy"],
         expect=[r"I hv: pci: 00:02\.0 8086:10d3 Ethernet controller -> vm 'netmsi' \(device 'nic'\)",
                 r"I netmsi: TEST netmsi: e1000e? at 00:02\.0",
                 r"W hv: irq: vm 'netmsi': 00:02\.0 MSI: message address 0:10000000 data 0x61 refused: the address "
                 r"is not in the interrupt range",
                 r"W hv: irq: vm 'netmsi': 00:02\.0 MSI: message address 0:fee00000 data 0x30 refused: the vector "
                 r"is outside 0x60-0x7f",
                 r"I netmsi: TEST netmsi: MSI capability at 0xd0, message control 0x80: address 0x10000000 -> "
                 r"Enable 0; vector 0x30 -> Enable 0",
                 r"I netmsi: TEST netmsi: msi-refused PASS",
                 r"I hv: irq: vm 'netmsi': 00:02\.0 MSI -> IRTE (\d+) \(remappable: address 0xfee[0-9a-f]{5} data 0, "
                 r"edge, source id verified\) -> vm 'netmsi' virtual vector 0x61",
                 r"I netmsi: TEST netmsi: MSI: address 0xfee00000 data 0x61 \(as written, read back\), Enable 1",
                 r"I netmsi: TEST netmsi: msi PASS",
                 # MSI-X Enable while MSI is on: dropped (never both), MSI goes on delivering.
                 r"W hv: irq: vm 'netmsi': 00:02\.0 MSI-X Enable refused: its MSI is enabled \(PCI 3\.0, 6\.8: never "
                 r"both at once; disable MSI first\)",
                 r"I netmsi: TEST netmsi: MSI-X capability at 0x[0-9a-f]+, message control 0x[0-9a-f]+: Enable with "
                 r"MSI on -> (0|0x[0-9a-f]{1,3}|0x[0-7][0-9a-f]{3}), MSI Enable 1",  # bit 15 clear
                 r"I netmsi: TEST netmsi: msix-while-msi PASS",
                 r"I netmsi: TEST netmsi: interrupt handler ran [1-9]\d* time\(s\) on vector 0x61",
                 r"I netmsi: TEST netmsi: ARP reply: opcode 2, sender 52:55:0a:00:02:02 10\.0\.2\.2, "
                 r"target 10\.0\.2\.15",
                 r"I netmsi: TEST netmsi: rx-irq PASS",
                 r"I netmsi: TEST netmsi: masked-quiet PASS",
                 r"I hv: irq: vm 'netmsi': 00:02\.0 MSI: ([1-9]\d*) interrupt\(s\) raised as vector 0x61; the "
                 r"message interrupted \1 time\(s\) \(IRTE \d+ released\)",
                 r"I hv: vm 'netmsi': stopped, exit code 0, \d+ exits",
                 r"I hv: vm 'busy': stopped, exit code 0, \d+ exits",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL"],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
]

# ---------------------------------------------------------------------------
# Guests on the network IOVM over channels (docs/netvm.md "Guest ports",
# docs/channels.md "Life of a packet"): netfront in the guests, netback in the
# IOVM, the switch between them and the e1000. Convention: netping's peer is its
# own address + 1.

G2G_A_MAC, G2G_B_MAC = "52:54:00:00:00:0a", "52:54:00:00:00:0b"
QEMU_GATEWAY_MAC = "52:55:0a:00:02:02"


def mac_hex(mac):
    return mac.replace(":", "")


def g2g_lines():
    """guest A (ping-a, netping) <-> guest B (echo-b, netecho) through the switch, A -> the gateway."""
    return [r"I net: net: port 2: channel 'net-a' \(handle 0, vector 0x80, 256 KiB\) to vm 'ping-a', "
            r"MAC 52:54:00:00:00:0a",
            r"I net: net: port 3: channel 'net-b' \(handle 1, vector 0x81, 256 KiB\) to vm 'echo-b', "
            r"MAC 52:54:00:00:00:0b",
            r"I ping-a: netfront: channel 'net-a': attached by 'net' \(generation 1, 48\+48 buffers\)",
            r"I ping-a: TEST ping-a: netping: 10\.0\.2\.15 on channel 'net-a', peer 10\.0\.2\.16, gateway 10\.0\.2\.2",
            r"I ping-a: TEST ping-a: netping: 20/20 replies from 10\.0\.2\.16, payloads checked",
            r"I ping-a: TEST ping-a: netping: 3/3 replies from gateway 10\.0\.2\.2, payloads checked",
            r"I ping-a: TEST ping-a: netping: 100/100 UDP echoes from 10\.0\.2\.16:7 byte-exact",
            # B stops on A's last datagram; what each prints after that interleaves, so their
            # verdicts are checked in the end-of-run summary (VM order): exit code 0 = all passed.
            r"I echo-b: TEST echo-b: netecho: stop datagram received after 100 echoes, 20 echo request\(s\) answered",
            r"I net: net: every frontend has stopped: stopping",
            # The uplink carried A's gateway pings (and ARP), never A <-> B traffic.
            r"I net: net: switch port 0 \(uplink\): rx [1-9]\d* frames \d+ bytes, tx [1-9]\d* frames",
            # tx-full: frames flooded to a port before its guest attached (the IOVM's own ARP, A's first).
            r"I net: net: switch port 2 \(guest\): rx 1[2-9]\d frames \d+ bytes, tx 1[2-9]\d frames \d+ bytes, "
            r"drops: (none|tx-full \d)$",
            r"I net: net: switch port 3 \(guest\): rx 12\d frames \d+ bytes, tx 1[2-9]\d frames \d+ bytes, "
            r"drops: (none|tx-full \d)$",
            r"I net: net: port 2 \(channel 'net-a', vm 'ping-a'\): from guest 1[2-9]\d frames \d+ bytes, to guest "
            r"1[2-9]\d frames \d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d; 1 attach\(es\), 0 reset\(s\)",
            r"I net: net: port 3 \(channel 'net-b', vm 'echo-b'\): from guest 12\d frames \d+ bytes, to guest "
            r"1[2-9]\d frames \d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d; 1 attach\(es\), 0 reset\(s\)",
            r"I hv: vm 'net': stopped itself with exit code 0",
            r"I hv: vm 'net': stopped, exit code 0, \d+ exits",
            r"I hv: vm 'net': channel notifications: sent \d+, received \d+",
            r"I hv: vm 'ping-a': stopped, exit code 0, \d+ exits",
            r"I hv: vm 'ping-a': channel notifications: sent \d+, received \d+",
            r"I hv: vm 'echo-b': stopped, exit code 0, \d+ exits",
            r"I hv: vm 'echo-b': channel notifications: sent \d+, received \d+",
            r"I hv: sched: 3 VM\(s\): all stopped cleanly"]


def ipv4_unicast(dst_mac, src_mac):
    return mac_hex(dst_mac) + mac_hex(src_mac) + "0800"


NETPATH_CASES = [
    dict(name="qemu-net-guest2guest", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1", "-device", "e1000,netdev=n1",
               "-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"],
         policy="tests/policies/vm-net-guest2guest.policy", images=["iovm-net", "netping", "netecho"],
         expect=g2g_lines(),
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL", r"\): reset: ", r"reconnecting"],
         # A's pings to the gateway crossed the wire; nothing between A and B did.
         pcap_expect=ipv4_unicast(QEMU_GATEWAY_MAC, G2G_A_MAC),
         pcap_forbid=[ipv4_unicast(G2G_B_MAC, G2G_A_MAC), ipv4_unicast(G2G_A_MAC, G2G_B_MAC)],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    dict(name="qemu-net-udp-echo", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on",
               "-netdev", "user,id=n1,hostfwd=udp:127.0.0.1:{hostport}-10.0.2.15:7",
               "-device", "e1000,netdev=n1",
               "-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"],
         policy="tests/policies/vm-net-udp-echo.policy", images=["iovm-net", "netecho"],
         client={"kind": "udp-echo", "ready": r"I echo: netecho: ready on 10\.0\.2\.15 udp 7", "count": 1000},
         expect=[r"I echo: netecho: ready on 10\.0\.2\.15 udp 7",
                 r"I echo: TEST echo: netecho: stop datagram received after 1000 echoes",
                 r"I echo: TEST echo: netfront: tx \d+ frames \d+ bytes, rx \d+ frames \d+ bytes, tx-full 0, "
                 r"kicks \d+, interrupts \d+, waits \d+, reconnects 0, rx-dropped 0",
                 *vm_lines("echo", 1),
                 r"I net: net: every frontend has stopped: stopping",
                 r"I net: net: port 2 \(channel 'net-echo', vm 'echo'\): from guest 10\d\d frames \d+ bytes, "
                 r"to guest 10\d\d frames \d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d",
                 r"I hv: vm 'net': stopped itself with exit code 0",
                 r"I hv: vm 'net': channel notifications: sent \d+, received \d+",
                 r"I hv: vm 'echo': channel notifications: sent \d+, received \d+",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"\): reset: ", r"reconnecting"],
         outcome="success", timeout=180),
    # The default system exactly as `make run` boots it (boot/policies/default.policy, the same
    # devices, the hostfwd to echo-c): ping-a's checks pass, a host client echoes through echo-c.
    dict(name="qemu-default-system", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on",
               "-netdev", "user,id=n1,hostfwd=udp:127.0.0.1:{hostport}-10.0.2.17:7",
               "-device", "e1000,netdev=n1"],
         policy="boot/policies/default.policy", images=["iovm-net", "netping", "netecho"],
         client={"kind": "udp-echo", "ready": r"I echo-c: netecho: ready on 10\.0\.2\.17 udp 7", "count": 100},
         expect=[r"I hv: iommu: vm 'net': 00:02\.0 attached to its DMA domain",
                 r"I echo-c: netecho: ready on 10\.0\.2\.17 udp 7",
                 r"I echo-c: TEST echo-c: netecho: stop datagram received after 100 echoes",
                 r"I net: net: every frontend has stopped: stopping",
                 r"I hv: vm 'ping-a': stopped, exit code 0",
                 r"I hv: vm 'echo-b': stopped, exit code 0",
                 r"I hv: vm 'echo-c': stopped, exit code 0",
                 r"I hv: sched: 4 VM\(s\): all stopped cleanly"],
         forbid=NO_ERRORS + [r"iommu: DMA fault", r"check failed", r"FAIL", r"\): reset: "],
         outcome="success", timeout=180),
    dict(name="bochs-net-guest2guest", emulator="bochs", cmdline="",
         args=[f"e1000: enabled=1, mac={BOCHS_MAC}, ethmod=slirp"],
         policy="tests/policies/vm-net-guest2guest-unprotected.policy",
         images=["iovm-net", "netping", "netecho"],
         expect=[r"W hv: \* UNPROTECTED DMA: there is no IOMMU", *g2g_lines()],
         forbid=NO_ERRORS + [r"check failed", r"FAIL", r"\): reset: ", r"reconnecting"],
         outcome="success", timeout=600),
]

# Hostile guests beside a well-behaved pair (docs/netvm.md "Hostile guests";
# tests/policies/vm-net-hostile.policy): soak-a (netping in soak mode) and echo-b
# (netecho) exchange pings and UDP echoes from start to end; evil-c (nethostile)
# spoofs source MACs, floods sink-d (netsink, never drains its receive queue),
# corrupts its transmit queue three ways (each a reset of its port only, then a
# reconnect), reconnects on purpose with frames in flight, rewrites the backend's
# fields, reconnects 100 times in a row (the IOVM's lines about its port stay
# within their budget); then it stops soak-a's soak. Ports: 2 A, 3 B, 4 C, 5 D.
HOSTILE_C_MAC, HOSTILE_D_MAC = "52:54:00:00:00:0c", "52:54:00:00:00:0d"
HOSTILE_RANDOM_MAC = "02:00:5e:10:0f:0f"  # nethostile.c's random_mac
HOSTILE_SPOOFS, HOSTILE_FLOOD = 20, 200 + 8  # to D: unicast + broadcast
HOSTILE_NO_RX_MIN = HOSTILE_FLOOD - 48  # D's 48 receive buffers fill, every later frame is dropped
HOSTILE_CHURN = 100  # nethostile.c's NETHOSTILE_CHURN: reconnects in a row
HOSTILE_LOG_LINES = 32  # netback.h's NETBACK_LOG_LINES: handshake lines per port and frontend epoch


def at_least(n):
    """A regex for a decimal number >= n (n of three digits)."""
    h, t, u = (int(c) for c in f"{n:03d}")
    alts = [rf"{h}{t}[{u}-9]"]
    if t < 9:
        alts.append(rf"{h}[{t + 1}-9]\d")
    if h < 9:
        alts.append(rf"[{h + 1}-9]\d\d")
    return "(?:" + "|".join(alts + [r"[1-9]\d{3,}"]) + ")"


def hostile_port(port, channel, vm):
    return rf"I net: net: port {port} \(channel '{channel}', vm '{vm}'\): "


def hostile_corruption(gen, reason):
    """One corrupted transmit queue: reset of port 4 with the reason, reconnect, let go, new generation."""
    c = hostile_port(4, "net-c", "evil-c")
    return [rf"{c}reset: transmit queue: {reason}$",
            rf"I evil-c: netfront: channel 'net-c': backend reset generation {gen}: transmit queue: {reason}: "
            r"reconnecting",
            rf"{c}let go of generation {gen}: the frontend is reconnecting",
            rf"{c}attached, generation {gen + 1}$",
            rf"I evil-c: TEST evil-c: nethostile: reset with the reason expected, reattached as generation "
            rf"{gen + 1}, gateway answers"]


def hostile_lines():
    c = hostile_port(4, "net-c", "evil-c")
    many = at_least(HOSTILE_NO_RX_MIN)
    return [r"I net: net: port 4: channel 'net-c' \(handle 2, vector 0x82, 256 KiB\) to vm 'evil-c', "
            r"MAC 52:54:00:00:00:0c",
            r"I net: net: port 5: channel 'net-d' \(handle 3, vector 0x83, 256 KiB\) to vm 'sink-d', "
            r"MAC 52:54:00:00:00:0d",
            r"I evil-c: TEST evil-c: nethostile: 10\.0\.2\.15, 10\.0\.2\.16 and gateway 10\.0\.2\.2 "
            r"\(52:55:0a:00:02:02\) answer",
            # spoof: 20 frames, then legitimate frames still work.
            rf"I evil-c: TEST evil-c: nethostile: sent {HOSTILE_SPOOFS} frames with a source MAC not ours "
            r"\(7 as A's, 7 random, 6 as the gateway's\)",
            r"I evil-c: TEST evil-c: nethostile: after spoofing: 3/3 gateway pings answered, 10\.0\.2\.15 and "
            r"10\.0\.2\.16 answer",
            r"I evil-c: TEST evil-c: nethostile: flooded D \(10\.0\.2\.18\) with 200 unicast frames and everyone "
            r"with 8 broadcasts",
            # ring corruption: the exact field each time (nethostile also compares backend_error).
            *hostile_corruption(1, r"avail\.idx \d+ is 300 ahead of last seen \d+ \(qsize 256\)"),
            *hostile_corruption(2, r"desc 0: addr 0x4001200000 len 64 outside region 0x4001210000 size 0x30000"),
            *hostile_corruption(3, r"desc chain from head 0 loops \(more than qsize 256 descriptors\)"),
            # the reconnect handshake: the IOVM lets go before the rings are reinitialised.
            r"I evil-c: netfront: channel 'net-c': deliberate reconnect with frames in flight: reconnecting",
            rf"{c}detached: frontend resetting",
            rf"{c}let go of generation 4: the frontend is reconnecting",
            rf"{c}attached, generation 5$",
            r"I evil-c: TEST evil-c: nethostile: reconnected on purpose with 16 datagram\(s\) queued: generation "
            r"4 -> 5, gateway answers, 10\.0\.2\.16 answers",
            # the frontend rewrites the backend's own fields: the IOVM lets go once, never serves a reset
            # generation again (it keeps its own record of what it wrote).
            rf"{c}let go of generation 5: the frontend is reconnecting",
            rf"{c}attached, generation 6$",
            rf"{c}reset: transmit queue: avail\.idx \d+ is 300 ahead of last seen \d+ \(qsize 256\)$",
            rf"{c}let go of generation 6: the frontend is reconnecting",
            rf"{c}attached, generation 7$",
            r"I evil-c: TEST evil-c: nethostile: rewrote the backend's fields 16 times after a release and 16 times "
            r"after a reset: let go 0 more time\(s\), served the reset generation 0 time\(s\); now generation 7, "
            r"gateway answers",
            # 100 reconnects in a row: the IOVM serves every one, but its lines about the port stop at the
            # budget (HOSTILE_LOG_LINES per frontend epoch, at_most below), with one line saying so.
            rf"{c}further events on this port are counted, not logged until its frontend restarts "
            rf"\({HOSTILE_LOG_LINES} lines per frontend epoch\)$",
            rf"I evil-c: TEST evil-c: nethostile: reconnected {HOSTILE_CHURN} times in a row in \d+ ms: generation 7 "
            rf"-> {7 + HOSTILE_CHURN}, gateway answers, 10\.0\.2\.15 answers, 10\.0\.2\.16 answers",
            # A's traffic with B went on until C was done, every round trip good.
            r'I soak-a: TEST soak-a: netping: soak: ([1-9]\d*)/\1 UDP echoes and ([1-9]\d*)/\2 pings to '
            r'10\.0\.2\.16 good until "uhv-soak-stop" from 10\.0\.2\.17',
            r"I net: net: every frontend has stopped: stopping",
            r"I net: net: switch port 0 \(uplink\): rx [1-9]\d* frames \d+ bytes, tx [1-9]\d* frames \d+ bytes, "
            r"drops: none$",
            r"I net: net: switch port 2 \(guest\): rx [1-9]\d* frames \d+ bytes, tx [1-9]\d* frames \d+ bytes, "
            r"drops: (none|tx-full \d)$",
            r"I net: net: switch port 3 \(guest\): rx [1-9]\d* frames \d+ bytes, tx [1-9]\d* frames \d+ bytes, "
            r"drops: (none|tx-full \d)$",
            # Exactly the 20 spoofed frames dropped on C's port (tx-full: frames for it while it reconnected).
            rf"I net: net: switch port 4 \(guest\): rx [1-9]\d* frames \d+ bytes, tx \d+ frames \d+ bytes, "
            rf"drops: spoofed {HOSTILE_SPOOFS}( tx-full \d+)?$",
            # D: its 48 buffers filled, everything after dropped (never delivered, never stalled anyone).
            rf"I net: net: switch port 5 \(guest\): rx 0 frames 0 bytes, tx 48 frames \d+ bytes, "
            rf"drops: tx-full {many}$",
            rf"{hostile_port(2, 'net-a', 'soak-a')}from guest [1-9]\d* frames \d+ bytes, to guest [1-9]\d* frames "
            r"\d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d; 1 attach\(es\), 0 reset\(s\), "
            r"0 release\(s\)",
            rf"{hostile_port(3, 'net-b', 'echo-b')}from guest [1-9]\d* frames \d+ bytes, to guest [1-9]\d* frames "
            r"\d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d; 1 attach\(es\), 0 reset\(s\), "
            r"0 release\(s\)",
            rf"{c}from guest [1-9]\d* frames \d+ bytes, to guest [1-9]\d* frames \d+ bytes, drops: bad-length 0 "
            rf"no-rx-buffer 0 detached \d+; {7 + HOSTILE_CHURN} attach\(es\), 4 reset\(s\), {6 + HOSTILE_CHURN} "
            rf"release\(s\), \d+ notification\(s\) sent, \d+ wake-up\(s\) by its vector; log: {HOSTILE_LOG_LINES} "
            rf"event\(s\), {at_least(2 * HOSTILE_CHURN)} unlogged$",
            rf"{hostile_port(5, 'net-d', 'sink-d')}from guest 0 frames 0 bytes, to guest 48 frames \d+ bytes, "
            rf"drops: bad-length 0 no-rx-buffer {many} detached \d+; 1 attach\(es\), 0 reset\(s\), "
            r"0 release\(s\)",
            r"I hv: vm 'net': stopped itself with exit code 0",
            *[rf"I hv: vm '{vm}': stopped, exit code 0, \d+ exits"
              for vm in ("net", "soak-a", "echo-b", "evil-c", "sink-d")],
            r"I hv: sched: 5 VM\(s\): all stopped cleanly"]


# The guests' own reports, whose lines interleave differently from run to run.
HOSTILE_ANY = [
    r"I soak-a: TEST soak-a: netping: 20/20 replies from 10\.0\.2\.16, payloads checked",
    r"I soak-a: TEST soak-a: netping: 3/3 replies from gateway 10\.0\.2\.2, payloads checked",
    r"I soak-a: TEST soak-a: netping: 100/100 UDP echoes from 10\.0\.2\.16:7 byte-exact",
    # None of the spoofed frames (EtherType 0x88b5) reached A or B.
    r"I soak-a: TEST soak-a: netping: 0 frame\(s\) of EtherType 0x88b5 received",
    r"I echo-b: TEST echo-b: netecho: 0 frame\(s\) of EtherType 0x88b5 received",
    r"I echo-b: TEST echo-b: netecho: stop datagram received after [1-9]\d* echoes",
    *[rf"I {vm}: TEST {vm}: netfront: .*, reconnects 0, rx-dropped 0, detach-timeouts 0$"
      for vm in ("soak-a", "echo-b")],
    rf"I evil-c: TEST evil-c: netfront: .*, reconnects {6 + HOSTILE_CHURN}, rx-dropped 0, detach-timeouts 0$",
    r"I sink-d: TEST sink-d: netsink: receive queue full after \d+ ms: 48/48 buffers used, none read; held 2000 ms, "
    r"still 48 used",
    *[rf"I {vm}: TEST {vm}: done, {n} passed, 0 failed"
      for vm, n in (("soak-a", 6), ("echo-b", 1), ("evil-c", 11), ("sink-d", 1))],
]

HOSTILE_FORBID = NO_ERRORS + [
    r"check failed", r"FAIL",
    # no port but C's is reset, let go or reconnected; C's only for the three reasons above
    r"vm '(soak-a|echo-b|sink-d)'\): (reset|let go|detached: frontend (resetting|reconnected))",
    r"\): reset: (?!transmit queue: (avail\.idx \d+ is 300 ahead|desc 0: addr 0x[0-9a-f]+ len 64 outside|"
    r"desc chain from head 0 loops))",
    r"(soak-a|echo-b|sink-d): netfront: .*reconnecting",
    # the frontend never finds a queue broken, never gives up waiting for the IOVM to let go
    r"queue broken", r"did not let go"]

# C's handshake lines (all but its counter line): the budget and the one line that says it is used up.
HOSTILE_AT_MOST = [(hostile_port(4, "net-c", "evil-c") + r"(?!from guest)", HOSTILE_LOG_LINES + 1),
                   (r"further events on this port are counted", 1)]

HOSTILE_CASES = [
    dict(name="qemu-net-hostile", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1", "-device", "e1000,netdev=n1",
               "-object", "filter-dump,id=f1,netdev=n1,file={workdir}/wire.pcap"],
         policy="tests/policies/vm-net-hostile.policy",
         images=["iovm-net", "netping", "netecho", "nethostile", "netsink"],
         expect=hostile_lines(), expect_any=HOSTILE_ANY, at_most=HOSTILE_AT_MOST,
         forbid=HOSTILE_FORBID + [r"iommu: DMA fault"],
         # C's broadcasts and its pings to the gateway are on the wire (the dump sees a guest's frames);
         # no frame with a spoofed source is: src MAC + EtherType 0x88b5.
         pcap_expect=["ff" * 6 + mac_hex(HOSTILE_C_MAC) + "88b6", ipv4_unicast(QEMU_GATEWAY_MAC, HOSTILE_C_MAC)],
         pcap_forbid=[mac_hex(m) + "88b5" for m in (G2G_A_MAC, HOSTILE_RANDOM_MAC, QEMU_GATEWAY_MAC)],
         outcome="success", timeout=BACKENDS["qemu"]["timeout"]),
    # The same on Bochs (VMX/EPT), the e1000 assigned with unprotected DMA, slirp as the user network.
    dict(name="bochs-net-hostile", emulator="bochs", cmdline="",
         args=[f"e1000: enabled=1, mac={BOCHS_MAC}, ethmod=slirp"],
         policy="tests/policies/vm-net-hostile-unprotected.policy",
         images=["iovm-net", "netping", "netecho", "nethostile", "netsink"],
         expect=[r"W hv: \* UNPROTECTED DMA: there is no IOMMU", *hostile_lines()], expect_any=HOSTILE_ANY,
         at_most=HOSTILE_AT_MOST, forbid=HOSTILE_FORBID, outcome="success", timeout=600),
]

# ---------------------------------------------------------------------------
# The network IOVM crashes mid-traffic, is restarted, and the guests reconnect
# by themselves (docs/netvm.md "When the IOVM fails"). The IOVM's name
# "netcrash<N>" makes its first start crash (a triple fault) when its switch
# has forwarded its N-th frame; the policy says restart = on-failure.


def iovm_restart_lines(vm, frames, ports, gsi="22", iommu=True):
    """The crash, its containment, the e1000's quiesce and reset, the restart from the image with the
    NIC's DMA (with an IOMMU) and interrupt re-attached, and the new instance starting detached on
    every port (ports: [(switch port, channel, frontend vm)]): the order ring 0 and the IOVM log them in."""
    return [rf"I {vm}: net: fault injection: crashing on purpose after {frames} frames forwarded, mid-pass "
            r"\(\d+ uplink frame\(s\) not yet handed to the NIC\): triple fault",
            rf"I hv: irq: vm '{vm}': 00:02\.0 GSI {gsi}: [1-9]\d* interrupt\(s\) raised as vector 0x50",
            *([rf"I hv: iommu: vm '{vm}': 00:02\.0 detached: its DMA is blocked"] if iommu else []),
            rf"I hv: pci: vm '{vm}': 00:02\.0 reset: device-specific \(its own reset register\), interrupts masked",
            rf"E hv: vm '{vm}': contained: triple fault \(shutdown\) at RIP 0x[0-9a-f]+",
            rf"I hv: vm '{vm}': failed \(triple fault \(shutdown\) at RIP 0x[0-9a-f]+\), \d+ exits",
            rf"I hv: vm '{vm}': restarting \(restart 1\)",
            *([rf"I hv: iommu: vm '{vm}': 00:02\.0 attached to its DMA domain"] if iommu else []),
            rf"I hv: irq: vm '{vm}': 00:02\.0 GSI {gsi} re-attached: raised as vector 0x50 again",
            rf"I hv: vm '{vm}': started \(id 1, IOVM, 4 MiB at 0x[0-9a-f]+, entry 0x[0-9a-f]+, restarted\)",
            # The new instance: no fault injection, the e1000 brought up again from its reset.
            rf"I {vm}: net: e1000 \(82540EM\) at 00:02\.0 \(8086:100e\), MAC [0-9a-f:]+ \(from the EEPROM\), "
            r"interrupt vector 0x50",
            *[rf"I {vm}: net: port {p} \(channel '{ch}', vm '{fe}'\): found generation 1 attached by an earlier "
              r"instance: starting detached, serving only the frontend's next generation" for p, ch, fe in ports],
            rf"I {vm}: net: link up",
            rf"I {vm}: TEST {vm}: nic-up PASS"]


def reconnect_lines(vm, port, channel, fe):
    """fe's netfront sees the backend's new epoch, reconnects, and the new instance attaches generation 2."""
    return [rf"I {fe}: netfront: channel '{channel}': backend restarted \(epoch 1 -> 2\): reconnecting\n(.*\n)*?"
            rf".*I {vm}: net: port {port} \(channel '{channel}', vm '{fe}'\): attached, generation 2\n(.*\n)*?"
            rf".*I {fe}: netfront: channel '{channel}': attached by '{vm}' \(generation 2, 48\+48 buffers\), "
            r"\d+ ms after the reconnect began"]


def outage_flow(what):
    """netping's report of one kind of round trip across the outage: good before, losses counted, all good after."""
    return (rf"I outage-a: TEST outage-a: netping: outage: {what}: [1-9]\d* good before, \d+ lost during the "
            r"outage, then ([1-9]\d*)/\1 good; first good \d+ ms after the first loss")


def restart_forbid(vm):
    return [r"PANIC", r"exception \d+", rf"^\[[^\]]*\] E (?!hv: vm '{vm}': contained: triple fault)",
            r"check failed", r"FAIL", r"iommu: DMA fault", r"restart 2", r"\): reset: ",
            # the frontends never wait in vain for a dead instance, never find a queue broken; the new
            # instance never serves the dead one's generation, never has anything to let go
            r"did not let go", r"queue broken", r"let go of generation", r"restarting \(restart 1\)\n(.*\n)*.*attached, generation 1$"]


RESTART_VM = "netcrash900"


def iovm_restart_case(emulator):
    """Two guests ping and echo each other and the gateway in a loop while the IOVM crashes once
    after 900 frames (in outage-a's loop, well after its first 100 echoes): contained, e1000
    quiesced and reset, restarted from its image, DMA (VT-d) and INTx re-attached; the new instance
    starts detached, both netfronts reconnect (generation 2) and every kind of round trip works
    again; losses during the outage are counted by the guest, none after; all VMs stop cleanly.
    QEMU: q35, VT-d, SVM/NPT. Bochs: i440fx, VMX/EPT, no IOMMU (unprotected DMA), slirp."""
    qemu = emulator == "qemu"
    return dict(
        name=f"{emulator}-net-iovm-restart", emulator=emulator, cmdline="",
        args=(["-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1", "-device", "e1000,netdev=n1"]
              if qemu else [f"e1000: enabled=1, mac={BOCHS_MAC}, ethmod=slirp"]),
        policy="tests/policies/vm-net-iovm-restart.policy" if qemu else
        "tests/policies/vm-net-iovm-restart-unprotected.policy",
        images=["iovm-net", "netping", "netecho"],
        expect=[*([] if qemu else [r"W hv: \* UNPROTECTED DMA: there is no IOMMU"]),
                rf"I {RESTART_VM}: net: fault injection: this start crashes after 900 frames forwarded",
                rf"I {RESTART_VM}: net: port 2 \(channel 'net-a', vm 'outage-a'\): attached, generation 1",
                rf"I {RESTART_VM}: net: port 3 \(channel 'net-b', vm 'echo-b'\): attached, generation 1",
                r"I outage-a: TEST outage-a: netping: 100/100 UDP echoes from 10\.0\.2\.16:7 byte-exact",
                r"I outage-a: TEST outage-a: outage START",
                *iovm_restart_lines(RESTART_VM, 900, [(2, "net-a", "outage-a"), (3, "net-b", "echo-b")],
                                    gsi="22" if qemu else r"\d+", iommu=qemu),
                # The new instance's NIC receives again: its own ARP reply by interrupt.
                rf"I {RESTART_VM}: net: ARP reply after \d+ ms: 10\.0\.2\.2 is at 52:55:0a:00:02:02",
                rf"I {RESTART_VM}: TEST {RESTART_VM}: arp PASS",
                r"I outage-a: TEST outage-a: netping: outage: reconnect began at \d+ ms \(VM time\), attached "
                r"\d+ ms later",
                outage_flow(r"UDP echoes to 10\.0\.2\.16"),
                outage_flow(r"pings to 10\.0\.2\.16"),
                outage_flow(r"pings to gateway 10\.0\.2\.2"),
                r"I outage-a: TEST outage-a: netping: outage: \d+ round trip\(s\) lost in all, from the first "
                r"loss at \d+ ms to every kind good again: \d+ ms",
                r"I outage-a: TEST outage-a: outage PASS",
                r"I outage-a: TEST outage-a: netfront: .*, reconnects 1, rx-dropped 0, detach-timeouts 0$",
                r"I outage-a: TEST outage-a: done, 6 passed, 0 failed",
                rf"I {RESTART_VM}: net: every frontend has stopped: stopping",
                # The second instance served both ports: one attach each (generation 2), traffic both ways.
                *[rf"I {RESTART_VM}: net: port {p} \(channel '{ch}', vm '{fe}'\): from guest [1-9]\d* frames "
                  r"\d+ bytes, to guest [1-9]\d* frames \d+ bytes, drops: bad-length 0 no-rx-buffer 0 detached \d+; "
                  r"1 attach\(es\), 0 reset\(s\), 0 release\(s\)"
                  for p, ch, fe in [(2, "net-a", "outage-a"), (3, "net-b", "echo-b")]],
                rf"I hv: vm '{RESTART_VM}': stopped itself with exit code 0",
                *[rf"I hv: vm '{vm}': stopped, exit code 0, \d+ exits" for vm in (RESTART_VM, "outage-a", "echo-b")],
                r"I hv: sched: 3 VM\(s\): all stopped cleanly"],
        expect_any=[*reconnect_lines(RESTART_VM, 2, "net-a", "outage-a"),
                    *reconnect_lines(RESTART_VM, 3, "net-b", "echo-b"),
                    r"I echo-b: TEST echo-b: netecho: reconnected 1 time\(s\): [1-9]\d* echoes before the last "
                    r"reconnect, [1-9]\d* after it",
                    r"I echo-b: TEST echo-b: netfront: .*, reconnects 1, rx-dropped 0, detach-timeouts 0$",
                    r"I echo-b: TEST echo-b: done, 1 passed, 0 failed"],
        forbid=restart_forbid(RESTART_VM), outcome="success", timeout=180 if qemu else 600)


RESTART_CASES = [
    iovm_restart_case("qemu"),
    iovm_restart_case("bochs"),
    # The host's UDP echo client across the crash (netcrash1000: about its 500th datagram). At most
    # 12 datagrams may go unanswered within 0.25 s, all in one run (the outage); each answered late
    # is matched and must be byte-exact, and every reply after the outage (at least 300) too.
    dict(name="qemu-net-udp-echo-restart", emulator="qemu", cmdline="",
         args=["-device", "intel-iommu,intremap=on",
               "-netdev", "user,id=n1,hostfwd=udp:127.0.0.1:{hostport}-10.0.2.15:7",
               "-device", "e1000,netdev=n1"],
         policy="tests/policies/vm-net-udp-echo-restart.policy", images=["iovm-net", "netecho"],
         client={"kind": "udp-echo", "ready": r"I echo: netecho: ready on 10\.0\.2\.15 udp 7", "count": 1000,
                 "max_lost": 12, "min_after": 300, "reply_timeout": 0.25},
         expect=[r"I echo: netecho: ready on 10\.0\.2\.15 udp 7",
                 *iovm_restart_lines("netcrash1000", 1000, [(2, "net-echo", "echo")]),
                 *reconnect_lines("netcrash1000", 2, "net-echo", "echo"),
                 r"I echo: TEST echo: netecho: stop datagram received after 1000 echoes",
                 r"I echo: TEST echo: netecho: reconnected 1 time\(s\): [1-9]\d* echoes before the last reconnect, "
                 r"([3-9]\d\d) after it",
                 r"I echo: TEST echo: netfront: .*, reconnects 1, rx-dropped 0, detach-timeouts 0$",
                 *vm_lines("echo", 1),
                 r"I netcrash1000: net: every frontend has stopped: stopping",
                 r"I hv: vm 'netcrash1000': stopped itself with exit code 0",
                 r"I hv: sched: 2 VM\(s\): all stopped cleanly"],
         forbid=restart_forbid("netcrash1000"), outcome="success", timeout=180),
]

CASES += RESTART_CASES
CASES += POLICY_CASES + PCI_CASES + DMA_CASES + NVME_CASES + MSIX_CASES + MSI_CASES + NETVM_CASES + NETPATH_CASES + NETBENCH_CASES + HOSTILE_CASES + vm_cases("qemu") + vm_cases("bochs")
