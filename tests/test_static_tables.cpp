// Tables built at compile time (static_tables.hpp): the generic core in constant
// evaluation gives, bit for bit, the tables it builds at run time.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "aarch64_paging/static_tables.hpp"

using namespace aarch64_paging;

namespace {

constexpr Attributes kCode = Attributes::NORMAL | Attributes::VALID | Attributes::READ_ONLY;
constexpr Attributes kData = Attributes::NORMAL | Attributes::VALID | Attributes::EXECUTE_NEVER;
constexpr Attributes kDevice = Attributes::DEVICE_NGNRE | Attributes::VALID | Attributes::EXECUTE_NEVER;

constexpr MapEntry kMap[] = {
    {MemoryRegion(0x40080000, 0x40100000), kCode, Constraints::NONE},        // pages
    {MemoryRegion(0x40100000, 0x48000000), kData, Constraints::NONE},        // pages, blocks
    {MemoryRegion(0x09000000, 0x09001000), kDevice, Constraints::NONE},      // a UART page
    {MemoryRegion(0x80000000, 0xc0000000), kData, Constraints::NONE},        // a 1 GiB block
    {MemoryRegion(0x40000000, 0x40010000), kData, Constraints::NO_BLOCK_MAPPINGS},
};

// Evaluated by the compiler: a constexpr variable.
constexpr auto kImage = build_id_tables<8>(0x40200000, 1, kMap);
static_assert(kImage.result.is_ok(), "the map builds");
static_assert(kImage.used == 5, "root, a level-2 table for [1 GiB, 2 GiB), level-3 tables for the "
                                "image's first 2 MiB and the UART, and the level-2 table for the UART's GiB");
static_assert(kImage.entries[1].is_table(1), "root entry 1 ([1 GiB, 2 GiB)) is a table");
static_assert(kImage.entries[2].bits() == (0x80000000 | bits(kData | Attributes::ACCESSED)),
              "root entry 2 is a 1 GiB block");
static_assert(kImage.entries[0].output_address().value() == 0x40200000 + 3 * 4096,
              "pages in order: root, level 2 and level 3 for the first region, then the UART's "
              "level 2 (page 3) and level 3");

// The ASID goes in the TTBR value; the contiguous hint, when asked, in the pages.
constexpr MapEntry kHinted[] = {{MemoryRegion(0x40000000, 0x40010000), kData, Constraints::NO_BLOCK_MAPPINGS}};
constexpr auto kHintedImage = build_id_tables<4>(0x40200000, 1, kHinted, Regime{}, 7, true);
static_assert(kHintedImage.ttbr() == (0x40200000 | (uint64_t{7} << 48)), "root | ASID << 48");
static_assert((kHintedImage.entries[2 * 512].bits() & bits(Attributes::CONTIGUOUS)) != 0 &&
                  (kImage.entries[2 * 512 + 0x80].bits() & bits(Attributes::CONTIGUOUS)) == 0,
              "16 hinted pages when asked, none by default");

// Too few pages: OutOfMemory, reported, not a compile error.
constexpr auto kSmall = build_id_tables<3>(0x40200000, 1, kMap);
static_assert(kSmall.result.status() == Status::OutOfMemory, "3 pages are not enough");

// A map without VALID takes out the table it covers whole (contract 1.1), in constant
// evaluation too: the leaf table of [1 GiB, 1 GiB + 64 KiB) goes, its page given back.
constexpr MapEntry kTakenOut[] = {
    {MemoryRegion(0x40000000, 0x40010000), kData, Constraints::NO_BLOCK_MAPPINGS},
    {MemoryRegion(0x40000000, 0x40200000), Attributes(), Constraints::NONE},
};
constexpr auto kTakenOutImage = build_id_tables<4>(0x40200000, 1, kTakenOut);
static_assert(kTakenOutImage.result.is_ok(), "the unmap builds");
static_assert(kTakenOutImage.used == 2 && kTakenOutImage.entries[512].bits() == 0,
              "root and the level-2 table; the level-3 table is out and its entry empty");

// Pages from an aligned buffer that maps them to the image's addresses, in order.
struct Pool {
    std::vector<void*> pages;
    size_t next = 0;
    static void* alloc(void* ctx) {
        auto* p = static_cast<Pool*>(ctx);
        return p->next < p->pages.size() ? p->pages[p->next++] : nullptr;
    }
    static void release(void*, void*) {}
};

}  // namespace

TEST_CASE("tables built at compile time equal those the core builds at run time", "[static]") {
    // At run time, the same core over real pages; then each table pointer in the tree is
    // rewritten to where the compile-time image puts that page, and the bytes compared.
    Pool pool;
    for (int i = 0; i < 8; ++i) pool.pages.push_back(std::aligned_alloc(4096, 4096));
    Mapping<> mapping;
    REQUIRE(mapping.init(0, 1, PageAllocator{&Pool::alloc, &Pool::release, &pool}).is_ok());
    for (const MapEntry& e : kMap) {
        REQUIRE(mapping.map_range(e.region, PhysicalAddress(e.region.start().value()), e.flags, e.constraints)
                    .is_ok());
    }
    REQUIRE(pool.next == kImage.used);
    const auto image_pa = [&](uint64_t host) {
        for (size_t i = 0; i < pool.next; ++i) {
            if (reinterpret_cast<uint64_t>(pool.pages[i]) == host) return kImage.base + i * 4096;
        }
        FAIL("a table pointer outside the pool");
        return uint64_t{0};
    };
    // Walk both trees together from the roots.
    size_t compared = 0;
    const auto compare = [&](const auto& self, const Descriptor* runtime, const Descriptor* image,
                             unsigned level) -> void {
        ++compared;
        for (unsigned i = 0; i < 512; ++i) {
            INFO("level " << level << " entry " << i);
            uint64_t bits = runtime[i].bits();
            if (runtime[i].is_table(level)) {
                const uint64_t host = bits & Descriptor::OUTPUT_ADDRESS_MASK;
                bits = (bits & ~Descriptor::OUTPUT_ADDRESS_MASK) | image_pa(host);
                REQUIRE(bits == image[i].bits());
                const uint64_t page = (image_pa(host) - kImage.base) / 4096;
                self(self, reinterpret_cast<const Descriptor*>(host), kImage.entries + page * 512, level + 1);
            } else {
                REQUIRE(bits == image[i].bits());
            }
        }
    };
    compare(compare, static_cast<const Descriptor*>(pool.pages[0]), kImage.entries, 1);
    CHECK(compared == kImage.used);
    // Unused pages of the image stay zero.
    for (size_t i = kImage.used * 512; i < 8 * 512; ++i) REQUIRE(kImage.entries[i].bits() == 0);
    mapping.release();
    for (void* p : pool.pages) std::free(p);
}
