/*
 * suite.c - the on-target test suite: the library against QEMU's Arm MMU model.
 *
 * Prints one line per case, "ok N - name" or "not ok N - name: details" (more details
 * follow as "#" lines), then "N passed, M failed, K skipped" (check.h); bm_main returns
 * 0 iff none failed, which is QEMU's exit status (semihosting).
 *
 * What it checks (issue 3):
 *  - for several layouts (blocks, pages, ragged edges, attributes, holes, overrides) at
 *    root levels 0, 1, 2 (and 3 where ID_AA64MMFR2_EL1.ST says FEAT_TTST), for a few
 *    hundred addresses each, that AT S1E1R / AT S1E1W and PAR_EL1 agree with
 *    idmap_walk_range (output address, fault exactly where invalid and at the level of
 *    the invalid entry, memory attributes and shareability, write permission) and with
 *    the flags the test mapped;
 *  - faults taken through the vector table: a write to READ_ONLY (page, 2 MiB and
 *    1 GiB block), execution from EXECUTE_NEVER, unmapped accesses at each level;
 *  - map_range on a live map is usable at once; activate/deactivate set and restore
 *    TTBR0_EL1 and deactivate invalidates the ASID; break-before-make violations are
 *    refused while active, accepted after deactivate, effective after activate;
 *  - idmap_map_range_to on a live map: an alias of RAM at another VA is a 2 MiB block
 *    where both addresses are 2 MiB-aligned and pages where the PA is only 4 KiB-aligned,
 *    and reads and writes the same memory as the identity address; changing its output
 *    address live is refused (IDMAP_BBM_OUTPUT_ADDRESS); unmapped (or made invalid) and
 *    mapped to another frame, loads through it see the new frame (the break's TLBI);
 *    a PA at another offset in its page than the VA is refused (IDMAP_ARG_PA_PAGE_OFFSET);
 *  - range TLB invalidation: 77 live pages made READ_ONLY in one call (a TLBI by VA and
 *    range TLBIs with FEAT_TLBIRANGE, else the whole regime), then 17 live 1 GiB blocks
 *    (past 2^21 pages: the whole regime): a store through each faults, neighbours stay
 *    writable;
 *  - live block splits (FEAT_BBM): where ID_AA64MMFR2_EL1.BBM says so, a live 2 MiB block
 *    split by map_range (a page READ_ONLY), unmap_range (a page) and change_attributes (two
 *    pages READ_ONLY) with the map in use: stores fault exactly there, at level 3, the rest
 *    of the block keeps its data and takes stores, and a memory type change below the
 *    split is still refused (IDMAP_BBM_MEMORY_TYPE); without it the policy is refused
 *    (IDMAP_ARG_NO_BBM);
 *  - common not private (FEAT_TTCNP): with ID_AA64MMFR2_EL1.CnP, idmap_activate and
 *    idmap_enable_mmu load TTBR0_EL1 with CnP (bit 0), a page of the map reads and writes
 *    and an unmapped one faults through it, and off again the bit is gone; without it, the
 *    policy is refused (IDMAP_ARG_NO_CNP);
 *  - the seed's example scenario;
 *  - hardware Access flag and dirty state (FEAT_HAFDBS): idmap_set_hardware_updates takes
 *    what ID_AA64MMFR1_EL1.HAFDBS allows and refuses the rest; where the dirty state is
 *    there, pages and a 2 MiB block mapped under IDMAP_HW_DIRTY are clean (DBM, AP[2]),
 *    idmap_enable_mmu sets TCR_EL1.HA and HD, stores go through and make them dirty, and
 *    idmap_collect_dirty reports exactly the pages stored to and makes them clean, round
 *    after round (a page stored to in two rounds needs its TLB entry invalidated); where
 *    the Access flag is, leaves without AF are accessed without a fault and get AF;
 *  - tables that protect themselves (idmap_protect_tables): a map that maps its own table
 *    pages by pages, protected in itself and then enabled: a store to each table page
 *    takes a permission fault (level 3, FAR the address) and changes nothing, the writers
 *    are refused (IDMAP_ARG_TABLES_READ_ONLY) without a fault, the walk reads the tables,
 *    unprotecting is refused while it is live; disabled, unprotected and enabled again,
 *    the stores go through and map_range works. Another map's tables protected in the
 *    live home map: a store that went through faults at once, and goes through again
 *    once unprotected; tables mapped by a block, or not at all, are refused;
 *  - idmap_enable_mmu / idmap_disable_mmu: register values, switching between maps of
 *    different root levels, and turning the MMU off at the end.
 *
 * Every map that is switched to maps this image (code read-only executable, data and
 * stack read-write), except where the image cannot lie inside the map's range (qemu-virt
 * RAM is at 1 GiB): there the AT checks run from a flash page (at_trampoline.S).
 * While such a test map is live nothing is printed (the UART may be outside it):
 * results are collected and printed after switching back to the home map.
 */
#include "bm.h"
#include "board.h"
#include "check.h"
#include "idmap.h"
#include "idmap_check.h"

#define PAGE 0x1000ULL
#define MIB2 0x200000ULL
#define GIB1 0x40000000ULL

#define V IDMAP_ATTR_VALID
#define NG IDMAP_ATTR_NON_GLOBAL
#define XN IDMAP_ATTR_EXECUTE_NEVER
#define RO IDMAP_ATTR_READ_ONLY
#define NORMAL IDMAP_ATTR_NORMAL
#define DEV IDMAP_ATTR_DEVICE_NGNRE
/* What the image and the board need, in every map (all non-global: maps with different
 * ASIDs are switched in and out). */
#define F_CODE (NORMAL | RO | NG | V)
#define F_RODATA (NORMAL | RO | XN | NG | V)
#define F_DATA (NORMAL | XN | NG | V)
#define F_DEVICE (DEV | XN | NG | V)

/* Descriptor bits the flags of map_range decide (AttrIndx, NS, AP, SH, nG, DBM, PXN,
 * UXN, software bits); VALID, TABLE_OR_PAGE, AF and the contiguous bit are compared
 * separately or belong to the library. */
#define DESC_ATTR_MASK                                                                     \
    ((7ULL << 2) | (1ULL << 5) | (3ULL << 6) | (3ULL << 8) | (1ULL << 11) | (1ULL << 51) | \
     (3ULL << 53) | (0xfULL << 55))
#define ATTRINDX(d) (((d) >> 2) & 7)
#define DESC_SH(d) (((d) >> 8) & 3)

#define RAM(off) (BOARD_RAM_BASE + (off))
/* RAM used by the cases below: 64 MiB into RAM, clear of every board's image. */
#define CNP_SLOT RAM(0x04000000ULL)      /* common not private: a page, the next one unmapped */
#define SEED_REGION RAM(0x04200000ULL)   /* the seed's 0x80200000..0x80400000, moved */
#define RO_BLOCK RAM(0x05000000ULL)      /* READ_ONLY 2 MiB block */
#define HOLE_TABLE RAM(0x05200000ULL)    /* one page mapped, the next ones not */
#define HOLE_BLOCK RAM(0x05400000ULL)    /* an unmapped 2 MiB slot */
#define LIVE_PAGE RAM(0x05600000ULL)     /* mapped while the map is live */
#define LIVE_BLOCK RAM(0x05800000ULL)    /* mapped while the map is live */
#define BBM_BLOCK RAM(0x05a00000ULL)     /* break-before-make cases */
#define FLUSH_PAGE RAM(0x05c00000ULL)    /* read-only in the home map */
#define SPLIT_BLOCK BBM_BLOCK            /* live splits: the same 2 MiB, in a map of their own */
#define COALESCE_BLOCK RAM(0x04600000ULL) /* pages, then one 2 MiB block again */
#define ALIAS_RAM RAM(0x04800000ULL)     /* 6 MiB: the frames the aliases map */
#define ALIAS_VA 0x4000000000ULL         /* 256 GiB, above every board's RAM: the aliases */
#define RANGE_SLOT RAM(0x05e00000ULL)    /* range TLBI cases: the pages, then the words */
#define RANGE_START (RANGE_SLOT + 3 * PAGE) /* aligned to no range operation's size */
#define RANGE_WORDS (RANGE_SLOT + 0x100000ULL) /* a word a page, one per 1 GiB block */
#define RANGE_PAGES 77ULL                /* odd, no power of two: TLBI VALE1IS, SCALE 0 and 1 */
#define TLB_FILL_VA ALIAS_VA             /* in the range cases' map: QEMU's TLB grown through it */
#define TLB_FILL_PAGES 6144ULL           /* 24 MiB of RAM, read-only */
#define RANGE_GIB 0x2000000000ULL        /* 128 GiB: 1 GiB blocks over more than 2^21 pages */
#define RANGE_GIBS 17ULL                 /* one more than a TLB batch holds */
#define RO_GIB 0x1000000000ULL           /* 64 GiB: a READ_ONLY 1 GiB block (no memory) */
#define HOLE_GIB 0x200000000ULL          /* 8 GiB: an unmapped 1 GiB slot */
#define HOLE_L0 0x10000000000ULL         /* 1 TiB: an unmapped level-0 slot */
#define DIRTY_PAGES RAM(0x04400000ULL)   /* hardware dirty state: DIRTY_N pages, then the AF pages */
#define DIRTY_BLOCK RAM(0x04e00000ULL)   /* hardware dirty state and Access flag: a 2 MiB block */
#define DIRTY_N 16ULL                    /* one word of a dirty bitmap */
#define DIRTY_RO 8ULL                    /* the page of DIRTY_PAGES mapped READ_ONLY: no DBM */
#define AF_PAGES (DIRTY_PAGES + 0x100000ULL) /* hardware Access flag: three pages */
#define PROTECT_POOL RAM(0x04000000ULL)  /* protected tables: the pages of two pools, by pages in the home map */
#define PROTECT_PAGES 32ULL              /* a pool's pages: a map's tables */
#define PROTECT_SPARE (PROTECT_POOL + 0x100000ULL) /* a page mapped once the tables are writable again */

#if BOARD_RAM_SIZE < 0x06000000ULL
#error "the target suite uses the first 96 MiB of RAM"
#endif

#define HOME_ASID 1

static uint8_t ro_page[4096] __attribute__((aligned(4096)));
static uint8_t xn_page[4096] __attribute__((aligned(4096)));
static uint8_t exec_page[4096] __attribute__((aligned(4096)));

/* ---------------------------------------------------------------------------------
 * System registers */

struct mmu_regs {
    uint64_t sctlr, tcr, mair, ttbr0;
};

static struct mmu_regs read_mmu_regs(void)
{
    struct mmu_regs r;
    r.sctlr = BM_READ_SYSREG(sctlr_el1);
    r.tcr = BM_READ_SYSREG(tcr_el1);
    r.mair = BM_READ_SYSREG(mair_el1);
    r.ttbr0 = BM_READ_SYSREG(ttbr0_el1);
    return r;
}

static void check_regs_equal(const char *what, struct mmu_regs got, struct mmu_regs want)
{
    CHECK(got.sctlr == want.sctlr, "%s: SCTLR_EL1 0x%llx, expected 0x%llx", what,
          (unsigned long long)got.sctlr, (unsigned long long)want.sctlr);
    CHECK(got.tcr == want.tcr, "%s: TCR_EL1 0x%llx, expected 0x%llx", what,
          (unsigned long long)got.tcr, (unsigned long long)want.tcr);
    CHECK(got.mair == want.mair, "%s: MAIR_EL1 0x%llx, expected 0x%llx", what,
          (unsigned long long)got.mair, (unsigned long long)want.mair);
    CHECK(got.ttbr0 == want.ttbr0, "%s: TTBR0_EL1 0x%llx, expected 0x%llx", what,
          (unsigned long long)got.ttbr0, (unsigned long long)want.ttbr0);
}

static unsigned log2_u64(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

static uint64_t ttbr_of(const idmap_t *map, uint64_t asid)
{
    return idmap_root_address(map) | (asid << 48);
}

static int have_ttst(void)
{
    return ((bm_read_id_aa64mmfr2() >> 28) & 0xf) != 0;
}

/* FEAT_TTCNP: ID_AA64MMFR2_EL1.CnP (bits 3:0), as the library reads it. */
static int have_cnp(void)
{
    return (bm_read_id_aa64mmfr2() & 0xf) != 0;
}

/* FEAT_TLBIRANGE: ID_AA64ISAR0_EL1.TLB (bits 59:56) 0b0010, as the library reads it. */
static int have_tlbi_range(void)
{
    return ((BM_READ_SYSREG(id_aa64isar0_el1) >> 56) & 0xf) >= 2;
}

/* ID_AA64MMFR1_EL1.HAFDBS (bits 3:0): 1, the hardware sets the Access flag; 2, it
 * updates the dirty state too (FEAT_HAFDBS). */
static unsigned hafdbs_of(uint64_t mmfr1)
{
    return (unsigned)(mmfr1 & 0xf);
}

/* ---------------------------------------------------------------------------------
 * Layouts: what a test map maps, in order (a later entry overrides an earlier one). */

struct spec {
    uint64_t start, end, flags;
    uint32_t constraints;
};

#define MAX_SPECS 48
struct layout {
    const char *name;
    unsigned level;
    uint64_t size;
    unsigned n, nbase;
    struct spec s[MAX_SPECS];
    uint64_t window_lo, window_hi; /* where the layout's own regions lie */
};

static struct layout g_layout; /* one at a time; large */

static void lay_init(struct layout *l, const char *name, unsigned level)
{
    l->name = name;
    l->level = level;
    l->size = PAGE << (9 * (4 - level));
    l->n = l->nbase = 0;
    l->window_lo = l->window_hi = 0;
}

static void lay_put(struct layout *l, uint64_t start, uint64_t end, uint64_t flags,
                    uint32_t constraints)
{
    if (l->n < MAX_SPECS && start < end && end <= l->size)
        l->s[l->n++] = (struct spec){start, end, flags, constraints};
}

static int overlaps_base(const struct layout *l, uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < l->nbase; i++)
        if (start < l->s[i].end && l->s[i].start < end)
            return 1;
    return 0;
}

/* A region of the layout proper; left out where it would overlap the image, the
 * devices or the flash pages (these stay mapped as the program needs them). */
static void lay_add(struct layout *l, uint64_t start, uint64_t end, uint64_t flags,
                    uint32_t constraints)
{
    if (!overlaps_base(l, start, end))
        lay_put(l, start, end, flags, constraints);
}

static uint64_t img_start(void) { return (uintptr_t)__image_start; }
static uint64_t img_end(void) { return (uintptr_t)__image_end; }

static int image_fits(uint64_t size)
{
    return img_end() <= size;
}

/* The image (code read-only executable, rodata read-only, data/bss/stack read-write,
 * execute-never), the device window (clipped to the map) and the flash pages that
 * hold the AT trampolines. */
static void lay_add_base(struct layout *l)
{
    if (image_fits(l->size)) {
        lay_put(l, img_start(), (uintptr_t)__text_end, F_CODE, 0);
        lay_put(l, (uintptr_t)__text_end, (uintptr_t)__rodata_end, F_RODATA, 0);
        lay_put(l, (uintptr_t)__rodata_end, img_end(), F_DATA, 0);
    }
    if (BOARD_DEVICE_BASE < l->size) {
        uint64_t end = BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE;
        lay_put(l, BOARD_DEVICE_BASE, end < l->size ? end : l->size, F_DEVICE, 0);
    }
#ifdef LOWTEXT_A_ADDR
    lay_put(l, LOWTEXT_A_ADDR, LOWTEXT_A_ADDR + PAGE, F_CODE, 0);
#endif
#ifdef LOWTEXT_B_ADDR
    lay_put(l, LOWTEXT_B_ADDR, LOWTEXT_B_ADDR + PAGE, F_CODE, 0);
#endif
    l->nbase = l->n;
}

static const struct spec *lay_lookup(const struct layout *l, uint64_t va)
{
    const struct spec *found = 0;
    for (unsigned i = 0; i < l->n; i++)
        if (va >= l->s[i].start && va < l->s[i].end)
            found = &l->s[i];
    return found;
}

/* Maps the layout into map; on failure fails the current case and answers non-zero. */
static int lay_map(idmap_t *map, const struct layout *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        const struct spec *s = &l->s[i];
        idmap_region_t r = idmap_region(s->start, s->end);
        idmap_status_t st = idmap_map_range_with_constraints(map, &r, s->flags, s->constraints);
        if (st != IDMAP_OK) {
            fail("map_range [0x%llx, 0x%llx) flags 0x%llx: %s", (unsigned long long)s->start,
                 (unsigned long long)s->end, (unsigned long long)s->flags,
                 last_error_text(map));
            return 1;
        }
    }
    return 0;
}

/* Blocks at every level, ragged edges, read-only blocks, pages only, invalid entries.
 * w: a 1 GiB-aligned window base (root levels 0 and 1) or 2 MiB-aligned (level 2). */
