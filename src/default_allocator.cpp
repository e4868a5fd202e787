#include "aarch64_paging/allocator.hpp"

#if defined(IDMAP_HOST)

#include <stdlib.h>

namespace aarch64_paging {

namespace {
void* heap_alloc(void*) { return aligned_alloc(PAGE_SIZE, PAGE_SIZE); }
void heap_free(void*, void* page) { free(page); }
// A concatenated stage-2 root: count pages, aligned to their size.
void* heap_alloc_pages(void*, size_t count) { return aligned_alloc(count * PAGE_SIZE, count * PAGE_SIZE); }
void heap_free_pages(void*, void* pages, size_t) { free(pages); }
}  // namespace

PageAllocator default_page_allocator() { return PageAllocator{&heap_alloc, &heap_free, nullptr}; }

PageAllocator default_page_allocator_contiguous() {
    return PageAllocator{&heap_alloc, &heap_free, nullptr, &heap_alloc_pages, &heap_free_pages};
}

}  // namespace aarch64_paging

#else

#if !defined(IDMAP_POOL_PAGES)
#error "IDMAP_POOL_PAGES (table pages in the static pool) comes from the board's board.mk"
#endif

namespace aarch64_paging {

namespace {
// Its own section, so a linker script can place the tables (e.g. away from the image).
[[gnu::section(".bss.idmap_pool")]] StaticPagePool<IDMAP_POOL_PAGES> g_pool;
}  // namespace

PageAllocator default_page_allocator() { return g_pool.allocator(); }

PageAllocator default_page_allocator_contiguous() { return g_pool.contiguous_allocator(); }

}  // namespace aarch64_paging

#endif
