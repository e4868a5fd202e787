// Host tests of the C ABI's calls without a per-entry callback: idmap_change_attributes
// (set and clear masks over a range) and idmap_walk_runs (one call per run of leaves).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <ostream>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

struct Run {
    uint64_t start, end, first;
    unsigned level;
    bool operator==(const Run& o) const {
        return start == o.start && end == o.end && first == o.first && level == o.level;
    }
};
std::ostream& operator<<(std::ostream& os, const Run& r) {
    return os << "{0x" << std::hex << r.start << "..0x" << r.end << " first 0x" << r.first << std::dec << " L"
              << r.level << "}";
}

int collect_run(const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level, void* ctx) {
    static_cast<std::vector<Run>*>(ctx)->push_back({r->start, r->end, d->bits, level});
    return 0;
}

std::vector<Run> runs(const idmap_t* m, uint64_t start, uint64_t end) {
    std::vector<Run> out;
    const idmap_region_t r = idmap_region(start, end);
    REQUIRE(idmap_walk_runs(m, &r, collect_run, &out) == IDMAP_OK);
    return out;
}

idmap_status_t change(idmap_t* m, uint64_t start, uint64_t end, uint64_t set, uint64_t clear) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_change_attributes(m, &r, set, clear);
}

}  // namespace

TEST_CASE("idmap_change_attributes changes the valid leaves of the range alike, splitting at its edges",
          "[attributes]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 3 * k2M, kRW);  // three 2 MiB blocks; [3 * 2M, 4 * 2M) empty
    REQUIRE(change(m.get(), kPage, 4 * k2M, IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_SWFLAG_0, 0) == IDMAP_OK);
    for (const Leaf& l : walk(m.get(), 0, 4 * k2M)) {
        CAPTURE(l);
        if (l.end <= kPage) {
            CHECK(attrs(l) == leaf_flags(kRW, l.level));  // before the range: as it was
        } else if (l.start < 3 * k2M) {
            CHECK(attrs(l) == leaf_flags(kRW | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_SWFLAG_0, l.level));
        } else {
            CHECK(l.bits == 0);  // invalid entries stay as they are
        }
    }
    // The first block was split at the range's start; the others are whole.
    CHECK(idmap_table_count(m.get()) == 3);
    // Clearing takes the bits off again.
    REQUIRE(change(m.get(), 0, 3 * k2M, 0, IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_SWFLAG_0) == IDMAP_OK);
    for (const Leaf& l : walk(m.get(), 0, 3 * k2M)) {
        CHECK(attrs(l) == leaf_flags(kRW, l.level));
    }
    // set 0 and clear ~0: the leaves become empty.
    REQUIRE(change(m.get(), k2M, 2 * k2M, 0, ~uint64_t{0}) == IDMAP_OK);
    for (const Leaf& l : walk(m.get(), k2M, 2 * k2M)) {
        CHECK(l.bits == 0);
    }
}

