/*
 * guard.c - the on-target checks of the guard rails (issue 8): image guard-suite, built
 * with -DBM_STAY_AT_ENTRY_EL so that it runs at the EL QEMU enters and uses that EL's
 * regime (EL1: EL1&0, EL2: EL2 with HCR_EL2.E2H = 0, EL3: EL3).
 *
 *  1. Pre-flight, with the MMU off: maps of the image that leave out the page holding the
 *     code that calls idmap_enable_mmu_checked (enable_here(), alone in a 4 KiB page), or
 *     make it execute-never, Device, or Access-flag clear; that map the stack read-only,
 *     the vector table execute-never, or (with check_tables) the table pages read-only.
 *     The preflight is filled by idmap_preflight_read_cpu() in that page. Each is refused
 *     with IDMAP_ERR_PREFLIGHT: va = the code address it read (pc), sp - 16, VBAR_ELx, or a
 *     table page; value = the reasons | the use << 8; SCTLR_ELx.M still 0 and SCTLR, TCR,
 *     MAIR and TTBR0 of the EL untouched; the program goes on (the next case, and code in
 *     that page run). Then the right map: the MMU goes on.
 *     With the MMU on: idmap_activate_checked (a TTBR switch, from activate_here(), in its
 *     own page) refuses a second map without that page or with it execute-never, and
 *     accepts a complete one; the previous map's TLB entries must not outlive the switch.
 *  2. Seal: that second map, live, is sealed. Making a read-only page writable, an
 *     execute-never page executable or an invalid entry valid is refused with
 *     IDMAP_ERR_SEALED (region, value = the bits) and changes nothing: the store still
 *     takes a permission fault. One call that tightens a page and widens another changes
 *     neither. Tightening is applied at once: a writable page made read-only faults on
 *     the very next store, an executable page made execute-never on the next call (live
 *     TLB maintenance). map_range is refused; unmap_range works as before.
 *  3. Export: every region of the live map (idmap_export_regions) checked with AT S1ExR
 *     and S1ExW on its first, middle and last page: PA = region PA + offset, PAR.ATTR =
 *     MAIR_DEFAULT's byte for the region's AttrIndx (Device vs Normal as memory_type
 *     says), PAR.SH, read-only regions fault on AT write, invalid regions fault on both;
 *     the flags against what the test mapped; execute-never as an instruction fetch
 *     shows it (AT cannot). The UEFI list against the regions (count, addresses, pages,
 *     type, RO/XP/RP and cacheability), the devicetree fragment's nodes, and the linter
 *     over the live tables: idmap_lint on the map and idmap_lint_raw on its tables read
 *     from memory find nothing (and idmap_lint_raw does find a RES0 bit planted in a copy).
 *  4. Errata: with idmap_set_errata(IDMAP_ERRATUM_REPEAT_TLBI), live changes (one page: TLBI
 *     by VA; 20 pages: the whole regime; an unmap) still take effect on the very next
 *     access; then idmap_set_errata(0).
 *  5. Guarded code (FEAT_BTI), after the home map is off: idmap_set_guarded_code is refused
 *     (IDMAP_ARG_NO_BTI) on a CPU without FEAT_BTI, where the rest is skipped. Else a map
 *     of the image gets an alias of the page of bti_page.S first, then guarded code, under
 *     which only that page is mapped (again), with GP: the suite's own code, built without
 *     landing pads, stays unguarded. idmap_enable_mmu sets SCTLR_ELx.BT; idmap_lint
 *     reports every executable page but the guarded one. Indirect branches into the
 *     guarded page that land on no landing pad for their BTYPE take a Branch Target
 *     exception (EC 0x0D) at the EL the suite runs at, ELR the target; the others, and all
 *     through the alias, run.
 *
 * Before each check of the library's TLB maintenance the core's own TLB is emptied
 * (tlb_flush_local), as regime.c does: QEMU flushes a whole regime when a TLBI by VA falls
 * in the range of a cached block, which would hide a TLBI aimed at the wrong address.
 * Nothing is flushed before the check of the TTBR switch, which tests exactly that.
 *
 * Prints "ok N - name" / "not ok N - name: details" per case and ends with
 * "N passed, M failed, K skipped"; bm_main returns 0 iff none failed (QEMU's exit status).
 */
#include "bm.h"
#include "board.h"
#include "check.h"
#include "entry_el.h"
#include "idmap.h"
#include "idmap_check.h"

typedef unsigned long long ull;

#define PAGE 0x1000ULL
#define MIB2 0x200000ULL

#define V IDMAP_ATTR_VALID
#define RO IDMAP_ATTR_READ_ONLY
#define AF IDMAP_ATTR_ACCESSED
#define NORMAL IDMAP_ATTR_NORMAL
#define DEV IDMAP_ATTR_DEVICE_NGNRE
/* AttrIndx 2: byte 2 of IDMAP_MAIR_DEFAULT is 0x00, Device-nGnRnE. */
#define STRONG (2ULL << 2)

#define RAM(off) (BOARD_RAM_BASE + (off))
/* Test RAM, 64 MiB into RAM, clear of the image on every board. */
#define T_BLOCK RAM(0x04000000ULL)   /* a 2 MiB block, read-write */
#define T_ROBLOCK RAM(0x04200000ULL) /* a 2 MiB block, read-only */
#define T_PAGES RAM(0x04400000ULL)   /* N_PAGES pages, read-write in the first map */
#define N_PAGES 0x40
#define T_PG(i) (T_PAGES + (uint64_t)(i) * PAGE)
#define P_SEAL_RO T_PG(4)    /* read-only in the second map: widening refused */
#define P_SEAL_RW T_PG(5)    /* writable in the second map: tightened live */
#define P_STALE T_PG(6)      /* writable in the first map, read-only in the second */
#define P_MIX_A T_PG(7)      /* read-only in the second map: widened ... */
#define P_MIX_B T_PG(8)      /* ... and writable: tightened, in one refused call */
#define P_SEAL_UNMAP T_PG(9) /* unmapped from the sealed map */
#define P_SEAL_XN T_PG(10)   /* execute-never data: made executable, refused */
#define P_ERR T_PG(0x10)     /* errata: one page changed live */
#define P_BATCH T_PG(0x22)   /* errata: N_BATCH pages changed live */
#define N_BATCH 20           /* past the library's 16 TLBIs by VA */
#define P_UNMAP T_PG(0x38)   /* errata: unmapped live */
#define T_EXEC RAM(0x04600000ULL)    /* "mov x0, #42; ret": page 0 executable, page 1 not */
#define T_STRONG RAM(0x04610000ULL)  /* one page AttrIndx 2 (Device-nGnRnE) */
#define T_INVALID RAM(0x04620000ULL) /* 4 pages written without VALID */
#define T_USER RAM(0x04630000ULL)    /* one page with EL0 access (EL1&0 only) */
/* "mov x0, #42; ret" on a page EL0 can write, PXN clear (EL1&0 only): not executable at
 * EL1 all the same (Arm ARM D8.4). */
#define T_EL0_WRITABLE RAM(0x04640000ULL)
#define T_BTI_ALIAS RAM(0x04650000ULL) /* bti_page.S's page again, without GP */

#if BOARD_RAM_SIZE < 0x05000000ULL
#error "the guard suite uses the first 80 MiB of RAM"
#endif

/* ---------------------------------------------------------------------------------
 * Regimes (entry_el.h); the ASID is the first map's, the second has asid + 1 */

static const struct regime REGIME_EL1_0 = {IDMAP_REGIME_EL1_0, "EL1&0", 1, 1,
                                           IDMAP_ATTR_PXN | IDMAP_ATTR_UXN,
                                           IDMAP_ATTR_NON_GLOBAL, 1};

const struct regime *R;

static uint64_t asid_of(unsigned which)
{
    return R->two ? R->asid + which : 0;
}

static uint64_t read_vbar(void)
{
    switch (bm_current_el()) {
    case 1:
        return BM_READ_SYSREG(vbar_el1);
    case 2:
        return BM_READ_SYSREG(vbar_el2);
    default:
        return BM_READ_SYSREG(vbar_el3);
    }
}

static void check_regs_same(const char *what, struct regs got, struct regs want)
{
    unsigned el = R->el;
    CHECK(got.sctlr == want.sctlr, "%s: SCTLR_EL%u 0x%llx, was 0x%llx", what, el, (ull)got.sctlr,
          (ull)want.sctlr);
    CHECK(got.tcr == want.tcr, "%s: TCR_EL%u 0x%llx, was 0x%llx", what, el, (ull)got.tcr,
          (ull)want.tcr);
    CHECK(got.mair == want.mair, "%s: MAIR_EL%u 0x%llx, was 0x%llx", what, el, (ull)got.mair,
          (ull)want.mair);
    CHECK(got.ttbr0 == want.ttbr0, "%s: TTBR0_EL%u 0x%llx, was 0x%llx", what, el,
          (ull)got.ttbr0, (ull)want.ttbr0);
}


/* ---------------------------------------------------------------------------------
 * The code that turns the MMU on and switches TTBR: each function alone at the start of
 * a 4 KiB page (aligned, own section), so that a map can leave out exactly the page that
 * calls the library. The status is stored after the call, so the call is no tail call:
 * the library returns into this page. */

static volatile idmap_status_t g_guard_status;
static volatile uint64_t g_guard_sp; /* enable_here's sp when it calls the library */

__attribute__((noinline, aligned(4096), section(".text.guard_enable_page")))
static idmap_status_t enable_here(idmap_t *map, idmap_preflight_t *pf)
{
    uint64_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    g_guard_sp = sp;
    idmap_status_t st = idmap_preflight_read_cpu(pf);
    if (st == IDMAP_OK)
        st = idmap_enable_mmu_checked(map, pf);
    g_guard_status = st;
    return st;
}

__attribute__((noinline, aligned(4096), section(".text.guard_activate_page")))
static idmap_status_t activate_here(idmap_t *map, idmap_preflight_t *pf)
{
    idmap_status_t st = idmap_preflight_read_cpu(pf);
    if (st == IDMAP_OK)
        st = idmap_activate_checked(map, pf);
    g_guard_status = st;
    return st;
}

static uint64_t enable_page(void) { return (uintptr_t)&enable_here & ~(PAGE - 1); }
static uint64_t activate_page(void) { return (uintptr_t)&activate_here & ~(PAGE - 1); }

/* ---------------------------------------------------------------------------------
 * Layouts: what a map maps, in order (a later entry overrides an earlier one). */

struct spec {
    uint64_t start, end, flags;
};

#define MAX_SPECS 24
struct layout {
    unsigned n;
    struct spec s[MAX_SPECS];
};

