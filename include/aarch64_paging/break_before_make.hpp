/// @file
/// The break-before-make rules for changing a live translation table entry (Arm ARM DDI
/// 0487K.a, D8.16.1 "Using break-before-make when updating translation table entries").
/// Without FEAT_BBM, an entry that the MMU may be using can go from valid to a different
/// valid value only when the TLB can hold either without a conflict: the output address,
/// the memory type and shareability stay, and the entry stays non-global if it was
/// (a global TLB entry would outlive the ASID flush). Anything else must first be made
/// invalid, the TLB invalidated, then written: that is the caller's sequence, after
/// deactivating, and the library refuses to do it behind the MMU's back.
#ifndef AARCH64_PAGING_BREAK_BEFORE_MAKE_HPP
#define AARCH64_PAGING_BREAK_BEFORE_MAKE_HPP

#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"

namespace aarch64_paging {

/// True when replacing the live leaf entry old by next needs break-before-make.
/// Creating an entry where none was valid, or making one invalid, never does - unless old
/// is one of a contiguous group: any change to it but the contiguous bit would leave
/// the group's entries disagreeing while the TLB may hold one entry for all of them, a
/// misprogramming of the Contiguous bit (Arm ARM D8.6.1).
constexpr bool needs_break_before_make(Descriptor old, Descriptor next) {
    if (old.is_valid() && contains(old.flags(), Attributes::CONTIGUOUS) &&
        ((old.bits() ^ next.bits()) & ~bits(Attributes::CONTIGUOUS)) != 0) {
        return true;
    }
    if (!old.is_valid() || !next.is_valid()) {
        return false;
    }
    if (old.output_address() != next.output_address()) {
        return true;
    }
    if (intersects(old.flags() ^ next.flags(), MEMORY_TYPE_MASK)) {
        return true;
    }
    return contains(old.flags(), Attributes::NON_GLOBAL) &&
           !contains(next.flags(), Attributes::NON_GLOBAL);
}

}  // namespace aarch64_paging

#endif
