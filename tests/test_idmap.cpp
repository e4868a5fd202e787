// The crate's IdMap tests, in C++: map_valid, break-before-make, out of range, update
// ranges, breaking up invalid blocks, block and page levels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "aarch64_paging/idmap.hpp"

using namespace aarch64_paging;

namespace {

constexpr uint64_t KiB4 = 0x1000;
constexpr uint64_t MiB2 = 0x20'0000;
constexpr uint64_t GiB1 = 0x4000'0000;
const Attributes kNormal = Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::VALID;

struct Leaf {
    uint64_t start, end, bits;
    unsigned level;
    bool operator==(const Leaf& o) const {
        return start == o.start && end == o.end && bits == o.bits && level == o.level;
    }
};

std::vector<Leaf> leaves(const IdMap& map, const MemoryRegion& region) {
    std::vector<Leaf> out;
    REQUIRE(map.walk_range(region, [&](const MemoryRegion& r, Descriptor d, unsigned level) {
                   if (d.bits() != 0) {
                       out.push_back({r.start().value(), r.end().value(), d.bits(), level});
                   }
                   return true;
               }).is_ok());
    return out;
}

// Fails the k-th allocation (counting from 0) and counts pages outstanding.
struct FailingHeap {
    int fail_at = -1;
    int calls = 0;
    int outstanding = 0;
    static void* alloc(void* ctx) {
        auto* self = static_cast<FailingHeap*>(ctx);
        if (self->calls++ == self->fail_at) {
            return nullptr;
        }
        ++self->outstanding;
        return std::aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    }
    static void release(void* ctx, void* page) {
        --static_cast<FailingHeap*>(ctx)->outstanding;
        std::free(page);
    }
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
};

}  // namespace

TEST_CASE("map_valid: ranges at every root level, up to the table's end", "[idmap]") {
    for (unsigned root_level = 0; root_level <= 3; ++root_level) {
        CAPTURE(root_level);
        IdMap map(1, root_level);
        REQUIRE(map.is_valid());
        // 4 KiB << 9 * (4 - root_level), capped at 48 bits: 256 TiB, 512 GiB, 1 GiB, 2 MiB.
        const uint64_t size = root_level == 0 ? uint64_t{1} << 48 : KiB4 << (9 * (4 - root_level));
        CHECK(map.size() == size);
        CHECK(map.map_range(MemoryRegion(0, 1), kNormal).is_ok());
        CHECK(map.map_range(MemoryRegion(size - KiB4, size), kNormal).is_ok());
        CHECK(map.map_range(MemoryRegion(0, size), kNormal).is_ok());
        for (const Leaf& leaf : leaves(map, MemoryRegion(0, size))) {
            CHECK(Descriptor(leaf.bits).output_address().value() == leaf.start);  // identity
            CHECK((leaf.bits & bits(Attributes::ACCESSED)) != 0);
        }
    }
}

TEST_CASE("block and page levels: largest blocks that fit, pages at the edges", "[idmap]") {
    IdMap map(1, 1);
    // [GiB1 - KiB4, 2 * GiB1 + MiB2 + KiB4): one page, one 1 GiB block, one 2 MiB block, one page.
    REQUIRE(map.map_range(MemoryRegion(GiB1 - KiB4, 2 * GiB1 + MiB2 + KiB4), kNormal).is_ok());
    const std::vector<Leaf> got = leaves(map, MemoryRegion(0, 4 * GiB1));
    REQUIRE(got.size() == 4);
    CHECK((got[0].start == GiB1 - KiB4 && got[0].level == 3));
    CHECK((got[1].start == GiB1 && got[1].end == 2 * GiB1 && got[1].level == 1));
    CHECK((got[2].start == 2 * GiB1 && got[2].end == 2 * GiB1 + MiB2 && got[2].level == 2));
    CHECK((got[3].start == 2 * GiB1 + MiB2 && got[3].level == 3));
    CHECK((got[1].bits & 3) == 1);  // block: bit 1 clear
    CHECK((got[0].bits & 3) == 3);  // page: bit 1 set
    // root, level 2 under [0, 1G), level 3 under [1G - 2M, 1G), level 2 and 3 under [2G, 3G).
    CHECK(map.table_count() == 5);
}

