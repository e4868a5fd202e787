# examples/c-bootloader/c-bootloader.mk - the C bootloader demo.
#
#   make run [BOARD=<b>] [LLVM=1]    build libidmap.a and the demo for the board (default
#                                    qemu-virt) and boot it in QEMU; QEMU's exit status
#                                    is the result (0: every check passed)
#   make c-bootloader BOARD=<b>      build only: build/<b>[-llvm]/examples/c-bootloader/
#
# QEMU_TIMEOUT=<s> (default 60) bounds the run; a hung guest is reported and fails.

include examples/common/common.mk

.PHONY: run c-bootloader

ifneq ($(strip $(BOARD)),)
C_BOOTLOADER_DIR := $(BUILD)/examples/c-bootloader
C_BOOTLOADER_ELF := $(C_BOOTLOADER_DIR)/c-bootloader.elf

$(eval $(call bm_image,c-bootloader,$(C_BOOTLOADER_DIR),examples/c-bootloader/main.c,))

c-bootloader: $(C_BOOTLOADER_ELF)

run: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(C_BOOTLOADER_ELF)
	@echo "== booting $(C_BOOTLOADER_ELF) on $(QEMU_MACHINE) (timeout $(QEMU_TIMEOUT) s)"
	@$(BM_QEMU_RUN) --timeout $(QEMU_TIMEOUT) -- $(QEMU_MACHINE) -kernel $(C_BOOTLOADER_ELF)
else
c-bootloader run:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
