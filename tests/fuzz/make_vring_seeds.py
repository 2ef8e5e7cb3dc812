#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpus for fuzz_vring (layout of an input: tests/fuzz/fuzz_vring.c).

Device seeds: 3 header bytes, then a ring image from offset 0 of the region
(descriptor table, then the avail area), with vring_layout()'s offsets.
Driver seeds: 3 header bytes, then rounds of added chains and a used ring.
Valid rings first, so the fuzzer starts deep, then a few hostile ones."""
import os
import struct
import sys

GPA = 0x10000               # REGION_GPA in fuzz_vring.c
NEXT, WRITE, INDIRECT = 1, 2, 4


def log2(q):
    return q.bit_length() - 1


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def device_seed(qsize, descs, heads, idx=None, event_idx=False, max_segs=16):
    table = b"".join(descs) + b"\0" * 16 * (qsize - len(descs))
    ring = list(heads) + [0] * (qsize - len(heads))
    avail = struct.pack("<HH", 0, len(heads) if idx is None else idx) + struct.pack(f"<{qsize}H", *ring)
    avail += struct.pack("<H", 0)  # used_event
    return bytes([2 if event_idx else 0, log2(qsize), max_segs - 1]) + table + avail


def avail_area(qsize, heads, idx):
    ring = list(heads) + [0] * (qsize - len(heads))
    return struct.pack("<HH", 0, idx) + struct.pack(f"<{qsize}H", *ring) + struct.pack("<H", 0)


def driver_seed(qsize, rounds, event_idx=False):
    out = bytes([3 if event_idx else 1, log2(qsize), 0])
    for shapes, used_idx, elems in rounds:
        out += bytes([len(shapes)]) + bytes(shapes) + struct.pack("<H", used_idx)
        ring = b"".join(struct.pack("<II", i, n) for i, n in elems)
        out += ring + b"\0" * (8 * qsize - len(ring))
    return out


def main(outdir):
    d = GPA + 2048
    seeds = {
        # Three chains: r+w, r, r+w+w.
        "dev-basic": device_seed(8, [desc(d, 64, NEXT, 1), desc(d + 64, 128, WRITE), desc(d + 256, 12),
                                     desc(d + 300, 20, NEXT, 4), desc(d + 400, 100, WRITE | NEXT, 5),
                                     desc(d + 600, 200, WRITE)], [0, 2, 3]),
        "dev-event": device_seed(8, [desc(d, 1526, WRITE)], [0], event_idx=True, max_segs=1),
        "dev-full32": device_seed(32, [desc(d + 32 * i, 32, WRITE if i & 1 else 0) for i in range(32)],
                                  list(range(32))),
        "dev-wrapped": device_seed(4, [desc(d, 8)], [0, 0, 0, 0], idx=0xffff),
        # The same head again and again: more chains in flight than qsize.
        "dev-reuse": device_seed(4, [desc(d, 8)], [0] * 4) + avail_area(4, [0] * 4, 8) +
        avail_area(4, [0] * 4, 12),
        "dev-refill": device_seed(8, [desc(d, 64, NEXT, 1), desc(d + 64, 64, WRITE)], [0]) +
        avail_area(8, [0, 1, 0], 2) + avail_area(8, [0, 0, 0], 3),
        "dev-loop": device_seed(8, [desc(d, 8, NEXT, 1), desc(d, 8, NEXT, 0)], [0]),
        "dev-indirect": device_seed(8, [desc(d, 16, INDIRECT)], [0]),
        "dev-outside": device_seed(8, [desc(GPA + 4000, 200)], [0]),
        "dev-wr-rd": device_seed(8, [desc(d, 8, WRITE | NEXT, 1), desc(d, 8)], [0]),
        # Shape byte: readable count bits 0-1, writable 2-3, length 4-7.
        "drv-basic": driver_seed(8, [([0x15, 0x15, 0x24], 2, [(0, 38), (4, 0)]),
                                     ([0x08, 0x11], 5, [(2, 1), (0, 0), (6, 75)])]),
        "drv-event": driver_seed(8, [([0x04] * 8, 8, [(i, 1) for i in range(8)])], event_idx=True),
        "drv-small": driver_seed(1, [([0x14], 1, [(0, 20)]), ([0x14], 2, [(0, 20)]), ([0x14], 3, [(0, 21)])]),
        "drv-dup": driver_seed(4, [([0x04, 0x04], 2, [(0, 1), (0, 1)])]),
        "drv-jump": driver_seed(4, [([0x04], 0x8000, [(0, 1)])]),
    }
    for name, data in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
