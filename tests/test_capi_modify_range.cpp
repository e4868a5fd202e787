// Host tests of the C ABI: idmap_modify_range on inactive maps — splitting, what the
// callback is given, and the errors of a misbehaving callback (shared/spec/c-abi.md).
// Active maps are in test_capi_bbm.cpp, running out of pages in test_capi_oom.cpp.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace capi_test;

namespace {

// Records every call, and changes each entry with set/clear.
struct Recorder {
    std::vector<Leaf> calls;  // bits as passed in, before the change
    uint64_t set = 0, clear = 0;
    ModifyFn fn() {
        return [this](const idmap_region_t& r, idmap_descriptor_t& d, unsigned level) {
            calls.push_back({r.start, r.end, d.bits, level});
            d.bits = (d.bits | set) & ~clear;
            return 0;
        };
    }
};

// Every call's region is one whole entry at its level, and lies inside [start, end).
void check_inside(const std::vector<Leaf>& calls, uint64_t start, uint64_t end) {
    for (const Leaf& l : calls) {
        CAPTURE(l);
        CHECK(l.level <= 3);
        CHECK(l.start >= start);
        CHECK(l.end <= end);
        CHECK(l.end - l.start == granule(l.level));
        CHECK(l.start % granule(l.level) == 0);
    }
}

// The calls' regions, sorted, cover [start, end) exactly once.
void check_tiles(std::vector<Leaf> calls, uint64_t start, uint64_t end) {
    std::sort(calls.begin(), calls.end(),
              [](const Leaf& a, const Leaf& b) { return a.start < b.start; });
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.front().start == start);
    CHECK(calls.back().end == end);
    for (size_t i = 1; i < calls.size(); ++i) {
        CAPTURE(calls[i - 1], calls[i]);
        CHECK(calls[i - 1].end == calls[i].start);
    }
}

}  // namespace

TEST_CASE("modify_range passes a block that lies inside the range whole, at its level",
          "[modify]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    require_map(m.get(), k1G, 2 * k1G, kRW);
    REQUIRE(idmap_table_count(m.get()) == 2);

    Recorder r2;
    REQUIRE(modify(m.get(), 0, k2M, r2.fn()) == IDMAP_OK);
    REQUIRE(r2.calls.size() == 1);
    CHECK(r2.calls[0].start == 0);
    CHECK(r2.calls[0].end == k2M);
    CHECK(r2.calls[0].level == 2);
    CHECK(attrs(r2.calls[0]) == leaf_flags(kRW, 2));

    Recorder r1;
    REQUIRE(modify(m.get(), k1G, 2 * k1G, r1.fn()) == IDMAP_OK);
    REQUIRE(r1.calls.size() == 1);
    CHECK(r1.calls[0].start == k1G);
    CHECK(r1.calls[0].end == 2 * k1G);
    CHECK(r1.calls[0].level == 1);

    CHECK(idmap_table_count(m.get()) == 2);  // nothing split
}

TEST_CASE("modify_range splits a 2 MiB block so that only pages inside the range are passed",
          "[modify][split]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    REQUIRE(idmap_table_count(m.get()) == 2);

    Recorder rec;
    rec.set = IDMAP_ATTR_SWFLAG_0;
    // [4K, 12K): pages 1 and 2 of the block.
    REQUIRE(modify(m.get(), kPage, 3 * kPage, rec.fn()) == IDMAP_OK);
    REQUIRE(rec.calls.size() == 2);
    CHECK(rec.calls[0].start == kPage);
    CHECK(rec.calls[1].start == 2 * kPage);
    check_inside(rec.calls, kPage, 3 * kPage);
    for (const Leaf& l : rec.calls) {
        CHECK(l.level == 3);
        // The page passed already holds the block's mapping: identity, same attributes.
        const idmap_descriptor_t d{l.bits};
        CHECK(idmap_descriptor_output_address(&d) == l.start);
        CHECK(attrs(l) == leaf_flags(kRW, 3));
    }
    CHECK(idmap_table_count(m.get()) == 3);

    // The rest of the block is still mapped, now as pages.
    const std::vector<Leaf> got = walk(m.get(), 0, k2M);
    REQUIRE(got.size() == 512);
    for (const Leaf& l : got) {
        CAPTURE(l);
        CHECK(l.level == 3);
        const idmap_descriptor_t d{l.bits};
        CHECK(idmap_descriptor_output_address(&d) == l.start);
        const bool changed = l.start == kPage || l.start == 2 * kPage;
        CHECK(attrs(l) == leaf_flags(kRW | (changed ? IDMAP_ATTR_SWFLAG_0 : 0), 3));
    }
}

