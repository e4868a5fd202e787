/// @file
/// The arch layer: every system register, barrier and TLB maintenance instruction the
/// library uses goes through these functions. src/arch/aarch64/ implements them for the
/// target; src/arch/host/ is a fake that simulates the registers and logs the calls.
/// Each takes the regime (and VA range) whose registers and TLB entries it touches.
#ifndef AARCH64_PAGING_ARCH_HPP
#define AARCH64_PAGING_ARCH_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/descriptor.hpp"
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

/// How switch_ttbr() moves a regime's TTBR from one tree to another on this core. The TLB
/// must never hold entries of both trees for one address with different sizes or outputs
/// (a TLB conflict, Arm ARM DDI 0487K.a D8.16.1 "Using break-before-make when updating
/// translation table entries"); ASIDs keep two trees' non-global entries apart.
enum class TtbrSwitch : uint8_t {
    /// Write the TTBR, ISB: the MMU is off, the regime is not the one running, or the old
    /// tree's entries carry another ASID.
    Direct,
    /// With a break between the trees, as Linux's __pkvm_init_switch_pgd does at EL2:
    /// interrupts masked, SCTLR_ELx.M cleared, the TTBR written, the whole regime
    /// invalidated (TLBI, DSB ISH, ISB), M set again. The code doing it runs with the MMU
    /// off, so it must be mapped to itself.
    ThroughMmuOff,
};

/// The switch from @p old_ttbr to @p new_ttbr for the table of @p where, when this core
/// runs in that regime with its MMU on (@p live): a break where nothing keeps the two
/// trees' entries apart - no ASIDs (EL2, EL3); the upper range, whose non-global entries
/// TTBR0's ASID tags (TCR_ELx.A1 = 0), whichever tree TTBR1 holds; or one ASID in both.
/// Global entries of two lower-range trees are the caller's to avoid (map with nG what is
/// switched in and out). Values that differ in CnP alone (TTBR_CNP) are one tree.
constexpr TtbrSwitch ttbr_switch(Regime where, bool live, uint64_t old_ttbr, uint64_t new_ttbr) {
    if (!live || ((old_ttbr ^ new_ttbr) & ~TTBR_CNP) == 0) {
        return TtbrSwitch::Direct;
    }
    if (!has_two_privilege_levels(where.regime) || where.range == VaRange::Upper ||
        (old_ttbr >> TTBR_ASID_SHIFT) == (new_ttbr >> TTBR_ASID_SHIFT)) {
        return TtbrSwitch::ThroughMmuOff;
    }
    return TtbrSwitch::Direct;
}

/// What a direct switch of the TTBR of @p where invalidates after the write, so that the
/// old tree's entries cannot meet the new one's later (when the MMU comes on, or the
/// regime runs again): in EL2 and EL3, which cannot tell the trees' entries apart, the
/// whole regime; when @p leaving (the old tree goes out of use), its entries: by its ASID
/// in the lower range of EL1&0, else the whole regime (the upper range's entries carry
/// TTBR0's ASID; EL2&0 has no TLBI by ASID alone).
enum class AfterSwitch : uint8_t {
    Nothing,  ///< No TLBI: the old tree's entries carry another ASID.
    OldAsid,  ///< TLBI ASIDE1IS with the old TTBR's ASID.
    Regime,   ///< TLBI of the whole regime.
};
/// See AfterSwitch.
constexpr AfterSwitch after_direct_switch(Regime where, bool leaving) {
    if (has_two_privilege_levels(where.regime) && !leaving) {
        return AfterSwitch::Nothing;
    }
    if (where.regime == TranslationRegime::El1And0 && where.range == VaRange::Lower) {
        return AfterSwitch::OldAsid;
    }
    return AfterSwitch::Regime;
}

