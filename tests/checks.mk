# tests/checks.mk - the checks beside the unit tests (included by the Makefile).
#
#   make sanitize    every host test under ASan + UBSan: the unit tests and the C99 programs
#   make valgrind    the C99 programs (the plain host build) under valgrind memcheck
#   make tidy        clang-tidy (.clang-tidy) on src/ capi/ include/: host and board builds
#   make cppcheck    cppcheck (tools/cppcheck.supp) on the same, both builds
#   make lint        tidy and cppcheck
#
# make test runs the C99 programs under the sanitizers (the sanitized unit tests are a step
# already), valgrind, clang-tidy and cppcheck, one step each.

# ---- Sanitizers: the C99 programs linked with the sanitized library.
HOST_SAN_C_BINS := $(C_TEST_NAMES:%=$(HOST_SAN_BUILD)/c/%)

$(HOST_SAN_BUILD)/c/%: tests/c/%.c $(HOST_SAN_LIB) include/idmap.h $(wildcard tests/c/*.h)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(HOST_CC) $(C_TEST_CFLAGS) $(SAN_FLAGS) $< $(HOST_SAN_LIB) -o $@

.PHONY: sanitize sanitize-c valgrind tidy cppcheck lint
sanitize-c: $(HOST_SAN_C_BINS)
	@set -e; for p in $(HOST_SAN_C_BINS); do \
		echo "$$p (ASan+UBSan)"; UBSAN_OPTIONS=print_stacktrace=1 $$p > /dev/null; \
	done

sanitize: $(HOST_SAN_UNIT) sanitize-c
	UBSAN_OPTIONS=print_stacktrace=1 $(HOST_SAN_UNIT)

# ---- valgrind: any error, or a leak, fails.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible

valgrind: $(call needs,valgrind) $(C_TEST_BINS)
	@set -e; for p in $(C_TEST_BINS); do echo "valgrind $$p"; $(VALGRIND) $$p > /dev/null; done

# ---- Static analysis of the library, in both builds: the host's (IDMAP_HOST, the fake
# arch layer) and a board's (freestanding AArch64, the static pool, the real arch layer).
LINT_HOST_SRCS   := $(LIB_SRCS) $(HOST_ARCH_SRCS)
LINT_TARGET_SRCS := $(LIB_SRCS) $(filter %.cpp,$(TARGET_ARCH_SRCS))
LINT_HOST_FLAGS  := -std=c++17 -fno-exceptions -fno-rtti -DIDMAP_HOST=1 $(INCLUDES)
LINT_TARGET_DEFS := -DIDMAP_POOL_PAGES=256 -DIDMAP_MAX_MAPS=8
LINT_TARGET_FLAGS := -std=c++17 --target=aarch64-none-elf -ffreestanding -nostdinc++ \
	-fno-exceptions -fno-rtti $(LINT_TARGET_DEFS) $(INCLUDES)
CPPCHECK := cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	--std=c++17 --language=c++ --inline-suppr --suppressions-list=tools/cppcheck.supp $(INCLUDES)

tidy: $(call needs,clang-tidy)
	$(call quiet,TIDY,host build)clang-tidy --quiet $(LINT_HOST_SRCS) -- $(LINT_HOST_FLAGS)
	$(call quiet,TIDY,board build)clang-tidy --quiet $(LINT_TARGET_SRCS) -- $(LINT_TARGET_FLAGS)

cppcheck: $(call needs,cppcheck)
	$(call quiet,CPPCHECK,host build)$(CPPCHECK) -DIDMAP_HOST=1 $(LINT_HOST_SRCS)
	$(call quiet,CPPCHECK,board build)$(CPPCHECK) $(LINT_TARGET_DEFS) -D__aarch64__ $(LINT_TARGET_SRCS)

lint: tidy cppcheck
