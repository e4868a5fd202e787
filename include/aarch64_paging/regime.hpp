/// @file
/// Translation regimes (Arm ARM DDI 0487K.a, D8.1 "Translation regimes") and the rules
/// that differ between them: which descriptor bits a stage-1 block or page has, ASIDs,
/// and the two VA ranges. The core takes a Regime at init; the arch layer picks the
/// system registers and TLB maintenance instructions from it.
#ifndef AARCH64_PAGING_REGIME_HPP
#define AARCH64_PAGING_REGIME_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A stage-1 translation regime (the crate's TranslationRegime). The values are the C
/// ABI's IDMAP_REGIME_*.
enum class TranslationRegime : uint8_t {
    /// EL1&0: TTBR0_EL1/TTBR1_EL1, TCR_EL1, ASIDs, EL0 access through AP[1].
    El1And0 = 0,
    /// EL2 with HCR_EL2.E2H = 0: TTBR0_EL2 only, no ASID, one privilege level.
    El2 = 1,
    /// EL2&0 with HCR_EL2.E2H = 1 (FEAT_VHE): TTBR0_EL2/TTBR1_EL2, ASIDs, EL0 access.
    El2And0 = 2,
    /// EL3: TTBR0_EL3 only, no ASID, one privilege level.
    El3 = 3,
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

/// Whether the regime value is one of the four above (a C caller may pass anything).
constexpr bool is_known(TranslationRegime r) {
    return static_cast<unsigned>(r) <= static_cast<unsigned>(TranslationRegime::El3);
}

/// Block and page bits that @p r does not have, refused from callers with InvalidFlags.
/// In the EL2 (E2H = 0) and EL3 regimes: AP[1] (bit 6) is RES1 and the library sets it;
/// nG (bit 11) is RES0, there being no ASID; bit 53 (PXN) is RES0, bit 54 being the one
/// XN bit of a regime with one privilege level.
constexpr uint64_t refused_bits(TranslationRegime r) {
    return has_two_privilege_levels(r) ? 0
                                       : (uint64_t{1} << 6) | (uint64_t{1} << 11) | (uint64_t{1} << 53);
}

/// Block and page bits that are RES1 in @p r, set by the library in every block and page
/// it writes: AP[1] in the regimes with one privilege level (see refused_bits).
constexpr uint64_t res1_bits(TranslationRegime r) {
    return has_two_privilege_levels(r) ? 0 : uint64_t{1} << 6;
}

/// ASIDs are at most 16 bits (TCR_ELx.AS = 1); the ASID sits in TTBR bits 63:48.
inline constexpr uint64_t MAX_ASID = 0xffff;
/// The ASID's place in a TTBR value: bits 63:48.
inline constexpr unsigned TTBR_ASID_SHIFT = 48;

}  // namespace aarch64_paging

#endif
