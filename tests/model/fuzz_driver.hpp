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
#ifndef IDMAP_MODEL_FUZZ_DRIVER_HPP
#define IDMAP_MODEL_FUZZ_DRIVER_HPP

#include "harness.hpp"

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

// The failure the input leads to, or "" when every check passes. final_check: the whole
// map checked again before it is freed (Harness::check_whole_map_at_finish).
inline std::string run_fuzz_input(const uint8_t* data, size_t size, HarnessStats* stats = nullptr,
                                  bool final_check = true) {
    ByteSource src{data, size};
    const bool extended = size != 0 && data[0] >= 64;
    const OpSet set = size == 0 || data[0] < 4 ? OpSet::Legacy : extended ? OpSet::Extended : OpSet::Current;
    const unsigned root_level = static_cast<unsigned>(src.below(4));
    const size_t asid = static_cast<size_t>(src.below(uint64_t{1} << 16));
    MapConfig config;
    config.root_level = root_level;
    config.asid = asid;
    config.contiguous_hint = extended && (data[0] & 0x80) != 0;
    if (size != 0 && (extended ? (data[0] & 0x20) != 0 : data[0] >= 32)) {
        const FuzzMap& m = kFuzzMaps[(data[0] >> 2) & 7];
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
