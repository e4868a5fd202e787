// Host tests of the C ABI: idmap_map_range and idmap_map_range_with_constraints on
// inactive maps — the layout they choose (block and page levels, as aarch64-paging
// 0.5.0's IdMap does), the entries they write, and their errors (shared/spec/c-abi.md).
// Break-before-make on active maps is in test_capi_bbm.cpp.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <cstdint>
#include <ostream>
#include <vector>

using namespace capi_test;

namespace {

// Where and at which level a leaf is, without its bits: what a layout is made of.
struct Span {
    uint64_t start, end;
    unsigned level;
    bool operator==(const Span& o) const {
        return start == o.start && end == o.end && level == o.level;
    }
};

std::ostream& operator<<(std::ostream& os, const Span& s) {
    return os << "{0x" << std::hex << s.start << "..0x" << s.end << std::dec << " L" << s.level
              << "}";
}

std::vector<Span> spans(const std::vector<Leaf>& leaves) {
    std::vector<Span> out;
    for (const Leaf& l : leaves) out.push_back({l.start, l.end, l.level});
    return out;
}

// Appends the leaves of [start, end) in steps of the granule at level.
void add_run(std::vector<Span>& v, uint64_t start, uint64_t end, unsigned level) {
    for (uint64_t a = start; a < end; a += granule(level)) v.push_back({a, a + granule(level), level});
}

// Every leaf maps its own address (identity), at its level's alignment, with flags.
void check_identity_leaves(const std::vector<Leaf>& leaves, uint64_t flags) {
    for (const Leaf& l : leaves) {
        CAPTURE(l);
        const idmap_descriptor_t d{l.bits};
        CHECK(l.end - l.start == granule(l.level));
        CHECK(l.start % granule(l.level) == 0);
        CHECK(idmap_descriptor_output_address(&d) == l.start);
        CHECK((idmap_descriptor_flags(&d) & ~kContiguous) == leaf_flags(flags, l.level));
    }
}

}  // namespace

TEST_CASE("map_range maps a page at each end of the table on every root level", "[map]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const uint64_t size = idmap_size(m.get());
        REQUIRE(map_range(m.get(), 0, 1, kRW) == IDMAP_OK);  // one byte: the first page
        REQUIRE(map_range(m.get(), size - 1, size, kRW) == IDMAP_OK);  // the last page

        const std::vector<Leaf> first = walk(m.get(), 0, kPage);
        const std::vector<Leaf> last = walk(m.get(), size - kPage, size);
        REQUIRE(first.size() == 1);
        REQUIRE(last.size() == 1);
        CHECK(spans(first) == std::vector<Span>{{0, kPage, 3}});
        CHECK(spans(last) == std::vector<Span>{{size - kPage, size, 3}});
        check_identity_leaves(first, kRW);
        check_identity_leaves(last, kRW);
        // The root, then one table per level below it for each end: 1 + 2*(3 - level).
        CHECK(idmap_table_count(m.get()) == 1 + 2 * (3 - level));
    }
}

