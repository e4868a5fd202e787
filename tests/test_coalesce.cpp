// idmap_coalesce_subtables (an addition to the C ABI): subtables that map one aligned,
// contiguous range with one set of attributes become blocks again, and are freed.
#include <catch2/catch.hpp>

#include "support/capi_support.hpp"

using namespace capi_test;

namespace {

idmap_status_t set_bits(idmap_t* m, uint64_t start, uint64_t end, uint64_t set, uint64_t clear) {
    return modify(m, start, end, [set, clear](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
        d.bits = (d.bits | set) & ~clear;
        return 0;
    });
}

}  // namespace

TEST_CASE("pages that map a whole block alike become the block", "[coalesce]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k1G, 2 * k1G, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_table_count(m.get()) == 1 + 1 + 512);
    const std::vector<Leaf> pages = walk(m.get(), k1G, 2 * k1G);
    REQUIRE(pages.size() == 262144);
    CHECK(idmap_coalesce_subtables(m.get()) == 513);
    CHECK(idmap_table_count(m.get()) == 1);
    const std::vector<Leaf> after = walk(m.get(), k1G, 2 * k1G);
    REQUIRE(after.size() == 1);
    CHECK(after[0].level == 1);
    CHECK(after[0].start == k1G);
    CHECK(after[0].end == 2 * k1G);
    // The block has the pages' attributes, without the page bit.
    CHECK(after[0].bits == ((pages[0].bits & ~IDMAP_ATTR_TABLE_OR_PAGE)));
    CHECK(idmap_coalesce_subtables(m.get()) == 0);  // nothing left to do
}

TEST_CASE("W4 undone: a split block made alike again is a block again", "[coalesce]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k1G, 2 * k1G, kRW);
    for (uint64_t va = k1G; va < k1G + 64 * kPage; va += 2 * kPage) {
        REQUIRE(map_range(m.get(), va, va + kPage, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    }
    REQUIRE(idmap_table_count(m.get()) == 3);
    CHECK(idmap_coalesce_subtables(m.get()) == 0);  // not alike yet
    CHECK(idmap_table_count(m.get()) == 3);
    REQUIRE(set_bits(m.get(), k1G, 2 * k1G, 0, IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    CHECK(idmap_coalesce_subtables(m.get()) == 2);
    CHECK(walk(m.get(), k1G, 2 * k1G).size() == 1);
}

TEST_CASE("tables that differ anywhere stay", "[coalesce]") {
    for (int variant = 0; variant < 4; ++variant) {
        CAPTURE(variant);
        Map m = new_map(1, 1);
        require_map(m.get(), k1G, k1G + k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
        const uint64_t last = k1G + k2M - kPage;
        switch (variant) {
            case 0: REQUIRE(set_bits(m.get(), last, last + kPage, IDMAP_ATTR_SWFLAG_1, 0) == IDMAP_OK); break;
            case 1: REQUIRE(set_bits(m.get(), last, last + kPage, 0, IDMAP_ATTR_VALID) == IDMAP_OK); break;
            case 2: {
                const idmap_region_t r = idmap_region(last, last + kPage);
                REQUIRE(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
                break;
            }
            default: REQUIRE(map_range(m.get(), last, last + kPage, kRW | kNG) == IDMAP_OK); break;
        }
        const std::vector<Leaf> before = trace(m.get());
        CHECK(idmap_coalesce_subtables(m.get()) == 0);
        CHECK(trace(m.get()) == before);
    }
}

TEST_CASE("one level at a time: a 2 MiB table becomes a block, the 1 GiB table above stays", "[coalesce]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k1G + k2M, k1G + 2 * k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_table_count(m.get()) == 3);
    CHECK(idmap_coalesce_subtables(m.get()) == 1);
    const std::vector<Leaf> leaves = walk(m.get(), k1G + k2M, k1G + 2 * k2M);
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0].level == 2);
    // The contiguous bits of hinted pages do not stop it.
    Map h = new_map(1, 1);
    REQUIRE(idmap_set_contiguous_hint(h.get(), true) == IDMAP_OK);
    require_map(h.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE((walk(h.get(), 0, kPage)[0].bits & kContiguous) != 0);
    CHECK(idmap_coalesce_subtables(h.get()) == 1);
    CHECK((walk(h.get(), 0, k2M)[0].bits & kContiguous) == 0);
}

TEST_CASE("an active map is not coalesced: a live table cannot become a block", "[coalesce]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    CHECK(idmap_coalesce_subtables(m.get()) == 0);
    CHECK(trace(m.get()) == before);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_coalesce_subtables(m.get()) == 1);
    CHECK(idmap_coalesce_subtables(nullptr) == 0);
}
