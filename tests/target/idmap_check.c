/*
 * idmap_check.c - the C suites' view of the C facade (idmap_check.h).
 */
#include "idmap_check.h"

#include "bm.h"
#include "check.h"

typedef unsigned long long ull;

const char *status_name(idmap_status_t st)
{
    static char buf[80];
    bm_snprintf(buf, sizeof buf, "%d (%s)", (int)st, idmap_status_str(st));
    return buf;
}

const char *last_error_text(const idmap_t *map)
{
    static char buf[200];
    idmap_format_error(idmap_last_error(map), buf, sizeof buf);
    return buf;
}

/* modify_range callback: sets ctx[0] and clears ctx[1] on valid entries (ctx[2] != 0:
 * on invalid ones too). */
static int set_bits_cb(const idmap_region_t *region, idmap_descriptor_t *d, unsigned level,
                       void *ctx)
{
    (void)region;
    (void)level;
    const uint64_t *b = ctx;
    if (b[2] || idmap_descriptor_is_valid(d))
        d->bits = (d->bits | b[0]) & ~b[1];
    return 0;
}

idmap_status_t modify_bits(idmap_t *map, uint64_t start, uint64_t end, uint64_t set,
                           uint64_t clear, int invalid_too)
{
    uint64_t b[3] = {set, clear, (uint64_t)invalid_too};
    idmap_region_t r = idmap_region(start, end);
    return idmap_modify_range(map, &r, set_bits_cb, b);
}

void check_collect_dirty(idmap_t *map, const char *when, uint64_t start, uint64_t pages,
                         const uint64_t *want)
{
    const uint64_t mark = 0x5a5a5a5a5a5a5a5aULL;
    uint64_t bitmap[9];
    const size_t words = (size_t)((pages + 63) / 64);
    if (!CHECK(words < sizeof bitmap / sizeof bitmap[0], "%s: %llu pages, more than a check takes", when,
               (ull)pages))
        return;
    for (size_t w = 0; w <= words; w++)
        bitmap[w] = mark;
    const idmap_region_t r = idmap_region(start, start + pages * 0x1000);
    const idmap_status_t st = idmap_collect_dirty(map, &r, bitmap, words);
    if (!CHECK(st == IDMAP_OK, "%s: idmap_collect_dirty [0x%llx, +%llu pages): %s", when, (ull)start, (ull)pages,
               last_error_text(map)))
        return;
    for (size_t w = 0; w < words; w++)
        CHECK(bitmap[w] == want[w], "%s: idmap_collect_dirty [0x%llx, +%llu pages): word %u 0x%016llx, expected "
              "0x%016llx", when, (ull)start, (ull)pages, (unsigned)w, (ull)bitmap[w], (ull)want[w]);
    CHECK(bitmap[words] == mark, "%s: the word past the range changed", when);
}

static int leaf_cb(const idmap_region_t *region, const idmap_descriptor_t *desc, unsigned level,
                   void *ctx)
{
    struct leaf *lf = ctx;
    if (lf->found++ == 0) {
        lf->region = *region;
        lf->desc = desc->bits;
        lf->level = level;
    }
    return 0;
}

static struct leaf walk_region(const idmap_t *map, idmap_region_t r)
{
    struct leaf lf = {IDMAP_OK, 0, {0, 0}, 0, 0};
    lf.status = idmap_walk_range(map, &r, leaf_cb, &lf);
    return lf;
}

struct leaf walk_one(const idmap_t *map, uint64_t va)
{
    uint64_t page = va & ~0xfffULL;
    return walk_region(map, idmap_region(page, page + 0x1000));
}

struct leaf walk_va(const idmap_t *map, uint64_t va)
{
    return walk_region(map, idmap_region(va, va + 1));
}

const char *leaf_text(const struct leaf *lf)
{
    static char buf[160];
    if (lf->status != IDMAP_OK)
        bm_snprintf(buf, sizeof buf, "walk_range answered %s", status_name(lf->status));
    else if (!lf->found)
        bm_snprintf(buf, sizeof buf, "walk_range visited no entry");
    else
        bm_snprintf(buf, sizeof buf, "level %u descriptor 0x%016llx for [0x%llx, 0x%llx)",
                    lf->level, (ull)lf->desc, (ull)lf->region.start, (ull)lf->region.end);
    return buf;
}
