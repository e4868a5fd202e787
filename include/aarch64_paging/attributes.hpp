/// @file
/// Attribute bits of a stage-1 block or page descriptor (regime.hpp says which a regime has), at their
/// positions in the descriptor (Arm ARM DDI 0487K.a, "Block descriptor and Page
/// descriptor formats"; "Memory access control" for AP and XN). The values are those
/// of the C ABI's IDMAP_ATTR_* (shared/spec/c-abi.md).
#ifndef AARCH64_PAGING_ATTRIBUTES_HPP
#define AARCH64_PAGING_ATTRIBUTES_HPP

#include <stdint.h>

#include "aarch64_paging/flags.hpp"

namespace aarch64_paging {

/// Descriptor attribute bits as type-safe flags: they combine with |, & and ^, and are
/// tested with contains() and intersects(); bits() gives the raw value (flags.hpp).
enum class Attributes : uint64_t {
    /// No bit set.
    EMPTY = 0,
    /// The entry maps something.
    VALID = uint64_t{1} << 0,
    /// Table at levels 0-2, page at level 3. The library sets it; callers never pass it.
    TABLE_OR_PAGE = uint64_t{1} << 1,
    /// AttrIndx[2:0] = 0: MAIR attribute 0, Device-nGnRE with MAIR_DEFAULT.
    DEVICE_NGNRE = 0,
    /// AttrIndx = 1 (Normal write-back with MAIR_DEFAULT), SH[1:0] = 0b11 inner shareable.
    NORMAL = (uint64_t{1} << 2) | (uint64_t{3} << 8),
    /// NS: in Secure state, the output address is in the Non-secure PA space (ignored
    /// from Non-secure state).
    NS = uint64_t{1} << 5,
    /// AP[1]: accessible from EL0. Only in regimes with EL0 (refused elsewhere: RES1).
    USER = uint64_t{1} << 6,
    /// AP[2]: read-only.
    READ_ONLY = uint64_t{1} << 7,
    /// AF, the access flag: without it the first access faults unless FEAT_HAFDBS sets it.
    ACCESSED = uint64_t{1} << 10,
    /// nG: the TLB entry is tagged with the ASID.
    NON_GLOBAL = uint64_t{1} << 11,
    /// Dirty bit modifier (FEAT_HAFDBS).
    DBM = uint64_t{1} << 51,
    /// The contiguous hint: one of an aligned group of entries that map one contiguous
    /// range with the same attributes. Set and cleared by the library only.
    CONTIGUOUS = uint64_t{1} << 52,
    /// PXN: not executable at the regime's higher level (EL1 or EL2). Only in regimes
    /// with two privilege levels (refused elsewhere: RES0).
    PXN = uint64_t{1} << 53,
    /// UXN: not executable at EL0; in the EL2 and EL3 regimes this bit is XN.
    UXN = uint64_t{1} << 54,
    /// XN of the regimes with one privilege level (EL2, EL3): the same bit as UXN.
    XN = uint64_t{1} << 54,
    /// PXN and UXN: executable nowhere, in regimes with two privilege levels.
    EXECUTE_NEVER = uint64_t{3} << 53,
    /// Ignored by the hardware, free for software.
    SWFLAG_0 = uint64_t{1} << 55,
    SWFLAG_1 = uint64_t{1} << 56,  ///< Ignored by the hardware, free for software.
    SWFLAG_2 = uint64_t{1} << 57,  ///< Ignored by the hardware, free for software.
    SWFLAG_3 = uint64_t{1} << 58,  ///< Ignored by the hardware, free for software.
};
AARCH64_PAGING_FLAG_OPERATORS(Attributes)

/// The fields whose change on a live entry is a change of memory type or shareability:
/// AttrIndx[2:0] (bits 4:2) and SH[1:0] (bits 9:8).
inline constexpr Attributes MEMORY_TYPE_MASK = Attributes((uint64_t{7} << 2) | (uint64_t{3} << 8));

/// Bits map_range refuses from callers: TABLE_OR_PAGE, output address and RES0 bits 12-49,
/// and the contiguous bit (52), which belongs to the library.
inline constexpr Attributes REFUSED_MAP_FLAGS =
    Attributes::TABLE_OR_PAGE | Attributes(((uint64_t{1} << 50) - 1) & ~uint64_t{0xfff}) |
    Attributes(uint64_t{1} << 52);

/// How map_range may lay out a region: type-safe flags, as Attributes are.
enum class Constraints : uint32_t {
    /// No constraint: the largest blocks that fit.
    NONE = 0,
    /// Pages only, no blocks.
    NO_BLOCK_MAPPINGS = 1u << 0,
    /// Never set the contiguous bit.
    NO_CONTIGUOUS_HINT = 1u << 1,
};
AARCH64_PAGING_FLAG_OPERATORS(Constraints)

/// Every constraint this version knows; map_range refuses others with InvalidFlags.
inline constexpr Constraints KNOWN_CONSTRAINTS =
    Constraints::NO_BLOCK_MAPPINGS | Constraints::NO_CONTIGUOUS_HINT;

}  // namespace aarch64_paging

#endif
