// Host tests of the C ABI: IDMAP_ERR_OUT_OF_MEMORY. With an allocator that fails after
// k pages, map_range and modify_range fail and the map is exactly as before: the same
// leaves with the same bits at the same levels, the same table count, and every page
// taken during the failed call given back (shared/spec/c-abi.md).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <vector>

using namespace capi_test;

namespace {

// A map on its own pool; the pool outlives the map.
struct PooledMap {
    PagePool pool;
    idmap_allocator_t alloc;
    idmap_t* map = nullptr;
    explicit PooledMap(unsigned root_level, size_t asid = 1) : alloc(pool.allocator()) {
        map = idmap_new_with_allocator(asid, root_level, &alloc);
        REQUIRE(map != nullptr);
    }
    ~PooledMap() { idmap_free(map); }
    PooledMap(const PooledMap&) = delete;
    PooledMap& operator=(const PooledMap&) = delete;
};

// What "exactly as before" is checked against.
struct Snapshot {
    std::vector<Leaf> leaves;
    size_t tables;
    size_t outstanding;
    bool operator==(const Snapshot& o) const {
        return leaves == o.leaves && tables == o.tables && outstanding == o.outstanding;
    }
};
std::ostream& operator<<(std::ostream& os, const Snapshot& s) {
    return os << "{" << s.leaves.size() << " leaves, " << s.tables << " tables, "
              << s.outstanding << " pages out}";
}
Snapshot snapshot(PooledMap& pm) {
    return Snapshot{trace(pm.map), idmap_table_count(pm.map), pm.pool.outstanding()};
}

// One scenario: a map prepared with unlimited pages, then a call needing `needed` new
// tables. Every budget below `needed` must fail cleanly; `needed` must succeed.
struct Scenario {
    const char* what;
    unsigned root_level;
    std::function<void(idmap_t*)> prepare;
    std::function<idmap_status_t(idmap_t*)> call;
    size_t needed;
};

void run(const Scenario& s) {
    CAPTURE(s.what);
    for (size_t budget = 0; budget <= s.needed; ++budget) {
        CAPTURE(budget);
        PooledMap pm(s.root_level);
        s.prepare(pm.map);
        const Snapshot before = snapshot(pm);
        pm.pool.budget = budget;
        const idmap_status_t st = s.call(pm.map);
        if (budget < s.needed) {
            CHECK(st == IDMAP_ERR_OUT_OF_MEMORY);
            CHECK(idmap_last_error(pm.map)->status == IDMAP_ERR_OUT_OF_MEMORY);
            CHECK(snapshot(pm) == before);
            // After the failure, with pages to spare, the same call succeeds.
            pm.pool.budget = SIZE_MAX;
            CHECK(s.call(pm.map) == IDMAP_OK);
            CHECK(idmap_table_count(pm.map) == before.tables + s.needed);
        } else {
            CHECK(st == IDMAP_OK);
            CHECK(idmap_table_count(pm.map) == before.tables + s.needed);
            CHECK(pm.pool.outstanding() == before.outstanding + s.needed);
        }
        CHECK(pm.pool.bad_frees == 0);
    }
}

void nothing(idmap_t*) {}

}  // namespace

TEST_CASE("map_range out of pages fails with OUT_OF_MEMORY and changes nothing", "[oom][map]") {
    const Scenario scenarios[] = {
        // Root 1, [0, 4K): level-2 and level-3 tables.
        {"a page in a fresh map", 1, nothing,
         [](idmap_t* m) { return map_range(m, 0, kPage, kRW); }, 2},
        // Root 0, [1G - 4K, 512G + 4K): under level-0 entry 0 a level-1 table, with a
        // level-2 and a level-3 table for the first page and 1 GiB blocks after it;
        // under entry 1 a level-1, level-2 and level-3 table for the last page: 6 tables.
        {"ragged range across level-0 entries", 0, nothing,
         [](idmap_t* m) { return map_range(m, k1G - kPage, k512G + kPage, kRW); }, 6},
        // Root 1, [0, 4M) pages only: a level-2 table and two level-3 tables.
        {"pages only", 1, nothing,
         [](idmap_t* m) { return map_range(m, 0, 2 * k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS); }, 3},
        // Splitting a 1 GiB block for one page: level-2 and level-3 tables.
        {"a page inside a 1 GiB block", 1,
         [](idmap_t* m) { REQUIRE(map_range(m, 0, k1G, kRW) == IDMAP_OK); },
         [](idmap_t* m) { return map_range(m, k2M + kPage, k2M + 2 * kPage, kRW | IDMAP_ATTR_READ_ONLY); },
         2},
        // Existing tables are reused: [0, 4K) mapped, then [4K, 1G + 4K) needs only a
        // level-2 and a level-3 table under level-1 entry 1.
        {"filling existing tables and adding new ones", 1,
         [](idmap_t* m) { REQUIRE(map_range(m, 0, kPage, kRW) == IDMAP_OK); },
         [](idmap_t* m) { return map_range(m, kPage, k1G + kPage, kRW | kNG); }, 2},
        // Root 2, a page at each end: two level-3 tables.
        {"two far apart pages of a level-2 root", 2, nothing,
         [](idmap_t* m) { return map_range(m, kPage, k1G - kPage, kRW); }, 2},
    };
    for (const Scenario& s : scenarios) run(s);
}

