// Host tests of the C ABI: idmap_walk_range — every leaf intersecting the range, with
// the whole region it maps, invalid leaves included, nothing split (shared/spec/c-abi.md).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <vector>

using namespace capi_test;

namespace {

struct Span {
    uint64_t start, end;
    unsigned level;
    bool valid;
    bool operator==(const Span& o) const {
        return start == o.start && end == o.end && level == o.level && valid == o.valid;
    }
};
std::ostream& operator<<(std::ostream& os, const Span& s) {
    return os << "{0x" << std::hex << s.start << "..0x" << s.end << std::dec << " L" << s.level
              << (s.valid ? " valid}" : " invalid}");
}

// Sorted by address: the contract does not fix the order of the calls.
std::vector<Span> spans(std::vector<Leaf> leaves) {
    std::sort(leaves.begin(), leaves.end(),
              [](const Leaf& a, const Leaf& b) { return a.start < b.start; });
    std::vector<Span> out;
    for (const Leaf& l : leaves) {
        out.push_back({l.start, l.end, l.level, (l.bits & IDMAP_ATTR_VALID) != 0});
    }
    return out;
}

// Stops after `limit` calls with the answer `answer`.
struct Stopper {
    int calls = 0;
    int limit = 1;
    int answer = 1;
    std::vector<Leaf> seen;
};
int stop_after(const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level, void* ctx) {
    auto* s = static_cast<Stopper*>(ctx);
    s->seen.push_back({r->start, r->end, d->bits, level});
    return ++s->calls == s->limit ? s->answer : 0;
}

}  // namespace

TEST_CASE("walk_range of a fresh map meets one empty root entry per root granule",
          "[walk]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        // A page at the start: the root entry that holds it, whole.
        const std::vector<Leaf> first = walk(m.get(), 0, kPage);
        REQUIRE(first.size() == 1);
        CHECK(first[0].start == 0);
        CHECK(first[0].end == granule(level));
        CHECK(first[0].level == level);
        CHECK(first[0].bits == 0);
        // The whole table: 512 root entries tiling [0, size).
        const std::vector<Leaf> all = walk(m.get(), 0, idmap_size(m.get()));
        REQUIRE(all.size() == 512);
        const std::vector<Span> s = spans(all);
        for (size_t i = 0; i < s.size(); ++i) {
            CHECK(s[i] == Span{i * granule(level), (i + 1) * granule(level), level, false});
        }
    }
}

TEST_CASE("walk_range passes a block's whole region when the range covers part of it",
          "[walk]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k2M, 2 * k2M, kRW);   // a 2 MiB block
    require_map(m.get(), k1G, 2 * k1G, kRW);   // a 1 GiB block
    const size_t tables = idmap_table_count(m.get());
    REQUIRE(tables == 2);

    // One page inside the 2 MiB block: the block, [2M, 4M), at level 2.
    CHECK(spans(walk(m.get(), k2M + 5 * kPage, k2M + 6 * kPage)) ==
          std::vector<Span>{{k2M, 2 * k2M, 2, true}});
    // One page inside the 1 GiB block.
    CHECK(spans(walk(m.get(), k1G + k2M, k1G + k2M + kPage)) ==
          std::vector<Span>{{k1G, 2 * k1G, 1, true}});
    // Unaligned bytes are rounded first: {2M + 1, 2M + 2} -> [2M, 2M + 4K).
    std::vector<Leaf> got;
    const idmap_region_t raw{k2M + 1, k2M + 2};
    REQUIRE(idmap_walk_range(m.get(), &raw, collect, &got) == IDMAP_OK);
    CHECK(spans(got) == std::vector<Span>{{k2M, 2 * k2M, 2, true}});

    CHECK(idmap_table_count(m.get()) == tables);  // nothing split
}

TEST_CASE("walk_range includes invalid leaves next to valid ones", "[walk]") {
    Map m = new_map(1, 1);
    require_map(m.get(), k2M, 2 * k2M, kRW);  // block at level-2 entry 1
    // [2M - 4K, 4M + 4K): the empty level-2 entry 0, the block, the empty entry 2.
    CHECK(spans(walk(m.get(), k2M - kPage, 2 * k2M + kPage)) ==
          std::vector<Span>{{0, k2M, 2, false}, {k2M, 2 * k2M, 2, true}, {2 * k2M, 3 * k2M, 2, false}});
    // An entry written without VALID is a leaf too.
    require_map(m.get(), 2 * k2M, 3 * k2M, IDMAP_ATTR_NORMAL);
    const std::vector<Leaf> got = walk(m.get(), 2 * k2M, 3 * k2M);
    REQUIRE(got.size() == 1);
    CHECK(got[0].bits == IDMAP_ATTR_NORMAL);  // the flags alone (contract 1.1)
}

