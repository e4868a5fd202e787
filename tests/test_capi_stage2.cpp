// The C ABI's stage 2 (include/idmap.h, "Stage 2 (hypervisors)"): idmap_new_stage2 and
// its refusals, the IDMAP_S2_* flags through the existing map/walk/modify/unmap calls,
// concatenated roots from the config's alloc_root, idmap_s2_vtcr, idmap_s2_vttbr,
// idmap_s2_activate and idmap_s2_activate_on_core on the host fake, idmap_s2_map_range_bbm,
// idmap_s2_worst_case_tables; the lint of stage-2 maps and raw stage-2 trees (concatenated
// roots, RES0 bits, W^X across VMs), and the export of a stage-2 map's regions by IPA.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

constexpr uint64_t kGuestRam = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE;

unsigned reason(const idmap_error_t* e) { return static_cast<unsigned>(e->value & 0xff); }

std::string error_text(const idmap_error_t* e) {
    char buf[300];
    (void)idmap_format_error(e, buf, sizeof buf);
    return buf;
}

// An allocator whose roots are counted (and which can hand out a misaligned one).
struct Roots {
    int out = 0;
    bool misalign = false;
    void* block = nullptr;
    static void* alloc_page(void*) { return std::aligned_alloc(0x1000, 0x1000); }
    static void free_page(void*, void* p) { std::free(p); }
    static void* alloc_root(void* ctx, size_t pages) {
        auto* r = static_cast<Roots*>(ctx);
        ++r->out;
        if (r->misalign) {
            r->block = std::aligned_alloc(2 * pages * 0x1000, 4 * pages * 0x1000);
            return static_cast<char*>(r->block) + 0x1000;
        }
        return std::aligned_alloc(pages * 0x1000, pages * 0x1000);
    }
    static void free_root(void* ctx, void* root, size_t) {
        auto* r = static_cast<Roots*>(ctx);
        --r->out;
        if (!r->misalign) {
            std::free(root);
        }
    }
    ~Roots() { std::free(block); }
};

}  // namespace

TEST_CASE("idmap_new_stage2: a 40-bit IPA from level 1 is two concatenated tables", "[capi][stage2]") {
    Map m = new_stage2(s2_config(40, 1, 7));
    CHECK(idmap_regime(m.get()) == IDMAP_REGIME_STAGE2);
    CHECK(idmap_s2_root_tables(m.get()) == 2);
    CHECK(idmap_table_count(m.get()) == 2);
    CHECK(idmap_size(m.get()) == uint64_t{1} << 40);
    CHECK((idmap_root_address(m.get()) & 0x1fff) == 0);
    CHECK(idmap_s2_vttbr(m.get()) == (idmap_root_address(m.get()) | uint64_t{7} << 48));
    // VTCR_EL2 as linux-guest.md checked it: PARange 40 bits, 8-bit VMIDs.
    uint64_t vtcr = 0;
    REQUIRE(idmap_s2_vtcr(m.get(), 0x2, 0, &vtcr) == IDMAP_OK);
    CHECK(vtcr == 0x80023558);
}

TEST_CASE("idmap_new_stage2 refuses what stage 2 cannot be, and says why", "[capi][stage2]") {
    CHECK(idmap_new_stage2(nullptr) == nullptr);
    CHECK(reason(idmap_new_error()) == IDMAP_ARG_NULL_POINTER);
    idmap_stage2_config_t c = s2_config(44, 1);
    CHECK(idmap_new_stage2(&c) == nullptr);
    CHECK(reason(idmap_new_error()) == IDMAP_ARG_IPA_SIZE);
    CHECK(error_text(idmap_new_error()) ==
          "invalid argument: a 44-bit IPA cannot start at level 1 with 1 to 16 concatenated tables");
    c = s2_config(30, 3);
    CHECK(idmap_new_stage2(&c) == nullptr);
    CHECK(error_text(idmap_new_error()) == "invalid argument: root level 3 is not one of 0 to 2");
    c = s2_config(40, 1, 0x10000);
    CHECK(idmap_new_stage2(&c) == nullptr);
    CHECK(reason(idmap_new_error()) == IDMAP_ARG_VMID_WIDTH);
    // A caller's allocator without alloc_root, for a concatenated root.
    const idmap_allocator_t pages{&Roots::alloc_page, &Roots::free_page, nullptr};
    c = s2_config(40, 1);
    c.allocator = &pages;
    CHECK(idmap_new_stage2(&c) == nullptr);
    CHECK(reason(idmap_new_error()) == IDMAP_ARG_CONTIGUOUS_ALLOCATOR);
    c.ipa_bits = 39;  // one table: pages suffice
    Map one = new_stage2(c);
    CHECK(idmap_s2_root_tables(one.get()) == 1);
    // idmap_new_with_config does not make stage-2 maps.
    idmap_config_t s1;
    std::memset(&s1, 0, sizeof s1);
    s1.regime = IDMAP_REGIME_STAGE2;
    s1.root_level = 1;
    CHECK(idmap_new_with_config(&s1) == nullptr);
    CHECK(reason(idmap_new_error()) == IDMAP_ARG_REGIME);
    CHECK(error_text(idmap_new_error()) ==
          "invalid argument: a stage-2 map has no stage-1 registers or constructor: use idmap_new_stage2 and "
          "idmap_s2_activate (C++: init_stage2, stage2_activate)");
}

