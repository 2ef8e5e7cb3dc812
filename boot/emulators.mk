# SPDX-License-Identifier: MIT
# Running the image in emulators: by hand (run, run-bochs, debug) and as
# tests (test, emu-test). Network access is QEMU user-mode only; nothing
# listens except the gdb stub of `make debug`, on 127.0.0.1.

DISK_IMG	:= $(BUILD)/disk.img
DISK_SIZE	?= 64M
GDB_PORT	?= 1234
# `make test JOBS=1` runs one emulator at a time.
JOBS		?= 2

# The whole machine: q35 with VT-d (interrupt remapping works under TCG; the
# irqchip=split that KVM needs does not apply), an e1000 on user-mode
# networking, an NVMe disk. The IOMMU comes first: it must exist before the
# PCI devices it translates for. isa-debug-exit lets exit=qemu end the run.
# UDP port RUN_UDP_PORT on 127.0.0.1 (only) reaches the default policy's
# echo-c guest (10.0.2.17, port 7).
RUN_UDP_PORT	?= 5555
QEMU_RUN_ARGS := -machine q35 -accel tcg -cpu max -m 512 -no-reboot \
	-device intel-iommu,intremap=on \
	-nic none -netdev user,id=n1,hostfwd=udp:127.0.0.1:$(RUN_UDP_PORT)-10.0.2.17:7 -device e1000,netdev=n1 \
	-drive file=$(DISK_IMG),if=none,id=nvd0,format=raw -device nvme,drive=nvd0,serial=uhvdisk0 \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-cdrom $(ISO)

$(DISK_IMG):
	@mkdir -p $(dir $@)
	$(Q)truncate -s $(DISK_SIZE) $@

# Serial and monitor multiplexed on the terminal: Ctrl-A X quits, Ctrl-A C the monitor.
run: deps $(ISO) | $(DISK_IMG)
	$(QEMU) $(QEMU_RUN_ARGS) -nographic -serial mon:stdio

# Paused at the first instruction; the gdb stub listens on loopback only.
debug: deps $(ISO) | $(DISK_IMG)
	@echo "debug: QEMU is waiting for gdb; in another terminal:"
	@echo "  gdb $(HV_ELF) -ex 'target remote 127.0.0.1:$(GDB_PORT)' -ex 'hbreak hv_main' -ex continue"
	$(QEMU) $(QEMU_RUN_ARGS) -nographic -serial mon:stdio -gdb tcp:127.0.0.1:$(GDB_PORT) -S

# Bochs, configured from boot/bochsrc.in like the tests: the serial console
# goes to a file that is shown live; Ctrl-C stops Bochs.
BOCHS_DIR := $(BUILD)/bochs
run-bochs: deps $(ISO)
	@mkdir -p $(BOCHS_DIR)
	$(Q)sed -e 's|@ISO@|$(abspath $(ISO))|' -e 's|@SERIAL@|$(abspath $(BOCHS_DIR))/serial.log|' \
		-e 's|@LOG@|$(abspath $(BOCHS_DIR))/bochs.log|' boot/bochsrc.in > $(BOCHS_DIR)/bochsrc
	$(Q)BOCHS=$(BOCHS) boot/run-bochs.sh $(BOCHS_DIR)

# Unit tests and emulator cases, one summary line ("N passed, N failed").
# The build runs in a sub-make so that deps are installed before it starts.
test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)QEMU=$(QEMU) BOCHS=$(BOCHS) $(PYTHON) tests/harness.py --build $(BUILD) -j $(JOBS)

emu-test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)QEMU=$(QEMU) BOCHS=$(BOCHS) $(PYTHON) tests/harness.py --build $(BUILD) -j $(JOBS) --no-unit

# The network benchmark (tests/bench.py, docs/testing.md "Benchmark"): one
# QEMU run, results in $(BUILD)/bench/results.json and results.txt. Installs
# nothing: QEMU must be there (make deps).
bench: all
	$(Q)QEMU=$(QEMU) $(PYTHON) tests/bench.py --build $(BUILD)
