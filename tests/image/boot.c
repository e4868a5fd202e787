/*
 * boot.c - boots with translation tables idmap-image built at build time from the
 * board's memory map (boards/<b>/memmap.txt, tools/idmap-image/), and checks them
 * against the hardware and against the runtime library.
 *
 * Built twice (tests/target/image.mk), in the image-boot layout (image.ld.S):
 *   - absolute: the tables linked where the memory map's `tables` line says;
 *   - relocatable (-DIMAGE_RELOCATABLE): the tables copied to a buffer the tool never
 *     knew of and fixed up there (idmap_image_relocate), as a loader would.
 *
 * Checks, one line each, then "N passed, M failed, 0 skipped" (the QEMU suites' summary;
 * no check here is ever skipped); the exit status is 0 iff none failed:
 *   1. with the MMU off: the runtime library, given the same map lines
 *      (idmap_new_with_config, idmap_map_range_with_constraints) and table pages handed
 *      out in order at the tables' address, writes exactly the bytes that are there
 *      (memcmp); the image's bytes are put back before they are used;
 *   2. idmap_image_enable_mmu(_at) turns the MMU on with no table built: MAIR, TCR and
 *      TTBR0 are what idmap_mmu_config() gives for the library's map, SCTLR has M, C, I;
 *   3. AT S1E1R / AT S1E1W at the first, middle and last page of every map line agree
 *      with the line that maps them last (output address, memory type, write
 *      permission); the UART (board.h) is Device and writable; an address no line maps
 *      does not translate;
 *   4. what AT cannot show: a store to the code and a call into execute-never data take
 *      permission faults.
 * The image maps with regime el1 only: the runtime drops to EL1 (examples/common/start.S).
 */
#include "bm.h"
#include "board.h"
#include "idmap.h"
#include "idmap_image.h"

#define PAGE 4096u
#define MAX_PAGES 32u /* the table pages this program can check */

static unsigned passed, failed;

static void check(int ok, const char *what, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *what, ...)
{
    va_list ap;
    bm_printf("%s ", ok ? "ok    " : "not ok");
    va_start(ap, what);
    bm_vprintf(what, ap);
    va_end(ap);
    bm_printf("\n");
    if (ok)
        passed++;
    else
        failed++;
}

/* ---- 1. The runtime library at the same addresses */

/* Hands out pages from base in order, as idmap-image's buffer does. */
struct in_order {
    uint64_t base;
    size_t count, used;
};

static void *in_order_alloc(void *ctx)
{
    struct in_order *a = ctx;
    return a->used < a->count ? (void *)(uintptr_t)(a->base + PAGE * a->used++) : NULL;
}

static void in_order_free(void *ctx, void *page)
{
    (void)ctx;
    (void)page; /* never reused: map_range frees no table */
}

/* The image's bytes while the library writes over them. */
static uint8_t saved[MAX_PAGES * PAGE] __attribute__((aligned(16)));

static idmap_mmu_config_t library_config;

static void compare_with_library(uint64_t base, size_t pages)
{
    uint8_t *tables = (uint8_t *)(uintptr_t)base;
    __builtin_memcpy(saved, tables, pages * PAGE);
    /* Poison, so that a byte the library does not write cannot pass for one it does. */
    __builtin_memset(tables, 0xa5, pages * PAGE);

    struct in_order source = {base, pages, 0};
    idmap_allocator_t allocator = {in_order_alloc, in_order_free, &source};
    idmap_config_t config = {(idmap_regime_t)idmap_image_regime, IDMAP_VA_RANGE_LOWER, idmap_image_asid,
                             (unsigned)idmap_image_root_level, 0, &allocator};
    idmap_t *map = idmap_new_with_config(&config);
    idmap_status_t st = map ? IDMAP_OK : IDMAP_ERR_INVALID_ARGUMENT;
    for (uint64_t i = 0; st == IDMAP_OK && i < idmap_image_region_count; i++) {
        const idmap_image_region_t *r = &idmap_image_regions[i];
        idmap_region_t region = idmap_region(r->start, r->end);
        st = idmap_map_range_with_constraints(map, &region, r->flags, (uint32_t)r->constraints);
    }
    check(st == IDMAP_OK && source.used == pages,
          "the runtime library maps the %llu lines with %zu table pages at 0x%llx (%s)",
          (unsigned long long)idmap_image_region_count, source.used, (unsigned long long)base,
          idmap_status_str(st));
    check(st == IDMAP_OK && __builtin_memcmp(tables, saved, pages * PAGE) == 0,
          "its tables are bit-identical to the image's (%zu bytes)", pages * PAGE);
    if (st == IDMAP_OK)
        st = idmap_mmu_config(map, BM_READ_SYSREG(id_aa64mmfr0_el1), &library_config);
    check(st == IDMAP_OK, "idmap_mmu_config for the library's map: %s", idmap_status_str(st));
    idmap_free(map);
    __builtin_memcpy(tables, saved, pages * PAGE);
}

