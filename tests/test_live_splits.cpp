// Live block splits (FEAT_BBM level 1's nT sequence) through the C ABI on the host fake:
// refused where ID_AA64MMFR2_EL1.BBM is 0; on, a split of a live block by map_range,
// modify_range, unmap_range (and what tables_needed answers for it) is made rather than
// refused, at both stages, while every other change that needs break-before-make is still
// refused with the map exactly as it was. The order of the writes, barriers and TLBIs is
// test_arch_sequences.cpp's.
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

constexpr uint64_t kBbmLevel1 = uint64_t{1} << 52;  // ID_AA64MMFR2_EL1.BBM = 1
constexpr uint64_t kRO = kRW | IDMAP_ATTR_READ_ONLY | kNG;
constexpr uint64_t kBlock = k1G;  // the live 2 MiB block of each test

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

// A stage-1 map with one live 2 MiB block at 1 GiB; live splits on when asked.
Map live_block(bool splits) {
    fake::reset();
    fake::registers().id_aa64mmfr2_el1 = kBbmLevel1;
    Map m = new_map(1, 1);
    require_map(m.get(), kBlock, kBlock + k2M, kRW | kNG);
    REQUIRE(idmap_set_live_splits(m.get(), splits) == IDMAP_OK);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    return m;
}

// The leaves of the block's range: [kBlock, kBlock + k2M) by pages, each with the flags
// of pages from first to last (exclusive) changed to changed (0: unmapped), else kRW | kNG;
// every page mapping its own address (bit 16 of a page is an address bit: no nT left).
void check_pages(const idmap_t* m, uint64_t first, uint64_t last, uint64_t changed) {
    const std::vector<Leaf> got = walk(m, kBlock, kBlock + k2M);
    REQUIRE(got.size() == 512);
    for (const Leaf& l : got) {
        CAPTURE(l);
        const bool in = l.start >= first && l.start < last;
        CHECK(l.level == 3);
        CHECK(l.end == l.start + kPage);
        if (changed == 0 && in) {
            CHECK(l.bits == 0);
            continue;
        }
        CHECK(attrs(l) == leaf_flags(in ? changed : kRW | kNG, 3));
        const idmap_descriptor_t d{l.bits};
        CHECK(idmap_descriptor_output_address(&d) == l.start);
    }
}

}  // namespace

