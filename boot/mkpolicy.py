#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compile a uhv VM policy from text into the binary boot module.

    mkpolicy.py -o build/policy.bin boot/policies/default.policy
    mkpolicy.py --corrupt=memory-unaligned -o bad.bin boot/policies/default.policy
    mkpolicy.py --corrupt-all=build/tests/policies tests/policies/base.policy
    mkpolicy.py --list-corruptions

The text format (docs/policy.md):

    # comment
    [vm hello-a]
    role     = guest          # guest | iovm                    (required)
    image    = hello.elf      # boot module name of its ELF     (required)
    memory   = 16M            # bytes, or with K/M/G suffix      (required)
    vcpus    = 1              # only 1 for now                   (default 1)
    priority = 10             # 0-255, higher runs first         (default 0)
    restart  = on-failure     # never | on-failure | always      (default never)

    [device nic]              # PCI functions for an IOVM (docs/devices.md)
    owner    = net            # an iovm of this policy                (required)
    match    = bdf 00:02.0    # or: id 8086:100e, class 02.00.00/ffff00 (required)
    flags    = unprotected-dma, shared-requester-id-ok              (default none)

    [channel net-a]           # shared memory between two VMs (docs/channels.md)
    kind     = net            # net                                   (required)
    frontend = app-a          # a vm of this policy                   (required)
    backend  = net            # an iovm of this policy, not the frontend (required)
    size     = 256K           # 4K..4M, a multiple of 4K              (required)
    mac      = 52:54:00:00:00:0a   # the frontend's NIC: unicast, unique (net: required)
    ip       = 10.0.2.15/24   # its IPv4 address and prefix (1-30)    (net: required)
    gateway  = 10.0.2.2       # in the same subnet                    (net: required)

The binary format is include/abi/policy.h; this compiler applies the same
rules as the hypervisor's own check (hypervisor/policy.c), so that an error
is found at build time with a file:line, and the hypervisor check remains
the one that counts.

--corrupt=KIND writes a deliberately broken binary from a valid policy, for
testing that the hypervisor refuses it: every kind except 'checksum' and
'size-mismatch' carries a correct checksum so that the check aimed at is the
one that fires. Kinds that change a VM change the last one.
"""

import argparse
import os
import re
import struct
import sys
import zlib

# include/abi/policy.h and include/abi/vm_boot.h
MAGIC = b"UHVPOLCY"
REVISION = 1
MAX_SIZE = 64 * 1024
MAX_VMS = 16
NAME_MAX = 16          # UHV_VM_NAME_MAX, NUL included
IMAGE_MAX = 32         # UHV_POLICY_IMAGE_MAX, NUL included
RECORD_VM = 1
RECORD_DEVICE = 2
RECORD_CHANNEL = 3
MAX_CHANNELS = 16
VM_CHANNELS_MAX = 8
CHANNEL_KINDS = {"net": 1}
CHANNEL_PAGE = 4096
CHANNEL_MIN = 4096
CHANNEL_MAX = 4 << 20
MAX_DEVICES = 32
MATCHES = {"bdf": 1, "id": 2, "class": 3}
DEVICE_FLAGS = {"unprotected-dma": 1 << 0, "shared-requester-id-ok": 1 << 1}
MEMORY_UNIT = 2 << 20
MEMORY_MAX = 1 << 30
PRIORITY_MAX = 255
ROLES = {"guest": 1, "iovm": 2}
RESTARTS = {"never": 0, "on-failure": 1, "always": 2}

HEADER = struct.Struct("<8sIIIIQ")                  # struct uhv_policy_header
VM = struct.Struct("<HHI16s32sIIQIII12s")          # struct uhv_policy_vm
DEVICE = struct.Struct("<HHI16s16sIIHBBHHII8s")     # struct uhv_policy_device
CHANNEL = struct.Struct("<HHI16s16s16sIIQ6sBBIIII")  # struct uhv_policy_channel (net: struct uhv_net_config)
CHECKSUM_OFFSET = 16
assert HEADER.size == 32 and VM.size == 96 and DEVICE.size == 72 and CHANNEL.size == 96

KEYS = ("role", "image", "memory", "vcpus", "priority", "restart")
REQUIRED = ("role", "image", "memory")
DEVICE_KEYS = ("owner", "match", "flags")
DEVICE_REQUIRED = ("owner", "match")
CHANNEL_KEYS = ("kind", "frontend", "backend", "size", "mac", "ip", "gateway")
CHANNEL_REQUIRED = ("kind", "frontend", "backend", "size")
NET_REQUIRED = ("mac", "ip", "gateway")
MAC_RE = re.compile(r"([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\Z")
IPV4_RE = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?\Z")
BDF_RE = re.compile(r"bdf\s+(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])\Z")
ID_RE = re.compile(r"id\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\Z")
CLASS_RE = re.compile(r"class\s+([0-9a-fA-F]{2})\.([0-9a-fA-F]{2})\.([0-9a-fA-F]{2})(?:/([0-9a-fA-F]{6}))?\Z")
NAME_RE = re.compile(r"[a-z0-9-]+\Z")
IMAGE_RE = re.compile(r"[\x21-\x7e]+\Z")            # printable ASCII, no spaces
SECTION_RE = re.compile(r"\[\s*(\S+)(?:\s+(\S+))?\s*\]\Z")
SIZE_RE = re.compile(r"(\d+)\s*(K|KiB|M|MiB|G|GiB)?\Z")
SIZE_UNITS = {None: 1, "K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20,
              "G": 1 << 30, "GiB": 1 << 30}


def describe_size(n):
    """As the hypervisor prints sizes (format_size): '2 GiB', '16 MiB', '256 KiB', or bytes."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if n and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return "%d bytes" % n if n < 1024 else "%#x bytes" % n