TEST_CASE("idmap_new_stage2 takes its root from alloc_root, aligned, and gives it back whole", "[capi][stage2]") {
    Roots roots;
    const idmap_allocator_t pages{&Roots::alloc_page, &Roots::free_page, &roots};
    idmap_stage2_config_t c = s2_config(42, 1);
    c.allocator = &pages;
    c.alloc_root = &Roots::alloc_root;
    c.free_root = &Roots::free_root;
    {
        Map m = new_stage2(c);
        CHECK(roots.out == 1);
        CHECK(idmap_s2_root_tables(m.get()) == 8);
        CHECK((idmap_root_address(m.get()) & 0x7fff) == 0);
    }
    CHECK(roots.out == 0);
    roots.misalign = true;
    CHECK(idmap_new_stage2(&c) == nullptr);
    CHECK(idmap_new_error()->status == IDMAP_ERR_OUT_OF_MEMORY);
    CHECK(roots.out == 0);
}

TEST_CASE("a stage-2 map takes IDMAP_S2_* flags through map, walk, modify and unmap", "[capi][stage2]") {
    idmap_stage2_config_t c = s2_config(40, 1);
    c.pa_offset = 0x10'0000'0000;  // guest IPA 1 GiB is PA 64 GiB + 1 GiB
    Map m = new_stage2(c);
    REQUIRE(map_range(m.get(), k1G, k1G + k2M, kGuestRam | IDMAP_S2_XN) == IDMAP_OK);
    REQUIRE(map_range(m.get(), 600 * k1G, 601 * k1G, IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ) ==
            IDMAP_OK);  // in the second root table
    struct Seen {
        uint64_t bits[4];
        unsigned n;
    } seen{};
    const idmap_region_t all = idmap_region(k1G, 601 * k1G);
    const idmap_walk_fn record_fn = [](const idmap_region_t*, const idmap_descriptor_t* d, unsigned, void* ctx) {
        auto* s = static_cast<Seen*>(ctx);
        if (idmap_descriptor_is_valid(d) && s->n < 4) {
            s->bits[s->n++] = d->bits;
        }
        return 0;
    };
    REQUIRE(idmap_walk_range(m.get(), &all, record_fn, &seen) == IDMAP_OK);
    REQUIRE(seen.n == 2);
    CHECK(seen.bits[0] == ((0x10'0000'0000 + k1G) | kGuestRam | IDMAP_S2_XN | IDMAP_S2_ACCESSED));
    CHECK(seen.bits[1] == ((0x10'0000'0000 + 600 * k1G) | IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ |
                           IDMAP_S2_ACCESSED));
    // Refused: nG (bit 11), and PXN/XN[0] (bit 53, without FEAT_XNX): the stage-1
    // execute-never constant too.
    CHECK(map_range(m.get(), k1G, k1G + kPage, kGuestRam | IDMAP_ATTR_NON_GLOBAL) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_NON_GLOBAL);
    CHECK(map_range(m.get(), k1G, k1G + kPage, kGuestRam | IDMAP_ATTR_EXECUTE_NEVER) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_PXN);
    // tables_needed with the same flags: a page of the 2 MiB block needs a table.
    size_t pages = 0;
    const idmap_region_t one = idmap_region(k1G, k1G + kPage);
    REQUIRE(idmap_tables_needed(m.get(), &one, kGuestRam, 0, &pages) == IDMAP_OK);
    CHECK(pages == 1);
    // modify: S2AP write taken away.
    const idmap_modify_fn read_only = [](const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
        return static_cast<int>(idmap_descriptor_modify_flags(d, 0, IDMAP_S2_WRITE));
    };
    REQUIRE(idmap_modify_range(m.get(), &one, read_only, nullptr) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 2 + 2);
    REQUIRE(idmap_unmap_range(m.get(), &all) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 2);
    // The dump says stage 2.
    std::string text;
    idmap_dump(m.get(), [](void* ctx, const char* s, size_t n) { static_cast<std::string*>(ctx)->append(s, n); },
               &text);
    CHECK(text.rfind("stage 2 VTTBR, root level 1 (2 concatenated)", 0) == 0);
}

