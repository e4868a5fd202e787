# examples/hypervisor/hypervisor.mk - the EL2 hypervisor that runs Linux at EL1 on a
# stage-2 map the library built.
#
#   make run-hypervisor [LLVM=1]     qemu-virt only: examples/hypervisor/ starts Debian's
#                                    arm64 Linux (run-linux's kernel and initramfs) at EL1
#                                    on two cores under stage 2; passes when QEMU exits 0
#                                    with Linux's "Run /init as init process", "SMP: Total
#                                    of 2 processors activated." and init's line on the
#                                    console (tests/target/run-hypervisor.sh)
#   make hypervisor                  build only: build/qemu-virt[-llvm]/examples/hypervisor/
#
# QEMU_TIMEOUT=<s> (default 60) bounds the run; LINUX_IMAGE=<Image> boots that kernel.

include examples/common/common.mk

.PHONY: run-hypervisor hypervisor

# The top 2 MiB of the 512 MiB of RAM that run-hypervisor gives: the hypervisor's
# image, tables and stacks, which the guest's /memory and stage 2 leave out. The link
# fails if the image outgrows them (BM_IMAGE_LIMIT).
HYPERVISOR_LOAD  := 0x5fe00000
HYPERVISOR_LIMIT := 0x60000000
HYPERVISOR_QEMU_MACHINE := -M virt,virtualization=on -cpu cortex-a57 -smp 2 -m 512

# From c-bootloader.mk, included before this (the fragments come in sorted order):
# LINUX_IMAGE_LOAD, LINUX_INITRD_LOAD, LINUX_INITRAMFS and its rules. HYPERVISOR_LOAD is
# a define too so that the flags stamp sees it change.
ifeq ($(BOARD),qemu-virt)
HYPERVISOR_DIR := $(BUILD)/examples/hypervisor
HYPERVISOR_ELF := $(HYPERVISOR_DIR)/hypervisor.elf
HYPERVISOR_SRCS := $(addprefix examples/hypervisor/,hypervisor.c guest_map.c vcpu.c traps.c dirty_log.c) $(BM_LINUX_SRCS)

$(eval $(call bm_image,hypervisor,$(HYPERVISOR_DIR),$(HYPERVISOR_SRCS),-DBM_STAY_AT_ENTRY_EL -DLINUX_IMAGE_LOAD=$(LINUX_IMAGE_LOAD) -DBM_IMAGE_LIMIT=$(HYPERVISOR_LIMIT) -DHYPERVISOR_LOAD=$(HYPERVISOR_LOAD),$(HYPERVISOR_LOAD)))

hypervisor: $(HYPERVISOR_ELF) $(LINUX_INITRAMFS)

run-hypervisor: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(HYPERVISOR_ELF) $(LINUX_INITRAMFS)
	@image=$(or $(LINUX_IMAGE),$$(tools/linux-kernel.sh)) && \
		tests/target/run-hypervisor.sh --timeout $(QEMU_TIMEOUT) --log $(HYPERVISOR_DIR)/boot.log \
		$(HYPERVISOR_ELF) "$$image" $(LINUX_IMAGE_LOAD) $(LINUX_INITRAMFS) $(LINUX_INITRD_LOAD) \
		-- $(HYPERVISOR_QEMU_MACHINE)
else ifneq ($(strip $(BOARD)),)
run-hypervisor hypervisor:
	$(error make $@ is for qemu-virt only, not BOARD=$(BOARD))
else
run-hypervisor hypervisor:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
