/*
 * lint_export.c - the linter and the export through the C ABI, as a C99 firmware would
 * use them before handing over: lint its map (and a tree it built by hand), look for W^X
 * aliases across two maps, and export the map as regions, a devicetree fragment and UEFI
 * descriptors. No heap: the scratch and every array are static. Uses only idmap.h; links
 * only libidmap.a. Returns 0 on success; on failure prints what went wrong and returns 1.
 */
#include <idmap.h>

#include <stdio.h>
#include <string.h>

#include "check.h"

#define PAGE ((uint64_t)0x1000)
#define CODE ((uint64_t)0x40000000)
#define DATA ((uint64_t)0x40200000)
#define UART ((uint64_t)0x09000000)

static uint64_t scratch[IDMAP_LINT_SCRATCH_WORDS(16, 64)];
static idmap_lint_finding_t findings[8];

/* The devicetree text, collected. */
struct text {
    char buf[4096];
    size_t len;
};

static void collect(void *ctx, const char *text, size_t len)
{
    struct text *t = (struct text *)ctx;
    if (t->len + len < sizeof t->buf) {
        memcpy(t->buf + t->len, text, len);
        t->len += len;
        t->buf[t->len] = '\0';
    }
}

static int map(idmap_t *m, uint64_t start, uint64_t end, uint64_t flags)
{
    idmap_region_t r = idmap_region(start, end);
    REQUIRE_OK(m, idmap_map_range(m, &r, flags));
    return 0;
}

/* A hand-built tree: a level-2 root at "physical" 0x80000000 whose entry 1 points at a
 * level-3 table, held in a static array that stands for those two pages. */
static uint64_t image[2][512] __attribute__((aligned(4096)));

static int lint_hand_built(void)
{
    const uint64_t base = 0x80000000;
    const uint64_t page = 0x403 | IDMAP_ATTR_NORMAL; /* AF, page, valid */
    idmap_lint_pool_t pool;
    idmap_lint_tree_t tree;
    idmap_lint_options_t options;
    idmap_lint_report_t report;
    char line[256];

    image[0][1] = (base + PAGE) | 3;
    image[1][0] = 0x200000 | page | IDMAP_ATTR_READ_ONLY;              /* code */
    image[1][1] = 0x201000 | page | IDMAP_ATTR_EXECUTE_NEVER | ((uint64_t)1 << 49); /* RES0 */
    pool.base = base;
    pool.size = sizeof image;
    pool.data = image;
    memset(&tree, 0, sizeof tree);
    tree.root = base;
    tree.root_level = 2;
    tree.regime = IDMAP_REGIME_EL1_0;
    tree.pools = &pool;
    tree.pool_count = 1;
    memset(&options, 0, sizeof options);
    options.scratch = scratch;
    options.scratch_words = sizeof scratch / sizeof scratch[0];

    REQUIRE(idmap_lint_raw(&tree, 1, &options, findings, 8, &report) == IDMAP_OK);
    REQUIRE(report.findings == 1);
    CHECK(findings[0].kind == IDMAP_LINT_RES0_BITS);
    CHECK(findings[0].va == 0x201000);
    CHECK(findings[0].level == 3);
    CHECK(findings[0].index == 1);
    CHECK(findings[0].bits == (uint64_t)1 << 49);
    idmap_lint_finding_text(&findings[0], line, sizeof line);
    printf("  hand-built tree: %s\n", line);
    CHECK(strcmp(line, "RES0 bits set: L3[1] va 0x201000, descriptor 0x62000000201707, bits "
                       "0x2000000000000") == 0);
    /* EL3 reads the same bits differently: AP[1] is RES1 (both pages), PXN RES0 (one
     * finding with bit 49 for the second page). */
    tree.regime = IDMAP_REGIME_EL3;
    REQUIRE(idmap_lint_raw(&tree, 1, &options, findings, 8, &report) == IDMAP_OK);
    REQUIRE(report.findings == 3);
    CHECK(findings[0].kind == IDMAP_LINT_RES1_CLEAR && findings[0].va == 0x200000);
    CHECK(findings[1].kind == IDMAP_LINT_RES0_BITS && findings[1].bits == (((uint64_t)1 << 49) | ((uint64_t)1 << 53)));
    CHECK(findings[2].kind == IDMAP_LINT_RES1_CLEAR && findings[2].va == 0x201000);
    return 0;
}

