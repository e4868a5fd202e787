/*
 * idmap_check.h - what the C suites (suite.c, regime.c, guard.c, stress.c) ask of the C
 * facade while checking: a status and the last error as text, a change of descriptor
 * bits, the dirty pages idmap_collect_dirty reports, and the leaf entry that maps an
 * address, as idmap_walk_range sees it.
 */
#ifndef TARGET_IDMAP_CHECK_H
#define TARGET_IDMAP_CHECK_H

#include "idmap.h"

/* "N (idmap_status_str)"; one static buffer, valid until the next call. */
const char *status_name(idmap_status_t st);
/* idmap_format_error of the map's last error; one static buffer, as above. */
const char *last_error_text(const idmap_t *map);

/* idmap_modify_range over [start, end): sets the bits set and clears the bits clear in
 * every valid entry (invalid_too != 0: in invalid ones too). */
idmap_status_t modify_bits(idmap_t *map, uint64_t start, uint64_t end, uint64_t set,
                           uint64_t clear, int invalid_too);

/* idmap_collect_dirty of the pages [start, start + pages * 4 KiB) answers OK with
 * exactly want (bit i: page i; (pages + 63) / 64 words, at most 8) in the words the range
 * needs, and leaves the word after them alone; else the current case fails, with when. */
void check_collect_dirty(idmap_t *map, const char *when, uint64_t start, uint64_t pages,
                         const uint64_t *want);

/* The first entry idmap_walk_range visits for an address's 4 KiB page. */
struct leaf {
    idmap_status_t status; /* walk_range's answer */
    unsigned found;        /* the entries it visited */
    idmap_region_t region; /* the first one's: its region, descriptor and level */
    uint64_t desc;
    unsigned level;
};

/* The leaf for va's page, walked as [page, page + 4 KiB): in the upper VA range the page
 * at the top ends at 0 (2^64); in the lower range that region is backwards. */
struct leaf walk_one(const idmap_t *map, uint64_t va);
/* The same, walked as idmap_region(va, va + 1): at the top of the address space, where
 * rounding the end up would wrap, the region stays [page, va + 1), which lies beyond a
 * lower-range map's tables (AddressRange). */
struct leaf walk_va(const idmap_t *map, uint64_t va);
/* "level L descriptor 0x... for [start, end)", or what the walk answered; one static
 * buffer, as above. */
const char *leaf_text(const struct leaf *lf);

#endif
