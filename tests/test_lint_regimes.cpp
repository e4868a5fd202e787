// The linter over the library's own maps in every regime and VA range: clean trees give
// no finding, and an alias found in an upper-range linear map is reported at its upper
// addresses.
#include <catch2/catch.hpp>

#include "aarch64_paging/lint.hpp"
#include "aarch64_paging/linear_map.hpp"

using namespace aarch64_paging;

namespace {

constexpr Attributes kRW = Attributes::NORMAL | Attributes::VALID;

struct Lint {
    uint64_t scratch[4096];
    LintFinding findings[8];
    LintReport report;
    Result run(const LintTree* trees, size_t count) {
        const LintOptions options{lint_checks::ALL, 0, scratch, sizeof scratch / sizeof scratch[0]};
        return lint(trees, count, options, findings, 8, report);
    }
};

}  // namespace

TEST_CASE("the library's maps lint clean in every regime and range", "[lint][regime]") {
    const Regime regimes[] = {{TranslationRegime::El1And0, VaRange::Lower}, {TranslationRegime::El1And0, VaRange::Upper},
                              {TranslationRegime::El2, VaRange::Lower},     {TranslationRegime::El2And0, VaRange::Upper},
                              {TranslationRegime::El3, VaRange::Lower}};
    for (const Regime& where : regimes) {
        CAPTURE(static_cast<int>(where.regime), static_cast<int>(where.range));
        const bool upper = where.range == VaRange::Upper;
        const uint64_t base = upper ? 0 - (uint64_t{1} << 39) : 0;
        const uint64_t asid = has_two_privilege_levels(where.regime) ? 1 : 0;
        LinearMap map(where, asid, 1, upper ? static_cast<int64_t>(uint64_t{1} << 39) : 0);
        REQUIRE(map.is_valid());
        const Attributes xn = has_two_privilege_levels(where.regime) ? Attributes::EXECUTE_NEVER : Attributes::XN;
        REQUIRE(map.map_range(MemoryRegion(base + 0x40000000, base + 0x40300000), kRW | xn).is_ok());
        REQUIRE(map.map_range(MemoryRegion(base + 0x40300000, base + 0x40301000), kRW | Attributes::READ_ONLY).is_ok());
        const LintTree tree = lint_tree(map.mapping());
        CHECK(tree.va_base == base);
        Lint l;
        REQUIRE(l.run(&tree, 1).is_ok());
        CHECK(l.report.findings == 0);
    }
}

TEST_CASE("a W^X alias in an upper-range linear map is reported at its upper address", "[lint][regime]") {
    const uint64_t base = 0 - (uint64_t{1} << 39);
    // The kernel's linear map: RAM read-write.
    LinearMap upper({TranslationRegime::El1And0, VaRange::Upper}, 1, 1, static_cast<int64_t>(uint64_t{1} << 39));
    REQUIRE(upper.map_range(MemoryRegion(base + 0x40000000, base + 0x40200000),
                            kRW | Attributes::EXECUTE_NEVER).is_ok());
    // The identity map: one of those pages executable.
    LinearMap lower({TranslationRegime::El1And0, VaRange::Lower}, 1, 1, 0);
    REQUIRE(lower.map_range(MemoryRegion(0x40001000, 0x40002000), kRW | Attributes::READ_ONLY).is_ok());
    const LintTree trees[] = {lint_tree(upper.mapping()), lint_tree(lower.mapping())};
    Lint l;
    REQUIRE(l.run(trees, 2).is_ok());
    REQUIRE(l.report.findings == 1);
    const LintFinding& f = l.findings[0];
    CHECK(f.kind == LintKind::WxAlias);
    CHECK(f.pa == 0x40001000);
    CHECK(f.size == 0x1000);
    // One side is the upper alias, the other the identity address.
    const bool upper_first = f.va >= base;
    CHECK((upper_first ? f.va : f.other_va) == base + 0x40001000);
    CHECK((upper_first ? f.other_va : f.va) == 0x40001000);
}
