// Hardware Access flag and dirty state (FEAT_HAFDBS) on the host fake: the policy and its
// refusals, what map_range writes under it, TCR_ELx.HA/HD and VTCR_EL2.HA/HD, and
// collect_dirty's report, its making clean and its TLB maintenance. The fake MMU updates
// nothing: a write through a clean leaf is played by clearing AP[2] (setting S2AP[1]),
// as the hardware would, with a modify of an inactive map.
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

constexpr uint64_t kAp2 = IDMAP_ATTR_READ_ONLY;  // bit 7: AP[2] at stage 1, S2AP[1] at stage 2
constexpr uint64_t kGuestRam = IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE;

// A CPU whose ID_AA64MMFR1_EL1.HAFDBS is @p hafdbs (QEMU's -cpu max: 2).
void cpu_with_hafdbs(uint64_t hafdbs) {
    fake::reset();
    fake::registers().id_aa64mmfr1_el1 = hafdbs;
}

std::string last_error_text(const idmap_t* m) {
    char buf[300];
    (void)idmap_format_error(idmap_last_error(m), buf, sizeof buf);
    return buf;
}

uint64_t leaf_bits(const idmap_t* m, uint64_t va) { return walk(m, va, va + kPage).at(0).bits; }

// What the MMU does on the first write through each clean leaf of [start, end): AP[2]
// cleared (S2AP[1] set at stage 2). The map must be inactive (no TLB maintenance).
void hardware_write(idmap_t* m, uint64_t start, uint64_t end, bool stage2) {
    REQUIRE(modify(m, start, end, [stage2](const idmap_region_t&, idmap_descriptor_t& d, unsigned) {
                d.bits = stage2 ? d.bits | kAp2 : d.bits & ~kAp2;
                return 0;
            }) == IDMAP_OK);
}

// collect_dirty over [start, end), required to succeed: the page numbers reported.
std::vector<uint64_t> collect(idmap_t* m, uint64_t start, uint64_t end) {
    const idmap_region_t r = idmap_region(start, end);
    std::vector<uint64_t> bitmap(((r.end - (r.start & ~(kPage - 1))) / kPage + 63) / 64 + 1, ~uint64_t{0});
    REQUIRE(idmap_collect_dirty(m, &r, bitmap.data(), bitmap.size() - 1) == IDMAP_OK);
    CHECK(bitmap.back() == ~uint64_t{0});  // past the words the range needs: untouched
    std::vector<uint64_t> pages;
    for (uint64_t i = 0; i < (bitmap.size() - 1) * 64; ++i) {
        if ((bitmap[i / 64] >> (i % 64)) & 1) {
            pages.push_back(i);
        }
    }
    return pages;
}

std::vector<uint64_t> span(uint64_t first, uint64_t count) {
    std::vector<uint64_t> v;
    for (uint64_t i = 0; i < count; ++i) {
        v.push_back(first + i);
    }
    return v;
}