/// Makes @p ttbr the TTBR of @p where on this core (DSB ISHST first, so that the tables
/// are complete before any walk), as ttbr_switch() says; after a direct switch, TLBI as
/// after_direct_switch() says (ASIDE1IS with the old TTBR's ASID, or VMALLE1IS, ALLE2IS,
/// ALLE3IS), DSB ISH, ISB.
/// Stage 1 only: stage 2's is switch_vttbr().
/// @return true, with @p previous = the TTBR value replaced; or false, nothing changed,
///         where the switch goes through the MMU off and the code that does it is not
///         mapped to itself: @p previous = that code's address.
bool switch_ttbr(Regime where, uint64_t ttbr, bool leaving, uint64_t& previous);
/// DSB ISHST: translation table stores complete before what follows.
void table_store_barrier();
/// DSB ISHST, ISB: new entries written to a live tree are seen by the walker, and nothing
/// this core fetched or began to translate before them can fault for want of them (Linux
/// ends a change that only creates valid entries the same way).
void tables_published();
/// Stores @p value into the table entry @p entry that a walker may be reading: one
/// single-copy atomic 64-bit store that the compiler may neither elide, tear nor merge
/// with another (Linux's WRITE_ONCE; Arm ARM B2.2.1 "Requirements for single-copy
/// atomicity"). Entries of a table no walker can reach yet are written plainly.
inline void write_entry(Descriptor& entry, Descriptor value) {
    *reinterpret_cast<volatile uint64_t*>(&entry) = value.bits();
}
/// TLBI VAE1IS, VAE2IS or VAE3IS (VALE*IS when @p last_level: only leaf entries changed,
/// no table entry) for @p operand, which holds VA[55:12] in bits 43:0 and the ASID in
/// bits 63:48 where the regime has ASIDs; with @p all_asids (EL1&0 only) TLBI VAAE1IS or
/// VAALE1IS, whatever ASID tagged the entries. No barrier: see tlb_sync.
void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level, bool all_asids);
/// The most pages one range invalidation covers: the TLBI R*IS forms reach (NUM + 1) <<
/// (5 * SCALE + 1) pages, NUM and SCALE at most 31 and 3, in one operation per SCALE
/// (below 2^21 pages, every count is such a sum, with one page for an odd count).
inline constexpr uint64_t MAX_RANGE_PAGES = (uint64_t{1} << 21) - 1;
/// Calls @p tlbi(operand, range) for TLBIs that together invalidate exactly the
/// @p pages pages of 2^@p page_shift bytes from @p address (at most MAX_RANGE_PAGES):
/// range operands (Arm ARM D8.14, "TLB range maintenance instructions": @p tag in bits
/// 63:48, TG 47:46, SCALE 45:44, NUM 43:39, TTL 38:37 = 0, any level; BaseADDR 36:0,
/// the address in pages), each of (NUM + 1) << (5 * SCALE + 1) pages, smallest SCALE
/// first; and for an odd count a TLBI by VA of the first page (range = false, its
/// operand as invalidate_va takes it).
template <class Tlbi>
inline void for_each_range(uint64_t tag, uint64_t address, uint64_t pages, unsigned page_shift, Tlbi tlbi) {
    const uint64_t tg = (page_shift - 10) / 2;  // 4 KiB 0b01, 16 KiB 0b10, 64 KiB 0b11
    if ((pages & 1) != 0) {
        tlbi(tag | ((address >> 12) & ((uint64_t{1} << 44) - 1)), false);
        address += uint64_t{1} << page_shift;
        --pages;
    }
    for (uint64_t scale = 0; pages != 0; ++scale) {
        const uint64_t num = (pages >> (5 * scale + 1)) & 31;  // NUM + 1
        if (num != 0) {
            tlbi(tag | (tg << 46) | (scale << 44) | ((num - 1) << 39) |
                     ((address >> page_shift) & ((uint64_t{1} << 37) - 1)),
                 true);
            const uint64_t done = num << (5 * scale + 1);
            address += done << page_shift;
            pages -= done;
        }
    }
}
/// invalidate_va() of the @p pages pages of 2^@p page_shift bytes from @p address (at
/// most MAX_RANGE_PAGES) by range (FEAT_TLBIRANGE): TLBI RVAE1IS, RVAE2IS or RVAE3IS
/// (RVALE*IS when @p last_level; RVAAE1IS, RVAALE1IS with @p all_asids), their operands
/// from for_each_range() with @p tag (the ASID in bits 63:48), and for an odd count a
/// TLBI by VA of the first page. No barrier: see tlb_sync.
void invalidate_va_range(TranslationRegime regime, uint64_t tag, uint64_t address, uint64_t pages,
                         unsigned page_shift, bool last_level, bool all_asids);
