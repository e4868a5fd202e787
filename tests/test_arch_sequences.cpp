// The order of what a live change and a TTBR switch issue, read from the host fake's event
// log (src/arch/host/fake.hpp), with the tables looked at from its hook at the moment of
// each event: the orders the Arm ARM requires (DDI 0487K.a D8.13.3 "Using
// break-before-make", D8.14 "TLB maintenance", D8.16.1 on TLB conflicts), not only the
// counts.
#include <catch2/catch.hpp>

#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/stage2.hpp"
#include "arch/host/fake.hpp"

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

using namespace aarch64_paging;
namespace fake = aarch64_paging::arch::fake;
using Kind = fake::Event::Kind;

namespace {

constexpr uint64_t G1 = uint64_t{1} << 30;
constexpr uint64_t M2 = uint64_t{1} << 21;
constexpr uint64_t K4 = 4096;
constexpr uint64_t kOa = 0x0000'ffff'ffff'f000;
const Attributes kRw = Attributes::NORMAL | Attributes::VALID | Attributes::NON_GLOBAL;

// Heap pages that remember the last one handed out and when each was given back (the
// event count then).
struct Pages {
    void* last = nullptr;
    std::vector<unsigned> freed_at;
    static void* alloc(void* ctx) {
        auto* p = static_cast<Pages*>(ctx);
        p->last = std::aligned_alloc(K4, K4);
        return p->last;
    }
    static void release(void* ctx, void* page) {
        static_cast<Pages*>(ctx)->freed_at.push_back(fake::events().count);
        std::free(page);
    }
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
};

// The hook: calls fn for every event while in scope.
struct Hook {
    std::function<void(const fake::Event&)> fn;
    explicit Hook(std::function<void(const fake::Event&)> f) : fn(std::move(f)) {
        fake::events().hook = [](const fake::Event& e, void* ctx) { static_cast<Hook*>(ctx)->fn(e); };
        fake::events().hook_ctx = this;
    }
    ~Hook() { fake::events().hook = nullptr; }
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;
};

// The kinds of the events from index first on.
std::vector<Kind> kinds_from(unsigned first) {
    std::vector<Kind> out;
    const fake::Events& e = fake::events();
    for (unsigned i = first; i < e.count && i < fake::Events::SIZE; ++i) {
        out.push_back(e.log[i].kind);
    }
    return out;
}

uint64_t* table(uint64_t descriptor) { return reinterpret_cast<uint64_t*>(descriptor & kOa); }

struct LiveMap {
    Pages pages;
    Mapping<> m;
    explicit LiveMap(Regime where = {}, uint64_t asid = 1) {
        fake::registers().sctlr_el1 |= arch::SCTLR_DATA_CACHED;  // the MMU and caches on
        REQUIRE(m.init(asid, 1, pages.allocator(), 0, where).is_ok());
        // A level-2 table for [1 GiB, 2 GiB) with one 2 MiB block, and a level-3 table.
        REQUIRE(m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1), kRw).is_ok());
        REQUIRE(m.map_range(MemoryRegion(G1 + M2, G1 + M2 + 16 * K4), PhysicalAddress(G1 + M2), kRw).is_ok());
        REQUIRE(m.activate().is_ok());
    }
    ~LiveMap() {
        fake::events().hook = nullptr;
        m.release();
    }
    uint64_t* root() const { return reinterpret_cast<uint64_t*>(m.root_address().value()); }
    uint64_t* level2() const { return table(root()[1]); }
};

}  // namespace

namespace Catch {
template <>
struct StringMaker<Kind> {
    static std::string convert(Kind k) {
        static const char* const names[] = {"DSB ISHST", "DSB ISH",   "ISB",          "TLBI",        "TTBR write",
                                            "SCTLR write", "DC CVAC", "DC CIVAC", "DC IVAC", "set/way clean", "VTCR write"};
        return k < sizeof names / sizeof names[0] ? names[k] : "?";
    }
};
}  // namespace Catch

