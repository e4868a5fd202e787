#include <catch2/catch.hpp>

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/mmu.hpp"
#include "arch/host/fake.hpp"

using namespace aarch64_paging;
namespace fake = aarch64_paging::arch::fake;

namespace {
// TCR_EL1 with everything but T0SZ, IPS and AS: IRGN0/ORGN0 = 0b01, SH0 = 0b11, TG0 = 4 KiB,
// EPD1, TG1 = 0b10 (4 KiB).
constexpr uint64_t kTcrFixed = (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (uint64_t{2} << 30);
}  // namespace

TEST_CASE("mmu_config: T0SZ from the root level, IPS from PARange, AS from ASIDBits", "[mmu]") {
    struct Case {
        unsigned root_level;
        uint64_t mmfr0;
        uint64_t want_tcr;
    };
    const Case cases[] = {
        // Cortex-A57: PARange 0b0100 (44 bits), ASIDBits 0b0010 (16).
        {1, 0x1124, kTcrFixed | 25 | (uint64_t{4} << 32) | (uint64_t{1} << 36)},
        {0, 0x1124, kTcrFixed | 16 | (uint64_t{4} << 32) | (uint64_t{1} << 36)},
        {2, 0x1124, kTcrFixed | 34 | (uint64_t{4} << 32) | (uint64_t{1} << 36)},
        {3, 0x1124, kTcrFixed | 43 | (uint64_t{4} << 32) | (uint64_t{1} << 36)},
        // Cortex-A53 in QEMU: PARange 0b0010 (40 bits), ASIDBits 0b0010.
        {1, 0x1122, kTcrFixed | 25 | (uint64_t{2} << 32) | (uint64_t{1} << 36)},
        // -cpu max: PARange 0b0110 (52 bits) is capped at 0b0101 (48); 8-bit ASIDs: AS = 0.
        {1, 0x0006, kTcrFixed | 25 | (uint64_t{5} << 32)},
    };
    for (const Case& c : cases) {
        CAPTURE(c.root_level, c.mmfr0);
        IdMap map(0x42, c.root_level);
        MmuConfig config{};
        REQUIRE(mmu_config(map.mapping(), c.mmfr0, config).is_ok());
        CHECK(config.tcr == c.want_tcr);
        CHECK(config.mair == 0xff04);
        CHECK(config.ttbr == (map.root_address().value() | (uint64_t{0x42} << 48)));
        CHECK(config.sctlr_set == (sctlr::M | sctlr::C | sctlr::I));
        CHECK(config.sctlr_clear == (sctlr::A | sctlr::WXN | sctlr::E0E | sctlr::EE));
    }
}

TEST_CASE("mmu_config refuses a 16-bit ASID on a CPU with 8-bit ASIDs", "[mmu]") {
    IdMap map(300, 1);
    MmuConfig config{};
    CHECK(mmu_config(map.mapping(), 0x0005, config).status() == Status::InvalidArgument);
    CHECK(mmu_config(map.mapping(), 0x0025, config).is_ok());
}

TEST_CASE("enable_mmu cleans the tables, loads the registers and marks the map active", "[mmu]") {
    fake::reset();
    IdMap map(5, 1);
    REQUIRE(map.map_range(MemoryRegion(0, 0x1000), Attributes::NORMAL | Attributes::VALID).is_ok());
    fake::registers().ttbr0_el1 = 0x1234'5000;
    arch::MmuRegisters previous{};
    REQUIRE(enable_mmu(map.mapping(), previous).is_ok());
    CHECK(map.is_active());
    // The MMU was off: all three table pages went to the point of coherency.
    CHECK(fake::counters().dcache_cleaned_bytes == 3 * PAGE_SIZE);
    CHECK(fake::registers().ttbr0_el1 == (map.root_address().value() | (uint64_t{5} << 48)));
    CHECK((fake::registers().sctlr_el1 & (sctlr::M | sctlr::C | sctlr::I)) == (sctlr::M | sctlr::C | sctlr::I));
    CHECK((fake::registers().tcr_el1 & 0x3f) == 25);
    CHECK(fake::registers().mair_el1 == 0xff04);
    CHECK(previous.ttbr0 == 0x1234'5000);
    CHECK(enable_mmu(map.mapping(), previous).status() == Status::AlreadyActive);

    // A second map switches with the MMU on: no cleaning needed.
    IdMap other(6, 2);
    arch::MmuRegisters before_other{};
    REQUIRE(enable_mmu(other.mapping(), before_other).is_ok());
    CHECK(fake::counters().dcache_cleaned_bytes == 3 * PAGE_SIZE);
    CHECK((fake::registers().tcr_el1 & 0x3f) == 34);
    REQUIRE(disable_mmu(other.mapping(), before_other).is_ok());
    CHECK((fake::registers().tcr_el1 & 0x3f) == 25);
    CHECK(fake::counters().dcache_set_way_flushes == 0);

    REQUIRE(disable_mmu(map.mapping(), previous).is_ok());
    CHECK_FALSE(map.is_active());
    CHECK(fake::registers().ttbr0_el1 == 0x1234'5000);
    CHECK((fake::registers().sctlr_el1 & sctlr::M) == 0);
    CHECK(fake::counters().dcache_set_way_flushes == 1);  // the data cache went off
    CHECK(disable_mmu(map.mapping(), previous).status() == Status::NotActive);
    fake::reset();
}

TEST_CASE("enable_mmu refuses root level 3 without FEAT_TTST", "[mmu]") {
    fake::reset();
    IdMap map(1, 3);
    arch::MmuRegisters previous{};
    CHECK(enable_mmu(map.mapping(), previous).status() == Status::InvalidArgument);
    CHECK_FALSE(map.is_active());
    fake::registers().id_aa64mmfr2_el1 = uint64_t{1} << 28;  // ST = 1
    CHECK(enable_mmu(map.mapping(), previous).is_ok());
    CHECK(disable_mmu(map.mapping(), previous).is_ok());
    fake::reset();
}

TEST_CASE("activate writes TTBR0 with the ASID and deactivate restores it and flushes the ASID", "[mmu]") {
    fake::reset();
    fake::registers().ttbr0_el1 = 0xabc000;
    IdMap map(0x1234, 1);
    REQUIRE(map.activate().is_ok());
    CHECK(fake::registers().ttbr0_el1 == (map.root_address().value() | (uint64_t{0x1234} << 48)));
    CHECK(fake::counters().dsb_ishst >= 1);  // tables complete before the TTBR write
    REQUIRE(map.deactivate().is_ok());
    CHECK(fake::registers().ttbr0_el1 == 0xabc000);
    CHECK(fake::counters().tlbi_aside1 == 1);
    CHECK(fake::counters().last_tlbi_asid == 0x1234);
    fake::reset();
}
