// Host tests of the version: the IDMAP_VERSION_* macros of idmap.h and idmap_version(),
// the number the library was built with (major << 16 | minor << 8 | patch).
#include <catch2/catch.hpp>

#include <idmap.h>

#include <cstdint>

namespace {

// Each part must fit its 8 bits (the major 16) for the encoding to be unambiguous.
static_assert(IDMAP_VERSION_MAJOR >= 0 && IDMAP_VERSION_MAJOR <= 0xffff, "major fits 16 bits");
static_assert(IDMAP_VERSION_MINOR >= 0 && IDMAP_VERSION_MINOR <= 0xff, "minor fits 8 bits");
static_assert(IDMAP_VERSION_PATCH >= 0 && IDMAP_VERSION_PATCH <= 0xff, "patch fits 8 bits");

}  // namespace

TEST_CASE("IDMAP_VERSION is major << 16 | minor << 8 | patch", "[version]") {
    const uint32_t expected = (uint32_t{IDMAP_VERSION_MAJOR} << 16) |
                              (uint32_t{IDMAP_VERSION_MINOR} << 8) | uint32_t{IDMAP_VERSION_PATCH};
    CHECK(IDMAP_VERSION == expected);
}

TEST_CASE("idmap_version answers the header's IDMAP_VERSION", "[version]") {
    CHECK(idmap_version() == IDMAP_VERSION);
    CHECK(idmap_version() >> 16 == IDMAP_VERSION_MAJOR);
    CHECK(((idmap_version() >> 8) & 0xff) == IDMAP_VERSION_MINOR);
    CHECK((idmap_version() & 0xff) == IDMAP_VERSION_PATCH);
}

TEST_CASE("The first version is 0.1.0", "[version]") {
    // Raise this floor with each release; a version never goes back.
    CHECK(idmap_version() >= 0x000100u);
}
