// 16 KiB and 64 KiB granules beside 4 KiB: the generic core with Granule16K and
// Granule64K, checked with a walker written here from the Arm ARM's table geometry
// (D8.2 "Translation table walk"), and the TCR values mmu_config gives for them.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <vector>

#include "aarch64_paging/mmu.hpp"

using namespace aarch64_paging;

namespace {

// A page source of page_size-byte pages from the heap.
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

// What a walk of the tables gives for va: the level of the leaf and its descriptor, or
// level 4 for a fault. page_shift 12, 14 or 16; every level resolves page_shift - 3 bits.
struct Walk {
    unsigned level;
    uint64_t leaf;
    uint64_t pa;
};
Walk walk(const uint64_t* root, unsigned root_level, unsigned page_shift, uint64_t va) {
    const unsigned bits = page_shift - 3;
    const uint64_t oa_mask = 0x0000ffffffffffffULL & ~((uint64_t{1} << page_shift) - 1);
    const uint64_t* table = root;
    for (unsigned level = root_level; level <= 3; ++level) {
        const unsigned shift = page_shift + bits * (3 - level);
        const uint64_t d = table[(va >> shift) & ((uint64_t{1} << bits) - 1)];
        if ((d & 1) == 0) return Walk{4, d, 0};
        if (level < 3 && (d & 3) == 3) {
            table = reinterpret_cast<const uint64_t*>(d & oa_mask);
            continue;
        }
        if (level == 3 && (d & 3) != 3) return Walk{4, d, 0};  // reserved encoding
        const uint64_t size = uint64_t{1} << shift;
        return Walk{level, d, (d & oa_mask & ~(size - 1)) | (va & (size - 1))};
    }
    return Walk{4, 0, 0};
}

template <class G>
void check_granule(unsigned root_level, uint64_t span) {
    HeapPages<G::page_size> pages;
    Mapping<G> m;
    REQUIRE(m.init(1, root_level, pages.allocator()).is_ok());
    CHECK(m.size() == (uint64_t{1} << G::va_bits(root_level)));
    const Attributes rw = Attributes::NORMAL | Attributes::VALID;
    const uint64_t block = G::level_size(2);
    // A region of whole blocks and ragged pages around them, a read-only page, and one
    // given in 4 KiB units inside a granule page: rounded out to the granule.
    const uint64_t a = 3 * block - 5 * G::page_size;
    const uint64_t b = 5 * block + 7 * G::page_size;
    REQUIRE(m.map_range(MemoryRegion(a, b), PhysicalAddress(a), rw).is_ok());
    const uint64_t ro = b + 9 * G::page_size;
    REQUIRE(m.map_range(MemoryRegion(ro, ro + G::page_size), PhysicalAddress(ro), rw | Attributes::READ_ONLY).is_ok());
    const uint64_t odd = ro + 4 * G::page_size;
    REQUIRE(m.map_range(MemoryRegion(odd + 0x1000, odd + 0x2000), PhysicalAddress(odd + 0x1000), rw).is_ok());

    const auto* root = reinterpret_cast<const uint64_t*>(m.root_address().value());
    std::mt19937_64 rng(G::page_shift);
    std::vector<uint64_t> samples = {a, a - 1, b - 1, b, 3 * block, 5 * block - 1, ro, ro + G::page_size, odd,
                                     odd + G::page_size - 1, odd + G::page_size};
    for (int i = 0; i < 2000; ++i) samples.push_back(rng() % span);
    for (const uint64_t va : samples) {
        CAPTURE(va);
        const Walk w = walk(root, root_level, G::page_shift, va);
        const bool in_main = va >= a && va < b;
        const bool in_ro = va >= ro && va < ro + G::page_size;
        const bool in_odd = va >= odd && va < odd + G::page_size;
        if (!in_main && !in_ro && !in_odd) {
            CHECK(w.level == 4);
            continue;
        }
        REQUIRE(w.level < 4);
        CHECK(w.pa == va);
        CHECK((w.leaf & (uint64_t{1} << 10)) != 0);  // AF
        CHECK(((w.leaf >> 7) & 1) == (in_ro ? 1u : 0u));
        // Whole blocks inside the region are level-2 blocks, the rest pages.
        const bool whole_block = va >= 3 * block && va < 5 * block;
        CHECK(w.level == (whole_block ? 2u : 3u));
    }
    CHECK(pages.live == m.table_count());
    m.release();
    CHECK(pages.live == 0);
}

}  // namespace

