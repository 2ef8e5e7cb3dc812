#!/bin/sh
# SPDX-License-Identifier: MIT
# Make a GRUB rescue ISO (BIOS, El Torito) from a staging directory that
# already holds boot/hypervisor.elf and boot/grub/grub.cfg.
# The one place that knows grub-mkrescue's flags: boot/iso.mk and the test
# harness (tests/harness.py) both call it.
#
#   boot/mkiso.sh OUT.iso STAGING_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 OUT.iso STAGING_DIR" >&2; exit 2; }
out=$1
dir=$2
log=$out.log
# No locales, fonts or themes: the console is serial, and they triple the size.
if ! "${GRUB_MKRESCUE:-grub-mkrescue}" -d /usr/lib/grub/i386-pc -o "$out" "$dir" \
	--locales= --fonts= --themes= >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
