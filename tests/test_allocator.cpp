#include <catch2/catch.hpp>

#include <cstdint>
#include <set>

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/idmap.hpp"

using aarch64_paging::PAGE_SIZE;
using aarch64_paging::StaticPagePool;

TEST_CASE("StaticPagePool hands out aligned distinct pages, then nothing, and reuses freed ones", "[allocator]") {
    static StaticPagePool<4> pool;
    auto a = pool.allocator();
    REQUIRE(a.is_complete());
    std::set<void*> pages;
    for (int i = 0; i < 4; ++i) {
        void* p = a.alloc_page(a.ctx);
        REQUIRE(p != nullptr);
        CHECK(reinterpret_cast<uintptr_t>(p) % PAGE_SIZE == 0);
        pages.insert(p);
    }
    CHECK(pages.size() == 4);
    CHECK(pool.in_use() == 4);
    CHECK(a.alloc_page(a.ctx) == nullptr);
    void* freed = *pages.begin();
    a.free_page(a.ctx, freed);
    CHECK(pool.in_use() == 3);
    CHECK(a.alloc_page(a.ctx) == freed);
    for (void* p : pages) {
        a.free_page(a.ctx, p);
    }
    CHECK(pool.in_use() == 0);
}

TEST_CASE("an IdMap on a static pool returns every page when destroyed", "[allocator]") {
    static StaticPagePool<8> pool;
    {
        aarch64_paging::IdMap map(1, 1, pool.allocator());
        REQUIRE(map.is_valid());
        using aarch64_paging::Attributes;
        // [0, 4 KiB) at root level 1 needs a level-2 and a level-3 table.
        REQUIRE(map.map_range(aarch64_paging::MemoryRegion(0, 0x1000), Attributes::NORMAL | Attributes::VALID)
                    .is_ok());
        CHECK(map.table_count() == 3);
        CHECK(pool.in_use() == 3);
    }
    CHECK(pool.in_use() == 0);
}

TEST_CASE("a pool too small for the root leaves the IdMap invalid", "[allocator]") {
    static StaticPagePool<1> pool;
    auto a = pool.allocator();
    void* only = a.alloc_page(a.ctx);
    aarch64_paging::IdMap map(1, 1, a);
    CHECK_FALSE(map.is_valid());
    CHECK(map.init_result().status() == aarch64_paging::Status::OutOfMemory);
    CHECK(map.activate().status() == aarch64_paging::Status::InvalidArgument);
    a.free_page(a.ctx, only);
}
