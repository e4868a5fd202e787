// Stage 2 in the core (regime.hpp TranslationRegime::Stage2, attributes.hpp
// Stage2Attributes, stage2.hpp): its attributes and refusals, the IPA sizes and start levels
// init() takes, concatenated root tables (alignment, release, budget), VTCR_EL2 for each
// legal pair, break-before-make done by map_range_break_before_make (atomic: a failure
// changes nothing), and the walk, modify, seal and dump over a stage-2 tree. The TLB
// sequences are in test_arch_sequences.cpp.
#include <catch2/catch.hpp>

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/budget.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/stage2.hpp"
#include "arch/host/fake.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace aarch64_paging;
namespace fake = aarch64_paging::arch::fake;
namespace why = aarch64_paging::argument_reason;

namespace {

constexpr uint64_t K4 = 4096;
constexpr uint64_t M2 = uint64_t{1} << 21;
constexpr uint64_t G1 = uint64_t{1} << 30;
constexpr Regime kStage2{TranslationRegime::Stage2};
const Stage2Attributes kRam = Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ_WRITE;

// Heap pages, and contiguous runs aligned to their size (or misaligned on request),
// counted so that a test sees every page given back.
struct Heap {
    int pages = 0;       // single pages out
    int runs = 0;        // runs out
    size_t run_count = 0;  // the last run's pages
    bool misalign = false;
    int fail_after = -1;  // alloc_page answers nullptr once this many were given (-1: never)
    int given = 0;
    std::vector<void*> misaligned;  // the blocks behind misaligned runs, freed at the end
    static void* alloc(void* ctx) {
        auto* h = static_cast<Heap*>(ctx);
        if (h->fail_after >= 0 && h->given >= h->fail_after) {
            return nullptr;
        }
        ++h->given;
        ++h->pages;
        return std::aligned_alloc(K4, K4);
    }
    static void release(void* ctx, void* page) {
        --static_cast<Heap*>(ctx)->pages;
        std::free(page);
    }
    static void* alloc_run(void* ctx, size_t count) {
        auto* h = static_cast<Heap*>(ctx);
        ++h->runs;
        h->run_count = count;
        if (h->misalign) {
            // 4 KiB-aligned, not count * 4 KiB-aligned.
            auto* block = static_cast<unsigned char*>(std::aligned_alloc(2 * count * K4, 4 * count * K4));
            h->misaligned.push_back(block);
            return block + K4;
        }
        return std::aligned_alloc(count * K4, count * K4);
    }
    static void release_run(void* ctx, void* pages, size_t count) {
        auto* h = static_cast<Heap*>(ctx);
        --h->runs;
        CHECK(count == h->run_count);
        if (!h->misalign) {
            std::free(pages);
        }
    }
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this, &alloc_run, &release_run}; }
    ~Heap() {
        for (void* p : misaligned) {
            std::free(p);
        }
    }
};

Result init_stage2(Mapping<>& m, Heap& heap, unsigned level, unsigned ipa_bits, uint64_t vmid = 5,
                   bool xnx = false) {
    return m.init_stage2(vmid, level, heap.allocator(), 0, Stage2Options{static_cast<uint8_t>(ipa_bits), xnx});
}

uint8_t reason_of(const Result& r) { return static_cast<uint8_t>(r.error().value & 0xff); }

// Every table's contents, the root's pages included, for comparing a tree before and after.
std::vector<uint64_t> snapshot(const Mapping<>& m) {
    std::vector<uint64_t> words;
    m.for_each_table([&](const void* table) {
        const auto* d = static_cast<const uint64_t*>(table);
        words.insert(words.end(), d, d + 512);
    });
    return words;
}

// The leaf that maps ipa, with its level.
Descriptor leaf_at(const Mapping<>& m, uint64_t ipa, unsigned* level = nullptr) {
    Descriptor found;
    REQUIRE(m.walk_range(MemoryRegion(ipa, ipa + K4), [&](const MemoryRegion&, Descriptor d, unsigned l) {
                 found = d;
                 if (level != nullptr) {
                     *level = l;
                 }
                 return true;
             }).is_ok());
    return found;
}

std::string dump_of(const Mapping<>& m) {
    std::string text;
    TextWriter out([](void* ctx, const char* s, size_t n) { static_cast<std::string*>(ctx)->append(s, n); }, &text);
    m.dump(out);
    return text;
}

}  // namespace

// The encodings, against the Arm ARM's stage-2 descriptor (D8.3) and the C ABI.
static_assert(bits(Stage2Attributes::NORMAL_WB) == 0xf << 2 && bits(Stage2Attributes::NORMAL_WT) == 0xa << 2 &&
              bits(Stage2Attributes::NORMAL_NC) == 0x5 << 2 && bits(Stage2Attributes::DEVICE_NGNRE) == 0x1 << 2);