static void put(struct layout *l, uint64_t start, uint64_t end, uint64_t flags)
{
    if (l->n < MAX_SPECS && start < end)
        l->s[l->n++] = (struct spec){start, end, flags};
}

/* The image (code read-only executable; rodata read-only; data, bss, the table pool and
 * the stack read-write; all but code execute-never) and the board's devices. */
static void base_layout(struct layout *l)
{
    l->n = 0;
    put(l, (uintptr_t)__image_start, (uintptr_t)__text_end, F_CODE);
    put(l, (uintptr_t)__text_end, (uintptr_t)__rodata_end, F_RODATA);
    put(l, (uintptr_t)__rodata_end, (uintptr_t)__image_end, F_DATA);
    put(l, BOARD_DEVICE_BASE, BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE, F_DEVICE);
}

/* The base and the test regions: blocks, pages, code, Device-nGnRnE, invalid entries,
 * EL0 access. */
static void home_layout(struct layout *l)
{
    base_layout(l);
    put(l, T_BLOCK, T_BLOCK + MIB2, F_DATA);
    put(l, T_ROBLOCK, T_ROBLOCK + MIB2, F_RODATA);
    put(l, T_PAGES, T_PG(N_PAGES), F_DATA);
    put(l, T_EXEC, T_EXEC + PAGE, NORMAL | RO | R->ng | V);
    put(l, T_EXEC + PAGE, T_EXEC + 2 * PAGE, F_RODATA);
    put(l, T_STRONG, T_STRONG + PAGE, STRONG | R->xn | R->ng | V);
    put(l, T_INVALID, T_INVALID + 4 * PAGE, NORMAL | R->xn | R->ng); /* not VALID */
    if (R->two) {
        put(l, T_USER, T_USER + PAGE, NORMAL | IDMAP_ATTR_USER | R->xn | R->ng | V);
        put(l, T_EL0_WRITABLE, T_EL0_WRITABLE + PAGE, NORMAL | IDMAP_ATTR_USER | IDMAP_ATTR_UXN | R->ng | V);
    }
}

/* The second map: the first, with some test pages read-only. */
static void second_layout(struct layout *l)
{
    home_layout(l);
    put(l, P_SEAL_RO, P_SEAL_RO + PAGE, F_RODATA);
    put(l, P_STALE, P_STALE + PAGE, F_RODATA);
    put(l, P_MIX_A, P_MIX_A + PAGE, F_RODATA);
}

static const struct spec *lookup(const struct layout *l, uint64_t va)
{
    const struct spec *found = 0;
    for (unsigned i = 0; i < l->n; i++)
        if (va >= l->s[i].start && va < l->s[i].end)
            found = &l->s[i];
    return found;
}

static idmap_t *new_map(uint64_t asid)
{
    idmap_config_t c;
    c.regime = R->id;
    c.va_range = IDMAP_VA_RANGE_LOWER;
    c.asid = asid;
    c.root_level = 1;
    c.pa_offset = 0;
    c.allocator = 0;
    return idmap_new_with_config(&c);
}

static int map_or_fail(idmap_t *map, uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(map, &r, flags);
    return CHECK(st == IDMAP_OK, "map_range [0x%llx, 0x%llx) flags 0x%llx: %s", (ull)start,
                 (ull)end, (ull)flags, last_error_text(map));
}

/* A new map of the layout; 0 (and a failure noted) if that fails. */
static idmap_t *build(const struct layout *l, uint64_t asid)
{
    idmap_t *map = new_map(asid);
    if (!CHECK(map, "idmap_new_with_config(%s, ASID %llu, root level 1) answered NULL", R->name,
               (ull)asid))
        return 0;
    for (unsigned i = 0; i < l->n; i++) {
        if (!map_or_fail(map, l->s[i].start, l->s[i].end, l->s[i].flags)) {
            idmap_free(map);
            return 0;
        }
    }
    return map;
}

/* ---------------------------------------------------------------------------------
 * Tables, accesses, faults */

static unsigned mair_byte(unsigned attr_index)
{
    return (unsigned)(IDMAP_MAIR_DEFAULT >> (8 * (attr_index & 7))) & 0xff;
}

/* The fault bm_fault recorded (bm_expect_fault before the access). */
static int check_fault(const idmap_t *map, const char *what, uint64_t addr, unsigned ec,
                       unsigned fsc, int wnr)
{
    struct leaf lf = walk_one(map, addr);
    if (!bm_fault_taken()) {
        fail("%s at 0x%llx: no exception | tables: %s", what, (ull)addr, leaf_text(&lf));
        return 0;
    }
    uint64_t esr = bm_fault.esr;
    if (BM_ESR_EC(esr) != ec || BM_ESR_FSC(esr) != fsc || bm_fault.far != addr ||
        (wnr >= 0 && (int)BM_ESR_WNR(esr) != wnr)) {
        fail("%s at 0x%llx: ESR_EL%u 0x%llx (EC 0x%02x FSC 0x%02x WnR %u) FAR 0x%llx, expected "
             "EC 0x%02x FSC 0x%02x | tables: %s",
             what, (ull)addr, R->el, (ull)esr, (unsigned)BM_ESR_EC(esr),
             (unsigned)BM_ESR_FSC(esr), (unsigned)BM_ESR_WNR(esr), (ull)bm_fault.far, ec, fsc,
             leaf_text(&lf));
        return 0;
    }
    return 1;
}

static int store_ok(uint64_t addr, uint64_t value)
{
    bm_expect_fault();
    bm_probe_write(addr, value);
    if (!bm_fault_taken())
        return 1;
    fail("store at 0x%llx: ESR_EL%u 0x%llx FAR 0x%llx", (ull)addr, R->el, (ull)bm_fault.esr,
         (ull)bm_fault.far);
    return 0;
}

static int store_faults(const idmap_t *map, const char *what, uint64_t addr, uint64_t value,
                        unsigned fsc)
{
    bm_expect_fault();
    bm_probe_write(addr, value);
    return check_fault(map, what, addr, BM_EC_DABORT_SAME_EL, fsc, 1);
}

static uint64_t load_checked(uint64_t addr)
{
    bm_expect_fault();
    uint64_t v = bm_probe_read(addr, 0xbad0bad0bad0bad0ULL);
    if (bm_fault_taken())
        fail("load at 0x%llx: ESR_EL%u 0x%llx", (ull)addr, R->el, (ull)bm_fault.esr);
    return v;
}

/* ---------------------------------------------------------------------------------
 * 1. Pre-flight */

static idmap_t *g_home;   /* the map the MMU runs on */
static struct regs g_off; /* the registers before the MMU went on */

enum expect { EXP_PC, EXP_SP, EXP_VBAR, EXP_TABLE };
static const char *const expect_names[] = {"pc", "sp - 16", "VBAR", "a table page"};

/* What a refusal must look like: status, last error, registers untouched, map inactive. */
static void check_refusal(idmap_t *map, idmap_status_t st, const idmap_preflight_t *pf,
                          struct regs before, enum expect where, uint64_t reasons,
                          idmap_use_t use, uint64_t code_page)
{
    struct regs after = read_regs();
    const idmap_error_t *e = idmap_last_error(map);
    if (!CHECK(st == IDMAP_ERR_PREFLIGHT, "answered %s, expected IDMAP_ERR_PREFLIGHT",
               status_name(st)))
        return;
    CHECK(e->status == IDMAP_ERR_PREFLIGHT, "last error status %d", (int)e->status);
    CHECK((pf->pc & ~(PAGE - 1)) == code_page,
          "idmap_preflight_read_cpu: pc 0x%llx is not in the calling page 0x%llx", (ull)pf->pc,
          (ull)code_page);
    CHECK(pf->vbar == read_vbar(), "idmap_preflight_read_cpu: vbar 0x%llx, VBAR_EL%u 0x%llx",
          (ull)pf->vbar, R->el, (ull)read_vbar());
    CHECK(pf->sp > (uintptr_t)__stack_bottom && pf->sp <= (uintptr_t)__stack_top,
          "idmap_preflight_read_cpu: sp 0x%llx outside the stack", (ull)pf->sp);
    uint64_t want_va = 0;
    switch (where) {
    case EXP_PC:
        want_va = pf->pc;
        break;
    case EXP_SP:
        want_va = pf->sp - 16;
        break;
    case EXP_VBAR:
        want_va = pf->vbar;
        break;
    case EXP_TABLE:
        want_va = e->va; /* any table page: checked below */
        CHECK((e->va & (PAGE - 1)) == 0 && e->va >= (uintptr_t)__rodata_end &&
                  e->va < (uintptr_t)__stack_bottom,
              "va 0x%llx is no table page of the pool", (ull)e->va);
        break;
    }
    CHECK(e->va == want_va, "va 0x%llx, expected %s = 0x%llx", (ull)e->va, expect_names[where],
          (ull)want_va);
    CHECK(e->value == (reasons | (uint64_t)use << 8),
          "value 0x%llx, expected reasons 0x%llx | use %d << 8", (ull)e->value, (ull)reasons,
          (int)use);
    /* region: the range checked, rounded to pages (pc: 4 bytes; sp: the 16 below it; VBAR:
     * 2 KiB; a table: its page) */
    uint64_t lo = want_va, hi = want_va + (where == EXP_PC ? 4 : where == EXP_SP ? 16
                                          : where == EXP_VBAR ? 0x800 : PAGE);
    lo &= ~(PAGE - 1);
    hi = (hi + PAGE - 1) & ~(PAGE - 1);
    CHECK(e->region.start == lo && e->region.end == hi,
          "region [0x%llx, 0x%llx), expected the range checked rounded to pages [0x%llx, 0x%llx)",
          (ull)e->region.start, (ull)e->region.end, (ull)lo, (ull)hi);
    CHECK(!idmap_is_active(map), "the refused map is active");
    check_regs_same("after the refusal", after, before);
    CHECK(!(after.sctlr & IDMAP_SCTLR_M) || (before.sctlr & IDMAP_SCTLR_M),
          "SCTLR_EL%u.M is set", R->el);
}

enum tweak {
    TW_OMIT_CODE,    /* the calling page unmapped */
    TW_XN_CODE,      /* ... execute-never */
    TW_DEVICE_CODE,  /* ... Device */
    TW_NO_AF_CODE,   /* ... Access flag clear */
    TW_RO_STACK,     /* the stack read-only */
    TW_XN_VECTORS,   /* the vector table's page execute-never */
    TW_RO_TABLES,    /* data and bss (and so the table pool) read-only, with check_tables */
};

/* A map of the image with one thing wrong, built and handed to @call (enable_here or
 * activate_here) whose page is @page; the refusal is checked. */
