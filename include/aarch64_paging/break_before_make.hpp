/// @file
/// The break-before-make rules for changing a live translation table entry (Arm ARM DDI
/// 0487K.a, D8.16.1 "Using break-before-make when updating translation table entries").
/// Without FEAT_BBM, an entry that the MMU may be using can go from valid to a different
/// valid value only when the TLB can hold either without a conflict: the output address
/// (and with it the NS bit, which picks the Secure or Non-secure physical address space
/// the output address is in), the memory type and shareability stay, and the entry stays
/// non-global if it was (a global TLB entry would outlive the ASID flush). Anything else
/// must first be made invalid, the TLB invalidated, then written: that is the caller's
/// sequence, after deactivating, and the library refuses to do it behind the MMU's back.
///
/// Changes that need no break, each a permission or a hint the Arm ARM lets a TLB hold in
/// either state (the TLB maintenance after the change makes the new one take effect):
/// - AP[2:1] (READ_ONLY, USER), PXN, UXN/XN: access permissions. Linux's
///   pgattr_change_is_safe() refuses USER and UXN on its kernel mappings as a policy of
///   its own (they never change there); the architecture asks no break for them.
/// - AF and DBM: a fault or a hardware update at worst, on the old value.
/// - GP (bit 50, FEAT_BTI): whether branches into the page must land on a BTI; a core
///   using the old value checks branch targets or not, as it would have a moment before.
/// - nG from 0 to 1: the new entry is narrower than the old one.
/// - the software bits 55-58, which the MMU ignores.
/// nT (bit 16 of a block, FEAT_BBM) is never a caller's: map_range and modify_range refuse
/// it, as one of bits 12-49. The library sets it for a moment in a live split under
/// Mapping::set_live_splits (BLOCK_NT below).
///
/// Stage 2 (the same section, which names stage 2 alike): the output address, the memory
/// type - MemAttr[3:0], bits 5:2, bit 5 being no NS bit there - and shareability need a
/// break; S2AP, XN, AF and DBM do not; nG does not exist (bit 11 is RES0, refused).
#ifndef AARCH64_PAGING_BREAK_BEFORE_MAKE_HPP
#define AARCH64_PAGING_BREAK_BEFORE_MAKE_HPP

#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/regime.hpp"

namespace aarch64_paging {

/// nT, bit 16 of a block descriptor with FEAT_BBM (Arm ARM DDI 0487K.a, D8.16.2). FEAT_BBM
/// level 1 changes a live block's size without break-before-make: write the block again
/// with nT set, invalidate its TLB entries, then write the entries of the new size. A TLB
/// entry from a block with nT set causes no TLB conflict with those; an access through it
/// may take a translation fault instead (IMPLEMENTATION DEFINED), never a conflict abort.
inline constexpr uint64_t BLOCK_NT = uint64_t{1} << 16;
/// ID_AA64MMFR2_EL1.BBM, bits 55:52: the FEAT_BBM level (0: none, 1: nT, 2: nT, and block
/// size changes without it that may raise TLB conflict aborts).
inline constexpr unsigned BBM_SHIFT = 52;

/// The rule that replacing the live leaf entry old by next would break without
/// break-before-make, or BreakRule::None. Creating an entry where none was valid, or
/// making one invalid, never needs a break - unless old is one of a contiguous group: any
/// change to it but the contiguous bit would leave the group's entries disagreeing while
/// the TLB may hold one entry for all of them, a misprogramming of the Contiguous bit
/// (Arm ARM D8.6.1).
/// @p regime: what bits 5 and 11 are (NS and nG at stage 1, MemAttr[3] and RES0 at
/// stage 2).
constexpr BreakRule break_before_make_rule(Descriptor old, Descriptor next,
                                           TranslationRegime regime = TranslationRegime::El1And0) {
    if (old.is_valid() && contains(old.flags(), Attributes::CONTIGUOUS) &&
        ((old.bits() ^ next.bits()) & ~bits(Attributes::CONTIGUOUS)) != 0) {
        return BreakRule::Contiguous;
    }
    if (!old.is_valid() || !next.is_valid()) {
        return BreakRule::None;
    }
    // Bit 5 is NS at stage 1 (the output address space), MemAttr[3] at stage 2.
    const uint64_t changed = old.bits() ^ next.bits();
    if (old.output_address() != next.output_address() ||
        (!is_stage2(regime) && (changed & bits(Attributes::NS)) != 0)) {
        return BreakRule::OutputAddress;
    }
    static_assert(STAGE2_MEMORY_TYPE_MASK == (bits(MEMORY_TYPE_MASK) | bits(Attributes::NS)));
    if ((changed & STAGE2_MEMORY_TYPE_MASK) != 0) {  // at stage 1 bit 5 answered above
        return BreakRule::MemoryType;
    }
    return contains(old.flags(), Attributes::NON_GLOBAL) && !contains(next.flags(), Attributes::NON_GLOBAL)
               ? BreakRule::Global
               : BreakRule::None;
}

/// True when replacing the live leaf entry old by next needs break-before-make.
constexpr bool needs_break_before_make(Descriptor old, Descriptor next,
                                       TranslationRegime regime = TranslationRegime::El1And0) {
    return break_before_make_rule(old, next, regime) != BreakRule::None;
}

}  // namespace aarch64_paging

#endif
