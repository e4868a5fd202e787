// Translation regimes, the upper VA range, linear maps, activation on several cores and
// the TLB maintenance of live changes, through the core (Mapping<>, mmu.hpp) and, where
// the C ABI is what computes it (a linear map's output addresses), through idmap.h. What
// the arch layer does shows in the host fake (src/arch/host/fake.hpp): its registers and
// its log of TLBIs.
//
// Expected values are worked out here from the Arm ARM (DDI 0487K.a: D8.3 descriptor
// formats, D19 TCR_EL1 / TCR_EL2 / TCR_EL3, C5.5 TLBI operands), not read back from the
// library: descriptor bits, TCR fields and TLBI operands are spelled out bit by bit.
//
// Tests tagged [regression] were written against 0e2d847, where they failed: the comment
// above each says what the defect was (fixed in c85c923).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/mmu.hpp"
#include "aarch64_paging/text.hpp"
#include "arch/host/fake.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

using namespace aarch64_paging;
namespace fake = aarch64_paging::arch::fake;

namespace {

// Stage-1 block and page descriptor bits (Arm ARM D8.3), written out.
constexpr uint64_t kValid = uint64_t{1} << 0;
constexpr uint64_t kPageBit = uint64_t{1} << 1;                  // table (L0-2), page (L3)
constexpr uint64_t kNormal = (uint64_t{1} << 2) | (uint64_t{3} << 8);  // AttrIndx 1, SH = ISH
constexpr uint64_t kDevice = 0;                                    // AttrIndx 0
constexpr uint64_t kApUser = uint64_t{1} << 6;                     // AP[1]: EL0 (RES1 in EL2, EL3)
constexpr uint64_t kApRo = uint64_t{1} << 7;                       // AP[2]
constexpr uint64_t kAf = uint64_t{1} << 10;
constexpr uint64_t kNg = uint64_t{1} << 11;
constexpr uint64_t kPxn = uint64_t{1} << 53;
constexpr uint64_t kUxn = uint64_t{1} << 54;  // XN in EL2 and EL3

constexpr uint64_t K4 = 0x1000;
constexpr uint64_t M2 = 0x20'0000;
constexpr uint64_t G1 = 0x4000'0000;

// TLBI operand: VA[55:12] in bits 43:0, ASID in 63:48 (C5.5.x "TLBI VAE1IS" and friends).
constexpr uint64_t tlbi_operand(uint64_t va, uint64_t asid) {
    return (asid << 48) | ((va >> 12) & ((uint64_t{1} << 44) - 1));
}

constexpr TranslationRegime kEl1 = TranslationRegime::El1And0;
constexpr TranslationRegime kEl2 = TranslationRegime::El2;
constexpr TranslationRegime kEl20 = TranslationRegime::El2And0;
constexpr TranslationRegime kEl3 = TranslationRegime::El3;
const TranslationRegime kAllRegimes[] = {kEl1, kEl2, kEl20, kEl3};

bool one_level(TranslationRegime r) { return r == kEl2 || r == kEl3; }
const char* name(TranslationRegime r) {
    switch (r) {
        case TranslationRegime::El1And0: return "EL1&0";
        case TranslationRegime::El2: return "EL2";
        case TranslationRegime::El2And0: return "EL2&0";
        case TranslationRegime::El3: return "EL3";
        case TranslationRegime::Stage2: return "stage 2";  // its own tests: test_stage2.cpp
    }
    return "?";
}

// A heap page source that counts pages and, at every page given back, notes how many TLBIs
// and DSB ISH the fake had seen.
struct Heap {
    size_t outstanding = 0;
    std::vector<unsigned> free_tlbis, free_dsb_ish;
    static void* alloc(void* ctx) {
        ++static_cast<Heap*>(ctx)->outstanding;
        return std::aligned_alloc(4096, 4096);
    }
    static void release(void* ctx, void* page) {
        auto* h = static_cast<Heap*>(ctx);
        --h->outstanding;
        h->free_tlbis.push_back(fake::counters().log_count);
        h->free_dsb_ish.push_back(fake::counters().dsb_ish);
        std::free(page);
    }
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
};

// A Mapping<> for one test, released at the end of its scope.
struct Map {
    Mapping<> m;
    Result init;
    Map(TranslationRegime regime, VaRange range, uint64_t asid, unsigned root_level, uint64_t pa_offset = 0,
        const PageAllocator& alloc = default_page_allocator())
        : init(m.init(asid, root_level, alloc, pa_offset, Regime{regime, range})) {}
    ~Map() { m.release(); }
    Map(const Map&) = delete;
    Map& operator=(const Map&) = delete;
};

// One leaf as walk_range reports it.
struct Leaf {
    uint64_t start, end, bits;
    unsigned level;
    bool operator==(const Leaf& o) const {
        return start == o.start && end == o.end && bits == o.bits && level == o.level;
    }
};
std::ostream& operator<<(std::ostream& os, const Leaf& l) {
    return os << "{0x" << std::hex << l.start << "..0x" << l.end << " bits 0x" << l.bits << std::dec << " L"
              << l.level << "}";
}

// The non-empty leaves intersecting region.
std::vector<Leaf> leaves(const Mapping<>& m, const MemoryRegion& region) {
    std::vector<Leaf> out;
    const Result r = m.walk_range(region, [&](const MemoryRegion& at, Descriptor d, unsigned level) {
        if (d.bits() != 0) {
            out.push_back(Leaf{at.start().value(), at.end().value(), d.bits(), level});
        }
        return true;
    });
    REQUIRE(r.is_ok());
    return out;
}

// modify_range setting, then clearing bits of every leaf.
Result modify(Mapping<>& m, const MemoryRegion& region, uint64_t set, uint64_t clear) {
    return m.modify_range(region, [set, clear](const MemoryRegion&, Descriptor& d, unsigned) {
        d = Descriptor((d.bits() | set) & ~clear);
        return true;
    });
}

// The fake CPU at the exception level of regime (CurrentEL, and HCR_EL2.E2H at EL2).
void run_in(TranslationRegime regime) {
    fake::Registers& r = fake::registers();
    r.current_el = regime == TranslationRegime::El1And0 ? 1 : regime == TranslationRegime::El3 ? 3 : 2;
    r.hcr_el2 = regime == TranslationRegime::El2And0 ? uint64_t{1} << 34 : 0;
}

// The fake's counters and TLBI log from zero, its registers kept.
void reset_counters() {
    const fake::Registers registers = fake::registers();
    fake::reset();
    fake::registers() = registers;
}

struct Tlbi {
    fake::Tlbi::Kind kind;
    TranslationRegime regime;
    uint64_t operand;
    bool operator==(const Tlbi& o) const { return kind == o.kind && regime == o.regime && operand == o.operand; }
    bool operator<(const Tlbi& o) const {
        return kind != o.kind ? kind < o.kind : regime != o.regime ? regime < o.regime : operand < o.operand;
    }
};
std::ostream& operator<<(std::ostream& os, const Tlbi& t) {
    static const char* const kinds[] = {"Va", "VaLastLevel", "Asid", "Regime", "VaAllAsids", "VaLastLevelAllAsids"};
    return os << "{" << kinds[t.kind] << " " << name(t.regime) << " 0x" << std::hex << t.operand << std::dec << "}";
}

// The TLBIs logged since the last reset.
std::vector<Tlbi> logged() {
    const fake::Counters& c = fake::counters();
    REQUIRE(c.log_count <= fake::Counters::LOG_SIZE);
    std::vector<Tlbi> out;
    for (unsigned i = 0; i < c.log_count; ++i) {
        out.push_back(Tlbi{c.log[i].kind, c.log[i].regime, c.log[i].operand});
    }
    return out;
}

std::vector<Tlbi> sorted(std::vector<Tlbi> v) {
    std::sort(v.begin(), v.end());
    return v;
}

void append(void* ctx, const char* text, size_t len) { static_cast<std::string*>(ctx)->append(text, len); }

std::string dump(const Mapping<>& m) {
    std::string s;
    {
        TextWriter out(&append, &s);
        m.dump(out);
    }
    return s;
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

// ---- What each regime's blocks and pages may hold

TEST_CASE("map_range refuses USER, NON_GLOBAL and PXN in EL2 and EL3 and takes them in EL1&0 and EL2&0",
          "[regime]") {
    for (const TranslationRegime regime : kAllRegimes) {
        CAPTURE(name(regime));
        Map map(regime, VaRange::Lower, 0, 1);
        REQUIRE(map.init.is_ok());
        for (const uint64_t bit : {kApUser, kNg, kPxn}) {
            CAPTURE(bit);
            const Result r = map.m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1),
                                             Attributes(kNormal | kValid | bit));
            if (one_level(regime)) {
                CHECK(r.status() == Status::InvalidFlags);
                CHECK(r.error().value == bit);
                CHECK(leaves(map.m, MemoryRegion(0, map.m.size())).empty());
            } else {
                CHECK(r.is_ok());
            }
        }
        // With a bit every regime refuses (TABLE_OR_PAGE), the value holds both.
        const Result both = map.m.map_range(MemoryRegion(0, K4), PhysicalAddress(0),
                                            Attributes(kNormal | kValid | kPageBit | kNg | kPxn));
        CHECK(both.status() == Status::InvalidFlags);
        CHECK(both.error().value == (one_level(regime) ? kPageBit | kNg | kPxn : kPageBit));
        // XN (UXN's bit) is every regime's.
        CHECK(map.m.map_range(MemoryRegion(0, K4), PhysicalAddress(0), Attributes(kNormal | kValid | kUxn)).is_ok());
    }
}