TEST_CASE("the 16 KiB granule: 2048 entries, 32 MiB blocks at level 2, 2-entry level-0 root", "[granule]") {
    static_assert(Granule16K::entries == 2048 && Granule16K::level_size(2) == (uint64_t{32} << 20));
    static_assert(Granule16K::va_bits(0) == 48 && Granule16K::va_bits(1) == 47 && Granule16K::va_bits(2) == 36);
    check_granule<Granule16K>(1, uint64_t{1} << 33);
    check_granule<Granule16K>(0, uint64_t{1} << 33);
    check_granule<Granule16K>(2, uint64_t{1} << 33);
}

TEST_CASE("the 64 KiB granule: 8192 entries, 512 MiB blocks at level 2, no level 0", "[granule]") {
    static_assert(Granule64K::entries == 8192 && Granule64K::level_size(2) == (uint64_t{512} << 20));
    static_assert(Granule64K::va_bits(1) == 48 && Granule64K::va_bits(2) == 42);
    check_granule<Granule64K>(1, uint64_t{1} << 36);
    check_granule<Granule64K>(2, uint64_t{1} << 36);
    HeapPages<Granule64K::page_size> pages;
    Mapping<Granule64K> m;
    CHECK(m.init(1, 0, pages.allocator()).status() == Status::InvalidArgument);
}

TEST_CASE("a page not aligned to the granule is refused", "[granule]") {
    // 16 KiB pages that start 4 KiB into a 16 KiB-aligned block: never 16 KiB-aligned.
    struct Misaligned {
        size_t live = 0;
        static void* alloc(void* ctx) {
            ++static_cast<Misaligned*>(ctx)->live;
            return static_cast<char*>(std::aligned_alloc(16384, 32768)) + 4096;
        }
        static void release(void* ctx, void* page) {
            --static_cast<Misaligned*>(ctx)->live;
            std::free(static_cast<char*>(page) - 4096);
        }
    } pages;
    Mapping<Granule16K> m;
    const Result r = m.init(1, 1, PageAllocator{&Misaligned::alloc, &Misaligned::release, &pages});
    CHECK(r.status() == Status::OutOfMemory);
    CHECK_FALSE(m.is_initialised());
    CHECK(pages.live == 0);  // given back
}

TEST_CASE("a pa_offset of whole 4 KiB pages but not of the granule's is refused", "[granule]") {
    HeapPages<Granule16K::page_size> pages;
    Mapping<Granule16K> m;
    const Result r = m.init(1, 1, pages.allocator(), 0x1000);
    CHECK(r.status() == Status::InvalidArgument);
    CHECK(r.error().value == (argument_reason::PA_OFFSET_ALIGNMENT | uint64_t{16} << 16));
    CHECK_FALSE(m.is_initialised());
    REQUIRE(m.init(1, 1, pages.allocator(), 0x4000).is_ok());
    m.release();
}

TEST_CASE("mmu_config sets TG0 and TG1 for the granule, and needs the CPU to have it", "[granule][mmu]") {
    // ID_AA64MMFR0_EL1: PARange 48 bits (5), 16-bit ASIDs (2 << 4); TGran4 (31:28) 0,
    // TGran64 (27:24) 0, TGran16 (23:20) 1: all three granules.
    const uint64_t all = 5 | (2 << 4) | (uint64_t{1} << 20);
    HeapPages<Granule16K::page_size> p16;
    Mapping<Granule16K> m16;
    REQUIRE(m16.init(1, 1, p16.allocator()).is_ok());
    MmuConfig c{};
    REQUIRE(mmu_config(m16, all, c).is_ok());
    CHECK((c.tcr & 0x3f) == 64 - 47);          // T0SZ
    CHECK(((c.tcr >> 14) & 3) == 0b10);        // TG0 16 KiB
    CHECK(((c.tcr >> 30) & 3) == 0b01);        // TG1 16 KiB
    CHECK(mmu_config(m16, all & ~(uint64_t{0xf} << 20), c).status() == Status::InvalidArgument);
    m16.release();

    HeapPages<Granule64K::page_size> p64;
    Mapping<Granule64K> m64;
    REQUIRE(m64.init(1, 2, p64.allocator()).is_ok());
    REQUIRE(mmu_config(m64, all, c).is_ok());
    CHECK((c.tcr & 0x3f) == 64 - 42);
    CHECK(((c.tcr >> 14) & 3) == 0b01);        // TG0 64 KiB
    CHECK(((c.tcr >> 30) & 3) == 0b11);        // TG1 64 KiB
    CHECK(mmu_config(m64, all | (uint64_t{0xf} << 24), c).status() == Status::InvalidArgument);
    m64.release();
}
