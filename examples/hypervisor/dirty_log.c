/*
 * dirty_log.c - the guest's writes counted as a live migration's dirty logging does: its
 * RAM made read-only in its live stage-2 map, each 4 KiB page it then writes made writable
 * again on its first write fault, and counted.
 *
 * Started at the guest's first PSCI CPU_ON (traps.c): Linux has set up its memory by then,
 * so what follows is its running work, as after a migration's first full copy; and both
 * vCPUs run from then on, so that two cores fault at once, and one may touch a block the
 * other is splitting.
 *
 * Write-protecting is an S2AP change, which needs no break-before-make (Arm ARM DDI 0487,
 * D8.16.1), so idmap_map_range() does it on the live map, over RAM's 2 MiB blocks. Making
 * one page of a read-only block writable splits a live block, which does need it:
 * idmap_s2_map_range_bbm() writes the block invalid, invalidates it, then links a leaf
 * table built whole. The library's TLB maintenance of each live change (TLBI IPAS2E1IS for
 * the VMID, then VMALLE1IS) is broadcast to the inner shareable domain: the other vCPU's
 * TLB drops the old entry too. Each split takes a table page from the library's pool (the
 * board's BOARD_POOL_PAGES, shared with EL2's own map): when the pool is empty, logging
 * stops - all of RAM writable again, which needs no page - and the report says so.
 */
#include "hypervisor.h"

/* Guest RAM with S2AP read-only (S2AP[1], write, clear). */
#define RAM_READ_ONLY (GUEST_RAM_S2 & ~IDMAP_S2_WRITE)
#define PAGE 4096ULL

/* Changed under hyp_lock() only. */
static struct {
    const char *since; /* non-NULL once started */
    int on;            /* RAM write-protected, faults counted */
    uint64_t pages;    /* pages made writable again: each one written */
    unsigned splits;   /* blocks split */
    unsigned retries;  /* translation faults on a block being split, retried */
} dirty;

static int in_ram(uint64_t ipa) { return ipa >= hyp.ram.start && ipa < hyp.ram.end; }

static idmap_region_t page_of(uint64_t ipa)
{
    const uint64_t start = ipa & ~(PAGE - 1);
    return idmap_region(start, start + PAGE);
}

static void map_ram(uint64_t flags, const char *what)
{
    const idmap_region_t ram = idmap_region(hyp.ram.start, hyp.ram.end);
    linux_check(idmap_map_range(hyp.vm, &ram, flags), hyp.vm, what);
}

void dirty_log_start(const char *since)
{
    hyp_lock();
    if (!dirty.since) {
        map_ram(RAM_READ_ONLY, "dirty logging: guest RAM read-only");
        dirty.since = since;
        dirty.on = 1;
        bm_printf("hypervisor: dirty logging from %s: guest RAM [0x%llx, 0x%llx) read-only at stage 2\n",
                  since, (unsigned long long)hyp.ram.start, (unsigned long long)hyp.ram.end);
    }
    hyp_unlock();
}

/* The stage-2 leaf that maps one IPA, as idmap_walk_range() finds it. */
struct leaf {
    int valid, writable;
    unsigned level;
};

static int read_leaf(const idmap_region_t *region, const idmap_descriptor_t *d, unsigned level, void *ctx)
{
    (void)region;
    struct leaf *l = ctx;
    l->valid = idmap_descriptor_is_valid(d);
    l->writable = (idmap_descriptor_flags(d) & IDMAP_S2_WRITE) != 0;
    l->level = level;
    return 0;
}

static struct leaf leaf_of(const idmap_region_t *page)
{
    struct leaf l = {0, 0, 0};
    linux_check(idmap_walk_range(hyp.vm, page, read_leaf, &l), hyp.vm, "dirty logging: idmap_walk_range");
    return l;
}

int dirty_log_write_fault(uint64_t ipa)
{
    if (!in_ram(ipa))
        return 0;
    const idmap_region_t page = page_of(ipa);
    int handled = 1;
    hyp_lock();
    /* Re-read under the lock: the other core may have made the page writable since its
     * fault (or its TLB entry was stale): then only retry, not count it again. */
    const struct leaf l = leaf_of(&page);
    if (!l.valid || !dirty.since) {
        handled = 0;
    } else if (!l.writable) {
        const idmap_status_t st = idmap_s2_map_range_bbm(hyp.vm, &page, GUEST_RAM_S2, 0);
        if (st == IDMAP_OK) {
            dirty.pages++;
            dirty.splits += l.level < 3;
        } else if (st == IDMAP_ERR_OUT_OF_MEMORY) {
            /* No page for the split (nothing changed): stop, RAM all writable. */
            map_ram(GUEST_RAM_S2, "dirty logging: guest RAM writable again");
            dirty.on = 0;
        } else {
            linux_check(st, hyp.vm, "dirty logging: idmap_s2_map_range_bbm");
        }
    }
    hyp_unlock();
    return handled;
}

int dirty_log_translation_fault(uint64_t ipa)
{
    if (!in_ram(ipa))
        return 0;
    const idmap_region_t page = page_of(ipa);
    hyp_lock();
    /* The other core held the lock while it split the block: it is valid again now, or
     * this fault is a bug to show. */
    const int valid = dirty.since && leaf_of(&page).valid;
    dirty.retries += valid;
    hyp_unlock();
    return valid;
}

static int add_writable(const idmap_region_t *region, const idmap_descriptor_t *d, unsigned level, void *ctx)
{
    (void)level;
    if (idmap_descriptor_flags(d) & IDMAP_S2_WRITE)
        *(uint64_t *)ctx += region->end - region->start;
    return 0;
}

void dirty_log_report(void)
{
    hyp_lock();
    if (dirty.since) {
        /* The map agrees: RAM is writable exactly where a fault made it so (all of it once
         * logging stopped). */
        uint64_t writable = 0;
        const idmap_region_t ram = idmap_region(hyp.ram.start, hyp.ram.end);
        linux_check(idmap_walk_range(hyp.vm, &ram, add_writable, &writable), hyp.vm,
                    "dirty logging: idmap_walk_range");
        if (writable != (dirty.on ? dirty.pages * PAGE : ram.end - ram.start))
            linux_die("dirty logging: the stage-2 map's writable RAM is not the pages counted");
        bm_printf("hypervisor: dirty logging: %llu pages written since %s%s (%u blocks split; translation "
                  "faults on a block mid-split, retried: %u)\n",
                  (unsigned long long)dirty.pages, dirty.since,
                  dirty.on ? "" : " until no table page was left for a split, then unlogged", dirty.splits,
                  dirty.retries);
    }
    hyp_unlock();
}
