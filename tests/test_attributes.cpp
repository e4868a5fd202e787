#include <catch2/catch.hpp>

#include "aarch64_paging/attributes.hpp"
#include "idmap.h"

using aarch64_paging::Attributes;
using aarch64_paging::Constraints;

// The C++ names carry the C ABI's values bit for bit.
static_assert(bits(Attributes::VALID) == IDMAP_ATTR_VALID);
static_assert(bits(Attributes::TABLE_OR_PAGE) == IDMAP_ATTR_TABLE_OR_PAGE);
static_assert(bits(Attributes::DEVICE_NGNRE) == IDMAP_ATTR_DEVICE_NGNRE);
static_assert(bits(Attributes::NORMAL) == IDMAP_ATTR_NORMAL);
static_assert(bits(Attributes::USER) == IDMAP_ATTR_USER);
static_assert(bits(Attributes::READ_ONLY) == IDMAP_ATTR_READ_ONLY);
static_assert(bits(Attributes::ACCESSED) == IDMAP_ATTR_ACCESSED);
static_assert(bits(Attributes::NON_GLOBAL) == IDMAP_ATTR_NON_GLOBAL);
static_assert(bits(Attributes::DBM) == IDMAP_ATTR_DBM);
static_assert(bits(Attributes::EXECUTE_NEVER) == IDMAP_ATTR_EXECUTE_NEVER);
static_assert(bits(Attributes::SWFLAG_0) == IDMAP_ATTR_SWFLAG_0);
static_assert(bits(Attributes::SWFLAG_3) == IDMAP_ATTR_SWFLAG_3);
static_assert(bits(Constraints::NO_BLOCK_MAPPINGS) == IDMAP_NO_BLOCK_MAPPINGS);
static_assert(bits(Constraints::NO_CONTIGUOUS_HINT) == IDMAP_NO_CONTIGUOUS_HINT);

TEST_CASE("Attributes combine as flags", "[attributes]") {
    const Attributes a = Attributes::NORMAL | Attributes::VALID;
    CHECK(bits(a) == 0x305);  // VALID 0x1 | AttrIndx 1 (0x4) | SH 0b11 (0x300)
    CHECK(contains(a, Attributes::VALID));
    CHECK_FALSE(contains(a, Attributes::VALID | Attributes::READ_ONLY));
    CHECK(intersects(a, Attributes::VALID | Attributes::READ_ONLY));
    CHECK(bits(a & ~Attributes::VALID) == 0x304);
    CHECK(bits(a ^ Attributes::NORMAL) == 0x1);
    Attributes b = Attributes::EMPTY;
    b |= Attributes::EXECUTE_NEVER;
    CHECK(bits(b) == (uint64_t{3} << 53));  // PXN (53) and UXN (54)
    b &= Attributes::SWFLAG_0;
    CHECK(b == Attributes::EMPTY);
}

TEST_CASE("map_range refuses TABLE_OR_PAGE, bits 12-49 and the contiguous bit", "[attributes]") {
    using aarch64_paging::REFUSED_MAP_FLAGS;
    CHECK(contains(REFUSED_MAP_FLAGS, Attributes::TABLE_OR_PAGE));
    for (unsigned bit = 12; bit <= 49; ++bit) {
        CAPTURE(bit);
        CHECK(intersects(REFUSED_MAP_FLAGS, Attributes(uint64_t{1} << bit)));
    }
    CHECK(intersects(REFUSED_MAP_FLAGS, Attributes(uint64_t{1} << 52)));
    for (Attributes ok : {Attributes::VALID, Attributes::NORMAL, Attributes::USER, Attributes::READ_ONLY,
                          Attributes::ACCESSED, Attributes::NON_GLOBAL, Attributes::DBM,
                          Attributes::EXECUTE_NEVER, Attributes::SWFLAG_0, Attributes::SWFLAG_3}) {
        CAPTURE(bits(ok));
        CHECK_FALSE(intersects(REFUSED_MAP_FLAGS, ok));
    }
}
