// The C ABI's regimes, VA ranges and several cores (include/idmap.h, "Addition:
// translation regimes, the upper VA range, linear maps, several cores"):
// idmap_new_with_config, idmap_regime, idmap_va_range, idmap_va_start,
// idmap_activate_on_core, idmap_deactivate_on_core, idmap_active_cores,
// idmap_mmu_config_split, idmap_enable_mmu_split; what they do shows in the host fake.
//
// Tests tagged [regression] were written against 0e2d847, where they failed (the last one
// read freed memory, seen under the sanitizers): the comment above each says what the
// defect was. All are fixed since (c85c923 and its neighbours).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <cstring>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

// Stores any int in an enum field, as C may (a C++ cast to an enum without that value is
// not allowed).
template <class Enum>
void store_int(Enum& field, int value) {
    static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized");
    std::memcpy(&field, &value, sizeof value);
}

// TCR (Arm ARM D19.2 TCR_EL1): T0SZ 5:0, IRGN0/ORGN0/SH0 = 0x3500 (write-back RA/WA, inner
// shareable), EPD1 bit 23, T1SZ 21:16, IRGN1/ORGN1/SH1 = 0x3500'0000, TG1 0b10 (4 KiB) at
// 31:30, IPS 34:32, AS bit 36.
constexpr uint64_t kTcrWalks0 = 0x3500;
constexpr uint64_t kTcrWalks1 = 0x3500'0000;
constexpr uint64_t kTcrEpd1 = uint64_t{1} << 23;
constexpr uint64_t kTcrTg1_4K = uint64_t{2} << 30;
constexpr uint64_t kTcrAs = uint64_t{1} << 36;

// The fake CPU at EL2 (HCR_EL2.E2H = e2h), as idmap_enable_mmu() of an EL2 or EL2&0 map
// needs.
void run_at_el2(bool e2h) {
    fake::registers().current_el = 2;
    fake::registers().hcr_el2 = e2h ? uint64_t{1} << 34 : 0;
}

constexpr uint64_t kSentinel0 = 0x0006'0000'0ab0'0000;  // TTBR0 before any map
constexpr uint64_t kSentinel1 = 0x0006'0000'0cd0'0000;  // TTBR1 before any map

}  // namespace

TEST_CASE("idmap_new_with_config: NULL, and a zeroed config is idmap_new's map", "[capi][regime]") {
    CHECK(idmap_new_with_config(nullptr) == nullptr);
    idmap_config_t c;
    std::memset(&c, 0, sizeof c);
    c.root_level = 1;
    Map m = new_map(c);
    CHECK(idmap_regime(m.get()) == IDMAP_REGIME_EL1_0);
    CHECK(idmap_va_range(m.get()) == IDMAP_VA_RANGE_LOWER);
    CHECK(idmap_va_start(m.get()) == 0);
    CHECK(idmap_size(m.get()) == k512G);
    CHECK(idmap_table_count(m.get()) == 1);
    // An identity map: [1 GiB, 2 GiB) is one block mapping 1 GiB.
    require_map(m.get(), k1G, 2 * k1G, kRW);
    CHECK(walk(m.get(), k1G, 2 * k1G) ==
          std::vector<Leaf>{{k1G, 2 * k1G, k1G | kRW | IDMAP_ATTR_ACCESSED, 1}});
}