class PolicyError(Exception):
    pass


def parse_int(text, what):
    if not re.fullmatch(r"\d+", text):
        raise ValueError("%s '%s' is not a decimal number" % (what, text))
    return int(text)


def check_vm_value(key, text):
    """The value of key as stored in the binary, or ValueError saying why not."""
    if key == "role":
        if text not in ROLES:
            raise ValueError("role '%s' is not one of: %s" % (text, ", ".join(ROLES)))
        return ROLES[text]
    if key == "restart":
        if text not in RESTARTS:
            raise ValueError("restart '%s' is not one of: %s" % (text, ", ".join(RESTARTS)))
        return RESTARTS[text]
    if key == "image":
        if not IMAGE_RE.match(text):
            raise ValueError("image '%s' must be printable ASCII without spaces" % text)
        if len(text) > IMAGE_MAX - 1:
            raise ValueError("image '%s' is longer than %d characters" % (text, IMAGE_MAX - 1))
        return text
    if key == "memory":
        m = SIZE_RE.match(text)
        if not m:
            raise ValueError("memory '%s' is not a size (e.g. 16M, 1G, 2097152)" % text)
        n = int(m.group(1)) * SIZE_UNITS[m.group(2)]
        if n < MEMORY_UNIT:
            raise ValueError("memory %s is less than the 2 MiB minimum" % describe_size(n))
        if n % MEMORY_UNIT:
            raise ValueError("memory %s is not a multiple of 2 MiB" % describe_size(n))
        if n > MEMORY_MAX:
            raise ValueError("memory %s is more than the 1 GiB per-VM maximum" % describe_size(n))
        return n
    if key == "vcpus":
        n = parse_int(text, "vcpus")
        if n != 1:
            raise ValueError("%d vcpus, but only 1 per VM is supported (no SMP scheduling yet)" % n)
        return n
    if key == "priority":
        n = parse_int(text, "priority")
        if n > PRIORITY_MAX:
            raise ValueError("priority %d is out of range (0-%d)" % (n, PRIORITY_MAX))
        return n
    raise AssertionError(key)


