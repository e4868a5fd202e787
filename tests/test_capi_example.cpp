// Host test of the C ABI: the seed's example (aarch64-paging 0.5.0 IdMap documentation)
// through the C facade, checking what each step leaves in the table.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <cstdint>
#include <vector>

using namespace capi_test;

TEST_CASE("the seed's example: map 2 MiB read-write, activate, deactivate, remap read-only, "
          "activate",
          "[example]") {
    const size_t ASID = 1;
    const unsigned ROOT_LEVEL = 1;

    // Create a new page table with identity mapping.
    idmap_t* idmap = idmap_new(ASID, ROOT_LEVEL);
    REQUIRE(idmap != nullptr);
    // Map a 2 MiB region of memory as read-write.
    const idmap_region_t region = idmap_region(0x80200000, 0x80400000);
    REQUIRE(idmap_map_range(idmap, &region,
                            IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID) ==
            IDMAP_OK);
    // 0x8020_0000 is 2 MiB aligned: one block at level 2, under level-1 entry 2.
    std::vector<Leaf> leaves;
    REQUIRE(idmap_walk_range(idmap, &region, collect, &leaves) == IDMAP_OK);
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0].start == 0x80200000);
    CHECK(leaves[0].end == 0x80400000);
    CHECK(leaves[0].level == 2);
    CHECK((leaves[0].bits & ~kContiguous) ==
          (0x80200000 | IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID |
           IDMAP_ATTR_ACCESSED));
    CHECK(idmap_table_count(idmap) == 2);

    // Set TTBR0_EL1 to activate the page table.
    REQUIRE(idmap_activate(idmap) == IDMAP_OK);
    CHECK(idmap_is_active(idmap));

    // Write something to the memory...

    // Restore TTBR0_EL1 to its earlier value while we modify the page table.
    REQUIRE(idmap_deactivate(idmap) == IDMAP_OK);
    CHECK_FALSE(idmap_is_active(idmap));
    // Now change the mapping to read-only and executable.
    REQUIRE(idmap_map_range(idmap, &region,
                            IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_READ_ONLY |
                                IDMAP_ATTR_VALID) == IDMAP_OK);
    leaves.clear();
    REQUIRE(idmap_walk_range(idmap, &region, collect, &leaves) == IDMAP_OK);
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0].level == 2);
    CHECK((leaves[0].bits & ~kContiguous) ==
          (0x80200000 | IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_READ_ONLY |
           IDMAP_ATTR_VALID | IDMAP_ATTR_ACCESSED));
    CHECK(idmap_table_count(idmap) == 2);

    REQUIRE(idmap_activate(idmap) == IDMAP_OK);
    CHECK(idmap_is_active(idmap));
    CHECK(idmap_last_error(idmap)->status == IDMAP_OK);  // nothing failed on the way
    idmap_free(idmap);
}

TEST_CASE("the seed's example while active: read-only is allowed, Device must wait for "
          "deactivate",
          "[example][bbm]") {
    // Permissions may change on a live entry, so the remap itself is allowed; what the
    // seed's order guards against is the stale TLB entry, which deactivate invalidates.
    // Changing the memory type, however, must wait for deactivate.
    idmap_t* idmap = idmap_new(1, 1);
    REQUIRE(idmap != nullptr);
    const idmap_region_t region = idmap_region(0x80200000, 0x80400000);
    REQUIRE(idmap_map_range(idmap, &region,
                            IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID) ==
            IDMAP_OK);
    REQUIRE(idmap_activate(idmap) == IDMAP_OK);
    CHECK(idmap_map_range(idmap, &region,
                          IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_READ_ONLY |
                              IDMAP_ATTR_VALID) == IDMAP_OK);
    CHECK(idmap_map_range(idmap, &region,
                          IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE(idmap_deactivate(idmap) == IDMAP_OK);
    CHECK(idmap_map_range(idmap, &region,
                          IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID) ==
          IDMAP_OK);
    idmap_free(idmap);
}
