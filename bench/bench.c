/*
 * bench.c - the host benchmark of shared/spec/bench.md (issue 5): workloads W1-W7;
 * W5cxx/W6cxx: W5 and W6 through the C++ API (bench/cxx_workloads.cpp); W5s/W6r: W5 and W6
 * through the C ABI's calls without a per-entry callback (idmap_change_attributes, set and
 * clear masks; idmap_walk_runs, a call per run).
 *
 *   make bench              builds build/host/libidmap.a as `make` does and runs this
 *   make bench-callgrind    instructions per entry, one callgrind run per workload
 *
 * A C99/C11 program that links with nothing but build/host/libidmap.a, like any C user.
 *
 * Method (bench.md): root level 1, NORMAL | VALID unless said; a fresh map each
 * repetition, freed between; one untimed warm-up repetition, then REPS timed ones
 * (default 21); the figure is the median, with min and max. Only the workload's own calls
 * are timed (clock_gettime(CLOCK_MONOTONIC) around them): idmap_new, the setup of W4-W7
 * and idmap_free are not.
 *
 * Memory is warm: table pages come from a pool (idmap_new_with_allocator) over an arena
 * allocated and written once before any timing, large enough for W3 (83,554 tables plus a
 * margin). The pool is a free list (a stack of page pointers): alloc pops, free pushes.
 * Between repetitions, after idmap_free, the bench checks that every page came back and
 * puts the free list back in address order, so that every repetition gets the same pages
 * in the same order (as from a firmware's static pool) and the memory bounds below
 * zero exactly those pages.
 *
 * Memory bounds, measured in the same run on the same warm pages, median of REPS: the
 * bytes of descriptors and tables the workload must write, read and write, or read:
 *   W1: memset of the 514 table pages (one 4 KiB memset each) plus storing the 262,144
 *       8-byte page descriptors into the 512 leaf tables;
 *   W2: its 5 tables zeroed and its 2,298 descriptors stored;
 *   W3: zeroing the 83,554 table pages W3 ends with (one 4 KiB memset each);
 *   W4: W1's, then every other page descriptor rewritten (131,072);
 *   W5, W5cxx, W5s: W1's 262,144 descriptors read and written back;
 *   W6, W6cxx, W6r, W7: W1's 262,144 descriptors read.
 *
 * Options:
 *   --reps N        timed repetitions (default 21; at least 5 for a figure bench.md accepts)
 *   --only W1,W3    run only these workloads
 *   --no-check      skip the untimed checks of the tables made (run on the warm-up)
 *   --callgrind     each workload once: no warm-up, no repetitions, no bounds, no checks
 *                   (what bench/callgrind.sh runs under valgrind, one workload per process;
 *                   it counts the instructions inside bench_work_wN only)
 *   --zero-pages    the pool hands out zeroed pages (it re-zeroes the used ones, untimed,
 *                   between repetitions); the default is dirty pages, since the allocator
 *                   contract (c-abi.md) promises only a 4 KiB-aligned 4 KiB page. A
 *                   workaround for a library that reads a new table before writing it.
 *   --pool-pages N  the arena's size in pages (default: what the chosen workloads need plus
 *                   a margin); a smaller one shows how an out-of-memory failure reads
 *   --list          print "id name units unit" for each workload and exit
 * Environment: IDMAP_BENCH_LIB_CXX (the library's compiler, printed in the header),
 * IDMAP_BENCH_LIB_STAMP (the library's flags file, default build/host/flags.stamp).
 *
 * Exit status: 0 when every workload ran; 1 when a call failed or a check failed (a
 * table count other than bench.md's is a warning line, not a failure); 2 for bad options
 * or no memory; 3 when the library crashed (a line "CRASHED: <signal> in Wn (<stage>,
 * repetition r)" says where).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise */

#include "idmap.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PAGE ((uint64_t)4096)
#define HUGE_PAGE ((size_t)2 << 20)
#define GIB ((uint64_t)1 << 30)
#define FLAGS (IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID)
#define ROOT_LEVEL 1u

/* Facts of bench.md, checked below. */
#define W1_ENTRIES 262144u
#define W1_TABLES 514u
#define W2_ENTRIES 2298u
#define W2_TABLES 5u
#define W3_CALLS 100000u
#define W3_TABLES 83554u
#define W3_FIRST_PAGE ((uint64_t)0x7ac43fd000)
#define W4_CALLS 131072u
#define W4_TABLES 514u

/* The pool holds W3's tables plus a margin (a map may reserve a few pages more than it
 * keeps); workloads that need fewer get a smaller arena when run alone (--only). */
#define POOL_MARGIN 4096u
#define POOL_PAGES_ALL (W3_TABLES + POOL_MARGIN)
#define POOL_PAGES_SMALL 2048u

#define DEFAULT_REPS 21

#define NOINLINE __attribute__((noinline))

static void barrier(void) { __asm__ __volatile__("" ::: "memory"); }

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- The pool: a free list over a pre-touched arena */

typedef struct {
    unsigned char *base;
    size_t pages;   /* arena size in pages */
    void **stack;   /* free pages; stack[nfree - 1] is handed out next */
    size_t nfree;
    size_t peak;    /* most pages in use at once */
    unsigned bad_frees;
    int huge;       /* the kernel took the hint to back the arena with huge pages */
} pool_t;

static pool_t pool;

static void *pool_alloc(void *ctx) {
    pool_t *p = (pool_t *)ctx;
    if (p->nfree == 0) {
        return NULL;
    }
    void *page = p->stack[--p->nfree];
    if (p->pages - p->nfree > p->peak) {
        p->peak = p->pages - p->nfree;
    }
    return page;
}

