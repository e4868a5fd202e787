/*
 * regimes.c - the regime additions of the C ABI as a C99 kernel would use them: an upper
 * half linear map on TTBR1 (2^64 - 512 GiB + x maps physical x), an EL2 identity map,
 * the refusals of idmap_new_with_config, and a map counted on two cores. Uses only
 * idmap.h; links only libidmap.a. Returns 0 on success; on failure prints what went wrong
 * and returns 1.
 */
#include <idmap.h>

#include <stdio.h>
#include <string.h>

#include "check.h"

#define PAGE ((uint64_t)0x1000)
#define MIB2 ((uint64_t)0x200000)
#define GIB1 ((uint64_t)0x40000000)
#define UPPER_START ((uint64_t)0xffffff8000000000) /* 2^64 - 512 GiB */
#define OA_MASK ((uint64_t)0x0000fffffffff000)

struct leaf {
    unsigned calls;
    idmap_region_t region;
    uint64_t bits;
    unsigned level;
};

static int last_leaf(const idmap_region_t *region, const idmap_descriptor_t *desc, unsigned level, void *ctx)
{
    struct leaf *l = (struct leaf *)ctx;
    if (desc->bits != 0) {
        l->calls++;
        l->region = *region;
        l->bits = desc->bits;
        l->level = level;
    }
    return 0;
}

static idmap_config_t make_config(idmap_regime_t regime, idmap_va_range_t range, uint64_t asid,
                                  unsigned root_level, int64_t pa_offset)
{
    idmap_config_t c;
    memset(&c, 0, sizeof c);
    c.regime = regime;
    c.va_range = range;
    c.asid = asid;
    c.root_level = root_level;
    c.pa_offset = pa_offset;
    c.allocator = NULL;
    return c;
}

static int upper_half(void)
{
    /* PA = VA - UPPER_START, as an int64: 2^64 - UPPER_START = 512 GiB. */
    const idmap_config_t c = make_config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 3, 1,
                                         (int64_t)((uint64_t)0 - UPPER_START));
    idmap_t *map = idmap_new_with_config(&c);
    idmap_region_t top = {0 - MIB2, 0}; /* the top 2 MiB: end 0 is 2^64 */
    struct leaf l = {0, {0, 0}, 0, 0};
    REQUIRE(map != NULL);
    CHECK(idmap_regime(map) == IDMAP_REGIME_EL1_0);
    CHECK(idmap_va_range(map) == IDMAP_VA_RANGE_UPPER);
    CHECK(idmap_va_start(map) == UPPER_START);
    CHECK(idmap_size(map) == 512 * GIB1);
    REQUIRE_OK(map, idmap_map_range(map, &top, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID));
    REQUIRE(idmap_walk_range(map, &top, last_leaf, &l) == IDMAP_OK);
    CHECK(l.calls == 1);
    CHECK(l.level == 2);
    CHECK(l.region.start == 0 - MIB2);
    CHECK(l.region.end == 0);
    CHECK((l.bits & OA_MASK) == 512 * GIB1 - MIB2);
    /* The lower half is not this map's: ADDRESS_RANGE at the start, the first address
     * below the map's range, which the error's region gives. */
    top.start = GIB1;
    top.end = 2 * GIB1;
    CHECK(idmap_map_range(map, &top, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(map)->va == GIB1);
    CHECK(idmap_last_error(map)->region.start == 0 - 512 * GIB1 && idmap_last_error(map)->region.end == 0);
    idmap_free(map);
    return 0;
}

static int el2(void)
{
    const idmap_config_t c = make_config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 2, 0);
    idmap_t *map = idmap_new_with_config(&c);
    idmap_region_t r = {0, PAGE};
    struct leaf l = {0, {0, 0}, 0, 0};
    REQUIRE(map != NULL);
    /* No EL0 in EL2: USER and NON_GLOBAL refused, and AP[1] (RES1) set on every page. */
    CHECK(idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_USER) ==
          IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(map)->value == IDMAP_ATTR_USER);
    CHECK(idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL) ==
          IDMAP_ERR_INVALID_FLAGS);
    REQUIRE_OK(map, idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_XN));
    REQUIRE(idmap_walk_range(map, &r, last_leaf, &l) == IDMAP_OK);
    CHECK(l.calls == 1);
    CHECK(l.bits == (IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_XN | IDMAP_ATTR_ACCESSED |
                     IDMAP_ATTR_TABLE_OR_PAGE | ((uint64_t)1 << 6)));
    idmap_free(map);
    return 0;
}

static int refusals(void)
{
    idmap_config_t c = make_config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 1, 1, 0);
    int bad = 4;
    CHECK(idmap_new_with_config(NULL) == NULL);
    CHECK(idmap_new_with_config(&c) == NULL); /* an ASID in EL2 */
    c = make_config(IDMAP_REGIME_EL3, IDMAP_VA_RANGE_UPPER, 0, 1, 0);
    CHECK(idmap_new_with_config(&c) == NULL); /* no TTBR1_EL3 */
    c = make_config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x10000, 1, 0);
    CHECK(idmap_new_with_config(&c) == NULL); /* 17 bits */
    c = make_config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 1, 0);
    memcpy(&c.regime, &bad, sizeof bad);
    CHECK(idmap_new_with_config(&c) == NULL); /* no regime 4 */
    return 0;
}

static int two_cores(void)
{
    const idmap_config_t c = make_config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 5, 1, 0);
    idmap_t *map = idmap_new_with_config(&c);
    uint64_t core0 = 0, core1 = 0;
    idmap_region_t r = {GIB1, 2 * GIB1};
    REQUIRE(map != NULL);
    REQUIRE_OK(map, idmap_map_range(map, &r, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL));
    REQUIRE_OK(map, idmap_activate_on_core(map, &core0));
    REQUIRE_OK(map, idmap_activate_on_core(map, &core1));
    CHECK(idmap_active_cores(map) == 2);
    CHECK(idmap_map_range(map, &r, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE_OK(map, idmap_deactivate_on_core(map, core1));
    CHECK(idmap_is_active(map));
    REQUIRE_OK(map, idmap_deactivate_on_core(map, core0));
    CHECK(!idmap_is_active(map));
    CHECK(idmap_deactivate_on_core(map, core0) == IDMAP_ERR_NOT_ACTIVE);
    CHECK(idmap_map_range(map, &r, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL) == IDMAP_OK);
    idmap_free(map);
    return 0;
}

int main(void)
{
    if (upper_half() != 0 || el2() != 0 || refusals() != 0 || two_cores() != 0 || check_failures() != 0) {
        fprintf(stderr, "regimes: FAILED\n");
        return 1;
    }
    printf("regimes: ok\n");
    return 0;
}