TEST_CASE("idmap_new_with_config refuses bad regimes, ranges, ASIDs, root levels and allocators",
          "[capi][regime]") {
    idmap_config_t c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1);
    for (const int bad : {4, 5, 255, -1, -256}) {
        CAPTURE(bad);
        idmap_config_t b = c;
        store_int(b.regime, bad);
        CHECK(idmap_new_with_config(&b) == nullptr);
    }
    for (const int bad : {2, -1, 1000}) {
        CAPTURE(bad);
        idmap_config_t b = c;
        store_int(b.va_range, bad);
        CHECK(idmap_new_with_config(&b) == nullptr);
    }
    struct Case {
        idmap_regime_t regime;
        idmap_va_range_t range;
        uint64_t asid;
        unsigned root_level;
        bool ok;
    };
    const Case cases[] = {
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0xffff, 1, true},
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x10000, 1, false},
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0xffff, 0, true},
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 4, false},
        {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 0x8000, 3, true},
        {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_LOWER, uint64_t{1} << 32, 1, false},
        {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 0, true},
        {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 1, 1, false},  // no ASIDs in EL2
        {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_UPPER, 0, 1, false},  // nor a TTBR1
        {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 0, 2, true},
        {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 0xff, 2, false},
        {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_UPPER, 0, 2, false},
        {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 0, 7, false},
    };
    for (const Case& k : cases) {
        CAPTURE(k.regime, k.range, k.asid, k.root_level);
        const idmap_config_t b = config(k.regime, k.range, k.asid, k.root_level);
        idmap_t* m = idmap_new_with_config(&b);
        CHECK((m != nullptr) == k.ok);
        idmap_free(m);
    }
    // An incomplete allocator; a complete one is used for every table page.
    PagePool pool;
    idmap_allocator_t half = pool.allocator();
    half.free_page = nullptr;
    c.allocator = &half;
    CHECK(idmap_new_with_config(&c) == nullptr);
    const idmap_allocator_t full = pool.allocator();
    c.allocator = &full;
    {
        Map m = new_map(c);
        CHECK(pool.allocs == 1);
        require_map(m.get(), 0, kPage, kRW);
        CHECK(pool.outstanding() == 3);
    }
    CHECK(pool.outstanding() == 0);
    CHECK(pool.bad_frees == 0);
}

// An offset of part of a page would leave every output address unaligned: refused when the
// map is made, rather than by every idmap_map_range() after.
TEST_CASE("idmap_new_with_config refuses a pa_offset that is not whole pages", "[capi][regime]") {
    for (const int64_t bad : {int64_t{0x800}, -int64_t{0x800}, static_cast<int64_t>(k1G + 8)}) {
        CAPTURE(bad);
        const idmap_config_t c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 1, bad);
        idmap_t* m = idmap_new_with_config(&c);
        CHECK(m == nullptr);
        idmap_free(m);
        const idmap_error_t* e = idmap_new_error();
        CHECK(e->status == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(e->value == (IDMAP_ARG_PA_OFFSET_ALIGNMENT | uint64_t{4} << 16));  // 4 KiB pages
        CHECK(e->va == static_cast<uint64_t>(bad));
    }
    for (const int64_t good : {static_cast<int64_t>(kPage), -static_cast<int64_t>(kPage)}) {
        CAPTURE(good);
        Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 1, good));
        require_map(m.get(), k1G, k1G + kPage, kRW);
    }
}

// Regression (0e2d847): idmap_new_with_config() read the regime as an int, refused a
// negative one, and converted the rest to the core's 8-bit TranslationRegime, which keeps
// the low byte: 256 (0x100) made an EL1&0 map, 257 an EL2 map, 0x100003 an EL3 map, where
// the contract says NULL for a bad regime.
TEST_CASE("idmap_new_with_config refuses regime values whose low byte is a regime", "[capi][regime][regression]") {
    for (const int bad : {0x100, 0x101, 0x100003, 1 << 20}) {
        CAPTURE(bad);
        idmap_config_t c = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0);
        store_int(c.regime, bad);
        idmap_t* m = idmap_new_with_config(&c);
        CHECK(m == nullptr);
        idmap_free(m);
    }
}