// A new table joins a live tree only after its entries are written and a DSB ISHST makes
// them visible to the walker: at every DSB ISHST before the link, the link is not there.
TEST_CASE("a new table is linked into a live tree after its entries and a DSB ISHST", "[arch][order]") {
    fake::reset();
    LiveMap live;
    uint64_t* const slot = &live.level2()[4];  // [1 GiB + 8 MiB, +2 MiB): empty
    REQUIRE(*slot == 0);
    const uint64_t va = G1 + 4 * M2 + 3 * K4;
    unsigned barriers_before_link = 0;
    bool link_seen_at_a_barrier = false;
    const unsigned first = fake::next_event();
    {
        Hook hook([&](const fake::Event& e) {
            if (e.kind != Kind::DsbIshst) {
                return;
            }
            if (*slot != 0) {
                link_seen_at_a_barrier = true;
                return;
            }
            // The new table, not yet reachable, holds nothing a walker could take amiss:
            // every entry empty, or the page already (the walk fills a new table before
            // it links it, in both builds).
            const auto* fresh = static_cast<const uint64_t*>(live.pages.last);
            for (unsigned i = 0; i < 512; ++i) {
                CHECK((fresh[i] == 0 || (i == 3 && (fresh[i] & kOa) == (va & kOa))));
            }
            ++barriers_before_link;
        });
        REQUIRE(live.m.map_range(MemoryRegion(va, va + K4), PhysicalAddress(va), kRw).is_ok());
    }
    CHECK(barriers_before_link == 1);
    CHECK(table(*slot) == live.pages.last);
    // Then, the call having made nothing stale: DSB ISHST, ISB, so that nothing fetched
    // or begun before can fault for want of the new entries.
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::DsbIshst, Kind::DsbIshst, Kind::Isb});
    CHECK(link_seen_at_a_barrier);  // the closing one
}

// A change to live entries: written, DSB ISHST, the TLBIs, DSB ISH, ISB.
TEST_CASE("a live change: entries written, DSB ISHST, TLBI, DSB ISH, ISB", "[arch][order]") {
    fake::reset();
    LiveMap live;
    uint64_t* const page = &table(live.level2()[1])[2];  // G1 + 2 MiB + 8 KiB
    const uint64_t before = *page;
    bool written_at_barrier = false;
    bool written_at_tlbi = false;
    const unsigned first = fake::next_event();
    {
        Hook hook([&](const fake::Event& e) {
            if (e.kind == Kind::DsbIshst) {
                written_at_barrier = *page != before;
            } else if (e.kind == Kind::Tlbi) {
                written_at_tlbi = *page != before;
            }
        });
        REQUIRE(live.m.map_range(MemoryRegion(G1 + M2 + 2 * K4, G1 + M2 + 3 * K4), PhysicalAddress(G1 + M2 + 2 * K4),
                                 kRw | Attributes::READ_ONLY)
                    .is_ok());
    }
    CHECK(written_at_barrier);
    CHECK(written_at_tlbi);
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Isb});
}

// A table taken out of a live tree goes back to the allocator only after the TLBI that
// drops it from the walk caches, and the DSB ISH that completes it.
TEST_CASE("a table of a live tree is given back after its TLBI and DSB ISH", "[arch][order]") {
    fake::reset();
    LiveMap live;
    live.pages.freed_at.clear();
    const unsigned first = fake::next_event();
    REQUIRE(live.m.unmap_range(MemoryRegion(G1 + M2, G1 + 2 * M2)).is_ok());  // the level-3 table goes
    REQUIRE(live.pages.freed_at.size() == 1);
    const std::vector<Kind> before_free = kinds_from(first);
    REQUIRE(live.pages.freed_at[0] - first == before_free.size());  // freed after every event
    CHECK(before_free == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Isb});
    const fake::Tlbi& t = fake::counters().log[fake::counters().log_count - 1];
    CHECK(t.kind == fake::Tlbi::Regime);  // 16 pages and the table: past the batch of 16
}

// ---- Switching tables (arch::switch_ttbr)

