/// @file
/// Translation regimes (Arm ARM DDI 0487K.a, D8.1 "Translation regimes") and the rules
/// that differ between them: which descriptor bits a block or page has, ASIDs (VMIDs at
/// stage 2), and the two VA ranges. The core takes a Regime at init; the arch layer picks
/// the system registers and TLB maintenance instructions from it.
#ifndef AARCH64_PAGING_REGIME_HPP
#define AARCH64_PAGING_REGIME_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A translation regime, or stage 2 of EL1&0 (the crate's TranslationRegime, which has
/// Stage2 too). The values are the C ABI's IDMAP_REGIME_*.
enum class TranslationRegime : uint8_t {
    /// EL1&0: TTBR0_EL1/TTBR1_EL1, TCR_EL1, ASIDs, EL0 access through AP[1].
    El1And0 = 0,
    /// EL2 with HCR_EL2.E2H = 0: TTBR0_EL2 only, no ASID, one privilege level.
    El2 = 1,
    /// EL2&0 with HCR_EL2.E2H = 1 (FEAT_VHE): TTBR0_EL2/TTBR1_EL2, ASIDs, EL0 access.
    El2And0 = 2,
    /// EL3: TTBR0_EL3 only, no ASID, one privilege level.
    El3 = 3,
    /// Stage 2 of the EL1&0 regime, for a hypervisor at EL2 (D8.1, the stage 2 translation of EL1&0):
    /// VTTBR_EL2 and VTCR_EL2, intermediate physical addresses (IPAs) in, the VMID where
    /// stage 1 has the ASID, and its own block and page attributes (Stage2Attributes,
    /// attributes.hpp). One input range (the lower), from IPA 0; the root table may be
    /// 2 to 16 concatenated tables (Stage2Options).
    Stage2 = 4,
};

/// Which of a regime's two input address ranges a table serves (the crate's VaRange).
/// The values are the C ABI's IDMAP_VA_RANGE_*.
enum class VaRange : uint8_t {
    /// TTBR0: addresses counted up from 0.
    Lower = 0,
    /// TTBR1: addresses counted down from 2^64; only regimes with two ranges have it.
    Upper = 1,
};

/// Where a table is used: the regime, and the VA range within it.
struct Regime {
    TranslationRegime regime = TranslationRegime::El1And0;  ///< The translation regime.
    VaRange range = VaRange::Lower;                          ///< The VA range (TTBR).
};

/// Whether @p r has two privilege levels (EL1&0, EL2&0) and with them what the others
/// lack (D8.4 "Memory access control"): EL0 access through AP[1], PXN beside UXN, the nG
/// bit with ASIDs, and the upper VA range (TTBR1).
constexpr bool has_two_privilege_levels(TranslationRegime r) {
    return r == TranslationRegime::El1And0 || r == TranslationRegime::El2And0;
}

/// Whether the regime value is one of the four stage-1 regimes (a C caller may pass
/// anything). Stage 2 is not one: what describes stage-1 memory types (the devicetree and
/// UEFI exports, the MMU's MAIR and TCR) refuses it; the lint and the export of regions
/// take it too.
constexpr bool is_known(TranslationRegime r) {
    return static_cast<unsigned>(r) <= static_cast<unsigned>(TranslationRegime::El3);
}

/// Whether @p r is stage 2.
constexpr bool is_stage2(TranslationRegime r) { return r == TranslationRegime::Stage2; }

/// XN[0], bit 53 of a stage-2 block or page: RES0 without FEAT_XNX (Stage2Options::xnx).
inline constexpr uint64_t STAGE2_XN0 = uint64_t{1} << 53;

/// Block and page bits that @p r does not have, refused from callers with InvalidFlags.
/// In the EL2 (E2H = 0) and EL3 regimes: AP[1] (bit 6) is RES1 and the library sets it;
/// nG (bit 11) is RES0, there being no ASID; bit 53 (PXN) is RES0, bit 54 being the one
/// XN bit of a regime with one privilege level. At stage 2 (D8.3, the stage-2 block and
/// page descriptor): bit 11 (nG at stage 1) is RES0, there being no ASID; bit 50 (GP,
/// FEAT_BTI) is stage 1's only; bit 53 is XN[0], RES0 without FEAT_XNX (a stage-2 map made
/// with Stage2Options::xnx accepts it). Bits 5 and 6 (NS and AP[1] at stage 1) are
/// MemAttr[3] and S2AP[0] there: stage 2 has no NS bit and no EL0 permission of its own.
constexpr uint64_t refused_bits(TranslationRegime r) {
    if (is_stage2(r)) {
        return (uint64_t{1} << 11) | (uint64_t{1} << 50) | STAGE2_XN0;
    }
    return has_two_privilege_levels(r) ? 0
                                       : (uint64_t{1} << 6) | (uint64_t{1} << 11) | (uint64_t{1} << 53);
}

/// Block and page bits that are RES1 in @p r, set by the library in every block and page
/// it writes: AP[1] in the stage-1 regimes with one privilege level (see refused_bits).
constexpr uint64_t res1_bits(TranslationRegime r) {
    return r == TranslationRegime::El2 || r == TranslationRegime::El3 ? uint64_t{1} << 6 : 0;
}

/// The shape of a stage-2 table, beside its root level (Mapping::init_stage2): the IPA
/// size (VTCR_EL2.T0SZ = 64 - ipa_bits), from which the number of concatenated root
/// tables follows, and whether the CPU has FEAT_XNX.
struct Stage2Options {
    /// The IPA size in bits.
    uint8_t ipa_bits = 0;
    /// FEAT_XNX (ID_AA64MMFR1_EL1.XNX): XN[0] (bit 53) is accepted, and with it the
    /// execute-never of one exception level only (Stage2Attributes::XN_EL1, XN_EL0).
    bool xnx = false;
};

/// VMIDs are at most 16 bits (VTCR_EL2.VS = 1); the VMID sits in VTTBR_EL2 bits 63:48,
/// where a TTBR has its ASID.
inline constexpr uint64_t MAX_VMID = 0xffff;

/// ASIDs are at most 16 bits (TCR_ELx.AS = 1); the ASID sits in TTBR bits 63:48.
inline constexpr uint64_t MAX_ASID = 0xffff;
/// The ASID's place in a TTBR value: bits 63:48.
inline constexpr unsigned TTBR_ASID_SHIFT = 48;
/// CnP, Common not Private (FEAT_TTCNP): bit 0 of a TTBR, and of VTTBR_EL2. Set, it says
/// that every PE of the Inner Shareable domain whose TTBR has it set too, with the same
/// ASID (and VMID), walks the same tables, so that their TLB entries may be shared (Arm
/// ARM DDI 0487K.a, "Common not private translations", and the CnP field of TTBR0_EL1).
inline constexpr uint64_t TTBR_CNP = 1;

}  // namespace aarch64_paging

#endif