static void refusal_case(enum tweak tw, idmap_status_t (*call)(idmap_t *, idmap_preflight_t *),
                         uint64_t page, uint64_t asid, const struct layout *good)
{
    struct layout l = *good;
    uint64_t vpage = read_vbar() & ~(PAGE - 1);
    enum expect where = EXP_PC;
    uint64_t reasons = 0;
    idmap_use_t use = IDMAP_USE_CODE;
    int check_tables = 0;
    switch (tw) {
    case TW_OMIT_CODE:
        reasons = IDMAP_PREFLIGHT_NOT_MAPPED;
        break;
    case TW_XN_CODE:
        put(&l, page, page + PAGE, F_RODATA);
        reasons = IDMAP_PREFLIGHT_NOT_EXECUTABLE;
        break;
    case TW_DEVICE_CODE:
        put(&l, page, page + PAGE, DEV | RO | R->ng | V);
        reasons = IDMAP_PREFLIGHT_DEVICE;
        break;
    case TW_NO_AF_CODE:
        reasons = IDMAP_PREFLIGHT_NO_ACCESS_FLAG;
        break;
    case TW_RO_STACK:
        put(&l, (uintptr_t)__stack_bottom, (uintptr_t)__stack_top, F_RODATA);
        where = EXP_SP;
        reasons = IDMAP_PREFLIGHT_NOT_WRITABLE;
        use = IDMAP_USE_STACK;
        break;
    case TW_XN_VECTORS:
        put(&l, vpage, vpage + PAGE, F_RODATA);
        where = EXP_VBAR;
        reasons = IDMAP_PREFLIGHT_NOT_EXECUTABLE;
        use = IDMAP_USE_VECTORS;
        break;
    case TW_RO_TABLES:
        put(&l, (uintptr_t)__rodata_end, (uintptr_t)__stack_bottom, F_RODATA);
        where = EXP_TABLE;
        reasons = IDMAP_PREFLIGHT_NOT_WRITABLE;
        use = IDMAP_USE_TABLE;
        check_tables = 1;
        break;
    }
    if (tw == TW_XN_VECTORS && vpage == page) {
        case_skip("the vectors share the calling page 0x%llx", (ull)page);
        return;
    }
    idmap_t *map = build(&l, asid);
    if (!map)
        return;
    idmap_status_t st = IDMAP_OK;
    if (tw == TW_OMIT_CODE) {
        idmap_region_t r = idmap_region(page, page + PAGE);
        st = idmap_unmap_range(map, &r);
        CHECK(st == IDMAP_OK, "unmap_range of the calling page: %s", last_error_text(map));
    } else if (tw == TW_NO_AF_CODE) {
        st = modify_bits(map, page, page + PAGE, 0, AF, 0);
        CHECK(st == IDMAP_OK, "modify_range clearing AF: %s", last_error_text(map));
    }
    if (st == IDMAP_OK) {
        idmap_preflight_t pf = {0, 0, 0, check_tables != 0, 0, 0, 0};
        struct regs before = read_regs();
        st = call(map, &pf);
        check_refusal(map, st, &pf, before, where, reasons, use, page);
        if (case_problems() == 0 && tw == TW_OMIT_CODE)
            bm_printf("# %s\n", last_error_text(map));
        if (st == IDMAP_OK && call == activate_here)
            (void)idmap_deactivate(map); /* back to the map that was live */
    }
    idmap_free(map);
}

static const char *const tweak_names[] = {
    "leaves out the page of the calling code: NOT_MAPPED at pc",
    "makes the calling code execute-never: NOT_EXECUTABLE at pc",
    "makes the calling code Device memory: DEVICE at pc",
    "clears the Access flag of the calling code: NO_ACCESS_FLAG at pc",
    "makes the stack read-only: NOT_WRITABLE at sp - 16",
    "makes the vector table execute-never: NOT_EXECUTABLE at VBAR",
    "makes the table pages read-only (check_tables): NOT_WRITABLE at a table page",
};

static void preflight_mmu_off_cases(void)
{
    struct layout good;
    base_layout(&good);
    bm_printf("# calling page 0x%llx (enable_here), 0x%llx (activate_here); VBAR_EL%u 0x%llx; "
              "stack [0x%llx, 0x%llx)\n",
              (ull)enable_page(), (ull)activate_page(), R->el, (ull)read_vbar(),
              (ull)(uintptr_t)__stack_bottom, (ull)(uintptr_t)__stack_top);
    for (unsigned tw = TW_OMIT_CODE; tw <= TW_RO_TABLES; tw++) {
        case_begin("%s, MMU off: idmap_enable_mmu_checked refuses a map that %s; SCTLR_EL%u.M "
                   "stays 0, no register changes",
                   R->name, tweak_names[tw], R->el);
        refusal_case((enum tweak)tw, enable_here, enable_page(), asid_of(2), &good);
        case_end();
    }

    case_begin("%s: the CPU runs on after the refusals: MMU off, the calling page's code runs "
               "(NULL map: IDMAP_ERR_INVALID_ARGUMENT), stack and data usable",
               R->name);
    idmap_preflight_t pf = {0, 0, 0, false, 0, 0, 0};
    idmap_status_t st = enable_here(0, &pf);
    CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && g_guard_status == IDMAP_ERR_INVALID_ARGUMENT,
          "enable_here(NULL): %s", status_name(st));
    CHECK(!(read_regs().sctlr & IDMAP_SCTLR_M), "SCTLR_EL%u.M is set", R->el);
    check_regs_same("MMU off", read_regs(), g_off);
    volatile uint64_t scratch[4] = {1, 2, 3, 4};
    CHECK(scratch[0] + scratch[3] == 5, "the stack does not hold what was written");
    /* The sp it reads is its own (below the caller's frame): noted, not a failure. */
    bm_printf("# idmap_preflight_read_cpu: pc 0x%llx, sp 0x%llx; the caller's sp 0x%llx (%lld "
              "bytes above)\n",
              (ull)pf.pc, (ull)pf.sp, (ull)g_guard_sp, (long long)(g_guard_sp - pf.sp));
    CHECK(pf.sp <= g_guard_sp && g_guard_sp - pf.sp < 256,
          "sp 0x%llx is not just below the caller's 0x%llx", (ull)pf.sp, (ull)g_guard_sp);
    case_end();
}

/* The right map: the MMU goes on. */
static int enable_home(void)
{
    case_begin("%s: idmap_enable_mmu_checked with a complete map (check_tables on) turns the "
               "MMU on",
               R->name);
    struct layout l;
    home_layout(&l);
    g_home = build(&l, asid_of(0));
    idmap_status_t st = IDMAP_ERR_INVALID_ARGUMENT;
    if (g_home) {
        idmap_preflight_t pf = {0, 0, 0, true, 0, 0, 0};
        st = enable_here(g_home, &pf);
        struct regs r = read_regs();
        if (CHECK(st == IDMAP_OK, "idmap_enable_mmu_checked: %s", last_error_text(g_home))) {
            CHECK(r.sctlr & IDMAP_SCTLR_M, "SCTLR_EL%u.M is 0 (0x%llx)", R->el, (ull)r.sctlr);
            CHECK(r.ttbr0 == (idmap_root_address(g_home) | asid_of(0) << 48),
                  "TTBR0_EL%u 0x%llx, root 0x%llx", R->el, (ull)r.ttbr0,
                  (ull)idmap_root_address(g_home));
            CHECK(idmap_is_active(g_home), "the map is not active");
            CHECK(store_ok(T_PG(0), 0x600d) && load_checked(T_PG(0)) == 0x600d,
                  "memory through the map");
        }
    }
    case_end();
    return st == IDMAP_OK;
}

/* ---------------------------------------------------------------------------------
 * 3. Export against AT */

#define MAX_REGIONS 48
static idmap_export_region_t g_regions[MAX_REGIONS];
static size_t g_nregions;

static const char *region_text(const idmap_export_region_t *r)
{
    static char buf[200];
    bm_snprintf(buf, sizeof buf,
                "region [0x%llx, 0x%llx) pa 0x%llx flags 0x%x type %u attr %u sh %u level %u "
                "descriptor 0x%llx",
                (ull)r->va_start, (ull)r->va_end, (ull)r->pa_start, (unsigned)r->flags,
                (unsigned)r->memory_type, (unsigned)r->attr_index, (unsigned)r->shareability,
                (unsigned)r->level, (ull)r->leaf_bits);
    return buf;
}

/* AT S1ExR and S1ExW on va, one page of r, against the region and the tables. */
static void at_region_page(const idmap_export_region_t *r, uint64_t va)
{
    uint64_t pa = r->pa_start + (va - r->va_start);
    uint64_t pr = bm_at_read(va), pw = bm_at_write(va);
    struct leaf lf = walk_one(g_home, va);
    unsigned attr = mair_byte(r->attr_index);
    int device = (attr & 0xf0) == 0;
    char why[160];
    why[0] = '\0';
#define WHY(...) (why[0] ? 0 : (bm_snprintf(why, sizeof why, __VA_ARGS__), 0))
    if (!(r->flags & IDMAP_EXPORT_VALID)) {
        if (!(pr & BM_PAR_F) || BM_PAR_FST(pr) != BM_FSC_TRANSLATION(lf.level) ||
            !(pw & BM_PAR_F) || BM_PAR_FST(pw) != BM_FSC_TRANSLATION(lf.level))
            WHY("invalid region: AT should give translation faults, level %u", lf.level);
    } else if (pr & BM_PAR_F) {
        WHY("AT read faulted in a valid region");
    } else {
        if (BM_PAR_PA(pr) != pa)
            WHY("PAR.PA 0x%llx, region PA + offset 0x%llx", (ull)BM_PAR_PA(pr), (ull)pa);
        if (BM_PAR_ATTR(pr) != attr)
            WHY("PAR.ATTR 0x%02x, MAIR_DEFAULT[AttrIndx %u] 0x%02x", (unsigned)BM_PAR_ATTR(pr),
                (unsigned)r->attr_index, attr);
        if ((r->memory_type == IDMAP_MEMORY_DEVICE) != device)
            WHY("memory_type %u, but PAR.ATTR 0x%02x is %s", (unsigned)r->memory_type,
                (unsigned)BM_PAR_ATTR(pr), device ? "Device" : "Normal");
        if (r->memory_type == IDMAP_MEMORY_NORMAL_WB && BM_PAR_ATTR(pr) != 0xff)
            WHY("Normal write-back, PAR.ATTR 0x%02x", (unsigned)BM_PAR_ATTR(pr));
        /* Device memory is reported outer shareable (Arm ARM, PAR_EL1.SH) */
        if (BM_PAR_SH(pr) != r->shareability && !(device && BM_PAR_SH(pr) == 2))
            WHY("PAR.SH %u, region shareability %u", (unsigned)BM_PAR_SH(pr),
                (unsigned)r->shareability);
        if (r->flags & IDMAP_EXPORT_READ_ONLY) {
            if (!(pw & BM_PAR_F) || BM_PAR_FST(pw) != BM_FSC_PERMISSION(lf.level))
                WHY("read-only: AT write should give a permission fault, level %u", lf.level);
        } else if ((pw & BM_PAR_F) || BM_PAR_PA(pw) != pa) {
            WHY("writable: AT write should give PA 0x%llx", (ull)pa);
        }
        if (!(r->flags & IDMAP_EXPORT_ACCESSED))
            WHY("AF clear in a region map_range wrote");
    }
#undef WHY
    if (why[0]) {
        char a[80], b[80];
        fail("va 0x%llx: %s | AT read %s, AT write %s | %s | tables: %s", (ull)va, why,
             par_text(a, sizeof a, pr), par_text(b, sizeof b, pw), region_text(r), leaf_text(&lf));
    }
}

