// Range TLB invalidation (FEAT_TLBIRANGE) on the host fake: the operands that cover a
// count of pages exactly, and what a live change past TlbBatch::MAX entries issues -
// TLBI R*IS over the changed range where ID_AA64ISAR0_EL1.TLB says the CPU has them, the
// whole regime where it does not or the range is too large.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/arch.hpp"
#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

// What one TLBI covers: from the first page's address (VA[48:12], sign-extended from bit
// 48 as the operand holds it), pages of 2^shift bytes.
struct Span {
    uint64_t start, pages;
    bool operator==(const Span& o) const { return start == o.start && pages == o.pages; }
};

uint64_t sign_extend_48(uint64_t va) { return (va & (uint64_t{1} << 48)) != 0 ? va | ~((uint64_t{1} << 49) - 1) : va; }

// A range operand decoded (Arm ARM D8.14: TG 47:46, SCALE 45:44, NUM 43:39, BaseADDR 36:0).
Span decode_range(uint64_t operand, unsigned shift) {
    const uint64_t tg = (operand >> 46) & 3;
    CHECK(tg == (shift - 10) / 2);
    CHECK(((operand >> 37) & 3) == 0);  // TTL: any level
    const uint64_t scale = (operand >> 44) & 3;
    const uint64_t num = (operand >> 39) & 31;
    return {sign_extend_48((operand & ((uint64_t{1} << 37) - 1)) << shift), (num + 1) << (5 * scale + 1)};
}
Span decode_page(uint64_t operand) { return {sign_extend_48((operand & ((uint64_t{1} << 44) - 1)) << 12), 1}; }

// for_each_range's TLBIs for pages from address, each as the span it covers.
std::vector<Span> spans(uint64_t address, uint64_t pages, unsigned shift, uint64_t tag = 0) {
    std::vector<Span> out;
    aarch64_paging::arch::for_each_range(tag, address, pages, shift, [&](uint64_t operand, bool range) {
        CHECK((operand >> 48) == (tag >> 48));
        out.push_back(range ? decode_range(operand, shift) : decode_page(operand));
    });
    return out;
}

// The fake's log since reset.
std::vector<fake::Tlbi> logged() {
    const fake::Counters& c = fake::counters();
    REQUIRE(c.log_count <= fake::Counters::LOG_SIZE);
    return std::vector<fake::Tlbi>(c.log, c.log + c.log_count);
}

bool is_range(const fake::Tlbi& t) { return t.kind >= fake::Tlbi::Range; }

// The pages the log's range and VA TLBIs cover, in order, merged where they follow on.
std::vector<Span> covered(const std::vector<fake::Tlbi>& log) {
    std::vector<Span> out;
    for (const fake::Tlbi& t : log) {
        if (t.kind == fake::Tlbi::Regime || t.kind == fake::Tlbi::Asid) {
            continue;
        }
        const Span s = is_range(t) ? decode_range(t.operand, 12) : decode_page(t.operand);
        if (!out.empty() && out.back().start + out.back().pages * kPage == s.start) {
            out.back().pages += s.pages;
        } else {
            out.push_back(s);
        }
    }
    return out;
}

void cpu_with_tlbi_range() {
    fake::reset();
    fake::registers().id_aa64isar0_el1 = uint64_t{2} << 56;  // TLB = 0b0010
}

}  // namespace

TEST_CASE("arch::for_each_range covers exactly the pages asked, in at most five TLBIs", "[tlb][range]") {
    for (unsigned shift : {12u, 14u, 16u}) {
        const uint64_t page = uint64_t{1} << shift;
        std::vector<uint64_t> counts;
        for (uint64_t n = 1; n <= 2100; ++n) {
            counts.push_back(n);
        }
        for (uint64_t n : {uint64_t{1} << 20, (uint64_t{1} << 20) + 1, aarch64_paging::arch::MAX_RANGE_PAGES - 1,
                           aarch64_paging::arch::MAX_RANGE_PAGES, uint64_t{0x155555}, uint64_t{0x1aaaaa}}) {
            counts.push_back(n);
        }
        for (uint64_t n : counts) {
            CAPTURE(shift, n);
            const uint64_t base = 0x40000000 + 7 * page;
            const std::vector<Span> s = spans(base, n, shift);
            REQUIRE(!s.empty());
            CHECK(s.size() <= 5);
            uint64_t at = base;
            uint64_t total = 0;
            for (const Span& one : s) {
                CHECK(one.start == at);
                at += one.pages * page;
                total += one.pages;
            }
            CHECK(total == n);
        }
    }
    // The upper range: BaseADDR holds VA[48:12], the rest the sign of bit 48.
    const uint64_t top = 0xffffff8000000000;
    CHECK(spans(top, 2, 12) == std::vector<Span>{{top, 2}});
    CHECK(spans(top, 3, 12, uint64_t{5} << 48) == (std::vector<Span>{{top, 1}, {top + kPage, 2}}));
}

