/*
 * stress.c - live changes under load on every core (issue 14): image stress-suite, built
 * with -DBM_STAY_AT_ENTRY_EL so that it runs in the regime of the EL QEMU enters, and run
 * with -smp 4, a host thread per core (-accel tcg,thread=multi) and -m 2G.
 *
 * The primary builds an identity map of the image and of a test window with the C ABI,
 * turns the MMU on (idmap_enable_mmu) and starts the other cores, which join the live
 * map with the same register values (rt_mmu_on, then idmap_activate_on_core). Then it
 * changes the live map through the library, each change drawn at random (a fixed seed)
 * among what the objects of the window allow:
 *  - four data pages: read-write <-> read-only (idmap_modify_range), unmapped
 *    (idmap_unmap_range, or idmap_map_range without VALID), mapped again read-write or
 *    read-only (idmap_map_range);
 *  - a code page ("mov x0, #42; ret"): executable <-> execute-never, unmapped, mapped
 *    again either way;
 *  - a 2 MiB range mapped nowhere else: one page of it mapped (a new level 3 table) or
 *    the whole as a block, the block made read-only and read-write again, unmapped (the
 *    table freed);
 *  - a page of a 1 GiB range mapped nowhere else (new level 2 and 3 tables), unmapped
 *    (both freed); RAM there is why QEMU gets -m 2G.
 * A page beside the data pages stays read-write throughout (and keeps their table).
 * The changes come in two phases of STRESS_SECONDS / 2 each (CNTPCT_EL0), or
 * STRESS_MAX_CHANGES, whichever ends first: in lockstep, each change that takes rights
 * away waits until every core has made a whole round of accesses at the new state, so
 * that each such change is checked on every core before anything else can flush a stale
 * entry; free-running, the changes follow each other at once and the accesses race them.
 *
 * Meanwhile the other cores load, store (each in a cache line of its own) and execute
 * in every object, round after round, catch every fault (bm_expect_fault: a record per
 * core) and judge each outcome against what the primary published. The primary
 * publishes a sequence word (a sequence lock): odd while a library call runs, with the
 * object and its old and new state; even once the call has returned and the object's
 * new state is stored. A core reads the word (load-acquire), then ISB, so that the
 * walks and fetches of the accesses that follow come after it even without FEAT_ETS2
 * (Arm ARM DDI 0487K.a, B2.3 "Definition of the Arm memory model"); accesses; DMB; reads
 * the word again. With no change in flight, or one on another object, the state is
 * known and the outcome must be exactly its own: success, or the fault of the right
 * kind (data or instruction abort, translation or permission fault at the right level,
 * FAR, WnR) - any other outcome is a violation: the core observed a translation older
 * than a change that had returned, or a change disturbed another object. An access
 * racing a change of its own object may give the old outcome or the new, nothing else
 * (but for the level of a translation fault: a table being linked in or freed is
 * empty), so an entry made invalid on the way, or a table linked in before it is
 * written, shows. Samples across more than one change are not judged. A load that
 * succeeds must read what the core last stored there (the code on the code page).
 *
 * What QEMU can show: a TLBI that is missing, local instead of broadcast (...IS), or for
 * the wrong address or regime leaves a stale entry in the other vCPUs' TLBs, and the
 * test sees it: a store that succeeds on a page made read-only, a load from an unmapped
 * page, a call into an execute-never page. What it cannot: QEMU's TLBI ...IS under
 * MTTCG flushes the other vCPUs synchronously (the issuing vCPU waits for them), so a
 * missing DSB ISH after a TLBI, or DSB ISHST before it, goes unseen; QEMU caches no
 * walks, so walk-cache maintenance of freed tables goes unseen; an entry that allows
 * less than the tables (the old read-only entry after a change to read-write) is walked
 * again by QEMU on the fault, so only changes that take rights away check the TLBI; and
 * a vCPU that has held a 2 MiB block in its TLB flushes the whole TLB on a TLBI by VA
 * anywhere in the range of the blocks it held, until its next full flush (QEMU's
 * large-page tracking), which hides a TLBI to a wrong address there.
 *
 * Prints "ok N - name" / "not ok N - name: details" per case, with "#" lines of
 * figures, and ends with check_summary's line; bm_main returns 0 iff none failed.
 */
#include "bm.h"
#include "board.h"
#include "check.h"
#include "entry_el.h"
#include "idmap.h"
#include "idmap_check.h"

typedef unsigned long long ull;

