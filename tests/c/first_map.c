/*
 * first_map.c - the README's first example through the C ABI, as a C99 bootloader
 * would write it: map 0x80200000..0x80400000 read-write, activate, deactivate, remap it
 * read-only, activate. Uses only idmap.h; links only libidmap.a. Returns 0 on success; on failure
 * prints what went wrong and returns 1.
 */
#include <idmap.h>

#include <stdio.h>

#include "check.h"

#define CONTIGUOUS ((uint64_t)1 << 52)

struct found {
    unsigned calls;
    idmap_region_t region;
    uint64_t bits;
    unsigned level;
};

static int remember(const idmap_region_t *region, const idmap_descriptor_t *desc,
                    unsigned level, void *ctx)
{
    struct found *f = (struct found *)ctx;
    f->calls++;
    f->region = *region;
    f->bits = desc->bits;
    f->level = level;
    return 0;
}

/* The one leaf that maps the region must be a 2 MiB block at level 2 with flags. */
static int check_block(const idmap_t *map, const idmap_region_t *region, uint64_t flags)
{
    struct found f = {0, {0, 0}, 0, 0};
    idmap_descriptor_t d;
    REQUIRE(idmap_walk_range(map, region, remember, &f) == IDMAP_OK);
    REQUIRE(f.calls == 1);
    REQUIRE(f.level == 2);
    REQUIRE(f.region.start == 0x80200000u && f.region.end == 0x80400000u);
    d.bits = f.bits;
    REQUIRE(idmap_descriptor_is_valid(&d));
    REQUIRE(idmap_descriptor_output_address(&d) == 0x80200000u);
    REQUIRE((idmap_descriptor_flags(&d) & ~CONTIGUOUS) == (flags | IDMAP_ATTR_ACCESSED));
    return 0;
}

int main(void)
{
    const size_t ASID = 1;
    const unsigned ROOT_LEVEL = 1;
    const uint64_t RW = IDMAP_ATTR_NORMAL | IDMAP_ATTR_NON_GLOBAL | IDMAP_ATTR_VALID;
    const uint64_t RO = RW | IDMAP_ATTR_READ_ONLY;
    idmap_region_t region;
    idmap_t *idmap;

    /* Create a new page table with identity mapping. */
    idmap = idmap_new(ASID, ROOT_LEVEL);
    REQUIRE(idmap != NULL);
    REQUIRE(idmap_size(idmap) == (uint64_t)1 << 39);

    /* Map a 2 MiB region of memory as read-write. */
    region = idmap_region(0x80200000, 0x80400000);
    REQUIRE_OK(idmap, idmap_map_range(idmap, &region, RW));
    if (check_block(idmap, &region, RW) != 0) return 1;

    /* Set TTBR0_EL1 to activate the page table. */
    REQUIRE_OK(idmap, idmap_activate(idmap));
    REQUIRE(idmap_is_active(idmap));

    /* Write something to the memory... */

    /* Restore TTBR0_EL1 to its earlier value while we modify the page table. */
    REQUIRE_OK(idmap, idmap_deactivate(idmap));
    REQUIRE(!idmap_is_active(idmap));

    /* Now change the mapping to read-only and executable. */
    REQUIRE_OK(idmap, idmap_map_range(idmap, &region, RO));
    if (check_block(idmap, &region, RO) != 0) return 1;

    REQUIRE_OK(idmap, idmap_activate(idmap));
    REQUIRE(idmap_is_active(idmap));
    REQUIRE(idmap_table_count(idmap) == 2);

    idmap_free(idmap); /* deactivates it first */
    printf("first_map: ok\n");
    return 0;
}
