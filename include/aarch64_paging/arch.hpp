/// @file
/// The arch layer: every system register, barrier and TLB maintenance instruction the
/// library uses goes through these functions. src/arch/aarch64/ implements them for the
/// target; src/arch/host/ is a fake that simulates the registers and counts the calls.
#ifndef AARCH64_PAGING_ARCH_HPP
#define AARCH64_PAGING_ARCH_HPP

#include <stddef.h>
#include <stdint.h>

namespace aarch64_paging::arch {

/// The EL1&0 stage-1 translation registers.
struct MmuRegisters {
    uint64_t mair;   ///< MAIR_EL1
    uint64_t tcr;    ///< TCR_EL1
    uint64_t ttbr0;  ///< TTBR0_EL1
    uint64_t sctlr;  ///< SCTLR_EL1
};

/// DSB ISHST so the tables are complete before the walker may read them, then writes
/// TTBR0_EL1, ISB; returns the value it replaced.
uint64_t swap_ttbr0_el1(uint64_t ttbr);
/// Writes TTBR0_EL1, ISB, then TLBI ASIDE1 for asid, DSB ISH, ISB.
void restore_ttbr0_el1(uint64_t ttbr, uint16_t asid);
/// DSB ISHST: translation table stores complete before what follows.
void table_store_barrier();
/// After entries were removed from a live table: DSB ISHST, TLBI VMALLE1IS (every
/// stage-1 EL1&0 entry, global ones too, on every core of the Inner Shareable domain),
/// DSB ISH, ISB. Only then may the tables that held them be reused.
void invalidate_tlb_after_unmap();

/// ID_AA64MMFR0_EL1: PARange, ASIDBits, granule support.
uint64_t read_id_aa64mmfr0_el1();
/// ID_AA64MMFR2_EL1: ST (FEAT_TTST, root level 3).
uint64_t read_id_aa64mmfr2_el1();
/// MAIR_EL1, TCR_EL1, TTBR0_EL1 and SCTLR_EL1 as they are.
MmuRegisters read_mmu_registers();
/// Cleans and invalidates [start, start + size) to the point of coherency, then DSB SY.
void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size);
/// Loads regs into MAIR_EL1, TCR_EL1, TTBR0_EL1 and SCTLR_EL1, from the MMU on or off:
/// the MMU is off while the translation registers change (no memory access meanwhile),
/// the data cache is cleaned and invalidated by set/way where regs turns it off, then
/// TLBI VMALLE1, IC IALLU, DSB, ISB, and SCTLR_EL1 = regs.sctlr, ISB.
void load_mmu_registers(const MmuRegisters& regs);

}  // namespace aarch64_paging::arch

#endif