static void pool_free(void *ctx, void *page) {
    pool_t *p = (pool_t *)ctx;
    uintptr_t off = (uintptr_t)page - (uintptr_t)p->base;
    if (off >= p->pages * PAGE || (off & (PAGE - 1)) != 0 || p->nfree >= p->pages) {
        p->bad_frees++; /* not one of ours, or more frees than pages: reported later */
        return;
    }
    p->stack[p->nfree++] = page;
}

static const idmap_allocator_t pool_allocator = {pool_alloc, pool_free, &pool};

static int g_zero_pages; /* --zero-pages */

/* The free list in address order: pages are handed out from the arena's start. */
static void pool_reset(void) {
    if (g_zero_pages) {
        memset(pool.base, 0, pool.peak * PAGE); /* every page handed out so far */
    }
    for (size_t i = 0; i < pool.pages; i++) {
        pool.stack[i] = pool.base + (pool.pages - 1 - i) * PAGE;
    }
    pool.nfree = pool.pages;
}

/* The kB of the process's memory backed by transparent huge pages, or -1 if unknown. */
static long huge_kb(void) {
    long kb = -1;
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f != NULL) {
        char line[256];
        while (fgets(line, sizeof line, f) != NULL) {
            if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) {
                break;
            }
        }
        fclose(f);
    }
    return kb;
}

/* The arena is 2 MiB-aligned and, where the kernel allows (madvise), backed by huge pages:
 * a firmware's static pool is mapped by its own tables with 2 MiB blocks (or used with
 * the MMU off), so walking its tables costs it no misses of a 4 KiB TLB; with the host's
 * 4 KiB pages W3's scattered table reads would measure those instead (10-20%). The
 * bounds are measured on the same arena. */
static int pool_init(size_t pages) {
    pool.pages = pages;
    void *arena = NULL;
    if (posix_memalign(&arena, HUGE_PAGE, pages * PAGE) != 0) {
        arena = NULL;
    }
#if defined(MADV_HUGEPAGE)
    if (arena != NULL) {
        pool.huge = madvise(arena, pages * PAGE, MADV_HUGEPAGE) == 0;
    }
#endif
    pool.base = (unsigned char *)arena;
    pool.stack = (void **)malloc(pages * sizeof(void *));
    if (pool.base == NULL || pool.stack == NULL) {
        fprintf(stderr, "bench: no memory for a pool of %zu pages\n", pages);
        return -1;
    }
    /* Touch every page once (the host's page faults are not part of any figure). */
    memset(pool.base, g_zero_pages ? 0 : 0xa5, pages * PAGE);
    pool_reset();
    return 0;
}

/* ---- Failures */

/* Where the bench is, for the report of a crash inside the library. */
static const char *volatile g_where_id = "startup";
static const char *volatile g_where_stage = "";
static volatile int g_where_rep;

static void put(const char *s) {
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

static void on_crash(int sig) {
    char num[16], *p = num + sizeof num;
    int rep = g_where_rep;
    unsigned v = (unsigned)(rep < 0 ? -rep : rep);
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (rep < 0) {
        *--p = '-';
    }
    put("\nCRASHED: ");
    put(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE"
        : sig == SIGILL ? "SIGILL" : "SIGABRT");
    put(" in ");
    put(g_where_id);
    put(" (");
    put(g_where_stage);
    put(", repetition ");
    put(p);
    put(" where -1 is the warm-up)\n");
    _exit(3);
}

static void catch_crashes(void) {
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, NULL);
    }
}

static int g_failed;   /* a call or a check failed: exit status 1 */
static int g_warnings; /* a table count differs from bench.md */

typedef struct {
    char text[640];
} failure_t;

static void fail_set(failure_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_set(failure_t *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
}

/* "<call> -> <status name> (<n>): <idmap_format_error of the map's last error>" */
static void fail_call(failure_t *f, const idmap_t *map, idmap_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_call(failure_t *f, const idmap_t *map, idmap_status_t st, const char *fmt, ...) {
    char call[256], detail[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call, sizeof call, fmt, ap);
    va_end(ap);
    const idmap_error_t *e = idmap_last_error(map);
    if (e != NULL) {
        idmap_format_error(e, detail, sizeof detail);
    }
    snprintf(f->text, sizeof f->text, "%s -> status %d (%s); last error: %s", call, (int)st,
             idmap_status_str(st), detail);
}

/* ---- Workloads. bench_work_wN is the timed part, and all that callgrind counts. */

typedef struct {
    idmap_t *map;
    failure_t fail;
    uint64_t calls;   /* callbacks made */
    uint64_t valid;   /* W6: valid entries seen */
    uint64_t bad;     /* checks: entries that are not as they should be */
    uint64_t first_bad_va;
    uint64_t level_count[4];
} run_t;

/* W1's layout, [1G, 2G) as 262,144 pages: W1's timed call, the setup of W5 and W6, and W7's
 * timed call on the active map. A failure names the call between `before` and `after`. */
static int map_w1_layout(run_t *run, const char *before, const char *after) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st =
        idmap_map_range_with_constraints(run->map, &r, FLAGS, IDMAP_NO_BLOCK_MAPPINGS);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st,
                  "%smap_range_with_constraints([0x40000000, 0x80000000), NORMAL|VALID, "
                  "NO_BLOCK_MAPPINGS)%s",
                  before, after);
        return -1;
    }
    return 0;
}

NOINLINE int bench_work_w1(run_t *run) { return map_w1_layout(run, "", ""); }

NOINLINE int bench_work_w2(run_t *run) {
    const idmap_region_t r = {PAGE, 256 * GIB - PAGE};
    idmap_status_t st = idmap_map_range(run->map, &r, FLAGS);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "map_range([0x1000, 0x3ffffff000), NORMAL|VALID)");
        return -1;
    }
    return 0;
}

