#!/usr/bin/env bash
# check_cmake.sh - the CMake step of make test: an outside CMake project, in a temporary
# directory, uses the library both ways a CMake firmware build can:
#   add_subdirectory(<idmap>)   for the host (a C and a C++ program, run), and for board
#                               qemu-virt with cmake/aarch64-clang.cmake (a freestanding
#                               C program linked with -nostdlib, no undefined symbol);
#   find_package(idmap)         after `make install PREFIX=<temp>` and
#                               `make install PREFIX=<temp> BOARD=qemu-virt`: the same for
#                               the host, and for the board with cmake/aarch64-gnu.cmake;
#                               the package's version is the header's, and a request for
#                               an incompatible version is refused.
# MAKE defaults to make; CMAKE to cmake.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
make_cmd=${MAKE:-make}
# CMake's generated Makefiles run $(MAKE): an exported MAKE="make -j2" would reach them.
unset MAKE
cmake_cmd=${CMAKE:-cmake}
board=qemu-virt
# Under make -j, CMake's make shares the caller's jobserver; else two jobs.
jobs=(-j 2)
case "${MAKEFLAGS-}" in *jobserver*) jobs=() ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/idmap-cmake.XXXXXX")
trap 'rm -rf "$work"' EXIT

version_part() { sed -n "s/^#define IDMAP_VERSION_$1 \([0-9][0-9]*\).*/\1/p" "$root/include/idmap.h"; }
version="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"

mkdir -p "$work/project"
cat > "$work/project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(firmware C CXX)
set(CMAKE_CXX_STANDARD 17)
if(USE_FIND_PACKAGE)
    find_package(idmap ${IDMAP_WANT} REQUIRED)
    message(STATUS "found idmap ${idmap_VERSION}")
else()
    add_subdirectory(${IDMAP_SOURCE_DIR} idmap)
endif()
set(WARN -Wall -Wextra -Werror)
if(IDMAP_BOARD)
    add_executable(board_prog board_main.c)
    target_compile_options(board_prog PRIVATE ${WARN} -ffreestanding -mgeneral-regs-only)
    target_link_options(board_prog PRIVATE -nostdlib -static -Wl,-e,_start -Wl,--gc-sections)
    target_link_libraries(board_prog PRIVATE idmap::idmap)
else()
    add_executable(c_prog main.c)
    target_compile_options(c_prog PRIVATE ${WARN} -pedantic)
    target_link_libraries(c_prog PRIVATE idmap::idmap)
    add_executable(cpp_prog main.cpp)
    target_compile_options(cpp_prog PRIVATE ${WARN})
    target_link_libraries(cpp_prog PRIVATE idmap::idmap)
endif()
CMAKE

cp "$root/tools/outside/host_main.c" "$work/project/main.c"

cat > "$work/project/main.cpp" <<'CPP'
#include "aarch64_paging/idmap.hpp"

using namespace aarch64_paging;

int main() {
    IdMap map(1, 1);
    if (!map.is_valid()) return 1;
    const Result r = map.map_range(MemoryRegion(0x80200000, 0x80400000),
                                   Attributes::NORMAL | Attributes::VALID);
    return r.is_ok() && map.table_count() >= 2 ? 0 : 2;
}
CPP

cp "$root/tools/outside/board_main.c" "$work/project/board_main.c"

# configure_and_build NAME CMAKE-ARGS...
configure_and_build() {
    local name=$1
    shift
    echo "== $name"
    "$cmake_cmd" -S "$work/project" -B "$work/$name" -DCMAKE_BUILD_TYPE=MinSizeRel "$@" \
        > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; return 1; }
    grep -E '^-- (found idmap|The (C|CXX) compiler identification)' "$work/$name.log" || true
    "$cmake_cmd" --build "$work/$name" "${jobs[@]}"
}
run_host() {
    "$work/$1/c_prog" && "$work/$1/cpp_prog"
    echo "$1: the C and the C++ program run"
}
check_board() {
    local elf=$work/$1/board_prog undefined
    llvm-readelf -h "$elf" | grep -q 'Machine: *AArch64' || { echo "check_cmake: $elf is not AArch64" >&2; return 1; }
    undefined=$(llvm-nm -u "$elf")
    [ -z "$undefined" ] || { echo "check_cmake: $elf needs: $undefined" >&2; return 1; }
    echo "$1: board_prog is AArch64, linked with -nostdlib, no undefined symbols"
}

configure_and_build subdir-host -DIDMAP_SOURCE_DIR="$root" -DIDMAP_WERROR=ON
run_host subdir-host
configure_and_build subdir-$board-clang -DIDMAP_SOURCE_DIR="$root" -DIDMAP_WERROR=ON \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-clang.cmake" -DIDMAP_BOARD=$board
check_board subdir-$board-clang

prefix=$work/prefix
echo "== make install PREFIX=$prefix (host, then BOARD=$board)"
# shellcheck disable=SC2086  # make_cmd carries arguments
$make_cmd -C "$root" install PREFIX="$prefix" BOARD= LLVM= > "$work/install.log"
# shellcheck disable=SC2086
$make_cmd -C "$root" install PREFIX="$prefix" BOARD=$board LLVM= >> "$work/install.log"
ls "$prefix/lib/cmake/idmap"

configure_and_build package-host -DUSE_FIND_PACKAGE=ON -DCMAKE_PREFIX_PATH="$prefix" \
    -DIDMAP_WANT="$version"
grep -q "^-- found idmap $version\$" "$work/package-host.log" ||
    { echo "check_cmake: find_package did not report version $version" >&2; exit 1; }
run_host package-host
configure_and_build package-$board-gnu -DUSE_FIND_PACKAGE=ON -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-gnu.cmake" -DIDMAP_BOARD=$board
check_board package-$board-gnu

# A version the package is not compatible with, and a board it does not have, must fail.
major=$(version_part MAJOR)
for args in "-DIDMAP_WANT=$((major + 1)).0" "-DIDMAP_BOARD=no-such-board"; do
    if "$cmake_cmd" -S "$work/project" -B "$work/refused" -DUSE_FIND_PACKAGE=ON \
        -DCMAKE_PREFIX_PATH="$prefix" "$args" > "$work/refused.log" 2>&1; then
        echo "check_cmake: find_package(idmap) with $args succeeded" >&2
        exit 1
    fi
    echo "refused as expected: find_package(idmap) with $args"
    rm -rf "$work/refused"
done
