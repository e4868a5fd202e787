// A counting page allocator for the model-based tests: every page it has
// handed out and not had back is "live". It can fail the k-th request from now, or run
// out after a budget of pages, and it fills each page it hands out with a pattern so that
// a table the library forgot to clear shows up as garbage.
//
// Pages come from one pool for the whole process (PagePool), which keeps freed pages
// poisoned for AddressSanitizer and hands them out again only after kQuarantine later
// frees: a table page the library reads or writes after giving it back is reported as it
// would be by ASan's own quarantine. The fuzzer builds thousands of maps a second: the
// pool reuses pages already in memory instead of faulting in new ones, and maps them with
// mmap, not malloc, so that libFuzzer's leak detection (which runs LeakSanitizer after an
// input that malloc'ed more than it freed) does not take the pool's growth for a leak.
#ifndef IDMAP_MODEL_ALLOCATOR_HPP
#define IDMAP_MODEL_ALLOCATOR_HPP

#include <idmap.h>

#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace idmap_model {

class PagePool {
public:
    static constexpr size_t kPage = 4096;
    // Freed pages handed out again only after this many more frees (16 MiB).
    static constexpr size_t kQuarantine = 4096;

    // The process's pool.
    static PagePool& instance() {
        static PagePool pool;
        return pool;
    }
    PagePool(const PagePool&) = delete;
    PagePool& operator=(const PagePool&) = delete;

    // A page, or nullptr when no memory can be mapped.
    void* take() {
        if (freed_ > kQuarantine) {
            auto* page = ring_[head_];
            head_ = (head_ + 1) % kPages;
            --freed_;
            ASAN_UNPOISON_MEMORY_REGION(page, kPage);
            return page;
        }
        if (fresh_ == fresh_end_) {
            void* chunk = mapped_ + kChunk > kPages ? MAP_FAILED
                                                    : mmap(nullptr, kChunk * kPage, PROT_READ | PROT_WRITE,
                                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (chunk == MAP_FAILED) {
                return nullptr;
            }
            mapped_ += kChunk;
            fresh_ = static_cast<unsigned char*>(chunk);
            fresh_end_ = fresh_ + kChunk * kPage;
        }
        void* page = fresh_;
        fresh_ += kPage;
        return page;
    }

    void give_back(void* page) {
        ASAN_POISON_MEMORY_REGION(page, kPage);
        ring_[(head_ + freed_) % kPages] = page;
        ++freed_;
    }

private:
    static constexpr size_t kChunk = 1024;        // pages mapped at a time (4 MiB)
    static constexpr size_t kPages = 256 * kChunk;  // at most (1 GiB of address space)
    PagePool() = default;
    ~PagePool() = default;  // the mappings go with the process
    void* ring_[kPages] = {};  // freed pages, oldest at head_ (every page mapped fits)
    size_t head_ = 0;
    size_t freed_ = 0;
    size_t mapped_ = 0;
    unsigned char* fresh_ = nullptr;  // pages never handed out: [fresh_, fresh_end_)
    unsigned char* fresh_end_ = nullptr;
};

class CountingAllocator {
public:
    CountingAllocator() { live_.reserve(64); }
    ~CountingAllocator() {
        // A root alloc_root gave and free_root did not take back leaks (the harness reports
        // the pages left): it is no pool page.
        for (uintptr_t p : live_) {
            if (roots_ == 0) {
                PagePool::instance().give_back(reinterpret_cast<void*>(p));
            }
        }
    }
    CountingAllocator(const CountingAllocator&) = delete;
    CountingAllocator& operator=(const CountingAllocator&) = delete;

