#include <catch2/catch.hpp>

#include "aarch64_paging/idmap.hpp"
#include "aarch64_paging/mmu.hpp"
#include "arch/host/fake.hpp"

#include <cstdlib>
#include <string>

using namespace aarch64_paging;
namespace fake = aarch64_paging::arch::fake;

namespace {
template <uint64_t PageSize>
struct HeapPages {
    size_t live = 0;
    static void* alloc(void* ctx) {
        ++static_cast<HeapPages*>(ctx)->live;
        return std::aligned_alloc(PageSize, PageSize);
    }
    static void release(void* ctx, void* page) {
        --static_cast<HeapPages*>(ctx)->live;
        std::free(page);
    }
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
};

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

// T0SZ above 39 needs FEAT_TTST: 4 KiB pages from root level 3 (T0SZ 43). The 16 KiB and
// 64 KiB granules' root level 3 needs 39 and 35, within the limit (Arm ARM D8.2).
TEST_CASE("enable_mmu needs FEAT_TTST only for T0SZ above 39", "[mmu]") {
    fake::reset();
    // PARange 44 bits, 16-bit ASIDs, TGran16 = 1 and TGran64 = 0: both granules; no TTST
    // (ID_AA64MMFR2_EL1.ST = 0).
    fake::registers().id_aa64mmfr0_el1 = 0x0010'1124;
    IdMap map(1, 3);
    arch::MmuRegisters previous{};
    const Result refused = enable_mmu(map.mapping(), previous);
    CHECK(refused.status() == Status::InvalidArgument);
    CHECK(refused.error().value == (argument_reason::NEEDS_TTST | (uint64_t{43} << 16)));
    char text[160];
    refused.error().format(text, sizeof text);
    CHECK(std::string(text) == "invalid argument: the root level needs T0SZ 43, above 39, and the CPU lacks FEAT_TTST");
    CHECK_FALSE(map.is_active());
    CHECK((fake::registers().sctlr_el1 & sctlr::M) == 0);
    fake::registers().id_aa64mmfr2_el1 = uint64_t{1} << 28;  // ST = 1
    CHECK(enable_mmu(map.mapping(), previous).is_ok());
    CHECK(disable_mmu(map.mapping(), previous).is_ok());

    fake::registers().id_aa64mmfr2_el1 = 0;
    HeapPages<16384> pages16;
    Mapping<Granule16K> map16;
    REQUIRE(map16.init(1, 3, pages16.allocator()).is_ok());
    REQUIRE(enable_mmu(map16, previous).is_ok());
    CHECK((fake::registers().tcr_el1 & 0x3f) == 39);
    REQUIRE(disable_mmu(map16, previous).is_ok());
    map16.release();
    HeapPages<65536> pages64;
    Mapping<Granule64K> map64;
    REQUIRE(map64.init(1, 3, pages64.allocator()).is_ok());
    REQUIRE(enable_mmu(map64, previous).is_ok());
    CHECK((fake::registers().tcr_el1 & 0x3f) == 35);
    REQUIRE(disable_mmu(map64, previous).is_ok());
    map64.release();
    fake::reset();
}

// The MMU must never be left walking what is not a table: a map enable_mmu installed is
// turned off by disable_mmu, not by deactivate, and outlives its owner's release.
TEST_CASE("a map enable_mmu installed: deactivate refused, release leaves the tables to the MMU", "[mmu]") {
    fake::reset();
    fake::registers().ttbr0_el1 = 0x1234'5000;  // what TTBR0 held at reset: no table
    HeapPages<4096> pages;
    arch::MmuRegisters previous{};
    uint64_t root = 0;
    {
        IdMap map(5, 1, pages.allocator());
        REQUIRE(map.map_range(MemoryRegion(0x4000'0000, 0x4020'0000), Attributes::NORMAL | Attributes::VALID).is_ok());
        REQUIRE(enable_mmu(map.mapping(), previous).is_ok());
        CHECK(map.mapping().is_mmu_enabled());
        root = map.root_address().value();
        const Result r = map.deactivate();
        CHECK(r.status() == Status::InvalidArgument);
        CHECK(r.error().value == argument_reason::MMU_ENABLED);
        char text[160];
        r.error().format(text, sizeof text);
        CHECK(std::string(text) == "invalid argument: the map was turned on by enable_mmu; turn it off with disable_mmu");
        CHECK(map.is_active());
        uint64_t other_core = 0;
        REQUIRE(map.mapping().activate_on_core(other_core).is_ok());
        CHECK(map.mapping().deactivate_on_core(other_core).is_ok());  // undoes the other core's
        CHECK(map.mapping().deactivate_on_core(other_core).error().value == argument_reason::MMU_ENABLED);
        CHECK(map.is_active());
        // The map goes out of scope with the MMU on it.
    }
    CHECK(fake::registers().ttbr0_el1 == (root | (uint64_t{5} << 48)));
    CHECK((fake::registers().sctlr_el1 & sctlr::M) != 0);
    CHECK(pages.live == 2);  // root and level-2 table: still the MMU's
    // What a program that called disable_mmu first would have had given back.
    arch::load_mmu_registers(TranslationRegime::El1And0, previous);
    auto* const root_table = reinterpret_cast<uint64_t*>(root);
    REQUIRE((root_table[1] & 3) == 3);  // [1 GiB, 2 GiB): the level-2 table
    HeapPages<4096>::release(&pages, reinterpret_cast<void*>(root_table[1] & 0x0000'ffff'ffff'f000));
    HeapPages<4096>::release(&pages, root_table);
    fake::reset();
}

TEST_CASE("disable_mmu cleans the data cache when M and C both set become not both", "[mmu]") {
    struct Case {
        uint64_t before;  // SCTLR_EL1 M and C before enable_mmu (RES1 bits aside)
        unsigned flushes;
    };
    // enable_mmu sets M, C and I; disable_mmu loads the SCTLR of before.
    const Case cases[] = {
        {0, 1},                    // both off again
        {sctlr::C, 1},             // M off with C left on: accesses are Device-nGnRnE
        {sctlr::M, 1},             // C off with M on
        {sctlr::M | sctlr::C, 0},  // still cached
    };
    for (const Case& c : cases) {
        CAPTURE(c.before);
        fake::reset();
        fake::registers().sctlr_el1 = 0x30d00800 | c.before;
        IdMap map(1, 1);
        arch::MmuRegisters previous{};
        REQUIRE(enable_mmu(map.mapping(), previous).is_ok());
        CHECK(fake::counters().dcache_set_way_flushes == 0);
        REQUIRE(disable_mmu(map.mapping(), previous).is_ok());
        CHECK(fake::counters().dcache_set_way_flushes == c.flushes);
    }
    CHECK(arch::leaves_cache(sctlr::M | sctlr::C, sctlr::C));
    CHECK_FALSE(arch::leaves_cache(sctlr::C, 0));  // nothing was cached
    fake::reset();
}

// Tables written while data accesses bypass the cache are in memory: their pages are
// invalidated when taken (no stale line may be written back over them later), and
// cleaned and invalidated before the walker reads them through the cache.
TEST_CASE("tables written past the cache: pages invalidated when taken, cleaned when the cache comes on", "[mmu]") {
    struct Case {
        uint64_t sctlr;  // M and C while the tables are built
        bool bypassed;
    };
    const Case cases[] = {{0, true}, {sctlr::M, true}, {sctlr::C, true}, {sctlr::M | sctlr::C, false}};
    for (const Case& c : cases) {
        CAPTURE(c.sctlr);
        fake::reset();
        fake::registers().sctlr_el1 = 0x30d00800 | c.sctlr;
        IdMap map(1, 1);
        REQUIRE(map.map_range(MemoryRegion(0x4000'0000, 0x4000'1000), Attributes::NORMAL | Attributes::VALID).is_ok());
        CHECK(fake::counters().dcache_invalidated_bytes == (c.bypassed ? 3 * PAGE_SIZE : 0));
        arch::MmuRegisters previous{};
        REQUIRE(enable_mmu(map.mapping(), previous).is_ok());
        CHECK(fake::counters().dcache_cleaned_bytes == (c.bypassed ? 3 * PAGE_SIZE : 0));
        // Invalidated before the first write to each page: the chain's link is its first.
        const fake::Events& e = fake::events();
        if (c.bypassed) {
            REQUIRE(e.count >= 3);
            CHECK(e.log[0].kind == fake::Event::InvalidateToPoc);
        }
        REQUIRE(disable_mmu(map.mapping(), previous).is_ok());
    }
    fake::reset();
}

// What a bootloader cleans before it enters a kernel with the MMU off: the range by VA,
// and nothing else (not the tables' clean and invalidate, not the set/way clean).
TEST_CASE("clean_to_poc cleans exactly [start, end) by VA; an empty or backwards range, nothing", "[mmu]") {
    struct Case {
        uint64_t start, end;
        uint64_t want_size;
    };
    const Case cases[] = {
        {0x4040'0000, 0x4241'0000, 0x201'0000},  // a kernel's image_size from a 2 MiB base
        {0x4800'0123, 0x4800'0456, 0x333},       // any alignment: the lines are the target's
        {0x4800'0000, 0x4800'0000, 0},
        {0x4800'1000, 0x4800'0000, 0},
    };
    for (const Case& c : cases) {
        CAPTURE(c.start, c.end);
        fake::reset();
        clean_to_poc(VirtualAddress(c.start), VirtualAddress(c.end));
        const fake::Events& e = fake::events();
        REQUIRE(e.count == 1);
        CHECK(e.log[0].kind == fake::Event::CleanToPoc);
        CHECK(e.log[0].value == c.start);
        CHECK(e.log[0].size == c.want_size);
        CHECK(fake::counters().dcache_cleaned_bytes == 0);
        CHECK(fake::counters().dcache_set_way_flushes == 0);
    }
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