TEST_CASE("modify_range splits a 1 GiB block down to pages", "[modify][split]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k1G, kRW | IDMAP_ATTR_NON_GLOBAL);
    REQUIRE(idmap_table_count(m.get()) == 1);

    Recorder rec;
    rec.set = IDMAP_ATTR_READ_ONLY;
    REQUIRE(modify(m.get(), k2M, k2M + kPage, rec.fn()) == IDMAP_OK);
    REQUIRE(rec.calls.size() == 1);
    CHECK(rec.calls[0].start == k2M);
    CHECK(rec.calls[0].end == k2M + kPage);
    CHECK(rec.calls[0].level == 3);
    // Root, a level-2 table for the 1 GiB, a level-3 table for [2M, 4M).
    CHECK(idmap_table_count(m.get()) == 3);

    // [0, 2M) block, [2M, 4M) 512 pages, [4M, 1G) 510 blocks = 1023 leaves, identity.
    const std::vector<Leaf> got = walk(m.get(), 0, k1G);
    REQUIRE(got.size() == 1 + 512 + 510);
    for (const Leaf& l : got) {
        CAPTURE(l);
        const bool in_split = l.start >= k2M && l.start < 2 * k2M;
        CHECK(l.level == (in_split ? 3u : 2u));
        const idmap_descriptor_t d{l.bits};
        CHECK(idmap_descriptor_output_address(&d) == l.start);
        const uint64_t ro = l.start == k2M ? IDMAP_ATTR_READ_ONLY : 0;
        CHECK(attrs(l) == leaf_flags(kRW | IDMAP_ATTR_NON_GLOBAL | ro, l.level));
    }
}

TEST_CASE("modify_range passes each leaf in the range exactly once on an inactive map",
          "[modify]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M + 2 * kPage, kRW);  // a block and two pages
    require_map(m.get(), k1G, 2 * k1G, kRW);        // a 1 GiB block
    const size_t tables = idmap_table_count(m.get());

    Recorder rec;
    REQUIRE(modify(m.get(), 0, 2 * k1G, rec.fn()) == IDMAP_OK);
    // [0, 2M) block; [2M, 4M) 512 page entries (2 valid); [4M, 1G) 510 empty level-2
    // entries; [1G, 2G) the 1 GiB block. Invalid leaves are passed too.
    CHECK(rec.calls.size() == 1 + 512 + 510 + 1);
    check_inside(rec.calls, 0, 2 * k1G);
    check_tiles(rec.calls, 0, 2 * k1G);
    size_t valid = 0;
    for (const Leaf& l : rec.calls) valid += (l.bits & IDMAP_ATTR_VALID) ? 1 : 0;
    CHECK(valid == 4);
    CHECK(idmap_table_count(m.get()) == tables);  // everything was already inside
}