/* The flags the test mapped at va, as export flags (VALID, READ_ONLY, EXECUTE_NEVER,
 * USER) and memory type. */
static void intended(const struct layout *l, uint64_t va, uint32_t *flags, int *device)
{
    const struct spec *s = lookup(l, va);
    uint64_t f = s ? s->flags : 0;
    *flags = 0;
    *flags |= (f & V) ? IDMAP_EXPORT_VALID : 0;
    *flags |= (f & RO) ? IDMAP_EXPORT_READ_ONLY : 0;
    *flags |= (f & R->xn) ? IDMAP_EXPORT_EXECUTE_NEVER : 0;
    *flags |= (f & IDMAP_ATTR_USER) ? IDMAP_EXPORT_USER : 0;
    *device = ((f >> 2) & 7) != 1;
}

static void export_cases(void)
{
    struct layout l;
    home_layout(&l);

    case_begin("%s: idmap_export_regions of the live map: address order, the flags and memory "
               "types mapped",
               R->name);
    g_nregions = idmap_export_regions(g_home, g_regions, MAX_REGIONS);
    size_t counted = idmap_export_regions(g_home, 0, 0);
    bm_printf("# %zu regions\n", g_nregions);
    if (CHECK(g_nregions > 0 && g_nregions <= MAX_REGIONS, "%zu regions (room for %u)",
              g_nregions, MAX_REGIONS)) {
        CHECK(counted == g_nregions, "counting only gives %zu, not %zu", counted, g_nregions);
        const uint32_t mask = IDMAP_EXPORT_VALID | IDMAP_EXPORT_READ_ONLY |
                              IDMAP_EXPORT_EXECUTE_NEVER | IDMAP_EXPORT_USER;
        for (size_t i = 0; i < g_nregions; i++) {
            const idmap_export_region_t *r = &g_regions[i];
            CHECK(r->va_start < r->va_end && (r->va_start & (PAGE - 1)) == 0 &&
                      (r->va_end & (PAGE - 1)) == 0,
                  "%s: not a page range", region_text(r));
            CHECK(i == 0 || g_regions[i - 1].va_end <= r->va_start, "%s: not after the last",
                  region_text(r));
            /* An invalid region maps nothing: pa 0. */
            CHECK(r->pa_start == ((r->flags & IDMAP_EXPORT_VALID) ? r->va_start : 0),
                  "%s: an identity map's region", region_text(r));
            if (!R->two)
                CHECK(!(r->flags & (IDMAP_EXPORT_USER | IDMAP_EXPORT_USER_EXECUTE |
                                    IDMAP_EXPORT_NON_GLOBAL)),
                      "%s: EL0 or nG flags in %s, which has neither", region_text(r), R->name);
            uint64_t pages[3] = {r->va_start, r->va_start + (((r->va_end - r->va_start) / 2) & ~(PAGE - 1)),
                                 r->va_end - PAGE};
            for (unsigned k = 0; k < 3; k++) {
                uint32_t want;
                int device;
                intended(&l, pages[k], &want, &device);
                if ((r->flags & mask) != want || (r->memory_type == IDMAP_MEMORY_DEVICE) != device)
                    fail("va 0x%llx: mapped as export flags 0x%x %s, %s", (ull)pages[k],
                         (unsigned)want, device ? "Device" : "Normal", region_text(r));
            }
        }
        /* and the other way round: every range the test mapped is in a region */
        for (unsigned i = 0; i < l.n; i++) {
            uint64_t ends[2] = {l.s[i].start, l.s[i].end - PAGE};
            for (unsigned k = 0; k < 2; k++) {
                size_t j = 0;
                while (j < g_nregions && !(ends[k] >= g_regions[j].va_start && ends[k] < g_regions[j].va_end))
                    j++;
                CHECK(j < g_nregions, "va 0x%llx, mapped with 0x%llx, is in no region",
                      (ull)ends[k], (ull)l.s[i].flags);
            }
        }
    }
    case_end();

    case_begin("%s: AT S1E%uR/W on the first, middle and last page of every exported region: "
               "PA, PAR.ATTR (Device/Normal), SH, read-only, invalid",
               R->name, R->el);
    for (size_t i = 0; i < g_nregions && i < MAX_REGIONS; i++) {
        const idmap_export_region_t *r = &g_regions[i];
        at_region_page(r, r->va_start);
        at_region_page(r, r->va_start + (((r->va_end - r->va_start) / 2) & ~(PAGE - 1)));
        at_region_page(r, r->va_end - PAGE);
    }
    case_end();

    case_begin("%s: execute-never as exported is what an instruction fetch finds (AT cannot "
               "tell): T_EXEC page 0 runs, page 1 takes a permission fault",
               R->name);
    for (unsigned p = 0; p < 2; p++) {
        uint64_t va = T_EXEC + p * PAGE;
        size_t j = 0;
        while (j < g_nregions && !(va >= g_regions[j].va_start && va < g_regions[j].va_end))
            j++;
        if (!CHECK(j < g_nregions, "0x%llx is in no region", (ull)va))
            continue;
        int xn = (g_regions[j].flags & IDMAP_EXPORT_EXECUTE_NEVER) != 0;
        int ran = call_code(va);
        if (xn)
            CHECK(ran == 0 && BM_ESR_EC(bm_fault.esr) == BM_EC_IABORT_SAME_EL &&
                      BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(3) && bm_fault.far == va,
                  "0x%llx exported execute-never: call %d, ESR 0x%llx FAR 0x%llx", (ull)va, ran,
                  (ull)bm_fault.esr, (ull)bm_fault.far);
        else
            CHECK(ran == 1, "0x%llx exported executable: call %d, ESR 0x%llx", (ull)va, ran,
                  (ull)bm_fault.esr);
        CHECK(xn == (int)p, "0x%llx: exported %s, mapped %s", (ull)va,
              xn ? "execute-never" : "executable", p ? "execute-never" : "executable");
    }
    case_end();

    case_begin("%s: idmap_export_efi agrees with the regions: count, addresses, pages, type, "
               "RO/XP/RP and cacheability",
               R->name);
    static idmap_efi_memory_descriptor_t efi[MAX_REGIONS], want[MAX_REGIONS];
    size_t ne = idmap_export_efi(g_home, efi, MAX_REGIONS);
    size_t nw = 0;
    static const uint64_t cacheability[4] = {IDMAP_EFI_MEMORY_UC, IDMAP_EFI_MEMORY_WC,
                                             IDMAP_EFI_MEMORY_WT, IDMAP_EFI_MEMORY_WB};
    for (size_t i = 0; i < g_nregions && i < MAX_REGIONS; i++) {
        const idmap_export_region_t *r = &g_regions[i];
        idmap_efi_memory_descriptor_t e;
        int valid = (r->flags & IDMAP_EXPORT_VALID) != 0;
        e.type = !valid ? IDMAP_EFI_RESERVED_MEMORY_TYPE
                 : r->memory_type == IDMAP_MEMORY_DEVICE      ? IDMAP_EFI_MEMORY_MAPPED_IO
                 : !(r->flags & IDMAP_EXPORT_EXECUTE_NEVER) ? IDMAP_EFI_RUNTIME_SERVICES_CODE
                                                             : IDMAP_EFI_RUNTIME_SERVICES_DATA;
        e.pad = 0;
        e.physical_start = r->pa_start;
        e.virtual_start = r->va_start;
        e.number_of_pages = (r->va_end - r->va_start) / PAGE;
        e.attribute = cacheability[r->memory_type & 3] |
                      ((r->flags & IDMAP_EXPORT_READ_ONLY) ? IDMAP_EFI_MEMORY_RO : 0) |
                      ((r->flags & IDMAP_EXPORT_EXECUTE_NEVER) ? IDMAP_EFI_MEMORY_XP : 0) |
                      (valid ? 0 : IDMAP_EFI_MEMORY_RP);
        idmap_efi_memory_descriptor_t *last = nw ? &want[nw - 1] : 0;
        if (last && last->type == e.type && last->attribute == e.attribute &&
            last->physical_start + last->number_of_pages * PAGE == e.physical_start &&
            last->virtual_start + last->number_of_pages * PAGE == e.virtual_start)
            last->number_of_pages += e.number_of_pages;
        else
            want[nw++] = e;
    }
    bm_printf("# %zu UEFI descriptors\n", ne);
    if (CHECK(ne == nw, "%zu descriptors, the regions give %zu", ne, nw)) {
        for (size_t i = 0; i < ne && i < MAX_REGIONS; i++) {
            const idmap_efi_memory_descriptor_t *a = &efi[i], *b = &want[i];
            CHECK(a->type == b->type && a->pad == 0 && a->physical_start == b->physical_start &&
                      a->virtual_start == b->virtual_start &&
                      a->number_of_pages == b->number_of_pages && a->attribute == b->attribute,
                  "descriptor %zu: type %u pa 0x%llx va 0x%llx pages %llu attribute 0x%llx; "
                  "expected type %u pa 0x%llx va 0x%llx pages %llu attribute 0x%llx",
                  i, (unsigned)a->type, (ull)a->physical_start, (ull)a->virtual_start,
                  (ull)a->number_of_pages, (ull)a->attribute, (unsigned)b->type,
                  (ull)b->physical_start, (ull)b->virtual_start, (ull)b->number_of_pages,
                  (ull)b->attribute);
        }
    }
    /* T_EXEC page 0 ran: its descriptor is RuntimeServicesCode without XP; page 1 data + XP */
    for (size_t i = 0; i < ne && i < MAX_REGIONS; i++) {
        const idmap_efi_memory_descriptor_t *a = &efi[i];
        uint64_t end = a->virtual_start + a->number_of_pages * PAGE;
        if (T_EXEC >= a->virtual_start && T_EXEC < end)
            CHECK(a->type == IDMAP_EFI_RUNTIME_SERVICES_CODE && !(a->attribute & IDMAP_EFI_MEMORY_XP) &&
                      (a->attribute & IDMAP_EFI_MEMORY_RO),
                  "T_EXEC page 0: type %u attribute 0x%llx", (unsigned)a->type, (ull)a->attribute);
        if (T_EXEC + PAGE >= a->virtual_start && T_EXEC + PAGE < end)
            CHECK(a->type == IDMAP_EFI_RUNTIME_SERVICES_DATA && (a->attribute & IDMAP_EFI_MEMORY_XP),
                  "T_EXEC page 1: type %u attribute 0x%llx", (unsigned)a->type, (ull)a->attribute);
        if (T_INVALID >= a->virtual_start && T_INVALID < end)
            CHECK(a->type == IDMAP_EFI_RESERVED_MEMORY_TYPE && (a->attribute & IDMAP_EFI_MEMORY_RP),
                  "T_INVALID: type %u attribute 0x%llx", (unsigned)a->type, (ull)a->attribute);
        if (BOARD_UART_BASE >= a->virtual_start && BOARD_UART_BASE < end)
            CHECK(a->type == IDMAP_EFI_MEMORY_MAPPED_IO && (a->attribute & IDMAP_EFI_MEMORY_UC),
                  "the UART: type %u attribute 0x%llx", (unsigned)a->type, (ull)a->attribute);
    }
    case_end();
}

