#!/usr/bin/env bash
# check_mixed_build.sh CXX SPEED_LIB SIZE_LIB - a C++ program and a library of the other
# build (tuning.hpp): compiled with -O2 over the size build's library, or with -Os over the
# speed build's, the program must either fail to link (its templates are in another inline
# namespace than the library's: no silent mix of two definitions) or, told the library's
# build with -DAARCH64_PAGING_SIZE_BUILD as the installed package's flags say, link and
# run correctly (tests/mixed/program.cpp).
set -u
cxx=$1 speed_lib=$2 size_lib=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
flags="-std=c++17 -Wall -Wextra -Werror -DIDMAP_HOST=1 -Iinclude"
status=0

# $(mixed name opt lib define expect): expect is "link-error NAMESPACE" or "runs".
mixed() {
    local name=$1 opt=$2 lib=$3 define=$4 expect=$5
    local out="$dir/$name"
    if ! $cxx $flags $opt $define tests/mixed/program.cpp -c -o "$out.o" 2> "$out.log"; then
        echo "FAIL $name: does not compile"; sed 's/^/    /' "$out.log"; status=1; return
    fi
    if $cxx "$out.o" "$lib" -o "$out" 2> "$out.log"; then
        if [ "$expect" = runs ]; then
            if "$out"; then echo "ok   $name: links and runs"; return; fi
            echo "FAIL $name: runs wrong"; status=1; return
        fi
        echo "FAIL $name: linked, though its templates are not the library's build"; status=1; return
    fi
    if [ "$expect" != runs ] && grep -q "${expect#link-error }" "$out.log"; then
        echo "ok   $name: refused at link time (undefined ${expect#link-error } symbols)"
        return
    fi
    echo "FAIL $name: does not link"; sed 's/^/    /' "$out.log" | head -5; status=1
}

mixed "-O2 program, -Os library" -O2 "$size_lib" "" "link-error speed_build"
mixed "-O2 program told the size build, -Os library" -O2 "$size_lib" -DAARCH64_PAGING_SIZE_BUILD=1 runs
mixed "-Os program, -O2 library" -Os "$speed_lib" "" "link-error size_build"
mixed "-Os program told the speed build, -O2 library" -Os "$speed_lib" -DAARCH64_PAGING_SIZE_BUILD=0 runs
mixed "-O2 program, -O2 library" -O2 "$speed_lib" "" runs
exit $status