def check_device_value(key, text):
    """The value of a [device] key as stored in the binary, or ValueError saying why not."""
    if key == "owner":
        if not NAME_RE.match(text) or len(text) > NAME_MAX - 1:
            raise ValueError("owner '%s' is not a vm name" % text)
        return text
    if key == "flags":
        flags = 0
        for word in re.split(r"[\s,]+", text):
            if word not in DEVICE_FLAGS:
                raise ValueError("unknown flag '%s' (known: %s)" % (word, ", ".join(DEVICE_FLAGS)))
            flags |= DEVICE_FLAGS[word]
        return flags
    if key == "match":
        m = BDF_RE.match(text)
        if m:
            seg, bus, dev, fn = (int(g, 16) if g else 0 for g in m.groups())
            if dev > 0x1f:
                raise ValueError("device number %#x in '%s' is more than 0x1f" % (dev, text))
            return {"match": MATCHES["bdf"], "segment": seg, "bus": bus, "devfn": dev << 3 | fn}
        m = ID_RE.match(text)
        if m:
            vendor, device = (int(g, 16) for g in m.groups())
            if vendor in (0, 0xffff):
                raise ValueError("vendor id 0x%04x is not a vendor" % vendor)
            return {"match": MATCHES["id"], "vendor_id": vendor, "device_id": device}
        m = CLASS_RE.match(text)
        if m:
            code = int(m.group(1), 16) << 16 | int(m.group(2), 16) << 8 | int(m.group(3), 16)
            mask = int(m.group(4), 16) if m.group(4) else 0xffffff
            if not mask:
                raise ValueError("class mask is 0, which would match every function")
            if code & ~mask:
                raise ValueError("class %06x has bits outside its mask %06x" % (code, mask))
            return {"match": MATCHES["class"], "class_code": code, "class_mask": mask}
        raise ValueError("match '%s' is not one of: bdf [SEG:]BB:DD.F, id VVVV:DDDD, "
                         "class CC.SS.PP[/MASK] (hexadecimal)" % text)
    raise AssertionError(key)


def parse_ipv4(text, what, with_prefix):
    m = IPV4_RE.match(text)
    if not m or any(int(g) > 255 for g in m.groups()[:4]) or (m.group(5) is not None) != with_prefix:
        raise ValueError("%s '%s' is not an IPv4 address%s" % (what, text, " with a prefix (a.b.c.d/n)"
                                                              if with_prefix else " (a.b.c.d)"))
    value = 0
    for g in m.groups()[:4]:
        value = value << 8 | int(g)
    return value, (int(m.group(5)) if with_prefix else None)


def ipv4_str(v):
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def check_channel_value(key, text):
    """The value of a [channel] key, or ValueError saying why not."""
    if key == "kind":
        if text not in CHANNEL_KINDS:
            raise ValueError("kind '%s' is not one of: %s" % (text, ", ".join(CHANNEL_KINDS)))
        return CHANNEL_KINDS[text]
    if key in ("frontend", "backend"):
        if not NAME_RE.match(text) or len(text) > NAME_MAX - 1:
            raise ValueError("%s '%s' is not a vm name" % (key, text))
        return text
    if key == "size":
        m = SIZE_RE.match(text)
        if not m:
            raise ValueError("size '%s' is not a size (e.g. 256K, 1M)" % text)
        n = int(m.group(1)) * SIZE_UNITS[m.group(2)]
        if n < CHANNEL_MIN or n > CHANNEL_MAX:
            raise ValueError("size %s is out of range (4 KiB to 4 MiB)" % describe_size(n))
        if n % CHANNEL_PAGE:
            raise ValueError("size %s is not a multiple of 4 KiB" % describe_size(n))
        return n
    if key == "mac":
        m = MAC_RE.match(text)
        if not m:
            raise ValueError("mac '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)" % text)
        mac = bytes(int(g, 16) for g in m.groups())
        if mac == bytes(6):
            raise ValueError("mac is zero")
        if mac[0] & 1:
            raise ValueError("mac %s is a multicast address (a NIC needs a unicast one)" % text.lower())
        return mac
    if key == "ip":
        ip, prefix = parse_ipv4(text, "ip", True)
        if not 1 <= prefix <= 30:
            raise ValueError("prefix length %d is out of range (1-30)" % prefix)
        host = ip & ((1 << (32 - prefix)) - 1)
        if host in (0, (1 << (32 - prefix)) - 1):
            raise ValueError("ip %s is the %s address of its subnet /%d"
                             % (ipv4_str(ip), "network" if host == 0 else "broadcast", prefix))
        return (ip, prefix)
    if key == "gateway":
        return parse_ipv4(text, "gateway", False)[0]
    raise AssertionError(key)


