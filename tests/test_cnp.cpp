// Common not private (FEAT_TTCNP) on the host fake: refused where ID_AA64MMFR2_EL1.CnP is
// 0; on, every TTBR value the map hands to the hardware carries CnP (bit 0) - activate,
// the MMU bring-up, stage 2's VTTBR_EL2 - while the TLB maintenance and the "same tree"
// test of a TTBR switch read the ASID and the root alone.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/idmap.hpp"
#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

constexpr uint64_t kCnp = 1;

// A CPU with FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP = 1), as QEMU's -cpu max.
void cpu_with_cnp() {
    fake::reset();
    fake::registers().id_aa64mmfr2_el1 = 1;
}

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

// The TTBR values written since event index first, in order.
std::vector<uint64_t> ttbr_writes(unsigned first) {
    std::vector<uint64_t> out;
    const fake::Events& e = fake::events();
    for (unsigned i = first; i < e.count && i < fake::Events::SIZE; ++i) {
        if (e.log[i].kind == fake::Event::TtbrWrite) {
            out.push_back(e.log[i].value);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("common not private is refused without FEAT_TTCNP, and changes nothing", "[cnp]") {
    fake::reset();  // Cortex-A57: ID_AA64MMFR2_EL1.CnP = 0
    Map m = new_map(1, 1);
    CHECK(!idmap_common_not_private(m.get()));
    CHECK(idmap_set_common_not_private(m.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_NO_CNP);
    CHECK(last_error_text(m.get()) ==
          "invalid argument: the CPU has no FEAT_TTCNP (ID_AA64MMFR2_EL1.CnP is 0), so TTBR bit 0 is RES0: "
          "leave common not private off, each core's TLB keeps its own entries");
    CHECK(!idmap_common_not_private(m.get()));
    idmap_mmu_config_t c{};
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &c) == IDMAP_OK);
    CHECK(c.ttbr == (idmap_root_address(m.get()) | uint64_t{1} << 48));
    const unsigned first = fake::next_event();
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(ttbr_writes(first) == std::vector<uint64_t>{idmap_root_address(m.get()) | uint64_t{1} << 48});
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(idmap_set_common_not_private(m.get(), false) == IDMAP_OK);  // off needs no FEAT_TTCNP
    // Other ID_AA64MMFR2_EL1 fields (ST, FEAT_TTST) are no CnP.
    fake::registers().id_aa64mmfr2_el1 = uint64_t{1} << 28;
    CHECK(idmap_set_common_not_private(m.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_set_common_not_private(nullptr, true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(!idmap_common_not_private(nullptr));
}

TEST_CASE("common not private: activate, the MMU bring-up and deactivate carry CnP, off clears it", "[cnp]") {
    cpu_with_cnp();
    const uint64_t before = 0x8000'0000'1234'5000;
    fake::registers().ttbr0_el1 = before;
    Map m = new_map(0x21, 1);
    REQUIRE(map_range(m.get(), k1G, k1G + k2M, kRW | kNG) == IDMAP_OK);
    const uint64_t plain = idmap_root_address(m.get()) | uint64_t{0x21} << 48;
    REQUIRE(idmap_set_common_not_private(m.get(), true) == IDMAP_OK);
    CHECK(idmap_common_not_private(m.get()));

    idmap_mmu_config_t c{};
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &c) == IDMAP_OK);
    CHECK(c.ttbr == (plain | kCnp));

    unsigned first = fake::next_event();
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == (plain | kCnp));
    CHECK(ttbr_writes(first) == std::vector<uint64_t>{plain | kCnp});
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == before);  // the saved value, as it was

    // On a second core: the value it writes, and the one it hands back.
    uint64_t previous = 0;
    REQUIRE(idmap_activate_on_core(m.get(), &previous) == IDMAP_OK);
    CHECK(previous == before);
    CHECK(fake::registers().ttbr0_el1 == (plain | kCnp));
    REQUIRE(idmap_deactivate_on_core(m.get(), previous) == IDMAP_OK);

    // The MMU bring-up loads it.
    first = fake::next_event();
    REQUIRE(idmap_enable_mmu(m.get()) == IDMAP_OK);
    CHECK(fake::registers().ttbr0_el1 == (plain | kCnp));
    CHECK(ttbr_writes(first) == std::vector<uint64_t>{plain | kCnp});
    REQUIRE(idmap_disable_mmu(m.get()) == IDMAP_OK);

    // Off again: none of them has it.
    REQUIRE(idmap_set_common_not_private(m.get(), false) == IDMAP_OK);
    CHECK(!idmap_common_not_private(m.get()));
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &c) == IDMAP_OK);
    CHECK(c.ttbr == plain);
    first = fake::next_event();
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    CHECK(ttbr_writes(first) == std::vector<uint64_t>{plain});
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("common not private on the upper map of a split MMU: ttbr1 carries it, ttbr as its own map says",
          "[cnp]") {
    cpu_with_cnp();
    Map lower = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_LOWER, 0x21, 1));
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 0x21, 0));
    REQUIRE(idmap_set_common_not_private(upper.get(), true) == IDMAP_OK);
    idmap_mmu_config_t c{};
    REQUIRE(idmap_mmu_config_split(lower.get(), upper.get(), 0x0025, &c) == IDMAP_OK);
    CHECK(c.ttbr == (idmap_root_address(lower.get()) | uint64_t{0x21} << 48));
    CHECK(c.ttbr1 == (idmap_root_address(upper.get()) | uint64_t{0x21} << 48 | kCnp));
}