TEST_CASE("idmap_change_attributes checks set and clear whole: a refused bit changes nothing", "[attributes]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 2 * k2M, kRW);
    const std::vector<Leaf> before = trace(m.get());
    const size_t tables = idmap_table_count(m.get());
    struct Case {
        uint64_t set, clear, refused;
    };
    for (const Case c : {Case{IDMAP_ATTR_VALID, 0, IDMAP_ATTR_VALID}, Case{0, IDMAP_ATTR_VALID, IDMAP_ATTR_VALID},
                         Case{0, 0x1000, 0x1000}, Case{kContiguous, 0, kContiguous},
                         Case{IDMAP_ATTR_TABLE_OR_PAGE, 0, IDMAP_ATTR_TABLE_OR_PAGE},
                         // Of every bit but 63: VALID, the page bit, bits 12-49, the contiguous bit.
                         Case{IDMAP_ATTR_SWFLAG_0, ~uint64_t{0} >> 1, 0x13'ffff'ffff'f003}}) {
        CAPTURE(c.set, c.clear);
        // Inside a block, where a split would come first.
        CHECK(change(m.get(), kPage, 2 * kPage, c.set, c.clear) == IDMAP_ERR_INVALID_FLAGS);
        CHECK(idmap_last_error(m.get())->value == c.refused);
        CHECK(trace(m.get()) == before);
        CHECK(idmap_table_count(m.get()) == tables);
    }
    // EL2 has no EL0 and keeps AP[1] set: USER is refused in either mask.
    Map el2 = new_map(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER));
    require_map(el2.get(), 0, k2M, kRW);
    CHECK(change(el2.get(), 0, k2M, 0, IDMAP_ATTR_USER) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(change(el2.get(), 0, k2M, IDMAP_ATTR_XN, 0) == IDMAP_OK);
    // NULL arguments.
    CHECK(idmap_change_attributes(nullptr, nullptr, 0, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_change_attributes(m.get(), nullptr, 0, 0) == IDMAP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("idmap_change_attributes on an active map: break-before-make as a modify callback has it",
          "[attributes]") {
    fake::reset();
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | IDMAP_ATTR_NON_GLOBAL, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    // Another memory type needs a break: refused, nothing changed.
    CHECK(change(m.get(), 0, k2M, IDMAP_ATTR_DEVICE_NGNRE, IDMAP_ATTR_NORMAL) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(trace(m.get()) == before);
    // Permissions do not: the pages change, and their TLB entries go.
    const unsigned tlbis = fake::counters().tlbi_va + fake::counters().tlbi_regime;
    REQUIRE(change(m.get(), 0, 4 * kPage, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    CHECK(fake::counters().tlbi_va + fake::counters().tlbi_regime > tlbis);
    for (const Leaf& l : walk(m.get(), 0, 4 * kPage)) {
        CHECK((l.bits & IDMAP_ATTR_READ_ONLY) != 0);
    }
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("idmap_walk_runs: a call per run of leaves alike, split where level, attributes or validity change",
          "[runs]") {
    Map m = new_map(1, 1);
    const uint64_t device = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | IDMAP_ATTR_EXECUTE_NEVER;
    require_map(m.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);  // 512 pages
    require_map(m.get(), k2M, 3 * k2M, kRW);                     // two blocks
    require_map(m.get(), 4 * k2M, 4 * k2M + 16 * kPage, device);  // pages after a hole
    require_map(m.get(), 4 * k2M + 16 * kPage, 4 * k2M + 32 * kPage, kRW);
    const std::vector<Run> got = runs(m.get(), 0, 5 * k2M);
    const std::vector<Run> want = {
        {0, k2M, leaf_flags(kRW, 3), 3},
        {k2M, 3 * k2M, k2M | leaf_flags(kRW, 2), 2},
        {3 * k2M, 4 * k2M, 0, 2},  // the hole: one empty level-2 entry
        {4 * k2M, 4 * k2M + 16 * kPage, (4 * k2M) | leaf_flags(device, 3), 3},
        {4 * k2M + 16 * kPage, 4 * k2M + 32 * kPage, (4 * k2M + 16 * kPage) | leaf_flags(kRW, 3), 3},
        {4 * k2M + 32 * kPage, 5 * k2M, 0, 3},  // the rest of the leaf table, empty
    };
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        // first: the run's first leaf, its attributes (the contiguous bit aside) and address
        CHECK(Run{got[i].start, got[i].end, got[i].first & ~kContiguous, got[i].level} == want[i]);
    }
    // One page with other attributes splits its run in three.
    REQUIRE(change(m.get(), 8 * kPage, 9 * kPage, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    const std::vector<Run> split = runs(m.get(), 0, k2M);
    REQUIRE(split.size() == 3);
    CHECK(split[1].start == 8 * kPage);
    CHECK(split[1].end == 9 * kPage);
    // The range picks the leaves it intersects, whole.
    const std::vector<Run> part = runs(m.get(), k2M + kPage, k2M + 2 * kPage);
    REQUIRE(part.size() == 1);
    CHECK(part[0].start == k2M);
    CHECK(part[0].end == 2 * k2M);
}

TEST_CASE("idmap_walk_runs stops when fn answers non-zero, with the run's first descriptor", "[runs]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    require_map(m.get(), k2M, 2 * k2M, kRW | IDMAP_ATTR_READ_ONLY, IDMAP_NO_BLOCK_MAPPINGS);
    int calls = 0;
    const idmap_region_t r = idmap_region(0, 2 * k2M);
    CHECK(idmap_walk_runs(m.get(), &r,
                          [](const idmap_region_t*, const idmap_descriptor_t*, unsigned, void* ctx) {
                              return ++*static_cast<int*>(ctx) == 2 ? 1 : 0;
                          },
                          &calls) == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(calls == 2);
    CHECK((idmap_last_error(m.get())->value & ~kContiguous) == (k2M | leaf_flags(kRW | IDMAP_ATTR_READ_ONLY, 3)));
    // The last run too.
    calls = 0;
    const idmap_region_t last = idmap_region(k2M, 2 * k2M);
    CHECK(idmap_walk_runs(m.get(), &last,
                          [](const idmap_region_t*, const idmap_descriptor_t*, unsigned, void* ctx) {
                              return ++*static_cast<int*>(ctx);
                          },
                          &calls) == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(calls == 1);
    CHECK(idmap_walk_runs(m.get(), &r, nullptr, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
}