TEST_CASE("map_range uses the largest blocks that fit, 1 GiB at level 1 and 2 MiB at level 2, "
          "and pages at ragged edges",
          "[map][layout]") {
    struct Row {
        const char* what;
        unsigned root_level;
        uint64_t start, end;
        size_t tables;  // table_count afterwards
        std::vector<Span> leaves;
    };
    std::vector<Row> rows;
    // Root 1: [0, 2M) is not a 1 GiB block -> a level-2 table with one 2 MiB block.
    rows.push_back({"one 2 MiB block", 1, 0, k2M, 2, {{0, k2M, 2}}});
    // Root 1: [0, 4K) -> level-2 table -> level-3 table -> one page: 3 tables.
    rows.push_back({"one page", 1, 0, kPage, 3, {{0, kPage, 3}}});
    // Root 1: [0, 1G) is a whole level-1 entry: a block in the root, no new table.
    rows.push_back({"one 1 GiB block", 1, 0, k1G, 1, {{0, k1G, 1}}});
    rows.push_back({"two 1 GiB blocks", 1, k1G, 3 * k1G, 1, {{k1G, 2 * k1G, 1}, {2 * k1G, 3 * k1G, 1}}});
    // Root 1: the crate's "two pages on the boundary between two subtables":
    // [1023 * 4K, 1025 * 4K) = page 511 of level-3 table 0 and page 0 of table 1;
    // root + level 2 + two level 3 = 4 tables.
    rows.push_back({"two pages across level-3 tables", 1, 1023 * kPage, 1025 * kPage, 4,
                    {{1023 * kPage, 1024 * kPage, 3}, {1024 * kPage, 1025 * kPage, 3}}});
    {
        // Root 1: [2M - 4K, 1G + 2M + 4K):
        //   level-1 entry 0 -> table A (level 2): entry 0 -> table (level 3): page 511;
        //                      entries 1..511: 2 MiB blocks [2M, 1G);
        //   level-1 entry 1 -> table B (level 2): entry 0 block [1G, 1G + 2M);
        //                      entry 1 -> table (level 3): page 0 = [1G + 2M, +4K).
        // Tables: root, A, A's level 3, B, B's level 3 = 5.
        Row r{"ragged edges around 2 MiB blocks", 1, k2M - kPage, k1G + k2M + kPage, 5, {}};
        r.leaves.push_back({k2M - kPage, k2M, 3});
        add_run(r.leaves, k2M, k1G, 2);  // 511 blocks
        r.leaves.push_back({k1G, k1G + k2M, 2});
        r.leaves.push_back({k1G + k2M, k1G + k2M + kPage, 3});
        rows.push_back(r);
    }
    // Root 1: [1G - 4K, 2G + 4K): page 511 of table (L2 entry 511 of L1 entry 0), the
    // 1 GiB block of level-1 entry 1, page 0 under level-1 entry 2. Tables: root + 2 + 2 = 5.
    rows.push_back({"ragged edges around a 1 GiB block", 1, k1G - kPage, 2 * k1G + kPage, 5,
                    {{k1G - kPage, k1G, 3}, {k1G, 2 * k1G, 1}, {2 * k1G, 2 * k1G + kPage, 3}}});
    {
        // Root 1: [1G - 2M, 2G + 2M): 2 MiB block, 1 GiB block, 2 MiB block; 3 tables.
        rows.push_back({"2 MiB, 1 GiB, 2 MiB", 1, k1G - k2M, 2 * k1G + k2M, 3,
                        {{k1G - k2M, k1G, 2}, {k1G, 2 * k1G, 1}, {2 * k1G, 2 * k1G + k2M, 2}}});
    }
    {
        // Root 0: level 0 entries cover 512 GiB but never hold a block: [0, 512G) is a
        // level-1 table of 512 1 GiB blocks; 2 tables.
        Row r{"never a block at level 0", 0, 0, k512G, 2, {}};
        add_run(r.leaves, 0, k512G, 1);
        rows.push_back(r);
    }
    {
        Row r{"never a block at level 0, second entry", 0, k512G, 2 * k512G, 2, {}};
        add_run(r.leaves, k512G, 2 * k512G, 1);
        rows.push_back(r);
    }
    // Root 0: [0, 1G) -> level-1 table with one 1 GiB block; 2 tables.
    rows.push_back({"1 GiB block under a level-0 root", 0, 0, k1G, 2, {{0, k1G, 1}}});
    // Root 0: [0, 4K) -> tables at levels 1, 2, 3; 4 tables.
    rows.push_back({"page under a level-0 root", 0, 0, kPage, 4, {{0, kPage, 3}}});
    {
        // Root 2 covers 1 GiB with 2 MiB entries: [0, 1G) is 512 blocks in the root.
        Row r{"2 MiB blocks in a level-2 root", 2, 0, k1G, 1, {}};
        add_run(r.leaves, 0, k1G, 2);
        rows.push_back(r);
    }
    // Root 2: [2M - 4K, 4M + 4K): page, block, page; root + 2 level-3 tables = 3.
    rows.push_back({"ragged level-2 root", 2, k2M - kPage, 2 * k2M + kPage, 3,
                    {{k2M - kPage, k2M, 3}, {k2M, 2 * k2M, 2}, {2 * k2M, 2 * k2M + kPage, 3}}});
    {
        // Root 3 covers 2 MiB with pages only: [0, 2M) is 512 pages in the root.
        Row r{"pages in a level-3 root", 3, 0, k2M, 1, {}};
        add_run(r.leaves, 0, k2M, 3);
        rows.push_back(r);
    }

    for (const Row& row : rows) {
        CAPTURE(row.what);
        Map m = new_map(1, row.root_level);
        REQUIRE(map_range(m.get(), row.start, row.end, kRW) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == row.tables);
        // Walking exactly the mapped range meets exactly the leaves written.
        const std::vector<Leaf> got = walk(m.get(), row.start, row.end);
        CHECK(spans(got) == row.leaves);
        check_identity_leaves(got, kRW);
    }
}