/* ---- 3. AT against the memory map */

/* The line that maps va last, or NULL. */
static const idmap_image_region_t *line_for(uint64_t va)
{
    const idmap_image_region_t *found = NULL;
    for (uint64_t i = 0; i < idmap_image_region_count; i++)
        if (idmap_image_regions[i].start <= va && va < idmap_image_regions[i].end)
            found = &idmap_image_regions[i];
    return found;
}

/* AT S1E1R and S1E1W at va against what line says (NULL: not mapped). */
static void check_at(uint64_t va, const idmap_image_region_t *line, const char *what)
{
    uint64_t r = bm_at_s1e1r(va), w = bm_at_s1e1w(va);
    int ok;
    if (!line) {
        ok = (r & BM_PAR_F) && BM_PAR_FST(r) >= 0x04 && BM_PAR_FST(r) <= 0x07;
    } else {
        const unsigned attr = ((line->flags >> 2) & 7) == 1 ? 0xff : 0x04;
        const int writable = !(line->flags & IDMAP_ATTR_READ_ONLY);
        ok = !(r & BM_PAR_F) && BM_PAR_PA(r) == va && BM_PAR_ATTR(r) == attr &&
             (writable ? !(w & BM_PAR_F) : (w & BM_PAR_F) && (BM_PAR_FST(w) & 0x3c) == 0x0c);
    }
    check(ok, "AT 0x%010llx %-10s %-22s PAR R 0x%016llx W 0x%016llx", (unsigned long long)va, what,
          !line ? "unmapped" : !(line->flags & IDMAP_ATTR_READ_ONLY) ? "read-write" : "read-only",
          (unsigned long long)r, (unsigned long long)w);
}

static void check_lines(void)
{
    for (uint64_t i = 0; i < idmap_image_region_count; i++) {
        const idmap_image_region_t *r = &idmap_image_regions[i];
        const uint64_t samples[3] = {r->start, r->start + ((r->end - r->start) / 2 & ~(uint64_t)(PAGE - 1)),
                                     r->end - PAGE};
        for (unsigned s = 0; s < 3; s++) {
            if (s > 0 && samples[s] == samples[s - 1])
                continue;
            char what[16];
            bm_snprintf(what, sizeof what, "line %llu", (unsigned long long)i + 1);
            check_at(samples[s], line_for(samples[s]), what);
        }
    }
}

/* An address no line maps, below the top of the highest one. */
static uint64_t unmapped_address(void)
{
    uint64_t va = 0;
    for (;;) {
        const idmap_image_region_t *line = line_for(va);
        if (!line)
            return va;
        va = line->end;
    }
}

/* ---- 4. Permissions AT does not show */

static uint32_t data_code[4] __attribute__((aligned(16)));

static void check_execute_permissions(void)
{
    bm_expect_fault();
    bm_probe_write((uintptr_t)bm_main, 0);
    int taken = bm_fault_taken();
    check(taken && BM_ESR_EC(bm_fault.esr) == BM_EC_DABORT_SAME_EL &&
              (BM_ESR_FSC(bm_fault.esr) & 0x3c) == 0x0c,
          "a store to the code takes a permission fault (ESR_EL1 0x%llx)", (unsigned long long)bm_fault.esr);

    data_code[0] = 0xd65f03c0; /* ret */
    bm_sync_icache((uintptr_t)data_code, sizeof data_code);
    void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;
    bm_expect_fault();
    fn();
    taken = bm_fault_taken();
    check(taken && BM_ESR_EC(bm_fault.esr) == BM_EC_IABORT_SAME_EL &&
              (BM_ESR_FSC(bm_fault.esr) & 0x3c) == 0x0c,
          "a call into execute-never data takes a permission fault (ESR_EL1 0x%llx)",
          (unsigned long long)bm_fault.esr);
}