int main(void)
{
    idmap_t *m = idmap_new(1, 1);
    idmap_t *other = idmap_new(2, 1);
    const idmap_t *both[2];
    idmap_lint_options_t options;
    idmap_lint_report_t report;
    idmap_export_region_t regions[8];
    idmap_efi_memory_descriptor_t efi[8];
    struct text dts;
    size_t n;
    char line[256];

    REQUIRE(m != NULL && other != NULL);
    if (map(m, CODE, CODE + 4 * PAGE, IDMAP_ATTR_NORMAL | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_VALID) ||
        map(m, DATA, DATA + 4 * PAGE, IDMAP_ATTR_NORMAL | IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID) ||
        map(m, UART, UART + PAGE, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID))
        return 1;

    /* The map as the library built it: nothing to report. */
    memset(&options, 0, sizeof options);
    options.scratch = scratch;
    options.scratch_words = sizeof scratch / sizeof scratch[0];
    REQUIRE_OK(m, idmap_lint(m, &options, findings, 8, &report));
    CHECK(report.findings == 0);
    CHECK(report.tables == idmap_table_count(m));
    CHECK(report.runs == 3);
    /* Too little scratch: a clear error, and how much is needed (a lower bound while the
     * tables do not fit, exact once they do). */
    options.scratch_words = 3;
    CHECK(idmap_lint(m, &options, findings, 8, &report) == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(report.scratch_words > 3);
    options.scratch_words = IDMAP_LINT_SCRATCH_WORDS(idmap_table_count(m), 0);
    CHECK(idmap_lint(m, &options, findings, 8, &report) == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(report.scratch_words == IDMAP_LINT_SCRATCH_WORDS(idmap_table_count(m), 3));
    options.scratch_words = sizeof scratch / sizeof scratch[0];

    /* Another map that writes to the code pages: a W^X alias across the two. */
    if (map(other, CODE + PAGE, CODE + 2 * PAGE,
            IDMAP_ATTR_NORMAL | IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID))
        return 1;
    both[0] = m;
    both[1] = other;
    REQUIRE(idmap_lint_wx_aliases(both, 2, &options, findings, 8, &report) == IDMAP_OK);
    REQUIRE(report.findings == 1);
    CHECK(findings[0].kind == IDMAP_LINT_WX_ALIAS);
    CHECK(findings[0].tree == 1 && findings[0].other_tree == 0);
    CHECK(findings[0].pa == CODE + PAGE && findings[0].size == PAGE);
    idmap_lint_finding_text(&findings[0], line, sizeof line);
    printf("  two maps: %s\n", line);

    if (lint_hand_built())
        return 1;

    /* Export: three regions, in address order. */
    n = idmap_export_regions(m, regions, 8);
    REQUIRE(n == 3);
    CHECK(regions[0].va_start == UART && regions[0].memory_type == IDMAP_MEMORY_DEVICE);
    CHECK(regions[1].va_start == CODE && regions[1].va_end == CODE + 4 * PAGE);
    CHECK((regions[1].flags & IDMAP_EXPORT_READ_ONLY) != 0);
    CHECK((regions[1].flags & IDMAP_EXPORT_EXECUTE_NEVER) == 0);
    CHECK(regions[2].pa_start == DATA && (regions[2].flags & IDMAP_EXPORT_EXECUTE_NEVER) != 0);
    CHECK(idmap_export_regions(m, NULL, 0) == 3);

    dts.len = 0;
    dts.buf[0] = '\0';
    REQUIRE_OK(m, idmap_export_devicetree(m, "firmware-map", collect, &dts));
    CHECK(strstr(dts.buf, "firmware-map {\n") != NULL);
    CHECK(strstr(dts.buf, "\tregion@40000000 {\n\t\treg = <0x0 0x40000000 0x0 0x4000>;\n") != NULL);
    CHECK(strstr(dts.buf, "memory-type = \"device\"") != NULL);
    printf("  devicetree: %u bytes\n", (unsigned)dts.len);

    n = idmap_export_efi(m, efi, 8);
    REQUIRE(n == 3);
    CHECK(efi[0].type == IDMAP_EFI_MEMORY_MAPPED_IO && efi[0].attribute == (IDMAP_EFI_MEMORY_UC | IDMAP_EFI_MEMORY_XP));
    CHECK(efi[1].type == IDMAP_EFI_RUNTIME_SERVICES_CODE && efi[1].number_of_pages == 4);
    CHECK(efi[1].attribute == (IDMAP_EFI_MEMORY_WB | IDMAP_EFI_MEMORY_RO));
    CHECK(efi[2].type == IDMAP_EFI_RUNTIME_SERVICES_DATA);
    CHECK(efi[2].attribute == (IDMAP_EFI_MEMORY_WB | IDMAP_EFI_MEMORY_XP));
    CHECK(sizeof efi[0] == 40);

    idmap_free(other);
    idmap_free(m);
    if (check_failures() != 0)
        return 1;
    printf("lint_export: ok\n");
    return 0;
}
