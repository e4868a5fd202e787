# Makefile - builds libidmap for the host and for every board, and runs the tests.
#
# Targets; BOARD=<b> picks a board (default qemu-virt), LLVM=1 builds with clang and ld.lld,
# V=1 prints the commands. `make help` prints this list.
#   make                          the host library, unit tests, C99 programs, tools (build/host/)
#   make BOARD=<b> [LLVM=1]       a board's library: build/<b>[-llvm]/libidmap.a
#   make boards [LLVM=1]          every board's library (boards/*/)
#   make run [BOARD=<b>]          boot the C bootloader demo in QEMU (exit status: its result)
#   make run-cpp-kernel [BOARD=<b>]       boot the C++ kernel demo (the C++ API only) in QEMU
#   make run-upper-kernel [BOARD=<b>]     boot the upper-half kernel demo (RAM again in TTBR1) in QEMU
#   make image-boot-example [BOARD=<b>]   boot firmware whose tables idmap-image built, in QEMU
#   make run-linux [LLVM=1]       qemu-virt: the C loader starts Debian's arm64 Linux at EL2
#                                 on tables the library built; passes when our /init runs
#                                 and powers off (the kernel fetched once, outside the tree)
#   make run-hypervisor [LLVM=1]  Linux at EL1, 2 cores, under a C hypervisor on our stage 2; build: make hypervisor
#   make c-bootloader [BOARD=<b>] build the C demo's image only
#   make cpp-kernel [BOARD=<b>]   build the C++ demo's image only
#   make upper-kernel [BOARD=<b>] build the upper-half demo's image only
#   make linux-loader             build run-linux's loader and initramfs only
#   make linux-kernel             fetch run-linux's kernel (tools/linux-kernel.sh) and print its path
#   make check                    before a commit: unit tests, C99 programs, one QEMU boot
#   make test                     every test; ends with "N passed, M failed, K skipped"
#   make test-target [BOARD=<b>]  the QEMU suites on each board, entry EL and toolchain
#   make test-target-cxx [BOARD=<b>]      the C++ QEMU suite only
#   make test-guard [BOARD=<b>]   the guard-rails QEMU suite only
#   make test-image               idmap-image's checks, and its firmware booted in QEMU
#   make target-suite [BOARD=<b>] build the C target suite's image only (QEMU runs: test-target)
#   make regime-suite [BOARD=<b>] build the regime suite's image only
#   make cxx-suite [BOARD=<b>]    build the C++ suite's image only
#   make guard-suite [BOARD=<b>]  build the guard-rails suite's image only
#   make image-boot [BOARD=<b>]   build the idmap-image firmware images only
#   make sanitize                 the unit tests and C99 programs under ASan and UBSan
#   make valgrind                 the C99 programs under valgrind memcheck
#   make tidy                     clang-tidy on the library, host and board builds
#   make cppcheck                 cppcheck on the library, host and board builds
#   make lint                     tidy and cppcheck
#   make fuzz [FUZZ_SECONDS=60]   the libFuzzer target, from the seeds in fuzz/corpus/
#   make fuzz-size [FUZZ_SECONDS=60]      the same over the size build (-Os) of the library
#   make fuzz-replay              every seed once, no fuzzing
#   make fuzz-long [FUZZ_RUNS=10000000]   fuzz for that many inputs, a progress line a minute
#   make bench [BENCH_ARGS=...]   the host benchmark: time per call of each workload, the
#                                 speed build (-O2); make bench-size: the size build (-Os)
#   make bench-both               both builds, each workload in turn, with their ratio
#   make bench-callgrind          the same workloads' instructions per call (valgrind)
#   make size [LLVM=1]            each board's .a, and what a program calling the C ABI links
#   make idmap-image              the host tool that builds a board's tables at build time
#   make map-svg                  docs/qemu-virt-map.svg, the README's picture of a memory map
#   make docs                     the API reference (Doxygen): build/docs/html/index.html
#   make install PREFIX=dir [BOARD=<b>]   headers, .a, pkg-config file, CMake package
#   make deps                     install every tool make test uses (apt-get: as root, or sudo),
#                                 and fetch the kernel of run-linux
#   make clean                    remove build/
#   make help                     this list
#
# Fragments included at the end (examples/*.mk, examples/*/*.mk, tests/target/*.mk,
# bench/*.mk) may use every variable defined above them; the list is in the
# "Fragments" section.

.DEFAULT_GOAL := all
SHELL := /bin/bash
.SUFFIXES:
.DELETE_ON_ERROR:

include toolchain.mk

# The source lists and the version (read from include/idmap.h) come from idmap.mk, the
# fragment other projects include to build the library themselves.
IDMAP_DIR := .
include idmap.mk
VERSION := $(IDMAP_VERSION)
PREFIX  ?= /usr/local

