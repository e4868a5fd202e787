// Guarded pages (FEAT_BTI) on the host fake: the GP bit, guarded code - GP on every
// executable leaf map_range writes, SCTLR_ELx.BT from the MMU bring-up - refused where
// there is no GP bit, and the lint's check for executable leaves without it.
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/idmap.hpp"
#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fake = aarch64_paging::arch::fake;
using namespace capi_test;

namespace {

// A CPU with FEAT_BTI (ID_AA64PFR1_EL1.BT = 1), as QEMU's -cpu max.
void cpu_with_bti() {
    fake::reset();
    fake::registers().id_aa64pfr1_el1 = 1;
}

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

uint64_t leaf_bits(const idmap_t* m, uint64_t va) { return walk(m, va, va + kPage).at(0).bits; }

std::vector<idmap_lint_finding_t> lint(const idmap_t* m, uint32_t checks) {
    std::vector<uint64_t> scratch(1 << 14);
    idmap_lint_options_t options{checks, 0, scratch.data(), scratch.size()};
    idmap_lint_report_t report{};
    std::vector<idmap_lint_finding_t> findings(16);
    REQUIRE(idmap_lint(m, &options, findings.data(), findings.size(), &report) == IDMAP_OK);
    findings.resize(report.findings);
    return findings;
}

}  // namespace

TEST_CASE("guarded code: GP on every executable leaf map_range writes, none on the rest", "[bti]") {
    cpu_with_bti();
    Map m = new_map(1, 1);
    require_map(m.get(), 0, kPage, kRW);  // before: no GP
    REQUIRE(idmap_set_guarded_code(m.get(), true) == IDMAP_OK);
    CHECK(idmap_guarded_code(m.get()));
    require_map(m.get(), k2M, 2 * k2M, kRW | IDMAP_ATTR_READ_ONLY);                  // code: GP
    require_map(m.get(), 2 * k2M, 3 * k2M, kRW | IDMAP_ATTR_PXN);                    // EL0 code: GP
    require_map(m.get(), 3 * k2M, 4 * k2M, kRW | IDMAP_ATTR_EXECUTE_NEVER);          // data: none
    require_map(m.get(), 4 * k2M, 4 * k2M + kPage, IDMAP_ATTR_NORMAL);                // invalid: none
    const idmap_region_t alias = idmap_region(k1G, k1G + kPage);
    REQUIRE(idmap_map_range_to(m.get(), &alias, k2M, kRW | IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
    CHECK((leaf_bits(m.get(), 0) & IDMAP_ATTR_GP) == 0);
    CHECK(leaf_bits(m.get(), k2M) == (k2M | leaf_flags(kRW | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_GP, 2)));
    CHECK((leaf_bits(m.get(), 2 * k2M) & IDMAP_ATTR_GP) != 0);
    CHECK((leaf_bits(m.get(), 3 * k2M) & IDMAP_ATTR_GP) == 0);
    CHECK(leaf_bits(m.get(), 4 * k2M) == IDMAP_ATTR_NORMAL);
    CHECK((leaf_bits(m.get(), k1G) & IDMAP_ATTR_GP) != 0);
    // The MMU bring-up sets BT (BT1 of SCTLR_EL1); without guarded code it leaves BT alone.
    idmap_mmu_config_t config;
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &config) == IDMAP_OK);
    CHECK((config.sctlr_set & (IDMAP_SCTLR_BT | IDMAP_SCTLR_BT0)) == (IDMAP_SCTLR_BT | IDMAP_SCTLR_BT0));
    CHECK((config.sctlr_clear & (IDMAP_SCTLR_BT | IDMAP_SCTLR_BT0)) == 0);
    REQUIRE(idmap_set_guarded_code(m.get(), false) == IDMAP_OK);
    CHECK(!idmap_guarded_code(m.get()));
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &config) == IDMAP_OK);
    CHECK((config.sctlr_set & (IDMAP_SCTLR_BT | IDMAP_SCTLR_BT0)) == 0);
    require_map(m.get(), 5 * k2M, 6 * k2M, kRW);
    CHECK((leaf_bits(m.get(), 5 * k2M) & IDMAP_ATTR_GP) == 0);
}

TEST_CASE("guarded code in EL2: XN alone decides what is executable", "[bti]") {
    cpu_with_bti();
    Map m = new_map(config(IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER));
    REQUIRE(idmap_set_guarded_code(m.get(), true) == IDMAP_OK);
    require_map(m.get(), 0, k2M, kRW | IDMAP_ATTR_READ_ONLY);
    require_map(m.get(), k2M, 2 * k2M, kRW | IDMAP_ATTR_XN);
    CHECK((leaf_bits(m.get(), 0) & IDMAP_ATTR_GP) != 0);
    CHECK((leaf_bits(m.get(), k2M) & IDMAP_ATTR_GP) == 0);
    // EL2 has no EL0: BT alone (bit 35 is RES0 there).
    idmap_mmu_config_t config;
    REQUIRE(idmap_mmu_config(m.get(), fake::registers().id_aa64mmfr0_el1, &config) == IDMAP_OK);
    CHECK((config.sctlr_set & (IDMAP_SCTLR_BT | IDMAP_SCTLR_BT0)) == IDMAP_SCTLR_BT);
}