static void layout_blocks(struct layout *l, uint64_t w)
{
    if (l->level <= 1) {
        /* pages, 2 MiB blocks, a 1 GiB block, 2 MiB blocks, pages */
        lay_add(l, w + 0x3000, w + 2 * GIB1 + 3 * MIB2 + 0x5000, NORMAL | XN | NG | V, 0);
        lay_add(l, w + 3 * GIB1, w + 4 * GIB1, DEV | XN | NG | V, 0);
        lay_add(l, w + 4 * GIB1 + 5 * MIB2, w + 4 * GIB1 + 9 * MIB2, NORMAL | RO | NG | V, 0);
        lay_add(l, w + 5 * GIB1 - 0x2000, w + 5 * GIB1 + 0x3000, NORMAL | RO | XN | NG | V, 0);
        lay_add(l, w + 6 * GIB1, w + 6 * GIB1 + 4 * MIB2 + 0x3000, NORMAL | XN | NG | V,
                IDMAP_NO_BLOCK_MAPPINGS);
        lay_add(l, w + 7 * GIB1, w + 7 * GIB1 + 2 * MIB2, NORMAL | XN | NG, 0); /* not VALID */
        lay_add(l, w + 8 * GIB1, w + 10 * GIB1, NORMAL | RO | XN | NG | V, 0);
        lay_add(l, w + 9 * GIB1 - MIB2, w + 9 * GIB1 + MIB2, NORMAL | XN | NG, 0); /* hole */
        l->window_lo = w;
        l->window_hi = w + 11 * GIB1;
        if (l->level == 0) {
            /* across the first level-0 boundary (512 GiB), and up to the very end */
            lay_add(l, 0x8000000000ULL - MIB2 - 0x1000, 0x8000000000ULL + MIB2 + 0x1000,
                    NORMAL | XN | NG | V, 0);
            lay_add(l, l->size - GIB1 - 0x1000, l->size, DEV | XN | NG | V, 0);
        } else {
            lay_add(l, l->size - MIB2 - 0x1000, l->size, NORMAL | XN | NG | V, 0);
        }
    } else {
        lay_add(l, w + 0x3000, w + 3 * MIB2 + 0x5000, NORMAL | XN | NG | V, 0);
        lay_add(l, w + 4 * MIB2, w + 6 * MIB2, DEV | XN | NG | V, 0);
        lay_add(l, w + 8 * MIB2, w + 10 * MIB2, NORMAL | RO | NG | V, 0);
        lay_add(l, w + 12 * MIB2 - 0x2000, w + 12 * MIB2 + 0x3000, NORMAL | RO | XN | NG | V, 0);
        lay_add(l, w + 14 * MIB2, w + 16 * MIB2 + 0x3000, NORMAL | XN | NG | V,
                IDMAP_NO_BLOCK_MAPPINGS);
        lay_add(l, w + 18 * MIB2, w + 20 * MIB2, NORMAL | XN | NG, 0); /* not VALID */
        lay_add(l, l->size - MIB2 - 0x1000, l->size, NORMAL | XN | NG | V, 0);
        l->window_lo = w;
        l->window_hi = w + 21 * MIB2;
    }
}

/* Page by page attributes, then blocks overridden by smaller regions (splits, holes).
 * w: 2 MiB aligned; uses 20 MiB from w. */
static void layout_attributes(struct layout *l, uint64_t w)
{
    static const uint64_t page_flags[] = {
        NORMAL | XN | NG | V,
        NORMAL | RO | NG | V,
        DEV | XN | NG | V,
        NORMAL | IDMAP_ATTR_USER | XN | NG | V,
        NORMAL | RO | XN | NG | V,
        NORMAL | XN | NG, /* not VALID */
        0,                /* nothing mapped (left as a hole below) */
        DEV | RO | XN | NG | V,
        NORMAL | IDMAP_ATTR_USER | RO | NG | V,
        NORMAL | IDMAP_ATTR_SWFLAG_0 | IDMAP_ATTR_SWFLAG_3 | XN | NG | V,
        NORMAL | IDMAP_ATTR_DBM | XN | NG | V,
        NORMAL | V, /* global */
        DEV | NG | V,
    };
    unsigned n = sizeof page_flags / sizeof page_flags[0];
    for (unsigned i = 0; i < n; i++)
        if (page_flags[i])
            lay_add(l, w + (i + 3) * PAGE, w + (i + 4) * PAGE, page_flags[i], 0);
    /* 2 MiB blocks, then a device run, a hole and a read-only run across a block edge */
    lay_add(l, w + MIB2, w + 5 * MIB2, NORMAL | XN | NG | V, 0);
    lay_add(l, w + 2 * MIB2 + 0x4000, w + 2 * MIB2 + 0x6000, DEV | XN | NG | V, 0);
    lay_add(l, w + 3 * MIB2, w + 3 * MIB2 + 0x1000, NORMAL | XN | NG, 0);
    lay_add(l, w + 4 * MIB2 - 0x1000, w + 4 * MIB2 + 0x1000, NORMAL | RO | NG | V, 0);
    lay_add(l, w + 6 * MIB2, w + 7 * MIB2, DEV | RO | XN | NG | V, 0);
    /* an invalid block with one valid page inside it */
    lay_add(l, w + 8 * MIB2, w + 9 * MIB2, NORMAL | XN | NG, 0);
    lay_add(l, w + 8 * MIB2 + 0x10000, w + 8 * MIB2 + 0x11000, NORMAL | XN | NG | V, 0);
    /* a block made invalid again after being mapped */
    lay_add(l, w + 9 * MIB2, w + 10 * MIB2, NORMAL | XN | NG | V, 0);
    lay_add(l, w + 9 * MIB2, w + 10 * MIB2, DEV | XN | NG, 0);
    l->window_lo = w;
    l->window_hi = w + 10 * MIB2;
}

/* Root level 3: 2 MiB of address space, pages only. */
static void layout_level3(struct layout *l)
{
    lay_add(l, 0x3000, 0x9000, NORMAL | XN | NG | V, 0);
    lay_add(l, 0x10000, 0x20000, NORMAL | RO | NG | V, 0);
    lay_add(l, 0x40000, 0x42000, DEV | XN | NG | V, 0);
    lay_add(l, 0x50000, 0x54000, NORMAL | XN | NG, 0); /* not VALID */
    lay_add(l, 0x80000, 0x81000, NORMAL | RO | XN | NG | V, 0);
    lay_add(l, 0x81000, 0x82000, DEV | RO | XN | NG | V, 0);
    lay_add(l, 0x82000, 0x83000, NORMAL | IDMAP_ATTR_USER | NG | V, 0);
    lay_add(l, 0x1fe000, 0x200000, NORMAL | XN | NG | V, 0);
    l->window_lo = 0;
    l->window_hi = l->size;
}

/* ---------------------------------------------------------------------------------
 * Walking one address */

static const char *leaf_text_of(const idmap_t *map, uint64_t va)
{
    struct leaf lf = walk_va(map, va);
    return leaf_text(&lf);
}

/* ---------------------------------------------------------------------------------
 * Samples and the AT comparison */

#define MAX_SAMPLES 700
static uint64_t s_va[MAX_SAMPLES], s_par_r[MAX_SAMPLES], s_par_w[MAX_SAMPLES];
static unsigned s_n;
static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void sample(uint64_t va)
{
    for (unsigned i = 0; i < s_n; i++)
        if (s_va[i] == va)
            return;
    if (s_n < MAX_SAMPLES)
        s_va[s_n++] = va;
}

static void sample_edges(uint64_t start, uint64_t end, uint64_t size)
{
    if (start)
        sample(start - 1);
    sample(start);
    sample(start + 0x80);
    if (start + PAGE < end)
        sample(start + PAGE);
    sample(start + ((end - start) / 2 & ~(PAGE - 1)) + 0x18);
    if (end - PAGE > start)
        sample(end - PAGE);
    sample(end - 1);
    if (end < size)
        sample(end);
    /* the first block boundaries inside */
    uint64_t b2 = (start + MIB2) & ~(MIB2 - 1);
    if (b2 < end) {
        sample(b2 - 1);
        sample(b2);
    }
    uint64_t b1 = (start + GIB1) & ~(GIB1 - 1);
    if (b1 < end) {
        sample(b1 - PAGE);
        sample(b1);
    }
}

static void make_samples(const struct layout *l, uint64_t seed)
{
    s_n = 0;
    rng_state = seed | 1;
    for (unsigned i = l->nbase; i < l->n; i++)
        sample_edges(l->s[i].start, l->s[i].end, l->size);
    for (unsigned i = 0; i < l->nbase; i++) {
        sample(l->s[i].start);
        sample(l->s[i].end - 1);
        if (l->s[i].end < l->size)
            sample(l->s[i].end);
    }
    unsigned bits = log2_u64(l->size);
    for (unsigned i = 0; i < 60; i++) { /* log-uniform over the whole map */
        unsigned b = 12 + (unsigned)(rng() % (bits - 11));
        sample(rng() & ((b >= 64 ? ~0ULL : (1ULL << b) - 1)));
    }
    for (unsigned i = 0; i < 60; i++) /* uniform over the layout's window */
        sample(l->window_lo + rng() % (l->window_hi - l->window_lo));
    /* past the end of the map, and in the TTBR1 half */
    sample(l->size);
    sample(l->size + 0x123000);
    if (l->level > 0)
        sample(l->size * 2 - PAGE);
    sample(0xffff000000000000ULL);
    sample(0xfffffffffffff000ULL);
}

static unsigned mair_attr(unsigned index)
{
    return (unsigned)(IDMAP_MAIR_DEFAULT >> (8 * index)) & 0xff;
}

/* What the memory type asked for (IDMAP_ATTR_NORMAL, IDMAP_ATTR_DEVICE_NGNRE) reads as
 * in PAR_EL1.ATTR: the contract's meaning, not the descriptor's. */
static unsigned intended_attr(uint64_t flags)
{
    if ((flags & (7ULL << 2)) == (NORMAL & (7ULL << 2)))
        return 0xff;
    if ((flags & (7ULL << 2)) == (DEV & (7ULL << 2)))
        return 0x04;
    return mair_attr(ATTRINDX(flags));
}

static int is_translation_fault(uint64_t par)
{
    return (par & BM_PAR_F) && (BM_PAR_FST(par) & 0x3c) == 0x04;
}

static unsigned n_mismatch;
/* Output addresses at or above 2^g_pa_bits (TCR_EL1.IPS of the live map) take an
 * address size fault instead of translating. */
static unsigned g_pa_bits = 48;

static unsigned ips_bits(uint64_t tcr)
{
    static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
    return bits[(tcr >> 32) & 7];
}

static void compare_one(const idmap_t *map, const struct layout *l, uint64_t va, uint64_t pr,
                        uint64_t pw)
{
    char why[200];
    size_t wl = 0;
#define WHY(...)                                                                  \
    do {                                                                          \
        if (wl < sizeof why - 1)                                                  \
            wl += bm_snprintf(why + wl, sizeof why - wl, "%s", wl ? "; " : ""); \
        if (wl < sizeof why - 1)                                                  \
            wl += bm_snprintf(why + wl, sizeof why - wl, __VA_ARGS__);            \
    } while (0)

    struct leaf lf = walk_va(map, va);
    const struct spec *sp = va < l->size ? lay_lookup(l, va) : 0;
    int m_valid = sp && (sp->flags & V);
    uint64_t page = va & ~(PAGE - 1);

    if (va >= l->size) {
        if (lf.status != IDMAP_ERR_ADDRESS_RANGE)
            WHY("outside the map, but walk_range answered %s", status_name(lf.status));
        if (!is_translation_fault(pr) || !is_translation_fault(pw))
            WHY("outside the map: expected translation faults");
    } else if (lf.status != IDMAP_OK || lf.found != 1) {
        WHY("expected exactly one leaf from walk_range");
    } else {
        int d_valid = (lf.desc & V) != 0;
        unsigned lvl = lf.level;
        /* the tables against what was mapped */
        if (d_valid != m_valid)
            WHY("tables say %s, mapped %s", d_valid ? "valid" : "invalid",
                m_valid ? "valid" : "nothing valid");
        if (d_valid && m_valid) {
            if ((lf.desc & DESC_ATTR_MASK) != (sp->flags & DESC_ATTR_MASK))
                WHY("descriptor attributes 0x%llx, mapped 0x%llx",
                    (unsigned long long)(lf.desc & DESC_ATTR_MASK),
                    (unsigned long long)(sp->flags & DESC_ATTR_MASK));
            if (!(lf.desc & IDMAP_ATTR_ACCESSED))
                WHY("AF clear");
        }
        if (d_valid) {
            idmap_descriptor_t d = {lf.desc};
            uint64_t pa = idmap_descriptor_output_address(&d) + ((va - lf.region.start) & ~(PAGE - 1));
            if (pa != page)
                WHY("tables give PA 0x%llx, not the identity", (unsigned long long)pa);
            /* the hardware against the tables */
            if (g_pa_bits < 64 && (pa >> g_pa_bits) != 0) {
                /* beyond the PA size: address size fault at the entry's level */
                if (!(pr & BM_PAR_F) || BM_PAR_FST(pr) != lvl || !(pw & BM_PAR_F) ||
                    BM_PAR_FST(pw) != lvl)
                    WHY("PA beyond %u bits (TCR.IPS): expected address size faults, level %u "
                        "(FST 0x%02x)", g_pa_bits, lvl, lvl);
            } else if (pr & BM_PAR_F) {
                WHY("AT S1E1R faulted on a valid entry");
            } else {
                if (BM_PAR_PA(pr) != pa)
                    WHY("AT S1E1R PA 0x%llx, tables 0x%llx", (unsigned long long)BM_PAR_PA(pr),
                        (unsigned long long)pa);
                if (BM_PAR_ATTR(pr) != mair_attr(ATTRINDX(lf.desc)))
                    WHY("PAR.ATTR 0x%02x, AttrIndx %u means 0x%02x", (unsigned)BM_PAR_ATTR(pr),
                        (unsigned)ATTRINDX(lf.desc), mair_attr(ATTRINDX(lf.desc)));
                int device = (mair_attr(ATTRINDX(lf.desc)) & 0xf0) == 0;
                if (BM_PAR_SH(pr) != DESC_SH(lf.desc) && !(device && BM_PAR_SH(pr) == 2))
                    WHY("PAR.SH %u, descriptor SH %u", (unsigned)BM_PAR_SH(pr),
                        (unsigned)DESC_SH(lf.desc));
                /* ... and against what was asked */
                if (m_valid && BM_PAR_ATTR(pr) != intended_attr(sp->flags))
                    WHY("PAR.ATTR 0x%02x, the flags mapped mean 0x%02x", (unsigned)BM_PAR_ATTR(pr),
                        intended_attr(sp->flags));
                if (m_valid && intended_attr(sp->flags) == 0xff && BM_PAR_SH(pr) != 3)
                    WHY("PAR.SH %u for NORMAL, which is inner shareable (3)",
                        (unsigned)BM_PAR_SH(pr));
            }
            if (g_pa_bits < 64 && (pa >> g_pa_bits) != 0) {
                /* checked above */
            } else if (lf.desc & RO) {
                if (!(pw & BM_PAR_F) || BM_PAR_FST(pw) != (unsigned)BM_FSC_PERMISSION(lvl))
                    WHY("read-only: AT S1E1W should give a permission fault level %u (FST 0x%02x)",
                        lvl, (unsigned)BM_FSC_PERMISSION(lvl));
            } else if (pw & BM_PAR_F) {
                WHY("AT S1E1W faulted on a writable entry");
            } else if (BM_PAR_PA(pw) != pa) {
                WHY("AT S1E1W PA 0x%llx, tables 0x%llx", (unsigned long long)BM_PAR_PA(pw),
                    (unsigned long long)pa);
            }
            if (m_valid && !!(lf.desc & RO) != !!(sp->flags & RO))
                WHY("write permission differs from the flags mapped");
        } else {
            unsigned fst = BM_FSC_TRANSLATION(lvl);
            if (!(pr & BM_PAR_F) || BM_PAR_FST(pr) != fst)
                WHY("invalid entry: AT S1E1R should give a translation fault level %u (FST 0x%02x)",
                    lvl, fst);
            if (!(pw & BM_PAR_F) || BM_PAR_FST(pw) != fst)
                WHY("invalid entry: AT S1E1W should give a translation fault level %u (FST 0x%02x)",
                    lvl, fst);
        }
    }
    if (wl) {
        char r[64], w[64], asked[48];
        n_mismatch++;
        if (sp)
            bm_snprintf(asked, sizeof asked, "flags 0x%llx", (unsigned long long)sp->flags);
        else
            bm_snprintf(asked, sizeof asked, "nothing");
        fail("va 0x%llx: %s | hardware: AT S1E1R %s, AT S1E1W %s | tables: %s | mapped: %s",
             (unsigned long long)va, why, par_text(r, sizeof r, pr), par_text(w, sizeof w, pw),
             leaf_text(&lf), asked);
    }
#undef WHY
}

/* ---------------------------------------------------------------------------------
 * Running AT under a map */

struct tt_par2 {
    uint64_t read, write;
};
#ifdef LOWTEXT_A_ADDR
struct tt_par2 tt_at_trampoline_a(uint64_t tcr, uint64_t ttbr, uint64_t va);
#endif
#ifdef LOWTEXT_B_ADDR
struct tt_par2 tt_at_trampoline_b(uint64_t tcr, uint64_t ttbr, uint64_t va);
#endif

typedef struct tt_par2 (*trampoline_fn)(uint64_t, uint64_t, uint64_t);

/* A trampoline inside [0, size) whose page this CPU can fetch from (flash0 is
 * secure-only on virt with secure=on), or NULL. The home map must be enabled. */
static trampoline_fn find_trampoline(uint64_t size)
{
#ifdef LOWTEXT_A_ADDR
    static const struct {
        uint64_t addr;
        trampoline_fn fn;
    } t[] = {
        {LOWTEXT_A_ADDR, tt_at_trampoline_a},
#ifdef LOWTEXT_B_ADDR
        {LOWTEXT_B_ADDR, tt_at_trampoline_b},
#endif
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].addr + PAGE > size)
            continue;
        bm_expect_fault();
        bm_probe_read(t[i].addr, 0);
        if (!bm_fault_taken())
            return t[i].fn;
    }
#else
    (void)size;
#endif
    return 0;
}

static idmap_t *g_home;
static idmap_mmu_config_t g_home_cfg;
static struct mmu_regs g_regs_home;

static uint64_t t0sz_for(uint64_t size)
{
    return 64 - log2_u64(size);
}

/* Builds the layout in a new map at its root level, translates the samples with the map
 * live, and compares. One case. */
