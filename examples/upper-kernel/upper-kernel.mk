# examples/upper-kernel/upper-kernel.mk - the upper-half kernel demo: an identity map in
# TTBR0 and a linear map of RAM in TTBR1 (the C++ API).
#
#   make run-upper-kernel [BOARD=<b>] [LLVM=1]   build and boot it in QEMU; QEMU's exit
#                                                status is the result (0: every check passed)
#   make upper-kernel BOARD=<b>                  build only: build/<b>[-llvm]/examples/upper-kernel/

include examples/common/common.mk

.PHONY: run-upper-kernel upper-kernel

ifneq ($(strip $(BOARD)),)
UPPER_KERNEL_DIR := $(BUILD)/examples/upper-kernel
UPPER_KERNEL_ELF := $(UPPER_KERNEL_DIR)/upper-kernel.elf

$(eval $(call bm_image,upper-kernel,$(UPPER_KERNEL_DIR),examples/upper-kernel/kernel.cpp,))

upper-kernel: $(UPPER_KERNEL_ELF)

run-upper-kernel: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(UPPER_KERNEL_ELF)
	@echo "== booting $(UPPER_KERNEL_ELF) on $(QEMU_MACHINE) (timeout $(QEMU_TIMEOUT) s)"
	@$(BM_QEMU_RUN) --timeout $(QEMU_TIMEOUT) -- $(QEMU_MACHINE) -kernel $(UPPER_KERNEL_ELF)
else
upper-kernel run-upper-kernel:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