TEST_CASE("EL2 and EL3 set AP[1] (RES1) in every block and page; EL1&0 and EL2&0 do not", "[regime]") {
    for (const TranslationRegime regime : kAllRegimes) {
        CAPTURE(name(regime));
        Map map(regime, VaRange::Lower, 0, 1);
        REQUIRE(map.init.is_ok());
        const uint64_t res1 = one_level(regime) ? kApUser : 0;
        REQUIRE(map.m.map_range(MemoryRegion(G1, 2 * G1), PhysicalAddress(G1), Attributes(kNormal | kValid)).is_ok());
        REQUIRE(map.m.map_range(MemoryRegion(0, 2 * K4), PhysicalAddress(0), Attributes(kNormal | kValid | kUxn))
                    .is_ok());
        // Without VALID, an unmap (contract 1.1): nothing added, not even the RES1 bit,
        // which only a valid entry needs; flags 0 leave the entries empty.
        REQUIRE(map.m.map_range(MemoryRegion(4 * G1, 4 * G1 + M2), PhysicalAddress(4 * G1), Attributes(kDevice))
                    .is_ok());
        const std::vector<Leaf> want = {
            {0, K4, 0 | kNormal | kValid | kUxn | kAf | kPageBit | res1, 3},
            {K4, 2 * K4, K4 | kNormal | kValid | kUxn | kAf | kPageBit | res1, 3},
            {G1, 2 * G1, G1 | kNormal | kValid | kAf | res1, 1},
        };
        CHECK(leaves(map.m, MemoryRegion(0, map.m.size())) == want);
    }
}

TEST_CASE("modify_range in EL2 and EL3 refuses changing nG or PXN and a valid entry without AP[1]", "[regime]") {
    for (const TranslationRegime regime : {kEl2, kEl3}) {
        CAPTURE(name(regime));
        Map map(regime, VaRange::Lower, 0, 1);
        REQUIRE(map.init.is_ok());
        const MemoryRegion page(0, K4);
        REQUIRE(map.m.map_range(page, PhysicalAddress(0), Attributes(kNormal | kValid)).is_ok());
        const uint64_t mapped = kNormal | kValid | kAf | kPageBit | kApUser;
        REQUIRE(leaves(map.m, page) == std::vector<Leaf>{{0, K4, mapped, 3}});

        Result r = modify(map.m, page, kNg, 0);
        CHECK(r.status() == Status::InvalidFlags);
        CHECK(r.error().value == kNg);
        r = modify(map.m, page, kPxn, 0);
        CHECK(r.status() == Status::InvalidFlags);
        CHECK(r.error().value == kPxn);
        r = modify(map.m, page, 0, kApUser);  // clearing RES1 on a valid entry
        CHECK(r.status() == Status::InvalidFlags);
        CHECK(r.error().value == kApUser);
        CHECK(leaves(map.m, page) == std::vector<Leaf>{{0, K4, mapped, 3}});  // each failure kept the entry

        // XN and read-only are theirs; invalid, the entry may lose AP[1]...
        REQUIRE(modify(map.m, page, kUxn | kApRo, 0).is_ok());
        REQUIRE(modify(map.m, page, 0, kValid | kApUser).is_ok());
        const uint64_t invalid = (mapped | kUxn | kApRo) & ~(kValid | kApUser);
        CHECK(leaves(map.m, page) == std::vector<Leaf>{{0, K4, invalid, 3}});
        // ... but not become valid without it.
        r = modify(map.m, page, kValid, 0);
        CHECK(r.status() == Status::InvalidFlags);
        CHECK(r.error().value == kApUser);
        REQUIRE(modify(map.m, page, kValid | kApUser, 0).is_ok());
        CHECK(leaves(map.m, page) == std::vector<Leaf>{{0, K4, mapped | kUxn | kApRo, 3}});
    }
    for (const TranslationRegime regime : {kEl1, kEl20}) {
        CAPTURE(name(regime));
        Map map(regime, VaRange::Lower, 3, 1);
        REQUIRE(map.init.is_ok());
        const MemoryRegion page(0, K4);
        REQUIRE(map.m.map_range(page, PhysicalAddress(0), Attributes(kNormal | kValid)).is_ok());
        CHECK(modify(map.m, page, kNg | kPxn | kApUser, 0).is_ok());
        CHECK(modify(map.m, page, 0, kApUser).is_ok());
        CHECK(leaves(map.m, page) == std::vector<Leaf>{{0, K4, kNormal | kValid | kAf | kPageBit | kNg | kPxn, 3}});
    }
}

TEST_CASE("ASIDs are 16 bits in EL1&0 and EL2&0 and 0 in EL2 and EL3; TTBR1 only with two privilege levels",
          "[regime]") {
    struct Case {
        TranslationRegime regime;
        VaRange range;
        uint64_t asid;
        bool ok;
    };
    const Case cases[] = {
        {kEl1, VaRange::Lower, 0, true},         {kEl1, VaRange::Lower, 0xffff, true},
        {kEl1, VaRange::Lower, 0x10000, false},  {kEl1, VaRange::Upper, 0xffff, true},
        {kEl20, VaRange::Lower, 0xffff, true},   {kEl20, VaRange::Upper, 1, true},
        {kEl20, VaRange::Upper, 0x10000, false}, {kEl2, VaRange::Lower, 0, true},
        {kEl2, VaRange::Lower, 1, false},        {kEl2, VaRange::Upper, 0, false},
        {kEl3, VaRange::Lower, 0, true},         {kEl3, VaRange::Lower, 0x8000, false},
        {kEl3, VaRange::Upper, 0, false},
    };
    for (const Case& c : cases) {
        CAPTURE(name(c.regime), static_cast<unsigned>(c.range), c.asid);
        Map map(c.regime, c.range, c.asid, 1);
        CHECK(map.init.is_ok() == c.ok);
        CHECK(map.m.is_initialised() == c.ok);
        if (!c.ok) {
            CHECK(map.init.status() == Status::InvalidArgument);
        } else {
            CHECK(map.m.asid() == c.asid);
            CHECK(map.m.regime().regime == c.regime);
            CHECK(map.m.regime().range == c.range);
        }
    }
    // Values outside the enumerations (a C caller may pass anything).
    Map bad_regime(static_cast<TranslationRegime>(4), VaRange::Lower, 0, 1);
    CHECK(bad_regime.init.status() == Status::InvalidArgument);
    Map bad_range(kEl1, static_cast<VaRange>(2), 0, 1);
    CHECK(bad_range.init.status() == Status::InvalidArgument);
}