static void run_layout_case(unsigned seed)
{
    struct layout *l = &g_layout;
    uint64_t asid = 16 + seed;
    int via_enable = image_fits(l->size);
    trampoline_fn tramp = via_enable ? 0 : find_trampoline(l->size);

    case_begin("root level %u, %s: AT S1E1R/W agree with walk_range and the flags mapped (%s)",
               l->level, l->name, via_enable ? "idmap_enable_mmu" : "flash trampoline");
    if (!via_enable && !tramp) {
        case_skip("the image cannot lie inside a %llu KiB map here",
                  (unsigned long long)(l->size >> 10));
        case_end();
        return;
    }
    idmap_t *map = idmap_new(asid, l->level);
    if (!CHECK(map, "idmap_new(%llu, %u) answered NULL", (unsigned long long)asid, l->level)) {
        case_end();
        return;
    }
    if (lay_map(map, l)) {
        idmap_free(map);
        case_end();
        return;
    }
    make_samples(l, 0x9e3779b97f4a7c15ULL * (seed + 1));

    idmap_mmu_config_t cfg;
    idmap_status_t st = idmap_mmu_config(map, BM_READ_SYSREG(id_aa64mmfr0_el1), &cfg);
    CHECK(st == IDMAP_OK, "idmap_mmu_config: %s", status_name(st));
    CHECK((cfg.tcr & 0x3f) == t0sz_for(l->size), "idmap_mmu_config: TCR.T0SZ %llu, expected %llu",
          (unsigned long long)(cfg.tcr & 0x3f), (unsigned long long)t0sz_for(l->size));
    CHECK(cfg.ttbr == ttbr_of(map, asid), "idmap_mmu_config: TTBR 0x%llx, expected 0x%llx",
          (unsigned long long)cfg.ttbr, (unsigned long long)ttbr_of(map, asid));

    struct mmu_regs live = {0, 0, 0, 0}, after;
    idmap_status_t st_on = IDMAP_OK, st_off = IDMAP_OK;
    if (via_enable) {
        /* Nothing is printed until disable_mmu: the UART may be outside this map. */
        st_on = idmap_enable_mmu(map);
        if (st_on == IDMAP_OK) {
            live = read_mmu_regs();
            for (unsigned i = 0; i < s_n; i++) {
                s_par_r[i] = bm_at_s1e1r(s_va[i]);
                s_par_w[i] = bm_at_s1e1w(s_va[i]);
            }
            st_off = idmap_disable_mmu(map);
        }
    } else if (st == IDMAP_OK) {
        for (unsigned i = 0; i < s_n; i++) {
            struct tt_par2 p = tramp(cfg.tcr, cfg.ttbr, s_va[i]);
            s_par_r[i] = p.read;
            s_par_w[i] = p.write;
        }
    }
    after = read_mmu_regs();

    if (via_enable) {
        CHECK(st_on == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st_on));
        CHECK(st_off == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st_off));
        if (st_on == IDMAP_OK) {
            CHECK(live.ttbr0 == ttbr_of(map, asid), "live TTBR0_EL1 0x%llx, expected 0x%llx",
                  (unsigned long long)live.ttbr0, (unsigned long long)ttbr_of(map, asid));
            CHECK(live.tcr == cfg.tcr, "live TCR_EL1 0x%llx, idmap_mmu_config said 0x%llx",
                  (unsigned long long)live.tcr, (unsigned long long)cfg.tcr);
            CHECK((live.sctlr & (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I)) ==
                      (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I),
                  "live SCTLR_EL1 0x%llx lacks M, C or I", (unsigned long long)live.sctlr);
        }
    }
    check_regs_equal("back on the home map", after, g_regs_home);

    n_mismatch = 0;
    g_pa_bits = ips_bits(cfg.tcr);
    if (st == IDMAP_OK && st_on == IDMAP_OK)
        for (unsigned i = 0; i < s_n; i++)
            compare_one(map, l, s_va[i], s_par_r[i], s_par_w[i]);
    idmap_free(map);
    if (n_mismatch)
        fail("%u of %u addresses disagree", n_mismatch, s_n);
    if (case_problems() == 0)
        case_name_append(", %u addresses", s_n);
    case_end();
}

static void layout_cases(unsigned level, unsigned *seed)
{
    struct layout *l = &g_layout;
    uint64_t w_blocks, w_attrs;
    switch (level) {
    case 0:
        w_blocks = 0x7d00000000ULL;  /* 500 GiB, up to the 512 GiB level-0 boundary */
        w_attrs = 0x8040000000ULL;   /* 513 GiB */
        break;
    case 1:
        w_blocks = 0x1000000000ULL;  /* 64 GiB */
        w_attrs = 0x2000000000ULL;
        break;
    default:
        w_blocks = 0x10000000ULL;    /* 256 MiB */
        w_attrs = 0x20000000ULL;
        break;
    }
    if (level == 3) {
        lay_init(l, "pages and holes", 3);
        lay_add_base(l);
        layout_level3(l);
        run_layout_case((*seed)++);
        return;
    }
    lay_init(l, "blocks, ragged edges, invalid blocks", level);
    lay_add_base(l);
    layout_blocks(l, w_blocks);
    run_layout_case((*seed)++);

    lay_init(l, "page attributes, splits and holes", level);
    lay_add_base(l);
    layout_attributes(l, w_attrs);
    run_layout_case((*seed)++);
}

/* The home map itself, live all along. */
static void home_map_case(void)
{
    struct layout *l = &g_layout;
    lay_init(l, "home map", 1);
    /* what build_home() mapped, in the same order */
    lay_put(l, BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE, NORMAL | XN | NG | V, 0);
    lay_put(l, FLUSH_PAGE, FLUSH_PAGE + PAGE, NORMAL | RO | XN | NG | V, 0);
    lay_put(l, PROTECT_POOL, PROTECT_POOL + 2 * PROTECT_PAGES * PAGE, F_DATA, IDMAP_NO_BLOCK_MAPPINGS);
    lay_add_base(l);
    l->window_lo = BOARD_RAM_BASE;
    l->window_hi = BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE > BOARD_RAM_BASE + BOARD_RAM_SIZE
                       ? BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE
                       : BOARD_RAM_BASE + BOARD_RAM_SIZE;
    case_begin("home map (root level 1): AT S1E1R/W agree with walk_range and the flags mapped");
    make_samples(l, 12345);
    for (unsigned i = 0; i < s_n; i++) {
        s_par_r[i] = bm_at_s1e1r(s_va[i]);
        s_par_w[i] = bm_at_s1e1w(s_va[i]);
    }
    n_mismatch = 0;
    g_pa_bits = ips_bits(g_home_cfg.tcr);
    for (unsigned i = 0; i < s_n; i++)
        compare_one(g_home, l, s_va[i], s_par_r[i], s_par_w[i]);
    if (n_mismatch)
        fail("%u of %u addresses disagree", n_mismatch, s_n);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * Faults through the vector table */

static idmap_t *new_map_with_base(uint64_t asid, unsigned level)
{
    struct layout *l = &g_layout;
    lay_init(l, "base", level);
    lay_add_base(l);
    idmap_t *map = idmap_new(asid, level);
    if (!map) {
        fail("idmap_new(%llu, %u) answered NULL", (unsigned long long)asid, level);
        return 0;
    }
    if (lay_map(map, l)) {
        idmap_free(map);
        return 0;
    }
    return map;
}

static int map_or_fail(idmap_t *map, uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(map, &r, flags);
    return CHECK(st == IDMAP_OK, "map_range [0x%llx, 0x%llx) flags 0x%llx: %s",
                 (unsigned long long)start, (unsigned long long)end, (unsigned long long)flags,
                 last_error_text(map));
}

/* Checks the recorded fault against the expected exception class, fault status code
 * and address; what the tables say about addr goes into the message. */
static void check_fault(const idmap_t *map, const char *what, uint64_t addr, unsigned ec,
                        unsigned fsc, int wnr)
{
    struct leaf lf = walk_va(map, addr);
    if (!bm_fault_taken()) {
        fail("%s at 0x%llx: no exception | tables: %s", what, (unsigned long long)addr,
             leaf_text(&lf));
        return;
    }
    uint64_t esr = bm_fault.esr;
    int ok = BM_ESR_EC(esr) == ec && BM_ESR_FSC(esr) == fsc && bm_fault.far == addr &&
             (wnr < 0 || (int)BM_ESR_WNR(esr) == wnr);
    if (!ok)
        fail("%s at 0x%llx: ESR_EL1 0x%llx (EC 0x%02x FSC 0x%02x WnR %u) FAR_EL1 0x%llx, "
             "expected EC 0x%02x FSC 0x%02x%s FAR 0x%llx | tables: %s",
             what, (unsigned long long)addr, (unsigned long long)esr, (unsigned)BM_ESR_EC(esr),
             (unsigned)BM_ESR_FSC(esr), (unsigned)BM_ESR_WNR(esr),
             (unsigned long long)bm_fault.far, ec, fsc,
             wnr < 0 ? "" : (wnr ? " WnR 1" : " WnR 0"), (unsigned long long)addr,
             leaf_text(&lf));
}

static unsigned level_of(const idmap_t *map, uint64_t addr)
{
    struct leaf lf = walk_va(map, addr);
    return lf.found ? lf.level : 99;
}

/* map_or_fail with IDMAP_NO_BLOCK_MAPPINGS: 4 KiB pages only. */
static int map_pages_or_fail(idmap_t *map, uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range_with_constraints(map, &r, flags, IDMAP_NO_BLOCK_MAPPINGS);
    return CHECK(st == IDMAP_OK, "map_range [0x%llx, 0x%llx) flags 0x%llx, pages only: %s",
                 (unsigned long long)start, (unsigned long long)end, (unsigned long long)flags,
                 last_error_text(map));
}

typedef uint64_t (*code_fn)(void);

static void fault_cases(unsigned level)
{
    uint64_t asid = 40 + level;
    case_begin("root level %u: fault map built and enabled", level);
    idmap_t *map = new_map_with_base(asid, level);
    int ok = map != 0;
    ok = ok && map_or_fail(map, (uintptr_t)ro_page, (uintptr_t)ro_page + PAGE, F_RODATA);
    ok = ok && map_or_fail(map, (uintptr_t)exec_page, (uintptr_t)exec_page + PAGE,
                           NORMAL | NG | V);
    ok = ok && map_or_fail(map, RO_BLOCK, RO_BLOCK + MIB2, F_RODATA);
    ok = ok && map_or_fail(map, HOLE_TABLE, HOLE_TABLE + PAGE, F_DATA);
    ok = ok && map_or_fail(map, RO_GIB, RO_GIB + GIB1, F_RODATA);
    /* what the instructions are, written while the home map is live */
    ro_page[0] = 0x5a;
    ((volatile uint32_t *)xn_page)[0] = 0xd65f03c0;   /* ret */
    ((volatile uint32_t *)exec_page)[0] = 0xd2800540; /* mov x0, #42 */
    ((volatile uint32_t *)exec_page)[1] = 0xd65f03c0; /* ret */
    bm_sync_icache((uintptr_t)xn_page, 8);
    bm_sync_icache((uintptr_t)exec_page, 8);
    idmap_status_t st = ok ? idmap_enable_mmu(map) : IDMAP_ERR_INVALID_ARGUMENT;
    if (ok)
        CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st));
    case_end();
    if (!ok || st != IDMAP_OK) {
        idmap_free(map);
        return;
    }

    case_begin("root level %u: write to a READ_ONLY page: permission fault, level 3 (ESR, FAR)",
               level);
    CHECK(level_of(map, (uintptr_t)ro_page) == 3, "ro_page is not a level 3 page: %u",
          level_of(map, (uintptr_t)ro_page));
    bm_expect_fault();
    uint64_t first = bm_probe_read((uintptr_t)ro_page, 0);
    CHECK(!bm_fault_taken() && (first & 0xff) == 0x5a,
          "reading the READ_ONLY page gave 0x%llx (fault ESR 0x%llx)", (unsigned long long)first,
          (unsigned long long)bm_fault.esr);
    bm_expect_fault();
    bm_probe_write((uintptr_t)ro_page + 8, 0xdead);
    check_fault(map, "store", (uintptr_t)ro_page + 8, BM_EC_DABORT_SAME_EL, BM_FSC_PERMISSION(3), 1);
    CHECK(bm_fault.elr == (uintptr_t)bm_probe_write, "ELR_EL1 0x%llx is not the store at %p",
          (unsigned long long)bm_fault.elr, (void *)bm_probe_write);
    CHECK(((volatile uint64_t *)ro_page)[1] == 0, "the store went through");
    case_end();

    case_begin("root level %u: write to a READ_ONLY 2 MiB block: permission fault, level 2",
               level);
    CHECK(level_of(map, RO_BLOCK) == 2, "not a level 2 block: %u", level_of(map, RO_BLOCK));
    bm_expect_fault();
    bm_probe_write(RO_BLOCK + MIB2 - 8, 1);
    check_fault(map, "store", RO_BLOCK + MIB2 - 8, BM_EC_DABORT_SAME_EL, BM_FSC_PERMISSION(2), 1);
    case_end();

    case_begin("root level %u: write to a READ_ONLY 1 GiB block: permission fault, level 1",
               level);
    CHECK(level_of(map, RO_GIB) == 1, "not a level 1 block: %u", level_of(map, RO_GIB));
    bm_expect_fault();
    bm_probe_write(RO_GIB + 0x12340, 1);
    check_fault(map, "store", RO_GIB + 0x12340, BM_EC_DABORT_SAME_EL, BM_FSC_PERMISSION(1), 1);
    case_end();

    case_begin("root level %u: execute from an EXECUTE_NEVER page: instruction abort (EC 0x21)",
               level);
    bm_expect_fault();
    uint64_t r = ((code_fn)(uintptr_t)xn_page)();
    (void)r;
    check_fault(map, "instruction fetch", (uintptr_t)xn_page, BM_EC_IABORT_SAME_EL,
                BM_FSC_PERMISSION(level_of(map, (uintptr_t)xn_page)), -1);
    CHECK(bm_fault.elr == (uintptr_t)xn_page, "ELR_EL1 0x%llx, expected 0x%llx",
          (unsigned long long)bm_fault.elr, (unsigned long long)(uintptr_t)xn_page);
    /* the same kind of code runs from a page mapped without EXECUTE_NEVER */
    bm_expect_fault();
    r = ((code_fn)(uintptr_t)exec_page)();
    CHECK(!bm_fault_taken() && r == 42,
          "code in the executable page at %p: returned %llu, fault %d (ESR 0x%llx)",
          (void *)exec_page, (unsigned long long)r, bm_fault.taken,
          (unsigned long long)bm_fault.esr);
    case_end();

    static const struct {
        uint64_t addr;
        unsigned level; /* of the invalid entry; skipped where above the root level */
    } holes[] = {
        {HOLE_TABLE + 2 * PAGE, 3},
        {HOLE_BLOCK + 0x3000, 2},
        {HOLE_GIB + 0x5000, 1},
        {HOLE_L0 + 0x7000, 0},
    };
    for (unsigned i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        if (holes[i].level < level)
            continue;
        uint64_t a = holes[i].addr;
        case_begin("root level %u: read of an unmapped address: translation fault, level %u",
                   level, holes[i].level);
        CHECK(level_of(map, a) == holes[i].level, "tables: the walk stops at level %u",
              level_of(map, a));
        bm_expect_fault();
        uint64_t v = bm_probe_read(a, 0xbad);
        check_fault(map, "load", a, BM_EC_DABORT_SAME_EL, BM_FSC_TRANSLATION(holes[i].level), 0);
        CHECK(v == 0xbad, "the load returned 0x%llx", (unsigned long long)v);
        case_end();
    }

    case_begin("root level %u: execute from an unmapped page: instruction abort, translation "
               "fault level 3", level);
    bm_expect_fault();
    ((code_fn)(uintptr_t)(HOLE_TABLE + PAGE))();
    check_fault(map, "instruction fetch", HOLE_TABLE + PAGE, BM_EC_IABORT_SAME_EL,
                BM_FSC_TRANSLATION(3), -1);
    case_end();

    case_begin("root level %u: map_range on the live map: a new page and a new 2 MiB block "
               "are usable at once", level);
    bm_expect_fault();
    bm_probe_read(LIVE_PAGE, 0);
    check_fault(map, "load before mapping", LIVE_PAGE, BM_EC_DABORT_SAME_EL,
                BM_FSC_TRANSLATION(2), 0);
    if (map_or_fail(map, LIVE_PAGE, LIVE_PAGE + PAGE, F_DATA)) {
        bm_expect_fault();
        bm_probe_write(LIVE_PAGE + 16, 0x1234567890abcdefULL);
        uint64_t v = bm_probe_read(LIVE_PAGE + 16, 0);
        CHECK(!bm_fault_taken() && v == 0x1234567890abcdefULL,
              "new page 0x%llx: read back 0x%llx, fault ESR 0x%llx FAR 0x%llx | tables: %s",
              (unsigned long long)LIVE_PAGE, (unsigned long long)v,
              (unsigned long long)bm_fault.esr, (unsigned long long)bm_fault.far,
              leaf_text_of(map, LIVE_PAGE));
    }
    if (map_or_fail(map, LIVE_BLOCK, LIVE_BLOCK + MIB2, F_DATA)) {
        bm_expect_fault();
        bm_probe_write(LIVE_BLOCK + MIB2 - 8, 77);
        uint64_t v = bm_probe_read(LIVE_BLOCK + MIB2 - 8, 0);
        CHECK(!bm_fault_taken() && v == 77,
              "new block 0x%llx: read back %llu, fault ESR 0x%llx FAR 0x%llx",
              (unsigned long long)LIVE_BLOCK, (unsigned long long)v,
              (unsigned long long)bm_fault.esr, (unsigned long long)bm_fault.far);
        CHECK(level_of(map, LIVE_BLOCK) == 2, "the new region is not a 2 MiB block (level %u)",
              level_of(map, LIVE_BLOCK));
    }
    case_end();

    case_begin("root level %u: idmap_disable_mmu switches back to the home map", level);
    st = idmap_disable_mmu(map);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
    check_regs_equal("after disable", read_mmu_regs(), g_regs_home);
    case_end();
    idmap_free(map);
}

