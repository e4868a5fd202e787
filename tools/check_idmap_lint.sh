#!/usr/bin/env bash
# check_idmap_lint.sh IDMAP_LINT - the idmap-lint tool on images built here byte by byte
# (not with the library): a good tree exits 0 and prints nothing; each corrupted one exits
# 1 and prints the finding expected; bad usage exits 2.
#
# The image: two pages at physical 0x80000000. Page 0 is a level-1 root: entry 0 a 1 GiB
# block at 0 (read-write, execute-never), entry 2 a table at 0x80001000. Page 1 is that
# level-2 table: entry 0 a 2 MiB block at 0x80000000, read-only and executable.
#
# The stage-2 image (REGIME s2): three pages at 0x80000000. Pages 0 and 1 are a level-1
# root of two concatenated tables (a 40-bit IPA space): root[1] a 1 GiB block of guest RAM
# at IPA and PA 0x40000000, read-write and executable; root[512] (the second table's
# entry 0, IPA 0x8000000000) a table at 0x80002000. Page 2 is that level-2 table: entry 0
# a 2 MiB Device block at PA 0x08000000, read-write, execute-never.
set -u

tool=${1:?usage: check_idmap_lint.sh path/to/idmap-lint}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# put64 FILE OFFSET VALUE: VALUE as 8 little-endian bytes at OFFSET.
put64() {
    local bytes="" i
    for i in 0 1 2 3 4 5 6 7; do
        bytes+=$(printf '\\x%02x' $((($3 >> (8 * i)) & 0xff)))
    done
    printf "$bytes" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Descriptor bits: AttrIndx 1 (Normal), SH inner, AF, valid; AP[2]; PXN|UXN.
ATTRS=$((0x705))
RO=$((0x80))
XN=$((0x3 << 53))

good=$work/good.img
head -c 8192 /dev/zero > "$good"
put64 "$good" 0 $((0x0 | XN | ATTRS))                  # root[0]: block 0-1 GiB, RW, XN
put64 "$good" 16 $((0x80001000 | 3))                   # root[2]: table
put64 "$good" 4096 $((0x80000000 | RO | ATTRS))        # L2[0]: block 0x80000000, RO, X

# expect NAME IMAGE WANT_STATUS [WANT_TEXT]: runs the tool on IMAGE, with the options and
# the BASE ROOT LEVEL REGIME in $args.
args="0x80000000 0x80000000 1 el1"
expect() {
    local name=$1 image=$2 want=$3 text=${4-} out rc
    # shellcheck disable=SC2086
    out=$("$tool" "$image" $args 2> "$work/stderr")
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit status $rc, expected $want"; cat "$work/stderr"; echo "$out"; status=1; return
    fi
    if [ -n "$text" ] && ! grep -qF -- "$text" <<< "$out"; then
        echo "FAIL $name: no line with '$text' in:"; echo "$out"; status=1; return
    fi
    if [ -z "$text" ] && [ -n "$out" ]; then
        echo "FAIL $name: expected no output, got:"; echo "$out"; status=1; return
    fi
    echo "ok   $name: exit $rc${out:+: $out}"
}

expect "good image" "$good" 0

res0=$work/res0.img
cp "$good" "$res0"
put64 "$res0" 4096 $((0x80000000 | RO | ATTRS | (1 << 48)))
expect "RES0 bit 48" "$res0" 1 "RES0 bits set: L2[0] va 0x80000000, descriptor 0x1000080000785, bits 0x1000000000000"

alias=$work/alias.img
cp "$good" "$alias"
put64 "$alias" $((4096 + 8)) $((0x80000000 | XN | ATTRS))   # L2[1]: the code block, writable
expect "W^X alias" "$alias" 1 "W^X alias: L2[1] va 0x80200000, descriptor 0x60000080000705, writable; executable at va 0x80000000: pa 0x80000000, 0x200000 bytes"

outside=$work/outside.img
cp "$good" "$outside"
put64 "$outside" 24 $((0x80005000 | 3))                     # root[3]: a table past the image
expect "table outside the image" "$outside" 1 "table outside the pool: L1[3] va 0xc0000000, descriptor 0x80005003, table 0x80005000"

# Bad usage and a root outside the image: status 2.
rc=0; "$tool" "$good" 0x80000000 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && echo "ok   missing arguments: exit 2" || { echo "FAIL missing arguments: exit $rc"; status=1; }
rc=0; "$tool" "$good" 0x80000000 0x90000000 1 el1 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && echo "ok   root outside the image: exit 2" || { echo "FAIL root outside the image: exit $rc"; status=1; }
rc=0; "$tool" "$good" 0x80000000 0x80000000 1 el9 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && echo "ok   unknown regime: exit 2" || { echo "FAIL unknown regime: exit $rc"; status=1; }

# The same good tree is wrong for EL2: AP[1] is RES1 there, PXN RES0.
rc=0; out=$("$tool" "$good" 0x80000000 0x80000000 1 el2 2> /dev/null) || rc=$?
if [ "$rc" -eq 1 ] && grep -qF "RES1 bits clear: L1[0] va 0x0" <<< "$out"; then
    echo "ok   EL2 rules: exit 1"
else
    echo "FAIL EL2 rules: exit $rc: $out"; status=1
fi

# Stage 2. Descriptor bits: MemAttr 0b1111 (Normal write-back) or 0b0001 (Device-nGnRE),
# S2AP read-write, SH inner (RAM), AF, valid; XN[1] (bit 54).
S2RAM=$((0x7fd))
S2DEV=$((0x4c5))
S2XN=$((1 << 54))
s2=$work/s2.img
head -c 12288 /dev/zero > "$s2"
put64 "$s2" 8 $((0x40000000 | S2RAM))                  # root[1]: RAM, RW and executable
put64 "$s2" 4096 $((0x80002000 | 3))                   # root[512]: table (second root table)
put64 "$s2" 8192 $((0x08000000 | S2XN | S2DEV))        # L2[0]: Device, RW, XN

args="--root-tables=2 0x80000000 0x80000000 1 s2"
expect "stage 2: good image, two concatenated root tables" "$s2" 0

s2res0=$work/s2res0.img
cp "$s2" "$s2res0"
put64 "$s2res0" 8192 $((0x08000000 | S2XN | S2DEV | (1 << 11)))
expect "stage 2: RES0 bit 11 below the second root table" "$s2res0" 1 "RES0 bits set: L2[0] va 0x8000000000, descriptor 0x40000008000cc5, bits 0x800"

cp "$s2" "$s2res0"
put64 "$s2res0" 4096 $((0x80002000 | 3 | (1 << 60)))
expect "stage 2: RES0 XNTable in a table descriptor" "$s2res0" 1 "RES0 bits set: L1[0] va 0x8000000000, descriptor 0x1000000080002003, bits 0x1000000000000000"

s2alias=$work/s2alias.img
cp "$s2" "$s2alias"
put64 "$s2alias" $((8192 + 8)) $((0x40000000 | S2XN | S2RAM))   # L2[1]: guest RAM again, writable
expect "stage 2: W^X alias between two IPAs" "$s2alias" 1 "W^X alias: L2[1] va 0x8000200000, descriptor 0x400000400007fd, writable; executable at va 0x40000000: pa 0x40000000, 0x200000 bytes"

# Concatenation is stage 2's; 3 tables are none.
rc=0; "$tool" --root-tables=2 "$s2" 0x80000000 0x80000000 1 el1 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && echo "ok   root tables at stage 1: exit 2" || { echo "FAIL root tables at stage 1: exit $rc"; status=1; }
rc=0; "$tool" --root-tables=3 "$s2" 0x80000000 0x80000000 1 s2 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && echo "ok   3 root tables: exit 2" || { echo "FAIL 3 root tables: exit $rc"; status=1; }

exit $status
