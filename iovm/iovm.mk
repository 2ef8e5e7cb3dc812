# SPDX-License-Identifier: MIT
# IOVM images: one ELF per directory iovm/<name>/ (build/guests/iovm-<name>.elf,
# module "iovm-<name>.elf" for policies and the test harness's `images`).
# IOVMs are built exactly like the guest stubs (guest-stubs/guests.mk: same
# flags, the same runtime library and linker script), so this file only adds
# the link rules. Included from the top Makefile after guests.mk.

IOVMS		:= $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard iovm/*/*.c)))))
IOVM_ELFS	:= $(patsubst %,$(GUEST_BUILD)/iovm-%.elf,$(IOVMS))

.PHONY: iovms
iovms: $(IOVM_ELFS)
guests: iovms

define iovm_rule
IOVM_OBJS_$(1) := $$(addprefix $(GUEST_BUILD)/obj/,$$(addsuffix .o,$$(basename $$(wildcard iovm/$(1)/*.c))))
$(GUEST_BUILD)/iovm-$(1).elf: $$(IOVM_OBJS_$(1)) $(GUEST_RT_LIB) $(GUEST_LDS)
	@echo "  LD      $$@"
	$(Q)$(LD) $(GUEST_LDFLAGS) -T $(GUEST_LDS) -o $$@ $$(IOVM_OBJS_$(1)) $(GUEST_RT_LIB)
endef
$(foreach v,$(IOVMS),$(eval $(call iovm_rule,$(v))))