/* Enables nest: home -> root level 0 -> root level 1; each disable undoes the last. */
static void nested_enable_case(void)
{
    case_begin("idmap_enable_mmu nests (home, root level 0, root level 1) and "
               "idmap_disable_mmu unwinds one step at a time");
    idmap_t *l0 = new_map_with_base(60, 0);
    idmap_t *l1 = new_map_with_base(61, 1);
    if (l0 && l1) {
        idmap_status_t st0 = idmap_enable_mmu(l0);
        struct mmu_regs on0 = read_mmu_regs();
        idmap_status_t st1 = st0 == IDMAP_OK ? idmap_enable_mmu(l1) : IDMAP_ERR_INVALID_ARGUMENT;
        struct mmu_regs on1 = read_mmu_regs();
        idmap_status_t off1 = st1 == IDMAP_OK ? idmap_disable_mmu(l1) : IDMAP_OK;
        struct mmu_regs back0 = read_mmu_regs();
        idmap_status_t off0 = st0 == IDMAP_OK ? idmap_disable_mmu(l0) : IDMAP_OK;
        struct mmu_regs back = read_mmu_regs();
        CHECK(st0 == IDMAP_OK, "enable_mmu(root level 0): %s", status_name(st0));
        CHECK(st1 == IDMAP_OK, "enable_mmu(root level 1): %s", status_name(st1));
        CHECK(off1 == IDMAP_OK, "disable_mmu(root level 1): %s", status_name(off1));
        CHECK(off0 == IDMAP_OK, "disable_mmu(root level 0): %s", status_name(off0));
        CHECK(on0.ttbr0 == ttbr_of(l0, 60) && (on0.tcr & 0x3f) == 16,
              "root level 0 live: TTBR0_EL1 0x%llx TCR_EL1 0x%llx (T0SZ 16 expected)",
              (unsigned long long)on0.ttbr0, (unsigned long long)on0.tcr);
        CHECK(on1.ttbr0 == ttbr_of(l1, 61) && (on1.tcr & 0x3f) == 25,
              "root level 1 live: TTBR0_EL1 0x%llx TCR_EL1 0x%llx (T0SZ 25 expected)",
              (unsigned long long)on1.ttbr0, (unsigned long long)on1.tcr);
        check_regs_equal("after the inner disable", back0, on0);
        check_regs_equal("after the outer disable", back, g_regs_home);
        CHECK(!idmap_is_active(l0) && !idmap_is_active(l1), "a map is still active");
    }
    idmap_free(l1);
    idmap_free(l0);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * activate / deactivate, ASID invalidation, break-before-make, the seed example.
 * These maps have root level 1, like the home map, so idmap_activate alone switches. */

static void activate_cases(void)
{
    case_begin("idmap_activate writes TTBR0_EL1 = root | ASID << 48; idmap_deactivate "
               "restores the previous value");
    idmap_t *map = new_map_with_base(7, 1);
    if (!map) {
        case_end();
        return;
    }
    uint64_t before = BM_READ_SYSREG(ttbr0_el1);
    idmap_status_t st = idmap_activate(map);
    uint64_t live = BM_READ_SYSREG(ttbr0_el1);
    idmap_status_t again = idmap_activate(map);
    int active = idmap_is_active(map);
    idmap_status_t st2 = idmap_deactivate(map);
    uint64_t after = BM_READ_SYSREG(ttbr0_el1);
    idmap_status_t again2 = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    CHECK(live == ttbr_of(map, 7), "live TTBR0_EL1 0x%llx, expected 0x%llx",
          (unsigned long long)live, (unsigned long long)ttbr_of(map, 7));
    CHECK(again == IDMAP_ERR_ALREADY_ACTIVE, "activate twice: %s", status_name(again));
    CHECK(active, "idmap_is_active is false while active");
    CHECK(st2 == IDMAP_OK, "deactivate: %s", status_name(st2));
    CHECK(after == before, "TTBR0_EL1 0x%llx after deactivate, was 0x%llx",
          (unsigned long long)after, (unsigned long long)before);
    CHECK(again2 == IDMAP_ERR_NOT_ACTIVE, "deactivate twice: %s", status_name(again2));
    CHECK(!idmap_is_active(map), "idmap_is_active is true after deactivate");
    st = idmap_disable_mmu(map);
    CHECK(st != IDMAP_OK, "idmap_disable_mmu on a map never enabled answered OK");
    check_regs_equal("after the refused disable_mmu", read_mmu_regs(), g_regs_home);
    idmap_free(map);
    case_end();

    /* The map has the home map's ASID, so writing TTBR0_EL1 does not make QEMU drop its
     * TLB: only deactivate's TLBI ASIDE1 removes the writable entry for FLUSH_PAGE. */
    case_begin("idmap_deactivate invalidates the ASID: a writable entry of the same ASID is gone");
    map = new_map_with_base(HOME_ASID, 1);
    if (map && map_or_fail(map, FLUSH_PAGE, FLUSH_PAGE + PAGE, F_DATA)) {
        st = idmap_activate(map);
        CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
        bm_expect_fault();
        bm_probe_write(FLUSH_PAGE, 0xf1);
        int faulted = bm_fault_taken();
        st2 = idmap_deactivate(map);
        CHECK(!faulted, "write while the writable map was live: ESR 0x%llx",
              (unsigned long long)bm_fault.esr);
        CHECK(st2 == IDMAP_OK, "deactivate: %s", status_name(st2));
        bm_expect_fault();
        bm_probe_write(FLUSH_PAGE + 8, 0xf2);
        check_fault(g_home, "store through the home map (FLUSH_PAGE is READ_ONLY there; a "
                            "stale TLB entry would let it through)",
                    FLUSH_PAGE + 8, BM_EC_DABORT_SAME_EL, BM_FSC_PERMISSION(3), 1);
        CHECK(bm_probe_read(FLUSH_PAGE, 0) == 0xf1, "the write made while live is not in memory");
    }
    idmap_free(map);
    case_end();
}

/* A set-up case, name: a map of the base layout and [start, end) with flags, made live
 * with idmap_activate; NULL (and freed) if any of it failed. */
static idmap_t *live_map_case(const char *name, uint64_t asid, uint64_t start, uint64_t end, uint64_t flags)
{
    case_begin("%s", name);
    idmap_t *map = new_map_with_base(asid, 1);
    int ok = map && map_or_fail(map, start, end, flags);
    idmap_status_t st = ok ? idmap_activate(map) : IDMAP_ERR_INVALID_ARGUMENT;
    if (ok)
        CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    case_end();
    if (!ok || st != IDMAP_OK) {
        idmap_free(map);
        return 0;
    }
    return map;
}

static void bbm_cases(void)
{
    idmap_t *map = live_map_case("break-before-make: set-up (a live 2 MiB block)", 9, BBM_BLOCK, BBM_BLOCK + MIB2,
                                 NORMAL | XN | NG | V);
    if (!map)
        return;
    idmap_status_t st;

    const struct leaf before = walk_va(map, BBM_BLOCK);
    static const struct {
        const char *what;
        uint64_t start, end, flags;
    } refused[] = {
        {"splitting a live block (one page READ_ONLY)", BBM_BLOCK, BBM_BLOCK + PAGE,
         NORMAL | RO | XN | NG | V},
        {"changing a live block's memory type", BBM_BLOCK, BBM_BLOCK + MIB2, DEV | XN | NG | V},
        {"clearing nG on a live block", BBM_BLOCK, BBM_BLOCK + MIB2, NORMAL | XN | V},
    };
    for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        case_begin("break-before-make: %s is refused while active", refused[i].what);
        idmap_region_t r = idmap_region(refused[i].start, refused[i].end);
        st = idmap_map_range(map, &r, refused[i].flags);
        const idmap_error_t *e = idmap_last_error(map);
        CHECK(st == IDMAP_ERR_BREAK_BEFORE_MAKE, "map_range answered %s", status_name(st));
        /* The region is the live entry that would have to break, whole (1.1): the block. */
        CHECK(e->status == IDMAP_ERR_BREAK_BEFORE_MAKE && e->region.start == BBM_BLOCK &&
                  e->region.end == BBM_BLOCK + MIB2,
              "last error: %s", last_error_text(map));
        struct leaf lf = walk_va(map, BBM_BLOCK);
        CHECK(lf.found == 1 && lf.level == 2 && lf.desc == before.desc,
              "tables changed: level %u descriptor 0x%016llx before, now %s", before.level,
              (unsigned long long)before.desc, leaf_text(&lf));
        uint64_t pw = bm_at_s1e1w(BBM_BLOCK);
        char pb[64];
        CHECK(!(pw & BM_PAR_F) && BM_PAR_ATTR(pw) == 0xff, "hardware: AT S1E1W %s",
              par_text(pb, sizeof pb, pw));
        case_end();
    }

    case_begin("break-before-make: after deactivate the split and the type change are accepted");
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    map_or_fail(map, BBM_BLOCK, BBM_BLOCK + PAGE, NORMAL | RO | XN | NG | V);
    map_or_fail(map, BBM_BLOCK + MIB2 - PAGE, BBM_BLOCK + MIB2, DEV | XN | NG | V);
    CHECK(level_of(map, BBM_BLOCK) == 3, "the block was not split (level %u)",
          level_of(map, BBM_BLOCK));
    case_end();

    case_begin("break-before-make: after activate the changes take effect");
    st = idmap_activate(map);
    CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    bm_expect_fault();
    bm_probe_write(BBM_BLOCK + 8, 1);
    check_fault(map, "store to the page made READ_ONLY", BBM_BLOCK + 8, BM_EC_DABORT_SAME_EL,
                BM_FSC_PERMISSION(3), 1);
    uint64_t pr = bm_at_s1e1r(BBM_BLOCK + MIB2 - PAGE);
    char pb[64];
    CHECK(!(pr & BM_PAR_F) && BM_PAR_ATTR(pr) == 0x04,
          "va 0x%llx (now DEVICE): hardware AT S1E1R %s | tables: %s",
          (unsigned long long)(BBM_BLOCK + MIB2 - PAGE), par_text(pb, sizeof pb, pr),
          leaf_text_of(map, BBM_BLOCK + MIB2 - PAGE));
    bm_expect_fault();
    bm_probe_write(BBM_BLOCK + PAGE, 2);
    CHECK(!bm_fault_taken() && bm_probe_read(BBM_BLOCK + PAGE, 0) == 2,
          "the rest of the old block is no longer writable: ESR 0x%llx",
          (unsigned long long)bm_fault.esr);
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    CHECK(BM_READ_SYSREG(ttbr0_el1) == g_regs_home.ttbr0, "TTBR0_EL1 not restored");
    case_end();
    idmap_free(map);
}

/* ---------------------------------------------------------------------------------
 * Aliases: idmap_map_range_to maps 2 MiB at ALIAS_VA onward to frames in ALIAS_RAM, which
 * the map also maps to themselves, on a live map (root level 1). */

/* What idmap_walk_range finds over an alias of pa at va: its leaves, and how many of them
 * are not valid at level with the output address pa + (their VA - va). */
struct alias_walk {
    uint64_t va, pa;
    unsigned level, leaves, wrong;
};

static int alias_leaf(const idmap_region_t *region, const idmap_descriptor_t *desc, unsigned level, void *ctx)
{
    struct alias_walk *w = ctx;
    w->leaves++;
    w->wrong += level != w->level || !(desc->bits & V) ||
                idmap_descriptor_output_address(desc) != w->pa + (region->start - w->va);
    return 0;
}

/* The tables map the 2 MiB at va to pa onward with leaves of one level: one block at
 * level 2, 512 pages at level 3. */
static void check_alias_leaves(const idmap_t *map, uint64_t va, uint64_t pa, unsigned level)
{
    struct alias_walk w = {va, pa, level, 0, 0};
    const idmap_region_t r = idmap_region(va, va + MIB2);
    const idmap_status_t st = idmap_walk_range(map, &r, alias_leaf, &w);
    const unsigned want = level == 2 ? 1 : (unsigned)(MIB2 / PAGE);
    CHECK(st == IDMAP_OK && w.leaves == want && w.wrong == 0,
          "walk of [0x%llx, +2 MiB): %s, %u leaves (expected %u), %u not level %u to 0x%llx onward | first: %s",
          (unsigned long long)va, status_name(st), w.leaves, want, w.wrong, level, (unsigned long long)pa,
          leaf_text_of(map, va));
}

/* A word stored through pa's identity address loads through the alias at va, and one
 * stored through the alias loads through the identity address: at the first, a middle
 * and the last word of the 2 MiB (the first and the last page where it is pages); AT
 * S1E1R gives pa too. Each call stores other words than the calls before it. */
static void check_alias_data(uint64_t va, uint64_t pa)
{
    static const uint64_t offsets[] = {0x10, MIB2 / 2 + 0x18, MIB2 - 8};
    static uint64_t calls;
    calls++;
    for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        const uint64_t v = va + offsets[i], p = pa + offsets[i];
        const uint64_t to_alias = p ^ (calls << 48), to_identity = ~to_alias;
        volatile uint64_t *const identity = (volatile uint64_t *)(uintptr_t)p;
        *identity = to_alias;
        bm_expect_fault();
        const uint64_t via_alias = bm_probe_read(v, ~to_alias);
        const int load_faulted = bm_fault_taken();
        bm_expect_fault();
        bm_probe_write(v, to_identity);
        const int store_faulted = bm_fault_taken();
        const uint64_t via_identity = *identity;
        const uint64_t par = bm_at_s1e1r(v);
        char t[64];
        CHECK(via_alias == to_alias && via_identity == to_identity && !(par & BM_PAR_F) &&
                  BM_PAR_PA(par) == (p & ~(PAGE - 1)),
              "alias 0x%llx of 0x%llx: stored 0x%llx at the PA, loaded 0x%llx%s through the alias; stored 0x%llx "
              "through the alias%s, loaded 0x%llx at the PA; AT S1E1R %s",
              (unsigned long long)v, (unsigned long long)p, (unsigned long long)to_alias,
              (unsigned long long)via_alias, load_faulted ? " (faulted)" : "", (unsigned long long)to_identity,
              store_faulted ? " (faulted)" : "", (unsigned long long)via_identity, par_text(t, sizeof t, par));
    }
}

/* idmap_map_range_to of the size bytes at va to pa, with flags. */
static int map_to_or_fail(idmap_t *map, uint64_t va, uint64_t size, uint64_t pa, uint64_t flags)
{
    const idmap_region_t r = idmap_region(va, va + size);
    const idmap_status_t st = idmap_map_range_to(map, &r, pa, flags, 0);
    return CHECK(st == IDMAP_OK, "map_range_to [0x%llx, +0x%llx) -> 0x%llx flags 0x%llx: %s", (unsigned long long)va,
                 (unsigned long long)size, (unsigned long long)pa, (unsigned long long)flags, last_error_text(map));
}

/* idmap_map_range_to of the 2 MiB at va to pa, with flags. */
static int map_alias(idmap_t *map, uint64_t va, uint64_t pa, uint64_t flags)
{
    return map_to_or_fail(map, va, MIB2, pa, flags);
}

/* A new alias on the live map: leaves at level, usable at once. */
static void new_alias(idmap_t *map, uint64_t va, uint64_t pa, unsigned level)
{
    if (map_alias(map, va, pa, F_DATA)) {
        check_alias_leaves(map, va, pa, level);
        check_alias_data(va, pa);
    }
}

/* The alias at va (of from, leaves at level) broken - by idmap_unmap_range, or mapped
 * without VALID - then mapped to `to`: a load through it gives from's word (a TLB entry
 * holds from now), faults while broken, and gives to's word once mapped again. Only the
 * break's TLBI removes the TLB entry of from: making an invalid entry valid needs none. */
static void move_alias(idmap_t *map, uint64_t va, uint64_t from, uint64_t to, unsigned level, int by_unmap)
{
    const uint64_t off = MIB2 - 0x40, mark = 0x5a5a000000000000ULL;
    *(volatile uint64_t *)(uintptr_t)(from + off) = (from + off) ^ mark;
    *(volatile uint64_t *)(uintptr_t)(to + off) = (to + off) ^ mark;
    bm_expect_fault();
    uint64_t v = bm_probe_read(va + off, 0);
    CHECK(!bm_fault_taken() && v == ((from + off) ^ mark), "load through the alias of 0x%llx: 0x%llx, expected 0x%llx",
          (unsigned long long)from, (unsigned long long)v, (unsigned long long)((from + off) ^ mark));
    if (by_unmap) {
        const idmap_region_t r = idmap_region(va, va + MIB2);
        const idmap_status_t st = idmap_unmap_range(map, &r);
        CHECK(st == IDMAP_OK, "unmap_range: %s", last_error_text(map));
    } else {
        map_alias(map, va, from, F_DATA & ~V);
    }
    bm_expect_fault();
    bm_probe_read(va + off, 0);
    check_fault(map, "load through the broken alias (a stale TLB entry would give the old frame)", va + off,
                BM_EC_DABORT_SAME_EL, BM_FSC_TRANSLATION(level_of(map, va + off)), 0);
    if (!map_alias(map, va, to, F_DATA))
        return;
    check_alias_leaves(map, va, to, level);
    bm_expect_fault();
    v = bm_probe_read(va + off, 0);
    CHECK(!bm_fault_taken() && v == ((to + off) ^ mark),
          "load through the alias mapped to 0x%llx: 0x%llx, expected 0x%llx (0x%llx is the old frame's)",
          (unsigned long long)to, (unsigned long long)v, (unsigned long long)((to + off) ^ mark),
          (unsigned long long)((from + off) ^ mark));
    check_alias_data(va, to);
}

static void alias_cases(void)
{
    const uint64_t block_va = ALIAS_VA, pages_va = ALIAS_VA + MIB2, offset_va = ALIAS_VA + 2 * MIB2;
    const uint64_t frame_a = ALIAS_RAM, frame_b = ALIAS_RAM + 2 * MIB2;
    idmap_t *map = live_map_case("idmap_map_range_to: set-up (a live map of 6 MiB of RAM)", 11, ALIAS_RAM,
                                 ALIAS_RAM + 3 * MIB2, F_DATA);
    if (!map)
        return;

    case_begin("idmap_map_range_to on the live map: an alias of a 2 MiB-aligned PA at a 2 MiB-aligned VA is a "
               "level-2 block; a word stored through either address loads through the other");
    new_alias(map, block_va, frame_a, 2);
    case_end();

    case_begin("idmap_map_range_to on the live map: a 2 MiB alias of a PA 4 KiB-aligned only is 512 level-3 pages; "
               "a word stored through either address loads through the other");
    new_alias(map, pages_va, frame_a + PAGE, 3);
    case_end();

    case_begin("idmap_map_range_to: a PA at another offset in its page than the VA is refused "
               "(IDMAP_ARG_PA_PAGE_OFFSET, 4 KiB), nothing mapped");
    idmap_region_t r = idmap_region(offset_va, offset_va + PAGE);
    idmap_status_t st = idmap_map_range_to(map, &r, frame_a + 0x10, F_DATA, 0);
    const idmap_error_t *e = idmap_last_error(map);
    CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && e->value == (IDMAP_ARG_PA_PAGE_OFFSET | 4ULL << 16) &&
              e->va == frame_a + 0x10,
          "map_range_to: %s, value 0x%llx, va 0x%llx", status_name(st), (unsigned long long)e->value,
          (unsigned long long)e->va);
    const struct leaf refused = walk_va(map, offset_va);
    CHECK(refused.status == IDMAP_OK && refused.found == 1 && !(refused.desc & V), "after the refusal: %s",
          leaf_text(&refused));
    case_end();

    case_begin("idmap_map_range_to: moving the live block alias to another frame is refused "
               "(IDMAP_BBM_OUTPUT_ADDRESS); it still maps the old frame");
    r = idmap_region(block_va, block_va + MIB2);
    st = idmap_map_range_to(map, &r, frame_b, F_DATA, 0);
    e = idmap_last_error(map);
    CHECK(st == IDMAP_ERR_BREAK_BEFORE_MAKE && e->value == IDMAP_BBM_OUTPUT_ADDRESS && e->region.start == block_va &&
              e->region.end == block_va + MIB2,
          "map_range_to: %s; last error: %s", status_name(st), last_error_text(map));
    check_alias_leaves(map, block_va, frame_a, 2);
    check_alias_data(block_va, frame_a);
    case_end();

    /* The two breaks take both of the library's TLB paths: one block, TLBI VALE1IS; 512 pages
     * and their table, more than a batch holds, a range TLBI where the CPU has FEAT_TLBIRANGE
     * (range_tlbi_cases), else TLBI VMALLE1IS. */
    case_begin("idmap_map_range_to: the block alias unmapped (idmap_unmap_range), then mapped to another "
               "frame: a load through it faults, then sees the new frame");
    move_alias(map, block_va, frame_a, frame_b, 2, 1);
    case_end();

    case_begin("idmap_map_range_to: the alias in pages mapped without VALID, then to another frame: a load "
               "through it faults, then sees the new frame");
    move_alias(map, pages_va, frame_a + PAGE, frame_a + MIB2 + PAGE, 3, 0);
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    CHECK(BM_READ_SYSREG(ttbr0_el1) == g_regs_home.ttbr0, "TTBR0_EL1 not restored");
    case_end();
    idmap_free(map);
}

