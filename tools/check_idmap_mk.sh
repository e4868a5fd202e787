#!/usr/bin/env bash
# check_idmap_mk.sh - the idmap.mk step of make test: an outside project, in a temporary
# directory, includes idmap.mk and builds the library with its own rules and flags.
#
#   - for a board (qemu-virt's CPU flags and pool size, from boards/qemu-virt/board.mk),
#     once with the GNU cross compiler (${CROSS_COMPILE}gcc/g++) and once with
#     clang --target=aarch64-none-elf; links a freestanding C program against the result
#     with -nostdlib (any undefined symbol fails the link) and checks that the image has
#     no undefined symbol, and that the archive needs nothing from outside
#     (tests/check_symbols.sh);
#   - for the host (IDMAP_HOST=1), links a C program with the host compiler and runs it;
#   - checks that idmap.mk stops with $(error) on bad settings.
# MAKE defaults to make.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
make_cmd=${MAKE:-make}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
work=$(mktemp -d "${TMPDIR:-/tmp}/idmap-mk.XXXXXX")
trap 'rm -rf "$work"' EXIT

board_var() { sed -n "s/^$1 *:= *//p" "$root/boards/qemu-virt/board.mk"; }
cpu_flags=$(board_var BOARD_CPU_FLAGS)
pool_pages=$(board_var BOARD_POOL_PAGES)
max_maps=$(board_var BOARD_MAX_MAPS)

# The outside project: its own Makefile, its own object layout, its own flags.
mkdir -p "$work/project"
cat > "$work/project/Makefile" <<'MK'
# A firmware project that embeds libidmap through idmap.mk.
# make IDMAP_DIR=... TOOLCHAIN=gnu|clang|host [CPU_FLAGS=...] [IDMAP_POOL_PAGES=...] [V=1]
.SUFFIXES:
# Its own quiet build, as TF-A's: V=1 shows the commands. idmap.mk must leave V and Q alone.
ifeq ($(V),1)
Q :=
else
Q := @
endif
include $(IDMAP_DIR)/idmap.mk

OUT := out-$(TOOLCHAIN)
WARN := -Wall -Wextra -Werror

ifeq ($(TOOLCHAIN),gnu)
CC  := $(CROSS_COMPILE)gcc
CXX := $(CROSS_COMPILE)g++
AR  := $(CROSS_COMPILE)ar
NM  := $(CROSS_COMPILE)nm
LINK := $(CC) -nostdlib -static -Wl,-e,_start -Wl,--gc-sections
EXTRA_CXXFLAGS := $(IDMAP_GCC_CXXFLAGS)
else ifeq ($(TOOLCHAIN),clang)
CC  := clang --target=aarch64-none-elf
CXX := clang++ --target=aarch64-none-elf
AR  := llvm-ar
NM  := llvm-nm
LINK := $(CC) -nostdlib -static -fuse-ld=lld -Wl,-e,_start -Wl,--gc-sections
EXTRA_CXXFLAGS :=
else ifeq ($(TOOLCHAIN),host)
CC  := cc
CXX := c++
AR  := ar
NM  := nm
LINK := $(CC)
EXTRA_CXXFLAGS :=
else
$(error TOOLCHAIN must be gnu, clang or host)
endif

ifeq ($(TOOLCHAIN),host)
SRCS   := $(IDMAP_HOST_SRCS)
CFLAGS := -O2 $(WARN)
PROG   := host_main.c
else
SRCS   := $(IDMAP_SRCS)
CFLAGS := -Os $(WARN) -ffreestanding -mgeneral-regs-only -ffunction-sections -fdata-sections \
	-fno-pic -fno-asynchronous-unwind-tables $(CPU_FLAGS)
PROG   := board_main.c
endif
CXXFLAGS := $(CFLAGS) $(IDMAP_CXXFLAGS) $(EXTRA_CXXFLAGS)

IDMAP_OBJS := $(patsubst $(IDMAP_DIR)/%,$(OUT)/idmap/%.o,$(SRCS))

all: $(OUT)/prog

$(OUT)/libidmap.a: $(IDMAP_OBJS)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/idmap/%.cpp.o: $(IDMAP_DIR)/%.cpp
	@mkdir -p $(@D)
	$(Q)$(CXX) $(CXXFLAGS) $(IDMAP_CPPFLAGS) -c $< -o $@

