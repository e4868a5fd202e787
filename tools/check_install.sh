#!/usr/bin/env bash
# check_install.sh [BOARD] - the install + pkg-config step of make test.
#
# Installs into a temporary prefix with `$MAKE install`, then builds and runs a C99
# program with nothing but `pkg-config --cflags --libs idmap` (PKG_CONFIG_PATH pointed
# there), and checks that the .pc carries include/idmap.h's version. With BOARD, also
# installs that board's library and checks that `pkg-config idmap-BOARD` resolves to it.
# MAKE defaults to make.
set -eu

make_cmd=${MAKE:-make}
board=${1-}
prefix=$(mktemp -d "${TMPDIR:-/tmp}/idmap-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

# shellcheck disable=SC2086  # make_cmd carries arguments
$make_cmd install PREFIX="$prefix" BOARD= LLVM=
for f in include/idmap.h lib/libidmap.a lib/pkgconfig/idmap.pc; do
    [ -f "$prefix/$f" ] || { echo "check_install: $prefix/$f was not installed" >&2; exit 1; }
done

cat > "$prefix/prog.c" <<'PROG'
#include <idmap.h>

int main(void) {
    if (idmap_version() != IDMAP_VERSION) return 4;
    idmap_region_t r = idmap_region(0x80200000u, 0x80400000u);
    idmap_t *map = idmap_new(1, 1);
    if (map == NULL) return 1;
    if (idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) != IDMAP_OK) return 2;
    if (idmap_table_count(map) < 2) return 3;
    idmap_free(map);
    return 0;
}
PROG
# The .pc carries the header's version (IDMAP_VERSION_MAJOR/MINOR/PATCH in idmap.h).
version_part() { sed -n "s/^#define IDMAP_VERSION_$1 \([0-9][0-9]*\).*/\1/p" include/idmap.h; }
header_version="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"
pc_version=$(pkg-config --modversion idmap)
echo "pkg-config --modversion idmap: $pc_version (include/idmap.h: $header_version)"
[ "$pc_version" = "$header_version" ] ||
    { echo "check_install: idmap.pc has version '$pc_version', idmap.h $header_version" >&2; exit 1; }
pkg-config --exists "idmap >= $header_version" ||
    { echo "check_install: pkg-config --exists 'idmap >= $header_version' failed" >&2; exit 1; }

flags=$(pkg-config --cflags --libs idmap)
echo "pkg-config --cflags --libs idmap: $flags"
# shellcheck disable=SC2086  # flags is a list of words
${HOST_CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror "$prefix/prog.c" $flags -o "$prefix/prog"
"$prefix/prog"
echo "a C99 program built with pkg-config against $prefix runs"

if [ -n "$board" ]; then
    # shellcheck disable=SC2086
    $make_cmd install PREFIX="$prefix" BOARD="$board" LLVM=
    [ -f "$prefix/lib/$board/libidmap.a" ] || { echo "check_install: lib/$board/libidmap.a missing" >&2; exit 1; }
    [ "$(pkg-config --modversion "idmap-$board")" = "$header_version" ] ||
        { echo "check_install: idmap-$board.pc does not carry version $header_version" >&2; exit 1; }
    libs=$(pkg-config --libs "idmap-$board")
    echo "pkg-config --libs idmap-$board: $libs"
    case " $libs " in
        *" -L$prefix/lib/$board "*) ;;
        *) echo "check_install: idmap-$board.pc does not point at $prefix/lib/$board" >&2; exit 1 ;;
    esac
fi
