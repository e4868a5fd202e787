// Property tests: long random sequences of C ABI calls (map_range with and without
// constraints, modify_range, walk_range, unmap_range, compact_subtables, activate,
// deactivate) on every root level, each checked against the reference model and the
// invariants of tests/model/harness.hpp after every call. Fixed seeds: a failure names its
// seed and the calls that led to it. Each root level must reach every outcome of
// unmap_range that it can (splits, freed tables, BREAK_BEFORE_MAKE, OUT_OF_MEMORY),
// compactions that free tables, and each kind of live TLB maintenance the harness checks
// (TLBI by VA of a leaf, by VA of a freed table, of the whole regime), so that a change to
// the mix cannot silently stop testing them. Then fewer sequences on maps of
// idmap_new_with_config: the upper VA range, linear maps (pa_offset positive, negative,
// not a multiple of any block), EL2, EL2&0 and EL3. The calls are random_op's extended set:
// coalesce_subtables too, idmap_tables_needed checked before every map, the contiguous hint
// on in every other sequence (odd ones) and idmap_seal drawn in every third (seq % 3 == 0);
// each root level must reach tables coalesced into blocks, hinted groups, sealed maps
// refusing maps and widening modifies and accepting tightening ones.
// IDMAP_PROPERTY_STATS=1 in the environment prints the totals.
#include <catch2/catch.hpp>

#include "model/harness.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

using idmap_model::Harness;
using idmap_model::HarnessStats;
using idmap_model::MapConfig;
using idmap_model::SplitMix;
using idmap_model::Zones;

// Sequences per root level and calls per sequence; each sequence is a fresh map.
constexpr unsigned kSequences = 10;
constexpr unsigned kCallsPerSequence = 400;

void report(const char* what, unsigned root_level, const HarnessStats& s) {
    if (std::getenv("IDMAP_PROPERTY_STATS") == nullptr) {
        return;
    }
    std::printf("property %s root level %u: %zu calls, %zu tree checks, %zu failed calls checked byte for byte, "
                "%zu callbacks, at most %zu tables; by status:",
                what, root_level, s.calls, s.checks, s.unchanged_checks, s.callbacks, s.max_tables);
    for (int status = IDMAP_OK; status <= IDMAP_ERR_NOT_ACTIVE; ++status) {
        std::printf(" %d:%zu", status, s.by_status[status]);
    }
    std::printf(" %d:%zu", IDMAP_ERR_SEALED, s.by_status[IDMAP_ERR_SEALED]);
    std::printf("\n  unmap_range: %zu calls (OK %zu, BREAK_BEFORE_MAKE %zu, OUT_OF_MEMORY %zu), %zu tables split off, "
                "%zu freed; compact_subtables: %zu calls, %zu tables freed\n  %zu changes to an active map: %zu TLBIs, "
                "%zu VALE (leaf), %zu VAE (table or leaf), %zu whole regime\n",
                s.unmaps, s.unmap_by_status[IDMAP_OK], s.unmap_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE],
                s.unmap_by_status[IDMAP_ERR_OUT_OF_MEMORY], s.unmap_splits, s.unmap_freed, s.compacts, s.compact_freed,
                s.live_changes, s.tlb_invalidations, s.tlbi_leaf, s.tlbi_table, s.tlbi_regime);
    std::printf("  tables_needed: %zu checked (%zu pages for maps that succeeded); coalesce_subtables: %zu calls, "
                "%zu tables made blocks; seal: %zu, %zu calls refused SEALED, %zu modifies accepted sealed; "
                "%zu tree checks with hinted pages (%zu pages)\n",
                s.tables_needed, s.tables_needed_pages, s.coalesces, s.coalesce_freed, s.seals, s.sealed_refusals,
                s.sealed_modifies, s.hinted_checks, s.hinted_pages);
}

// Sequences on the map config describes, seeds from seed_base; every one must pass.
HarnessStats run(const MapConfig& given, uint64_t seed_base, unsigned sequences, bool allow_oom,
                 unsigned first_seq = 0) {
    HarnessStats total;
    for (unsigned seq = first_seq; seq < first_seq + sequences; ++seq) {
        const uint64_t seed = seed_base + seq - first_seq;
        SplitMix rng{seed};
        MapConfig config = given;
        config.contiguous_hint = seq % 2 == 1;
        const bool allow_seal = seq % 3 == 0;
        Harness h(config);
        const Zones zones(h);
        for (unsigned i = 0; i < kCallsPerSequence && h.ok(); ++i) {
            // One call in six with an allocator that has 0 to 2 pages left for it.
            if (allow_oom && rng.below(6) == 0) {
                h.set_budget(rng.below(3));
            }
            (void)idmap_model::random_op(h, rng, zones, false, idmap_model::OpSet::Extended, allow_seal);
        }
        h.finish();
        INFO("root level " << config.root_level << ", seed 0x" << std::hex << seed << std::dec << ", hint "
                           << config.contiguous_hint << ", seal " << allow_seal << ": " << h.failure());
        REQUIRE(h.ok());
        total.add(h.stats());
    }
    return total;
}

