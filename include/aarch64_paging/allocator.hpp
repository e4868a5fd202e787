// Where table pages come from. The same shape as the C ABI's idmap_allocator_t, so a C
// caller's allocator is used as it is. StaticPagePool is the no-heap source boards use.
#ifndef AARCH64_PAGING_ALLOCATOR_HPP
#define AARCH64_PAGING_ALLOCATOR_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/region.hpp"

namespace aarch64_paging {

struct PageAllocator {
    // A PAGE_SIZE-aligned page of PAGE_SIZE bytes, or nullptr.
    void* (*alloc_page)(void* ctx) = nullptr;
    void (*free_page)(void* ctx, void* page) = nullptr;
    void* ctx = nullptr;

    constexpr bool is_complete() const { return alloc_page != nullptr && free_page != nullptr; }
};

// The build's default page source: on a board, a static pool of IDMAP_POOL_PAGES pages
// in section .bss.idmap_pool (no heap anywhere); on the host, the heap.
PageAllocator default_page_allocator();

// Pages pages in one aligned array, handed out first in order, then from a free list
// threaded through the freed pages themselves. Constant-initialised: a static pool
// lives in .bss (or in the section named by IDMAP_POOL_SECTION) and needs no constructor.
template <size_t Pages>
class StaticPagePool {
public:
    constexpr StaticPagePool() = default;

    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
    size_t capacity() const { return Pages; }
    size_t in_use() const { return in_use_; }

private:
    static void* alloc(void* ctx) {
        auto* pool = static_cast<StaticPagePool*>(ctx);
        void* page = pool->free_list_;
        if (page != nullptr) {
            pool->free_list_ = *static_cast<void**>(page);
        } else if (pool->next_unused_ < Pages) {
            page = pool->pages_[pool->next_unused_++];
        } else {
            return nullptr;
        }
        ++pool->in_use_;
        return page;
    }
    static void release(void* ctx, void* page) {
        auto* pool = static_cast<StaticPagePool*>(ctx);
        *static_cast<void**>(page) = pool->free_list_;
        pool->free_list_ = page;
        --pool->in_use_;
    }

    alignas(PAGE_SIZE) unsigned char pages_[Pages][PAGE_SIZE] = {};
    void* free_list_ = nullptr;
    size_t next_unused_ = 0;
    size_t in_use_ = 0;
};

}  // namespace aarch64_paging

#endif