static uint64_t w3_next(uint64_t *x) {
    *x = *x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return ((*x >> 16) % ((uint64_t)1 << 27)) * PAGE;
}

NOINLINE int bench_work_w3(run_t *run) {
    idmap_t *m = run->map;
    uint64_t x = 1;
    for (uint32_t i = 0; i < W3_CALLS; i++) {
        const uint64_t va = w3_next(&x);
        const idmap_region_t r = {va, va + PAGE};
        idmap_status_t st = idmap_map_range(m, &r, FLAGS);
        if (st != IDMAP_OK) {
            fail_call(&run->fail, m, st,
                      "call %" PRIu32 " of %u: map_range([0x%" PRIx64 ", 0x%" PRIx64
                      "), NORMAL|VALID)",
                      i + 1, W3_CALLS, va, va + PAGE);
            return -1;
        }
    }
    return 0;
}

static int setup_w4(run_t *run) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st = idmap_map_range(run->map, &r, FLAGS);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st,
                  "setup: map_range([0x40000000, 0x80000000), NORMAL|VALID) (one block)");
        return -1;
    }
    return 0;
}

NOINLINE int bench_work_w4(run_t *run) {
    idmap_t *m = run->map;
    for (uint32_t i = 0; i < W4_CALLS; i++) {
        const uint64_t va = GIB + 2 * (uint64_t)i * PAGE;
        const idmap_region_t r = {va, va + PAGE};
        idmap_status_t st = idmap_map_range(m, &r, FLAGS | IDMAP_ATTR_READ_ONLY);
        if (st != IDMAP_OK) {
            fail_call(&run->fail, m, st,
                      "call %" PRIu32 " of %u: map_range([0x%" PRIx64 ", 0x%" PRIx64
                      "), NORMAL|VALID|READ_ONLY)",
                      i + 1, W4_CALLS, va, va + PAGE);
            return -1;
        }
    }
    return 0;
}

static int setup_w1_layout(run_t *run) { return map_w1_layout(run, "setup (W1): ", ""); }

static int w5_set_swflag(const idmap_region_t *region, idmap_descriptor_t *desc, unsigned level,
                         void *ctx) {
    (void)region;
    (void)level;
    ((run_t *)ctx)->calls++;
    desc->bits |= IDMAP_ATTR_SWFLAG_0;
    return 0;
}

NOINLINE int bench_work_w5(run_t *run) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st = idmap_modify_range(run->map, &r, w5_set_swflag, run);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st,
                  "modify_range([0x40000000, 0x80000000), set SWFLAG_0) after %" PRIu64
                  " callbacks",
                  run->calls);
        return -1;
    }
    return 0;
}

static int w6_count_valid(const idmap_region_t *region, const idmap_descriptor_t *desc,
                          unsigned level, void *ctx) {
    (void)region;
    (void)level;
    run_t *run = (run_t *)ctx;
    run->calls++;
    run->valid += desc->bits & IDMAP_ATTR_VALID;
    return 0;
}

NOINLINE int bench_work_w6(run_t *run) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st = idmap_walk_range(run->map, &r, w6_count_valid, run);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st,
                  "walk_range([0x40000000, 0x80000000), count valid) after %" PRIu64
                  " callbacks",
                  run->calls);
        return -1;
    }
    return 0;
}

/* W5s: W5's change as masks, through the C ABI without a callback. */
NOINLINE int bench_work_w5s(run_t *run) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st = idmap_change_attributes(run->map, &r, IDMAP_ATTR_SWFLAG_0, 0);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "change_attributes([0x40000000, 0x80000000), set SWFLAG_0)");
        return -1;
    }
    return 0;
}

/* W6r: W6's count through a walk that reports runs: the valid pages of each run. */
static int w6r_count_valid(const idmap_region_t *run_region, const idmap_descriptor_t *first,
                           unsigned level, void *ctx) {
    (void)level;
    run_t *run = (run_t *)ctx;
    run->calls++;
    if ((first->bits & IDMAP_ATTR_VALID) != 0) {
        run->valid += (run_region->end - run_region->start) >> 12;
    }
    return 0;
}

NOINLINE int bench_work_w6r(run_t *run) {
    const idmap_region_t r = {GIB, 2 * GIB};
    idmap_status_t st = idmap_walk_runs(run->map, &r, w6r_count_valid, run);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "walk_runs([0x40000000, 0x80000000), count valid) after %" PRIu64
                  " runs", run->calls);
        return -1;
    }
    return 0;
}

/* bench/cxx_workloads.cpp: W5 and W6 through the C++ API, the callback inlined. */
int bench_cxx_w5(idmap_t *map, uint64_t *calls);
int bench_cxx_w6(const idmap_t *map, uint64_t *calls, uint64_t *valid);

NOINLINE int bench_work_w5cxx(run_t *run) {
    int st = bench_cxx_w5(run->map, &run->calls);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, (idmap_status_t)st, "C++ modify_range([0x40000000, 0x80000000))");
        return -1;
    }
    return 0;
}

NOINLINE int bench_work_w6cxx(run_t *run) {
    int st = bench_cxx_w6(run->map, &run->calls, &run->valid);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, (idmap_status_t)st, "C++ walk_range([0x40000000, 0x80000000))");
        return -1;
    }
    return 0;
}

static int setup_w7(run_t *run) {
    if (setup_w1_layout(run) != 0) {
        return -1;
    }
    idmap_status_t st = idmap_activate(run->map);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "setup: activate");
        return -1;
    }
    return 0;
}

