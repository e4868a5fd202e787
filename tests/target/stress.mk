# tests/target/stress.mk - the stress suite (tests/target/stress.c, issue 14): one core
# changes a live map through the library (permissions, unmaps, new mappings and tables)
# while the other cores load, store and execute in it and report every fault; after a
# change returns no core may observe the old translation. In QEMU with -smp 4 and a host
# thread per core (-accel tcg,thread=multi), at the EL QEMU enters.
#
#   make stress-suite BOARD=<b> [LLVM=1]   build only: build/<b>[-llvm]/tests/target-stress/stress-suite.elf
#   make test-stress [BOARD=<b>]           build with GNU and LLVM and run it on the
#                                          configurations of tests/target/run-stress.sh;
#                                          the last line is "N passed, M failed"
#
# STRESS_SECONDS=<s> (default 3) bounds each run's changes in time (and 4000 a second
# their number); a longer soak wants TARGET_QEMU_TIMEOUT raised with it.
# make test-target runs the same configurations among its own (tests/target/run-matrix.sh).

include examples/common/common.mk
include tests/target/check.mk

STRESS_SECONDS ?= 3

.PHONY: stress-suite test-stress

ifneq ($(strip $(BOARD)),)
STRESS_SUITE_DIR := $(BUILD)/tests/target-stress
STRESS_SUITE_ELF := $(STRESS_SUITE_DIR)/stress-suite.elf

# Runs at the entry EL, with that EL's vector table, and starts the other cores.
$(eval $(call bm_image,stress-suite,$(STRESS_SUITE_DIR),tests/target/stress.c $(TARGET_EL_CHECK_SRCS) tests/target/regime_cpu.S,-DBM_STAY_AT_ENTRY_EL -DSTRESS_SECONDS=$(STRESS_SECONDS)))

stress-suite: $(STRESS_SUITE_ELF)
else
stress-suite:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif

# The boards named on the command line (BOARD=...), else all of them.
STRESS_TEST_BOARDS = $(if $(filter command line environment,$(origin BOARD)),$(BOARD),$(BOARDS))

test-stress: $(call needs,$(TARGET_TEST_NEEDS))
	@MAKE="$(MAKE)" QEMU_TIMEOUT=$(or $(TARGET_QEMU_TIMEOUT),20) tests/target/run-stress.sh $(STRESS_TEST_BOARDS)
