/// @file
/// Turning the EL1&0 stage-1 MMU on with a mapping: the register values a map needs
/// (MAIR_EL1, TCR_EL1, TTBR0_EL1, SCTLR_EL1) and the enable sequence, so that no
/// bootloader has to work them out again (Arm ARM DDI 0487K.a: TCR_EL1, SCTLR_EL1 and
/// ID_AA64MMFR0_EL1 in chapter D19, "AArch64 System Register Descriptions").
#ifndef AARCH64_PAGING_MMU_HPP
#define AARCH64_PAGING_MMU_HPP

#include <stdint.h>

#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"

namespace aarch64_paging {

/// MAIR attribute 0 = 0x04 Device-nGnRE, attribute 1 = 0xff Normal inner/outer write-back
/// non-transient read/write-allocate: what Attributes::DEVICE_NGNRE and NORMAL index.
inline constexpr uint64_t MAIR_DEFAULT = 0xff04;

/// SCTLR_EL1 bits that MmuConfig sets and clears (Arm ARM D19.2 "SCTLR_EL1"); the values
/// of the C ABI's IDMAP_SCTLR_*.
namespace sctlr {
inline constexpr uint64_t M = uint64_t{1} << 0;     ///< MMU enable
inline constexpr uint64_t A = uint64_t{1} << 1;     ///< Alignment check
inline constexpr uint64_t C = uint64_t{1} << 2;     ///< Data cacheability
inline constexpr uint64_t I = uint64_t{1} << 12;    ///< Instruction cacheability
inline constexpr uint64_t WXN = uint64_t{1} << 19;  ///< Write implies execute-never
inline constexpr uint64_t E0E = uint64_t{1} << 24;  ///< EL0 big-endian
inline constexpr uint64_t EE = uint64_t{1} << 25;   ///< EL1 big-endian
}  // namespace sctlr

/// What the MMU needs for a mapping, as register values (the C ABI's idmap_mmu_config_t).
struct MmuConfig {
    uint64_t mair;         ///< MAIR_EL1: MAIR_DEFAULT
    uint64_t tcr;          ///< TCR_EL1
    uint64_t ttbr;         ///< TTBR0_EL1: root address | ASID << 48
    uint64_t sctlr_set;    ///< SCTLR_EL1 bits to set: M, C, I
    uint64_t sctlr_clear;  ///< SCTLR_EL1 bits to clear: A, WXN, E0E, EE
};

/// The register values for mapping on a CPU with id_aa64mmfr0 (ID_AA64MMFR0_EL1): TCR
/// T0SZ = 64 - log2(size()), 4 KiB TG0, write-back read/write-allocate inner shareable
/// walks, EPD1 (no TTBR1 walks), IPS from PARange capped at 48 bits, AS from ASIDBits.
/// @return Ok, or the error, @p config unchanged:
///   - InvalidArgument: @p mapping is not initialised, or its ASID is over 255 on a CPU
///     with 8-bit ASIDs.
[[nodiscard]] Result mmu_config(const Mapping<>& mapping, uint64_t id_aa64mmfr0, MmuConfig& config);

/// Activates mapping and turns the MMU and caches on (or switches to mapping with the MMU
/// already on); previous receives the registers as they were, for disable_mmu. Where the
/// MMU was off, the table pages are first cleaned and invalidated to the point of
/// coherency, since they were written with the data cache off.
/// @return Ok, or the error, with nothing changed:
///   - those of mmu_config() for this CPU;
///   - InvalidArgument: root level 3 without FEAT_TTST (ID_AA64MMFR2_EL1.ST);
///   - AlreadyActive: @p mapping is active.
[[nodiscard]] Result enable_mmu(Mapping<>& mapping, arch::MmuRegisters& previous);

/// Loads @p previous (from enable_mmu()) back and marks @p mapping inactive.
/// @return Ok, or the error, with nothing changed:
///   - NotActive: @p mapping is not active.
[[nodiscard]] Result disable_mmu(Mapping<>& mapping, const arch::MmuRegisters& previous);

}  // namespace aarch64_paging

#endif
