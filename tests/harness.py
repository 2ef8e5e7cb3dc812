#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""uhv test harness: host unit tests and emulator tests, one summary.

  tests/harness.py              unit tests, then every emulator case
  tests/harness.py --no-unit    emulator cases only (make emu-test)
  tests/harness.py -k bochs     only cases whose name contains "bochs"
  tests/harness.py --list       list the emulator cases

Unit tests: every build/tests/unit/test_* binary; each "PASS name" or
"FAIL name" line it prints is one case.

Emulator cases (tests/emu_tests.py): for each, a GRUB ISO of the current
build/hypervisor.elf with the case's command line is made under
build/tests/<name>/, the emulator runs in its own process group with a hard
timeout (SIGKILL to the group: Bochs ignores SIGTERM), the serial port goes
to build/tests/<name>/serial.log, and the log is checked: expected regexes
in order, forbidden ones nowhere, and the emulator's exit status and the
last serial line must agree on success or failure.

The last line printed is "N passed, N failed" (", N skipped" when cases
could not run); the exit status is 1 if anything failed.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import emu_tests  # noqa: E402
import hostclient  # noqa: E402

GRUB_CFG_TEMPLATE = os.path.join(ROOT, "boot", "grub.cfg.in")
BOCHSRC_TEMPLATE = os.path.join(ROOT, "boot", "bochsrc.in")
MKISO = os.path.join(ROOT, "boot", "mkiso.sh")
BOCHS_FILES = ["/usr/share/bochs/BIOS-bochs-latest", "/usr/share/vgabios/vgabios.bin"]

# QEMU as in docs/PLATFORM.md: the isa-debug-exit device makes the exit
# status (v << 1) | 1, no NIC unless a case adds one, no monitor, no display.
QEMU_BASE_ARGS = ["-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "512",
                  "-display", "none", "-no-reboot", "-monitor", "none", "-nic", "none",
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

# The emulator exit status that means success / failure for each exit= method.
# "poweroff": the run ends in ACPI S5 (exit=acpi), which cannot carry a status:
# QEMU exits 0 and Bochs 1, and the last line is the hypervisor entering S5.
EXIT_STATUS = {
    "qemu": {"success": 1, "failure": 3, "poweroff": 0},
    "bochs": {"success": 0, "failure": 1, "poweroff": 1},
}
POWEROFF_LINE = re.compile(r"hv: acpi: entering S5\s*$")

FINAL_LINE = re.compile(r"hv: exit: (success|failure)\s*$")
ANSI_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[@-Z\\-_])")
CASE_FIELDS = {  # args, forbid, expect_any, at_most, policy, images, pcap_* and disk_images may be left out (empty)
   "name", "emulator", "cmdline", "args", "expect", "forbid", "outcome", "timeout", "policy", "images",
   "pcap_expect", "pcap_forbid", "disk_images", "client", "expect_any", "at_most"}
PCAP_FILE = "wire.pcap"  # where a case's QEMU args may dump a netdev: {workdir}/wire.pcap
TAIL_LINES = 20

# Process groups of running emulators, killed if the harness itself is stopped;
# once stopping is set no new emulator starts.
running_groups = set()
running_lock = threading.Lock()
stopping = False


class Result:
    """One test case's verdict: status is PASS, FAIL or SKIP."""

    def __init__(self, name, status, detail="", seconds=None):
        self.name = name
        self.status = status
        self.detail = detail
        self.seconds = seconds

    def line(self):
        took = f" ({self.seconds:.1f} s)" if self.seconds is not None else ""
        reason = f": {self.detail.splitlines()[0]}" if self.status == "SKIP" and self.detail else ""
        return f"{self.status} {self.name}{took}{reason}"


# ---------------------------------------------------------------------------
# Unit tests

def run_unit_binaries(unit_dir):
    """Run each unit-test binary; every PASS/FAIL line it prints is a case."""
    results = []
    if not os.path.isdir(unit_dir):
        return [Result("unit", "FAIL", f"{unit_dir} does not exist: run `make unit` first")]
    binaries = sorted(f for f in os.listdir(unit_dir)
                      if f.startswith("test_") and os.access(os.path.join(unit_dir, f), os.X_OK))
    if not binaries:
        return [Result("unit", "FAIL", f"no test_* binaries in {unit_dir}")]
    for binary in binaries:
        path = os.path.join(unit_dir, binary)
        try:
            proc = subprocess.run([path], cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=60)
            output, status = proc.stdout.decode(errors="replace"), proc.returncode
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"").decode(errors="replace")
            status = "timeout after 60 s"
        results.extend(parse_unit_output(binary, output, status))
    return results


