// One fuzz input, decoded into a sequence of C ABI calls on a fresh map and checked by the
// harness after each: the first byte picks the root level (byte % 4), the next two the
// ASID, the rest the calls (random_op, with allocator failures). Shared by
// fuzz/fuzz_idmap.cpp and the replay of crash inputs in tests/test_fuzz_regressions.cpp.
//
// The first byte also picks the set of calls: 0 to 3, the legacy set (map, modify, walk,
// activate, deactivate), which every input written before unmap_range and
// compact_subtables existed starts with (the seeds of fuzz/corpus/seed-root*, the inputs
// of the regression test), so that they decode to the very calls they did; 4 to 255, the
// current set, with unmap_range and compact_subtables (random_op's OpSet).
// And the map: below 32 (every seed of fuzz/corpus/ and input of the regression test),
// idmap_new_with_allocator's EL1&0 identity map; from 32, one of kFuzzMaps by bits 4:2
// (idmap_new_with_config: the upper VA range, linear maps, EL2, EL2&0, EL3), the ASID
// bytes then ignored in EL2 and EL3, which have none, and root levels 0 and 1 taken as 2
// and 3 for the pages-only map (its whole table in pages would be too many tables).
// From 64 (no seed or regression input of before): the extended set (random_op's
// OpSet::Extended: coalesce_subtables and idmap_seal too), with bit 7 the contiguous hint
// on (idmap_set_contiguous_hint), bit 5 a map of kFuzzMaps by bits 4:2 (else the EL1&0
// identity map), the root level by bits 1:0 as always. idmap_tables_needed is checked
// before every map in every set.
// Stage 2, from 64 with bit 5 clear and bits 4:2 not 0 (a value no seed or regression
// input had: bits 4:2 meant nothing there): the extended set on a stage-2 map
// (idmap_new_stage2) of kFuzzStage2[bits 4:2 - 1] (start level, output offset, FEAT_XNX)
// and the IPA size kStage2Ipa[level][bits 1:0] (concatenated roots of 2 to 16 tables
// among them), the contiguous hint by bit 7; the two ASID bytes are the VMID, over 8
// bits (refused at activation by the fake's CPU) only when the first of them is 0xff.
// random_op draws stage-2 flags and modify bits for it, and one map in three is
// idmap_s2_map_range_bbm.
// The attributes set, from a first byte of 8 to 15 or 17 (8 to 23 before the features
// set, 8 to 20 before the dirty set, 8 to 18 before the splits set; no
// seed or regression input of before had one: it meant the current set on the EL1&0
// identity map, as 4 to 7 do): the input
// is that byte, then an input of the extended set whose first byte has bit 6 taken as set
// (any map of the above, stage 1 or 2: data[1] | 64), decoded as that one is but for the
// calls: random_op's OpSet::Attributes, with idmap_change_attributes and idmap_walk_runs.
// The output set, from a first byte of 24 to 31 (the attributes set's before, which no
// seed or test used): the same but for random_op's OpSet::Output, with
// idmap_map_range_to (at stage 2 also idmap_s2_map_range_bbm_to) to output addresses
// drawn to reach blocks at some levels only, aliases, and the refused pa.
// The features set, from a first byte of 21 to 23 (the attributes set's before, which no
// seed used; the regression test's attributes inputs now start with 8 to 15, which decode
// the same): as the output set but for random_op's OpSet::Features, with
// idmap_set_guarded_code and many live changes, on a fake CPU with FEAT_BTI and
// FEAT_TLBIRANGE (21), FEAT_BTI alone (22) or FEAT_TLBIRANGE alone (23).
// The dirty set, from a first byte of 19 or 20 (the attributes set's before, which no
// regression input or seed now uses): as the features set but for random_op's OpSet::Dirty, with
// idmap_set_hardware_updates, idmap_collect_dirty and the MMU's writes through clean
// leaves, on a fake CPU with FEAT_TLBIRANGE and FEAT_HAFDBS with the dirty state
// (ID_AA64MMFR1_EL1.HAFDBS 2: 19) or the Access flag alone (1: 20).
// The splits set, from a first byte of 16 or 18 (the attributes set's before, which no
// seed or regression input used): as the dirty set but for random_op's OpSet::Splits,
// with idmap_set_live_splits and changes across blocks' edges on active maps, on the
// dirty set's CPU (HAFDBS 2) with FEAT_BBM level 1 (ID_AA64MMFR2_EL1.BBM 1: 18) or
// without FEAT_BBM (16: live splits refused).
#ifndef IDMAP_MODEL_FUZZ_DRIVER_HPP
#define IDMAP_MODEL_FUZZ_DRIVER_HPP

#include "harness.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace idmap_model {

// Calls per input at most: the tables stay small, and each input runs quickly.
constexpr unsigned kFuzzMaxCalls = 64;

// The maps an input whose first byte is 32 or more drives: regime, VA range, and the
// output address of the range's first byte (pa_offset = that - range_start).
struct FuzzMap {
    idmap_regime_t regime;
    idmap_va_range_t range;
    uint64_t output_of_start;
};
constexpr FuzzMap kFuzzMaps[8] = {
    {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0},                          // kernel-style upper half
    {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, uint64_t{4} << 30},          // VHE upper half, 4 GiB up
    {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, (uint64_t{2} << 30) + (1u << 21)},  // no 1 GiB blocks
    {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0 - (uint64_t{1} << 21)},    // low 2 MiB unmappable
    {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x5000},                     // pages only
    {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0},
    {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 0},
    {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_LOWER, 0},
};