TEST_CASE("modify_range splits empty entries down to the range too", "[modify][split]") {
    // aarch64-paging 0.5.0 splits any leaf that is not wholly inside the range, empty
    // ones included, so every entry passed lies inside it.
    SECTION("a page of an empty map") {
        Map m = new_map(1, 1);
        Recorder rec;
        REQUIRE(modify(m.get(), kPage, 2 * kPage, rec.fn()) == IDMAP_OK);
        REQUIRE(rec.calls.size() == 1);
        CHECK(rec.calls[0].start == kPage);
        CHECK(rec.calls[0].end == 2 * kPage);
        CHECK(rec.calls[0].level == 3);
        CHECK(rec.calls[0].bits == 0);
        CHECK(idmap_table_count(m.get()) == 3);
    }
    SECTION("a 2 MiB entry of an empty map") {
        Map m = new_map(1, 1);
        Recorder rec;
        REQUIRE(modify(m.get(), k2M, 2 * k2M, rec.fn()) == IDMAP_OK);
        REQUIRE(rec.calls.size() == 1);
        CHECK(rec.calls[0].level == 2);
        CHECK(idmap_table_count(m.get()) == 2);
    }
    SECTION("a ragged range of an empty level-0 map") {
        Map m = new_map(1, 0);
        Recorder rec;
        // [1G - 4K, 2G + 2M + 4K): a page, a 1 GiB entry, a 2 MiB entry, a page.
        REQUIRE(modify(m.get(), k1G - kPage, 2 * k1G + k2M + kPage, rec.fn()) == IDMAP_OK);
        check_inside(rec.calls, k1G - kPage, 2 * k1G + k2M + kPage);
        check_tiles(rec.calls, k1G - kPage, 2 * k1G + k2M + kPage);
        REQUIRE(rec.calls.size() == 4);
    }
}

TEST_CASE("changes made by the callback on an inactive map are kept", "[modify]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 4 * kPage, kRW | IDMAP_ATTR_NON_GLOBAL, IDMAP_NO_CONTIGUOUS_HINT);
    require_map(m.get(), k2M, 2 * k2M, kRW | IDMAP_ATTR_NON_GLOBAL);
    // On an inactive map no break-before-make rule applies: memory type, nG, validity.
    struct Row {
        uint64_t start, end, set, clear;
    };
    const Row rows[] = {
        {0, kPage, 0, IDMAP_ATTR_VALID},
        {kPage, 2 * kPage, 0, IDMAP_ATTR_NORMAL},  // Normal -> Device
        {2 * kPage, 3 * kPage, 0, IDMAP_ATTR_NON_GLOBAL},
        {3 * kPage, 4 * kPage, IDMAP_ATTR_USER | IDMAP_ATTR_SWFLAG_3, 0},
        {k2M, 2 * k2M, IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_DBM, IDMAP_ATTR_NON_GLOBAL},
    };
    for (const Row& row : rows) {
        CAPTURE(row.start);
        const Leaf before = walk(m.get(), row.start, row.end).at(0);
        Recorder rec;
        rec.set = row.set;
        rec.clear = row.clear;
        REQUIRE(modify(m.get(), row.start, row.end, rec.fn()) == IDMAP_OK);
        REQUIRE(rec.calls.size() == 1);
        CHECK(rec.calls[0].bits == before.bits);
        const Leaf after = walk(m.get(), row.start, row.end).at(0);
        CHECK(after.bits == ((before.bits | row.set) & ~row.clear));
    }
}

TEST_CASE("a non-zero callback stops modify_range with PTE_UPDATE_FAULT and the entry before",
          "[modify][errors]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 4 * kPage, kRW, IDMAP_NO_CONTIGUOUS_HINT);
    const std::vector<Leaf> before = walk(m.get(), 0, 4 * kPage);
    REQUIRE(before.size() == 4);

    std::vector<uint64_t> starts;
    // Sets SWFLAG_1 on each entry; on the third page it sets it too, then fails.
    const idmap_status_t st =
        modify(m.get(), 0, 4 * kPage, [&starts](const idmap_region_t& r, idmap_descriptor_t& d, unsigned) {
            starts.push_back(r.start);
            d.bits |= IDMAP_ATTR_SWFLAG_1;
            return r.start == 2 * kPage ? 1 : 0;
        });
    CHECK(st == IDMAP_ERR_PTE_UPDATE_FAULT);
    const idmap_error_t* e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(e->value == before[2].bits);  // the entry as it was before that call

    // Entries are passed in address order (as the crate does); the call stopped at the
    // third, which keeps its old value; those before keep their changes.
    CHECK(starts == std::vector<uint64_t>{0, kPage, 2 * kPage});
    const std::vector<Leaf> after = walk(m.get(), 0, 4 * kPage);
    CHECK(after[0].bits == (before[0].bits | IDMAP_ATTR_SWFLAG_1));
    CHECK(after[1].bits == (before[1].bits | IDMAP_ATTR_SWFLAG_1));
    CHECK(after[2].bits == before[2].bits);
    CHECK(after[3].bits == before[3].bits);
}

