#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""uhv benchmark: guest -> network IOVM -> wire, against the IOVM's own sending.

  tests/bench.py                 one QEMU run, results in build/bench/
  tests/bench.py --no-sink       without the host UDP sink

One QEMU run (q35, VT-d with interrupt remapping, e1000 on -netdev user, no
host port opened but the sink's on 127.0.0.1) of tests/policies/bench.policy:
the guest netbench streams NETBENCH_PACKETS UDP datagrams to 10.0.2.2 through
netfront, the network IOVM's netback and switch, and the e1000; then the IOVM
sends as many itself straight to its NIC. Each side prints one line

  BENCH side=guest|iovm-forward|native key=value ...

which this script parses into build/bench/results.json (every raw number and
the derived rates and ratios) and a short table (printed and saved as
build/bench/results.txt). A host sink on 127.0.0.1:NETBENCH_DST_PORT (QEMU's
user network delivers datagrams for 10.0.2.2 there) counts what reached the
host, by side and run id. docs/testing.md, "Benchmark".

Timings are reported, never asserted: the exit status is 0 when the run
completed and every BENCH line is there and self-consistent (packets as
announced), 1 otherwise.
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import harness  # noqa: E402

POLICY = "tests/policies/bench.policy"
IMAGES = ["iovm-net", "netbench"]
NIC_MAC = "52:54:00:6e:65:74"
TIMEOUT = 600
SIDES = ("guest", "iovm-forward", "native")
BENCH_LINE = re.compile(r"BENCH side=(\S+)((?: [a-z_]+=\d+)+)\s*$", re.MULTILINE)
FINAL_LINE = re.compile(r"hv: exit: (success|failure)\s*$")


def netbench_constants():
    """The stream's constants, read from the header both VMs are built with."""
    with open(os.path.join(ROOT, "guest-stubs", "netbench", "netbench.h")) as f:
        text = f.read()
    consts = {}
    for name in ("NETBENCH_PACKETS", "NETBENCH_PAYLOAD", "NETBENCH_DST_PORT", "NETBENCH_MAGIC"):
        m = re.search(rf"#define\s+{name}\s+(0x[0-9a-fA-F]+|\d+)U?", text)
        if not m:
            sys.exit(f"bench: {name} not found in guest-stubs/netbench/netbench.h")
        consts[name] = int(m.group(1), 0)
    for name, char in (("NETBENCH_SIDE_GUEST", "G"), ("NETBENCH_SIDE_NATIVE", "N")):
        consts[name] = ord(char)
    return consts


class Sink(threading.Thread):
    """Counts the benchmark's datagrams that reach 127.0.0.1:port, by (side, run id)."""

    def __init__(self, port, magic):
        super().__init__(daemon=True)
        self.magic = magic
        self.counts = {}
        self.other = 0
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)

    def run(self):
        while not self.stop.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(data) >= 20:
                magic, side, run, _seq = struct.unpack(">IIII", data[:16])
                if magic == self.magic:
                    key = (side, run)
                    self.counts[key] = self.counts.get(key, 0) + 1
                    continue
            self.other += 1

    def finish(self):
        # Let datagrams still in flight through slirp arrive, then stop.
        time.sleep(0.5)
        self.stop.set()
        self.join()
        self.sock.close()


def parse_bench_lines(text):
    """{side: {key: int}} from the BENCH lines of a serial log."""
    sides = {}
    for m in BENCH_LINE.finditer(text):
        fields = dict(kv.split("=") for kv in m.group(2).split())
        sides[m.group(1)] = {k: int(v) for k, v in fields.items()}
    return sides


def per(a, b):
    return a / b if b else None


