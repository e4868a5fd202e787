/*
 * error_handling.c - a walk through the errors of the C ABI as a C99 caller meets them:
 * each failing call's status, the detail in idmap_last_error, and its one-line text from
 * idmap_format_error. Uses only idmap.h; links only libidmap.a. Returns 0 on success; on
 * failure prints what went wrong and returns 1.
 */
#include <idmap.h>

#include <stdio.h>
#include <string.h>

#include "check.h"

#define PAGE ((uint64_t)0x1000)
#define MIB2 ((uint64_t)0x200000)
#define RW (IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID | IDMAP_ATTR_NON_GLOBAL)

/* The last error's line, checked for snprintf behaviour, printed for the reader. */
static void show(const idmap_t *map)
{
    char line[256];
    char tiny[8];
    const idmap_error_t *e = idmap_last_error(map);
    size_t n = idmap_format_error(e, line, sizeof line);
    CHECK(n > 0);
    CHECK(n < sizeof line);
    CHECK(strlen(line) == n);
    CHECK(strchr(line, '\n') == NULL);
    CHECK(idmap_format_error(e, NULL, 0) == n);
    CHECK(idmap_format_error(e, tiny, sizeof tiny) == n);
    CHECK(strlen(tiny) == (n < sizeof tiny ? n : sizeof tiny - 1));
    CHECK(strncmp(tiny, line, strlen(tiny)) == 0);
    printf("  %-28s %s\n", idmap_status_str(e->status), line);
}

static int count_leaves(const idmap_region_t *r, const idmap_descriptor_t *d, unsigned level,
                        void *ctx)
{
    (void)r;
    (void)d;
    (void)level;
    ++*(unsigned *)ctx;
    return 0;
}

static int refuse(const idmap_region_t *r, idmap_descriptor_t *d, unsigned level, void *ctx)
{
    (void)r;
    (void)level;
    (void)ctx;
    d->bits |= IDMAP_ATTR_SWFLAG_0; /* thrown away: the entry keeps its old value */
    return 1;
}

static int make_table(const idmap_region_t *r, idmap_descriptor_t *d, unsigned level, void *ctx)
{
    (void)r;
    (void)level;
    (void)ctx;
    d->bits |= IDMAP_ATTR_TABLE_OR_PAGE; /* a block may never become a table */
    return 0;
}

static int stop_walk(const idmap_region_t *r, const idmap_descriptor_t *d, unsigned level,
                     void *ctx)
{
    (void)r;
    (void)d;
    (void)level;
    (void)ctx;
    return 1;
}