std::vector<uint64_t> join(std::vector<uint64_t> a, const std::vector<uint64_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("hardware updates are refused where the CPU lacks them, and change nothing", "[dirty]") {
    fake::reset();  // Cortex-A57: HAFDBS 0
    Map m = new_map(1, 1);
    CHECK(idmap_set_hardware_updates(m.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == (IDMAP_ARG_NO_HAFDBS | uint64_t{1} << 16));
    CHECK(last_error_text(m.get()) ==
          "invalid argument: a hardware Access flag needs ID_AA64MMFR1_EL1.HAFDBS 1 (FEAT_HAFDBS), the CPU has 0: "
          "leave the updates off");
    CHECK(idmap_hardware_updates(m.get()) == 0);

    cpu_with_hafdbs(1);  // the Access flag only
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_OK);
    CHECK(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == (IDMAP_ARG_NO_HAFDBS | uint64_t{2} << 16 | uint64_t{1} << 32));
    CHECK(last_error_text(m.get()) ==
          "invalid argument: hardware dirty state needs ID_AA64MMFR1_EL1.HAFDBS 2 (FEAT_HAFDBS), the CPU has 1: "
          "ask for the Access flag alone");
    CHECK(idmap_hardware_updates(m.get()) == IDMAP_HW_ACCESS_FLAG);
    CHECK(idmap_set_hardware_updates(m.get(), 4) == IDMAP_ERR_INVALID_FLAGS);
    CHECK(idmap_last_error(m.get())->value == 4);
    CHECK(idmap_hardware_updates(m.get()) == IDMAP_HW_ACCESS_FLAG);
    REQUIRE(idmap_set_hardware_updates(m.get(), 0) == IDMAP_OK);
    CHECK(idmap_hardware_updates(m.get()) == 0);
    CHECK(idmap_set_hardware_updates(nullptr, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_hardware_updates(nullptr) == 0);
}

TEST_CASE("under dirty tracking map_range writes writable leaves clean, with DBM", "[dirty]") {
    cpu_with_hafdbs(2);
    Map m = new_map(1, 1);
    require_map(m.get(), 0, kPage, kRW);  // before: writable, no DBM
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), k2M, 2 * k2M, kRW);                                  // a clean block
    require_map(m.get(), 2 * k2M, 2 * k2M + kPage, kRW | IDMAP_ATTR_READ_ONLY);  // read-only: as asked
    require_map(m.get(), 3 * k2M, 3 * k2M + kPage, kRW | IDMAP_ATTR_DBM);       // DBM given: clean too
    require_map(m.get(), 4 * k2M, 4 * k2M + kPage, IDMAP_ATTR_NORMAL);          // invalid: the flags alone
    const idmap_region_t alias = idmap_region(k1G, k1G + kPage);
    REQUIRE(idmap_map_range_to(m.get(), &alias, k2M, kRW, 0) == IDMAP_OK);
    CHECK(leaf_bits(m.get(), 0) == leaf_flags(kRW, 3));
    CHECK(leaf_bits(m.get(), k2M) == (k2M | leaf_flags(kRW | IDMAP_ATTR_DBM | kAp2, 2)));
    CHECK(leaf_bits(m.get(), 2 * k2M) == (2 * k2M | leaf_flags(kRW | kAp2, 3)));
    CHECK(leaf_bits(m.get(), 3 * k2M) == (3 * k2M | leaf_flags(kRW | IDMAP_ATTR_DBM | kAp2, 3)));
    CHECK(leaf_bits(m.get(), 4 * k2M) == IDMAP_ATTR_NORMAL);
    CHECK(leaf_bits(m.get(), k1G) == (k2M | leaf_flags(kRW | IDMAP_ATTR_DBM | kAp2, 3)));
    // The Access flag alone changes nothing map_range writes.
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_OK);
    require_map(m.get(), 5 * k2M, 5 * k2M + kPage, kRW);
    CHECK(leaf_bits(m.get(), 5 * k2M) == (5 * k2M | leaf_flags(kRW, 3)));

    Map s2 = new_stage2(s2_config(40, 1));
    REQUIRE(idmap_set_hardware_updates(s2.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(s2.get(), 0, kPage, kGuestRam);
    require_map(s2.get(), kPage, 2 * kPage, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ);
    CHECK(leaf_bits(s2.get(), 0) ==
          (IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ | IDMAP_S2_DBM | IDMAP_S2_ACCESSED |
           IDMAP_ATTR_TABLE_OR_PAGE));
    CHECK(leaf_bits(s2.get(), kPage) ==
          (kPage | IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ | IDMAP_S2_ACCESSED | IDMAP_ATTR_TABLE_OR_PAGE));
}

TEST_CASE("the MMU bring-up sets TCR_ELx.HA and HD, idmap_s2_vtcr VTCR_EL2.HA and HD", "[dirty][mmu]") {
    cpu_with_hafdbs(2);
    const uint64_t mmfr0 = fake::registers().id_aa64mmfr0_el1;
    constexpr uint64_t kHa1 = uint64_t{1} << 39, kHd1 = uint64_t{1} << 40;  // TCR_EL1, EL2&0
    constexpr uint64_t kHa = uint64_t{1} << 21, kHd = uint64_t{1} << 22;    // TCR_EL2, TCR_EL3, VTCR_EL2
    Map el1 = new_map(1, 1);
    idmap_mmu_config_t mmu;
    REQUIRE(idmap_mmu_config(el1.get(), mmfr0, &mmu) == IDMAP_OK);
    CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == 0);
    REQUIRE(idmap_set_hardware_updates(el1.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_OK);
    REQUIRE(idmap_mmu_config(el1.get(), mmfr0, &mmu) == IDMAP_OK);
    CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == kHa1);
    REQUIRE(idmap_set_hardware_updates(el1.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    REQUIRE(idmap_mmu_config(el1.get(), mmfr0, &mmu) == IDMAP_OK);
    CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == (kHa1 | kHd1));
    // Either map of a split asks for both ranges: one TCR.
    Map upper = new_map(config(IDMAP_REGIME_EL1_0, IDMAP_VA_RANGE_UPPER, 1));
    REQUIRE(idmap_set_hardware_updates(el1.get(), 0) == IDMAP_OK);
    REQUIRE(idmap_set_hardware_updates(upper.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    REQUIRE(idmap_mmu_config_split(el1.get(), upper.get(), mmfr0, &mmu) == IDMAP_OK);
    CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == (kHa1 | kHd1));

    for (const idmap_regime_t regime : {IDMAP_REGIME_EL2, IDMAP_REGIME_EL3}) {
        Map m = new_map(config(regime, IDMAP_VA_RANGE_LOWER));
        REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
        REQUIRE(idmap_mmu_config(m.get(), mmfr0, &mmu) == IDMAP_OK);
        CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == (kHa | kHd));
        REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_OK);
        REQUIRE(idmap_mmu_config(m.get(), mmfr0, &mmu) == IDMAP_OK);
        CHECK((mmu.tcr & (kHa1 | kHd1 | kHa | kHd)) == kHa);
    }

    Map s2 = new_stage2(s2_config(40, 1));
    uint64_t vtcr = 0;
    REQUIRE(idmap_s2_vtcr(s2.get(), 0x2, 2, &vtcr) == IDMAP_OK);
    CHECK((vtcr & (kHa | kHd)) == 0);
    REQUIRE(idmap_set_hardware_updates(s2.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    REQUIRE(idmap_s2_vtcr(s2.get(), 0x2, 2, &vtcr) == IDMAP_OK);
    CHECK((vtcr & (kHa | kHd)) == (kHa | kHd));
    // The ID register given is the judge: a CPU with the Access flag alone cannot run it.
    vtcr = 7;
    CHECK(idmap_s2_vtcr(s2.get(), 0x2, 1, &vtcr) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(s2.get())->value == (IDMAP_ARG_NO_HAFDBS | uint64_t{2} << 16 | uint64_t{1} << 32));
    CHECK(vtcr == 7);
    REQUIRE(idmap_set_hardware_updates(s2.get(), IDMAP_HW_ACCESS_FLAG) == IDMAP_OK);
    REQUIRE(idmap_s2_vtcr(s2.get(), 0x2, 1, &vtcr) == IDMAP_OK);
    CHECK((vtcr & (kHa | kHd)) == kHa);
}

TEST_CASE("collect_dirty reports the pages written and makes their leaves clean", "[dirty]") {
    cpu_with_hafdbs(2);
    Map m = new_map(1, 1);
    require_map(m.get(), 0, kPage, kRW);  // untracked: writable without DBM
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), kPage, 8 * kPage, kRW);                            // pages 1-7
    require_map(m.get(), 8 * kPage, 9 * kPage, kRW | IDMAP_ATTR_READ_ONLY);  // page 8: read-only
    require_map(m.get(), k2M, 2 * k2M, kRW);                                // a block: pages 512-1023
    const std::vector<Leaf> clean = trace(m.get());
    // Nothing written yet: the untracked page alone.
    CHECK(collect(m.get(), 0, 2 * k2M) == span(0, 1));
    CHECK(trace(m.get()) == clean);

    hardware_write(m.get(), 2 * kPage, 3 * kPage, false);
    hardware_write(m.get(), 5 * kPage, 7 * kPage, false);
    hardware_write(m.get(), k2M, 2 * k2M, false);
    CHECK(leaf_bits(m.get(), 2 * kPage) == (2 * kPage | leaf_flags(kRW | IDMAP_ATTR_DBM, 3)));
    CHECK(collect(m.get(), 0, 2 * k2M) == join(join(join(span(0, 1), span(2, 1)), span(5, 2)), span(512, 512)));
    CHECK(trace(m.get()) == clean);  // clean again, nothing else changed
    CHECK(collect(m.get(), 0, 2 * k2M) == span(0, 1));

    // A range that starts inside a page counts from that page.
    hardware_write(m.get(), 3 * kPage, 4 * kPage, false);
    CHECK(collect(m.get(), 3 * kPage + 8, 4 * kPage) == span(0, 1));
    CHECK(trace(m.get()) == clean);
}