def derive(sides, host):
    """Rates, costs per packet and ratios from the raw numbers."""
    d = {}
    for side, v in sides.items():
        seconds = v.get("ns", 0) / 1e9
        entry = {
            "packets_per_s": per(v.get("packets", 0), seconds),
            "bytes_per_s": per(v.get("bytes", 0), seconds),
            "exits_per_packet": per(v.get("exits", 0), v.get("packets", 0)),
            "hypercall_exits_per_packet": per(v.get("exits_hypercall", 0), v.get("packets", 0)),
            "irqs_per_packet": per(v.get("irqs", 0), v.get("packets", 0)),
            "notifies_sent_per_packet": per(v.get("notifies_sent", 0), v.get("packets", 0)),
            "notifies_received_per_packet": per(v.get("notifies_received", 0), v.get("packets", 0)),
        }
        if host is not None:
            entry["host_received"] = host.get(side)
        d[side] = entry
    g, f, n = (d.get(s, {}) for s in SIDES)
    d["guest_path_vs_native_pps"] = per(g.get("packets_per_s") or 0, n.get("packets_per_s") or 0)
    d["forward_vs_native_pps"] = per(f.get("packets_per_s") or 0, n.get("packets_per_s") or 0)
    if "guest" in sides and "iovm-forward" in sides:
        pk = sides["guest"].get("packets", 0)
        d["path_exits_per_packet"] = per(sides["guest"].get("exits", 0) + sides["iovm-forward"].get("exits", 0), pk)
    return d


