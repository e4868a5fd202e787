#!/usr/bin/env bash
# check_examples.sh HOST_LIB FILE... - the README and header examples steps of make test:
# every code block of each FILE is built, so that the examples cannot rot. A FILE is
# Markdown, whose blocks are fenced (```lang), or a C or C++ header, whose blocks are the
# @code ... @endcode of its comments with the comment's /// or * taken off: C in a .h, C++
# in a .hpp (@code{.lang} names another), devicetree where a line reads "name = <...>;".
#
#   ```c, ```cpp   compiled against include/ and HOST_LIB (the host .a) with -Wall -Wextra
#                  -Werror (C as C99 -pedantic, C++ as C++17), then run; it must exit 0:
#                  - a block with a main() is a program as it is;
#                  - a block that defines functions taking no arguments gets a main() that
#                    calls each (an int or a Result answer must be 0 / Ok);
#                  - any other block is statements: it is wrapped in a main(), after the
#                    public headers (unused variables allowed there); in C++ each Result
#                    it declares at its outer level ("Result r = ...") must end Ok.
#   ```make        a block that includes idmap.mk is a project's Makefile: it is run in a
#                  temporary folder where third_party/idmap is this repository, and must
#                  build build/libidmap.a for qemu-virt with the GNU cross compiler, an
#                  archive that needs no symbol from outside.
#   ```cmake       appended to a small project (project(firmware C CXX), a C program
#                  "firmware"), configured and built for the host, and run.
#   devicetree     a fragment as export_devicetree() writes it: the map it shows (its one
#                  region's reg, output-address and descriptor; its regime, default el1&0)
#                  is built on the host and exported, under the block's outer node name
#                  (default idmap). Each line is compared without its indentation and
#                  without what follows its ";" or "{" (the notes): the block must show
#                  every line the export writes for the region, and every line it shows
#                  must be the export's, in the export's order, but for bare flags
#                  ("read-only;") that do not hold for this region.
#   ```sh and others: not run (they are commands for a person: make test, cmake -B ...).
# Prints one line per block; fails if any fails, if a FILE has no block, or if every
# block was skipped.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: check_examples.sh HOST_LIB FILE..." >&2; exit 2; }
host_lib=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
cc=${HOST_CC:-cc}
cxx=${HOST_CXX:-c++}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
make_cmd=${MAKE:-make}
unset MAKE  # CMake's generated Makefiles run $(MAKE)
# Under make -j, CMake's make shares the caller's jobserver; else two jobs.
jobs=(-j 2)
case "${MAKEFLAGS-}" in *jobserver*) jobs=() ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/idmap-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -f "$host_lib" ] || { echo "check_examples: $host_lib: no such library (build it first)" >&2; exit 2; }

passed=0
failed=0
skipped=0
compiled=0

