#!/bin/sh
# SPDX-License-Identifier: MIT
# Seed corpus for fuzz_acpi: each real table fixture, prefixed with the byte
# that selects its parser (the order of parsers[] in fuzz_acpi.c).
set -e
out=${1:?usage: $0 OUTDIR}
fx=tests/fixtures/acpi
seed() { printf "\\$(printf %03o "$1")" | cat - "$2" > "$out/$(echo "$2" | tr / _)"; }
for d in qemu-q35 bochs; do
	seed 0 $fx/$d/APIC.bin
	seed 2 $fx/$d/HPET.bin
	seed 3 $fx/$d/FACP.bin
	seed 5 $fx/$d/DSDT.bin
	seed 6 $fx/$d/RSDT.bin
	seed 6 $fx/$d/RSDP.bin
done
seed 1 $fx/qemu-q35/MCFG.bin
seed 4 $fx/qemu-q35/DMAR.bin
seed 4 $fx/qemu-q35-aw48/DMAR.bin