TEST_CASE("idmap_regime, idmap_va_range and idmap_va_start say what the map was built for", "[capi][regime]") {
    CHECK(idmap_regime(nullptr) == IDMAP_REGIME_EL1_0);
    CHECK(idmap_va_range(nullptr) == IDMAP_VA_RANGE_LOWER);
    CHECK(idmap_va_start(nullptr) == 0);
    struct Case {
        idmap_regime_t regime;
        idmap_va_range_t range;
        unsigned root_level;
        uint64_t va_start;  // 2^64 - 4 KiB << 9 * (4 - root level) in the upper range
        uint64_t size;
    };
    const Case cases[] = {
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 0, k512G},
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0, 0xffff'0000'0000'0000, uint64_t{1} << 48},
        {IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 0xffff'ff80'0000'0000, k512G},
        {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 2, 0xffff'ffff'c000'0000, k1G},
        {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 3, 0xffff'ffff'ffe0'0000, k2M},
        {IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_LOWER, 2, 0, k1G},
        {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 0, uint64_t{1} << 48},
        {IDMAP_REGIME_EL3, IDMAP_VA_RANGE_LOWER, 3, 0, k2M},
    };
    for (const Case& k : cases) {
        CAPTURE(k.regime, k.range, k.root_level);
        const bool asids = k.regime == IDMAP_REGIME_EL1_0 || k.regime == IDMAP_REGIME_EL2_0;
        Map m = new_map(config(k.regime, k.range, asids ? 2 : 0, k.root_level));
        CHECK(idmap_regime(m.get()) == k.regime);
        CHECK(idmap_va_range(m.get()) == k.range);
        CHECK(idmap_va_start(m.get()) == k.va_start);
        CHECK(idmap_size(m.get()) == k.size);
        CHECK(k.va_start + k.size == (k.range == IDMAP_VA_RANGE_UPPER ? 0 : k.size));
    }
}

TEST_CASE("C ABI, upper range: regions up to the top (end 0) and callbacks in real addresses", "[capi][regime]") {
    // EL1&0 TTBR1, root level 2: [2^64 - 1 GiB, 2^64) maps [0, 1 GiB).
    const uint64_t start = 0 - k1G;
    Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 3, 2, static_cast<int64_t>(k1G)));
    idmap_region_t r{0 - k2M - kPage, 0};  // a page and the top 2 MiB block
    REQUIRE(idmap_map_range(m.get(), &r, kRW) == IDMAP_OK);
    const std::vector<Leaf> want = {
        {0 - k2M - kPage, 0 - k2M, (k1G - k2M - kPage) | kRW | IDMAP_ATTR_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE, 3},
        {0 - k2M, 0, (k1G - k2M) | kRW | IDMAP_ATTR_ACCESSED, 2},
    };
    std::vector<Leaf> got;
    idmap_region_t all{start, 0};
    REQUIRE(idmap_walk_range(m.get(), &all,
                             [](const idmap_region_t* at, const idmap_descriptor_t* d, unsigned level, void* ctx) {
                                 if (d->bits != 0) {
                                     static_cast<std::vector<Leaf>*>(ctx)->push_back({at->start, at->end, d->bits, level});
                                 }
                                 return 0;
                             },
                             &got) == IDMAP_OK);
    CHECK(got == want);
    // modify sees the same regions; unmap to the top empties the map again.
    std::vector<Leaf> seen;
    REQUIRE(modify(m.get(), 0 - k2M - kPage, 0, [&](const idmap_region_t& at, idmap_descriptor_t& d, unsigned level) {
                seen.push_back({at.start, at.end, d.bits, level});
                return 0;
            }) == IDMAP_OK);
    CHECK(seen == want);
    // Outside the range: the start when it lies below, the first address outside.
    r = idmap_region_t{kPage, 2 * kPage};
    CHECK(idmap_map_range(m.get(), &r, kRW) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(m.get())->va == kPage);
    r = idmap_region_t{start - kPage, start + kPage};
    CHECK(idmap_unmap_range(m.get(), &r) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(m.get())->va == start - kPage);
    r = idmap_region_t{start, 0};
    REQUIRE(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
    CHECK(idmap_table_count(m.get()) == 1);
}

TEST_CASE("idmap_activate_on_core and idmap_deactivate_on_core count the cores", "[capi][regime][activation]") {
    fake::reset();
    fake::registers().ttbr1_el1 = kSentinel1;
    // Root level 1: [2^64 - 512 GiB, 2^64) maps [0, 512 GiB).
    Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0x77, 1, static_cast<int64_t>(k512G)));
    const uint64_t ttbr = idmap_root_address(m.get()) | (uint64_t{0x77} << 48);
    uint64_t prev[3] = {};
    CHECK(idmap_activate_on_core(nullptr, &prev[0]) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_activate_on_core(m.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_active_cores(m.get()) == 0);
    CHECK(fake::registers().ttbr1_el1 == kSentinel1);
    CHECK(idmap_deactivate_on_core(nullptr, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_deactivate_on_core(m.get(), 0) == IDMAP_ERR_NOT_ACTIVE);
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_NOT_ACTIVE);
    CHECK(idmap_active_cores(nullptr) == 0);

    for (unsigned core = 0; core < 3; ++core) {
        REQUIRE(idmap_activate_on_core(m.get(), &prev[core]) == IDMAP_OK);
        CHECK(idmap_active_cores(m.get()) == core + 1);
        CHECK(idmap_is_active(m.get()));
        CHECK(fake::registers().ttbr1_el1 == ttbr);  // TTBR1_EL1: the upper range
    }
    CHECK(prev[0] == kSentinel1);
    CHECK(prev[1] == ttbr);  // the fake has one core's registers
    // idmap_activate counts one more; its idmap_deactivate undoes it alone.
    CHECK(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(idmap_active_cores(m.get()) == 4);
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_active_cores(m.get()) == 3);
    // Live: a change of memory type needs break-before-make.
    require_map(m.get(), 0 - k2M, 0, kRW);  // creating entries is allowed
    CHECK(map_range(m.get(), 0 - k2M, 0, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) == IDMAP_ERR_BREAK_BEFORE_MAKE);

    fake::reset();
    for (unsigned core = 3; core-- > 0;) {
        REQUIRE(idmap_deactivate_on_core(m.get(), prev[core]) == IDMAP_OK);
        CHECK(idmap_active_cores(m.get()) == core);
        CHECK(fake::registers().ttbr1_el1 == prev[core]);
    }
    CHECK_FALSE(idmap_is_active(m.get()));
    // Each core invalidated the whole regime (VMALLE1IS): TTBR0's ASID, whichever it was,
    // tagged the upper range's entries, so TLBI ASIDE1IS with 0x77 could miss them.
    REQUIRE(fake::counters().log_count == 3);
    for (unsigned i = 0; i < 3; ++i) {
        CHECK(fake::counters().log[i].kind == fake::Tlbi::Regime);
        CHECK(fake::counters().log[i].operand == 0);
    }
    CHECK(fake::counters().dsb_ish == 3);
    CHECK(idmap_deactivate_on_core(m.get(), 0) == IDMAP_ERR_NOT_ACTIVE);
    CHECK(idmap_active_cores(m.get()) == 0);
    // Inactive now: the change goes through.
    CHECK(map_range(m.get(), 0 - k2M, 0, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) == IDMAP_OK);
    fake::reset();
}