TEST_CASE("ttbr_switch: a break where nothing keeps the two trees' TLB entries apart", "[arch][switch]") {
    using arch::TtbrSwitch;
    const uint64_t a1 = 0x1000 | (uint64_t{1} << 48), b1 = 0x2000 | (uint64_t{1} << 48), b2 = 0x2000 | (uint64_t{2} << 48);
    const Regime el1{TranslationRegime::El1And0, VaRange::Lower};
    const Regime el1_upper{TranslationRegime::El1And0, VaRange::Upper};
    const Regime el2{TranslationRegime::El2, VaRange::Lower};
    const Regime el3{TranslationRegime::El3, VaRange::Lower};
    CHECK(arch::ttbr_switch(el1, true, a1, b2) == TtbrSwitch::Direct);         // other ASIDs
    CHECK(arch::ttbr_switch(el1, true, a1, b1) == TtbrSwitch::ThroughMmuOff);  // one ASID
    CHECK(arch::ttbr_switch(el1_upper, true, a1, b2) == TtbrSwitch::ThroughMmuOff);  // TTBR0's tags both
    CHECK(arch::ttbr_switch(el2, true, 0x1000, 0x2000) == TtbrSwitch::ThroughMmuOff);
    CHECK(arch::ttbr_switch(el3, true, 0x1000, 0x2000) == TtbrSwitch::ThroughMmuOff);
    CHECK(arch::ttbr_switch(el2, false, 0x1000, 0x2000) == TtbrSwitch::Direct);  // MMU off, or not running
    CHECK(arch::ttbr_switch(el2, true, 0x1000, 0x1000) == TtbrSwitch::Direct);   // the same tree
}