static_assert(bits(Stage2Attributes::FWB_NORMAL_WB) == 0x6 << 2 && bits(Stage2Attributes::FWB_STAGE1) == 0x7 << 2);
static_assert(bits(Stage2Attributes::READ_WRITE) == 0xc0 && bits(Stage2Attributes::INNER_SHAREABLE) == 0x300);
static_assert(bits(Stage2Attributes::XN) == uint64_t{2} << 53 && bits(Stage2Attributes::XN_EL0) == uint64_t{3} << 53);
// A 40-bit IPA from level 1 is 2 tables; 43 bits 16; from level 0, 48 bits one table.
static_assert(Granule4K::stage2_root_tables(1, 40) == 2 && Granule4K::stage2_root_tables(1, 43) == 16 &&
              Granule4K::stage2_root_tables(0, 48) == 1 && Granule4K::stage2_root_tables(2, 34) == 16);
static_assert(Granule4K::stage2_min_ipa_bits(0) == 40 && Granule4K::stage2_max_ipa_bits(1) == 43 &&
              Granule4K::stage2_min_ipa_bits(1) == 31 && Granule4K::stage2_min_ipa_bits(2) == 25);

TEST_CASE("stage 2: leaves carry MemAttr, S2AP, SH, AF and XN where the Arm ARM puts them", "[stage2]") {
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    CHECK(m.regime().regime == TranslationRegime::Stage2);
    CHECK(m.size() == uint64_t{1} << 40);
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(0x8000'0000), kRam | Stage2Attributes::XN).is_ok());
    // Page: VALID | page bit | MemAttr 0b1111 | S2AP 0b11 | SH 0b11 | AF | XN[1].
    CHECK(leaf_at(m, G1).bits() == (0x8000'0000 | 0x3 | (0xf << 2) | (0x3 << 6) | (0x3 << 8) | (1 << 10) |
                                    (uint64_t{2} << 53)));
    REQUIRE(m.map_range(MemoryRegion(2 * G1, 2 * G1 + M2), PhysicalAddress(0x900'0000'0000 >> 8),
                        Stage2Attributes::VALID | Stage2Attributes::DEVICE_NGNRE | Stage2Attributes::READ)
                .is_ok());
    unsigned level = 0;
    CHECK(leaf_at(m, 2 * G1, &level).bits() == ((0x900'0000'0000 >> 8) | 0x1 | (0x1 << 2) | (0x1 << 6) | (1 << 10)));
    CHECK(level == 2);  // a 2 MiB block
    m.release();
    CHECK(heap.pages == 0);
    CHECK(heap.runs == 0);
}

TEST_CASE("stage 2: nG, GP and XN[0] without FEAT_XNX are refused, and stage-1 Attributes that read otherwise",
          "[stage2]") {
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 39).is_ok());
    const MemoryRegion r(G1, G1 + K4);
    const PhysicalAddress pa(G1);
    Result res = m.map_range(r, pa, kRam | Stage2Attributes(uint64_t{1} << 11));
    CHECK(res.status() == Status::InvalidFlags);
    CHECK(res.error().value == uint64_t{1} << 11);
    res = m.map_range(r, pa, kRam | Stage2Attributes::XN_EL1);  // bit 53 alone
    CHECK(res.status() == Status::InvalidFlags);
    CHECK(res.error().value == uint64_t{1} << 53);
    res = m.map_range(r, pa, kRam | Stage2Attributes(uint64_t{1} << 50));
    CHECK(res.error().value == uint64_t{1} << 50);
    // Stage-1 Attributes: NORMAL's AttrIndx would be MemAttr 0b0001 (Device-nGnRE) here,
    // READ_ONLY write-only, USER S2AP[0], nG RES0, PXN XN[0].
    res = m.map_range(r, pa, Attributes::VALID | Attributes::NORMAL | Attributes::USER | Attributes::READ_ONLY);
    CHECK(res.status() == Status::InvalidFlags);
    CHECK(res.error().value == ((uint64_t{1} << 2) | (uint64_t{1} << 6) | (uint64_t{1} << 7)));
    res = m.map_range(r, pa, Attributes::VALID | Attributes::NON_GLOBAL | Attributes::PXN | Attributes::NS);
    CHECK(res.error().value == ((uint64_t{1} << 5) | (uint64_t{1} << 11) | (uint64_t{1} << 53)));
    // What both stages read alike is accepted: VALID, SH, AF, bit 54 (UXN, XN[1]).
    CHECK(m.map_range(r, pa, Attributes::VALID | Attributes::UXN | Attributes(uint64_t{3} << 8)).is_ok());
    // The error text names them.
    char text[400];
    (void)MapError::invalid_flags(uint64_t{1} << 11 | uint64_t{1} << 5).format(text, sizeof text);
    CHECK(std::string(text) == "invalid flags: refused bits 0x820: NS (bit 5): stage 1's; stage 2 reads it as "
                               "MemAttr[3]: use Stage2Attributes (IDMAP_S2_*); NON_GLOBAL (nG): EL2, EL3 and stage 2 "
                               "have no ASIDs (RES0 at stage 2)");
    // A callback may not set them either.
    res = m.modify_range(r, [](const MemoryRegion&, Descriptor& d, unsigned) {
        d = Descriptor(d.bits() | uint64_t{1} << 11);
        return true;
    });
    CHECK(res.status() == Status::InvalidFlags);
    CHECK(res.error().value == uint64_t{1} << 11);
    // A stage-1 map refuses Stage2Attributes.
    Mapping<> s1;
    REQUIRE(s1.init(1, 1, heap.allocator()).is_ok());
    CHECK(s1.map_range(r, pa, kRam).status() == Status::InvalidFlags);
    s1.release();
    m.release();

    // With FEAT_XNX, XN[0] is accepted: executable at EL0 only, or at EL1 only.
    Mapping<> x;
    REQUIRE(init_stage2(x, heap, 1, 39, 5, true).is_ok());
    CHECK(x.map_range(r, pa, kRam | Stage2Attributes::XN_EL1).is_ok());
    CHECK(x.map_range(MemoryRegion(2 * G1, 2 * G1 + K4), PhysicalAddress(2 * G1), kRam | Stage2Attributes::XN_EL0)
              .is_ok());
    const Access el0_only = leaf_access(leaf_at(x, G1).bits(), TranslationRegime::Stage2);
    CHECK((!el0_only.execute && el0_only.user_execute));
    const Access el1_only = leaf_access(leaf_at(x, 2 * G1).bits(), TranslationRegime::Stage2);
    CHECK((el1_only.execute && !el1_only.user_execute));
    x.release();
    CHECK(heap.pages == 0);
}