TEST_CASE("idmap_activate_on_core and idmap_deactivate_on_core in EL2 and EL3 invalidate the whole regime",
          "[capi][regime][activation]") {
    for (const idmap_regime_t regime : {IDMAP_REGIME_EL2, IDMAP_REGIME_EL3}) {
        CAPTURE(regime);
        fake::reset();
        uint64_t& ttbr_reg = regime == IDMAP_REGIME_EL2 ? fake::registers().ttbr0_el2 : fake::registers().ttbr0_el3;
        ttbr_reg = kSentinel0;
        Map m = new_map(config(regime, IDMAP_VA_RANGE_LOWER, 0));
        uint64_t prev = 0;
        // Both ways: no ASIDs tell the two tables' TLB entries apart.
        REQUIRE(idmap_activate_on_core(m.get(), &prev) == IDMAP_OK);
        CHECK(prev == kSentinel0);
        CHECK(ttbr_reg == idmap_root_address(m.get()));
        CHECK(fake::registers().ttbr0_el1 == 0);
        REQUIRE(idmap_deactivate_on_core(m.get(), prev) == IDMAP_OK);
        CHECK(ttbr_reg == kSentinel0);
        REQUIRE(fake::counters().log_count == 2);
        for (unsigned i = 0; i < 2; ++i) {
            CHECK(fake::counters().log[i].kind == fake::Tlbi::Regime);
            CHECK(static_cast<unsigned>(fake::counters().log[i].regime) == static_cast<unsigned>(regime));
            CHECK(fake::counters().log[i].operand == 0);
        }
        CHECK(fake::counters().dsb_ish == 2);
        CHECK(fake::counters().tlbi_vmalle1 == 0);
        CHECK(fake::counters().tlbi_aside1 == 0);
    }
    fake::reset();
}