TEST_CASE("idmap_s2_activate and idmap_s2_map_range_bbm on the host fake", "[capi][stage2]") {
    fake::reset();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;  // M and C: no clean to PoC
    Map m = new_stage2(s2_config(40, 1, 3));
    REQUIRE(map_range(m.get(), k1G, k1G + k2M, kGuestRam) == IDMAP_OK);
    REQUIRE(idmap_s2_activate(m.get()) == IDMAP_OK);
    CHECK(idmap_is_active(m.get()));
    CHECK(fake::registers().vttbr_el2 == idmap_s2_vttbr(m.get()));
    CHECK(fake::registers().vtcr_el2 == 0x80043558);  // the fake's PARange: 44 bits
    CHECK(idmap_s2_activate(m.get()) == IDMAP_ERR_ALREADY_ACTIVE);
    // A page of the live block with another memory type: map_range refuses, the BBM call
    // does it.
    const uint64_t device = IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE;
    CHECK(map_range(m.get(), k1G, k1G + kPage, device) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_SPLIT);
    const idmap_region_t r = idmap_region(k1G, k1G + kPage);
    REQUIRE(idmap_s2_map_range_bbm(m.get(), &r, device, 0) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 4);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().vttbr_el2 == 0);
    // A stage-1 map has no VTCR.
    Map s1 = new_map(1, 1);
    uint64_t vtcr = 0;
    CHECK(idmap_s2_vtcr(s1.get(), 0x2, 0, &vtcr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(reason(idmap_last_error(s1.get())) == IDMAP_ARG_NOT_STAGE2);
    CHECK(error_text(idmap_last_error(s1.get())) == "invalid argument: the map is for EL1&0, not stage 2");
}

TEST_CASE("idmap_s2_activate_on_core: VTCR_EL2 and VTTBR_EL2 of each core, the cores counted", "[capi][stage2]") {
    fake::reset();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;  // M and C: no clean to PoC
    Map m = new_stage2(s2_config(40, 1, 3));
    REQUIRE(map_range(m.get(), k1G, k1G + k2M, kGuestRam) == IDMAP_OK);
    uint64_t previous = 1;
    CHECK(idmap_s2_activate_on_core(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(reason(idmap_last_error(m.get())) == IDMAP_ARG_NULL_POINTER);
    CHECK(idmap_active_cores(m.get()) == 0);
    // The first core (the fake has one set of registers: each call is another core's).
    fake::registers().vtcr_el2 = 0;
    REQUIRE(idmap_s2_activate_on_core(m.get(), &previous) == IDMAP_OK);
    CHECK(previous == 0);
    CHECK(fake::registers().vtcr_el2 == 0x80043558);
    CHECK(fake::registers().vttbr_el2 == idmap_s2_vttbr(m.get()));
    // A second core: its VTCR_EL2 written too, VMALLS12E1IS after its VTTBR_EL2.
    fake::registers().vtcr_el2 = 0;
    fake::registers().vttbr_el2 = 0;
    const unsigned tlbis = fake::counters().tlbi_regime;
    REQUIRE(idmap_s2_activate_on_core(m.get(), &previous) == IDMAP_OK);
    CHECK(fake::registers().vtcr_el2 == 0x80043558);
    CHECK(fake::registers().vttbr_el2 == idmap_s2_vttbr(m.get()));
    CHECK(fake::counters().tlbi_regime == tlbis + 1);
    CHECK(idmap_active_cores(m.get()) == 2);
    // A live change while two cores hold the map follows break-before-make.
    const uint64_t device = IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE;
    CHECK(map_range(m.get(), k1G, k1G + kPage, device) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE(idmap_deactivate_on_core(m.get(), 0) == IDMAP_OK);
    REQUIRE(idmap_deactivate_on_core(m.get(), 0) == IDMAP_OK);
    CHECK(idmap_active_cores(m.get()) == 0);
    CHECK(!idmap_is_active(m.get()));
}

TEST_CASE("idmap_s2_worst_case_tables counts the concatenated root", "[capi][stage2]") {
    const idmap_region_t ram = idmap_region(k1G, 3 * k1G);
    // Root 2 tables; level 1: 2 entries; level 2: 1024 entries.
    CHECK(idmap_s2_worst_case_tables(&ram, 1, 1, 40) == 2 + 2 + 1024);
    CHECK(idmap_s2_worst_case_tables(&ram, 1, 1, 44) == 0);
    CHECK(idmap_s2_worst_case_tables(nullptr, 0, 2, 34) == 16);
}

namespace {

// A lint with ample scratch and room for 8 findings.
struct CLint {
    uint64_t scratch[4096];
    idmap_lint_finding_t findings[8];
    idmap_lint_report_t report{};
    idmap_lint_options_t options(uint32_t features = 0) {
        return idmap_lint_options_t{0, features, scratch, sizeof scratch / sizeof scratch[0]};
    }
};

}  // namespace

TEST_CASE("idmap_lint reads a stage-2 map by IPA, every table of its concatenated root", "[capi][stage2][lint]") {
    Map m = new_stage2(s2_config(40, 1));
    REQUIRE(map_range(m.get(), k1G, 2 * k1G, kGuestRam) == IDMAP_OK);
    // In the second root table (IPA 512 GiB up): RAM in pages, and a UART.
    REQUIRE(map_range(m.get(), k512G + k1G, k512G + k1G + 3 * kPage, kGuestRam | IDMAP_S2_XN) == IDMAP_OK);
    REQUIRE(map_range(m.get(), k512G + 0x09000000, k512G + 0x09001000,
                      IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE | IDMAP_S2_XN) == IDMAP_OK);
    CLint l;
    idmap_lint_options_t o = l.options();
    REQUIRE(idmap_lint(m.get(), &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
    // The 2 root tables, and below the second a level-2 and a level-3 table for the RAM
    // and for the UART: every one reached.
    CHECK(l.report.tables == idmap_table_count(m.get()));
    CHECK(l.report.tables == 6);
}

TEST_CASE("idmap_lint_wx_aliases: a page writable in one VM and executable in another", "[capi][stage2][lint]") {
    Map vm1 = new_stage2(s2_config(40, 1, 1));
    Map vm2 = new_stage2(s2_config(40, 1, 2));
    REQUIRE(map_range(vm1.get(), k1G, k1G + k2M, kGuestRam | IDMAP_S2_XN) == IDMAP_OK);
    REQUIRE(map_range(vm2.get(), k1G + k2M - kPage, k1G + k2M, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ) ==
            IDMAP_OK);
    const idmap_t* maps[] = {vm1.get(), vm2.get()};
    CLint l;
    idmap_lint_options_t o = l.options();
    REQUIRE(idmap_lint_wx_aliases(maps, 2, &o, l.findings, 8, &l.report) == IDMAP_OK);
    REQUIRE(l.report.findings == 1);
    const idmap_lint_finding_t& f = l.findings[0];
    CHECK(f.kind == IDMAP_LINT_WX_ALIAS);
    CHECK(f.tree == 0);
    CHECK(f.other_tree == 1);
    CHECK(f.va == k1G + k2M - kPage);
    CHECK(f.pa == k1G + k2M - kPage);
    CHECK(f.size == kPage);
    // Each VM alone is clean.
    REQUIRE(idmap_lint(vm1.get(), &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
}

TEST_CASE("idmap_lint of a stage-2 map made with FEAT_XNX reads bit 53 as XN[0]", "[capi][stage2][lint]") {
    idmap_stage2_config_t c = s2_config(39, 1);
    c.xnx = true;
    Map m = new_stage2(c);
    REQUIRE(map_range(m.get(), k1G, k1G + kPage, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ | IDMAP_S2_XN_EL1) ==
            IDMAP_OK);
    CLint l;
    idmap_lint_options_t o = l.options();
    REQUIRE(idmap_lint(m.get(), &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
    // The same tree read raw, without the feature: bit 53 is RES0.
    idmap_lint_tree_t t{};
    t.root = idmap_root_address(m.get());
    t.root_level = 1;
    t.regime = IDMAP_REGIME_STAGE2;
    t.translate = [](void*, uint64_t pa) -> const void* { return reinterpret_cast<const void*>(pa); };
    REQUIRE(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_OK);
    REQUIRE(l.report.findings == 1);
    CHECK(l.findings[0].kind == IDMAP_LINT_RES0_BITS);
    CHECK(l.findings[0].bits == IDMAP_S2_XN_EL1);
    o.features = IDMAP_LINT_FEATURE_XNX;
    REQUIRE(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
}

TEST_CASE("idmap_lint_raw: a stage-2 tree in memory, its root tables given", "[capi][stage2][lint]") {
    // Three pages "at" PA 0x80000000: a level-1 root of two tables (40-bit IPA), and a
    // level-2 table under the second: 2 MiB of guest RAM at IPA 512 GiB + 1 GiB.
    alignas(8192) static uint64_t image[3][512];
    std::memset(image, 0, sizeof image);
    const uint64_t base = 0x80000000;
    const uint64_t ram = kGuestRam | IDMAP_S2_ACCESSED | IDMAP_S2_XN;
    image[0][1] = k1G | ram;             // IPA 1 GiB: a 1 GiB block
    image[1][1] = (base + 2 * kPage) | 3;  // IPA 513 GiB: the level-2 table
    image[2][0] = 0x60000000 | ram;      // IPA 513 GiB: a 2 MiB block
    const idmap_lint_pool_t pool{base, sizeof image, image};
    idmap_lint_tree_t t{};
    t.root = base;
    t.root_level = 1;
    t.regime = IDMAP_REGIME_STAGE2;
    t.pools = &pool;
    t.pool_count = 1;
    t.root_tables = 2;
    CLint l;
    idmap_lint_options_t o = l.options();
    REQUIRE(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
    CHECK(l.report.tables == 3);
    // nG (bit 11) in the block below the second root table, and PXNTable (bit 59) in the
    // table descriptor that leads there: both RES0 at stage 2.
    image[2][0] |= IDMAP_ATTR_NON_GLOBAL;
    image[1][1] |= uint64_t{1} << 59;
    REQUIRE(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_OK);
    REQUIRE(l.report.findings == 2);
    CHECK(l.findings[0].kind == IDMAP_LINT_RES0_BITS);
    CHECK(l.findings[0].level == 1);
    CHECK(l.findings[0].va == k512G + k1G);
    CHECK(l.findings[0].bits == uint64_t{1} << 59);
    CHECK(l.findings[1].kind == IDMAP_LINT_RES0_BITS);
    CHECK(l.findings[1].level == 2);
    CHECK(l.findings[1].va == k512G + k1G);
    CHECK(l.findings[1].bits == IDMAP_ATTR_NON_GLOBAL);
    char line[200];
    idmap_lint_finding_text(&l.findings[1], line, sizeof line);
    CHECK(std::string(line) == "RES0 bits set: L2[0] va 0x8040000000, descriptor 0x40000060000ffd, bits 0x800");
    // With one root table, the second is not part of the tree; 3 tables are no root.
    t.root_tables = 1;
    REQUIRE(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_OK);
    CHECK(l.report.findings == 0);
    t.root_tables = 3;
    CHECK(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_ERR_INVALID_ARGUMENT);
    // Stage 1 has no concatenated root.
    t.root_tables = 2;
    t.regime = IDMAP_REGIME_EL2;
    CHECK(idmap_lint_raw(&t, 1, &o, l.findings, 8, &l.report) == IDMAP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("idmap_export_regions lists a stage-2 map's regions by IPA; the devicetree and UEFI exports refuse it",
          "[capi][stage2][export]") {
    idmap_stage2_config_t c = s2_config(40, 1);
    c.pa_offset = 0x10'0000'0000;  // guest IPA x is PA 64 GiB + x
    Map m = new_stage2(c);
    const uint64_t off = 0x10'0000'0000;
    const uint64_t uart = IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE | IDMAP_S2_XN;
    const uint64_t rom = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ;
    REQUIRE(map_range(m.get(), 0x09000000, 0x09001000, uart) == IDMAP_OK);
    REQUIRE(map_range(m.get(), k1G, 2 * k1G, kGuestRam) == IDMAP_OK);
    REQUIRE(map_range(m.get(), k512G + k1G, k512G + k1G + 3 * kPage, rom) == IDMAP_OK);  // second root table
    REQUIRE(idmap_export_regions(m.get(), nullptr, 0) == 3);
    idmap_export_region_t r[4];
    REQUIRE(idmap_export_regions(m.get(), r, 4) == 3);
    CHECK(r[0].va_start == 0x09000000);
    CHECK(r[0].va_end == 0x09001000);
    CHECK(r[0].pa_start == off + 0x09000000);
    CHECK(r[0].leaf_bits == ((off + 0x09000000) | uart | IDMAP_S2_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE));
    CHECK(r[0].level == 3);
    CHECK(r[0].memory_type == IDMAP_MEMORY_DEVICE);
    CHECK(r[0].flags == (IDMAP_EXPORT_VALID | IDMAP_EXPORT_ACCESSED | IDMAP_EXPORT_USER | IDMAP_EXPORT_EXECUTE_NEVER));
    CHECK(r[1].va_start == k1G);
    CHECK(r[1].va_end == 2 * k1G);
    CHECK(r[1].pa_start == off + k1G);
    CHECK(r[1].leaf_bits == ((off + k1G) | kGuestRam | IDMAP_S2_ACCESSED));
    CHECK(r[1].level == 1);
    CHECK(r[1].memory_type == IDMAP_MEMORY_NORMAL_WB);
    CHECK(r[1].attr_index == 0xf);
    CHECK(r[1].shareability == 3);
    CHECK(r[1].flags == (IDMAP_EXPORT_VALID | IDMAP_EXPORT_ACCESSED | IDMAP_EXPORT_USER | IDMAP_EXPORT_USER_EXECUTE));
    CHECK(r[2].va_start == k512G + k1G);
    CHECK(r[2].va_end == k512G + k1G + 3 * kPage);
    CHECK(r[2].pa_start == off + k512G + k1G);
    CHECK(r[2].flags == (IDMAP_EXPORT_VALID | IDMAP_EXPORT_ACCESSED | IDMAP_EXPORT_USER | IDMAP_EXPORT_READ_ONLY |
                         IDMAP_EXPORT_USER_EXECUTE));

    // The devicetree and the UEFI list describe stage-1 memory types: refused, with a reason.
    std::string text;
    CHECK(idmap_export_devicetree(m.get(), "vm", [](void* ctx, const char* s, size_t n) {
              static_cast<std::string*>(ctx)->append(s, n);
          }, &text) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(text.empty());
    const idmap_error_t* e = idmap_last_error(m.get());
    CHECK(e->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(reason(e) == IDMAP_ARG_NOT_STAGE1);
    CHECK(((e->value >> 16) & 0xffff) == IDMAP_REGIME_STAGE2);
    CHECK(error_text(e) ==
          "invalid argument: a stage-2 map's MemAttr is no stage-1 memory type (MAIR index): export its regions");
    REQUIRE(map_range(m.get(), k1G, k1G + kPage, kGuestRam | IDMAP_ATTR_NON_GLOBAL) == IDMAP_ERR_INVALID_FLAGS);
    idmap_efi_memory_descriptor_t efi[4];
    CHECK(idmap_export_efi(m.get(), efi, 4) == 0);
    CHECK(reason(idmap_last_error(m.get())) == IDMAP_ARG_NOT_STAGE1);
    // Nor is it a stage-1 MMU's map.
    idmap_mmu_config_t mmu;
    CHECK(idmap_mmu_config(m.get(), 0x1124, &mmu) == IDMAP_ERR_INVALID_ARGUMENT);
}