/* ---------------------------------------------------------------------------------
 * Range TLB invalidation: a change to a live map that leaves more than a TLB batch (16
 * entries) stale invalidates from the first of them to the last: where the CPU has
 * FEAT_TLBIRANGE by a TLBI VALE1IS of an odd page and a TLBI RVALE1IS per SCALE, else (and
 * past 2^21 pages) the whole regime, TLBI VMALLE1IS. Each page or block is made READ_ONLY
 * after a store through it left a writable TLB entry: a store that then goes through went
 * through a stale entry. */

/* QEMU's TLB (accel/tcg/cputlb.c) flushes the whole regime for a range TLBI longer than
 * its table (32 bytes an entry: under 8 KiB at the 256 entries it starts with), so the
 * range checks would pass whatever range the library invalidated. The table doubles at a
 * flush that finds it over 70% used: loads through TLB_FILL_PAGES pages, then TLBI
 * VMALLE1, ten times take it to 16384 entries from any size (eight doublings from the
 * smallest), where a range of up to 127 pages is invalidated alone. Only more TLB misses
 * on hardware. */
static void grow_qemu_tlb(void)
{
    for (unsigned round = 0; round < 10; round++) {
        for (uint64_t i = 0; i < TLB_FILL_PAGES; i++)
            (void)*(volatile uint64_t *)(uintptr_t)(TLB_FILL_VA + i * PAGE);
        __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    }
}

/* A store through va that does not fault, and a load that reads it back. */
static void check_writable(const idmap_t *map, const char *what, uint64_t va, uint64_t value)
{
    bm_expect_fault();
    bm_probe_write(va, value);
    const uint64_t v = bm_probe_read(va, ~value);
    CHECK(!bm_fault_taken() && v == value, "%s 0x%llx: stored 0x%llx, loaded 0x%llx, fault ESR 0x%llx | tables: %s",
          what, (unsigned long long)va, (unsigned long long)value, (unsigned long long)v,
          (unsigned long long)bm_fault.esr, leaf_text_of(map, va));
}

/* va made READ_ONLY at level: a store through it faults, a load reads want still. */
static void check_read_only(const idmap_t *map, uint64_t va, uint64_t want, unsigned level)
{
    bm_expect_fault();
    bm_probe_write(va, ~want);
    check_fault(map, "store after READ_ONLY (a stale TLB entry lets it through)", va, BM_EC_DABORT_SAME_EL,
                BM_FSC_PERMISSION(level), 1);
    bm_expect_fault();
    const uint64_t v = bm_probe_read(va, ~want);
    const int faulted = bm_fault_taken();
    CHECK(!faulted && v == want, "load 0x%llx after READ_ONLY: 0x%llx, expected 0x%llx%s", (unsigned long long)va,
          (unsigned long long)v, (unsigned long long)want, faulted ? " (faulted)" : "");
}

/* idmap_change_attributes of [start, end) to READ_ONLY. */
static int read_only_or_fail(idmap_t *map, uint64_t start, uint64_t end)
{
    const idmap_region_t r = idmap_region(start, end);
    const idmap_status_t st = idmap_change_attributes(map, &r, RO, 0);
    return CHECK(st == IDMAP_OK, "change_attributes [0x%llx, 0x%llx) READ_ONLY: %s", (unsigned long long)start,
                 (unsigned long long)end, last_error_text(map));
}

/* FEAT_BBM: ID_AA64MMFR2_EL1.BBM (bits 55:52), as the library reads it. */
static unsigned bbm_level(void)
{
    return (unsigned)(bm_read_id_aa64mmfr2() >> 52) & 0xf;
}

/* Live splits (FEAT_BBM's nT sequence): a live block split by map_range, unmap_range and
 * change_attributes while its map is in use, each change effective at once, the rest of
 * the block the same memory throughout. */
static void live_split_cases(void)
{
    const unsigned bbm = bbm_level();
    idmap_t *map = live_map_case("live splits: set-up (a live 2 MiB block)", 14, SPLIT_BLOCK, SPLIT_BLOCK + MIB2,
                                 NORMAL | XN | NG | V);
    if (!map)
        return;
    case_begin("idmap_set_live_splits: accepted with FEAT_BBM, else refused (IDMAP_ARG_NO_BBM) and still off");
    idmap_status_t st = idmap_set_live_splits(map, true);
    if (bbm)
        CHECK(st == IDMAP_OK && idmap_live_splits(map), "with FEAT_BBM level %u: %s", bbm, last_error_text(map));
    else
        CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && idmap_last_error(map)->value == IDMAP_ARG_NO_BBM &&
                  !idmap_live_splits(map),
              "without FEAT_BBM: %s, policy %d", last_error_text(map), (int)idmap_live_splits(map));
    case_end();

    case_begin("live splits: a page of a live block made READ_ONLY by map_range, another unmapped, two more "
               "READ_ONLY by change_attributes, without a deactivate: stores fault there at level 3, the rest "
               "of the block reads what was stored before and takes stores; a memory type change is refused");
    if (!bbm)
        case_skip("no FEAT_BBM (ID_AA64MMFR2_EL1 0x%llx)", (unsigned long long)bm_read_id_aa64mmfr2());
    else {
        for (uint64_t i = 0; i < 8; i++)
            check_writable(map, "the live block before the split", SPLIT_BLOCK + i * PAGE, 0x5b17ULL + i);
        if (map_or_fail(map, SPLIT_BLOCK + PAGE, SPLIT_BLOCK + 2 * PAGE, NORMAL | RO | XN | NG | V)) {
            CHECK(level_of(map, SPLIT_BLOCK) == 3, "the block was not split (level %u)", level_of(map, SPLIT_BLOCK));
            check_read_only(map, SPLIT_BLOCK + PAGE, 0x5b18ULL, 3);
            CHECK(bm_probe_read(SPLIT_BLOCK + 3 * PAGE, 0) == 0x5b1aULL, "page 3 no longer reads what was stored");
            check_writable(map, "a page beside the split one", SPLIT_BLOCK + 2 * PAGE, 0x5b2aULL);
            check_writable(map, "the block's last page", SPLIT_BLOCK + MIB2 - PAGE, 0x5b2bULL);
        }
        const idmap_region_t hole = idmap_region(SPLIT_BLOCK + 4 * PAGE, SPLIT_BLOCK + 5 * PAGE);
        st = idmap_unmap_range(map, &hole);
        CHECK(st == IDMAP_OK, "unmap_range of page 4: %s", last_error_text(map));
        bm_expect_fault();
        (void)bm_probe_read(SPLIT_BLOCK + 4 * PAGE, 0);
        check_fault(map, "load from the page unmapped", SPLIT_BLOCK + 4 * PAGE, BM_EC_DABORT_SAME_EL,
                    BM_FSC_TRANSLATION(3), 0);
        if (read_only_or_fail(map, SPLIT_BLOCK + 5 * PAGE, SPLIT_BLOCK + 7 * PAGE)) {
            check_read_only(map, SPLIT_BLOCK + 5 * PAGE, 0x5b1cULL, 3);
            check_read_only(map, SPLIT_BLOCK + 6 * PAGE, 0x5b1dULL, 3);
        }
        const idmap_region_t dev = idmap_region(SPLIT_BLOCK + 7 * PAGE, SPLIT_BLOCK + 8 * PAGE);
        st = idmap_map_range(map, &dev, DEV | XN | NG | V);
        CHECK(st == IDMAP_ERR_BREAK_BEFORE_MAKE && idmap_last_error(map)->value == IDMAP_BBM_MEMORY_TYPE,
              "Device memory for a live page: %s", last_error_text(map));
        check_writable(map, "the page kept Normal", SPLIT_BLOCK + 7 * PAGE, 0x5b2cULL);
    }
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    case_end();
    idmap_free(map);
}

static void range_tlbi_cases(void)
{
    const uint64_t before = RANGE_START - PAGE, end = RANGE_START + RANGE_PAGES * PAGE;
    const uint64_t mark = 0x7a6e000000000000ULL;
    const int ranged = have_tlbi_range();
    idmap_t *map = live_map_case("range TLB invalidation: set-up (a live map of 79 pages)", 12, before, end + PAGE,
                                 F_DATA);
    if (!map)
        return;

    case_begin("range TLB invalidation: %llu live pages from a ragged page made READ_ONLY in one call (%s): a store "
               "to each faults, the page either side stays writable",
               RANGE_PAGES, ranged ? "TLBI VALE1IS, RVALE1IS of SCALE 0 and 1" : "no FEAT_TLBIRANGE: TLBI VMALLE1IS");
    CHECK(level_of(map, before) == 3 && level_of(map, end) == 3, "not level-3 pages: levels %u and %u",
          level_of(map, before), level_of(map, end));
    if (map_to_or_fail(map, TLB_FILL_VA, TLB_FILL_PAGES * PAGE, BOARD_RAM_BASE, F_RODATA)) {
        grow_qemu_tlb();
        /* every page, and one either side, in the TLB writable */
        for (uint64_t va = before; va <= end; va += PAGE)
            check_writable(map, "before the change: page", va, va ^ mark);
        if (read_only_or_fail(map, RANGE_START, end)) {
            for (uint64_t va = RANGE_START; va < end; va += PAGE)
                check_read_only(map, va, va ^ mark, 3);
            check_writable(map, "the page before the range", before, ~before);
            check_writable(map, "the page after the range", end, ~end);
        }
    }
    case_end();

    /* Past 2^21 pages no range TLBI reaches: the whole regime, with FEAT_TLBIRANGE too.
     * Every block aliases the GiB of RAM that holds RANGE_WORDS; each is probed at its own
     * page, since QEMU's TLB is direct-mapped: at one offset they would all take one slot
     * and evict one another. QEMU flushes everything for any TLBI that meets a block, so
     * here it tells a missing invalidation only, not a wrong range. */
    case_begin("range TLB invalidation: %llu live 1 GiB blocks (over 2^21 pages) made READ_ONLY in one call "
               "(TLBI VMALLE1IS): a store through each faults, a load through each still reads",
               RANGE_GIBS);
    const uint64_t gib_pa = BOARD_RAM_BASE & ~(GIB1 - 1), word = RANGE_WORDS - gib_pa;
    int ok = 1;
    for (uint64_t i = 0; i < RANGE_GIBS && ok; i++)
        ok = map_to_or_fail(map, RANGE_GIB + i * GIB1, GIB1, gib_pa, F_DATA);
    if (ok) {
        CHECK(level_of(map, RANGE_GIB) == 1, "not a 1 GiB block: level %u", level_of(map, RANGE_GIB));
        for (uint64_t i = 0; i < RANGE_GIBS; i++)
            check_writable(map, "before the change: block alias", RANGE_GIB + i * (GIB1 + PAGE) + word, i ^ mark);
        if (read_only_or_fail(map, RANGE_GIB, RANGE_GIB + RANGE_GIBS * GIB1)) {
            for (uint64_t i = 0; i < RANGE_GIBS; i++)
                check_read_only(map, RANGE_GIB + i * (GIB1 + PAGE) + word, i ^ mark, 1);
            check_writable(map, "a page outside", before, before ^ mark);
        }
    }
    const idmap_status_t st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    CHECK(BM_READ_SYSREG(ttbr0_el1) == g_regs_home.ttbr0, "TTBR0_EL1 not restored");
    case_end();
    idmap_free(map);
}

/* With the map live, CNP_SLOT is written and read back through it, and the page after it
 * (no entry in its level-3 table) faults: the walk works as without CnP. */
static void check_cnp_translation(const idmap_t *map, uint64_t value)
{
    check_writable(map, "a page of the map", CNP_SLOT, value);
    bm_expect_fault();
    (void)bm_probe_read(CNP_SLOT + PAGE, 0);
    check_fault(map, "load from the unmapped page", CNP_SLOT + PAGE, BM_EC_DABORT_SAME_EL, BM_FSC_TRANSLATION(3),
                0);
}

/* One core: CnP in the TTBR value loaded, and translation through it unchanged (what CnP
 * lets cores share is not visible to a program). */
static void cnp_cases(void)
{
    const uint64_t asid = 13;
    const int cnp = have_cnp();
    const uint64_t cnp_bit = 1;
    case_begin("idmap_set_common_not_private: accepted with FEAT_TTCNP, else refused (IDMAP_ARG_NO_CNP) "
               "and still off");
    idmap_t *map = new_map_with_base(asid, 1);
    int ok = map && map_or_fail(map, CNP_SLOT, CNP_SLOT + PAGE, F_DATA);
    if (ok) {
        const idmap_status_t st = idmap_set_common_not_private(map, true);
        if (cnp)
            ok = CHECK(st == IDMAP_OK && idmap_common_not_private(map), "with FEAT_TTCNP: %s, policy %d",
                       last_error_text(map), (int)idmap_common_not_private(map));
        else
            CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && idmap_last_error(map)->value == IDMAP_ARG_NO_CNP &&
                      !idmap_common_not_private(map),
                  "without FEAT_TTCNP: %s (value 0x%llx), policy %d", last_error_text(map),
                  (unsigned long long)idmap_last_error(map)->value, (int)idmap_common_not_private(map));
    }
    case_end();

    case_begin("common not private: idmap_activate writes TTBR0_EL1 = root | ASID << 48 | CnP; a page of the map "
               "reads and writes, an unmapped one faults; idmap_deactivate restores TTBR0_EL1");
    if (!cnp)
        case_skip("no FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP 0, ID_AA64MMFR2_EL1 0x%llx)",
                  (unsigned long long)bm_read_id_aa64mmfr2());
    if (cnp && ok) {
        idmap_status_t st = idmap_activate(map);
        const uint64_t live = BM_READ_SYSREG(ttbr0_el1);
        if (st == IDMAP_OK)
            check_cnp_translation(map, 0xc0a1ULL);
        const idmap_status_t st2 = idmap_deactivate(map);
        CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
        CHECK(live == (ttbr_of(map, asid) | cnp_bit), "live TTBR0_EL1 0x%llx, expected 0x%llx",
              (unsigned long long)live, (unsigned long long)(ttbr_of(map, asid) | cnp_bit));
        CHECK(st2 == IDMAP_OK, "deactivate: %s", status_name(st2));
        CHECK(BM_READ_SYSREG(ttbr0_el1) == g_regs_home.ttbr0, "TTBR0_EL1 not restored");
    }
    case_end();

    case_begin("common not private: idmap_enable_mmu loads TTBR0_EL1 with CnP and translates through it, "
               "idmap_disable_mmu switches back; off again, idmap_activate writes TTBR0_EL1 without CnP");
    if (!cnp)
        case_skip("no FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP 0)");
    if (cnp && ok) {
        idmap_status_t st = idmap_enable_mmu(map);
        const uint64_t on = BM_READ_SYSREG(ttbr0_el1);
        if (st == IDMAP_OK)
            check_cnp_translation(map, 0xc0a2ULL);
        const idmap_status_t off = st == IDMAP_OK ? idmap_disable_mmu(map) : IDMAP_OK;
        CHECK(st == IDMAP_OK, "enable_mmu: %s", status_name(st));
        CHECK(on == (ttbr_of(map, asid) | cnp_bit), "TTBR0_EL1 0x%llx with the MMU on, expected 0x%llx",
              (unsigned long long)on, (unsigned long long)(ttbr_of(map, asid) | cnp_bit));
        CHECK(off == IDMAP_OK, "disable_mmu: %s", status_name(off));
        check_regs_equal("after disable_mmu", read_mmu_regs(), g_regs_home);
        st = idmap_set_common_not_private(map, false);
        CHECK(st == IDMAP_OK && !idmap_common_not_private(map), "turned off: %s", status_name(st));
        st = idmap_activate(map);
        const uint64_t live = BM_READ_SYSREG(ttbr0_el1);
        if (st == IDMAP_OK)
            check_cnp_translation(map, 0xc0a3ULL);
        const idmap_status_t st2 = idmap_deactivate(map);
        CHECK(st == IDMAP_OK && st2 == IDMAP_OK, "activate: %s, deactivate: %s", status_name(st),
              status_name(st2));
        CHECK(live == ttbr_of(map, asid), "live TTBR0_EL1 0x%llx, expected 0x%llx", (unsigned long long)live,
              (unsigned long long)ttbr_of(map, asid));
    }
    case_end();
    idmap_free(map);
}