def check_channels(channels, vms, error):
    """The checks that need every section: ends, per-VM counts, subnets, unique MACs."""
    per_vm = {}
    macs = {}
    for ch in channels:
        lines = ch["lines"]
        ends = []
        for key in ("frontend", "backend"):
            name = ch.get(key)
            if not isinstance(name, str):
                continue
            vm = next((v for v in vms if v["name"] == name), None)
            if vm is None:
                error(lines[key], "channel '%s': %s '%s' is not a vm of this policy" % (ch["name"], key, name))
            elif key == "backend" and vm.get("role") == ROLES["guest"]:
                error(lines[key], "channel '%s': backend '%s' is a guest: a backend must be an iovm"
                      % (ch["name"], name))
            else:
                ends.append(name)
        if isinstance(ch.get("frontend"), str) and ch.get("frontend") == ch.get("backend"):
            error(lines["backend"], "channel '%s': frontend and backend are both vm '%s'"
                  % (ch["name"], ch["frontend"]))
            continue
        for name in ends:
            per_vm[name] = per_vm.get(name, 0) + 1
            if per_vm[name] == VM_CHANNELS_MAX + 1:
                error(ch["line"], "channel '%s': vm '%s' would be an end of more than %d channels"
                      % (ch["name"], name, VM_CHANNELS_MAX))
        if ch.get("kind") == CHANNEL_KINDS["net"]:
            for key in NET_REQUIRED:
                if key not in lines:
                    error(ch["line"], "channel '%s': required key '%s' is missing (kind net)" % (ch["name"], key))
            mac = ch.get("mac")
            if isinstance(mac, bytes):
                if mac in macs:
                    error(lines["mac"], "channel '%s': mac %s is channel '%s''s too"
                          % (ch["name"], ":".join("%02x" % b for b in mac), macs[mac]))
                else:
                    macs[mac] = ch["name"]
            if isinstance(ch.get("ip"), tuple) and isinstance(ch.get("gateway"), int):
                (ip, prefix), gw = ch["ip"], ch["gateway"]
                mask = (0xffffffff << (32 - prefix)) & 0xffffffff
                if ip & mask != gw & mask:
                    error(lines["gateway"], "channel '%s': gateway %s is not in the subnet of %s/%d"
                          % (ch["name"], ipv4_str(gw), ipv4_str(ip), prefix))
                elif ip == gw:
                    error(lines["gateway"], "channel '%s': ip and gateway are both %s" % (ch["name"], ipv4_str(ip)))