    idmap_allocator_t c_allocator() { return idmap_allocator_t{&alloc_page, &free_page, this}; }
    // A stage-2 root of concatenated tables (idmap_stage2_config_t::alloc_root, free_root,
    // called with the c_allocator's ctx): pages contiguous pages aligned to their size,
    // from the heap (the pool's pages are not contiguous), each one live as a table page.
    static void* alloc_root(void* ctx, size_t pages) {
        auto* self = static_cast<CountingAllocator*>(ctx);
        void* root = std::aligned_alloc(pages * kPage, pages * kPage);
        if (root == nullptr) {
            return nullptr;
        }
        std::memset(root, 0xa5, pages * kPage);
        for (size_t k = 0; k < pages; ++k) {
            const auto p = reinterpret_cast<uintptr_t>(root) + k * kPage;
            self->live_.insert(std::lower_bound(self->live_.begin(), self->live_.end(), p), p);
        }
        self->roots_ += pages;
        return root;
    }
    static void free_root(void* ctx, void* root, size_t pages) {
        auto* self = static_cast<CountingAllocator*>(ctx);
        for (size_t k = 0; k < pages; ++k) {
            const auto p = reinterpret_cast<uintptr_t>(root) + k * kPage;
            const auto it = std::lower_bound(self->live_.begin(), self->live_.end(), p);
            if (it == self->live_.end() || *it != p) {
                ++self->bad_frees_;
                return;  // not what alloc_root gave: not the heap's either
            }
            self->live_.erase(it);
            if (self->on_free_ != nullptr) {
                self->on_free_(self->on_free_ctx_, p);
            }
        }
        self->roots_ -= pages;
        std::free(root);
    }

    // Fails the k-th request from now (1 = the next one); 0: none. Once only.
    void fail_request(size_t k) { fail_at_ = k == 0 ? 0 : requests_ + k; }
    // Hands out at most pages more pages, then answers NULL; SIZE_MAX: no limit.
    void set_budget(size_t pages) { budget_ = pages; }
    // The pages it will still hand out: the budget, and never more than kMaxLive at once
    // (16 MiB of tables; the fuzzer's largest trees have some 500). A call the decoder
    // draws can span a whole 256 TiB table in 2 MiB blocks (a linear map whose offset
    // allows no 1 GiB block): 2^18 tables, minutes of work, a fuzzer timeout; with the cap
    // it runs out of memory at once, as the model, told the same budget, says it must.
    static constexpr size_t kMaxLive = 4096;
    size_t budget() const { return std::min(budget_, kMaxLive - live_.size()); }

    size_t outstanding() const { return live_.size(); }
    bool is_live(uint64_t pa) const {
        return std::binary_search(live_.begin(), live_.end(), static_cast<uintptr_t>(pa));
    }
    size_t requests() const { return requests_; }
    size_t handed_out() const { return handed_out_; }
    // Frees of a page that was not live (double free, or a page never handed out).
    size_t bad_frees() const { return bad_frees_; }
    // fn(ctx, page) on every free of a live page, before the page is given back; nullptr:
    // none.
    void on_free(void (*fn)(void*, uint64_t), void* ctx) {
        on_free_ = fn;
        on_free_ctx_ = ctx;
    }

private:
    static void* alloc_page(void* ctx) {
        auto* self = static_cast<CountingAllocator*>(ctx);
        ++self->requests_;
        if (self->fail_at_ != 0 && self->requests_ == self->fail_at_) {
            self->fail_at_ = 0;
            return nullptr;
        }
        if (self->budget() == 0) {
            return nullptr;
        }
        void* page = PagePool::instance().take();
        if (page == nullptr) {
            return nullptr;
        }
        if (self->budget_ != SIZE_MAX) {
            --self->budget_;
        }
        std::memset(page, 0xa5, kPage);
        const auto p = reinterpret_cast<uintptr_t>(page);
        self->live_.insert(std::lower_bound(self->live_.begin(), self->live_.end(), p), p);
        ++self->handed_out_;
        return page;
    }

    static void free_page(void* ctx, void* page) {
        auto* self = static_cast<CountingAllocator*>(ctx);
        const auto p = reinterpret_cast<uintptr_t>(page);
        const auto it = std::lower_bound(self->live_.begin(), self->live_.end(), p);
        if (it == self->live_.end() || *it != p) {
            ++self->bad_frees_;
            return;
        }
        self->live_.erase(it);
        if (self->on_free_ != nullptr) {
            self->on_free_(self->on_free_ctx_, reinterpret_cast<uintptr_t>(page));
        }
        std::memset(page, 0x5a, kPage);
        PagePool::instance().give_back(page);
    }

    static constexpr size_t kPage = PagePool::kPage;
    std::vector<uintptr_t> live_;  // sorted
    size_t requests_ = 0;
    size_t handed_out_ = 0;
    size_t bad_frees_ = 0;
    size_t roots_ = 0;  // pages out from alloc_root
    size_t fail_at_ = 0;
    size_t budget_ = SIZE_MAX;
    void (*on_free_)(void*, uint64_t) = nullptr;
    void* on_free_ctx_ = nullptr;
};

}  // namespace idmap_model

#endif