/* The devicetree fragment: one node per region, a read-only / execute-never / invalid line
 * per region that has the flag. */
struct dt_count {
    size_t nodes, ro, xn, invalid, bytes;
};

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = 0;
    while (suffix[k])
        k++;
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (s[n - k + i] != suffix[i])
            return 0;
    return 1;
}

static void dt_write(void *ctx, const char *text, size_t len)
{
    /* Counts the lines that start or end as wanted; pieces may split a line anywhere, so
     * the line is gathered across calls. */
    struct dt_count *c = ctx;
    static char line[96];
    static size_t n;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        c->bytes++;
        if (ch != '\n') {
            if (n < sizeof line - 1)
                line[n++] = ch;
            continue;
        }
        size_t k = 0;
        while (k < n && line[k] == '\t')
            k++;
        if (n - k > 7 && line[k] == 'r' && line[k + 1] == 'e' && line[k + 2] == 'g' &&
            line[k + 3] == 'i' && line[k + 4] == 'o' && line[k + 5] == 'n' && line[k + 6] == '@')
            c->nodes++;
        if (ends_with(line, n, "\tread-only;"))
            c->ro++;
        if (ends_with(line, n, "\texecute-never;"))
            c->xn++;
        if (ends_with(line, n, "\tinvalid;"))
            c->invalid++;
        n = 0;
    }
}

static void devicetree_case(void)
{
    case_begin("%s: idmap_export_devicetree writes one node per region, with read-only, "
               "execute-never and invalid where the regions say",
               R->name);
    struct dt_count c = {0, 0, 0, 0, 0};
    idmap_status_t st = idmap_export_devicetree(g_home, "guard", dt_write, &c);
    size_t ro = 0, xn = 0, invalid = 0;
    for (size_t i = 0; i < g_nregions && i < MAX_REGIONS; i++) {
        ro += (g_regions[i].flags & IDMAP_EXPORT_READ_ONLY) != 0;
        xn += (g_regions[i].flags & IDMAP_EXPORT_EXECUTE_NEVER) != 0;
        invalid += (g_regions[i].flags & IDMAP_EXPORT_VALID) == 0;
    }
    if (CHECK(st == IDMAP_OK, "idmap_export_devicetree: %s", status_name(st))) {
        CHECK(c.nodes == g_nregions, "%zu region nodes, %zu regions", c.nodes, g_nregions);
        CHECK(c.ro == ro && c.xn == xn && c.invalid == invalid,
              "read-only/execute-never/invalid lines %zu/%zu/%zu, regions %zu/%zu/%zu", c.ro, c.xn,
              c.invalid, ro, xn, invalid);
    }
    case_end();
}

/* The linter over the live tables. */
#define LINT_TABLES 64
#define LINT_RUNS 512
#define LINT_FINDINGS 32
static uint64_t g_scratch[IDMAP_LINT_SCRATCH_WORDS(LINT_TABLES, LINT_RUNS)];
static idmap_lint_finding_t g_findings[LINT_FINDINGS];

static void print_findings(size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++) {
        char line[200];
        idmap_lint_finding_text(&g_findings[i], line, sizeof line);
        fail("finding: %s", line);
    }
}

/* idmap_lint_raw's translate: the tables where they are, except the root, read from a
 * copy with one RES0 bit set in a table descriptor. */
struct planted {
    uint64_t root, lo, hi;
    uint64_t copy[512] __attribute__((aligned(8)));
};

static const void *planted_translate(void *ctx, uint64_t pa)
{
    const struct planted *p = ctx;
    if (pa == p->root)
        return p->copy;
    if (pa >= p->lo && pa < p->hi && (pa & (PAGE - 1)) == 0)
        return (const void *)(uintptr_t)pa;
    return 0;
}

/* A lint of the home map that found nothing, and reached every one of its tables. */
static void check_lint_clean(const char *fn, idmap_status_t st, const idmap_lint_report_t *rep)
{
    if (CHECK(st == IDMAP_OK, "%s: %s (scratch needed %zu words)", fn, status_name(st),
              rep->scratch_words)) {
        CHECK(rep->findings == 0, "%zu findings", rep->findings);
        print_findings(rep->findings);
        CHECK(rep->tables == idmap_table_count(g_home), "%zu tables reached, the map has %zu",
              rep->tables, idmap_table_count(g_home));
    }
}

static void lint_cases(void)
{
    idmap_lint_options_t o = {IDMAP_LINT_CHECK_ALL, 0, g_scratch,
                              sizeof g_scratch / sizeof g_scratch[0]};
    idmap_lint_report_t rep;

    case_begin("%s: idmap_lint over the live map finds nothing", R->name);
    idmap_status_t st = idmap_lint(g_home, &o, g_findings, 8, &rep);
    check_lint_clean("idmap_lint", st, &rep);
    case_end();

    /* The table pool is in .bss: the pages between rodata and the stack. */
    const idmap_lint_pool_t pool = {(uintptr_t)__rodata_end,
                                    (uintptr_t)__stack_bottom - (uintptr_t)__rodata_end, 0};
    idmap_lint_tree_t tree = {idmap_root_address(g_home), 1, R->id, &pool, 1, 0, 0, 1};
    case_begin("%s: idmap_lint_raw over the same tables read from memory (root 0x%llx, pool "
               "[0x%llx, 0x%llx)) finds nothing",
               R->name, (ull)tree.root, (ull)pool.base, (ull)(pool.base + pool.size));
    st = idmap_lint_raw(&tree, 1, &o, g_findings, 8, &rep);
    check_lint_clean("idmap_lint_raw", st, &rep);
    case_end();

    case_begin("%s: idmap_lint_raw reads what memory holds: a RES0 bit (48) planted in a copy "
               "of the root's first table descriptor is found",
               R->name);
    static struct planted p;
    p.root = tree.root;
    p.lo = pool.base;
    p.hi = pool.base + pool.size;
    const uint64_t *root = (const uint64_t *)(uintptr_t)p.root;
    int index = -1;
    for (unsigned i = 0; i < 512; i++) {
        p.copy[i] = root[i];
        if (index < 0 && (root[i] & 3) == 3)
            index = (int)i;
    }
    if (CHECK(index >= 0, "the root holds no table descriptor")) {
        p.copy[index] |= 1ULL << 48;
        idmap_lint_tree_t t = {p.root, 1, R->id, 0, 0, planted_translate, &p, 1};
        st = idmap_lint_raw(&t, 1, &o, g_findings, 8, &rep);
        if (CHECK(st == IDMAP_OK, "idmap_lint_raw: %s", status_name(st)))
            CHECK(rep.findings == 1 && g_findings[0].kind == IDMAP_LINT_RES0_BITS &&
                      g_findings[0].level == 1 && g_findings[0].index == (unsigned)index &&
                      g_findings[0].bits == 1ULL << 48,
                  "%zu findings; the first: kind %d level %u index %u bits 0x%llx (planted at "
                  "index %d)",
                  rep.findings, (int)g_findings[0].kind, g_findings[0].level,
                  g_findings[0].index, (ull)g_findings[0].bits, index);
    }
    case_end();
}

/* ---------------------------------------------------------------------------------
 * 4. Errata */