// ---- The upper VA range

TEST_CASE("an upper range table covers [2^64 - size, 2^64), and a region's end of 0 is 2^64", "[regime][upper]") {
    // 4 KiB << 9 * (4 - root level), 48 bits at most: 256 TiB, 512 GiB, 1 GiB, 2 MiB.
    const uint64_t sizes[] = {uint64_t{1} << 48, uint64_t{1} << 39, uint64_t{1} << 30, uint64_t{1} << 21};
    for (unsigned root = 0; root <= 3; ++root) {
        CAPTURE(root);
        const uint64_t size = sizes[root];
        const uint64_t start = 0 - size;  // 0xffff'0000'0000'0000 at root level 0
        // Output = input - start: the range maps [0, size).
        Map map(kEl1, VaRange::Upper, 1, root, size);
        REQUIRE(map.init.is_ok());
        CHECK(map.m.size() == size);
        CHECK(map.m.output_address(VirtualAddress(start)).value() == 0);
        CHECK(map.m.output_address(VirtualAddress(0 - K4)).value() == size - K4);
        const Attributes rw = Attributes(kNormal | kValid | kNg);
        // The top page, to 2^64: end 0.
        REQUIRE(map.m.map_range(MemoryRegion(0 - K4, 0), PhysicalAddress(size - K4), rw).is_ok());
        // The first page of the range.
        REQUIRE(map.m.map_range(MemoryRegion(start, start + K4), PhysicalAddress(0), rw).is_ok());
        const uint64_t page = kNormal | kValid | kNg | kAf | kPageBit;
        const std::vector<Leaf> want = {{start, start + K4, 0 | page, 3}, {0 - K4, 0, (size - K4) | page, 3}};
        CHECK(leaves(map.m, MemoryRegion(start, 0)) == want);
        // Below the range: the start is reported; in the lower half: the end.
        Result r = map.m.map_range(MemoryRegion(start - K4, start + K4), PhysicalAddress(0), rw);
        CHECK(r.status() == Status::AddressRange);
        CHECK(r.error().va.value() == start - K4);
        r = map.m.map_range(MemoryRegion(K4, 2 * K4), PhysicalAddress(0), rw);
        CHECK(r.status() == Status::AddressRange);
        CHECK(r.error().va.value() == K4);  // the first address below the range
        r = map.m.unmap_range(MemoryRegion(start - K4, start));
        CHECK(r.status() == Status::AddressRange);
        // Backwards: start above the end (which is not 0).
        r = map.m.map_range(MemoryRegion(0 - K4, 0 - 2 * K4), PhysicalAddress(0), rw);
        CHECK(r.status() == Status::RegionBackwards);
        CHECK(leaves(map.m, MemoryRegion(start, 0)) == want);  // the failures changed nothing
    }
}

TEST_CASE("upper range callbacks get real addresses, the top leaf's end as 0", "[regime][upper]") {
    // Root level 2: [2^64 - 1 GiB, 2^64) maps [3 GiB, 4 GiB).
    const uint64_t start = 0 - G1;
    Map map(kEl20, VaRange::Upper, 9, 2, 3 * G1 - start);
    REQUIRE(map.init.is_ok());
    // The top 2 MiB block, and the two pages below it.
    REQUIRE(map.m.map_range(MemoryRegion(0 - M2, 0), PhysicalAddress(4 * G1 - M2), Attributes(kNormal | kValid))
                .is_ok());
    REQUIRE(map.m.map_range(MemoryRegion(0 - M2 - 2 * K4, 0 - M2), PhysicalAddress(4 * G1 - M2 - 2 * K4),
                            Attributes(kNormal | kValid))
                .is_ok());
    std::vector<Leaf> seen;
    REQUIRE(map.m
                .modify_range(MemoryRegion(0 - M2 - K4, 0),
                              [&](const MemoryRegion& at, Descriptor& d, unsigned level) {
                                  seen.push_back(Leaf{at.start().value(), at.end().value(), d.bits(), level});
                                  return true;
                              })
                .is_ok());
    const uint64_t block = kNormal | kValid | kAf;
    const std::vector<Leaf> want = {
        {0 - M2 - K4, 0 - M2, (4 * G1 - M2 - K4) | block | kPageBit, 3},
        {0 - M2, 0, (4 * G1 - M2) | block, 2},
    };
    CHECK(seen == want);
    // walk_range gives whole leaves, real addresses too.
    CHECK(leaves(map.m, MemoryRegion(0 - K4, 0)) == std::vector<Leaf>{want[1]});
}

TEST_CASE("dump names the regime and range and shows the upper range's addresses", "[regime][upper]") {
    Map upper(kEl1, VaRange::Upper, 5, 1, uint64_t{1} << 39);
    REQUIRE(upper.init.is_ok());
    REQUIRE(upper.m.map_range(MemoryRegion(0 - M2, 0), PhysicalAddress((uint64_t{1} << 39) - M2),
                              Attributes(kNormal | kValid))
                .is_ok());
    const std::string text = dump(upper.m);
    const std::string head = "EL1&0 TTBR1, root level 1, 0xffffff8000000000-0xffffffffffffffff, ASID 5, 2 tables, "
                             "inactive, root " + hex(upper.m.root_address().value()) + "\n";
    CHECK(text.substr(0, head.size()) == head);
    // The top entries of each level end at 2^64 - 1.
    CHECK(text.find("L1 [511] 0xffffffffc0000000-0xffffffffffffffff: table at ") != std::string::npos);
    CHECK(text.find("L2 [511] 0xffffffffffe00000-0xffffffffffffffff: block -> 0x7fffe00000") != std::string::npos);

    Map el2(kEl2, VaRange::Lower, 0, 2);
    REQUIRE(el2.init.is_ok());
    const std::string el2_head = "EL2 TTBR0, root level 2, 0x0-0x3fffffff, ASID 0, 1 table, inactive, root " +
                                 hex(el2.m.root_address().value()) + "\n";
    CHECK(dump(el2.m).substr(0, el2_head.size()) == el2_head);
    Map el3(kEl3, VaRange::Lower, 0, 0);
    REQUIRE(el3.init.is_ok());
    CHECK(dump(el3.m).rfind("EL3 TTBR0, root level 0, 0x0-0xffffffffffff, ASID 0, 1 table, inactive", 0) == 0);
    Map el20(kEl20, VaRange::Upper, 0x1234, 3, 0);
    REQUIRE(el20.init.is_ok());
    CHECK(dump(el20.m).rfind("EL2&0 TTBR1, root level 3, 0xffffffffffe00000-0xffffffffffffffff, ASID 4660, 1 table",
                             0) == 0);
}

