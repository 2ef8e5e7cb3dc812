# SPDX-License-Identifier: MIT
# Tests: host unit tests of ring-0 logic, then emulator tests of the real image.

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Wno-format-truncation -Wno-format-overflow -Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -Itests/unit \
	-Iguest-stubs

.SECONDEXPANSION:

# Each unit test: UNIT_SRCS_<name> lists the ring-0 sources it links with.
UNIT_TESTS := format frame pagetable hwcheck multiboot2 cmdline pci timer
UNIT_SRCS_format := hypervisor/lib/format.c
UNIT_SRCS_frame := hypervisor/mm/frame.c
UNIT_SRCS_pagetable := hypervisor/arch/x86/pagetable.c
UNIT_TESTS += npt
UNIT_SRCS_npt := hypervisor/arch/x86/npt.c hypervisor/arch/x86/pagetable.c
# The EPT entry format, through the generic builder.
UNIT_TESTS += ept
UNIT_SRCS_ept := hypervisor/arch/x86/ept.c hypervisor/arch/x86/pagetable.c
# VT-d formats through the generic builder, and the neutral fault accounting.
UNIT_TESTS += vtd
UNIT_SRCS_vtd := hypervisor/arch/x86/vtd_format.c hypervisor/arch/x86/pagetable.c hypervisor/iommu.c \
	hypervisor/console.c hypervisor/lib/format.c
UNIT_SRCS_hwcheck := hypervisor/arch/x86/hwcheck.c hypervisor/arch/x86/vtd_format.c hypervisor/lib/format.c
UNIT_SRCS_multiboot2 := hypervisor/multiboot2.c
UNIT_SRCS_cmdline := hypervisor/cmdline.c hypervisor/console.c hypervisor/lib/format.c
UNIT_SRCS_pci := hypervisor/pci.c hypervisor/console.c hypervisor/lib/format.c
# Device ownership and the configuration space a VM sees, over a simulated bus.
UNIT_TESTS += pci_owner
UNIT_SRCS_pci_owner := hypervisor/pci_owner.c hypervisor/msi.c hypervisor/pci.c hypervisor/console.c \
	hypervisor/lib/format.c
# What an owner may write as an MSI/MSI-X message, and its shadows.
UNIT_TESTS += msi
UNIT_SRCS_msi := hypervisor/msi.c
# MSI/MSI-X bindings of hostile owners over simulated devices and host vectors.
UNIT_TESTS += pci_irq
UNIT_SRCS_pci_irq := hypervisor/pci_irq.c hypervisor/msi.c hypervisor/console.c hypervisor/lib/format.c
# Function-level reset of an assigned function, over a simulated one.
UNIT_TESTS += pci_reset
UNIT_SRCS_pci_reset := hypervisor/pci_reset.c hypervisor/pci.c hypervisor/console.c hypervisor/lib/format.c
UNIT_SRCS_timer := hypervisor/lib/clockmath.c
# Log lines: prefix, levels, and a line too long for the buffer.
UNIT_TESTS += console
UNIT_SRCS_console := hypervisor/console.c hypervisor/lib/format.c
# The guest-stub runtime's pure logic, and the hostile guest's ABI oracle.
UNIT_TESTS += guest_runtime guest_hostile
UNIT_SRCS_guest_runtime := guest-stubs/runtime/linebuf.c guest-stubs/runtime/hcdetect.c
UNIT_SRCS_guest_hostile := guest-stubs/hostile/model.c
# The guest network stack, back to back and against frames captured from QEMU.
UNIT_TESTS += net
NET_SRCS := guest-stubs/runtime/net/net.c guest-stubs/runtime/net/arp.c
UNIT_SRCS_net := $(NET_SRCS)
# The network IOVM's L2 learning switch.
UNIT_TESTS += switch
UNIT_SRCS_switch := iovm/net/switch.c
UNIT_TESTS += acpi
# The split virtqueue shared by guests and IOVMs (both ends, hostile peers).
UNIT_TESTS += vring
UNIT_SRCS_vring := guest-stubs/runtime/vring.c
UNIT_SRCS_acpi := hypervisor/acpi_tables.c
UNIT_TESTS += policy elf_image
# The decoder of instructions that touch emulated MMIO (ECAM).
UNIT_TESTS += mmio_decode
UNIT_SRCS_mmio_decode := hypervisor/mmio_decode.c
UNIT_SRCS_policy := hypervisor/policy.c hypervisor/elf_image.c hypervisor/lib/crc32.c hypervisor/lib/format.c
UNIT_SRCS_elf_image := hypervisor/elf_image.c hypervisor/lib/format.c

