/*
 * regime_stage2.c - the regime suite's stage-2 cases (idmap.h, "Stage 2 (hypervisors)"),
 * run by regime.c at EL2 (HCR_EL2.E2H = 0, EL2's own MMU off). Each builds a VM's map
 * with idmap_new_stage2, makes it live with idmap_s2_activate and HCR_EL2.VM, and checks:
 *  - AT S12E1R/W with the guest's stage 1 off (VA = IPA) against the tables, and live
 *    changes seen at once by AT (a permission by map_range, a split by
 *    idmap_s2_map_range_bbm, and with FEAT_BBM a live split through nT by map_range);
 *  - the same with the guest's stage 1 on: an EL1&0 identity map built with the library,
 *    its registers loaded from EL2 (SCTLR_EL1.M set, no EL1 code run): the final PA, the
 *    combined memory type (PAR_EL1.ATTR), and which stage faulted (PAR_EL1.S);
 *  - a real guest at EL1 (s2_guest.S: ERET from EL2, one load or store, HVC back) whose
 *    next access after a live change takes the fault the change means, to EL2: ESR_EL2
 *    (EC 0x24, DFSC, WnR), FAR_EL2 and HPFAR_EL2 - read-only by map_range, memory type and
 *    read-only by idmap_s2_map_range_bbm, unmapped by unmap_range, a live block split;
 *    and a page, and a page of a live block, moved to another frame by
 *    idmap_s2_map_range_bbm_to, after which its loads see the new frame's data;
 *  - a concatenated root at each start level of the 4 KiB granule (level 2: 2-16 tables,
 *    level 1: 2-16, level 0: one), AT S12E1R/W in its first and its last table; where the
 *    CPU's PA size cannot take the IPA size, a skip (with idmap_s2_vtcr's refusal checked);
 *  - with FEAT_S2FWB (ID_AA64MMFR2_EL1.FWB), HCR_EL2.FWB = 1 and the IDMAP_S2_FWB_*
 *    MemAttr encodings in PAR_EL1.ATTR; a skip without it;
 *  - with hardware dirty state (FEAT_HAFDBS, ID_AA64MMFR1_EL1.HAFDBS 2): a map with
 *    IDMAP_HW_DIRTY set before the guest's RAM is mapped, VTCR_EL2.HA and HD read back;
 *    the guest's stores to clean pages and a block go through with no fault, and
 *    idmap_collect_dirty reports exactly them, in two rounds (pages stored to in both: the
 *    TLB invalidation after cleaning); a skip without it, the refusal checked.
 */
#include "regime_stage2.h"

#include "bm.h"
#include "board.h"
#include "check.h"
#include "idmap.h"
#include "idmap_check.h"

typedef unsigned long long ull;

#define PAGE 0x1000ULL
#define MIB2 0x200000ULL

/* Test RAM of its own, past regime.c's (which ends by 71 MiB into RAM). */
#define RAM(off) (BOARD_RAM_BASE + (off))
#define S2_BLOCK RAM(0x04800000ULL)          /* a 2 MiB block */
#define S2_PAGES RAM(0x04a00000ULL)          /* pages ... */
#define S2_PAGES_END (S2_PAGES + MIB2 - PAGE) /* ... but the last: stage 1 only */
#define S2_HOLE RAM(0x04c00000ULL)           /* 2 MiB: stage 1 only */
#define P_RO (S2_PAGES + 0x01 * PAGE)        /* stage 2 read-only */
#define P_GUEST (S2_PAGES + 0x10 * PAGE)     /* the guest's page */
#define P_S1_RO (S2_PAGES + 0x20 * PAGE)     /* stage 1 read-only */
#define P_S1_DEV (S2_PAGES + 0x21 * PAGE)    /* stage 1 Device-nGnRE */
#define P_S1_HOLE (S2_PAGES + 0x22 * PAGE)   /* stage 2 only */
#define P_S2_DEV (S2_PAGES + 0x23 * PAGE)    /* stage 2 Device-nGnRE */
#define P_S2_NC (S2_PAGES + 0x24 * PAGE)     /* stage 2 Normal Non-cacheable */
#define P_BBM (S2_PAGES + 0x25 * PAGE)       /* memory type changed live */
#define P_FWB (S2_PAGES + 0x30 * PAGE)       /* FWB: 0x30-0x35 */
#define P_MOVE (S2_PAGES + 0x40 * PAGE)      /* moved to another frame live (and the next page) */
#define P_DIRTY (S2_PAGES + 0x50 * PAGE)     /* hardware dirty state: DIRTY_N pages */
#define DIRTY_N 16ULL
#define F_MOVED (S2_HOLE + 0x10 * PAGE)      /* frames the guest's pages move to: 0x10, 0x11 */

#if BOARD_RAM_SIZE < 0x04e00000ULL
#error "the stage-2 cases use RAM up to 78 MiB"
#endif

/* HCR_EL2 (Arm ARM DDI 0487, D19 "HCR_EL2"): VM (stage 2 on), RW (EL1 is AArch64), FWB
 * (FEAT_S2FWB: stage 2's MemAttr may force the combined type). */
#define HCR_VM (1ULL << 0)
#define HCR_RW (1ULL << 31)
#define HCR_FWB (1ULL << 46)
/* PAR_EL1 after a faulting AT (D19 "PAR_EL1"): S (bit 9), the fault was at stage 2. */
#define PAR_S(par) (((par) >> 9) & 1)
/* ESR_EL2.EC (D19 "ESR_EL2"): HVC from AArch64; a data abort from a lower EL. */
#define EC_HVC64 0x16
#define EC_DABORT_LOWER 0x24
/* SPSR_EL2 for the return to s2_guest_back: EL2h (M = 0b1001), D, A, I, F masked. */
#define SPSR_EL2H_MASKED 0x3c9ULL
/* PAR_EL1.ATTR of the combined types (MAIR encodings, D19 "MAIR_EL1"). */
#define ATTR_DEVICE_NGNRNE 0x00
#define ATTR_DEVICE_NGNRE 0x04
#define ATTR_NORMAL_NC 0x44
#define ATTR_NORMAL_WB 0xff
#define ID_AA64MMFR1_EL1 "S3_0_C0_C7_1"

#define S2_RAM (IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE)
#define S2_RO (IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ)
#define S2_DEV_RO (IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ)
#define S1_RAM (IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID)

static uint64_t id_mmfr1(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, " ID_AA64MMFR1_EL1 : "=r"(v));
    return v;
}

/* ---------------------------------------------------------------------------------
 * Maps and AT */

