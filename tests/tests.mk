# SPDX-License-Identifier: MIT
# Tests: host unit tests of ring-0 logic, then emulator tests of the real image.

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Wno-format-truncation -Wno-format-overflow -Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -Itests/unit

.SECONDEXPANSION:

# Each unit test: UNIT_SRCS_<name> lists the ring-0 sources it links with.
UNIT_TESTS := format frame pagetable
UNIT_SRCS_format := hypervisor/lib/format.c
UNIT_SRCS_frame := hypervisor/mm/frame.c
UNIT_SRCS_pagetable := hypervisor/arch/x86/pagetable.c
UNIT_TESTS += policy elf_image
UNIT_SRCS_policy := hypervisor/policy.c hypervisor/elf_image.c hypervisor/lib/crc32.c hypervisor/lib/format.c
UNIT_SRCS_elf_image := hypervisor/elf_image.c hypervisor/lib/format.c

UNIT_BINS := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

$(BUILD)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.c tests/unit/unit.h $$(UNIT_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $< tests/unit/unit.c $(UNIT_SRCS_$*)

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

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

# The policy compiler's own checks of text policies.
.PHONY: mkpolicy-test
mkpolicy-test:
	$(Q)$(PYTHON) tests/test_mkpolicy.py
unit: mkpolicy-test

# ---- Fuzzing: every parser of untrusted input has a fuzz target in tests/fuzz.
# `make unit` replays each target's seeds plus deterministic mutations with
# GCC + sanitizers; `make fuzz` runs the real thing with clang's libFuzzer
# for FUZZ_SECONDS per target.
FUZZ_TARGETS := multiboot2
FUZZ_SRCS_multiboot2 := hypervisor/multiboot2.c
FUZZ_SEEDS_multiboot2 = $(wildcard tests/fixtures/mbi-*.bin)
FUZZ_TARGETS += policy elf_image
FUZZ_SRCS_policy := hypervisor/policy.c hypervisor/elf_image.c hypervisor/lib/crc32.c hypervisor/lib/format.c
FUZZ_SEEDS_policy = $(TEST_POLICY_DIR)/base.bin $(TEST_POLICY_DIR)/sixteen.bin
FUZZ_SRCS_elf_image := hypervisor/elf_image.c hypervisor/lib/format.c
FUZZ_SEEDS_elf_image = $(TEST_IMAGE)
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(addprefix $(BUILD)/tests/unit/fuzz_,$(FUZZ_TARGETS))
FUZZ_SEED_FILES = $(foreach t,$(FUZZ_TARGETS),$(FUZZ_SEEDS_$(t)))

# The deterministic replay of every target that has seeds; part of `make unit`.
.PHONY: fuzz-replay
fuzz-replay: $(FUZZ_REPLAYS) $$(FUZZ_SEED_FILES)
	@fail=0; $(foreach t,$(FUZZ_TARGETS),$(if $(FUZZ_SEEDS_$(t)),$(BUILD)/tests/unit/fuzz_$(t) $(t) $(FUZZ_SEEDS_$(t)) || fail=1;)) exit $$fail
unit: fuzz-replay

$(BUILD)/tests/unit/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_SRCS_$*)

$(BUILD)/tests/libfuzzer/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)clang -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -g -O1 -fsanitize=fuzzer,address,undefined \
		-Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -o $@ $< $(FUZZ_SRCS_$*)

.PHONY: fuzz fuzz-deps
fuzz-deps:
	@command -v clang >/dev/null 2>&1 && [ -n "$$(find /usr/lib/llvm-* -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ] || \
	{ echo "deps: installing clang libclang-rt-dev (libFuzzer)"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev >/dev/null; }

# One libFuzzer run per target, its corpus seeded with the target's fixtures.
define run_fuzzer
	@mkdir -p $(BUILD)/tests/libfuzzer/corpus_$(1)
	$(if $(FUZZ_SEEDS_$(1)),@cp $(FUZZ_SEEDS_$(1)) $(BUILD)/tests/libfuzzer/corpus_$(1)/)
	@echo "fuzz: $(1) for $(FUZZ_SECONDS) s"
	$(Q)$(BUILD)/tests/libfuzzer/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(BUILD)/tests/libfuzzer/corpus_$(1) 2>&1 | tail -n 15

endef

fuzz: fuzz-deps $(addprefix $(BUILD)/tests/libfuzzer/fuzz_,$(FUZZ_TARGETS)) $$(FUZZ_SEED_FILES)
	$(foreach t,$(FUZZ_TARGETS),$(call run_fuzzer,$(t)))
