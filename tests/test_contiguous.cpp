// The contiguous hint (idmap_set_contiguous_hint), an addition to the C ABI: groups of 16
// leaves get bit 52 exactly when they map one aligned contiguous range with the same
// attributes, every change keeps every group consistent, and a live map refuses to break
// a group.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "aarch64_paging/contiguous.hpp"
#include "aarch64_paging/granule.hpp"
#include "support/capi_support.hpp"

using namespace capi_test;

namespace {

// Every valid leaf of the map, with its level; checks each aligned group of 16 at a level
// is hinted all or nothing, and hinted only when consistent. Answers the hinted leaves.
size_t check_groups(const idmap_t* m) {
    const std::vector<Leaf> leaves = trace(m);
    std::map<std::pair<unsigned, uint64_t>, std::vector<Leaf>> groups;
    for (const Leaf& l : leaves) {
        if ((l.bits & IDMAP_ATTR_VALID) == 0) continue;
        const uint64_t span = 16 * granule(l.level);
        groups[{l.level, l.start & ~(span - 1)}].push_back(l);
    }
    size_t hinted = 0;
    for (const auto& [key, g] : groups) {
        size_t with = 0;
        for (const Leaf& l : g) with += (l.bits & kContiguous) != 0;
        INFO("group level " << key.first << " at 0x" << std::hex << key.second);
        if (with == 0) continue;
        REQUIRE(with == 16);
        hinted += 16;
        const uint64_t size = granule(key.first);
        for (size_t k = 0; k < 16; ++k) {
            CHECK(g[k].start == key.second + k * size);
            CHECK((g[k].bits & ~kContiguous) == (g[0].bits & ~kContiguous) + k * size);
        }
        CHECK(((g[0].bits & 0x0000fffffffff000ULL) & (16 * size - 1)) == 0);
    }
    return hinted;
}

}  // namespace

TEST_CASE("the contiguous hint is off by default and set on whole aligned groups when on", "[contiguous]") {
    Map m = new_map(1, 1);
    CHECK_FALSE(idmap_contiguous_hint(m.get()));
    require_map(m.get(), 0x40000000, 0x40100000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 0);

    REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
    CHECK(idmap_contiguous_hint(m.get()));
    // 64 KiB-aligned [0x40200000, 0x40230000) and a ragged tail: 3 groups of pages.
    require_map(m.get(), 0x40200000, 0x40235000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 48);
    // 32 MiB of 2 MiB blocks: one group at level 2.
    require_map(m.get(), 0x42000000, 0x44000000, kRW);
    CHECK(check_groups(m.get()) == 64);
    // NO_CONTIGUOUS_HINT: never set for that call.
    require_map(m.get(), 0x46000000, 0x48000000, kRW, IDMAP_NO_CONTIGUOUS_HINT);
    CHECK(check_groups(m.get()) == 64);
}

TEST_CASE("changes to part of a group clear it, and a group made whole again is hinted", "[contiguous]") {
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
    require_map(m.get(), 0x40000000, 0x40020000, kRW, IDMAP_NO_BLOCK_MAPPINGS);  // 2 groups
    REQUIRE(check_groups(m.get()) == 32);
    // One page read-only: its group goes, the other stays.
    REQUIRE(modify(m.get(), 0x40003000, 0x40004000, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                d.bits |= IDMAP_ATTR_READ_ONLY;
                return 0;
            }) == IDMAP_OK);
    CHECK(check_groups(m.get()) == 16);
    // Remapping that page as the others makes the group whole again.
    require_map(m.get(), 0x40003000, 0x40004000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 32);
    // Unmapping one page clears its group.
    const idmap_region_t r = idmap_region(0x40011000, 0x40012000);
    REQUIRE(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
    CHECK(check_groups(m.get()) == 16);
    // A split of a hinted block group: the 15 other blocks lose the bit, the pages below
    // do not inherit it (only groups in the range changed are hinted).
    require_map(m.get(), 0x42000000, 0x44000000, kRW);
    REQUIRE(check_groups(m.get()) == 32);
    require_map(m.get(), 0x42001000, 0x42002000, kRW | IDMAP_ATTR_READ_ONLY);
    CHECK(check_groups(m.get()) == 16);
    // Turned off: changes clear what they touch and add nothing.
    REQUIRE(idmap_set_contiguous_hint(m.get(), false) == IDMAP_OK);
    require_map(m.get(), 0x40000000, 0x40001000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 0);
    require_map(m.get(), 0x40000000, 0x40010000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 0);
}