#ifndef STRESS_SECONDS
#define STRESS_SECONDS 3
#endif
#define STRESS_MAX_CHANGES (4000 * STRESS_SECONDS) /* a phase */
#define ACK_TIMEOUT_US 100000    /* lockstep: for every core's round at the new state */
#define SEED 0x5eed2a6e1c0ffee1ULL

#define PAGE 0x1000ULL
#define MIB2 0x200000ULL
#define V IDMAP_ATTR_VALID
#define RO IDMAP_ATTR_READ_ONLY

#define RAM(off) (BOARD_RAM_BASE + (off))
/* The window: data pages, the code page and the anchor, in one level 3 table. */
#define W_PAGES RAM(0x04000000ULL)
/* 2 MiB mapped nowhere else. */
#define NEW2M RAM(0x04200000ULL)
/* A page of the 1 GiB after RAM's first (qemu-virt: RAM from 1 GiB; -m 2G puts RAM
 * there). */
#define NEW1G (BOARD_RAM_BASE + 0x40000000ULL)

#if BOARD_RAM_SIZE < 0x04400000ULL
#error "the stress suite uses the first 68 MiB of RAM"
#endif

/* Each core loads and stores at its own line of a page. */
#define SLOT(core) ((uint64_t)(core) * 64)

/* ---------------------------------------------------------------------------------
 * Regimes (entry_el.h): EL1&0 with this suite's ASID; EL2 and EL3 are entry_el.c's */

static const struct regime REGIME_EL1_0 = {IDMAP_REGIME_EL1_0, "EL1&0", 1, 1,
                                           IDMAP_ATTR_PXN | IDMAP_ATTR_UXN,
                                           IDMAP_ATTR_NON_GLOBAL, 9};

const struct regime *R;

/* ---------------------------------------------------------------------------------
 * The objects of the window, their states and the changes between them */

enum kind { K_DATA, K_CODE, K_FIXED, K_NEW2M, K_NEW1G };
enum state { S_NONE, S_RW, S_RO, S_X, S_XN, S_PAGE, S_BLOCK, S_BLOCK_RO, N_STATES };
enum obj { O_D0, O_D1, O_D2, O_D3, O_CODE, O_ANCHOR, O_NEW2M, O_NEW1G, N_OBJ };

static const char *const state_names[N_STATES] = {
    "unmapped", "read-write", "read-only", "executable", "execute-never",
    "one page mapped", "a block", "a read-only block",
};

static const struct object {
    const char *name;
    enum kind kind;
    enum state initial;
    uint64_t base;
    unsigned none_level; /* the level of its empty entry while it is unmapped */
} objects[N_OBJ] = {
    {"data page 0", K_DATA, S_RW, W_PAGES, 3},
    {"data page 1", K_DATA, S_RW, W_PAGES + PAGE, 3},
    {"data page 2", K_DATA, S_RW, W_PAGES + 2 * PAGE, 3},
    {"data page 3", K_DATA, S_RW, W_PAGES + 3 * PAGE, 3},
    {"code page", K_CODE, S_X, W_PAGES + 4 * PAGE, 3},
    {"anchor page", K_FIXED, S_RW, W_PAGES + 5 * PAGE, 3},
    {"2 MiB range", K_NEW2M, S_NONE, NEW2M, 2},
    {"1 GiB range", K_NEW1G, S_NONE, NEW1G, 1},
};

enum op { OP_MAP, OP_MODIFY, OP_UNMAP, OP_MAP_INVALID, N_OPS };
static const char *const op_names[N_OPS] = {"map_range", "modify_range", "unmap_range",
                                            "map_range without VALID"};

static const struct transition {
    enum kind kind;
    enum state from, to;
    enum op op;
} transitions[] = {
    {K_DATA, S_RW, S_RO, OP_MODIFY},
    {K_DATA, S_RO, S_RW, OP_MODIFY},
    {K_DATA, S_RW, S_NONE, OP_UNMAP},
    {K_DATA, S_RO, S_NONE, OP_UNMAP},
    {K_DATA, S_RW, S_NONE, OP_MAP_INVALID},
    {K_DATA, S_NONE, S_RW, OP_MAP},
    {K_DATA, S_NONE, S_RO, OP_MAP},
    {K_CODE, S_X, S_XN, OP_MODIFY},
    {K_CODE, S_XN, S_X, OP_MODIFY},
    {K_CODE, S_X, S_NONE, OP_UNMAP},
    {K_CODE, S_XN, S_NONE, OP_MAP_INVALID},
    {K_CODE, S_NONE, S_X, OP_MAP},
    {K_CODE, S_NONE, S_XN, OP_MAP},
    {K_NEW2M, S_NONE, S_PAGE, OP_MAP},
    {K_NEW2M, S_PAGE, S_NONE, OP_UNMAP},
    {K_NEW2M, S_NONE, S_BLOCK, OP_MAP},
    {K_NEW2M, S_BLOCK, S_BLOCK_RO, OP_MODIFY},
    {K_NEW2M, S_BLOCK_RO, S_BLOCK, OP_MODIFY},
    {K_NEW2M, S_BLOCK, S_NONE, OP_UNMAP},
    {K_NEW2M, S_BLOCK_RO, S_NONE, OP_UNMAP},
    {K_NEW1G, S_NONE, S_PAGE, OP_MAP},
    {K_NEW1G, S_PAGE, S_NONE, OP_UNMAP},
};
#define N_TRANSITIONS (sizeof transitions / sizeof transitions[0])