// The stage-2 maps: start level, output address of IPA 0 (pa_offset), FEAT_XNX.
struct FuzzStage2 {
    unsigned level;
    uint64_t pa_offset;
    bool xnx;
};
constexpr FuzzStage2 kFuzzStage2[7] = {
    {1, 0, false},
    {2, 0, false},
    {0, 0, false},
    {1, (uint64_t{64} << 30) + (uint64_t{1} << 30), false},  // guest RAM 65 GiB up
    {2, 0x5000, false},                                      // pages only
    {1, (uint64_t{2} << 30) + (uint64_t{1} << 21), true},    // no 1 GiB blocks; XNX (never activates)
    {2, 0 - (uint64_t{1} << 21), false},                     // low 2 MiB unmappable
};
// IPA sizes by start level: from level 0 up to 48 bits (over 44: past the fake's PA size);
// from level 1 one table (39), 4 of its entries (32), 2 and 16 concatenated tables (40,
// 43); from level 2 one table (30), 16 of its entries (25), 4 and 16 tables (32, 34).
constexpr unsigned kStage2Ipa[3][4] = {{40, 44, 48, 42}, {40, 39, 32, 43}, {30, 32, 34, 25}};

// The failure the input leads to, or "" when every check passes. final_check: the whole
// map checked again before it is freed (Harness::check_whole_map_at_finish).
inline std::string run_fuzz_input(const uint8_t* data, size_t size, HarnessStats* stats = nullptr,
                                  bool final_check = true) {
    // The attributes and output sets: the rest an extended input (its first byte, if any,
    // with bit 6).
    const bool output = size != 0 && data[0] >= 24 && data[0] < 32;
    const bool features = size != 0 && data[0] >= 21 && data[0] < 24;
    const bool dirty = size != 0 && (data[0] == 19 || data[0] == 20);
    const bool splits = size != 0 && (data[0] == 16 || data[0] == 18);
    const bool attributes = size != 0 && data[0] >= 8 && data[0] < 18 && !splits;
    const bool prefixed = attributes || output || features || dirty || splits;
    // The features, dirty and splits sets' CPU.
    const bool bti = features && data[0] != 23;
    const bool tlbi_range = (features && data[0] != 22) || dirty || splits;
    const unsigned hafdbs = dirty ? 21u - data[0] : splits ? 2u : 0u;
    const unsigned bbm = splits && data[0] == 18 ? 1u : 0u;
    if (prefixed) {
        ++data;
        --size;
    }
    const uint8_t first = size == 0 ? (prefixed ? 64 : 0) : prefixed ? data[0] | 64 : data[0];
    ByteSource src{data, size};
    const bool extended = first >= 64;
    const OpSet set = output       ? OpSet::Output
                      : features   ? OpSet::Features
                      : dirty      ? OpSet::Dirty
                      : splits     ? OpSet::Splits
                      : attributes ? OpSet::Attributes
                      : first < 4  ? OpSet::Legacy
                      : extended   ? OpSet::Extended
                                   : OpSet::Current;
    const unsigned root_level = static_cast<unsigned>(src.below(4));
    const size_t asid = static_cast<size_t>(src.below(uint64_t{1} << 16));
    MapConfig config;
    config.root_level = root_level;
    config.asid = asid;
    config.contiguous_hint = extended && (first & 0x80) != 0;
    config.bti = bti;
    config.tlbi_range = tlbi_range;
    config.hafdbs = hafdbs;
    config.bbm = bbm;
    const unsigned s2_kind = extended && (first & 0x20) == 0 ? (first >> 2) & 7 : 0;
    if (s2_kind != 0) {
        const FuzzStage2& m = kFuzzStage2[s2_kind - 1];
        config.stage2 = true;
        config.regime = IDMAP_REGIME_STAGE2;
        config.root_level = m.level;
        config.ipa_bits = kStage2Ipa[m.level][root_level];
        config.pa_offset = static_cast<int64_t>(m.pa_offset);
        config.xnx = m.xnx;
        config.asid = (asid >> 8) == 0xff ? asid : asid & 0xff;
        // Pages only: at most a 1 GiB IPA space (a whole 16 GiB in pages is 8192 tables).
        if (m.pa_offset % (uint64_t{1} << 21) != 0) {
            config.ipa_bits = std::min(config.ipa_bits, 30u);
        }
    } else if (size != 0 && (extended ? (first & 0x20) != 0 : first >= 32)) {
        const FuzzMap& m = kFuzzMaps[(first >> 2) & 7];
        config.with_config = true;
        config.regime = m.regime;
        config.va_range = m.range;
        if (config.one_privilege_level()) {
            config.asid = 0;
        }
        // An offset that is no multiple of 2 MiB allows pages only: a table of 512 GiB or
        // more mapped whole would need 2^18 tables, so such maps have 1 GiB at most.
        if (m.output_of_start % (uint64_t{1} << 21) != 0 && config.root_level < 2) {
            config.root_level += 2;
        }
        const uint64_t range_start =
            m.range == IDMAP_VA_RANGE_UPPER ? 0 - table_bytes(config.root_level) : 0;
        config.pa_offset = static_cast<int64_t>(m.output_of_start - range_start);
    }
    Harness h(config);
    h.check_whole_map_at_finish(final_check);
    const Zones zones(h);
    for (unsigned i = 0; i < kFuzzMaxCalls && !src.spent() && h.ok(); ++i) {
        (void)random_op(h, src, zones, true, set);
    }
    h.finish();
    if (stats != nullptr) {
        stats->add(h.stats());
    }
    return h.failure();
}

}  // namespace idmap_model

#endif
