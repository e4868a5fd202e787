// One fuzz input, decoded into a sequence of C ABI calls on a fresh map and checked by the
// harness after each: the first byte picks the root level, the next two the ASID, the rest
// the calls (random_op, with allocator failures). Shared by fuzz/fuzz_idmap.cpp and the
// replay of crash inputs in tests/test_fuzz_regressions.cpp.
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
    const unsigned root_level = static_cast<unsigned>(src.below(4));
    const size_t asid = static_cast<size_t>(src.below(uint64_t{1} << 16));
    Harness h(root_level, asid);
    const Zones zones(root_level);
    for (unsigned i = 0; i < kFuzzMaxCalls && !src.spent() && h.ok(); ++i) {
        (void)random_op(h, src, zones, true);
    }
    h.finish();
    if (stats != nullptr) {
        stats->add(h.stats());
    }
    return h.failure();
}

}  // namespace idmap_model

#endif
