// Seal mode (idmap_seal) and the errata policy (idmap_set_errata): additions to the C ABI.
#include <catch2/catch.hpp>

#include "arch/host/fake.hpp"
#include "support/capi_support.hpp"

using namespace capi_test;
namespace fake = aarch64_paging::arch::fake;

namespace {

// Sets then clears bits on every leaf of [start, end).
idmap_status_t change(idmap_t* m, uint64_t start, uint64_t end, uint64_t set, uint64_t clear) {
    return modify(m, start, end, [set, clear](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
        d.bits = (d.bits | set) & ~clear;
        return 0;
    });
}

std::vector<uint64_t> snapshot(const idmap_t* m) {
    std::vector<uint64_t> bits;
    for (const Leaf& l : trace(m)) bits.push_back(l.bits);
    return bits;
}

}  // namespace

TEST_CASE("a sealed map takes changes that tighten", "[seal]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0x40000000, 0x40200000, kRW | IDMAP_ATTR_USER | IDMAP_ATTR_DBM);
    REQUIRE(idmap_seal(m.get()) == IDMAP_OK);
    CHECK(idmap_is_sealed(m.get()));
    // READ_ONLY alone would make this EL0-writable page EL1-executable (PXN is clear): see
    // the case below; with PXN it tightens.
    CHECK(change(m.get(), 0x40000000, 0x40001000, IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_PXN, 0) == IDMAP_OK);
    CHECK(change(m.get(), 0x40001000, 0x40002000, IDMAP_ATTR_EXECUTE_NEVER, IDMAP_ATTR_USER) == IDMAP_OK);
    CHECK(change(m.get(), 0x40002000, 0x40003000, IDMAP_ATTR_SWFLAG_2, IDMAP_ATTR_DBM) == IDMAP_OK);
    CHECK(change(m.get(), 0x40003000, 0x40004000, 0, IDMAP_ATTR_VALID) == IDMAP_OK);
    const std::vector<Leaf> leaves = walk(m.get(), 0x40000000, 0x40004000);
    REQUIRE(leaves.size() == 4);
    CHECK((leaves[0].bits & IDMAP_ATTR_READ_ONLY) != 0);
    CHECK((leaves[1].bits & (IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_USER)) == IDMAP_ATTR_EXECUTE_NEVER);
    CHECK((leaves[2].bits & (IDMAP_ATTR_SWFLAG_2 | IDMAP_ATTR_DBM)) == IDMAP_ATTR_SWFLAG_2);
    CHECK((leaves[3].bits & IDMAP_ATTR_VALID) == 0);
    // Unmapping tightens too.
    const idmap_region_t r = idmap_region(0x40100000, 0x40200000);
    CHECK(idmap_unmap_range(m.get(), &r) == IDMAP_OK);
}

