#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture real frames from QEMU's user-mode network (slirp) as fixtures for
tests/unit/test_net.c and seeds for tests/fuzz/fuzz_net.c.

  tests/capture_net.py   -> tests/fixtures/net/*.bin

No guest runs: a QEMU with `-machine none` joins slirp and a UDP socket
netdev on one hub, so this script exchanges raw Ethernet frames with slirp
directly. It plays 10.0.2.15 (MAC 52:54:00:12:34:56) and sends three
requests built here from the RFCs: an ARP request for the gateway 10.0.2.2,
an ICMP echo request (id 0x1234, seq 1, 32 bytes 00..1f) to 10.0.2.2 and a
UDP DNS query (port 40000 -> 10.0.2.3:53, "localhost" A). Saved: each
request (req-*.bin) and slirp's answer, exactly as received
(slirp-*.bin: its ARP reply is padded to 64 bytes).
"""

import os
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "net")
QEMU_PORT, OUR_PORT = 47555, 47556
OUR_MAC = bytes.fromhex("525400123456")
OUR_IP = bytes([10, 0, 2, 15])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def ipv4(proto, dst, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 7, 0x4000, 64, proto, 0, OUR_IP, bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4


def exchange(sock, name, frame):
    open(os.path.join(OUT, "req-%s.bin" % name), "wb").write(frame)
    sock.sendto(frame, ("127.0.0.1", QEMU_PORT))
    reply, _ = sock.recvfrom(4096)
    open(os.path.join(OUT, "slirp-%s.bin" % name), "wb").write(reply)
    print("%-10s %3d bytes  %s" % (name, len(reply), reply.hex()))
    return reply


def main():
    os.makedirs(OUT, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", OUR_PORT))
    sock.settimeout(5)
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "none", "-display", "none", "-nodefaults",
         "-netdev", "user,id=u",
         "-netdev", "socket,id=s,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (OUR_PORT, QEMU_PORT),
         "-netdev", "hubport,id=h0,hubid=0,netdev=u", "-netdev", "hubport,id=h1,hubid=0,netdev=s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        arp = (b"\xff" * 6 + OUR_MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
               OUR_MAC + OUR_IP + bytes(6) + bytes([10, 0, 2, 2]))
        gw_mac = exchange(sock, "arp", arp)[6:12]

        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + bytes(range(32))
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        exchange(sock, "icmp", gw_mac + OUR_MAC + b"\x08\x00" + ipv4(1, [10, 0, 2, 2], icmp))

        query = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\x09localhost\x00" + struct.pack("!HH", 1, 1)
        udp = struct.pack("!HHHH", 40000, 53, 8 + len(query), 0) + query
        pseudo = OUR_IP + bytes([10, 0, 2, 3]) + struct.pack("!BBH", 0, 17, len(udp))
        udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xFFFF) + udp[8:]
        exchange(sock, "udp-dns", gw_mac + OUR_MAC + b"\x08\x00" + ipv4(17, [10, 0, 2, 3], udp))
    finally:
        qemu.kill()
        qemu.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