TEST_CASE("a callback that returns non-zero at once changes nothing", "[modify][errors]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    const std::vector<Leaf> before = trace(m.get());
    int calls = 0;
    const idmap_status_t st =
        modify(m.get(), 0, k2M, [&calls](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
            ++calls;
            d.bits = 0;  // thrown away: the entry keeps its old value
            return -1;
        });
    CHECK(st == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(calls == 1);
    CHECK(idmap_last_error(m.get())->value == before.at(0).bits);
    CHECK(trace(m.get()) == before);
}

TEST_CASE("a callback that flips TABLE_OR_PAGE or changes output-address bits gets "
          "INVALID_FLAGS, and the entry keeps its old value",
          "[modify][errors]") {
    struct Row {
        const char* what;
        uint64_t start, end;  // one entry
        uint64_t xor_bits;    // what the callback toggles
        uint64_t want;        // INVALID_FLAGS value
    };
    const Row rows[] = {
        {"setting TABLE_OR_PAGE on a 2 MiB block", k2M, 2 * k2M, IDMAP_ATTR_TABLE_OR_PAGE,
         IDMAP_ATTR_TABLE_OR_PAGE},
        {"setting TABLE_OR_PAGE on a 1 GiB block", k1G, 2 * k1G, IDMAP_ATTR_TABLE_OR_PAGE,
         IDMAP_ATTR_TABLE_OR_PAGE},
        {"clearing TABLE_OR_PAGE on a page", 5 * kPage, 6 * kPage, IDMAP_ATTR_TABLE_OR_PAGE,
         IDMAP_ATTR_TABLE_OR_PAGE},
        // 0x5000 -> 0x6000: bits 0x5000 ^ 0x6000 = 0x3000 change.
        {"moving a page's output address", 5 * kPage, 6 * kPage, 0x5000 ^ 0x6000, 0x3000},
        {"moving a block's output address", k2M, 2 * k2M, 1ULL << 30, 1ULL << 30},
        {"both on a page", 5 * kPage, 6 * kPage, IDMAP_ATTR_TABLE_OR_PAGE | (1ULL << 40),
         IDMAP_ATTR_TABLE_OR_PAGE | (1ULL << 40)},
        // Other bits changed alongside are not reported.
        {"with allowed changes around it", 5 * kPage, 6 * kPage,
         IDMAP_ATTR_READ_ONLY | (1ULL << 47) | IDMAP_ATTR_SWFLAG_0, 1ULL << 47},
    };
    for (const Row& row : rows) {
        CAPTURE(row.what);
        Map m = new_map(1, 1);
        require_map(m.get(), 0, k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
        require_map(m.get(), k2M, 2 * k2M, kRW);
        require_map(m.get(), k1G, 2 * k1G, kRW);
        const std::vector<Leaf> before = trace(m.get());
        int calls = 0;
        const uint64_t x = row.xor_bits;
        const idmap_status_t st =
            modify(m.get(), row.start, row.end,
                   [&calls, x](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                       ++calls;
                       d.bits ^= x;
                       return 0;
                   });
        CHECK(st == IDMAP_ERR_INVALID_FLAGS);
        CHECK(calls == 1);
        CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_FLAGS);
        CHECK(idmap_last_error(m.get())->value == row.want);
        CHECK(trace(m.get()) == before);
        CHECK(idmap_table_count(m.get()) == 3);
    }
}

TEST_CASE("INVALID_FLAGS from the callback stops modify_range; earlier changes stay",
          "[modify][errors]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 3 * kPage, kRW, IDMAP_NO_CONTIGUOUS_HINT);
    const std::vector<Leaf> before = walk(m.get(), 0, 3 * kPage);
    std::vector<uint64_t> starts;
    const idmap_status_t st =
        modify(m.get(), 0, 3 * kPage, [&starts](const idmap_region_t& r, idmap_descriptor_t& d, unsigned) {
            starts.push_back(r.start);
            if (r.start == kPage) d.bits &= ~IDMAP_ATTR_TABLE_OR_PAGE;
            else d.bits |= IDMAP_ATTR_SWFLAG_2;
            return 0;
        });
    CHECK(st == IDMAP_ERR_INVALID_FLAGS);
    CHECK(starts == std::vector<uint64_t>{0, kPage});
    const std::vector<Leaf> after = walk(m.get(), 0, 3 * kPage);
    CHECK(after[0].bits == (before[0].bits | IDMAP_ATTR_SWFLAG_2));
    CHECK(after[1].bits == before[1].bits);
    CHECK(after[2].bits == before[2].bits);
}

TEST_CASE("modify_range of an empty range succeeds without calling back", "[modify]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    const std::vector<Leaf> before = trace(m.get());
    for (uint64_t at : {uint64_t{0}, kPage, k2M, k1G}) {
        Recorder rec;
        const idmap_region_t r{at, at};
        ModifyFn fn = rec.fn();
        CHECK(idmap_modify_range(m.get(), &r, call_modify, &fn) == IDMAP_OK);
        CHECK(rec.calls.empty());
    }
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == 2);
}

