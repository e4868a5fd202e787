// Host tests of the C ABI: idmap_activate / idmap_deactivate / idmap_is_active, what they
// do to TTBR0_EL1 and the TLB through the host fake of the arch layer, and the additions
// idmap_mmu_config / idmap_enable_mmu / idmap_disable_mmu / idmap_clean_to_poc
// (include/idmap.h).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

// ID_AA64MMFR0_EL1 = 0x1124: PARange [3:0] = 4 (44 bits), ASIDBits [7:4] = 2 (16 bits),
// BigEnd [11:8] = 1, SNSMem [15:12] = 1 (a Cortex-A57).
constexpr uint64_t kMmfr0 = 0x1124;
// ID_AA64MMFR2_EL1.ST [31:28] = 1: FEAT_TTST (T0SZ up to 48, so root level 3 works).
constexpr uint64_t kMmfr2WithTtst = 1ULL << 28;

// A TTBR0_EL1 value that is no map's: what deactivate must put back.
constexpr uint64_t kPreviousTtbr = 0x0007000040123000ULL;

void reset_fake() {
    fake::reset();
    fake::registers().ttbr0_el1 = kPreviousTtbr;
    fake::registers().id_aa64mmfr0_el1 = kMmfr0;
}

// TCR_EL1 fields (Arm ARM D19.2 "TCR_EL1").
uint64_t t0sz(uint64_t tcr) { return tcr & 0x3f; }
uint64_t irgn0(uint64_t tcr) { return (tcr >> 8) & 3; }
uint64_t orgn0(uint64_t tcr) { return (tcr >> 10) & 3; }
uint64_t sh0(uint64_t tcr) { return (tcr >> 12) & 3; }
uint64_t tg0(uint64_t tcr) { return (tcr >> 14) & 3; }
uint64_t epd0(uint64_t tcr) { return (tcr >> 7) & 1; }
uint64_t epd1(uint64_t tcr) { return (tcr >> 23) & 1; }
uint64_t tg1(uint64_t tcr) { return (tcr >> 30) & 3; }
uint64_t ips(uint64_t tcr) { return (tcr >> 32) & 7; }
uint64_t as(uint64_t tcr) { return (tcr >> 36) & 1; }

}  // namespace

TEST_CASE("activate and deactivate move between inactive and active", "[activation]") {
    reset_fake();
    Map m = new_map(1, 1);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(idmap_is_active(m.get()));
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(idmap_activate(m.get()) == IDMAP_OK);  // and again
    CHECK(idmap_is_active(m.get()));
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_last_error(m.get())->status == IDMAP_OK);
}

TEST_CASE("activating an active map answers ALREADY_ACTIVE and changes nothing",
          "[activation][errors]") {
    reset_fake();
    Map m = new_map(3, 1);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const uint64_t ttbr = fake::registers().ttbr0_el1;
    const unsigned tlbis = fake::counters().tlbi_aside1;
    CHECK(idmap_activate(m.get()) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(idmap_is_active(m.get()));
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(fake::registers().ttbr0_el1 == ttbr);
    CHECK(fake::counters().tlbi_aside1 == tlbis);
    // It is still active once: one deactivate restores the value saved by the first activate.
    CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
}

TEST_CASE("deactivating an inactive map answers NOT_ACTIVE and changes nothing",
          "[activation][errors]") {
    reset_fake();
    Map m = new_map(3, 1);
    CHECK(idmap_deactivate(m.get()) == IDMAP_ERR_NOT_ACTIVE);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(idmap_last_error(m.get())->status == IDMAP_ERR_NOT_ACTIVE);
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    CHECK(fake::counters().tlbi_aside1 == 0);

    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_deactivate(m.get()) == IDMAP_ERR_NOT_ACTIVE);
    CHECK(fake::counters().tlbi_aside1 == 1);
}

