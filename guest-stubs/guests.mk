# SPDX-License-Identifier: MIT
# Guest images: the guest-stub runtime (build/guests/runtime.a) and one ELF
# per directory guest-stubs/<name>/ (build/guests/<name>.elf), linked at
# UHV_IMAGE_MIN by guest-stubs/linker.ld. Included from the top Makefile.
#
# Guests are not ring-0 code, but they run at CPL 0 in their own VM with
# interrupts arriving on the current stack, so they take the hypervisor's
# freestanding flags and warnings (KCFLAGS) with two changes: the small
# code model (linked at 1 MiB, not in the top 2 GiB), and include paths that
# expose only the ABI (include/), the runtime (guest-stubs/) and the few
# pure hypervisor headers guests share (types, formatting, string routines,
# port and MMIO accessors), copied into
# $(GUEST_BUILD)/include so no other hypervisor header is reachable.

GUEST_BUILD	:= $(BUILD)/guests
AR		:= $(CROSS_COMPILE)ar

GUEST_SHARED_HEADERS := hv/types.h hv/format.h hv/string.h arch/io.h
GUEST_STAGED_HEADERS := $(addprefix $(GUEST_BUILD)/include/,$(GUEST_SHARED_HEADERS))

GUEST_INCLUDES	:= -Iinclude -I$(GUEST_BUILD)/include -Iguest-stubs
GUEST_CFLAGS	:= $(filter-out -mcmodel=kernel -I%,$(KCFLAGS)) -mcmodel=small $(GUEST_INCLUDES)
GUEST_ASFLAGS	:= -D__ASSEMBLER__ $(GUEST_INCLUDES) -MMD -MP
GUEST_LDFLAGS	:= -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack -u _start

# The runtime, plus the hypervisor's formatter and string routines compiled
# again with the guest flags (one implementation, two builds).
GUEST_RT_SRCS	:= $(sort $(wildcard guest-stubs/runtime/*.c guest-stubs/runtime/*.S guest-stubs/runtime/net/*.c)) \
		   hypervisor/lib/format.c hypervisor/lib/string.c
GUEST_RT_OBJS	:= $(addprefix $(GUEST_BUILD)/obj/,$(addsuffix .o,$(basename $(GUEST_RT_SRCS))))
GUEST_RT_LIB	:= $(GUEST_BUILD)/runtime.a

GUESTS		:= $(sort $(filter-out runtime,$(notdir $(patsubst %/,%,$(dir $(wildcard guest-stubs/*/*.c))))))
GUEST_ELFS	:= $(patsubst %,$(GUEST_BUILD)/%.elf,$(GUESTS))
GUEST_LDS	:= $(GUEST_BUILD)/linker.lds

.PHONY: guests
guests: $(GUEST_ELFS)
all: guests

.SECONDARY: $(GUEST_STAGED_HEADERS)
$(GUEST_BUILD)/include/hv/%.h: hypervisor/include/hv/%.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(GUEST_BUILD)/include/arch/%.h: hypervisor/arch/x86/include/arch/%.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(GUEST_BUILD)/obj/%.o: %.c | $(GUEST_STAGED_HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (guest)"
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_BUILD)/obj/%.o: %.S | $(GUEST_STAGED_HEADERS)
	@mkdir -p $(dir $@)
	@echo "  AS      $< (guest)"
	$(Q)$(CC) $(GUEST_ASFLAGS) -c -o $@ $<

$(GUEST_RT_LIB): $(GUEST_RT_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(GUEST_LDS): guest-stubs/linker.ld include/abi/vm_boot.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude -o $@ $<

# One link rule per guest: its own objects, then the runtime library.
define guest_rule
GUEST_OBJS_$(1) := $$(addprefix $(GUEST_BUILD)/obj/,$$(addsuffix .o,$$(basename $$(wildcard guest-stubs/$(1)/*.c))))
$(GUEST_BUILD)/$(1).elf: $$(GUEST_OBJS_$(1)) $(GUEST_RT_LIB) $(GUEST_LDS)
	@echo "  LD      $$@"
	$(Q)$(LD) $(GUEST_LDFLAGS) -T $(GUEST_LDS) -o $$@ $$(GUEST_OBJS_$(1)) $(GUEST_RT_LIB)
endef
$(foreach g,$(GUESTS),$(eval $(call guest_rule,$(g))))

-include $(shell find $(GUEST_BUILD)/obj -name '*.d' 2>/dev/null)
