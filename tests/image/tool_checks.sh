#!/usr/bin/env bash
# tool_checks.sh - checks of idmap-image's outputs (make test-image runs each as a step).
#
#   tool_checks.sh TOOL HOST_CHECK OUTDIR tables MEMMAP
#       the image against libidmap.a's at the same addresses, absolute and relocated
#       (HOST_CHECK tables), and the printed SHA-256 against sha256sum's of the image
#   tool_checks.sh TOOL HOST_CHECK OUTDIR determinism MEMMAP
#       two runs give the same .S, image and SHA-256; one attribute changed in one
#       line gives another SHA-256
#   tool_checks.sh TOOL HOST_CHECK OUTDIR bad-maps
#       malformed maps: exit status 1 and a message with the file and line at fault
#   tool_checks.sh TOOL HOST_CHECK OUTDIR svg MEMMAP COMMITTED.svg
#       the SVG is well-formed XML (HOST_CHECK xml, and xmllint where installed) and
#       COMMITTED.svg (the README's) is what the tool draws now
#
# Exit status 0 iff every check passed; each check prints one line.
set -u

tool=$1 check=$2 out=$3 what=$4
shift 4
mkdir -p "$out"
failures=0

result() { # result STATUS what...
    local status=$1
    shift
    if [ "$status" -eq 0 ]; then echo "ok   $*"; else echo "FAIL $*"; failures=$((failures + 1)); fi
}

sha_of() { sed -n 's/^sha256 //p' "$1"; }

case $what in
tables)
    memmap=$1
    b=$(basename "$(dirname "$memmap")")
    "$tool" --bin "$out/$b.bin" "$memmap" > "$out/$b.txt"
    result $? "$b: idmap-image $memmap: $(head -n 1 "$out/$b.txt")"
    "$check" tables "$memmap" "$out/$b.bin"
    result $? "$b: the image against libidmap.a's"
    printed=$(sha_of "$out/$b.txt")
    actual=$(sha256sum < "$out/$b.bin" | cut -d ' ' -f 1)
    [ -n "$printed" ] && [ "$printed" = "$actual" ]
    result $? "$b: printed sha256 $printed = sha256sum of the image"
    ;;

determinism)
    memmap=$1
    for run in 1 2; do
        "$tool" -o "$out/run$run.S" --bin "$out/run$run.bin" "$memmap" > "$out/run$run.txt" &&
            "$tool" --relocatable -o "$out/run$run-reloc.S" "$memmap" > "$out/run$run-reloc.txt"
        result $? "run $run of idmap-image on $memmap"
    done
    for f in .S .bin .txt -reloc.S -reloc.txt; do
        cmp -s "$out/run1$f" "$out/run2$f"
        result $? "two runs, the same run$f"
    done
    # One attribute of one line: the first read-write line becomes read-only.
    line=$(grep -n '^map .* rw' "$memmap" | head -n 1 | cut -d : -f 1)
    sed "${line}s/ rw / ro /" "$memmap" > "$out/changed.txt"
    ! cmp -s "$memmap" "$out/changed.txt"
    result $? "line $line changed from rw to ro"
    "$tool" "$out/changed.txt" > "$out/changed.out"
    [ -n "$(sha_of "$out/changed.out")" ] && [ "$(sha_of "$out/changed.out")" != "$(sha_of "$out/run1.txt")" ]
    result $? "another sha256: $(sha_of "$out/changed.out")"
    ;;

bad-maps)
    # "expected line (0: none)|expected text|map": each must be refused.
    cases=(
        "2|needs exactly one of|tables 0x40400000 16\nmap 0x40000000 +4K normal rw"
        "1|tables <base-pa|tables 0x40400001 16"
        "2|4 KiB aligned|tables 0x40400000 16\nmap 0x40000800 +4K normal rw xn"
        "2|unknown attribute 'bogus'|tables 0x40400000 16\nmap 0x40000000 +4K normal rw xn bogus"
        "2|empty or backwards|tables 0x40400000 16\nmap 0x40000000 0x3fff0000 normal rw xn"
        "0|no 'tables|map 0x40000000 +4K normal rw xn"
        "0|needs 3 table pages; the tables line allows 1|tables 0x40400000 1\nmap 0x40000000 +4K normal rw xn"
        "3|invalid flags|tables 0x40400000 4\nregime el3\nmap 0 +4K normal rw xn ng"
        "3|address out of range|tables 0x40400000 4\nroot_level 2\nmap 0x80000000 +4K normal rw xn"
        "1|unknown statement 'tabels'|tabels 0x40400000 16"
    )
    n=0
    for c in "${cases[@]}"; do
        IFS='|' read -r want_line want_text map <<< "$c"
        n=$((n + 1))
        printf "$map\n" > "$out/bad$n.txt"
        "$tool" "$out/bad$n.txt" > /dev/null 2> "$out/bad$n.err"
        rc=$?
        msg=$(cat "$out/bad$n.err")
        ok=1
        [ "$rc" -eq 1 ] || ok=0
        [[ $msg == *"$out/bad$n.txt"* ]] || ok=0
        [[ $msg == *"$want_text"* ]] || ok=0
        if [ "$want_line" != 0 ] && [[ $msg != *"line $want_line:"* ]]; then ok=0; fi
        result $((1 - ok)) "refused (exit $rc): $msg"
    done
    ;;

svg)
    memmap=$1 committed=$2
    "$tool" --svg "$out/map.svg" "$memmap" > /dev/null
    result $? "idmap-image --svg $out/map.svg $memmap"
    "$check" xml "$out/map.svg" > /dev/null
    result $? "$out/map.svg is well-formed SVG (host check)"
    if command -v xmllint > /dev/null 2>&1; then
        xmllint --noout "$out/map.svg"
        result $? "$out/map.svg is well-formed (xmllint)"
    fi
    cmp -s "$out/map.svg" "$committed"
    result $? "$committed is what the tool draws now (else: make map-svg)"
    ;;

*)
    echo "usage: tool_checks.sh TOOL HOST_CHECK OUTDIR tables|determinism|bad-maps|svg ..." >&2
    exit 2
    ;;
esac

[ "$failures" -eq 0 ]