int main(void)
{
    idmap_t *map;
    idmap_region_t r;
    const idmap_error_t *e;
    unsigned leaves = 0;
    idmap_descriptor_t d;

    /* Creation refuses what it cannot build. */
    CHECK(idmap_new(1, 4) == NULL);          /* root level 4 */
    CHECK(idmap_new(0x10000, 1) == NULL);    /* 17-bit ASID */
    CHECK(idmap_new_with_allocator(1, 1, NULL) == NULL);

    map = idmap_new(1, 1); /* 512 GiB */
    REQUIRE(map != NULL);
    e = idmap_last_error(map);
    REQUIRE(e != NULL);
    CHECK(e->status == IDMAP_OK);
    printf("errors met by a C caller:\n");

    /* INVALID_ARGUMENT: a NULL range. */
    CHECK(idmap_map_range(map, NULL, RW) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(map)->status == IDMAP_ERR_INVALID_ARGUMENT);
    show(map);

    /* REGION_BACKWARDS: with the rounded region. */
    r.start = 0x3001;
    r.end = 0x1001; /* -> [0x3000, 0x2000) */
    CHECK(idmap_map_range(map, &r, RW) == IDMAP_ERR_REGION_BACKWARDS);
    e = idmap_last_error(map);
    CHECK(e->region.start == 0x3000 && e->region.end == 0x2000);
    show(map);

    /* ADDRESS_RANGE: one byte past the 512 GiB the table covers; va = rounded end. */
    r = idmap_region((uint64_t)1 << 39, ((uint64_t)1 << 39) + 1);
    CHECK(idmap_map_range(map, &r, RW) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(map)->va == ((uint64_t)1 << 39) + PAGE);
    show(map);

    /* ADDRESS_RANGE: an end that cannot be rounded up without wrapping is kept. */
    r = idmap_region(0, UINT64_MAX);
    CHECK(r.end == UINT64_MAX);
    CHECK(idmap_walk_range(map, &r, count_leaves, &leaves) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(map)->va == UINT64_MAX);
    CHECK(leaves == 0);
    show(map);

    /* INVALID_FLAGS: TABLE_OR_PAGE and an address bit; value = exactly those. */
    r = idmap_region(0, MIB2);
    CHECK(idmap_map_range(map, &r, RW | IDMAP_ATTR_TABLE_OR_PAGE | ((uint64_t)1 << 30)) ==
          IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(map)->value == (IDMAP_ATTR_TABLE_OR_PAGE | ((uint64_t)1 << 30)));
    show(map);

    /* INVALID_FLAGS: an unknown constraint. */
    CHECK(idmap_map_range_with_constraints(map, &r, RW, 1u << 7) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(map)->value == (1u << 7));
    show(map);

    /* None of that changed the map. */
    CHECK(idmap_table_count(map) == 1);

    /* A good mapping; the last error stays what it was. */
    CHECK(idmap_map_range(map, &r, RW) == IDMAP_OK); /* a 2 MiB block */
    CHECK(idmap_last_error(map)->status == IDMAP_ERR_INVALID_FLAGS);

    /* PTE_UPDATE_FAULT from modify: value = the entry before the callback. */
    leaves = 0;
    CHECK(idmap_walk_range(map, &r, count_leaves, &leaves) == IDMAP_OK);
    CHECK(leaves == 1);
    CHECK(idmap_modify_range(map, &r, refuse, NULL) == IDMAP_ERR_PTE_UPDATE_FAULT);
    d.bits = idmap_last_error(map)->value;
    CHECK(idmap_descriptor_is_valid(&d));
    CHECK(idmap_descriptor_output_address(&d) == 0);
    CHECK((idmap_descriptor_flags(&d) & IDMAP_ATTR_SWFLAG_0) == 0);
    show(map);

    /* INVALID_FLAGS from modify: a callback turning a block into a table. */
    CHECK(idmap_modify_range(map, &r, make_table, NULL) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(map)->value == IDMAP_ATTR_TABLE_OR_PAGE);
    show(map);

    /* PTE_UPDATE_FAULT from walk. */
    CHECK(idmap_walk_range(map, &r, stop_walk, NULL) == IDMAP_ERR_PTE_UPDATE_FAULT);
    CHECK(idmap_last_error(map)->value == d.bits);
    show(map);

    /* NOT_ACTIVE, ALREADY_ACTIVE. */
    CHECK(idmap_deactivate(map) == IDMAP_ERR_NOT_ACTIVE);
    show(map);
    REQUIRE(idmap_activate(map) == IDMAP_OK);
    CHECK(idmap_activate(map) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(idmap_is_active(map));
    show(map);

    /* No change: the live block already maps [0x1000, 0x3000) as asked (1.1), so nothing
     * needs a split. */
    r = idmap_region(0x1234, 0x2345); /* -> [0x1000, 0x3000) */
    CHECK(idmap_map_range(map, &r, RW) == IDMAP_OK);
    CHECK(idmap_table_count(map) == 2);

    /* BREAK_BEFORE_MAKE: read-only pages would split the live block; region = that
     * block, whole (1.1). */
    CHECK(idmap_map_range(map, &r, RW | IDMAP_ATTR_READ_ONLY) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    e = idmap_last_error(map);
    CHECK(e->region.start == 0 && e->region.end == 0x200000);
    CHECK(idmap_table_count(map) == 2);
    show(map);

    /* The same change after deactivate is fine. */
    REQUIRE(idmap_deactivate(map) == IDMAP_OK);
    CHECK(idmap_map_range(map, &r, RW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    CHECK(idmap_table_count(map) == 3);

    /* Statuses the contract does not define (C may form any int value of the enum). */
    {
        idmap_error_t unknown;
        char line[256];
        const char *s = idmap_status_str((idmap_status_t)99);
        CHECK(s != NULL && s[0] != '\0');
        CHECK(idmap_status_str((idmap_status_t)-1) != NULL);
        memset(&unknown, 0, sizeof unknown);
        unknown.status = (idmap_status_t)99;
        CHECK(idmap_format_error(&unknown, line, sizeof line) == strlen(line));
        CHECK(strchr(line, '\n') == NULL);
    }

    /* Descriptor helper refusing to flip TABLE_OR_PAGE. */
    d.bits = 0x80200000u | IDMAP_ATTR_VALID;
    CHECK(idmap_descriptor_modify_flags(&d, IDMAP_ATTR_TABLE_OR_PAGE, 0) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(d.bits == (0x80200000u | IDMAP_ATTR_VALID));

    idmap_free(map);
    if (check_failures() != 0) {
        fprintf(stderr, "error_handling: %d check(s) failed\n", check_failures());
        return 1;
    }
    printf("error_handling: ok\n");
    return 0;
}
