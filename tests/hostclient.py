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
    check each reply byte for byte, report loss; then send STOP_PAYLOAD.

    Each reply is waited for spec["reply_timeout"] seconds (default 2), the
    first one at least 2 s (the guest's first reply waits for its ARP, and
    QEMU's e1000 holds received frames for a second after its driver set it
    up). spec["max_lost"] (default 0) allows that many datagrams without a
    reply in time, for a run across an outage (the network IOVM crashing
    and restarting): they must all fall in one unbroken run of sequence
    numbers (the outage), at least spec["min_after"] datagrams (default 1)
    must follow it, and every reply must be byte-exact. A reply that comes
    after its time (held up in the outage) is matched to its datagram and
    counted as late instead of lost. The outage is reported: its sequence
    numbers, late and lost, and the time from the last good reply before it
    to the first good one after."""
    log = []
    problems = []
    if not wait_for_marker(serial_log, spec["ready"], deadline, done):
        return [f"udp-echo client: the guest never printed /{spec['ready']}/"]
    count, max_size = spec.get("count", 1000), spec.get("max_size", 1472)
    reply_timeout = spec.get("reply_timeout", 2.0)
    max_lost, min_after = spec.get("max_lost", 0), spec.get("min_after", 1)
    rng = random.Random(spec.get("seed", 1))
    mismatched = late = 0
    missed = []             # sequence numbers without a reply in time, in order
    waiting = {}            # of those, the ones still unanswered: seq -> payload
    last_good_at = None     # when the last byte-exact reply in time came
    gap = None              # [last good before the first miss, first good after it]
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        for seq in range(count):
            # Every tenth a boundary size, the rest spread evenly; at least the 4-byte sequence number.
            size = [4, 18, 64, 512, max_size][seq // 10 % 5] if seq % 10 == 0 else rng.randint(4, max_size)
            payload = seq.to_bytes(4, "big") + bytes(rng.getrandbits(8) for _ in range(size - 4))
            s.settimeout(reply_timeout if seq else max(reply_timeout, 2.0))
            s.send(payload)
            while True:
                try:
                    reply = s.recv(65536)
                except socket.timeout:
                    missed.append(seq)
                    waiting[seq] = payload
                    log.append(f"seq {seq} size {size}: no reply within {s.gettimeout()} s")
                    if gap is None:
                        gap = [last_good_at if last_good_at is not None else started, None]
                    break
                if reply[:4] != payload[:4]:
                    other = int.from_bytes(reply[:4], "big") if len(reply) >= 4 else -1
                    if waiting.get(other) == reply:
                        del waiting[other]
                        late += 1
                        log.append(f"seq {seq}: the reply to seq {other} came late, byte-exact")
                    else:
                        mismatched += 1
                        log.append(f"seq {seq}: a reply of {len(reply)} bytes matches no datagram sent")
                    continue
                if reply != payload:
                    mismatched += 1
                    log.append(f"seq {seq} size {size}: the reply ({len(reply)} bytes) differs")
                else:
                    last_good_at = time.monotonic()
                    if gap is not None and gap[1] is None:
                        gap[1] = last_good_at
                break
            if time.monotonic() > deadline or done.is_set():
                problems.append(f"udp-echo client: the run ended after {seq + 1} of {count} datagrams")
                break
        s.send(STOP_PAYLOAD)
    took = time.monotonic() - started
    lost = len(waiting)
    summary = (f"udp-echo: {count} datagrams (4..{max_size} bytes) to 127.0.0.1:{port}: "
               f"{count - len(missed) - mismatched} echoed exactly in time, {late} late (byte-exact), "
               f"{lost} lost, {mismatched} mismatched, {took:.1f} s")
    log.append(summary)
    if missed:
        after = count - 1 - missed[-1]
        outage = (f"udp-echo: outage: seq {missed[0]}..{missed[-1]} not answered within {reply_timeout} s: "
                  f"{late} late, {lost} lost (seq {sorted(waiting)}); "
                  + (f"{gap[1] - gap[0]:.3f} s from the last good reply before to the first good one after, "
                     f"{after} datagram(s) after it" if gap[1] is not None else "no good reply after it"))
        log.append(outage)
        print("note: " + outage, flush=True)
    with open(os.path.join(workdir, CLIENT_LOG), "w") as f:
        f.write("\n".join(log) + "\n")
    print("note: " + summary, flush=True)
    if mismatched or len(missed) > max_lost:
        problems.append(summary + (f" (at most {max_lost} late or lost allowed)" if max_lost else ""))
    elif missed:
        if missed[-1] - missed[0] + 1 != len(missed):
            problems.append(f"udp-echo client: the datagrams not answered in time are not one run (the "
                            f"outage): seq {missed}")
        if after < min_after or gap[1] is None:
            problems.append(f"udp-echo client: only {after} datagram(s) after the outage (at least "
                            f"{min_after} wanted), the last not answered in time: seq {missed[-1]}")
    return problems


CLIENTS = {"udp-echo": udp_echo}
