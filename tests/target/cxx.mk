# tests/target/cxx.mk - the C++ target suite (tests/target/cxx_suite.cpp, issue 7): tables
# built at compile time (build_id_tables) and booted with, the 16 KiB and 64 KiB granules,
# the contiguous hint - in QEMU, through the library's C++ API only.
#
#   make cxx-suite BOARD=<b> [LLVM=1]   build only: build/<b>[-llvm]/tests/target-cxx/cxx-suite.elf
#   make test-target-cxx [BOARD=<b>]    build with GNU and LLVM and run it on the
#                                       configurations of tests/target/run-cxx.sh; the
#                                       last line is "N passed, M failed, K skipped"
#
# make test-target runs the same configurations among its own (tests/target/run-matrix.sh).
# The image has a fixed layout (tests/target/cxx_layout.h, tests/target/cxx-suite.ld.S):
# its memory map, and so its tables, are known at compile time.

include examples/common/common.mk
include tests/target/check.mk

.PHONY: cxx-suite test-target-cxx

ifneq ($(strip $(BOARD)),)
CXX_SUITE_DIR  := $(BUILD)/tests/target-cxx
CXX_SUITE_ELF  := $(CXX_SUITE_DIR)/cxx-suite.elf
CXX_SUITE_SRCS := $(BM_COMMON_SRCS) tests/target/cxx_suite.cpp $(TARGET_CHECK_SRCS)
CXX_SUITE_OBJS := $(call objs,$(CXX_SUITE_DIR),$(CXX_SUITE_SRCS))
# The layout's addresses come from the board's load address.
CXX_SUITE_CPPFLAGS := -DCXX_LOAD_ADDR=$(BOARD_LOAD_ADDR) -Itests/target
CXX_SUITE_CXXFLAGS  = $(TARGET_CXXFLAGS) -fno-pie -fno-stack-protector $(BOARD_INCLUDES) -I$(BM_COMMON_DIR) \
	$(CXX_SUITE_CPPFLAGS)

$(CXX_SUITE_DIR)/obj/%.c.o: %.c $(CXX_SUITE_DIR)/flags.stamp
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(TARGET_CC) $(BM_CFLAGS) $(if $(filter $(BM_COMMON_DIR)/libc.c,$<),-fno-builtin) -MMD -MP -c $< -o $@

$(CXX_SUITE_DIR)/obj/%.S.o: %.S $(CXX_SUITE_DIR)/flags.stamp
	@mkdir -p $(@D)
	$(call quiet,AS,$<)$(TARGET_CC) $(BM_ASFLAGS) -MMD -MP -c $< -o $@

$(CXX_SUITE_DIR)/obj/%.cpp.o: %.cpp $(CXX_SUITE_DIR)/flags.stamp
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(TARGET_CXX) $(CXX_SUITE_CXXFLAGS) -MMD -MP -c $< -o $@

$(CXX_SUITE_DIR)/cxx-suite.ld: tests/target/cxx-suite.ld.S tests/target/cxx_layout.h $(BM_LD_SECTIONS) $(CXX_SUITE_DIR)/flags.stamp
	@mkdir -p $(@D)
	$(call quiet,LDS,$@)$(TARGET_CC) -E -P -undef -x c -Itests/target -I$(BM_COMMON_DIR) -DLOAD_ADDR=$(BOARD_LOAD_ADDR) -DSTACK_SIZE=$(BM_STACK_SIZE) $< -o $@

$(CXX_SUITE_ELF): $(CXX_SUITE_OBJS) $(CXX_SUITE_DIR)/cxx-suite.ld $(LIB)
	$(call quiet,LD,$@)$(TARGET_LD) $(TARGET_LDFLAGS) -T $(CXX_SUITE_DIR)/cxx-suite.ld -Map $(CXX_SUITE_DIR)/cxx-suite.map \
		-o $@ $(CXX_SUITE_OBJS) $(LIB)

$(CXX_SUITE_DIR)/flags.stamp: FORCE | $(call needs,$(TARGET_COMMANDS))
	@mkdir -p $(@D)
	@printf '%s\n' '$(TARGET_CC) $(BM_CFLAGS)' '$(TARGET_CXX) $(CXX_SUITE_CXXFLAGS)' '$(TARGET_LD) $(TARGET_LDFLAGS)' | \
		cmp -s - $@ || \
		printf '%s\n' '$(TARGET_CC) $(BM_CFLAGS)' '$(TARGET_CXX) $(CXX_SUITE_CXXFLAGS)' '$(TARGET_LD) $(TARGET_LDFLAGS)' > $@

-include $(patsubst %.o,%.d,$(CXX_SUITE_OBJS))

cxx-suite: $(CXX_SUITE_ELF)
else
cxx-suite:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif

test-target-cxx: $(call needs,$(TARGET_TEST_NEEDS))
	@MAKE="$(MAKE)" QEMU_TIMEOUT=$(TARGET_QEMU_TIMEOUT) tests/target/run-cxx.sh \
		$(if $(filter command line environment,$(origin BOARD)),$(BOARD),$(BOARDS))
