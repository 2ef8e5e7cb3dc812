#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture the multiboot2 information GRUB really hands over, as a fixture
for tests/unit/test_multiboot2.c.

  tests/capture_mbi.py qemu  -> tests/fixtures/mbi-qemu.bin
  tests/capture_mbi.py bochs -> tests/fixtures/mbi-bochs.bin

The image boots with loglevel=debug and two modules; the hypervisor prints
"boot: multiboot2 information at 0x..., N bytes". Then the bytes are saved
from guest memory:
  QEMU:  the run halts (exit=halt); `pmemsave` on a UNIX-socket monitor.
  Bochs: the run ends at the magic breakpoint (exit=bochs) and the debugger
         script saves the bytes with `writemem` through the direct map. Bochs
         is deterministic, so a first run finds the address for the second.
"""

import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = harness.ROOT
BUILD = os.path.join(ROOT, "build")
WORKDIR = os.path.join(BUILD, "tests", "capture-mbi")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CMDLINE = "loglevel=debug"
DIRECT_MAP_BASE = 0xffff800000000000	# arch/memlayout.h
MBI_LINE = re.compile(r"boot: multiboot2 information at 0x([0-9a-f]+), (\d+) bytes")
TIMEOUT = 60


def make_modules():
    """Two small modules, so the fixture has a module list."""
    paths = []
    for name, text in [("vm-a.img", "first module\n"), ("vm-b.img", "second module, longer\n" * 40)]:
        path = os.path.join(WORKDIR, name)
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


def wait_for(path, regex, deadline):
    """Poll a log file until regex matches; returns the match."""
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, "rb") as f:
                m = re.search(regex, harness.clean_log(f.read()))
            if m:
                return m
        time.sleep(0.1)
    sys.exit(f"capture: no /{regex}/ in {path} within {TIMEOUT} s")


def monitor_command(sock, command):
    """Send one command to a QEMU monitor (None: just read the banner);
    returns its output up to the next prompt."""
    if command is not None:
        sock.sendall(command.encode() + b"\n")
    out = b""
    while not out.endswith(b"(qemu) "):
        chunk = sock.recv(4096)
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def capture_qemu(iso, out):
    serial = os.path.join(WORKDIR, "serial.log")
    monitor = os.path.join(WORKDIR, "monitor.sock")
    for f in (serial, monitor):
        if os.path.exists(f):
            os.remove(f)
    args = harness.QEMU_BASE_ARGS
    i = args.index("-monitor")
    args = args[:i] + ["-monitor", f"unix:{monitor},server=on,wait=off"] + args[i + 2:]
    argv = [os.environ.get("QEMU", "qemu-system-x86_64"), *args,
            "-serial", f"file:{serial}", "-cdrom", iso]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        m = wait_for(serial, MBI_LINE.pattern, deadline)
        wait_for(serial, r"exit: system halted", deadline)
        addr, size = int(m.group(1), 16), int(m.group(2))
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(monitor)
            monitor_command(sock, None)		# the banner and first prompt
            reply = monitor_command(sock, f'pmemsave {addr:#x} {size} "{out}"')
            if "rror" in reply:
                sys.exit(f"capture: pmemsave failed: {reply}")
            sock.sendall(b"quit\n")
            proc.wait(timeout=10)
    finally:
        harness.kill_group(proc.pid)
        proc.wait()
    return addr, size


def run_bochs(iso, rc_text):
    serial = os.path.join(WORKDIR, "serial.log")
    if os.path.exists(serial):
        os.remove(serial)
    case = {"emulator": "bochs", "args": []}
    argv, env = harness.emulator_command(case, WORKDIR, iso, serial)
    with open(argv[-1], "w") as f:	# the -rc script
        f.write(rc_text)
    status, _ = harness.run_in_group(argv, env, WORKDIR, TIMEOUT, os.path.join(WORKDIR, "bochs.out"))
    with open(serial, "rb") as f:
        m = MBI_LINE.search(harness.clean_log(f.read()))
    if status != 0 or not m:
        sys.exit(f"capture: Bochs run failed (status {status}); see {WORKDIR}")
    return int(m.group(1), 16), int(m.group(2))


def capture_bochs(iso, out):
    addr, size = run_bochs(iso, "c\nquit\n")
    if os.path.exists(out):
        os.remove(out)
    addr2, size2 = run_bochs(iso, f'c\nwritemem "{out}" {DIRECT_MAP_BASE + addr:#x} {size}\nquit\n')
    if (addr2, size2) != (addr, size):
        sys.exit("capture: the multiboot2 information moved between two Bochs runs")
    return addr, size


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("qemu", "bochs"):
        sys.exit(__doc__)
    emulator = sys.argv[1]
    os.makedirs(WORKDIR, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    exit_method = "exit=halt" if emulator == "qemu" else "exit=bochs"
    iso = harness.build_iso(WORKDIR, os.path.join(BUILD, "hypervisor.elf"),
                            f"{exit_method} {CMDLINE}", make_modules())
    out = os.path.join(FIXTURES, f"mbi-{emulator}.bin")
    addr, size = (capture_qemu if emulator == "qemu" else capture_bochs)(iso, out)
    got = os.path.getsize(out) if os.path.exists(out) else 0
    if got != size:
        sys.exit(f"capture: {out} has {got} bytes, expected {size}")
    with open(out, "rb") as f:
        total = int.from_bytes(f.read(4), "little")
    if total != size:
        sys.exit(f"capture: {out} starts with total_size {total}, expected {size}")
    print(f"{os.path.relpath(out, ROOT)}: {size} bytes from {addr:#x} ({emulator})")


if __name__ == "__main__":
    main()