$(OUT)/idmap/%.S.o: $(IDMAP_DIR)/%.S
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPU_FLAGS) $(WARN) $(IDMAP_CPPFLAGS) -c $< -o $@

# The program sees only the public headers: no -D, no src/.
$(OUT)/prog: $(PROG) $(OUT)/libidmap.a
	$(Q)$(CC) $(CFLAGS) -std=c99 -pedantic -I$(IDMAP_DIR)/include -c $(PROG) -o $(OUT)/prog.o
	$(Q)$(LINK) $(OUT)/prog.o $(OUT)/libidmap.a -o $@

print-%:
	@echo '$($*)'
MK

cp "$root/tools/outside/board_main.c" "$work/project/board_main.c"

cp "$root/tools/outside/host_main.c" "$work/project/host_main.c"

cd "$work/project"
status=0
# shellcheck disable=SC2086  # make_cmd carries arguments
for tc in gnu clang; do
    echo "== idmap.mk, board qemu-virt ($cpu_flags), $tc"
    $make_cmd IDMAP_DIR="$root" TOOLCHAIN=$tc CROSS_COMPILE="$cross" CPU_FLAGS="$cpu_flags" \
        IDMAP_POOL_PAGES="$pool_pages" IDMAP_MAX_MAPS="$max_maps"
    nm_cmd=$($make_cmd -s IDMAP_DIR="$root" TOOLCHAIN=$tc CROSS_COMPILE="$cross" print-NM)
    "$root/tests/check_symbols.sh" "$nm_cmd" "out-$tc/libidmap.a"
    undefined=$($nm_cmd -u "out-$tc/prog")
    if [ -n "$undefined" ]; then
        echo "check_idmap_mk: out-$tc/prog has undefined symbols:" >&2
        echo "$undefined" >&2
        status=1
    else
        echo "out-$tc/prog ($tc, -nostdlib): no undefined symbols"
    fi
done

echo "== idmap.mk, host (IDMAP_HOST=1)"
$make_cmd IDMAP_DIR="$root" TOOLCHAIN=host IDMAP_HOST=1
./out-host/prog
echo "a host program built through idmap.mk runs"

# The project's V handling holds with idmap.mk included: Q is @, and empty with V=1.
for v in 0 1; do
    want=$([ $v = 1 ] || echo @)
    q=$($make_cmd -s IDMAP_DIR="$root" TOOLCHAIN=host IDMAP_HOST=1 V=$v print-Q)
    if [ "$q" = "$want" ]; then
        echo "the project's own V=$v holds: Q is '$q'"
    else
        echo "check_idmap_mk: with V=$v the project's Q is '$q', not '$want'" >&2
        status=1
    fi
done

# Each bad setting must stop make with idmap.mk's message.
expect_error() { # expect_error 'message part' make arguments...
    local want=$1 out
    shift
    if out=$($make_cmd -n "$@" 2>&1); then
        echo "check_idmap_mk: make $* succeeded; expected an error '$want'" >&2
        status=1
    elif ! grep -qF -- "$want" <<<"$out"; then
        echo "check_idmap_mk: make $* failed without '$want':" >&2
        echo "$out" >&2
        status=1
    else
        echo "refused as expected: $*"
    fi
}
expect_error "set IDMAP_DIR" -f "$root/idmap.mk"
expect_error "has no include/idmap.h" -f "$root/idmap.mk" IDMAP_DIR="$work"
expect_error "IDMAP_POOL_PAGES must be a decimal number" IDMAP_DIR="$root" TOOLCHAIN=gnu IDMAP_POOL_PAGES=lots
expect_error "IDMAP_POOL_PAGES must be a decimal number" IDMAP_DIR="$root" TOOLCHAIN=gnu IDMAP_POOL_PAGES=0
expect_error "IDMAP_MAX_MAPS must be a decimal number" IDMAP_DIR="$root" TOOLCHAIN=gnu IDMAP_MAX_MAPS=08
expect_error "IDMAP_HOST must be 1" IDMAP_DIR="$root" TOOLCHAIN=gnu IDMAP_HOST=yes
exit $status
