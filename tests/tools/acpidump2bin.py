#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn the "acpidump" boot option's console output back into table files.

    tests/tools/acpidump2bin.py serial.log OUTDIR [SIG ...]

The hypervisor prints (see acpi_dump_tables() in hv/acpi.h):

    acpidump: SIG @0xADDRESS len LENGTH
    acpidump: 0000: 44 53 44 54 ...      16 bytes a line, offset in hex
    acpidump: end SIG

Each table becomes OUTDIR/SIG.bin (SIG2.bin, SIG3.bin... for later tables
with the same signature, e.g. several SSDTs). With SIG arguments, only those
tables are written. Lines may carry other text before "acpidump:" (serial
noise, carriage returns). Every table is checked: offsets must be contiguous,
the byte count must equal LENGTH, and a table's own Length field and checksum
must agree (except the RSDP, whose checksum covers 20 bytes); anything else is
an error, so a garbled capture never becomes a fixture.
"""
import os
import re
import sys

HEAD = re.compile(r"acpidump: (\S{4}) @0x([0-9a-f]+) len (\d+)\s*$")
DATA = re.compile(r"acpidump: ([0-9a-f]{4,}):((?: [0-9a-f]{2})+)\s*$")
END = re.compile(r"acpidump: end (\S{4})\s*$")


def parse(lines):
    """Yield (signature, address, bytes) for each complete table in the log."""
    cur = None
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if m := HEAD.search(line):
            if cur:
                raise ValueError(f"line {n}: table {cur[0]} has no end line")
            cur = (m.group(1), int(m.group(2), 16), int(m.group(3)), bytearray())
        elif m := DATA.search(line):
            if not cur:
                raise ValueError(f"line {n}: data outside a table")
            if int(m.group(1), 16) != len(cur[3]):
                raise ValueError(f"line {n}: offset {m.group(1)} after {len(cur[3])} bytes")
            cur[3].extend(int(b, 16) for b in m.group(2).split())
        elif m := END.search(line):
            if not cur or m.group(1) != cur[0]:
                raise ValueError(f"line {n}: unexpected end of {m.group(1)}")
            sig, addr, length, data = cur
            if len(data) != length:
                raise ValueError(f"{sig}: {len(data)} bytes, header says {length}")
            check(sig, bytes(data))
            yield sig, addr, bytes(data)
            cur = None
    if cur:
        raise ValueError(f"table {cur[0]} is truncated (no end line)")


def check(sig, data):
    if sig == "RSDP":
        if data[:8] != b"RSD PTR " or sum(data[:20]) & 0xFF:
            raise ValueError("RSDP: bad signature or checksum")
        return
    if data[:4].decode("latin-1") != sig:
        raise ValueError(f"{sig}: signature in the bytes is {data[:4]!r}")
    if int.from_bytes(data[4:8], "little") != len(data) or sum(data) & 0xFF:
        raise ValueError(f"{sig}: Length field or checksum does not match")


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    log, outdir, wanted = argv[1], argv[2], set(argv[3:])
    with open(log, encoding="latin-1") as f:
        tables = list(parse(f))
    if not tables:
        sys.exit(f"{log}: no acpidump output")
    os.makedirs(outdir, exist_ok=True)
    seen = {}
    for sig, addr, data in tables:
        seen[sig] = seen.get(sig, 0) + 1
        name = sig if seen[sig] == 1 else f"{sig}{seen[sig]}"
        if wanted and sig not in wanted and name not in wanted:
            continue
        path = os.path.join(outdir, name + ".bin")
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes from 0x{addr:x}")


if __name__ == "__main__":
    main(sys.argv)