TEST_CASE("collect_dirty leaves a dirty block that reaches past the range dirty", "[dirty]") {
    cpu_with_hafdbs(2);
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), k2M, 2 * k2M, kRW);
    const std::vector<Leaf> clean = trace(m.get());
    hardware_write(m.get(), k2M, 2 * k2M, false);
    const std::vector<Leaf> dirty = trace(m.get());
    // Its pages in the range reported; the block not split, not made clean.
    CHECK(collect(m.get(), k2M + 16 * kPage, k2M + 20 * kPage) == span(0, 4));
    CHECK(trace(m.get()) == dirty);
    CHECK(collect(m.get(), k2M - 2 * kPage, k2M + kPage) == span(2, 1));
    CHECK(trace(m.get()) == dirty);
    // The whole block: reported, and clean.
    CHECK(collect(m.get(), k2M, 2 * k2M) == span(0, 512));
    CHECK(trace(m.get()) == clean);
}

TEST_CASE("collect_dirty on an active map invalidates the TLB entries of what it made clean", "[dirty][tlb]") {
    cpu_with_hafdbs(2);
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), 0, 16 * kPage, kRW | kNG);
    hardware_write(m.get(), 3 * kPage, 5 * kPage, false);
    REQUIRE(idmap_activate(m.get()) == IDMAP_OK);
    fake::counters() = fake::Counters{};
    CHECK(collect(m.get(), 0, 16 * kPage) == span(3, 2));
    const fake::Counters& c = fake::counters();
    REQUIRE(c.log_count == 2);
    for (unsigned i = 0; i < 2; ++i) {
        CHECK(c.log[i].kind == fake::Tlbi::VaLastLevel);
        CHECK(c.log[i].operand == ((uint64_t{1} << 48) | (3 + i)));  // ASID 1, VA[55:12]
    }
    CHECK(c.dsb_ish >= 1);
    // Nothing dirty: nothing written, nothing invalidated.
    fake::counters() = fake::Counters{};
    CHECK(collect(m.get(), 0, 16 * kPage).empty());
    CHECK(fake::counters().log_count == 0);
    REQUIRE(idmap_deactivate(m.get()) == IDMAP_OK);
}