def parse_text(text, path):
    """(VMs, devices, channels) of a text policy, in order, as dicts; raises PolicyError listing every error."""
    errors = []
    vms = []
    devices = []
    channels = []
    current = None

    def error(line, msg):
        errors.append("%s:%d: %s" % (path, line, msg))

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            m = SECTION_RE.match(line)
            current = None
            if not m:
                error(lineno, "malformed section header '%s' (expected [vm NAME], [device NAME] or "
                      "[channel NAME])" % line)
                continue
            kind, name = m.groups()
            if kind not in ("vm", "device", "channel"):
                error(lineno, "unknown section '%s' (known: [vm NAME], [device NAME], [channel NAME])" % kind)
                continue
            if name is None:
                error(lineno, "[%s] needs a name: [%s NAME]" % (kind, kind))
                continue
            if not NAME_RE.match(name):
                error(lineno, "%s name '%s' may contain only a-z, 0-9 and '-'" % (kind, name))
            elif len(name) > NAME_MAX - 1:
                error(lineno, "%s name '%s' is longer than %d characters" % (kind, name, NAME_MAX - 1))
            same = {"vm": vms, "device": devices, "channel": channels}[kind]
            for other in same:
                if other["name"] == name:
                    error(lineno, "duplicate %s '%s' (first defined on line %d)" % (kind, name, other["line"]))
            if kind == "vm":
                current = {"section": "vm", "name": name, "line": lineno, "lines": {},
                           "vcpus": 1, "priority": 0, "restart": RESTARTS["never"]}
            elif kind == "device":
                current = {"section": "device", "name": name, "line": lineno, "lines": {}, "flags": 0}
            else:
                current = {"section": "channel", "name": name, "line": lineno, "lines": {}}
            same.append(current)
            continue
        if "=" not in line:
            error(lineno, "expected 'key = value' or '[vm NAME]', got '%s'" % line)
            continue
        key, value = (s.strip() for s in line.split("=", 1))
        if current is None:
            error(lineno, "'%s' outside of any [vm NAME] section" % key)
            continue
        kind = current["section"]
        keys = {"vm": KEYS, "device": DEVICE_KEYS, "channel": CHANNEL_KEYS}[kind]
        if key not in keys:
            error(lineno, "%s '%s': unknown key '%s' (known: %s)" % (kind, current["name"], key, ", ".join(keys)))
            continue
        if key in current["lines"]:
            error(lineno, "%s '%s': '%s' given twice (first on line %d)" % (kind, current["name"], key,
                                                                          current["lines"][key]))
            continue
        current["lines"][key] = lineno
        if not value:
            error(lineno, "%s '%s': '%s' has no value" % (kind, current["name"], key))
            continue
        try:
            check = {"vm": check_vm_value, "device": check_device_value, "channel": check_channel_value}[kind]
            current[key] = check(key, value)
        except ValueError as e:
            error(lineno, "%s '%s': %s" % (kind, current["name"], e))

    for vm in vms:
        for key in REQUIRED:
            if key not in vm["lines"]:
                error(vm["line"], "vm '%s': required key '%s' is missing" % (vm["name"], key))
    for dev in devices:
        for key in DEVICE_REQUIRED:
            if key not in dev["lines"]:
                error(dev["line"], "device '%s': required key '%s' is missing" % (dev["name"], key))
        owner = dev.get("owner")
        if isinstance(owner, str):
            vm = next((v for v in vms if v["name"] == owner), None)
            if vm is None:
                error(dev["lines"]["owner"], "device '%s': owner '%s' is not a vm of this policy"
                      % (dev["name"], owner))
            elif vm.get("role") == ROLES["guest"]:
                error(dev["lines"]["owner"], "device '%s': owner '%s' is a guest: only an iovm may own devices"
                      % (dev["name"], owner))
    for ch in channels:
        for key in CHANNEL_REQUIRED:
            if key not in ch["lines"]:
                error(ch["line"], "channel '%s': required key '%s' is missing" % (ch["name"], key))
    check_channels(channels, vms, error)
    if not vms:
        errors.append("%s: no [vm NAME] section: a policy needs at least one VM" % path)
    if len(vms) > MAX_VMS:
        error(vms[MAX_VMS]["line"], "more than %d VMs" % MAX_VMS)
    if len(devices) > MAX_DEVICES:
        error(devices[MAX_DEVICES]["line"], "more than %d devices" % MAX_DEVICES)
    if len(channels) > MAX_CHANNELS:
        error(channels[MAX_CHANNELS]["line"], "more than %d channels" % MAX_CHANNELS)
    if errors:
        raise PolicyError("\n".join(errors))
    return vms, devices, channels


# ---- The binary format. A "record" here is a dict with every field of struct
# uhv_policy_vm, so corruptions can set any of them to anything.

def vm_record(vm):
    return {
        "type": RECORD_VM, "reserved": 0, "length": VM.size,
        "name": vm["name"].encode(), "image": vm["image"].encode(),
        "role": vm["role"], "vcpus": vm["vcpus"], "memory_size": vm["memory"],
        "priority": vm["priority"], "restart": vm["restart"], "flags": 0,
        "vm_reserved": bytes(12), "extra": b"",
    }


def device_record(dev):
    r = {"type": RECORD_DEVICE, "reserved": 0, "length": DEVICE.size,
         "name": dev["name"].encode(), "owner": dev["owner"].encode(), "flags": dev["flags"],
         "segment": 0, "bus": 0, "devfn": 0, "vendor_id": 0, "device_id": 0,
         "class_code": 0, "class_mask": 0, "dev_reserved": bytes(8), "extra": b""}
    r.update(dev["match"])
    return r


def channel_record(ch):
    ip, prefix = ch.get("ip", (0, 0))
    return {"type": RECORD_CHANNEL, "reserved": 0, "length": CHANNEL.size,
            "name": ch["name"].encode(), "frontend": ch["frontend"].encode(), "backend": ch["backend"].encode(),
            "kind": ch["kind"], "flags": 0, "size": ch["size"], "mac": ch.get("mac", bytes(6)),
            "prefix_len": prefix, "net_reserved": 0, "ipv4": ip, "gateway": ch.get("gateway", 0),
            "net_reserved2": 0, "ch_reserved": 0, "extra": b""}