static void errata_cases(void)
{
    idmap_t *m = g_home;
    case_begin("%s: idmap_set_errata(IDMAP_ERRATUM_REPEAT_TLBI) is in force; unknown bits are "
               "refused and change nothing",
               R->name);
    idmap_status_t st = idmap_set_errata(IDMAP_ERRATUM_REPEAT_TLBI);
    CHECK(st == IDMAP_OK, "idmap_set_errata: %s", status_name(st));
    st = idmap_set_errata(IDMAP_ERRATUM_REPEAT_TLBI | (1u << 7));
    CHECK(st == IDMAP_ERR_INVALID_FLAGS, "idmap_set_errata(unknown bit): %s", status_name(st));
    CHECK(idmap_errata() == IDMAP_ERRATUM_REPEAT_TLBI, "idmap_errata() 0x%x", (unsigned)idmap_errata());
    case_end();

    case_begin("%s, REPEAT_TLBI: a live page made read-only faults on the very next store; "
               "writable again, the next store lands",
               R->name);
    tlb_flush_local();
    int ok = store_ok(P_ERR, 0x11);
    st = modify_bits(m, P_ERR, P_ERR + PAGE, RO, 0, 0);
    if (ok && CHECK(st == IDMAP_OK, "modify_range: %s", last_error_text(m))) {
        store_faults(m, "store after READ_ONLY", P_ERR, 0x12, BM_FSC_PERMISSION(3));
        CHECK(load_checked(P_ERR) == 0x11, "the refused store changed memory");
    }
    st = modify_bits(m, P_ERR, P_ERR + PAGE, 0, RO, 0);
    if (CHECK(st == IDMAP_OK, "modify_range back: %s", last_error_text(m)))
        CHECK(store_ok(P_ERR, 0x13) && load_checked(P_ERR) == 0x13, "the store did not land");
    case_end();

    case_begin("%s, REPEAT_TLBI: %u live pages made read-only at once (the whole regime "
               "invalidated) all fault; writable again, all take stores",
               R->name, N_BATCH);
    tlb_flush_local();
    for (unsigned i = 0; i < N_BATCH; i++)
        store_ok(P_BATCH + i * PAGE, i);
    st = modify_bits(m, P_BATCH, P_BATCH + N_BATCH * PAGE, RO, 0, 0);
    if (CHECK(st == IDMAP_OK, "modify_range: %s", last_error_text(m)))
        for (unsigned i = 0; i < N_BATCH; i++)
            store_faults(m, "store after READ_ONLY", P_BATCH + i * PAGE + 8, 1, BM_FSC_PERMISSION(3));
    st = modify_bits(m, P_BATCH, P_BATCH + N_BATCH * PAGE, 0, RO, 0);
    if (CHECK(st == IDMAP_OK, "modify_range back: %s", last_error_text(m)))
        for (unsigned i = 0; i < N_BATCH; i++)
            store_ok(P_BATCH + i * PAGE + 8, i);
    case_end();

    case_begin("%s, REPEAT_TLBI: idmap_unmap_range of a live page: the next load takes a "
               "translation fault; mapped again, the data is back",
               R->name);
    tlb_flush_local();
    store_ok(P_UNMAP, 0x5150);
    CHECK(load_checked(P_UNMAP) == 0x5150, "first load");
    idmap_region_t r = idmap_region(P_UNMAP, P_UNMAP + PAGE);
    st = idmap_unmap_range(m, &r);
    if (CHECK(st == IDMAP_OK, "unmap_range: %s", last_error_text(m))) {
        bm_expect_fault();
        bm_probe_read(P_UNMAP, 0);
        check_fault(m, "load after the unmap", P_UNMAP, BM_EC_DABORT_SAME_EL,
                    BM_FSC_TRANSLATION(3), 0);
    }
    if (map_or_fail(m, P_UNMAP, P_UNMAP + PAGE, F_DATA))
        CHECK(load_checked(P_UNMAP) == 0x5150, "the data is not back");
    case_end();

    case_begin("%s: idmap_set_errata(0): no workaround in force; a live change still applies "
               "at once",
               R->name);
    st = idmap_set_errata(0);
    CHECK(st == IDMAP_OK && idmap_errata() == 0, "idmap_set_errata(0): %s, idmap_errata() 0x%x",
          status_name(st), (unsigned)idmap_errata());
    tlb_flush_local();
    store_ok(P_ERR, 0x14);
    st = modify_bits(m, P_ERR, P_ERR + PAGE, RO, 0, 0);
    if (CHECK(st == IDMAP_OK, "modify_range: %s", last_error_text(m)))
        store_faults(m, "store after READ_ONLY", P_ERR, 0x15, BM_FSC_PERMISSION(3));
    st = modify_bits(m, P_ERR, P_ERR + PAGE, 0, RO, 0);
    CHECK(st == IDMAP_OK, "modify_range back: %s", last_error_text(m));
    case_end();
}

/* ---------------------------------------------------------------------------------
 * 1 (MMU on) and 2: the TTBR switch, then seal */

/* Checks that idmap_modify_range(...) was refused as SEALED with the range and bits, and
 * that the entry did not change. */
static void check_sealed(idmap_t *map, idmap_status_t st, uint64_t start, uint64_t end,
                         uint64_t bits, struct leaf before)
{
    const idmap_error_t *e = idmap_last_error(map);
    struct leaf after = walk_one(map, start);
    if (CHECK(st == IDMAP_ERR_SEALED, "answered %s", status_name(st)))
        CHECK(e->status == IDMAP_ERR_SEALED && e->region.start == start && e->region.end == end &&
                  (e->value & bits) == bits,
              "last error %d region [0x%llx, 0x%llx) value 0x%llx; expected [0x%llx, 0x%llx), "
              "bits 0x%llx",
              (int)e->status, (ull)e->region.start, (ull)e->region.end, (ull)e->value,
              (ull)start, (ull)end, (ull)bits);
    CHECK(after.desc == before.desc, "the entry changed: %s", leaf_text(&after));
}

/* modify_range callback: widens P_MIX_A (clears READ_ONLY), tightens P_MIX_B (sets it). */
static int mix_cb(const idmap_region_t *region, idmap_descriptor_t *d, unsigned level, void *ctx)
{
    (void)level;
    (void)ctx;
    if (region->start == P_MIX_A)
        d->bits &= ~RO;
    else if (region->start == P_MIX_B)
        d->bits |= RO;
    return 0;
}

