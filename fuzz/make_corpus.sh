#!/usr/bin/env bash
# make_corpus.sh - writes the seed corpus fuzz/corpus/ (committed; run again only to
# change it). Every byte string decodes to calls (tests/model/fuzz_driver.hpp): the first
# byte picks the root level (byte % 4), so each seed is one root level followed by
# pseudo-random bytes from a fixed LCG, long enough for 25 to 64 calls. The seed-root*
# seeds start with 0 to 3: the legacy set of calls; the seed-unmap-root* seeds (written
# after them, so that the LCG gives the others the bytes it always did) with 4 + root:
# the current set, with unmap_range and compact_subtables. The seed-regime-* seeds
# (written last) start with 32 + 4 * kind + root: the maps of fuzz_driver.hpp's kFuzzMaps
# (upper VA range, linear maps, EL2, EL2&0, EL3), one seed per kind. The stage-2 seeds
# (seed-s2-*) come after every other, then the attributes set's (seed-attrs-*), then the
# output set's (seed-output-*), then the features set's (seed-bti-*, seed-range-*), the
# dirty set's (seed-dirty-*, seed-access-*) and the splits set's (seed-splits-*,
# seed-no-bbm-*).
set -eu
cd "$(dirname "$0")"
mkdir -p corpus
rm -f corpus/seed-*
x=1
# seed FILE FIRST LEN: FIRST, then LEN - 1 bytes of the LCG, which goes on from call to call.
seed() {
    {
        printf "\\$(printf '%03o' "$2")"
        for ((i = 1; i < $3; i++)); do
            x=$(((x * 1103515245 + 12345) % 2147483648))
            printf "\\$(printf '%03o' $(((x >> 16) & 255)))"
        done
    } > "$1"
}
for root in 0 1 2 3; do
    for n in 1 2; do
        seed "corpus/seed-root$root-$n" "$root" $((300 * n * n))
    done
done
for root in 0 1 2 3; do
    for n in 1 2; do
        seed "corpus/seed-unmap-root$root-$n" $((root + 4)) $((300 * n * n))
    done
done
for kind in 0 1 2 3 4 5 6 7; do
    seed "corpus/seed-regime-$kind" $((32 + 4 * kind + kind % 4)) 600
done
# The extended set (first byte 64 and up; fuzz_driver.hpp): coalesce_subtables and seal,
# bit 7 the contiguous hint, bit 5 a kFuzzMaps map of kind bits 4:2. Written after the
# others, which keep their bytes.
for root in 0 1 2 3; do
    seed "corpus/seed-ext-root$root" $((64 + root)) 600
    seed "corpus/seed-ext-hint-root$root" $((128 + root)) 600
done
for kind in 0 1 2 3 4 5 6 7; do
    seed "corpus/seed-ext-hint-regime-$kind" $((128 + 32 + 4 * kind + kind % 4)) 600
done
# Stage 2 (first byte 64 and up, bit 5 clear, bits 4:2 a kFuzzStage2 map of 1 to 7, bits
# 1:0 its IPA size; fuzz_driver.hpp), written last: each map once, with and without the
# contiguous hint, at two IPA sizes.
for kind in 1 2 3 4 5 6 7; do
    seed "corpus/seed-s2-$kind" $((64 + 4 * kind + kind % 4)) 600
    seed "corpus/seed-s2-hint-$kind" $((128 + 64 + 4 * kind + (kind + 2) % 4)) 600
done
# The attributes set (first byte 8 to 18, then the first byte of an extended input, bit 6
# taken as set; fuzz_driver.hpp): idmap_change_attributes and idmap_walk_runs, written
# after every other. The EL1&0 identity map at each root level, every kFuzzMaps map and
# every kFuzzStage2 map, the contiguous hint on every other one.
# seed2 FILE FIRST SECOND LEN: FIRST, SECOND, then LEN - 2 bytes of the LCG.
seed2() {
    {
        printf "\\$(printf '%03o' "$2")"
        printf "\\$(printf '%03o' "$3")"
        for ((i = 2; i < $4; i++)); do
            x=$(((x * 1103515245 + 12345) % 2147483648))
            printf "\\$(printf '%03o' $(((x >> 16) & 255)))"
        done
    } > "$1"
}
for root in 0 1 2 3; do
    seed2 "corpus/seed-attrs-root$root" $((8 + 3 * root)) $((64 + 128 * (root % 2) + root)) 600
