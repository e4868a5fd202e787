#!/usr/bin/env bash
# check_readme.sh HOST_LIB [README] - the README examples step of make test: every code
# block of README.md is built, so that the examples cannot rot.
#
#   ```c, ```cpp   compiled against include/ and HOST_LIB (the host .a) with -Wall -Wextra
#                  -Werror (C as C99 -pedantic, C++ as C++17), then run; it must exit 0:
#                  - a block with a main() is a program as it is;
#                  - a block that defines functions taking no arguments gets a main() that
#                    calls each (an int or a Result answer must be 0 / Ok);
#                  - any other block is statements: it is wrapped in a main(), after the
#                    public headers (unused variables allowed there).
#   ```make        a block that includes idmap.mk is a project's Makefile: it is run in a
#                  temporary folder where third_party/idmap is this repository, and must
#                  build build/libidmap.a for qemu-virt with the GNU cross compiler, an
#                  archive that needs no symbol from outside.
#   ```cmake       appended to a small project (project(firmware C CXX), a C program
#                  "firmware"), configured and built for the host, and run.
#   ```sh and others: not run (they are commands for a person: make test, cmake -B ...).
# Prints one line per block; fails if any fails, or if there is no C or C++ block.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
host_lib=$(cd "$(dirname "${1:?usage: check_readme.sh HOST_LIB [README]}")" && pwd)/$(basename "$1")
readme=${2:-$root/README.md}
cc=${HOST_CC:-cc}
cxx=${HOST_CXX:-c++}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
make_cmd=${MAKE:-make}
unset MAKE  # CMake's generated Makefiles run $(MAKE)
# Under make -j, CMake's make shares the caller's jobserver; else two jobs.
jobs=(-j 2)
case "${MAKEFLAGS-}" in *jobserver*) jobs=() ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/idmap-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -f "$host_lib" ] || { echo "check_readme: $host_lib: no such library (build it first)" >&2; exit 2; }

# Split the README into block files: $work/blocks/<n>.<lang>, and "n lang line" in index.
mkdir -p "$work/blocks"
awk -v dir="$work/blocks" '
    !inblock && /^```[A-Za-z0-9+_-]*[ \t]*$/ {
        lang = substr($0, 4); gsub(/[ \t]/, "", lang)
        if (lang == "") lang = "text"
        n++; file = dir "/" n "." lang; inblock = 1; printf "" > file
        print n, lang, NR > (dir "/index")
        next
    }
    inblock && /^```[ \t]*$/ { inblock = 0; close(file); next }
    inblock { print > file }
' "$readme"

