# SPDX-License-Identifier: MIT
# The bootable image: a GRUB rescue ISO (BIOS, El Torito) carrying the
# hypervisor and, as multiboot2 modules, the VM images.
#
# ISO_CMDLINE is the default entry's hypervisor command line.
#
# ISO_MODULES lists the boot modules, each FILE or FILE:NAME. GRUB hands NAME
# (default: the file's name) to the hypervisor as the module's command line,
# which is how it finds them: "policy" for the VM policy, and for a VM image
# the name the policy gives, e.g.
#   ISO_MODULES="build/tests/policies/base.bin:policy build/tests/images/tiny.elf"
# Files are copied to /boot/ under their own names, which must be distinct.
# By default the ISO carries the default policy (boot/policies/default.policy)
# and its guest images.

DEFAULT_POLICY	:= $(BUILD)/policy.bin
DEFAULT_IMAGES	:= $(BUILD)/guests/iovm-net.elf $(BUILD)/guests/netping.elf $(BUILD)/guests/netecho.elf
ISO_CMDLINE	?=
ISO_TIMEOUT	?= 3
ISO_MODULES	?= $(DEFAULT_POLICY):policy $(DEFAULT_IMAGES)
GRUB_MKRESCUE	?= grub-mkrescue

iso_module_file = $(firstword $(subst :, ,$(1)))
iso_module_name = $(or $(word 2,$(subst :, ,$(1))),$(notdir $(1)))
ISO_MODULE_FILES = $(foreach m,$(ISO_MODULES),$(call iso_module_file,$(m)))

# Policies: text in boot/policies/, compiled (and so checked) on every build.
$(DEFAULT_POLICY): boot/policies/default.policy boot/mkpolicy.py
	@mkdir -p $(dir $@)
	@echo "  POLICY  $@"
	$(Q)$(PYTHON) boot/mkpolicy.py -o $@ $<

$(BUILD)/policies/%.bin: boot/policies/%.policy boot/mkpolicy.py
	@mkdir -p $(dir $@)
	@echo "  POLICY  $@"
	$(Q)$(PYTHON) boot/mkpolicy.py -o $@ $<

all: $(DEFAULT_POLICY)

# grub-mkrescue wants a directory tree: boot/hypervisor.elf, boot/grub/grub.cfg.
# The file is regenerated on every run but only replaced when its text
# changes, so a new ISO_CMDLINE rebuilds the ISO and an unchanged one does not.
$(BUILD)/iso/boot/grub/grub.cfg: boot/grub.cfg.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@TIMEOUT@|$(ISO_TIMEOUT)|' -e 's|@CMDLINE@|$(ISO_CMDLINE)|' \
	    -e 's|@MODULES@|$(foreach m,$(ISO_MODULES),\tmodule2 /boot/$(notdir $(call iso_module_file,$(m))) $(call iso_module_name,$(m))\n)|' $< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

.PHONY: FORCE
FORCE:

$(ISO): $(HV_ELF) $(BUILD)/iso/boot/grub/grub.cfg $(ISO_MODULE_FILES) boot/mkiso.sh
	$(Q)cp $(HV_ELF) $(BUILD)/iso/boot/hypervisor.elf
	$(if $(ISO_MODULE_FILES),$(Q)cp $(ISO_MODULE_FILES) $(BUILD)/iso/boot/)
	@echo "  ISO     $@"
	$(Q)GRUB_MKRESCUE=$(GRUB_MKRESCUE) boot/mkiso.sh $@ $(BUILD)/iso

iso: $(ISO)
	@echo "$(ISO): write it to a USB stick (dd if=$(ISO) of=/dev/sdX bs=4M) and boot in BIOS/CSM mode"