// Regression (0e2d847): idmap_deactivate_on_core() undid whichever activation it found,
// that of idmap_activate() included, but left the map's record of idmap_activate() in
// place. After idmap_activate() and idmap_deactivate_on_core() the map was inactive, yet
// idmap_activate() answered ALREADY_ACTIVE and idmap_deactivate() answered OK and took the
// count below zero: idmap_active_cores() 4294967295 and idmap_is_active() true for good
// (break-before-make enforced on a map no core uses).
TEST_CASE("idmap_deactivate_on_core after idmap_activate leaves a consistent count", "[capi][regime][regression]") {
    fake::reset();
    Map m = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1));
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const uint64_t ttbr = fake::registers().ttbr0_el1;
    REQUIRE(idmap_deactivate_on_core(m.get(), 0) == IDMAP_OK);  // the core that activated it
    CHECK(idmap_active_cores(m.get()) == 0);
    CHECK_FALSE(idmap_is_active(m.get()));
    const idmap_status_t again = idmap_deactivate(m.get());
    CHECK(again == IDMAP_ERR_NOT_ACTIVE);
    CHECK(idmap_active_cores(m.get()) == 0);
    CHECK_FALSE(idmap_is_active(m.get()));
    // And the map can be activated again, as any inactive one.
    CHECK(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == ttbr);
    CHECK(idmap_active_cores(m.get()) == 1);
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_active_cores(m.get()) == 0);
    fake::reset();
}

