/// @file
/// Where table pages come from. The same shape as the C ABI's idmap_allocator_t, so a C
/// caller's allocator is used as it is. StaticPagePool is the no-heap source boards use.
#ifndef AARCH64_PAGING_ALLOCATOR_HPP
#define AARCH64_PAGING_ALLOCATOR_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/region.hpp"

namespace aarch64_paging {

/// A source of table pages: two callbacks and their context, the layout of the C ABI's
/// idmap_allocator_t. It gives table pages only, never the mapping object itself.
struct PageAllocator {
    /// A page of the mapping's granule (PAGE_SIZE bytes for the C ABI's maps), aligned to
    /// its size, or nullptr.
    void* (*alloc_page)(void* ctx) = nullptr;
    /// Takes back a page that alloc_page gave.
    void (*free_page)(void* ctx, void* page) = nullptr;
    /// Passed to both callbacks.
    void* ctx = nullptr;

    /// Both callbacks are set: Mapping::init refuses an allocator that is not complete.
    constexpr bool is_complete() const { return alloc_page != nullptr && free_page != nullptr; }
};

/// The build's default page source: on a board, a static pool of IDMAP_POOL_PAGES pages
/// in section .bss.idmap_pool (no heap anywhere); on the host, the heap.
PageAllocator default_page_allocator();

/// Pages pages in one aligned array, handed out first in order, then from a free list
/// threaded through the freed pages themselves. Constant-initialised: a static pool
/// lives in .bss and needs no constructor (the build's default pool, on a board, is one in
/// section .bss.idmap_pool).
/// @tparam Pages the pool's size in pages.
/// @tparam PageBytes the page size: PAGE_SIZE, or the granule's (Granule16K::page_size,
///         Granule64K::page_size) for a Mapping with larger pages.
template <size_t Pages, size_t PageBytes = PAGE_SIZE>
class StaticPagePool {
public:
    /// An unused pool.
    constexpr StaticPagePool() = default;

    /// The pool as a PageAllocator; the pool must outlive every mapping given it.
    PageAllocator allocator() { return PageAllocator{&alloc, &release, this}; }
    /// Pages in the pool.
    size_t capacity() const { return Pages; }
    /// Pages handed out and not given back.
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

    alignas(PageBytes) unsigned char pages_[Pages][PageBytes] = {};
    void* free_list_ = nullptr;
    size_t next_unused_ = 0;
    size_t in_use_ = 0;
};

}  // namespace aarch64_paging

#endif