static idmap_t *new_vm(unsigned ipa_bits, unsigned level, uint32_t vmid)
{
    idmap_stage2_config_t c = {0};
    c.ipa_bits = ipa_bits;
    c.start_level = level;
    c.vmid = vmid;
    idmap_t *vm = idmap_new_stage2(&c);
    CHECK(vm != 0, "idmap_new_stage2(%u-bit IPA, level %u): status %d, value 0x%llx", ipa_bits, level,
          (int)idmap_new_error()->status, (ull)idmap_new_error()->value);
    return vm;
}

static int s2_map(idmap_t *vm, uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(vm, &r, flags);
    return CHECK(st == IDMAP_OK, "map [0x%llx, 0x%llx): %s", (ull)start, (ull)end, last_error_text(vm));
}

/* A 40-bit IPA map (level 1, two root tables) under the hardware updates (IDMAP_HW_*) of
 * the image (the guest's code, the stage-1 tables of the library's pool), S2_BLOCK (a
 * block) and S2_PAGES but its last page, Normal read-write; then what the case adds. */
static idmap_t *guest_vm(uint32_t vmid, unsigned updates)
{
    idmap_t *vm = new_vm(40, 1, vmid);
    if (vm && !CHECK(idmap_set_hardware_updates(vm, updates) == IDMAP_OK, "idmap_set_hardware_updates(%u): %s",
                     updates, last_error_text(vm))) {
        idmap_free(vm);
        return 0;
    }
    if (vm && !(s2_map(vm, (uintptr_t)__image_start, (uintptr_t)__image_end, S2_RAM) &&
                s2_map(vm, S2_BLOCK, S2_BLOCK + MIB2, S2_RAM) && s2_map(vm, S2_PAGES, S2_PAGES_END, S2_RAM))) {
        idmap_free(vm);
        vm = 0;
    }
    return vm;
}

static uint64_t g_hcr; /* HCR_EL2 while no VM runs */

/* idmap_s2_activate, then HCR_EL2.VM (and extra) set. */
static int vm_on(idmap_t *vm, uint64_t extra)
{
    idmap_status_t st = idmap_s2_activate(vm);
    if (!CHECK(st == IDMAP_OK, "idmap_s2_activate: %s", last_error_text(vm)))
        return 0;
    CHECK(BM_READ_SYSREG(vttbr_el2) == idmap_s2_vttbr(vm), "VTTBR_EL2 0x%llx, expected 0x%llx",
          (ull)BM_READ_SYSREG(vttbr_el2), (ull)idmap_s2_vttbr(vm));
    BM_WRITE_SYSREG(hcr_el2, g_hcr | HCR_VM | HCR_RW | extra);
    BM_ISB();
    return 1;
}

static void vm_off(idmap_t *vm)
{
    BM_WRITE_SYSREG(hcr_el2, g_hcr);
    BM_ISB();
    idmap_status_t st = idmap_deactivate(vm);
    CHECK(st == IDMAP_OK, "idmap_deactivate: %s", last_error_text(vm));
}

static uint64_t at_s12(int write, uint64_t va)
{
    return write ? BM_AT("s12e1w", va) : BM_AT("s12e1r", va);
}

/* AT S12E1R (write: S12E1W) of va gives pa's page, with PAR.ATTR attr (-1: unchecked). */
static void at_ok(const char *what, int write, uint64_t va, uint64_t pa, int attr)
{
    uint64_t par = at_s12(write, va);
    char t[80], a[16] = "";
    if (attr >= 0)
        bm_snprintf(a, sizeof a, " ATTR 0x%02x", (unsigned)attr);
    CHECK(!(par & BM_PAR_F) && BM_PAR_PA(par) == (pa & ~(PAGE - 1)) &&
              (attr < 0 || BM_PAR_ATTR(par) == (unsigned)attr),
          "%s: AT S12E1%c 0x%llx: %s, expected PA 0x%llx%s", what, write ? 'W' : 'R', (ull)va,
          par_text(t, sizeof t, par), (ull)(pa & ~(PAGE - 1)), a);
}

/* ... or faults at stage (1 or 2), FST fst. */
static void at_fault(const char *what, int write, uint64_t va, unsigned stage, unsigned fst)
{
    uint64_t par = at_s12(write, va);
    char t[80];
    CHECK((par & BM_PAR_F) && PAR_S(par) == (stage == 2) && BM_PAR_FST(par) == fst,
          "%s: AT S12E1%c 0x%llx: %s (S %u), expected a stage-%u fault FST 0x%02x", what, write ? 'W' : 'R',
          (ull)va, par_text(t, sizeof t, par), (unsigned)PAR_S(par), stage, fst);
}

/* The translation fault a walk of vm gives at ipa: at the level of its invalid entry. */
static unsigned s2_hole_fst(const idmap_t *vm, uint64_t ipa)
{
    struct leaf lf = walk_one(vm, ipa);
    CHECK(lf.status == IDMAP_OK && lf.found == 1 && !(lf.desc & IDMAP_S2_VALID),
          "IPA 0x%llx should be unmapped: %s", (ull)ipa, leaf_text(&lf));
    return BM_FSC_TRANSLATION(lf.level);
}

/* ---------------------------------------------------------------------------------
 * The guest's stage 1: EL1's registers, loaded from EL2 */

struct el1_regs {
    uint64_t sctlr, tcr, mair, ttbr0;
};

static struct el1_regs el1_read(void)
{
    struct el1_regs r = {BM_READ_SYSREG(sctlr_el1), BM_READ_SYSREG(tcr_el1), BM_READ_SYSREG(mair_el1),
                         BM_READ_SYSREG(ttbr0_el1)};
    return r;
}

static void el1_write(struct el1_regs r)
{
    BM_WRITE_SYSREG(mair_el1, r.mair);
    BM_WRITE_SYSREG(tcr_el1, r.tcr);
    BM_WRITE_SYSREG(ttbr0_el1, r.ttbr0);
    BM_ISB();
    BM_WRITE_SYSREG(sctlr_el1, r.sctlr);
    BM_ISB();
}

static struct el1_regs g_el1_off; /* as stage2_cases found them: stage 1 off */

/* An EL1&0 identity map (ASID 1, root level 1) of S2_BLOCK, S2_PAGES (P_S1_RO read-only,
 * P_S1_DEV Device-nGnRE, P_S1_HOLE unmapped) and S2_HOLE, Normal read-write. */