// Regression (0e2d847): in the upper range a region that started at address 0 was taken
// for an empty region at the top (0 - va_start is size, which the range check let
// through), so unmap_range, modify_range and walk_range answered OK and did nothing for
// [0, x) with x inside the range, and map_range for [0, 0), where the contract says
// ADDRESS_RANGE: only an end of 0 stands for 2^64; a start of 0 is address 0.
TEST_CASE("upper range: a region starting at address 0 is below the range", "[regime][upper][regression]") {
    const uint64_t start = 0 - (uint64_t{1} << 39);
    Map map(kEl1, VaRange::Upper, 1, 1, uint64_t{1} << 39);
    REQUIRE(map.init.is_ok());
    Result r = map.m.map_range(MemoryRegion(0, 0), PhysicalAddress(0), Attributes(kNormal | kValid));
    CHECK(r.status() == Status::AddressRange);
    CHECK(r.error().va.value() == 0);
    r = map.m.unmap_range(MemoryRegion(0, start + K4));
    CHECK(r.status() == Status::AddressRange);
    CHECK(r.error().va.value() == 0);
    r = modify(map.m, MemoryRegion(0, start + K4), kApRo, 0);
    CHECK(r.status() == Status::AddressRange);
    bool called = false;
    r = map.m.walk_range(MemoryRegion(0, 0), [&](const MemoryRegion&, Descriptor, unsigned) {
        called = true;
        return true;
    });
    CHECK(r.status() == Status::AddressRange);
    CHECK_FALSE(called);
}

// Regression (0e2d847): idmap_region() and MemoryRegion keep an end whose rounding up
// would pass 2^64 as it was given, and the contract says that every call given such a
// region fails with ADDRESS_RANGE, va = that end. In the lower range it did (the end is
// past the table); in the upper range the end, as an offset from va_start, lay inside the
// table and the region was taken, unaligned end and all (map_range of [start, 2^64 - 5)
// mapped up to 2^64).
TEST_CASE("upper range: an end whose rounding would pass 2^64 is refused", "[regime][upper][regression]") {
    const uint64_t start = 0 - G1;
    Map map(kEl1, VaRange::Upper, 1, 2, G1);
    REQUIRE(map.init.is_ok());
    const uint64_t end = UINT64_MAX - 4;
    Result r = map.m.map_range(MemoryRegion(start, end), PhysicalAddress(0), Attributes(kNormal | kValid));
    CHECK(r.status() == Status::AddressRange);
    CHECK(r.error().va.value() == end);
    CHECK(leaves(map.m, MemoryRegion(start, 0)).empty());
    r = map.m.unmap_range(MemoryRegion(0 - K4, end));
    CHECK(r.status() == Status::AddressRange);
    // The lower range, for comparison: refused as the contract says.
    Map lower(kEl1, VaRange::Lower, 1, 2);
    REQUIRE(lower.init.is_ok());
    r = lower.m.map_range(MemoryRegion(0, end), PhysicalAddress(0), Attributes(kNormal | kValid));
    CHECK(r.status() == Status::AddressRange);
    CHECK(r.error().va.value() == end);
}

// ---- Linear maps