public_c_headers='#include "idmap.h"'
public_cxx_headers=$(cd "$root/include" && for h in idmap.h aarch64_paging/*.hpp; do echo "#include \"$h\""; done)

passed=0
failed=0
skipped=0
compiled=0
pass() { echo "PASS $readme_name:$line ($lang): $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $readme_name:$line ($lang): $1"; failed=$((failed + 1)); }
skip() { echo "skip $readme_name:$line ($lang): $1"; skipped=$((skipped + 1)); }
readme_name=$(basename "$readme")

# Top-level definitions of functions with no parameters: "type name(void) {" or
# "type name()" with the brace on the next line. Prints "type name" per function.
functions() {
    awk '
        /^[A-Za-z_][A-Za-z0-9_:<>* ]*[ *&][A-Za-z_][A-Za-z0-9_]*[ ]*\((void)?\)[ ]*(\{.*)?$/ {
            line = $0; sub(/[ ]*\(.*$/, "", line)
            name = line; sub(/^.*[ *&]/, "", name)
            type = substr(line, 1, length(line) - length(name)); gsub(/[ ]+$/, "", type)
            if (name != "main") print type, name
        }' "$1"
}

build_and_run() { # build_and_run SOURCE COMPILER FLAGS...
    local src=$1 bin=${1%.*}.bin
    shift
    if ! "$@" "$src" "$host_lib" -o "$bin" > "$src.log" 2>&1; then
        cat "$src.log"
        fail "does not compile"
        return
    fi
    compiled=$((compiled + 1))
    if ! (cd "$work" && "$bin") > "$src.out" 2>&1; then
        cat "$src.out"
        fail "compiles, but the program fails"
        return
    fi
    pass "$what, compiles and runs"
}

while read -r n lang line; do
    block=$work/blocks/$n.$lang
    case $lang in
    c | cpp)
        ext=$lang
        if [ "$lang" = c ]; then
            compile=("$cc" -std=c99 -pedantic -Wall -Wextra -Werror -I"$root/include")
            headers=$public_c_headers
        else
            compile=("$cxx" -std=c++17 -Wall -Wextra -Werror -I"$root/include")
            headers=$public_cxx_headers
        fi
        src=$work/block$n.$ext
        if grep -Eq '(^|[^A-Za-z0-9_])main[ ]*\(' "$block"; then
            what="a program"
            cp "$block" "$src"
        elif fns=$(functions "$block") && [ -n "$fns" ]; then
            what="functions $(awk '{ printf "%s%s()", sep, $NF; sep = ", " }' <<<"$fns") called from a main()"
            {
                cat "$block"
                echo
                if [ "$lang" = cpp ]; then
                    echo 'inline bool readme_ok(int r) { return r == 0; }'
                    echo 'inline bool readme_ok(const aarch64_paging::Result& r) { return r.is_ok(); }'
                fi
                echo 'int main(void) {'
                while read -r fn_line; do
                    name=${fn_line##* }
                    type=${fn_line% *}
                    if [ "$type" = void ]; then
                        echo "    $name();"
                    elif [ "$lang" = cpp ]; then
                        echo "    if (!readme_ok($name())) return 1;"
                    else
                        echo "    if ($name() != 0) return 1;"
                    fi
                done <<<"$fns"
                echo '    return 0;'
                echo '}'
            } > "$src"
        else
            what="statements wrapped in a main()"
            compile+=(-Wno-unused-variable -Wno-unused-but-set-variable)
            {
                echo "$headers"
                [ "$lang" = cpp ] && echo 'using namespace aarch64_paging;'
                echo 'int main(void) {'
                cat "$block"
                echo '    return 0;'
                echo '}'
            } > "$src"
        fi
        build_and_run "$src" "${compile[@]}"
        ;;
    make)
        if ! grep -q 'idmap\.mk' "$block"; then
            skip "does not include idmap.mk"
            continue
        fi
        proj=$work/make$n
        mkdir -p "$proj/third_party"
        ln -s "$root" "$proj/third_party/idmap"
        cp "$block" "$proj/Makefile"
        cpu=$(sed -n 's/^BOARD_CPU_FLAGS *:= *//p' "$root/boards/qemu-virt/board.mk")
        what="a Makefile (qemu-virt, ${cross}gcc)"
        # shellcheck disable=SC2086  # make_cmd carries arguments; cpu is a list of flags
        if ! $make_cmd -C "$proj" build/libidmap.a CC="${cross}gcc" CXX="${cross}g++" \
            AR="${cross}ar" CFLAGS="$cpu -Wall -Wextra -Werror" \
            CXXFLAGS="-Os $cpu -Wall -Wextra -Werror" > "$proj.log" 2>&1; then
            cat "$proj.log"
            fail "$what: does not build build/libidmap.a"
        elif ! "$root/tests/check_symbols.sh" "${cross}nm" "$proj/build/libidmap.a" > "$proj.nm" 2>&1; then
            cat "$proj.nm"
            fail "$what: the archive needs symbols from outside"
        else
            pass "$what, builds a self-contained build/libidmap.a"
        fi
        ;;
    cmake)
        proj=$work/cmake$n
        mkdir -p "$proj/third_party"
        ln -s "$root" "$proj/third_party/idmap"
        {
            echo 'cmake_minimum_required(VERSION 3.16)'
            echo 'project(firmware C CXX)'
            echo 'add_executable(firmware main.c)'
            cat "$block"
        } > "$proj/CMakeLists.txt"
        cat > "$proj/main.c" <<'C'
#include <idmap.h>
int main(void) { return idmap_version() == IDMAP_VERSION && idmap_new(1, 1) != NULL ? 0 : 1; }
C
        what="CMake, appended to a project with a C program 'firmware' (host)"
        if ! { cmake -S "$proj" -B "$proj/build" && cmake --build "$proj/build" "${jobs[@]}"; } > "$proj.log" 2>&1; then
            cat "$proj.log"
            fail "$what: does not configure or build"
        elif ! "$proj/build/firmware"; then
            fail "$what: the program fails"
        else
            pass "$what, builds and runs"
        fi
        ;;
    *)
        skip "not run"
        ;;
    esac
done < "$work/blocks/index"

echo "$readme_name: $passed passed, $failed failed, $skipped skipped ($compiled C/C++ blocks compiled)"
[ "$compiled" -gt 0 ] || { echo "check_readme: no C or C++ block compiled" >&2; exit 1; }
[ "$failed" -eq 0 ]