static idmap_t *el1_stage1(void)
{
    idmap_config_t c = {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 1, 0, 0};
    idmap_t *s1 = idmap_new_with_config(&c);
    if (!CHECK(s1 != 0, "idmap_new_with_config(EL1&0): status %d", (int)idmap_new_error()->status))
        return 0;
    idmap_region_t hole = idmap_region(P_S1_HOLE, P_S1_HOLE + PAGE);
    int ok = s2_map(s1, S2_BLOCK, S2_BLOCK + MIB2, S1_RAM) && s2_map(s1, S2_PAGES, S2_PAGES + MIB2, S1_RAM) &&
             s2_map(s1, S2_HOLE, S2_HOLE + MIB2, S1_RAM) &&
             s2_map(s1, P_S1_RO, P_S1_RO + PAGE, S1_RAM | IDMAP_ATTR_READ_ONLY) &&
             s2_map(s1, P_S1_DEV, P_S1_DEV + PAGE, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) &&
             CHECK(idmap_unmap_range(s1, &hole) == IDMAP_OK, "unmap P_S1_HOLE: %s", last_error_text(s1));
    if (!ok) {
        idmap_free(s1);
        return 0;
    }
    return s1;
}

/* s1 into EL1's registers (idmap_mmu_config's values: SCTLR_EL1.M set), from EL2. */
static int el1_stage1_on(idmap_t *s1)
{
    idmap_mmu_config_t cfg;
    idmap_status_t st = idmap_mmu_config(s1, BM_READ_SYSREG(id_aa64mmfr0_el1), &cfg);
    if (!CHECK(st == IDMAP_OK, "idmap_mmu_config: %s", last_error_text(s1)))
        return 0;
    /* The walks are cacheable (TCR_EL1.IRGN0/ORGN0) and the tables were written with
     * EL2's caches off: cleaned to the point of coherency (the pool is in the image). */
    bm_clean_inval_poc((uintptr_t)__rodata_end, (uintptr_t)(__image_end - __rodata_end));
    struct el1_regs on = {(g_el1_off.sctlr | cfg.sctlr_set) & ~cfg.sctlr_clear, cfg.tcr, cfg.mair, cfg.ttbr};
    el1_write(on);
    return 1;
}

static void el1_stage1_off(idmap_t *s1)
{
    el1_write(g_el1_off);
    idmap_free(s1);
}

/* ---------------------------------------------------------------------------------
 * AT with the guest's stage 1 off, then on */

static void stage1_off_case(void)
{
    case_begin("stage 2, guest stage 1 off: a 40-bit IPA map (two root tables), idmap_s2_activate, "
               "AT S12E1R/W against the tables, live changes");
    idmap_t *vm = new_vm(40, 1, 1);
    if (!vm) {
        case_end();
        return;
    }
    CHECK(idmap_s2_root_tables(vm) == 2, "%u root tables", idmap_s2_root_tables(vm));
    int ok = s2_map(vm, S2_BLOCK, S2_BLOCK + MIB2, S2_RAM) && s2_map(vm, S2_PAGES, S2_PAGES + MIB2, S2_RAM) &&
             s2_map(vm, P_RO, P_RO + PAGE, S2_RO);
    uint64_t vtcr = 0;
    idmap_status_t st = idmap_s2_vtcr(vm, BM_READ_SYSREG(id_aa64mmfr0_el1), id_mmfr1(), &vtcr);
    ok = ok && CHECK(st == IDMAP_OK, "idmap_s2_vtcr: %s", last_error_text(vm));
    if (ok && vm_on(vm, 0)) {
        CHECK(BM_READ_SYSREG(vtcr_el2) == vtcr, "VTCR_EL2 0x%llx, expected 0x%llx",
              (ull)BM_READ_SYSREG(vtcr_el2), (ull)vtcr);
        /* Stage 1 off: data accesses are Device-nGnRnE (Arm ARM, "The effects of disabling an
         * address translation stage"), which no stage-2 type relaxes. */
        at_ok("block", 0, S2_BLOCK + 0x1234, S2_BLOCK + 0x1234, ATTR_DEVICE_NGNRNE);
        at_ok("block", 1, S2_BLOCK + 0x5000, S2_BLOCK + 0x5000, ATTR_DEVICE_NGNRNE);
        at_ok("page", 1, S2_PAGES, S2_PAGES, ATTR_DEVICE_NGNRNE);
        at_ok("read-only page", 0, P_RO, P_RO, -1);
        at_fault("read-only page", 1, P_RO, 2, BM_FSC_PERMISSION(3));
        at_fault("hole", 0, S2_HOLE, 2, s2_hole_fst(vm, S2_HOLE));
        /* Live: the block read-only (a permission: map_range, TLBI IPAS2LE1IS + VMALLE1IS),
         * the read-only page writable, then one page of the block made a split by
         * break-before-make. */
        s2_map(vm, S2_BLOCK, S2_BLOCK + MIB2, S2_RO);
        at_fault("block made read-only live", 1, S2_BLOCK + 0x5000, 2, BM_FSC_PERMISSION(2));
        s2_map(vm, P_RO, P_RO + PAGE, S2_RAM);
        at_ok("page made writable live", 1, P_RO, P_RO, -1);
        idmap_region_t one = idmap_region(S2_BLOCK + 0x3000, S2_BLOCK + 0x4000);
        CHECK(idmap_map_range(vm, &one, S2_RAM) == IDMAP_ERR_BREAK_BEFORE_MAKE, "a live split without BBM");
        st = idmap_s2_map_range_bbm(vm, &one, S2_RAM, 0);
        CHECK(st == IDMAP_OK, "idmap_s2_map_range_bbm: %s", last_error_text(vm));
        at_ok("split page written by BBM", 1, S2_BLOCK + 0x3000, S2_BLOCK + 0x3000, -1);
        at_fault("rest of the split block", 1, S2_BLOCK + 0x5000, 2, BM_FSC_PERMISSION(3));
        /* Live splits (FEAT_BBM, ID_AA64MMFR2_EL1.BBM): the hole mapped as a live block, one
         * page of it made read-only through nT, no break; without FEAT_BBM refused. */
        const int bbm = ((bm_read_id_aa64mmfr2() >> 52) & 0xf) != 0;
        st = idmap_set_live_splits(vm, true);
        CHECK(bbm ? st == IDMAP_OK : st == IDMAP_ERR_INVALID_ARGUMENT && idmap_last_error(vm)->value == IDMAP_ARG_NO_BBM,
              "idmap_set_live_splits with ID_AA64MMFR2_EL1 0x%llx: %s", (ull)bm_read_id_aa64mmfr2(),
              last_error_text(vm));
        if (bbm && s2_map(vm, S2_HOLE, S2_HOLE + MIB2, S2_RAM)) {
            at_ok("block mapped live", 1, S2_HOLE + 0x2000, S2_HOLE + 0x2000, -1);
            s2_map(vm, S2_HOLE + 0x2000, S2_HOLE + 0x3000, S2_RO);
            at_fault("page made read-only by a live split", 1, S2_HOLE + 0x2000, 2, BM_FSC_PERMISSION(3));
            at_ok("rest of the block split live", 1, S2_HOLE + 0x5000, S2_HOLE + 0x5000, -1);
        }
        vm_off(vm);
    }
    idmap_free(vm);
    case_end();
}