TEST_CASE("linear maps: output address = input address + pa_offset, positive or negative", "[regime][linear]") {
    struct Case {
        const char* what;
        int64_t pa_offset;
        uint64_t start, end;  // mapped
        unsigned level;       // of its leaves
    };
    const Case cases[] = {
        // 2 GiB up: 1 GiB aligned, so 1 GiB blocks.
        {"+2 GiB", int64_t{2} * int64_t{G1}, 0, G1, 1},
        // 2 MiB up: no 1 GiB block can map it (its output would not be aligned); 2 MiB blocks.
        {"+2 MiB", int64_t{M2}, 0, G1, 2},
        // 4 KiB up: pages only.
        {"+4 KiB", int64_t{K4}, 0, M2, 3},
        // 1 GiB down: [1 GiB, 2 GiB) maps [0, 1 GiB).
        {"-1 GiB", -int64_t{G1}, G1, 2 * G1, 1},
        // 6 MiB down, 2 MiB aligned.
        {"-6 MiB", -3 * int64_t{M2}, G1, G1 + 4 * M2, 2},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        idmap_config_t config{};
        config.regime = IDMAP_REGIME_EL1_0;
        config.va_range = IDMAP_VA_RANGE_LOWER;
        config.asid = 1;
        config.root_level = 1;
        config.pa_offset = c.pa_offset;
        idmap_t* map = idmap_new_with_config(&config);
        REQUIRE(map != nullptr);
        const idmap_region_t region{c.start, c.end};
        CHECK(idmap_map_range(map, &region, kNormal | kValid) == IDMAP_OK);
        std::vector<Leaf> got;
        const idmap_region_t all{0, idmap_size(map)};
        REQUIRE(idmap_walk_range(map, &all,
                                 [](const idmap_region_t* r, const idmap_descriptor_t* d, unsigned level, void* ctx) {
                                     if (d->bits != 0) {
                                         static_cast<std::vector<Leaf>*>(ctx)->push_back(
                                             Leaf{r->start, r->end, d->bits, level});
                                     }
                                     return 0;
                                 },
                                 &got) == IDMAP_OK);
        const uint64_t step = uint64_t{0x1000} << (9 * (3 - c.level));
        REQUIRE(got.size() == (c.end - c.start) / step);
        for (const Leaf& l : got) {
            CHECK(l.level == c.level);
            // Bits 47:12 hold va + offset; the rest is what was asked, AF and the page bit.
            CHECK((l.bits & 0x0000'ffff'ffff'f000) == l.start + static_cast<uint64_t>(c.pa_offset));
            CHECK((l.bits & ~uint64_t{0x0000'ffff'ffff'f000}) == (kNormal | kValid | kAf | (c.level == 3 ? kPageBit : 0)));
        }
        idmap_free(map);
    }
}

TEST_CASE("linear maps: an output range below 0 or beyond 48 bits is ADDRESS_RANGE at the start", "[regime][linear]") {
    idmap_config_t config{};
    config.root_level = 1;
    config.pa_offset = -int64_t{G1};
    idmap_t* down = idmap_new_with_config(&config);
    REQUIRE(down != nullptr);
    idmap_region_t r{G1 - M2, G1 + M2};  // its first half would map below 0
    CHECK(idmap_map_range(down, &r, kNormal | kValid) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(down)->va == G1 - M2);
    r = idmap_region_t{G1, G1 + M2};
    CHECK(idmap_map_range(down, &r, kNormal | kValid) == IDMAP_OK);
    idmap_free(down);

    config.root_level = 0;
    config.pa_offset = int64_t{1} << 47;
    idmap_t* up = idmap_new_with_config(&config);
    REQUIRE(up != nullptr);
    r = idmap_region_t{(uint64_t{1} << 47) - K4, (uint64_t{1} << 47) + K4};  // its last page maps 2^48
    CHECK(idmap_map_range(up, &r, kNormal | kValid) == IDMAP_ERR_ADDRESS_RANGE);
    CHECK(idmap_last_error(up)->va == (uint64_t{1} << 47) - K4);
    r.end = uint64_t{1} << 47;
    CHECK(idmap_map_range(up, &r, kNormal | kValid) == IDMAP_OK);
    idmap_free(up);
}

TEST_CASE("linear maps: modify makes valid only an entry that maps its own output address", "[regime][linear]") {
    const uint64_t offset = 4 * G1;
    Map map(kEl1, VaRange::Lower, 1, 1, offset);
    REQUIRE(map.init.is_ok());
    CHECK(map.m.output_address(VirtualAddress(G1)).value() == 5 * G1);
    // Three invalid 2 MiB blocks with output addresses (mapped, then VALID cleared: map_range
    // without VALID writes none): at the map's own output address, at the identity's, and
    // 2 MiB off.
    const MemoryRegion own(G1, G1 + M2), identity(2 * G1, 2 * G1 + M2), off(3 * G1, 3 * G1 + M2);
    REQUIRE(map.m.map_range(own, PhysicalAddress(G1 + offset), Attributes(kNormal | kValid)).is_ok());
    REQUIRE(map.m.map_range(identity, PhysicalAddress(2 * G1), Attributes(kNormal | kValid)).is_ok());
    REQUIRE(map.m.map_range(off, PhysicalAddress(3 * G1 + offset + M2), Attributes(kNormal | kValid)).is_ok());
    for (const MemoryRegion& r : {own, identity, off}) {
        REQUIRE(modify(map.m, r, 0, kValid).is_ok());
    }
    CHECK(modify(map.m, own, kValid, 0).is_ok());
    for (const MemoryRegion& bad : {identity, off}) {
        const std::vector<Leaf> before = leaves(map.m, bad);
        const Result r = modify(map.m, bad, kValid, 0);
        CHECK(r.status() == Status::InvalidFlags);
        CHECK(r.error().value == kValid);
        CHECK(leaves(map.m, bad) == before);
    }
    CHECK(leaves(map.m, own) == std::vector<Leaf>{{G1, G1 + M2, (G1 + offset) | kNormal | kValid | kAf, 2}});
}

// ---- Activation

TEST_CASE("activate writes the TTBR of its regime and range; deactivate restores it and invalidates",
          "[regime][activation]") {
    struct Case {
        TranslationRegime regime;
        VaRange range;
        uint64_t asid;
        uint64_t fake::Registers::*ttbr;
        fake::Tlbi::Kind flush;  // what deactivate issues
    };
    const Case cases[] = {
        {kEl1, VaRange::Lower, 0x1234, &fake::Registers::ttbr0_el1, fake::Tlbi::Asid},
        // The upper range: TTBR0's ASID tags its entries, so the whole regime.
        {kEl1, VaRange::Upper, 0x99, &fake::Registers::ttbr1_el1, fake::Tlbi::Regime},
        {kEl2, VaRange::Lower, 0, &fake::Registers::ttbr0_el2, fake::Tlbi::Regime},
        {kEl20, VaRange::Lower, 7, &fake::Registers::ttbr0_el2, fake::Tlbi::Regime},
        // TTBR0_EL2's ASID below is 7, as an EL2&0 upper map's must be.
        {kEl20, VaRange::Upper, 7, &fake::Registers::ttbr1_el2, fake::Tlbi::Regime},
        {kEl3, VaRange::Lower, 0, &fake::Registers::ttbr0_el3, fake::Tlbi::Regime},
    };
    uint64_t fake::Registers::*const all[] = {&fake::Registers::ttbr0_el1, &fake::Registers::ttbr1_el1,
                                              &fake::Registers::ttbr0_el2, &fake::Registers::ttbr1_el2,
                                              &fake::Registers::ttbr0_el3};
    for (const Case& c : cases) {
        CAPTURE(name(c.regime), static_cast<unsigned>(c.range));
        fake::reset();
        fake::Registers& regs = fake::registers();
        for (size_t i = 0; i < 5; ++i) {
            regs.*all[i] = 0x0007'0000'0010'0000 + i * K4;  // what each held before
        }
        const fake::Registers before = regs;
        Map map(c.regime, c.range, c.asid, 1);
        REQUIRE(map.init.is_ok());
        REQUIRE(map.m.activate().is_ok());
        for (uint64_t fake::Registers::*t : all) {
            CHECK(regs.*t == (t == c.ttbr ? map.m.root_address().value() | (c.asid << 48) : before.*t));
        }
        CHECK(fake::counters().dsb_ishst == 1);  // the tables complete before the write
        if (one_level(c.regime)) {
            // No ASIDs: what the previous table left in the TLB would pass for this one's.
            CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::Regime, c.regime, 0}});
            CHECK(fake::counters().dsb_ish == 1);
            CHECK(fake::counters().isb == 2);
        } else {
            CHECK(logged().empty());
            CHECK(fake::counters().dsb_ish == 0);
            CHECK(fake::counters().isb == 1);
        }
        reset_counters();
        REQUIRE(map.m.deactivate().is_ok());
        for (uint64_t fake::Registers::*t : all) {
            CHECK(regs.*t == before.*t);
        }
        const Tlbi want{c.flush, c.regime, c.flush == fake::Tlbi::Asid ? c.asid << 48 : 0};
        CHECK(logged() == std::vector<Tlbi>{want});
        CHECK(fake::counters().dsb_ish == 1);
        CHECK(fake::counters().tlbi_vmalle1 == (c.regime == kEl1 && c.flush == fake::Tlbi::Regime ? 1u : 0u));
    }
    fake::reset();
}

TEST_CASE("activate_on_core counts cores; break-before-make holds while any has the map", "[regime][activation]") {
    fake::reset();
    const uint64_t outside = 0x0003'0000'8000'0000;
    fake::registers().ttbr0_el1 = outside;
    Map map(kEl1, VaRange::Lower, 7, 1);
    REQUIRE(map.init.is_ok());
    const MemoryRegion block(G1, 2 * G1);
    REQUIRE(map.m.map_range(block, PhysicalAddress(G1), Attributes(kNormal | kValid | kNg)).is_ok());
    const uint64_t ttbr = map.m.root_address().value() | (uint64_t{7} << 48);
    // The memory type of a live block: break-before-make.
    const auto retype = [&] { return map.m.map_range(block, PhysicalAddress(G1), Attributes(kDevice | kValid | kNg)); };

    uint64_t first = 0, second = 0;
    REQUIRE(map.m.activate_on_core(first).is_ok());  // core 0
    CHECK(first == outside);
    CHECK(fake::registers().ttbr0_el1 == ttbr);
    CHECK(map.m.active_cores() == 1);
    REQUIRE(map.m.activate_on_core(second).is_ok());  // core 1 (the fake has one TTBR0_EL1)
    CHECK(second == ttbr);
    CHECK(map.m.active_cores() == 2);
    CHECK(map.m.is_active());
    CHECK(retype().status() == Status::BreakBeforeMakeViolation);

    reset_counters();
    REQUIRE(map.m.deactivate_on_core(second).is_ok());
    CHECK(map.m.active_cores() == 1);
    CHECK(map.m.is_active());
    CHECK(fake::registers().ttbr0_el1 == ttbr);
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::Asid, kEl1, uint64_t{7} << 48}});
    CHECK(retype().status() == Status::BreakBeforeMakeViolation);

    REQUIRE(map.m.deactivate_on_core(first).is_ok());
    CHECK(map.m.active_cores() == 0);
    CHECK_FALSE(map.m.is_active());
    CHECK(fake::registers().ttbr0_el1 == outside);
    CHECK(retype().is_ok());
    CHECK(map.m.deactivate_on_core(first).status() == Status::NotActive);
    CHECK(map.m.active_cores() == 0);

    // activate() counts one core beside them.
    REQUIRE(map.m.activate().is_ok());
    REQUIRE(map.m.activate_on_core(first).is_ok());
    CHECK(map.m.active_cores() == 2);
    REQUIRE(map.m.deactivate_on_core(first).is_ok());
    CHECK(map.m.active_cores() == 1);
    REQUIRE(map.m.deactivate().is_ok());
    CHECK(map.m.active_cores() == 0);
    CHECK_FALSE(map.m.is_active());
    fake::reset();
}

// ---- TLB maintenance of live changes