def parse_unit_output(binary, output, status):
    """Turn a unit binary's output into results; a crash is a failure too."""
    results, pending = [], []
    for line in output.splitlines():
        m = re.match(r"(PASS|FAIL) (\S+)$", line)
        if m:
            results.append(Result(f"{binary}.{m.group(2)}", m.group(1), "\n".join(pending)))
            pending = []
        else:
            pending.append(line)
    failed = any(r.status == "FAIL" for r in results)
    if status != 0 and not failed:
        # Exited badly without a FAIL line: a crash, a sanitizer report or a timeout.
        tail = "\n".join(output.splitlines()[-TAIL_LINES:])
        results.append(Result(f"{binary}", "FAIL", f"exit status {status} with no FAIL line\n{tail}"))
    if not results:
        results.append(Result(binary, "FAIL", "printed no PASS/FAIL line"))
    return results


# ---------------------------------------------------------------------------
# Boot images

def write_grub_cfg(path, cmdline, timeout=0, modules=()):
    """Fill in boot/grub.cfg.in the way boot/iso.mk does; modules are (file, name) pairs."""
    with open(GRUB_CFG_TEMPLATE) as f:
        text = f.read()
    module_lines = "".join(f"\tmodule2 /boot/{os.path.basename(f)} {name}\n" for f, name in modules)
    text = (text.replace("@TIMEOUT@", str(timeout)).replace("@CMDLINE@", cmdline)
            .replace("@MODULES@", module_lines))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def build_iso(workdir, hypervisor_elf, cmdline, modules=()):
    """Make workdir/uhv.iso booting hypervisor_elf with cmdline; returns its path."""
    stage = os.path.join(workdir, "iso")
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "boot", "grub"))
    shutil.copy(hypervisor_elf, os.path.join(stage, "boot", "hypervisor.elf"))
    for f, _ in modules:
        shutil.copy(f, os.path.join(stage, "boot"))
    write_grub_cfg(os.path.join(stage, "boot", "grub", "grub.cfg"), cmdline, 0, modules)
    iso = os.path.join(workdir, "uhv.iso")
    proc = subprocess.run([MKISO, iso, stage], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode:
        raise RuntimeError("boot/mkiso.sh failed:\n" + proc.stdout.decode(errors="replace"))
    return iso


def write_bochsrc(path, iso, serial_log, bochs_log, extra_lines=()):
    """Fill in boot/bochsrc.in (shared with `make run-bochs`)."""
    with open(BOCHSRC_TEMPLATE) as f:
        text = f.read()
    text = text.replace("@ISO@", iso).replace("@SERIAL@", serial_log).replace("@LOG@", bochs_log)
    text += "".join(line + "\n" for line in extra_lines)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# Running an emulator

def emulator_command(case, workdir, iso, serial_log, hostport=None):
    """The command line (and environment) that runs case's emulator."""
    if case["emulator"] == "qemu":
        qemu = os.environ.get("QEMU", "qemu-system-x86_64")
        args = [a.replace("{workdir}", workdir).replace("{hostport}", str(hostport)) for a in case["args"]]
        return [qemu, *QEMU_BASE_ARGS, "-serial", f"file:{serial_log}", "-cdrom", iso, *args], None
    bochs = os.environ.get("BOCHS", "bochs")
    bochsrc = os.path.join(workdir, "bochsrc")
    write_bochsrc(bochsrc, iso, serial_log, os.path.join(workdir, "bochs.log"), case["args"])
    rc = os.path.join(workdir, "bochs.rc")
    with open(rc, "w") as f:
        f.write("c\nquit\n")	# run; back here only at the magic breakpoint
    env = dict(os.environ, TERM="xterm")  # the term display library needs one
    return [bochs, "-q", "-f", bochsrc, "-rc", rc], env


def run_in_group(argv, env, cwd, timeout, output_path):
    """Run argv in cwd in a new process group, SIGKILLing the group after
    timeout seconds. Returns (exit status or None on timeout, seconds taken)."""
    start = time.monotonic()
    with open(output_path, "wb") as out:
        with running_lock:
            if stopping:
                return None, 0.0
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            running_groups.add(proc.pid)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = None
        finally:
            kill_group(proc.pid)  # children too, even after a normal exit
            proc.wait()
            with running_lock:
                running_groups.discard(proc.pid)
    return status, time.monotonic() - start


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_all_groups():
    global stopping
    with running_lock:
        stopping = True
        for pgid in list(running_groups):
            kill_group(pgid)


# ---------------------------------------------------------------------------
# Checking a serial log

def clean_log(raw):
    """Serial bytes as text lines: no carriage returns or terminal escapes."""
    text = raw.decode("utf-8", errors="replace")
    return ANSI_ESCAPE.sub("", text).replace("\r", "")


def check_pcap(case, workdir):
    """Problems with the case's packet dump: every pcap_expect byte string must be
    in it, no pcap_forbid one may be."""
    expect, forbid = case["pcap_expect"], case["pcap_forbid"]
    if not expect and not forbid:
        return []
    expect = [expect] if isinstance(expect, str) else expect
    forbid = [forbid] if isinstance(forbid, str) else forbid
    path = os.path.join(workdir, PCAP_FILE)
    try:
        with open(path, "rb") as f:
            dump = f.read()
    except OSError:
        return [f"no packet dump {os.path.relpath(path, ROOT)}"]
    where = f"the packet dump {os.path.relpath(path, ROOT)} ({len(dump)} bytes)"
    return ([f"{where} does not contain {h}" for h in expect if bytes.fromhex(h) not in dump] +
            [f"{where} contains {h}, which must not cross the wire" for h in forbid if bytes.fromhex(h) in dump])


def check_log(case, text, status):
    """Return a list of problems with a run (empty: the case passed)."""
    problems = []
    pos = 0
    for regex in case["expect"]:
        m = re.compile(regex, re.MULTILINE).search(text, pos)
        if not m:
            where = "anywhere" if pos == 0 else "after the previous expected line"
            if pos and re.compile(regex, re.MULTILINE).search(text):
                where += " (it appears earlier: wrong order)"
            problems.append(f"missing expected line /{regex}/ {where}")
            break
        pos = m.end()
    for regex in case["expect_any"]:
        if not re.compile(regex, re.MULTILINE).search(text):
            problems.append(f"missing expected line /{regex}/ anywhere")
    for regex, most in case["at_most"]:
        n = len(re.compile(regex, re.MULTILINE).findall(text))
        if n > most:
            problems.append(f"/{regex}/ matched {n} lines, at most {most} allowed")
    for regex in case["forbid"]:
        m = re.compile(regex, re.MULTILINE).search(text)
        if m:
            line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
            problems.append(f"forbidden /{regex}/ matched: {line.strip()}")

    lines = [line for line in text.split("\n") if line.strip()]
    last = lines[-1] if lines else "(no output)"
    final = FINAL_LINE.search(last)
    if case["outcome"] == "poweroff":
        if not POWEROFF_LINE.search(last):
            problems.append(f"the last serial line is not 'hv: acpi: entering S5': {last.strip()}")
    elif not final:
        problems.append(f"the last serial line is not 'hv: exit: success|failure': {last.strip()}")
    elif final.group(1) != case["outcome"]:
        problems.append(f"the run ended with 'exit: {final.group(1)}', expected {case['outcome']}")

    want = EXIT_STATUS[case["emulator"]][case["outcome"]]
    if status is None:
        problems.append(f"timed out after {case['timeout']} s (process group killed)")
    elif status != want:
        problems.append(f"exit status {status}, expected {want} ({case['outcome']})")
    return problems


def skip_reason(case):
    """Why case cannot run on this machine, or None."""
    if case["emulator"] == "qemu":
        qemu = os.environ.get("QEMU", "qemu-system-x86_64")
        return None if shutil.which(qemu) else f"{qemu} not installed (make deps)"
    bochs = os.environ.get("BOCHS", "bochs")
    if not shutil.which(bochs):
        return f"{bochs} not installed (make deps)"
    for f in BOCHS_FILES:
        if not os.path.exists(f):
            return f"{f} missing (make deps)"
    return None


def bochs_decided_status(workdir):
    """The exit status Bochs had decided on before quitting, or None.

    bochs.log says "quit_sim called with exit code N" when the machine shut
    down (exit=bochs failure, ACPI S5); the debugger's output shows "Magic
    breakpoint" when the run stopped there (exit=bochs success: status 0).
    """
    try:
        with open(os.path.join(workdir, "bochs.log"), errors="replace") as f:
            m = re.search(r"quit_sim called with exit code (\d+)", f.read())
        if m:
            return int(m.group(1))
        with open(os.path.join(workdir, "emulator.log"), errors="replace") as f:
            if "Magic breakpoint" in f.read():
                return 0
    except OSError:
        pass
    return None


def case_modules(case, build_dir, workdir):
    """The boot modules of a case: its policy, compiled here, and its guest images.

    policy: a text policy (path from the top directory), or a dict of
            mkpolicy options: {"path": ..., "corrupt": KIND}.
    images: guest names; build/guests/<name>.elf becomes module "<name>.elf".
    """
    modules = []
    policy = case.get("policy")
    if policy:
        if isinstance(policy, str):
            policy = {"path": policy}
        out = os.path.join(workdir, "policy.bin")
        argv = [sys.executable, os.path.join(ROOT, "boot", "mkpolicy.py"), "-o", out]
        if policy.get("corrupt"):
            argv.append("--corrupt=" + policy["corrupt"])
        argv.append(os.path.join(ROOT, policy["path"]))
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        if proc.returncode:
            raise RuntimeError("mkpolicy failed:\n" + proc.stdout.decode(errors="replace"))
        modules.append((out, "policy"))
    for image in case.get("images", ()):
        path = os.path.join(build_dir, "guests", image + ".elf")
        if not os.path.exists(path):
            raise RuntimeError(f"{path} does not exist: run `make` first")
        modules.append((path, image + ".elf"))
    return modules


def run_case(case, build_dir):
    """Build the case's ISO, run it and check it; returns a Result."""
    name = case["name"]
    reason = skip_reason(case)
    if reason:
        return Result(name, "SKIP", reason)
    workdir = os.path.join(build_dir, "tests", name)
    os.makedirs(workdir, exist_ok=True)
    elf = os.path.join(build_dir, "hypervisor.elf")
    if not os.path.exists(elf):
        return Result(name, "FAIL", f"{elf} does not exist: run `make` first")
    cmdline = " ".join(w for w in [f"exit={case['emulator']}", case["cmdline"]] if w)
    try:
        iso = build_iso(workdir, elf, cmdline, case_modules(case, build_dir, workdir))
    except RuntimeError as e:
        return Result(name, "FAIL", str(e))

    serial_log = os.path.join(workdir, "serial.log")
    for stale in (serial_log, os.path.join(workdir, PCAP_FILE)):
        if os.path.exists(stale):
            os.remove(stale)
    # Fresh, zero-filled (sparse) disk images for the case's emulator arguments to name.
    for image, size in case["disk_images"].items():
        with open(os.path.join(workdir, image), "wb") as f:
            f.truncate(size)
    client = case["client"]
    hostport = hostclient.free_udp_port() if client else None
    argv, env = emulator_command(case, workdir, iso, serial_log, hostport)
    with open(os.path.join(workdir, "command"), "w") as f:
        f.write(" ".join(argv) + "\n")
    # The case's host-side client talks to the guest while the emulator runs.
    client_problems, run_over = [], threading.Event()
    if client:
        deadline = time.monotonic() + case["timeout"]
        client_thread = threading.Thread(target=lambda: client_problems.extend(
            hostclient.CLIENTS[client["kind"]](client, hostport, serial_log, workdir, deadline, run_over)))
        client_thread.start()
    # In workdir: Bochs' null network backend writes eth_null-* files to the cwd.
    status, seconds = run_in_group(argv, env, workdir, case["timeout"],
                                   os.path.join(workdir, "emulator.log"))
    if client:
        run_over.set()
        client_thread.join()
    decided = bochs_decided_status(workdir) if case["emulator"] == "bochs" else None
    if status is not None and status < 0 and decided is not None:
        # Bochs sometimes segfaults in its own teardown after it has decided how
        # to exit (quit_sim, or the debugger quitting at the magic breakpoint):
        # the run was over and its log is complete, so that decision stands.
        print(f"note: {name}: bochs died from signal {-status} while quitting with "
              f"status {decided}; the run had ended", flush=True)
        status = decided
    if status is not None and status < 0 and not stopping:
        # The emulator itself died from a signal we did not send (Bochs has been
        # seen to crash under load): that says nothing about the hypervisor, so
        # run the case once more and say so. A second crash is a failure.
        crashed = os.path.join(workdir, "emulator-crash.log")
        shutil.copy(os.path.join(workdir, "emulator.log"), crashed)
        print(f"note: {name}: {case['emulator']} died from signal {-status}; running it again "
              f"(its output: {os.path.relpath(crashed, ROOT)})", flush=True)
        if os.path.exists(serial_log):
            os.remove(serial_log)
        status, seconds = run_in_group(argv, env, workdir, case["timeout"],
                                       os.path.join(workdir, "emulator.log"))
    raw = b""
    if os.path.exists(serial_log):
        with open(serial_log, "rb") as f:
            raw = f.read()
    text = clean_log(raw)
    problems = check_log(case, text, status) + check_pcap(case, workdir) + client_problems
    if not problems:
        return Result(name, "PASS", seconds=seconds)
    tail = [line for line in text.split("\n") if line.strip()][-TAIL_LINES:]
    detail = "\n".join(problems) + f"\nlast {len(tail)} lines of {os.path.relpath(serial_log, ROOT)}:\n" \
        + "\n".join("  | " + line for line in tail)
    if status not in (0, 1, 3, None):
        detail += f"\nemulator output: {os.path.relpath(os.path.join(workdir, 'emulator.log'), ROOT)}"
    return Result(name, "FAIL", detail, seconds)


def validate_cases(cases):
    """Catch mistakes in tests/emu_tests.py before anything runs."""
    names = set()
    for case in cases:
        name = case.get("name", "?")
        case.setdefault("args", [])
        case.setdefault("forbid", [])
        case.setdefault("expect_any", [])
        case.setdefault("at_most", [])
        case.setdefault("policy", None)
        case.setdefault("images", [])
        case.setdefault("pcap_expect", "")
        case.setdefault("pcap_forbid", [])
        case.setdefault("disk_images", {})
        case.setdefault("client", None)
        missing, extra = CASE_FIELDS - case.keys(), case.keys() - CASE_FIELDS
        if missing or extra:
            sys.exit(f"emu_tests.py: case {name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        if name in names or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            sys.exit(f"emu_tests.py: case name {name!r} is repeated or not [a-z0-9-]")
        names.add(name)
        if case["emulator"] not in EXIT_STATUS or case["outcome"] not in ("success", "failure", "poweroff"):
            sys.exit(f"emu_tests.py: case {name}: bad emulator or outcome")
        if not case["expect"]:
            sys.exit(f"emu_tests.py: case {name}: expects nothing")
        for regex in case["expect"] + case["expect_any"] + case["forbid"] + [r for r, _ in case["at_most"]]:
            re.compile(regex)
        if not all(isinstance(n, int) and n >= 0 for _, n in case["at_most"]):
            sys.exit(f"emu_tests.py: case {name}: at_most needs (regex, count >= 0) pairs")
        client = case["client"]
        if client and (client.get("kind") not in hostclient.CLIENTS or "ready" not in client
                       or case["emulator"] != "qemu"):
            sys.exit(f"emu_tests.py: case {name}: client needs a kind of {sorted(hostclient.CLIENTS)}, "
                     "a ready regex, and QEMU")
        for image, size in case["disk_images"].items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", image) or not isinstance(size, int) or size <= 0:
                sys.exit(f"emu_tests.py: case {name}: disk image {image!r}: a plain file name and a size > 0")


# ---------------------------------------------------------------------------

def report(result):
    print(result.line(), flush=True)
    if result.status == "FAIL" and result.detail:
        for line in result.detail.splitlines():
            print("    " + line)
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=2, help="emulator cases run in parallel")
    parser.add_argument("-k", "--filter", default="", help="only emulator cases whose name contains this")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build directory")
    parser.add_argument("--no-unit", action="store_true", help="skip the host unit tests")
    parser.add_argument("--no-emu", action="store_true", help="skip the emulator cases")
    parser.add_argument("--list", action="store_true", help="list the emulator cases and exit")
    args = parser.parse_args()

    cases = emu_tests.CASES
    validate_cases(cases)
    cases = [c for c in cases if args.filter in c["name"]]
    if args.list:
        for c in cases:
            print(f"{c['name']:24} {c['emulator']:6} {c['outcome']:8} {c['cmdline']}")
        return 0

    results = []
    if not args.no_unit:
        for r in run_unit_binaries(os.path.join(args.build, "tests", "unit")):
            report(r)
            results.append(r)
    if not args.no_emu:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
        try:
            futures = [pool.submit(run_case, c, os.path.abspath(args.build)) for c in cases]
            for future in concurrent.futures.as_completed(futures):
                report(future.result())
                results.append(future.result())
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): no emulator may outlive us.
            pool.shutdown(wait=False, cancel_futures=True)
            kill_all_groups()
            raise
        pool.shutdown()

    passed = sum(r.status == "PASS" for r in results)
    failed = sum(r.status == "FAIL" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    # A CI timeout sends SIGTERM: unwind like Ctrl-C so the emulators die too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        kill_all_groups()
        print("interrupted", file=sys.stderr)
        sys.exit(130)
