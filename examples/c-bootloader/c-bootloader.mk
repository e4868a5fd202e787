# examples/c-bootloader/c-bootloader.mk - the C bootloader demo, and the loader that starts Linux.
#
#   make run [BOARD=<b>] [LLVM=1]    build libidmap.a and the demo for the board (default
#                                    qemu-virt) and boot it in QEMU; QEMU's exit status
#                                    is the result (0: every check passed)
#   make c-bootloader BOARD=<b>      build only: build/<b>[-llvm]/examples/c-bootloader/
#   make run-linux [LLVM=1]          qemu-virt only: the loader linux.c starts Debian's arm64
#                                    Linux kernel at EL2 on tables the library built, with
#                                    init.c as the initramfs's /init; passes when QEMU exits 0
#                                    with Linux's "Run /init as init process" and init's line
#                                    on the console (tests/target/run-linux.sh)
#   make linux-loader                build only: the loader and the initramfs,
#                                    build/qemu-virt[-llvm]/examples/linux-loader/
#   make linux-kernel                fetch the kernel once, into a cache outside the tree
#                                    (tools/linux-kernel.sh; make deps does it too)
#
# QEMU_TIMEOUT=<s> (default 60) bounds the run; a hung guest is reported and fails (a
# kernel that panics hangs). LINUX_IMAGE=<Image> boots that kernel instead of Debian's.

include examples/common/common.mk

.PHONY: run c-bootloader run-linux linux-loader linux-kernel

# Where QEMU's -device loader puts the Image and the initramfs, in the 512 MiB of RAM from
# 0x40000000 that run-linux gives: clear of the devicetree (at 0x40000000), the loader
# (BOARD_LOAD_ADDR) and where it places the kernel (the next 2 MiB boundary, image_size
# about 32 MiB), and of each other.
LINUX_IMAGE_LOAD   := 0x48000000
LINUX_INITRD_LOAD  := 0x4c000000
LINUX_QEMU_MACHINE := -M virt,virtualization=on -cpu cortex-a57 -m 512

linux-kernel:
	@image=$$(tools/linux-kernel.sh) && echo "run-linux's kernel: $$image"

ifneq ($(strip $(BOARD)),)
C_BOOTLOADER_DIR := $(BUILD)/examples/c-bootloader
C_BOOTLOADER_ELF := $(C_BOOTLOADER_DIR)/c-bootloader.elf

$(eval $(call bm_image,c-bootloader,$(C_BOOTLOADER_DIR),examples/c-bootloader/main.c,))

c-bootloader: $(C_BOOTLOADER_ELF)

run: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(C_BOOTLOADER_ELF)
	@echo "== booting $(C_BOOTLOADER_ELF) on $(QEMU_MACHINE) (timeout $(QEMU_TIMEOUT) s)"
	@$(BM_QEMU_RUN) --timeout $(QEMU_TIMEOUT) -- $(QEMU_MACHINE) -kernel $(C_BOOTLOADER_ELF)

ifeq ($(BOARD),qemu-virt)
LINUX_DIR        := $(BUILD)/examples/linux-loader
LINUX_LOADER_ELF := $(LINUX_DIR)/linux-loader.elf
LINUX_INIT       := $(LINUX_DIR)/init
LINUX_INITRAMFS  := $(LINUX_DIR)/initramfs.cpio

# The loader stays at the entry EL, EL2, to start Linux there.
$(eval $(call bm_image,linux-loader,$(LINUX_DIR),examples/c-bootloader/linux.c $(BM_LINUX_SRCS),-DBM_STAY_AT_ENTRY_EL -DLINUX_IMAGE_LOAD=$(LINUX_IMAGE_LOAD)))

# /init: a Linux program, static and without libc, from the target compiler and linker.
$(LINUX_INIT): examples/c-bootloader/init.c $(LINUX_DIR)/flags.stamp
	$(call quiet,CC,$<)$(TARGET_CC) $(TARGET_CFLAGS) -fno-pie -fno-stack-protector -c $< -o $@.o
	$(call quiet,LD,$@)$(TARGET_LD) $(TARGET_LDFLAGS) -e _start -o $@ $@.o

$(LINUX_INITRAMFS): $(LINUX_INIT) tools/initramfs.sh
	$(call quiet,GEN,$@)tools/initramfs.sh $< $@

linux-loader: $(LINUX_LOADER_ELF) $(LINUX_INITRAMFS)

run-linux: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(LINUX_LOADER_ELF) $(LINUX_INITRAMFS)
	@image=$(or $(LINUX_IMAGE),$$(tools/linux-kernel.sh)) && \
		tests/target/run-linux.sh --timeout $(QEMU_TIMEOUT) --log $(LINUX_DIR)/boot.log \
		$(LINUX_LOADER_ELF) "$$image" $(LINUX_IMAGE_LOAD) $(LINUX_INITRAMFS) $(LINUX_INITRD_LOAD) \
		-- $(LINUX_QEMU_MACHINE)
else
run-linux linux-loader:
	$(error make $@ is for qemu-virt only, not BOARD=$(BOARD))
endif
else
c-bootloader run run-linux linux-loader:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