// At EL2 with the MMU on, activate and deactivate switch TTBR0_EL2 through the MMU off:
// M cleared, TTBR written, the whole regime invalidated and completed, M set again.
TEST_CASE("at EL2 with the MMU on, activate and deactivate switch through the MMU off", "[arch][switch]") {
    fake::reset();
    fake::Registers& r = fake::registers();
    r.current_el = 2;
    r.sctlr_el2 |= 1;  // M
    r.ttbr0_el2 = 0x8000'0000;
    const uint64_t sctlr = r.sctlr_el2;
    Pages pages;
    Mapping<> m;
    REQUIRE(m.init(0, 1, pages.allocator(), 0, Regime{TranslationRegime::El2, VaRange::Lower}).is_ok());
    const std::vector<Kind> through_mmu_off = {Kind::DsbIshst, Kind::SctlrWrite, Kind::Isb,        Kind::TtbrWrite,
                                               Kind::Tlbi,     Kind::DsbIsh,     Kind::SctlrWrite, Kind::Isb};
    unsigned first = fake::next_event();
    REQUIRE(m.activate().is_ok());
    CHECK(kinds_from(first) == through_mmu_off);
    CHECK(fake::events().log[first + 1].value == (sctlr & ~uint64_t{1}));
    CHECK(fake::events().log[first + 6].value == sctlr);
    CHECK(r.ttbr0_el2 == m.root_address().value());
    first = fake::next_event();
    REQUIRE(m.deactivate().is_ok());
    CHECK(kinds_from(first) == through_mmu_off);
    CHECK(r.ttbr0_el2 == 0x8000'0000);

    // From code that is not mapped to itself, the switch is refused and nothing changes.
    r.unmapped_switch_code = 0xffff'0000'1234'5000;
    first = fake::next_event();
    const Result refused = m.activate();
    CHECK(refused.status() == Status::InvalidArgument);
    CHECK(refused.error().value == argument_reason::CODE_NOT_IDENTITY_MAPPED);
    CHECK(refused.error().va.value() == 0xffff'0000'1234'5000);
    CHECK_FALSE(m.is_active());
    CHECK(r.ttbr0_el2 == 0x8000'0000);
    CHECK(r.sctlr_el2 == sctlr);
    m.release();
    fake::reset();
}

// A release whose deactivation is refused leaves the tables to the TTBR that holds them:
// none is given back, and the mapping is as before init().
TEST_CASE("release keeps the tables of a mapping whose deactivation is refused", "[arch][switch]") {
    fake::reset();
    fake::Registers& r = fake::registers();
    r.current_el = 2;
    r.sctlr_el2 |= 1;  // M: the switch goes through the MMU off
    Pages pages;
    Mapping<> m;
    REQUIRE(m.init(0, 1, pages.allocator(), 0, Regime{TranslationRegime::El2, VaRange::Lower}).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1), Attributes::NORMAL | Attributes::VALID)
                .is_ok());
    REQUIRE(m.activate().is_ok());
    std::vector<void*> tables;
    m.for_each_table([&](const void* t) { tables.push_back(const_cast<void*>(t)); });
    REQUIRE(tables.size() == 3);
    r.unmapped_switch_code = 0xffff'0000'1234'5000;
    m.release();
    REQUIRE(pages.freed_at.empty());
    CHECK(r.ttbr0_el2 == reinterpret_cast<uintptr_t>(tables[0]));  // the root
    CHECK_FALSE(m.is_initialised());
    CHECK_FALSE(m.is_active());
    CHECK(m.table_count() == 0);
    for (void* t : tables) {
        std::free(t);
    }
    fake::reset();
}

// In EL1&0 with the MMU on, ASIDs keep two lower-range trees apart; one ASID in both does
// not, and the switch goes through the MMU off.
TEST_CASE("at EL1 with the MMU on, one ASID in both trees switches through the MMU off", "[arch][switch]") {
    for (const uint64_t previous_asid : {2u, 1u}) {
        CAPTURE(previous_asid);
        fake::reset();
        fake::Registers& r = fake::registers();
        r.sctlr_el1 |= 1;
        r.ttbr0_el1 = 0x8000'0000 | (previous_asid << 48);
        Pages pages;
        Mapping<> m;
        REQUIRE(m.init(1, 1, pages.allocator()).is_ok());
        const unsigned first = fake::next_event();
        REQUIRE(m.activate().is_ok());
        const std::vector<Kind> direct = {Kind::DsbIshst, Kind::TtbrWrite, Kind::Isb};
        const std::vector<Kind> got = kinds_from(first);
        CHECK((got == direct) == (previous_asid != 1));
        CHECK((got.size() > 1 && got[1] == Kind::SctlrWrite) == (previous_asid == 1));
        REQUIRE(m.deactivate().is_ok());
        m.release();
    }
    fake::reset();
}

// With TCR_EL2.A1 = 0, TTBR0_EL2's ASID tags the entries of an EL2&0 upper map; EL2 has no
// TLBI by VA for every ASID, so an upper map of another ASID is refused.
TEST_CASE("an EL2&0 upper map is activated only with TTBR0_EL2's ASID", "[arch][switch]") {
    fake::reset();
    fake::registers().ttbr0_el2 = uint64_t{3} << 48;
    Pages pages;
    Mapping<> m;
    REQUIRE(m.init(4, 1, pages.allocator(), 0, Regime{TranslationRegime::El2And0, VaRange::Upper}).is_ok());
    const Result refused = m.activate();
    CHECK(refused.status() == Status::InvalidArgument);
    CHECK(refused.error().value == (argument_reason::UPPER_ASID | (uint64_t{4} << 16) | (uint64_t{3} << 32)));
    char text[200];
    refused.error().format(text, sizeof text);
    CHECK(std::string(text) ==
          "invalid argument: the upper map's ASID 4 is not TTBR0's ASID 3, which tags its entries (TCR.A1 = 0)");
    uint64_t previous = 0;
    CHECK(m.activate_on_core(previous).error().value == refused.error().value);
    CHECK_FALSE(m.is_active());
    fake::registers().ttbr0_el2 = uint64_t{4} << 48;
    REQUIRE(m.activate().is_ok());
    REQUIRE(m.deactivate().is_ok());
    m.release();
    fake::reset();
}

// ---- Stage 2 (Arm ARM D8.14, the stage-2 TLBIs: they act on the VMID in VTTBR_EL2;
// Linux's __load_stage2 and __kvm_tlb_flush_vmid_ipa).

namespace {

const Stage2Attributes kGuestRam = Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ_WRITE;

// A stage-2 map, 40-bit IPA from level 1 (two concatenated root tables), VMID 5, with a
// 2 MiB block at IPA 1 GiB and 32 pages at 1 GiB + 2 MiB, at EL2 with its caches on.
struct Stage2Map {
    Mapping<> m;
    Stage2Map() {
        fake::registers().current_el = 2;
        fake::registers().sctlr_el2 |= arch::SCTLR_DATA_CACHED;
        REQUIRE(m.init_stage2(5, 1, default_page_allocator_contiguous(), 0, Stage2Options{40, false}).is_ok());
        REQUIRE(m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1), kGuestRam).is_ok());
        REQUIRE(m.map_range(MemoryRegion(G1 + M2, G1 + M2 + 32 * K4), PhysicalAddress(G1 + M2), kGuestRam).is_ok());
    }
    ~Stage2Map() {
        fake::events().hook = nullptr;
        m.release();
    }
    uint64_t* level2() const { return table(reinterpret_cast<uint64_t*>(m.root_address().value())[1]); }
};