/// TLBI VMALLE1IS, ALLE2IS or ALLE3IS: every entry of the regime, global ones too, on
/// every core of the Inner Shareable domain. No barrier: see tlb_sync.
void invalidate_regime(TranslationRegime regime);
/// DSB ISH, ISB: the TLB maintenance issued before is complete on every core, and this
/// core fetches and translates afresh.
void tlb_sync();
/// DSB ISH alone: the TLB maintenance issued before is complete, before the next (stage
/// 2's invalidation by IPA, then of the VMID's stage-1 entries).
void tlb_barrier();

// Stage 2: its own functions, called from a stage-2 mapping only (Mapping's pointer to
// them), so that the stage-1 ones above have no case for it and a program that makes no
// stage-2 mapping links none of these.

/// switch_ttbr() for stage 2: VTTBR_EL2 = @p vttbr, always directly (EL2 does not
/// translate through it, and the guest does not run meanwhile). DSB ISHST; when
/// @p leaving, TLBI VMALLS12E1IS, DSB ISH first, while the leaving VMID is VTTBR_EL2's;
/// then the write, ISB, TLBI VMALLS12E1IS for the VMID written (stale entries of an
/// earlier table with that VMID), DSB ISH, ISB (Linux's __load_stage2 and
/// kvm_arm_vmid_update then __kvm_flush_vm_context). @p previous: the value replaced.
/// VTCR_EL2 is written before, by write_vtcr().
void switch_vttbr(uint64_t vttbr, bool leaving, uint64_t& previous);
/// TLBI IPAS2E1IS (IPAS2LE1IS when @p last_level): the operand IPA[55:12] in bits 43:0,
/// for the VMID in VTTBR_EL2 (enter_vmid). No barrier: see tlb_sync.
void invalidate_ipa(uint64_t operand, bool last_level);
/// invalidate_ipa() of the @p pages pages from IPA @p address by range (FEAT_TLBIRANGE):
/// TLBI RIPAS2E1IS (RIPAS2LE1IS when @p last_level), as invalidate_va_range().
void invalidate_ipa_range(uint64_t address, uint64_t pages, unsigned page_shift, bool last_level);
/// TLBI VMALLS12E1IS: every stage-1 and stage-2 entry of the VMID in VTTBR_EL2. No
/// barrier: see tlb_sync.
void invalidate_vmid();
/// Stage 2's TLB maintenance acts on the VMID in VTTBR_EL2 (Arm ARM D8.14, the
/// stage-2 TLBIs "for the current VMID"): where @p vttbr's VMID (bits 63:48) is not the
/// one there, writes VTTBR_EL2 = @p vttbr, ISB, as Linux's enter_vmid_context does. At
/// EL2, with the guest not running on this core. Answers what leave_vmid() takes.
uint64_t enter_vmid(uint64_t vttbr);
/// Undoes enter_vmid(@p vttbr), which answered @p previous: writes VTTBR_EL2 = @p previous,
/// ISB, where enter_vmid changed it.
void leave_vmid(uint64_t previous, uint64_t vttbr);
/// VTCR_EL2 = @p vtcr (no ISB: the VTTBR_EL2 write that follows ends with one).
void write_vtcr(uint64_t vtcr);
/// VTCR_EL2 as it is.
uint64_t read_vtcr();

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

