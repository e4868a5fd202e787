/// @file
/// Where table pages come from. The same shape as the C ABI's idmap_allocator_t, so a C
/// caller's allocator is used as it is, plus an optional request for contiguous pages
/// (a stage-2 root of concatenated tables). StaticPagePool is the no-heap source boards use.
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
    /// Passed to every callback.
    void* ctx = nullptr;
    /// Optional, for a stage-2 root of 2 to 16 concatenated tables only
    /// (Mapping::init_stage2): @p count pages, contiguous and aligned to count pages (a 40-bit IPA
    /// from level 1 of the 4 KiB granule: 8 KiB, 8 KiB-aligned), or nullptr. Not in the C
    /// ABI's idmap_allocator_t, which stays as it is: idmap_stage2_config_t has it beside.
    void* (*alloc_pages)(void* ctx, size_t count) = nullptr;
    /// Takes back, whole, what alloc_pages gave (with the same count).
    void (*free_pages)(void* ctx, void* pages, size_t count) = nullptr;

    /// Both page callbacks are set: Mapping::init refuses an allocator that is not complete.
    constexpr bool is_complete() const { return alloc_page != nullptr && free_page != nullptr; }
    /// Both contiguous callbacks are set too: what a concatenated root needs.
    constexpr bool gives_contiguous() const {
        return is_complete() && alloc_pages != nullptr && free_pages != nullptr;
    }
};

/// The build's default page source: on a board, a static pool of IDMAP_POOL_PAGES pages
/// in section .bss.idmap_pool (no heap anywhere); on the host, the heap.
PageAllocator default_page_allocator();
/// default_page_allocator() with contiguous requests (alloc_pages, free_pages) too, for a
/// stage-2 root of concatenated tables.
PageAllocator default_page_allocator_contiguous();

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
    /// allocator() with contiguous requests too (a concatenated stage-2 root): its own
    /// function, so that a program that never asks for them does not link them.
    PageAllocator contiguous_allocator() { return PageAllocator{&alloc, &release, this, &alloc_run, &release_run}; }
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
    // count contiguous pages aligned to count pages, from the pages never handed out (the
    // free list is in no order): those skipped to align go to the free list.
    static void* alloc_run(void* ctx, size_t count) {
        auto* pool = static_cast<StaticPagePool*>(ctx);
        const uintptr_t bytes = count * PageBytes;
        if (count == 0 || (count & (count - 1)) != 0) {
            return nullptr;
        }
        size_t first = pool->next_unused_;
        while (first < Pages && (reinterpret_cast<uintptr_t>(pool->pages_[first]) & (bytes - 1)) != 0) {
            ++first;
        }
        if (first > Pages || Pages - first < count) {
            return nullptr;
        }
        while (pool->next_unused_ < first) {
            ++pool->in_use_;  // release() counts it back
            release(pool, pool->pages_[pool->next_unused_++]);
        }
        pool->next_unused_ += count;
        pool->in_use_ += count;
        return pool->pages_[first];
    }
    // The run's pages, each to the free list.
    static void release_run(void* ctx, void* pages, size_t count) {
        for (size_t i = 0; i < count; ++i) {
            release(ctx, static_cast<unsigned char*>(pages) + i * PageBytes);
        }
    }

    alignas(PageBytes) unsigned char pages_[Pages][PageBytes] = {};
    void* free_list_ = nullptr;
    size_t next_unused_ = 0;
    size_t in_use_ = 0;
};

}  // namespace aarch64_paging

#endif