TEST_CASE("guarded code is refused where there is no GP bit, and changes nothing", "[bti]") {
    fake::reset();  // Cortex-A57: no FEAT_BTI
    Map m = new_map(1, 1);
    CHECK(idmap_set_guarded_code(m.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_NO_BTI);
    CHECK(last_error_text(m.get()) ==
          "invalid argument: the CPU has no FEAT_BTI (ID_AA64PFR1_EL1.BT is 0), so bit 50 is RES0, not GP");
    CHECK(!idmap_guarded_code(m.get()));
    CHECK(idmap_set_guarded_code(m.get(), false) == IDMAP_OK);  // off needs no BTI
    // The GP bit itself is written as given (the contract refuses only its listed bits).
    require_map(m.get(), 0, kPage, kRW | IDMAP_ATTR_GP);
    CHECK((leaf_bits(m.get(), 0) & IDMAP_ATTR_GP) != 0);
    CHECK(idmap_set_guarded_code(nullptr, true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(!idmap_guarded_code(nullptr));

    cpu_with_bti();
    Map s2 = new_stage2(s2_config(40, 1));
    CHECK(idmap_set_guarded_code(s2.get(), true) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(s2.get())->value == (IDMAP_ARG_NO_BTI | uint64_t{IDMAP_REGIME_STAGE2} << 16));
    CHECK(last_error_text(s2.get()) == "invalid argument: stage 2 has no guarded pages (GP is stage 1's)");
}

TEST_CASE("lint: executable leaves without GP, asked for or by a map with guarded code", "[bti][lint]") {
    cpu_with_bti();
    Map m = new_map(1, 1);
    require_map(m.get(), 0, k2M, kRW | IDMAP_ATTR_EXECUTE_NEVER);  // data
    require_map(m.get(), k2M, k2M + 2 * kPage, kRW | IDMAP_ATTR_READ_ONLY);  // code, no GP
    // Not in the default checks.
    CHECK(lint(m.get(), 0).empty());
    std::vector<idmap_lint_finding_t> f = lint(m.get(), IDMAP_LINT_CHECK_GUARDED);
    REQUIRE(f.size() == 2);
    CHECK(f[0].kind == IDMAP_LINT_UNGUARDED_CODE);
    CHECK(f[0].va == k2M);
    CHECK(f[0].level == 3);
    char text[200];
    (void)idmap_lint_finding_text(&f[0], text, sizeof text);
    CHECK(std::string(text) == "executable without GP: L3[0] va 0x200000, descriptor 0x200787");
    // A map with guarded code: its own leaves get GP; one a callback makes executable is
    // reported by the default lint, which reads GP as a bit (FEAT_BTI), not RES0.
    REQUIRE(idmap_set_guarded_code(m.get(), true) == IDMAP_OK);
    require_map(m.get(), k2M, k2M + 2 * kPage, kRW | IDMAP_ATTR_READ_ONLY);
    CHECK(lint(m.get(), 0).empty());
    REQUIRE(modify(m.get(), 0, kPage, [](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                return idmap_descriptor_modify_flags(&d, 0, IDMAP_ATTR_EXECUTE_NEVER) == IDMAP_OK ? 0 : 1;
            }) == IDMAP_OK);
    f = lint(m.get(), 0);
    REQUIRE(f.size() == 1);
    CHECK(f[0].kind == IDMAP_LINT_UNGUARDED_CODE);
    CHECK(f[0].va == 0);
}

TEST_CASE("Mapping::set_guarded_code in C++", "[bti]") {
    using namespace aarch64_paging;
    cpu_with_bti();
    IdMap map(1, 1);
    REQUIRE(map.is_valid());
    REQUIRE(map.mapping().set_guarded_code(true).is_ok());
    REQUIRE(map.map_range(MemoryRegion(0, 0x1000), Attributes::NORMAL | Attributes::VALID).is_ok());
    bool guarded = false;
    REQUIRE(map.walk_range(MemoryRegion(0, 0x1000), [&guarded](const MemoryRegion&, const Descriptor& d, unsigned) {
                   guarded = contains(d.flags(), Attributes::GP);
                   return true;
               }).is_ok());
    CHECK(guarded);
    fake::registers().id_aa64pfr1_el1 = 0;
    const Result r = map.mapping().set_guarded_code(true);
    CHECK(r.status() == Status::InvalidArgument);
    CHECK(r.error().value == argument_reason::NO_BTI);
}