UNIT_BINS := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

$(BUILD)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.c tests/unit/unit.h $$(UNIT_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -MF $@.d -o $@ $< tests/unit/unit.c $(UNIT_SRCS_$*)


# ---- The VM policy: test policies compiled by boot/mkpolicy.py (valid ones
# and every --corrupt kind) and a test VM image, all built at test time.
TEST_IMAGE := $(BUILD)/tests/images/tiny.elf
TEST_POLICY_DIR := $(BUILD)/tests/policies
TEST_POLICIES := $(patsubst tests/policies/%.policy,$(TEST_POLICY_DIR)/%.bin,$(wildcard tests/policies/*.policy))

$(BUILD)/tests/images/%.elf: tests/images/%.S tests/images/%.ld
	@mkdir -p $(dir $@)
	@echo "  IMAGE   $@"
	$(Q)$(CC) -c -o $(@:.elf=.o) $<
	$(Q)$(LD) -nostdlib -static -no-pie -z max-page-size=0x1000 -T tests/images/$*.ld -o $@ $(@:.elf=.o)

$(TEST_POLICY_DIR)/%.bin: tests/policies/%.policy boot/mkpolicy.py
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) boot/mkpolicy.py -o $@ $<

$(TEST_POLICY_DIR)/corrupt.stamp: tests/policies/base.policy boot/mkpolicy.py
	@mkdir -p $(dir $@)
	$(Q)rm -f $(TEST_POLICY_DIR)/corrupt-*.bin
	$(Q)$(PYTHON) boot/mkpolicy.py --corrupt-all=$(TEST_POLICY_DIR) $<
	$(Q)touch $@

$(BUILD)/tests/unit/test_policy: $(TEST_POLICIES) $(TEST_POLICY_DIR)/corrupt.stamp $(TEST_IMAGE)
$(BUILD)/tests/unit/test_policy $(BUILD)/tests/unit/test_elf_image: \
	HOST_CFLAGS += -DTEST_IMAGE='"$(TEST_IMAGE)"' -DTEST_POLICY_DIR='"$(TEST_POLICY_DIR)"'
$(BUILD)/tests/unit/test_elf_image: $(TEST_IMAGE)

# The policy compiler's own checks of text policies, as a unit "binary" the
# harness runs like the others (it prints one PASS/FAIL line per test).
$(BUILD)/tests/unit/test_mkpolicy: tests/test_mkpolicy.py boot/mkpolicy.py
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec $(PYTHON) tests/test_mkpolicy.py "$$@"\n' > $@ && chmod +x $@
UNIT_BINS += $(BUILD)/tests/unit/test_mkpolicy

# ---- Fuzzing: every parser of untrusted input has a fuzz target in tests/fuzz.
# `make unit` replays each target's seeds plus deterministic mutations with
# GCC + sanitizers; `make fuzz` runs the real thing with clang's libFuzzer
# for FUZZ_SECONDS per target.
FUZZ_TARGETS := multiboot2 acpi
FUZZ_SRCS_multiboot2 := hypervisor/multiboot2.c
FUZZ_SRCS_acpi := hypervisor/acpi_tables.c
# Each target's seeds are made into $(BUILD)/tests/fuzz-seeds/<target>/.
FUZZ_MKSEEDS_multiboot2 = cp tests/fixtures/mbi-*.bin
FUZZ_MKSEEDS_acpi = tests/fuzz/make_corpus.sh
FUZZ_SEEDDEPS_multiboot2 = $(wildcard tests/fixtures/mbi-*.bin)
FUZZ_SEEDDEPS_acpi = tests/fuzz/make_corpus.sh $(wildcard tests/fixtures/acpi/*/*.bin)
FUZZ_TARGETS += policy elf_image
FUZZ_SRCS_policy := hypervisor/policy.c hypervisor/elf_image.c hypervisor/lib/crc32.c hypervisor/lib/format.c
FUZZ_POLICY_SEEDS = $(addprefix $(TEST_POLICY_DIR)/,base.bin sixteen.bin vm-pci-iovm.bin vm-chan-hostile.bin)
FUZZ_MKSEEDS_policy = cp $(FUZZ_POLICY_SEEDS)
FUZZ_SEEDDEPS_policy = $(FUZZ_POLICY_SEEDS)
FUZZ_SRCS_elf_image := hypervisor/elf_image.c hypervisor/lib/format.c
FUZZ_MKSEEDS_elf_image = cp $(TEST_IMAGE)
FUZZ_SEEDDEPS_elf_image = $(TEST_IMAGE)
FUZZ_TARGETS += mmio_decode
FUZZ_SRCS_mmio_decode := hypervisor/mmio_decode.c
FUZZ_MKSEEDS_mmio_decode = tests/fuzz/make_mmio_seeds.sh
FUZZ_SEEDDEPS_mmio_decode = tests/fuzz/make_mmio_seeds.sh
# Both ends of the split virtqueue, consuming what a hostile peer wrote.
FUZZ_TARGETS += vring
FUZZ_SRCS_vring := guest-stubs/runtime/vring.c
FUZZ_MKSEEDS_vring = $(PYTHON) tests/fuzz/make_vring_seeds.py
FUZZ_SEEDDEPS_vring = tests/fuzz/make_vring_seeds.py
# The guest network stack's receive path, seeded with frames from QEMU's slirp.
FUZZ_TARGETS += net
FUZZ_SRCS_net := $(NET_SRCS)
FUZZ_MKSEEDS_net = $(PYTHON) tests/fuzz/make_net_seeds.py
FUZZ_SEEDDEPS_net = tests/fuzz/make_net_seeds.py $(wildcard tests/fixtures/net/*.bin)
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(addprefix $(BUILD)/tests/unit/test_fuzz_,$(FUZZ_TARGETS))
UNIT_BINS += $(FUZZ_REPLAYS)

$(BUILD)/tests/fuzz-seeds/%/.made: $$(FUZZ_SEEDDEPS_$$*)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(Q)$(FUZZ_MKSEEDS_$*) $(dir $@)
	@touch $@

# The replay binaries carry their target name and seed directory, so the
# harness runs them like any other unit test binary (from the top directory).
$(BUILD)/tests/unit/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $$(FUZZ_SRCS_$$*) $(BUILD)/tests/fuzz-seeds/%/.made
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -DFUZZ_NAME='"$*"' -DFUZZ_SEEDS='"$(BUILD)/tests/fuzz-seeds/$*"' \
		-MMD -MP -MF $@.d -o $@ $< tests/fuzz/replay.c $(FUZZ_SRCS_$*)

$(BUILD)/tests/libfuzzer/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)clang -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -g -O1 -fsanitize=fuzzer,address,undefined \
		-Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -Iguest-stubs -o $@ $< $(FUZZ_SRCS_$*)

.PHONY: fuzz fuzz-deps
fuzz-deps:
	@command -v clang >/dev/null 2>&1 && [ -n "$$(find /usr/lib/llvm-* -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ] || \
	{ echo "deps: installing clang libclang-rt-dev (libFuzzer)"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev >/dev/null; }

# One libFuzzer run per target, its corpus seeded with the target's fixtures.
define run_fuzzer
	@mkdir -p $(BUILD)/tests/libfuzzer/corpus_$(1)
	@echo "fuzz: $(1) for $(FUZZ_SECONDS) s"
	$(Q)$(BUILD)/tests/libfuzzer/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(BUILD)/tests/libfuzzer/corpus_$(1) $(BUILD)/tests/fuzz-seeds/$(1) 2>&1 | tail -n 15

endef

fuzz: fuzz-deps $(addprefix $(BUILD)/tests/libfuzzer/fuzz_,$(FUZZ_TARGETS)) \
		$(foreach t,$(FUZZ_TARGETS),$(BUILD)/tests/fuzz-seeds/$(t)/.made)
	$(foreach t,$(FUZZ_TARGETS),$(call run_fuzzer,$(t)))

# After every UNIT_BINS += above: prerequisites are expanded when the rule is read.
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

# Headers the host test binaries include (a changed ABI header rebuilds them).
-include $(wildcard $(BUILD)/tests/unit/*.d)