TEST_CASE("modify_range refuses NULL arguments with INVALID_ARGUMENT", "[modify][errors]") {
    Map m = new_map(1, 1);
    Recorder rec;
    ModifyFn fn = rec.fn();
    const idmap_region_t r = idmap_region(0, kPage);
    CHECK(idmap_modify_range(nullptr, &r, call_modify, &fn) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_modify_range(m.get(), nullptr, call_modify, &fn) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_modify_range(m.get(), &r, nullptr, &fn) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(rec.calls.empty());
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("modify_range gives the range errors of map_range", "[modify][errors]") {
    Map m = new_map(1, 2);  // covers 1 GiB
    Recorder rec;
    ModifyFn fn = rec.fn();
    SECTION("ADDRESS_RANGE at the rounded end") {
        const idmap_region_t r{k1G - 1, k1G + 1};  // -> [1G - 4K, 1G + 4K)
        CHECK(idmap_modify_range(m.get(), &r, call_modify, &fn) == IDMAP_ERR_ADDRESS_RANGE);
        CHECK(idmap_last_error(m.get())->va == k1G + kPage);
    }
    SECTION("REGION_BACKWARDS with the rounded region") {
        const idmap_region_t r{0x5001, 0x3001};  // -> [0x5000, 0x4000)
        CHECK(idmap_modify_range(m.get(), &r, call_modify, &fn) == IDMAP_ERR_REGION_BACKWARDS);
        CHECK(idmap_last_error(m.get())->region.start == 0x5000);
        CHECK(idmap_last_error(m.get())->region.end == 0x4000);
    }
    CHECK(rec.calls.empty());
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("modify_range works on every root level", "[modify]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const uint64_t size = idmap_size(m.get());
        require_map(m.get(), size - k2M, size, kRW);
        Recorder rec;
        rec.set = IDMAP_ATTR_READ_ONLY;
        REQUIRE(modify(m.get(), size - kPage, size, rec.fn()) == IDMAP_OK);
        REQUIRE(rec.calls.size() == 1);
        CHECK(rec.calls[0].start == size - kPage);
        CHECK(rec.calls[0].level == 3);
        const Leaf last = walk(m.get(), size - kPage, size).at(0);
        CHECK(attrs(last) == leaf_flags(kRW | IDMAP_ATTR_READ_ONLY, 3));
        const Leaf first = walk(m.get(), size - k2M, size - k2M + kPage).at(0);
        CHECK(attrs(first) == leaf_flags(kRW, 3));
    }
}
