// Host tests of the C ABI's output address per call: idmap_map_range_to,
// idmap_tables_needed_to and idmap_s2_map_range_bbm_to - a range mapped to a physical
// range of the caller's choosing, blocks only where input and output address are both
// aligned, and what reads the tables back (walks, export, lint, dump) seeing each leaf's
// own output address.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

constexpr uint64_t kOaMask = 0x0000fffffffff000;
constexpr uint64_t kDevice = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_XN | IDMAP_ATTR_VALID;

idmap_status_t map_to(idmap_t* m, uint64_t start, uint64_t end, uint64_t pa, uint64_t flags,
                      uint32_t constraints = 0) {
    const idmap_region_t r = idmap_region(start, end);
    return idmap_map_range_to(m, &r, pa, flags, constraints);
}

uint64_t output(const Leaf& l) { return l.bits & kOaMask; }

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

}  // namespace

TEST_CASE("idmap_map_range_to: blocks only where the input and the output address are aligned", "[capi][output]") {
    Map m = new_map(1, 1);
    // Both 1 GiB-aligned: one 1 GiB block.
    REQUIRE(map_to(m.get(), 4 * k1G, 5 * k1G, 7 * k1G, kRW) == IDMAP_OK);
    // The VA 1 GiB-aligned, the PA 2 MiB-aligned only: 2 MiB blocks.
    REQUIRE(map_to(m.get(), 5 * k1G, 6 * k1G, 9 * k1G + k2M, kRW) == IDMAP_OK);
    // The PA 4 KiB-aligned only: pages.
    REQUIRE(map_to(m.get(), 6 * k1G, 6 * k1G + k2M, 3 * k1G + kPage, kRW) == IDMAP_OK);
    const std::vector<Leaf> leaves = walk(m.get(), 4 * k1G, 6 * k1G + k2M);
    REQUIRE(leaves.size() == 1 + 512 + 512);
    CHECK(leaves[0].level == 1);
    CHECK(output(leaves[0]) == 7 * k1G);
    for (size_t i = 1; i < leaves.size(); ++i) {
        const Leaf& l = leaves[i];
        CAPTURE(l);
        CHECK(attrs(l) == leaf_flags(kRW, l.level));
        if (l.start < 6 * k1G) {
            CHECK(l.level == 2);
            CHECK(output(l) == 9 * k1G + k2M + (l.start - 5 * k1G));
        } else {
            CHECK(l.level == 3);
            CHECK(output(l) == 3 * k1G + kPage + (l.start - 6 * k1G));
        }
    }
    // Root, the 2 MiB blocks' table, and the pages' two tables.
    CHECK(idmap_table_count(m.get()) == 4);
}

