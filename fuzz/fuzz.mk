# fuzz/fuzz.mk - the libFuzzer target (included by the Makefile).
#
#   make fuzz [FUZZ_SECONDS=60]   build build/fuzz/fuzz_idmap and fuzz for that long, starting
#                                 from the seeds in fuzz/corpus/; new inputs go to
#                                 build/fuzz/corpus/, a failing input to build/fuzz/crash-*
#   make fuzz-replay              run every seed once, whole, no fuzzing
#   make fuzz-size [FUZZ_SECONDS=60]
#                                 the same over the size build of the library (-Os,
#                                 include/aarch64_paging/tuning.hpp), in build/fuzz-size/
#   make fuzz-long [FUZZ_RUNS=10000000] [FUZZ_PROGRESS=60]
#                                 fuzz the make fuzz build for FUZZ_RUNS inputs (one to two
#                                 hours on one core at the default), a progress line every
#                                 FUZZ_PROGRESS seconds; not part of make test
#   FUZZ_MAX_LEN=n                with any of them: inputs of at most n bytes (128)
#
# fuzz_idmap.cpp drives the C ABI from the fuzzer's bytes and checks the reference model
# and the invariants of tests/model/ after every call. The library is compiled into it
# with clang, ASan, UBSan and the fuzzer's coverage (build/fuzz/libidmap.a). A failing input
# becomes a regression test: add its bytes to tests/test_fuzz_regressions.cpp.
# make test runs `make fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)` and
# `make fuzz-size FUZZ_SECONDS=$(FUZZ_SIZE_TEST_SECONDS)` as two steps.

FUZZ_SECONDS           ?= 60
FUZZ_TEST_SECONDS      ?= 45
FUZZ_SIZE_TEST_SECONDS ?= 20
FUZZ_RUNS              ?= 10000000
FUZZ_PROGRESS          ?= 60
# An input's cost grows with its calls, and faster than they do (the tables grow): 128
# bytes are some 8 to 12 calls of tests/model/fuzz_driver.hpp, a few thousand inputs a
# second on one core. Longer seeds are cut to it (their first calls, decoded as ever).
FUZZ_MAX_LEN           ?= 128
FUZZ_CXX   := clang++
FUZZ_BUILD := $(BUILD_ROOT)/fuzz
FUZZ_BIN   := $(FUZZ_BUILD)/fuzz_idmap
FUZZ_SIZE_BUILD := $(BUILD_ROOT)/fuzz-size
FUZZ_SIZE_BIN   := $(FUZZ_SIZE_BUILD)/fuzz_idmap
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -g
# The library as the host builds it, plus the sanitizers and coverage for the fuzzer.
FUZZ_LIB_CXXFLAGS := $(HOST_LIB_CXXFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# The driver (harness, model, walker) gets the sanitizers but not the fuzzer's coverage and
# comparison tracing: instrumenting its per-entry checks made it ten times slower, and
# only the library's coverage should guide the fuzzer.
# -Isrc: the harness reads the host fake's TLB maintenance counters (src/arch/host/fake.hpp).
FUZZ_DRIVER_CXXFLAGS := -std=c++17 -O2 -Wall -Wextra -Werror -DIDMAP_HOST=1 -Iinclude -Isrc $(FUZZ_SAN)
# -timeout: one input runs in milliseconds.
FUZZ_OPTIONS := -max_len=$(FUZZ_MAX_LEN) -timeout=20 -print_final_stats=1

$(eval $(call lib_rules,$(FUZZ_BUILD),$(FUZZ_CXX),$(FUZZ_LIB_CXXFLAGS),clang,$(FUZZ_LIB_CXXFLAGS),$(HOST_LIB_SRCS),$(HOST_AR)))
$(eval $(call lib_rules,$(FUZZ_SIZE_BUILD),$(FUZZ_CXX),$(FUZZ_LIB_CXXFLAGS) -Os,clang,$(FUZZ_LIB_CXXFLAGS) -Os,$(HOST_LIB_SRCS),$(HOST_AR)))

$(FUZZ_BUILD)/fuzz_idmap.o: fuzz/fuzz_idmap.cpp $(wildcard tests/model/*.hpp) include/idmap.h src/arch/host/fake.hpp \
		| $(call needs,$(FUZZ_CXX) libfuzzer)
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(FUZZ_CXX) $(FUZZ_DRIVER_CXXFLAGS) -c $< -o $@

# One driver object; the library it links decides the build fuzzed.
$(FUZZ_BIN) $(FUZZ_SIZE_BIN): $(FUZZ_BUILD)/fuzz_idmap.o
$(FUZZ_BIN): $(FUZZ_BUILD)/libidmap.a
$(FUZZ_SIZE_BIN): $(FUZZ_SIZE_BUILD)/libidmap.a
$(FUZZ_BIN) $(FUZZ_SIZE_BIN):
	$(call quiet,LD,$@)$(FUZZ_CXX) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@

# $(call fuzz_run,binary,build-dir): fuzz for FUZZ_SECONDS from the seeds.
define fuzz_run
	@mkdir -p $(2)/corpus
	$(call quiet,FUZZ,$(1) for $(FUZZ_SECONDS) s)$(1) $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(2)/ $(2)/corpus fuzz/corpus
endef

.PHONY: fuzz fuzz-size fuzz-replay fuzz-long
fuzz: $(FUZZ_BIN)
	$(call fuzz_run,$(FUZZ_BIN),$(FUZZ_BUILD))

fuzz-size: $(FUZZ_SIZE_BIN)
	$(call fuzz_run,$(FUZZ_SIZE_BIN),$(FUZZ_SIZE_BUILD))

# libFuzzer's -runs counts inputs, seeds included; the target prints the progress lines
# (fuzz_idmap.cpp: IDMAP_FUZZ_PROGRESS, IDMAP_FUZZ_RUNS).
fuzz-long: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(call quiet,FUZZ,$(FUZZ_BIN) for $(FUZZ_RUNS) inputs)IDMAP_FUZZ_PROGRESS=$(FUZZ_PROGRESS) \
		IDMAP_FUZZ_RUNS=$(FUZZ_RUNS) $(FUZZ_BIN) $(FUZZ_OPTIONS) -runs=$(FUZZ_RUNS) \
		-artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus fuzz/corpus

# The seeds whole: -max_len enough for kFuzzMaxCalls calls.
fuzz-replay: $(FUZZ_BIN)
	$(call quiet,FUZZ,$(FUZZ_BIN) over the seeds)$(FUZZ_BIN) $(FUZZ_OPTIONS) -max_len=4096 -runs=0 fuzz/corpus
