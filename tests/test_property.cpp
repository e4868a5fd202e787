// Property tests: long random sequences of C ABI calls (map_range with and without
// constraints, modify_range, walk_range, unmap_range, compact_subtables, activate,
// deactivate) on every root level, each checked against the reference model and the
// invariants of tests/model/harness.hpp after every call. Fixed seeds: a failure names its
// seed and the calls that led to it. Each root level must reach every outcome of
// unmap_range that it can (splits, freed tables, BREAK_BEFORE_MAKE, OUT_OF_MEMORY) and
// compactions that free tables, so that a change to the mix cannot silently stop testing
// them. IDMAP_PROPERTY_STATS=1 in the environment prints the totals.
#include <catch2/catch.hpp>

#include "model/harness.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

using idmap_model::Harness;
using idmap_model::HarnessStats;
using idmap_model::SplitMix;
using idmap_model::Zones;

// Sequences per root level and calls per sequence; each sequence is a fresh map.
constexpr unsigned kSequences = 10;
constexpr unsigned kCallsPerSequence = 400;

void report(unsigned root_level, const HarnessStats& s) {
    if (std::getenv("IDMAP_PROPERTY_STATS") == nullptr) {
        return;
    }
    std::printf("property root level %u: %zu calls, %zu tree checks, %zu failed calls checked byte for byte, "
                "%zu callbacks, at most %zu tables; by status:",
                root_level, s.calls, s.checks, s.unchanged_checks, s.callbacks, s.max_tables);
    for (int status = IDMAP_OK; status <= IDMAP_ERR_NOT_ACTIVE; ++status) {
        std::printf(" %d:%zu", status, s.by_status[status]);
    }
    std::printf("\n  unmap_range: %zu calls (OK %zu, BREAK_BEFORE_MAKE %zu, OUT_OF_MEMORY %zu), %zu tables split off, "
                "%zu freed; compact_subtables: %zu calls, %zu tables freed; %zu TLB invalidations\n",
                s.unmaps, s.unmap_by_status[IDMAP_OK], s.unmap_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE],
                s.unmap_by_status[IDMAP_ERR_OUT_OF_MEMORY], s.unmap_splits, s.unmap_freed, s.compacts, s.compact_freed,
                s.tlb_invalidations);
}

void run_sequences(unsigned root_level, bool allow_oom) {
    HarnessStats total;
    const Zones zones(root_level);
    for (unsigned seq = 0; seq < kSequences; ++seq) {
        const uint64_t seed = 0x1d3a9000u + root_level * 100 + seq;
        SplitMix rng{seed};
        Harness h(root_level, 1 + seq);
        for (unsigned i = 0; i < kCallsPerSequence && h.ok(); ++i) {
            // One call in six with an allocator that has 0 to 2 pages left for it.
            if (allow_oom && rng.below(6) == 0) {
                h.set_budget(rng.below(3));
            }
            (void)idmap_model::random_op(h, rng, zones, false);
        }
        h.finish();
        INFO("root level " << root_level << ", seed 0x" << std::hex << seed << std::dec << ": " << h.failure());
        REQUIRE(h.ok());
        total.add(h.stats());
    }
    report(root_level, total);
    CHECK(total.unmap_by_status[IDMAP_OK] > 0);
    CHECK(total.tlb_invalidations > 0);
    if (root_level < 3) {
        CHECK(total.unmap_splits > 0);
        CHECK(total.unmap_freed > 0);
        CHECK(total.compact_freed > 0);
        CHECK(total.unmap_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] > 0);
        CHECK(total.unmap_by_status[IDMAP_ERR_OUT_OF_MEMORY] > 0);
    }
}

}  // namespace

TEST_CASE("random call sequences agree with the reference model, root level 0", "[property]") {
    run_sequences(0, true);
}

TEST_CASE("random call sequences agree with the reference model, root level 1", "[property]") {
    run_sequences(1, true);
}

TEST_CASE("random call sequences agree with the reference model, root level 2", "[property]") {
    run_sequences(2, true);
}

TEST_CASE("random call sequences agree with the reference model, root level 3", "[property]") {
    run_sequences(3, true);
}
