/// @file
/// A range of virtual addresses, [start, end), in whole 4 KiB pages.
#ifndef AARCH64_PAGING_REGION_HPP
#define AARCH64_PAGING_REGION_HPP

#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {

/// Bytes in a page of the 4 KiB granule, the unit of every region.
inline constexpr uint64_t PAGE_SIZE = 4096;

/// A range of virtual addresses, [start, end), rounded out to whole pages (the crate's
/// MemoryRegion).
class MemoryRegion {
public:
    /// The empty region [0, 0).
    constexpr MemoryRegion() = default;
    /// start rounded down and end rounded up to PAGE_SIZE. Where rounding end up would pass
    /// 2^64 it is kept as given; such a region lies beyond every table, so every call
    /// given it fails with AddressRange.
    AARCH64_PAGING_INLINE constexpr MemoryRegion(VirtualAddress start, VirtualAddress end)
        : start_(start.value() & ~(PAGE_SIZE - 1)), end_(round_up(end.value())) {}
    /// The same, from plain numbers.
    AARCH64_PAGING_INLINE constexpr MemoryRegion(uint64_t start, uint64_t end)
        : MemoryRegion(VirtualAddress(start), VirtualAddress(end)) {}
    /// [start, end) from bounds that are page-aligned already, kept as given: the region
    /// the constructor makes of them, without its rounding (for a region computed per
    /// entry, as the walk's callbacks get).
    static constexpr MemoryRegion aligned(uint64_t start, uint64_t end) {
        MemoryRegion region;
        region.start_ = start;
        region.end_ = end;
        return region;
    }

    /// The first address, page-aligned.
    constexpr VirtualAddress start() const { return VirtualAddress(start_); }
    /// The address after the last, page-aligned (unless rounding would have wrapped).
    constexpr VirtualAddress end() const { return VirtualAddress(end_); }
    /// Bytes covered; 0 for an empty or backwards region.
    constexpr uint64_t len() const { return end_ > start_ ? end_ - start_ : 0; }
    /// No address in it: end at or before start.
    constexpr bool is_empty() const { return end_ <= start_; }
    /// End before start: calls given such a region fail with RegionBackwards.
    constexpr bool is_backwards() const { return end_ < start_; }

    /// Same start and end.
    constexpr bool operator==(const MemoryRegion& o) const {
        return start_ == o.start_ && end_ == o.end_;
    }
    /// Different start or end.
    constexpr bool operator!=(const MemoryRegion& o) const { return !(*this == o); }

private:
    static constexpr uint64_t round_up(uint64_t end) {
        return end > UINT64_MAX - (PAGE_SIZE - 1) ? end : (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    }

    uint64_t start_ = 0;
    uint64_t end_ = 0;
};

}  // namespace aarch64_paging

#endif
