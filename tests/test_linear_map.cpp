// LinearMap's offset: as the crate's LinearMap, an input address read as a signed number
// (upper-range addresses are negative) plus the offset must be in [0, 2^63); else
// InvalidVirtualAddress with the first address of the range that is not, and nothing is
// written.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "aarch64_paging/linear_map.hpp"

using namespace aarch64_paging;

namespace {

constexpr Attributes kData = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
constexpr uint64_t kGiB = uint64_t{1} << 30;

}  // namespace

TEST_CASE("LinearMap: an output address below 0 is InvalidVirtualAddress at the range's start", "[linear_map]") {
    LinearMap map(Regime{}, 1, 1, -static_cast<int64_t>(2 * kGiB));
    REQUIRE(map.is_valid());
    const Result r = map.map_range(MemoryRegion(kGiB, 3 * kGiB), kData);
    CHECK(r.status() == Status::InvalidVirtualAddress);
    CHECK(r.error().va.value() == kGiB);
    CHECK(map.table_count() == 1);
    // Where every output address is at or above 0, the map is made.
    CHECK(map.map_range(MemoryRegion(2 * kGiB, 3 * kGiB), kData).is_ok());
}

TEST_CASE("LinearMap: an output address past 2^63 is InvalidVirtualAddress at the first address past it",
          "[linear_map]") {
    // 3 GiB maps to 2^63: the first address past.
    LinearMap map(Regime{}, 1, 1, INT64_MAX - static_cast<int64_t>(3 * kGiB - 1));
    REQUIRE(map.is_valid());
    Result r = map.map_range(MemoryRegion(2 * kGiB, 4 * kGiB), kData);
    CHECK(r.status() == Status::InvalidVirtualAddress);
    CHECK(r.error().va.value() == 3 * kGiB);
    r = map.map_range(MemoryRegion(4 * kGiB, 5 * kGiB), kData);
    CHECK(r.error().va.value() == 4 * kGiB);
    CHECK(map.table_count() == 1);
    // Below it the output addresses are in [0, 2^63), but past the descriptor's 48 bits:
    // the core's AddressRange.
    CHECK(map.map_range(MemoryRegion(2 * kGiB, 3 * kGiB), kData).status() == Status::AddressRange);
}

TEST_CASE("LinearMap: upper-range addresses are negative", "[linear_map]") {
    const Regime upper{TranslationRegime::El1And0, VaRange::Upper};
    const uint64_t base = uint64_t{0} - (uint64_t{1} << 39);  // -512 GiB
    // + 512 GiB: the upper range onto [0, 512 GiB).
    LinearMap kernel(upper, 1, 1, int64_t{1} << 39);
    CHECK(kernel.map_range(MemoryRegion(base + kGiB, base + 2 * kGiB), kData).is_ok());
    // + 256 GiB: its lower half falls below 0.
    LinearMap half(upper, 1, 1, int64_t{1} << 38);
    const Result r = half.map_range(MemoryRegion(base + kGiB, base + 2 * kGiB), kData);
    CHECK(r.status() == Status::InvalidVirtualAddress);
    CHECK(r.error().va.value() == base + kGiB);
    CHECK(half.table_count() == 1);
}

TEST_CASE("LinearMap: ranges the core refuses are refused as before", "[linear_map]") {
    LinearMap map(Regime{}, 1, 1, -static_cast<int64_t>(kGiB));
    CHECK(map.map_range(MemoryRegion(3 * kGiB, 2 * kGiB), kData).status() == Status::RegionBackwards);
    CHECK(map.map_range(MemoryRegion(kGiB, 2 * kGiB), kData).is_ok());
}

TEST_CASE("LinearMap: an offset that is not whole pages is refused at construction", "[linear_map]") {
    LinearMap map(Regime{}, 1, 1, 0x1800);
    CHECK_FALSE(map.is_valid());
    const MapError& e = map.init_result().error();
    CHECK(e.status == Status::InvalidArgument);
    CHECK(e.value == (argument_reason::PA_OFFSET_ALIGNMENT | uint64_t{4} << 16));
    CHECK(e.va.value() == 0x1800);
    CHECK(map.map_range(MemoryRegion(kGiB, 2 * kGiB), kData).status() == Status::InvalidArgument);
}

TEST_CASE("LinearMap::map_range_to: a range at an output address of the caller's choosing", "[linear_map][output]") {
    LinearMap map(Regime{}, 1, 1, static_cast<int64_t>(kGiB));
    REQUIRE(map.is_valid());
    constexpr uint64_t k2MiB = uint64_t{1} << 21;
    // A device at 8 GiB, mapped at 4 GiB: both 1 GiB-aligned, one block.
    REQUIRE(map.map_range_to(MemoryRegion(4 * kGiB, 5 * kGiB), PhysicalAddress(8 * kGiB), kData).is_ok());
    // The PA 2 MiB-aligned only: 2 MiB blocks; 4 KiB only: pages.
    REQUIRE(map.map_range_to(MemoryRegion(5 * kGiB, 5 * kGiB + 2 * k2MiB), PhysicalAddress(kGiB + k2MiB), kData)
                .is_ok());
    REQUIRE(map.map_range_to(MemoryRegion(6 * kGiB, 6 * kGiB + k2MiB), PhysicalAddress(kGiB + 0x1000), kData)
                .is_ok());
    struct Seen {
        uint64_t va, pa;
        unsigned level;
    };
    std::vector<Seen> seen;
    REQUIRE(map.walk_range(MemoryRegion(4 * kGiB, 7 * kGiB), [&seen](const MemoryRegion& r, const Descriptor& d,
                                                                       unsigned level) {
                   if (d.is_valid()) {
                       seen.push_back({r.start().value(), d.output_address().value(), level});
                   }
                   return true;
               }).is_ok());
    REQUIRE(seen.size() == 1 + 2 + 512);
    CHECK((seen[0].pa == 8 * kGiB && seen[0].level == 1));
    CHECK((seen[1].pa == kGiB + k2MiB && seen[1].level == 2));
    CHECK((seen[2].pa == kGiB + 2 * k2MiB && seen[2].level == 2));
    CHECK((seen[3].pa == kGiB + 0x1000 && seen[3].level == 3));
    CHECK(seen.back().pa == kGiB + k2MiB);
    // The map's own translation is unchanged: map_range still maps va + 1 GiB.
    REQUIRE(map.map_range(MemoryRegion(0, k2MiB), kData).is_ok());
    // A pa at another offset in its page than the region's start.
    const Result r = map.map_range_to(MemoryRegion(7 * kGiB, 7 * kGiB + 0x1000), PhysicalAddress(0x800), kData);
    CHECK(r.status() == Status::InvalidArgument);
    CHECK(r.error().value == (argument_reason::PA_PAGE_OFFSET | uint64_t{4} << 16));
    CHECK(r.error().va.value() == 0x800);
}
