// Table pages at physical address 0 (RAM starts at 0 on raspi3b and zcu102): the core's
// chains of reserved and retired pages count their pages, so a page at 0 is a page, not
// the end of a chain.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "aarch64_paging/mapping.hpp"

using namespace aarch64_paging;

namespace {

// Eight pages whose physical addresses are 0, 4 KiB, ...: pointers into one buffer.
struct Buffer {
    static inline unsigned char* base = nullptr;
};

struct FromZero {
    static constexpr bool allocates_pages = false;
    static PhysicalAddress physical(const void* table) {
        return PhysicalAddress(static_cast<uint64_t>(static_cast<const unsigned char*>(table) - Buffer::base));
    }
    static void* virt(PhysicalAddress pa) { return Buffer::base + pa.value(); }
};

// Hands out the buffer's pages in order, address 0 first and then again last freed first.
struct Pool {
    void* free_list[8] = {};
    size_t free_count = 0;
    size_t next = 0;
    size_t live = 0;
    static void* alloc(void* ctx) {
        auto* p = static_cast<Pool*>(ctx);
        void* page = p->free_count != 0 ? p->free_list[--p->free_count]
                                        : (p->next < 8 ? Buffer::base + 4096 * p->next++ : nullptr);
        p->live += page != nullptr;
        return page;
    }
    static void release(void* ctx, void* page) {
        auto* p = static_cast<Pool*>(ctx);
        p->free_list[p->free_count++] = page;
        --p->live;
    }
};

}  // namespace

TEST_CASE("a table page at physical address 0 is a page like the others", "[allocator]") {
    Buffer::base = static_cast<unsigned char*>(std::aligned_alloc(4096, 8 * 4096));
    Pool pool;
    Mapping<Granule4K, FromZero> m;
    REQUIRE(m.init(0, 0, PageAllocator{&Pool::alloc, &Pool::release, &pool}).is_ok());
    CHECK(m.root_address().value() == 0);  // the root is the page at 0
    // Three tables in one call: reserved as a chain of three, the root's page excluded.
    const Attributes rw = Attributes::NORMAL | Attributes::VALID;
    REQUIRE(m.map_range(MemoryRegion(0x40000000, 0x40001000), PhysicalAddress(0x40000000), rw).is_ok());
    CHECK(m.table_count() == 4);
    CHECK(pool.live == 4);
    // Unmapping frees the three through the retired chain, then they come back in a
    // reservation whose chain runs through... the same pages.
    REQUIRE(m.unmap_range(MemoryRegion(0x40000000, 0x40001000)).is_ok());
    CHECK(m.table_count() == 1);
    CHECK(pool.live == 1);
    REQUIRE(m.map_range(MemoryRegion(0x80000000, 0x80001000), PhysicalAddress(0x80000000), rw).is_ok());
    CHECK(m.table_count() == 4);
    m.release();
    CHECK(pool.live == 0);
    // And with the page at 0 in the middle of a reservation's chain.
    Pool again;
    again.next = 1;  // the root takes page 1; page 0 is handed out second, in the chain
    Mapping<Granule4K, FromZero> n;
    REQUIRE(n.init(0, 0, PageAllocator{&Pool::alloc, &Pool::release, &again}).is_ok());
    again.free_list[again.free_count++] = Buffer::base + 2 * 4096;
    again.free_list[again.free_count++] = Buffer::base;  // page 0: taken first, then 2, then 3
    again.next = 3;
    REQUIRE(n.map_range(MemoryRegion(0x40000000, 0x40001000), PhysicalAddress(0x40000000), rw).is_ok());
    CHECK(n.table_count() == 4);
    CHECK(again.live == 4);
    n.release();
    CHECK(again.live == 0);
    std::free(Buffer::base);
}