void run_sequences(unsigned root_level, bool allow_oom) {
    HarnessStats total;
    for (unsigned seq = 0; seq < kSequences; ++seq) {
        MapConfig config;  // idmap_new_with_allocator's map
        config.root_level = root_level;
        config.asid = 1 + seq;
        total.add(run(config, 0x1d3a9000u + root_level * 100 + seq, 1, allow_oom, seq));
    }
    report("EL1&0 identity", root_level, total);
    CHECK(total.unmap_by_status[IDMAP_OK] > 0);
    CHECK(total.tlbi_leaf > 0);
    CHECK(total.tlbi_regime > 0);
    if (root_level < 3) {
        CHECK(total.tlbi_table > 0);
        CHECK(total.unmap_splits > 0);
        CHECK(total.unmap_freed > 0);
        CHECK(total.compact_freed > 0);
        CHECK(total.unmap_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] > 0);
        CHECK(total.unmap_by_status[IDMAP_ERR_OUT_OF_MEMORY] > 0);
        CHECK(total.coalesce_freed > 0);
        CHECK(total.hinted_checks > 0);
    }
    CHECK(total.tables_needed > 0);
    CHECK(total.seals > 0);
    CHECK(total.by_status[IDMAP_ERR_SEALED] > 0);
    CHECK(total.sealed_modifies > 0);
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

namespace {

// A map of idmap_new_with_config.
MapConfig config(idmap_regime_t regime, idmap_va_range_t range, unsigned root_level, uint64_t asid,
                 uint64_t pa_offset) {
    MapConfig c;
    c.with_config = true;
    c.regime = regime;
    c.va_range = range;
    c.root_level = root_level;
    c.asid = asid;
    c.pa_offset = static_cast<int64_t>(pa_offset);
    return c;
}

constexpr unsigned kConfigSequences = 4;
constexpr uint64_t kG = uint64_t{1} << 30;
constexpr uint64_t kM2 = uint64_t{1} << 21;

// va_start of an upper range table at root_level: 2^64 - size.
uint64_t upper_start(unsigned root_level) { return 0 - idmap_model::table_bytes(root_level); }

void check_reached(const HarnessStats& s, bool tables) {
    CHECK(s.by_status[IDMAP_OK] > 0);
    CHECK(s.unmap_by_status[IDMAP_OK] > 0);
    CHECK(s.tlbi_leaf > 0);
    CHECK(s.tlbi_regime > 0);
    if (tables) {
        CHECK(s.tlbi_table > 0);
        CHECK(s.unmap_freed > 0);
    }
}

}  // namespace

TEST_CASE("random call sequences on an upper range map (TTBR1) of low memory", "[property][regime]") {
    // EL1&0, root level 1: [2^64 - 512 GiB, 2^64) maps [0, 512 GiB): pa_offset = -va_start.
    const HarnessStats s = run(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 7, 0 - upper_start(1)),
                               0x7e900000u, kConfigSequences, true);
    report("EL1&0 upper, delta 0", 1, s);
    check_reached(s, true);
}

TEST_CASE("random call sequences on an EL2&0 upper range map with 4 GiB added", "[property][regime]") {
    // Root level 2: [2^64 - 1 GiB, 2^64) maps [4 GiB, 5 GiB).
    const HarnessStats s = run(config(IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 2, 0x1234, 4 * kG - upper_start(2)),
                               0x7e910000u, kConfigSequences, true);
    report("EL2&0 upper, delta 4 GiB", 2, s);
    check_reached(s, true);
}

TEST_CASE("random call sequences on a linear map: 2 GiB + 2 MiB added (no 1 GiB blocks)", "[property][regime]") {
    const HarnessStats s = run(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 3, 2 * kG + kM2),
                               0x7e920000u, kConfigSequences, true);
    report("EL1&0 linear +2G+2M", 1, s);
    check_reached(s, true);
}

TEST_CASE("random call sequences on a linear map: 2 MiB taken off (low addresses unmappable)", "[property][regime]") {
    // The first 2 MiB would map below 0 (beyond 48 bits): ADDRESS_RANGE there.
    const HarnessStats s = run(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 2, 3, 0 - kM2),
                               0x7e930000u, kConfigSequences, true);
    report("EL1&0 linear -2M", 2, s);
    check_reached(s, true);
    CHECK(s.by_status[IDMAP_ERR_ADDRESS_RANGE] > 0);
}

TEST_CASE("random call sequences on a linear map: 20 KiB added (pages only)", "[property][regime]") {
    const HarnessStats s = run(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 2, 9, 0x5000),
                               0x7e940000u, kConfigSequences, true);
    report("EL1&0 linear +20K", 2, s);
    check_reached(s, true);
}

TEST_CASE("random call sequences on an EL2 map", "[property][regime]") {
    const HarnessStats s =
        run(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 1, 0, 0), 0x7e950000u, kConfigSequences, true);
    report("EL2 identity", 1, s);
    check_reached(s, true);
    CHECK(s.by_status[IDMAP_ERR_INVALID_FLAGS] > 0);
}

TEST_CASE("random call sequences on an EL3 map", "[property][regime]") {
    const HarnessStats s =
        run(config(IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 0, 0, 0), 0x7e960000u, kConfigSequences, true);
    report("EL3 identity", 0, s);
    check_reached(s, true);
}
