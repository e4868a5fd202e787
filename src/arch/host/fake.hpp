// The host fake of the arch layer: simulated translation registers of EL1, EL2 and EL3,
// a count of every barrier and TLB maintenance operation, a log of the TLBIs, and an
// ordered log of every event (barriers, TLBIs, register writes, cache maintenance) with a
// hook that tests use to look at the tables at each event, for tests to inspect.
#ifndef AARCH64_PAGING_ARCH_HOST_FAKE_HPP
#define AARCH64_PAGING_ARCH_HOST_FAKE_HPP

#include <stdint.h>

#include "aarch64_paging/regime.hpp"

namespace aarch64_paging::arch::fake {

struct Registers {
    uint64_t ttbr0_el1;
    uint64_t mair_el1;
    uint64_t tcr_el1;
    uint64_t sctlr_el1;
    uint64_t id_aa64mmfr0_el1;  // reset: 0x1124, PARange 44 bits, 16-bit ASIDs (Cortex-A57)
    uint64_t id_aa64mmfr2_el1;  // reset: 0, no FEAT_TTST
    uint64_t ttbr1_el1;
    uint64_t ttbr0_el2;
    uint64_t ttbr1_el2;
    uint64_t mair_el2;
    uint64_t tcr_el2;
    uint64_t sctlr_el2;
    uint64_t ttbr0_el3;
    uint64_t mair_el3;
    uint64_t tcr_el3;
    uint64_t sctlr_el3;
    unsigned current_el;  // reset: 1
    uint64_t hcr_el2;     // reset: 0 (E2H clear)
    uint64_t pc, sp, vbar;  // what read_cpu_state answers (reset: 0)
    // switch_ttbr's check of its own code: 0 (reset) passes, else the address it finds not
    // mapped to itself.
    uint64_t unmapped_switch_code;
    uint64_t vtcr_el2;          // stage 2 (reset: 0)
    uint64_t vttbr_el2;         // stage 2 (reset: 0, VMID 0)
    uint64_t id_aa64mmfr1_el1;  // reset: 0, 8-bit VMIDs, no FEAT_XNX (Cortex-A57)
    uint64_t id_aa64pfr1_el1;   // reset: 0, no FEAT_BTI (Cortex-A57)
    uint64_t id_aa64isar0_el1;  // reset: 0, no FEAT_TLBIRANGE (Cortex-A57)
};

// One TLB invalidation as issued: TLBI VA(L)E*IS with its operand, VAA(L)E1IS (every
// ASID), TLBI ASIDE1IS, or a whole regime (VMALLE1IS, ALLE2IS, ALLE3IS). Stage 2: Va and
// VaLastLevel are IPAS2E1IS and IPAS2LE1IS, Regime VMALLS12E1IS (regime Stage2).
struct Tlbi {
    // Range*: TLBI R(IPAS2|VA|VAA)(L)E*IS (FEAT_TLBIRANGE), a range operand.
    enum Kind : uint8_t {
        Va, VaLastLevel, Asid, Regime, VaAllAsids, VaLastLevelAllAsids,
        Range, RangeLastLevel, RangeAllAsids, RangeLastLevelAllAsids
    };
    Kind kind;
    TranslationRegime regime;
    uint64_t operand;  // the Xt operand; Regime: 0
};

struct Counters {
    unsigned isb;
    unsigned dsb_ish;
    unsigned dsb_ishst;
    unsigned tlbi_aside1;
    uint16_t last_tlbi_asid;
    unsigned tlbi_vmalle1;
    uint64_t dcache_cleaned_bytes;  // DC CIVAC: tables written past the cache
    unsigned dcache_set_way_flushes;
    unsigned tlbi_va;      // TLBI by VA, any regime
    unsigned tlbi_range;   // TLBI by range (FEAT_TLBIRANGE), any regime
    unsigned tlbi_regime;  // TLBI of a whole regime, any regime
    uint64_t dcache_invalidated_bytes;  // DC IVAC: pages prepared for tables
    static constexpr unsigned LOG_SIZE = 64;
    Tlbi log[LOG_SIZE];    // the first LOG_SIZE TLBIs since reset
    unsigned log_count;    // TLBIs since reset, also past LOG_SIZE
};

// One event of the arch layer, in the order issued.
struct Event {
    enum Kind : uint8_t {
        DsbIshst,
        DsbIsh,  // also the DSB of a TLBI repeated for an erratum
        Isb,
        Tlbi,          // value: the Tlbi's index in Counters::log (or LOG_SIZE past it)
        TtbrWrite,     // value: the TTBR value
        SctlrWrite,    // value: the SCTLR value (MMU off and on around a switch, or a load)
        CleanToPoc,    // value, size: the range (DC CVAC)
        CleanInvalidateToPoc,  // value, size: the range (DC CIVAC)
        InvalidateToPoc,  // value, size: the range (DC IVAC)
        SetWayClean,   // the whole data cache, by set/way
        VtcrWrite,     // value: the VTCR_EL2 value
    };
    Kind kind;
    TranslationRegime regime;  // TtbrWrite (Stage2: VTTBR_EL2), SctlrWrite, Tlbi
    uint64_t value;
    uint64_t size;  // the cache maintenance by VA: bytes from value
};
struct Events {
    static constexpr unsigned SIZE = 256;
    Event log[SIZE];  // the first SIZE events since reset
    unsigned count;   // events since reset, also past SIZE
    // Called with each event as it is issued (nullptr: none); tests look at the tables
    // from it, to check what was written before a barrier or a TLBI.
    void (*hook)(const Event&, void* ctx);
    void* hook_ctx;
};

Registers& registers();
Counters& counters();
Events& events();
// Registers to their reset values (MMU off), counters, logs and hook to zero.
void reset();
// The event index the next event will have: tests mark where a call begins.
inline unsigned next_event() { return events().count; }

}  // namespace aarch64_paging::arch::fake

#endif
