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
    /// GP, a guarded page (FEAT_BTI; stage 1 only): an indirect branch into the page must
    /// land on a BTI instruction (or PACIxSP, unless SCTLR_ELx.BT says not for a BR), else
    /// a Branch Target exception. RES0 on a CPU without FEAT_BTI (ID_AA64PFR1_EL1.BT), where map_range
    /// writes it as given: Mapping::set_guarded_code() checks the CPU, and the linter
    /// reports the bit without lint_features::BTI.
    GP = uint64_t{1} << 50,
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

/// Attribute bits of a stage-2 block or page descriptor (Arm ARM DDI 0487K.a, D8.3
/// "Translation table descriptor formats", the stage-2 block and page descriptors; D8.5
/// "Memory region attributes" for MemAttr; D8.4 "Memory access control" for S2AP and
/// XN), as type-safe flags beside the stage-1 Attributes, whose bits 2-7, 11 and 53 mean
/// something else here. The values are those of the C ABI's IDMAP_S2_*. A stage-2
/// mapping takes these (Mapping::map_range); it refuses the stage-1 Attributes that
/// stage 2 reads otherwise (STAGE1_ONLY).
///
/// The memory type a guest access gets is the combination of stage 1's and stage 2's:
/// the more restrictive type and cacheability of the two (D8.5 "Combining the stage 1
/// and stage 2 attributes"), unless HCR_EL2.FWB = 1, where stage 2 may force it
/// (the FWB_* encodings).
enum class Stage2Attributes : uint64_t {
    /// No bit set: with MemAttr 0b0000, Device-nGnRnE, no access.
    EMPTY = 0,
    /// The entry maps something.
    VALID = uint64_t{1} << 0,
    // MemAttr[3:0] (bits 5:2) with HCR_EL2.FWB = 0: 0b00dd is Device memory of type dd;
    // else Normal, MemAttr[3:2] the outer and MemAttr[1:0] the inner cacheability (0b01
    // Non-cacheable, 0b10 Write-Through, 0b11 Write-Back).
    DEVICE_NGNRNE = uint64_t{0} << 2,  ///< MemAttr 0b0000: Device-nGnRnE.
    DEVICE_NGNRE = uint64_t{1} << 2,   ///< MemAttr 0b0001: Device-nGnRE.
    DEVICE_NGRE = uint64_t{2} << 2,    ///< MemAttr 0b0010: Device-nGRE.
    DEVICE_GRE = uint64_t{3} << 2,     ///< MemAttr 0b0011: Device-GRE.
    NORMAL_NC = uint64_t{5} << 2,      ///< MemAttr 0b0101: Normal, inner and outer Non-cacheable.
    NORMAL_WT = uint64_t{0xa} << 2,    ///< MemAttr 0b1010: Normal, inner and outer Write-Through.
    NORMAL_WB = uint64_t{0xf} << 2,    ///< MemAttr 0b1111: Normal, inner and outer Write-Back.
    // MemAttr with HCR_EL2.FWB = 1 (FEAT_S2FWB; D8.5 "Stage 2 memory type and
    // Cacheability attributes when FEAT_S2FWB is implemented"): MemAttr[2] = 0 is Device of
    // type MemAttr[1:0] (as above), 0b101 Normal Non-cacheable, 0b110 Normal Write-Back
    // whatever stage 1 says, 0b111 stage 1's attributes; MemAttr[3] 0, as Linux writes them.
    FWB_NORMAL_NC = uint64_t{5} << 2,      ///< FWB MemAttr 0b0101: Normal Non-cacheable.
    FWB_NORMAL_WB = uint64_t{6} << 2,      ///< FWB MemAttr 0b0110: Normal Write-Back, forced.
    FWB_STAGE1 = uint64_t{7} << 2,         ///< FWB MemAttr 0b0111: stage 1's type and cacheability.
    // S2AP[1:0] (bits 7:6): 0b00 no access, 0b01 read-only, 0b10 write-only, 0b11
    // read/write, at EL1 and EL0 alike.
    READ = uint64_t{1} << 6,               ///< S2AP[0]: reads allowed.
    WRITE = uint64_t{1} << 7,              ///< S2AP[1]: writes allowed.
    READ_WRITE = uint64_t{3} << 6,         ///< S2AP = 0b11.
    // SH[1:0] (bits 9:8), as at stage 1.
    OUTER_SHAREABLE = uint64_t{2} << 8,    ///< SH = 0b10.
    INNER_SHAREABLE = uint64_t{3} << 8,    ///< SH = 0b11.
    /// AF, the access flag (the library sets it on what it maps).
    ACCESSED = uint64_t{1} << 10,
    /// Dirty bit modifier (FEAT_HAFDBS at stage 2).
    DBM = uint64_t{1} << 51,
    /// The contiguous hint (bit 52): set and cleared by the library only.
    CONTIGUOUS = uint64_t{1} << 52,
    // XN[1:0] (bits 54:53). Without FEAT_XNX XN[0] is RES0 and refused: XN alone.
    XN = uint64_t{2} << 53,      ///< XN = 0b10: executable at neither EL1 nor EL0.
    XN_EL1 = uint64_t{1} << 53,  ///< XN = 0b01 (FEAT_XNX): not executable at EL1, executable at EL0.
    XN_EL0 = uint64_t{3} << 53,  ///< XN = 0b11 (FEAT_XNX): executable at EL1, not at EL0.
    /// Ignored by the hardware, free for software.
    SWFLAG_0 = uint64_t{1} << 55,
    SWFLAG_1 = uint64_t{1} << 56,  ///< Ignored by the hardware, free for software.
    SWFLAG_2 = uint64_t{1} << 57,  ///< Ignored by the hardware, free for software.
    SWFLAG_3 = uint64_t{1} << 58,  ///< Ignored by the hardware, free for software.
    /// Guest RAM as KVM maps it: Normal Write-Back, inner shareable (FWB = 0).
    NORMAL = (uint64_t{0xf} << 2) | (uint64_t{3} << 8),
};
AARCH64_PAGING_FLAG_OPERATORS(Stage2Attributes)

/// The stage-2 fields whose change on a live entry is a change of memory type or
/// shareability: MemAttr[3:0] (bits 5:2) and SH[1:0] (bits 9:8).
inline constexpr uint64_t STAGE2_MEMORY_TYPE_MASK = (uint64_t{0xf} << 2) | (uint64_t{3} << 8);

/// The stage-1 Attributes a stage-2 mapping refuses from map_range (InvalidFlags): those
/// whose bits stage 2 reads otherwise - AttrIndx (bits 4:2, MemAttr there: Attributes::NORMAL
/// would be Device-nGnRE), NS (5, MemAttr[3]), USER and READ_ONLY (6 and 7, S2AP: READ_ONLY
/// would be write-only) - or lacks: nG (11), GP (50), PXN (53, XN[0]). What both stages
/// read alike (VALID, SH, AF, DBM, UXN/XN at bit 54, the software bits) is accepted.
inline constexpr Attributes STAGE1_ONLY = Attributes((uint64_t{0x3f} << 2) | (uint64_t{1} << 11) |
                                                     (uint64_t{1} << 50) | (uint64_t{1} << 53));

}  // namespace aarch64_paging

#endif
