/// @file
/// One translation table entry (Arm ARM DDI 0487K.a, D8.3 "Translation table descriptor
/// formats"), 4 KiB granule, 48-bit output addresses:
/// - bit 0: valid
/// - bit 1: table (levels 0-2) or page (level 3); 0 at levels 1-2 is a block
/// - bits 47:12: next-level table address, or the output address of a block or page
/// - the rest: attributes (attributes.hpp)
#ifndef AARCH64_PAGING_DESCRIPTOR_HPP
#define AARCH64_PAGING_DESCRIPTOR_HPP

#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {

/// One 64-bit translation table entry (the crate's Descriptor): a table, block or page
/// descriptor, or an invalid entry, with typed access to its fields.
class Descriptor {
public:
    /// Bits 47:12, the output address.
    static constexpr uint64_t OUTPUT_ADDRESS_MASK = Granule4K::output_address_mask;

    /// The invalid, all-zero entry.
    constexpr Descriptor() = default;
    /// The entry whose 64 bits are @p bits.
    constexpr explicit Descriptor(uint64_t bits) : bits_(bits) {}
    /// An entry for output address @p pa (bits outside 47:12 dropped) with @p flags.
    constexpr Descriptor(PhysicalAddress pa, Attributes flags)
        : bits_((pa.value() & OUTPUT_ADDRESS_MASK) | aarch64_paging::bits(flags)) {}

    /// The entry's 64 bits.
    constexpr uint64_t bits() const { return bits_; }
    /// Every bit but the output address.
    constexpr Attributes flags() const { return Attributes(bits_ & ~OUTPUT_ADDRESS_MASK); }
    /// Bits 47:12: the output address of a block or page, or the next-level table.
    constexpr PhysicalAddress output_address() const {
        return PhysicalAddress(bits_ & OUTPUT_ADDRESS_MASK);
    }
    /// Bit 0: the entry maps something (or points at a table).
    constexpr bool is_valid() const { return (bits_ & 1) != 0; }
    /// Valid and TABLE_OR_PAGE: a table at levels 0-2, a page at level 3.
    constexpr bool is_table_or_page() const { return (bits_ & 3) == 3; }
    /// A table descriptor: only at levels above the leaf. (Inlined in every build: out of
    /// line, the -Os call costs more than the test.)
    AARCH64_PAGING_INLINE constexpr bool is_table(unsigned level) const {
        return level < Granule4K::leaf_level && is_table_or_page();
    }

    /// Sets, then clears flags. Refuses, leaving the descriptor unchanged, a result that
    /// would turn a table or page into a block or the other way round.
    /// @return Ok, or the error:
    ///   - InvalidFlags: the result would flip TABLE_OR_PAGE; value = that bit.
    [[nodiscard]] constexpr Result modify_flags(Attributes set, Attributes clear) {
        const uint64_t next = (bits_ | aarch64_paging::bits(set)) & ~aarch64_paging::bits(clear);
        const uint64_t flipped = (next ^ bits_) & aarch64_paging::bits(Attributes::TABLE_OR_PAGE);
        if (flipped != 0) {
            return MapError::invalid_flags(flipped);
        }
        bits_ = next;
        return {};
    }

    /// Same 64 bits.
    constexpr bool operator==(Descriptor o) const { return bits_ == o.bits_; }
    /// Different bits.
    constexpr bool operator!=(Descriptor o) const { return bits_ != o.bits_; }

private:
    uint64_t bits_ = 0;
};

}  // namespace aarch64_paging

#endif