# Split every FILE into block files $work/blocks/<n>, with "n lang line file" in index.
mkdir -p "$work/blocks"
: > "$work/blocks/index"
for file in "$@"; do
    [ -f "$file" ] || { echo "check_examples: $file: no such file" >&2; exit 2; }
    name=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
    name=${name#"$root"/}
    before=$(wc -l < "$work/blocks/index")
    case $file in
    *.h | *.hpp)
        [[ $file == *.h ]] && lang=c || lang=cpp
        awk -v dir="$work/blocks" -v n="$before" -v lang="$lang" -v name="$name" '
            !inblock && /^[ \t]*(\/\/\/|\/\*\*|\*).*@code/ {
                # @code{.ext} names the language; "name = <...>;" lines make it devicetree.
                this = lang; dts = 0
                if (match($0, /@code\{\.[A-Za-z0-9+_-]+\}/)) this = substr($0, RSTART + 7, RLENGTH - 8)
                n++; file = dir "/" n; inblock = 1; start = NR; printf "" > file
                next
            }
            inblock && /@endcode/ {
                inblock = 0; close(file)
                if (dts && (this == "c" || this == "cpp")) this = "devicetree"
                print n, this, start, name >> (dir "/index")
                next
            }
            inblock {
                text = $0
                sub(/^[ \t]*(\/\/\/|\*)/, "", text); sub(/^ /, "", text)
                if (text ~ /^[ \t]*[#A-Za-z0-9,._+-]+ = </) dts = 1
                print text > file
            }
        ' "$file"
        ;;
    *)
        awk -v dir="$work/blocks" -v n="$before" -v name="$name" '
            !inblock && /^```[A-Za-z0-9+_-]*[ \t]*$/ {
                lang = substr($0, 4); gsub(/[ \t]/, "", lang)
                if (lang == "") lang = "text"
                n++; file = dir "/" n; inblock = 1; printf "" > file
                print n, lang, NR, name >> (dir "/index")
                next
            }
            inblock && /^```[ \t]*$/ { inblock = 0; close(file); next }
            inblock { print > file }
        ' "$file"
        ;;
    esac
    if [ "$(wc -l < "$work/blocks/index")" -eq "$before" ]; then
        echo "FAIL $name: no code block"
        failed=$((failed + 1))
    fi
done

public_c_headers='#include "idmap.h"'
public_cxx_headers=$(cd "$root/include" && for h in idmap.h aarch64_paging/*.hpp; do echo "#include \"$h\""; done)

pass() { echo "PASS $origin:$line ($lang): $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $origin:$line ($lang): $1"; failed=$((failed + 1)); }
skip() { echo "skip $origin:$line ($lang): $1"; skipped=$((skipped + 1)); }

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

# The Results a block of statements declares at its outer level, as indented as its first
# line ("Result r = ..."), which must be Ok when it ends. Prints their names.
results() {
    awk '
        !seen && /[^ \t]/ { seen = 1; match($0, /^[ \t]*/); indent = RLENGTH }
        seen {
            line = substr($0, indent + 1)
            if (substr($0, 1, indent) ~ /^[ \t]*$/ &&
                match(line, /^(aarch64_paging::)?Result [A-Za-z_][A-Za-z0-9_]* =/)) {
                name = substr(line, 1, RLENGTH - 2); sub(/.* /, "", name)
                print name
            }
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

# The exporter of the devicetree blocks: export_dts NODE REGIME VA SIZE PA DESCRIPTOR
# writes what export_devicetree() writes for a map of that one region.
exporter=$work/export_dts
build_exporter() {
    [ -x "$exporter" ] && return 0
    cat > "$exporter.cpp" <<'CPP'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aarch64_paging/export.hpp"
#include "aarch64_paging/linear_map.hpp"

using namespace aarch64_paging;

namespace {
void to_stdout(void*, const char* text, size_t len) { fwrite(text, 1, len, stdout); }
}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) return 2;
    const char* const regimes[] = {"el1&0", "el2", "el2&0", "el3"};  // TranslationRegime's values
    unsigned r = 0;
    while (r < 4 && strcmp(argv[2], regimes[r]) != 0) r++;
    if (r == 4) {
        fprintf(stderr, "no regime %s\n", argv[2]);
        return 2;
    }
    const uint64_t va = strtoull(argv[3], nullptr, 0);
    const uint64_t size = strtoull(argv[4], nullptr, 0);
    const uint64_t pa = strtoull(argv[5], nullptr, 0);
    const uint64_t descriptor = strtoull(argv[6], nullptr, 0);
    const Regime where{static_cast<TranslationRegime>(r), va >> 63 ? VaRange::Upper : VaRange::Lower};
    LinearMap map(where, 0, 1, static_cast<int64_t>(pa - va));
    // The descriptor without its output address and type bits is what map_range takes.
    Result result = map.map_range(MemoryRegion(va, va + size), Attributes(descriptor) & ~REFUSED_MAP_FLAGS);
    if (result) {
        TextWriter out(to_stdout, nullptr);
        result = export_devicetree(map.mapping(), argv[1], out);
    }
    if (!result) {
        char text[160];
        result.error().format(text, sizeof text);
        fprintf(stderr, "%s\n", text);
        return 1;
    }
    return 0;
}
CPP
    if ! "$cxx" -std=c++17 -Wall -Wextra -Werror -I"$root/include" "$exporter.cpp" "$host_lib" -o "$exporter" > "$exporter.log" 2>&1; then
        cat "$exporter.log"
        return 1
    fi
}