/* The descriptor bits of a state (none when unmapped). */
static uint64_t state_flags(enum state s)
{
    switch (s) {
    case S_RW:
    case S_PAGE:
    case S_BLOCK:
        return F_DATA;
    case S_RO:
    case S_BLOCK_RO:
        return F_DATA | RO;
    case S_X:
        return F_CODE;
    case S_XN:
        return F_CODE | R->xn;
    default:
        return 0;
    }
}

/* What an object maps in a state: its 2 MiB as a block, else its page. */
static idmap_region_t state_region(const struct object *o, enum state s)
{
    return idmap_region(o->base, o->base + (s == S_BLOCK || s == S_BLOCK_RO ? MIB2 : PAGE));
}

/* ---------------------------------------------------------------------------------
 * The accesses, and what each must give in each state */

enum how { LOAD, STORE, EXEC };

/* An access: at offset from the object's base, plus the core's SLOT but on the code page.
 * Past the first page: unmapped while the range has one page mapped (S_PAGE), and never
 * stored to. */
static const struct probe {
    enum obj obj;
    enum how how;
    uint64_t offset;
} probes[] = {
    {O_D0, LOAD, 0},     {O_D0, STORE, 0},     {O_D1, LOAD, 0},         {O_D1, STORE, 0},
    {O_D2, LOAD, 0},     {O_D2, STORE, 0},     {O_D3, LOAD, 0},         {O_D3, STORE, 0},
    {O_CODE, EXEC, 0},   {O_CODE, LOAD, 0},    {O_ANCHOR, LOAD, 0},     {O_ANCHOR, STORE, 0},
    {O_NEW2M, LOAD, 0},  {O_NEW2M, STORE, 0},  {O_NEW2M, LOAD, MIB2 / 2},
    {O_NEW1G, LOAD, 0},  {O_NEW1G, STORE, 0},
};
#define N_PROBES (sizeof probes / sizeof probes[0])

static uint64_t probe_addr(const struct probe *p, unsigned core)
{
    return objects[p->obj].base + p->offset + (p->obj == O_CODE ? 0 : SLOT(core));
}

