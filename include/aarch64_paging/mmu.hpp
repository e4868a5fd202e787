/// @file
/// Turning a regime's stage-1 MMU on with a mapping (and, in EL1&0 and EL2&0, a second
/// one for the upper VA range): the register values they need (MAIR_ELx, TCR_ELx,
/// TTBR0/1_ELx, SCTLR_ELx) and the enable sequence, so that no bootloader has to work
/// them out again (Arm ARM DDI 0487K.a: TCR_EL1, TCR_EL2, TCR_EL3, SCTLR_ELx and
/// ID_AA64MMFR0_EL1 in chapter D19, "AArch64 System Register Descriptions").
#ifndef AARCH64_PAGING_MMU_HPP
#define AARCH64_PAGING_MMU_HPP

#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"

namespace aarch64_paging {

/// Mapping<G>, in a parameter that does not take part in deducing G (so that nullptr
/// may be passed for an upper mapping).
template <class G>
struct MappingOf {
    using type = Mapping<G>;  ///< The mapping type.
};

/// MAIR attribute 0 = 0x04 Device-nGnRE, attribute 1 = 0xff Normal inner/outer write-back
/// non-transient read/write-allocate: what Attributes::DEVICE_NGNRE and NORMAL index.
inline constexpr uint64_t MAIR_DEFAULT = 0xff04;

/// SCTLR_ELx bits that MmuConfig sets and clears (Arm ARM D19.2 "SCTLR_EL1"; the same
/// positions in SCTLR_EL2 and SCTLR_EL3, where E0E is RES0); the values of the C ABI's
/// IDMAP_SCTLR_*.
namespace sctlr {
inline constexpr uint64_t M = uint64_t{1} << 0;     ///< MMU enable
inline constexpr uint64_t A = uint64_t{1} << 1;     ///< Alignment check
inline constexpr uint64_t C = uint64_t{1} << 2;     ///< Data cacheability
inline constexpr uint64_t I = uint64_t{1} << 12;    ///< Instruction cacheability
inline constexpr uint64_t WXN = uint64_t{1} << 19;  ///< Write implies execute-never
inline constexpr uint64_t E0E = uint64_t{1} << 24;  ///< EL0 big-endian
inline constexpr uint64_t EE = uint64_t{1} << 25;   ///< EL1 big-endian
/// BT (BT1 in SCTLR_EL1; FEAT_BTI): at the regime's privileged level PACIASP and PACIBSP
/// are no landing pads for a BR into a guarded page (Attributes::GP, which alone makes
/// landing pads needed); set for a guarded-code mapping, with BT0 where there is EL0.
inline constexpr uint64_t BT = uint64_t{1} << 36;
/// BT0 (EL1&0, EL2&0): BT for EL0.
inline constexpr uint64_t BT0 = uint64_t{1} << 35;
}  // namespace sctlr

/// What the MMU needs for a mapping, as register values (the C ABI's idmap_mmu_config_t).
struct MmuConfig {
    uint64_t mair;         ///< MAIR_ELx: MAIR_DEFAULT
    uint64_t tcr;          ///< TCR_ELx
    uint64_t ttbr;         ///< TTBR0_ELx: Mapping::ttbr(), root address | ASID << 48 (| CnP)
    uint64_t sctlr_set;    ///< SCTLR_ELx bits to set: M, C, I; BT (BT0) for guarded code
    uint64_t sctlr_clear;  ///< SCTLR_ELx bits to clear: A, WXN, E0E, EE
    uint64_t ttbr1;        ///< TTBR1_ELx: the upper table's ttbr(), or 0
};

/// The register values for @p lower (TTBR0) and, in EL1&0 and EL2&0, @p upper (TTBR1, or
/// nullptr: EPD1, no walks through TTBR1) on a CPU with id_aa64mmfr0 (ID_AA64MMFR0_EL1),
/// in the format of the regime's TCR: TnSZ = 64 - log2(size()), TGn for the granule G,
/// write-back read/write-allocate inner shareable walks, IPS (PS in TCR_EL2 with E2H = 0
/// and TCR_EL3, whose RES1 bits 31 and 23 are set) from PARange capped at 48 bits, and AS
/// from ASIDBits. For EL2&0 the caller has set HCR_EL2.E2H.
/// @return Ok, or the error, @p config unchanged:
///   - InvalidArgument: the CPU lacks the granule (ID_AA64MMFR0_EL1.TGranN), a mapping
///     is not initialised, @p lower is not in the lower range
///     or @p upper not in the upper one of the same regime, the two have different ASIDs
///     (TCR.A1 is 0: TTBR0's ASID tags the entries of both ranges), or an ASID is over
///     255 on a CPU with 8-bit ASIDs.
template <class G>
[[nodiscard]] Result mmu_config(const Mapping<G>& lower, const typename MappingOf<G>::type* upper, uint64_t id_aa64mmfr0,
                                MmuConfig& config);
/// mmu_config() for @p mapping alone (no TTBR1 walks).
template <class G>
[[nodiscard]] Result mmu_config(const Mapping<G>& mapping, uint64_t id_aa64mmfr0, MmuConfig& config) {
    return mmu_config<G>(mapping, nullptr, id_aa64mmfr0, config);
}

/// Activates @p lower (and @p upper, unless nullptr) and turns the regime's MMU and
/// caches on (or switches to them with the MMU already on); previous receives the
/// registers as they were, for disable_mmu. Runs at the regime's exception level. Where
/// the MMU or the data cache was off, the table pages are first cleaned and invalidated
/// to the point of coherency, since they were written past the cache.
///
/// The mappings then belong to the MMU until disable_mmu(): deactivate() refuses them
/// (MMU_ENABLED), and destroying or releasing one leaves its tables in place, not given
/// back, rather than pull them from under the MMU. Tear down in this order: disable_mmu(),
/// then let the mappings go.
/// @return Ok, or the error, with nothing changed:
///   - those of mmu_config() for this CPU;
///   - InvalidArgument, value NEEDS_TTST: a TnSZ above 39 (4 KiB pages from root level 3)
///     without FEAT_TTST (ID_AA64MMFR2_EL1.ST); or, value 0, the CPU
///     does not run in the regime (arch::runs_in: CurrentEL, and HCR_EL2.E2H at EL2);
///   - AlreadyActive: a mapping is active.
template <class G>
[[nodiscard]] Result enable_mmu(Mapping<G>& lower, typename MappingOf<G>::type* upper, arch::MmuRegisters& previous);
/// enable_mmu() for @p mapping alone.
template <class G>
[[nodiscard]] Result enable_mmu(Mapping<G>& mapping, arch::MmuRegisters& previous) {
    return enable_mmu<G>(mapping, nullptr, previous);
}

/// Loads @p previous (from enable_mmu()) back and marks @p lower and @p upper (unless
/// nullptr) inactive. Where that turns the MMU or the data cache off, the data cache is
/// first cleaned and invalidated by set/way (arch::load_mmu_registers).
/// @return Ok, or the error, with nothing changed:
///   - NotActive: @p lower (or @p upper) is not active.
template <class G>
[[nodiscard]] Result disable_mmu(Mapping<G>& lower, typename MappingOf<G>::type* upper, const arch::MmuRegisters& previous);
/// disable_mmu() for @p mapping alone.
template <class G>
[[nodiscard]] Result disable_mmu(Mapping<G>& mapping, const arch::MmuRegisters& previous) {
    return disable_mmu<G>(mapping, nullptr, previous);
}

/// Cleans every data cache line that holds a byte of [@p start, @p end) to the point of
/// coherency (arch::clean_dcache_to_poc: DC CVAC by line, CTR_EL0.DminLine, then DSB SY),
/// so that what was written through the cache is in memory for whoever reads it past the
/// cache: the next stage entered with the MMU off, as a bootloader enters Linux with its
/// image and initramfs cleaned (Linux's Documentation/arch/arm64/booting.rst), or a
/// device. disable_mmu()'s set/way clean does not do this: set/way maintenance reaches
/// this core's caches only, not a system cache before the point of coherency. Runs at
/// any exception level, with the MMU off, or on with the range mapped in the current
/// regime (else the DC faults). An empty or backwards range cleans nothing.
inline void clean_to_poc(VirtualAddress start, VirtualAddress end) {
    arch::clean_dcache_to_poc(start.value(), end > start ? end - start : 0);
}

/// Declares the MMU functions for granule G as built in src/mmu.cpp (each granule's).
#define AARCH64_PAGING_MMU_EXTERN(G)                                                                     \
    extern template Result mmu_config<G>(const Mapping<G>&, const typename MappingOf<G>::type*, uint64_t, MmuConfig&);     \
    extern template Result enable_mmu<G>(Mapping<G>&, typename MappingOf<G>::type*, arch::MmuRegisters&);                  \
    extern template Result disable_mmu<G>(Mapping<G>&, typename MappingOf<G>::type*, const arch::MmuRegisters&);
AARCH64_PAGING_MMU_EXTERN(Granule4K)
AARCH64_PAGING_MMU_EXTERN(Granule16K)
AARCH64_PAGING_MMU_EXTERN(Granule64K)
#undef AARCH64_PAGING_MMU_EXTERN

}  // namespace aarch64_paging

#endif
