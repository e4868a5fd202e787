#!/usr/bin/env bash
# size_contract.sh - the code a C program gets from a board's libidmap.a, by what it calls:
# links a program that references the functions with --gc-sections and prints the image's
# .text, .rodata, .data and .bss: the library's, but for the program's own table of
# function pointers (4 bytes of .text, and its .data with GNU ld, which places such a
# table there). The programs:
#   map           idmap_new, idmap_map_range, idmap_activate: a first map, activated
#   bring-up      idmap_new, idmap_map_range, idmap_enable_mmu: the same, and the MMU
#                 turned on through the library (MAIR, TCR, SCTLR)
#   core+facade   every function of the C ABI contract (shared/spec/c-abi.md) but its two
#                 text formatters, idmap_dump and idmap_format_error
#   contract      the whole contract
#   contract+mmu  the whole contract and the MMU bring-up
#
#   size_contract.sh CC LD SIZE LIB [LIMIT]
# With LIMIT: fails unless core+facade's .text is under LIMIT bytes.
set -eu
cc=$1 ld=$2 size=$3 lib=$4 limit=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
core="idmap_activate idmap_deactivate idmap_descriptor_flags idmap_descriptor_is_table_or_page
idmap_descriptor_is_valid idmap_descriptor_modify_flags idmap_descriptor_output_address
idmap_free idmap_is_active idmap_last_error idmap_map_range idmap_map_range_with_constraints
idmap_modify_range idmap_new idmap_new_with_allocator idmap_region idmap_root_address idmap_size
idmap_status_str idmap_table_count idmap_walk_range"
formatters="idmap_dump idmap_format_error"
# $(program name functions...): an object whose entry references the functions; prints
# the linked image's sizes and leaves its .text in $text.
text=0
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
    local line
    line=$($size -A "$dir/$name.elf" | awk -v what="$name" '
        $1 ~ /^\.text/ { text += $2 } $1 ~ /^\.rodata/ { ro += $2 }
        $1 ~ /^\.data/ { data += $2 } $1 ~ /^\.bss/ { bss += $2 }
        END { printf "%-13s .text %6d  .rodata %5d  .data %4d  .bss %8d\n", what, text, ro, data, bss }')
    echo "$line"
    text=$(echo "$line" | awk '{ print $3 }')
}
program map idmap_new idmap_map_range idmap_activate
program bring-up idmap_new idmap_map_range idmap_enable_mmu
# shellcheck disable=SC2086
program core+facade $core
core_text=$text
# shellcheck disable=SC2086
program contract $core $formatters
# shellcheck disable=SC2086
program contract+mmu $core $formatters idmap_enable_mmu idmap_disable_mmu
if [ -n "$limit" ]; then
    if [ "$core_text" -ge "$limit" ]; then
        echo "size_contract: the core and C facade link $core_text bytes of .text, not under $limit" >&2
        exit 1
    fi
    echo "core+facade: $core_text bytes of .text, under $limit"
fi
