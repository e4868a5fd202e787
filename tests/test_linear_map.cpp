// LinearMap's offset: an output address past 2^64 or below 0 is InvalidVirtualAddress
// with the first address of the range that would have it (the crate's LinearMap), and
// nothing is written.
#include <catch2/catch.hpp>

#include <cstdint>

#include "aarch64_paging/linear_map.hpp"

using namespace aarch64_paging;

namespace {

constexpr Attributes kData = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
constexpr uint64_t kGiB = uint64_t{1} << 30;

}  // namespace

TEST_CASE("LinearMap: an offset below 0 is InvalidVirtualAddress at the range's start", "[linear_map]") {
    LinearMap map(Regime{}, 1, 1, -static_cast<int64_t>(2 * kGiB));
    REQUIRE(map.is_valid());
    const Result r = map.map_range(MemoryRegion(kGiB, 3 * kGiB), kData);
    CHECK(r.status() == Status::InvalidVirtualAddress);
    CHECK(r.error().va.value() == kGiB);
    CHECK(map.table_count() == 1);
    // Where every output address is at or above 0, the map is made.
    CHECK(map.map_range(MemoryRegion(2 * kGiB, 3 * kGiB), kData).is_ok());
}

TEST_CASE("LinearMap: an offset past 2^64 is InvalidVirtualAddress at the first address past it",
          "[linear_map]") {
    // The upper range: [2^64 - 512 GiB, 2^64), mapped 4 GiB higher, wraps from
    // 2^64 - 4 GiB on.
    LinearMap map({TranslationRegime::El1And0, VaRange::Upper}, 1, 1, static_cast<int64_t>(4 * kGiB));
    REQUIRE(map.is_valid());
    const uint64_t first_past = uint64_t{0} - 4 * kGiB;
    const Result r = map.map_range(MemoryRegion(first_past - kGiB, 0), kData);  // end 0: 2^64
    CHECK(r.status() == Status::InvalidVirtualAddress);
    CHECK(r.error().va.value() == first_past);
    CHECK(map.table_count() == 1);
    // A range that starts past it names its own start.
    CHECK(map.map_range(MemoryRegion(first_past + kGiB, 0), kData).error().va.value() == first_past + kGiB);
    // Below it the output addresses are in [0, 2^64), but past the descriptor's 48 bits:
    // the core's AddressRange.
    CHECK(map.map_range(MemoryRegion(first_past - kGiB, first_past), kData).status() == Status::AddressRange);
}

TEST_CASE("LinearMap: ranges the core refuses are refused as before", "[linear_map]") {
    LinearMap map(Regime{}, 1, 1, -static_cast<int64_t>(kGiB));
    CHECK(map.map_range(MemoryRegion(3 * kGiB, 2 * kGiB), kData).status() == Status::RegionBackwards);
    CHECK(map.map_range(MemoryRegion(kGiB, 2 * kGiB), kData).is_ok());
}