/* The crate's README example (aarch64-paging 0.5.0), on this board's RAM. */
static void seed_case(void)
{
    const uint64_t start = SEED_REGION, end = SEED_REGION + MIB2;
    case_begin("seed example: map [0x%llx, 0x%llx) NORMAL|NON_GLOBAL|VALID, activate, "
               "deactivate, remap READ_ONLY, activate", (unsigned long long)start,
               (unsigned long long)end);
    idmap_t *idmap = new_map_with_base(2, 1);
    if (!idmap) {
        case_end();
        return;
    }
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(idmap, &r, NORMAL | NG | V);
    CHECK(st == IDMAP_OK, "map_range: %s", last_error_text(idmap));
    st = idmap_activate(idmap);
    CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    /* Write something to the memory... */
    bm_expect_fault();
    for (uint64_t a = start; a < end; a += 0x10000)
        bm_probe_write(a, a ^ 0xa5a5a5a5a5a5a5a5ULL);
    CHECK(!bm_fault_taken(), "write while mapped read-write: ESR 0x%llx FAR 0x%llx",
          (unsigned long long)bm_fault.esr, (unsigned long long)bm_fault.far);
    /* Restore TTBR0_EL1 to its earlier value while we modify the page table. */
    st = idmap_deactivate(idmap);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    /* Now change the mapping to read-only and executable. */
    st = idmap_map_range(idmap, &r, NORMAL | NG | RO | V);
    CHECK(st == IDMAP_OK, "map_range READ_ONLY: %s", last_error_text(idmap));
    st = idmap_activate(idmap);
    CHECK(st == IDMAP_OK, "activate again: %s", status_name(st));
    unsigned bad = 0;
    for (uint64_t a = start; a < end; a += 0x10000)
        bad += bm_probe_read(a, 0) != (a ^ 0xa5a5a5a5a5a5a5a5ULL);
    CHECK(bad == 0, "%u of 32 words read back wrong", bad);
    bm_expect_fault();
    bm_probe_write(start + 0x100, 0);
    check_fault(idmap, "store to the region now READ_ONLY", start + 0x100, BM_EC_DABORT_SAME_EL,
                BM_FSC_PERMISSION(2), 1);
    uint64_t pr = bm_at_s1e1r(start), pw = bm_at_s1e1w(start);
    char b1[64], b2[64];
    CHECK(!(pr & BM_PAR_F) && BM_PAR_ATTR(pr) == 0xff && (pw & BM_PAR_F),
          "hardware: AT S1E1R %s, AT S1E1W %s", par_text(b1, sizeof b1, pr),
          par_text(b2, sizeof b2, pw));
    st = idmap_deactivate(idmap);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    idmap_free(idmap);
    case_end();
}

/* The exact budget and re-coalescing (issue 7): idmap_tables_needed says what a map call
 * takes, and a block's worth of pages made alike again becomes the block, with the
 * hardware agreeing at every step. */
static int count_level2(const idmap_region_t *region, const idmap_descriptor_t *desc, unsigned level,
                        void *ctx)
{
    (void)region;
    *(unsigned *)ctx += level == 2 && (desc->bits & V) != 0;
    return 0;
}

static void budget_coalesce_case(void)
{
    const uint64_t start = COALESCE_BLOCK, end = COALESCE_BLOCK + MIB2;
    case_begin("budget and coalesce: tables_needed before map_range, pages made alike become a 2 MiB block");
    idmap_t *map = new_map_with_base(3, 1);
    if (!map) {
        case_end();
        return;
    }
    idmap_region_t r = idmap_region(start, end);
    size_t needed = 0;
    const size_t before = idmap_table_count(map);
    idmap_status_t st = idmap_tables_needed(map, &r, NORMAL | XN | NG | V, IDMAP_NO_BLOCK_MAPPINGS, &needed);
    CHECK(st == IDMAP_OK, "tables_needed: %s", last_error_text(map));
    st = idmap_map_range_with_constraints(map, &r, NORMAL | XN | NG | V, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(st == IDMAP_OK, "map_range: %s", last_error_text(map));
    CHECK(idmap_table_count(map) == before + needed, "tables_needed said %u, map_range took %u",
          (unsigned)needed, (unsigned)(idmap_table_count(map) - before));
    /* One page read-only: not alike, nothing to coalesce. */
    idmap_region_t one = idmap_region(start + PAGE, start + 2 * PAGE);
    st = idmap_map_range_with_constraints(map, &one, NORMAL | XN | NG | RO | V, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(st == IDMAP_OK, "map_range READ_ONLY: %s", last_error_text(map));
    CHECK(idmap_coalesce_subtables(map) == 0, "coalesced tables that differ");
    st = idmap_activate(map);
    CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    uint64_t pw = bm_at_s1e1w(start + PAGE), pw0 = bm_at_s1e1w(start);
    char b1[64], b2[64];
    CHECK((pw & BM_PAR_F) && !(pw0 & BM_PAR_F) && BM_PAR_PA(pw0) == start,
          "hardware before coalescing: AT S1E1W read-only page %s, its neighbour %s",
          par_text(b1, sizeof b1, pw), par_text(b2, sizeof b2, pw0));
    CHECK(idmap_coalesce_subtables(map) == 0, "coalesced an active map");
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    /* Alike again, then coalesced: the level-3 table goes, a block takes its place. */
    st = idmap_map_range_with_constraints(map, &one, NORMAL | XN | NG | V, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK(st == IDMAP_OK, "map_range read-write: %s", last_error_text(map));
    const size_t tables = idmap_table_count(map);
    CHECK(idmap_coalesce_subtables(map) == 1, "coalesce freed not one table");
    CHECK(idmap_table_count(map) == tables - 1, "table count %u, expected %u", (unsigned)idmap_table_count(map),
          (unsigned)(tables - 1));
    unsigned blocks = 0;
    st = idmap_walk_range(map, &r, count_level2, &blocks);
    CHECK(st == IDMAP_OK && blocks == 1, "walk: %u level-2 blocks", blocks);
    st = idmap_activate(map);
    CHECK(st == IDMAP_OK, "activate: %s", status_name(st));
    unsigned bad = 0;
    for (uint64_t a = start; a < end; a += 0x40000) {
        const uint64_t p = bm_at_s1e1w(a);
        bad += (p & BM_PAR_F) || BM_PAR_PA(p) != a || BM_PAR_ATTR(p) != 0xff;
    }
    CHECK(bad == 0, "hardware after coalescing: %u of 8 sampled addresses not Normal read-write at themselves",
          bad);
    bm_expect_fault();
    bm_probe_write(start + PAGE, 0x5a5a);
    CHECK(!bm_fault_taken() && bm_probe_read(start + PAGE, 0) == 0x5a5a, "store through the block: ESR 0x%llx",
          (unsigned long long)bm_fault.esr);
    st = idmap_deactivate(map);
    CHECK(st == IDMAP_OK, "deactivate: %s", status_name(st));
    idmap_free(map);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * Hardware Access flag and dirty state (FEAT_HAFDBS): what the MMU writes into the
 * descriptors, and idmap_collect_dirty reading it back. */

/* TCR_EL1.HA (bit 39) and HD (bit 40): the hardware updates the Access flag, and the
 * dirty state. */
#define TCR_HA (1ULL << 39)
#define TCR_HD (1ULL << 40)
/* A writable stage-1 leaf under IDMAP_HW_DIRTY: clean with DBM and AP[2] set; the first
 * store through it clears AP[2] (Arm ARM, "Hardware management of the dirty state"). */
#define CLEAN_MASK (IDMAP_ATTR_DBM | RO)

static void hardware_updates_case(uint64_t mmfr1)
{
    const unsigned have = hafdbs_of(mmfr1);
    case_begin("idmap_set_hardware_updates takes what ID_AA64MMFR1_EL1.HAFDBS (0x%llx: %u) allows and "
               "refuses the rest (IDMAP_ARG_NO_HAFDBS, the HAFDBS needed and the CPU's)",
               (unsigned long long)mmfr1, have);
    idmap_t *map = idmap_new(70, 1);
    if (!CHECK(map, "idmap_new(70, 1) answered NULL")) {
        case_end();
        return;
    }
    static const unsigned asked[] = {IDMAP_HW_ACCESS_FLAG, IDMAP_HW_DIRTY, IDMAP_HW_ACCESS_FLAG | IDMAP_HW_DIRTY};
    for (unsigned i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        const unsigned u = asked[i], needed = (u & IDMAP_HW_DIRTY) ? 2 : 1, before = idmap_hardware_updates(map);
        const idmap_status_t st = idmap_set_hardware_updates(map, u);
        const uint64_t v = idmap_last_error(map)->value;
        if (needed <= have)
            CHECK(st == IDMAP_OK && idmap_hardware_updates(map) == u, "updates %u (HAFDBS %u needed): %s, now %u", u,
                  needed, last_error_text(map), idmap_hardware_updates(map));
        else
            CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && (v & 0xff) == IDMAP_ARG_NO_HAFDBS &&
                      ((v >> 16) & 0xffff) == needed && ((v >> 32) & 0xffff) == have &&
                      idmap_hardware_updates(map) == before,
                  "updates %u (HAFDBS %u needed): %s, value 0x%llx, now %u (was %u)", u, needed, status_name(st),
                  (unsigned long long)v, idmap_hardware_updates(map), before);
    }
    idmap_status_t st = idmap_set_hardware_updates(map, 4);
    CHECK(st == IDMAP_ERR_INVALID_FLAGS && idmap_last_error(map)->value == 4, "updates 4: %s, value %llu",
          status_name(st), (unsigned long long)idmap_last_error(map)->value);
    st = idmap_set_hardware_updates(map, 0);
    CHECK(st == IDMAP_OK && idmap_hardware_updates(map) == 0, "updates 0: %s", status_name(st));
    idmap_free(map);
    case_end();
}

/* The leaf of va is at level, valid, and clean (clean != 0: DBM and AP[2] set) or dirty
 * (DBM set, AP[2] cleared by the hardware). */
static void check_dirty_state(const idmap_t *map, const char *when, uint64_t va, unsigned level, int clean)
{
    const struct leaf lf = walk_one(map, va);
    CHECK(lf.found == 1 && lf.level == level && (lf.desc & V) &&
              (lf.desc & CLEAN_MASK) == (clean ? CLEAN_MASK : IDMAP_ATTR_DBM),
          "%s: 0x%llx is not %s at level %u: %s", when, (unsigned long long)va, clean ? "clean" : "dirty", level,
          leaf_text(&lf));
}

/* Pages of DIRTY_PAGES stored to in rounds 1 and 2; 4 and 15 in both, so that a TLB entry
 * still writable from round 1 would let round 2's stores through without making them
 * dirty: only collect_dirty's invalidation makes them reported again. */
static const uint64_t k_dirty_rounds[2] = {(1 << 1) | (1 << 4) | (1 << 5) | (1 << 15),
                                           (1 << 0) | (1 << 4) | (1 << 7) | (1 << 15)};
static const uint64_t k_no_page[8], k_whole_block[8] = {~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL};

static uint64_t dirty_word(uint64_t va, unsigned round)
{
    return va ^ (0xd1e7000000000000ULL + round);
}

/* One round: a store to each page of DIRTY_PAGES in written (and to the block if
 * block), a load from each other page; none may fault. The written pages and the block
 * are dirty then, the others clean still; collect_dirty reports exactly them and leaves
 * every one clean. */
static void dirty_round(idmap_t *map, unsigned round, uint64_t written, int block)
{
    for (uint64_t i = 0; i < DIRTY_N; i++) {
        const uint64_t va = DIRTY_PAGES + i * PAGE + 8 * round;
        bm_expect_fault();
        if (written >> i & 1) {
            bm_probe_write(va, dirty_word(va, round));
            CHECK(!bm_fault_taken(), "round %u: store to clean page %llu faulted: ESR 0x%llx | tables: %s", round,
                  (unsigned long long)i, (unsigned long long)bm_fault.esr, leaf_text_of(map, va));
        } else {
            const uint64_t v = bm_probe_read(DIRTY_PAGES + i * PAGE, ~0ULL);
            CHECK(!bm_fault_taken() && v == dirty_word(DIRTY_PAGES + i * PAGE, 0),
                  "round %u: load from page %llu: 0x%llx, fault ESR 0x%llx", round, (unsigned long long)i,
                  (unsigned long long)v, (unsigned long long)bm_fault.esr);
        }
    }
    if (block) {
        bm_expect_fault();
        bm_probe_write(DIRTY_BLOCK + 0x12340 + 8 * round, round);
        CHECK(!bm_fault_taken(), "round %u: store to the clean block faulted: ESR 0x%llx | tables: %s", round,
              (unsigned long long)bm_fault.esr, leaf_text_of(map, DIRTY_BLOCK));
    }
    for (uint64_t i = 0; i < DIRTY_N; i++)
        if (i != DIRTY_RO)
            check_dirty_state(map, "after the accesses", DIRTY_PAGES + i * PAGE, 3, !(written >> i & 1));
    check_dirty_state(map, "after the accesses", DIRTY_BLOCK, 2, !block);
}

/* Stage 1 under IDMAP_HW_DIRTY with the MMU on (idmap_enable_mmu): DIRTY_N pages (one
 * READ_ONLY) and a 2 MiB block, mapped clean; stores make them dirty in the descriptor,
 * idmap_collect_dirty finds exactly those and makes them clean, round after round. */
static void dirty_cases(uint64_t mmfr1)
{
    case_begin("hardware dirty state: a map with IDMAP_HW_DIRTY writes %llu pages and a 2 MiB block clean (DBM, "
               "AP[2]); idmap_enable_mmu sets TCR_EL1.HA and HD",
               DIRTY_N);
    if (hafdbs_of(mmfr1) < 2) {
        case_skip("no hardware dirty state: ID_AA64MMFR1_EL1 0x%llx, HAFDBS %u (2 needed)", (unsigned long long)mmfr1,
                  hafdbs_of(mmfr1));
        case_end();
        return;
    }
    /* what the loads read: written with the home map live */
    for (uint64_t i = 0; i < DIRTY_N; i++)
        *(volatile uint64_t *)(uintptr_t)(DIRTY_PAGES + i * PAGE) = dirty_word(DIRTY_PAGES + i * PAGE, 0);
    idmap_t *map = new_map_with_base(71, 1);
    idmap_status_t st = map ? idmap_set_hardware_updates(map, IDMAP_HW_DIRTY) : IDMAP_ERR_INVALID_ARGUMENT;
    int ok = map && CHECK(st == IDMAP_OK, "idmap_set_hardware_updates(DIRTY): %s", last_error_text(map));
    ok = ok && map_or_fail(map, DIRTY_PAGES, DIRTY_PAGES + DIRTY_N * PAGE, F_DATA) &&
         map_or_fail(map, DIRTY_PAGES + DIRTY_RO * PAGE, DIRTY_PAGES + (DIRTY_RO + 1) * PAGE, F_RODATA) &&
         map_or_fail(map, DIRTY_BLOCK, DIRTY_BLOCK + MIB2, F_DATA);
    idmap_mmu_config_t cfg = {0};
    struct mmu_regs live = {0, 0, 0, 0};
    if (ok) {
        for (uint64_t i = 0; i < DIRTY_N; i++)
            if (i != DIRTY_RO)
                check_dirty_state(map, "as mapped", DIRTY_PAGES + i * PAGE, 3, 1);
        const struct leaf ro = walk_one(map, DIRTY_PAGES + DIRTY_RO * PAGE);
        CHECK((ro.desc & CLEAN_MASK) == RO, "the READ_ONLY page: %s, expected AP[2] without DBM", leaf_text(&ro));
        check_dirty_state(map, "as mapped", DIRTY_BLOCK, 2, 1);
        st = idmap_mmu_config(map, BM_READ_SYSREG(id_aa64mmfr0_el1), &cfg);
        CHECK(st == IDMAP_OK, "idmap_mmu_config: %s", status_name(st));
        st = idmap_enable_mmu(map);
        live = read_mmu_regs();
        ok = CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st));
    }
    if (ok) {
        CHECK((live.tcr & (TCR_HA | TCR_HD)) == (TCR_HA | TCR_HD) && live.tcr == cfg.tcr,
              "live TCR_EL1 0x%llx: HA %u HD %u; idmap_mmu_config said 0x%llx", (unsigned long long)live.tcr,
              (unsigned)((live.tcr & TCR_HA) != 0), (unsigned)((live.tcr & TCR_HD) != 0),
              (unsigned long long)cfg.tcr);
        CHECK((g_regs_home.tcr & (TCR_HA | TCR_HD)) == 0, "the home map's TCR_EL1 0x%llx has HA or HD",
              (unsigned long long)g_regs_home.tcr);
        case_name_append(" (TCR_EL1 0x%llx)", (unsigned long long)live.tcr);
    }
    case_end();
    if (!ok) {
        idmap_free(map);
        return;
    }

    case_begin("hardware dirty state: loads from every page leave them clean; idmap_collect_dirty reports none");
    dirty_round(map, 0, 0, 0);
    check_collect_dirty(map, "no store yet", DIRTY_PAGES, DIRTY_N, k_no_page);
    check_collect_dirty(map, "no store yet", DIRTY_BLOCK, MIB2 / PAGE, k_no_page);
    case_end();

    for (unsigned round = 1; round <= 2; round++) {
        const uint64_t w = k_dirty_rounds[round - 1];
        if (round == 1)
            case_begin("hardware dirty state, round 1: stores to clean pages 0x%04llx and the block go through, "
                       "AP[2] cleared; the READ_ONLY page faults; idmap_collect_dirty reports exactly them, clean "
                       "again", (unsigned long long)w);
        else
            case_begin("hardware dirty state, round 2: pages 0x%04llx (4, 15 again) and the block again: dirty "
                       "again (collect_dirty invalidated the TLB), reported exactly, clean again",
                       (unsigned long long)w);
        dirty_round(map, round, w, 1);
        bm_expect_fault();
        bm_probe_write(DIRTY_PAGES + DIRTY_RO * PAGE + 8, 1);
        check_fault(map, "store to the READ_ONLY page", DIRTY_PAGES + DIRTY_RO * PAGE + 8, BM_EC_DABORT_SAME_EL,
                    BM_FSC_PERMISSION(3), 1);
        check_collect_dirty(map, "after the stores", DIRTY_PAGES, DIRTY_N, &w);
        if (round == 2) {
            /* The block reaches past this range: reported for its pages inside, left dirty. */
            const uint64_t inside = 0xf;
            check_collect_dirty(map, "part of the block", DIRTY_BLOCK + 3 * PAGE, 4, &inside);
            check_dirty_state(map, "after a part of it was collected", DIRTY_BLOCK, 2, 0);
        }
        check_collect_dirty(map, "after the stores", DIRTY_BLOCK, MIB2 / PAGE, k_whole_block);
        for (uint64_t i = 0; i < DIRTY_N; i++)
            if (i != DIRTY_RO)
                check_dirty_state(map, "after idmap_collect_dirty", DIRTY_PAGES + i * PAGE, 3, 1);
        check_dirty_state(map, "after idmap_collect_dirty", DIRTY_BLOCK, 2, 1);
        for (uint64_t i = 0; i < DIRTY_N; i++) {
            const uint64_t va = DIRTY_PAGES + i * PAGE + 8 * round;
            if (w >> i & 1)
                CHECK(bm_probe_read(va, 0) == dirty_word(va, round), "page %llu: the store is not in memory",
                      (unsigned long long)i);
        }
        case_end();
    }

    case_begin("hardware dirty state: no store after the last collection, idmap_collect_dirty reports none; "
               "idmap_disable_mmu restores the home map's TCR_EL1 (no HA, HD)");
    dirty_round(map, 3, 0, 0);
    check_collect_dirty(map, "no store since", DIRTY_PAGES, DIRTY_N, k_no_page);
    check_collect_dirty(map, "no store since", DIRTY_BLOCK, MIB2 / PAGE, k_no_page);
    st = idmap_disable_mmu(map);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
    check_regs_equal("after disable", read_mmu_regs(), g_regs_home);
    case_end();
    idmap_free(map);
}

/* A leaf's Access flag (AF, bit 10) at va. */
static int accessed(const idmap_t *map, uint64_t va)
{
    return (walk_one(map, va).desc & IDMAP_ATTR_ACCESSED) != 0;
}

/* Stage 1 under IDMAP_HW_ACCESS_FLAG alone (TCR_EL1.HA, not HD): leaves without AF, made
 * so by idmap_change_attributes, are accessed without an Access flag fault, and the
 * hardware sets AF in them. */
static void access_flag_case(uint64_t mmfr1)
{
    case_begin("hardware Access flag (IDMAP_HW_ACCESS_FLAG: TCR_EL1.HA, not HD): a load, a store, a block's "
               "load without AF do not fault and set AF; so does a load after AF is cleared live");
    if (hafdbs_of(mmfr1) < 1) {
        case_skip("no hardware Access flag: ID_AA64MMFR1_EL1 0x%llx, HAFDBS 0 (1 needed)", (unsigned long long)mmfr1);
        case_end();
        return;
    }
    const uint64_t load = AF_PAGES, store = AF_PAGES + PAGE, live_page = AF_PAGES + 2 * PAGE;
    idmap_t *map = new_map_with_base(72, 1);
    idmap_status_t st = map ? idmap_set_hardware_updates(map, IDMAP_HW_ACCESS_FLAG) : IDMAP_ERR_INVALID_ARGUMENT;
    int ok = map && CHECK(st == IDMAP_OK, "idmap_set_hardware_updates(ACCESS_FLAG): %s", last_error_text(map));
    ok = ok && map_or_fail(map, AF_PAGES, AF_PAGES + 3 * PAGE, F_DATA) &&
         map_or_fail(map, DIRTY_BLOCK, DIRTY_BLOCK + MIB2, F_DATA);
    const idmap_region_t cleared = idmap_region(AF_PAGES, AF_PAGES + 2 * PAGE);
    const idmap_region_t block = idmap_region(DIRTY_BLOCK, DIRTY_BLOCK + MIB2);
    ok = ok && CHECK(idmap_change_attributes(map, &cleared, 0, IDMAP_ATTR_ACCESSED) == IDMAP_OK &&
                         idmap_change_attributes(map, &block, 0, IDMAP_ATTR_ACCESSED) == IDMAP_OK,
                     "change_attributes clearing AF: %s", last_error_text(map));
    if (ok) {
        CHECK(!accessed(map, load) && !accessed(map, store) && !accessed(map, DIRTY_BLOCK) && accessed(map, live_page),
              "AF after change_attributes: %s", leaf_text_of(map, load));
        CHECK((walk_one(map, store).desc & IDMAP_ATTR_DBM) == 0, "DBM without IDMAP_HW_DIRTY: %s",
              leaf_text_of(map, store));
        st = idmap_enable_mmu(map);
        ok = CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st));
    }
    if (ok) {
        const uint64_t tcr = BM_READ_SYSREG(tcr_el1);
        CHECK((tcr & (TCR_HA | TCR_HD)) == TCR_HA, "live TCR_EL1 0x%llx: HA %u HD %u, expected HA alone",
              (unsigned long long)tcr, (unsigned)((tcr & TCR_HA) != 0), (unsigned)((tcr & TCR_HD) != 0));
        bm_expect_fault();
        (void)bm_probe_read(load, 0);
        CHECK(!bm_fault_taken(), "load without AF faulted: ESR 0x%llx", (unsigned long long)bm_fault.esr);
        CHECK(accessed(map, load), "after the load: %s", leaf_text_of(map, load));
        bm_expect_fault();
        bm_probe_write(store, 0xaf);
        CHECK(!bm_fault_taken() && bm_probe_read(store, 0) == 0xaf, "store without AF: ESR 0x%llx",
              (unsigned long long)bm_fault.esr);
        CHECK(accessed(map, store), "after the store: %s", leaf_text_of(map, store));
        bm_expect_fault();
        (void)bm_probe_read(DIRTY_BLOCK + 0x4560, 0);
        CHECK(!bm_fault_taken(), "load from the block without AF faulted: ESR 0x%llx",
              (unsigned long long)bm_fault.esr);
        CHECK(accessed(map, DIRTY_BLOCK), "after the load: %s", leaf_text_of(map, DIRTY_BLOCK));
        /* In the TLB with AF, then AF cleared live: the next load walks again and sets it. */
        (void)bm_probe_read(live_page, 0);
        const idmap_region_t one = idmap_region(live_page, live_page + PAGE);
        st = idmap_change_attributes(map, &one, 0, IDMAP_ATTR_ACCESSED);
        CHECK(st == IDMAP_OK && !accessed(map, live_page), "clearing AF live: %s, %s", status_name(st),
              leaf_text_of(map, live_page));
        bm_expect_fault();
        (void)bm_probe_read(live_page, 0);
        CHECK(!bm_fault_taken() && accessed(map, live_page), "load after AF cleared live: ESR 0x%llx, %s",
              (unsigned long long)bm_fault.esr, leaf_text_of(map, live_page));
        st = idmap_disable_mmu(map);
        CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
        check_regs_equal("after disable", read_mmu_regs(), g_regs_home);
    }
    idmap_free(map);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * Tables that protect themselves (idmap_protect_tables): a map's table pages made
 * READ_ONLY in itself or in the live map, so that a stray store to a table faults, and
 * the library refuses to write them until idmap_unprotect_tables. */

