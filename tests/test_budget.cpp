// idmap_tables_needed (exact, from the plan step) and idmap_worst_case_tables (a bound for
// a list of regions), additions to the C ABI; worst_case_tables in constant evaluation.
#include <catch2/catch.hpp>

#include <random>

#include "aarch64_paging/budget.hpp"
#include "support/capi_support.hpp"

using namespace capi_test;

namespace {

struct PoolMap {
    PagePool pool;
    idmap_t* map = nullptr;
    explicit PoolMap(unsigned root_level) {
        const idmap_allocator_t a = pool.allocator();
        map = idmap_new_with_allocator(1, root_level, &a);
        REQUIRE(map != nullptr);
    }
    ~PoolMap() { idmap_free(map); }
};

// A random page-aligned region inside [0, span) of at most max_pages pages.
idmap_region_t random_region(std::mt19937_64& rng, uint64_t span, uint64_t max_pages) {
    const uint64_t start = (rng() % (span / kPage)) * kPage;
    const uint64_t len = (1 + rng() % max_pages) * kPage;
    return idmap_region(start, std::min(start + len, span));
}

}  // namespace

TEST_CASE("idmap_tables_needed is what map_range then takes, call after call", "[budget]") {
    for (unsigned root_level = 0; root_level <= 2; ++root_level) {
        for (uint64_t seed = 1; seed <= 5; ++seed) {
            CAPTURE(root_level, seed);
            PoolMap pm(root_level);
            std::mt19937_64 rng(seed * 7919 + root_level);
            const uint64_t span = std::min<uint64_t>(idmap_size(pm.map), 64 * k1G);
            for (int call = 0; call < 150; ++call) {
                CAPTURE(call);
                // Mostly small, sometimes spanning blocks and tables; sometimes live.
                const uint64_t max_pages = rng() % 4 == 0 ? (4 * k1G) / kPage : 1200;
                const idmap_region_t r = random_region(rng, span, max_pages);
                const uint64_t flags = kRW | (rng() % 2 ? IDMAP_ATTR_READ_ONLY : 0) | (rng() % 3 ? 0 : kNG);
                const uint32_t constraints = rng() % 3 == 0 ? IDMAP_NO_BLOCK_MAPPINGS : 0;
                if (rng() % 10 == 0) {
                    if (idmap_is_active(pm.map)) {
                        REQUIRE(idmap_deactivate(pm.map) == IDMAP_OK);
                    } else {
                        REQUIRE(idmap_activate(pm.map) == IDMAP_OK);
                    }
                }
                size_t needed = SIZE_MAX;
                const idmap_status_t planned = idmap_tables_needed(pm.map, &r, flags, constraints, &needed);
                const size_t before = idmap_table_count(pm.map);
                const size_t allocs = pm.pool.allocs;
                const idmap_status_t done = idmap_map_range_with_constraints(pm.map, &r, flags, constraints);
                CHECK(planned == done);
                if (done == IDMAP_OK) {
                    CHECK(needed == idmap_table_count(pm.map) - before);
                    CHECK(needed == pm.pool.allocs - allocs);
                } else {
                    CHECK(needed == SIZE_MAX);  // untouched on failure
                }
            }
        }
    }
}

TEST_CASE("a pool of exactly idmap_tables_needed pages is enough, one less is not", "[budget]") {
    const idmap_region_t cases[] = {
        idmap_region(0x1000, 0x3000),                   // pages under a new level-2 table
        idmap_region(0x1ff000, 0x40201000),             // ragged ends around blocks
        idmap_region(k1G - kPage, 3 * k1G + k2M + kPage),
    };
    for (const idmap_region_t& r : cases) {
        for (const uint32_t constraints : {0u, static_cast<uint32_t>(IDMAP_NO_BLOCK_MAPPINGS)}) {
            CAPTURE(r.start, r.end, constraints);
            PoolMap pm(1);
            size_t needed = 0;
            REQUIRE(idmap_tables_needed(pm.map, &r, kRW, constraints, &needed) == IDMAP_OK);
            REQUIRE(needed > 0);
            pm.pool.budget = needed - 1;
            CHECK(idmap_map_range_with_constraints(pm.map, &r, kRW, constraints) == IDMAP_ERR_OUT_OF_MEMORY);
            pm.pool.budget = needed;
            CHECK(idmap_map_range_with_constraints(pm.map, &r, kRW, constraints) == IDMAP_OK);
            CHECK(pm.pool.budget == 0);
            // Done now: mapping it again takes nothing.
            REQUIRE(idmap_tables_needed(pm.map, &r, kRW, constraints, &needed) == IDMAP_OK);
            CHECK(needed == 0);
        }
    }
}