TEST_CASE("stage 2: S2AP and XN decode as the Arm ARM's stage-2 permissions", "[stage2]") {
    // S2AP 00 none, 01 read, 10 write-only, 11 read/write; XN 00 both, 10 neither.
    const Access none = leaf_access(1, TranslationRegime::Stage2);
    CHECK((!none.read && !none.write && none.execute && none.user_execute));
    const Access wo = leaf_access(1 | (2 << 6), TranslationRegime::Stage2);
    CHECK((!wo.read && wo.write && wo.user_write));
    const Access rx_never = leaf_access(1 | (1 << 6) | (uint64_t{2} << 53), TranslationRegime::Stage2);
    CHECK((rx_never.read && !rx_never.write && !rx_never.execute && !rx_never.user_execute));
}

TEST_CASE("stage 2: break-before-make counts MemAttr[3] and shareability, not S2AP or XN", "[stage2]") {
    const Descriptor wb(0x4000'0000 | 0x1 | (0xf << 2) | (0x3 << 6) | (1 << 10));
    const auto with = [&](uint64_t set, uint64_t clear = 0) { return Descriptor((wb.bits() | set) & ~clear); };
    // Bit 5 is MemAttr[3] at stage 2: a memory type change; at stage 1 the NS bit.
    CHECK(break_before_make_rule(wb, with(0, 1 << 5), TranslationRegime::Stage2) == BreakRule::MemoryType);
    CHECK(break_before_make_rule(wb, with(0, 1 << 5)) == BreakRule::OutputAddress);
    CHECK(break_before_make_rule(wb, with(3 << 8), TranslationRegime::Stage2) == BreakRule::MemoryType);
    CHECK(break_before_make_rule(wb, with(0, 1 << 7), TranslationRegime::Stage2) == BreakRule::None);  // S2AP
    CHECK(break_before_make_rule(wb, with(uint64_t{2} << 53), TranslationRegime::Stage2) == BreakRule::None);
    CHECK(break_before_make_rule(wb, Descriptor(wb.bits() + G1), TranslationRegime::Stage2) ==
          BreakRule::OutputAddress);

    // On a live map: the permission change is made, the memory type change refused.
    fake::reset();
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1), kRam).is_ok());
    REQUIRE(m.activate().is_ok());
    const MemoryRegion block(G1, G1 + M2);
    CHECK(m.map_range(block, PhysicalAddress(G1), Stage2Attributes::VALID | Stage2Attributes::NORMAL |
                                                       Stage2Attributes::READ)
              .is_ok());
    const Result r = m.map_range(block, PhysicalAddress(G1), Stage2Attributes::VALID | Stage2Attributes::DEVICE_NGNRE |
                                                                 Stage2Attributes::READ);
    CHECK(r.status() == Status::BreakBeforeMakeViolation);
    CHECK(r.error().value == static_cast<uint64_t>(BreakRule::MemoryType));
    // Part of the live block with other permissions: a split, refused by map_range.
    const Result split = m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1), kRam);
    CHECK(split.status() == Status::BreakBeforeMakeViolation);
    CHECK(split.error().value == static_cast<uint64_t>(BreakRule::Split));
    REQUIRE(m.deactivate().is_ok());
    m.release();
}