/* Table pages from PROTECT_PAGES pages at base, which the maps below map by pages: bit i
 * of used, page i handed out. */
struct page_pool {
    uint64_t base, used;
};

static void *pool_alloc(void *ctx)
{
    struct page_pool *p = ctx;
    for (uint64_t i = 0; i < PROTECT_PAGES; i++)
        if (!(p->used >> i & 1)) {
            p->used |= 1ULL << i;
            return (void *)(uintptr_t)(p->base + i * PAGE);
        }
    return 0;
}

static void pool_free(void *ctx, void *page)
{
    struct page_pool *p = ctx;
    p->used &= ~(1ULL << (((uintptr_t)page - p->base) / PAGE));
}

static unsigned pool_pages(const struct page_pool *p)
{
    unsigned n = 0;
    for (uint64_t i = 0; i < PROTECT_PAGES; i++)
        n += p->used >> i & 1;
    return n;
}

static uint64_t pool_page(const struct page_pool *p, uint64_t i)
{
    return p->base + i * PAGE;
}

#define FOR_EACH_TABLE(p, i) \
    for (uint64_t i = 0; i < PROTECT_PAGES; i++) \
        if ((p)->used >> i & 1)

/* A digest of a table page's 512 entries. */
static uint64_t table_digest(uint64_t page)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint64_t i = 0; i < PAGE / 8; i++)
        h = (h ^ ((volatile uint64_t *)(uintptr_t)page)[i]) * 0x100000001b3ULL;
    return h;
}

/* The first invalid (zero) entry of a table page, else its last entry: what a store may
 * hit, as a stray store would, without changing the translation if it went through. */
static uint64_t spare_entry(uint64_t page)
{
    for (uint64_t a = page; a < page + PAGE; a += 8)
        if (*(volatile uint64_t *)(uintptr_t)a == 0)
            return a;
    return page + PAGE - 8;
}

/* A stray-looking value for a store to entry: invalid (bit 0 clear) where the entry is
 * zero, the entry itself where it is not. */
static uint64_t stray_value(uint64_t entry)
{
    const uint64_t old = *(volatile uint64_t *)(uintptr_t)entry;
    return old ? old : 0x5a5a5a5a5a5a5a50ULL;
}

/* Each table page's leaf in `in` is a level-3 page, read-only without DBM where ro, else
 * writable; so is every other page of the pool, writable. */
static void check_pool_leaves(const idmap_t *in, const struct page_pool *p, int ro)
{
    unsigned bad = 0;
    for (uint64_t i = 0; i < PROTECT_PAGES; i++) {
        const uint64_t page = pool_page(p, i);
        const int table = p->used >> i & 1;
        const struct leaf lf = walk_one(in, page);
        const uint64_t want = table && ro ? RO : 0;
        if (lf.found != 1 || lf.level != 3 || !(lf.desc & V) || (lf.desc & (RO | IDMAP_ATTR_DBM)) != want) {
            if (!bad++)
                fail("pool page 0x%llx (%s): expected a level-3 page, %s | tables: %s", (unsigned long long)page,
                     table ? "a table" : "no table", want ? "READ_ONLY without DBM" : "writable", leaf_text(&lf));
        }
    }
    if (bad > 1)
        fail("%u of %llu pool pages so", bad, PROTECT_PAGES);
}

/* A store to each table page faults (permission fault, level 3, at the address stored
 * to), and leaves the page as it was; AT S1E1W agrees, AT S1E1R gives the page. */
static void check_stores_fault(const idmap_t *map, const struct page_pool *p)
{
    FOR_EACH_TABLE(p, i) {
        const uint64_t page = pool_page(p, i), entry = spare_entry(page), before = table_digest(page);
        bm_expect_fault();
        bm_probe_write(entry, stray_value(entry));
        check_fault(map, "store to a table page", entry, BM_EC_DABORT_SAME_EL, BM_FSC_PERMISSION(3), 1);
        CHECK(table_digest(page) == before, "table page 0x%llx changed", (unsigned long long)page);
        const uint64_t pr = bm_at_s1e1r(page), pw = bm_at_s1e1w(page);
        char r[64], w[64];
        CHECK(!(pr & BM_PAR_F) && BM_PAR_PA(pr) == page && (pw & BM_PAR_F) &&
                  BM_PAR_FST(pw) == (unsigned)BM_FSC_PERMISSION(3),
              "table page 0x%llx: AT S1E1R %s, AT S1E1W %s (expected a permission fault, level 3)",
              (unsigned long long)page, par_text(r, sizeof r, pr), par_text(w, sizeof w, pw));
    }
}

/* A store to each table page goes through: the value it holds stored back (a zero entry
 * zero), so the tables stay as they are. */
static void check_stores_pass(const idmap_t *map, const struct page_pool *p, const char *when)
{
    FOR_EACH_TABLE(p, i) {
        const uint64_t entry = spare_entry(pool_page(p, i)), old = *(volatile uint64_t *)(uintptr_t)entry;
        bm_expect_fault();
        bm_probe_write(entry, old);
        CHECK(!bm_fault_taken(), "%s: store to table page 0x%llx faulted: ESR 0x%llx FAR 0x%llx | tables: %s", when,
              (unsigned long long)pool_page(p, i), (unsigned long long)bm_fault.esr,
              (unsigned long long)bm_fault.far, leaf_text_of(map, entry));
    }
}

/* idmap_map_range of PROTECT_SPARE on map, protected: refused with
 * IDMAP_ARG_TABLES_READ_ONLY, no fault on the way (the library wrote nothing), the
 * tables as they were. Then idmap_change_attributes and idmap_unmap_range alike. */
static void check_writers_refused(idmap_t *map, const struct page_pool *p)
{
    uint64_t digest[PROTECT_PAGES];
    FOR_EACH_TABLE(p, i) digest[i] = table_digest(pool_page(p, i));
    const idmap_region_t spare = idmap_region(PROTECT_SPARE, PROTECT_SPARE + PAGE);
    const idmap_region_t pool = idmap_region(p->base, p->base + PAGE);
    static const char *const what[] = {"map_range", "change_attributes", "unmap_range"};
    for (unsigned k = 0; k < 3; k++) {
        bm_expect_fault();
        const idmap_status_t st = k == 0   ? idmap_map_range(map, &spare, F_DATA)
                                  : k == 1 ? idmap_change_attributes(map, &pool, RO, 0)
                                           : idmap_unmap_range(map, &pool);
        const int faulted = bm_fault_taken();
        const uint64_t v = idmap_last_error(map)->value;
        CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && v == IDMAP_ARG_TABLES_READ_ONLY && !faulted,
              "%s on the protected map: %s, value %llu, %s (ESR 0x%llx FAR 0x%llx)", what[k], status_name(st),
              (unsigned long long)v, faulted ? "faulted" : "no fault", (unsigned long long)bm_fault.esr,
              (unsigned long long)bm_fault.far);
    }
    FOR_EACH_TABLE(p, i) CHECK(table_digest(pool_page(p, i)) == digest[i], "table page 0x%llx changed",
                               (unsigned long long)pool_page(p, i));
    const struct leaf lf = walk_one(map, PROTECT_SPARE);
    CHECK(lf.status == IDMAP_OK && lf.found == 1 && !(lf.desc & V), "PROTECT_SPARE after the refusal: %s",
          leaf_text(&lf));
}

/* The walk reads the protected tables: over the pool, a valid level-3 leaf a page,
 * READ_ONLY exactly where a table is. */
static int count_pool_leaf(const idmap_region_t *region, const idmap_descriptor_t *desc, unsigned level, void *ctx)
{
    const struct page_pool *p = ctx;
    const uint64_t i = (region->start - p->base) / PAGE;
    const int table = p->used >> i & 1;
    return level != 3 || !(desc->bits & V) || !!(desc->bits & RO) != table;
}

/* A map of the base layout and both pools, by pages, its tables from pool a (asid). */
static idmap_t *new_pool_map(uint64_t asid, const idmap_allocator_t *a)
{
    struct layout *l = &g_layout;
    lay_init(l, "base", 1);
    lay_add_base(l);
    idmap_t *map = idmap_new_with_allocator(asid, 1, a);
    if (!CHECK(map, "idmap_new_with_allocator(%llu, 1) answered NULL", (unsigned long long)asid))
        return 0;
    if (lay_map(map, l) || !map_pages_or_fail(map, PROTECT_POOL, PROTECT_POOL + 2 * PROTECT_PAGES * PAGE, F_DATA)) {
        idmap_free(map);
        return 0;
    }
    return map;
}

/* 1. A map whose tables it maps itself, by pages, protected in itself before it goes live
 * (the bootloader's order: finish the map, protect it, enable the MMU). */
static void protect_self_cases(void)
{
    static struct page_pool pool = {PROTECT_POOL, 0};
    const idmap_allocator_t a = {pool_alloc, pool_free, &pool};
    case_begin("protected tables: idmap_protect_tables(map, NULL) of a map that maps its own table pages by "
               "pages makes each READ_ONLY without DBM in it; protecting again is refused");
    idmap_t *map = new_pool_map(80, &a);
    idmap_status_t st = IDMAP_ERR_INVALID_ARGUMENT;
    if (map) {
        CHECK(idmap_table_count(map) == pool_pages(&pool), "%u tables, %u pages from the pool",
              (unsigned)idmap_table_count(map), pool_pages(&pool));
        check_pool_leaves(map, &pool, 0);
        CHECK(!idmap_tables_protected(map), "idmap_tables_protected before protecting");
        st = idmap_protect_tables(map, 0);
        CHECK(st == IDMAP_OK && idmap_tables_protected(map), "idmap_protect_tables: %s, protected %d",
              last_error_text(map), idmap_tables_protected(map));
        check_pool_leaves(map, &pool, 1);
        const idmap_status_t again = idmap_protect_tables(map, 0);
        CHECK(again == IDMAP_ERR_INVALID_ARGUMENT && idmap_last_error(map)->value == IDMAP_ARG_TABLES_READ_ONLY,
              "idmap_protect_tables again: %s", last_error_text(map));
        case_name_append(" (%u table pages)", pool_pages(&pool));
    }
    case_end();
    if (st != IDMAP_OK) {
        idmap_free(map);
        return;
    }

    case_begin("protected tables, live (idmap_enable_mmu_checked): a store to each table page takes a permission "
               "fault, level 3, FAR the address, the page unchanged; AT S1E1W faults, AT S1E1R maps");
    idmap_preflight_t pf = {0, 0, 0, false, 0, 0, 0};
    idmap_preflight_read_cpu(&pf);
    st = idmap_enable_mmu_checked(map, &pf);
    const int live = CHECK(st == IDMAP_OK, "idmap_enable_mmu_checked: %s", last_error_text(map));
    if (live)
        check_stores_fault(map, &pool);
    case_end();
    if (!live) {
        idmap_free(map);
        return;
    }

    case_begin("protected tables, live: map_range, change_attributes and unmap_range are refused "
               "(IDMAP_ARG_TABLES_READ_ONLY) with no fault: the library wrote nothing");
    check_writers_refused(map, &pool);
    case_end();

    case_begin("protected tables, live: idmap_walk_range reads them (a READ_ONLY level-3 leaf for exactly each "
               "table page of the pool)");
    const idmap_region_t pr = idmap_region(PROTECT_POOL, PROTECT_POOL + PROTECT_PAGES * PAGE);
    bm_expect_fault();
    st = idmap_walk_range(map, &pr, count_pool_leaf, &pool);
    CHECK(st == IDMAP_OK && !bm_fault_taken(), "walk_range over the pool: %s%s", status_name(st),
          bm_fault_taken() ? ", faulted" : "");
    case_end();

    case_begin("protected tables, live: idmap_unprotect_tables is refused (IDMAP_ERR_ALREADY_ACTIVE: its tables "
               "would be written through themselves); a store still faults");
    st = idmap_unprotect_tables(map);
    CHECK(st == IDMAP_ERR_ALREADY_ACTIVE && idmap_tables_protected(map), "idmap_unprotect_tables: %s, protected %d",
          status_name(st), idmap_tables_protected(map));
    check_stores_fault(map, &pool);
    st = idmap_disable_mmu(map);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
    check_regs_equal("after disable", read_mmu_regs(), g_regs_home);
    case_end();
    if (st != IDMAP_OK)
        return;

    case_begin("protected tables: disabled, unprotected, enabled again: stores to the table pages go through, "
               "map_range maps a page usable at once, protecting it live is refused (ALREADY_ACTIVE)");
    st = idmap_unprotect_tables(map);
    CHECK(st == IDMAP_OK && !idmap_tables_protected(map), "idmap_unprotect_tables: %s, protected %d",
          last_error_text(map), idmap_tables_protected(map));
    check_pool_leaves(map, &pool, 0);
    st = idmap_enable_mmu(map);
    if (CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st))) {
        check_stores_pass(map, &pool, "unprotected");
        if (map_or_fail(map, PROTECT_SPARE, PROTECT_SPARE + PAGE, F_DATA))
            check_writable(map, "the page mapped live", PROTECT_SPARE + 8, 0x9a7ec7ed);
        st = idmap_protect_tables(map, 0);
        CHECK(st == IDMAP_ERR_ALREADY_ACTIVE && !idmap_tables_protected(map),
              "idmap_protect_tables of the live map in itself: %s, protected %d", status_name(st),
              idmap_tables_protected(map));
        check_stores_pass(map, &pool, "after the refusal");
        st = idmap_disable_mmu(map);
        CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
    }
    idmap_free(map);
    CHECK(pool.used == 0, "idmap_free gave back not every table page: 0x%llx left", (unsigned long long)pool.used);
    case_end();
}

