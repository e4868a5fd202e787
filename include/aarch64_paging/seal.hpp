/// @file
/// Seal mode: after Mapping::seal(), a mapping accepts only changes that tighten what it
/// allows. This file is the rule for one entry.
#ifndef AARCH64_PAGING_SEAL_HPP
#define AARCH64_PAGING_SEAL_HPP

#include <stdint.h>

#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"

namespace aarch64_paging {

/// Bits whose change from @p before to @p after would widen access, refused on a sealed
/// mapping; 0 when the change only tightens. Tightening: the entry becomes invalid, or
/// stays valid and only sets READ_ONLY (AP[2]), PXN or UXN/XN, or clears USER (AP[1],
/// EL0 access) or DBM (hardware may no longer make it writable). The software bits
/// (SWFLAG_0-3), which the MMU ignores, may change freely. Anything else - making an
/// entry valid, a new output address, memory type, shareability, AF, nG - is refused.
constexpr uint64_t widened_bits(Descriptor before, Descriptor after) {
    if (!after.is_valid()) {
        return 0;
    }
    if (!before.is_valid()) {
        return bits(Attributes::VALID);
    }
    const uint64_t may_set = bits(Attributes::READ_ONLY | Attributes::PXN | Attributes::UXN);
    const uint64_t may_clear = bits(Attributes::USER | Attributes::DBM);
    const uint64_t software = bits(Attributes::SWFLAG_0 | Attributes::SWFLAG_1 | Attributes::SWFLAG_2 |
                                   Attributes::SWFLAG_3);
    const uint64_t changed = before.bits() ^ after.bits();
    return changed & ~((may_set & after.bits()) | (may_clear & before.bits()) | software);
}

}  // namespace aarch64_paging

#endif