def problems_with(sides, status, last_line, consts):
    problems = []
    if status is None:
        problems.append(f"the run timed out after {TIMEOUT} s (emulator killed)")
    elif status != harness.EXIT_STATUS["qemu"]["success"]:
        problems.append(f"QEMU exit status {status}, expected {harness.EXIT_STATUS['qemu']['success']} (success)")
    if not FINAL_LINE.search(last_line) or "success" not in last_line:
        problems.append(f"the last serial line is not 'hv: exit: success': {last_line.strip()}")
    for side in SIDES:
        if side not in sides:
            problems.append(f"no BENCH side={side} line")
    total = sides.get("guest", {}).get("packets")
    for side, v in sides.items():
        if total is not None and v.get("packets") != total:
            problems.append(f"side {side}: packets={v.get('packets')}, the guest sent {total}")
        if v.get("bytes") != v.get("packets", 0) * consts["NETBENCH_PAYLOAD"]:
            problems.append(f"side {side}: bytes={v.get('bytes')} is not packets x {consts['NETBENCH_PAYLOAD']}")
        if not v.get("exits"):
            problems.append(f"side {side}: no VM exits counted")
    return problems


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def table(sides, derived, host):
    rows = [("", *SIDES)]

    def row(label, fn):
        rows.append((label, *(fn(s) for s in SIDES)))
    raw = lambda key: lambda s: fmt(sides.get(s, {}).get(key))  # noqa: E731
    der = lambda key, digits=1: lambda s: fmt(derived.get(s, {}).get(key), digits)  # noqa: E731
    row("packets", raw("packets"))
    row("time (ms)", lambda s: fmt(sides[s]["ns"] / 1e6) if s in sides else "-")
    row("packets/s", der("packets_per_s", 0))
    row("MB/s (payload)", lambda s: fmt((derived.get(s, {}).get("bytes_per_s") or 0) / 1e6, 2))
    row("VM exits", raw("exits"))
    row("VM exits/packet", der("exits_per_packet", 3))
    row("hypercall exits/packet", der("hypercall_exits_per_packet", 3))
    row("notifications sent", raw("notifies_sent"))
    row("notifications received", raw("notifies_received"))
    row("virtual irqs", raw("irqs"))
    if host is not None:
        row("reached the host", lambda s: fmt(host.get(s)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
             for r in rows]
    lines.append("")
    lines.append(f"guest path / native packets per second: {fmt(derived.get('guest_path_vs_native_pps'), 3)}"
                 f" (IOVM forwarding / native: {fmt(derived.get('forward_vs_native_pps'), 3)})")
    if derived.get("path_exits_per_packet") is not None:
        lines.append(f"VM exits per packet on the guest path (guest + IOVM): "
                     f"{fmt(derived['path_exits_per_packet'], 3)}; native: "
                     f"{fmt(derived.get('native', {}).get('exits_per_packet'), 3)}")
    lines.append("QEMU TCG: compare ratios and counts, not absolute rates (docs/testing.md, \"Benchmark\").")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build directory")
    parser.add_argument("--no-sink", action="store_true", help="do not count datagrams on the host")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    consts = netbench_constants()
    workdir = os.path.join(build, "bench")
    os.makedirs(workdir, exist_ok=True)
    case = {"policy": POLICY, "images": IMAGES}
    elf = os.path.join(build, "hypervisor.elf")
    if not os.path.exists(elf):
        sys.exit(f"bench: {elf} does not exist: run `make` first")
    reason = harness.skip_reason({"emulator": "qemu"})
    if reason:
        sys.exit(f"bench: {reason}")
    iso = harness.build_iso(workdir, elf, "exit=qemu", harness.case_modules(case, build, workdir))

    sink, sink_error = None, None
    if not args.no_sink:
        try:
            sink = Sink(consts["NETBENCH_DST_PORT"], consts["NETBENCH_MAGIC"])
            sink.start()
        except OSError as e:
            sink_error = f"cannot bind 127.0.0.1:{consts['NETBENCH_DST_PORT']}: {e}"
            print(f"bench: no host sink: {sink_error}", flush=True)

    serial_log = os.path.join(workdir, "serial.log")
    if os.path.exists(serial_log):
        os.remove(serial_log)
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    argv = [qemu, *harness.QEMU_BASE_ARGS, "-serial", f"file:{serial_log}", "-cdrom", iso,
            "-device", "intel-iommu,intremap=on", "-netdev", "user,id=n1",
            "-device", f"e1000,netdev=n1,mac={NIC_MAC}"]
    with open(os.path.join(workdir, "command"), "w") as f:
        f.write(" ".join(argv) + "\n")
    print(f"bench: one QEMU run ({consts['NETBENCH_PACKETS']} datagrams of {consts['NETBENCH_PAYLOAD']} bytes "
          f"per side, timeout {TIMEOUT} s); serial log {os.path.relpath(serial_log, ROOT)}", flush=True)
    try:
        status, seconds = harness.run_in_group(argv, None, workdir, TIMEOUT,
                                                os.path.join(workdir, "emulator.log"))
    finally:
        if sink:
            sink.finish()

    raw = b""
    if os.path.exists(serial_log):
        with open(serial_log, "rb") as f:
            raw = f.read()
    text = harness.clean_log(raw)
    lines = [line for line in text.split("\n") if line.strip()]
    sides = parse_bench_lines(text)

    host = None
    if sink:
        host = {}
        for side, code in (("guest", consts["NETBENCH_SIDE_GUEST"]), ("native", consts["NETBENCH_SIDE_NATIVE"])):
            run = sides.get(side, {}).get("run")
            host[side] = sink.counts.get((code, run), 0) if run is not None else None
        # What the IOVM forwarded is the guest's stream.
        host["iovm-forward"] = host["guest"]
    derived = derive(sides, host)
    problems = problems_with(sides, status, lines[-1] if lines else "(no output)", consts)

    results = {
        "description": "guest -> network IOVM -> wire vs the IOVM's own sending; QEMU TCG (docs/testing.md)",
        "config": {"packets": consts["NETBENCH_PACKETS"], "payload_bytes": consts["NETBENCH_PAYLOAD"],
                   "dst_port": consts["NETBENCH_DST_PORT"], "policy": POLICY,
                   "emulator": " ".join(argv[:1] + harness.QEMU_BASE_ARGS[:6]) + " ... intel-iommu e1000 user"},
        "raw": sides,
        "host_received": host,
        "host_sink": ("off" if args.no_sink else sink_error or "127.0.0.1:%d" % consts["NETBENCH_DST_PORT"]),
        "host_other_datagrams": sink.other if sink else None,
        "derived": derived,
        "run": {"seconds": seconds, "qemu_status": status, "problems": problems,
                "serial_log": os.path.relpath(serial_log, ROOT)},
    }
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    text_table = table(sides, derived, host)
    with open(os.path.join(workdir, "results.txt"), "w") as f:
        f.write(text_table)
    print(text_table, end="")
    print(f"bench: results in {os.path.relpath(os.path.join(workdir, 'results.json'), ROOT)} "
          f"and results.txt ({seconds:.1f} s run)")
    for p in problems:
        print(f"bench: problem: {p}")
    if problems:
        tail = lines[-harness.TAIL_LINES:]
        print("\n".join("  | " + line for line in tail))
    return 1 if problems else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        harness.kill_all_groups()
        print("interrupted", file=sys.stderr)
        sys.exit(130)