fake::Tlbi tlbi(unsigned i) { return fake::counters().log[i]; }

// IPA 1 GiB + 4 KiB of the active s2 made read-only by map_range_break_before_make, which
// splits the live block at slot: the slot at each event the call issues.
std::vector<uint64_t> split_read_only(Stage2Map& s2, const uint64_t* slot) {
    std::vector<uint64_t> slot_at;
    Hook hook([&](const fake::Event&) { slot_at.push_back(*slot); });
    REQUIRE(s2.m.map_range_break_before_make(MemoryRegion(G1 + K4, G1 + 2 * K4), PhysicalAddress(G1 + K4),
                                             Stage2Attributes::VALID | Stage2Attributes::NORMAL |
                                                 Stage2Attributes::READ)
                .is_ok());
    return slot_at;
}

}  // namespace

TEST_CASE("stage 2: activation writes VTCR_EL2 and VTTBR_EL2, ISB, TLBI VMALLS12E1IS, DSB ISH, ISB",
          "[arch][stage2]") {
    fake::reset();
    Stage2Map s2;
    const unsigned first = fake::next_event();
    REQUIRE(stage2_activate(s2.m).is_ok());
    // ID_AA64MMFR0_EL1 0x1124: PARange 44 bits; 8-bit VMIDs.
    CHECK(fake::registers().vtcr_el2 == 0x80043558);
    CHECK(fake::registers().vttbr_el2 == (s2.m.root_address().value() | uint64_t{5} << 48));
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::VtcrWrite, Kind::DsbIshst, Kind::TtbrWrite, Kind::Isb,
                                                 Kind::Tlbi, Kind::DsbIsh, Kind::Isb});
    CHECK(tlbi(0).kind == fake::Tlbi::Regime);
    CHECK(tlbi(0).regime == TranslationRegime::Stage2);
    CHECK(stage2_activate(s2.m).status() == Status::AlreadyActive);
    // Deactivation: the VMID's entries go while it is VTTBR_EL2's, then the old value back.
    const unsigned leaving = fake::next_event();
    REQUIRE(s2.m.deactivate().is_ok());
    CHECK(kinds_from(leaving) == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::TtbrWrite, Kind::Isb,
                                                   Kind::Tlbi, Kind::DsbIsh, Kind::Isb});
    CHECK(fake::registers().vttbr_el2 == 0);
    // With EL2's data cache off, every table page (both root tables) is cleaned to PoC first.
    fake::registers().sctlr_el2 &= ~arch::SCTLR_DATA_CACHED;
    const unsigned cold = fake::next_event();
    REQUIRE(stage2_activate(s2.m).is_ok());
    const std::vector<Kind> k = kinds_from(cold);
    REQUIRE(k.size() >= 5);
    CHECK(std::vector<Kind>(k.begin(), k.begin() + 5) ==
          std::vector<Kind>{Kind::CleanInvalidateToPoc, Kind::CleanInvalidateToPoc, Kind::CleanInvalidateToPoc,
                            Kind::CleanInvalidateToPoc, Kind::VtcrWrite});
    REQUIRE(s2.m.deactivate().is_ok());
}

