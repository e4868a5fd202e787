# bench/bench.mk - the host benchmark of shared/spec/bench.md (issue 5).
#
#   make bench [BENCH_ARGS="--reps 21 --only W1,W3"]
#       builds build/host/libidmap.a exactly as `make` does (the -O2 host build) and
#       build/host/bench/bench linked against it, then runs W1-W7 and prints the table.
#   make bench-callgrind [BENCH_ARGS=--zero-pages]
#       runs each workload once under valgrind --tool=callgrind, one process per workload,
#       counting only the workload's timed function, and prints instructions per entry.
#
# Uses HOST_CC, HOST_CXX, HOST_BUILD, HOST_LIB from the Makefile.

BENCH_DIR    := $(HOST_BUILD)/bench
BENCH_BIN    := $(BENCH_DIR)/bench
# The compile line of a C user (as for tests/c), at -O2; nothing but the .a on the link line.
BENCH_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -Iinclude
BENCH_ARGS   ?=
BENCH_ENV     = IDMAP_BENCH_LIB_CXX="$$($(HOST_CXX) --version 2>/dev/null | head -n1)" \
	IDMAP_BENCH_LIB_STAMP=$(HOST_BUILD)/flags.stamp

# The C++ rows: compiled as the host library is (no C++ runtime needed).
BENCH_CXX_OBJ := $(BENCH_DIR)/cxx_workloads.o
$(BENCH_CXX_OBJ): bench/cxx_workloads.cpp $(HOST_LIB) bench/bench.mk
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(HOST_CXX) -std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -fno-threadsafe-statics -nostdinc++ -DIDMAP_HOST=1 -Iinclude -Icapi -c $< -o $@

$(BENCH_BIN): bench/bench.c $(BENCH_CXX_OBJ) $(HOST_LIB) include/idmap.h bench/bench.mk
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(HOST_CC) $(BENCH_CFLAGS) $< $(BENCH_CXX_OBJ) $(HOST_LIB) -o $@

.PHONY: bench bench-callgrind
bench: $(BENCH_BIN)
	@$(BENCH_ENV) $(BENCH_BIN) $(BENCH_ARGS)

bench-callgrind: $(call needs,valgrind) $(BENCH_BIN)
	@$(BENCH_ENV) bench/callgrind.sh $(BENCH_BIN) $(BENCH_DIR)/callgrind $(BENCH_ARGS)