TEST_CASE("activate and deactivate refuse NULL", "[activation][errors]") {
    CHECK(idmap_activate(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_deactivate(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK_FALSE(idmap_is_active(nullptr));
}

TEST_CASE("activate writes TTBR0_EL1 with the root address and the ASID in bits 63:48",
          "[activation][fake]") {
    for (size_t asid : {size_t{0}, size_t{1}, size_t{0x1234}, size_t{0xffff}}) {
        for (unsigned level = 0; level <= 3; ++level) {
            CAPTURE(asid, level);
            reset_fake();
            Map m = new_map(asid, level);
            const unsigned isbs = fake::counters().isb;
            REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
            CHECK(fake::registers().ttbr0_el1 ==
                  (idmap_root_address(m.get()) | (uint64_t(asid) << 48)));
            CHECK(fake::counters().isb > isbs);           // ISB after the write
            CHECK(fake::counters().tlbi_aside1 == 0);     // no invalidation on activate
            REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
        }
    }
}

TEST_CASE("deactivate restores the previous TTBR0_EL1 and invalidates the map's ASID once",
          "[activation][fake]") {
    for (size_t asid : {size_t{0}, size_t{5}, size_t{0xffff}}) {
        CAPTURE(asid);
        reset_fake();
        Map m = new_map(asid, 1);
        REQUIRE(map_range(m.get(), 0, k2M, kRW | kNG) == IDMAP_OK);
        REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
        REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
        CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
        CHECK(fake::counters().tlbi_aside1 == 1);
        CHECK(fake::counters().last_tlbi_asid == asid);
        CHECK(fake::counters().dsb_ish >= 1);
        CHECK(fake::counters().isb >= 2);  // one after activate's write, one after TLBI
    }
}

TEST_CASE("maps activated in turn restore each other's TTBR0_EL1", "[activation][fake]") {
    reset_fake();
    Map a = new_map(1, 1);
    Map b = new_map(2, 2);
    const uint64_t ttbr_a = idmap_root_address(a.get()) | (1ULL << 48);
    const uint64_t ttbr_b = idmap_root_address(b.get()) | (2ULL << 48);
    REQUIRE(idmap_activate(a.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == ttbr_a);
    REQUIRE(idmap_activate(b.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == ttbr_b);
    REQUIRE(idmap_deactivate(b.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == ttbr_a);
    CHECK(fake::counters().last_tlbi_asid == 2);
    REQUIRE(idmap_deactivate(a.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    CHECK(fake::counters().last_tlbi_asid == 1);
    CHECK(fake::counters().tlbi_aside1 == 2);
}

TEST_CASE("freeing an active map deactivates it", "[activation][fake][lifetime]") {
    reset_fake();
    idmap_t* m = idmap_new(9, 1);
    REQUIRE(m != nullptr);
    REQUIRE(map_range(m, 0, kPage, kRW | kNG) == IDMAP_OK);
    REQUIRE(idmap_activate(m) == IDMAP_OK);
    REQUIRE(fake::registers().ttbr0_el1 != kPreviousTtbr);
    idmap_free(m);
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    CHECK(fake::counters().tlbi_aside1 == 1);
    CHECK(fake::counters().last_tlbi_asid == 9);
}

TEST_CASE("freeing an inactive map touches no register", "[activation][fake][lifetime]") {
    reset_fake();
    idmap_t* m = idmap_new(9, 1);
    REQUIRE(m != nullptr);
    idmap_free(m);
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    CHECK(fake::counters().tlbi_aside1 == 0);
}

TEST_CASE("a change to an active map is followed by DSB ISHST and no TLB invalidation",
          "[activation][fake]") {
    reset_fake();
    Map m = new_map(1, 1);
    REQUIRE(map_range(m.get(), 0, 2 * kPage, kRW | kNG) == IDMAP_OK);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);

    unsigned dsbs = fake::counters().dsb_ishst;
    REQUIRE(map_range(m.get(), k2M, 2 * k2M, kRW | kNG) == IDMAP_OK);  // new entries
    CHECK(fake::counters().dsb_ishst > dsbs);

    dsbs = fake::counters().dsb_ishst;
    const idmap_region_t r = idmap_region(0, kPage);
    REQUIRE(idmap_modify_range(
                m.get(), &r,
                [](const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
                    d->bits |= IDMAP_ATTR_READ_ONLY;
                    return 0;
                },
                nullptr) == IDMAP_OK);
    CHECK(fake::counters().dsb_ishst > dsbs);

    CHECK(fake::counters().tlbi_aside1 == 0);
    CHECK(fake::counters().tlbi_vmalle1 == 0);
    CHECK(fake::registers().ttbr0_el1 == (idmap_root_address(m.get()) | (1ULL << 48)));
}

TEST_CASE("mmu_config gives MAIR, SCTLR bits and TTBR for the map", "[mmu]") {
    for (size_t asid : {size_t{0}, size_t{1}, size_t{0xffff}}) {
        CAPTURE(asid);
        Map m = new_map(asid, 1);
        idmap_mmu_config_t c{};
        REQUIRE(idmap_mmu_config(m.get(), kMmfr0, &c) == IDMAP_OK);
        CHECK(c.mair == 0xff04);
        CHECK(c.mair == IDMAP_MAIR_DEFAULT);
        CHECK(c.ttbr == (idmap_root_address(m.get()) | (uint64_t(asid) << 48)));
        CHECK(c.sctlr_set == (IDMAP_SCTLR_M | IDMAP_SCTLR_C | IDMAP_SCTLR_I));
        CHECK(c.sctlr_set == 0x1005);
        CHECK(c.sctlr_clear ==
              (IDMAP_SCTLR_A | IDMAP_SCTLR_WXN | IDMAP_SCTLR_E0E | IDMAP_SCTLR_EE));
        CHECK(c.sctlr_clear == 0x3080002);
    }
}

TEST_CASE("mmu_config's TCR for a level-1 root on a 44-bit, 16-bit-ASID CPU", "[mmu]") {
    Map m = new_map(1, 1);
    idmap_mmu_config_t c{};
    REQUIRE(idmap_mmu_config(m.get(), kMmfr0, &c) == IDMAP_OK);
    // T0SZ 25 (0x19), IRGN0 1 (0x100), ORGN0 1 (0x400), SH0 3 (0x3000), TG0 0, EPD1 (bit 23,
    // 0x800000) = 0x803519; TG1 4 KiB = 2 << 30; IPS 44 bits = 4 << 32; AS (16-bit ASIDs) =
    // 1 << 36.
    CHECK(c.tcr == (0x803519ULL | (2ULL << 30) | (4ULL << 32) | (1ULL << 36)));
    CHECK(c.tcr == 0x1480803519ULL);
    CHECK(t0sz(c.tcr) == 25);
    CHECK(epd0(c.tcr) == 0);
    CHECK(irgn0(c.tcr) == 1);
    CHECK(orgn0(c.tcr) == 1);
    CHECK(sh0(c.tcr) == 3);
    CHECK(tg0(c.tcr) == 0);
    CHECK(epd1(c.tcr) == 1);
    CHECK(tg1(c.tcr) == 2);
    CHECK(ips(c.tcr) == 4);
    CHECK(as(c.tcr) == 1);
}

TEST_CASE("mmu_config's T0SZ makes the walk start at the map's root level", "[mmu]") {
    struct Row {
        unsigned level;
        uint64_t t0sz;  // 64 - log2(size)
    };
    const Row rows[] = {
        {0, 16},  // 256 TiB = 2^48
        {1, 25},  // 512 GiB = 2^39
        {2, 34},  // 1 GiB = 2^30
        {3, 43},  // 2 MiB = 2^21
    };
    for (const Row& row : rows) {
        CAPTURE(row.level);
        Map m = new_map(1, row.level);
        idmap_mmu_config_t c{};
        REQUIRE(idmap_mmu_config(m.get(), kMmfr0, &c) == IDMAP_OK);
        CHECK(t0sz(c.tcr) == row.t0sz);
        CHECK(uint64_t(1) << (64 - t0sz(c.tcr)) == idmap_size(m.get()));
        // The other fields do not depend on the level.
        CHECK((c.tcr & ~0x3fULL) == (0x1480803519ULL & ~0x3fULL));
    }
}

TEST_CASE("mmu_config's IPS follows PARange, capped at 48 bits", "[mmu]") {
    struct Row {
        uint64_t parange, ips;
    };
    const Row rows[] = {
        {0, 0},  // 32 bits
        {1, 1},  // 36
        {2, 2},  // 40
        {3, 3},  // 42
        {4, 4},  // 44
        {5, 5},  // 48
        {6, 5},  // 52 bits: capped at 48
    };
    Map m = new_map(1, 1);
    for (const Row& row : rows) {
        CAPTURE(row.parange);
        idmap_mmu_config_t c{};
        REQUIRE(idmap_mmu_config(m.get(), 0x20 | row.parange, &c) == IDMAP_OK);
        CHECK(ips(c.tcr) == row.ips);
    }
}

TEST_CASE("mmu_config's AS follows ASIDBits", "[mmu]") {
    Map small = new_map(255, 1);
    idmap_mmu_config_t c{};
    // ASIDBits 0: 8-bit ASIDs, AS = 0; ASID 255 still fits.
    REQUIRE(idmap_mmu_config(small.get(), 0x04, &c) == IDMAP_OK);
    CHECK(as(c.tcr) == 0);
    CHECK(c.ttbr == (idmap_root_address(small.get()) | (255ULL << 48)));
    // ASIDBits 2: 16-bit ASIDs, AS = 1.
    REQUIRE(idmap_mmu_config(small.get(), 0x24, &c) == IDMAP_OK);
    CHECK(as(c.tcr) == 1);
}

TEST_CASE("mmu_config refuses an ASID above 255 on a CPU with 8-bit ASIDs", "[mmu][errors]") {
    Map m = new_map(300, 1);
    idmap_mmu_config_t c{};
    CHECK(idmap_mmu_config(m.get(), 0x04, &c) == IDMAP_ERR_INVALID_ARGUMENT);  // ASIDBits 0
    CHECK(idmap_mmu_config(m.get(), 0x24, &c) == IDMAP_OK);                    // ASIDBits 2
}

TEST_CASE("mmu_config refuses NULL", "[mmu][errors]") {
    Map m = new_map(1, 1);
    idmap_mmu_config_t c{};
    CHECK(idmap_mmu_config(nullptr, kMmfr0, &c) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_mmu_config(m.get(), kMmfr0, nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("enable_mmu writes the config's registers and marks the map active; disable_mmu "
          "restores them",
          "[mmu][fake]") {
    reset_fake();
    // The state before: MMU and caches off, alignment checks and WXN on, other bits.
    const uint64_t sctlr_before = IDMAP_SCTLR_A | IDMAP_SCTLR_WXN | (1ULL << 11) | (1ULL << 29);
    fake::registers().sctlr_el1 = sctlr_before;
    fake::registers().mair_el1 = 0x44;
    fake::registers().tcr_el1 = 0x12345;

    Map m = new_map(7, 1);
    REQUIRE(map_range(m.get(), 0x40000000, 0x40000000 + k2M, kRW | kNG) == IDMAP_OK);
    idmap_mmu_config_t c{};
    REQUIRE(idmap_mmu_config(m.get(), kMmfr0, &c) == IDMAP_OK);

    REQUIRE(idmap_enable_mmu(m.get()) == IDMAP_OK);
    CHECK(idmap_is_active(m.get()));
    CHECK(fake::registers().mair_el1 == c.mair);
    CHECK(fake::registers().tcr_el1 == c.tcr);
    CHECK(fake::registers().ttbr0_el1 == c.ttbr);
    CHECK(fake::registers().sctlr_el1 == ((sctlr_before | c.sctlr_set) & ~c.sctlr_clear));
    // The MMU was off: the table pages were cleaned to the point of coherency.
    CHECK(fake::counters().dcache_cleaned_bytes >= idmap_table_count(m.get()) * 4096);

    CHECK(idmap_enable_mmu(m.get()) == IDMAP_ERR_ALREADY_ACTIVE);
    CHECK(idmap_activate(m.get()) == IDMAP_ERR_ALREADY_ACTIVE);

    const unsigned vmalle1 = fake::counters().tlbi_vmalle1;
    REQUIRE(idmap_disable_mmu(m.get()) == IDMAP_OK);
    CHECK_FALSE(idmap_is_active(m.get()));
    CHECK(fake::registers().sctlr_el1 == sctlr_before);
    CHECK(fake::registers().mair_el1 == 0x44);
    CHECK(fake::registers().tcr_el1 == 0x12345);
    CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    CHECK(fake::counters().tlbi_vmalle1 > vmalle1);
    // The data cache goes off again: cleaned and invalidated by set/way first.
    CHECK(fake::counters().dcache_set_way_flushes >= 1);
    CHECK(idmap_disable_mmu(m.get()) != IDMAP_OK);
}

TEST_CASE("enable_mmu and disable_mmu refuse what they cannot do", "[mmu][errors][fake]") {
    SECTION("NULL") {
        CHECK(idmap_enable_mmu(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(idmap_disable_mmu(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    }
    SECTION("a map activated by idmap_activate, not by idmap_enable_mmu") {
        reset_fake();
        Map m = new_map(1, 1);
        REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
        CHECK(idmap_enable_mmu(m.get()) == IDMAP_ERR_ALREADY_ACTIVE);
        CHECK(idmap_disable_mmu(m.get()) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK(idmap_is_active(m.get()));
        CHECK(idmap_deactivate(m.get()) == IDMAP_OK);
    }
    SECTION("an ASID above 255 on a CPU with 8-bit ASIDs") {
        reset_fake();
        fake::registers().id_aa64mmfr0_el1 = 0x04;  // ASIDBits 0
        const uint64_t sctlr = fake::registers().sctlr_el1;
        Map m = new_map(300, 1);
        CHECK(idmap_enable_mmu(m.get()) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK_FALSE(idmap_is_active(m.get()));
        CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
        CHECK(fake::registers().sctlr_el1 == sctlr);
    }
    SECTION("root level 3 on a CPU without FEAT_TTST") {
        reset_fake();
        fake::registers().id_aa64mmfr2_el1 = 0;  // ST = 0
        Map m = new_map(1, 3);
        CHECK(idmap_enable_mmu(m.get()) == IDMAP_ERR_INVALID_ARGUMENT);
        CHECK_FALSE(idmap_is_active(m.get()));
        CHECK(fake::registers().ttbr0_el1 == kPreviousTtbr);
    }
}

TEST_CASE("enable_mmu accepts root level 3 on a CPU with FEAT_TTST", "[mmu][fake]") {
    reset_fake();
    fake::registers().id_aa64mmfr2_el1 = kMmfr2WithTtst;
    Map m = new_map(1, 3);
    REQUIRE(idmap_enable_mmu(m.get()) == IDMAP_OK);
    CHECK(t0sz(fake::registers().tcr_el1) == 43);
    CHECK(idmap_disable_mmu(m.get()) == IDMAP_OK);
}

// A bootloader's hand-over: the kernel and the initramfs cleaned by VA with the MMU on, then
// the MMU off (its set/way clean last).
TEST_CASE("clean_to_poc cleans each range given, before disable_mmu turns the MMU off", "[mmu][fake]") {
    reset_fake();
    Map m = new_map(1, 1);
    REQUIRE(idmap_enable_mmu(m.get()) == IDMAP_OK);
    const unsigned first = fake::next_event();
    idmap_clean_to_poc(0x40400000, 0x42410000);
    idmap_clean_to_poc(0x48000000, 0x48000123);
    idmap_clean_to_poc(0x48000000, 0x47fff000);  // backwards: nothing
    REQUIRE(idmap_disable_mmu(m.get()) == IDMAP_OK);
    const fake::Events& e = fake::events();
    REQUIRE(e.count > first + 3);
    REQUIRE(e.count <= fake::Events::SIZE);
    CHECK(e.log[first].kind == fake::Event::CleanToPoc);
    CHECK(e.log[first].value == 0x40400000);
    CHECK(e.log[first].size == 0x2010000);
    CHECK(e.log[first + 1].kind == fake::Event::CleanToPoc);
    CHECK(e.log[first + 1].value == 0x48000000);
    CHECK(e.log[first + 1].size == 0x123);
    CHECK(e.log[first + 2].kind == fake::Event::CleanToPoc);
    CHECK(e.log[first + 2].size == 0);
    CHECK(e.log[first + 3].kind == fake::Event::SetWayClean);
}