NOINLINE int bench_work_w7(run_t *run) { return map_w1_layout(run, "", " on the active map"); }

static int after_w6(run_t *run) {
    if (run->calls != W1_ENTRIES || run->valid != W1_ENTRIES) {
        fail_set(&run->fail, "walk_range made %" PRIu64 " callbacks and saw %" PRIu64
                             " valid entries; expected %u and %u",
                 run->calls, run->valid, W1_ENTRIES, W1_ENTRIES);
        return -1;
    }
    return 0;
}

/* W1's layout is one run: its pages alike, at consecutive addresses. */
static int after_w6r(run_t *run) {
    if (run->calls != 1 || run->valid != W1_ENTRIES) {
        fail_set(&run->fail, "walk_runs made %" PRIu64 " callbacks and counted %" PRIu64
                             " valid pages; expected 1 and %u",
                 run->calls, run->valid, W1_ENTRIES);
        return -1;
    }
    return 0;
}

static int after_w5(run_t *run) {
    if (run->calls != W1_ENTRIES) {
        fail_set(&run->fail, "modify_range made %" PRIu64 " callbacks; expected %u", run->calls,
                 W1_ENTRIES);
        return -1;
    }
    return 0;
}

static int after_w7(run_t *run) {
    idmap_status_t st = idmap_deactivate(run->map);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "teardown: deactivate");
        return -1;
    }
    return 0;
}

/* Beyond bench.md: after W1's layout, coalesce the 512 page tables and the level-2 table
   back into one 1 GiB block (idmap_coalesce_subtables); "per table" freed. */
NOINLINE int bench_work_wco(run_t *run) {
    run->calls = idmap_coalesce_subtables(run->map);
    return 0;
}

static int after_coalesce(run_t *run) {
    if (run->calls != W1_TABLES - 1) {
        fail_set(&run->fail, "coalesce_subtables freed %" PRIu64 " tables; expected %u", run->calls,
                 W1_TABLES - 1);
        return -1;
    }
    return 0;
}

/* ---- Untimed checks of the tables a workload made (on the warm-up repetition) */

/* What map_range writes for a page mapped with flags at va. */
static uint64_t page_desc(uint64_t va, uint64_t flags) {
    return va | flags | IDMAP_ATTR_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE;
}

static void note_bad(run_t *run, uint64_t va) {
    if (run->bad++ == 0) {
        run->first_bad_va = va;
    }
}

/* Every leaf in [1G, 2G) a page at level 3 mapping itself with flags; ro_even: pages
 * at an even page index are READ_ONLY (W4); set: bits every entry has as well (W5). */
typedef struct {
    run_t *run;
    int ro_even;
    uint64_t extra;
} pages_check_t;

static int check_page_cb(const idmap_region_t *region, const idmap_descriptor_t *desc,
                         unsigned level, void *ctx) {
    pages_check_t *c = (pages_check_t *)ctx;
    const uint64_t va = region->start;
    uint64_t flags = FLAGS | c->extra;
    if (c->ro_even && ((va / PAGE) % 2) == 0) {
        flags |= IDMAP_ATTR_READ_ONLY;
    }
    c->run->calls++;
    if (level != 3 || region->end - va != PAGE || desc->bits != page_desc(va, flags)) {
        note_bad(c->run, va);
    }
    return 0;
}

static int check_pages(run_t *run, int ro_even, uint64_t extra) {
    pages_check_t c = {run, ro_even, extra};
    const idmap_region_t r = {GIB, 2 * GIB};
    run->calls = run->bad = 0;
    idmap_status_t st = idmap_walk_range(run->map, &r, check_page_cb, &c);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "check: walk_range([0x40000000, 0x80000000))");
        return -1;
    }
    if (run->calls != W1_ENTRIES || run->bad != 0) {
        fail_set(&run->fail,
                 "check: [1G, 2G) has %" PRIu64 " leaves (expected %u), %" PRIu64
                 " of them wrong (first at 0x%" PRIx64 ")",
                 run->calls, W1_ENTRIES, run->bad, run->first_bad_va);
        return -1;
    }
    return 0;
}

static int check_w1(run_t *run) { return check_pages(run, 0, 0); }
static int check_w4(run_t *run) { return check_pages(run, 1, 0); }
static int check_w5(run_t *run) { return check_pages(run, 0, IDMAP_ATTR_SWFLAG_0); }

static int check_w2_cb(const idmap_region_t *region, const idmap_descriptor_t *desc,
                       unsigned level, void *ctx) {
    run_t *run = (run_t *)ctx;
    const uint64_t va = region->start;
    if (!(desc->bits & IDMAP_ATTR_VALID)) {
        if (va != 0) { /* only [0, PAGE) is unmapped below 256G - PAGE */
            note_bad(run, va);
        }
        return 0;
    }
    static const uint64_t size_at[4] = {(uint64_t)1 << 39, GIB, (uint64_t)2 << 20, PAGE};
    uint64_t want = va | FLAGS | IDMAP_ATTR_ACCESSED | (level == 3 ? IDMAP_ATTR_TABLE_OR_PAGE : 0);
    if (level > 3 || region->end - va != size_at[level] || desc->bits != want) {
        note_bad(run, va);
        return 0;
    }
    run->level_count[level]++;
    return 0;
}