TEST_CASE("idmap_tables_needed refuses what map_range refuses", "[budget]") {
    Map m = new_map(1, 1);
    size_t pages = 77;
    const idmap_region_t beyond = idmap_region(k512G, k512G + kPage);
    const idmap_region_t ok = idmap_region(0, kPage);
    CHECK(idmap_tables_needed(m.get(), &beyond, kRW, 0, &pages) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_tables_needed(m.get(), &ok, kRW | IDMAP_ATTR_TABLE_OR_PAGE, 0, &pages) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_tables_needed(m.get(), &ok, kRW, 1u << 7, &pages) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_tables_needed(m.get(), &ok, kRW, 0, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_tables_needed(m.get(), nullptr, kRW, 0, &pages) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_tables_needed(nullptr, &ok, kRW, 0, &pages) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(pages == 77);
    // A live block that the mapping would split: the plan's break-before-make check.
    require_map(m.get(), 0, k2M, kRW);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const idmap_region_t inside = idmap_region(kPage, 2 * kPage);
    CHECK(idmap_tables_needed(m.get(), &inside, kRW | IDMAP_ATTR_READ_ONLY, 0, &pages) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(pages == 77);
}

TEST_CASE("idmap_worst_case_tables bounds any mapping of the regions, exactly for pages", "[budget]") {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 60; ++round) {
        const unsigned root_level = static_cast<unsigned>(rng() % 3);
        CAPTURE(round, root_level);
        std::vector<idmap_region_t> regions(1 + rng() % 5);
        const uint64_t span = root_level == 2 ? k1G : 8 * k1G;  // inside the table
        for (idmap_region_t& r : regions) r = random_region(rng, span, rng() % 2 ? 3000 : 600000);
        const size_t bound = idmap_worst_case_tables(regions.data(), regions.size(), root_level);
        for (const uint32_t constraints : {0u, static_cast<uint32_t>(IDMAP_NO_BLOCK_MAPPINGS)}) {
            PoolMap pm(root_level);
            for (const idmap_region_t& r : regions) {
                REQUIRE(idmap_map_range_with_constraints(pm.map, &r, kRW, constraints) == IDMAP_OK);
            }
            CHECK(idmap_table_count(pm.map) <= bound);
            if (regions.size() == 1 && constraints != 0) {
                CHECK(idmap_table_count(pm.map) == bound);
            }
        }
    }
    CHECK(idmap_worst_case_tables(nullptr, 0, 1) == 1);
    CHECK(idmap_worst_case_tables(nullptr, 3, 1) == 0);
    const idmap_region_t one = idmap_region(0, kPage);
    CHECK(idmap_worst_case_tables(&one, 1, 4) == 0);
    CHECK(idmap_worst_case_tables(&one, 1, 3) == 1);
    CHECK(idmap_worst_case_tables(&one, 1, 0) == 4);
}

TEST_CASE("idmap_worst_case_tables counts a region that ends at 2^64 (end 0)", "[budget][regime]") {
    // [2^64 - 2 MiB - 4 KiB, 2^64), root level 1: one level-2 table, and a level-3 table for
    // each of the two 2 MiB entries it touches.
    const idmap_region_t top{0 - k2M - kPage, 0};
    const idmap_region_t below_top{0 - k2M - kPage, ~uint64_t{0}};
    CHECK(idmap_worst_case_tables(&below_top, 1, 1) == 1 + 1 + 2);
    CHECK(idmap_worst_case_tables(&top, 1, 1) == 1 + 1 + 2);
    // Exactly what an upper map takes for it in pages.
    idmap_config_t c{};
    c.regime = IDMAP_REGIME_EL1_0;
    c.va_range = IDMAP_VA_RANGE_UPPER;
    c.root_level = 1;
    c.pa_offset = static_cast<int64_t>(k512G);  // [2^64 - 512 GiB, 2^64) maps [0, 512 GiB)
    Map m(idmap_new_with_config(&c), &idmap_free);
    REQUIRE(m != nullptr);
    REQUIRE(idmap_map_range_with_constraints(m.get(), &top, kRW, IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 1 + 1 + 2);
    const idmap_region_t empty{0, 0};
    CHECK(idmap_worst_case_tables(&empty, 1, 1) == 1);
}

// The bound a C++ image can check at build time.
namespace {
constexpr aarch64_paging::MemoryRegion kImageMap[] = {
    aarch64_paging::MemoryRegion(0x40000000, 0x40200000),  // RAM: 1 GiB-aligned, 2 MiB
    aarch64_paging::MemoryRegion(0x09000000, 0x09001000),  // a UART page
};
static_assert(aarch64_paging::worst_case_tables(kImageMap, 2, 1) == 1 + (1 + 1) + (1 + 1),
              "root, a level-2 table each, a level-3 table each");
// A kernel's top 2 MiB and a page, in the upper range: the end 0 is 2^64.
constexpr aarch64_paging::MemoryRegion kTopOfUpperRange(0 - (uint64_t{1} << 21) - 0x1000, 0);
static_assert(aarch64_paging::worst_case_tables(&kTopOfUpperRange, 1, 1) == 1 + 1 + 2,
              "root, a level-2 table, two level-3 tables");
}  // namespace