TEST_CASE("stage 2: a live change is invalidated by IPA for the map's VMID, then VMALLE1IS", "[arch][stage2]") {
    fake::reset();
    Stage2Map s2;
    REQUIRE(stage2_activate(s2.m).is_ok());
    // Another guest's VMID is current: the TLBIs must act on VMID 5.
    const uint64_t other = 0x8'0000 | uint64_t{9} << 48;
    fake::registers().vttbr_el2 = other;
    uint64_t* const page = &table(s2.level2()[1])[2];  // IPA 1 GiB + 2 MiB + 8 KiB
    bool written_at_barrier = false;
    uint64_t vttbr_at_tlbi = 0;
    const unsigned first = fake::next_event();
    const unsigned tlbis = fake::counters().log_count;
    {
        Hook hook([&](const fake::Event& e) {
            if (e.kind == Kind::DsbIshst && (*page & bits(Stage2Attributes::WRITE)) == 0) {
                written_at_barrier = true;
            }
            if (e.kind == Kind::Tlbi) {
                vttbr_at_tlbi = fake::registers().vttbr_el2;
            }
        });
        const uint64_t ipa = G1 + M2 + 2 * K4;
        REQUIRE(s2.m.map_range(MemoryRegion(ipa, ipa + K4), PhysicalAddress(ipa),
                               Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ)
                    .is_ok());
    }
    CHECK(written_at_barrier);
    CHECK(vttbr_at_tlbi == s2.m.ttbr());
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::DsbIshst, Kind::TtbrWrite, Kind::Isb, Kind::Tlbi, Kind::DsbIsh,
                                                 Kind::Tlbi, Kind::DsbIsh, Kind::Isb, Kind::TtbrWrite, Kind::Isb});
    // TLBI IPAS2LE1IS with IPA[55:12], no VMID in the operand; then VMALLE1IS.
    CHECK(tlbi(tlbis).kind == fake::Tlbi::VaLastLevel);
    CHECK(tlbi(tlbis).regime == TranslationRegime::Stage2);
    CHECK(tlbi(tlbis).operand == (G1 + M2 + 2 * K4) >> 12);
    CHECK(tlbi(tlbis + 1).kind == fake::Tlbi::Regime);
    CHECK(tlbi(tlbis + 1).regime == TranslationRegime::El1And0);
    CHECK(fake::registers().vttbr_el2 == other);  // restored

    // Past 16 entries: the whole VMID, VMALLS12E1IS (with its own VMID current: no switch).
    fake::registers().vttbr_el2 = s2.m.ttbr();
    const unsigned many = fake::next_event();
    const unsigned many_tlbis = fake::counters().log_count;
    REQUIRE(s2.m.map_range(MemoryRegion(G1 + M2, G1 + M2 + 32 * K4), PhysicalAddress(G1 + M2),
                           Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ)
                .is_ok());
    CHECK(kinds_from(many) == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Isb});
    CHECK(tlbi(many_tlbis).kind == fake::Tlbi::Regime);
    CHECK(tlbi(many_tlbis).regime == TranslationRegime::Stage2);
    REQUIRE(s2.m.deactivate().is_ok());
}

TEST_CASE("stage 2: break-before-make writes invalid, invalidates, then links the split", "[arch][stage2]") {
    fake::reset();
    Stage2Map s2;
    REQUIRE(stage2_activate(s2.m).is_ok());
    uint64_t* const slot = &s2.level2()[0];  // the live 2 MiB block at IPA 1 GiB
    const uint64_t block = *slot;
    const unsigned first = fake::next_event();
    const unsigned tlbis = fake::counters().log_count;
    const std::vector<uint64_t> slot_at = split_read_only(s2, slot);
    // Break: invalid, DSB ISHST, TLBI IPAS2LE1IS of the block, DSB ISH, TLBI VMALLE1IS, DSB
    // ISH, ISB; make: DSB ISHST, the table linked; the end of a change that left nothing
    // else stale: DSB ISHST, ISB.
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Tlbi, Kind::DsbIsh,
                                                 Kind::Isb, Kind::DsbIshst, Kind::DsbIshst, Kind::Isb});
    REQUIRE(slot_at.size() == 9);
    for (unsigned i = 0; i < 7; ++i) {
        CAPTURE(i);
        CHECK(slot_at[i] == 0);  // invalid from the first barrier to the make's
    }
    CHECK((slot_at[7] & 3) == 3);  // linked after the make's DSB ISHST
    CHECK(tlbi(tlbis).operand == G1 >> 12);
    CHECK(tlbi(tlbis).kind == fake::Tlbi::VaLastLevel);
    CHECK(block != *slot);
    REQUIRE(s2.m.deactivate().is_ok());
}