def pack_record(r):
    if r["type"] == RECORD_CHANNEL:
        # IPv4 addresses in network byte order: big-endian inside the little-endian record.
        return CHANNEL.pack(r["type"], r["reserved"], r["length"], r["name"], r["frontend"], r["backend"],
                            r["kind"], r["flags"], r["size"], r["mac"], r["prefix_len"], r["net_reserved"],
                            int.from_bytes(r["ipv4"].to_bytes(4, "big"), "little"),
                            int.from_bytes(r["gateway"].to_bytes(4, "big"), "little"),
                            r["net_reserved2"], r["ch_reserved"]) + r["extra"]
    if r["type"] == RECORD_DEVICE:
        return DEVICE.pack(r["type"], r["reserved"], r["length"], r["name"], r["owner"], r["match"],
                           r["flags"], r["segment"], r["bus"], r["devfn"], r["vendor_id"],
                           r["device_id"], r["class_code"], r["class_mask"], r["dev_reserved"]) + r["extra"]
    body = VM.pack(r["type"], r["reserved"], r["length"], r["name"], r["image"], r["role"],
                   r["vcpus"], r["memory_size"], r["priority"], r["restart"], r["flags"],
                   r["vm_reserved"])
    return body + r["extra"]


def pack(records, magic=MAGIC, revision=REVISION, record_count=None, header_reserved=0,
         trailing=b"", total_size=None, checksum=None):
    """The binary policy; fields left as None get their correct values."""
    body = b"".join(pack_record(r) for r in records) + trailing
    size = HEADER.size + len(body)
    header = HEADER.pack(magic, revision, size if total_size is None else total_size, 0,
                         len(records) if record_count is None else record_count, header_reserved)
    blob = bytearray(header + body)
    crc = zlib.crc32(blob) if checksum is None else checksum
    struct.pack_into("<I", blob, CHECKSUM_OFFSET, crc)
    return bytes(blob)


def corrupt_last(field, value):
    def apply(records):
        records[-1][field] = value
        return pack(records)
    return apply


def duplicate_name(records):
    if len(records) < 2:
        records.append(dict(records[0]))
    records[-1]["name"] = records[0]["name"]
    return pack(records)


def name_padding(records):
    records[-1]["name"] += b"\0x"
    return pack(records)


def too_many_vms(records):
    while len(records) <= MAX_VMS:
        r = dict(records[-1])
        r["name"] = ("vm-%d" % len(records)).encode()
        records.append(r)
    return pack(records)


def truncated(records):
    """The last 40 bytes cut off, with total_size and the checksum matching the cut file."""
    blob = bytearray(pack(records, total_size=len(pack(records)) - 40)[:-40])
    struct.pack_into("<I", blob, CHECKSUM_OFFSET, 0)
    struct.pack_into("<I", blob, CHECKSUM_OFFSET, zlib.crc32(blob))
    return bytes(blob)


def with_record_length(length, extra):
    def apply(records):
        records[-1]["length"] = length
        records[-1]["extra"] = extra
        return pack(records)
    return apply


def device_owner_guest(records):
    """A device record given to the last VM, made a guest: only the hypervisor's own check can see it."""
    vms = [r for r in records if r["type"] == RECORD_VM]
    vms[-1]["role"] = ROLES["guest"]
    records.append(device_record({"name": "owned", "owner": vms[-1]["name"].decode(), "flags": 0,
                                  "match": {"match": MATCHES["id"], "vendor_id": 0x8086, "device_id": 0x100e}}))
    return pack(records)


def test_channel(records, name="net-a", mac_last=0x0a):
    """A valid net channel between the first guest (frontend) and the first iovm (backend)."""
    vms = [r for r in records if r["type"] == RECORD_VM]
    guest = next((r for r in vms if r["role"] == ROLES["guest"]), vms[-1])
    iovm = next((r for r in vms if r["role"] == ROLES["iovm"]), vms[0])
    return channel_record({"name": name, "frontend": guest["name"].decode(), "backend": iovm["name"].decode(),
                           "kind": CHANNEL_KINDS["net"], "size": 256 << 10,
                           "mac": bytes([0x52, 0x54, 0, 0, 0, mac_last]), "ip": (0x0a00020f, 24),
                           "gateway": 0x0a000202})


