# SPDX-License-Identifier: MIT
# Tests: host unit tests of ring-0 logic, then emulator tests of the real image.

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -DHOST_TEST -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Wno-format-truncation -Wno-format-overflow -Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -Itests/unit

.SECONDEXPANSION:

# Each unit test: UNIT_SRCS_<name> lists the ring-0 sources it links with.
UNIT_TESTS := format
UNIT_SRCS_format := hypervisor/lib/format.c
UNIT_TESTS += acpi
UNIT_SRCS_acpi := hypervisor/acpi_tables.c

UNIT_BINS := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

$(BUILD)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.c tests/unit/unit.h $$(UNIT_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $< tests/unit/unit.c $(UNIT_SRCS_$*)

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail
