/// @file
/// Seal mode: after Mapping::seal(), a mapping accepts only changes that tighten what it
/// allows. This file is the rule for one entry.
#ifndef AARCH64_PAGING_SEAL_HPP
#define AARCH64_PAGING_SEAL_HPP

#include <stdint.h>

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// Whether @p after grants some access that @p before does not, at either level.
constexpr bool grants_more(const Access& before, const Access& after) {
    return (after.read && !before.read) || (after.write && !before.write) || (after.execute && !before.execute) ||
           (after.user_read && !before.user_read) || (after.user_write && !before.user_write) ||
           (after.user_execute && !before.user_execute);
}

/// Bits whose change from @p before to @p after would widen access in @p regime, refused
/// on a sealed mapping; 0 when the change only tightens. Tightening: the entry becomes
/// invalid, or stays valid, changes only the permission bits - AP[2:1] (READ_ONLY, USER),
/// PXN, UXN/XN - and DBM (cleared only: the hardware may no longer make it writable), and
/// grants no access it did not (leaf_access, access.hpp). Judged by the access granted,
/// not by the bits: a page writable at EL0 is never executable at EL1, whatever PXN says
/// (Arm ARM D8.4), so clearing USER, or setting READ_ONLY, on such a page with PXN clear
/// would make it EL1-executable, and is refused. The software bits (SWFLAG_0-3), which
/// the MMU ignores, change freely. Anything else - making an entry valid, a new output
/// address, memory type, shareability, AF, nG - is refused.
AARCH64_PAGING_PER_ENTRY constexpr uint64_t widened_bits(Descriptor before, Descriptor after, TranslationRegime regime) {
    if (!after.is_valid()) {
        return 0;
    }
    if (!before.is_valid()) {
        return bits(Attributes::VALID);
    }
    const uint64_t permissions = bits(Attributes::READ_ONLY | Attributes::USER | Attributes::PXN | Attributes::UXN);
    const uint64_t software = bits(Attributes::SWFLAG_0 | Attributes::SWFLAG_1 | Attributes::SWFLAG_2 |
                                   Attributes::SWFLAG_3);
    const uint64_t changed = before.bits() ^ after.bits();
    const uint64_t widened = changed & ~(permissions | software | (bits(Attributes::DBM) & before.bits()));
    if (widened != 0) {
        return widened;
    }
    return grants_more(leaf_access(before.bits(), regime), leaf_access(after.bits(), regime)) ? changed & permissions
                                                                                            : 0;
}

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