TEST_CASE("idmap_mmu_config_split: TCR with both ranges, both TTBRs", "[capi][regime][mmu]") {
    Map lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x21, 1));  // T0SZ 25
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0x21, 0));  // T1SZ 16
    idmap_mmu_config_t c{};
    // PARange 0b0101 (48 bits), ASIDBits 0b0010 (16).
    REQUIRE(idmap_mmu_config_split(lower.get(), upper.get(), 0x0025, &c) == IDMAP_OK);
    // T0SZ 0x19, T1SZ 0x10 << 16, both walks, TG1 4 KiB, IPS 0b101, AS; no EPD1.
    CHECK(c.tcr == (0x19 | kTcrWalks0 | (uint64_t{0x10} << 16) | kTcrWalks1 | kTcrTg1_4K |
                    (uint64_t{5} << 32) | kTcrAs));
    CHECK(c.tcr == 0x0000'0015'b510'3519);
    CHECK(c.ttbr == (idmap_root_address(lower.get()) | (uint64_t{0x21} << 48)));
    CHECK(c.ttbr1 == (idmap_root_address(upper.get()) | (uint64_t{0x21} << 48)));
    CHECK(c.mair == IDMAP_MAIR_DEFAULT);
    CHECK(c.sctlr_set == (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I));
    // Alone, the lower map has TTBR1 walks off and no TTBR1 value.
    idmap_mmu_config_t single{};
    REQUIRE(idmap_mmu_config(lower.get(), 0x0025, &single) == IDMAP_OK);
    CHECK(single.tcr == (0x19 | kTcrWalks0 | kTcrEpd1 | kTcrTg1_4K | (uint64_t{5} << 32) | kTcrAs));
    CHECK(single.ttbr1 == 0);

    // Refused: NULLs, the ranges the wrong way round, two regimes.
    CHECK(idmap_mmu_config_split(nullptr, upper.get(), 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config_split(lower.get(), nullptr, 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(lower.get())->status == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config_split(lower.get(), upper.get(), 0x25, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config_split(upper.get(), lower.get(), 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config_split(lower.get(), lower.get(), 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config(upper.get(), 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    Map vhe_upper = new_map(config(IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 0x21, 1));
    CHECK(idmap_mmu_config_split(lower.get(), vhe_upper.get(), 0x25, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    // 16-bit ASIDs on a CPU with 8 (ASIDBits 0b0000): the upper one's too.
    Map wide_upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0x100, 1));
    Map narrow_lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x21, 1));
    CHECK(idmap_mmu_config_split(narrow_lower.get(), wide_upper.get(), 0x0005, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    // EL2 (one range): TCR_EL2's layout, PS at 18:16 (0b101), RES1 bits 31 and 23.
    Map el2 = new_map(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 2));  // T0SZ 34
    REQUIRE(idmap_mmu_config(el2.get(), 0x0025, &c) == IDMAP_OK);
    CHECK(c.tcr == (34 | kTcrWalks0 | (uint64_t{5} << 16) | (uint64_t{1} << 31) | (uint64_t{1} << 23)));
    CHECK(c.tcr == 0x8085'3522);
    CHECK(c.ttbr1 == 0);
}

// Regression (0e2d847): a lower and an upper map with different ASIDs were taken with
// TCR.A1 (bit 22) clear, so the hardware tagged the non-global entries of both ranges
// with TTBR0's ASID and the upper map's TLBIs (with its own ASID) missed them. Whatever
// the fix, the ASID the TCR selects must be the one each map invalidates with.
TEST_CASE("idmap_mmu_config_split: the ASID the TCR selects is the one each map invalidates with",
          "[capi][regime][mmu][regression]") {
    Map lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 1));
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 2, 1));
    idmap_mmu_config_t c{};
    const idmap_status_t st = idmap_mmu_config_split(lower.get(), upper.get(), 0x1124, &c);
    if (st == IDMAP_OK) {
        // A1 = 0: TTBR0's ASID for both ranges; A1 = 1: TTBR1's.
        const uint64_t selected = ((c.tcr >> 22) & 1) != 0 ? c.ttbr1 >> 48 : c.ttbr >> 48;
        CHECK(selected == 1);  // the lower map's TLBIs carry ASID 1
        CHECK(selected == 2);  // the upper map's carry ASID 2
    } else {
        CHECK(st == IDMAP_ERR_INVALID_ARGUMENT);
    }
}

TEST_CASE("idmap_enable_mmu_split loads TTBR0 and TTBR1; idmap_disable_mmu of the lower map undoes both",
          "[capi][regime][mmu]") {
    fake::reset();
    fake::registers().ttbr0_el1 = kSentinel0;
    fake::registers().ttbr1_el1 = kSentinel1;
    Map lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 9, 1));
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 9, 2, static_cast<int64_t>(k1G)));
    require_map(lower.get(), 0, k1G, kRW);
    CHECK(idmap_enable_mmu_split(nullptr, upper.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_enable_mmu_split(lower.get(), nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_enable_mmu_split(lower.get(), lower.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_enable_mmu_split(upper.get(), lower.get()) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_enable_mmu(upper.get()) == IDMAP_ERR_INVALID_ARGUMENT);  // an upper map alone
    CHECK(fake::registers().ttbr0_el1 == kSentinel0);
    CHECK_FALSE(idmap_is_active(lower.get()));

    REQUIRE(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == (idmap_root_address(lower.get()) | (uint64_t{9} << 48)));
    CHECK(fake::registers().ttbr1_el1 == (idmap_root_address(upper.get()) | (uint64_t{9} << 48)));
    // The fake's ID_AA64MMFR0_EL1 0x1124: IPS 0b100, AS; T0SZ 25, T1SZ 34.
    CHECK(fake::registers().tcr_el1 == (25 | kTcrWalks0 | (uint64_t{34} << 16) | kTcrWalks1 | kTcrTg1_4K |
                                        (uint64_t{4} << 32) | kTcrAs));
    CHECK((fake::registers().sctlr_el1 & (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I)) ==
          (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I));
    CHECK(idmap_is_active(lower.get()));
    CHECK(idmap_is_active(upper.get()));
    CHECK(idmap_active_cores(upper.get()) == 1);
    CHECK(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_ERR_ALREADY_ACTIVE);
    // The upper map was not enabled on its own.
    CHECK(idmap_disable_mmu(upper.get()) == IDMAP_ERR_INVALID_ARGUMENT);

    REQUIRE(idmap_disable_mmu(lower.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == kSentinel0);
    CHECK(fake::registers().ttbr1_el1 == kSentinel1);
    CHECK((fake::registers().sctlr_el1 & IDMAP_SCTLR_M) == 0);
    CHECK_FALSE(idmap_is_active(lower.get()));
    CHECK_FALSE(idmap_is_active(upper.get()));
    CHECK(idmap_disable_mmu(lower.get()) == IDMAP_ERR_NOT_ACTIVE);

    // idmap_free of the lower map disables both too.
    REQUIRE(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_OK);
    idmap_free(lower.release());
    CHECK(fake::registers().ttbr0_el1 == kSentinel0);
    CHECK(fake::registers().ttbr1_el1 == kSentinel1);
    CHECK_FALSE(idmap_is_active(upper.get()));
    fake::reset();
}

TEST_CASE("idmap_enable_mmu in EL2 and EL2&0 loads the EL2 registers", "[capi][regime][mmu]") {
    fake::reset();
    fake::registers().ttbr0_el2 = kSentinel0;
    fake::registers().ttbr1_el2 = kSentinel1;
    {
        Map el2 = new_map(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 1));
        // The fake CPU starts at EL1; then at EL2 with E2H set (EL2&0, not EL2).
        CHECK(idmap_enable_mmu(el2.get()) == IDMAP_ERR_INVALID_ARGUMENT);
        run_at_el2(true);
        CHECK(idmap_enable_mmu(el2.get()) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(fake::registers().ttbr0_el2 == kSentinel0);
        CHECK_FALSE(idmap_is_active(el2.get()));
        run_at_el2(false);
        REQUIRE(idmap_enable_mmu(el2.get()) == IDMAP_OK);
        CHECK(fake::registers().ttbr0_el2 == idmap_root_address(el2.get()));
        // TCR_EL2 (E2H = 0): 25 | walks | PS 0b100 at 18:16 | RES1 31, 23.
        CHECK(fake::registers().tcr_el2 == 0x8084'3519);
        CHECK(fake::registers().mair_el2 == IDMAP_MAIR_DEFAULT);
        CHECK(fake::registers().ttbr0_el1 == 0);  // EL1's untouched
        CHECK(fake::registers().tcr_el1 == 0);
        REQUIRE(idmap_disable_mmu(el2.get()) == IDMAP_OK);
        CHECK(fake::registers().ttbr0_el2 == kSentinel0);
        CHECK(fake::registers().tcr_el2 == 0);
    }
    {
        Map lower = new_map(config(IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_LOWER, 0x300, 1));
        Map upper = new_map(config(IDMAP_REGIME_EL2_0, IDMAP_VA_RANGE_UPPER, 0x300, 1));
        CHECK(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_ERR_INVALID_ARGUMENT);  // E2H clear
        run_at_el2(true);
        REQUIRE(idmap_enable_mmu_split(lower.get(), upper.get()) == IDMAP_OK);
        CHECK(fake::registers().ttbr0_el2 == (idmap_root_address(lower.get()) | (uint64_t{0x300} << 48)));
        CHECK(fake::registers().ttbr1_el2 == (idmap_root_address(upper.get()) | (uint64_t{0x300} << 48)));
        // TCR_EL2 (E2H = 1), TCR_EL1's layout: T0SZ = T1SZ = 25.
        CHECK(fake::registers().tcr_el2 == (25 | kTcrWalks0 | (uint64_t{25} << 16) | kTcrWalks1 | kTcrTg1_4K |
                                            (uint64_t{4} << 32) | kTcrAs));
        CHECK(fake::registers().ttbr1_el1 == 0);
        REQUIRE(idmap_disable_mmu(lower.get()) == IDMAP_OK);
        CHECK(fake::registers().ttbr0_el2 == kSentinel0);
        CHECK(fake::registers().ttbr1_el2 == kSentinel1);
    }
    fake::reset();
}

// Regression (0e2d847): idmap_free() of the upper map of an idmap_enable_mmu_split() pair
// left the lower map pointing at its handle; idmap_disable_mmu() of the lower map then
// read (and wrote) the freed handle (heap-use-after-free under ASan). And it loaded the
// TTBR1_EL1 of before the MMU was on while the MMU ran: now it turns the MMU off through
// the lower map, as idmap_disable_mmu() does, and both maps are inactive.
TEST_CASE("freeing the upper map of an enabled pair, then disabling the lower one", "[capi][regime][mmu][regression]") {
    fake::reset();
    fake::registers().ttbr0_el1 = kSentinel0;
    fake::registers().ttbr1_el1 = kSentinel1;
    idmap_config_t lc = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 1, 1);
    idmap_config_t uc = config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1, 1);
    idmap_t* lower = idmap_new_with_config(&lc);
    idmap_t* upper = idmap_new_with_config(&uc);
    REQUIRE(lower != nullptr);
    REQUIRE(upper != nullptr);
    REQUIRE(idmap_enable_mmu_split(lower, upper) == IDMAP_OK);
    REQUIRE((fake::registers().sctlr_el1 & IDMAP_SCTLR_M) != 0);
    idmap_free(upper);  // the MMU off, as before idmap_enable_mmu_split
    CHECK((fake::registers().sctlr_el1 & IDMAP_SCTLR_M) == 0);
    CHECK(fake::registers().ttbr0_el1 == kSentinel0);
    CHECK(fake::registers().ttbr1_el1 == kSentinel1);
    CHECK_FALSE(idmap_is_active(lower));
    CHECK(idmap_disable_mmu(lower) == IDMAP_ERR_NOT_ACTIVE);
    idmap_free(lower);
    fake::reset();
}