# cells PROPERTY FILE: the cells of the first "PROPERTY = <...>;" of a devicetree text.
cells() { sed -n "s/^[ \t]*$1 = <\([^>]*\)>;.*/\1/p" "$2" | head -n 1; }
# hex HIGH LOW: the 64-bit value of two cells.
hex() { printf '0x%x' $((($1 << 32) | $2)); }

# A devicetree text's lines as compared: no indentation, nothing after the first ";" or
# "{" (the notes), no blank lines.
dts_lines() {
    awk '{
        sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "")
        if (match($0, /[;{]/)) $0 = substr($0, 1, RSTART)
        if ($0 != "") print
    }' "$1"
}

# in_order A B: every line of A is a line of B, in the same order; else prints the first
# that is not.
in_order() {
    awk 'FILENAME == ARGV[1] { a[++n] = $0; next }
         i < n && $0 == a[i + 1] { i++ }
         END { if (i < n) { print a[i + 1]; exit 1 } }' "$1" "$2"
}

while read -r n lang line origin; do
    block=$work/blocks/$n
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
                    echo 'inline bool example_ok(int r) { return r == 0; }'
                    echo 'inline bool example_ok(const aarch64_paging::Result& r) { return r.is_ok(); }'
                fi
                echo 'int main(void) {'
                while read -r fn_line; do
                    name=${fn_line##* }
                    type=${fn_line% *}
                    if [ "$type" = void ]; then
                        echo "    $name();"
                    elif [ "$lang" = cpp ]; then
                        echo "    if (!example_ok($name())) return 1;"
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
                [ "$lang" = cpp ] && results "$block" | sed 's/.*/    if (!&) return 1;/'
                echo '    return 0;'
                echo '}'
            } > "$src"
        fi
        build_and_run "$src" "${compile[@]}"
        ;;
    devicetree)
        # The map the block shows: its region (two cells a value), regime and node name.
        read -r va_hi va_lo size_hi size_lo <<<"$(cells reg "$block")"
        read -r pa_hi pa_lo <<<"$(cells output-address "$block")"
        read -r d_hi d_lo <<<"$(cells descriptor "$block")"
        regime=$(sed -n 's/^[ \t]*regime = "\([^"]*\)";.*/\1/p' "$block" | head -n 1)
        node=$(sed -n 's/^[ \t]*\([A-Za-z0-9,._+-]*\) {.*/\1/p' "$block" | head -n 1)
        what="export_devicetree() of the map it shows"
        if [ -z "${size_lo-}" ] || [ -z "${pa_lo-}" ] || [ -z "${d_lo-}" ]; then
            fail "shows no region with reg, output-address and descriptor"
            continue
        fi
        if ! build_exporter; then
            fail "the exporter does not compile"
            continue
        fi
        if ! "$exporter" "${node:-idmap}" "${regime:-el1&0}" "$(hex "$va_hi" "$va_lo")" \
            "$(hex "$size_hi" "$size_lo")" "$(hex "$pa_hi" "$pa_lo")" "$(hex "$d_hi" "$d_lo")" \
            > "$block.export" 2>&1; then
            cat "$block.export"
            fail "$what: the map cannot be built or exported"
            continue
        fi
        dts_lines "$block" > "$block.shown"
        dts_lines "$block.export" > "$block.written"
        # Every line the export writes for the region is shown...
        awk '/^region@/ { on = 1 } on { print } on && /^};$/ { exit }' "$block.written" > "$block.region"
        if ! missing=$(in_order "$block.region" "$block.shown"); then
            sed 's/^/    export: /' "$block.export"
            fail "$what: the block lacks the export's \"$missing\" (or shows it elsewhere)"
            continue
        fi
        # ...and every line shown is written, but for flags that do not hold here.
        grep -Ev '^[a-z-]+;$' "$block.shown" > "$block.values"
        if ! extra=$(in_order "$block.values" "$block.written"); then
            sed 's/^/    export: /' "$block.export"
            fail "$what: the export does not write \"$extra\" (or not in that order)"
            continue
        fi
        pass "$what, the same lines"
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

echo "examples: $passed passed, $failed failed, $skipped skipped ($compiled C/C++ blocks compiled)"
[ $((passed + failed)) -gt 0 ] || { echo "check_examples: every block was skipped" >&2; exit 1; }
[ "$failed" -eq 0 ]