static int check_w2(run_t *run) {
    const idmap_region_t r = {0, 256 * GIB - PAGE};
    run->bad = 0;
    idmap_status_t st = idmap_walk_range(run->map, &r, check_w2_cb, run);
    if (st != IDMAP_OK) {
        fail_call(&run->fail, run->map, st, "check: walk_range([0, 0x3ffffff000))");
        return -1;
    }
    const uint64_t *n = run->level_count;
    if (run->bad != 0 || n[1] != 254 || n[2] != 1022 || n[3] != 1022) {
        fail_set(&run->fail,
                 "check: %" PRIu64 " 1G blocks, %" PRIu64 " 2M blocks, %" PRIu64
                 " pages (expected 254, 1022, 1022); %" PRIu64 " wrong (first at 0x%" PRIx64 ")",
                 n[1], n[2], n[3], run->bad, run->first_bad_va);
        return -1;
    }
    return 0;
}

static int check_w3_cb(const idmap_region_t *region, const idmap_descriptor_t *desc,
                       unsigned level, void *ctx) {
    run_t *run = (run_t *)ctx;
    run->calls++;
    if (level != 3 || region->end - region->start != PAGE ||
        desc->bits != page_desc(region->start, FLAGS)) {
        note_bad(run, region->start);
    }
    return 0;
}

/* Each of the 100,000 pages is mapped: one walk_range per page. */
static int check_w3(run_t *run) {
    uint64_t x = 1;
    run->bad = 0;
    for (uint32_t i = 0; i < W3_CALLS; i++) {
        const uint64_t va = w3_next(&x);
        const idmap_region_t r = {va, va + PAGE};
        run->calls = 0;
        idmap_status_t st = idmap_walk_range(run->map, &r, check_w3_cb, run);
        if (st != IDMAP_OK) {
            fail_call(&run->fail, run->map, st, "check: walk_range([0x%" PRIx64 ", +4K))", va);
            return -1;
        }
        if (run->calls != 1) {
            note_bad(run, va);
        }
    }
    if (run->bad != 0) {
        fail_set(&run->fail, "check: %" PRIu64 " of the %u pages not mapped as asked (first 0x%" PRIx64 ")",
                 run->bad, W3_CALLS, run->first_bad_va);
        return -1;
    }
    return 0;
}

/* ---- The table of workloads */

typedef struct {
    const char *id, *name;
    const char *unit; /* "entry" or "call" */
    uint64_t units;   /* the divisor */
    size_t tables;    /* bench.md: table pages in use afterwards */
    size_t pool_pages;
    int (*setup)(run_t *);
    int (*work)(run_t *);
    int (*after)(run_t *); /* untimed, every repetition */
    int (*check)(run_t *); /* untimed, warm-up only */
    void (*bound)(void);   /* the memory traffic it must do, or NULL */
} workload_t;

/* The memory bounds, below. */
void bench_bound_w1(void);
void bench_bound_w2(void);
void bench_bound_w3(void);
void bench_bound_w4(void);
void bench_bound_modify(void);
void bench_bound_read(void);

static const workload_t workloads[] = {
    {"W1", "pages-1g", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, NULL, bench_work_w1,
     NULL, check_w1, bench_bound_w1},
    {"W2", "mixed-256g", "entry", W2_ENTRIES, W2_TABLES, POOL_PAGES_SMALL, NULL, bench_work_w2,
     NULL, check_w2, bench_bound_w2},
    {"W3", "scatter-100k", "call", W3_CALLS, W3_TABLES, POOL_PAGES_ALL, NULL, bench_work_w3,
     NULL, check_w3, bench_bound_w3},
    {"W4", "split-1g", "call", W4_CALLS, W4_TABLES, POOL_PAGES_SMALL, setup_w4, bench_work_w4,
     NULL, check_w4, bench_bound_w4},
    {"W5", "modify-1g", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w5, after_w5, check_w5, bench_bound_modify},
    {"W6", "walk-1g", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w6, after_w6, NULL, bench_bound_read},
    {"W7", "live-remap-1g", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w7,
     bench_work_w7, after_w7, check_w1, bench_bound_read},
    /* The same workloads through the C++ API (bench/cxx_workloads.cpp). */
    {"W5cxx", "modify-1g-c++", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w5cxx, after_w5, check_w5, bench_bound_modify},
    {"W6cxx", "walk-1g-c++", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w6cxx, after_w6, NULL, bench_bound_read},
    /* W5 and W6 through the C ABI's calls without a per-entry callback. */
    {"W5s", "modify-1g-masks", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w5s, NULL, check_w5, bench_bound_modify},
    {"W6r", "walk-1g-runs", "entry", W1_ENTRIES, W1_TABLES, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_w6r, after_w6r, NULL, bench_bound_read},
    /* Re-coalescing: W1's 514 tables back to a block; tables saved = 514 - 1. */
    {"Wco", "coalesce-1g", "table", W1_TABLES - 1, 1, POOL_PAGES_SMALL, setup_w1_layout,
     bench_work_wco, after_coalesce, NULL, NULL},
};
#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

/* ---- Statistics */

typedef struct {
    double median, min, max; /* ns */
} stats_t;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static stats_t stats_of(uint64_t *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
    stats_t s;
    s.min = (double)t[0];
    s.max = (double)t[n - 1];
    s.median = n % 2 ? (double)t[n / 2] : ((double)t[n / 2 - 1] + (double)t[n / 2]) / 2;
    return s;
}

/* ---- Running a workload */

typedef struct {
    int ok;
    stats_t t;        /* ns per repetition */
    size_t tables;    /* after the last repetition */
    int has_bound;
    stats_t bound;    /* ns per repetition of the bound */
} result_t;

/* Every page back in the pool after idmap_free, then the free list in address order. */
static int pool_recover(const workload_t *w, int rep) {
    if (pool.bad_frees != 0 || pool.nfree != pool.pages) {
        printf("FAILED %s: after idmap_free (repetition %d) the pool has %zu of %zu pages back"
               " and %u frees of pages it never gave\n",
               w->id, rep, pool.nfree, pool.pages, pool.bad_frees);
        g_failed = 1;
        pool.bad_frees = 0;
        pool_reset();
        return -1;
    }
    pool_reset();
    return 0;
}

