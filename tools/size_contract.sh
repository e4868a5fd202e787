#!/usr/bin/env bash
# size_contract.sh - the code a C program gets from a board's libidmap.a when it uses every
# function of the C ABI contract (shared/spec/c-abi.md), and when it also turns the MMU on
# through the library: links a program that references them with --gc-sections and
# prints the image's .text, .rodata, .data and .bss: the library's, but for the program's
# own table of function pointers (4 bytes of .text, and its 184 or 200 bytes of .data with
# GNU ld, which places such a table there).
#
#   size_contract.sh CC LD SIZE LIB
set -eu
cc=$1 ld=$2 size=$3 lib=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
contract="idmap_activate idmap_deactivate idmap_descriptor_flags idmap_descriptor_is_table_or_page
idmap_descriptor_is_valid idmap_descriptor_modify_flags idmap_descriptor_output_address idmap_dump
idmap_format_error idmap_free idmap_is_active idmap_last_error idmap_map_range
idmap_map_range_with_constraints idmap_modify_range idmap_new idmap_new_with_allocator idmap_region
idmap_root_address idmap_size idmap_status_str idmap_table_count idmap_walk_range"
# $(program name functions...): an object whose entry references the functions.
program() {
    local name=$1
    shift
    { echo '#include <idmap.h>'
      echo 'typedef void (*fn)(void);'
      echo 'const fn used[] = {'
      for f in "$@"; do echo "    (fn)$f,"; done
      echo '};'
      echo 'void _start(void) {}'
    } > "$dir/$name.c"
    $cc -Os -ffreestanding -nostdlib -Iinclude -c "$dir/$name.c" -o "$dir/$name.o"
    $ld --gc-sections -e _start -u used "$dir/$name.o" "$lib" -o "$dir/$name.elf"
    # The program's own part is the table of pointers; its code is 4 bytes.
    $size -A "$dir/$name.elf" | awk -v what="$name" '
        $1 ~ /^\.text/ { text += $2 } $1 ~ /^\.rodata/ { ro += $2 }
        $1 ~ /^\.data/ { data += $2 } $1 ~ /^\.bss/ { bss += $2 }
        END { printf "%-22s .text %6d  .rodata %5d  .data %4d  .bss %8d\n", what, text, ro, data, bss }'
}
# shellcheck disable=SC2086
program contract $contract
# shellcheck disable=SC2086
program contract+mmu $contract idmap_enable_mmu idmap_disable_mmu
