/// @file
/// Translation regimes (Arm ARM DDI 0487K.a, chapter D8, "Translation regimes") and which of
/// the regime's two VA ranges a table serves. Only EL1&0 with TTBR0 exists so far; the
/// core takes the regime as a parameter so the others slot in beside it.
#ifndef AARCH64_PAGING_REGIME_HPP
#define AARCH64_PAGING_REGIME_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A translation regime (the crate's TranslationRegime); the library builds tables for
/// this one so far.
enum class TranslationRegime : uint8_t {
    /// Stage 1 of EL1&0: TTBR0_EL1/TTBR1_EL1, ASIDs.
    El1And0,
};

/// Which of a regime's two input address ranges a table serves (the crate's VaRange).
enum class VaRange : uint8_t {
    /// TTBR0: addresses counted up from 0.
    Lower,
};

/// ASIDs are at most 16 bits (TCR_EL1.AS = 1); the ASID sits in TTBR bits 63:48.
inline constexpr uint64_t MAX_ASID = 0xffff;
/// The ASID's place in a TTBR value: bits 63:48.
inline constexpr unsigned TTBR_ASID_SHIFT = 48;

}  // namespace aarch64_paging

#endif