TEST_CASE("live splits are refused without FEAT_BBM, and change nothing", "[live_splits]") {
    fake::reset();  // Cortex-A57: ID_AA64MMFR2_EL1.BBM = 0
    Map m = new_map(1, 1);
    CHECK(!idmap_live_splits(m.get()));
    CHECK(idmap_set_live_splits(m.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_NO_BBM);
    CHECK(last_error_text(m.get()) ==
          "invalid argument: the CPU has no FEAT_BBM (ID_AA64MMFR2_EL1.BBM is 0), so a block has no nT bit: "
          "split live blocks with break-before-make (idmap_s2_map_range_bbm) or while inactive");
    CHECK(!idmap_live_splits(m.get()));
    CHECK(idmap_set_live_splits(m.get(), false) == IDMAP_OK);  // off needs no FEAT_BBM
    // Other ID_AA64MMFR2_EL1 fields (CnP, ST, ...) are no BBM; level 2 has nT as well.
    fake::registers().id_aa64mmfr2_el1 = ~(uint64_t{0xf} << 52);
    CHECK(idmap_set_live_splits(m.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    fake::registers().id_aa64mmfr2_el1 = uint64_t{2} << 52;
    CHECK(idmap_set_live_splits(m.get(), true) == IDMAP_OK);
    CHECK(idmap_live_splits(m.get()));
    CHECK(idmap_set_live_splits(nullptr, true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(!idmap_live_splits(nullptr));
}

TEST_CASE("live splits: map_range splits a live block only when they are on", "[live_splits]") {
    const uint64_t page = kBlock + 5 * kPage;
    const idmap_region_t r = idmap_region(page, page + kPage);
    size_t pages = 0;
    {
        Map m = live_block(false);
        const std::vector<Leaf> before = trace(m.get());
        CHECK(idmap_tables_needed(m.get(), &r, kRO, 0, &pages) == IDMAP_ERR_BREAK_BEFORE_MAKE);
        CHECK(map_range(m.get(), page, page + kPage, kRO) == IDMAP_ERR_BREAK_BEFORE_MAKE);
        CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_SPLIT);
        CHECK(trace(m.get()) == before);
    }
    Map m = live_block(true);
    const size_t tables = idmap_table_count(m.get());
    REQUIRE(idmap_tables_needed(m.get(), &r, kRO, 0, &pages) == IDMAP_OK);
    CHECK(pages == 1);
    REQUIRE(map_range(m.get(), page, page + kPage, kRO) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == tables + 1);
    check_pages(m.get(), page, page + kPage, kRO);
    CHECK(idmap_is_active(m.get()));
}

TEST_CASE("live splits: modify_range and unmap_range split a live block", "[live_splits]") {
    SECTION("modify_range makes part of it read-only") {
        Map m = live_block(true);
        const uint64_t first = kBlock + 16 * kPage;
        REQUIRE(modify(m.get(), first, first + 3 * kPage, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                    d.bits |= IDMAP_ATTR_READ_ONLY;
                    return 0;
                }) == IDMAP_OK);
        check_pages(m.get(), first, first + 3 * kPage, kRO);
    }
    SECTION("unmap_range takes pages out of it") {
        Map m = live_block(true);
        const idmap_region_t r = idmap_region(kBlock + k2M - 2 * kPage, kBlock + k2M);
        REQUIRE(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
        check_pages(m.get(), r.start, r.end, 0);
    }
}

TEST_CASE("live splits: a change that needs a break below the split is still refused", "[live_splits]") {
    Map m = live_block(true);
    const std::vector<Leaf> before = trace(m.get());
    const size_t tables = idmap_table_count(m.get());
    const uint64_t page = kBlock + 7 * kPage;
    // Device memory for one page: a memory type change, which nT does not make safe.
    CHECK(map_range(m.get(), page, page + kPage, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | kNG) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    const idmap_error_t* e = idmap_last_error(m.get());
    CHECK(e->value == IDMAP_BBM_MEMORY_TYPE);
    CHECK(e->region.start == page);  // the page below the split that would break
    CHECK(e->region.end == page + kPage);
    // Global: clearing nG.
    CHECK(map_range(m.get(), page, page + kPage, kRW) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_GLOBAL);
    CHECK(trace(m.get()) == before);
    CHECK(idmap_table_count(m.get()) == tables);
}

TEST_CASE("live splits: a block of a live contiguous group is not split", "[live_splits]") {
    fake::reset();
    fake::registers().id_aa64mmfr2_el1 = kBbmLevel1;
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
    require_map(m.get(), k1G, k1G + 16 * k2M, kRW | kNG);  // 16 blocks of 2 MiB: one group
    REQUIRE(idmap_set_live_splits(m.get(), true) == IDMAP_OK);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const std::vector<Leaf> before = trace(m.get());
    REQUIRE((walk(m.get(), k1G, k1G + k2M)[0].bits & kContiguous) != 0);
    CHECK(map_range(m.get(), k1G + k2M, k1G + k2M + kPage, kRO) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    CHECK(idmap_last_error(m.get())->value == IDMAP_BBM_CONTIGUOUS);
    CHECK(trace(m.get()) == before);
}

TEST_CASE("live splits at stage 2: a guest's block split while the VM runs", "[live_splits][stage2]") {
    fake::reset();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;  // M and C: no clean to PoC
    fake::registers().id_aa64mmfr2_el1 = kBbmLevel1;
    Map m = new_stage2(s2_config(40, 1));
    constexpr uint64_t ram = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE;
    constexpr uint64_t ro = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ;
    require_map(m.get(), k1G, k1G + k2M, ram);
    REQUIRE(idmap_s2_activate(m.get()) == IDMAP_OK);
    CHECK(map_range(m.get(), k1G, k1G + kPage, ro) == IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE(idmap_set_live_splits(m.get(), true) == IDMAP_OK);
    REQUIRE(map_range(m.get(), k1G, k1G + kPage, ro) == IDMAP_OK);
    const std::vector<Leaf> got = walk(m.get(), k1G, k1G + k2M);
    REQUIRE(got.size() == 512);
    CHECK(attrs(got[0]) == (ro | IDMAP_ATTR_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE));
    CHECK(attrs(got[1]) == (ram | IDMAP_ATTR_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE));
}
