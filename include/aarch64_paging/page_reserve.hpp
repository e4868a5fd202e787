/// @file
/// The pages a change takes for new tables, reserved from the allocator before anything is
/// written (the reserve step of plan, reserve, apply: mapping.hpp), so that a change that
/// cannot have them fails having changed nothing. Internal to the core.
#ifndef AARCH64_PAGING_PAGE_RESERVE_HPP
#define AARCH64_PAGING_PAGE_RESERVE_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {

/// Pages taken from the owner's allocator by a change's reserve step, chained through
/// their first word once checked, for its apply step to take (Owner: the Mapping, which
/// gives it its allocator, table pages and translation). reserve() refuses (answers
/// OutOfMemory with how many pages it needed and had, and the page refused: the call
/// fails, nothing changed, every page taken given back) a page it cannot use:
///   - NULL;
///   - not aligned to the granule's page, or beyond the output address bits: given back too;
///   - handed out twice in one reservation: always detected, before anything is written
///     to it, and given back once. O(1) per page while the pages stay outside [lowest,
///     highest] of those reserved so far (an allocator handing out pages in address
///     order, up or down), else a scan of the reservation: O(n^2) for n pages handed out
///     in scrambled order;
///   - one of the mapping's live table pages: not given back. Always detected for the
///     root table. Detected for every table while the mapping has at most
///     CHECKED_TABLES of them (the tree is walked once per reservation then: at most
///     CHECKED_TABLES * 512 entries read); above that only the root is checked, since a
///     walk of the tree per reservation would dominate calls that add one table.
///     So a live non-root table handed out again by a misbehaving allocator is not
///     detected in a mapping of more than CHECKED_TABLES tables.
/// Where the core's data accesses bypass the cache, each page is invalidated to the
/// point of coherency when taken (arch::prepare_table_page).
template <class Owner>
class PageReserve {
public:
    /// The most live tables checked against each page handed out.
    static constexpr size_t CHECKED_TABLES = 16;

    /// No destructor (a literal type, for constant evaluation): every call takes all it
    /// reserved, or release() gives the rest back.
    explicit constexpr PageReserve(Owner& owner) : owner_(owner) {}
    PageReserve(const PageReserve&) = delete;
    PageReserve& operator=(const PageReserve&) = delete;

    /// Takes @p count pages from the allocator, or none: OutOfMemory, every page given back.
    constexpr Result reserve(size_t count);
    /// The next page reserved, in the order the allocator gave them.
    AARCH64_PAGING_INLINE constexpr Descriptor* take();
    /// Gives back the pages not taken.
    constexpr void release();

private:
    // A page the allocator handed out that is already ours: reserved, or a live table.
    bool is_ours(const Descriptor* page) const;

    Owner& owner_;
    // The pages, chained through their first entry: the next page's address as an
    // invalid descriptor.
    Descriptor* head_ = nullptr;  // the next take()
    Descriptor* tail_ = nullptr;  // the last reserved
    size_t count_ = 0;
    uintptr_t lowest_ = UINTPTR_MAX;  // of the pages in the chain
    uintptr_t highest_ = 0;
    // The live tables checked: the first live_count_ (a union, as TlbBatch's slots, so
    // that a reservation does not clear what it may never use).
    union Live {
        constexpr Live() : none() {}
        char none;
        const void* at[CHECKED_TABLES];
    } live_;
    size_t live_count_ = 0;
};

template <class Owner>
constexpr Result PageReserve<Owner>::reserve(size_t count) {
    if (count == 0) {
        return {};
    }
    live_count_ = 0;
    if (__builtin_is_constant_evaluated()) {
        // A compile-time image's pages are its own: nothing to check.
    } else if (owner_.tables_ <= CHECKED_TABLES) {
        owner_.for_each_table([this](const void* table) {
            if (live_count_ < CHECKED_TABLES) {
                live_.at[live_count_++] = table;
            }
        });
    } else {
        live_.at[live_count_++] = owner_.root_;
    }
    for (size_t given = 0; given < count; ++given) {
        Descriptor* page = owner_.alloc_page();
        if (page == nullptr) {
            release();
            return MapError::out_of_memory(count, given);
        }
        const uint64_t address = owner_.translation_.physical(page).value();
        // A page the descriptor cannot point at (unaligned, or beyond the output address
        // bits) is as good as none.
        if ((address & ~Owner::Granule::output_address_mask) != 0) {
            owner_.free_page(page);
            release();
            return MapError::out_of_memory(count, given, address);
        }
        if (!__builtin_is_constant_evaluated()) {
            // Already ours: writing to it would corrupt a live table or the chain, and
            // giving it back would free it twice.
            if (is_ours(page)) {
                release();
                return MapError::out_of_memory(count, given, address);
            }
            const uintptr_t p = reinterpret_cast<uintptr_t>(page);
            lowest_ = p < lowest_ ? p : lowest_;
            highest_ = p > highest_ ? p : highest_;
            arch::prepare_table_page(page, Owner::Granule::page_size);  // before the chain's first write
        }
        // Appended: take() hands pages out in the order the allocator gave them.
        if (count_ == 0) {
            head_ = page;
        } else {
            owner_.chain(tail_, page);
        }
        tail_ = page;
        ++count_;
    }
    return {};
}

template <class Owner>
bool PageReserve<Owner>::is_ours(const Descriptor* page) const {
    for (size_t i = 0; i < live_count_; ++i) {
        if (live_.at[i] == page) {
            return true;
        }
    }
    const uintptr_t p = reinterpret_cast<uintptr_t>(page);
    if (p < lowest_ || p > highest_) {
        return false;
    }
    const Descriptor* q = head_;
    for (size_t i = 0; i < count_; ++i) {
        if (q == page) {
            return true;
        }
        if (i + 1 < count_) {
            q = owner_.chained(q);
        }
    }
    return false;
}

template <class Owner>
constexpr Descriptor* PageReserve<Owner>::take() {
    Descriptor* page = head_;
    head_ = --count_ != 0 ? owner_.chained(page) : nullptr;
    return page;
}

template <class Owner>
constexpr void PageReserve<Owner>::release() {
    while (count_ != 0) {
        owner_.free_page(take());
    }
}

}  // namespace aarch64_paging

#endif