TEST_CASE("stage 2: init takes the IPA sizes each start level serves, 1 to 16 tables", "[stage2]") {
    struct Case {
        unsigned level, ipa_bits;
        uint8_t reason;       // 0: accepted
        unsigned root_tables;
    };
    const Case cases[] = {
        {0, 39, why::IPA_SIZE, 0}, {0, 40, 0, 1},  {0, 48, 0, 1},  {0, 49, why::IPA_SIZE, 0},
        {1, 30, why::IPA_SIZE, 0}, {1, 31, 0, 1},  {1, 39, 0, 1},  {1, 40, 0, 2},
        {1, 42, 0, 8},             {1, 43, 0, 16}, {1, 44, why::IPA_SIZE, 0},
        {2, 24, why::IPA_SIZE, 0}, {2, 25, 0, 1},  {2, 30, 0, 1},  {2, 31, 0, 2},
        {2, 34, 0, 16},            {2, 35, why::IPA_SIZE, 0},
        {3, 25, why::ROOT_LEVEL, 0},  // level 3 needs FEAT_TTST
    };
    for (const Case& c : cases) {
        CAPTURE(c.level, c.ipa_bits);
        Heap heap;
        Mapping<> m;
        const Result r = init_stage2(m, heap, c.level, c.ipa_bits);
        if (c.reason == 0) {
            REQUIRE(r.is_ok());
            CHECK(m.root_tables() == c.root_tables);
            CHECK(m.table_count() == c.root_tables);
            CHECK(m.size() == uint64_t{1} << c.ipa_bits);
            CHECK((m.root_address().value() & (c.root_tables * K4 - 1)) == 0);
            m.release();
        } else {
            CHECK(r.status() == Status::InvalidArgument);
            CHECK(reason_of(r) == c.reason);
            CHECK(!m.is_initialised());
        }
        CHECK(heap.pages == 0);
        CHECK(heap.runs == 0);
    }
    Heap heap;
    Mapping<> m;
    // A VMID over 16 bits; stage 2 through init(); no contiguous request.
    CHECK(reason_of(init_stage2(m, heap, 1, 40, 0x10000)) == why::VMID_WIDTH);
    CHECK(reason_of(m.init(0, 1, heap.allocator(), 0, kStage2)) == why::REGIME);
    PageAllocator pages_only{&Heap::alloc, &Heap::release, &heap};
    CHECK(reason_of(m.init_stage2(1, 1, pages_only, 0, Stage2Options{40, false})) == why::CONTIGUOUS_ALLOCATOR);
    REQUIRE(m.init_stage2(1, 1, pages_only, 0, Stage2Options{39, false}).is_ok());  // one table: pages only
    m.release();
    char text[200];
    (void)MapError::invalid_argument(why::IPA_SIZE, 44, 1).format(text, sizeof text);
    CHECK(std::string(text) ==
          "invalid argument: a 44-bit IPA cannot start at level 1 with 1 to 16 concatenated tables");
    (void)MapError::invalid_argument(why::ROOT_LEVEL, 3, 0 | (2 << 8)).format(text, sizeof text);
    CHECK(std::string(text) == "invalid argument: root level 3 is not one of 0 to 2");
}