/* ---- The boot */

#ifdef IMAGE_RELOCATABLE
/* Where the loader puts the tables: an address the tool never knew. */
static uint8_t load_area[MAX_PAGES * PAGE] __attribute__((aligned(4096)));
#endif

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    const size_t pages = (size_t)idmap_image_pages;
#ifdef IMAGE_RELOCATABLE
    const char *variant = "relocatable";
#else
    const char *variant = "absolute";
#endif
    bm_printf("\nimage-boot (%s tables) on %s: entered at %s\n", variant, BOARD_NAME, bm_el_name(entry_el));
    bm_printf("%zu table pages, %llu map lines, sha256 ", pages, (unsigned long long)idmap_image_region_count);
    for (unsigned i = 0; i < 32; i++)
        bm_printf("%02x", idmap_image_sha256[i]);
    bm_printf("\n");
    if (pages == 0 || pages > MAX_PAGES || idmap_image_regime != IDMAP_REGIME_EL1_0) {
        bm_printf("not ok this program checks 1 to %u table pages of regime el1\n", MAX_PAGES);
        return 1;
    }

#ifdef IMAGE_RELOCATABLE
    const uint64_t base = (uintptr_t)load_area;
    __builtin_memcpy(load_area, idmap_image_tables, pages * PAGE);
    /* Before relocation each table descriptor holds its table's offset in the image. */
    int offsets = 1;
    for (uint64_t i = 0; i < idmap_image_reloc_count; i++) {
        const uint64_t d = *(const uint64_t *)(uintptr_t)(base + idmap_image_relocs[i]);
        offsets = offsets && (d & 3) == 3 && (d & 0x0000fffffffff000ULL) < pages * PAGE;
    }
    check(offsets && idmap_image_reloc_count == pages - 1,
          "%llu table descriptors hold offsets before relocation", (unsigned long long)idmap_image_reloc_count);
    idmap_image_relocate(base);
#else
    const uint64_t base = (uintptr_t)idmap_image_tables;
    check(base == (uintptr_t)idmap_image_tables_pa, "the tables are linked at 0x%llx, where the memory map says",
          (unsigned long long)base);
#endif

    compare_with_library(base, pages);

#ifdef IMAGE_RELOCATABLE
    int st = idmap_image_enable_mmu_at(base);
#else
    int st = idmap_image_enable_mmu();
#endif
    const uint64_t sctlr = BM_READ_SYSREG(sctlr_el1), tcr = BM_READ_SYSREG(tcr_el1),
                   mair = BM_READ_SYSREG(mair_el1), ttbr = BM_READ_SYSREG(ttbr0_el1);
    check(st == 0 && (sctlr & 0x1005) == 0x1005, "MMU on with the tables at 0x%llx: SCTLR_EL1 0x%llx",
          (unsigned long long)base, (unsigned long long)sctlr);
    check(mair == library_config.mair && tcr == library_config.tcr && ttbr == library_config.ttbr,
          "MAIR 0x%llx TCR 0x%llx TTBR0 0x%llx as idmap_mmu_config gives them", (unsigned long long)mair,
          (unsigned long long)tcr, (unsigned long long)ttbr);

    check_lines();
    const idmap_image_region_t *uart = line_for(BOARD_UART_BASE);
    check(uart && ((uart->flags >> 2) & 7) == 0 && !(uart->flags & IDMAP_ATTR_READ_ONLY),
          "the UART (board.h) is mapped Device, read-write");
    check_at(BOARD_UART_BASE, uart, "UART");
    check_at(unmapped_address(), NULL, "no line");
    check_execute_permissions();

    bm_printf("%u passed, %u failed, 0 skipped\n", passed, failed);
    return failed ? 1 : 0;
}
