/// @file
/// The arch layer: every system register, barrier and TLB maintenance instruction the
/// library uses goes through these functions. src/arch/aarch64/ implements them for the
/// target; src/arch/host/ is a fake that simulates the registers and logs the calls.
/// Each takes the regime (and VA range) whose registers and TLB entries it touches.
#ifndef AARCH64_PAGING_ARCH_HPP
#define AARCH64_PAGING_ARCH_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/regime.hpp"

namespace aarch64_paging::arch {

/// A regime's stage-1 translation registers: MAIR_ELx, TCR_ELx, TTBR0_ELx, TTBR1_ELx
/// (EL1&0 and EL2&0 only; 0 elsewhere), SCTLR_ELx.
struct MmuRegisters {
    uint64_t mair;   ///< MAIR_ELx
    uint64_t tcr;    ///< TCR_ELx
    uint64_t ttbr0;  ///< TTBR0_ELx
    uint64_t ttbr1;  ///< TTBR1_ELx, in the regimes that have it
    uint64_t sctlr;  ///< SCTLR_ELx
};

/// DSB ISHST so the tables are complete before the walker may read them, then writes the
/// TTBR of @p where, ISB; in EL2 and EL3, which have no ASIDs to tell two tables' entries
/// apart, then TLBI ALLE2IS or ALLE3IS, DSB ISH, ISB. Returns the value it replaced.
uint64_t swap_ttbr(Regime where, uint64_t ttbr);
/// Writes the TTBR of @p where, ISB, then invalidates what the table left in the TLB:
/// TLBI ASIDE1IS for @p asid in EL1&0, ALLE2IS in EL2 and EL2&0, ALLE3IS in EL3; DSB ISH,
/// ISB.
void restore_ttbr(Regime where, uint64_t ttbr, uint16_t asid);
/// DSB ISHST: translation table stores complete before what follows.
void table_store_barrier();
/// TLBI VAE1IS, VAE2IS or VAE3IS (VALE*IS when @p last_level: only leaf entries changed,
/// no table entry) for @p operand, which holds VA[55:12] in bits 43:0 and the ASID in
/// bits 63:48 where the regime has ASIDs. No barrier: see tlb_sync.
void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level);
/// TLBI VMALLE1IS, ALLE2IS or ALLE3IS: every entry of the regime, global ones too, on
/// every core of the Inner Shareable domain. No barrier: see tlb_sync.
void invalidate_regime(TranslationRegime regime);
/// DSB ISH, ISB: the TLB maintenance issued before is complete on every core, and this
/// core fetches and translates afresh.
void tlb_sync();

/// CPU errata workarounds for the TLB maintenance above (the C ABI's IDMAP_ERRATUM_*).
namespace errata {
/// Each TLBI is followed by DSB ISH and issued again (Linux's ARM64_WORKAROUND_REPEAT_TLBI).
inline constexpr uint32_t REPEAT_TLBI = uint32_t{1} << 0;
/// No contiguous bit is set, whatever a map's hint policy (groups are still cleared).
inline constexpr uint32_t NO_CONTIGUOUS_HINT = uint32_t{1} << 1;
/// Every workaround this version knows.
inline constexpr uint32_t KNOWN = REPEAT_TLBI | NO_CONTIGUOUS_HINT;
}  // namespace errata
/// Sets the workarounds in force (src/errata.cpp): bits of errata::KNOWN.
void set_errata(uint32_t workarounds);
/// The workarounds in force; 0 until set_errata().
uint32_t errata_in_force();

/// Whether the CPU runs where @p regime's MMU can be turned on: CurrentEL is the
/// regime's exception level, and at EL2 HCR_EL2.E2H is 1 for EL2&0 and 0 for EL2.
bool runs_in(TranslationRegime regime);
/// What the CPU is using, for the pre-flight check: the caller's code, its stack, and the
/// vector table of the current exception level.
struct CpuState {
    uint64_t pc;    ///< An address in the code that called read_cpu_state's caller.
    uint64_t sp;    ///< The stack pointer.
    uint64_t vbar;  ///< VBAR_ELx of the current EL.
};
/// The CPU's state as read_cpu_state's caller sees it; pc is @p return_address.
CpuState read_cpu_state(uint64_t return_address);

/// ID_AA64MMFR0_EL1: PARange, ASIDBits, granule support.
uint64_t read_id_aa64mmfr0_el1();
/// ID_AA64MMFR2_EL1: ST (FEAT_TTST, root level 3).
uint64_t read_id_aa64mmfr2_el1();
/// The translation registers of @p regime as they are.
MmuRegisters read_mmu_registers(TranslationRegime regime);
/// Cleans and invalidates [start, start + size) to the point of coherency, then DSB SY.
void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size);
/// Loads @p regs into the registers of @p regime, from the MMU on or off: the MMU is off
/// while the translation registers change (no memory access meanwhile), the data cache
/// is cleaned and invalidated by set/way where regs turns it off, then the regime's TLB
/// is invalidated (TLBI VMALLE1, ALLE2 or ALLE3), IC IALLU, DSB, ISB, and SCTLR_ELx =
/// regs.sctlr, ISB.
void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs);

}  // namespace aarch64_paging::arch

#endif