/* 2. A map never walked, its tables protected in the live home map: TLB maintenance
 * makes it take effect at once, and its undoing too. */
static void protect_in_home_case(void)
{
    static struct page_pool pool = {PROTECT_POOL + PROTECT_PAGES * PAGE, 0};
    const idmap_allocator_t a = {pool_alloc, pool_free, &pool};
    case_begin("protected tables in the live home map: stores to another map's table pages go through, fault "
               "at once after idmap_protect_tables(map, home), go through again after unprotect");
    idmap_t *map = idmap_new_with_allocator(81, 1, &a);
    int ok = CHECK(map, "idmap_new_with_allocator(81, 1) answered NULL");
    ok = ok && map_or_fail(map, RO_BLOCK, RO_BLOCK + MIB2, F_DATA) &&
         map_or_fail(map, HOLE_TABLE, HOLE_TABLE + 3 * PAGE, F_DATA) && map_or_fail(map, RO_GIB, RO_GIB + GIB1, F_DATA);
    if (ok) {
        case_name_append(" (%u table pages)", pool_pages(&pool));
        CHECK(idmap_table_count(map) == pool_pages(&pool), "%u tables, %u pages from the pool",
              (unsigned)idmap_table_count(map), pool_pages(&pool));
        check_pool_leaves(g_home, &pool, 0);
        /* each page in the TLB writable: only protect_tables' invalidation makes the
         * stores below fault */
        check_stores_pass(g_home, &pool, "before protecting");
        const idmap_status_t st = idmap_protect_tables(map, g_home);
        ok = CHECK(st == IDMAP_OK && idmap_tables_protected(map), "idmap_protect_tables(map, home): %s, protected %d",
                   last_error_text(map), idmap_tables_protected(map));
    }
    if (ok) {
        check_pool_leaves(g_home, &pool, 1);
        check_stores_fault(g_home, &pool);
        check_writers_refused(map, &pool);
        const idmap_status_t st = idmap_unprotect_tables(map);
        CHECK(st == IDMAP_OK && !idmap_tables_protected(map), "idmap_unprotect_tables with home live: %s",
              last_error_text(map));
        check_pool_leaves(g_home, &pool, 0);
        check_stores_pass(g_home, &pool, "unprotected");
        map_or_fail(map, PROTECT_SPARE, PROTECT_SPARE + PAGE, F_DATA);
    }
    idmap_free(map);
    CHECK(pool.used == 0, "idmap_free gave back not every table page: 0x%llx left", (unsigned long long)pool.used);
    case_end();
}

/* Tables a map does not map by pages: refused, IDMAP_ARG_TABLES_NOT_PAGES with va = a
 * table page, nothing changed in either map. */
static void protect_not_pages_case(void)
{
    static struct page_pool pool = {PROTECT_POOL + PROTECT_PAGES * PAGE, 0};
    const idmap_allocator_t a = {pool_alloc, pool_free, &pool};
    case_begin("idmap_protect_tables refuses tables mapped by a 2 MiB block, or not mapped, in the map given "
               "(IDMAP_ARG_TABLES_NOT_PAGES, va a table page), changing neither map");
    idmap_t *map = idmap_new_with_allocator(82, 1, &a);
    idmap_t *blocks = idmap_new(83, 1);
    const uint64_t slot = PROTECT_POOL & ~(MIB2 - 1);
    if (CHECK(map && blocks, "idmap_new answered NULL") && map_or_fail(map, RO_BLOCK, RO_BLOCK + MIB2, F_DATA)) {
        for (unsigned mapped = 0; mapped < 2; mapped++) {
            if (mapped && !map_or_fail(blocks, slot, slot + MIB2, F_DATA))
                break;
            const struct leaf before = walk_one(blocks, pool.base);
            const idmap_status_t st = idmap_protect_tables(map, blocks);
            const idmap_error_t *e = idmap_last_error(map);
            const uint64_t i = (e->va - pool.base) / PAGE;
            CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && e->value == IDMAP_ARG_TABLES_NOT_PAGES && e->va >= pool.base &&
                      i < PROTECT_PAGES && (pool.used >> i & 1) && !idmap_tables_protected(map),
                  "%s: idmap_protect_tables: %s, va 0x%llx (tables 0x%llx from 0x%llx)",
                  mapped ? "by a block" : "not mapped", last_error_text(map), (unsigned long long)e->va,
                  (unsigned long long)pool.used, (unsigned long long)pool.base);
            const struct leaf after = walk_one(blocks, pool.base);
            CHECK(after.found == before.found && after.level == before.level && after.desc == before.desc &&
                      (!mapped || after.level == 2),
                  "%s: the map given changed: %s", mapped ? "by a block" : "not mapped", leaf_text(&after));
        }
    }
    idmap_free(blocks);
    idmap_free(map);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * The home map, and the MMU on and off */

static idmap_t *build_home(void)
{
    idmap_t *map = idmap_new(HOME_ASID, 1);
    if (!CHECK(map, "idmap_new(1, 1) answered NULL"))
        return 0;
    /* RAM first, then what overrides parts of it; the same order as home_map_case(). */
    int ok = map_or_fail(map, BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE, F_DATA);
    ok = ok && map_or_fail(map, FLUSH_PAGE, FLUSH_PAGE + PAGE, F_RODATA);
    /* by pages: table pages of other maps can be made read-only here (protect_in_home_case) */
    ok = ok && map_pages_or_fail(map, PROTECT_POOL, PROTECT_POOL + 2 * PROTECT_PAGES * PAGE, F_DATA);
    struct layout *l = &g_layout;
    lay_init(l, "base", 1);
    lay_add_base(l);
    ok = ok && !lay_map(map, l);
    if (!ok) {
        idmap_free(map);
        return 0;
    }
    return map;
}

/* A map idmap_enable_mmu turned on is the MMU's until idmap_disable_mmu: idmap_deactivate
 * would load the TTBR0 of before, and leave the MMU walking what is no table. idmap_free
 * turns it off as idmap_disable_mmu does. */
static void ownership_cases(void)
{
    case_begin("idmap_deactivate refuses the map idmap_enable_mmu turned on "
               "(IDMAP_ARG_MMU_ENABLED); the MMU stays on it");
    idmap_status_t st = idmap_deactivate(g_home);
    const idmap_error_t *e = idmap_last_error(g_home);
    CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && e->value == IDMAP_ARG_MMU_ENABLED, "idmap_deactivate: %s, value %llu",
          status_name(st), (unsigned long long)e->value);
    check_regs_equal("after the refusal", read_mmu_regs(), g_regs_home);
    CHECK(idmap_is_active(g_home), "the home map is no longer active");
    case_end();

    case_begin("idmap_free of a map idmap_enable_mmu turned on (over the home map) loads the home "
               "map's registers back, as idmap_disable_mmu does");
    idmap_t *second = build_home();
    st = second ? idmap_enable_mmu(second) : IDMAP_ERR_OUT_OF_MEMORY;
    if (CHECK(st == IDMAP_OK, "idmap_enable_mmu(second map): %s", status_name(st))) {
        CHECK(read_mmu_regs().ttbr0 == ttbr_of(second, HOME_ASID), "TTBR0 is not the second map's");
        idmap_free(second);
        check_regs_equal("after idmap_free", read_mmu_regs(), g_regs_home);
    } else {
        idmap_free(second);
    }
    case_end();
}

/* The set/way clean's decoding of CCSIDR_EL1 (src/arch/aarch64/load_mmu_registers.S), in
 * both formats: QEMU has no FEAT_CCIDX, so the values are made up. A 64 KiB 4-way cache of
 * 64-byte lines: LineSize 2, Associativity - 1 = 3, NumSets - 1 = 255; 32-bit format
 * Associativity in bits 12:3 and NumSets in 27:13, FEAT_CCIDX's in 23:3 and 55:32. */
uint64_t aarch64_paging_ccsidr_geometry(uint64_t ccsidr, uint64_t ccidx);

static void ccsidr_case(void)
{
    case_begin("CCSIDR_EL1 decoded in both formats: 64 KiB, 4 ways, 64-byte lines = 256 sets");
    const uint64_t want = 6 | (3ULL << 8) | (255ULL << 32);
    const uint64_t v32 = (255ULL << 13) | (3ULL << 3) | 2;
    const uint64_t v64 = 0x000000ff0000001aULL;
    uint64_t got32 = aarch64_paging_ccsidr_geometry(v32, 0);
    uint64_t got64 = aarch64_paging_ccsidr_geometry(v64, 1);
    CHECK(got32 == want, "0x%llx (32-bit format): 0x%llx, want 0x%llx", (unsigned long long)v32,
          (unsigned long long)got32, (unsigned long long)want);
    CHECK(got64 == want, "0x%llx (FEAT_CCIDX): 0x%llx, want 0x%llx", (unsigned long long)v64,
          (unsigned long long)got64, (unsigned long long)want);
    /* The largest of each: 2^21 ways and 2^24 sets with FEAT_CCIDX, 2^10 and 2^15 without. */
    got64 = aarch64_paging_ccsidr_geometry((0xffffffULL << 32) | (0x1fffffULL << 3) | 7, 1);
    CHECK(got64 == (11 | (0x1fffffULL << 8) | (0xffffffULL << 32)), "largest, FEAT_CCIDX: 0x%llx",
          (unsigned long long)got64);
    got32 = aarch64_paging_ccsidr_geometry((0x7fffULL << 13) | (0x3ffULL << 3) | 7, 0);
    CHECK(got32 == (11 | (0x3ffULL << 8) | (0x7fffULL << 32)), "largest, 32-bit: 0x%llx",
          (unsigned long long)got32);
    case_end();
}

struct dump_count {
    size_t bytes, lines;
};

static void dump_counter(void *ctx, const char *text, size_t len)
{
    struct dump_count *c = ctx;
    c->bytes += len;
    for (size_t i = 0; i < len; i++)
        c->lines += text[i] == '\n';
}

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    uint64_t mmfr0 = BM_READ_SYSREG(id_aa64mmfr0_el1);
    uint64_t mmfr1 = BM_READ_SYSREG(id_aa64mmfr1_el1);
    uint64_t midr = BM_READ_SYSREG(midr_el1);
    bm_printf("# idmap target suite: board %s, entered at %s, MIDR_EL1 0x%llx, "
              "ID_AA64MMFR0_EL1 0x%llx, ID_AA64MMFR1_EL1 0x%llx, ID_AA64MMFR2_EL1 0x%llx, "
              "ID_AA64ISAR0_EL1 0x%llx\n",
              BOARD_NAME, bm_el_name(entry_el), (unsigned long long)midr,
              (unsigned long long)mmfr0, (unsigned long long)mmfr1,
              (unsigned long long)bm_read_id_aa64mmfr2(),
              (unsigned long long)BM_READ_SYSREG(id_aa64isar0_el1));
    bm_printf("# image [0x%llx, 0x%llx)\n", (unsigned long long)img_start(),
              (unsigned long long)img_end());

    struct mmu_regs off = read_mmu_regs();

    case_begin("home map built (root level 1: RAM, image, devices)");
    g_home = build_home();
    case_end();

    case_begin("idmap_mmu_config gives the documented register values");
    idmap_status_t st = g_home ? idmap_mmu_config(g_home, mmfr0, &g_home_cfg)
                               : IDMAP_ERR_INVALID_ARGUMENT;
    if (CHECK(st == IDMAP_OK, "idmap_mmu_config: %s", status_name(st))) {
        const idmap_mmu_config_t *c = &g_home_cfg;
        uint64_t parange = mmfr0 & 0xf;
        uint64_t ips = parange > 5 ? 5 : parange;
        CHECK(c->mair == IDMAP_MAIR_DEFAULT, "mair 0x%llx", (unsigned long long)c->mair);
        CHECK((c->tcr & 0x3f) == 25, "TCR.T0SZ %llu, expected 25", (unsigned long long)(c->tcr & 0x3f));
        CHECK(((c->tcr >> 14) & 3) == 0, "TCR.TG0 not 4 KiB");
        CHECK(((c->tcr >> 8) & 0xf) == 5 && ((c->tcr >> 12) & 3) == 3,
              "TCR IRGN0/ORGN0/SH0 0x%llx, expected write-back inner shareable walks",
              (unsigned long long)((c->tcr >> 8) & 0x3f));
        CHECK((c->tcr >> 23) & 1, "TCR.EPD1 clear");
        CHECK(((c->tcr >> 32) & 7) == ips, "TCR.IPS %llu, PARange %llu",
              (unsigned long long)((c->tcr >> 32) & 7), (unsigned long long)parange);
        CHECK(c->ttbr == ttbr_of(g_home, HOME_ASID), "ttbr 0x%llx", (unsigned long long)c->ttbr);
        CHECK((c->sctlr_set & (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I)) ==
                  (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I),
              "sctlr_set 0x%llx", (unsigned long long)c->sctlr_set);
        CHECK((c->sctlr_clear & (IDMAP_SCTLR_A | IDMAP_SCTLR_WXN | IDMAP_SCTLR_EE)) ==
                  (IDMAP_SCTLR_A | IDMAP_SCTLR_WXN | IDMAP_SCTLR_EE),
              "sctlr_clear 0x%llx", (unsigned long long)c->sctlr_clear);
    }
    case_end();

    case_begin("idmap_enable_mmu turns the MMU and caches on with the home map");
    st = g_home ? idmap_enable_mmu(g_home) : IDMAP_ERR_INVALID_ARGUMENT;
    g_regs_home = read_mmu_regs();
    if (CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", status_name(st))) {
        struct mmu_regs want = {(off.sctlr | g_home_cfg.sctlr_set) & ~g_home_cfg.sctlr_clear,
                                g_home_cfg.tcr, g_home_cfg.mair, g_home_cfg.ttbr};
        check_regs_equal("MMU on", g_regs_home, want);
        idmap_status_t again = idmap_enable_mmu(g_home);
        CHECK(again == IDMAP_ERR_ALREADY_ACTIVE, "enable_mmu twice: %s", status_name(again));
    }
    int mmu_on = st == IDMAP_OK;
    case_end();
    if (!mmu_on) {
        bm_printf("Bail out! the MMU is not on; the rest would only crash\n");
        check_summary();
        return 1;
    }

    case_begin("idmap_dump writes the home map");
    struct dump_count dc = {0, 0};
    idmap_dump(g_home, dump_counter, &dc);
    CHECK(dc.lines >= 3 && dc.bytes > 100, "%zu bytes, %zu lines", dc.bytes, dc.lines);
    case_end();

    home_map_case();

    unsigned seed = 1;
    for (unsigned level = 0; level <= 2; level++)
        layout_cases(level, &seed);
    if (have_ttst()) {
        layout_cases(3, &seed);
    } else {
        case_begin("root level 3 without FEAT_TTST: idmap_enable_mmu refuses, nothing changes");
        idmap_t *map = idmap_new(3, 3);
        if (CHECK(map, "idmap_new(3, 3) answered NULL")) {
            st = idmap_enable_mmu(map);
            CHECK(st == IDMAP_ERR_INVALID_ARGUMENT, "idmap_enable_mmu: %s", status_name(st));
            check_regs_equal("after the refusal", read_mmu_regs(), g_regs_home);
            idmap_free(map);
        }
        case_end();
    }

    fault_cases(1);
    fault_cases(0);
    nested_enable_case();
    activate_cases();
    bbm_cases();
    live_split_cases();
    alias_cases();
    range_tlbi_cases();
    cnp_cases();
    seed_case();
    budget_coalesce_case();
    hardware_updates_case(mmfr1);
    dirty_cases(mmfr1);
    access_flag_case(mmfr1);
    protect_self_cases();
    protect_in_home_case();
    protect_not_pages_case();

    ownership_cases();
    ccsidr_case();

    case_begin("idmap_disable_mmu turns the MMU off and restores SCTLR, TCR, MAIR, TTBR0");
    static volatile uint64_t written_with_cache_on;
    written_with_cache_on = 0x600dcafe;
    st = idmap_disable_mmu(g_home);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", status_name(st));
    check_regs_equal("MMU off", read_mmu_regs(), off);
    CHECK(written_with_cache_on == 0x600dcafe, "data written with the cache on is lost");
    CHECK(!idmap_is_active(g_home), "the home map is still active");
    case_end();
    idmap_free(g_home);

    return check_summary();
}