TEST_CASE("a map over tables it covers whole maps below them and keeps them", "[idmap]") {
    IdMap map(1, 1);
    // Pages under [1G + 2M, 1G + 4M): root, level 2 under [1G, 2G), level 3 under the pages.
    REQUIRE(map.map_range_with_constraints(MemoryRegion(GiB1 + MiB2, GiB1 + 2 * MiB2), kNormal,
                                           Constraints::NO_BLOCK_MAPPINGS)
                .is_ok());
    REQUIRE(map.table_count() == 3);
    // Blocks wherever no table is: the root's run of blocks stops at its table and goes on
    // after it; below it, the level-2 run stops at the pages' table.
    REQUIRE(map.map_range(MemoryRegion(0, 4 * GiB1), kNormal | Attributes::READ_ONLY).is_ok());
    CHECK(map.table_count() == 3);
    const std::vector<Leaf> got = leaves(map, MemoryRegion(0, 4 * GiB1));
    REQUIRE(got.size() == 1 + 1 + 512 + 510 + 2);
    CHECK((got[0].start == 0 && got[0].level == 1));
    CHECK((got[1].start == GiB1 && got[1].level == 2));
    CHECK((got[2].start == GiB1 + MiB2 && got[2].level == 3));
    CHECK((got[514].start == GiB1 + 2 * MiB2 && got[514].level == 2));
    CHECK((got[1024].start == 2 * GiB1 && got[1024].level == 1));
    CHECK((got[1025].start == 3 * GiB1 && got[1025].level == 1));
    for (const Leaf& leaf : got) {
        CHECK(Descriptor(leaf.bits).output_address().value() == leaf.start);  // identity
        CHECK((leaf.bits & bits(Attributes::READ_ONLY)) != 0);                // each one written
    }
}

TEST_CASE("no block at level 0, and none with NO_BLOCK_MAPPINGS", "[idmap]") {
    IdMap map(1, 0);
    REQUIRE(map.map_range(MemoryRegion(0, uint64_t{512} * GiB1), kNormal).is_ok());
    for (const Leaf& leaf : leaves(map, MemoryRegion(0, uint64_t{512} * GiB1))) {
        CHECK(leaf.level == 1);
    }
    IdMap pages(1, 1);
    REQUIRE(pages.map_range_with_constraints(MemoryRegion(0, 2 * MiB2), kNormal, Constraints::NO_BLOCK_MAPPINGS)
                .is_ok());
    const auto got = leaves(pages, MemoryRegion(0, 2 * MiB2));
    CHECK(got.size() == 1024);
    for (const Leaf& leaf : got) {
        CHECK(leaf.level == 3);
    }
}

TEST_CASE("map_out_of_range: the rounded end past the table", "[idmap]") {
    IdMap map(1, 1);
    const uint64_t size = map.size();
    Result r = map.map_range(MemoryRegion(size - KiB4, size + 1), kNormal);
    CHECK(r.status() == Status::AddressRange);
    CHECK(r.error().va.value() == size + KiB4);
    r = map.map_range(MemoryRegion(size + KiB4, size + 2 * KiB4), kNormal);
    CHECK(r.status() == Status::AddressRange);
    r = map.map_range(MemoryRegion(0x3000, 0x1000), kNormal);
    CHECK(r.status() == Status::RegionBackwards);
    CHECK(r.error().region == MemoryRegion(0x3000, 0x1000));
    CHECK(map.table_count() == 1);
}