TEST_CASE("map_range on an active map out of pages changes nothing", "[oom][map][bbm]") {
    const Scenario s{
        "new entries beside live ones", 1,
        [](idmap_t* m) {
            REQUIRE(map_range(m, 0, 2 * kPage, kRW | kNG) == IDMAP_OK);
            REQUIRE(idmap_activate(m) == IDMAP_OK);
        },
        // [8K, 1G + 2M + 4K): fills the live level-3 table, adds blocks, then a level-2 and
        // a level-3 table under level-1 entry 1.
        [](idmap_t* m) { return map_range(m, 2 * kPage, k1G + k2M + kPage, kRW | kNG); }, 2};
    run(s);
}

TEST_CASE("modify_range out of pages for a split fails with OUT_OF_MEMORY and changes nothing",
          "[oom][modify]") {
    const auto set_swflag = [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
        d.bits |= IDMAP_ATTR_SWFLAG_0;
        return 0;
    };
    const Scenario scenarios[] = {
        // A page of a 1 GiB block: level-2 and level-3 tables.
        {"splitting a 1 GiB block down to a page", 1,
         [](idmap_t* m) { REQUIRE(map_range(m, 0, k1G, kRW) == IDMAP_OK); },
         [set_swflag](idmap_t* m) { return modify(m, 3 * kPage, 4 * kPage, set_swflag); }, 2},
        // Both ends of [2M - 4K, 1G + 4K) under 1 GiB blocks at level-1 entries 0 and 1:
        // level-2 + level-3 tables at each end = 4.
        {"splitting two 1 GiB blocks at both ends", 1,
         [](idmap_t* m) { REQUIRE(map_range(m, 0, 2 * k1G, kRW) == IDMAP_OK); },
         [set_swflag](idmap_t* m) { return modify(m, k2M - kPage, k1G + kPage, set_swflag); }, 4},
        // An empty level-0 map split down to one page: levels 1, 2, 3.
        {"splitting empty entries", 0, nothing,
         [set_swflag](idmap_t* m) { return modify(m, kPage, 2 * kPage, set_swflag); }, 3},
    };
    for (const Scenario& s : scenarios) run(s);
}

TEST_CASE("modify_range out of pages leaves even the entries it needed no split for",
          "[oom][modify]") {
    // The pages for splits are checked before any change, so the callback's changes
    // to entries already inside the range ([0, 8K), [8K, 1G)) are not made either.
    PooledMap pm(1);
    REQUIRE(map_range(pm.map, 0, 2 * kPage, kRW) == IDMAP_OK);  // pages [0, 8K)
    REQUIRE(map_range(pm.map, k1G, 2 * k1G, kRW) == IDMAP_OK);  // 1 GiB block
    const Snapshot before = snapshot(pm);
    pm.pool.budget = 1;  // the split of the 1 GiB block needs 2
    const idmap_status_t st =
        modify(pm.map, 0, k1G + kPage, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
            d.bits |= IDMAP_ATTR_SWFLAG_3;
            return 0;
        });
    CHECK(st == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(snapshot(pm) == before);
    CHECK(idmap_last_error(pm.map)->status == IDMAP_ERR_OUT_OF_MEMORY);
}

TEST_CASE("a map that ran out of pages is freed completely", "[oom][lifetime]") {
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    idmap_t* m = idmap_new_with_allocator(1, 0, &a);
    REQUIRE(m != nullptr);
    REQUIRE(map_range(m, 0, kPage, kRW) == IDMAP_OK);  // 4 tables
    pool.budget = 2;
    CHECK(map_range(m, k512G, k512G + kPage, kRW) == IDMAP_ERR_OUT_OF_MEMORY);  // needs 3
    CHECK(pool.outstanding() == 4);
    idmap_free(m);
    CHECK(pool.outstanding() == 0);
    CHECK(pool.bad_frees == 0);
}