TEST_CASE("map_range sets ACCESSED on every block and page it writes", "[map]") {
    Map m = new_map(1, 1);
    // A page, 2 MiB blocks and a 1 GiB block; flags without ACCESSED.
    REQUIRE(map_range(m.get(), k1G - k2M - kPage, 2 * k1G, kRW) == IDMAP_OK);
    const std::vector<Leaf> got = walk(m.get(), k1G - k2M - kPage, 2 * k1G);
    REQUIRE(got.size() == 3);  // page, 2 MiB block, 1 GiB block
    for (const Leaf& l : got) {
        CAPTURE(l);
        CHECK((l.bits & IDMAP_ATTR_ACCESSED) != 0);
    }
    // ACCESSED given explicitly is kept, not toggled.
    REQUIRE(map_range(m.get(), 0, kPage, kRW | IDMAP_ATTR_ACCESSED) == IDMAP_OK);
    CHECK((walk(m.get(), 0, kPage).at(0).bits & IDMAP_ATTR_ACCESSED) != 0);
}

TEST_CASE("map_range writes entries without VALID but leaves them invalid", "[map]") {
    Map m = new_map(1, 1);
    SECTION("a 2 MiB block") {
        REQUIRE(map_range(m.get(), 0, k2M, IDMAP_ATTR_NORMAL | IDMAP_ATTR_SWFLAG_0) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 2);  // level-2 table written, as for a valid block
        const std::vector<Leaf> got = walk(m.get(), 0, k2M);
        REQUIRE(got.size() == 1);
        CHECK(spans(got) == std::vector<Span>{{0, k2M, 2}});
        const idmap_descriptor_t d{got[0].bits};
        CHECK_FALSE(idmap_descriptor_is_valid(&d));
        CHECK_FALSE(idmap_descriptor_is_table_or_page(&d));
        // The entry is written with the flags alone (contract 1.1: an unmap adds nothing,
        // no ACCESSED, no output address).
        CHECK(d.bits == (IDMAP_ATTR_NORMAL | IDMAP_ATTR_SWFLAG_0));
    }
    SECTION("a page") {
        REQUIRE(map_range(m.get(), kPage, 2 * kPage, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_SWFLAG_2) ==
                IDMAP_OK);
        const std::vector<Leaf> got = walk(m.get(), kPage, 2 * kPage);
        REQUIRE(got.size() == 1);
        CHECK(got[0].level == 3);
        const idmap_descriptor_t d{got[0].bits};
        CHECK_FALSE(idmap_descriptor_is_valid(&d));
        CHECK_FALSE(idmap_descriptor_is_table_or_page(&d));
        CHECK(d.bits == IDMAP_ATTR_SWFLAG_2);  // the flags alone: no page bit, no ACCESSED
    }
    SECTION("over valid entries, making them invalid") {
        REQUIRE(map_range(m.get(), 0, k2M + 2 * kPage, kRW) == IDMAP_OK);
        REQUIRE(map_range(m.get(), 0, k2M + 2 * kPage, IDMAP_ATTR_NORMAL) == IDMAP_OK);
        const std::vector<Leaf> got = walk(m.get(), 0, k2M + 2 * kPage);
        REQUIRE(got.size() == 3);  // block + 2 pages, same layout
        for (const Leaf& l : got) {
            CAPTURE(l);
            CHECK((l.bits & IDMAP_ATTR_VALID) == 0);
        }
    }
}

