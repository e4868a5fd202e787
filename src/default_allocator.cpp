#include "aarch64_paging/allocator.hpp"

#if defined(IDMAP_HOST)

#include <stdlib.h>

namespace aarch64_paging {

namespace {
void* heap_alloc(void*) { return aligned_alloc(PAGE_SIZE, PAGE_SIZE); }
void heap_free(void*, void* page) { free(page); }
}  // namespace

PageAllocator default_page_allocator() { return PageAllocator{&heap_alloc, &heap_free, nullptr}; }

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

}  // namespace aarch64_paging

#endif