TEST_CASE("a permission change on one live page: one TLBI VALE1IS with its VA and ASID", "[regime][tlb]") {
    fake::reset();
    Map map(kEl1, VaRange::Lower, 0x42, 1);
    REQUIRE(map.init.is_ok());
    const Attributes rw = Attributes(kNormal | kValid | kNg);
    REQUIRE(map.m.map_range(MemoryRegion(G1, G1 + 16 * K4), PhysicalAddress(G1), rw, Constraints::NO_BLOCK_MAPPINGS)
                .is_ok());
    REQUIRE(map.m.activate().is_ok());
    reset_counters();
    REQUIRE(map.m.map_range(MemoryRegion(G1 + K4, G1 + 2 * K4), PhysicalAddress(G1 + K4), rw | Attributes(kApRo))
                .is_ok());
    // VA 0x4000'1000: VA[55:12] = 0x40001; ASID 0x42 in 63:48.
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevel, kEl1, 0x0042'0000'0004'0001}});
    CHECK(fake::counters().dsb_ishst >= 1);
    CHECK(fake::counters().dsb_ish == 1);
    CHECK(fake::counters().isb == 1);
    CHECK(fake::counters().tlbi_vmalle1 == 0);

    // The same through modify_range: the next page.
    reset_counters();
    REQUIRE(modify(map.m, MemoryRegion(G1 + 2 * K4, G1 + 3 * K4), kApRo, 0).is_ok());
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevel, kEl1, 0x0042'0000'0004'0002}});
    CHECK(fake::counters().dsb_ish == 1);
    CHECK(fake::counters().isb == 1);

    // Written again as it is: nothing stale, only the store barrier and an ISB, each call.
    reset_counters();
    REQUIRE(map.m.map_range(MemoryRegion(G1 + K4, G1 + 2 * K4), PhysicalAddress(G1 + K4), rw | Attributes(kApRo))
                .is_ok());
    REQUIRE(modify(map.m, MemoryRegion(G1, G1 + 16 * K4), 0, 0).is_ok());
    CHECK(logged().empty());
    CHECK(fake::counters().dsb_ish == 0);
    CHECK(fake::counters().isb == 2);
    CHECK(fake::counters().dsb_ishst == 2);
    REQUIRE(map.m.deactivate().is_ok());

    // Inactive: no TLB maintenance at all.
    reset_counters();
    REQUIRE(map.m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1), rw | Attributes(kApRo)).is_ok());
    REQUIRE(map.m.unmap_range(MemoryRegion(G1, G1 + 16 * K4)).is_ok());
    CHECK(logged().empty());
    CHECK(fake::counters().dsb_ish == 0);
    fake::reset();
}

// TTBR0's ASID, whichever it is when the entries are walked, tags the upper range's
// entries (TCR_EL1.A1 = 0): they are invalidated for every ASID.
TEST_CASE("a live change in the upper range: the TLBI carries VA[55:12] of the top-half address, every ASID",
          "[regime][tlb]") {
    fake::reset();
    const uint64_t size = uint64_t{1} << 39;
    Map map(kEl1, VaRange::Upper, 5, 1, size);
    REQUIRE(map.init.is_ok());
    const Attributes rw = Attributes(kNormal | kValid | kNg);
    REQUIRE(map.m.map_range(MemoryRegion(0 - 4 * K4, 0), PhysicalAddress(size - 4 * K4), rw).is_ok());
    REQUIRE(map.m.activate().is_ok());
    CHECK(fake::registers().ttbr1_el1 == (map.m.root_address().value() | (uint64_t{5} << 48)));
    reset_counters();
    REQUIRE(map.m.map_range(MemoryRegion(0 - K4, 0), PhysicalAddress(size - K4), rw | Attributes(kApRo)).is_ok());
    // VA 0xffff'ffff'ffff'f000: VA[55:12] = 0xfff'ffff'ffff (44 ones).
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevelAllAsids, kEl1, 0x0005'0fff'ffff'ffff}});
    reset_counters();
    REQUIRE(modify(map.m, MemoryRegion(0 - 4 * K4, 0 - 3 * K4), kApRo, 0).is_ok());
    // VA 0xffff'ffff'ffff'c000.
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevelAllAsids, kEl1, 0x0005'0fff'ffff'fffc}});
    REQUIRE(map.m.deactivate().is_ok());
    fake::reset();
}

TEST_CASE("16 changed live entries: 16 TLBIs by VA; 17: one TLBI of the whole regime", "[regime][tlb]") {
    for (const TranslationRegime regime : kAllRegimes) {
        CAPTURE(name(regime));
        fake::reset();
        const uint64_t asid = one_level(regime) ? 0 : 3;
        Map map(regime, VaRange::Lower, asid, 2);
        REQUIRE(map.init.is_ok());
        const Attributes rw = Attributes(kNormal | kValid);
        REQUIRE(map.m.map_range(MemoryRegion(0, 64 * K4), PhysicalAddress(0), rw).is_ok());
        REQUIRE(map.m.activate().is_ok());
        reset_counters();
        REQUIRE(map.m.map_range(MemoryRegion(0, 16 * K4), PhysicalAddress(0), rw | Attributes(kApRo)).is_ok());
        std::vector<Tlbi> want;
        for (uint64_t i = 0; i < 16; ++i) {
            want.push_back(Tlbi{fake::Tlbi::VaLastLevel, regime, (asid << 48) | i});
        }
        CHECK(sorted(logged()) == want);
        CHECK(fake::counters().dsb_ish == 1);
        CHECK(fake::counters().isb == 1);

        reset_counters();
        REQUIRE(map.m.map_range(MemoryRegion(16 * K4, 33 * K4), PhysicalAddress(16 * K4), rw | Attributes(kApRo))
                    .is_ok());
        CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::Regime, regime, 0}});
        CHECK(fake::counters().tlbi_vmalle1 == (regime == kEl1 ? 1u : 0u));
        CHECK(fake::counters().tlbi_regime == 1);
        CHECK(fake::counters().dsb_ish == 1);
        CHECK(fake::counters().isb == 1);

        // Seventeen unchanged and one changed: one TLBI by VA.
        reset_counters();
        REQUIRE(modify(map.m, MemoryRegion(0, 34 * K4), 0, 0).is_ok());
        REQUIRE(map.m.map_range(MemoryRegion(0, 34 * K4), PhysicalAddress(0), rw | Attributes(kApRo)).is_ok());
        CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevel, regime, (asid << 48) | 33}});
        REQUIRE(map.m.deactivate().is_ok());
    }
    fake::reset();
}

TEST_CASE("a live 2 MiB block changed: one TLBI VALE with the block's VA", "[regime][tlb]") {
    fake::reset();
    Map map(kEl2, VaRange::Lower, 0, 1);
    REQUIRE(map.init.is_ok());
    REQUIRE(map.m.map_range(MemoryRegion(G1 + M2, G1 + 2 * M2), PhysicalAddress(G1 + M2), Attributes(kNormal | kValid))
                .is_ok());
    REQUIRE(map.m.activate().is_ok());
    reset_counters();
    REQUIRE(modify(map.m, MemoryRegion(G1 + M2, G1 + 2 * M2), kUxn, 0).is_ok());
    // VA 0x4020'0000, no ASID in EL2.
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevel, kEl2, 0x40200}});
    // Made invalid (no split: allowed live): stale too.
    reset_counters();
    REQUIRE(modify(map.m, MemoryRegion(G1 + M2, G1 + 2 * M2), 0, kValid).is_ok());
    CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::VaLastLevel, kEl2, 0x40200}});
    // Invalid before: nothing to invalidate whatever changes.
    reset_counters();
    REQUIRE(modify(map.m, MemoryRegion(G1 + M2, G1 + 2 * M2), kApRo, 0).is_ok());
    CHECK(logged().empty());
    CHECK(fake::counters().dsb_ish == 0);
    REQUIRE(map.m.deactivate().is_ok());
    fake::reset();
}

