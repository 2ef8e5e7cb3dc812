# SPDX-License-Identifier: MIT
"""Host-side clients that talk to a running emulator case over QEMU user-net.

A case names one in its "client" field: {"kind": ..., "ready": regex, ...}.
The harness starts it in a thread together with the emulator; the client
waits until the serial log matches "ready", then does its work through a
QEMU hostfwd port bound to 127.0.0.1 only (the case's args say
"{hostport}", which the harness replaces by a free loopback port), writes
what it did to <case dir>/client.log and returns its problems (empty: it
passed).
"""

import os
import random
import re
import socket
import time

CLIENT_LOG = "client.log"
STOP_PAYLOAD = b"uhv-echo-stop"   # the echo guests stop cleanly on this datagram


def free_udp_port():
    """A UDP port free on 127.0.0.1 right now (QEMU binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_marker(serial_log, regex, deadline, done):
    """Poll serial_log until regex matches it; False on deadline or when the run ended."""
    pattern = re.compile(regex, re.MULTILINE)
    while time.monotonic() < deadline and not done.is_set():
        try:
            with open(serial_log, "rb") as f:
                if pattern.search(f.read().decode(errors="replace")):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def udp_echo(spec, port, serial_log, workdir, deadline, done):
    """Send spec["count"] datagrams of varied sizes (4..spec["max_size"], a
    fixed pseudo-random order) to the guest's echo service one at a time,
    check each reply byte for byte, report loss; then send STOP_PAYLOAD."""
    log = []
    problems = []
    if not wait_for_marker(serial_log, spec["ready"], deadline, done):
        return [f"udp-echo client: the guest never printed /{spec['ready']}/"]
    count, max_size = spec.get("count", 1000), spec.get("max_size", 1472)
    reply_timeout = spec.get("reply_timeout", 2.0)
    rng = random.Random(spec.get("seed", 1))
    lost = mismatched = 0
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(reply_timeout)
        s.connect(("127.0.0.1", port))
        for seq in range(count):
            # Every tenth a boundary size, the rest spread evenly; at least the 4-byte sequence number.
            size = [4, 18, 64, 512, max_size][seq // 10 % 5] if seq % 10 == 0 else rng.randint(4, max_size)
            payload = seq.to_bytes(4, "big") + bytes(rng.getrandbits(8) for _ in range(size - 4))
            s.send(payload)
            while True:
                try:
                    reply = s.recv(65536)
                except socket.timeout:
                    lost += 1
                    log.append(f"seq {seq} size {size}: no reply within {reply_timeout} s")
                    break
                if reply[:4] != payload[:4]:
                    log.append(f"seq {seq}: ignored a reply of {len(reply)} bytes for another datagram")
                    continue
                if reply != payload:
                    mismatched += 1
                    log.append(f"seq {seq} size {size}: the reply ({len(reply)} bytes) differs")
                break
            if time.monotonic() > deadline or done.is_set():
                problems.append(f"udp-echo client: the run ended after {seq + 1} of {count} datagrams")
                break
        s.send(STOP_PAYLOAD)
    took = time.monotonic() - started
    summary = (f"udp-echo: {count} datagrams (4..{max_size} bytes) to 127.0.0.1:{port}: "
               f"{count - lost - mismatched} echoed exactly, {lost} lost, {mismatched} mismatched, {took:.1f} s")
    log.append(summary)
    with open(os.path.join(workdir, CLIENT_LOG), "w") as f:
        f.write("\n".join(log) + "\n")
    print("note: " + summary, flush=True)
    if lost or mismatched:
        problems.append(summary)
    return problems


CLIENTS = {"udp-echo": udp_echo}