/// The regime the CPU runs in, the one whose MMU it can turn on: CurrentEL's, and at EL2
/// EL2&0 when HCR_EL2.E2H is 1, EL2 when it is 0.
TranslationRegime current_regime();
/// Whether the CPU runs in @p regime.
inline bool runs_in(TranslationRegime regime) { return current_regime() == regime; }
/// What the CPU is using, for the pre-flight check: the caller's code, its stack, and the
/// vector table of the current exception level.
struct CpuState {
    uint64_t pc;    ///< An address in the code that called read_cpu_state's caller.
    uint64_t sp;    ///< The stack pointer.
    uint64_t vbar;  ///< VBAR_ELx of the current EL.
};
/// The CPU's state as read_cpu_state's caller sees it; pc is @p return_address.
CpuState read_cpu_state(uint64_t return_address);

/// The ASID that tags the non-global entries of the EL2&0 regime's upper range: TTBR1_EL2's
/// where TCR_EL2.A1 is set, else TTBR0_EL2's (the library's own TCR has A1 clear).
uint16_t el2_upper_range_asid();

/// ID_AA64MMFR0_EL1: PARange, ASIDBits, granule support.
uint64_t read_id_aa64mmfr0_el1();
/// ID_AA64MMFR2_EL1: ST (FEAT_TTST, root level 3), CnP (FEAT_TTCNP).
uint64_t read_id_aa64mmfr2_el1();
/// ID_AA64MMFR1_EL1: VMIDBits (8 or 16-bit VMIDs), XNX.
uint64_t read_id_aa64mmfr1_el1();
/// ID_AA64PFR1_EL1: BT (FEAT_BTI, bits 3:0).
uint64_t read_id_aa64pfr1_el1();
/// ID_AA64ISAR0_EL1: TLB (bits 59:56; 0b0010: FEAT_TLBIRANGE).
uint64_t read_id_aa64isar0_el1();
/// The translation registers of @p regime as they are.
MmuRegisters read_mmu_registers(TranslationRegime regime);
/// Cleans [start, start + size) to the point of coherency (DC CVAC by line), then DSB SY.
void clean_dcache_to_poc(uintptr_t start, size_t size);
/// Cleans and invalidates [start, start + size) to the point of coherency (DC CIVAC by
/// line), then DSB SY.
void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size);
/// For a page just taken for a table: where this core's data accesses bypass the cache
/// (SCTLR_ELx.M or C clear at the current EL), invalidates it to the point of coherency
/// (DC IVAC, DSB SY) before it is written, so that no stale line - a dirty one left by an
/// earlier stage with the cache on - can later be written back over the new table (Linux
/// invalidates its early page tables so, before and after writing them with the MMU off).
void prepare_table_page(void* page, size_t size);

/// SCTLR_ELx.M and C (bits 0 and 2): data accesses go through the cache only with both.
inline constexpr uint64_t SCTLR_DATA_CACHED = (uint64_t{1} << 0) | (uint64_t{1} << 2);
/// Whether going from SCTLR_ELx = @p current to @p next takes data accesses from the cache
/// to past it - "M and C both set" to "M or C clear" - and so needs the whole data cache
/// cleaned first: the program would no longer see its own dirty lines, and their later
/// eviction would overwrite what it writes meanwhile.
constexpr bool leaves_cache(uint64_t current, uint64_t next) {
    return (current & SCTLR_DATA_CACHED) == SCTLR_DATA_CACHED && (next & SCTLR_DATA_CACHED) != SCTLR_DATA_CACHED;
}
/// Loads @p regs into the registers of @p regime, from the MMU on or off: the MMU is off
/// while the translation registers change (no memory access meanwhile, interrupts
/// masked), the data cache is cleaned and invalidated by set/way where leaves_cache()
/// says so (CCSIDR_EL1 read in the format ID_AA64MMFR2_EL1.CCIDX gives), then the
/// regime's TLB is invalidated (TLBI VMALLE1, ALLE2 or ALLE3), IC IALLU, DSB, ISB, and
/// SCTLR_ELx = regs.sctlr, ISB.
void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs);

}  // namespace aarch64_paging::arch

#endif