TEST_CASE("idmap_tables_needed_to counts what idmap_map_range_to then takes", "[capi][output]") {
    Map m = new_map(1, 1);
    const idmap_region_t r = idmap_region(k1G, 2 * k1G);
    size_t aligned = 0;
    size_t pages_only = 0;
    REQUIRE(idmap_tables_needed_to(m.get(), &r, 2 * k1G, kRW, 0, &aligned) == IDMAP_OK);
    REQUIRE(idmap_tables_needed_to(m.get(), &r, 2 * k1G + kPage, kRW, 0, &pages_only) == IDMAP_OK);
    CHECK(aligned == 0);          // one 1 GiB block in the root
    CHECK(pages_only == 1 + 512); // a level-2 table and 512 of pages
    REQUIRE(idmap_map_range_to(m.get(), &r, 2 * k1G + kPage, kRW, 0) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 1 + pages_only);
    // The map's own output address: idmap_tables_needed.
    size_t own = 0;
    REQUIRE(idmap_tables_needed(m.get(), &r, kRW, 0, &own) == IDMAP_OK);
    size_t own_to = 1;
    REQUIRE(idmap_tables_needed_to(m.get(), &r, k1G, kRW, 0, &own_to) == IDMAP_OK);
    CHECK(own == own_to);
    CHECK(idmap_tables_needed_to(m.get(), &r, k1G, kRW, 0, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("idmap_map_range_to refuses an output address it cannot map, changing nothing", "[capi][output]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW);
    const std::vector<Leaf> before = trace(m.get());
    SECTION("another offset in the page than the region's start") {
        CHECK(map_to(m.get(), k1G + 0x800, k1G + kPage, 3 * k1G + 0x800, kRW) == IDMAP_ERR_INVALID_ARGUMENT);
        const idmap_error_t* e = idmap_last_error(m.get());
        CHECK(e->value == (IDMAP_ARG_PA_PAGE_OFFSET | uint64_t{4} << 16));
        CHECK(e->va == 3 * k1G + 0x800);
        CHECK(e->region.start == k1G);
        CHECK(last_error_text(m.get()) ==
              "invalid argument: output address 0xc0000800 is not at the offset of the region's start 0x40000000 in "
              "a 4 KiB page: a page maps whole to a page");
    }
    SECTION("output addresses beyond 48 bits") {
        CHECK(map_to(m.get(), k1G, 2 * k1G, (uint64_t{1} << 48) - k2M, kRW) == IDMAP_ERR_ADDRESS_RANGE);
        CHECK(idmap_last_error(m.get())->va == k1G);
        CHECK(last_error_text(m.get()) ==
              "address out of range: the output addresses from 0x40000000 on would be beyond what a descriptor "
              "holds (48 bits)");
        CHECK(map_to(m.get(), k1G, 2 * k1G, uint64_t{1} << 48, kRW) == IDMAP_ERR_ADDRESS_RANGE);
        // Up to the last page is fine.
        CHECK(map_to(m.get(), k1G, k1G + k2M, (uint64_t{1} << 48) - k2M, kRW) == IDMAP_OK);
        return;
    }
    SECTION("NULL") {
        CHECK(idmap_map_range_to(nullptr, nullptr, 0, kRW, 0) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(idmap_map_range_to(m.get(), nullptr, 0, kRW, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    }
    CHECK(trace(m.get()) == before);
}

TEST_CASE("idmap_map_range_to on an active map: a live output address changes only through a break",
          "[capi][output][bbm]") {
    fake::reset();
    Map m = new_map(1, 1);
    REQUIRE(map_to(m.get(), 8 * k1G, 8 * k1G + k2M, k1G, kDevice) == IDMAP_OK);  // a device window
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    // Again to the same output address: no change, no break.
    CHECK(map_to(m.get(), 8 * k1G + kPage, 8 * k1G + 2 * kPage, k1G + kPage, kDevice) == IDMAP_OK);
    CHECK(walk(m.get(), 8 * k1G, 8 * k1G + k2M).size() == 1);
    // Elsewhere: the live block would change its output address.
    const std::vector<Leaf> before = trace(m.get());
    CHECK(map_to(m.get(), 8 * k1G, 8 * k1G + k2M, 2 * k1G, kDevice) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_OUTPUT_ADDRESS);
    CHECK(trace(m.get()) == before);
    // Unmapped first, then mapped elsewhere: allowed, and the old translation invalidated.
    const idmap_region_t r = idmap_region(8 * k1G, 8 * k1G + k2M);
    REQUIRE(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
    const unsigned tlbis = fake::counters().tlbi_va;
    REQUIRE(map_to(m.get(), 8 * k1G, 8 * k1G + k2M, 2 * k1G, kDevice) == IDMAP_OK);
    CHECK(fake::counters().tlbi_va == tlbis);  // an empty entry made valid holds nothing stale
    CHECK(output(walk(m.get(), 8 * k1G, 8 * k1G + k2M).at(0)) == 2 * k1G);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("idmap_modify_range may not make valid an entry at another output address than the map's own",
          "[capi][output]") {
    Map m = new_map(1, 1);
    REQUIRE(map_to(m.get(), k1G, k1G + kPage, 5 * k1G, kRW) == IDMAP_OK);
    REQUIRE(modify(m.get(), k1G, k1G + kPage, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                return idmap_descriptor_modify_flags(&d, 0, IDMAP_ATTR_VALID) == IDMAP_OK ? 0 : 1;
            }) == IDMAP_OK);
    CHECK(modify(m.get(), k1G, k1G + kPage, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
              return idmap_descriptor_modify_flags(&d, IDMAP_ATTR_VALID, 0) == IDMAP_OK ? 0 : 1;
          }) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_VALID);
    // idmap_map_range_to maps it again.
    CHECK(map_to(m.get(), k1G, k1G + kPage, 5 * k1G, kRW) == IDMAP_OK);
    CHECK(output(walk(m.get(), k1G, k1G + kPage).at(0)) == 5 * k1G);
}

TEST_CASE("walk_runs, export, lint and dump read each leaf's output address", "[capi][output]") {
    Map m = new_map(1, 1);
    const uint64_t code = k1G;
    const uint64_t alias = 16 * k1G;
    REQUIRE(map_to(m.get(), code, code + 4 * kPage, code, kRW | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);  // RX
    // A writable alias of the code's second page: the W^X lint's finding.
    REQUIRE(map_to(m.get(), alias, alias + kPage, code + kPage, kRW | IDMAP_ATTR_XN) == IDMAP_OK);

    std::vector<idmap_export_region_t> regions(idmap_export_regions(m.get(), nullptr, 0));
    REQUIRE(idmap_export_regions(m.get(), regions.data(), regions.size()) == regions.size());
    bool exported = false;
    for (const idmap_export_region_t& r : regions) {
        exported = exported || (r.va_start == alias && r.va_end == alias + kPage && r.pa_start == code + kPage);
    }
    CHECK(exported);

    std::vector<uint64_t> scratch(1 << 14);
    idmap_lint_options_t options{0, 0, scratch.data(), scratch.size()};
    idmap_lint_finding_t findings[4];
    idmap_lint_report_t report{};
    REQUIRE(idmap_lint(m.get(), &options, findings, 4, &report) == IDMAP_OK);
    REQUIRE(report.findings == 1);
    CHECK(findings[0].kind == IDMAP_LINT_WX_ALIAS);
    CHECK(findings[0].va == alias);
    CHECK(findings[0].other_va == code + kPage);
    CHECK(findings[0].pa == code + kPage);

    std::string dump;
    idmap_dump(m.get(), [](void* ctx, const char* s, size_t n) { static_cast<std::string*>(ctx)->append(s, n); },
               &dump);
    CHECK(dump.find("-> 0x40001000") != std::string::npos);
}

TEST_CASE("idmap_s2_map_range_bbm_to moves a live guest page to another frame", "[capi][output][stage2]") {
    fake::reset();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;  // M and C: no clean to PoC
    Map m = new_stage2(s2_config(40, 1, 3));
    const uint64_t ram = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE;
    // Guest RAM at IPA 1 GiB, in host frames 64 GiB up.
    const idmap_region_t guest = idmap_region(k1G, k1G + k2M);
    REQUIRE(idmap_map_range_to(m.get(), &guest, 64 * k1G, ram, 0) == IDMAP_OK);
    REQUIRE(idmap_s2_activate(m.get()) == IDMAP_OK);
    const idmap_region_t page = idmap_region(k1G + kPage, k1G + 2 * kPage);
    CHECK(idmap_map_range_to(m.get(), &page, 80 * k1G, ram, 0) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_SPLIT);
    const unsigned ipa_tlbis = fake::counters().tlbi_va;
    REQUIRE(idmap_s2_map_range_bbm_to(m.get(), &page, 80 * k1G, ram, 0) == IDMAP_OK);
    CHECK(fake::counters().tlbi_va > ipa_tlbis);
    const std::vector<Leaf> leaves = walk(m.get(), k1G, k1G + 3 * kPage);
    REQUIRE(leaves.size() == 3);
    CHECK(output(leaves[0]) == 64 * k1G);
    CHECK(output(leaves[1]) == 80 * k1G);
    CHECK(output(leaves[2]) == 64 * k1G + 2 * kPage);
    // And back, page by page: a live page's output address changes through a break.
    CHECK(idmap_map_range_to(m.get(), &page, 64 * k1G + kPage, ram, 0) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_OUTPUT_ADDRESS);
    REQUIRE(idmap_s2_map_range_bbm_to(m.get(), &page, 64 * k1G + kPage, ram, 0) == IDMAP_OK);
    CHECK(output(walk(m.get(), k1G + kPage, k1G + 2 * kPage).at(0)) == 64 * k1G + kPage);
    CHECK(idmap_s2_map_range_bbm_to(nullptr, &page, 0, ram, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_s2_map_range_bbm_to(m.get(), nullptr, 0, ram, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}
