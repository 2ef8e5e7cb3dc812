#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpus for fuzz_net: the frames QEMU's slirp sent to 10.0.2.15
(tests/fixtures/net/slirp-*.bin), and the requests 10.0.2.15 sent it,
mirrored so they arrive at 10.0.2.15 instead: an ARP request from 10.0.2.2,
an echo request from 10.0.2.2, a UDP datagram from 10.0.2.3:53 to the echo
port 40000. Swapping source and destination (MACs, addresses, ports) keeps
every checksum valid.

usage: make_net_seeds.py OUTDIR
"""
import os
import shutil
import sys

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "net")


def swap(b, a, c, n):
    b[a:a + n], b[c:c + n] = b[c:c + n], b[a:a + n]


def main(out):
    for name in sorted(os.listdir(FIX)):
        if name.startswith("slirp-"):
            shutil.copy(os.path.join(FIX, name), os.path.join(out, name))
    slirp_mac = open(os.path.join(FIX, "slirp-arp.bin"), "rb").read()[6:12]

    arp = bytearray(open(os.path.join(FIX, "req-arp.bin"), "rb").read())
    arp[6:12] = slirp_mac              # from the gateway, broadcast
    arp[22:28] = slirp_mac             # sender MAC
    swap(arp, 28, 38, 4)               # sender 10.0.2.2 asks for 10.0.2.15
    arp[32:38] = bytes(6)
    open(os.path.join(out, "mirrored-arp.bin"), "wb").write(arp)

    for name, ports in (("icmp", False), ("udp-dns", True)):
        f = bytearray(open(os.path.join(FIX, "req-%s.bin" % name), "rb").read())
        swap(f, 0, 6, 6)
        swap(f, 26, 30, 4)
        if ports:
            swap(f, 34, 36, 2)                       # 53 -> 40000
        open(os.path.join(out, "mirrored-%s.bin" % name), "wb").write(f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