/* The fault status code the access must give in state s, or 0: it must succeed. */
static unsigned expected_fsc(const struct probe *p, enum state s)
{
    switch (s) {
    case S_NONE:
        return BM_FSC_TRANSLATION(objects[p->obj].none_level);
    case S_PAGE:
        return p->offset >= PAGE ? BM_FSC_TRANSLATION(3) : 0;
    case S_RO:
        return p->how == STORE ? BM_FSC_PERMISSION(3) : 0;
    case S_BLOCK_RO:
        return p->how == STORE ? BM_FSC_PERMISSION(2) : 0;
    case S_XN:
        return p->how == EXEC ? BM_FSC_PERMISSION(3) : 0;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------------------------
 * What the primary publishes: the sequence word, and each object's state */

#define WORD(seq, obj, from, to) \
    (((uint64_t)(seq) << 24) | ((uint64_t)(from) << 16) | ((uint64_t)(to) << 8) | (obj))
#define W_SEQ(w) ((w) >> 24)
#define W_FROM(w) ((enum state)(((w) >> 16) & 0xff))
#define W_TO(w) ((enum state)(((w) >> 8) & 0xff))
#define W_OBJ(w) ((enum obj)((w) & 0xff))

static uint64_t g_word;                 /* sequence word: odd seq, a change in flight */
static volatile uint8_t g_state[N_OBJ]; /* written before the even word that publishes it */
static int g_stop;
static uint64_t g_code_words; /* the first 8 bytes of the code page */

static idmap_t *g_map;
static idmap_mmu_config_t g_cfg;

/* ---------------------------------------------------------------------------------
 * The other cores */

#define NOTES 2
#define STACK 16384

struct core {
    struct bm_secondary boot;
    unsigned id;
    int joined;      /* 1: joined the map, -1: idmap_activate_on_core failed */
    int done;        /* left its loop once g_stop was set */
    uint64_t ack;    /* the last even seq a whole round of its accesses ran at */
    idmap_status_t join_status;
    uint64_t prev_ttbr;
    uint64_t accesses, faults, racing, unjudged, violations, rounds, stored;
    uint64_t last[N_OBJ]; /* what its last store that did not fault wrote, per object */
    unsigned noted;       /* violations described in notes */
    const struct probe *noted_probe;
    char notes[NOTES][240];
} __attribute__((aligned(64)));

static struct core g_cores[BM_MAX_CORES];
static uint8_t g_stacks[BM_MAX_CORES][STACK] __attribute__((aligned(64)));
static unsigned g_running; /* cores 1 .. g_running joined */

struct outcome {
    int faulted;
    uint64_t esr, far, value;
};

static struct outcome do_access(struct core *me, const struct probe *p)
{
    struct outcome o = {0, 0, 0, 0};
    uint64_t a = probe_addr(p, me->id);
    switch (p->how) {
    case LOAD:
        bm_expect_fault();
        o.value = bm_probe_read(a, 0);
        o.faulted = bm_fault_taken();
        break;
    case STORE:
        o.value = ((uint64_t)me->id << 56) | ++me->stored;
        bm_expect_fault();
        bm_probe_write(a, o.value);
        o.faulted = bm_fault_taken();
        break;
    case EXEC: {
        int r = call_code(a);
        o.faulted = r == 0;
        o.value = (uint64_t)(int64_t)r;
        break;
    }
    }
    if (o.faulted) {
        o.esr = bm_fault.esr;
        o.far = bm_fault.far;
    }
    return o;
}

/* Whether the outcome is what state s gives: success, or the fault of the right kind;
 * with any_level, a translation fault may come from any level. */
static int outcome_is(const struct probe *p, unsigned core, enum state s, const struct outcome *o,
                      int any_level)
{
    unsigned fsc = expected_fsc(p, s);
    if (!fsc)
        return !o->faulted;
    unsigned ec = p->how == EXEC ? BM_EC_IABORT_SAME_EL : BM_EC_DABORT_SAME_EL;
    unsigned got = BM_ESR_FSC(o->esr);
    int translation = fsc <= BM_FSC_TRANSLATION(3) && got >= BM_FSC_TRANSLATION(0) &&
                      got <= BM_FSC_TRANSLATION(3);
    return o->faulted && BM_ESR_EC(o->esr) == ec && (got == fsc || (any_level && translation)) &&
           o->far == probe_addr(p, core) && (p->how != STORE || BM_ESR_WNR(o->esr));
}

static const char *const how_names[] = {"load", "store", "call"};

static void violation(struct core *me, const struct probe *p, uint64_t word, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void violation(struct core *me, const struct probe *p, uint64_t word, const char *fmt, ...)
{
    /* the first few, each of another access than the one before */
    if (me->noted < NOTES && (me->noted == 0 || me->noted_probe != p)) {
        char *n = me->notes[me->noted++];
        me->noted_probe = p;
        size_t len = bm_snprintf(n, sizeof me->notes[0],
                                 "core %u, change %llu, %s at 0x%llx (%s): ", me->id,
                                 (ull)(W_SEQ(word) + 1) / 2, how_names[p->how],
                                 (ull)probe_addr(p, me->id), objects[p->obj].name);
        if (len < sizeof me->notes[0]) {
            va_list ap;
            va_start(ap, fmt);
            bm_vsnprintf(n + len, sizeof me->notes[0] - len, fmt, ap);
            va_end(ap);
        }
    }
    me->violations++;
}

static const char *outcome_text(char *buf, size_t len, const struct outcome *o)
{
    if (o->faulted)
        bm_snprintf(buf, len, "fault ESR 0x%llx (EC 0x%02x FSC 0x%02x WnR %u) FAR 0x%llx",
                    (ull)o->esr, (unsigned)BM_ESR_EC(o->esr), (unsigned)BM_ESR_FSC(o->esr),
                    (unsigned)BM_ESR_WNR(o->esr), (ull)o->far);
    else
        bm_snprintf(buf, len, "no fault");
    return buf;
}

/* One access, judged against the state published around it: w1 before (and s, the
 * object's state read after w1), w2 after. */
static void judge(struct core *me, const struct probe *p, uint64_t w1, enum state s, uint64_t w2,
                  const struct outcome *o)
{
    char got[96];
    me->accesses++;
    me->faults += (uint64_t)o->faulted;
    if (!o->faulted) {
        /* a store that did not fault landed; a load reads the last one */
        uint64_t want = p->obj == O_CODE  ? g_code_words
                        : p->offset >= PAGE ? 0
                                            : me->last[p->obj];
        if (p->how == STORE)
            me->last[p->obj] = o->value;
        else if (p->how == EXEC && o->value != 1)
            violation(me, p, w1, "the code ran but did not answer 42");
        else if (p->how == LOAD && o->value != want)
            violation(me, p, w1, "read 0x%llx, expected 0x%llx", (ull)o->value, (ull)want);
    }
    if (W_SEQ(w2) - W_SEQ(w1) > 1) {
        me->unjudged++;
        return;
    }
    /* the change in flight during the access, if any */
    uint64_t flight = (W_SEQ(w1) & 1) ? w1 : (W_SEQ(w2) & 1) ? w2 : 0;
    if (flight && W_OBJ(flight) == p->obj) {
        /* The old outcome or the new; where one is a translation fault, at any level: a
         * table being linked in, or one left empty and being freed, holds no entry. */
        me->racing++;
        if (!outcome_is(p, me->id, W_FROM(flight), o, 1) &&
            !outcome_is(p, me->id, W_TO(flight), o, 1))
            violation(me, p, flight, "racing it (from %s to %s): %s, neither outcome",
                      state_names[W_FROM(flight)], state_names[W_TO(flight)],
                      outcome_text(got, sizeof got, o));
        return;
    }
    if (!outcome_is(p, me->id, s, o, 0)) {
        unsigned fsc = expected_fsc(p, s);
        if (fsc)
            violation(me, p, w1, "%s: expected a %s fault at level %u, got %s", state_names[s],
                      fsc < BM_FSC_PERMISSION(0) ? "translation" : "permission", fsc & 3,
                      outcome_text(got, sizeof got, o));
        else
            violation(me, p, w1, "%s: expected no fault, got %s", state_names[s],
                      outcome_text(got, sizeof got, o));
    }
}

/* Every probe once; acknowledges the state if no change came during the round. */
static void one_round(struct core *me)
{
    uint64_t first = 0, w2 = 0;
    for (unsigned i = 0; i < N_PROBES; i++) {
        const struct probe *p = &probes[i];
        uint64_t w1 = __atomic_load_n(&g_word, __ATOMIC_ACQUIRE);
        BM_ISB(); /* the accesses' walks and fetches after the word (see the top) */
        enum state s = (enum state)g_state[p->obj];
        struct outcome o = do_access(me, p);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        w2 = __atomic_load_n(&g_word, __ATOMIC_ACQUIRE);
        if (i == 0)
            first = w1;
        judge(me, p, w1, s, w2, &o);
    }
    me->rounds++;
    if (W_SEQ(first) == W_SEQ(w2) && !(W_SEQ(w2) & 1))
        __atomic_store_n(&me->ack, W_SEQ(w2), __ATOMIC_RELEASE);
}

/* A secondary core, MMU off: joins the live map, runs rounds until g_stop. */
static void secondary_main(void *arg)
{
    struct core *me = arg;
    /* No line of what this core wrote with its caches off may linger in them. */
    bm_clean_inval_poc((uintptr_t)g_stacks[me->id], STACK);
    uint64_t sctlr = (read_regs().sctlr | g_cfg.sctlr_set) & ~g_cfg.sctlr_clear;
    rt_mmu_on(bm_current_el(), g_cfg.mair, g_cfg.tcr, g_cfg.ttbr, 0, sctlr);
    /* The MMU on first: the library counts cores with atomics (cacheable memory). */
    me->join_status = idmap_activate_on_core(g_map, &me->prev_ttbr);
    __atomic_store_n(&me->joined, me->join_status == IDMAP_OK ? 1 : -1, __ATOMIC_RELEASE);
    if (me->join_status == IDMAP_OK)
        while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE))
            one_round(me);
    __atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
}

/* Waits (up to timeout_us) until *flag is non-zero; its value. */
static int wait_flag(const int *flag, uint64_t timeout_us)
{
    uint64_t t0 = bm_time_us();
    int v;
    while (!(v = __atomic_load_n(flag, __ATOMIC_ACQUIRE)) && bm_time_us() - t0 < timeout_us)
        __asm__ volatile("yield");
    return v;
}

/* Starts cores 1 .. BM_MAX_CORES - 1, each joining the map; the number that joined. */
static unsigned start_secondaries(void)
{
    unsigned el = bm_current_el();
    case_begin("%s: the other cores started (%s) and joined the live map "
               "(idmap_activate_on_core)",
               R->name, el == 3 ? "released from the park loop" : el == 2 ? "PSCI CPU_ON, SMC"
                                                                          : "PSCI CPU_ON, HVC");
    /* They read these with the MMU off. */
    bm_clean_inval_poc((uintptr_t)&g_cfg, sizeof g_cfg);
    bm_clean_inval_poc((uintptr_t)&g_map, sizeof g_map);
    unsigned n = 0;
    for (unsigned c = 1; c < BM_MAX_CORES; c++) {
        struct core *k = &g_cores[c];
        k->id = c;
        k->boot.fn = secondary_main;
        k->boot.arg = k;
        k->boot.stack_top = (uint64_t)(uintptr_t)(g_stacks[c] + STACK);
        bm_clean_inval_poc((uintptr_t)k, sizeof *k);
        int rc = bm_start_secondary(c, &k->boot);
        if (rc == -2)
            break; /* no such core */
        if (!CHECK(rc == 0, "core %u: bm_start_secondary answered %d", c, rc))
            break;
        int j = wait_flag(&k->joined, 2000000);
        if (!CHECK(j == 1, "core %u: %s", c,
                   j ? status_name(k->join_status) : "did not join within 2 s"))
            break;
        n++;
    }
    if (n == 0 && !case_problems())
        case_skip("no other core (run QEMU with -smp 4)");
    CHECK(idmap_active_cores(g_map) == n + 1, "idmap_active_cores %u, expected %u",
          idmap_active_cores(g_map), n + 1);
    case_name_append(": %u of %u", n, BM_MAX_CORES - 1);
    case_end();
    return n;
}

/* ---------------------------------------------------------------------------------
 * The primary */

static uint64_t g_rng = SEED;

static uint64_t rnd(void)
{
    /* xorshift64* */
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1dULL;
}

static idmap_status_t apply(const struct object *o, const struct transition *t)
{
    idmap_region_t r = state_region(o, t->op == OP_MAP || t->op == OP_MODIFY ? t->to : t->from);
    uint64_t from = state_flags(t->from), to = state_flags(t->to);
    switch (t->op) {
    case OP_MAP:
        return idmap_map_range(g_map, &r, to);
    case OP_MODIFY:
        return modify_bits(g_map, r.start, r.end, to & ~from, from & ~to, 0);
    case OP_UNMAP:
        return idmap_unmap_range(g_map, &r);
    default:
        return idmap_map_range(g_map, &r, from & ~V);
    }
}

/* A transition out of the state the object is in, at random. */
static const struct transition *pick(enum obj obj)
{
    const struct transition *any[N_TRANSITIONS];
    unsigned n = 0;
    for (unsigned i = 0; i < N_TRANSITIONS; i++)
        if (transitions[i].kind == objects[obj].kind && transitions[i].from == g_state[obj])
            any[n++] = &transitions[i];
    return n ? any[rnd() % n] : 0;
}

/* Whether the change takes rights away: unmaps, or adds READ_ONLY or execute-never to a
 * mapping. */
static int takes_rights(const struct transition *t)
{
    return t->to == S_NONE ||
           (t->from != S_NONE && (state_flags(t->to) & ~state_flags(t->from) & (RO | R->xn)));
}

/* Whether every running core has made a whole round at seq (waits up to the timeout). */
static int acknowledged(uint64_t seq)
{
    uint64_t t0 = bm_time_us();
    for (unsigned c = 1; c <= g_running; c++)
        while (__atomic_load_n(&g_cores[c].ack, __ATOMIC_ACQUIRE) < seq) {
            if (bm_time_us() - t0 > ACK_TIMEOUT_US)
                return 0;
            __asm__ volatile("yield");
        }
    return 1;
}

/* A phase of changes (see the top). In lockstep, a change that grants rights needs no
 * wait: QEMU walks again where its TLB entry allows too little, and caches no walk that
 * faults. */
struct phase {
    const char *name;
    int lockstep;
    unsigned changes, narrowing, checked, ops[N_OPS];
    uint64_t us;
};

/* Runs ph until the time until_us (bm_time_us); *seq is the last even sequence number
 * published. Answers 0 if a library call failed (noted in the case). */
static int run_phase(struct phase *ph, uint64_t *seq, uint64_t until_us)
{
    uint64_t t0 = bm_time_us();
    idmap_status_t st = IDMAP_OK;
    while (st == IDMAP_OK && ph->changes < STRESS_MAX_CHANGES && bm_time_us() < until_us) {
        enum obj obj = (enum obj)(rnd() % N_OBJ);
        const struct transition *t = pick(obj);
        if (!t)
            continue; /* the anchor */
        /* in flight: published before the first table write (hence the DMB) */
        __atomic_store_n(&g_word, WORD(*seq + 1, obj, t->from, t->to), __ATOMIC_RELEASE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        st = apply(&objects[obj], t);
        if (!CHECK(st == IDMAP_OK, "%s change %u, %s from %s to %s (%s): %s", ph->name,
                   ph->changes, objects[obj].name, state_names[t->from], state_names[t->to],
                   op_names[t->op], last_error_text(g_map)))
            break;
        g_state[obj] = (uint8_t)t->to;
        *seq += 2;
        __atomic_store_n(&g_word, WORD(*seq, obj, t->from, t->to), __ATOMIC_RELEASE);
        ph->ops[t->op]++;
        ph->changes++;
        if (ph->lockstep && takes_rights(t)) {
            ph->narrowing++;
            ph->checked += (unsigned)acknowledged(*seq);
        }
    }
    ph->us = bm_time_us() - t0;
    return st == IDMAP_OK;
}

static int map_or_fail(uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(g_map, &r, flags);
    return CHECK(st == IDMAP_OK, "map_range [0x%llx, 0x%llx) flags 0x%llx: %s", (ull)start,
                 (ull)end, (ull)flags, last_error_text(g_map));
}

/* With the MMU off: the code, and zeros in every line the cores load or store (which
 * also finds whether there is RAM at NEW1G). */
static int prepare_memory(void)
{
    write_code_pages(objects[O_CODE].base, 1);
    g_code_words = *(volatile uint64_t *)(uintptr_t)objects[O_CODE].base;
    for (unsigned i = 0; i < N_PROBES; i++)
        for (unsigned c = 1; c < BM_MAX_CORES && probes[i].obj != O_CODE; c++) {
            uint64_t a = probe_addr(&probes[i], c);
            bm_expect_fault();
            bm_probe_write(a, 0);
            if (!CHECK(!bm_fault_taken(), "no RAM at 0x%llx (ESR 0x%llx): run QEMU with -m 2G",
                       (ull)a, (ull)bm_fault.esr))
                return 0;
        }
    return 1;
}

/* The identity map: the image, the devices, the window's objects in their first state. */
static int build_map(void)
{
    idmap_config_t c = {R->id, IDMAP_VA_RANGE_LOWER, R->asid, 1, 0, 0};
    g_map = idmap_new_with_config(&c);
    if (!CHECK(g_map, "idmap_new_with_config(%s, ASID %llu, root level 1) answered NULL",
               R->name, (ull)R->asid))
        return 0;
    int ok = map_or_fail((uintptr_t)__image_start, (uintptr_t)__text_end, F_CODE);
    ok = ok && map_or_fail((uintptr_t)__text_end, (uintptr_t)__rodata_end, F_RODATA);
    ok = ok && map_or_fail((uintptr_t)__rodata_end, (uintptr_t)__image_end, F_DATA);
    ok = ok && map_or_fail(BOARD_DEVICE_BASE, BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE, F_DEVICE);
    for (unsigned i = 0; i < N_OBJ && ok; i++) {
        const struct object *o = &objects[i];
        g_state[i] = (uint8_t)o->initial;
        if (o->initial != S_NONE) {
            idmap_region_t r = state_region(o, o->initial);
            ok = map_or_fail(r.start, r.end, state_flags(o->initial));
        }
    }
    /* The new ranges must really be new: nothing else in their 2 MiB or 1 GiB. */
    struct leaf l2 = walk_one(g_map, NEW2M), l1 = walk_one(g_map, NEW1G);
    ok = ok && CHECK(!(l2.desc & V) && l2.level == 2,
                     "NEW2M: %s, expected an empty level 2 entry", leaf_text(&l2));
    ok = ok && CHECK(!(l1.desc & V) && l1.level == 1,
                     "NEW1G: %s, expected an empty level 1 entry", leaf_text(&l1));
    return ok;
}

static void report(const struct phase *ph)
{
    for (unsigned i = 0; i < 2; i++) {
        bm_printf("# %s: %u changes in %llu ms (", ph[i].name, ph[i].changes,
                  (ull)(ph[i].us / 1000));
        for (unsigned k = 0; k < N_OPS; k++)
            bm_printf("%s%s %u", k ? ", " : "", op_names[k], ph[i].ops[k]);
        if (ph[i].lockstep)
            bm_printf("); of the %u that took rights away, %u checked by every core before "
                      "the next\n",
                      ph[i].narrowing, ph[i].checked);
        else
            bm_printf(")\n");
    }
    for (unsigned c = 1; c <= g_running; c++) {
        const struct core *k = &g_cores[c];
        bm_printf("# core %u: %llu rounds, %llu accesses, %llu faults, %llu racing a change of "
                  "their object, %llu across changes (not judged), %llu violations\n",
                  c, (ull)k->rounds, (ull)k->accesses, (ull)k->faults, (ull)k->racing,
                  (ull)k->unjudged, (ull)k->violations);
    }
}

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    R = regime_at_el(&REGIME_EL1_0);
    bm_printf("# idmap stress suite: board %s, entered at %s, regime %s, MIDR_EL1 0x%llx; "
              "two phases of %u ms or %u changes\n",
              BOARD_NAME, bm_el_name(entry_el), R->name, (ull)BM_READ_SYSREG(midr_el1),
              STRESS_SECONDS * 500, STRESS_MAX_CHANGES);

    case_begin("%s: identity map of the image and the test window, MMU on", R->name);
    int ok = prepare_memory() && build_map();
    idmap_status_t st = ok ? idmap_enable_mmu(g_map) : IDMAP_OK;
    ok = ok && CHECK(st == IDMAP_OK, "idmap_enable_mmu: %s", last_error_text(g_map));
    st = ok ? idmap_mmu_config(g_map, BM_READ_SYSREG(id_aa64mmfr0_el1), &g_cfg) : IDMAP_OK;
    ok = ok && CHECK(st == IDMAP_OK, "idmap_mmu_config: %s", status_name(st));
    case_end();
    if (!ok)
        return check_summary();
    size_t tables = idmap_table_count(g_map);

    g_running = start_secondaries();
    if (!g_running)
        return check_summary();

    case_begin("%s: live changes through the library, every call IDMAP_OK", R->name);
    struct phase ph[2] = {{"lockstep", 1, 0, 0, 0, {0, 0, 0, 0}, 0},
                          {"free-running", 0, 0, 0, 0, {0, 0, 0, 0}, 0}};
    uint64_t seq = 0, t0 = bm_time_us(), half = STRESS_SECONDS * 500000ULL;
    if (run_phase(&ph[0], &seq, t0 + half))
        run_phase(&ph[1], &seq, t0 + 2 * half);
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (unsigned c = 1; c <= g_running; c++)
        CHECK(wait_flag(&g_cores[c].done, 2000000), "core %u did not stop within 2 s", c);
    case_name_append(": %u in lockstep, %u free-running", ph[0].changes, ph[1].changes);
    case_end();
    report(ph);

    case_begin("%s: no core observed a translation older than the last change that returned",
               R->name);
    uint64_t judged = 0;
    for (unsigned c = 1; c <= g_running; c++) {
        const struct core *k = &g_cores[c];
        if (k->violations)
            fail("core %u: %llu violations in %llu accesses, the first below", c,
                 (ull)k->violations, (ull)k->accesses);
        for (unsigned i = 0; i < k->noted; i++)
            fail("%s", k->notes[i]);
        CHECK(k->faults && k->faults < k->accesses, "core %u: %llu faults in %llu accesses", c,
              (ull)k->faults, (ull)k->accesses);
        judged += k->accesses - k->unjudged;
    }
    case_name_append(" (%llu accesses judged)", (ull)judged);
    case_end();

    case_begin("%s: the new ranges unmapped, their tables are freed", R->name);
    for (unsigned i = O_NEW2M; i <= O_NEW1G; i++)
        if (g_state[i] != S_NONE) {
            idmap_region_t r = state_region(&objects[i], (enum state)g_state[i]);
            st = idmap_unmap_range(g_map, &r);
            CHECK(st == IDMAP_OK, "unmap_range of the %s: %s", objects[i].name,
                  last_error_text(g_map));
        }
    CHECK(idmap_table_count(g_map) == tables, "idmap_table_count %zu, %zu before the changes",
          idmap_table_count(g_map), tables);
    case_end();
    return check_summary();
}
