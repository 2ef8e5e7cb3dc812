# SPDX-License-Identifier: MIT
#
# uhv: a micro-hypervisor. `make help` lists the targets.
#
# Everything is built under $(BUILD); `make -j2` is safe and rebuilds only
# what changed (dependencies are tracked with -MMD).

BUILD		?= build
CROSS_COMPILE	?=
CC		:= $(CROSS_COMPILE)gcc
LD		:= $(CROSS_COMPILE)ld
OBJCOPY		:= $(CROSS_COMPILE)objcopy
NM		:= $(CROSS_COMPILE)nm
HOSTCC		?= gcc
# `make V=1` shows full command lines.
V		?= 0
Q		:= $(if $(filter 1,$(V)),,@)
PYTHON		?= python3
QEMU		?= qemu-system-x86_64
BOCHS		?= bochs

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wpointer-arith -Wcast-align -Wundef -Wvla -Wwrite-strings \
	-Wnull-dereference -Wimplicit-fallthrough -Wformat=2 -Wold-style-definition

INCLUDES := -Iinclude -Ihypervisor/include -Ihypervisor/arch/x86/include -I$(BUILD)/include

# Ring 0: freestanding, no FPU/SIMD state (guest state is not ours to clobber),
# no red zone (interrupts arrive on the same stack), kernel code model (the
# image lives in the top 2 GiB), frame pointers kept for backtraces.
KCFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-O2 -g -mno-red-zone -mcmodel=kernel -mgeneral-regs-only -mno-sse -mno-mmx -mno-avx \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fno-strict-aliasing -fno-common \
	$(WARNINGS) $(INCLUDES) -MMD -MP
KASFLAGS := -D__ASSEMBLER__ $(INCLUDES) -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

HV_C_SRCS := $(sort $(shell find hypervisor -name '*.c' ! -name asm-offsets.c))
HV_S_SRCS := $(sort $(shell find hypervisor boot -name '*.S'))
HV_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HV_C_SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(HV_S_SRCS))
ASM_OFFSETS := $(BUILD)/include/generated/asm-offsets.h
HV_ELF := $(BUILD)/hypervisor.elf
ISO := $(BUILD)/uhv.iso

.PHONY: all iso run run-bochs debug test unit emu-test bench deps help clean size
all: $(HV_ELF) $(ISO)

help:
	@echo "make            build the hypervisor ($(HV_ELF)) and the boot ISO ($(ISO))"
	@echo "make iso        the GRUB rescue ISO (BIOS) to write to a USB stick"
	@echo "make run        boot the whole system in QEMU (Ctrl-A X quits)"
	@echo "make run-bochs  boot in Bochs with a VMX+EPT CPU model"
	@echo "make debug      QEMU paused, waiting for gdb on localhost:1234"
	@echo "make test       host unit tests, then emulator tests (QEMU and Bochs)"
	@echo "make bench      guest -> network IOVM -> wire vs the IOVM's own sending (build/bench/)"
	@echo "make size       ring-0 size: lines of code and image sections"
	@echo "make deps       install missing Debian packages (run by run and test)"

$(ASM_OFFSETS): hypervisor/arch/x86/asm-offsets.c
	@mkdir -p $(dir $@) $(BUILD)/obj
	$(Q)$(CC) $(KCFLAGS) -MF $(BUILD)/obj/asm-offsets.d -MT $@ -S -o $(BUILD)/obj/asm-offsets.s $<
	$(Q)sed -n 's/^.*@@@ \([A-Z_0-9]*\) [$$]*\(-*[0-9]*\).*$$/#define \1 \2/p' $(BUILD)/obj/asm-offsets.s > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/obj/%.o: %.c | $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.S | $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c -o $@ $<

$(BUILD)/linker.lds: linker.ld hypervisor/arch/x86/include/arch/memlayout.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ $(INCLUDES) -o $@ $<

$(HV_ELF): $(HV_OBJS) $(BUILD)/linker.lds
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T $(BUILD)/linker.lds -o $@ $(HV_OBJS)

include boot/iso.mk
include boot/emulators.mk
include guest-stubs/guests.mk
include iovm/iovm.mk
include tests/tests.mk

size: $(HV_ELF)
	@size -A $(HV_ELF) | awk '$$1 ~ /^\.(boot|text|rodata|data|bss)$$/ {printf "%-8s %8d bytes\n", $$1, $$2}'
	@echo "ring-0 source: $$(cat $(HV_C_SRCS) $(HV_S_SRCS) $$(find hypervisor -name '*.h') | grep -cv '^\s*\(//.*\|/\?\*.*\)\?$$') non-blank, non-comment-start lines"

# Debian packages the build, the ISO and the emulators need: "command-or-file package".
DEPS := gcc:gcc make:make python3:python3 grub-mkrescue:grub-common \
	/usr/lib/grub/i386-pc/multiboot2.mod:grub-pc-bin xorriso:xorriso mformat:mtools \
	qemu-system-x86_64:qemu-system-x86 bochs:bochs /usr/share/bochs/BIOS-bochs-latest:bochsbios \
	/usr/share/vgabios/vgabios.bin:vgabios /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so:bochs-term \
	gdb:gdb
deps:
	@missing=""; for d in $(DEPS); do \
		what=$${d%%:*}; pkg=$${d##*:}; \
		case $$what in /*) [ -e $$what ] ;; *) command -v $$what >/dev/null 2>&1 ;; esac || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing >/dev/null || \
		{ echo "deps: apt-get failed for:$$missing"; exit 1; }; \
	fi

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