TEST_CASE("collect_dirty at stage 2: the guest's writes set S2AP[1]; clean clears it", "[dirty][stage2]") {
    cpu_with_hafdbs(2);
    Map s2 = new_stage2(s2_config(40, 1));
    REQUIRE(idmap_set_hardware_updates(s2.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(s2.get(), 0, 2 * k2M, kGuestRam, IDMAP_NO_BLOCK_MAPPINGS);
    const std::vector<Leaf> clean = trace(s2.get());
    hardware_write(s2.get(), 7 * kPage, 8 * kPage, true);
    hardware_write(s2.get(), 600 * kPage, 602 * kPage, true);
    CHECK((leaf_bits(s2.get(), 7 * kPage) & IDMAP_S2_WRITE) != 0);
    REQUIRE(idmap_s2_activate(s2.get()) == IDMAP_OK);
    fake::counters() = fake::Counters{};
    CHECK(collect(s2.get(), 0, 2 * k2M) == join(span(7, 1), span(600, 2)));
    CHECK(trace(s2.get()) == clean);
    // By IPA, then the VMID's stage-1 entries (TlbBatch::sync_stage2).
    const fake::Counters& c = fake::counters();
    REQUIRE(c.log_count >= 3);
    CHECK(c.log[0].regime == aarch64_paging::TranslationRegime::Stage2);
    CHECK(c.log[0].kind == fake::Tlbi::VaLastLevel);
    REQUIRE(idmap_deactivate(s2.get()) == IDMAP_OK);
}

TEST_CASE("collect_dirty refuses a bitmap too small or NULL, and a range outside the map", "[dirty]") {
    cpu_with_hafdbs(2);
    Map m = new_map(1, 1);
    REQUIRE(idmap_set_hardware_updates(m.get(), IDMAP_HW_DIRTY) == IDMAP_OK);
    require_map(m.get(), 0, k2M, kRW);
    hardware_write(m.get(), 0, k2M, false);
    const std::vector<Leaf> dirty = trace(m.get());
    const idmap_region_t r = idmap_region(0, 65 * kPage);  // 65 pages: 2 words
    uint64_t bitmap[2] = {5, 6};
    CHECK(idmap_collect_dirty(m.get(), &r, bitmap, 1) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == IDMAP_ARG_DIRTY_BITMAP);
    CHECK(idmap_last_error(m.get())->va == 2);
    CHECK(last_error_text(m.get()) ==
          "invalid argument: the dirty bitmap is too small: the region needs 2 64-bit words, a bit per page");
    CHECK((bitmap[0] == 5 && bitmap[1] == 6));
    CHECK(idmap_collect_dirty(m.get(), &r, nullptr, 2) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(m.get())->value == (IDMAP_ARG_DIRTY_BITMAP | uint64_t{1} << 16));
    const idmap_region_t outside = idmap_region(idmap_size(m.get()), idmap_size(m.get()) + kPage);
    CHECK(idmap_collect_dirty(m.get(), &outside, bitmap, 2) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_collect_dirty(m.get(), nullptr, bitmap, 2) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_collect_dirty(nullptr, &r, bitmap, 2) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(trace(m.get()) == dirty);
    // An empty range needs no word.
    const idmap_region_t empty = idmap_region(kPage, kPage);
    CHECK(idmap_collect_dirty(m.get(), &empty, bitmap, 0) == IDMAP_OK);
}

TEST_CASE("Mapping::collect_dirty in C++", "[dirty]") {
    using namespace aarch64_paging;
    cpu_with_hafdbs(2);
    IdMap map(1, 1);
    REQUIRE(map.is_valid());
    REQUIRE(map.mapping().set_hardware_updates(hardware_updates::DIRTY).is_ok());
    CHECK(map.mapping().hardware_updates() == hardware_updates::DIRTY);
    REQUIRE(map.map_range(MemoryRegion(0, 4 * 0x1000), Attributes::NORMAL | Attributes::VALID).is_ok());
    REQUIRE(map.modify_range(MemoryRegion(0x1000, 0x2000), [](const MemoryRegion&, Descriptor& d, unsigned) {
                   d = Descriptor(d.bits() & ~bits(Attributes::READ_ONLY));  // the MMU's write
                   return true;
               }).is_ok());
    uint64_t bitmap = 0;
    REQUIRE(map.mapping().collect_dirty(MemoryRegion(0, 4 * 0x1000), &bitmap, 1).is_ok());
    CHECK(bitmap == 0b10);
    REQUIRE(map.mapping().collect_dirty(MemoryRegion(0, 4 * 0x1000), &bitmap, 1).is_ok());
    CHECK(bitmap == 0);
    fake::registers().id_aa64mmfr1_el1 = 1;
    const Result r = map.mapping().set_hardware_updates(hardware_updates::DIRTY);
    CHECK(r.status() == Status::InvalidArgument);
    CHECK(r.error().value == (argument_reason::NO_HAFDBS | uint64_t{2} << 16 | uint64_t{1} << 32));
}