TEST_CASE("a live map keeps its groups: breaking one is a break-before-make violation", "[contiguous]") {
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
    require_map(m.get(), 0x40000000, 0x40010000, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(check_groups(m.get()) == 16);
    const std::vector<Leaf> before = trace(m.get());
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    // The same mapping again changes nothing, the bit included.
    CHECK(map_range(m.get(), 0x40000000, 0x40010000, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    CHECK(trace(m.get()) == before);
    // A permission change to one entry, or unmapping it, would break the group live.
    CHECK(map_range(m.get(), 0x40001000, 0x40002000, kRW | kNG | IDMAP_ATTR_READ_ONLY) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(modify(m.get(), 0x40001000, 0x40002000, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
              d.bits |= IDMAP_ATTR_READ_ONLY;
              return 0;
          }) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    const idmap_region_t one = idmap_region(0x40001000, 0x40002000);
    CHECK(idmap_unmap_range(m.get(), &one) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(trace(m.get()) == before);
    // No hint is added live.
    require_map(m.get(), 0x40100000, 0x40110000, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(check_groups(m.get()) == 16);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("random changes with the hint on keep every group consistent", "[contiguous]") {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        Map m = new_map(1, 1);
        REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
        size_t hinted_once = 0;
        for (int call = 0; call < 120; ++call) {
            CAPTURE(call);
            const uint64_t start = (rng() % 8192) * kPage + 0x40000000;
            const uint64_t len = (1 + rng() % (rng() % 4 ? 40 : 600)) * kPage;
            const uint64_t flags = kRW | (rng() % 4 == 0 ? IDMAP_ATTR_READ_ONLY : 0);
            switch (rng() % 4) {
                case 0:
                case 1:
                    (void)map_range(m.get(), start & ~0xffffULL, (start + len + 0xffff) & ~0xffffULL, flags,
                                    rng() % 2 ? IDMAP_NO_BLOCK_MAPPINGS : 0);
                    break;
                case 2: {
                    const idmap_region_t r = idmap_region(start, start + len);
                    (void)idmap_unmap_range(m.get(), &r);
                    break;
                }
                default:
                    (void)modify(m.get(), start, start + len, [&rng](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                        d.bits ^= rng() % 8 == 0 ? IDMAP_ATTR_SWFLAG_1 : 0;
                        return 0;
                    });
            }
            hinted_once += check_groups(m.get());
        }
        CHECK(hinted_once > 0);  // the sequences do make groups
    }
}

TEST_CASE("same_run counts the entries up to the first that breaks the run, whatever its position", "[contiguous]") {
    using aarch64_paging::Descriptor;
    using Run = aarch64_paging::Contiguous<aarch64_paging::Granule4K>;
    const uint64_t first = 0x40000000 | 0x403;  // a page, ACCESSED
    constexpr uint64_t step = 0x1000;
    for (uint64_t count = 0; count <= 9; ++count) {
        // Each entry in turn breaks the run (another output address), or none does (count),
        // with the contiguous bit on every other entry, which the run ignores.
        for (uint64_t broken = 0; broken <= count; ++broken) {
            Descriptor entries[9];
            for (uint64_t k = 0; k < count; ++k) {
                const uint64_t hint = (k & 1) != 0 ? Run::BIT : 0;
                entries[k] = Descriptor((first + k * step) ^ hint ^ (k == broken ? step : 0));
            }
            INFO("count " << count << ", broken at " << broken);
            CHECK(Run::same_run(entries, count, Descriptor(first), step) == broken);
        }
    }
}
