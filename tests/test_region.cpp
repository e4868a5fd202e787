#include <catch2/catch.hpp>

#include "aarch64_paging/region.hpp"

using aarch64_paging::MemoryRegion;
using aarch64_paging::VirtualAddress;

TEST_CASE("MemoryRegion rounds start down and end up to pages", "[region]") {
    struct Case {
        uint64_t start, end, want_start, want_end;
    };
    const Case cases[] = {
        {0x1000, 0x2000, 0x1000, 0x2000},  // aligned: unchanged
        {0x1001, 0x1fff, 0x1000, 0x2000},  // 0x1001 down to 0x1000, 0x1fff up to 0x2000
        {0, 1, 0, 0x1000},
        {0x2fff, 0x2fff, 0x2000, 0x3000},  // one byte rounds to its page
        // 2^64 - 0x1000 is aligned and stays; 2^64 - 1 cannot round up and stays as given.
        {0, 0xffff'ffff'ffff'f000, 0, 0xffff'ffff'ffff'f000},
        {0, 0xffff'ffff'ffff'ffff, 0, 0xffff'ffff'ffff'ffff},
        {0, 0xffff'ffff'ffff'f001, 0, 0xffff'ffff'ffff'f001},
    };
    for (const Case& c : cases) {
        const MemoryRegion r(c.start, c.end);
        CAPTURE(c.start, c.end);
        CHECK(r.start().value() == c.want_start);
        CHECK(r.end().value() == c.want_end);
    }
}

TEST_CASE("MemoryRegion::aligned is the constructor's region for page-aligned bounds", "[region]") {
    // The walk's callbacks get their regions so: the same as the constructor's, wherever
    // the bounds are, the top page and a wrapped end (an upper range's last entry) too.
    const uint64_t bounds[] = {0, 0x1000, 0x4000'0000, 0xffff'0000'0000'0000, 0xffff'ffff'ffff'f000};
    for (const uint64_t start : bounds) {
        for (const uint64_t end : bounds) {
            CAPTURE(start, end);
            CHECK(MemoryRegion::aligned(start, end) == MemoryRegion(start, end));
        }
    }
    static_assert(MemoryRegion::aligned(0x1000, 0x3000).len() == 0x2000, "usable in constant evaluation");
}

TEST_CASE("MemoryRegion len, is_empty and is_backwards", "[region]") {
    CHECK(MemoryRegion(0x1000, 0x3000).len() == 0x2000);
    CHECK_FALSE(MemoryRegion(0x1000, 0x3000).is_empty());
    CHECK(MemoryRegion(0x1000, 0x1000).is_empty());
    CHECK(MemoryRegion(0x1000, 0x1000).len() == 0);
    // [0x1800, 0x1000) rounds to [0x1000, 0x1000): empty, not backwards, as in the crate.
    CHECK_FALSE(MemoryRegion(0x1800, 0x1000).is_backwards());
    CHECK(MemoryRegion(0x3000, 0x1000).is_backwards());
    CHECK(MemoryRegion(0x3000, 0x1000).len() == 0);
    CHECK(MemoryRegion(VirtualAddress(0x5000), VirtualAddress(0x6000)) == MemoryRegion(0x5000, 0x6000));
}
