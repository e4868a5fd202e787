// Host tests of the C ABI: idmap_region and the rounding that every call taking an
// idmap_region_t applies (shared/spec/c-abi.md, "idmap_region").
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <cstdint>
#include <vector>

using namespace capi_test;

namespace {

constexpr uint64_t kMax = UINT64_MAX;

int count_modify(const idmap_region_t* r, idmap_descriptor_t*, unsigned level, void* ctx) {
    static_cast<std::vector<Leaf>*>(ctx)->push_back({r->start, r->end, 0, level});
    return 0;
}

int count_walk(const idmap_region_t*, const idmap_descriptor_t*, unsigned, void* ctx) {
    ++*static_cast<int*>(ctx);
    return 0;
}

std::vector<Leaf> valid_leaves(const idmap_t* m, uint64_t start, uint64_t end) {
    std::vector<Leaf> all;
    idmap_region_t r{start, end};
    REQUIRE(idmap_walk_range(m, &r, collect, &all) == IDMAP_OK);
    std::vector<Leaf> out;
    for (const Leaf& l : all) {
        if (l.bits & IDMAP_ATTR_VALID) out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE("idmap_region rounds start down and end up to 4 KiB", "[region]") {
    struct Row {
        uint64_t start, end;      // given
        uint64_t want_start, want_end;
    };
    const Row rows[] = {
        {0, 0, 0, 0},                                  // already aligned, empty
        {1, 1, 0, kPage},                              // 1 -> down 0, 1 -> up 0x1000
        {0x1234, 0x5678, 0x1000, 0x6000},              // 0x1234 & ~0xfff; 0x5678 + 0xfff & ~0xfff
        {0x1000, 0x2000, 0x1000, 0x2000},              // aligned: unchanged
        {0x1fff, 0x2001, 0x1000, 0x3000},              // one byte each side of a page
        {0x2fff, 0x1001, 0x2000, 0x2000},              // backwards bytes, but empty once rounded
        {5, 3, 0, kPage},                              // backwards bytes, forwards pages
        {0x80200000, 0x80400000, 0x80200000, 0x80400000},  // the seed's range
        {0x7fffffffff, 0x8000000001, 0x7ffffff000, 0x8000001000},  // around 2^39
        {0, kMax - 0xfff, 0, kMax - 0xfff},            // 2^64 - 4096 is aligned: kept
        {kMax - 0x1fff, kMax - 0x1ffe, kMax - 0x1fff, kMax - 0xfff},  // rounds up to 2^64 - 4096
    };
    for (const Row& row : rows) {
        CAPTURE(row.start, row.end);
        const idmap_region_t r = idmap_region(row.start, row.end);
        CHECK(r.start == row.want_start);
        CHECK(r.end == row.want_end);
    }
}

TEST_CASE("idmap_region never wraps: an end that cannot be rounded up is kept as given",
          "[region]") {
    struct Row {
        uint64_t start, end;
        uint64_t want_start;
    };
    const Row rows[] = {
        {0, kMax, 0},                             // 2^64 - 1 would round up to 2^64
        {0, kMax - 0xffe, 0},                     // 2^64 - 4095 would round up to 2^64 (= 0 mod 2^64)
        {0x1234, kMax, 0x1000},                   // start still rounded down
        {kMax, kMax, kMax - 0xfff},               // start 2^64 - 1 -> 2^64 - 4096
        {kMax - 0xfff + 1, kMax, kMax - 0xfff},   // both in the last page
    };
    for (const Row& row : rows) {
        CAPTURE(row.start, row.end);
        const idmap_region_t r = idmap_region(row.start, row.end);
        CHECK(r.start == row.want_start);
        CHECK(r.end == row.end);
    }
}

TEST_CASE("every call given a region whose end cannot be rounded fails with ADDRESS_RANGE at "
          "that end",
          "[region][errors]") {
    const idmap_region_t regions[] = {
        {0, kMax},
        {0, kMax - 0xffe},        // rounds to 2^64: kept, so unrepresentable
        {kMax - 0x10, kMax},
        {kMax, kMax},
        idmap_region(0, kMax),    // what idmap_region gives for it: the same end
    };
    const char* const calls[] = {"map_range", "map_range_with_constraints", "modify_range",
                                 "walk_range"};
    for (unsigned level = 0; level <= 3; ++level) {
        for (const idmap_region_t& r : regions) {
            for (int call = 0; call < 4; ++call) {
                CAPTURE(level, r.start, r.end, calls[call]);
                Map m = new_map(1, level);
                std::vector<Leaf> modified;
                int walked = 0;
                idmap_status_t st = IDMAP_OK;
                switch (call) {
                case 0:
                    st = idmap_map_range(m.get(), &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID);
                    break;
                case 1:
                    st = idmap_map_range_with_constraints(
                        m.get(), &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID, IDMAP_NO_BLOCK_MAPPINGS);
                    break;
                case 2:
                    st = idmap_modify_range(m.get(), &r, count_modify, &modified);
                    break;
                default:
                    st = idmap_walk_range(m.get(), &r, count_walk, &walked);
                    break;
                }
                CHECK(st == IDMAP_ERR_ADDRESS_RANGE);
                CHECK(modified.empty());
                CHECK(walked == 0);
                const idmap_error_t* e = idmap_last_error(m.get());
                REQUIRE(e != nullptr);
                CHECK(e->status == IDMAP_ERR_ADDRESS_RANGE);
                CHECK(e->va == r.end);
                CHECK(idmap_table_count(m.get()) == 1);
                CHECK(valid_leaves(m.get(), 0, idmap_size(m.get())).empty());
            }
        }
    }
}

TEST_CASE("map_range rounds the region it is given", "[region][map]") {
    Map m = new_map(1, 1);
    // {0x1234, 0x3001} -> [0x1000, 0x4000): three pages 0x1000, 0x2000, 0x3000.
    const idmap_region_t raw{0x1234, 0x3001};
    REQUIRE(idmap_map_range(m.get(), &raw, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK);
    const std::vector<Leaf> got = valid_leaves(m.get(), 0, 0x200000);
    REQUIRE(got.size() == 3);
    for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].start == 0x1000 + i * kPage);
        CHECK(got[i].end == 0x2000 + i * kPage);
        CHECK(got[i].level == 3);
    }
}

TEST_CASE("map_range_with_constraints rounds the region it is given", "[region][map]") {
    Map m = new_map(1, 1);
    // {0x1fff, 0x2001} -> [0x1000, 0x3000)
    const idmap_region_t raw{0x1fff, 0x2001};
    REQUIRE(idmap_map_range_with_constraints(m.get(), &raw, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID,
                                             IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    const std::vector<Leaf> got = valid_leaves(m.get(), 0, 0x200000);
    REQUIRE(got.size() == 2);
    CHECK(got[0].start == 0x1000);
    CHECK(got[1].end == 0x3000);
}

TEST_CASE("walk_range and modify_range round the region they are given", "[region]") {
    Map m = new_map(1, 1);
    const idmap_region_t pages = idmap_region(0, 0x10000);  // 16 pages
    REQUIRE(idmap_map_range_with_constraints(m.get(), &pages, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID,
                                             IDMAP_NO_CONTIGUOUS_HINT) == IDMAP_OK);

    SECTION("walk {0x1fff, 0x2001} visits [0x1000, 0x3000)") {
        std::vector<Leaf> got;
        const idmap_region_t raw{0x1fff, 0x2001};
        REQUIRE(idmap_walk_range(m.get(), &raw, collect, &got) == IDMAP_OK);
        REQUIRE(got.size() == 2);
        CHECK(got[0].start == 0x1000);
        CHECK(got[1].start == 0x2000);
    }
    SECTION("modify {0x2001, 0x2fff} passes [0x2000, 0x3000)") {
        std::vector<Leaf> got;
        const idmap_region_t raw{0x2001, 0x2fff};
        REQUIRE(idmap_modify_range(m.get(), &raw, count_modify, &got) == IDMAP_OK);
        REQUIRE(got.size() == 1);
        CHECK(got[0].start == 0x2000);
        CHECK(got[0].end == 0x3000);
    }
}

TEST_CASE("a region backwards after rounding gives REGION_BACKWARDS with the rounded region",
          "[region][errors]") {
    // {0x3001, 0x1001} -> [0x3000, 0x2000): backwards by one page.
    const idmap_region_t raw{0x3001, 0x1001};
    Map m = new_map(1, 1);
    SECTION("map_range") {
        CHECK(idmap_map_range(m.get(), &raw, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) ==
              IDMAP_ERR_REGION_BACKWARDS);
    }
    SECTION("map_range_with_constraints") {
        CHECK(idmap_map_range_with_constraints(m.get(), &raw, IDMAP_ATTR_NORMAL, 0) ==
              IDMAP_ERR_REGION_BACKWARDS);
    }
    SECTION("modify_range") {
        std::vector<Leaf> calls;
        CHECK(idmap_modify_range(m.get(), &raw, count_modify, &calls) ==
              IDMAP_ERR_REGION_BACKWARDS);
        CHECK(calls.empty());
    }
    SECTION("walk_range") {
        int calls = 0;
        CHECK(idmap_walk_range(m.get(), &raw, count_walk, &calls) == IDMAP_ERR_REGION_BACKWARDS);
        CHECK(calls == 0);
    }
    const idmap_error_t* e = idmap_last_error(m.get());
    REQUIRE(e != nullptr);
    CHECK(e->status == IDMAP_ERR_REGION_BACKWARDS);
    CHECK(e->region.start == 0x3000);
    CHECK(e->region.end == 0x2000);
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("a region that is empty only after rounding is not backwards", "[region]") {
    // {0x2fff, 0x2001} -> [0x2000, 0x3000): one page, forwards.
    Map m = new_map(1, 1);
    const idmap_region_t raw{0x2fff, 0x2001};
    REQUIRE(idmap_map_range(m.get(), &raw, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK);
    const std::vector<Leaf> got = valid_leaves(m.get(), 0, 0x200000);
    REQUIRE(got.size() == 1);
    CHECK(got[0].start == 0x2000);
    CHECK(got[0].end == 0x3000);
}

TEST_CASE("ADDRESS_RANGE reports the rounded end, not the end given", "[region][errors]") {
    Map m = new_map(1, 1);
    // Level 1 covers 2^39 = 0x80_0000_0000 bytes. {2^39 - 1, 2^39 + 1} rounds to
    // [2^39 - 4096, 2^39 + 4096), so va = 0x80_0000_1000.
    const idmap_region_t raw{(1ULL << 39) - 1, (1ULL << 39) + 1};
    CHECK(idmap_map_range(m.get(), &raw, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) ==
          IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(m.get())->va == 0x8000001000ULL);
}