TEST_CASE("stage 2: a concatenated root is one aligned run, walked as one table and given back whole",
          "[stage2]") {
    Heap heap;
    {
        Mapping<> m;
        heap.misalign = true;
        const Result r = init_stage2(m, heap, 1, 41);
        CHECK(r.status() == Status::OutOfMemory);
        CHECK(heap.runs == 0);  // given back
        heap.misalign = false;
    }
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 41).is_ok());  // 4 tables: 16 KiB, 16 KiB-aligned
    CHECK(heap.runs == 1);
    CHECK(heap.run_count == 4);
    CHECK((m.root_address().value() & (4 * K4 - 1)) == 0);
    // An IPA in the third table: root entry 1024 + 88 (1112 GiB).
    const uint64_t ipa = 1112 * G1;
    REQUIRE(m.map_range(MemoryRegion(ipa, ipa + G1), PhysicalAddress(0x1'0000'0000), kRam).is_ok());
    const auto* root = reinterpret_cast<const uint64_t*>(m.root_address().value());
    CHECK((root[1112] & 0xffff'ffff'f000) == 0x1'0000'0000);  // a 1 GiB block in the third table
    CHECK(leaf_at(m, ipa + 0x1234'5000).output_address().value() == 0x1'0000'0000);
    // A page below it: a table under an entry of the last table.
    const uint64_t top = (uint64_t{1} << 41) - K4;
    REQUIRE(m.map_range(MemoryRegion(top, top + K4), PhysicalAddress(0x2000'0000), kRam).is_ok());
    CHECK(m.table_count() == 4 + 2);
    CHECK(leaf_at(m, top).output_address().value() == 0x2000'0000);
    // for_each_table sees each page of the root, then the two tables.
    size_t pages = 0;
    m.for_each_table([&](const void*) { ++pages; });
    CHECK(pages == 6);
    // Unmapping the top page frees its tables; the root stays.
    REQUIRE(m.unmap_range(MemoryRegion(top, top + K4)).is_ok());
    CHECK(m.table_count() == 4);
    // The contiguous hint groups blocks within each table of the root.
    m.set_contiguous_hint(true);
    REQUIRE(m.map_range(MemoryRegion(16 * 32 * G1 - 16 * G1, 16 * 32 * G1 + 16 * G1),
                        PhysicalAddress(16 * 32 * G1 - 16 * G1), kRam)
                .is_ok());
    CHECK((root[511] & bits(Attributes::CONTIGUOUS)) != 0);
    CHECK((root[512] & bits(Attributes::CONTIGUOUS)) != 0);
    const std::string dump = dump_of(m);
    CHECK(dump.rfind("stage 2 VTTBR, root level 1 (4 concatenated), 0x0-0x1ffffffffff, VMID 5, 4 tables", 0) == 0);
    CHECK(dump.find("L1 [1112] 0x11600000000-0x1163fffffff: block -> 0x100000000 Normal-WB ISH RW AF") !=
          std::string::npos);
    m.release();
    CHECK(heap.runs == 0);
    CHECK(heap.pages == 0);
}

TEST_CASE("stage 2: the static pool gives aligned runs, and the budget counts the root's tables", "[stage2]") {
    static StaticPagePool<16> pool;
    Mapping<> m;
    // One page out first: the run then skips to an 8 KiB boundary, giving the page skipped
    // to the free list.
    void* first = pool.allocator().alloc_page(&pool);
    REQUIRE(m.init_stage2(1, 1, pool.contiguous_allocator(), 0, Stage2Options{40, false}).is_ok());
    CHECK((m.root_address().value() & (2 * K4 - 1)) == 0);
    CHECK(pool.in_use() == 3);
    // The worst case for one region with pages only is exact: the root's 2 tables, one
    // level-2 and one level-3 table.
    const MemoryRegion region(G1 + M2 - K4, G1 + M2 + K4);
    CHECK(worst_case_tables(&region, 1, 1, 2) == 2 + 1 + 2);
    REQUIRE(m.map_range(region, PhysicalAddress(region.start().value()), kRam, Constraints::NO_BLOCK_MAPPINGS)
                .is_ok());
    CHECK(m.table_count() == worst_case_tables(&region, 1, 1, 2));
    m.release();
    pool.allocator().free_page(&pool, first);
    CHECK(pool.in_use() == 0);
}

TEST_CASE("stage 2: VTCR_EL2 for each legal start level and IPA size", "[stage2]") {
    struct Case {
        unsigned level, ipa_bits;
        uint64_t parange, vmid_bits;  // ID_AA64MMFR0_EL1.PARange, ID_AA64MMFR1_EL1.VMIDBits
        uint64_t vtcr;
    };
    // T0SZ | SL0 << 6 | 0x3500 (IRGN0, ORGN0 write-back, SH0 inner) | PS << 16 | VS << 19 | 1 << 31.
    const Case cases[] = {
        {1, 40, 2, 0, 0x80023558},  // the value linux-guest.md checked under QEMU
        {1, 40, 5, 2, 0x800d3558},  // PS 48 bits, VS
        {0, 48, 5, 0, 0x80053590},  // T0SZ 16, SL0 0b10
        {0, 44, 4, 0, 0x80043594},  // T0SZ 20, level 0 with 44 PA bits
        {1, 43, 4, 0, 0x80043555},  // 16 tables, 44 PA bits
        {1, 32, 0, 0, 0x80003560},  // T0SZ 32, one table, 32 PA bits
        {2, 34, 1, 0, 0x8001351e},  // SL0 0b00, 16 tables, 36 PA bits
        {2, 25, 0, 0, 0x80003527},  // T0SZ 39
    };
    for (const Case& c : cases) {
        CAPTURE(c.level, c.ipa_bits, c.parange);
        Heap heap;
        Mapping<> m;
        REQUIRE(init_stage2(m, heap, c.level, c.ipa_bits, 1).is_ok());
        uint64_t vtcr = 0;
        REQUIRE(stage2_vtcr(m, c.parange, c.vmid_bits << 4, vtcr).is_ok());
        CHECK(vtcr == c.vtcr);
        m.release();
    }
}

TEST_CASE("stage 2: VTCR_EL2 refuses what the CPU cannot translate", "[stage2]") {
    Heap heap;
    Mapping<> m;
    uint64_t vtcr = 0xdead;
    REQUIRE(init_stage2(m, heap, 1, 42, 0x100).is_ok());
    // 42-bit IPA, 40 PA bits.
    Result r = stage2_vtcr(m, 2, 0, vtcr);
    CHECK(reason_of(r) == why::IPA_BEYOND_PA);
    CHECK(((r.error().value >> 16) & 0xffff) == 42);
    // VMID 256 with 8-bit VMIDs; with 16-bit ones, VS.
    CHECK(reason_of(stage2_vtcr(m, 5, 0, vtcr)) == why::VMID_WIDTH);
    REQUIRE(stage2_vtcr(m, 5, 2 << 4, vtcr).is_ok());
    CHECK((vtcr & vtcr::VS) != 0);
    // An output address beyond PS.
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(uint64_t{1} << 44), kRam).is_ok());
    r = stage2_vtcr(m, 4, 2 << 4, vtcr);  // 44 PA bits: the IPA fits, the output does not
    CHECK(reason_of(r) == why::OUTPUT_BEYOND_PA);
    CHECK(r.error().va.value() == uint64_t{1} << 44);
    CHECK(stage2_vtcr(m, 5, 2 << 4, vtcr).is_ok());
    // TGran4_2 = 0b0001: stage 2 lacks the 4 KiB granule.
    CHECK(reason_of(stage2_vtcr(m, 5 | (uint64_t{1} << 40), 2 << 4, vtcr)) == why::GRANULE);
    m.release();
    // A level-0 start with less than 44 PA bits.
    REQUIRE(init_stage2(m, heap, 0, 40).is_ok());
    CHECK(reason_of(stage2_vtcr(m, 3, 0, vtcr)) == why::IPA_BEYOND_PA);
    m.release();
    // FEAT_XNX asked, not there.
    REQUIRE(init_stage2(m, heap, 1, 40, 1, true).is_ok());
    CHECK(reason_of(stage2_vtcr(m, 5, 0, vtcr)) == why::NO_XNX);
    CHECK(stage2_vtcr(m, 5, uint64_t{1} << 28, vtcr).is_ok());
    m.release();
    // A stage-1 map.
    REQUIRE(m.init(1, 1, heap.allocator()).is_ok());
    vtcr = 0xdead;
    CHECK(reason_of(stage2_vtcr(m, 5, 0, vtcr)) == why::NOT_STAGE2);
    CHECK(vtcr == 0xdead);
    m.release();
}

namespace {
// Pages of Size bytes from the heap, aligned to their size: the 16 KiB and 64 KiB granules'.
template <size_t Size>
struct AlignedPages {
    static void* alloc(void*) { return std::aligned_alloc(Size, Size); }
    static void release(void*, void* p) { std::free(p); }
    static PageAllocator allocator() { return PageAllocator{&alloc, &release, nullptr}; }
};
}  // namespace

TEST_CASE("stage 2: VTCR_EL2 with the 16 KiB and 64 KiB granules", "[stage2]") {
    Mapping<Granule16K> m16;
    REQUIRE(m16.init_stage2(1, 2, AlignedPages<16384>::allocator(), 0, Stage2Options{36, false}).is_ok());
    uint64_t vtcr = 0;
    // T0SZ 28, SL0 0b01 (level 2), TG0 0b10, PS 40 bits.
    REQUIRE(stage2_vtcr(m16, 2 | (uint64_t{1} << 20), 0, vtcr).is_ok());
    CHECK(vtcr == (0x80000000 | (2 << 16) | (2 << 14) | 0x3500 | (1 << 6) | 28));
    m16.release();
    Mapping<Granule64K> m64;
    REQUIRE(m64.init_stage2(1, 2, AlignedPages<65536>::allocator(), 0, Stage2Options{42, false}).is_ok());
    CHECK(m64.root_tables() == 1);
    REQUIRE(stage2_vtcr(m64, 5, 0, vtcr).is_ok());
    // T0SZ 22, SL0 0b01 (level 2), TG0 0b01, PS 48 bits.
    CHECK(vtcr == (0x80000000 | (5 << 16) | (1 << 14) | 0x3500 | (1 << 6) | 22));
    m64.release();
}

TEST_CASE("stage 2: map_range_break_before_make splits a live block and changes a live memory type", "[stage2]") {
    fake::reset();
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1), kRam).is_ok());
    REQUIRE(m.activate().is_ok());
    const auto* root = reinterpret_cast<const uint64_t*>(m.root_address().value());
    const uint64_t* l2 = reinterpret_cast<const uint64_t*>(root[1] & 0xffff'ffff'f000);
    // One page of the live 2 MiB block made read-only: the block is broken, then the new
    // table linked.
    const Stage2Attributes ro = Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ;
    REQUIRE(m.map_range_break_before_make(MemoryRegion(G1 + K4, G1 + 2 * K4), PhysicalAddress(G1 + K4), ro).is_ok());
    CHECK((l2[0] & 3) == 3);  // a table now
    CHECK(leaf_at(m, G1 + K4).bits() == ((G1 + K4) | bits(ro) | 0x2 | (1 << 10)));
    CHECK(leaf_at(m, G1).bits() == (G1 | bits(kRam) | 0x2 | (1 << 10)));  // the rest as it was
    // A live page's memory type: broken, then made.
    const Stage2Attributes dev = Stage2Attributes::VALID | Stage2Attributes::DEVICE_NGNRE | Stage2Attributes::READ;
    REQUIRE(m.map_range_break_before_make(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1), dev).is_ok());
    CHECK(leaf_at(m, G1).bits() == (G1 | bits(dev) | 0x2 | (1 << 10)));
    REQUIRE(m.deactivate().is_ok());
    m.release();
    CHECK(heap.pages == 0);
}

