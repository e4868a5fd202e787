/// @file
/// A hypervisor's stage 2: the EL1&0 regime's second stage for a VM, whose tables are a
/// Mapping made by init_stage2() (TranslationRegime::Stage2, regime.hpp; Stage2Attributes
/// in attributes.hpp). Here: VTCR_EL2 computed for such a mapping, and its activation on a
/// core (Arm ARM DDI 0487K.a, D19 "VTCR_EL2", "VTTBR_EL2"; D8.2 on the stage-2 input
/// address size and initial lookup level). A program that uses no stage 2 links none of
/// this (src/stage2.cpp).
#ifndef AARCH64_PAGING_STAGE2_HPP
#define AARCH64_PAGING_STAGE2_HPP

#include <stdint.h>

#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"

namespace aarch64_paging {

/// VTCR_EL2 fields (D19 "VTCR_EL2").
namespace vtcr {
inline constexpr unsigned T0SZ_SHIFT = 0;   ///< T0SZ[5:0]: 64 - the IPA size.
inline constexpr unsigned SL0_SHIFT = 6;    ///< SL0[7:6]: the initial lookup level (Granule::stage2_sl0).
/// IRGN0 = ORGN0 = 0b01 (walks Normal Write-Back read/write-allocate), SH0 = 0b11 (inner
/// shareable), bits 13:8.
inline constexpr uint64_t WALKS = (uint64_t{1} << 8) | (uint64_t{1} << 10) | (uint64_t{3} << 12);
inline constexpr unsigned TG0_SHIFT = 14;   ///< TG0[15:14]: the granule, encoded as TCR's TG0.
inline constexpr unsigned PS_SHIFT = 16;    ///< PS[18:16]: the output (PA) size, as PARange.
inline constexpr uint64_t VS = uint64_t{1} << 19;     ///< 16-bit VMIDs.
/// HA (bit 21: the hardware sets the Access flag, FEAT_HAFDBS) and HD beside it (bit 22:
/// with HA, it updates the dirty state): hardware_updates::ha_hd().
inline constexpr unsigned HA_SHIFT = 21;
inline constexpr uint64_t RES1 = uint64_t{1} << 31;   ///< Bit 31, RES1.
}  // namespace vtcr

/// The PA size in bits that ID_AA64MMFR0_EL1.PARange @p parange (bits 3:0) encodes, capped
/// at 48 (what a descriptor holds without FEAT_LPA/LPA2): 32, 36, 40, 42, 44, 48.
constexpr unsigned pa_bits(uint64_t parange) {
    constexpr unsigned bits[] = {32, 36, 40, 42, 44, 48};
    return parange < 5 ? bits[parange] : 48;
}

/// VTCR_EL2 for the stage-2 mapping @p map on a CPU with @p id_aa64mmfr0
/// (ID_AA64MMFR0_EL1) and @p id_aa64mmfr1 (ID_AA64MMFR1_EL1):
///   - T0SZ = 64 - the IPA size (Stage2Options::ipa_bits), SL0 for the root level
///     (Granule::stage2_sl0), checked as a legal pair: the start level resolves at least
///     one bit and at most 16 concatenated tables (AArch64.S2InconsistentSL), which
///     init() made sure of; a level-0 start (4 KiB) needs 44 PA bits (AArch64.S2InvalidSL);
///   - PS = PARange capped at 48 bits: the IPA size must not exceed it, and every output
///     address the map holds must lie below it (the tree is walked once for that);
///   - IRGN0 = ORGN0 = write-back read/write-allocate, SH0 inner shareable;
///   - TG0 for the granule G (ID_AA64MMFR0_EL1.TGranN_2 must allow it at stage 2);
///   - VS = 1 where the CPU has 16-bit VMIDs (ID_AA64MMFR1_EL1.VMIDBits = 0b0010);
///   - HA = 1 for Mapping::set_hardware_updates() of either kind, HD = 1 too for DIRTY;
///   - bit 31 (RES1) set.
/// 40-bit IPA from level 1 (2 concatenated tables), 4 KiB, 40 PA bits, 8-bit VMIDs:
/// 0x80023558.
/// @return Ok, or InvalidArgument with @p vtcr unchanged: NOT_INITIALISED; NOT_STAGE2 (a
///         stage-1 mapping); GRANULE (stage 2 lacks it); IPA_BEYOND_PA (the IPA size, or a
///         level-0 start, beyond the PA size); OUTPUT_BEYOND_PA (va: an output address at
///         or past 2^PA bits); VMID_WIDTH (a VMID over 255 with 8-bit VMIDs); NO_XNX (a map
///         made with Stage2Options::xnx on a CPU without FEAT_XNX); NO_HAFDBS (hardware
///         updates the CPU's ID_AA64MMFR1_EL1.HAFDBS lacks).
template <class G>
[[nodiscard]] Result stage2_vtcr(const Mapping<G>& map, uint64_t id_aa64mmfr0, uint64_t id_aa64mmfr1,
                                 uint64_t& vtcr);

/// Makes @p map this core's stage 2 (at EL2): VTCR_EL2 from stage2_vtcr() with the CPU's
/// ID registers; where EL2's data accesses bypass the cache (SCTLR_EL2.M or C clear) the
/// table pages are first cleaned and invalidated to the point of coherency, since the
/// walks are cacheable; then VTCR_EL2 and VTTBR_EL2 (root | VMID << 48) written, ISB,
/// TLBI VMALLS12E1IS, DSB ISH, ISB (Mapping::activate, arch::switch_ttbr). The caller
/// sets HCR_EL2.VM (and the rest of HCR_EL2) to run the guest through it. Mapping::deactivate()
/// restores the VTTBR_EL2 value it replaced, after TLBI VMALLS12E1IS for the VMID.
/// @return Ok, or the error, nothing changed: those of stage2_vtcr(); AlreadyActive.
template <class G>
[[nodiscard]] Result stage2_activate(Mapping<G>& map);

/// stage2_activate() on one more core, for a VM with several vCPUs (Mapping::activate_on_core):
/// VTCR_EL2 and VTTBR_EL2 of this core, the map counted active on one more core;
/// @p previous gets the VTTBR_EL2 value replaced, for Mapping::deactivate_on_core(). The
/// map may be active on other cores already.
/// @return Ok, or the error, nothing changed: those of stage2_vtcr().
template <class G>
[[nodiscard]] Result stage2_activate_on_core(Mapping<G>& map, uint64_t& previous);

/// Declares the stage-2 functions for granule G as built in src/stage2.cpp.
#define AARCH64_PAGING_STAGE2_EXTERN(G)                                                         \
    extern template Result stage2_vtcr<G>(const Mapping<G>&, uint64_t, uint64_t, uint64_t&);    \
    extern template Result stage2_activate<G>(Mapping<G>&);                                     \
    extern template Result stage2_activate_on_core<G>(Mapping<G>&, uint64_t&);
AARCH64_PAGING_STAGE2_EXTERN(Granule4K)
AARCH64_PAGING_STAGE2_EXTERN(Granule16K)
AARCH64_PAGING_STAGE2_EXTERN(Granule64K)
#undef AARCH64_PAGING_STAGE2_EXTERN

}  // namespace aarch64_paging

#endif