TEST_CASE("a sealed map refuses what widens, changing nothing", "[seal]") {
    Map m = new_map(1, 1);
    require_map(m.get(), 0x40000000, 0x40200000, kRW | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_EXECUTE_NEVER);
    require_map(m.get(), 0x40200000, 0x40201000, kRW);
    (void)change(m.get(), 0x40200000, 0x40201000, 0, IDMAP_ATTR_VALID);  // an invalid page
    REQUIRE(idmap_seal(m.get()) == IDMAP_OK);
    const std::vector<uint64_t> before = snapshot(m.get());

    struct Case {
        const char* what;
        uint64_t start, end, set, clear, widened;
    };
    const Case cases[] = {
        {"writable", 0x40000000, 0x40200000, 0, IDMAP_ATTR_READ_ONLY, IDMAP_ATTR_READ_ONLY},
        {"executable", 0x40000000, 0x40200000, 0, IDMAP_ATTR_PXN, IDMAP_ATTR_PXN},
        {"EL0 access", 0x40000000, 0x40200000, IDMAP_ATTR_USER, 0, IDMAP_ATTR_USER},
        {"device memory", 0x40000000, 0x40200000, 0, IDMAP_ATTR_NORMAL, IDMAP_ATTR_NORMAL},
        {"global", 0x40000000, 0x40200000, IDMAP_ATTR_NON_GLOBAL, 0, IDMAP_ATTR_NON_GLOBAL},
        {"valid again", 0x40200000, 0x40201000, IDMAP_ATTR_VALID, 0, IDMAP_ATTR_VALID},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const idmap_region_t r = idmap_region(c.start, c.end);
        CHECK(change(m.get(), c.start, c.end, c.set, c.clear) == IDMAP_ERR_SEALED);
        const idmap_error_t* e = idmap_last_error(m.get());
        CHECK(e->status == IDMAP_ERR_SEALED);
        CHECK(e->value == c.widened);
        CHECK(e->region.start == r.start);
        CHECK(e->region.end == r.end);
        CHECK(snapshot(m.get()) == before);
    }
    // A widening change to the last leaf of a range is found before the first changes.
    int calls = 0;
    CHECK(modify(m.get(), 0x40000000, 0x40200000, [&calls](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
              d.bits &= ++calls == 1 ? ~uint64_t{0} : ~IDMAP_ATTR_READ_ONLY;
              return 0;
          }) == IDMAP_ERR_SEALED);
    CHECK(snapshot(m.get()) == before);
    CHECK(map_range(m.get(), 0x40400000, 0x40401000, kRW) == IDMAP_ERR_SEALED);
    CHECK(idmap_last_error(m.get())->value == (kRW | IDMAP_ATTR_VALID));
    CHECK(map_range(m.get(), 0x40000000, 0x40200000, kRW | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_EXECUTE_NEVER) ==
          IDMAP_ERR_SEALED);
    CHECK(snapshot(m.get()) == before);
    char text[128];
    idmap_format_error(idmap_last_error(m.get()), text, sizeof text);
    CHECK(std::string(text).find("sealed") == 0);
    CHECK(idmap_seal(nullptr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK_FALSE(idmap_is_sealed(nullptr));
    CHECK(std::string(idmap_status_str(IDMAP_ERR_SEALED)) == "sealed");
}

// A page EL0 can write is never executable at EL1, whatever PXN says (Arm ARM D8.4): with
// PXN clear, taking EL0's write away (clearing USER, or setting READ_ONLY) makes it
// EL1-executable. The seal judges by the access granted, not by which bits were set.
TEST_CASE("a sealed map refuses to make an EL0-writable page executable at EL1", "[seal]") {
    for (const idmap_regime_t regime : {IDMAP_REGIME_EL1_0, IDMAP_REGIME_EL2_0}) {
        CAPTURE(regime);
        idmap_config_t config{};
        config.regime = regime;
        config.asid = 1;
        config.root_level = 1;
        Map m(idmap_new_with_config(&config), &idmap_free);
        REQUIRE(m.get() != nullptr);
        const uint64_t el0_rw = kRW | IDMAP_ATTR_USER | IDMAP_ATTR_UXN;  // PXN clear
        require_map(m.get(), 0x40000000, 0x40004000, el0_rw, IDMAP_NO_BLOCK_MAPPINGS);
        REQUIRE(idmap_seal(m.get()) == IDMAP_OK);
        const std::vector<uint64_t> before = snapshot(m.get());
        CHECK(change(m.get(), 0x40000000, 0x40001000, 0, IDMAP_ATTR_USER) == IDMAP_ERR_SEALED);
        CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_USER);
        CHECK(change(m.get(), 0x40001000, 0x40002000, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_ERR_SEALED);
        CHECK(idmap_last_error(m.get())->value == IDMAP_ATTR_READ_ONLY);
        CHECK(snapshot(m.get()) == before);
        // With PXN set in the same change, both tighten.
        CHECK(change(m.get(), 0x40000000, 0x40001000, IDMAP_ATTR_PXN, IDMAP_ATTR_USER) == IDMAP_OK);
        CHECK(change(m.get(), 0x40001000, 0x40002000, IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_PXN, 0) == IDMAP_OK);
        // And once PXN is set, the EL0 write may go alone.
        CHECK(change(m.get(), 0x40002000, 0x40003000, IDMAP_ATTR_PXN, 0) == IDMAP_OK);
        CHECK(change(m.get(), 0x40002000, 0x40003000, 0, IDMAP_ATTR_USER) == IDMAP_OK);
    }
}

TEST_CASE("the errata policy repeats every TLBI after a DSB ISH", "[errata]") {
    CHECK(idmap_errata() == 0);
    CHECK(idmap_set_errata(1u << 5) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_errata() == 0);
    Map m = new_map(3, 1);
    require_map(m.get(), 0x40000000, 0x40200000, kRW | kNG, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);

    const auto tlbis_for_one_change = [&](unsigned& dsb_ish) {
        fake::reset();
        REQUIRE(change(m.get(), 0x40001000, 0x40002000, IDMAP_ATTR_READ_ONLY, 0) == IDMAP_OK);
        dsb_ish = fake::counters().dsb_ish;
        return std::vector<fake::Tlbi>(fake::counters().log, fake::counters().log + fake::counters().log_count);
    };
    unsigned dsb = 0;
    const std::vector<fake::Tlbi> plain = tlbis_for_one_change(dsb);
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].kind == fake::Tlbi::VaLastLevel);
    CHECK(plain[0].operand == ((uint64_t{3} << 48) | (0x40001000 >> 12)));
    CHECK(dsb == 1);

    REQUIRE(idmap_set_errata(IDMAP_ERRATUM_REPEAT_TLBI) == IDMAP_OK);
    CHECK(idmap_errata() == IDMAP_ERRATUM_REPEAT_TLBI);
    REQUIRE(change(m.get(), 0x40001000, 0x40002000, 0, IDMAP_ATTR_READ_ONLY) == IDMAP_OK);  // back
    const std::vector<fake::Tlbi> repeated = tlbis_for_one_change(dsb);
    REQUIRE(idmap_set_errata(0) == IDMAP_OK);
    REQUIRE(repeated.size() == 2);
    CHECK(repeated[1].kind == repeated[0].kind);
    CHECK(repeated[1].operand == plain[0].operand);
    CHECK(dsb == 2);  // one between the two TLBIs, one to complete them
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("the errata policy can forbid the contiguous hint on every map", "[errata][contiguous]") {
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_contiguous_hint(m.get(), true) == IDMAP_OK);
    require_map(m.get(), 0x40000000, 0x40010000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    REQUIRE((walk(m.get(), 0x40000000, 0x40001000)[0].bits & kContiguous) != 0);
    REQUIRE(idmap_set_errata(IDMAP_ERRATUM_NO_CONTIGUOUS_HINT) == IDMAP_OK);
    // A change clears the group it touches and sets none.
    require_map(m.get(), 0x40000000, 0x40010000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    require_map(m.get(), 0x40100000, 0x40110000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    size_t hinted = 0;
    for (const Leaf& l : trace(m.get())) hinted += (l.bits & kContiguous) != 0;
    CHECK(hinted == 0);
    REQUIRE(idmap_set_errata(0) == IDMAP_OK);
    require_map(m.get(), 0x40100000, 0x40110000, kRW, IDMAP_NO_BLOCK_MAPPINGS);
    CHECK((walk(m.get(), 0x40100000, 0x40101000)[0].bits & kContiguous) != 0);
}