TEST_CASE("stage 2: map_range_break_before_make changes nothing when it fails", "[stage2]") {
    fake::reset();
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + M2), PhysicalAddress(G1), kRam).is_ok());
    REQUIRE(m.map_range(MemoryRegion(2 * G1, 2 * G1 + 32 * M2), PhysicalAddress(2 * G1), kRam).is_ok());
    REQUIRE(m.activate().is_ok());
    const std::vector<uint64_t> before = snapshot(m);
    const unsigned events = fake::next_event();
    // No page for the split (out of memory): nothing written, no TLBI.
    heap.fail_after = heap.given;
    Result r = m.map_range_break_before_make(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1),
                                             Stage2Attributes::VALID | Stage2Attributes::NORMAL);
    CHECK(r.status() == Status::OutOfMemory);
    CHECK(snapshot(m) == before);
    CHECK(fake::next_event() == events);
    heap.fail_after = -1;
    // A refused flag in the same call: nothing either.
    r = m.map_range_break_before_make(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1), kRam | Stage2Attributes::XN_EL1);
    CHECK(r.status() == Status::InvalidFlags);
    CHECK(snapshot(m) == before);
    REQUIRE(m.deactivate().is_ok());
    // A live contiguous group: breaking one of its blocks is still refused.
    m.set_contiguous_hint(true);
    REQUIRE(m.map_range(MemoryRegion(2 * G1, 2 * G1 + 32 * M2), PhysicalAddress(2 * G1), kRam).is_ok());
    REQUIRE(m.activate().is_ok());
    const std::vector<uint64_t> grouped = snapshot(m);
    r = m.map_range_break_before_make(MemoryRegion(2 * G1, 2 * G1 + K4), PhysicalAddress(2 * G1),
                                      Stage2Attributes::VALID | Stage2Attributes::NORMAL);
    CHECK(r.status() == Status::BreakBeforeMakeViolation);
    CHECK(r.error().value == static_cast<uint64_t>(BreakRule::Contiguous));
    CHECK(snapshot(m) == grouped);
    REQUIRE(m.deactivate().is_ok());
    m.release();
    CHECK(heap.pages == 0);
}

