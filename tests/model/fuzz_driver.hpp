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
#ifndef IDMAP_MODEL_FUZZ_DRIVER_HPP
#define IDMAP_MODEL_FUZZ_DRIVER_HPP

#include "harness.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace idmap_model {

// Calls per input at most: the tables stay small, and each input runs quickly.
constexpr unsigned kFuzzMaxCalls = 64;

// The failure the input leads to, or "" when every check passes.
inline std::string run_fuzz_input(const uint8_t* data, size_t size, HarnessStats* stats = nullptr) {
    ByteSource src{data, size};
    const OpSet set = size == 0 || data[0] < 4 ? OpSet::Legacy : OpSet::Current;
    const unsigned root_level = static_cast<unsigned>(src.below(4));
    const size_t asid = static_cast<size_t>(src.below(uint64_t{1} << 16));
    Harness h(root_level, asid);
    const Zones zones(root_level);
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