static int run_workload(const workload_t *w, int reps, int warmup, int check, result_t *res,
                        uint64_t *times) {
    memset(res, 0, sizeof *res);
    for (int rep = -warmup; rep < reps; rep++) {
        run_t run;
        memset(&run, 0, sizeof run);
        run.map = idmap_new_with_allocator(0, ROOT_LEVEL, &pool_allocator);
        if (run.map == NULL) {
            printf("FAILED %s: idmap_new_with_allocator(0, 1, pool) returned NULL\n", w->id);
            g_failed = 1;
            return -1;
        }
        const char *stage = "setup";
        g_where_id = w->id;
        g_where_rep = rep;
        g_where_stage = stage;
        int rc = w->setup != NULL ? w->setup(&run) : 0;
        uint64_t t0 = 0, t1 = 0;
        if (rc == 0) {
            g_where_stage = stage = "timed call";
            barrier();
            t0 = now_ns();
            rc = w->work(&run);
            t1 = now_ns();
            barrier();
        }
        if (rc == 0) {
            res->tables = idmap_table_count(run.map);
            g_where_stage = stage = "after the timed call";
            rc = w->after != NULL ? w->after(&run) : 0;
        }
        if (rc == 0 && check && rep == -warmup && w->check != NULL) {
            g_where_stage = stage = "check";
            rc = w->check(&run);
        }
        g_where_stage = "idmap_free";
        idmap_free(run.map);
        g_where_stage = "between repetitions";
        if (rc != 0) {
            printf("FAILED %s %s (%s, repetition %d): %s\n", w->id, w->name, stage, rep,
                   run.fail.text);
            g_failed = 1;
            pool_recover(w, rep);
            return -1;
        }
        if (pool_recover(w, rep) != 0) {
            return -1;
        }
        if (rep >= 0) {
            times[rep] = t1 - t0;
        }
    }
    res->ok = 1;
    if (reps > 0) {
        res->t = stats_of(times, reps);
    }
    return 0;
}

/* ---- Memory bounds, on the pool's first pages (those the workloads get) */

static void zero_pages(unsigned pages) {
    for (unsigned p = 0; p < pages; p++) {
        memset(pool.base + p * PAGE, 0, PAGE);
    }
    barrier();
}

/* count page descriptors from va on, stored from page `first` of the pool on. */
static void store_pages(unsigned first, uint32_t count, uint64_t va) {
    uint64_t *d = (uint64_t *)(void *)(pool.base + first * PAGE);
    uint64_t desc = page_desc(va, FLAGS);
    for (uint32_t i = 0; i < count; i++) {
        d[i] = desc;
        desc += PAGE;
    }
    barrier();
}

/* W1's leaf tables: pages 2..513 (root and level-2 table first, as the pool hands out). */
static uint64_t *w1_leaves(void) { return (uint64_t *)(void *)(pool.base + 2 * PAGE); }

/* W1: its 514 tables zeroed, its 262,144 page descriptors stored. */
NOINLINE void bench_bound_w1(void) {
    zero_pages(W1_TABLES);
    store_pages(2, W1_ENTRIES, GIB);
}

/* W2: its 5 tables zeroed, its 2,298 descriptors stored. */
NOINLINE void bench_bound_w2(void) {
    zero_pages(W2_TABLES);
    store_pages(0, W2_ENTRIES, PAGE);
}

/* W3: the 83,554 tables it ends with zeroed. */
NOINLINE void bench_bound_w3(void) { zero_pages(W3_TABLES); }

/* W4: the split block's tables written whole (W1's traffic), then each call's page
 * descriptor rewritten. */
NOINLINE void bench_bound_w4(void) {
    bench_bound_w1();
    uint64_t *d = w1_leaves();
    for (uint32_t i = 0; i < W1_ENTRIES; i += 2) {
        d[i] |= IDMAP_ATTR_READ_ONLY;
    }
    barrier();
}

/* W5 (and W5cxx, W5s): W1's 262,144 descriptors read and written back changed. */
NOINLINE void bench_bound_modify(void) {
    uint64_t *d = w1_leaves();
    for (uint32_t i = 0; i < W1_ENTRIES; i++) {
        d[i] |= IDMAP_ATTR_SWFLAG_0;
    }
    barrier();
}

/* W6 and W7 (and W6cxx, W6r): W1's 262,144 descriptors read. */
static volatile uint64_t g_read_sink;
NOINLINE void bench_bound_read(void) {
    const uint64_t *d = w1_leaves();
    /* Four sums, so that the loop runs at the speed of the loads, not of one addition chain. */
    uint64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    for (uint32_t i = 0; i < W1_ENTRIES; i += 4) {
        v0 += d[i] & IDMAP_ATTR_VALID;
        v1 += d[i + 1] & IDMAP_ATTR_VALID;
        v2 += d[i + 2] & IDMAP_ATTR_VALID;
        v3 += d[i + 3] & IDMAP_ATTR_VALID;
    }
    g_read_sink = v0 + v1 + v2 + v3;
}

/* The floor of a per-entry C callback (W5, W6): the bench's own callbacks called through
 * their pointers from a bare loop over W1's 262,144 descriptors, each given its region and
 * a copy of its descriptor as the C ABI gives them (W5's written back). What a call per
 * entry costs with these callbacks, whatever calls them. */
static idmap_modify_fn volatile g_floor_w5_fn = w5_set_swflag;
static idmap_walk_fn volatile g_floor_w6_fn = w6_count_valid;
static run_t g_floor_run;