done
for kind in 0 1 2 3 4 5 6 7; do
    seed2 "corpus/seed-attrs-regime-$kind" 8 $((64 + 128 * (kind % 2) + 32 + 4 * kind + (kind + 1) % 4)) 600
done
for kind in 1 2 3 4 5 6 7; do
    seed2 "corpus/seed-attrs-s2-$kind" 8 $((64 + 128 * (kind % 2) + 4 * kind + (kind + 3) % 4)) 600
done
# The output set (first byte 24 to 31, then as the attributes set; fuzz_driver.hpp):
# idmap_map_range_to and idmap_s2_map_range_bbm_to, written after every other, on the
# same maps as the attributes set's seeds.
for root in 0 1 2 3; do
    seed2 "corpus/seed-output-root$root" $((24 + root)) $((64 + 128 * (root % 2) + root)) 600
done
for kind in 0 1 2 3 4 5 6 7; do
    seed2 "corpus/seed-output-regime-$kind" $((24 + kind)) \
        $((64 + 128 * (kind % 2) + 32 + 4 * kind + (kind + 1) % 4)) 600
done
for kind in 1 2 3 4 5 6 7; do
    seed2 "corpus/seed-output-s2-$kind" $((24 + kind)) $((64 + 128 * (kind % 2) + 4 * kind + (kind + 3) % 4)) 600
done
# The features set (first byte 21 to 23, then as the output set; fuzz_driver.hpp):
# idmap_set_guarded_code and many live changes on a fake CPU with FEAT_BTI (seed-bti-*:
# 22, FEAT_BTI alone) or FEAT_TLBIRANGE (seed-range-*: 21 with FEAT_BTI, 23 alone),
# written after every other: the EL1&0 identity map, a kFuzzMaps map and a stage-2 map
# each.
for root in 1 3; do
    seed2 "corpus/seed-bti-root$root" 22 $((64 + root)) 600
    seed2 "corpus/seed-range-root$root" $((21 + root - 1)) $((64 + 128 * (root % 2) + root)) 600
done
for kind in 0 5 7; do
    seed2 "corpus/seed-bti-regime-$kind" 22 $((64 + 32 + 4 * kind + (kind + 1) % 4)) 600
    seed2 "corpus/seed-range-regime-$kind" 21 $((64 + 32 + 4 * kind + (kind + 2) % 4)) 600
done
for kind in 1 4; do
    seed2 "corpus/seed-bti-s2-$kind" 22 $((64 + 4 * kind + (kind + 3) % 4)) 600
    seed2 "corpus/seed-range-s2-$kind" 23 $((64 + 4 * kind + kind % 4)) 600
done
# The dirty set (first byte 19 or 20, then as the output set; fuzz_driver.hpp):
# idmap_set_hardware_updates, idmap_collect_dirty and the MMU's writes, on a fake CPU
# with the dirty state (19) or the Access flag alone (seed-access-*: 20), written after
# every other, on the maps of the features set's seeds.
for root in 1 3; do
    seed2 "corpus/seed-dirty-root$root" 19 $((64 + 128 * (root % 2) + root)) 600
done
for kind in 0 5 7; do
    seed2 "corpus/seed-dirty-regime-$kind" 19 $((64 + 32 + 4 * kind + (kind + 1) % 4)) 600
done
for kind in 1 4; do
    seed2 "corpus/seed-dirty-s2-$kind" 19 $((64 + 4 * kind + (kind + 3) % 4)) 600
done
seed2 "corpus/seed-access-root1" 20 $((64 + 128 + 1)) 600
# The splits set (first byte 16 or 18, then as the output set; fuzz_driver.hpp):
# idmap_set_live_splits and changes across blocks' edges on active maps, on a fake CPU
# with FEAT_BBM level 1 (18) or without it (seed-no-bbm-*: 16), written after every
# other: the EL1&0 identity map (the contiguous hint on), a kFuzzMaps map and a stage-2
# map.
seed2 "corpus/seed-splits-root1" 18 $((64 + 128 + 1)) 600
seed2 "corpus/seed-splits-regime-0" 18 $((64 + 32 + 1)) 600
seed2 "corpus/seed-splits-s2-1" 18 $((64 + 4 + 1)) 600
seed2 "corpus/seed-no-bbm-root1" 16 $((64 + 1)) 600
ls -l corpus