TEST_CASE("map_break_before_make: live changes that need it are refused", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range(MemoryRegion(0x8020'0000, 0x8040'0000), kNormal).is_ok());
    REQUIRE(map.activate().is_ok());
    // A permission change is fine; a split of the live block is not.
    CHECK(map.map_range(MemoryRegion(0x8020'0000, 0x8040'0000), kNormal | Attributes::READ_ONLY).is_ok());
    Result r = map.map_range(MemoryRegion(0x8020'0000, 0x8020'1000), kNormal);
    CHECK(r.status() == Status::BreakBeforeMakeViolation);
    CHECK(r.error().region == MemoryRegion(0x8020'0000, 0x8040'0000));  // the live block (contract 1.1)
    CHECK(map.map_range(MemoryRegion(0x8020'0000, 0x8040'0000), Attributes::DEVICE_NGNRE | Attributes::NON_GLOBAL |
                                                                   Attributes::VALID)
              .status() == Status::BreakBeforeMakeViolation);
    CHECK(map.map_range(MemoryRegion(0x8020'0000, 0x8040'0000), Attributes::NORMAL | Attributes::VALID).status() ==
          Status::BreakBeforeMakeViolation);  // clears nG
    // Invalidating without a split, and mapping where nothing was, are allowed.
    CHECK(map.map_range(MemoryRegion(0x8020'0000, 0x8040'0000), Attributes::NORMAL).is_ok());
    CHECK(map.map_range(MemoryRegion(0x1000, 0x2000), kNormal).is_ok());
    REQUIRE(map.deactivate().is_ok());
    CHECK(map.map_range(MemoryRegion(0x8020'0000, 0x8020'1000), kNormal).is_ok());
}

TEST_CASE("update_range: modify passes only leaves inside the range, each once", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range(MemoryRegion(0, GiB1), kNormal).is_ok());
    std::vector<Leaf> seen;
    REQUIRE(map.modify_range(MemoryRegion(MiB2 - KiB4, MiB2 + KiB4), [&](const MemoryRegion& r, Descriptor& d,
                                                                          unsigned level) {
                   seen.push_back({r.start().value(), r.end().value(), d.bits(), level});
                   return d.modify_flags(Attributes::SWFLAG_0, Attributes::EMPTY).is_ok();
               }).is_ok());
    // The 1 GiB block became 2 MiB blocks, and the two blocks touched became pages.
    REQUIRE(seen.size() == 2);
    CHECK((seen[0].start == MiB2 - KiB4 && seen[0].level == 3));
    CHECK((seen[1].start == MiB2 && seen[1].level == 3));
    for (const Leaf& leaf : leaves(map, MemoryRegion(0, GiB1))) {
        const bool inside = leaf.start >= MiB2 - KiB4 && leaf.end <= MiB2 + KiB4;
        CHECK(((leaf.bits & bits(Attributes::SWFLAG_0)) != 0) == inside);
        CHECK(Descriptor(leaf.bits).output_address().value() == leaf.start);
    }
}

TEST_CASE("modify refuses a callback that changes the address or the entry kind", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range(MemoryRegion(0, MiB2), kNormal).is_ok());
    const auto before = leaves(map, MemoryRegion(0, GiB1));
    Result r = map.modify_range(MemoryRegion(0, MiB2), [](const MemoryRegion&, Descriptor& d, unsigned) {
        d = Descriptor(d.bits() + 0x1000);
        return true;
    });
    CHECK(r.status() == Status::InvalidFlags);
    CHECK(r.error().value == 0x1000);
    r = map.modify_range(MemoryRegion(0, MiB2), [](const MemoryRegion&, Descriptor& d, unsigned) {
        d = Descriptor(d.bits() | 2);
        return true;
    });
    CHECK(r.status() == Status::InvalidFlags);
    CHECK(r.error().value == 2);
    r = map.modify_range(MemoryRegion(0, MiB2), [](const MemoryRegion&, Descriptor&, unsigned) { return false; });
    CHECK(r.status() == Status::PteUpdateFault);
    CHECK(r.error().value == before[0].bits);
    CHECK(leaves(map, MemoryRegion(0, GiB1)) == before);
}

TEST_CASE("breakup_invalid_block: an invalid block splits even while active", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range(MemoryRegion(0, MiB2), Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::SWFLAG_0)
                .is_ok());
    REQUIRE(map.activate().is_ok());
    REQUIRE(map.map_range(MemoryRegion(0, KiB4), kNormal).is_ok());
    // Active: fn may run on copies first, so count distinct pages.
    std::set<uint64_t> pages;
    REQUIRE(map.modify_range(MemoryRegion(0, MiB2), [&](const MemoryRegion& r, Descriptor& d, unsigned level) {
                   if (level == 3) {
                       pages.insert(r.start().value());
                       const bool first = r.start().value() == 0;
                       CHECK(contains(d.flags(), Attributes::SWFLAG_0) != first);
                       CHECK(d.is_valid() == first);
                   }
                   return true;
               }).is_ok());
    CHECK(pages.size() == 512);
    REQUIRE(map.deactivate().is_ok());
}