static void seal_cases(idmap_t *m)
{
    const char *n = R->name;
    idmap_status_t st;

    case_begin("%s: idmap_seal on the live map; idmap_is_sealed says so (and not of the other "
               "map)",
               n);
    st = idmap_seal(m);
    CHECK(st == IDMAP_OK, "idmap_seal: %s", status_name(st));
    CHECK(idmap_is_sealed(m) && !idmap_is_sealed(g_home), "is_sealed: %d, other map %d",
          idmap_is_sealed(m), idmap_is_sealed(g_home));
    CHECK(idmap_is_active(m), "the sealed map is not active");
    case_end();

    /* From here the core's own TLB is emptied before each check (see the top). */
    case_begin("%s, sealed: a read-only page made writable is refused (IDMAP_ERR_SEALED, value "
               "READ_ONLY); the store still takes a permission fault",
               n);
    tlb_flush_local();
    struct leaf before = walk_one(m, P_SEAL_RO);
    st = modify_bits(m, P_SEAL_RO, P_SEAL_RO + PAGE, 0, RO, 0);
    check_sealed(m, st, P_SEAL_RO, P_SEAL_RO + PAGE, RO, before);
    store_faults(m, "store to the read-only page", P_SEAL_RO, 0xbad, BM_FSC_PERMISSION(3));
    uint64_t pw = bm_at_write(P_SEAL_RO);
    CHECK((pw & BM_PAR_F) && BM_PAR_FST(pw) == BM_FSC_PERMISSION(3), "AT write: PAR 0x%llx",
          (ull)pw);
    case_end();

    case_begin("%s, sealed: an execute-never page made executable, or an invalid entry made "
               "valid, is refused",
               n);
    before = walk_one(m, P_SEAL_XN);
    st = modify_bits(m, P_SEAL_XN, P_SEAL_XN + PAGE, 0, R->xn, 0);
    check_sealed(m, st, P_SEAL_XN, P_SEAL_XN + PAGE, R->xn, before);
    /* Made invalid, which tightens, the page keeps its address; made valid again, refused. */
    st = modify_bits(m, P_SEAL_XN, P_SEAL_XN + PAGE, 0, V, 0);
    CHECK(st == IDMAP_OK, "clearing VALID answered %s", status_name(st));
    before = walk_one(m, P_SEAL_XN);
    st = modify_bits(m, P_SEAL_XN, P_SEAL_XN + PAGE, V, 0, 1);
    check_sealed(m, st, P_SEAL_XN, P_SEAL_XN + PAGE, V, before);
    uint64_t pr = bm_at_read(P_SEAL_XN);
    CHECK((pr & BM_PAR_F) && BM_PAR_FST(pr) == BM_FSC_TRANSLATION(3), "AT read of P_SEAL_XN: PAR 0x%llx",
          (ull)pr);
    /* T_INVALID, mapped without VALID, holds its flags alone (contract 1.1): no address to
     * make valid, refused before the seal is asked (INVALID_FLAGS). */
    before = walk_one(m, T_INVALID);
    st = modify_bits(m, T_INVALID, T_INVALID + PAGE, V, 0, 1);
    CHECK(st == IDMAP_ERR_INVALID_FLAGS, "VALID on T_INVALID answered %s", status_name(st));
    struct leaf after = walk_one(m, T_INVALID);
    CHECK(after.desc == before.desc, "T_INVALID changed: %s", leaf_text(&after));
    case_end();

    case_begin("%s, sealed: one call that widens a page and tightens another changes neither",
               n);
    tlb_flush_local();
    struct leaf a0 = walk_one(m, P_MIX_A), b0 = walk_one(m, P_MIX_B);
    idmap_region_t r = idmap_region(P_MIX_A, P_MIX_B + PAGE);
    st = idmap_modify_range(m, &r, mix_cb, 0);
    check_sealed(m, st, P_MIX_A, P_MIX_B + PAGE, RO, a0);
    struct leaf b1 = walk_one(m, P_MIX_B);
    CHECK(b1.desc == b0.desc, "the tightened page changed: %s", leaf_text(&b1));
    CHECK(store_ok(P_MIX_B, 0x33), "P_MIX_B no longer writable");
    store_faults(m, "store to P_MIX_A", P_MIX_A, 0xbad, BM_FSC_PERMISSION(3));
    case_end();

    case_begin("%s, sealed: a writable page made read-only is accepted and applies at once: the "
               "very next store faults (live TLB maintenance)",
               n);
    tlb_flush_local();
    int ok = store_ok(P_SEAL_RW, 0x21);
    st = modify_bits(m, P_SEAL_RW, P_SEAL_RW + PAGE, RO, 0, 0);
    if (ok && CHECK(st == IDMAP_OK, "modify_range READ_ONLY: %s", last_error_text(m))) {
        store_faults(m, "store after READ_ONLY", P_SEAL_RW, 0x22, BM_FSC_PERMISSION(3));
        CHECK(load_checked(P_SEAL_RW) == 0x21, "the refused store changed memory");
        /* and it cannot be taken back */
        struct leaf b = walk_one(m, P_SEAL_RW);
        st = modify_bits(m, P_SEAL_RW, P_SEAL_RW + PAGE, 0, RO, 0);
        check_sealed(m, st, P_SEAL_RW, P_SEAL_RW + PAGE, RO, b);
    }
    case_end();

    case_begin("%s, sealed: an executable page made execute-never is accepted and applies at "
               "once: the next call takes an instruction abort",
               n);
    tlb_flush_local();
    ok = call_code(T_EXEC);
    CHECK(ok == 1, "T_EXEC before: call %d (ESR 0x%llx)", ok, (ull)bm_fault.esr);
    st = modify_bits(m, T_EXEC, T_EXEC + PAGE, R->xn, 0, 0);
    if (CHECK(st == IDMAP_OK, "modify_range XN: %s", last_error_text(m))) {
        ok = call_code(T_EXEC);
        CHECK(ok == 0 && BM_ESR_EC(bm_fault.esr) == BM_EC_IABORT_SAME_EL &&
                  BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(3) && bm_fault.far == T_EXEC,
              "call after XN: %d, ESR 0x%llx FAR 0x%llx", ok, (ull)bm_fault.esr, (ull)bm_fault.far);
    }
    case_end();

    /* The seal judges by the access granted: taking EL0's write away from this page (PXN
     * clear) would make it executable at EL1. */
    if (R->two) {
        case_begin("%s, sealed: clearing USER, or setting READ_ONLY, on an EL0-writable page with "
                   "PXN clear is refused (it would become executable at EL1); it stays "
                   "non-executable at EL1",
                   n);
        tlb_flush_local();
        ok = call_code(T_EL0_WRITABLE);
        CHECK(ok == 0 && BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(3), "call before: %d, ESR 0x%llx",
              ok, (ull)bm_fault.esr);
        struct leaf w = walk_one(m, T_EL0_WRITABLE);
        st = modify_bits(m, T_EL0_WRITABLE, T_EL0_WRITABLE + PAGE, 0, IDMAP_ATTR_USER, 0);
        check_sealed(m, st, T_EL0_WRITABLE, T_EL0_WRITABLE + PAGE, IDMAP_ATTR_USER, w);
        st = modify_bits(m, T_EL0_WRITABLE, T_EL0_WRITABLE + PAGE, RO, 0, 0);
        check_sealed(m, st, T_EL0_WRITABLE, T_EL0_WRITABLE + PAGE, RO, w);
        ok = call_code(T_EL0_WRITABLE);
        CHECK(ok == 0 && BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(3), "call after: %d, ESR 0x%llx",
              ok, (ull)bm_fault.esr);
        case_end();
    }

    case_begin("%s, sealed: the rules one bit at a time (software bits and clearing USER or the "
               "valid bit pass; DBM, USER, AF, nG, memory type, shareability are refused)",
               n);
    {
        struct rule {
            const char *what;
            uint64_t page, set, clear;
            int two_only, ok;
        } rules[] = {
            {"SWFLAG_0 and _3 set", P_SEAL_RO, IDMAP_ATTR_SWFLAG_0 | IDMAP_ATTR_SWFLAG_3, 0, 0, 1},
            {"SWFLAG_0 cleared again", P_SEAL_RO, 0, IDMAP_ATTR_SWFLAG_0, 0, 1},
            {"DBM set on a read-only page", P_SEAL_RO, IDMAP_ATTR_DBM, 0, 0, 0},
            {"USER cleared", T_USER, 0, IDMAP_ATTR_USER, 1, 1},
            {"USER set", P_SEAL_RO, IDMAP_ATTR_USER, 0, 1, 0},
            {"AF cleared", P_SEAL_RO, 0, AF, 0, 0},
            {"nG cleared", P_SEAL_RO, 0, IDMAP_ATTR_NON_GLOBAL, 1, 0},
            {"memory type Normal to Device", P_SEAL_RO, 0, 7ULL << 2, 0, 0},
            {"shareability inner to non", P_SEAL_RO, 0, 3ULL << 8, 0, 0},
            {"VALID cleared", T_PG(11), 0, V, 0, 1},
        };
        for (unsigned i = 0; i < sizeof rules / sizeof rules[0]; i++) {
            const struct rule *u = &rules[i];
            if (u->two_only && !R->two)
                continue;
            struct leaf b = walk_one(m, u->page);
            st = modify_bits(m, u->page, u->page + PAGE, u->set, u->clear, 0);
            struct leaf a = walk_one(m, u->page);
            if (u->ok) {
                uint64_t want = (b.desc | u->set) & ~u->clear;
                CHECK(st == IDMAP_OK && a.desc == want, "%s: %s, descriptor 0x%llx (expected 0x%llx)",
                      u->what, status_name(st), (ull)a.desc, (ull)want);
            } else {
                CHECK(st == IDMAP_ERR_SEALED && a.desc == b.desc &&
                          (idmap_last_error(m)->value & (u->set | u->clear)) != 0,
                      "%s: %s (value 0x%llx), descriptor 0x%llx, was 0x%llx", u->what,
                      status_name(st), (ull)idmap_last_error(m)->value, (ull)a.desc, (ull)b.desc);
            }
        }
        /* the page made invalid live: the next load faults */
        bm_expect_fault();
        bm_probe_read(T_PG(11), 0);
        check_fault(m, "load after VALID cleared", T_PG(11), BM_EC_DABORT_SAME_EL,
                    BM_FSC_TRANSLATION(3), 0);
    }
    case_end();

    case_begin("%s, sealed: map_range is refused (IDMAP_ERR_SEALED, region, flags | VALID) and "
               "changes nothing",
               n);
    before = walk_one(m, P_SEAL_RO);
    idmap_region_t rr = idmap_region(P_SEAL_RO, P_SEAL_RO + PAGE);
    st = idmap_map_range(m, &rr, F_DATA);
    const idmap_error_t *e = idmap_last_error(m);
    CHECK(st == IDMAP_ERR_SEALED, "map_range writable: %s", status_name(st));
    CHECK(e->status == IDMAP_ERR_SEALED && e->region.start == P_SEAL_RO &&
              e->region.end == P_SEAL_RO + PAGE && e->value == (F_DATA | V),
          "last error %d region [0x%llx, 0x%llx) value 0x%llx", (int)e->status,
          (ull)e->region.start, (ull)e->region.end, (ull)e->value);
    st = idmap_map_range(m, &rr, F_RODATA); /* not even the same, read-only */
    CHECK(st == IDMAP_ERR_SEALED, "map_range read-only: %s", status_name(st));
    after = walk_one(m, P_SEAL_RO);
    CHECK(after.desc == before.desc, "the entry changed: %s", leaf_text(&after));
    tlb_flush_local();
    store_faults(m, "store to the read-only page", P_SEAL_RO, 0xbad, BM_FSC_PERMISSION(3));
    case_end();

    case_begin("%s, sealed: idmap_unmap_range works as before: the next load faults; mapping "
               "it back is refused",
               n);
    tlb_flush_local();
    store_ok(P_SEAL_UNMAP, 0x77);
    r = idmap_region(P_SEAL_UNMAP, P_SEAL_UNMAP + PAGE);
    st = idmap_unmap_range(m, &r);
    if (CHECK(st == IDMAP_OK, "unmap_range: %s", last_error_text(m))) {
        bm_expect_fault();
        bm_probe_read(P_SEAL_UNMAP, 0);
        check_fault(m, "load after the unmap", P_SEAL_UNMAP, BM_EC_DABORT_SAME_EL,
                    BM_FSC_TRANSLATION(3), 0);
        st = idmap_map_range(m, &r, F_DATA);
        CHECK(st == IDMAP_ERR_SEALED, "map_range back: %s", status_name(st));
    }
    case_end();
}

static void switch_cases(void)
{
    const char *n = R->name;
    struct layout l;
    second_layout(&l);

    /* Refusals with the MMU on: the calling page missing, or execute-never. */
    for (unsigned tw = TW_OMIT_CODE; tw <= TW_XN_CODE; tw++) {
        case_begin("%s, MMU on: idmap_activate_checked (TTBR switch) refuses a map that %s; "
                   "TTBR0_EL%u and the live map stay",
                   n, tweak_names[tw], R->el);
        refusal_case((enum tweak)tw, activate_here, activate_page(), asid_of(1), &l);
        CHECK(idmap_is_active(g_home), "the live map is no longer active");
        CHECK(store_ok(T_PG(1), 0x51) && load_checked(T_PG(1)) == 0x51, "memory after the refusal");
        case_end();
    }

    case_begin("%s, MMU on: idmap_activate_checked switches to a complete second map (TTBR0_EL%u "
               "= its root%s)",
               n, R->el, R->two ? " | ASID 2 << 48" : "");
    idmap_t *m = build(&l, asid_of(1));
    idmap_status_t st = IDMAP_ERR_INVALID_ARGUMENT;
    struct regs before = read_regs();
    if (m) {
        /* A writable entry of the first map in the TLB: the page is read-only in the second. */
        store_ok(P_STALE, 0x5a1e);
        idmap_preflight_t pf = {0, 0, 0, true, 0, 0, 0};
        st = activate_here(m, &pf);
        struct regs after = read_regs();
        if (CHECK(st == IDMAP_OK, "idmap_activate_checked: %s", last_error_text(m))) {
            CHECK(after.ttbr0 == (idmap_root_address(m) | asid_of(1) << 48),
                  "TTBR0_EL%u 0x%llx, expected 0x%llx", R->el, (ull)after.ttbr0,
                  (ull)(idmap_root_address(m) | asid_of(1) << 48));
            CHECK(idmap_is_active(m), "not active");
            CHECK(after.sctlr == before.sctlr && after.tcr == before.tcr,
                  "SCTLR or TCR changed by a TTBR switch");
        }
    }
    case_end();
    if (st != IDMAP_OK) {
        if (m)
            idmap_free(m);
        return;
    }

    case_begin("%s: right after the switch the new map's permissions apply: a page the old map "
               "has writable (just written through it) and the new one read-only faults on the "
               "next store",
               n);
    bm_expect_fault();
    bm_probe_write(P_STALE, 0x5a1f);
    int faulted = bm_fault_taken();
    if (!faulted) {
        fail("the store went through: the TLB still holds the old map's writable entry "
             "(idmap_activate wrote TTBR0_EL%u%s and invalidated nothing)",
             R->el, R->two ? " with a new ASID" : " in a regime without ASIDs");
        uint64_t pw = bm_at_write(P_STALE);
        fail("AT S1E%uW, which walks the new tables, says %s", R->el,
             (pw & BM_PAR_F) ? "permission fault (read-only)" : "writable");
        /* the tables are right: a TLB invalidation of the test's own makes the store fault */
        tlb_flush_local();
        bm_expect_fault();
        bm_probe_write(P_STALE, 0x5a1e);
        fail("after a local TLBI %s of the test's own the store %s", R->two ? "VMALLE1" : "ALLE2/ALLE3",
             bm_fault_taken() ? "faults as it should" : "still goes through");
    } else {
        CHECK(BM_ESR_FSC(bm_fault.esr) == BM_FSC_PERMISSION(3) && bm_fault.far == P_STALE,
              "ESR 0x%llx FAR 0x%llx", (ull)bm_fault.esr, (ull)bm_fault.far);
    }
    if (faulted) {
        uint64_t v = load_checked(P_STALE);
        CHECK(v == 0x5a1eULL, "the refused store changed memory: 0x%llx", (ull)v);
    }
    case_end();

    seal_cases(m);

    case_begin("%s: idmap_deactivate of the sealed map restores TTBR0_EL%u; the first map's "
               "pages are writable again",
               n, R->el);
    st = idmap_deactivate(m);
    CHECK(st == IDMAP_OK, "idmap_deactivate: %s", last_error_text(m));
    CHECK(read_regs().ttbr0 == before.ttbr0, "TTBR0_EL%u 0x%llx, was 0x%llx", R->el,
          (ull)read_regs().ttbr0, (ull)before.ttbr0);
    CHECK(store_ok(P_SEAL_RW, 0x23) && store_ok(P_SEAL_RO, 0x24) && call_code(T_EXEC) == 1,
          "the first map's permissions do not apply");
    case_end();
    idmap_free(m);
}

