// idmap_unmap_range and idmap_compact_subtables (additions to the C ABI).
#include <catch2/catch.hpp>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

using namespace capi_test;
namespace fake = aarch64_paging::arch::fake;

namespace {

idmap_status_t unmap(idmap_t* m, uint64_t start, uint64_t end) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_unmap_range(m, &r);
}

// The leaves of [start, end) that map something (non-zero entries).
std::vector<Leaf> mapped(const idmap_t* m, uint64_t start, uint64_t end) {
    std::vector<Leaf> out;
    for (const Leaf& l : walk(m, start, end)) {
        if (l.bits != 0) out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE("unmap_range of a whole table's range frees it and its subtables", "[unmap]") {
    Map m = new_map(1, 1);
    // [0, 2M) in pages: root, a level-2 table and a level-3 table.
    require_map(m.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_table_count(m.get()) == 3);
    // Unmapping [0, 1G) covers the level-2 table's whole range: both go.
    REQUIRE(unmap(m.get(), 0, k1G) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 1);
    CHECK(mapped(m.get(), 0, idmap_size(m.get())).empty());
}

TEST_CASE("unmap_range of part of a table zeroes entries and frees tables it empties", "[unmap]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);  // root + L2 + L3
    REQUIRE(unmap(m.get(), kPage, 3 * kPage) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 3);
    std::vector<Leaf> left = mapped(m.get(), 0, k2M);
    REQUIRE(left.size() == 510);  // 512 pages less [4K, 12K)
    CHECK(left[0].start == 0);
    CHECK(left[1].start == 3 * kPage);
    // The rest of the level-3 table: now empty, so it is freed, and then its level-2
    // table is empty too.
    REQUIRE(unmap(m.get(), 0, kPage) == IDMAP_OK);
    REQUIRE(unmap(m.get(), 3 * kPage, k2M) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("unmap_range splits a block that straddles an edge and keeps the rest", "[unmap]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k1G, 2 * k1G, kRW);  // one 1 GiB block at level 1
    REQUIRE(idmap_table_count(m.get()) == 1);
    // [1G + 4K, 1G + 8K): the block becomes 512 2 MiB entries, the first of them 512 pages.
    REQUIRE(unmap(m.get(), k1G + kPage, k1G + 2 * kPage) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 3);
    const std::vector<Leaf> left = mapped(m.get(), k1G, 2 * k1G);
    REQUIRE(left.size() == 511 + 511);  // 511 pages and 511 2 MiB blocks
    for (const Leaf& l : left) {
        CHECK_FALSE((l.start < k1G + 2 * kPage && l.end > k1G + kPage));
        CHECK(idmap_descriptor_output_address(reinterpret_cast<const idmap_descriptor_t*>(&l.bits)) == l.start);
        CHECK((l.bits & IDMAP_ATTR_VALID) != 0);
    }
}

TEST_CASE("unmap_range of nothing mapped allocates nothing", "[unmap]") {
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    Map m(idmap_new_with_allocator(1, 1, &a), &idmap_free);
    REQUIRE(m != nullptr);
    REQUIRE(unmap(m.get(), kPage, 3 * kPage) == IDMAP_OK);
    CHECK(pool.allocs == 1);
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("unmap_range errors leave the tables as they were", "[unmap]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k1G, 2 * k1G, kRW | kNG);
    const std::vector<Leaf> before = trace(m.get());
    CHECK(unmap(m.get(), 3 * kPage, kPage) == IDMAP_ERR_REGION_BACKWARDS);
    CHECK(unmap(m.get(), 0, idmap_size(m.get()) + kPage) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_unmap_range(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_unmap_range(nullptr, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    // Active: splitting the live block would need break-before-make; the region is the
    // block's (as map_range's, contract 1.1).
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(unmap(m.get(), k1G, k1G + kPage) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->region.start == k1G);
    CHECK(idmap_last_error(m.get())->region.end == 2 * k1G);
    CHECK(trace(m.get()) == before);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("unmap_range out of pages for a split changes nothing", "[unmap]") {
    PagePool pool;
    const idmap_allocator_t a = pool.allocator();
    Map m(idmap_new_with_allocator(1, 1, &a), &idmap_free);
    REQUIRE(m != nullptr);
    require_map(m.get(), k1G, 2 * k1G, kRW);
    const std::vector<Leaf> before = trace(m.get());
    // The split needs a level-2 and a level-3 table; allow only one.
    pool.budget = 1;
    CHECK(unmap(m.get(), k1G + kPage, k1G + 2 * kPage) == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == 1);
    CHECK(pool.outstanding() == 1);
}

TEST_CASE("unmap_range on an active map invalidates the TLB before freeing", "[unmap]") {
    fake::reset();
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    REQUIRE(unmap(m.get(), 0, k2M) == IDMAP_OK);  // entries become invalid: no split, allowed
    CHECK(fake::counters().tlbi_vmalle1 == 1);
    CHECK(idmap_table_count(m.get()) == 1);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    // Inactive: no TLB maintenance.
    require_map(m.get(), 0, k2M, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(unmap(m.get(), 0, k2M) == IDMAP_OK);
    CHECK(fake::counters().tlbi_vmalle1 == 1);
    fake::reset();
}

TEST_CASE("compact_subtables frees the empty tables modify_range's splits leave", "[unmap]") {
    Map m = new_map(1, 1);
    // modify_range over one page of an empty map splits the empty entries down to a page:
    // a level-2 and a level-3 table, all zero.
    REQUIRE(modify(m.get(), 0, kPage, [](const idmap_region_t&, idmap_descriptor_t&, unsigned) { return 0; }) ==
            IDMAP_OK);
    REQUIRE(idmap_table_count(m.get()) == 3);
    require_map(m.get(), 4 * k1G, 4 * k1G + kPage, kRW);  // a table that is not empty
    REQUIRE(idmap_table_count(m.get()) == 5);
    CHECK(idmap_compact_subtables(m.get()) == 2);
    CHECK(idmap_table_count(m.get()) == 3);
    CHECK(mapped(m.get(), 0, idmap_size(m.get())).size() == 1);
    CHECK(idmap_compact_subtables(m.get()) == 0);
    CHECK(idmap_compact_subtables(nullptr) == 0);
}