TEST_CASE("a live change past 16 entries: range TLBIs over the changed pages where the CPU has them",
          "[tlb][range]") {
    cpu_with_tlbi_range();
    Map m = new_map(5, 1);
    require_map(m.get(), k1G, k1G + k2M, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    fake::reset();
    cpu_with_tlbi_range();
    // 100 pages made read-only: past MAX, by range, last level, ASID 5.
    const idmap_region_t r = idmap_region(k1G + 3 * kPage, k1G + 103 * kPage);
    REQUIRE(idmap_change_attributes(m.get(), &r, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    std::vector<fake::Tlbi> log = logged();
    CHECK(fake::counters().tlbi_regime == 0);
    CHECK(fake::counters().tlbi_range > 0);
    for (const fake::Tlbi& t : log) {
        CHECK((t.kind == fake::Tlbi::RangeLastLevel || t.kind == fake::Tlbi::VaLastLevel));
        CHECK((t.operand >> 48) == 5);
    }
    CHECK(covered(log) == std::vector<Span>{{k1G + 3 * kPage, 100}});
    // Unmapping the whole table frees it: the walk cache too (not last level).
    fake::reset();
    cpu_with_tlbi_range();
    const idmap_region_t all = idmap_region(k1G, k1G + k2M);
    REQUIRE(idmap_unmap_range(m.get(), &all) == IDMAP_OK);
    log = logged();
    REQUIRE(!log.empty());
    for (const fake::Tlbi& t : log) {
        CHECK((t.kind == fake::Tlbi::Range || t.kind == fake::Tlbi::Va));
    }
    CHECK(covered(log) == std::vector<Span>{{k1G, 512}});
    CHECK(fake::counters().tlbi_regime == 0);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("a live change past 16 entries: the whole regime without FEAT_TLBIRANGE or past 2^21 pages",
          "[tlb][range]") {
    fake::reset();  // Cortex-A57: no range TLBIs
    Map m = new_map(5, 0);
    require_map(m.get(), k1G, k1G + k2M, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    require_map(m.get(), 4 * k1G, 24 * k1G, kRW | kNG);  // 20 1 GiB blocks
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    fake::reset();
    const idmap_region_t pages = idmap_region(k1G, k1G + 100 * kPage);
    REQUIRE(idmap_change_attributes(m.get(), &pages, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    CHECK(fake::counters().tlbi_regime == 1);
    CHECK(fake::counters().tlbi_range == 0);
    // With range TLBIs, 20 GiB of blocks is 5 Mi pages: past 2^21, the whole regime.
    cpu_with_tlbi_range();
    const idmap_region_t blocks = idmap_region(4 * k1G, 24 * k1G);
    REQUIRE(idmap_change_attributes(m.get(), &blocks, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    CHECK(fake::counters().tlbi_regime == 1);
    CHECK(fake::counters().tlbi_range == 0);
    // 17 of them, 4 Gi... still past; 16 is no range at all (by VA).
    fake::reset();
    cpu_with_tlbi_range();
    const idmap_region_t sixteen = idmap_region(4 * k1G, 20 * k1G);
    REQUIRE(idmap_change_attributes(m.get(), &sixteen, 0, IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    CHECK(fake::counters().tlbi_va == 16);
    CHECK(fake::counters().tlbi_range == 0);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("range TLBIs in the upper range of EL1&0 (every ASID) and at stage 2", "[tlb][range][stage2]") {
    cpu_with_tlbi_range();
    idmap_config_t c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 3, 1, -static_cast<int64_t>(0xffffff8000000000));
    Map kernel = new_map(c);
    const uint64_t base = 0xffffff8040000000;
    require_map(kernel.get(), base, base + k2M, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(kernel.get()) == IDMAP_OK);
    fake::reset();
    cpu_with_tlbi_range();
    const idmap_region_t r = idmap_region(base, base + 40 * kPage);
    REQUIRE(idmap_change_attributes(kernel.get(), &r, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    std::vector<fake::Tlbi> log = logged();
    for (const fake::Tlbi& t : log) {
        CHECK(t.kind == fake::Tlbi::RangeLastLevelAllAsids);
    }
    CHECK(covered(log) == std::vector<Span>{{base, 40}});
    REQUIRE(idmap_deactivate(kernel.get()) == IDMAP_OK);

    // Stage 2: RIPAS2LE1IS over the IPAs, then VMALLE1IS for the combined entries.
    cpu_with_tlbi_range();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;
    Map vm = new_stage2(s2_config(40, 1, 2));
    const uint64_t ram = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE;
    require_map(vm.get(), k1G, k1G + k2M, ram, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_s2_activate(vm.get()) == IDMAP_OK);
    fake::reset();
    cpu_with_tlbi_range();
    fake::registers().current_el = 2;
    const idmap_region_t guest = idmap_region(k1G + 8 * kPage, k1G + 58 * kPage);
    REQUIRE(idmap_change_attributes(vm.get(), &guest, 0, IDMAP_S2_WRITE) == IDMAP_OK);
    log = logged();
    REQUIRE(log.size() >= 2);
    CHECK(log.back().kind == fake::Tlbi::Regime);
    CHECK(log.back().regime == aarch64_paging::TranslationRegime::El1And0);
    log.pop_back();
    for (const fake::Tlbi& t : log) {
        CHECK(t.regime == aarch64_paging::TranslationRegime::Stage2);
        CHECK((t.kind == fake::Tlbi::RangeLastLevel || t.kind == fake::Tlbi::VaLastLevel));
    }
    CHECK(covered(log) == std::vector<Span>{{k1G + 8 * kPage, 50}});
    REQUIRE(idmap_deactivate(vm.get()) == IDMAP_OK);
}