TEST_CASE("unmap of a whole subtable on a live map: TLBI VAE for each table, VALE for each page, then frees",
          "[regime][tlb]") {
    fake::reset();
    Heap heap;
    {
        Map map(kEl1, VaRange::Lower, 0x11, 1, 0, heap.allocator());
        REQUIRE(map.init.is_ok());
        // [4 GiB, 4 GiB + 8 KiB): root (L1) -> L2 table -> L3 table with two pages.
        const uint64_t base = 4 * G1;
        REQUIRE(map.m.map_range(MemoryRegion(base, base + 2 * K4), PhysicalAddress(base), Attributes(kNormal | kValid))
                    .is_ok());
        REQUIRE(map.m.table_count() == 3);
        REQUIRE(map.m.activate().is_ok());
        reset_counters();
        heap.free_tlbis.clear();
        heap.free_dsb_ish.clear();
        REQUIRE(map.m.unmap_range(MemoryRegion(base, base + M2)).is_ok());
        CHECK(map.m.table_count() == 1);
        const uint64_t asid = uint64_t{0x11} << 48;
        // The L3 table (VA base) and the L2 table it leaves empty (VA base): walk caches;
        // the two pages: leaves.
        const std::vector<Tlbi> want = sorted({
            {fake::Tlbi::Va, kEl1, asid | (base >> 12)},
            {fake::Tlbi::Va, kEl1, asid | (base >> 12)},
            {fake::Tlbi::VaLastLevel, kEl1, asid | (base >> 12)},
            {fake::Tlbi::VaLastLevel, kEl1, asid | ((base + K4) >> 12)},
        });
        CHECK(sorted(logged()) == want);
        CHECK(fake::counters().dsb_ish == 1);
        CHECK(fake::counters().isb == 1);
        // Both table pages given back after every TLBI and the DSB ISH.
        CHECK(heap.free_tlbis == std::vector<unsigned>{4, 4});
        CHECK(heap.free_dsb_ish == std::vector<unsigned>{1, 1});

        // compact_subtables of an empty L2 and L3 table (left by a modify of empty
        // entries): one TLBI VAE each, nothing else.
        REQUIRE(modify(map.m, MemoryRegion(base + G1, base + G1 + K4), 0, 0).is_ok());
        REQUIRE(map.m.table_count() == 3);
        reset_counters();
        CHECK(map.m.compact_subtables() == 2);
        CHECK(sorted(logged()) == sorted({{fake::Tlbi::Va, kEl1, asid | ((base + G1) >> 12)},
                                          {fake::Tlbi::Va, kEl1, asid | ((base + G1) >> 12)}}));
        CHECK(fake::counters().dsb_ish == 1);
        REQUIRE(map.m.deactivate().is_ok());
    }
    CHECK(heap.outstanding == 0);
    fake::reset();
}

// ---- MMU registers per regime

namespace {

// TCR fields (Arm ARM D19.2 TCR_EL1; TCR_EL2 with E2H = 1 has the same layout; TCR_EL2
// with E2H = 0 and TCR_EL3 have the TTBR0 fields, PS at 18:16 and RES1 bits 31 and 23):
//   T0SZ 5:0, IRGN0 9:8, ORGN0 11:10, SH0 13:12, TG0 15:14 (0b00 = 4 KiB),
//   T1SZ 21:16, A1 22, EPD1 23, IRGN1 25:24, ORGN1 27:26, SH1 29:28, TG1 31:30 (0b10 = 4 KiB),
//   IPS 34:32, AS 36.
// Walks: IRGN = ORGN = 0b01 (write-back read/write-allocate), SH = 0b11 (inner shareable).
constexpr uint64_t kWalks0 = (uint64_t{1} << 8) | (uint64_t{1} << 10) | (uint64_t{3} << 12);  // 0x3500
constexpr uint64_t kWalks1 = (uint64_t{1} << 24) | (uint64_t{1} << 26) | (uint64_t{3} << 28);  // 0x3500'0000

}  // namespace