TEST_CASE("a live split under set_live_splits: nT, TLBI, link, TLBI again", "[arch][live_splits]") {
    fake::reset();
    fake::registers().id_aa64mmfr2_el1 = uint64_t{1} << 52;  // FEAT_BBM level 1
    LiveMap live;
    REQUIRE(live.m.set_live_splits(true).is_ok());
    uint64_t* const slot = &live.level2()[0];  // the live 2 MiB block at 1 GiB
    const uint64_t block = *slot;
    REQUIRE((block & 3) == 1);
    std::vector<uint64_t> slot_at;  // the slot at each event
    const unsigned first = fake::next_event();
    const unsigned tlbis = fake::counters().log_count;
    {
        Hook hook([&](const fake::Event&) { slot_at.push_back(*slot); });
        REQUIRE(live.m.map_range(MemoryRegion(G1 + K4, G1 + 2 * K4), PhysicalAddress(G1 + K4),
                                 kRw | Attributes::READ_ONLY)
                    .is_ok());
    }
    // The block with nT, DSB ISHST, TLBI VALE1IS of it, DSB ISH, ISB; the table linked
    // after a DSB ISHST; DSB ISHST, TLBI VALE1IS of the block again (a core may have cached
    // the nT entry before the link), DSB ISH, ISB; the end of a change that left nothing
    // else stale: DSB ISHST, ISB.
    CHECK(kinds_from(first) == std::vector<Kind>{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Isb, Kind::DsbIshst,
                                                 Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Isb, Kind::DsbIshst,
                                                 Kind::Isb});
    REQUIRE(slot_at.size() == 11);
    for (unsigned i = 0; i < 5; ++i) {
        CAPTURE(i);
        CHECK(slot_at[i] == (block | BLOCK_NT));  // the block, nT set, until the link
    }
    CHECK((slot_at[5] & 3) == 3);  // linked after the make's DSB ISHST
    const uint64_t operand = uint64_t{1} << 48 | G1 >> 12;  // ASID 1, the block's VA
    CHECK(tlbi(tlbis).kind == fake::Tlbi::VaLastLevel);
    CHECK(tlbi(tlbis).operand == operand);
    CHECK(tlbi(tlbis + 1).kind == fake::Tlbi::VaLastLevel);
    CHECK(tlbi(tlbis + 1).operand == operand);
    // The new table: the block's pages (bit 16 an address bit: no nT), page 1 read-only.
    const uint64_t* pages = table(*slot);
    for (unsigned i = 0; i < 512; ++i) {
        CAPTURE(i);
        CHECK((pages[i] & kOa) == G1 + i * K4);
        CHECK(((pages[i] & bits(Attributes::READ_ONLY)) != 0) == (i == 1));
    }
    REQUIRE(live.m.deactivate().is_ok());
}

TEST_CASE("stage 2: break-before-make under live splits splits through nT, no invalid window", "[arch][stage2]") {
    fake::reset();
    fake::registers().id_aa64mmfr2_el1 = uint64_t{1} << 52;  // FEAT_BBM level 1
    Stage2Map s2;
    REQUIRE(s2.m.set_live_splits(true).is_ok());
    REQUIRE(stage2_activate(s2.m).is_ok());
    uint64_t* const slot = &s2.level2()[0];  // the live 2 MiB block at IPA 1 GiB
    const uint64_t block = *slot;
    const unsigned first = fake::next_event();
    const std::vector<uint64_t> slot_at = split_read_only(s2, slot);
    // The block with nT (not invalid): DSB ISHST, TLBI IPAS2LE1IS, DSB ISH, TLBI VMALLE1IS,
    // DSB ISH, ISB; the table linked after a DSB ISHST; the block's TLB entries again; the
    // end of a change that left nothing else stale: DSB ISHST, ISB.
    const std::vector<Kind> sync{Kind::DsbIshst, Kind::Tlbi, Kind::DsbIsh, Kind::Tlbi, Kind::DsbIsh, Kind::Isb};
    std::vector<Kind> want = sync;
    want.push_back(Kind::DsbIshst);
    want.insert(want.end(), sync.begin(), sync.end());
    want.insert(want.end(), {Kind::DsbIshst, Kind::Isb});
    CHECK(kinds_from(first) == want);
    REQUIRE(slot_at.size() == want.size());
    for (unsigned i = 0; i < 7; ++i) {
        CAPTURE(i);
        CHECK(slot_at[i] == (block | BLOCK_NT));  // never invalid
    }
    CHECK((slot_at[7] & 3) == 3);
    REQUIRE(s2.m.deactivate().is_ok());
}
