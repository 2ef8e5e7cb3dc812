# SPDX-License-Identifier: MIT
# The bootable image: a GRUB rescue ISO (BIOS, El Torito) carrying the
# hypervisor and, as multiboot2 modules, the VM images.
#
# ISO_CMDLINE is the default entry's hypervisor command line.

ISO_CMDLINE	?=
ISO_TIMEOUT	?= 3
ISO_MODULES	?=
GRUB_MKRESCUE	?= grub-mkrescue

# grub-mkrescue wants a directory tree: boot/hypervisor.elf, boot/grub/grub.cfg.
# The file is regenerated on every run but only replaced when its text
# changes, so a new ISO_CMDLINE rebuilds the ISO and an unchanged one does not.
$(BUILD)/iso/boot/grub/grub.cfg: boot/grub.cfg.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@TIMEOUT@|$(ISO_TIMEOUT)|' -e 's|@CMDLINE@|$(ISO_CMDLINE)|' \
	    -e 's|@MODULES@|$(foreach m,$(ISO_MODULES),\tmodule2 /boot/$(notdir $(m)) $(notdir $(m))\n)|' $< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

.PHONY: FORCE
FORCE:

$(ISO): $(HV_ELF) $(BUILD)/iso/boot/grub/grub.cfg $(ISO_MODULES) boot/mkiso.sh
	$(Q)cp $(HV_ELF) $(BUILD)/iso/boot/hypervisor.elf
	$(if $(ISO_MODULES),cp $(ISO_MODULES) $(BUILD)/iso/boot/)
	@echo "  ISO     $@"
	$(Q)GRUB_MKRESCUE=$(GRUB_MKRESCUE) boot/mkiso.sh $@ $(BUILD)/iso

iso: $(ISO)
	@echo "$(ISO): write it to a USB stick (dd if=$(ISO) of=/dev/sdX bs=4M) and boot in BIOS/CSM mode"