TEST_CASE("walk_range passes the whole region of each leaf and splits nothing", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range(MemoryRegion(0, MiB2), kNormal).is_ok());
    std::vector<Leaf> seen;
    REQUIRE(map.walk_range(MemoryRegion(KiB4, 2 * KiB4), [&](const MemoryRegion& r, Descriptor d, unsigned level) {
                   seen.push_back({r.start().value(), r.end().value(), d.bits(), level});
                   return true;
               }).is_ok());
    REQUIRE(seen.size() == 1);
    CHECK((seen[0].start == 0 && seen[0].end == MiB2 && seen[0].level == 2));
    CHECK(map.table_count() == 2);
    const Result r = map.walk_range(MemoryRegion(0, KiB4), [](const MemoryRegion&, Descriptor, unsigned) { return false; });
    CHECK(r.status() == Status::PteUpdateFault);
    CHECK(r.error().value == seen[0].bits);
}

// The size build gives a callable its own leaf loop but for an Indirect: what keeps the
// library's own walks from adding a loop each to the programs that call them.
namespace {
constexpr auto kVisit = [](const MemoryRegion&, Descriptor, unsigned) { return true; };
using Visit = decltype(kVisit);
static_assert(own_leaf_loop(static_cast<Visit*>(nullptr)), "a callable gets its own leaf loop");
static_assert(!own_leaf_loop(static_cast<Indirect<Visit>*>(nullptr)), "an Indirect keeps the shared loop");
}  // namespace

TEST_CASE("indirect(fn) is called as fn is: the same leaves, changes and stop, live or not", "[idmap]") {
    // The size build gives fn a leaf loop of its own and calls indirect(fn) from the walk's
    // shared one; the speed build inlines both. Each stops at the stop-th call.
    struct Call {
        uint64_t start, end, bits;
        unsigned level;
        bool operator==(const Call& o) const {
            return start == o.start && end == o.end && bits == o.bits && level == o.level;
        }
    };
    const auto run = [](bool wrapped, bool live, int stop, std::vector<Call>& calls, std::vector<Leaf>& after) {
        IdMap map(1, 1);
        REQUIRE(map.map_range(MemoryRegion(0, 2 * MiB2), kNormal).is_ok());
        REQUIRE(map.map_range(MemoryRegion(MiB2, MiB2 + 3 * KiB4), kNormal | Attributes::READ_ONLY).is_ok());
        if (live) {
            REQUIRE(map.activate().is_ok());
        }
        auto modify = [&calls, stop](const MemoryRegion& r, Descriptor& d, unsigned level) {
            calls.push_back({r.start().value(), r.end().value(), d.bits(), level});
            d = Descriptor(d.bits() | bits(Attributes::SWFLAG_1));
            return static_cast<int>(calls.size()) != stop;
        };
        auto visit = [&calls, stop](const MemoryRegion& r, Descriptor d, unsigned level) {
            calls.push_back({r.start().value(), r.end().value(), d.bits(), level});
            return static_cast<int>(calls.size()) != stop;
        };
        // Inactive: the first block split, and the pages; live: pages alone (no split).
        const MemoryRegion region(live ? MiB2 : KiB4, MiB2 + 8 * KiB4);
        Result modified = wrapped ? map.modify_range(region, indirect(modify)) : map.modify_range(region, modify);
        Result visited = wrapped ? map.walk_range(region, indirect(visit)) : map.walk_range(region, visit);
        after = leaves(map, MemoryRegion(0, GiB1));
        if (live) {
            REQUIRE(map.deactivate().is_ok());
        }
        return std::vector<uint64_t>{static_cast<uint64_t>(modified.status()),
                                     modified.is_ok() ? 0 : modified.error().value,
                                     static_cast<uint64_t>(visited.status()),
                                     visited.is_ok() ? 0 : visited.error().value};
    };
    for (const bool live : {false, true}) {
        // A live modify calls fn 16 times, 8 in its plan (on copies) and 8 applying.
        for (const int stop : {0, 1, 3, 9}) {
            CAPTURE(live, stop);
            std::vector<Call> direct_calls, indirect_calls;
            std::vector<Leaf> direct_after, indirect_after;
            const auto direct = run(false, live, stop, direct_calls, direct_after);
            const auto wrapped = run(true, live, stop, indirect_calls, indirect_after);
            CHECK(direct == wrapped);
            CHECK(direct_calls == indirect_calls);
            CHECK(direct_after == indirect_after);
            // Not vacuous: the modify stops where asked, or changes every leaf in range.
            CHECK(direct[0] == static_cast<uint64_t>(stop == 0 ? Status::Ok : Status::PteUpdateFault));
            CHECK(direct[2] == static_cast<uint64_t>(Status::Ok));
            const auto changed = std::count_if(direct_after.begin(), direct_after.end(), [](const Leaf& leaf) {
                return (leaf.bits & bits(Attributes::SWFLAG_1)) != 0;
            });
            CHECK(changed == (stop == 0 ? (live ? 8 : 519) : live ? 0 : stop - 1));
        }
    }
}