NOINLINE void bench_floor_w5(void) {
    uint64_t *d = w1_leaves();
    const idmap_modify_fn fn = g_floor_w5_fn;
    for (uint32_t i = 0; i < W1_ENTRIES; i++) {
        const idmap_region_t r = {GIB + (uint64_t)i * PAGE, GIB + (uint64_t)(i + 1) * PAGE};
        idmap_descriptor_t desc = {d[i]};
        if (fn(&r, &desc, 3, &g_floor_run) != 0) {
            return;
        }
        d[i] = desc.bits;
    }
    barrier();
}

NOINLINE void bench_floor_w6(void) {
    const uint64_t *d = w1_leaves();
    const idmap_walk_fn fn = g_floor_w6_fn;
    for (uint32_t i = 0; i < W1_ENTRIES; i++) {
        const idmap_region_t r = {GIB + (uint64_t)i * PAGE, GIB + (uint64_t)(i + 1) * PAGE};
        const idmap_descriptor_t desc = {d[i]};
        if (fn(&r, &desc, 3, &g_floor_run) != 0) {
            return;
        }
    }
}

static stats_t measure_bound(void (*fn)(void), int reps, uint64_t *times) {
    fn(); /* warm-up */
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();
        fn();
        times[r] = now_ns() - t0;
    }
    return stats_of(times, reps);
}

/* ---- The header */

static void print_machine(void) {
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0) {
                char *colon = strchr(line, ':');
                if (colon != NULL) {
                    colon++;
                    while (*colon == ' ' || *colon == '\t') {
                        colon++;
                    }
                    colon[strcspn(colon, "\n")] = '\0';
                    snprintf(model, sizeof model, "%s", colon);
                    break;
                }
            }
        }
        fclose(f);
    }
    struct utsname u;
    printf("machine:  %s, %ld CPUs online", model, sysconf(_SC_NPROCESSORS_ONLN));
    if (uname(&u) == 0) {
        printf(", %s %s %s", u.sysname, u.release, u.machine);
    }
    printf("\n");
    const char *cxx = getenv("IDMAP_BENCH_LIB_CXX");
    printf("compiler: bench %s", __VERSION__);
    if (cxx != NULL && *cxx != '\0') {
        printf("; library %s", cxx);
    }
    printf("\n");
    const char *stamp = getenv("IDMAP_BENCH_LIB_STAMP");
    if (stamp == NULL || *stamp == '\0') {
        stamp = "build/host/flags.stamp";
    }
    f = fopen(stamp, "r");
    if (f != NULL) {
        char line[1024];
        if (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            printf("library:  %s\n", line);
        }
        fclose(f);
    }
    f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f != NULL) {
        char line[128];
        if (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            printf("THP:      %s\n", line);
        }
        fclose(f);
    }
}

/* ---- Facts of bench.md that do not need the library */

static void check_facts(void) {
    uint64_t x = 1;
    uint64_t first = w3_next(&x);
    if (first != W3_FIRST_PAGE) {
        printf("FAILED fact: W3's first page is 0x%" PRIx64 ", bench.md says 0x%" PRIx64 "\n",
               first, W3_FIRST_PAGE);
        g_failed = 1;
    }
    /* W2: [PAGE, 256G - PAGE) is 254 1G blocks, 2 x 511 2M blocks, 2 x 511 pages. */
    if (254 + 1022 + 1022 != W2_ENTRIES) {
        printf("FAILED fact: W2 entries\n");
        g_failed = 1;
    }
}

/* ---- main */

static const workload_t *find_workload(const char *id) {
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (strcmp(workloads[i].id, id) == 0 ||
            (id[0] == 'w' && strcmp(workloads[i].id + 1, id + 1) == 0)) {
            return &workloads[i];
        }
    }
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: bench [--reps N] [--only W1,W2,...] [--no-check] [--zero-pages] [--pool-pages N] [--callgrind] [--list]\n");
}

