# tests/target/target.mk - the on-target test suites (tests/target/suite.c, and
# tests/target/regime.c for the translation regimes) in QEMU.
#
#   make test-target                 every board in boards/, and qemu-virt entered at EL1,
#                                    EL2 (virtualization=on), EL3 (secure=on) and with
#                                    -cpu max (root level 3); then the regime suite at
#                                    each entry EL with a second core (run-matrix.sh
#                                    lists them), and the C++ suite (tests/target/cxx.mk,
#                                    run-cxx.sh --configs), and the guard-rails suite
#                                    (tests/target/guard.mk, run-guard.sh --configs);
#                                    each built with GNU and with LLVM; the
#                                    last line is "N passed, M failed, K skipped"
#                                    over all cases (exit status 0 iff none failed)
#   make test-target BOARD=<b>       the same for one board
#   make target-suite [BOARD=<b>] [LLVM=1] build only: build/<b>[-llvm]/tests/target/
#   make regime-suite [BOARD=<b>] [LLVM=1] build only the regime suite (tests/target/regime.c,
#                                    run at the entry EL; at EL2 also regime_stage2.c and its
#                                    guest, s2_guest.S): build/<b>[-llvm]/tests/target-regime/
#
# TARGET_QEMU_TIMEOUT=<s> bounds each run (default 20; a run takes well under a
# second, so only a hung guest reaches it). Logs: build/target-logs/.
# Under `make test` every run is also recorded as one step (tools/run_step.sh).

include examples/common/common.mk
include tests/target/check.mk

TARGET_QEMU_TIMEOUT ?= 20

.PHONY: test-target target-suite regime-suite

# Code pages in qemu-virt's flash for the AT checks of root levels 2 and 3 (RAM starts
# at 1 GiB there, outside such maps; see at_trampoline.S). Flash 1 (0x04000000) is
# non-secure on every virt variant; flash 0 (under 2 MiB, for root level 3) only
# without secure=on.
TARGET_SUITE_LOWTEXT_qemu-virt := -DLOWTEXT_A_ADDR=0x04000000 -DLOWTEXT_B_ADDR=0x00100000

ifneq ($(strip $(BOARD)),)
TARGET_SUITE_DIR := $(BUILD)/tests/target
TARGET_SUITE_ELF := $(TARGET_SUITE_DIR)/target-suite.elf

$(eval $(call bm_image,target-suite,$(TARGET_SUITE_DIR),tests/target/suite.c $(TARGET_C_CHECK_SRCS) tests/target/at_trampoline.S,$(TARGET_SUITE_LOWTEXT_$(BOARD))))

target-suite: $(TARGET_SUITE_ELF)

# The regime suite: the same runtime built to stay at the entry EL (EL1, EL2 or EL3) and
# run bm_main there, with the vector tables of EL2 and EL3 and a second core.
REGIME_SUITE_DIR := $(BUILD)/tests/target-regime
REGIME_SUITE_ELF := $(REGIME_SUITE_DIR)/regime-suite.elf

$(eval $(call bm_image,regime-suite,$(REGIME_SUITE_DIR),tests/target/regime.c tests/target/regime_stage2.c tests/target/s2_guest.S $(TARGET_EL_CHECK_SRCS) tests/target/regime_cpu.S,-DBM_STAY_AT_ENTRY_EL))

regime-suite: $(REGIME_SUITE_ELF)
else
target-suite regime-suite:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif

# Only the boards named on the command line (BOARD=...), else all of them.
TARGET_TEST_BOARDS := $(if $(filter command line environment,$(origin BOARD)),$(BOARD),$(BOARDS))

test-target: $(call needs,$(TARGET_TEST_NEEDS))
	@MAKE="$(MAKE)" QEMU_TIMEOUT=$(TARGET_QEMU_TIMEOUT) tests/target/run-matrix.sh $(TARGET_TEST_BOARDS)