TEST_CASE("out of memory at any allocation leaves the tables exactly as they were", "[idmap]") {
    // Root level 0 with [0, 2 MiB) mapped: root, level 1, level 2. Mapping one page at
    // 1 TiB (root entry 2) needs three new tables: levels 1, 2 and 3.
    for (int k = 0; k <= 3; ++k) {
        CAPTURE(k);
        FailingHeap heap;
        {
            IdMap map(1, 0, heap.allocator());
            REQUIRE(map.map_range(MemoryRegion(0, MiB2), kNormal).is_ok());
            const auto before = leaves(map, MemoryRegion(0, map.size()));
            REQUIRE(map.table_count() == 3);
            heap.fail_at = heap.calls + k;
            const Result r = map.map_range(MemoryRegion(1024 * GiB1, 1024 * GiB1 + KiB4), kNormal);
            if (k < 3) {
                CHECK(r.status() == Status::OutOfMemory);
                CHECK(leaves(map, MemoryRegion(0, map.size())) == before);
                CHECK(map.table_count() == 3);
            } else {
                CHECK(r.is_ok());
                CHECK(map.table_count() == 6);
            }
            CHECK(static_cast<size_t>(heap.outstanding) == map.table_count());
        }
        CHECK(heap.outstanding == 0);
    }
}

TEST_CASE("dump folds runs of empty entries and of contiguous leaves", "[idmap]") {
    IdMap map(7, 1);
    REQUIRE(map.map_range(MemoryRegion(0x4000'0000, 0x4000'0000 + 4 * MiB2), kNormal).is_ok());
    std::string text;
    {
        TextWriter out([](void* ctx, const char* s, size_t n) { static_cast<std::string*>(ctx)->append(s, n); }, &text);
        map.dump(out);
    }
    // Header, L1[0] empty, L1[1] table, L2[0-3] blocks, L2[4-511] empty, L1[2-511] empty.
    CHECK(std::count(text.begin(), text.end(), '\n') == 6);
    CHECK(text.find("ASID 7") != std::string::npos);
    CHECK(text.find("L2 [0-3] 0x40000000-0x407fffff: blocks -> 0x40000000 Normal ISH RW AF nG") != std::string::npos);
    CHECK(text.find("L1 [2-511] 0x80000000-0x7fffffffff: empty") != std::string::npos);
}

TEST_CASE("unmap_range through IdMap frees what it empties", "[idmap]") {
    IdMap map(1, 1);
    REQUIRE(map.map_range_with_constraints(MemoryRegion(0, MiB2), kNormal, Constraints::NO_BLOCK_MAPPINGS).is_ok());
    REQUIRE(map.table_count() == 3);
    REQUIRE(map.unmap_range(MemoryRegion(0, MiB2)).is_ok());
    CHECK(map.table_count() == 1);
    CHECK(leaves(map, MemoryRegion(0, GiB1)).empty());
    CHECK(map.unmap_range(MemoryRegion(0x3000, 0x1000)).status() == Status::RegionBackwards);
    CHECK(map.compact_subtables() == 0);
}