TEST_CASE("common not private at stage 2: VTTBR_EL2 carries CnP", "[cnp][stage2]") {
    cpu_with_cnp();
    fake::registers().current_el = 2;
    fake::registers().sctlr_el2 |= 5;  // M and C: no clean to PoC
    Map m = new_stage2(s2_config(40, 1, 3));
    const uint64_t plain = idmap_s2_vttbr(m.get());
    CHECK(plain == (idmap_root_address(m.get()) | uint64_t{3} << 48));
    REQUIRE(idmap_set_common_not_private(m.get(), true) == IDMAP_OK);
    CHECK(idmap_s2_vttbr(m.get()) == (plain | kCnp));
    REQUIRE(idmap_s2_activate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().vttbr_el2 == (plain | kCnp));
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    CHECK(fake::registers().vttbr_el2 == 0);
    REQUIRE(idmap_set_common_not_private(m.get(), false) == IDMAP_OK);
    CHECK(idmap_s2_vttbr(m.get()) == plain);
}

TEST_CASE("common not private: a live change's TLBI operand holds the VA and ASID, no CnP", "[cnp][tlb]") {
    cpu_with_cnp();
    Map m = new_map(0x42, 1);
    REQUIRE(map_range(m.get(), k1G, k1G + 4 * kPage, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS) == IDMAP_OK);
    REQUIRE(idmap_set_common_not_private(m.get(), true) == IDMAP_OK);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    const unsigned tlbis = fake::counters().log_count;
    // VA 0x4000'0000: VA[55:12] = 0x40000, an even page, so bit 0 would show CnP.
    REQUIRE(map_range(m.get(), k1G, k1G + kPage, kRW | kNG | IDMAP_ATTR_READ_ONLY) == IDMAP_OK);
    REQUIRE(fake::counters().log_count == tlbis + 1);
    const fake::Tlbi& t = fake::counters().log[tlbis];
    CHECK(t.kind == fake::Tlbi::VaLastLevel);
    CHECK(t.operand == 0x0042'0000'0004'0000);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
    // deactivate's TLBI ASIDE1IS names the ASID alone.
    CHECK(fake::counters().last_tlbi_asid == 0x42);
}

TEST_CASE("a TTBR switch: values that differ in CnP alone are one tree", "[cnp]") {
    using namespace aarch64_paging;
    using arch::TtbrSwitch;
    constexpr Regime el1{TranslationRegime::El1And0, VaRange::Lower};
    constexpr Regime el2{TranslationRegime::El2, VaRange::Lower};
    constexpr uint64_t t = 0x0007'0000'4000'0000;
    // One tree, CnP set or not: written directly, even where no ASID tells trees apart.
    STATIC_REQUIRE(arch::ttbr_switch(el1, true, t, t | TTBR_CNP) == TtbrSwitch::Direct);
    STATIC_REQUIRE(arch::ttbr_switch(el2, true, t | TTBR_CNP, t) == TtbrSwitch::Direct);
    // Another root with the same ASID still goes through the MMU off.
    STATIC_REQUIRE(arch::ttbr_switch(el1, true, t, (t + 0x1000) | TTBR_CNP) == TtbrSwitch::ThroughMmuOff);
    STATIC_REQUIRE(arch::ttbr_switch(el2, true, t | TTBR_CNP, t + 0x1000) == TtbrSwitch::ThroughMmuOff);
}

TEST_CASE("Mapping::set_common_not_private in C++: ttbr() bit 0, off again after release", "[cnp]") {
    using namespace aarch64_paging;
    fake::reset();
    IdMap map(5, 1);
    REQUIRE(map.is_valid());
    const Result refused = map.mapping().set_common_not_private(true);
    CHECK(refused.status() == Status::InvalidArgument);
    CHECK(refused.error().value == argument_reason::NO_CNP);
    CHECK(!map.mapping().common_not_private());

    cpu_with_cnp();
    REQUIRE(map.mapping().set_common_not_private(true).is_ok());
    CHECK(map.mapping().common_not_private());
    CHECK(map.mapping().ttbr() == (map.mapping().root_address().value() | uint64_t{5} << 48 | TTBR_CNP));
    // release() ends the policy with the tables: the next init() starts without it.
    map.mapping().release();
    CHECK(!map.mapping().common_not_private());
    CHECK((map.mapping().ttbr() & TTBR_CNP) == 0);
}
