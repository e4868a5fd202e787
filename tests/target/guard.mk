# tests/target/guard.mk - the guard-rails suite (tests/target/guard.c, issue 8): the
# pre-flight check refusing maps that would stop the CPU (MMU off and on), a sealed map
# refusing to widen, the exported regions and UEFI list against AT, the linter over the
# live tables, the errata policy, guarded code (FEAT_BTI, branch targets in
# tests/target/bti_page.S) - in QEMU, at the EL QEMU enters (its regime).
#
#   make guard-suite BOARD=<b> [LLVM=1]   build only: build/<b>[-llvm]/tests/target-guard/guard-suite.elf
#   make test-guard [BOARD=<b>]           build with GNU and LLVM and run it on the
#                                         configurations tests/target/run-guard.sh lists;
#                                         the last line is "N passed, M failed, K skipped"
#
# make test-target runs the same configurations among its own (tests/target/run-matrix.sh).

include examples/common/common.mk
include tests/target/check.mk

.PHONY: guard-suite test-guard

ifneq ($(strip $(BOARD)),)
GUARD_SUITE_DIR := $(BUILD)/tests/target-guard
GUARD_SUITE_ELF := $(GUARD_SUITE_DIR)/guard-suite.elf

# Runs at the entry EL (EL1, EL2 or EL3), with that EL's vector table.
$(eval $(call bm_image,guard-suite,$(GUARD_SUITE_DIR),tests/target/guard.c tests/target/bti_page.S $(TARGET_EL_CHECK_SRCS),-DBM_STAY_AT_ENTRY_EL))

guard-suite: $(GUARD_SUITE_ELF)
else
guard-suite:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif

# The boards named on the command line (BOARD=...), else all of them.
GUARD_TEST_BOARDS = $(if $(filter command line environment,$(origin BOARD)),$(BOARD),$(BOARDS))

test-guard: $(call needs,$(TARGET_TEST_NEEDS))
	@MAKE="$(MAKE)" QEMU_TIMEOUT=$(or $(TARGET_QEMU_TIMEOUT),20) tests/target/run-guard.sh $(GUARD_TEST_BOARDS)