int main(int argc, char **argv) {
    int reps = DEFAULT_REPS, check = 1, callgrind = 0;
    size_t pool_pages_arg = 0;
    int selected[NWORKLOADS] = {0};
    setvbuf(stdout, NULL, _IOLBF, 0); /* every line out before a crash report */
    int any_selected = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1) {
                usage();
                return 2;
            }
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            char *list = argv[++i];
            for (char *tok = strtok(list, ", "); tok != NULL; tok = strtok(NULL, ", ")) {
                const workload_t *w = find_workload(tok);
                if (w == NULL) {
                    fprintf(stderr, "bench: no workload '%s' (W1-W7, W5cxx, W6cxx, W5s, W6r, Wco)\n", tok);
                    return 2;
                }
                selected[w - workloads] = 1;
                any_selected = 1;
            }
        } else if (strcmp(argv[i], "--no-check") == 0) {
            check = 0;
        } else if (strcmp(argv[i], "--pool-pages") == 0 && i + 1 < argc) {
            pool_pages_arg = (size_t)strtoul(argv[++i], NULL, 0);
            if (pool_pages_arg < 1) {
                usage();
                return 2;
            }
        } else if (strcmp(argv[i], "--zero-pages") == 0) {
            g_zero_pages = 1;
        } else if (strcmp(argv[i], "--callgrind") == 0) {
            callgrind = 1;
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t k = 0; k < NWORKLOADS; k++) {
                printf("%s %s %" PRIu64 " %s\n", workloads[k].id, workloads[k].name,
                       workloads[k].units, workloads[k].unit);
            }
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!any_selected) {
        for (size_t k = 0; k < NWORKLOADS; k++) {
            selected[k] = 1;
        }
    }
    int warmup = 1;
    if (callgrind) {
        reps = 1;
        warmup = 0;
        check = 0;
    }

    /* A small arena when only small workloads run (callgrind runs one at a time). */
    size_t pool_pages = 0;
    for (size_t k = 0; k < NWORKLOADS; k++) {
        if (selected[k] && workloads[k].pool_pages > pool_pages) {
            pool_pages = workloads[k].pool_pages;
        }
    }
    if (pool_pages_arg != 0) {
        pool_pages = pool_pages_arg;
    }
    if (!callgrind) {
        print_machine();
    }
    catch_crashes();
    check_facts();
    if (pool_init(pool_pages) != 0) {
        return 2;
    }
    uint64_t *times = (uint64_t *)malloc((size_t)reps * sizeof *times);
    if (times == NULL) {
        return 2;
    }
    if (callgrind) {
        for (size_t k = 0; k < NWORKLOADS; k++) {
            if (!selected[k]) {
                continue;
            }
            const workload_t *w = &workloads[k];
            result_t res;
            if (run_workload(w, 1, 0, 0, &res, times) == 0) {
                printf("%s %s ran once: %" PRIu64 " %ss, %zu tables\n", w->id, w->name, w->units,
                       w->unit, res.tables);
                if (res.tables != w->tables) {
                    printf("WARNING %s: %zu tables in use afterwards, bench.md says %zu\n", w->id,
                           res.tables, w->tables);
                }
            }
        }
        return g_failed ? 1 : 0;
    }

    printf("method:   median of %d repetitions after 1 warm-up, fresh map each (root level 1,"
           " NORMAL|VALID), pool of %zu pre-touched %s pages (%.0f MiB)\n",
           reps, pool.pages, g_zero_pages ? "zeroed (--zero-pages)" : "dirty",
           (double)(pool.pages * PAGE) / (1 << 20));
    if (reps < 5) {
        printf("WARNING: %d repetitions; bench.md asks for at least 5\n", reps);
        g_warnings++;
    }
    printf("\n%-17s %-6s %9s %9s %9s %9s %8s %10s %7s\n", "workload", "per", "median", "min",
           "max", "ms/rep", "tables", "bound", "ratio");
    printf("%-17s %-6s %9s %9s %9s %9s %8s %10s %7s\n", "", "", "ns", "ns", "ns", "(median)", "",
           "ns (med)", "");
    for (size_t k = 0; k < NWORKLOADS; k++) {
        if (!selected[k]) {
            continue;
        }
        const workload_t *w = &workloads[k];
        result_t res;
        fflush(stdout);
        if (run_workload(w, reps, warmup, check, &res, times) != 0) {
            printf("%s %-14s  FAILED (see above)\n", w->id, w->name);
            continue;
        }
        if (w->bound != NULL) {
            res.has_bound = 1;
            res.bound = measure_bound(w->bound, reps, times);
        }
        const double u = (double)w->units;
        char name[32];
        snprintf(name, sizeof name, "%s %s", w->id, w->name);
        printf("%-17s %-6s %9.3f %9.3f %9.3f %9.3f %8zu", name, w->unit, res.t.median / u,
               res.t.min / u, res.t.max / u, res.t.median / 1e6, res.tables);
        if (res.has_bound) {
            printf(" %10.3f %6.1fx", res.bound.median / u, res.t.median / res.bound.median);
        }
        printf("\n");
        if (res.tables != w->tables) {
            printf("WARNING %s: %zu table pages in use afterwards, bench.md says %zu\n", w->id,
                   res.tables, w->tables);
            g_warnings++;
        }
    }
    /* The per-entry C callback's floor, beside W5 and W6 when they ran. */
    static const struct {
        const char *id;
        void (*floor)(void);
    } floors[] = {{"W5", bench_floor_w5}, {"W6", bench_floor_w6}};
    for (size_t k = 0; k < NWORKLOADS; k++) {
        for (size_t f = 0; f < sizeof floors / sizeof floors[0]; f++) {
            if (selected[k] && strcmp(workloads[k].id, floors[f].id) == 0) {
                const stats_t floor = measure_bound(floors[f].floor, reps, times);
                printf("floor %s callback entry  %9.3f  (%s's callback from a bare C loop, no library)\n",
                       floors[f].id, floor.median / W1_ENTRIES, floors[f].id);
            }
        }
    }
    printf("\nper: ns per entry written or visited (W2: 2,298), or per call (W3, W4). "
           "bound: the memory traffic the workload must do, measured on the same warm pages: "
           "W1 zeroing 514 pages + 262,144 descriptor stores; W2 5 pages + 2,298 stores; W3 "
           "zeroing 83,554 pages; W4 W1's + 131,072 descriptors rewritten; W5 (cxx, s) 262,144 "
           "descriptors read and written; W6 (cxx, r) and W7 262,144 read. ratio = median / bound.\n"
           "Wco (beyond bench.md): idmap_coalesce_subtables after W1's layout, ns per table freed; "
           "tables saved: 514 - the tables column.\n"
           "callback floor: the bench's W5 and W6 callbacks called through their pointers from a bare C "
           "loop over W1's descriptors, each with its region and a copy of its descriptor as the C ABI "
           "gives them: what a call per entry costs, whatever makes it.\n");
    printf("pool: peak %zu of %zu pages in use; huge pages %s (%ld kB)\n", pool.peak, pool.pages,
           pool.huge ? "asked" : "not available", huge_kb());
    if (g_failed) {
        printf("RESULT: FAILED (see the FAILED lines)\n");
    } else if (g_warnings) {
        printf("RESULT: ok, with %d warning(s)\n", g_warnings);
    }
    return g_failed ? 1 : 0;
}
