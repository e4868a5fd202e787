# examples/cpp-kernel/cpp-kernel.mk - the C++ kernel demo (the C++ API, no C facade).
#
#   make run-cpp-kernel [BOARD=<b>] [LLVM=1]   build and boot it in QEMU; QEMU's exit
#                                              status is the result (0: every check passed)
#   make cpp-kernel BOARD=<b>                  build only: build/<b>[-llvm]/examples/cpp-kernel/

include examples/common/common.mk

.PHONY: run-cpp-kernel cpp-kernel

ifneq ($(strip $(BOARD)),)
CPP_KERNEL_DIR := $(BUILD)/examples/cpp-kernel
CPP_KERNEL_ELF := $(CPP_KERNEL_DIR)/cpp-kernel.elf

$(eval $(call bm_image,cpp-kernel,$(CPP_KERNEL_DIR),examples/cpp-kernel/kernel.cpp,))

cpp-kernel: $(CPP_KERNEL_ELF)

run-cpp-kernel: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(CPP_KERNEL_ELF)
	@echo "== booting $(CPP_KERNEL_ELF) on $(QEMU_MACHINE) (timeout $(QEMU_TIMEOUT) s)"
	@$(BM_QEMU_RUN) --timeout $(QEMU_TIMEOUT) -- $(QEMU_MACHINE) -kernel $(CPP_KERNEL_ELF)
else
cpp-kernel run-cpp-kernel:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
