#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of boot/mkpolicy.py: the binary it writes, and every text error with its file:line."""

import contextlib
import io
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MKPOLICY = os.path.join(ROOT, "boot", "mkpolicy.py")

GOOD = """\
# comment
[vm net]
role = iovm
image = net.elf     # trailing comment
memory = 4M

[vm app]
role = guest
image = app.elf
memory = 64MiB
vcpus = 1
priority = 255
restart = always
"""


sys.path.insert(0, os.path.dirname(MKPOLICY))
import mkpolicy  # noqa: E402


def run(text, *args):
    """(exit status, stderr, output bytes) of compiling text, in this process."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.policy")
        out = os.path.join(d, "t.bin")
        with open(src, "w") as f:
            f.write(text)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                rc = mkpolicy.main(["-o", out, *args, src])
            except SystemExit as e:
                rc = e.code
        data = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                data = f.read()
        return rc, err.getvalue().replace(src, "t.policy"), data


class Binary(unittest.TestCase):
    def test_layout_and_checksum(self):
        rc, err, data = run(GOOD)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(data), 32 + 2 * 96)
        magic, rev, total, crc, count, reserved = struct.unpack_from("<8sIIIIQ", data)
        self.assertEqual((magic, rev, total, count, reserved), (b"UHVPOLCY", 1, 224, 2, 0))
        self.assertEqual(crc, zlib.crc32(data[:16] + bytes(4) + data[20:]))
        vm = struct.unpack_from("<HHI16s32sIIQIII12s", data, 32 + 96)
        self.assertEqual(vm, (1, 0, 96, b"app".ljust(16, b"\0"), b"app.elf".ljust(32, b"\0"),
                              1, 1, 64 << 20, 255, 2, 0, bytes(12)))
        vm = struct.unpack_from("<HHI16s32sIIQIII12s", data, 32)
        self.assertEqual(vm[5:10], (2, 1, 4 << 20, 0, 0))   # defaults: vcpus 1, priority 0, never

    def test_sizes(self):
        for text, size in (("2097152", 2 << 20), ("2048K", 2 << 20), ("2 MiB", 2 << 20),
                           ("1G", 1 << 30), ("1GiB", 1 << 30)):
            rc, err, data = run("[vm a]\nrole=guest\nimage=a\nmemory=%s\n" % text)
            self.assertEqual((rc, err), (0, ""), text)
            self.assertEqual(struct.unpack_from("<Q", data, 32 + 64)[0], size, text)

    def test_every_corruption_kind_writes_a_file(self):
        kinds = subprocess.run([sys.executable, MKPOLICY, "--list-corruptions"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        kinds = [k.split()[0] for k in kinds if k.strip()]
        self.assertGreaterEqual(len(kinds), 30)
        good = run(GOOD)[2]
        for kind in kinds:
            rc, err, data = run(GOOD, "--corrupt=" + kind)
            self.assertEqual((rc, err), (0, ""), kind)
            self.assertNotEqual(data, good, kind)

    def test_unknown_corruption_kind(self):
        rc, err, _ = run(GOOD, "--corrupt=nonsense")
        self.assertEqual(rc, 2)
        self.assertIn("unknown --corrupt kind 'nonsense'", err)


IOVM = "[vm net]\nrole = iovm\nimage = net.elf\nmemory = 4M\n"


class Devices(unittest.TestCase):
    DEVICE = struct.Struct("<HHI16s16sIIHBBHHII8s")

    def compile(self, text):
        rc, err, data = run(text)
        self.assertEqual((rc, err), (0, ""))
        return data

    def test_each_match_mode_and_the_flags(self):
        data = self.compile(IOVM + "[device nic]\nowner = net\nmatch = bdf 00:02.0\n"
                            "[device wifi]\nowner = net\nmatch = id 8086:100E\nflags = unprotected-dma\n"
                            "[device any-nic]\nowner = net\nmatch = class 02.00.00/ff0000\n"
                            "flags = unprotected-dma, shared-requester-id-ok\n"
                            "[device far]\nowner = net\nmatch = bdf 0001:3a:1f.7\n")
        self.assertEqual(struct.unpack_from("<I", data, 20)[0], 5)
        self.assertEqual(len(data), 32 + 96 + 4 * 72)
        recs = [self.DEVICE.unpack_from(data, 32 + 96 + 72 * i) for i in range(4)]
        name = lambda n: n.encode().ljust(16, b"\0")
        self.assertEqual(recs[0], (2, 0, 72, name("nic"), name("net"), 1, 0, 0, 0, 2 << 3, 0, 0, 0, 0, bytes(8)))
        self.assertEqual(recs[1], (2, 0, 72, name("wifi"), name("net"), 2, 1, 0, 0, 0, 0x8086, 0x100e, 0, 0,
                                   bytes(8)))
        self.assertEqual(recs[2], (2, 0, 72, name("any-nic"), name("net"), 3, 3, 0, 0, 0, 0, 0, 0x020000,
                                   0xff0000, bytes(8)))
        self.assertEqual(recs[3][7:10], (1, 0x3a, 0x1f << 3 | 7))

    def test_class_mask_defaults_to_all_bits(self):
        data = self.compile(IOVM + "[device d]\nowner = net\nmatch = class 01.08.02\n")
        self.assertEqual(self.DEVICE.unpack_from(data, 32 + 96)[12:14], (0x010802, 0xffffff))

    def check(self, text, *messages):
        rc, err, data = run(text)
        self.assertEqual(rc, 1)
        self.assertIsNone(data)
        self.assertEqual(err.splitlines(), list(messages))

    def test_errors(self):
        dev = IOVM + "[device d]\nowner = net\n"
        cases = {
            "match = bdf 00:20.0": "device number 0x20 in 'bdf 00:20.0' is more than 0x1f",
            "match = bdf 00:02.8": "match 'bdf 00:02.8' is not one of: bdf [SEG:]BB:DD.F, id VVVV:DDDD, "
                                   "class CC.SS.PP[/MASK] (hexadecimal)",
            "match = id ffff:1234": "vendor id 0xffff is not a vendor",
            "match = id 0000:1234": "vendor id 0x0000 is not a vendor",
            "match = class 02.00.00/000000": "class mask is 0, which would match every function",
            "match = class 02.00.01/ffff00": "class 020001 has bits outside its mask ffff00",
            "flags = no-iommu": "unknown flag 'no-iommu' (known: unprotected-dma, shared-requester-id-ok)",
        }
        for line, msg in cases.items():
            text = dev + ("match = bdf 00:02.0\n" if not line.startswith("match") else "") + line + "\n"
            self.check(text, "t.policy:%d: device 'd': %s" % (len(text.splitlines()), msg))

    def test_owner_must_be_an_iovm_of_this_policy(self):
        self.check(IOVM + "[device d]\nowner = app\nmatch = id 8086:100e\n",
                   "t.policy:6: device 'd': owner 'app' is not a vm of this policy")
        self.check(IOVM + "[vm app]\nrole = guest\nimage = a\nmemory = 2M\n"
                   "[device d]\nowner = app\nmatch = id 8086:100e\n",
                   "t.policy:10: device 'd': owner 'app' is a guest: only an iovm may own devices")

    def test_required_keys_duplicates_and_unknown_keys(self):
        self.check(IOVM + "[device d]\n",
                   "t.policy:5: device 'd': required key 'owner' is missing",
                   "t.policy:5: device 'd': required key 'match' is missing")
        self.check(IOVM + "[device d]\nowner = net\nmatch = id 8086:100e\nbdf = 00:02.0\n"
                   "match = id 8086:100f\n[device d]\nowner = net\nmatch = id 8086:100e\n",
                   "t.policy:8: device 'd': unknown key 'bdf' (known: owner, match, flags)",
                   "t.policy:9: device 'd': 'match' given twice (first on line 7)",
                   "t.policy:10: duplicate device 'd' (first defined on line 5)")


GUEST = "[vm app]\nrole = guest\nimage = app.elf\nmemory = 4M\n"
CHANNEL = ("[channel net-a]\nkind = net\nfrontend = app\nbackend = net\nsize = 256K\n"
           "mac = 52:54:00:00:00:0A\nip = 10.0.2.15/24\ngateway = 10.0.2.2\n")


class Channels(unittest.TestCase):
    def test_record_layout(self):
        rc, err, data = run(IOVM + GUEST + CHANNEL)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(data), 32 + 2 * 96 + 96)
        rec = struct.unpack_from("<HHI16s16s16sIIQ6sBBIIII", data, 32 + 2 * 96)
        name = lambda n: n.encode().ljust(16, b"\0")
        self.assertEqual(rec[:9], (3, 0, 96, name("net-a"), name("app"), name("net"), 1, 0, 256 << 10))
        self.assertEqual(rec[9:], (bytes([0x52, 0x54, 0, 0, 0, 0x0a]), 24, 0,
                                   int.from_bytes(bytes([10, 0, 2, 15]), "little"),
                                   int.from_bytes(bytes([10, 0, 2, 2]), "little"), 0, 0))
        # Network byte order: the address's first octet first.
        self.assertEqual(data[32 + 2 * 96 + 80:32 + 2 * 96 + 88], bytes([10, 0, 2, 15, 10, 0, 2, 2]))

    def check(self, text, *messages):
        rc, err, data = run(text)
        self.assertEqual(rc, 1)
        self.assertIsNone(data)
        self.assertEqual(err.splitlines(), list(messages))

    def test_bad_values(self):
        cases = {
            "kind = block": "kind 'block' is not one of: net",
            "size = 0": "size 0 bytes is out of range (4 KiB to 4 MiB)",
            "size = 8M": "size 8 MiB is out of range (4 KiB to 4 MiB)",
            "size = 5000": "size 0x1388 bytes is not a multiple of 4 KiB",
            "mac = 00:00:00:00:00:00": "mac is zero",
            "mac = 01:00:5e:00:00:01": "mac 01:00:5e:00:00:01 is a multicast address (a NIC needs a unicast one)",
            "mac = 52:54:00:00:00": "mac '52:54:00:00:00' is not a MAC address (xx:xx:xx:xx:xx:xx)",
            "ip = 10.0.2.15/31": "prefix length 31 is out of range (1-30)",
            "ip = 10.0.2.0/24": "ip 10.0.2.0 is the network address of its subnet /24",
            "ip = 10.0.2.255/24": "ip 10.0.2.255 is the broadcast address of its subnet /24",
            "ip = 10.0.2.15": "ip '10.0.2.15' is not an IPv4 address with a prefix (a.b.c.d/n)",
            "ip = 10.0.2.256/24": "ip '10.0.2.256/24' is not an IPv4 address with a prefix (a.b.c.d/n)",
            "gateway = 10.0.3.2": "gateway 10.0.3.2 is not in the subnet of 10.0.2.15/24",
            "gateway = 10.0.2.15": "ip and gateway are both 10.0.2.15",
            "gateway = 10.0.2.2/24": "gateway '10.0.2.2/24' is not an IPv4 address (a.b.c.d)",
        }
        for line, msg in cases.items():
            key = line.split()[0]
            body = [l for l in CHANNEL.splitlines() if not l.startswith(key + " ")] + [line]
            text = IOVM + GUEST + "\n".join(body) + "\n"
            self.check(text, "t.policy:%d: channel 'net-a': %s" % (len(text.splitlines()), msg))

    def test_ends(self):
        self.check(IOVM + GUEST + CHANNEL.replace("frontend = app", "frontend = web"),
                   "t.policy:11: channel 'net-a': frontend 'web' is not a vm of this policy")
        self.check(IOVM + GUEST + CHANNEL.replace("backend = net", "backend = app"),
                   "t.policy:12: channel 'net-a': backend 'app' is a guest: a backend must be an iovm",
                   "t.policy:12: channel 'net-a': frontend and backend are both vm 'app'")
        self.check(IOVM + GUEST + "[channel c]\nkind = net\n",
                   "t.policy:9: channel 'c': required key 'frontend' is missing",
                   "t.policy:9: channel 'c': required key 'backend' is missing",
                   "t.policy:9: channel 'c': required key 'size' is missing",
                   "t.policy:9: channel 'c': required key 'mac' is missing (kind net)",
                   "t.policy:9: channel 'c': required key 'ip' is missing (kind net)",
                   "t.policy:9: channel 'c': required key 'gateway' is missing (kind net)")

    def test_unique_macs_and_limits(self):
        second = CHANNEL.replace("net-a", "net-b")
        self.check(IOVM + GUEST + CHANNEL + second,
                   "t.policy:22: channel 'net-b': mac 52:54:00:00:00:0a is channel 'net-a''s too")
        many = "".join(CHANNEL.replace("net-a", "c%d" % i).replace(":0A", ":%02x" % (i + 16))
                       for i in range(9))
        self.check(IOVM + GUEST + many,
                   "t.policy:73: channel 'c8': vm 'app' would be an end of more than 8 channels",
                   "t.policy:73: channel 'c8': vm 'net' would be an end of more than 8 channels")


class TextErrors(unittest.TestCase):
    def check(self, text, *messages):
        rc, err, data = run(text)
        self.assertEqual(rc, 1)
        self.assertIsNone(data)
        self.assertEqual(err.splitlines(), list(messages))

    VM = "[vm a]\nrole = guest\nimage = a.elf\nmemory = 4M\n"

    def test_unknown_key(self):
        self.check(self.VM + "cpus = 1\n",
                   "t.policy:5: vm 'a': unknown key 'cpus' (known: role, image, memory, vcpus, priority, restart)")

    def test_unknown_section(self):
        self.check("[disk d]\n" + self.VM, "t.policy:1: unknown section 'disk' (known: [vm NAME], [device NAME], "
                   "[channel NAME])")

    def test_malformed_section(self):
        self.check("[vm a b c]\n" + self.VM,
                   "t.policy:1: malformed section header '[vm a b c]' (expected [vm NAME], [device NAME] or "
                   "[channel NAME])")
        self.check("[vm]\n" + self.VM, "t.policy:1: [vm] needs a name: [vm NAME]")

    def test_key_outside_a_section(self):
        self.check("memory = 4M\n" + self.VM, "t.policy:1: 'memory' outside of any [vm NAME] section")

    def test_not_a_key_value(self):
        self.check(self.VM + "memory 4M\n", "t.policy:5: expected 'key = value' or '[vm NAME]', got 'memory 4M'")

    def test_missing_required_keys(self):
        self.check("\n[vm a]\nrole = guest\n",
                   "t.policy:2: vm 'a': required key 'image' is missing",
                   "t.policy:2: vm 'a': required key 'memory' is missing")

    def test_duplicate_key(self):
        self.check(self.VM + "memory = 8M\n", "t.policy:5: vm 'a': 'memory' given twice (first on line 4)")

    def test_empty_value(self):
        self.check(self.VM + "priority =\n", "t.policy:5: vm 'a': 'priority' has no value")

    def test_duplicate_vm(self):
        self.check(self.VM + self.VM, "t.policy:5: duplicate vm 'a' (first defined on line 1)")

    def test_bad_names(self):
        self.check(self.VM.replace("[vm a]", "[vm Net_1]"),
                   "t.policy:1: vm name 'Net_1' may contain only a-z, 0-9 and '-'")
        self.check(self.VM.replace("[vm a]", "[vm abcdefghijklmnop]"),
                   "t.policy:1: vm name 'abcdefghijklmnop' is longer than 15 characters")

    def test_bad_values(self):
        cases = {
            "role = vm": "role 'vm' is not one of: guest, iovm",
            "restart = sometimes": "restart 'sometimes' is not one of: never, on-failure, always",
            "image = a b": "image 'a b' must be printable ASCII without spaces",
            "image = " + "x" * 32: "image '%s' is longer than 31 characters" % ("x" * 32),
            "memory = 3M": "memory 3 MiB is not a multiple of 2 MiB",
            "memory = 1M": "memory 1 MiB is less than the 2 MiB minimum",
            "memory = 0": "memory 0 bytes is less than the 2 MiB minimum",
            "memory = 2G": "memory 2 GiB is more than the 1 GiB per-VM maximum",
            "memory = 4T": "memory '4T' is not a size (e.g. 16M, 1G, 2097152)",
            "memory = -4M": "memory '-4M' is not a size (e.g. 16M, 1G, 2097152)",
            "vcpus = 2": "2 vcpus, but only 1 per VM is supported (no SMP scheduling yet)",
            "vcpus = one": "vcpus 'one' is not a decimal number",
            "priority = 256": "priority 256 is out of range (0-255)",
            "priority = -1": "priority '-1' is not a decimal number",
        }
        for line, msg in cases.items():
            key = line.split()[0]
            text = "\n".join(l for l in self.VM.splitlines() if not l.startswith(key)) + "\n" + line + "\n"
            self.check(text, "t.policy:%d: vm 'a': %s" % (len(text.splitlines()), msg))

    def test_no_vms(self):
        self.check("# nothing\n", "t.policy: no [vm NAME] section: a policy needs at least one VM")

    def test_too_many_vms(self):
        text = "".join("[vm v%d]\nrole = guest\nimage = a\nmemory = 2M\n" % i for i in range(17))
        self.check(text, "t.policy:65: more than 16 VMs")

    def test_all_errors_are_reported(self):
        self.check("[vm a]\nrole = x\nmemory = 3M\n",
                   "t.policy:2: vm 'a': role 'x' is not one of: guest, iovm",
                   "t.policy:3: vm 'a': memory 3 MiB is not a multiple of 2 MiB",
                   "t.policy:1: vm 'a': required key 'image' is missing")

    def test_default_policy_compiles(self):
        with open(os.path.join(ROOT, "boot", "policies", "default.policy")) as f:
            rc, err, data = run(f.read())
        self.assertEqual((rc, err), (0, ""))
        # The first record is the network IOVM (name at offset 8 of the record, after the header).
        self.assertEqual(data[32 + 8:32 + 12], b"net\0")
        self.assertIn(b"iovm-net.elf\0", data)


class HarnessResult(unittest.TextTestResult):
    """Also prints one "PASS name" / "FAIL name" line per test, as the unit binaries do."""

    def addSuccess(self, test):
        super().addSuccess(test)
        print("PASS mkpolicy." + test._testMethodName)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print("FAIL mkpolicy." + test._testMethodName)

    def addError(self, test, err):
        super().addError(test, err)
        print("FAIL mkpolicy." + test._testMethodName)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=HarnessResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors)
    print("mkpolicy: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(0 if result.wasSuccessful() else 1)