static void stage1_on_case(void)
{
    case_begin("stage 2, guest stage 1 on (an EL1&0 map of the library, SCTLR_EL1.M set): AT "
               "S12E1R/W give the PA, the combined memory type, the stage that faulted; a live "
               "type change (BBM)");
    idmap_t *vm = guest_vm(2, 0);
    idmap_t *s1 = vm ? el1_stage1() : 0;
    int ok = s1 && el1_stage1_on(s1) && s2_map(vm, P_RO, P_RO + PAGE, S2_RO) &&
             s2_map(vm, P_S2_DEV, P_S2_DEV + PAGE, IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE) &&
             s2_map(vm, P_S2_NC, P_S2_NC + PAGE,
                    IDMAP_S2_VALID | IDMAP_S2_NORMAL_NC | IDMAP_S2_INNER_SHAREABLE | IDMAP_S2_READ_WRITE);
    if (ok && vm_on(vm, 0)) {
        const unsigned s2_hole_page = s2_hole_fst(vm, S2_PAGES_END), s2_hole_block = s2_hole_fst(vm, S2_HOLE);
        /* Normal write-back at both stages: write-back (Arm ARM, "Combining the stage 1 and
         * stage 2 attributes": the more restrictive type and cacheability wins). */
        at_ok("block", 0, S2_BLOCK + 0x1234, S2_BLOCK + 0x1234, ATTR_NORMAL_WB);
        at_ok("block", 1, S2_BLOCK + 0x5000, S2_BLOCK + 0x5000, ATTR_NORMAL_WB);
        at_ok("page", 1, S2_PAGES + 0x18, S2_PAGES, ATTR_NORMAL_WB);
        at_ok("stage 1 Device", 0, P_S1_DEV, P_S1_DEV, ATTR_DEVICE_NGNRE);
        at_ok("stage 2 Device", 0, P_S2_DEV, P_S2_DEV, ATTR_DEVICE_NGNRE);
        at_ok("stage 2 Non-cacheable", 0, P_S2_NC, P_S2_NC, ATTR_NORMAL_NC);
        at_ok("stage 2 read-only", 0, P_RO, P_RO, ATTR_NORMAL_WB);
        at_fault("stage 2 read-only", 1, P_RO, 2, BM_FSC_PERMISSION(3));
        at_fault("stage 1 read-only", 1, P_S1_RO, 1, BM_FSC_PERMISSION(3));
        at_ok("stage 1 read-only", 0, P_S1_RO, P_S1_RO, ATTR_NORMAL_WB);
        at_fault("stage 1 unmapped", 0, P_S1_HOLE, 1, BM_FSC_TRANSLATION(3));
        at_fault("stage 2 unmapped page", 0, S2_PAGES_END, 2, s2_hole_page);
        at_fault("stage 2 unmapped block", 1, S2_HOLE + 0x8000, 2, s2_hole_block);
        /* Live: a memory type change needs a break (bits 5:2), which BBM does. */
        at_ok("before the change", 0, P_BBM, P_BBM, ATTR_NORMAL_WB);
        idmap_region_t r = idmap_region(P_BBM, P_BBM + PAGE);
        CHECK(idmap_map_range(vm, &r, S2_DEV_RO) == IDMAP_ERR_BREAK_BEFORE_MAKE,
              "map_range made a live memory type change");
        idmap_status_t st = idmap_s2_map_range_bbm(vm, &r, S2_DEV_RO, 0);
        CHECK(st == IDMAP_OK, "idmap_s2_map_range_bbm: %s", last_error_text(vm));
        at_ok("made Device by BBM", 0, P_BBM, P_BBM, ATTR_DEVICE_NGNRE);
        at_fault("made read-only by BBM", 1, P_BBM, 2, BM_FSC_PERMISSION(3));
        vm_off(vm);
    }
    if (s1)
        el1_stage1_off(s1);
    idmap_free(vm);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * A guest at EL1 (s2_guest.S) */

void s2_guest_run(uint64_t entry, uint64_t x0, uint64_t x1);
extern char s2_guest_back[], s2_guest_load[], s2_guest_store[];

/* The guest's last trap to EL2. */
static struct {
    unsigned kind;
    uint64_t esr, far, hpfar, elr, x0;
} g_trap;

static int guest_trap(unsigned kind, struct bm_frame *f)
{
    g_trap.kind = kind;
    g_trap.esr = f->esr;
    g_trap.far = f->far;
    g_trap.hpfar = BM_READ_SYSREG(hpfar_el2);
    g_trap.elr = f->elr;
    g_trap.x0 = f->x[0];
    f->elr = (uintptr_t)s2_guest_back;
    f->spsr = SPSR_EL2H_MASKED;
    return 1;
}

/* The guest's load (write 0) or store of value at ipa, until it traps. */
static void guest_access(int write, uint64_t ipa, uint64_t value)
{
    g_trap.kind = ~0u;
    bm_lower_el_handler = guest_trap;
    s2_guest_run((uintptr_t)(write ? s2_guest_store : s2_guest_load), ipa, value);
    bm_lower_el_handler = 0;
}

static const char *trap_text(void)
{
    static char buf[160];
    bm_snprintf(buf, sizeof buf, "vector %u, ESR_EL2 0x%llx FAR_EL2 0x%llx HPFAR_EL2 0x%llx ELR_EL2 0x%llx",
                g_trap.kind, (ull)g_trap.esr, (ull)g_trap.far, (ull)g_trap.hpfar, (ull)g_trap.elr);
    return buf;
}

/* The access goes through (the guest's HVC comes next); a load gives value, a store
 * leaves it at pa, the IPA's frame. */
static void guest_ok_at(const char *what, int write, uint64_t ipa, uint64_t pa, uint64_t value)
{
    guest_access(write, ipa, value);
    if (!CHECK(g_trap.kind == 8 && BM_ESR_EC(g_trap.esr) == EC_HVC64,
               "%s: the guest's %s at 0x%llx trapped: %s", what, write ? "store" : "load", (ull)ipa, trap_text()))
        return;
    if (write)
        CHECK(*(volatile uint64_t *)(uintptr_t)pa == value, "%s: memory 0x%llx after the guest stored 0x%llx",
              what, (ull) * (volatile uint64_t *)(uintptr_t)pa, (ull)value);
    else
        CHECK(g_trap.x0 == value, "%s: the guest loaded 0x%llx, expected 0x%llx", what, (ull)g_trap.x0,
              (ull)value);
}

/* The same, IPA = PA. */
static void guest_ok(const char *what, int write, uint64_t ipa, uint64_t value)
{
    guest_ok_at(what, write, ipa, ipa, value);
}

/* The access takes a stage-2 data abort to EL2 with DFSC dfsc: EC 0x24, WnR, FAR_EL2 the
 * VA (= IPA), HPFAR_EL2.FIPA (bits 43:4) the IPA's bits 51:12 (D19 "HPFAR_EL2"), ELR_EL2
 * the access. */
static void guest_faults(const char *what, int write, uint64_t ipa, unsigned dfsc)
{
    guest_access(write, ipa, 0xdead);
    const uint64_t esr = g_trap.esr;
    const uintptr_t insn = (uintptr_t)(write ? s2_guest_store : s2_guest_load);
    CHECK(g_trap.kind == 8 && BM_ESR_EC(esr) == EC_DABORT_LOWER && BM_ESR_FSC(esr) == dfsc &&
              BM_ESR_WNR(esr) == (unsigned)write && g_trap.far == ipa && g_trap.hpfar == (ipa >> 12) << 4 &&
              g_trap.elr == insn,
          "%s: the guest's %s at 0x%llx: %s; expected EC 0x%02x DFSC 0x%02x WnR %d, HPFAR_EL2 0x%llx, ELR_EL2 "
          "0x%llx",
          what, write ? "store" : "load", (ull)ipa, trap_text(), EC_DABORT_LOWER, dfsc, write,
          (ull)((ipa >> 12) << 4), (ull)insn);
}

static void guest_case(void)
{
    case_begin("stage 2: a guest at EL1 (stage 1 off) loads and stores; its next access after a "
               "live change faults to EL2 (ESR, FAR, HPFAR): read-only (map_range), Device "
               "read-only (BBM), unmapped, a split (BBM)");
    idmap_t *vm = guest_vm(3, 0);
    volatile uint64_t *const mem = (volatile uint64_t *)(uintptr_t)P_GUEST;
    const uint64_t p = P_GUEST;
    *mem = 0x1111;
    if (vm && vm_on(vm, 0)) {
        guest_ok("first load", 0, p, 0x1111);
        guest_ok("first store", 1, p, 0x2222);
        /* S2AP narrowed: no break needed (TLBI IPAS2LE1IS + VMALLE1IS). */
        s2_map(vm, p, p + PAGE, S2_RO);
        guest_faults("store after map_range made it read-only", 1, p, BM_FSC_PERMISSION(3));
        CHECK(*mem == 0x2222, "memory 0x%llx after the refused store", (ull)*mem);
        guest_ok("load from the read-only page", 0, p, 0x2222);
        s2_map(vm, p, p + PAGE, S2_RAM);
        guest_ok("store once writable again", 1, p, 0x3333);
        /* Memory type and S2AP at once: map_range refuses it and changes nothing; BBM. */
        idmap_region_t r = idmap_region(p, p + PAGE);
        CHECK(idmap_map_range(vm, &r, S2_DEV_RO) == IDMAP_ERR_BREAK_BEFORE_MAKE,
              "map_range made a live memory type change");
        guest_ok("store after the refused change", 1, p, 0x4444);
        idmap_status_t st = idmap_s2_map_range_bbm(vm, &r, S2_DEV_RO, 0);
        CHECK(st == IDMAP_OK, "idmap_s2_map_range_bbm: %s", last_error_text(vm));
        struct leaf lf = walk_one(vm, p);
        CHECK((lf.desc & (0xfULL << 2 | 3ULL << 6)) == (IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ),
              "after BBM: %s", leaf_text(&lf));
        guest_faults("store after BBM made it Device read-only", 1, p, BM_FSC_PERMISSION(3));
        guest_ok("load from it", 0, p, 0x4444);
        /* Unmapped: a translation fault at the level of the invalid entry; mapped again, the
         * data is there. */
        st = idmap_unmap_range(vm, &r);
        CHECK(st == IDMAP_OK, "unmap_range: %s", last_error_text(vm));
        guest_faults("load from the unmapped page", 0, p, s2_hole_fst(vm, p));
        guest_faults("store to the unmapped page", 1, p, s2_hole_fst(vm, p));
        s2_map(vm, p, p + PAGE, S2_RAM);
        guest_ok("load once mapped again", 0, p, 0x4444);
        /* A live block split by BBM, one page of it read-only: the guest's next store there
         * faults at level 3, the rest of the block stays writable. */
        const uint64_t b1 = S2_BLOCK + 0x3000, b2 = S2_BLOCK + 0x5000;
        guest_ok("store to the block", 1, b1, 0xb1);
        guest_ok("store to the block", 1, b2, 0xb2);
        r = idmap_region(b1, b1 + PAGE);
        st = idmap_s2_map_range_bbm(vm, &r, S2_RO, 0);
        CHECK(st == IDMAP_OK, "idmap_s2_map_range_bbm (split): %s", last_error_text(vm));
        guest_faults("store to the page split off read-only", 1, b1, BM_FSC_PERMISSION(3));
        guest_ok("store to the rest of the block", 1, b2, 0xb3);
        guest_ok("load from the read-only page", 0, b1, 0xb1);
        vm_off(vm);
    }
    idmap_free(vm);
    case_end();
}

/* The guest's page at ipa, mapped to itself, moved to frame while the guest's map is
 * live: map_range_to refuses it (rule: the break it needs); idmap_s2_map_range_bbm_to
 * breaks the entry (its TLBIs drop what the guest's first load left) and maps frame. The
 * guest's load gives the old frame's word before and frame's after, its store lands in
 * frame, and the next page still maps itself. (QEMU keeps no TLB entry of stage 2 alone:
 * what the loads prove there is the TLBI VMALLE1IS after the by-IPA ones.) */
static void guest_move(idmap_t *vm, uint64_t ipa, uint64_t frame, uint64_t rule)
{
    volatile uint64_t *const old = (volatile uint64_t *)(uintptr_t)ipa;
    volatile uint64_t *const moved = (volatile uint64_t *)(uintptr_t)frame;
    volatile uint64_t *const next = (volatile uint64_t *)(uintptr_t)(ipa + PAGE);
    *old = 0xa0;
    *moved = 0xb0;
    *next = 0xc0;
    guest_ok("load before the move", 0, ipa, 0xa0);
    idmap_region_t r = idmap_region(ipa, ipa + PAGE);
    idmap_status_t st = idmap_map_range_to(vm, &r, frame, S2_RAM, 0);
    CHECK(st == IDMAP_ERR_BREAK_BEFORE_MAKE && idmap_last_error(vm)->value == rule,
          "map_range_to moving a live page: %s, value %llu, expected rule %llu", status_name(st),
          (ull)idmap_last_error(vm)->value, (ull)rule);
    st = idmap_s2_map_range_bbm_to(vm, &r, frame, S2_RAM, 0);
    CHECK(st == IDMAP_OK, "idmap_s2_map_range_bbm_to: %s", last_error_text(vm));
    struct leaf lf = walk_one(vm, ipa);
    idmap_descriptor_t d = {lf.desc};
    CHECK(lf.found == 1 && lf.level == 3 && (lf.desc & IDMAP_S2_VALID) && idmap_descriptor_output_address(&d) == frame,
          "after the move: %s, expected a page of 0x%llx", leaf_text(&lf), (ull)frame);
    guest_ok("load after the move", 0, ipa, 0xb0);
    guest_ok_at("store after the move", 1, ipa, frame, 0xb1);
    CHECK(*old == 0xa0, "the old frame 0x%llx: 0x%llx after the guest's store", (ull)ipa, (ull)*old);
    guest_ok("load from the next page", 0, ipa + PAGE, 0xc0);
}

static void guest_move_case(void)
{
    case_begin("stage 2: idmap_s2_map_range_bbm_to moves a guest page, and a page of a live 2 MiB block, to "
               "other frames: the guest's next load sees the new frame");
    idmap_t *vm = guest_vm(5, 0);
    if (vm && vm_on(vm, 0)) {
        guest_move(vm, P_MOVE, F_MOVED, IDMAP_BBM_OUTPUT_ADDRESS);
        guest_move(vm, S2_BLOCK + 0x7000, F_MOVED + PAGE, IDMAP_BBM_SPLIT);
        vm_off(vm);
    }
    idmap_free(vm);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * Concatenated roots at each start level (4 KiB granule) */

struct shape {
    unsigned level, ipa_bits, tables;
};

/* Level 2: 30 bits a table, 31-34 bits 2-16 tables; level 1: 39 bits a table, 40-43 bits
 * 2-16; level 0: one table, 40-48 bits (Arm ARM, "Concatenated translation tables for the
 * initial stage 2 lookup"; VTCR_EL2.SL0 and T0SZ). */
static const struct shape k_shapes[] = {
    {2, 31, 2}, {2, 32, 4}, {2, 33, 8}, {2, 34, 16}, {1, 40, 2}, {1, 41, 4},
    {1, 42, 8}, {1, 43, 16}, {0, 40, 1}, {0, 44, 1}, {0, 48, 1},
};

/* ID_AA64MMFR0_EL1.PARange (bits 3:0) in bits, at most 48 (52 needs FEAT_LPA2 here). */
static unsigned pa_bits(uint64_t mmfr0)
{
    static const unsigned bits[] = {32, 36, 40, 42, 44, 48};
    unsigned r = (unsigned)(mmfr0 & 0xf);
    return r < 5 ? bits[r] : 48;
}

static void root_case(const struct shape *s, uint32_t vmid)
{
    case_begin("stage 2: root at level %u, %u table%s (%u-bit IPA): AT S12E1R/W in the first and "
               "the last root table",
               s->level, s->tables, s->tables > 1 ? "s concatenated" : "", s->ipa_bits);
    const uint64_t mmfr0 = BM_READ_SYSREG(id_aa64mmfr0_el1);
    const unsigned pa = pa_bits(mmfr0);
    idmap_t *vm = new_vm(s->ipa_bits, s->level, vmid);
    if (!vm) {
        case_end();
        return;
    }
    /* Concatenated tables: contiguous, aligned to their size (same section). */
    CHECK(idmap_s2_root_tables(vm) == s->tables && idmap_root_address(vm) % (s->tables * PAGE) == 0,
          "%u root tables at 0x%llx, expected %u aligned to their size", idmap_s2_root_tables(vm),
          (ull)idmap_root_address(vm), s->tables);
    uint64_t vtcr = 0;
    idmap_status_t st = idmap_s2_vtcr(vm, mmfr0, id_mmfr1(), &vtcr);
    if (s->ipa_bits > pa || (s->level == 0 && pa < 44)) {
        /* AArch64.S2InvalidSL, and an IPA size past PS: refused, and skipped. */
        const uint64_t v = idmap_last_error(vm)->value;
        CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && (v & 0xff) == IDMAP_ARG_IPA_BEYOND_PA,
              "idmap_s2_vtcr: %s, expected IPA_BEYOND_PA", last_error_text(vm));
        case_skip("needs %u PA bits; the CPU has %u (ID_AA64MMFR0_EL1.PARange %u): idmap_s2_vtcr "
                  "refuses it",
                  s->level == 0 && s->ipa_bits < 44 ? 44 : s->ipa_bits, pa, (unsigned)(mmfr0 & 0xf));
        idmap_free(vm);
        case_end();
        return;
    }
    /* A 2 MiB block at the bottom (root table 0) and at the top (the last root table), IPA
     * = PA: AT reads the tables only, not the output address. */
    const uint64_t top = 1ULL << s->ipa_bits, lo = MIB2, hi = top - MIB2;
    const uint64_t entry = 1ULL << (12 + 9 * (3 - s->level)); /* what a root entry maps */
    const uint64_t hole = hi - entry; /* the root entry below hi's: nothing mapped */
    CHECK(s->tables == 1 || (lo / (entry * 512) == 0 && hi / (entry * 512) == s->tables - 1 &&
                             hole / (entry * 512) == s->tables - 1),
          "the IPAs are not in the first and last tables");
    int ok = s2_map(vm, lo, lo + MIB2, S2_RAM) && s2_map(vm, hi, top, S2_RAM);
    if (ok && vm_on(vm, 0)) {
        CHECK(BM_READ_SYSREG(vtcr_el2) == vtcr, "VTCR_EL2 0x%llx, expected 0x%llx",
              (ull)BM_READ_SYSREG(vtcr_el2), (ull)vtcr);
        at_ok("first table", 0, lo + 0x1234, lo + 0x1000, -1);
        at_ok("first table", 1, lo + MIB2 - 8, lo + MIB2 - PAGE, -1);
        at_ok("last table", 0, hi + 0x5678, hi + 0x5000, -1);
        at_ok("last table", 1, top - 8, top - PAGE, -1);
        at_fault("last table, unmapped", 0, hole, 2, s2_hole_fst(vm, hole));
        vm_off(vm);
    }
    idmap_free(vm);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * FEAT_S2FWB */

static void fwb_case(void)
{
    case_begin("stage 2 with HCR_EL2.FWB = 1: the IDMAP_S2_FWB_* MemAttr in PAR_EL1.ATTR (AT "
               "S12E1R), guest stage 1 on and off");
    const uint64_t mmfr2 = bm_read_id_aa64mmfr2();
    if (((mmfr2 >> 40) & 0xf) == 0) {
        case_skip("no FEAT_S2FWB (ID_AA64MMFR2_EL1.FWB 0, ID_AA64MMFR2_EL1 0x%llx)", (ull)mmfr2);
        case_end();
        return;
    }
    /* Stage 2's MemAttr with FWB (Arm ARM, "Stage 2 memory type and Cacheability attributes
     * when FEAT_S2FWB is enabled"); stage 1 (P_FWB + i) Normal write-back but for 1 and 2,
     * Device-nGnRE. */
    static const struct {
        uint64_t s2;
        int s1_device;
        unsigned attr, attr_s1_off;
    } k[] = {
        /* forced write-back, whatever stage 1 says (off: Device-nGnRnE) */
        {IDMAP_S2_FWB_NORMAL_WB, 0, ATTR_NORMAL_WB, ATTR_NORMAL_WB},
        {IDMAP_S2_FWB_NORMAL_WB, 1, ATTR_NORMAL_WB, ATTR_NORMAL_WB},
        /* stage 1's type */
        {IDMAP_S2_FWB_STAGE1, 1, ATTR_DEVICE_NGNRE, ATTR_DEVICE_NGNRNE},
        {IDMAP_S2_FWB_STAGE1, 0, ATTR_NORMAL_WB, ATTR_DEVICE_NGNRNE},
        /* Non-cacheable where stage 1 is Normal */
        {IDMAP_S2_FWB_NORMAL_NC, 0, ATTR_NORMAL_NC, ATTR_DEVICE_NGNRNE},
        /* Device, stage 2's type */
        {IDMAP_S2_DEVICE_NGNRE, 0, ATTR_DEVICE_NGNRE, ATTR_DEVICE_NGNRE},
    };
    const unsigned n = sizeof k / sizeof k[0];
    idmap_t *vm = guest_vm(4, 0);
    idmap_t *s1 = vm ? el1_stage1() : 0;
    int ok = s1 != 0;
    for (unsigned i = 0; ok && i < n; i++) {
        const uint64_t p = P_FWB + i * PAGE;
        ok = s2_map(vm, p, p + PAGE, IDMAP_S2_VALID | k[i].s2 | IDMAP_S2_INNER_SHAREABLE | IDMAP_S2_READ_WRITE) &&
             (!k[i].s1_device || s2_map(s1, p, p + PAGE, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID));
    }
    if (ok && el1_stage1_on(s1)) {
        /* FWB = 0 first: MemAttr 0b0110 is then Normal, outer Non-cacheable, inner
         * Write-Through, which does not make stage 1's Device Normal. */
        if (vm_on(vm, 0)) {
            at_ok("FWB 0, stage 1 Device, MemAttr 0b0110", 0, P_FWB + PAGE, P_FWB + PAGE, ATTR_DEVICE_NGNRE);
            vm_off(vm);
        }
        if (vm_on(vm, HCR_FWB)) {
            for (unsigned i = 0; i < n; i++) {
                char what[64];
                bm_snprintf(what, sizeof what, "FWB 1, MemAttr 0x%x, stage 1 %s", (unsigned)(k[i].s2 >> 2),
                            k[i].s1_device ? "Device" : "Normal");
                at_ok(what, 0, P_FWB + i * PAGE, P_FWB + i * PAGE, (int)k[i].attr);
            }
            el1_write(g_el1_off);
            for (unsigned i = 0; i < n; i++) {
                char what[64];
                bm_snprintf(what, sizeof what, "FWB 1, MemAttr 0x%x, stage 1 off", (unsigned)(k[i].s2 >> 2));
                at_ok(what, 0, P_FWB + i * PAGE, P_FWB + i * PAGE, (int)k[i].attr_s1_off);
            }
            vm_off(vm);
        }
    }
    if (s1)
        el1_stage1_off(s1);
    idmap_free(vm);
    case_end();
}

/* ---------------------------------------------------------------------------------
 * Hardware dirty state (FEAT_HAFDBS): dirty logging without write-protect faults */

/* VTCR_EL2.HA (bit 21) and HD (bit 22): the hardware updates the Access flag, and the
 * dirty state, in stage-2 descriptors. */
#define VTCR_HA (1ULL << 21)
#define VTCR_HD (1ULL << 22)
/* A stage-2 leaf under IDMAP_HW_DIRTY: clean with DBM set and S2AP[1] clear; the guest's
 * first store through it sets S2AP[1] (Arm ARM, "Hardware management of the dirty
 * state"). */
#define S2_DIRTY_MASK (IDMAP_S2_DBM | IDMAP_S2_WRITE)

/* The leaf of ipa is at level, readable, and clean (clean != 0) or dirty. */
static void s2_dirty_state(const idmap_t *vm, const char *when, uint64_t ipa, unsigned level, int clean)
{
    const struct leaf lf = walk_one(vm, ipa);
    CHECK(lf.found == 1 && lf.level == level && (lf.desc & IDMAP_S2_VALID) && (lf.desc & IDMAP_S2_READ) &&
              (lf.desc & S2_DIRTY_MASK) == (clean ? IDMAP_S2_DBM : S2_DIRTY_MASK),
          "%s: IPA 0x%llx is not %s at level %u: %s", when, (ull)ipa, clean ? "clean" : "dirty", level,
          leaf_text(&lf));
}

static uint64_t s2_dirty_word(uint64_t ipa, unsigned round)
{
    return ipa ^ (0x5d1e000000000000ULL + round);
}

/* Guest pages of P_DIRTY stored to in rounds 1 and 2; 4 and 15 in both, so that a TLB
 * entry still writable from round 1 would let round 2's stores through without making
 * them dirty. */
static const uint64_t k_s2_rounds[2] = {(1 << 1) | (1 << 4) | (1 << 5) | (1 << 15),
                                        (1 << 0) | (1 << 4) | (1 << 7) | (1 << 15)};
static const uint64_t k_s2_none[8], k_s2_block[8] = {~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL};

/* One round: the guest stores to each page of P_DIRTY in written and to S2_BLOCK if
 * block, and loads from each other page, with no trap but its HVC; the pages stored to
 * and the block are dirty then, the others clean. */
static void s2_dirty_round(idmap_t *vm, unsigned round, uint64_t written, int block)
{
    for (uint64_t i = 0; i < DIRTY_N; i++) {
        const uint64_t ipa = P_DIRTY + i * PAGE;
        if (written >> i & 1)
            guest_ok("store to a clean page", 1, ipa + 8 * round, s2_dirty_word(ipa, round));
        else
            guest_ok("load from a clean page", 0, ipa, s2_dirty_word(ipa, 0));
    }
    if (block)
        guest_ok("store to the clean block", 1, S2_BLOCK + 0x6780 + 8 * round, round);
    for (uint64_t i = 0; i < DIRTY_N; i++)
        s2_dirty_state(vm, "after the guest's accesses", P_DIRTY + i * PAGE, 3, !(written >> i & 1));
    s2_dirty_state(vm, "after the guest's accesses", S2_BLOCK, 2, !block);
}

static void s2_dirty_case(void)
{
    const uint64_t mmfr0 = BM_READ_SYSREG(id_aa64mmfr0_el1), mmfr1 = id_mmfr1();
    const unsigned hafdbs = (unsigned)(mmfr1 & 0xf);
    case_begin("stage 2, IDMAP_HW_DIRTY: the guest's stores to clean pages and a block go through, no fault; "
               "idmap_collect_dirty reports exactly them, two rounds");
    if (hafdbs < 2) {
        /* Refused, the map unchanged. */
        idmap_t *vm = new_vm(40, 1, 6);
        if (vm) {
            const idmap_status_t st = idmap_set_hardware_updates(vm, IDMAP_HW_DIRTY);
            const uint64_t v = idmap_last_error(vm)->value;
            CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && (v & 0xff) == IDMAP_ARG_NO_HAFDBS && ((v >> 16) & 0xffff) == 2 &&
                      ((v >> 32) & 0xffff) == hafdbs && idmap_hardware_updates(vm) == 0,
                  "idmap_set_hardware_updates(DIRTY) with HAFDBS %u: %s, value 0x%llx, updates %u", hafdbs,
                  status_name(st), (ull)v, idmap_hardware_updates(vm));
            idmap_free(vm);
        }
        case_skip("no hardware dirty state: ID_AA64MMFR1_EL1 0x%llx, HAFDBS %u (2 needed); "
                  "idmap_set_hardware_updates refuses it",
                  (ull)mmfr1, hafdbs);
        case_end();
        return;
    }
    for (uint64_t i = 0; i < DIRTY_N; i++)
        *(volatile uint64_t *)(uintptr_t)(P_DIRTY + i * PAGE) = s2_dirty_word(P_DIRTY + i * PAGE, 0);
    idmap_t *vm = guest_vm(6, IDMAP_HW_DIRTY);
    uint64_t vtcr = 0;
    idmap_status_t st = vm ? idmap_s2_vtcr(vm, mmfr0, mmfr1 & ~0xfULL, &vtcr) : IDMAP_ERR_INVALID_ARGUMENT;
    if (vm) {
        const uint64_t v = idmap_last_error(vm)->value;
        CHECK(st == IDMAP_ERR_INVALID_ARGUMENT && (v & 0xff) == IDMAP_ARG_NO_HAFDBS && ((v >> 16) & 0xffff) == 2 &&
                  ((v >> 32) & 0xffff) == 0,
              "idmap_s2_vtcr with HAFDBS 0: %s, value 0x%llx", status_name(st), (ull)v);
        st = idmap_s2_vtcr(vm, mmfr0, mmfr1, &vtcr);
        CHECK(st == IDMAP_OK && (vtcr & (VTCR_HA | VTCR_HD)) == (VTCR_HA | VTCR_HD),
              "idmap_s2_vtcr: %s, VTCR 0x%llx", last_error_text(vm), (ull)vtcr);
        for (uint64_t i = 0; i < DIRTY_N; i++)
            s2_dirty_state(vm, "as mapped", P_DIRTY + i * PAGE, 3, 1);
        s2_dirty_state(vm, "as mapped", S2_BLOCK, 2, 1);
    }
    if (vm && vm_on(vm, 0)) {
        const uint64_t live = BM_READ_SYSREG(vtcr_el2);
        CHECK(live == vtcr && (live & (VTCR_HA | VTCR_HD)) == (VTCR_HA | VTCR_HD),
              "VTCR_EL2 0x%llx, idmap_s2_vtcr said 0x%llx (HA, HD expected)", (ull)live, (ull)vtcr);
        case_name_append(" (HAFDBS %u, VTCR_EL2 0x%llx: HA, HD)", hafdbs, (ull)live);
        s2_dirty_round(vm, 0, 0, 0);
        check_collect_dirty(vm, "no store yet", P_DIRTY, DIRTY_N, k_s2_none);
        check_collect_dirty(vm, "no store yet", S2_BLOCK, MIB2 / PAGE, k_s2_none);
        for (unsigned round = 1; round <= 2; round++) {
            const uint64_t w = k_s2_rounds[round - 1];
            char when[32];
            bm_snprintf(when, sizeof when, "round %u", round);
            s2_dirty_round(vm, round, w, 1);
            check_collect_dirty(vm, when, P_DIRTY, DIRTY_N, &w);
            check_collect_dirty(vm, when, S2_BLOCK, MIB2 / PAGE, k_s2_block);
            for (uint64_t i = 0; i < DIRTY_N; i++)
                s2_dirty_state(vm, "after idmap_collect_dirty", P_DIRTY + i * PAGE, 3, 1);
            s2_dirty_state(vm, "after idmap_collect_dirty", S2_BLOCK, 2, 1);
            for (uint64_t i = 0; i < DIRTY_N; i++) {
                const uint64_t pa = P_DIRTY + i * PAGE + 8 * round;
                if (w >> i & 1)
                    CHECK(*(volatile uint64_t *)(uintptr_t)pa == s2_dirty_word(P_DIRTY + i * PAGE, round),
                          "%s: the guest's store to page %llu is not in memory", when, (ull)i);
            }
        }
        s2_dirty_round(vm, 3, 0, 0);
        check_collect_dirty(vm, "no store since", P_DIRTY, DIRTY_N, k_s2_none);
        vm_off(vm);
    }
    idmap_free(vm);
    case_end();
}

void stage2_cases(void)
{
    g_hcr = BM_READ_SYSREG(hcr_el2);
    g_el1_off = el1_read();
    bm_printf("# stage 2 at EL2: ID_AA64MMFR0_EL1 0x%llx, ID_AA64MMFR1_EL1 0x%llx, ID_AA64MMFR2_EL1 0x%llx\n",
              (ull)BM_READ_SYSREG(id_aa64mmfr0_el1), (ull)id_mmfr1(), (ull)bm_read_id_aa64mmfr2());
    stage1_off_case();
    stage1_on_case();
    guest_case();
    guest_move_case();
    for (unsigned i = 0; i < sizeof k_shapes / sizeof k_shapes[0]; i++)
        root_case(&k_shapes[i], 10 + i);
    fwb_case();
    s2_dirty_case();
    BM_WRITE_SYSREG(hcr_el2, g_hcr);
    el1_write(g_el1_off);
}