/* ---------------------------------------------------------------------------------
 * 5. Guarded code (FEAT_BTI) */

/* bti_page.S: the page, its targets and the BRs to them. */
extern const char bti_page[], bti_c[], bti_j[], bti_pac[], bti_none[], bti_br_c[], bti_br_j[],
    bti_br_pac[], bti_br_none[];

/* PSTATE.BTYPE of a BLR, and of a BR (not X16 or X17) from a guarded page. */
#define BTYPE_BLR 2
#define BTYPE_BR_GUARDED 3

/* call_code(entry): a BLR to entry, which is target or BRs to it. btype: where the page is
 * guarded, target is no landing pad for that branch (0: it is one). */
static const struct bti_branch {
    const char *what, *entry, *target;
    unsigned btype;
} bti_branches[] = {
    {"BLR onto BTI c", bti_c, bti_c, 0},
    {"BLR onto BTI j", bti_j, bti_j, BTYPE_BLR},
    {"BLR onto no landing pad", bti_none, bti_none, BTYPE_BLR},
    {"BR onto BTI j", bti_br_j, bti_j, 0},
    {"BR onto BTI c", bti_br_c, bti_c, BTYPE_BR_GUARDED},
    {"BR onto PACIASP, SCTLR.BT set", bti_br_pac, bti_pac, BTYPE_BR_GUARDED},
    {"BR onto no landing pad", bti_br_none, bti_none, BTYPE_BR_GUARDED},
};

static uint64_t bti_offset(const char *symbol)
{
    return (uintptr_t)symbol - (uintptr_t)bti_page;
}

/* Every branch of bti_branches into the page at va (guarded or not). */
static void bti_branch_checks(uint64_t va, int guarded)
{
    for (unsigned i = 0; i < sizeof bti_branches / sizeof bti_branches[0]; i++) {
        const struct bti_branch *b = &bti_branches[i];
        uint64_t entry = va + bti_offset(b->entry), target = va + bti_offset(b->target);
        int ran = call_code(entry);
        uint64_t esr = bm_fault.esr;
        if (!guarded || b->btype == 0)
            CHECK(ran == 1, "%s at 0x%llx: call %d, ESR_EL%u 0x%llx ELR 0x%llx", b->what,
                  (ull)target, ran, R->el, (ull)esr, (ull)bm_fault.elr);
        else
            CHECK(ran == 0 && BM_ESR_EC(esr) == BM_EC_BRANCH_TARGET && bm_fault.elr == target &&
                      (esr & 3) == b->btype,
                  "%s at 0x%llx: call %d, ESR_EL%u 0x%llx (EC 0x%02x) ELR 0x%llx; expected EC "
                  "0x%02x, ELR the target, BTYPE %u",
                  b->what, (ull)target, ran, R->el, (ull)esr, (unsigned)BM_ESR_EC(esr),
                  (ull)bm_fault.elr, BM_EC_BRANCH_TARGET, b->btype);
    }
}

static void guarded_code_cases(void)
{
    const char *n = R->name;
    const uint64_t pfr1 = BM_READ_SYSREG(id_aa64pfr1_el1);
    const int bti = (pfr1 & 0xf) != 0; /* ID_AA64PFR1_EL1.BT */
    const uint64_t page = (uintptr_t)bti_page;
    struct layout l;
    base_layout(&l);

    case_begin("%s: idmap_set_guarded_code(true) on a map of the image and an alias of "
               "bti_page.S: accepted with FEAT_BTI, else refused (IDMAP_ARG_NO_BTI) and still off",
               n);
    bm_printf("# ID_AA64PFR1_EL1 0x%llx; bti_page 0x%llx, alias 0x%llx\n", (ull)pfr1, (ull)page,
              (ull)T_BTI_ALIAS);
    idmap_t *m = build(&l, asid_of(3));
    idmap_status_t st = IDMAP_ERR_INVALID_ARGUMENT;
    if (m) {
        /* mapped before guarded code is on: no GP */
        idmap_region_t a = idmap_region(T_BTI_ALIAS, T_BTI_ALIAS + PAGE);
        st = idmap_map_range_to(m, &a, page, F_CODE, 0);
        if (CHECK(st == IDMAP_OK, "map_range_to of the alias: %s", last_error_text(m))) {
            st = idmap_set_guarded_code(m, true);
            if (bti)
                CHECK(st == IDMAP_OK && idmap_guarded_code(m), "idmap_set_guarded_code: %s, on %d",
                      last_error_text(m), idmap_guarded_code(m));
            else
                CHECK(st == IDMAP_ERR_INVALID_ARGUMENT &&
                          (idmap_last_error(m)->value & 0xffff) == IDMAP_ARG_NO_BTI &&
                          !idmap_guarded_code(m),
                      "idmap_set_guarded_code without FEAT_BTI: %s, on %d", last_error_text(m),
                      idmap_guarded_code(m));
        }
    }
    case_end();
    if (!bti) {
        case_begin("%s: indirect branches into a guarded page", n);
        case_skip("no FEAT_BTI (ID_AA64PFR1_EL1.BT 0)");
        case_end();
    }
    if (!bti || st != IDMAP_OK) {
        if (m)
            idmap_free(m);
        return;
    }

    case_begin("%s, guarded code: GP on the page mapped under it, not on the alias; "
               "idmap_enable_mmu sets SCTLR_EL%u.BT; idmap_lint reports the other code pages, "
               "not that one",
               n, R->el);
    int live = map_or_fail(m, page, page + PAGE, F_CODE);
    if (live) {
        struct leaf g = walk_one(m, page), a = walk_one(m, T_BTI_ALIAS);
        CHECK(g.desc & IDMAP_ATTR_GP, "the guarded page without GP: %s", leaf_text(&g));
        CHECK(!(a.desc & IDMAP_ATTR_GP), "the alias with GP: %s", leaf_text(&a));
        st = idmap_enable_mmu(m);
        live = CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", last_error_text(m));
    }
    if (live) {
        uint64_t sctlr = read_regs().sctlr;
        CHECK(sctlr & IDMAP_SCTLR_BT, "SCTLR_EL%u 0x%llx: BT clear", R->el, (ull)sctlr);
        /* idmap_lint adds the GUARDED check for a map with guarded code */
        idmap_lint_options_t o = {IDMAP_LINT_CHECK_ALL, 0, g_scratch,
                                  sizeof g_scratch / sizeof g_scratch[0]};
        idmap_lint_report_t rep;
        st = idmap_lint(m, &o, g_findings, LINT_FINDINGS, &rep);
        size_t want = ((uintptr_t)__text_end - (uintptr_t)__image_start) / PAGE;
        if (CHECK(st == IDMAP_OK, "idmap_lint: %s", status_name(st))) {
            CHECK(rep.findings == want,
                  "%zu findings, expected %zu: the image's code pages but the guarded one, and "
                  "the alias",
                  rep.findings, want);
            int alias = 0;
            for (size_t i = 0; i < rep.findings && i < LINT_FINDINGS; i++) {
                const idmap_lint_finding_t *f = &g_findings[i];
                char line[200];
                idmap_lint_finding_text(f, line, sizeof line);
                CHECK(f->kind == IDMAP_LINT_UNGUARDED_CODE && f->va != page, "finding: %s", line);
                alias |= f->va == T_BTI_ALIAS;
            }
            CHECK(alias, "no UNGUARDED_CODE at the alias 0x%llx", (ull)T_BTI_ALIAS);
        }
    }
    case_end();
    if (!live) {
        idmap_free(m);
        return;
    }

    case_begin("%s, guarded page: BLR onto BTI c, BR onto BTI j run; BLR onto BTI j or no pad, "
               "BR onto BTI c, PACIASP or no pad: a Branch Target exception at EL%u (EC, ELR, "
               "BTYPE)",
               n, R->el);
    bti_branch_checks(page, 1);
    case_end();

    case_begin("%s: the same branches through the alias without GP all run", n);
    bti_branch_checks(T_BTI_ALIAS, 0);
    case_end();

    case_begin("%s: idmap_disable_mmu of the guarded map restores the registers (SCTLR_EL%u.BT "
               "too)",
               n, R->el);
    st = idmap_disable_mmu(m);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", last_error_text(m));
    check_regs_same("MMU off", read_regs(), g_off);
    case_end();
    idmap_free(m);
}

/* ---------------------------------------------------------------------------------
 * Main */

static void run_regime(const struct regime *regime)
{
    R = regime;
    bm_printf("# regime %s at EL%u\n", R->name, R->el);
    g_off = read_regs();

    preflight_mmu_off_cases();
    if (!enable_home()) {
        if (g_home)
            idmap_free(g_home);
        g_home = 0;
        return;
    }
    export_cases();
    devicetree_case();
    lint_cases();
    errata_cases();
    switch_cases();

    case_begin("%s: idmap_disable_mmu turns the MMU off and restores the registers", R->name);
    static volatile uint64_t written_with_cache_on;
    written_with_cache_on = 0x600dcafe;
    idmap_status_t st = idmap_disable_mmu(g_home);
    CHECK(st == IDMAP_OK, "idmap_disable_mmu: %s", last_error_text(g_home));
    check_regs_same("MMU off", read_regs(), g_off);
    CHECK(written_with_cache_on == 0x600dcafe, "data written with the cache on is lost");
    case_end();
    idmap_free(g_home);
    g_home = 0;

    guarded_code_cases();
}

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("# idmap guard-rails suite: board %s, entered at %s, MIDR_EL1 0x%llx, "
              "ID_AA64MMFR0_EL1 0x%llx\n",
              BOARD_NAME, bm_el_name(entry_el), (ull)BM_READ_SYSREG(midr_el1),
              (ull)BM_READ_SYSREG(id_aa64mmfr0_el1));
    bm_printf("# image [0x%llx, 0x%llx)\n", (ull)(uintptr_t)__image_start,
              (ull)(uintptr_t)__image_end);
    write_code_pages(T_EXEC, 2);
    write_code_pages(T_EL0_WRITABLE, 1);

    run_regime(regime_at_el(&REGIME_EL1_0));

    return check_summary();
}