TEST_CASE("mmu_config: TCR in each regime's layout", "[regime][mmu]") {
    Map el1_lower(kEl1, VaRange::Lower, 0x42, 1);  // T0SZ = 64 - 39 = 25 = 0x19
    Map el1_upper(kEl1, VaRange::Upper, 0x42, 2, 0);  // T1SZ = 64 - 30 = 34 = 0x22
    Map el2(kEl2, VaRange::Lower, 0, 1);
    Map el3(kEl3, VaRange::Lower, 0, 0);  // T0SZ = 16
    Map el20_lower(kEl20, VaRange::Lower, 0x1234, 1);
    Map el20_upper(kEl20, VaRange::Upper, 0x1234, 1, 0);  // T1SZ 25
    for (const Map* m : {&el1_lower, &el1_upper, &el2, &el3, &el20_lower, &el20_upper}) {
        REQUIRE(m->init.is_ok());
    }
    struct Case {
        const char* what;
        const Mapping<>* lower;
        const Mapping<>* upper;
        uint64_t mmfr0;
        uint64_t tcr;
    };
    const Case cases[] = {
        // 0x19 | 0x3500 | EPD1 0x80'0000 | TG1 0x8000'0000 | IPS 0b100 (44 bits) 0x4'0000'0000 |
        // AS 0x10'0000'0000.
        {"EL1&0, TTBR0 only, A57", &el1_lower.m, nullptr, 0x1124, 0x0000'0014'8080'3519},
        // T1SZ 0x22 << 16 = 0x22'0000, IRGN1/ORGN1/SH1 0x3500'0000, TG1, no EPD1:
        // 0x19 | 0x3500 | 0x22'0000 | 0x3500'0000 | 0x8000'0000 | IPS | AS.
        {"EL1&0, TTBR0 and TTBR1, A57", &el1_lower.m, &el1_upper.m, 0x1124, 0x0000'0014'b522'3519},
        // PARange 0b0010 (40 bits), ASIDBits 0b0000 (8): IPS 0b010, AS 0.
        {"EL1&0, TTBR0 only, 8-bit ASIDs", &el1_lower.m, nullptr, 0x0002, 0x0000'0002'8080'3519},
        // TCR_EL2 (E2H = 0): 0x19 | 0x3500 | PS 0b100 << 16 = 0x4'0000 | RES1 0x8080'0000.
        {"EL2", &el2.m, nullptr, 0x1124, 0x8084'3519},
        // TCR_EL3: T0SZ 0x10, PS 0b101 (48 bits) = 0x5'0000.
        {"EL3, 48 bits", &el3.m, nullptr, 0x1125, 0x8085'3510},
        // PARange 0b0110 (52 bits) is capped at 48.
        {"EL3, 52 bits", &el3.m, nullptr, 0x1126, 0x8085'3510},
        // TCR_EL2 (E2H = 1), TCR_EL1's layout: 0x19 | 0x3500 | T1SZ 0x19'0000 | 0x3500'0000 |
        // TG1 | IPS 0b010 0x2'0000'0000 | AS.
        {"EL2&0, both ranges, A53", &el20_lower.m, &el20_upper.m, 0x1122, 0x0000'0012'b519'3519},
        {"EL2&0, TTBR0 only", &el20_lower.m, nullptr, 0x1124, 0x0000'0014'8080'3519},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        MmuConfig config{};
        REQUIRE(mmu_config(*c.lower, c.upper, c.mmfr0, config).is_ok());
        CHECK(config.tcr == c.tcr);
        CHECK(config.mair == 0xff04);
        CHECK(config.ttbr == (c.lower->root_address().value() | (uint64_t{c.lower->asid()} << 48)));
        CHECK(config.ttbr1 ==
              (c.upper != nullptr ? c.upper->root_address().value() | (uint64_t{c.upper->asid()} << 48) : 0));
        CHECK(config.sctlr_set == 0x1005);      // M, C, I
        CHECK(config.sctlr_clear == 0x3080002);  // A, WXN, E0E, EE
    }
    // The maps must be a lower and an upper one of one regime.
    MmuConfig config{};
    CHECK(mmu_config(el1_upper.m, nullptr, 0x1124, config).status() == Status::InvalidArgument);
    CHECK(mmu_config(el1_lower.m, &el1_lower.m, 0x1124, config).status() == Status::InvalidArgument);
    CHECK(mmu_config(el1_lower.m, &el20_upper.m, 0x1124, config).status() == Status::InvalidArgument);
    CHECK(mmu_config(el20_lower.m, &el1_upper.m, 0x1124, config).status() == Status::InvalidArgument);
    // 16-bit ASIDs on a CPU with 8.
    CHECK(mmu_config(el20_lower.m, nullptr, 0x0002, config).status() == Status::InvalidArgument);
    // Two ASIDs: TCR.A1 = 0 makes TTBR0's tag both ranges, so the upper map's TLBIs (with
    // its own ASID) would miss its entries.
    Map el1_upper_other(kEl1, VaRange::Upper, 0x43, 2, 0);
    REQUIRE(el1_upper_other.init.is_ok());
    CHECK(mmu_config(el1_lower.m, &el1_upper_other.m, 0x1124, config).status() == Status::InvalidArgument);
}

TEST_CASE("enable_mmu and disable_mmu load and restore the registers of the map's regime", "[regime][mmu]") {
    struct Case {
        TranslationRegime regime;
        unsigned root_level;
        uint64_t tcr;  // with the fake's ID_AA64MMFR0_EL1, 0x1124
        uint64_t fake::Registers::*ttbr;
        uint64_t fake::Registers::*tcr_reg;
        uint64_t fake::Registers::*mair;
        uint64_t fake::Registers::*sctlr;
    };
    const Case cases[] = {
        {kEl1, 1, 0x0000'0014'8080'3519, &fake::Registers::ttbr0_el1, &fake::Registers::tcr_el1,
         &fake::Registers::mair_el1, &fake::Registers::sctlr_el1},
        {kEl2, 1, 0x8084'3519, &fake::Registers::ttbr0_el2, &fake::Registers::tcr_el2, &fake::Registers::mair_el2,
         &fake::Registers::sctlr_el2},
        {kEl3, 2, 0x8084'3522, &fake::Registers::ttbr0_el3, &fake::Registers::tcr_el3, &fake::Registers::mair_el3,
         &fake::Registers::sctlr_el3},
    };
    for (const Case& c : cases) {
        CAPTURE(name(c.regime));
        fake::reset();
        fake::registers().*c.ttbr = 0x0005'0000'0012'3000;
        Map map(c.regime, VaRange::Lower, 0, c.root_level);
        REQUIRE(map.init.is_ok());
        REQUIRE(map.m.map_range(MemoryRegion(0, K4), PhysicalAddress(0), Attributes(kNormal | kValid)).is_ok());
        arch::MmuRegisters previous{};
        // Not at the regime's exception level: refused, nothing loaded.
        run_in(c.regime == kEl1 ? kEl3 : kEl1);
        CHECK(enable_mmu(map.m, previous).status() == Status::InvalidArgument);
        CHECK_FALSE(map.m.is_active());
        CHECK(logged().empty());
        run_in(c.regime);
        const fake::Registers before = fake::registers();
        REQUIRE(enable_mmu(map.m, previous).is_ok());
        CHECK(map.m.is_active());
        fake::Registers& regs = fake::registers();
        CHECK(regs.*c.ttbr == map.m.root_address().value());
        CHECK(regs.*c.tcr_reg == c.tcr);
        CHECK(regs.*c.mair == 0xff04);
        // The reset SCTLR 0x30d0'0800 with M, C and I (0x1005) set.
        CHECK(regs.*c.sctlr == 0x30d0'1805);
        CHECK(previous.ttbr0 == 0x0005'0000'0012'3000);
        CHECK(logged() == std::vector<Tlbi>{{fake::Tlbi::Regime, c.regime, 0}});
        CHECK(fake::counters().dcache_cleaned_bytes == map.m.table_count() * K4);  // the MMU was off
        // No other regime's registers touched.
        for (uint64_t fake::Registers::*r :
             {&fake::Registers::ttbr0_el1, &fake::Registers::ttbr1_el1, &fake::Registers::tcr_el1,
              &fake::Registers::sctlr_el1, &fake::Registers::ttbr0_el2, &fake::Registers::ttbr1_el2,
              &fake::Registers::tcr_el2, &fake::Registers::sctlr_el2, &fake::Registers::ttbr0_el3,
              &fake::Registers::tcr_el3, &fake::Registers::sctlr_el3}) {
            if (r != c.ttbr && r != c.tcr_reg && r != c.sctlr) {
                CHECK(regs.*r == before.*r);
            }
        }
        REQUIRE(disable_mmu(map.m, previous).is_ok());
        CHECK_FALSE(map.m.is_active());
        CHECK(regs.*c.ttbr == 0x0005'0000'0012'3000);
        CHECK(regs.*c.tcr_reg == 0);
        CHECK(regs.*c.mair == 0);
        CHECK(regs.*c.sctlr == 0x30d0'0800);
        CHECK(fake::counters().dcache_set_way_flushes == 1);
        CHECK(disable_mmu(map.m, previous).status() == Status::NotActive);
    }
    fake::reset();
}

TEST_CASE("enable_mmu with a lower and an upper map loads both TTBRs", "[regime][mmu]") {
    struct Case {
        TranslationRegime regime;
        uint64_t tcr;
        uint64_t fake::Registers::*ttbr0;
        uint64_t fake::Registers::*ttbr1;
        uint64_t fake::Registers::*tcr_reg;
    };
    // Lower root level 1 (T0SZ 0x19), upper root level 2 (T1SZ 0x22), fake's 0x1124.
    const Case cases[] = {
        {kEl1, 0x0000'0014'b522'3519, &fake::Registers::ttbr0_el1, &fake::Registers::ttbr1_el1,
         &fake::Registers::tcr_el1},
        {kEl20, 0x0000'0014'b522'3519, &fake::Registers::ttbr0_el2, &fake::Registers::ttbr1_el2,
         &fake::Registers::tcr_el2},
    };
    for (const Case& c : cases) {
        CAPTURE(name(c.regime));
        fake::reset();
        run_in(c.regime);
        fake::registers().*c.ttbr0 = 0x1000;
        fake::registers().*c.ttbr1 = 0x2000;
        Map lower(c.regime, VaRange::Lower, 4, 1);
        Map upper(c.regime, VaRange::Upper, 4, 2, 0);
        Map other_asid(c.regime, VaRange::Upper, 5, 2, 0);
        REQUIRE(lower.init.is_ok());
        REQUIRE(upper.init.is_ok());
        arch::MmuRegisters previous{};
        // With TCR.A1 = 0, TTBR0's ASID tags both ranges: the maps must share it.
        CHECK(enable_mmu(lower.m, &other_asid.m, previous).status() == Status::InvalidArgument);
        REQUIRE(enable_mmu(lower.m, &upper.m, previous).is_ok());
        CHECK(fake::registers().*c.ttbr0 == (lower.m.root_address().value() | (uint64_t{4} << 48)));
        CHECK(fake::registers().*c.ttbr1 == (upper.m.root_address().value() | (uint64_t{4} << 48)));
        CHECK(fake::registers().*c.tcr_reg == c.tcr);
        CHECK(lower.m.is_active());
        CHECK(upper.m.is_active());
        CHECK(previous.ttbr0 == 0x1000);
        CHECK(previous.ttbr1 == 0x2000);
        CHECK(fake::counters().dcache_cleaned_bytes == 2 * K4);
        arch::MmuRegisters again{};
        CHECK(enable_mmu(lower.m, &upper.m, again).status() == Status::AlreadyActive);
        REQUIRE(disable_mmu(lower.m, &upper.m, previous).is_ok());
        CHECK(fake::registers().*c.ttbr0 == 0x1000);
        CHECK(fake::registers().*c.ttbr1 == 0x2000);
        CHECK_FALSE(lower.m.is_active());
        CHECK_FALSE(upper.m.is_active());
    }
    fake::reset();
}
