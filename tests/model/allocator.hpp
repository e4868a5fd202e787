// A counting page allocator for the model-based tests: heap pages, every page it has
// handed out and not had back is "live". It can fail the k-th request from now, or run
// out after a budget of pages, and it fills each page it hands out with a pattern so that
// a table the library forgot to clear shows up as garbage.
#ifndef IDMAP_MODEL_ALLOCATOR_HPP
#define IDMAP_MODEL_ALLOCATOR_HPP

#include <idmap.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>

namespace idmap_model {

class CountingAllocator {
public:
    CountingAllocator() = default;
    ~CountingAllocator() {
        for (uintptr_t p : live_) {
            std::free(reinterpret_cast<void*>(p));
        }
    }
    CountingAllocator(const CountingAllocator&) = delete;
    CountingAllocator& operator=(const CountingAllocator&) = delete;

    idmap_allocator_t c_allocator() { return idmap_allocator_t{&alloc_page, &free_page, this}; }

    // Fails the k-th request from now (1 = the next one); 0: none. Once only.
    void fail_request(size_t k) { fail_at_ = k == 0 ? 0 : requests_ + k; }
    // Hands out at most pages more pages, then answers NULL; SIZE_MAX: no limit.
    void set_budget(size_t pages) { budget_ = pages; }
    size_t budget() const { return budget_; }

    size_t outstanding() const { return live_.size(); }
    bool is_live(uint64_t pa) const { return live_.count(static_cast<uintptr_t>(pa)) != 0; }
    const std::set<uintptr_t>& live() const { return live_; }
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
        if (self->budget_ == 0) {
            return nullptr;
        }
        void* page = std::aligned_alloc(kPage, kPage);
        if (page == nullptr) {
            return nullptr;
        }
        if (self->budget_ != SIZE_MAX) {
            --self->budget_;
        }
        std::memset(page, 0xa5, kPage);
        self->live_.insert(reinterpret_cast<uintptr_t>(page));
        ++self->handed_out_;
        return page;
    }

    static void free_page(void* ctx, void* page) {
        auto* self = static_cast<CountingAllocator*>(ctx);
        if (self->live_.erase(reinterpret_cast<uintptr_t>(page)) == 0) {
            ++self->bad_frees_;
            return;
        }
        if (self->on_free_ != nullptr) {
            self->on_free_(self->on_free_ctx_, reinterpret_cast<uintptr_t>(page));
        }
        std::memset(page, 0x5a, kPage);
        std::free(page);
    }

    static constexpr size_t kPage = 4096;
    std::set<uintptr_t> live_;
    size_t requests_ = 0;
    size_t handed_out_ = 0;
    size_t bad_frees_ = 0;
    size_t fail_at_ = 0;
    size_t budget_ = SIZE_MAX;
    void (*on_free_)(void*, uint64_t) = nullptr;
    void* on_free_ctx_ = nullptr;
};

}  // namespace idmap_model

#endif