TEST_CASE("walk_range passes every leaf of a mixed layout once, with its level", "[walk]") {
    Map m = new_map(1, 1);
    // [2M - 8K, 2M + 4K): pages 510 and 511 of level-3 table 0 (under level-2 entry 0),
    // then page 0 of level-3 table 1 (under level-2 entry 1).
    require_map(m.get(), k2M - 2 * kPage, k2M + kPage, kRW);
    // Tables: root, level 2, two level 3 = 4.
    REQUIRE(idmap_table_count(m.get()) == 4);
    std::vector<Span> want;
    // Walking [0, 4M): 512 entries of table 0 (510 empty, 2 valid), 512 of table 1 (1 valid).
    for (uint64_t a = 0; a < 2 * k2M; a += kPage) {
        const bool valid = a >= k2M - 2 * kPage && a < k2M + kPage;
        want.push_back({a, a + kPage, 3, valid});
    }
    CHECK(spans(walk(m.get(), 0, 2 * k2M)) == want);
    CHECK(idmap_table_count(m.get()) == 4);
}

TEST_CASE("walk_range passes each leaf's descriptor as stored", "[walk]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | IDMAP_ATTR_SWFLAG_1);
    const std::vector<Leaf> got = walk(m.get(), 0, k2M);
    REQUIRE(got.size() == 1);
    const idmap_descriptor_t d{got[0].bits};
    CHECK(idmap_descriptor_is_valid(&d));
    CHECK_FALSE(idmap_descriptor_is_table_or_page(&d));  // a block, not a table
    CHECK(idmap_descriptor_output_address(&d) == 0);
    CHECK((idmap_descriptor_flags(&d) & IDMAP_ATTR_SWFLAG_1) != 0);
    // Walking twice gives the same answer: walk_range changes nothing.
    CHECK(walk(m.get(), 0, idmap_size(m.get())) == walk(m.get(), 0, idmap_size(m.get())));
}

TEST_CASE("walk_range works on an active map", "[walk]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | IDMAP_ATTR_NON_GLOBAL);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(spans(walk(m.get(), kPage, 2 * kPage)) == std::vector<Span>{{0, k2M, 2, true}});
    CHECK(idmap_table_count(m.get()) == 2);
}

TEST_CASE("walk_range stops at a non-zero answer with PTE_UPDATE_FAULT and that descriptor",
          "[walk][errors]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, 4 * kPage, kRW);
    require_map(m.get(), k2M, 2 * k2M, kRW | IDMAP_ATTR_READ_ONLY);
    const std::vector<Leaf> all = walk(m.get(), 0, 2 * k2M);

    for (int limit : {1, 2, 5}) {
        CAPTURE(limit);
        Stopper s;
        s.limit = limit;
        s.answer = limit == 5 ? -7 : 1;  // any non-zero value
        const idmap_region_t r = idmap_region(0, 2 * k2M);
        CHECK(idmap_walk_range(m.get(), &r, stop_after, &s) == IDMAP_ERR_PTE_UPDATE_FAULT);
        CHECK(s.calls == limit);  // stopped there
        const idmap_error_t* e = idmap_last_error(m.get());
        CHECK(e->status == IDMAP_ERR_PTE_UPDATE_FAULT);
        CHECK(e->value == s.seen.back().bits);
    }
    // The last leaf of the range: the read-only block.
    Stopper s;
    s.limit = static_cast<int>(all.size());
    const idmap_region_t r = idmap_region(0, 2 * k2M);
    CHECK(idmap_walk_range(m.get(), &r, stop_after, &s) == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(idmap_last_error(m.get())->value == s.seen.back().bits);
    CHECK(walk(m.get(), 0, 2 * k2M) == all);
}

TEST_CASE("walk_range refuses NULL arguments with INVALID_ARGUMENT", "[walk][errors]") {
    Map m = new_map(1, 1);
    std::vector<Leaf> got;
    const idmap_region_t r = idmap_region(0, kPage);
    CHECK(idmap_walk_range(nullptr, &r, collect, &got) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_walk_range(m.get(), nullptr, collect, &got) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_walk_range(m.get(), &r, nullptr, &got) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(got.empty());
}

TEST_CASE("walk_range gives the range errors of map_range", "[walk][errors]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const uint64_t size = idmap_size(m.get());
        std::vector<Leaf> got;
        const idmap_region_t past{size - kPage, size + 1};  // -> [size - 4K, size + 4K)
        CHECK(idmap_walk_range(m.get(), &past, collect, &got) == IDMAP_ERR_ADDRESS_RANGE);
        CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_ADDRESS_RANGE);
        CHECK(idmap_last_error(m.get())->va == size + kPage);
        const idmap_region_t back{2 * kPage, kPage};
        CHECK(idmap_walk_range(m.get(), &back, collect, &got) == IDMAP_ERR_REGION_BACKWARDS);
        CHECK(idmap_last_error(m.get())->region.start == 2 * kPage);
        CHECK(idmap_last_error(m.get())->region.end == kPage);
        CHECK(got.empty());
        // The end of the table itself is fine.
        const idmap_region_t last{size - kPage, size};
        CHECK(idmap_walk_range(m.get(), &last, collect, &got) == IDMAP_OK);
        CHECK(got.size() == 1);
    }
}

TEST_CASE("walk_range of an empty range succeeds without calling back", "[walk]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    for (uint64_t at : {uint64_t{0}, kPage, k2M, k1G}) {
        CAPTURE(at);
        std::vector<Leaf> got;
        const idmap_region_t r{at, at};
        CHECK(idmap_walk_range(m.get(), &r, collect, &got) == IDMAP_OK);
        CHECK(got.empty());
    }
}