TEST_CASE("map_range with NO_BLOCK_MAPPINGS maps pages only", "[map][layout]") {
    Map m = new_map(1, 1);
    // [0, 4M): 1024 pages in two level-3 tables under one level-2 table: 4 tables.
    const idmap_region_t r = idmap_region(0, 2 * k2M);
    REQUIRE(idmap_map_range_with_constraints(m.get(), &r, kRW, IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 4);
    const std::vector<Leaf> got = walk(m.get(), 0, 2 * k2M);
    std::vector<Span> want;
    add_run(want, 0, 2 * k2M, 3);
    CHECK(spans(got) == want);
    check_identity_leaves(got, kRW);
}

TEST_CASE("map_range with NO_CONTIGUOUS_HINT never sets the contiguous bit", "[map]") {
    Map m = new_map(1, 1);
    // 16 aligned pages and 16 aligned 2 MiB blocks: runs a contiguous hint could cover.
    const idmap_region_t pages = idmap_region(0, 16 * kPage);
    const idmap_region_t blocks = idmap_region(16 * k2M, 32 * k2M);
    REQUIRE(idmap_map_range_with_constraints(m.get(), &pages, kRW, IDMAP_NO_CONTIGUOUS_HINT) ==
            IDMAP_OK);
    REQUIRE(idmap_map_range_with_constraints(m.get(), &blocks, kRW, IDMAP_NO_CONTIGUOUS_HINT) ==
            IDMAP_OK);
    std::vector<Leaf> got = walk(m.get(), 0, 16 * kPage);
    const std::vector<Leaf> more = walk(m.get(), 16 * k2M, 32 * k2M);
    got.insert(got.end(), more.begin(), more.end());
    REQUIRE(got.size() == 32);
    for (const Leaf& l : got) {
        CAPTURE(l);
        CHECK((l.bits & kContiguous) == 0);
    }
}

TEST_CASE("map_range with both constraints maps pages without the contiguous bit", "[map]") {
    Map m = new_map(1, 2);
    const idmap_region_t r = idmap_region(0, k2M);
    REQUIRE(idmap_map_range_with_constraints(m.get(), &r, kRW,
                                             IDMAP_NO_BLOCK_MAPPINGS | IDMAP_NO_CONTIGUOUS_HINT) ==
            IDMAP_OK);
    const std::vector<Leaf> got = walk(m.get(), 0, k2M);
    REQUIRE(got.size() == 512);
    for (const Leaf& l : got) {
        CHECK(l.level == 3);
        CHECK((l.bits & kContiguous) == 0);
    }
}

TEST_CASE("map_range keeps a table that already covers part of the range", "[map][layout]") {
    Map m = new_map(1, 1);
    SECTION("a page table under a 2 MiB range is filled, not replaced by a block") {
        REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
        REQUIRE(idmap_table_count(m.get()) == 3);
        REQUIRE(map_range(m.get(), 0, k2M, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 3);
        const std::vector<Leaf> got = walk(m.get(), 0, k2M);
        std::vector<Span> want;
        add_run(want, 0, k2M, 3);
        CHECK(spans(got) == want);
        check_identity_leaves(got, kRW | IDMAP_ATTR_READ_ONLY);
    }
    SECTION("a level-2 table under a 1 GiB range is filled, with blocks beside the old table") {
        REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
        REQUIRE(map_range(m.get(), 0, k1G, kRW) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 3);
        const std::vector<Leaf> got = walk(m.get(), 0, k1G);
        std::vector<Span> want;
        add_run(want, 0, k2M, 3);   // the old level-3 table, filled: 512 pages
        add_run(want, k2M, k1G, 2);  // 511 blocks
        CHECK(spans(got) == want);
        check_identity_leaves(got, kRW);
    }
    SECTION("remapping pages with blocks allowed keeps the pages") {
        const idmap_region_t r = idmap_region(0, k2M);
        REQUIRE(idmap_map_range_with_constraints(m.get(), &r, kRW, IDMAP_NO_BLOCK_MAPPINGS) ==
                IDMAP_OK);
        REQUIRE(idmap_table_count(m.get()) == 3);
        REQUIRE(idmap_map_range(m.get(), &r, kRW | IDMAP_ATTR_EXECUTE_NEVER) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 3);
        const std::vector<Leaf> got = walk(m.get(), 0, k2M);
        REQUIRE(got.size() == 512);
        check_identity_leaves(got, kRW | IDMAP_ATTR_EXECUTE_NEVER);
    }
}

TEST_CASE("map_range inside a block splits it and keeps the rest of the block's mapping",
          "[map][layout]") {
    Map m = new_map(1, 1);
    SECTION("a page inside a 2 MiB block") {
        REQUIRE(map_range(m.get(), 0, k2M, kRW) == IDMAP_OK);
        REQUIRE(idmap_table_count(m.get()) == 2);
        const uint64_t dev = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID;
        REQUIRE(map_range(m.get(), kPage, 2 * kPage, dev) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 3);
        const std::vector<Leaf> got = walk(m.get(), 0, k2M);
        REQUIRE(got.size() == 512);
        for (const Leaf& l : got) {
            CAPTURE(l);
            CHECK(l.level == 3);
            const idmap_descriptor_t d{l.bits};
            CHECK(idmap_descriptor_output_address(&d) == l.start);
            CHECK((idmap_descriptor_flags(&d) & ~kContiguous) ==
                  leaf_flags(l.start == kPage ? dev : kRW, 3));
        }
    }
    SECTION("a page inside a 1 GiB block") {
        REQUIRE(map_range(m.get(), 0, k1G, kRW) == IDMAP_OK);
        REQUIRE(idmap_table_count(m.get()) == 1);
        REQUIRE(map_range(m.get(), k2M, k2M + kPage, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
        CHECK(idmap_table_count(m.get()) == 3);
        const std::vector<Leaf> got = walk(m.get(), 0, k1G);
        std::vector<Span> want;
        want.push_back({0, k2M, 2});
        add_run(want, k2M, 2 * k2M, 3);
        add_run(want, 2 * k2M, k1G, 2);
        CHECK(spans(got) == want);
        for (const Leaf& l : got) {
            CAPTURE(l);
            const idmap_descriptor_t d{l.bits};
            CHECK(idmap_descriptor_output_address(&d) == l.start);
            CHECK((idmap_descriptor_flags(&d) & ~kContiguous) ==
                  leaf_flags(l.start == k2M ? (kRW | IDMAP_ATTR_READ_ONLY) : kRW, l.level));
        }
    }
}

TEST_CASE("map_range of an empty region succeeds and changes nothing", "[map]") {
    Map m = new_map(1, 1);
    REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    for (uint64_t at : {uint64_t{0}, uint64_t{0x5000}, k1G, k512G}) {
        CAPTURE(at);
        const idmap_region_t r{at, at};
        CHECK(idmap_map_range(m.get(), &r, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) == IDMAP_OK);
        CHECK(idmap_map_range_with_constraints(m.get(), &r, kRW, IDMAP_NO_BLOCK_MAPPINGS) ==
              IDMAP_OK);
    }
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == 3);
    CHECK(idmap_last_error(m.get())->status == IDMAP_OK);
}

TEST_CASE("map_range maps up to the very end of the table", "[map]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const uint64_t size = idmap_size(m.get());
        // [size - 2M, size): the last 2 MiB, a block wherever level 2 exists.
        REQUIRE(map_range(m.get(), size - k2M, size, kRW) == IDMAP_OK);
        const std::vector<Leaf> got = walk(m.get(), size - k2M, size);
        if (level == 3) {
            CHECK(got.size() == 512);
        } else {
            CHECK(spans(got) == std::vector<Span>{{size - k2M, size, 2}});
        }
        check_identity_leaves(got, kRW);
    }
}

TEST_CASE("map_range accepts every attribute bit the contract does not refuse", "[map]") {
    // Refused: 1 (TABLE_OR_PAGE), 12-49, 52. Everything else is the caller's business.
    const uint64_t flags[] = {
        kRW | IDMAP_ATTR_USER,
        kRW | IDMAP_ATTR_READ_ONLY,
        kRW | IDMAP_ATTR_NON_GLOBAL,
        kRW | IDMAP_ATTR_DBM,
        kRW | IDMAP_ATTR_EXECUTE_NEVER,
        kRW | IDMAP_ATTR_SWFLAG_0 | IDMAP_ATTR_SWFLAG_1 | IDMAP_ATTR_SWFLAG_2 | IDMAP_ATTR_SWFLAG_3,
        IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | IDMAP_ATTR_EXECUTE_NEVER,
        kRW | (1ULL << 50),                           // GP (BTI guarded page)
        kRW | (0x1fULL << 59),                        // bits 63:59 (ignored/PBHA)
        kRW | 0xffcULL,                               // every bit of 11:2
    };
    for (uint64_t f : flags) {
        CAPTURE(f);
        Map m = new_map(1, 1);
        REQUIRE(map_range(m.get(), 0, k2M + kPage, f) == IDMAP_OK);
        const std::vector<Leaf> got = walk(m.get(), 0, k2M + kPage);
        REQUIRE(got.size() == 2);  // a block and a page
        check_identity_leaves(got, f);
    }
}

TEST_CASE("map_range refuses NULL arguments with INVALID_ARGUMENT", "[map][errors]") {
    const idmap_region_t r = idmap_region(0, kPage);
    CHECK(idmap_map_range(nullptr, &r, kRW) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_map_range_with_constraints(nullptr, &r, kRW, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    Map m = new_map(1, 1);
    CHECK(idmap_map_range(m.get(), nullptr, kRW) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_map_range_with_constraints(m.get(), nullptr, kRW, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("map_range of a backwards region gives REGION_BACKWARDS and changes nothing",
          "[map][errors]") {
    struct Row {
        idmap_region_t given, rounded;
    };
    const Row rows[] = {
        {{0x3000, 0x1000}, {0x3000, 0x1000}},
        {{0x3001, 0x1001}, {0x3000, 0x2000}},  // 0x3001 -> 0x3000, 0x1001 -> 0x2000
        {{k1G, kPage}, {k1G, kPage}},
        {{k2M + 1, 1}, {k2M, kPage}},          // k2M + 1 -> k2M, 1 -> 0x1000
    };
    Map m = new_map(1, 1);
    REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    for (const Row& row : rows) {
        CAPTURE(row.given.start, row.given.end);
        for (int with_constraints = 0; with_constraints < 2; ++with_constraints) {
            const idmap_status_t st =
                with_constraints
                    ? idmap_map_range_with_constraints(m.get(), &row.given, kRW, 0)
                    : idmap_map_range(m.get(), &row.given, kRW);
            CHECK(st == IDMAP_ERR_REGION_BACKWARDS);
            const idmap_error_t* e = idmap_last_error(m.get());
            CHECK(e->status == IDMAP_ERR_REGION_BACKWARDS);
            CHECK(e->region.start == row.rounded.start);
            CHECK(e->region.end == row.rounded.end);
        }
    }
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == 3);
}

TEST_CASE("map_range past the table's size gives ADDRESS_RANGE at the rounded end and changes "
          "nothing",
          "[map][errors]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const uint64_t size = idmap_size(m.get());
        struct Row {
            uint64_t start, end, va;
        };
        const Row rows[] = {
            {size, size + 1, size + kPage},                 // one byte past: end rounds up
            {0, size + 1, size + kPage},                    // from 0 to just past
            {size - kPage, size + kPage, size + kPage},     // straddles the end
            {size + 2 * kPage, size + 3 * kPage, size + 3 * kPage},  // starts beyond
            {0, size + k2M, size + k2M},                    // aligned end past
        };
        REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
        const std::vector<Leaf> before = trace(m.get());
        const size_t tables = idmap_table_count(m.get());
        for (const Row& row : rows) {
            CAPTURE(row.start, row.end);
            const idmap_region_t r{row.start, row.end};
            CHECK(idmap_map_range(m.get(), &r, kRW) == IDMAP_ERR_ADDRESS_RANGE);
            CHECK(idmap_last_error(m.get())->va == row.va);
            CHECK(idmap_map_range_with_constraints(m.get(), &r, kRW, IDMAP_NO_BLOCK_MAPPINGS) ==
                  IDMAP_ERR_ADDRESS_RANGE);
            CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_ADDRESS_RANGE);
            CHECK(idmap_last_error(m.get())->va == row.va);
        }
        CHECK(trace(m.get()) == before);
        CHECK(idmap_table_count(m.get()) == tables);
    }
}

TEST_CASE("map_range refuses TABLE_OR_PAGE, bits 12-49 and bit 52 with INVALID_FLAGS naming "
          "exactly those bits",
          "[map][errors]") {
    const uint64_t bits_12_49 = ((1ULL << 50) - 1) & ~0xfffULL;  // 0x0003_ffff_ffff_f000
    REQUIRE(bits_12_49 == 0x0003fffffffff000ULL);
    struct Row {
        uint64_t refused;  // added to NORMAL | VALID; value must be exactly this
    };
    const Row rows[] = {
        {IDMAP_ATTR_TABLE_OR_PAGE},
        {1ULL << 12},
        {1ULL << 21},
        {1ULL << 30},
        {1ULL << 47},
        {1ULL << 48},
        {1ULL << 49},
        {bits_12_49},
        {kContiguous},
        {IDMAP_ATTR_TABLE_OR_PAGE | (1ULL << 20) | kContiguous},
        {IDMAP_ATTR_TABLE_OR_PAGE | bits_12_49 | kContiguous},
    };
    Map m = new_map(1, 1);
    REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    for (const Row& row : rows) {
        CAPTURE(row.refused);
        // Also with VALID-less and other accepted bits around it: they are not reported.
        for (uint64_t base : {kRW, uint64_t{IDMAP_ATTR_NORMAL}, kRW | IDMAP_ATTR_DBM |
                                                                   IDMAP_ATTR_SWFLAG_3}) {
            CAPTURE(base);
            CHECK(map_range(m.get(), 0, k2M, base | row.refused) == IDMAP_ERR_INVALID_FLAGS);
            CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_FLAGS);
            CHECK(idmap_last_error(m.get())->value == row.refused);
        }
    }
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == 3);
}

TEST_CASE("map_range_with_constraints refuses unknown constraint bits with INVALID_FLAGS",
          "[map][errors]") {
    const uint32_t unknown[] = {1u << 2, 1u << 31, 0xfffffffcu, 0x10u | IDMAP_NO_BLOCK_MAPPINGS};
    Map m = new_map(1, 1);
    const idmap_region_t r = idmap_region(0, k2M);
    for (uint32_t c : unknown) {
        CAPTURE(c);
        CHECK(idmap_map_range_with_constraints(m.get(), &r, kRW, c) == IDMAP_ERR_INVALID_FLAGS);
        // value = the constraint bits refused, the known ones left out.
        CHECK(idmap_last_error(m.get())->value ==
              uint64_t(c & ~(IDMAP_NO_BLOCK_MAPPINGS | IDMAP_NO_CONTIGUOUS_HINT)));
    }
    CHECK(idmap_table_count(m.get()) == 1);
    CHECK(walk(m.get(), 0, k2M).at(0).bits == 0);
}

TEST_CASE("when flags and constraints are both refused, INVALID_FLAGS holds the flags' bits",
          "[map][errors]") {
    Map m = new_map(1, 1);
    const idmap_region_t r = idmap_region(0, k2M);
    CHECK(idmap_map_range_with_constraints(m.get(), &r, kRW | IDMAP_ATTR_TABLE_OR_PAGE, 1u << 5) ==
          IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_TABLE_OR_PAGE);
    CHECK(idmap_map_range_with_constraints(m.get(), &r, kRW | kContiguous | (1ULL << 13),
                                           0xff00u) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == (kContiguous | (1ULL << 13)));
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("idmap_last_error records the most recent failed call", "[map][errors]") {
    Map m = new_map(1, 1);
    const idmap_error_t* e = idmap_last_error(m.get());
    REQUIRE(e != nullptr);
    CHECK(e->status == IDMAP_OK);  // before any failure

    REQUIRE(map_range(m.get(), 0, kPage, kRW) == IDMAP_OK);
    CHECK(idmap_last_error(m.get())->status == IDMAP_OK);  // successes leave it alone

    // First failure: ADDRESS_RANGE with va.
    REQUIRE(map_range(m.get(), k512G, k512G + 1, kRW) == IDMAP_ERR_ADDRESS_RANGE);
    e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(e->va == k512G + kPage);

    // A successful call afterwards does not reset it: it is the most recent call that failed.
    REQUIRE(map_range(m.get(), kPage, 2 * kPage, kRW) == IDMAP_OK);
    e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(e->va == k512G + kPage);

    // The next failure replaces it.
    const idmap_region_t back{0x5000, 0x4000};
    REQUIRE(idmap_map_range(m.get(), &back, kRW) == IDMAP_ERR_REGION_BACKWARDS);
    e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_REGION_BACKWARDS);
    CHECK(e->region.start == 0x5000);
    CHECK(e->region.end == 0x4000);

    REQUIRE(map_range(m.get(), 0, kPage, kRW | (1ULL << 40)) == IDMAP_ERR_INVALID_FLAGS);
    e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_INVALID_FLAGS);
    CHECK(e->value == (1ULL << 40));
}
