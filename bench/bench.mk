# bench/bench.mk - the host benchmark of shared/spec/bench.md (issue 5).
#
#   make bench [BENCH_ARGS="--reps 21 --only W1,W3"]
#       builds build/host/libidmap.a exactly as `make` does (the -O2 host build, the speed
#       build), a bench linked against it, and runs W1-W7: one table, with the memory
#       bounds, in the columns the comparison scripts read (<id> <name> <unit> <median>
#       <min> <max> <ms/rep> <tables>). make bench-speed is the same.
#   make bench-size [BENCH_ARGS=...]
#       the same over build/host-size/libidmap.a (-Os, the size build a board ships).
#   make bench-both [BENCH_ARGS=...]
#       both builds, each workload with each in turn (bench/both.sh), their rows side by
#       side with the ratio size / speed.
#   make bench-callgrind [BENCH_ARGS=--zero-pages]
#       runs each workload once under valgrind --tool=callgrind, one process per workload,
#       counting only the workload's timed function, and prints instructions per entry:
#       the speed build's, then the size build's.
#
# Uses HOST_CC, HOST_CXX, HOST_BUILD, HOST_LIB, HOST_SIZE_BUILD from the Makefile.

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

# The size build's bench: the same C program over the -Os library, its C++ rows compiled
# -Os as a board's C++ program would be (the size build's templates).
BENCH_SIZE_DIR := $(HOST_SIZE_BUILD)/bench
BENCH_SIZE_BIN := $(BENCH_SIZE_DIR)/bench
BENCH_SIZE_LIB := $(HOST_SIZE_BUILD)/libidmap.a
BENCH_SIZE_CXX_OBJ := $(BENCH_SIZE_DIR)/cxx_workloads.o
$(BENCH_SIZE_CXX_OBJ): bench/cxx_workloads.cpp $(BENCH_SIZE_LIB) bench/bench.mk
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(HOST_CXX) -std=c++17 -Os -Wall -Wextra -Werror -fno-exceptions -fno-rtti -fno-threadsafe-statics -nostdinc++ -DIDMAP_HOST=1 -Iinclude -Icapi -c $< -o $@

$(BENCH_SIZE_BIN): bench/bench.c $(BENCH_SIZE_CXX_OBJ) $(BENCH_SIZE_LIB) include/idmap.h bench/bench.mk
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(HOST_CC) $(BENCH_CFLAGS) $< $(BENCH_SIZE_CXX_OBJ) $(BENCH_SIZE_LIB) -o $@

.PHONY: bench bench-speed bench-size bench-both bench-callgrind
bench bench-speed: $(BENCH_BIN)
	@$(BENCH_ENV) $(BENCH_BIN) $(BENCH_ARGS)

bench-both: $(BENCH_BIN) $(BENCH_SIZE_BIN)
	@$(BENCH_ENV) bench/both.sh $(BENCH_BIN) $(BENCH_SIZE_BIN) $(BENCH_ARGS)

bench-size: $(BENCH_SIZE_BIN)
	@$(BENCH_ENV) IDMAP_BENCH_LIB_STAMP=$(HOST_SIZE_BUILD)/flags.stamp $(BENCH_SIZE_BIN) $(BENCH_ARGS)

bench-callgrind: $(call needs,valgrind) $(BENCH_BIN) $(BENCH_SIZE_BIN)
	@echo "== the speed build (build/host, -O2)"
	@$(BENCH_ENV) bench/callgrind.sh $(BENCH_BIN) $(BENCH_DIR)/callgrind $(BENCH_ARGS)
	@echo
	@echo "== the size build (build/host-size, -Os)"
	@$(BENCH_ENV) IDMAP_BENCH_LIB_STAMP=$(HOST_SIZE_BUILD)/flags.stamp bench/callgrind.sh $(BENCH_SIZE_BIN) $(BENCH_SIZE_DIR)/callgrind $(BENCH_ARGS)