BUILD_ROOT := build
BOARDS := $(sort $(patsubst boards/%/board.mk,%,$(wildcard boards/*/board.mk)))
BOARD_VARIABLES := BOARD_CPU_FLAGS BOARD_POOL_PAGES BOARD_MAX_MAPS BOARD_LOAD_ADDR QEMU_MACHINE

INCLUDES := -Iinclude -Isrc

# Sources (wildcards: new files are picked up without editing this file).
LIB_SRCS         := $(IDMAP_CORE_SRCS)
HOST_ARCH_SRCS   := $(IDMAP_HOST_ARCH_SRCS)
TARGET_ARCH_SRCS := $(IDMAP_AARCH64_SRCS)
TEST_SRCS        := $(sort $(wildcard tests/*.cpp))
C_TEST_SRCS      := $(sort $(wildcard tests/c/*.c))
C_TEST_NAMES     := $(basename $(notdir $(C_TEST_SRCS)))
PUBLIC_HEADERS   := include/idmap.h
PUBLIC_CXX_HEADERS := $(sort $(wildcard include/aarch64_paging/*.hpp))
# The public headers with examples in their comments (@code), which make test builds.
EXAMPLE_HEADERS = $(shell grep -l '@code' $(PUBLIC_HEADERS) $(PUBLIC_CXX_HEADERS))

# Runs make sub-builds with -j2 unless the caller already gave -j (then the jobserver
# is shared). Recursively expanded on purpose: MAKEFLAGS has -j only in recipes.
# Recipes that run make write $(MAKE) literally, so that make hands them the jobserver.
PAR = $(if $(filter -j% --jobserver%,$(MAKEFLAGS)),,-j2)
MAKEFLAGS += --no-print-directory

# $(call objs,build-dir,sources): one object per source, keeping the extension so
# foo.cpp and foo.S never collide.
objs = $(patsubst %,$(1)/obj/%.o,$(2))

# Build output: one short line a step, as Linux and TF-A print it; V=1 prints the
# commands instead. $(call quiet,WHAT,file) starts a recipe line that runs a command:
#   $(call quiet,CXX,$<)$(HOST_CXX) ... -c $< -o $@      prints "  CXX     src/mapping.cpp"
ifeq ($(strip $(V)),1)
quiet =
else
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

# $(call needs,TOOL...): a target that installs what of the tools is missing, silent when
# all are there (tools/deps.sh: commands, catch2, libfuzzer; options such as --target=
# are dropped, so $(TARGET_CC) will do). Every rule that runs a tool has it as a
# prerequisite: order-only on each build directory's flags.stamp, so that it comes first.
# The target is a path, deps/TOOL/TOOL/..., as no file name may be that long.
empty :=
space := $(empty) $(empty)
needs = deps/$(subst $(space),/,$(sort $(filter-out -%,$(1))))
deps/%:
	@tools/deps.sh --install $(subst /, ,$*)

# $(call lib_rules,build-dir,c++ compiler,c++ flags,asm compiler,asm flags,sources,ar)
# Rules for build-dir/libidmap.a. build-dir/flags.stamp holds the flags and the source
# list, so that changing either (OPT=..., a deleted file) rebuilds what depends on it.
define lib_rules
$(1)/libidmap.a: $(call objs,$(1),$(6)) $(1)/flags.stamp
	@rm -f $$@
	$$(call quiet,AR,$$@)$(7) rcs $$@ $(call objs,$(1),$(6))

$(1)/obj/%.cpp.o: %.cpp $(1)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,CXX,$$<)$(2) $(3) -MMD -MP -c $$< -o $$@

$(1)/obj/%.S.o: %.S $(1)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,AS,$$<)$(4) $(5) -MMD -MP -c $$< -o $$@

$(1)/flags.stamp: FORCE | $(call needs,$(2) $(4) $(7))
	@mkdir -p $$(@D)
	@printf '%s\n' '$(2) $(3)' '$(4) $(5)' '$(6)' '$(7)' | cmp -s - $$@ || \
		printf '%s\n' '$(2) $(3)' '$(4) $(5)' '$(6)' '$(7)' > $$@

-include $(patsubst %.o,%.d,$(call objs,$(1),$(6)))
endef

# ---------------------------------------------------------------------------------
# Host: the library (links into a C program with no C++ runtime), unit tests, C99
# programs. Defined whatever BOARD says, so that `make test` works from any make.

HOST_BUILD     := $(BUILD_ROOT)/host
HOST_SAN_BUILD := $(BUILD_ROOT)/host-san
# The core and the tests at -Os: the size build's walks (include/aarch64_paging/tuning.hpp).
HOST_SIZE_BUILD := $(BUILD_ROOT)/host-size
HOST_LIB       := $(HOST_BUILD)/libidmap.a
HOST_SAN_LIB   := $(HOST_SAN_BUILD)/libidmap.a
HOST_UNIT      := $(HOST_BUILD)/tests/unit
HOST_SAN_UNIT  := $(HOST_SAN_BUILD)/tests/unit
HOST_SIZE_UNIT := $(HOST_SIZE_BUILD)/tests/unit
C_TEST_BINS    := $(C_TEST_NAMES:%=$(HOST_BUILD)/c/%)

HOST_LIB_CXXFLAGS := -std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -nostdinc++ -fno-asynchronous-unwind-tables \
	-DIDMAP_HOST=1 $(INCLUDES)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -g
# GCC documents that sanitizers cause false -Wmaybe-uninitialized warnings (GCC 12 has
# them in libstdc++'s <regex>, which Catch2 uses); the plain build keeps that warning.
HOST_CXX_IS_CLANG := $(findstring clang,$(shell $(HOST_CXX) --version 2>/dev/null))
SAN_COMPILE_FLAGS := $(SAN_FLAGS) $(if $(HOST_CXX_IS_CLANG),,-Wno-maybe-uninitialized)
TEST_CXXFLAGS := -std=c++17 -O1 -g -Wall -Wextra -Werror -DIDMAP_HOST=1 $(INCLUDES)
# The exact compile line a C user has: nothing but the .a on the link line.
C_TEST_CFLAGS := -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude
# Everything a host C program may need from libc; anything else (libstdc++,
# libsupc++, __cxa_*, operator new, _Unwind_*) fails the symbol check.
HOST_ALLOWED_SYMBOLS := aligned_alloc free malloc memset memcpy memmove memcmp

HOST_LIB_SRCS := $(LIB_SRCS) $(HOST_ARCH_SRCS)

$(eval $(call lib_rules,$(HOST_BUILD),$(HOST_CXX),$(HOST_LIB_CXXFLAGS),$(HOST_CC),$(HOST_LIB_CXXFLAGS),$(HOST_LIB_SRCS),$(HOST_AR)))
$(eval $(call lib_rules,$(HOST_SAN_BUILD),$(HOST_CXX),$(HOST_LIB_CXXFLAGS) $(SAN_COMPILE_FLAGS),$(HOST_CC),$(HOST_LIB_CXXFLAGS) $(SAN_COMPILE_FLAGS),$(HOST_LIB_SRCS),$(HOST_AR)))
$(eval $(call lib_rules,$(HOST_SIZE_BUILD),$(HOST_CXX),$(HOST_LIB_CXXFLAGS) -Os,$(HOST_CC),$(HOST_LIB_CXXFLAGS) -Os,$(HOST_LIB_SRCS),$(HOST_AR)))

# $(call test_rules,build-dir,extra compile flags,extra link flags)
define test_rules
$(1)/tests/unit: $(call objs,$(1)/tests,$(TEST_SRCS)) $(1)/libidmap.a
	$$(call quiet,LD,$$@)$(HOST_CXX) $(3) -o $$@ $(call objs,$(1)/tests,$(TEST_SRCS)) $(1)/libidmap.a

$(1)/tests/obj/%.cpp.o: %.cpp $(1)/tests/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,CXX,$$<)$(HOST_CXX) $(TEST_CXXFLAGS) $(2) -MMD -MP -c $$< -o $$@

$(1)/tests/flags.stamp: FORCE | $(call needs,$(HOST_CXX) catch2)
	@mkdir -p $$(@D)
	@printf '%s\n' '$(HOST_CXX) $(TEST_CXXFLAGS) $(2)' '$(3)' '$(TEST_SRCS)' | cmp -s - $$@ || \
		printf '%s\n' '$(HOST_CXX) $(TEST_CXXFLAGS) $(2)' '$(3)' '$(TEST_SRCS)' > $$@

-include $(patsubst %.o,%.d,$(call objs,$(1)/tests,$(TEST_SRCS)))
endef

$(eval $(call test_rules,$(HOST_BUILD),,))
$(eval $(call test_rules,$(HOST_SAN_BUILD),$(SAN_COMPILE_FLAGS),$(SAN_FLAGS)))
$(eval $(call test_rules,$(HOST_SIZE_BUILD),-Os,))

$(HOST_BUILD)/c/%: tests/c/%.c $(HOST_LIB) include/idmap.h $(wildcard tests/c/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(HOST_CC) $(C_TEST_CFLAGS) $< $(HOST_LIB) -o $@

# Host tools (tools/*.cpp): programs over the host library, e.g. idmap-lint.
HOST_TOOL_SRCS := $(sort $(wildcard tools/*.cpp))
HOST_TOOLS     := $(patsubst tools/%.cpp,$(HOST_BUILD)/tools/%,$(HOST_TOOL_SRCS))
HOST_TOOL_CXXFLAGS := -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude

$(HOST_BUILD)/tools/%: tools/%.cpp $(HOST_LIB) include/idmap.h
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(HOST_CXX) $(HOST_TOOL_CXXFLAGS) $< $(HOST_LIB) -o $@

.PHONY: host host-lib host-tests host-san host-tools
host-lib: $(HOST_LIB)
host-tests: $(HOST_UNIT) $(C_TEST_BINS)
host-san: $(HOST_SAN_UNIT)
host-tools: $(HOST_TOOLS)
host: host-lib host-tests host-tools

# ---------------------------------------------------------------------------------
# Board: make BOARD=<name> [LLVM=1] [OPT=-O2]

ifneq ($(strip $(BOARD)),)
ifneq ($(words $(BOARD)),1)
$(error BOARD must be one board name; boards: $(BOARDS))
endif
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error Unknown BOARD '$(BOARD)'. Boards (boards/*/board.mk): $(BOARDS))
endif
ifneq ($(filter host host-san,$(BOARD)),)
$(error BOARD '$(BOARD)' clashes with a host build directory; rename the board)
endif

BOARD_DIR := boards/$(BOARD)
include $(BOARD_DIR)/board.mk
$(foreach v,$(BOARD_VARIABLES),$(if $(strip $($(v))),,$(error $(BOARD_DIR)/board.mk does not set $(v))))

BUILD := $(BUILD_ROOT)/$(BOARD)$(if $(filter llvm,$(TARGET_TOOLCHAIN)),-llvm)
LIB   := $(BUILD)/libidmap.a
OPT   ?= -Os

# Code generation for anything that runs on the board (library, examples, target
# tests): no FP/SIMD registers, no unwind tables, no PIC, no unaligned accesses (code
# may run with the MMU off), sections per function for --gc-sections.
TARGET_COMMON_FLAGS := $(OPT) -Wall -Wextra -Werror -ffreestanding -nostdlib \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -fno-pic -mstrict-align \
	$(BOARD_CPU_FLAGS) $(TARGET_TOOLCHAIN_FLAGS)
TARGET_CXXFLAGS := -std=c++17 $(TARGET_COMMON_FLAGS) -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -nostdinc++
TARGET_CFLAGS  := $(TARGET_COMMON_FLAGS)
# .S files go through $(TARGET_CC); clang warns (-Werror) about C-only options there.
TARGET_ASFLAGS := $(BOARD_CPU_FLAGS) -Wall -Wextra -Werror -ffreestanding -nostdlib
# Include paths for code that uses the library and the board's memory map.
BOARD_INCLUDES := -Iinclude -I$(BOARD_DIR)
BOARD_DEFINES  := -DIDMAP_POOL_PAGES=$(BOARD_POOL_PAGES) -DIDMAP_MAX_MAPS=$(BOARD_MAX_MAPS)

TARGET_LIB_SRCS := $(LIB_SRCS) $(TARGET_ARCH_SRCS)
TARGET_LIB_CPPFLAGS := $(BOARD_DEFINES) $(INCLUDES) -I$(BOARD_DIR)

$(eval $(call lib_rules,$(BUILD),$(TARGET_CXX),$(TARGET_CXXFLAGS) $(TARGET_LIB_CPPFLAGS),$(TARGET_CC),$(TARGET_ASFLAGS) $(TARGET_LIB_CPPFLAGS),$(TARGET_LIB_SRCS),$(TARGET_AR)))

export BOARD BOARD_DIR BUILD LIB
endif

# ---------------------------------------------------------------------------------
# Top-level targets

.PHONY: all lib boards size install clean check test deps help FORCE
FORCE:

ifneq ($(strip $(BOARD)),)
all: $(LIB)
lib: $(LIB)
else
all: host
lib: $(HOST_LIB)
endif

# One sub-make per board (LLVM=... on the command line reaches them through MAKEFLAGS).
boards: $(BOARDS:%=board-%)
board-%: FORCE
	@$(MAKE) BOARD=$* lib

# Build directory of board $(1) for the toolchain in use.
board_build = $(BUILD_ROOT)/$(1)$(if $(filter llvm,$(TARGET_TOOLCHAIN)),-llvm)

size: boards $(call needs,$(TARGET_COMMANDS))
	@for b in $(BOARDS); do \
		echo "== $$b ($(TARGET_TOOLCHAIN)): $(call board_build,$$b)/libidmap.a"; \
		$(TARGET_SIZE) -t $(call board_build,$$b)/libidmap.a || exit 1; \
		echo "-- linked by a program that calls the C ABI (tools/size_contract.sh):"; \
		tools/size_contract.sh "$(TARGET_CC)" $(TARGET_LD) $(TARGET_SIZE) $(call board_build,$$b)/libidmap.a || exit 1; \
	done

# make install PREFIX=dir [DESTDIR=staging] [BOARD=name]
INSTALL_ROOT    = $(DESTDIR)$(PREFIX)
# A board's library goes to lib/<board>/ whichever toolchain built it (LLVM=1 installs
# build/<board>-llvm/libidmap.a there).
ifneq ($(strip $(BOARD)),)
INSTALL_LIBDIR_SUFFIX := /$(BOARD)
INSTALL_PC_NAME       := idmap-$(BOARD)
INSTALL_DESCRIPTION   := for board $(BOARD) (AArch64, built with $(TARGET_TOOLCHAIN))
else
INSTALL_LIBDIR_SUFFIX :=
INSTALL_PC_NAME       := idmap
INSTALL_DESCRIPTION   := for the host
endif
# Which build of the core the installed library is (tuning.hpp): C++ code compiled against
# it gets -DAARCH64_PAGING_SIZE_BUILD to match, whatever its own -O (the .pc's Cflags, the
# CMake target's definitions). A board's -Os library is the size build, the host's -O2
# the speed build.
INSTALL_SIZE_BUILD := $(if $(and $(strip $(BOARD)),$(filter -Os -Oz,$(OPT))),1,0)
# The CMake package (lib/cmake/idmap/): idmapConfig.cmake picks idmapTargets-<config>.cmake,
# host or the board named by IDMAP_BOARD.
INSTALL_CMAKE_CONFIG    := $(if $(strip $(BOARD)),$(BOARD),host)
INSTALL_CMAKE_TEMPLATES := cmake/idmapConfig.cmake.in cmake/idmapConfigVersion.cmake.in cmake/idmapTargets.cmake.in

install: lib idmap.pc.in $(INSTALL_CMAKE_TEMPLATES)
	@install -d $(INSTALL_ROOT)/include/aarch64_paging $(INSTALL_ROOT)/lib$(INSTALL_LIBDIR_SUFFIX) $(INSTALL_ROOT)/lib/pkgconfig
	$(call quiet,INSTALL,$(INSTALL_ROOT)/include/)install -m 0644 $(PUBLIC_HEADERS) $(INSTALL_ROOT)/include/
	$(if $(PUBLIC_CXX_HEADERS),$(call quiet,INSTALL,$(INSTALL_ROOT)/include/aarch64_paging/)install -m 0644 $(PUBLIC_CXX_HEADERS) $(INSTALL_ROOT)/include/aarch64_paging/)
	$(call quiet,INSTALL,$(INSTALL_ROOT)/lib$(INSTALL_LIBDIR_SUFFIX)/libidmap.a)install -m 0644 $(if $(strip $(BOARD)),$(LIB),$(HOST_LIB)) $(INSTALL_ROOT)/lib$(INSTALL_LIBDIR_SUFFIX)/libidmap.a
	$(call quiet,GEN,$(INSTALL_ROOT)/lib/pkgconfig/$(INSTALL_PC_NAME).pc)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR_SUFFIX@|$(INSTALL_LIBDIR_SUFFIX)|g' \
		-e 's|@NAME@|$(INSTALL_PC_NAME)|g' -e 's|@DESCRIPTION@|$(INSTALL_DESCRIPTION)|g' \
		-e 's|@VERSION@|$(VERSION)|g' -e 's|@SIZE_BUILD@|$(INSTALL_SIZE_BUILD)|g' idmap.pc.in \
		> $(INSTALL_ROOT)/lib/pkgconfig/$(INSTALL_PC_NAME).pc
	@install -d $(INSTALL_ROOT)/lib/cmake/idmap
	$(call quiet,GEN,$(INSTALL_ROOT)/lib/cmake/idmap/idmapConfig.cmake)sed -e 's|@VERSION@|$(VERSION)|g' cmake/idmapConfig.cmake.in > $(INSTALL_ROOT)/lib/cmake/idmap/idmapConfig.cmake
	$(call quiet,GEN,$(INSTALL_ROOT)/lib/cmake/idmap/idmapConfigVersion.cmake)sed -e 's|@VERSION@|$(VERSION)|g' cmake/idmapConfigVersion.cmake.in > $(INSTALL_ROOT)/lib/cmake/idmap/idmapConfigVersion.cmake
	$(call quiet,GEN,$(INSTALL_ROOT)/lib/cmake/idmap/idmapTargets-$(INSTALL_CMAKE_CONFIG).cmake)sed -e 's|@CONFIG@|$(INSTALL_CMAKE_CONFIG)|g' -e 's|@LIBDIR_SUFFIX@|$(INSTALL_LIBDIR_SUFFIX)|g' -e 's|@SIZE_BUILD@|$(INSTALL_SIZE_BUILD)|g' \
		-e 's|@DESCRIPTION@|$(INSTALL_DESCRIPTION)|g' cmake/idmapTargets.cmake.in \
		> $(INSTALL_ROOT)/lib/cmake/idmap/idmapTargets-$(INSTALL_CMAKE_CONFIG).cmake

clean:
	rm -rf $(BUILD_ROOT)

# The header's list of targets, from its "Targets" line to its first empty comment line.
help:
	@sed -n '/^# Targets/,/^#$$/{/^#$$/!s/^# \{0,3\}//p}' $(firstword $(MAKEFILE_LIST))

# make docs: the API reference, generated by Doxygen (docs/Doxyfile) from the public
# headers' comments into build/docs/html/. Any warning (an undocumented public name, a
# wrong @param, ...) fails it; the warnings are also in build/docs/warnings.log.
DOCS_DIR := $(BUILD_ROOT)/docs
.PHONY: docs
docs: $(call needs,doxygen)
	@rm -rf $(DOCS_DIR) && mkdir -p $(DOCS_DIR)
	@IDMAP_VERSION=$(VERSION) IDMAP_DOCS_DIR=$(DOCS_DIR) doxygen docs/Doxyfile 2> $(DOCS_DIR)/warnings.log; \
		status=$$?; cat $(DOCS_DIR)/warnings.log >&2; \
		if [ $$status -ne 0 ] || [ -s $(DOCS_DIR)/warnings.log ]; then \
			echo "make docs: Doxygen warned; see above and $(DOCS_DIR)/warnings.log" >&2; exit 1; \
		fi
	@echo "API reference: $(DOCS_DIR)/html/index.html"

# ---------------------------------------------------------------------------------
# Prerequisites of the steps that run more than a build ($(call needs,...) installs
# them); make deps installs what make test uses.

# The QEMU suites: both target toolchains and the emulator.
TARGET_TEST_NEEDS := $(GCC_TARGET_COMMANDS) $(LLVM_TARGET_COMMANDS) $(QEMU)
TEST_NEEDS := $(HOST_COMMANDS) catch2 $(TARGET_TEST_NEEDS) libfuzzer valgrind clang-tidy \
	cppcheck cmake pkg-config doxygen

# linux-kernel (examples/c-bootloader/c-bootloader.mk): the kernel make run-linux boots,
# which make test's target tests run.
deps: $(call needs,$(TEST_NEEDS)) linux-kernel
	@echo "deps: every tool make test uses is installed, and run-linux's kernel fetched"

# ---------------------------------------------------------------------------------
# make test: every check is one step of tools/run_step.sh, which records PASS/FAIL and
# never stops the run; the last line is "N passed, M failed, K skipped" (and the steps
# that passed only under an emulator workaround, where there are any).

# The results file is exported to make test or make check (and the sub-makes it runs)
# only, so a `make test-target` run on its own elsewhere does not write into it.
TEST_RESULTS  := $(abspath $(BUILD_ROOT)/test-results.txt)
CHECK_RESULTS := $(abspath $(BUILD_ROOT)/check-results.txt)
# The .text bound on what a C program linking every contract function but the two text
# formatters gets (tools/size_contract.sh): 8 KiB before the table switches went through
# the MMU off where no ASID keeps two trees apart (1.1 KiB: switch_ttbr and its five
# routines), 9.5 KiB then; the one walk (walk.hpp) that the size build now shares with
# the speed build, with its runs, closed-form count, deepest start and contract 1.1's
# table freeing by map_range, links 2 KiB more (README, "Code size"); errors that say
# what happened (the constructors' and enable_mmu's reasons, the break-before-make rule,
# the pages an out-of-memory call needed, the map's bounds) about 0.6 KiB; stage 2, about
# 0.5 KiB in a program that makes no stage-2 map (the branches to the table of stage-2
# calls, the break-before-make breaker's place in the walk, the regime's bit 5 rule);
# range TLB invalidation (FEAT_TLBIRANGE) past 16 stale entries, about 0.75 KiB (the
# range's ends kept past 16, the range operations and their encoding in the arch layer),
# map_range to any output address and guarded code 0.15 KiB; dirty tracking's rule in
# map_range, collect_dirty's in-place leaves and the walk's unchanged entries left
# unwritten, read-only tables' refusal in the walk and CnP in the TTBR, 64 B (llvm: 13,568
# before, exactly the old bound; gcc 13,528); live block splits' place in the walk (the
# Breaking a plan may use, a split's make through it) and the mapping's pointer to it,
# 64 B in llvm (13,632; gcc 13,592 unchanged); a visit's leaf out of leaf(), for the size
# build's walk_range (116 -> 87 instructions an entry), 128 B in gcc, 192 in llvm (13,720;
# 13,824); a live map's pass over the pages as asked already (same_pages: W7 24 -> 9
# instructions an entry, the size build's 99 -> 9), 128 B in gcc, 192 in llvm (13,848;
# 14,016); for_each_table's end at the last table, 64 B in gcc; a map's run of blocks
# over an existing table up to its first table (W2 15.6 -> 8.7 instructions an entry, the
# size build's 39.9 -> 12.8), 64 B in gcc and llvm (13,976; 14,080); an inactive map's
# modified page stored from walk_leaves, not through leaf() (the size build's W5 141.5 ->
# 121.5 instructions an entry: within 2x of the speed build's time), 128 B in gcc, 64 in
# llvm; Contiguous::same_run two entries a step, with walk_runs' loop folded into it (W6r
# and W7 8.2 and 9.2 -> 6.2), 128 B in gcc and llvm; Result's Ok no longer cleared before
# its constructor runs, 128 B less in gcc (13,976; 14,208); MemoryRegion's rounding
# constructors and active_cores() forced inline, 128 B less in gcc (13,848; 14,208); the
# walk's jump to a callable's own leaf loop (Op::leaves: the size build's W6cxx 44.3 ->
# 16.2 instructions an entry, W5cxx 101.5 -> 41.5; the facade's callbacks take the shared
# loop, indirect()), 64 B in gcc and llvm (13,912; 14,272); MapError's and Result's
# constructors forced inline, 192 B less in llvm (13,912; 14,080); deepest() inlined into
# run(), 64 B less in gcc (13,848); modified()'s entry in and out in one argument, 64 B
# less in gcc (13,784); idmap_modify_range's callback in a leaf loop of its own (the size
# build's W5 115.5 -> 55.4 instructions an entry, 2.0x -> 1.0x the speed build's time),
# 512 B in gcc, 576 in llvm (14,296; 14,656); an inactive map's run of pages written from
# walk(), not from a call to walk_leaves (the size build's W4 481.6 -> 458.7), 64 B in gcc
# (14,360).
CORE_TEXT_BOUND := 14720
RUN_STEP := tools/run_step.sh

# The steps make check runs before its QEMU boot, and make test first.
define quick_steps
	@mkdir -p $(BUILD_ROOT) && : > $$IDMAP_TEST_RESULTS
	@$(RUN_STEP) "unit tests" '$(MAKE) $(PAR) $(HOST_UNIT) && $(HOST_UNIT)'
	@for p in $(C_TEST_NAMES); do \
		$(RUN_STEP) "C99 program $$p" "$(MAKE) $(PAR) $(HOST_BUILD)/c/$$p && $(HOST_BUILD)/c/$$p"; \
	done
endef

# make check: the quick subset to run before a commit.
check: export IDMAP_TEST_RESULTS := $(CHECK_RESULTS)
check: $(call needs,$(HOST_COMMANDS) catch2 $(TARGET_COMMANDS) $(QEMU))
	$(quick_steps)
	@$(RUN_STEP) "the C demo boots in QEMU (make run)" '$(MAKE) $(PAR) run'
	@$(RUN_STEP) --summary

test: export IDMAP_TEST_RESULTS := $(TEST_RESULTS)
test: $(call needs,$(TEST_NEEDS)) linux-kernel
	$(quick_steps)
	@$(RUN_STEP) "unit tests (ASan+UBSan)" '$(MAKE) $(PAR) $(HOST_SAN_UNIT) && UBSAN_OPTIONS=print_stacktrace=1 $(HOST_SAN_UNIT)'
	@$(RUN_STEP) "unit tests (-Os: the size build's walks)" '$(MAKE) $(PAR) $(HOST_SIZE_UNIT) && $(HOST_SIZE_UNIT)'
	@$(RUN_STEP) "mixed builds: a C++ program of one build over the library of the other" '$(MAKE) $(PAR) $(HOST_LIB) $(HOST_SIZE_BUILD)/libidmap.a && tools/check_mixed_build.sh "$(HOST_CXX)" $(HOST_LIB) $(HOST_SIZE_BUILD)/libidmap.a'
	@$(RUN_STEP) "idmap-lint tool on good and corrupted images" '$(MAKE) $(PAR) $(HOST_BUILD)/tools/idmap-lint && tools/check_idmap_lint.sh $(HOST_BUILD)/tools/idmap-lint'
	@$(RUN_STEP) "symbols: host" '$(MAKE) $(PAR) $(HOST_LIB) && tests/check_symbols.sh $(HOST_NM) $(HOST_LIB) $(HOST_ALLOWED_SYMBOLS)'
	@for b in $(BOARDS); do \
		$(RUN_STEP) "symbols: $$b (gcc)" "$(MAKE) $(PAR) BOARD=$$b LLVM= lib && tests/check_symbols.sh $(GCC_TARGET_NM) $(BUILD_ROOT)/$$b/libidmap.a"; \
		$(RUN_STEP) "symbols: $$b (llvm)" "$(MAKE) $(PAR) BOARD=$$b LLVM=1 lib && tests/check_symbols.sh $(LLVM_TARGET_NM) $(BUILD_ROOT)/$$b-llvm/libidmap.a"; \
	done
	@$(RUN_STEP) "code size: core + C facade under $(CORE_TEXT_BOUND) B (qemu-virt -Os, gcc and llvm)" '$(MAKE) $(PAR) BOARD=qemu-virt LLVM= OPT=-Os lib && $(MAKE) $(PAR) BOARD=qemu-virt LLVM=1 OPT=-Os lib && tools/size_contract.sh "$(GCC_TARGET_CC)" $(GCC_TARGET_LD) $(GCC_TARGET_SIZE) $(BUILD_ROOT)/qemu-virt/libidmap.a $(CORE_TEXT_BOUND) && tools/size_contract.sh "$(LLVM_TARGET_CC)" $(LLVM_TARGET_LD) $(LLVM_TARGET_SIZE) $(BUILD_ROOT)/qemu-virt-llvm/libidmap.a $(CORE_TEXT_BOUND)'
	@$(RUN_STEP) "install + pkg-config" 'MAKE="$(MAKE) $(PAR)" tools/check_install.sh $(firstword $(BOARDS))'
	@$(RUN_STEP) "idmap.mk: outside project (qemu-virt gcc + llvm, host)" 'MAKE="$(MAKE) $(PAR)" tools/check_idmap_mk.sh'
	@$(RUN_STEP) "CMake: add_subdirectory + find_package (host, qemu-virt)" 'MAKE="$(MAKE) $(PAR)" tools/check_cmake.sh'
	@$(RUN_STEP) "README examples" '$(MAKE) $(PAR) $(HOST_LIB) && MAKE="$(MAKE) $(PAR)" tools/check_examples.sh $(HOST_LIB) README.md'
	@$(RUN_STEP) "header examples (the @code blocks)" '$(MAKE) $(PAR) $(HOST_LIB) && tools/check_examples.sh $(HOST_LIB) $(EXAMPLE_HEADERS)'
	@$(RUN_STEP) "API reference (make docs, no warnings)" '$(MAKE) docs'
	@$(RUN_STEP) "prerequisites: what each target installs (tools/deps.sh --dry-run)" 'MAKE="$(MAKE)" tools/check_deps.sh'
	@$(RUN_STEP) --group "target tests" '$(MAKE) test-target'
	@$(RUN_STEP) --group "firmware images (idmap-image)" '$(MAKE) test-image'
	@$(RUN_STEP) "C99 programs (ASan+UBSan)" '$(MAKE) $(PAR) sanitize-c'
	@$(RUN_STEP) "valgrind memcheck: C99 programs" '$(MAKE) $(PAR) valgrind'
	@$(RUN_STEP) "clang-tidy" '$(MAKE) tidy'
	@$(RUN_STEP) "cppcheck" '$(MAKE) cppcheck'
	@$(RUN_STEP) "fuzz ($(FUZZ_TEST_SECONDS) s)" '$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)'
	@$(RUN_STEP) "fuzz, size build ($(FUZZ_SIZE_TEST_SECONDS) s)" '$(MAKE) fuzz-size FUZZ_SECONDS=$(FUZZ_SIZE_TEST_SECONDS)'
	@$(RUN_STEP) --summary

# ---------------------------------------------------------------------------------
# Fragments. They may use:
#   tools:   TARGET_CC TARGET_CXX TARGET_LD TARGET_AR TARGET_NM TARGET_SIZE
#            TARGET_OBJCOPY TARGET_LDFLAGS TARGET_TOOLCHAIN TARGET_COMMANDS QEMU
#            (toolchain.mk), HOST_*
#   boards:  BOARDS; with BOARD set: BOARD BOARD_DIR BUILD LIB, the board.mk variables
#            (BOARD_CPU_FLAGS BOARD_POOL_PAGES BOARD_MAX_MAPS BOARD_LOAD_ADDR
#            QEMU_MACHINE), TARGET_CFLAGS TARGET_CXXFLAGS TARGET_ASFLAGS BOARD_INCLUDES
#            BOARD_DEFINES
#   output:  $(call quiet,WHAT,file) before a command prints one short line (V=1: the command)
#   tests:   RUN_STEP "name" 'shell command' records one step of make test (PASS/FAIL
#            lines "PASS name" in $IDMAP_TEST_RESULTS, set only under make test; outside
#            it RUN_STEP just runs the command and returns its status);
#            $(call needs,TOOL...) as a prerequisite of anything that runs a tool (it
#            installs what is missing); TARGET_TEST_NEEDS: what the QEMU suites need.
-include $(wildcard examples/*.mk examples/*/*.mk tests/target/*.mk)
-include $(wildcard bench/*.mk)
-include $(wildcard fuzz/*.mk tests/*.mk)
