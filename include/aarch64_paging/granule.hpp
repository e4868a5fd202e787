/// @file
/// The translation granule: page size, and from it the number of levels, the bits each
/// level resolves and where blocks are allowed (Arm ARM DDI 0487K.a, chapter D8: "Translation
/// table walk" and, for block sizes, "Translation table descriptor formats").
#ifndef AARCH64_PAGING_GRANULE_HPP
#define AARCH64_PAGING_GRANULE_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A translation granule of 2^PageShift-byte pages and the table geometry that follows from
/// it. Levels are numbered as in the Arm ARM: 0 is the top, 3 the leaf (pages).
/// @tparam PageShift log2 of the page size: 12 for 4 KiB.
template <unsigned PageShift>
struct Granule {
    /// log2 of the page size.
    static constexpr unsigned page_shift = PageShift;
    /// Bytes in a page, and in a table.
    static constexpr uint64_t page_size = uint64_t{1} << PageShift;
    /// Each table fills one page of 8-byte descriptors.
    static constexpr unsigned index_bits = PageShift - 3;
    /// Entries in a table.
    static constexpr unsigned entries = 1u << index_bits;
    /// The level of pages.
    static constexpr unsigned leaf_level = 3;
    /// Without FEAT_LPA2 the input address is at most 48 bits.
    static constexpr unsigned max_va_bits = 48;

    /// log2 of the bytes one entry maps at level.
    static constexpr unsigned level_shift(unsigned level) {
        return page_shift + index_bits * (leaf_level - level);
    }
    /// Bytes one entry maps at level.
    static constexpr uint64_t level_size(unsigned level) {
        return uint64_t{1} << level_shift(level);
    }
    /// The index of the entry for @p va in a table at @p level.
    static constexpr unsigned index(uint64_t va, unsigned level) {
        return static_cast<unsigned>(va >> level_shift(level)) & (entries - 1);
    }
    /// Bits of input address a root table at level resolves (capped at 48).
    static constexpr unsigned va_bits(unsigned root_level) {
        const unsigned bits = level_shift(root_level) + index_bits;
        return bits < max_va_bits ? bits : max_va_bits;
    }
};

/// 4 KiB granule: blocks of 1 GiB at level 1 and 2 MiB at level 2. A level-0 block
/// (512 GiB) exists only with FEAT_LPA2 and 52-bit output addresses, which this library
/// does not use.
struct Granule4K : Granule<12> {
    /// The highest root table: level 0 (48-bit input addresses).
    static constexpr unsigned min_root_level = 0;
    /// Entries in a contiguous group at any level (Arm ARM D8.6.1 "The Contiguous bit"):
    /// 16, so 64 KiB of pages, 32 MiB or 16 GiB of blocks.
    static constexpr unsigned contiguous_entries = 16;
    /// Whether a block descriptor may be written at @p level: 1 and 2 only.
    static constexpr bool block_allowed(unsigned level) { return level == 1 || level == 2; }
    /// Output address bits 47:12 of a block or page descriptor.
    static constexpr uint64_t output_address_mask = 0x0000'ffff'ffff'f000;
};

}  // namespace aarch64_paging

#endif