TEST_CASE("stage 2: a sealed map only tightens S2AP and XN", "[stage2]") {
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    REQUIRE(m.map_range(MemoryRegion(G1, G1 + K4), PhysicalAddress(G1),
                        Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ)
                .is_ok());
    m.seal();
    const MemoryRegion r(G1, G1 + K4);
    // Adding S2AP[1] (write) widens; adding XN tightens.
    CHECK(m.modify_range(r, [](const MemoryRegion&, Descriptor& d, unsigned) {
               d = Descriptor(d.bits() | bits(Stage2Attributes::WRITE));
               return true;
           }).status() == Status::Sealed);
    CHECK(m.modify_range(r, [](const MemoryRegion&, Descriptor& d, unsigned) {
               d = Descriptor(d.bits() | bits(Stage2Attributes::XN));
               return true;
           }).is_ok());
    m.release();
}

// Random maps and unmaps over both tables of a concatenated root (a 40-bit IPA from level
// 1: the second table holds IPAs from 512 GiB), against a page-granular reference: what
// walk_range finds for sampled IPAs, the tables given back, compact and coalesce.
TEST_CASE("stage 2: random changes across a concatenated root agree with a reference", "[stage2][property]") {
    Heap heap;
    Mapping<> m;
    REQUIRE(init_stage2(m, heap, 1, 40).is_ok());
    m.set_contiguous_hint(true);
    uint64_t seed = 0x5eed'0002;
    const auto next = [&seed]() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    // The IPAs around the boundary between the two root tables, and at the ends.
    const uint64_t bases[] = {0, 511 * G1, 512 * G1 - 64 * M2, 1023 * G1};
    struct Mapped {
        uint64_t start, end, pa;
        Stage2Attributes flags;
    };
    std::vector<Mapped> log;  // later entries win
    const Stage2Attributes kinds[] = {kRam, Stage2Attributes::VALID | Stage2Attributes::DEVICE_NGNRE |
                                                Stage2Attributes::READ_WRITE | Stage2Attributes::XN,
                                      Stage2Attributes::VALID | Stage2Attributes::NORMAL | Stage2Attributes::READ};
    for (int step = 0; step < 200; ++step) {
        const uint64_t base = bases[next() % 4];
        const uint64_t start = base + (next() % (2 * 512)) * M2 / 4 * (next() % 2 == 0 ? 1 : 0) + (next() % 64) * K4 * 8;
        const uint64_t len = (next() % 3 == 0 ? G1 : (next() % 2 == 0 ? M2 * (1 + next() % 40) : K4 * (1 + next() % 700)));
        const uint64_t end = start + len > (uint64_t{1} << 40) ? uint64_t{1} << 40 : start + len;
        if (end <= start) {
            continue;
        }
        const MemoryRegion r(start, end);
        if (next() % 4 == 0) {
            REQUIRE(m.unmap_range(r).is_ok());
            log.push_back({start, end, 0, Stage2Attributes::EMPTY});
        } else {
            // Output addresses aligned like the input (blocks possible) or shifted by a page.
            const uint64_t pa = (start + (uint64_t{1} << 41)) + (next() % 2 == 0 ? 0 : K4);
            const Stage2Attributes f = kinds[next() % 3];
            REQUIRE(m.map_range(r, PhysicalAddress(pa), f).is_ok());
            log.push_back({start, end, pa, f});
        }
        if (step % 20 == 19) {
            (void)m.compact_subtables();
            (void)m.coalesce_subtables();
        }
    }
    // Sampled IPAs: the last change covering each decides.
    unsigned valid = 0;
    unsigned second_table = 0;  // of them, IPAs the second root table maps
    for (int i = 0; i < 3000; ++i) {
        const uint64_t ipa = (bases[next() % 4] + (next() % (3 * G1))) & ((uint64_t{1} << 40) - K4);
        const Mapped* last = nullptr;
        for (const Mapped& e : log) {
            if (ipa >= e.start && ipa < e.end) {
                last = &e;
            }
        }
        unsigned level = 0;
        const Descriptor d = leaf_at(m, ipa, &level);
        CAPTURE(ipa, d.bits(), level);
        if (last == nullptr || last->flags == Stage2Attributes::EMPTY) {
            CHECK(!d.is_valid());
            continue;
        }
        REQUIRE(d.is_valid());
        ++valid;
        second_table += ipa >= 512 * G1 ? 1 : 0;
        const uint64_t size = Granule4K::level_size(level);
        const uint64_t oa = d.output_address().value() + (ipa & (size - 1));
        CHECK(oa == last->pa + (ipa - last->start));
        CHECK((d.bits() & ~(Granule4K::output_address_mask | bits(Attributes::CONTIGUOUS) |
                            bits(Attributes::TABLE_OR_PAGE))) ==
              (bits(last->flags) | bits(Stage2Attributes::ACCESSED)));
    }
    CHECK(valid > 300);
    CHECK(second_table > 100);
    REQUIRE(m.unmap_range(MemoryRegion(0, uint64_t{1} << 40)).is_ok());
    CHECK(m.table_count() == 2);
    CHECK(heap.pages == 0);
    m.release();
    CHECK(heap.runs == 0);
}