def corrupt_channel(**fields):
    """Append a test channel with fields changed (values may name the ends: '{guest}', '{iovm}')."""
    def apply(records):
        c = test_channel(records)
        names = {b"{guest}": c["frontend"], b"{iovm}": c["backend"]}
        for k, v in fields.items():
            c[k] = names.get(v, v) if isinstance(v, bytes) else v
        records.append(c)
        return pack(records)
    return apply


def many_channels(count, second=None):
    """count valid channels (distinct names and MACs); second: the fields of the second one changed."""
    def apply(records):
        for i in range(count):
            c = test_channel(records, name="net-%d" % i if count > 2 else ("net-a", "net-b")[i], mac_last=0x10 + i)
            if i == 1 and second:
                c.update(second(records[-1]))
            records.append(c)
        return pack(records)
    return apply


# kind: (how, what the hypervisor should say)
CORRUPTIONS = {
    "magic": (lambda r: pack(r, magic=b"UHVPOLCX"), "bad magic"),
    "revision": (lambda r: pack(r, revision=REVISION + 1), "revision 2 is not supported"),
    "checksum": (lambda r: pack(r, checksum=zlib.crc32(pack(r)) ^ 1), "checksum does not match"),
    "size-mismatch": (lambda r: pack(r, total_size=len(pack(r)) + 8), "header size differs from the module size"),
    "too-big": (lambda r: pack(r, total_size=MAX_SIZE + 8), "more than 64 KiB"),
    "header-reserved": (lambda r: pack(r, header_reserved=1), "header reserved field not zero"),
    "no-vms": (lambda r: pack([]), "no VMs"),
    "too-many-vms": (too_many_vms, "more than 16 VMs"),
    "truncated": (truncated, "last record truncated (header and checksum consistent)"),
    "record-count": (lambda r: pack(r, record_count=len(r) + 1), "one record more announced than present"),
    "trailing": (lambda r: pack(r, trailing=bytes(8)), "bytes after the last record"),
    "record-type": (corrupt_last("type", 7), "unknown record type 7"),
    "record-reserved": (corrupt_last("reserved", 1), "record reserved field not zero"),
    "record-length": (with_record_length(VM.size + 8, bytes(8)), "VM record 104 bytes long"),
    "record-misaligned": (with_record_length(VM.size + 4, bytes(4)), "record length not a multiple of 8"),
    "name-empty": (corrupt_last("name", b""), "empty name"),
    "name-unterminated": (corrupt_last("name", b"a" * NAME_MAX), "name without NUL"),
    "name-chars": (corrupt_last("name", b"Hello_B"), "name with characters outside [a-z0-9-]"),
    "name-padding": (name_padding, "bytes after the name's NUL"),
    "duplicate-name": (duplicate_name, "two VMs with the same name"),
    "image-empty": (corrupt_last("image", b""), "empty image name"),
    "image-unterminated": (corrupt_last("image", b"i" * IMAGE_MAX), "image name without NUL"),
    "image-chars": (corrupt_last("image", b"hello elf"), "image name with a space"),
    "role": (corrupt_last("role", 3), "unknown role 3"),
    "vcpus": (corrupt_last("vcpus", 2), "2 vcpus"),
    "memory-small": (corrupt_last("memory_size", 1 << 20), "memory 1 MiB"),
    "memory-unaligned": (corrupt_last("memory_size", 3 << 20), "memory 3 MiB"),
    "memory-huge": (corrupt_last("memory_size", 2 << 30), "memory 2 GiB"),
    "priority": (corrupt_last("priority", 256), "priority 256"),
    "restart": (corrupt_last("restart", 3), "unknown restart policy 3"),
    "flags": (corrupt_last("flags", 1), "undefined flag bit"),
    "vm-reserved": (corrupt_last("vm_reserved", b"\0" * 11 + b"\1"), "VM reserved bytes not zero"),
    "device-owner-guest": (device_owner_guest, "a device owned by a guest"),
    "channel-frontend-missing": (corrupt_channel(frontend=b"nobody"), "a channel whose frontend is no VM"),
    "channel-same-ends": (corrupt_channel(frontend=b"{iovm}"), "a channel from a VM to itself"),
    "channel-backend-guest": (corrupt_channel(frontend=b"{iovm}", backend=b"{guest}"),
                              "a channel whose backend is a guest"),
    "channel-kind": (corrupt_channel(kind=2), "a channel of unknown kind 2"),
    "channel-size-unaligned": (corrupt_channel(size=(256 << 10) + 512), "a region not a multiple of 4 KiB"),
    "channel-size-huge": (corrupt_channel(size=8 << 20), "an 8 MiB region"),
    "channel-mac-zero": (corrupt_channel(mac=bytes(6)), "a zero MAC"),
    "channel-mac-multicast": (corrupt_channel(mac=bytes([1, 0, 0x5e, 0, 0, 1])), "a multicast MAC"),
    "channel-mac-duplicate": (many_channels(2, lambda prev: {"mac": prev["mac"]}), "two channels with one MAC"),
    "channel-prefix": (corrupt_channel(prefix_len=31), "prefix /31"),
    "channel-subnet": (corrupt_channel(gateway=0x0a000302), "gateway outside the ip's subnet"),
    "channel-duplicate-name": (many_channels(2, lambda prev: {"name": prev["name"]}), "two channels with one name"),
    "channel-too-many": (many_channels(MAX_CHANNELS + 1), "17 channels"),
    "channel-per-vm": (many_channels(VM_CHANNELS_MAX + 1), "9 channels with one VM at their ends"),
    "channel-reserved": (corrupt_channel(ch_reserved=1), "channel reserved field not zero"),
    "channel-record-length": (corrupt_channel(length=CHANNEL.size + 8, extra=bytes(8)), "channel record 104 bytes"),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compile a uhv VM policy (text) into its binary boot module.")
    ap.add_argument("policy", nargs="?", help="the text policy")
    ap.add_argument("-o", "--output", help="the binary to write (default: POLICY with .bin)")
    ap.add_argument("--corrupt", metavar="KIND", help="write a deliberately broken binary (tests only)")
    ap.add_argument("--corrupt-all", metavar="DIR",
                    help="write DIR/corrupt-KIND.bin for every KIND (tests only)")
    ap.add_argument("--list-corruptions", action="store_true", help="list the --corrupt kinds")
    args = ap.parse_args(argv)

    if args.list_corruptions:
        for kind, (_, what) in CORRUPTIONS.items():
            print("%-20s %s" % (kind, what))
        return 0
    if not args.policy:
        ap.error("a policy file is needed")
    if args.corrupt and args.corrupt not in CORRUPTIONS:
        ap.error("unknown --corrupt kind '%s' (see --list-corruptions)" % args.corrupt)

    try:
        with open(args.policy, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print("mkpolicy: %s: %s" % (args.policy, e), file=sys.stderr)
        return 1
    try:
        vms, devices, channels = parse_text(text, args.policy)
    except PolicyError as e:
        print(e, file=sys.stderr)
        return 1

    # Corruptions change the VM records (the last one), or add channels between them: the
    # policy's own devices and channels stay out of them.
    if args.corrupt_all:
        for kind, (how, _) in CORRUPTIONS.items():
            with open(os.path.join(args.corrupt_all, "corrupt-%s.bin" % kind), "wb") as f:
                f.write(how([vm_record(vm) for vm in vms]))
        return 0
    records = [vm_record(vm) for vm in vms]
    if not args.corrupt:
        records += [device_record(dev) for dev in devices]
        records += [channel_record(ch) for ch in channels]
    blob = CORRUPTIONS[args.corrupt][0](records) if args.corrupt else pack(records)
    if not args.corrupt and len(blob) > MAX_SIZE:
        print("%s: the binary would be %d bytes, more than %d" % (args.policy, len(blob), MAX_SIZE),
              file=sys.stderr)
        return 1
    out = args.output or re.sub(r"(\.policy)?$", ".bin", args.policy, count=1)
    with open(out, "wb") as f:
        f.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main())
